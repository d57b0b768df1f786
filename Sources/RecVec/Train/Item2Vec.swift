/// Family 2: Item2Vec (Barkan & Koenigstein 2016), SGNS over sessions as sentences.
/// A thin layer over `SkipGramTrainer.train` (C kernel `rv_sgns_train_f32`): every
/// hyperparameter lives in `SkipGramConfig` (dimension, window, negatives, noise exponent,
/// subsampling, epochs, learning-rate schedule, seed); threads are an argument.
public enum Item2Vec {
    /// SGNS vectors of the items of `corpus` trained on `threads` threads (0 = all; 1 is
    /// bit-reproducible under a seed); `progress` gets (epoch, mean loss) per epoch.
    public static func train(_ corpus: Corpus, config: SkipGramConfig, threads: Int = 0,
                             progress: ((_ epoch: Int, _ loss: Double) -> Void)? = nil) throws(KernelError) -> SkipGramModel {
        try SkipGramTrainer.train(corpus, config: config, threads: threads, progress: progress)
    }
}

/// Family 3: item graph from co-occurrence -> DeepWalk / node2vec walks -> SGNS.
public struct GraphWalkConfig: Equatable, Sendable, Codable {
    /// Co-occurrence window used to build the item graph.
    public var graphWindow = 5
    /// Heaviest neighbours kept per item before symmetrising.
    public var neighbours = 20
    /// How walks move over the item graph (walks per node, length, node2vec p and q).
    public var walks = WalkConfig()
    /// SGNS on the walks; `sgns.epochs` passes, each over freshly drawn walks.
    public var sgns = SkipGramConfig()
    /// Walks generated and handed to the trainer at a time: memory is bounded by one chunk.
    public var chunkNodes = 4096

    /// The defaults above.
    public init() {}
}

/// Family 3's training: the item graph, then SGNS over walks streamed from it.
public enum GraphWalks {
    /// The item graph of `corpus` (top-`neighbours` co-occurring items, symmetrised).
    public static func itemGraph(_ corpus: Corpus, window: Int, neighbours: Int, threads: Int = 0) throws(KernelError) -> ItemGraph {
        let counts = try Kernels.cooccurrenceSparse(corpus, window: window, threads: threads)
        return try ItemGraph(cooccurrence: counts, topN: neighbours)
    }

    /// SGNS on walks over `graph`, streamed: walks are generated in chunks of
    /// `config.chunkNodes` and passed to `SkipGramTrainer.train(on:)`, never held whole. The noise
    /// distribution counts the visits of pass 0, measured by replaying it (walks depend only on
    /// the seed and pass); `plannedTokens` is exact (see `RandomWalker.tokensPerPass`).
    /// `progress` gets (pass, tokens so far, planned tokens) after each pass.
    public static func train(graph: ItemGraph, config: GraphWalkConfig, threads: Int = 0,
                             progress: ((_ pass: Int, _ tokens: Int, _ planned: Int) -> Void)? = nil) throws(KernelError) -> SkipGramModel {
        let walker = try RandomWalker(graph: graph, config: config.walks)
        guard config.sgns.epochs >= 1 else { throw .invalidArgument(name: "sgns.epochs", value: "\(config.sgns.epochs)", expected: ">= 1") }
        var counts = [Int](repeating: 0, count: graph.nodeCount)
        try walker.forEachChunk(pass: 0, seed: config.sgns.seed, chunkNodes: config.chunkNodes) { (chunk: Corpus) throws(KernelError) in
            for t in chunk.tokens { counts[Int(t)] += 1 }
        }
        let planned = walker.tokensPerPass * config.sgns.epochs
        let trainer = try SkipGramTrainer(vocabularySize: graph.nodeCount, config: config.sgns, noiseCounts: counts, plannedTokens: planned,
                                          threads: threads)
        var seen = 0
        for pass in 0 ..< config.sgns.epochs {
            try walker.forEachChunk(pass: pass, seed: config.sgns.seed, chunkNodes: config.chunkNodes) { (chunk: Corpus) throws(KernelError) in
                try trainer.train(on: chunk)
                seen += chunk.tokens.count
            }
            progress?(pass, seen, planned)
        }
        return trainer.model
    }

    /// Graph from `corpus`, then `train(graph:config:threads:progress:)`, both on `threads` threads.
    public static func train(_ corpus: Corpus, config: GraphWalkConfig, threads: Int = 0,
                             progress: ((_ pass: Int, _ tokens: Int, _ planned: Int) -> Void)? = nil) throws(KernelError) -> SkipGramModel {
        let graph = try itemGraph(corpus, window: config.graphWindow, neighbours: config.neighbours, threads: threads)
        return try train(graph: graph, config: config, threads: threads, progress: progress)
    }
}
