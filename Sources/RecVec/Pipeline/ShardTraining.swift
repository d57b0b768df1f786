import Foundation

/// Training from what the Spark jobs (or `recvec corpus`) write instead of an events file:
/// a corpus folder (`*.rvc` shards + `ids.txt`) or co-occurrence counts (`*.rvcsr` + `ids.txt`).
/// Shards are read one at a time; no method holds the whole corpus.
package enum ShardTraining {
    /// What a source trains on.
    package enum Source: Sendable {
        /// A corpus folder: Item2Vec streams it per epoch; PPMI+SVD and walks count it shard by shard.
        case corpus(String)
        /// A merged counts file or a folder of partial counts (summed on load): PPMI+SVD only.
        case counts(String)

        /// The folder holding `ids.txt` (the source itself, or the folder of a counts file).
        var idsFolder: String {
            switch self {
            case let .corpus(path), let .counts(path):
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                return isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
            }
        }
    }

    /// Trains `method` from `source` with `settings` as `TrainedModel.train` would from a log:
    /// rows are the vocabulary's items, their popularity its counts (`counts.txt`).
    public static func model(_ method: Method, from source: Source, settings: Defaults = .standard, threads: Int = 0,
                             progress: ((String) -> Void)? = nil) throws -> TrainedModel {
        let (trained, ids) = try train(method, from: source, configs: settings.methodConfigs(), threads: threads, progress: progress)
        let counts = try Vocabulary.read(directory: source.idsFolder).counts
        return TrainedModel.make(trained, itemIDs: ids, counts: counts, settings: settings, evaluation: nil, metrics: nil)
    }

    /// Trains `method` from `source` on `threads` threads (0 = all); returns the method and the
    /// item id of each row.
    /// `content` and `fused` need content vectors, which shards do not carry: they throw.
    public static func train(_ method: Method, from source: Source, configs: MethodConfigs, threads: Int = 0,
                             progress: ((String) -> Void)? = nil) throws -> (trained: TrainedMethod, ids: [String]) {
        let start = Date()
        guard !(method == .ppmiSVD && configs.ppmiSVD.directional) else {
            throw KernelError.invalidArgument(name: "ppmiSVD.directional", value: "true",
                                              expected: "false: count shards hold symmetric windows (train directional PPMI+SVD from --events)")
        }
        let ids = try ItemIDTable.read(path: source.idsFolder + "/ids.txt")
        let retrieval: Retrieval
        switch (method, source) {
        case let (.ppmiSVD, .counts(path)):
            let counts = try CooccurrenceCounts.merge([path])
            progress?("ppmi-svd: \(counts.matrix.nonZeroCount) non-zeros from \(counts.tokens) tokens (window \(counts.window), \(counts.weighting.rawValue))")
            var configs = configs
            configs.ppmiSVD.window = counts.window
            configs.ppmiSVD.weighting = counts.weighting
            let svd = try PPMISVD.factorize(counts: try checked(counts.matrix, ids: ids), config: configs.ppmiSVD, threads: threads, progress: progress)
            retrieval = try Methods.ppmiRetrieval(svd, configs: configs) { try Vocabulary.read(directory: source.idsFolder).counts }
        case let (.ppmiSVD, .corpus(path)):
            let shards = try CorpusShardSet(directory: path)
            let counts = try shardCounts(shards, window: configs.ppmiSVD.window, weighting: configs.ppmiSVD.weighting,
                                         threads: threads, progress: progress)
            let svd = try PPMISVD.factorize(counts: try checked(counts, ids: ids), config: configs.ppmiSVD, threads: threads, progress: progress)
            retrieval = try Methods.ppmiRetrieval(svd, configs: configs) { try shards.counts() }
        case let (.item2vec, .corpus(path)):
            let shards = try CorpusShardSet(directory: path)
            progress?("item2vec: streaming \(shards.paths.count) shards, \(shards.tokenCount) tokens per epoch")
            let model = try SkipGramTrainer.train(shards: shards, config: configs.item2vec, threads: threads) { epoch, loss in
                progress?("item2vec: epoch \(epoch + 1)/\(configs.item2vec.epochs), loss \(String(format: "%.4f", loss))")
            }
            retrieval = Methods.sgnsRetrieval(model, configs.item2vecScoring)
        case let (.walks, .corpus(path)):
            let shards = try CorpusShardSet(directory: path)
            let counts = try shardCounts(shards, window: configs.walks.graphWindow, weighting: .count, threads: threads, progress: progress)
            let graph = try ItemGraph(cooccurrence: try checked(counts, ids: ids), topN: configs.walks.neighbours)
            let model = try GraphWalks.train(graph: graph, config: configs.walks, threads: threads) { pass, tokens, planned in
                progress?("walks: pass \(pass + 1)/\(configs.walks.sgns.epochs), \(tokens)/\(planned) tokens")
            }
            retrieval = Methods.sgnsRetrieval(model, configs.walksScoring)
        case (_, .counts):
            throw KernelError.invalidArgument(name: "method", value: method.rawValue, expected: "ppmi-svd (the only method trained from counts; give --corpus for others)")
        default:
            throw KernelError.invalidArgument(name: "method", value: method.rawValue, expected: "ppmi-svd, item2vec or walks (shards carry no content vectors)")
        }
        return (TrainedMethod(method: method, retrieval: retrieval, seconds: Date().timeIntervalSince(start)), ids)
    }

    /// Co-occurrence of a corpus folder, one shard at a time, summed as `merge-counts` sums.
    static func shardCounts(_ shards: CorpusShardSet, window: Int, weighting: CooccurrenceWeighting, threads: Int,
                            progress: ((String) -> Void)?) throws -> SparseMatrix {
        var sum = CooccurrenceCounts.Sum()
        for path in shards.paths {
            let shard = try CorpusShard.read(path)
            guard !shard.tokens.isEmpty else { continue }
            try sum.add(try CooccurrenceCounts(corpus: shard, window: window, weighting: weighting, threads: threads), source: path)
        }
        guard let counts = sum.result else {
            throw StoreError.invalidInput(file: shards.paths[0], reason: "every shard is empty (no tokens to count)")
        }
        progress?("co-occurrence: \(shards.paths.count) shards counted, window \(window)")
        return counts.matrix
    }

    private static func checked(_ counts: SparseMatrix, ids: [String]) throws -> SparseMatrix {
        guard counts.rows == ids.count else { throw StoreError.countMismatch(file: "ids.txt", expected: counts.rows, found: ids.count) }
        return counts
    }
}
