import RecVec

/// Plain-Swift twins of the scoring and top-K kernels: a double loop and a sort, written for
/// clarity. Dot products and norms accumulate in Double, so the twin is close to the exact
/// value and the tests can bound the C kernels' float error against it.
public enum ScoringTwin {
    /// Dot product of two equally long vectors, in Double.
    public static func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) { sum += Double(x) * Double(y) }
        return sum
    }

    /// The score of one query against one row: the dot product, or the cosine (0 where a norm is 0).
    public static func score(_ query: ArraySlice<Float>, _ row: ArraySlice<Float>, metric: Metric) -> Float {
        let d = dot(query, row)
        switch metric {
        case .dot:
            return Float(d)
        case .cosine:
            let norms = dot(query, query).squareRoot() * dot(row, row).squareRoot()
            return norms == 0 ? 0 : Float(d / norms)
        }
    }

    /// Twin of `Kernels.scores`: every query against every row.
    public static func scores(queries: Matrix, rows: Matrix, metric: Metric) -> Matrix {
        var out = Matrix(rows: queries.rows, cols: rows.rows)
        for q in 0 ..< queries.rows {
            let query = queries.values[q * queries.cols ..< (q + 1) * queries.cols]
            for r in 0 ..< rows.rows {
                out[q, r] = score(query, rows.values[r * rows.cols ..< (r + 1) * rows.cols], metric: metric)
            }
        }
        return out
    }

    /// Twin of `Kernels.topK(queries:rows:k:metric:exclude:threads:)`: scores, then sorts.
    public static func topK(queries: Matrix, rows: Matrix, k: Int, metric: Metric, exclude: [[Int32]]? = nil) -> TopK {
        topK(scores: scores(queries: queries, rows: rows, metric: metric), k: k, exclude: exclude)
    }

    /// Twin of `Kernels.topK(scores:k:threads:)`, with exclusions: per query, every eligible
    /// column sorted by score (higher first, then lower index), the first `k` kept, the rest of
    /// the `k` slots padded with id -1 and score -infinity. NaN scores are never eligible.
    public static func topK(scores: Matrix, k: Int, exclude: [[Int32]]? = nil) -> TopK {
        var result = TopK(queryCount: scores.rows, k: k, ids: [], scores: [])
        for q in 0 ..< scores.rows {
            let excluded = Set(exclude?[q] ?? [])
            let eligible = (0 ..< scores.cols).filter { !excluded.contains(Int32($0)) && !scores[q, $0].isNaN }
            let best = eligible.sorted { a, b in
                scores[q, a] != scores[q, b] ? scores[q, a] > scores[q, b] : a < b
            }.prefix(k)
            result.ids += best.map { Int32($0) } + Array(repeating: -1, count: k - best.count)
            result.scores += best.map { scores[q, $0] } + Array(repeating: -Float.infinity, count: k - best.count)
        }
        return result
    }

    /// Twin of `Kernels.normalizeRows`: each row divided by its norm (zero rows stay zero).
    public static func normalizeRows(_ matrix: Matrix) -> Matrix {
        var out = matrix
        for r in 0 ..< matrix.rows {
            let row = matrix.values[r * matrix.cols ..< (r + 1) * matrix.cols]
            let norm = dot(row, row).squareRoot()
            guard norm > 0 else { continue }
            for c in 0 ..< matrix.cols { out[r, c] = Float(Double(matrix[r, c]) / norm) }
        }
        return out
    }
}
