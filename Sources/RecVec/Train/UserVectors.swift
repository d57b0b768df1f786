/// How a user's vector is built from the items in their history (oldest first). Evaluation and
/// serving use the same rule, so offline numbers describe what the online path does.
public enum UserVectorRule: Equatable, Sendable, Codable {
    /// Mean of the last `count` items' vectors.
    case meanOfLast(Int)
    /// Weighted mean of the last `count` items, the newest weighing 1 and each older one
    /// `decay` times the next newer.
    case recencyWeighted(count: Int, decay: Float)

    public static let `default` = UserVectorRule.meanOfLast(1)

    /// The user vector for `history` (item rows of `items`), or nil when the history is empty.
    public func vector(history: some Collection<Int32>, items: Matrix) -> [Float]? {
        let (count, decay): (Int, Float) = switch self {
        case let .meanOfLast(n): (n, 1)
        case let .recencyWeighted(n, d): (n, d)
        }
        let recent = history.suffix(max(1, count))
        guard !recent.isEmpty else { return nil }
        var sum = [Float](repeating: 0, count: items.cols)
        var weight: Float = 1, total: Float = 0
        for item in recent.reversed() {
            let base = Int(item) * items.cols
            for c in 0 ..< items.cols { sum[c] += weight * items.values[base + c] }
            total += weight
            weight *= decay
        }
        return sum.map { $0 / total }
    }
}
