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

    /// `prevs.count x items`: row `m` is `sum_u P(prevs[m] | u) P(j | u)` for every item `j`,
    /// proportional to `P(next = j | prev = prevs[m])`. Cost `users x items x (dimension + prevs.count)`,
    /// threaded over blocks of items.
    public func nextItemScores(prevs: [Int32]) -> Matrix {
        let (nu, ni, d, m) = (config.users, config.items, config.dimension, prevs.count)
        let share = Float(config.preferenceShare)
        // weights[u * m + q] = P(prevs[q] | u)
        var weights = [Float](repeating: 0, count: nu * m)
        var weightSums = [Float](repeating: 0, count: m)
        for u in 0 ..< nu {
            for (q, p) in prevs.enumerated() {
                var s: Float = 0
                for c in 0 ..< d { s += userFactors.values[u * d + c] * itemFactors.values[Int(p) * d + c] }
                let w = share * fastExp(s - logNormalizers[u]) + (1 - share) * popularity[Int(p)]
                weights[u * m + q] = w
                weightSums[q] += w
            }
        }
        var out = Matrix(rows: m, cols: ni)
        let chunk = 256
        let chunks = (ni + chunk - 1) / chunk
        let (logZ, itemsT, pop) = (logNormalizers, itemFactorsByDimension, popularity)
        let userBuffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: userFactors.values.count)
        defer { userBuffer.deallocate() }
        _ = userBuffer.initialize(from: userFactors.values)
        let users = UnsafePointer(userBuffer.baseAddress!)
        out.values.withUnsafeMutableBufferPointer { buffer in
            let acc = buffer
            parallelFor(chunks, threads: config.threads) { block in
                let lo = block * chunk, hi = min(ni, lo + chunk), width = hi - lo
                var soft = [Float](repeating: 0, count: width)
                soft.withUnsafeMutableBufferPointer { soft in
                    itemsT.withUnsafeBufferPointer { v in
                        weights.withUnsafeBufferPointer { w in
                            for u in 0 ..< nu {
                                SyntheticWorkload.dotScores(user: users + u * d, dimension: d, itemsByDimension: v.baseAddress!,
                                                            items: ni, range: lo ..< hi, into: soft.baseAddress!)
                                _ = SyntheticWorkload.exponentiate(soft.baseAddress!, count: width, shift: logZ[u])
                                for j in 0 ..< width { soft[j] *= share }
                                for q in 0 ..< m {
                                    SyntheticWorkload.addScaled(soft.baseAddress!, w[u * m + q], into: acc.baseAddress! + q * ni + lo, count: width)
                                }
                            }
                        }
                    }
                }
                for q in 0 ..< m {
                    for j in lo ..< hi { acc[q * ni + j] += (1 - share) * pop[j] * weightSums[q] }
                }
            }
        }
        return out
    }

    /// Every item (except `prev` when `excludePrevious`), most probable next item first (ties:
    /// lower index first).
    public func bayesRanking(prev: Int32, excludePrevious: Bool = true) -> [Int32] {
        let scores = nextItemScores(prevs: [prev]).values
        return (0 ..< Int32(config.items)).filter { !excludePrevious || $0 != prev }.sorted { a, b in
            scores[Int(a)] != scores[Int(b)] ? scores[Int(a)] > scores[Int(b)] : a < b
        }
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
        var pairs: [(prev: Int32, next: Int32)] = []
        for s in 0 ..< min(sessionCount, sessions.sessionCount) {
            let items = sessions.session(s)
            for (a, b) in zip(items, items.dropFirst()) { pairs.append((a, b)) }
        }
        return pairs
    }

    /// The `k` largest entries' offsets within `scores` (ties: lower offset), skipping `excluding`.
    static func topIndices(_ scores: ArraySlice<Float>, k: Int, excluding: Int32?) -> [Int32] {
        var best: [(score: Float, index: Int32)] = []
        best.reserveCapacity(k + 1)
        for (j, s) in zip(scores.indices, scores) {
            let index = Int32(j - scores.startIndex)
            guard index != excluding, best.count < k || s > best[best.count - 1].score else { continue }
            // Insert after every entry with a score >= s: equal scores keep the lower index first.
            var pos = best.count
            while pos > 0 && best[pos - 1].score < s { pos -= 1 }
            best.insert((s, index), at: pos)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.index)
    }
}
