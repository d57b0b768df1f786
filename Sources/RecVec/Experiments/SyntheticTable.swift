import Foundation

/// One row of a results table.
package struct TableRow: Sendable {
    /// The row's label: a method ("PPMI+SVD", "Item2Vec", ...) or baseline ("Popularity", ...).
    public var method: String
    /// The protocol the row was measured under.
    public var evalProtocol: EvalProtocol
    /// Recall, NDCG, MRR, coverage, popularity percentile and Gini at `metrics.k`.
    public var metrics: RankingMetrics
    /// Training and evaluation time of the row's method.
    public var seconds: Double
    /// How queries and items were scored ("cosine U·U", "dot input·output", ...).
    public var scoring: String
    /// Why the row was not computed ("catalogue too large"), or nil for a measured row.
    public var skipped: String?
    /// Guard warnings on this row (`Guards.check`): below popularity, collapsed coverage.
    public var warnings: [String] = []

    /// A measured row (or, with `skipped`, one that was not computed); `warnings` starts empty.
    public init(method: String, evalProtocol: EvalProtocol, metrics: RankingMetrics, seconds: Double, scoring: String, skipped: String? = nil) {
        self.method = method
        self.evalProtocol = evalProtocol
        self.metrics = metrics
        self.seconds = seconds
        self.scoring = scoring
        self.skipped = skipped
    }

    /// The `--json` form: {"method", "protocol", "recall@K", "ndcg@K", "coverage@K", "seconds", ...}.
    public var jsonObject: [String: Any] {
        let k = metrics.k
        if let skipped { return ["method": method, "protocol": evalProtocol.rawValue, "skipped": skipped] }
        return ["method": method, "warnings": warnings, "protocol": evalProtocol.rawValue, "recall@\(k)": metrics.recall, "ndcg@\(k)": metrics.ndcg,
                "coverage@\(k)": metrics.coverage, "mrr@\(k)": metrics.mrr, "popularity_percentile@\(k)": metrics.meanPopularityPercentile,
                "gini@\(k)": metrics.gini, "cases": metrics.cases, "seconds": seconds, "scoring": scoring]
    }
}

/// A results table: rows, plus the ceiling of each protocol where the data's model is known.
package struct ResultsTable: Sendable {
    /// Method rows, then baseline rows, per protocol in the order asked for.
    public var rows: [TableRow] = []
    /// The best Recall@K any model can reach, by protocol (synthetic data only: its distribution is known).
    public var ceilings: [EvalProtocol: Double] = [:]
    /// Remarks printed under the table (generation time, the time-cutoff used, ...).
    public var notes: [String] = []
    /// How equal timestamps were ordered (leak-free protocols; printed in every table header).
    public var ties: TieRule?

    /// An empty table.
    public init() {}
}

/// Results tables: every method beside the baselines, on the synthetic workload or a log.
package enum Tables {
    /// Baselines (popularity and random) on `cases`.
    public static func baselineRows(_ cases: [EvalCase], k: Int, popularity: [Int], evalProtocol: EvalProtocol, seed: UInt64) -> [TableRow] {
        var start = Date()
        let pop = Evaluator.popularity(cases, k: k, popularity: popularity)
        let popRow = TableRow(method: "Popularity", evalProtocol: evalProtocol, metrics: pop, seconds: Date().timeIntervalSince(start), scoring: "training counts")
        start = Date()
        let random = Evaluator.random(cases, k: k, popularity: popularity, seed: seed)
        return [popRow, TableRow(method: "Random", evalProtocol: evalProtocol, metrics: random, seconds: Date().timeIntervalSince(start), scoring: "uniform")]
    }

    /// Every leak-free baseline on `cases`: popularity, random, the first-order transition model,
    /// item-kNN and EASE (a "skipped: catalogue too large" row above `ease.maxItems`), each
    /// built from `split`'s training part only (`popularity` = its counts).
    public static func leakFreeBaselineRows(_ split: HoldOutSplit, cases: [EvalCase], k: Int, evalProtocol: EvalProtocol,
                                            seed: UInt64, ease: EASEConfig = EASEConfig(), threads: Int = 0) throws -> [TableRow] {
        let popularity = split.training.counts()
        var rows = baselineRows(cases, k: k, popularity: popularity, evalProtocol: evalProtocol, seed: seed)
        let targets = cases.map(\.target)
        func row(_ build: () throws -> ItemItemModel?, name: String) throws {
            let start = Date()
            guard let model = try build() else {
                rows.append(TableRow(method: name, evalProtocol: evalProtocol, metrics: RankingMetrics.evaluate(lists: [], targets: [], k: k, popularity: popularity),
                                     seconds: 0, scoring: "", skipped: "catalogue too large (\(popularity.count) items > \(ease.maxItems))"))
                return
            }
            let lists = try model.rankedLists(cases, k: k, threads: threads)
            rows.append(TableRow(method: model.name, evalProtocol: evalProtocol, metrics: RankingMetrics.evaluate(lists: lists, targets: targets, k: k, popularity: popularity),
                                 seconds: Date().timeIntervalSince(start), scoring: model.label))
        }
        try row({ try Baselines.transition(sequences: split.sequences, popularity: popularity) }, name: "Transition")
        try row({ Baselines.itemKNN(sequences: split.sequences) }, name: "Item-kNN")
        try row({ try Baselines.ease(sequences: split.sequences, config: ease, threads: threads) }, name: "EASE")
        return rows
    }

    /// The seed's table on the built-in synthetic workload: generation, every method, baselines,
    /// and the Bayes-optimal ceiling, for each protocol asked for.
    /// - Parameters:
    ///   - config: the workload to draw (users, items, sessions, content dimensions, seed).
    ///   - configs: each method's hyperparameters.
    ///   - protocols: the protocols to measure, one block of rows each.
    ///   - k: the cut-off of every metric.
    ///   - excludePrevious: seed protocol only: the previous item is not ranked. The seed ranked it
    ///     (its ceiling of about 0.45 is reached only that way), so the default keeps it.
    ///   - userRule: leave-last-out and time-cutoff: how a user's history becomes a query.
    ///   - cutoff: time-cutoff only (epoch seconds); nil means `HoldOut.defaultCutoff`.
    ///   - ties: leak-free protocols: how equal timestamps are ordered.
    ///   - threads: threads for training and scoring; 0 = every core.
    ///   - progress: called with one line per step (for stderr).
    /// - Returns: the rows, the ceiling of each protocol and notes (generation time).
    /// - Throws: `DataError` or `KernelError` from generation or training when a configuration
    ///   is out of range.
    public static func synthetic(workload config: SyntheticConfig, configs: MethodConfigs, protocols: [EvalProtocol],
                                 k: Int = 20, excludePrevious: Bool = false, userRule: UserVectorRule = .meanOfLast(50),
                                 cutoff: Int64? = nil, ties: TieRule = .default, threads: Int = 0, progress: ((String) -> Void)? = nil) throws -> ResultsTable {
        var table = ResultsTable()
        var start = Date()
        let workload = try SyntheticWorkload(config: config, progress: progress)
        table.notes.append(String(format: "generation %.3f s", Date().timeIntervalSince(start)))
        for evalProtocol in protocols {
            let corpus: Corpus, cases: [EvalCase], rule: UserVectorRule
            var leakFreeSplit: HoldOutSplit?
            switch evalProtocol {
            case .seedPairs:
                corpus = workload.sessions
                let pairs = EvalCases.consecutivePairs(corpus)
                cases = excludePrevious ? pairs : pairs.map { EvalCase(history: $0.history, target: $0.target, exclude: []) }
                rule = .meanOfLast(1)
                start = Date()
                table.ceilings[.seedPairs] = workload.ceilingRecall(pairs: workload.consecutivePairs(), k: k, excludePrevious: excludePrevious)
                if excludePrevious {
                    table.notes.append("seed-pairs excludes the previous item, so a repeated item is a miss: the ceiling is below the seed's published numbers (PPMI+SVD 0.3354), which only a ranking that keeps the previous item (the default) can reach")
                }
            case .leaveLastOut, .timeCutoff:
                let leakFree: HoldOut = evalProtocol == .leaveLastOut
                    ? .leaveLastOut : .timeCutoff(try cutoff ?? HoldOut.defaultCutoff(workload.events))
                // Repeats are part of this workload (events are independent draws), so seen items stay rankable.
                let split = try EvalCases.holdOut(workload.events, protocol: leakFree, sessions: .sessionColumn, excludeSeen: false, ties: ties)
                leakFreeSplit = split
                table.ties = ties
                corpus = split.training
                cases = split.cases
                rule = userRule
                start = Date()
                table.ceilings[evalProtocol] = oracleRecall(cases, workload: workload, k: k)
            case .coldStart:
                throw KernelError.invalidArgument(name: "protocol", value: evalProtocol.rawValue, expected: "seed-pairs, leave-last-out or time-cutoff for the synthetic table")
            }
            table.notes.append(String(format: "\(evalProtocol.rawValue) ceiling %.3f s", Date().timeIntervalSince(start)))
            table.rows += try methodRows(Method.allCases, corpus: corpus, cases: cases, content: workload.content, cold: [], configs: configs,
                                         k: k, rule: rule, evalProtocol: evalProtocol, threads: threads, progress: progress)
            if let split = leakFreeSplit {
                table.rows += try leakFreeBaselineRows(split, cases: cases, k: k, evalProtocol: evalProtocol, seed: configs.item2vec.seed, threads: threads)
            } else {
                table.rows += baselineRows(cases, k: k, popularity: corpus.counts(), evalProtocol: evalProtocol, seed: configs.item2vec.seed)
            }
        }
        Guards.annotate(&table)
        return table
    }

    /// Recall@k of the oracle that knows each case's user and ranks by the model's `P(item | user)`
    /// (minus the case's exclusions): the leak-free ceiling.
    public static func oracleRecall(_ cases: [EvalCase], workload: SyntheticWorkload, k: Int) -> Double {
        var hits = 0
        for c in cases {
            guard let u = c.user else { continue }
            let p = workload.itemProbabilities(user: u)
            let excluded = Set(c.exclude)
            let target = p[Int(c.target)]
            // The target is in the top k when fewer than k eligible items beat it (ties: lower index first).
            var better = 0
            for (j, x) in p.enumerated() where !excluded.contains(Int32(j)) && (x > target || (x == target && j < Int(c.target))) { better += 1 }
            if !excluded.contains(c.target), better < k { hits += 1 }
        }
        return cases.isEmpty ? 0 : Double(hits) / Double(cases.count)
    }
}
