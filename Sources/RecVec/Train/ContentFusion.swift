/// Family 4: content vectors (`ContentModality`, one matrix per modality, a row per item) fused
/// with behaviour vectors.
public enum ContentFusion {
    /// Rows scaled to unit L2 norm (zero rows stay zero). The corresponding C kernel is
    /// `rv_normalize_rows_f32`.
    public static func normalized(_ m: Matrix, threads: Int = 0) throws(KernelError) -> Matrix {
        var out = m
        try Kernels.normalizeRows(&out, threads: threads)
        return out
    }

    /// Weighted concatenation: each block row-normalised, then scaled by its weight, so that the
    /// cosine of two fused rows is the weight²-weighted mean of the blocks' cosines (up to the
    /// total weight). Blocks must have the same number of rows; a weight of 0 drops a block.
    public static func concatenate(_ blocks: [(matrix: Matrix, weight: Float)], threads: Int = 0) throws(KernelError) -> Matrix {
        let kept = blocks.filter { $0.weight != 0 }
        guard let rows = kept.first?.matrix.rows else { throw .invalidArgument(name: "blocks", value: "none with a non-zero weight", expected: "at least one") }
        for (i, b) in kept.enumerated() where b.matrix.rows != rows {
            throw .sizeMismatch(name: "blocks[\(i)].rows", expected: rows, found: b.matrix.rows)
        }
        let cols = kept.reduce(0) { $0 + $1.matrix.cols }
        var out = Matrix(rows: rows, cols: cols)
        var offset = 0
        for b in kept {
            let n = try normalized(b.matrix, threads: threads)
            for r in 0 ..< rows { for c in 0 ..< n.cols { out[r, offset + c] = b.weight * n[r, c] } }
            offset += n.cols
        }
        return out
    }

    /// The content-only ("multimodal") vectors: every modality normalised, weighted, concatenated.
    public static func multimodal(_ modalities: [ContentModality], weights: [Float]? = nil, threads: Int = 0) throws(KernelError) -> Matrix {
        let w = weights ?? [Float](repeating: 1, count: modalities.count)
        guard w.count == modalities.count else { throw .sizeMismatch(name: "weights", expected: modalities.count, found: w.count) }
        return try concatenate(zip(modalities, w).map { ($0.vectors, $1) }, threads: threads)
    }
}

/// A linear map from content space to behaviour space, `y ≈ (x - x̄) W + ȳ`, fitted by ridge
/// regression on warm items (`W = (XᵀX + λI)⁻¹ XᵀY` on centred data, solved by Cholesky). It
/// places cold items, which have content but no events, among the behaviour vectors.
public struct RidgeMap: Sendable {
    let weights: DoubleMatrix
    /// x̄: the mean content vector of the warm items the map was fitted on.
    public let contentMean: [Double]
    /// ȳ: the mean behaviour vector of the same items.
    public let behaviourMean: [Double]

    /// - Parameters:
    ///   - content: content vectors of every item (rows = items).
    ///   - behaviour: behaviour vectors of every item; only the `warm` rows are read.
    ///   - warm: the items with trustworthy behaviour vectors.
    ///   - lambda: ridge penalty (> 0 keeps the system positive definite).
    public init(content: Matrix, behaviour: Matrix, warm: [Int], lambda: Double) throws(KernelError) {
        guard content.rows == behaviour.rows else { throw .sizeMismatch(name: "behaviour.rows", expected: content.rows, found: behaviour.rows) }
        guard lambda > 0, lambda.isFinite else { throw .invalidArgument(name: "lambda", value: "\(lambda)", expected: "a finite value > 0") }
        guard !warm.isEmpty else { throw .invalidArgument(name: "warm", value: "[]", expected: "at least one warm item") }
        if let bad = warm.first(where: { $0 < 0 || $0 >= content.rows }) {
            throw .outOfRange(name: "warm", index: warm.firstIndex(of: bad)!, value: bad, count: content.rows)
        }
        let dc = content.cols, db = behaviour.cols
        var x = DoubleMatrix(rows: warm.count, cols: dc), y = DoubleMatrix(rows: warm.count, cols: db)
        for (i, item) in warm.enumerated() {
            for c in 0 ..< dc { x[i, c] = Double(content[item, c]) }
            for c in 0 ..< db { y[i, c] = Double(behaviour[item, c]) }
        }
        let xm = (0 ..< dc).map { c in (0 ..< warm.count).reduce(0.0) { $0 + x[$1, c] } / Double(warm.count) }
        let ym = (0 ..< db).map { c in (0 ..< warm.count).reduce(0.0) { $0 + y[$1, c] } / Double(warm.count) }
        for i in 0 ..< warm.count {
            for c in 0 ..< dc { x[i, c] -= xm[c] }
            for c in 0 ..< db { y[i, c] -= ym[c] }
        }
        var gram = x.transposeMultiplied(by: x)
        for i in 0 ..< dc { gram[i, i] += lambda }
        do {
            weights = try Linalg.choleskySolve(gram, x.transposeMultiplied(by: y))
        } catch {
            throw .invalidArgument(name: "lambda", value: "\(lambda)", expected: "large enough for a positive definite system (\(error))")
        }
        contentMean = xm
        behaviourMean = ym
    }

    /// Behaviour-space vectors for the rows of `content`.
    public func apply(_ content: Matrix) throws(KernelError) -> Matrix {
        guard content.cols == contentMean.count else { throw .sizeMismatch(name: "content.cols", expected: contentMean.count, found: content.cols) }
        var x = DoubleMatrix(content)
        for r in 0 ..< x.rows { for c in 0 ..< x.cols { x[r, c] -= contentMean[c] } }
        var y = x.multiplied(by: weights)
        for r in 0 ..< y.rows { for c in 0 ..< y.cols { y[r, c] += behaviourMean[c] } }
        return y.float
    }
}

/// How behaviour and content are fused.
public struct FusionConfig: Equatable, Sendable, Codable {
    /// Weight of the (normalised) behaviour block.
    public var behaviourWeight: Float = 1
    /// Weight of each content modality's block, in modality order; nil = 1 each.
    public var contentWeights: [Float]? = nil
    /// Weight of the (normalised) content block.
    public var contentWeight: Float = 1
    /// Ridge penalty of the content -> behaviour map.
    public var ridgeLambda = 1.0

    /// The defaults above: equal weights, ridge penalty 1.
    public init() {}
}

extension ContentFusion {
    /// Fused vectors for every item. Behaviour rows of `cold` items (no events in training) are
    /// replaced by the ridge map of their content, fitted on the other items; then the behaviour
    /// block and the content blocks are normalised, weighted and concatenated.
    /// With `normalizeBehaviour` false the behaviour block keeps its norms (for dot scoring,
    /// where norms carry popularity) and is only scaled by its weight.
    public static func fuse(behaviour: Matrix, modalities: [ContentModality], cold: Set<Int> = [],
                            config: FusionConfig, normalizeBehaviour: Bool = true, threads: Int = 0) throws(KernelError) -> Matrix {
        let content = try multimodal(modalities, weights: config.contentWeights, threads: threads)
        var placed = behaviour
        if !cold.isEmpty {
            let warm = (0 ..< behaviour.rows).filter { !cold.contains($0) }
            let map = try RidgeMap(content: content, behaviour: behaviour, warm: warm, lambda: config.ridgeLambda)
            let mapped = try map.apply(content)
            for item in cold { for c in 0 ..< placed.cols { placed[item, c] = mapped[item, c] } }
        }
        guard !normalizeBehaviour else { return try concatenate([(placed, config.behaviourWeight), (content, config.contentWeight)], threads: threads) }
        let unitContent = try concatenate([(content, config.contentWeight)], threads: threads)
        var out = Matrix(rows: placed.rows, cols: placed.cols + unitContent.cols)
        for r in 0 ..< placed.rows {
            for c in 0 ..< placed.cols { out[r, c] = config.behaviourWeight * placed[r, c] }
            for c in 0 ..< unitContent.cols { out[r, placed.cols + c] = unitContent[r, c] }
        }
        return out
    }
}
