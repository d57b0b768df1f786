import Foundation

/// Scores with a popularity prior, `score + beta * log(1 + count)`, as one dot product, so that
/// the same C kernels (`rv_score_topk_f32`, `rv_score_f32`) rank by it: the item rows get a column
/// holding log(1 + count) and the query a last component holding beta; for a cosine metric both
/// sides are L2-normalised first (cosine + prior). Evaluation (`Evaluator.rankedLists`) and
/// serving (`Recommender`) both rank through this one type, so a version served with a prior
/// ranks exactly as it was evaluated.
public struct PopularityPrior: Sendable {
    /// beta: how much one unit of log(1 + training count) adds to an item's score.
    public let beta: Float
    /// Whether the underlying metric is cosine (rows and queries normalised before the dot).
    public let cosine: Bool
    /// The item rows, normalised for cosine, with log(1 + count) appended (dimension + 1 columns);
    /// score them with `Metric.dot`.
    public let items: Matrix

    /// Builds the augmented item rows from `itemVectors` and per-row training `popularity`
    /// (`Kernels.normalizeRows`, C kernel `rv_normalize_rows_f32`, for cosine). Throws when the
    /// counts do not match the rows or beta is not finite.
    public init(itemVectors: Matrix, metric: Metric, popularity: [Int], beta: Float, threads: Int = 0) throws(KernelError) {
        guard popularity.count == itemVectors.rows else {
            throw .sizeMismatch(name: "popularity", expected: itemVectors.rows, found: popularity.count)
        }
        guard beta.isFinite else { throw .invalidArgument(name: "popularityPrior", value: "\(beta)", expected: "a finite number") }
        self.beta = beta
        cosine = metric == .cosine
        var rows = itemVectors
        if cosine { try Kernels.normalizeRows(&rows, threads: threads) }
        items = rows.appendingColumn { Float(Foundation.log1p(Double(popularity[$0]))) }
    }

    /// Copies of the augmented item rows `ids`, in that order (a request's candidates).
    public func rows(_ ids: [Int32]) -> Matrix {
        var values: [Float] = []
        values.reserveCapacity(ids.count * items.cols)
        for id in ids { values.append(contentsOf: items.values[Int(id) * items.cols ..< (Int(id) + 1) * items.cols]) }
        return try! Matrix(rows: ids.count, cols: items.cols, values: values) // ids.count x cols values by construction
    }

    /// The query that scores against `items` by dot product: `userVector` (normalised for
    /// cosine; a zero vector stays zero) with beta appended.
    public func query(_ userVector: [Float]) -> [Float] {
        var v = userVector
        if cosine {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { v = v.map { $0 / norm } }
        }
        return v + [beta]
    }
}
