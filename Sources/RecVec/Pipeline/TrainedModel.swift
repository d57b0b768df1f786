import Foundation

/// What `recvec train` writes as `method.json` beside the vectors: everything `publish --from`
/// and `eval --vectors` need, so that no flag repeats what training knew.
public struct ModelInfo: Codable, Equatable, Sendable {
    /// The method trained.
    public var method: Method
    /// `cosine` (one matrix both sides) or `asymmetric-dot` (query side vs item side).
    public var scoring: RetrievalScoring
    /// How the rows score, in words ("dot U·V + log popularity").
    public var label: String
    /// How rows score against a user vector (dot or cosine).
    public var metric: Metric
    /// How a history becomes a user vector, as evaluated (the recommender's default).
    public var userVectorRule: UserVectorRule
    /// beta of the popularity prior it was evaluated with (score + beta * log(1 + count));
    /// nil (older method.json files, or none) means 0.
    public var popularityPrior: Float?
    /// The settings the model was trained under (seed, preset, rule, session gap, k, ties).
    public var settings: Defaults
    /// Number of rows (items with a vector).
    public var items: Int
    /// Vector dimension.
    public var dimension: Int
    /// Wall-clock seconds of training.
    public var trainingSeconds: Double
    /// The leak-free protocol the model was trained under and evaluated on ("leave-last-out",
    /// "time-cutoff@EPOCH"); nil when it was trained on the whole log.
    public var evaluation: String?
    /// Held-out metrics ("recall@20", "ndcg@20", ...) when it was evaluated.
    public var metrics: [String: Double]?
    /// XXH64 of the events file it was trained from, when known.
    public var inputFingerprint: String?
    /// What validation-based tuning chose (`tuneAndEvaluate`): "chosen" (the knobs that differ
    /// from the start, the rule and the prior), "hyperparameters" (every family's settings as
    /// tuned), "search" and "budget"; nil when the model was not tuned. Publish copies it into
    /// the manifest's configuration as "tuning.chosen", ...
    public var tuning: [String: String]?
}

/// One trained method ready to publish: the rows it can rank (items with training events, for a
/// behaviour-only method; every item for `content` and `fused`), their ids, training counts and
/// what `ModelInfo` records.
public struct TrainedModel: Sendable {
    /// What `method.json` records.
    public var info: ModelInfo
    /// Query- and item-side vectors over `ids`, with the user-vector rule evaluation used.
    public var retrieval: Retrieval
    /// External item ids in row order.
    public var ids: [String]
    /// Training events per row: the serving fallback, and what a publish stores as `popularity.rvv`.
    public var popularity: [Int]

    /// Wraps trained parts as given. The counts are not checked here; `read(from:)` and
    /// `EmbeddingStore.publish` refuse parts without one row per id.
    public init(info: ModelInfo, retrieval: Retrieval, ids: [String], popularity: [Int]) {
        self.info = info
        self.retrieval = retrieval
        self.ids = ids
        self.popularity = popularity
    }

    /// The session rule for `log`: its session column when it has one, else `settings`' gap.
    public static func sessionRule(for log: EventLog, settings: Defaults) -> SessionRule {
        log.sessions != nil ? .sessionColumn : settings.sessionRule
    }

    /// Trains `method` on every event of `log` (no held-out part, no metrics).
    public static func train(_ method: Method, on log: EventLog, content: [ContentModality] = [], settings: Defaults = .standard,
                             threads: Int = 0, progress: ((String) -> Void)? = nil) throws -> TrainedModel {
        let corpus = try log.corpus(rule: sessionRule(for: log, settings: settings))
        let trained = try Methods.train(method, corpus: corpus, content: content, configs: settings.methodConfigs(), threads: threads, progress: progress)
        return make(trained, itemIDs: log.itemIDs.ids, counts: corpus.counts(), settings: settings, evaluation: nil, metrics: nil)
    }

    /// Splits `log` by `leakFree`, trains `method` on the training part only and scores it on the
    /// held-out cases by the code path of the eval tables (`Tables.scoredCases`, `Evaluator`), so
    /// its metrics are the table's row for the method. Returns the model (rows: what it can rank),
    /// the split, the cases as scored (indices into `log`'s items), each case's ranked list (item
    /// ids) and the metrics. `popularityPrior` (beta) ranks by score + beta * log(1 + training
    /// count), and is recorded so that serving ranks the same way.
    public static func trainAndEvaluate(_ method: Method, on log: EventLog, protocol leakFree: HoldOut,
                                        content: [ContentModality] = [], settings: Defaults = .standard, popularityPrior: Float = 0,
                                        threads: Int = 0,
                                        progress: ((String) -> Void)? = nil, stageDone: ((_ stage: String, _ seconds: Double) -> Void)? = nil) throws
        -> (model: TrainedModel, split: HoldOutSplit, scoredCases: [EvalCase], lists: [[String]], metrics: RankingMetrics) {
        var start = Date()
        func done(_ stage: String) {
            stageDone?(stage, Date().timeIntervalSince(start))
            start = Date()
        }
        let split = try EvalCases.holdOut(log, protocol: leakFree, sessions: sessionRule(for: log, settings: settings),
                                               excludeSeen: settings.excludeSeen, ties: settings.ties)
        done("split")
        let trained = try Methods.train(method, corpus: split.training, content: content, configs: settings.methodConfigs(), threads: threads,
                                        progress: progress)
        done("train")
        return try evaluateTrained(trained, on: log, split: split, leakFree: leakFree, settings: settings, popularityPrior: popularityPrior,
                                   threads: threads, done: done)
    }

    /// The evaluation half of `trainAndEvaluate`, for a method already trained on `split`'s
    /// training part (`Tuner`'s refit, in `tuneAndEvaluate`).
    static func evaluateTrained(_ trained: TrainedMethod, on log: EventLog, split: HoldOutSplit, leakFree: HoldOut,
                                settings: Defaults, popularityPrior: Float, threads: Int, done: (String) -> Void) throws
        -> (model: TrainedModel, split: HoldOutSplit, scoredCases: [EvalCase], lists: [[String]], metrics: RankingMetrics) {
        let method = trained.method
        var retrieval = trained.retrieval
        retrieval.rule = settings.userVectorRule
        retrieval.popularityPrior = popularityPrior
        let counts = split.training.counts()
        let cases = Tables.scoredCases(split.cases, method: method, popularity: counts)
        // Evaluator.evaluate, unrolled to keep the lists: the parity test checks serving against them.
        let lists = try Evaluator.rankedLists(cases, retrieval: retrieval, k: settings.k, popularity: counts, threads: threads)
        let metrics = RankingMetrics.evaluate(lists: lists, targets: cases.map(\.target), k: settings.k, popularity: counts)
        let evaluation = switch leakFree {
        case .leaveLastOut: "leave-last-out"
        case let .timeCutoff(cutoff): "time-cutoff@\(cutoff)"
        }
        // Popularity on the same cases beside the model's own recall: the publish gate's collapse check (`Guards`).
        var stored = metrics.dictionary
        stored[Guards.popularityRecallKey(k: settings.k)] = Evaluator.popularity(cases, k: settings.k, popularity: counts).recall
        let model = make(trained, itemIDs: log.itemIDs.ids, counts: counts, settings: settings, popularityPrior: popularityPrior,
                         evaluation: evaluation, metrics: stored)
        let ids = log.itemIDs.ids
        done("evaluate")
        return (model, split, cases, lists.map { $0.map { ids[Int($0)] } }, metrics)
    }

    /// Keeps the rows the method can rank and records how they score.
    static func make(_ trained: TrainedMethod, itemIDs: [String], counts: [Int], settings: Defaults, popularityPrior: Float = 0,
                     evaluation: String?, metrics: [String: Double]?) -> TrainedModel {
        let r = trained.retrieval
        let keep = trained.method.needsContent ? Array(counts.indices) : counts.indices.filter { counts[$0] > 0 }
        let retrieval = Retrieval(queryVectors: r.queryVectors.selectingRows(keep), itemVectors: r.itemVectors.selectingRows(keep),
                                  metric: r.metric, rule: settings.userVectorRule, label: r.label, popularityPrior: popularityPrior)
        let info = ModelInfo(method: trained.method, scoring: r.metric == .cosine ? .cosine : .asymmetricDot, label: r.label, metric: r.metric,
                             userVectorRule: settings.userVectorRule, popularityPrior: popularityPrior == 0 ? nil : popularityPrior,
                             settings: settings, items: keep.count, dimension: r.itemVectors.cols,
                             trainingSeconds: trained.seconds, evaluation: evaluation, metrics: metrics)
        return TrainedModel(info: info, retrieval: retrieval, ids: keep.map { itemIDs[$0] }, popularity: keep.map { counts[$0] })
    }

    /// Evaluates rows that already exist (`retrieval` over `ids`, from `train --out` or a store
    /// version) on the held-out part of `log`, by the same split and `Evaluator` as training's
    /// evaluation: histories keep the items the rows know (in order), exclusions likewise, and a
    /// target without a row is a miss. Recall, NDCG and MRR equal those `trainAndEvaluate`
    /// reported for the same model and split; coverage and popularity percentile are taken over
    /// these rows. Returns the metrics and how many cases had a target without a row.
    public static func evaluate(_ retrieval: Retrieval, ids: [String], on log: EventLog, protocol leakFree: HoldOut,
                                settings: Defaults = .standard, threads: Int = 0) throws -> (metrics: RankingMetrics, unknownTargets: Int) {
        let split = try EvalCases.holdOut(log, protocol: leakFree, sessions: sessionRule(for: log, settings: settings),
                                               excludeSeen: settings.excludeSeen, ties: settings.ties)
        var rowOfID: [String: Int32] = [:]
        for (row, id) in ids.enumerated() { rowOfID[id] = Int32(row) }
        let rowOf = log.itemIDs.ids.map { rowOfID[$0] }
        let counts = split.training.counts()
        var popularity = [Int](repeating: 0, count: ids.count)
        for (item, row) in rowOf.enumerated() { if let row { popularity[Int(row)] = counts[item] } }
        var unknownTargets = 0
        let cases = split.cases.map { c -> EvalCase in
            let target = rowOf[Int(c.target)]
            if target == nil { unknownTargets += 1 }
            return EvalCase(history: c.history.compactMap { rowOf[Int($0)] }, target: target ?? -1,
                            exclude: c.exclude.compactMap { rowOf[Int($0)] }.sorted(), user: c.user)
        }
        var scored = retrieval
        scored.rule = settings.userVectorRule // the prior stays `retrieval`'s (a store version's manifest, method.json)
        return (try Evaluator.evaluate(cases, retrieval: scored, k: settings.k, popularity: popularity, threads: threads), unknownTargets)
    }

    /// What `EmbeddingStore.publish` takes: item vectors, query vectors when they differ, ids,
    /// training counts, scoring, rule, settings and the held-out metrics.
    public func publishInput(index: HNSWConfig? = HNSWConfig(), inputFingerprint: String? = nil) -> PublishInput {
        var configuration = ["label": info.label, "hyperparameters": info.tuning?["hyperparameters"] ?? info.settings.methodConfigs().summary]
        if let evaluation = info.evaluation { configuration["evaluation"] = evaluation }
        for (key, value) in info.tuning ?? [:] where key != "hyperparameters" { configuration["tuning." + key] = value }
        var input = PublishInput(vectors: retrieval.itemVectors, ids: ids, method: info.method.rawValue,
                                 configuration: configuration,
                                 metrics: info.metrics ?? [:], inputFingerprint: inputFingerprint ?? info.inputFingerprint,
                                 metric: info.metric, index: index.map { var c = $0; c.metric = info.metric; return c })
        if retrieval.queryVectors != retrieval.itemVectors { input.queryVectors = retrieval.queryVectors }
        input.scoring = info.scoring
        input.userVectorRule = info.userVectorRule
        input.popularity = popularity
        input.popularityPrior = info.popularityPrior
        input.defaults = info.settings
        return input
    }
}

extension RankingMetrics {
    /// "recall@K", "ndcg@K", "mrr@K", "coverage@K", "popularity_percentile@K", "gini@K", "cases":
    /// the keys manifests, `method.json` and the publish gate use.
    public var dictionary: [String: Double] {
        ["recall@\(k)": recall, "ndcg@\(k)": ndcg, "mrr@\(k)": mrr, "coverage@\(k)": coverage,
         "popularity_percentile@\(k)": meanPopularityPercentile, "gini@\(k)": gini, "cases": Double(cases)]
    }
}

extension Matrix {
    /// The rows at `indices`, in that order.
    func selectingRows(_ indices: [Int]) -> Matrix {
        if indices.count == rows && indices.elementsEqual(0 ..< rows) { return self }
        var values = [Float]()
        values.reserveCapacity(indices.count * cols)
        for r in indices { values.append(contentsOf: self.values[r * cols ..< (r + 1) * cols]) }
        return try! Matrix(rows: indices.count, cols: cols, values: values) // indices.count x cols values by construction
    }
}
