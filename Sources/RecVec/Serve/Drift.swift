import Foundation

/// Item-to-item neighbour statistics of one version over a sample of items.
public struct NeighbourStats: Codable, Equatable, Sendable {
    /// Distinct items appearing in the sampled items' top-K lists, over the version's item count.
    public var coverage: Double
    /// Gini coefficient of how often each item appears in those lists (0 = every item equally,
    /// toward 1 = a few hubs take all the exposure): the popularity bias of the neighbours.
    public var exposureGini: Double
}

/// How a new version differs from an old one.
public struct DriftReport: Codable, Equatable, Sendable {
    /// The old version.
    public var from: String
    /// The new version.
    public var to: String
    /// Neighbours per item compared.
    public var k: Int
    /// Items sampled among those present in both versions.
    public var sampled: Int
    /// Mean over sampled items of |top-K in `from` ∩ top-K in `to`| / K (item ids compared).
    public var overlapAtK: Double
    /// Neighbour statistics of the old version.
    public var fromStats: NeighbourStats
    /// Neighbour statistics of the new version.
    public var toStats: NeighbourStats
    /// The evaluation metrics the old version's manifest records.
    public var fromMetrics: [String: Double]
    /// The evaluation metrics the new version's manifest records.
    public var toMetrics: [String: Double]
    /// `to` minus `from`, for the metrics both manifests have.
    public var metricChanges: [String: Double]
}

/// Compares two versions of a store (`recvec drift`).
public enum Drift {
    /// Compares the neighbourhoods of up to `sampleSize` items shared by both versions (a
    /// deterministic sample under `seed`), searched the way serving searches (`nearest`).
    public static func compare(from a: StoreVersion, to b: StoreVersion, k: Int = 10, sampleSize: Int = 1000, seed: UInt64 = 42) throws -> DriftReport {
        guard (1 ... ServeLimits.maxK).contains(k) else {
            throw ServeError.invalidArgument(name: "k", value: "\(k)", expected: "1 ... \(ServeLimits.maxK)")
        }
        guard sampleSize > 0 else { throw ServeError.invalidArgument(name: "sampleSize", value: "\(sampleSize)", expected: "> 0") }
        var shared = a.ids.filter { b.row(of: $0) != nil }
        // Partial Fisher-Yates under SplitMix64: the first `sampleSize` ids.
        var random = SplitMix64(seed: seed)
        let n = min(sampleSize, shared.count)
        for i in 0 ..< n { shared.swapAt(i, i + random.below(shared.count - i)) }
        let sample = Array(shared.prefix(n))

        let listsA = try sample.map { try neighbours(of: $0, in: a, k: k) }
        let listsB = try sample.map { try neighbours(of: $0, in: b, k: k) }
        var overlap = 0.0
        for (x, y) in zip(listsA, listsB) { overlap += Double(Set(x).intersection(y).count) / Double(k) }
        var changes: [String: Double] = [:]
        for (key, value) in b.manifest.metrics { if let old = a.manifest.metrics[key] { changes[key] = value - old } }
        return DriftReport(from: a.name, to: b.name, k: k, sampled: n, overlapAtK: n == 0 ? 0 : overlap / Double(n),
                           fromStats: stats(listsA, version: a), toStats: stats(listsB, version: b),
                           fromMetrics: a.manifest.metrics, toMetrics: b.manifest.metrics, metricChanges: changes)
    }

    /// The `k` nearest other items of `id`, as ids.
    static func neighbours(of id: String, in version: StoreVersion, k: Int) throws -> [String] {
        let row = version.row(of: id)!
        let found = try version.nearest(Array(version.vectors.row(Int(row))), k: min(k + 1, version.count))
        return found.filter { $0.id != row }.prefix(k).map { version.ids[Int($0.id)] }
    }

    static func stats(_ lists: [[String]], version: StoreVersion) -> NeighbourStats {
        var exposure: [String: Int] = [:]
        for list in lists { for id in list { exposure[id, default: 0] += 1 } }
        // Items never shown count as zeros in the Gini coefficient.
        let counts = [Int](repeating: 0, count: version.count - exposure.count) + exposure.values
        return NeighbourStats(coverage: Double(exposure.count) / Double(version.count), exposureGini: RankingMetrics.gini(counts))
    }
}

/// Checks a candidate version against the current one before publish switches to it.
public struct PublishGate: PublishCheck, Codable, Equatable, Sendable {
    /// The manifest metric that must not fall ("recall@20" by default).
    public var recallMetric = "recall@20"
    /// Largest allowed fall of `recallMetric`, absolute (0.02 = two points).
    public var maxRecallDrop = 0.02
    /// The candidate's neighbour coverage must be at least this fraction of the current one's
    /// (a collapse onto a few popular items fails it).
    public var minCoverageRatio = 0.5
    /// Neighbour list length and items sampled for the coverage check.
    public var k = 10
    /// Items sampled for the coverage check.
    public var sampleSize = 500
    /// Refuse a candidate whose own metrics show a collapse (`Guards.collapseReasons`).
    public var refuseCollapse = true

    /// The default gate.
    public init() {}

    /// The reasons to refuse `candidate`; empty = pass.
    public func evaluate(candidate: StoreVersion, current: StoreVersion) throws -> [String] {
        var reasons = refuseCollapse ? Guards.collapseReasons(metrics: candidate.manifest.metrics, recallKey: recallMetric) : []
        if let old = current.manifest.metrics[recallMetric] {
            if let new = candidate.manifest.metrics[recallMetric] {
                if old - new > maxRecallDrop {
                    reasons.append("\(recallMetric) fell from \(old) (\(current.name)) to \(new) (\(candidate.name)), more than the allowed \(maxRecallDrop)")
                }
            } else {
                reasons.append("\(candidate.name) has no \(recallMetric) in its metrics, \(current.name) has \(old)")
            }
        }
        let drift = try Drift.compare(from: current, to: candidate, k: k, sampleSize: sampleSize)
        if drift.toStats.coverage < minCoverageRatio * drift.fromStats.coverage {
            reasons.append("neighbour coverage@\(k) collapsed from \(drift.fromStats.coverage) to \(drift.toStats.coverage) (below \(minCoverageRatio) x; exposure Gini \(drift.fromStats.exposureGini) -> \(drift.toStats.exposureGini))")
        }
        return reasons
    }
}
