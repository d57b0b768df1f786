/// Family 1: windowed co-occurrence -> PPMI -> truncated SVD by randomized SVD;
/// item vectors are `U S^eigenvalueExponent`.
/// Holds only what determines the vectors; how many threads compute them is an argument of
/// `PPMISVD.factorize` (a configuration decoded from an older manifest may carry `threads`: ignored).
public struct PPMISVDConfig: Equatable, Sendable, Codable {
    /// Embedding dimension: the rank of the truncated SVD.
    public var dimension = 32
    /// Co-occurrence window inside a session (pairs at distance 1 ... window).
    public var window = 5
    /// How a pair at distance d counts: 1, or 1/d.
    public var weighting: CooccurrenceWeighting = .count
    /// Count only "b after a" pairs (forward, next-item windows; `Kernels.cooccurrenceDense` with
    /// `direction: .forward`): the PPMI matrix is then not symmetric, its rows (U) describe an
    /// item as a predecessor and its columns (V) as a successor, so asymmetric-dot scoring
    /// ranks what comes next. Off: symmetric windows.
    public var directional = false
    /// Smoothing and shift of the PPMI transform.
    public var ppmi = PPMIConfig()
    /// Exponent p of the singular values in `U S^p`: 0, 0.5 (the usual best, Levy et al.) or 1.
    public var eigenvalueExponent = 0.5
    /// Extra sketch columns of the randomized SVD beyond `dimension` (accuracy for time).
    public var oversampling = 10
    /// Power iterations of the randomized SVD (sharpen a slowly decaying spectrum).
    public var powerIterations = 4
    /// Catalogs larger than this take the sparse path (CSR counts, sparse PPMI, sparse products).
    public var denseLimit = 4096
    /// Seed of the randomized SVD's Gaussian sketch.
    public var seed: UInt64 = 1

    /// The defaults above.
    public init() {}
}

/// Family 1's training: co-occurrence counts, PPMI, truncated SVD.
public enum PPMISVD {
    /// Item vectors (`corpus.vocabularySize x dimension`) from `corpus`.
    /// `progress` receives a line per stage.
    public static func train(_ corpus: Corpus, config: PPMISVDConfig, threads: Int = 0,
                             progress: ((String) -> Void)? = nil) throws(KernelError) -> Matrix {
        try factorize(corpus, config: config, threads: threads, progress: progress).rowEmbedding(exponent: config.eigenvalueExponent)
    }

    /// The truncated SVD of the PPMI matrix of `corpus` (for callers that want `V` or `S` too),
    /// counted and multiplied on `threads` threads (0 = all).
    public static func factorize(_ corpus: Corpus, config: PPMISVDConfig, threads: Int = 0,
                                 progress: ((String) -> Void)? = nil) throws(KernelError) -> TruncatedSVD {
        let svdConfig = try check(config, vocabularySize: corpus.vocabularySize)
        if corpus.vocabularySize <= config.denseLimit {
            progress?("ppmi-svd: dense co-occurrence, window \(config.window)\(config.directional ? ", forward" : "")")
            let counts = try Kernels.cooccurrenceDense(corpus, window: config.window, weighting: config.weighting,
                                                       direction: config.directional ? .forward : .symmetric, threads: threads)
            return try factorizeDense(counts, config: config, svdConfig: svdConfig, progress: progress)
        }
        progress?("ppmi-svd: sparse co-occurrence, window \(config.window)\(config.directional ? ", forward" : "")")
        let counts = try Kernels.cooccurrenceSparse(corpus, window: config.window, weighting: config.weighting,
                                                    direction: config.directional ? .forward : .symmetric, threads: threads)
        return try factorizeSparse(counts, config: config, svdConfig: svdConfig, threads: threads, progress: progress)
    }

    /// The same factorisation from co-occurrence counts computed elsewhere (merged count shards,
    /// `recvec train --counts`): the same path as `factorize(_:config:)` from the counts on, so
    /// equal counts give equal vectors for the same seed and threads. `config.window`,
    /// `weighting` and `directional` are the caller's to match to how the counts were made.
    public static func factorize(counts: SparseMatrix, config: PPMISVDConfig, threads: Int = 0,
                                 progress: ((String) -> Void)? = nil) throws(KernelError) -> TruncatedSVD {
        guard counts.rows == counts.cols else { throw .sizeMismatch(name: "counts.cols", expected: counts.rows, found: counts.cols) }
        let svdConfig = try check(config, vocabularySize: counts.rows)
        if counts.rows <= config.denseLimit {
            return try factorizeDense(counts.dense(), config: config, svdConfig: svdConfig, progress: progress)
        }
        return try factorizeSparse(counts, config: config, svdConfig: svdConfig, threads: threads, progress: progress)
    }

    private static func check(_ config: PPMISVDConfig, vocabularySize: Int) throws(KernelError) -> RandomizedSVDConfig {
        guard config.dimension >= 1, config.dimension <= vocabularySize else {
            throw .invalidArgument(name: "dimension", value: "\(config.dimension)", expected: "1 ... \(vocabularySize) (the catalog size)")
        }
        guard [0, 0.5, 1].contains(config.eigenvalueExponent) else {
            throw .invalidArgument(name: "eigenvalueExponent", value: "\(config.eigenvalueExponent)", expected: "0, 0.5 or 1")
        }
        return RandomizedSVDConfig(rank: config.dimension, oversampling: config.oversampling,
                                   powerIterations: config.powerIterations, seed: config.seed)
    }

    private static func factorizeDense(_ counts: Matrix, config: PPMISVDConfig, svdConfig: RandomizedSVDConfig,
                                       progress: ((String) -> Void)?) throws(KernelError) -> TruncatedSVD {
        let ppmi = try PPMI.dense(counts, config: config.ppmi)
        progress?("ppmi-svd: randomized SVD, rank \(config.dimension)")
        return try TruncatedSVD(ppmi, config: svdConfig)
    }

    private static func factorizeSparse(_ counts: SparseMatrix, config: PPMISVDConfig, svdConfig: RandomizedSVDConfig, threads: Int,
                                        progress: ((String) -> Void)?) throws(KernelError) -> TruncatedSVD {
        let ppmi = try PPMI.sparse(counts, config: config.ppmi)
        progress?("ppmi-svd: randomized SVD of \(ppmi.nonZeroCount) non-zeros, rank \(config.dimension)")
        return try TruncatedSVD(ParallelSparseOperator(ppmi, threads: threads), config: svdConfig)
    }
}
