import Foundation

/// The Bayes-optimal next-item predictor of the synthetic model: the ceiling no method can pass.
///
/// Within a session the events are independent draws from one user's distribution, and the user
/// is uniform, so `P(next | prev) ∝ sum_u P(prev | u) P(next | u)`.
extension SyntheticWorkload {
    /// `P(item | user)` of the model, for every item (sums to 1).
    public func itemProbabilities(user u: Int) -> [Float] {
        var weights = [Float](repeating: 0, count: config.items)
        let sum = weights.withUnsafeMutableBufferPointer { out in
            SyntheticWorkload.preferenceWeights(user: u, factors: userFactors.values, dimension: config.dimension,
                                                itemsByDimension: itemFactorsByDimension, items: config.items, into: out.baseAddress!).sum
        }
        let a = Float(config.preferenceShare / sum), b = Float(1 - config.preferenceShare)
        return (0 ..< config.items).map { j in a * weights[j] + b * popularity[j] }
    }

    /// `prevs.count x items`: row `q` is `sum_u P(prevs[q] | u) P(j | u)` for every item `j`,
    /// proportional to `P(next = j | prev = prevs[q])`. Cost `users x items x (dimension + prevs.count)`
    /// multiply-adds, done by the C scoring kernel over blocks of items: for a block, the softmax
    /// terms `S[j, u] = share * exp(item_j . user_u - logZ_u)` (items x users), then
    /// `W S^T` with `W[q, u] = P(prevs[q] | u)`; the popularity part is added in closed form.
    public func nextItemScores(prevs: [Int32]) -> Matrix {
        let (nu, ni, d, m) = (config.users, config.items, config.dimension, prevs.count)
        let share = Float(config.preferenceShare)
        // weights[q, u] = P(prevs[q] | u)
        var weights = Matrix(rows: m, cols: nu)
        var weightSums = [Float](repeating: 0, count: m)
        for (q, p) in prevs.enumerated() {
            for u in 0 ..< nu {
                var s: Float = 0
                for c in 0 ..< d { s += userFactors.values[u * d + c] * itemFactors.values[Int(p) * d + c] }
                let w = share * fastExp(s - logNormalizers[u]) + (1 - share) * popularity[Int(p)]
                weights[q, u] = w
                weightSums[q] += w
            }
        }
        var out = Matrix(rows: m, cols: ni)
        // At most about 4M softmax terms (16 MB) per block.
        let block = max(1, min(ni, (1 << 22) / nu))
        for lo in stride(from: 0, to: ni, by: block) {
            let hi = min(ni, lo + block)
            // The inputs are valid by construction (finite, matching dims), so the kernel cannot refuse them.
            let items = try! Matrix(rows: hi - lo, cols: d, values: Array(itemFactors.values[lo * d ..< hi * d]))
            var soft = try! Kernels.scores(queries: items, rows: userFactors, metric: .dot, threads: config.threads)
            soft.values.withUnsafeMutableBufferPointer { terms in
                logNormalizers.withUnsafeBufferPointer { logZ in
                    for j in 0 ..< hi - lo {
                        for u in 0 ..< nu { terms[j * nu + u] = share * fastExp(terms[j * nu + u] - logZ[u]) }
                    }
                }
            }
            let part = try! Kernels.scores(queries: weights, rows: soft, metric: .dot, threads: config.threads)
            for q in 0 ..< m {
                for j in lo ..< hi { out[q, j] = part[q, j - lo] + (1 - share) * popularity[j] * weightSums[q] }
            }
        }
        return out
    }

    /// Every item (except `prev` when `excludePrevious`), most probable next item first (ties:
    /// lower index first).
    public func bayesRanking(prev: Int32, excludePrevious: Bool = true) -> [Int32] {
        let scores = nextItemScores(prevs: [prev]).values
        return Ranking.top(config.items, of: config.items, where: { !excludePrevious || $0 != Int(prev) }, key: { scores[$0] })
            .map { Int32($0) }
    }

    /// The fraction of `pairs` whose `next` is among the `k` most probable next items of
    /// `prev` (the Bayes ranking): the Recall@k ceiling on those pairs.
    ///
    /// With `excludePrevious` (the seed protocol) `prev` itself is not ranked, so a pair that
    /// repeats its item is always a miss; without it, a repeat counts when `prev` ranks in the
    /// top `k`.
    public func ceilingRecall(pairs: [(prev: Int32, next: Int32)], k: Int, excludePrevious: Bool = true,
                              progress: ((String) -> Void)? = nil) -> Double {
        let both = ceilingRecalls(pairs: pairs, k: k, progress: progress)
        return excludePrevious ? both.excludingPrevious : both.includingPrevious
    }

    /// Both ceilings of `ceilingRecall(pairs:k:excludePrevious:)` from one pass over the model
    /// (whose cost is `users x items x (dimension + 128)` per 128 distinct previous items).
    public func ceilingRecalls(pairs: [(prev: Int32, next: Int32)], k: Int,
                               progress: ((String) -> Void)? = nil) -> (excludingPrevious: Double, includingPrevious: Double) {
        guard !pairs.isEmpty else { return (0, 0) }
        let distinct = Array(Set(pairs.map(\.prev))).sorted()
        var excluding: [Int32: Set<Int32>] = [:], including: [Int32: Set<Int32>] = [:]
        let batch = 128
        for start in stride(from: 0, to: distinct.count, by: batch) {
            let prevs = Array(distinct[start ..< min(distinct.count, start + batch)])
            let scores = nextItemScores(prevs: prevs)
            for (q, p) in prevs.enumerated() {
                let row = scores.values[q * config.items ..< (q + 1) * config.items]
                excluding[p] = Set(SyntheticWorkload.topIndices(row, k: k, excluding: p))
                including[p] = Set(SyntheticWorkload.topIndices(row, k: k, excluding: nil))
            }
            progress?("ceiling: ranked \(min(distinct.count, start + batch)) of \(distinct.count) distinct previous items")
        }
        let hitsExcluding = pairs.reduce(0) { $0 + (excluding[$1.prev]!.contains($1.next) ? 1 : 0) }
        let hitsIncluding = pairs.reduce(0) { $0 + (including[$1.prev]!.contains($1.next) ? 1 : 0) }
        return (Double(hitsExcluding) / Double(pairs.count), Double(hitsIncluding) / Double(pairs.count))
    }

    /// Consecutive `(prev, next)` pairs of the first `sessionCount` sessions (the seed protocol
    /// measures the ceiling on the first 3000).
    public func consecutivePairs(firstSessions sessionCount: Int = 3000) -> [(prev: Int32, next: Int32)] {
        sessions.consecutivePairs(firstSessions: sessionCount)
    }

    /// The `k` largest entries' offsets within `scores` (ties: lower offset), skipping `excluding`.
    static func topIndices(_ scores: ArraySlice<Float>, k: Int, excluding: Int32?) -> [Int32] {
        let start = scores.startIndex
        return Ranking.top(k, of: scores.count, where: { Int32($0) != excluding }, key: { scores[start + $0] }).map { Int32($0) }
    }
}
