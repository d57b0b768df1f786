/// Upper bounds of the serving knobs that come from requests and flags. Every size computed from
/// them (k x candidateFactor, k + 1, ...) stays far from overflow, and a value past a bound is a
/// typed `ServeError.invalidArgument`, never a trap.
public enum ServeLimits {
    /// Largest `k` of a recommendation or a drift comparison (items returned per request or
    /// neighbours per item): 1 ... 1,048,576. A version with fewer items returns them all.
    public static let maxK = 1 << 20
    /// Largest `RecommenderConfig.candidateFactor`: 1 ... 1024.
    public static let maxCandidateFactor = 1 << 10
    /// Largest request `efSearch`: the index's own bound, `HNSWConfig.maxEf`.
    public static var maxEfSearch: Int { HNSWConfig.maxEf }
}
