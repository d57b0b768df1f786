/// Random walks on an `ItemGraph`: DeepWalk (first order, steps proportional to edge weight)
/// and node2vec's second-order walks with return parameter p and in-out parameter q.
public struct WalkConfig: Equatable, Sendable, Codable {
    /// Walks started from every node per pass.
    public var walksPerNode = 10
    /// Nodes per walk (a walk from an isolated node has 1).
    public var walkLength = 40
    /// node2vec return parameter: returning to the previous node weighs 1/p. p = q = 1 is DeepWalk.
    public var p = 1.0
    /// node2vec in-out parameter: moving away from the previous node's neighbourhood weighs 1/q.
    public var q = 1.0

    /// A walk configuration (defaults: DeepWalk, 10 walks of 40 nodes per node).
    public init(walksPerNode: Int = 10, walkLength: Int = 40, p: Double = 1, q: Double = 1) {
        self.walksPerNode = walksPerNode
        self.walkLength = walkLength
        self.p = p
        self.q = q
    }

    func validate() throws(KernelError) {
        guard walksPerNode >= 1 else { throw .invalidArgument(name: "walksPerNode", value: "\(walksPerNode)", expected: ">= 1") }
        guard walkLength >= 2 else { throw .invalidArgument(name: "walkLength", value: "\(walkLength)", expected: ">= 2") }
        guard p > 0, p.isFinite else { throw .invalidArgument(name: "p", value: "\(p)", expected: "a finite value > 0") }
        guard q > 0, q.isFinite else { throw .invalidArgument(name: "q", value: "\(q)", expected: "a finite value > 0") }
    }
}

/// Generates walks. Memory is linear in the edges: one alias table entry per (directed) edge
/// for the first-order step, and node2vec's second-order bias by rejection sampling
/// (KnightKing, Yang et al. 2019; PecanPy): propose a neighbour x of v by edge weight, accept it
/// with probability bias(t, x) / max(1/p, 1, 1/q), where bias is 1/p if x == t, 1 if x is a
/// neighbour of t and 1/q otherwise. No per-edge table of size deg^2 is ever built.
public struct RandomWalker: Sendable {
    /// The graph walked.
    public let graph: ItemGraph
    /// How walks move.
    public let config: WalkConfig
    private let aliasProbability: [Float]
    private let aliasIndex: [Int32]

    /// Validates `config` and builds the alias tables of `graph`'s first-order steps.
    public init(graph: ItemGraph, config: WalkConfig) throws(KernelError) {
        try config.validate()
        self.graph = graph
        self.config = config
        var prob = [Float](repeating: 1, count: graph.edgeCount), alias = [Int32](repeating: 0, count: graph.edgeCount)
        for v in 0 ..< graph.nodeCount {
            let start = Int(graph.offsets[v]), n = graph.degree(v)
            guard n > 0 else { continue }
            // Vose's alias method over this node's edges.
            let total = graph.weights[start ..< start + n].reduce(0, +)
            var scaled = (0 ..< n).map { graph.weights[start + $0] * Float(n) / total }
            var small = (0 ..< n).filter { scaled[$0] < 1 }, large = (0 ..< n).filter { scaled[$0] >= 1 }
            while let s = small.popLast() {
                guard let l = large.last else { prob[start + s] = 1; continue }
                prob[start + s] = scaled[s]
                alias[start + s] = Int32(l)
                scaled[l] -= 1 - scaled[s]
                if scaled[l] < 1 { large.removeLast(); small.append(l) }
            }
            for l in large { prob[start + l] = 1 }
            for i in 0 ..< n where prob[start + i] == 1 { alias[start + i] = Int32(i) }
        }
        aliasProbability = prob
        aliasIndex = alias
    }

    /// Tokens one pass (`walksPerNode` walks from every node) produces: exact, because in an
    /// undirected graph a walk stops early only at an isolated start node.
    public var tokensPerPass: Int {
        var total = 0
        for v in 0 ..< graph.nodeCount { total += graph.degree(v) > 0 ? config.walkLength : 1 }
        return total * config.walksPerNode
    }

    /// A neighbour of `v` drawn proportionally to edge weight (alias table, O(1)).
    private func step(from v: Int, _ random: inout SplitMix64) -> Int32 {
        let start = Int(graph.offsets[v]), n = graph.degree(v)
        let i = random.below(n)
        let chosen = random.unit() < Double(aliasProbability[start + i]) ? i : Int(aliasIndex[start + i])
        return graph.neighbours[start + chosen]
    }

    /// One walk from `start`, appended to `tokens`.
    package func walk(from start: Int, into tokens: inout [Int32], _ random: inout SplitMix64) {
        tokens.append(Int32(start))
        guard graph.degree(start) > 0 else { return }
        let firstOrder = config.p == 1 && config.q == 1
        let invP = 1 / config.p, invQ = 1 / config.q, maxBias = max(invP, 1, invQ)
        var previous = -1, current = start
        for _ in 1 ..< config.walkLength {
            var next = step(from: current, &random)
            if !firstOrder, previous >= 0 {
                while true {
                    let bias = Int(next) == previous ? invP : (graph.hasEdge(previous, next) ? 1 : invQ)
                    if random.unit() * maxBias < bias { break }
                    next = step(from: current, &random)
                }
            }
            tokens.append(next)
            previous = current
            current = Int(next)
        }
    }

    /// Walks from the nodes `nodes` (one each), as sessions of a corpus; deterministic in `random`.
    package func walks(from nodes: some Sequence<Int>, _ random: inout SplitMix64) -> Corpus {
        var tokens: [Int32] = [], offsets: [Int64] = [0]
        for v in nodes {
            walk(from: v, into: &tokens, &random)
            offsets.append(Int64(tokens.count))
        }
        do { return try Corpus(tokens: tokens, offsets: offsets, vocabularySize: graph.nodeCount) } catch { fatalError("unreachable: walk tokens are node ids") }
    }

    /// Calls `body` with successive chunks of one pass: `walksPerNode` rounds, each visiting every
    /// node once in a shuffled order, cut into chunks of at most `chunkNodes` walks. The chunks of
    /// pass `pass` depend only on (seed, pass), so a pass can be replayed without storing it.
    public func forEachChunk(pass: Int, seed: UInt64, chunkNodes: Int, _ body: (Corpus) throws(KernelError) -> Void) throws(KernelError) {
        for round in 0 ..< config.walksPerNode {
            var random = SplitMix64(seed: seed, stream: UInt64(pass * config.walksPerNode + round) + 1)
            var order = Array(0 ..< graph.nodeCount)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
            var start = 0
            while start < order.count {
                let end = min(start + max(1, chunkNodes), order.count)
                try body(walks(from: order[start ..< end], &random))
                start = end
            }
        }
    }
}
