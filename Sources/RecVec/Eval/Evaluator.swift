/// How a method's vectors are used at retrieval: query-side vectors (built into a user vector
/// by `rule`), item-side vectors, and the score.
public struct Retrieval: Sendable {
    public var queryVectors: Matrix
    public var itemVectors: Matrix
    public var metric: Metric
    public var rule: UserVectorRule
    /// How the row is labelled, e.g. "cosine input·output".
    public var label: String

    public init(queryVectors: Matrix, itemVectors: Matrix, metric: Metric, rule: UserVectorRule = .default, label: String) {
        self.queryVectors = queryVectors
        self.itemVectors = itemVectors
        self.metric = metric
        self.rule = rule
        self.label = label
    }

    /// Query and item sides the same matrix.
    public init(vectors: Matrix, metric: Metric, rule: UserVectorRule = .default) {
        self.init(queryVectors: vectors, itemVectors: vectors, metric: metric, rule: rule, label: metric.rawValue)
    }
}

public enum Evaluator {
    /// Ranks the whole catalog for every case (`Kernels.topK` with the case's exclusions, C
    /// kernel `rv_score_topk_f32`), in batches so the score matrix is never held whole.
    /// A case whose history gives no user vector (empty history) gets an empty list.
    public static func evaluate(_ cases: [EvalCase], retrieval: Retrieval, k: Int, popularity: [Int],
                                threads: Int = 0, batch: Int = 2048) throws(KernelError) -> RankingMetrics {
        guard retrieval.queryVectors.cols == retrieval.itemVectors.cols else {
            throw .sizeMismatch(name: "queryVectors.cols", expected: retrieval.itemVectors.cols, found: retrieval.queryVectors.cols)
        }
        guard popularity.count == retrieval.itemVectors.rows else {
            throw .sizeMismatch(name: "popularity", expected: retrieval.itemVectors.rows, found: popularity.count)
        }
        var lists = [[Int32]](repeating: [], count: cases.count)
        var start = 0
        while start < cases.count {
            let end = min(start + batch, cases.count)
            var queries = Matrix(rows: 0, cols: retrieval.itemVectors.cols)
            var rowsOf: [Int] = [], exclude: [[Int32]] = []
            for i in start ..< end {
                guard let v = retrieval.rule.vector(history: cases[i].history, items: retrieval.queryVectors) else { continue }
                try queries.append(row: v)
                rowsOf.append(i)
                exclude.append(cases[i].exclude)
            }
            if queries.rows > 0 {
                let top = try Kernels.topK(queries: queries, rows: retrieval.itemVectors, k: k, metric: retrieval.metric,
                                           exclude: exclude, threads: threads)
                for (q, i) in rowsOf.enumerated() { lists[i] = top.ids(ofQuery: q) }
            }
            start = end
        }
        return Metrics.evaluate(lists: lists, targets: cases.map(\.target), k: k, popularity: popularity)
    }

    /// Baseline: the most popular training items, minus each case's exclusions.
    public static func popularity(_ cases: [EvalCase], k: Int, popularity: [Int]) -> RankingMetrics {
        let ranked = (0 ..< popularity.count).sorted { popularity[$0] > popularity[$1] || (popularity[$0] == popularity[$1] && $0 < $1) }
        let lists = cases.map { c -> [Int32] in
            let excluded = Set(c.exclude)
            var out: [Int32] = []
            for i in ranked where !excluded.contains(Int32(i)) {
                out.append(Int32(i))
                if out.count == k { break }
            }
            return out
        }
        return Metrics.evaluate(lists: lists, targets: cases.map(\.target), k: k, popularity: popularity)
    }

    /// Baseline: `k` distinct items drawn uniformly from the catalog minus the exclusions.
    public static func random(_ cases: [EvalCase], k: Int, popularity: [Int], seed: UInt64) -> RankingMetrics {
        var random = SplitMix64(seed: seed)
        let n = popularity.count
        let lists = cases.map { c -> [Int32] in
            let excluded = Set(c.exclude)
            var picked = Set<Int32>(), out: [Int32] = []
            let available = n - excluded.filter { $0 >= 0 && Int($0) < n }.count
            while out.count < min(k, available) {
                let i = Int32(random.below(n))
                if !excluded.contains(i), picked.insert(i).inserted { out.append(i) }
            }
            return out
        }
        return Metrics.evaluate(lists: lists, targets: cases.map(\.target), k: k, popularity: popularity)
    }
}
