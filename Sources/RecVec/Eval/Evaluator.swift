import Foundation

/// Ranks evaluation cases with a trained `Retrieval` (or a popularity or random baseline) and
/// scores the lists with `RankingMetrics`: the offline half of the leak-free measurement.
public enum Evaluator {
    /// Ranks the whole catalog for every case (`Kernels.topK` with the case's exclusions, C
    /// kernel `rv_score_topk_f32`), in batches so the score matrix is never held whole. Cases with
    /// the same history and exclusions get the same list, so each distinct query is ranked once
    /// (the seed protocol's 57000 pairs have only as many queries as items).
    /// A case whose history gives no user vector (empty history) gets an empty list.
    public static func evaluate(_ cases: [EvalCase], retrieval: Retrieval, k: Int, popularity: [Int],
                                threads: Int = 0, batch: Int = 2048) throws(KernelError) -> RankingMetrics {
        let lists = try rankedLists(cases, retrieval: retrieval, k: k, popularity: popularity, threads: threads, batch: batch)
        return RankingMetrics.evaluate(lists: lists, targets: cases.map(\.target), k: k, popularity: popularity)
    }

    /// The top-`k` list of every case under `retrieval` (see `evaluate`). With a popularity prior
    /// (`retrieval.popularityPrior` = beta != 0) each item's score gains beta * log(1 + count) from
    /// `popularity`, through `PopularityPrior` (the type serving ranks with too): for a cosine
    /// metric the query and item vectors are normalised first and a column carrying beta (query)
    /// and log(1 + count) (item) is appended, so the same dot-product kernel ranks by cosine + prior.
    public static func rankedLists(_ cases: [EvalCase], retrieval: Retrieval, k: Int, popularity: [Int],
                                   threads: Int = 0, batch: Int = 2048) throws(KernelError) -> [[Int32]] {
        guard retrieval.queryVectors.cols == retrieval.itemVectors.cols else {
            throw .sizeMismatch(name: "queryVectors.cols", expected: retrieval.itemVectors.cols, found: retrieval.queryVectors.cols)
        }
        guard popularity.count == retrieval.itemVectors.rows else {
            throw .sizeMismatch(name: "popularity", expected: retrieval.itemVectors.rows, found: popularity.count)
        }
        let beta = retrieval.popularityPrior
        guard beta != 0 else {
            return try rankedLists(cases, items: retrieval.itemVectors, metric: retrieval.metric, k: k, threads: threads, batch: batch) {
                retrieval.rule.vector(history: $0, items: retrieval.queryVectors)
            }
        }
        let prior = try PopularityPrior(itemVectors: retrieval.itemVectors, metric: retrieval.metric, popularity: popularity,
                                        beta: beta, threads: threads)
        return try rankedLists(cases, items: prior.items, metric: .dot, k: k, threads: threads, batch: batch) { history in
            retrieval.rule.vector(history: history, items: retrieval.queryVectors).map(prior.query)
        }
    }

    /// The batch loop every retrieval shares: `query(history)` gives a case's query vector (nil:
    /// an empty list), scored against `items` by `Kernels.topK` with the case's exclusions.
    static func rankedLists(_ cases: [EvalCase], items: Matrix, metric: Metric, k: Int, threads: Int, batch: Int,
                            query: ([Int32]) -> [Float]?) throws(KernelError) -> [[Int32]] {
        let (queries, queryOf) = distinctQueries(cases)
        var lists = [[Int32]](repeating: [], count: queries.count)
        var start = 0
        while start < queries.count {
            let end = min(start + batch, queries.count)
            var matrix = Matrix(rows: 0, cols: items.cols)
            var rowsOf: [Int] = [], exclude: [[Int32]] = []
            for i in start ..< end {
                guard let v = query(queries[i].history) else { continue }
                try matrix.append(row: v)
                rowsOf.append(i)
                exclude.append(queries[i].exclude)
            }
            if matrix.rows > 0 {
                let top = try Kernels.topK(queries: matrix, rows: items, k: k, metric: metric, exclude: exclude, threads: threads)
                for (q, i) in rowsOf.enumerated() { lists[i] = top.ids(ofQuery: q) }
            }
            start = end
        }
        return queryOf.map { lists[$0] }
    }

    private struct Query: Hashable {
        var history: [Int32]
        var exclude: [Int32]
    }

    /// The distinct (history, exclusions) pairs of `cases`, and each case's index among them.
    private static func distinctQueries(_ cases: [EvalCase]) -> ([Query], [Int]) {
        var index: [Query: Int] = [:], queries: [Query] = [], queryOf: [Int] = []
        queryOf.reserveCapacity(cases.count)
        for c in cases {
            let q = Query(history: c.history, exclude: c.exclude)
            if let i = index[q] { queryOf.append(i); continue }
            index[q] = queries.count
            queryOf.append(queries.count)
            queries.append(q)
        }
        return (queries, queryOf)
    }

    /// Baseline: the most popular training items, minus each case's exclusions.
    public static func popularity(_ cases: [EvalCase], k: Int, popularity: [Int]) -> RankingMetrics {
        let ranked = Ranking.top(popularity.count, of: popularity.count, key: { popularity[$0] })
        var listOf: [[Int32]: [Int32]] = [:]
        let lists = cases.map { c -> [Int32] in
            if let cached = listOf[c.exclude] { return cached }
            let excluded = Set(c.exclude)
            var out: [Int32] = []
            for i in ranked where !excluded.contains(Int32(i)) {
                out.append(Int32(i))
                if out.count == k { break }
            }
            listOf[c.exclude] = out
            return out
        }
        return RankingMetrics.evaluate(lists: lists, targets: cases.map(\.target), k: k, popularity: popularity)
    }

    /// Baseline: `k` distinct items drawn uniformly from the catalog minus the exclusions.
    public static func random(_ cases: [EvalCase], k: Int, popularity: [Int], seed: UInt64) -> RankingMetrics {
        var random = SplitMix64(seed: seed)
        let n = popularity.count
        var taken = [Bool](repeating: false, count: n)
        let lists = cases.map { c -> [Int32] in
            var marked: [Int] = []
            for e in c.exclude where e >= 0 && Int(e) < n && !taken[Int(e)] { taken[Int(e)] = true; marked.append(Int(e)) }
            var out: [Int32] = []
            let wanted = min(k, n - marked.count)
            while out.count < wanted {
                let i = random.below(n)
                if !taken[i] { taken[i] = true; marked.append(i); out.append(Int32(i)) }
            }
            for i in marked { taken[i] = false }
            return out
        }
        return RankingMetrics.evaluate(lists: lists, targets: cases.map(\.target), k: k, popularity: popularity)
    }
}
