import Foundation

/// How a method's vectors are used at retrieval: query-side vectors (built into a user vector
/// by `rule`), item-side vectors, and the score.
public struct Retrieval: Sendable {
    /// Query-side vectors, one row per item: a user vector is built from the rows of its history.
    public var queryVectors: Matrix
    /// Item-side vectors, one row per item: what a user vector is scored against.
    public var itemVectors: Matrix
    /// How a user vector scores an item vector.
    public var metric: Metric
    /// How a history becomes one user vector.
    public var rule: UserVectorRule
    /// How the row is labelled, e.g. "cosine input·output".
    public var label: String
    /// beta of the popularity prior: every item's score gains beta * log(1 + training count)
    /// (0 = none). Tuning picks it on validation (`Tuner`).
    public var popularityPrior: Float = 0

    /// A retrieval from its two sides, metric, user-vector rule, label and popularity prior.
    public init(queryVectors: Matrix, itemVectors: Matrix, metric: Metric, rule: UserVectorRule = .default, label: String,
                popularityPrior: Float = 0) {
        self.queryVectors = queryVectors
        self.itemVectors = itemVectors
        self.metric = metric
        self.rule = rule
        self.label = label
        self.popularityPrior = popularityPrior
    }

    /// Query and item sides the same matrix.
    public init(vectors: Matrix, metric: Metric, rule: UserVectorRule = .default) {
        self.init(queryVectors: vectors, itemVectors: vectors, metric: metric, rule: rule, label: metric.rawValue)
    }
}
