/// How a user's vector is built from the items in their history (oldest first). Evaluation and
/// serving use the same rule, so offline numbers describe what the online path does.
///
/// Written as text (`last:N`, `recency:N:DECAY`) in manifests, `method.json` and on the command line.
public enum UserVectorRule: Equatable, Sendable, Codable, CustomStringConvertible {
    /// Mean of the last `count` items' vectors.
    case meanOfLast(Int)
    /// Weighted mean of the last `count` items, the newest weighing 1 and each older one
    /// `decay` times the next newer.
    case recencyWeighted(count: Int, decay: Float)

    /// The rule every entry point starts from (`Defaults.standard.userVectorRule`).
    public static var `default`: UserVectorRule { Defaults.standard.userVectorRule }

    /// `last:N` or `recency:N:DECAY`.
    public var description: String {
        switch self {
        case let .meanOfLast(n): "last:\(n)"
        case let .recencyWeighted(n, d): "recency:\(n):\(d)"
        }
    }

    /// Parses `last:N` (N >= 1) or `recency:N:DECAY` (N >= 1, 0 < DECAY <= 1); nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, parts[0] == "last", let n = Int(parts[1]), n >= 1 {
            self = .meanOfLast(n)
        } else if parts.count == 3, parts[0] == "recency", let n = Int(parts[1]), let d = Float(parts[2]), n >= 1, d > 0, d <= 1 {
            self = .recencyWeighted(count: n, decay: d)
        } else {
            return nil
        }
    }

    /// Decodes the rule from its text form (`last:N` or `recency:N:DECAY`).
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let rule = UserVectorRule(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "user vector rule '\(text)': expected last:N or recency:N:DECAY"))
        }
        self = rule
    }

    /// Encodes the rule as its text form (`description`).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

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
