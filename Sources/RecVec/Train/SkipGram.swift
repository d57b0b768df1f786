import CKernels

/// Hyperparameters of skip-gram with negative sampling (SGNS). Defaults follow word2vec/gensim
/// unless a comment says otherwise.
///
/// The algorithm (documented in full in `CKernels/include/rv_sgns.h`): every center's window is
/// one minibatch whose `negatives` noise items are drawn once and shared by all its context items
/// (Ji et al. 2016), noise from a Vose alias table built once per trainer, word2vec's subsampling
/// formula, a 64-bit LCG whose state flows from call to call.
public struct SkipGramConfig: Equatable, Sendable, Codable {
    /// Length of each item vector.
    public var dimension = 32
    /// Maximum distance between center and context inside a session.
    public var window = 5
    /// Noise samples per center, shared by the pairs of its window.
    public var negatives = 5
    /// Noise distribution ∝ count^noiseExponent; 0 is uniform, negative favours rare items.
    /// Items with count 0 get no noise mass whatever the exponent.
    public var noiseExponent: Double = 0.75
    /// Frequent-item subsampling threshold t (word2vec's `sample`); 0 turns it off. An item with
    /// count f out of N is kept with probability min(1, (sqrt(f / (t N)) + 1) t N / f)
    /// (word2vec.c's formula, which gensim uses too).
    public var subsample: Double = 1e-3
    /// Passes over the corpus.
    public var epochs = 5
    /// Learning rate, decaying linearly from `learningRate` to `minLearningRate` over all epochs.
    public var learningRate: Float = 0.025
    /// Learning rate reached at the end of the last epoch.
    public var minLearningRate: Float = 0.0001
    /// Seeds the initial vectors and every random draw (subsampling, window shrink, noise).
    public var seed: UInt64 = 1
    /// word2vec's random window shrink: each center uses a window drawn uniformly from
    /// 1 ... `window`. Off, every pair within `window` trains.
    public var shrinkWindow = true

    /// The defaults listed on each property.
    public init() {}

    /// Decodes a configuration; a missing key keeps its default (so configurations written
    /// before a field existed still load), and an unknown one is ignored (a `threads` key written
    /// before threads became an argument of the trainers).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SkipGramConfig()
        dimension = try c.decodeIfPresent(Int.self, forKey: .dimension) ?? d.dimension
        window = try c.decodeIfPresent(Int.self, forKey: .window) ?? d.window
        negatives = try c.decodeIfPresent(Int.self, forKey: .negatives) ?? d.negatives
        noiseExponent = try c.decodeIfPresent(Double.self, forKey: .noiseExponent) ?? d.noiseExponent
        subsample = try c.decodeIfPresent(Double.self, forKey: .subsample) ?? d.subsample
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        minLearningRate = try c.decodeIfPresent(Float.self, forKey: .minLearningRate) ?? d.minLearningRate
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        shrinkWindow = try c.decodeIfPresent(Bool.self, forKey: .shrinkWindow) ?? d.shrinkWindow
    }
}

/// Trained SGNS vectors: `input` ("syn0", the item embeddings) and `output` ("syn1neg"). As in
/// word2vec, a context item's input vector is trained against the center's output vector; the
/// windows are symmetric, so every item is trained in both roles.
public struct SkipGramModel: Sendable {
    /// Input vectors ("syn0"), `vocabularySize x dimension`: the item embeddings.
    public var input: Matrix
    /// Output vectors ("syn1neg"), same shape; the context side of the dot product.
    public var output: Matrix
    /// Mean negative-sampling loss per pair, -log σ(pos) - Σ log σ(-neg), one entry per
    /// `train(on:)` call (per epoch for `SkipGramTrainer.train`); 0 for a call that trained no pair.
    public var lossPerEpoch: [Double]
    /// Positive (center, context) pairs trained.
    public var pairCount: Int
}

/// SGNS trainer that takes its corpus in chunks, so that large corpora (random walks) stream
/// through training without being held whole. The learning rate decays linearly over
/// `plannedTokens`.
public final class SkipGramTrainer {
    /// The hyperparameters the trainer was built with.
    public let config: SkipGramConfig
    /// Number of items; the rows of both vector tables.
    public let vocabularySize: Int
    /// Tokens the whole run is expected to see; the learning rate reaches `minLearningRate` there.
    public let plannedTokens: Int
    /// Threads each `train(on:)` call runs on (0 = all; 1 with a fixed seed is bit-for-bit
    /// reproducible, Hogwild otherwise).
    public let threads: Int

    private var input: [Float]
    private var output: [Float]
    private let noise: [rv_sgns_alias]
    /// nil when subsampling is off (then no random draw is spent on it).
    private let keep: [UInt64]?
    /// The LCG state: starts at `config.seed`, initialises the input vectors, then trains.
    private var rngState: UInt64
    private var tokensDone: Int64 = 0
    private var losses: [Double] = []
    private var pairs = 0

    /// Validates the configuration, builds the noise alias table (`rv_sgns_noise_table`) and the
    /// subsampling thresholds (`rv_sgns_subsample_thresholds`) and initialises the vectors as
    /// word2vec does (`rv_sgns_init_f32`: input uniform in (-0.5/d, 0.5/d), output zero).
    /// - Parameters:
    ///   - vocabularySize: number of items; every token trained on must be below it.
    ///   - config: the hyperparameters; each is checked (`KernelError.invalidArgument` names the
    ///     first out of range).
    ///   - noiseCounts: item counts the noise distribution and subsampling are built from
    ///     (training data only); `vocabularySize` entries, none negative, not all zero.
    ///   - plannedTokens: tokens that `train(on:)` will see over the whole run (all epochs).
    ///   - threads: threads of each `train(on:)` call (0 = all).
    public init(vocabularySize: Int, config: SkipGramConfig, noiseCounts: [Int], plannedTokens: Int,
                threads: Int = 0) throws(KernelError) {
        try Self.validate(config)
        try Kernels.checkThreads(threads)
        guard vocabularySize > 0 else {
            throw .invalidArgument(name: "vocabularySize", value: "\(vocabularySize)", expected: "> 0")
        }
        guard noiseCounts.count == vocabularySize else {
            throw .sizeMismatch(name: "noiseCounts", expected: vocabularySize, found: noiseCounts.count)
        }
        if let bad = noiseCounts.firstIndex(where: { $0 < 0 }) {
            throw .invalidArgument(name: "noiseCounts[\(bad)]", value: "\(noiseCounts[bad])", expected: ">= 0")
        }
        guard noiseCounts.contains(where: { $0 > 0 }) else {
            throw .invalidArgument(name: "noiseCounts", value: "all \(vocabularySize) zero", expected: "at least one count > 0")
        }
        guard plannedTokens > 0 else {
            throw .invalidArgument(name: "plannedTokens", value: "\(plannedTokens)", expected: "> 0")
        }
        self.config = config
        self.vocabularySize = vocabularySize
        self.plannedTokens = plannedTokens
        self.threads = threads

        let counts = noiseCounts.map { Int64($0) }
        var noise = [rv_sgns_alias](repeating: rv_sgns_alias(), count: vocabularySize)
        let noiseStatus = counts.withUnsafeBufferPointer { c in
            noise.withUnsafeMutableBufferPointer { rv_sgns_noise_table(c.baseAddress, c.count, config.noiseExponent, $0.baseAddress) }
        }
        guard noiseStatus == RV_OK else {
            // Finite exponent and valid counts can still overflow Σ count^exponent.
            throw .invalidArgument(name: "noiseExponent", value: "\(config.noiseExponent)",
                                   expected: "Σ count^exponent finite and > 0")
        }
        self.noise = noise
        if config.subsample > 0 {
            var keep = [UInt64](repeating: 0, count: vocabularySize)
            let status = counts.withUnsafeBufferPointer { c in
                keep.withUnsafeMutableBufferPointer { rv_sgns_subsample_thresholds(c.baseAddress, c.count, config.subsample, $0.baseAddress) }
            }
            try Kernels.check(status, "rv_sgns_subsample_thresholds")
            self.keep = keep
        } else {
            self.keep = nil
        }
        var state = config.seed
        var input = [Float](repeating: 0, count: vocabularySize * config.dimension)
        let status = input.withUnsafeMutableBufferPointer {
            rv_sgns_init_f32($0.baseAddress, vocabularySize, config.dimension, &state)
        }
        try Kernels.check(status, "rv_sgns_init_f32")
        self.input = input
        self.output = [Float](repeating: 0, count: vocabularySize * config.dimension)
        self.rngState = state
    }

    /// Trains on one chunk of sessions (one pass). The corresponding C kernel is `rv_sgns_train_f32`.
    public func train(on chunk: Corpus) throws(KernelError) {
        guard !chunk.tokens.isEmpty else {
            throw .invalidArgument(name: "corpus", value: "\(chunk.sessionCount) sessions, 0 tokens", expected: "at least one token")
        }
        if chunk.vocabularySize > vocabularySize,
           let bad = chunk.tokens.firstIndex(where: { Int($0) >= vocabularySize }) {
            throw .outOfRange(name: "tokens", index: bad, value: Int(chunk.tokens[bad]), count: vocabularySize)
        }
        var params = rv_sgns_params(
            dim: Int32(config.dimension), window: Int32(config.window), negatives: Int32(config.negatives),
            shrink_window: config.shrinkWindow ? 1 : 0, learning_rate: config.learningRate,
            min_learning_rate: config.minLearningRate, planned_tokens: Int64(plannedTokens))
        var stats = rv_sgns_stats()
        let rows = vocabularySize, threads = Int32(clamping: threads)
        let status = chunk.tokens.withUnsafeBufferPointer { tokens in
            chunk.offsets.withUnsafeBufferPointer { offsets in
                noise.withUnsafeBufferPointer { noise in
                    input.withUnsafeMutableBufferPointer { input in
                        output.withUnsafeMutableBufferPointer { output in
                            withKeep { keep in
                                rv_sgns_train_f32(&params, tokens.baseAddress, tokens.count, offsets.baseAddress,
                                                  chunk.sessionCount, noise.baseAddress, keep, input.baseAddress,
                                                  output.baseAddress, rows, threads, &rngState, &tokensDone, &stats)
                            }
                        }
                    }
                }
            }
        }
        try Kernels.check(status, "rv_sgns_train_f32")
        losses.append(stats.pair_count > 0 ? stats.loss_sum / Double(stats.pair_count) : 0)
        pairs += Int(stats.pair_count)
    }

    /// Mean loss per pair of each `train(on:)` call so far (as in `SkipGramModel.lossPerEpoch`).
    public var lossPerEpoch: [Double] { losses }

    /// Vectors and statistics so far.
    public var model: SkipGramModel {
        // The shapes are the trainer's own, so these cannot throw.
        let input = try! Matrix(rows: vocabularySize, cols: config.dimension, values: input)
        let output = try! Matrix(rows: vocabularySize, cols: config.dimension, values: output)
        return SkipGramModel(input: input, output: output, lossPerEpoch: losses, pairCount: pairs)
    }

    private func withKeep<R>(_ body: (UnsafePointer<UInt64>?) -> R) -> R {
        guard let keep else { return body(nil) }
        return keep.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// Every hyperparameter in range, or an error naming the first that is not.
    static func validate(_ config: SkipGramConfig) throws(KernelError) {
        for (name, value) in [("dimension", config.dimension), ("window", config.window),
                              ("negatives", config.negatives), ("epochs", config.epochs)] where value <= 0 {
            throw .invalidArgument(name: name, value: "\(value)", expected: "> 0")
        }
        guard config.dimension <= Int(Int32.max), config.window <= 1 << 20, config.negatives <= 1 << 20 else {
            throw .invalidArgument(name: "dimension/window/negatives",
                                   value: "\(config.dimension)/\(config.window)/\(config.negatives)",
                                   expected: "dimension < 2^31, window and negatives <= 2^20")
        }
        guard config.learningRate.isFinite, config.learningRate > 0 else {
            throw .invalidArgument(name: "learningRate", value: "\(config.learningRate)", expected: "finite and > 0")
        }
        guard config.minLearningRate.isFinite, config.minLearningRate > 0, config.minLearningRate <= config.learningRate else {
            throw .invalidArgument(name: "minLearningRate", value: "\(config.minLearningRate)",
                                   expected: "finite, > 0 and <= learningRate (\(config.learningRate))")
        }
        guard config.noiseExponent.isFinite else {
            throw .invalidArgument(name: "noiseExponent", value: "\(config.noiseExponent)", expected: "finite")
        }
        guard config.subsample.isFinite, config.subsample >= 0 else {
            throw .invalidArgument(name: "subsample", value: "\(config.subsample)", expected: "finite and >= 0 (0 = off)")
        }
    }
}

extension SkipGramTrainer {
    /// Trains SGNS on `corpus` for `config.epochs` epochs, with the noise distribution built
    /// from the corpus's own counts, on `threads` threads (0 = all); `progress` hears each epoch's
    /// mean loss. The corresponding C kernel is `rv_sgns_train_f32`.
    public static func train(_ corpus: Corpus, config: SkipGramConfig, threads: Int = 0,
                             progress: ((_ epoch: Int, _ loss: Double) -> Void)? = nil) throws(KernelError) -> SkipGramModel {
        try SkipGramTrainer.validate(config)
        try Kernels.checkThreads(threads)
        guard !corpus.tokens.isEmpty else {
            throw .invalidArgument(name: "corpus", value: "\(corpus.sessionCount) sessions, 0 tokens", expected: "at least one token")
        }
        let (planned, overflow) = corpus.tokens.count.multipliedReportingOverflow(by: config.epochs)
        guard !overflow else {
            throw .invalidArgument(name: "epochs", value: "\(config.epochs)", expected: "epochs * tokens < 2^63")
        }
        let trainer = try SkipGramTrainer(vocabularySize: corpus.vocabularySize, config: config,
                                          noiseCounts: corpus.counts(), plannedTokens: planned, threads: threads)
        for epoch in 0 ..< config.epochs {
            try trainer.train(on: corpus)
            progress?(epoch, trainer.lossPerEpoch[epoch])
        }
        return trainer.model
    }

    /// Item2Vec over a corpus folder, streamed: one pass for the counts, then each epoch reads
    /// the shards one at a time (the learning rate decays over all epochs' tokens).
    /// With one thread the result equals `train(_:config:threads:progress:)` on the concatenated corpus.
    package static func train(shards: CorpusShardSet, config: SkipGramConfig, threads: Int = 0,
                              progress: ((_ epoch: Int, _ loss: Double) -> Void)? = nil) throws -> SkipGramModel {
        let trainer = try SkipGramTrainer(vocabularySize: shards.vocabularySize, config: config, noiseCounts: try shards.counts(),
                                          plannedTokens: shards.tokenCount * config.epochs, threads: threads)
        for epoch in 0 ..< config.epochs {
            var lossSum = 0.0, calls = 0
            try shards.forEach { shard in
                guard !shard.tokens.isEmpty else { return }
                try trainer.train(on: shard)
                lossSum += trainer.lossPerEpoch.last!
                calls += 1
            }
            progress?(epoch, calls > 0 ? lossSum / Double(calls) : 0)
        }
        return trainer.model
    }
}
