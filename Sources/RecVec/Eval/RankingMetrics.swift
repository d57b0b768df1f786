import Foundation

/// Next-item metrics over a set of cases, each with one held-out target and a top-K list.
public struct RankingMetrics: Equatable, Sendable, Codable {
    /// The list length every metric is cut at.
    public var k: Int
    /// Cases the metrics average over.
    public var cases: Int
    /// Fraction of cases whose target is in the top K (Recall@K = HR@K with one target).
    public var recall: Double
    /// Mean of 1 / log2(rank + 1) for a hit at 1-based rank, 0 for a miss (one relevant item, so IDCG = 1).
    public var ndcg: Double
    /// Mean reciprocal rank, truncated at K (a miss counts 0).
    public var mrr: Double
    /// Distinct items recommended over all cases / catalog size.
    public var coverage: Double
    /// Mean popularity percentile of the recommended items (1 = the most popular item, 0 = the
    /// least; ties share the mean percentile): how much a method leans on the head.
    public var meanPopularityPercentile: Double
    /// Gini coefficient of how often each catalog item is recommended (0 = evenly, 1 = one item).
    public var gini: Double
    /// Share of the recommended slots given to items with fewer than `Guards.rareCount` training
    /// events (a collapse onto barely trained vectors shows here).
    public var rareShare: Double = 0

    /// Metrics from their values (see each property).
    public init(k: Int, cases: Int, recall: Double, ndcg: Double, mrr: Double, coverage: Double, meanPopularityPercentile: Double,
                gini: Double, rareShare: Double = 0) {
        (self.k, self.cases, self.recall, self.ndcg, self.mrr, self.coverage) = (k, cases, recall, ndcg, mrr, coverage)
        (self.meanPopularityPercentile, self.gini, self.rareShare) = (meanPopularityPercentile, gini, rareShare)
    }
}

extension RankingMetrics {
    /// Percentile of each item's count among all items, in [0, 1], ties averaged.
    public static func popularityPercentiles(_ counts: [Int]) -> [Double] {
        let n = counts.count
        guard n > 1 else { return [Double](repeating: 1, count: n) }
        let order = (0 ..< n).sorted { counts[$0] < counts[$1] }
        var out = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n, counts[order[j + 1]] == counts[order[i]] { j += 1 }
            let p = Double(i + j) / 2 / Double(n - 1)
            for t in i ... j { out[order[t]] = p }
            i = j + 1
        }
        return out
    }

    /// Gini coefficient of non-negative values (sorted ascending: G = Σ (2i - n - 1) x_i / (n Σ x)).
    public static func gini(_ values: [Int]) -> Double {
        let n = values.count, total = values.reduce(0, +)
        guard n > 0, total > 0 else { return 0 }
        let sorted = values.sorted()
        var acc = 0.0
        for (i, x) in sorted.enumerated() { acc += Double(2 * (i + 1) - n - 1) * Double(x) }
        return acc / (Double(n) * Double(total))
    }

    /// Metrics of ranked lists against the held-out targets, O(cases x k + items log items).
    /// - Parameters:
    ///   - lists: `lists[i]` the ranked item indices of case i, best first (only the first `k` count),
    ///     each below `popularity.count`.
    ///   - targets: the held-out item of each case; as many as `lists`.
    ///   - k: the cut-off of every metric.
    ///   - popularity: training counts per item (catalog size = its count).
    /// - Returns: recall (hit rate), NDCG, MRR, coverage, mean popularity percentile, Gini and rare
    ///   share at `k`; every rate is a mean over the cases (0 when there are none).
    public static func evaluate(lists: [[Int32]], targets: [Int32], k: Int, popularity: [Int]) -> RankingMetrics {
        precondition(lists.count == targets.count, "evaluate: \(lists.count) lists for \(targets.count) targets")
        let percentiles = popularityPercentiles(popularity)
        var recommended = [Int](repeating: 0, count: popularity.count)
        var hits = 0.0, dcg = 0.0, rr = 0.0, percentileSum = 0.0, listed = 0
        for (list, target) in zip(lists, targets) {
            for (rank, id) in list.prefix(k).enumerated() {
                recommended[Int(id)] += 1
                percentileSum += percentiles[Int(id)]
                listed += 1
                if id == target {
                    hits += 1
                    dcg += 1 / log2(Double(rank + 2))
                    rr += 1 / Double(rank + 1)
                }
            }
        }
        let n = Double(max(targets.count, 1))
        return RankingMetrics(k: k, cases: targets.count, recall: hits / n, ndcg: dcg / n, mrr: rr / n,
                              coverage: Double(recommended.filter { $0 > 0 }.count) / Double(max(popularity.count, 1)),
                              meanPopularityPercentile: listed > 0 ? percentileSum / Double(listed) : 0,
                              gini: gini(recommended), rareShare: Guards.rareShare(lists: lists.map { Array($0.prefix(k)) }, counts: popularity))
    }
}
