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
    /// Number of queries.
    public let queryCount: Int
    /// Results per query (the row stride of `ids` and `scores`).
    public let k: Int
    /// `queryCount * k` row indices, each query's best first; -1 pads where fewer rows were eligible.
    public var ids: [Int32]
    /// The score of each entry of `ids`; -infinity on padding.
    public var scores: [Float]

    /// Wraps results laid out as described above; the counts are not checked.
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
        try checkScoringInputs(queries: queries, rows: rows, threads: threads)
        var out = Matrix(rows: queries.rows, cols: rows.rows)
        let status = queries.values.withUnsafeBufferPointer { q in
            rows.values.withUnsafeBufferPointer { r in
                out.values.withUnsafeMutableBufferPointer { o in
                    rv_score_f32(q.baseAddress, queries.rows, queries.cols, r.baseAddress, rows.rows, rows.cols, rows.cols,
                                 metric.cMetric, o.baseAddress, rows.rows, Int32(threads))
                }
            }
        }
        try check(status, "rv_score_f32")
        return out
    }

    /// The `k` best rows for each query, scored and selected in one pass that never holds the
    /// whole score matrix. `exclude[q]` lists rows query `q` must not return (items already seen).
    /// The corresponding C kernel is `rv_score_topk_f32`.
    public static func topK(queries: Matrix, rows: Matrix, k: Int, metric: Metric,
                            exclude: [[Int32]]? = nil, threads: Int = 0) throws(KernelError) -> TopK {
        try checkScoringInputs(queries: queries, rows: rows, threads: threads)
        try checkK(k, count: rows.rows, name: "rows.rows")
        var offsets: [Int]?
        var excludedIDs: [Int32] = []
        if let exclude {
            guard exclude.count == queries.rows else {
                throw .sizeMismatch(name: "exclude", expected: queries.rows, found: exclude.count)
            }
            var running = [0]
            running.reserveCapacity(exclude.count + 1)
            for (q, ids) in exclude.enumerated() {
                if let j = ids.firstIndex(where: { $0 < 0 || Int($0) >= rows.rows }) {
                    throw .outOfRange(name: "exclude[\(q)]", index: j, value: Int(ids[j]), count: rows.rows)
                }
                excludedIDs.append(contentsOf: ids)
                running.append(excludedIDs.count)
            }
            offsets = running
        }
        var result = TopK(queryCount: queries.rows, k: k, ids: [Int32](repeating: -1, count: queries.rows * k),
                          scores: [Float](repeating: -.infinity, count: queries.rows * k))
        let status = queries.values.withUnsafeBufferPointer { q in
            rows.values.withUnsafeBufferPointer { r in
                excludedIDs.withUnsafeBufferPointer { e in
                    result.ids.withUnsafeMutableBufferPointer { ids in
                        result.scores.withUnsafeMutableBufferPointer { scores in
                            func run(_ offsets: UnsafePointer<Int>?) -> rv_status {
                                rv_score_topk_f32(q.baseAddress, queries.rows, queries.cols, r.baseAddress, rows.rows,
                                                  rows.cols, rows.cols, metric.cMetric, k, offsets, e.baseAddress,
                                                  ids.baseAddress, scores.baseAddress, Int32(threads))
                            }
                            if let offsets { return offsets.withUnsafeBufferPointer { run($0.baseAddress) } }
                            return run(nil)
                        }
                    }
                }
            }
        }
        try check(status, "rv_score_topk_f32")
        return result
    }

    /// Top-`k` selection over precomputed scores (one row of `scores` per query). Infinite scores
    /// rank like any other; NaN is rejected.
    /// The corresponding C kernel is `rv_topk_f32`.
    public static func topK(scores: Matrix, k: Int, threads: Int = 0) throws(KernelError) -> TopK {
        try checkThreads(threads)
        try checkK(k, count: scores.cols, name: "scores.cols")
        if let i = scores.values.firstIndex(where: { $0.isNaN }) {
            throw .nonFinite(name: "scores", index: i, value: scores.values[i])
        }
        var result = TopK(queryCount: scores.rows, k: k, ids: [Int32](repeating: -1, count: scores.rows * k),
                          scores: [Float](repeating: -.infinity, count: scores.rows * k))
        let status = scores.values.withUnsafeBufferPointer { s in
            result.ids.withUnsafeMutableBufferPointer { ids in
                result.scores.withUnsafeMutableBufferPointer { out in
                    rv_topk_f32(s.baseAddress, scores.rows, scores.cols, scores.cols, k, ids.baseAddress, out.baseAddress,
                                Int32(threads))
                }
            }
        }
        try check(status, "rv_topk_f32")
        return result
    }

    /// Scales every row to unit L2 norm in place (zero rows stay zero).
    /// The corresponding C kernel is `rv_normalize_rows_f32`.
    public static func normalizeRows(_ matrix: inout Matrix, threads: Int = 0) throws(KernelError) {
        try checkThreads(threads)
        guard matrix.cols > 0 else { throw .invalidArgument(name: "matrix.cols", value: "0", expected: "> 0") }
        if let i = matrix.firstNonFinite() { throw .nonFinite(name: "matrix", index: i, value: matrix.values[i]) }
        let (rows, cols) = (matrix.rows, matrix.cols)
        let status = matrix.values.withUnsafeMutableBufferPointer { m in
            rv_normalize_rows_f32(m.baseAddress, rows, cols, cols, Int32(threads))
        }
        try check(status, "rv_normalize_rows_f32")
    }

    /// The checks every scoring entry point shares: a positive dimension both sides agree on,
    /// finite values and a valid thread count.
    private static func checkScoringInputs(queries: Matrix, rows: Matrix, threads: Int) throws(KernelError) {
        try checkThreads(threads)
        guard queries.cols > 0 else { throw .invalidArgument(name: "queries.cols", value: "0", expected: "> 0 (the dimension)") }
        guard rows.cols == queries.cols else { throw .sizeMismatch(name: "rows.cols", expected: queries.cols, found: rows.cols) }
        if let i = queries.firstNonFinite() { throw .nonFinite(name: "queries", index: i, value: queries.values[i]) }
        if let i = rows.firstNonFinite() { throw .nonFinite(name: "rows", index: i, value: rows.values[i]) }
    }

    private static func checkK(_ k: Int, count: Int, name: String) throws(KernelError) {
        guard k >= 1 && k <= count else {
            throw .invalidArgument(name: "k", value: "\(k)", expected: count >= 1 ? "1 ... \(count) (\(name))" : "1 ... \(name), but \(name) is 0")
        }
        guard count <= Int(Int32.max) else { throw .invalidArgument(name: name, value: "\(count)", expected: "<= \(Int32.max) (ids are Int32)") }
    }
}

extension Metric {
    var cMetric: rv_metric { self == .dot ? RV_METRIC_DOT : RV_METRIC_COSINE }
}
