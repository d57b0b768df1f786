import CKernels

/// How a query scores a row.
public enum Metric: String, CaseIterable, Sendable, Codable {
    /// Inner product.
    case dot
    /// Inner product of the L2-normalised vectors; 0 where either vector is zero.
    case cosine
}

/// The `k` best rows per query, best first (ties broken by the lower row index).
/// Row-major: query `q`'s results are `ids[q * k ..< (q + 1) * k]`. Where fewer than `k`
/// rows are eligible (exclusions), the tail holds id -1 and score -infinity.
public struct TopK: Equatable, Sendable {
    public let queryCount: Int
    public let k: Int
    public var ids: [Int32]
    public var scores: [Float]

    public init(queryCount: Int, k: Int, ids: [Int32], scores: [Float]) {
        self.queryCount = queryCount
        self.k = k
        self.ids = ids
        self.scores = scores
    }

    /// The ids of query `q`, without the -1 padding.
    public func ids(ofQuery q: Int) -> [Int32] { ids[q * k ..< (q + 1) * k].filter { $0 >= 0 } }
}

extension Kernels {
    /// Scores every query against every row: a `queries.rows x rows.rows` matrix.
    /// The corresponding C kernel is `rv_score_f32`.
    public static func scores(queries: Matrix, rows: Matrix, metric: Metric, threads: Int = 0) throws(KernelError) -> Matrix {
        fatalError("TODO(score): not implemented yet")
    }

    /// The `k` best rows for each query, scored and selected in one pass that never holds the
    /// whole score matrix. `exclude[q]` lists rows query `q` must not return (items already seen).
    /// The corresponding C kernel is `rv_score_topk_f32`.
    public static func topK(queries: Matrix, rows: Matrix, k: Int, metric: Metric,
                            exclude: [[Int32]]? = nil, threads: Int = 0) throws(KernelError) -> TopK {
        fatalError("TODO(topk): not implemented yet")
    }

    /// Top-`k` selection over precomputed scores (one row of `scores` per query).
    /// The corresponding C kernel is `rv_topk_f32`.
    public static func topK(scores: Matrix, k: Int, threads: Int = 0) throws(KernelError) -> TopK {
        fatalError("TODO(topk): not implemented yet")
    }

    /// Scales every row to unit L2 norm in place (zero rows stay zero).
    /// The corresponding C kernel is `rv_normalize_rows_f32`.
    public static func normalizeRows(_ matrix: inout Matrix, threads: Int = 0) throws(KernelError) {
        fatalError("TODO(score): not implemented yet")
    }
}
