import CKernels

/// Hyperparameters of skip-gram with negative sampling (SGNS). Defaults follow word2vec/gensim
/// unless a comment says otherwise.
public struct SkipGramConfig: Equatable, Sendable, Codable {
    public var dimension = 32
    /// Maximum distance between center and context inside a session.
    public var window = 5
    /// Noise samples per positive pair.
    public var negatives = 5
    /// Noise distribution ∝ count^noiseExponent; 0 is uniform, negative favours rare items.
    public var noiseExponent: Double = 0.75
    /// Frequent-item subsampling threshold t (word2vec's `sample`); 0 turns it off.
    public var subsample: Double = 1e-3
    public var epochs = 5
    /// Learning rate, decaying linearly from `learningRate` to `minLearningRate` over all epochs.
    public var learningRate: Float = 0.025
    public var minLearningRate: Float = 0.0001
    /// 0 = all; 1 thread with a fixed seed is bit-for-bit reproducible (Hogwild otherwise).
    public var threads = 0
    public var seed: UInt64 = 1

    public init() {}
}

/// Trained SGNS vectors: `input` (center, "syn0") and `output` (context, "syn1neg").
public struct SkipGramModel: Sendable {
    public var input: Matrix
    public var output: Matrix
    /// Mean negative-sampling loss per epoch.
    public var lossPerEpoch: [Double]
    /// Positive (center, context) pairs trained.
    public var pairCount: Int
}

/// SGNS trainer that takes its corpus in chunks, so that large corpora (random walks) stream
/// through training without being held whole. The learning rate decays linearly over
/// `plannedTokens`.
public final class SkipGramTrainer {
    public let config: SkipGramConfig
    public let vocabularySize: Int

    /// - Parameters:
    ///   - noiseCounts: item counts the noise distribution is built from (training data only).
    ///   - plannedTokens: tokens that `train(on:)` will see over the whole run (all epochs).
    public init(vocabularySize: Int, config: SkipGramConfig, noiseCounts: [Int], plannedTokens: Int) throws(KernelError) {
        fatalError("TODO(sgns): not implemented yet")
    }

    /// Trains on one chunk of sessions (one pass). The corresponding C kernel is `rv_sgns_train_f32`.
    public func train(on chunk: Corpus) throws(KernelError) {
        fatalError("TODO(sgns): not implemented yet")
    }

    /// Vectors and statistics so far.
    public var model: SkipGramModel { fatalError("TODO(sgns): not implemented yet") }
}

extension Kernels {
    /// Trains SGNS on `corpus` for `config.epochs` epochs, with the noise distribution built
    /// from the corpus's own counts.
    public static func trainSkipGram(_ corpus: Corpus, config: SkipGramConfig,
                                     progress: ((_ epoch: Int, _ loss: Double) -> Void)? = nil) throws(KernelError) -> SkipGramModel {
        fatalError("TODO(sgns): not implemented yet")
    }
}
