/// An undirected weighted graph over items in CSR form: node `v`'s neighbours are
/// `neighbours[offsets[v] ..< offsets[v + 1]]`, ascending, with positive `weights`.
/// Memory is linear in the number of edges.
public struct ItemGraph: Equatable, Sendable {
    /// Nodes (items), ids `0 ..< nodeCount`.
    public let nodeCount: Int
    /// CSR row offsets: `nodeCount + 1` entries, node v's edges at `offsets[v] ..< offsets[v + 1]`.
    public let offsets: [Int64]
    /// The neighbour of each directed half-edge, ascending within a node.
    public let neighbours: [Int32]
    /// The (positive) weight of each directed half-edge.
    public let weights: [Float]

    /// Edge (directed half) count: twice the undirected edges.
    public var edgeCount: Int { neighbours.count }

    /// Neighbours of node `v`.
    public func degree(_ v: Int) -> Int { Int(offsets[v + 1] - offsets[v]) }

    /// The graph of an undirected edge list; a pair listed twice keeps the larger weight.
    public init(nodeCount: Int, edges: [(Int32, Int32, Float)]) throws(KernelError) {
        guard nodeCount > 0 else { throw .invalidArgument(name: "nodeCount", value: "\(nodeCount)", expected: "> 0") }
        var adjacency = [[Int32: Float]](repeating: [:], count: nodeCount)
        for (i, (a, b, w)) in edges.enumerated() {
            guard a >= 0, Int(a) < nodeCount else { throw .outOfRange(name: "edges[\(i)].source", index: i, value: Int(a), count: nodeCount) }
            guard b >= 0, Int(b) < nodeCount else { throw .outOfRange(name: "edges[\(i)].target", index: i, value: Int(b), count: nodeCount) }
            guard w > 0, w.isFinite else { throw .invalidArgument(name: "edges[\(i)].weight", value: "\(w)", expected: "a finite weight > 0") }
            guard a != b else { continue }
            adjacency[Int(a)][b] = max(adjacency[Int(a)][b] ?? 0, w)
            adjacency[Int(b)][a] = max(adjacency[Int(b)][a] ?? 0, w)
        }
        var offsets: [Int64] = [0], neighbours: [Int32] = [], weights: [Float] = []
        for row in adjacency {
            for (n, w) in row.sorted(by: { $0.key < $1.key }) { neighbours.append(n); weights.append(w) }
            offsets.append(Int64(neighbours.count))
        }
        self.nodeCount = nodeCount
        self.offsets = offsets
        self.neighbours = neighbours
        self.weights = weights
    }

    /// The item graph of co-occurrence counts: each item keeps its `topN` heaviest neighbours
    /// (ties to the lower id, the diagonal ignored), then the graph is symmetrised (an edge kept
    /// by either end is kept). Counts are symmetric, so both ends agree on the weight.
    public init(cooccurrence counts: SparseMatrix, topN: Int) throws(KernelError) {
        guard counts.rows == counts.cols else { throw .invalidArgument(name: "counts", value: "\(counts.rows)x\(counts.cols)", expected: "a square matrix") }
        guard topN >= 1 else { throw .invalidArgument(name: "topN", value: "\(topN)", expected: ">= 1") }
        var edges: [(Int32, Int32, Float)] = []
        for r in 0 ..< counts.rows {
            // Columns ascend within a CSR row, so Ranking's tie rule (lower position) is the lower id.
            let row = Array(counts.row(r).filter { Int($0.0) != r && $0.1 > 0 })
            for p in Ranking.top(topN, of: row.count, key: { row[$0].1 }) { edges.append((Int32(r), row[p].0, row[p].1)) }
        }
        try self.init(nodeCount: counts.rows, edges: edges)
    }

    /// Whether `b` is a neighbour of `a` (binary search in the sorted list).
    public func hasEdge(_ a: Int, _ b: Int32) -> Bool {
        var lo = Int(offsets[a]), hi = Int(offsets[a + 1])
        while lo < hi {
            let mid = (lo + hi) / 2
            if neighbours[mid] < b { lo = mid + 1 } else { hi = mid }
        }
        return lo < Int(offsets[a + 1]) && neighbours[lo] == b
    }
}

extension SparseMatrix {
    /// The sparse form of a dense matrix (zeros dropped).
    public init(dense m: Matrix) {
        var offsets: [Int64] = [0], columns: [Int32] = [], values: [Float] = []
        for r in 0 ..< m.rows {
            for c in 0 ..< m.cols where m[r, c] != 0 { columns.append(Int32(c)); values.append(m[r, c]) }
            offsets.append(Int64(columns.count))
        }
        do { try self.init(rows: m.rows, cols: m.cols, rowOffsets: offsets, columns: columns, values: values) } catch { fatalError("unreachable: built consistent") }
    }
}
