import Foundation

/// MovieLens 100K as a next-item benchmark: u.data's ratings as an event log (read by
/// `EventLog.load` with `.movieLensUData`) and the 19 genre flags of u.item as the content
/// modality (`ContentLoader.loadMovieLensGenres`).
package struct MovieLensData: Sendable {
    /// Every rating as an event. Dense indices follow the MovieLens ids (user 1 and movie 1 are
    /// index 0), so item `i` is movie `itemIDs[i]` whatever order u.data lists them in.
    public var events: EventLog
    /// The 19 genre flags of each movie (0 or 1), in the dense item order: the content modality.
    public var genres: ContentModality
    /// Number of movies (1682 in MovieLens 100K).
    public var itemCount: Int { events.itemIDs.count }
    /// MovieLens ids of the dense items.
    public var itemIDs: [String] { events.itemIDs.ids }

    /// Lines of u.data skipped as bad (only with `skipBadLines`).
    public var skippedLines: Int

    /// Reads `directory/u.data` and `directory/u.item`. Errors (`DataError`) name the file, line
    /// and value; with `skipBadLines`, bad lines of u.data are counted in `skippedLines` instead.
    public init(directory: URL, skipBadLines: Bool = false) throws(DataError) {
        let dataFile = directory.appendingPathComponent("u.data"), itemFile = directory.appendingPathComponent("u.item")
        var options = EventLoadOptions()
        options.skipBadLines = skipBadLines
        let (log, report) = try EventLog.load(dataFile, columns: .movieLensUData, options: options)
        events = log.withIDsInOrder()
        skippedLines = report.skippedLines
        genres = try ContentLoader.loadMovieLensGenres(itemFile, aligningTo: events.itemIDs)
    }
}

extension Tables {
    /// A leak-free table over `log` for every method, with the baselines of `leakFreeBaselineRows`
    /// (popularity, random, transition, item-kNN, EASE; ties ordered by `ties`): the
    /// methods train on the sessions (`sessions` rule) of the split's training events only, and
    /// are scored on its test targets (see `EvalCases.holdOut`). When `coldFraction > 0`,
    /// cold-start rows follow: a random `coldFraction` of the items lose every training event
    /// (they get vectors from content alone), and only cases whose target is one of them are scored.
    public static func holdOut(_ log: EventLog, protocol leakFree: HoldOut, sessions rule: SessionRule,
                                content: [ContentModality], configs: MethodConfigs, methods: [Method] = Method.allCases,
                                k: Int = 20, userRule: UserVectorRule, excludeSeen: Bool, coldFraction: Double = 0,
                                ties: TieRule = .default, ease: EASEConfig = EASEConfig(),
                                seed: UInt64 = 1, threads: Int = 0, progress: ((String) -> Void)? = nil) throws -> ResultsTable {
        var table = ResultsTable()
        table.ties = ties
        let itemCount = log.itemIDs.count
        let split = try EvalCases.holdOut(log, protocol: leakFree, sessions: rule, excludeSeen: excludeSeen, ties: ties)
        if case let .timeCutoff(cutoff) = leakFree {
            table.notes.append("time-cutoff: trained on the \(split.training.tokens.count) events before \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(cutoff)))) "
                               + "(\(cutoff)), \(split.cases.count) later events are cases")
        }
        let evalProtocol = leakFree.evalProtocol
        table.rows += try methodRows(methods, corpus: split.training, cases: split.cases, content: content, cold: [], configs: configs,
                                     k: k, rule: userRule, evalProtocol: evalProtocol, threads: threads, progress: progress)
        table.rows += try leakFreeBaselineRows(split, cases: split.cases, k: k, evalProtocol: evalProtocol, seed: seed, ease: ease, threads: threads)
        Guards.annotate(&table)
        guard coldFraction > 0 else { return table }
        var random = SplitMix64(seed: seed, stream: 0xC01D)
        var order = Array(0 ..< itemCount)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
        let cold = Set(order.prefix(Int((Double(itemCount) * coldFraction).rounded())))
        let warmSessions = (0 ..< split.training.sessionCount).map { split.training.session($0).filter { !cold.contains(Int($0)) } }
            .filter { !$0.isEmpty }
        let warmCorpus = try Corpus(sessions: warmSessions, vocabularySize: itemCount)
        let coldCases = split.cases.filter { cold.contains(Int($0.target)) }
        table.notes.append("cold-start: \(cold.count) items without events, \(coldCases.count) cases with a cold target")
        table.rows += try methodRows(methods, corpus: warmCorpus, cases: coldCases, content: content, cold: cold, configs: configs,
                                     k: k, rule: userRule, evalProtocol: .coldStart, threads: threads, progress: progress)
        table.rows += baselineRows(coldCases, k: k, popularity: warmCorpus.counts(), evalProtocol: .coldStart, seed: seed)
        return table
    }

    /// Trains and evaluates each method on one protocol's corpus and cases.
    static func methodRows(_ methods: [Method], corpus: Corpus, cases: [EvalCase], content: [ContentModality], cold: Set<Int>,
                           configs: MethodConfigs, k: Int, rule: UserVectorRule, evalProtocol: EvalProtocol, threads: Int,
                           progress: ((String) -> Void)?) throws -> [TableRow] {
        let popularity = corpus.counts()
        var trained: [Method: TrainedMethod] = [:], rows: [TableRow] = []
        for method in methods {
            progress?("\(evalProtocol.rawValue): training \(method.rawValue)")
            let model = try Methods.train(method, corpus: corpus, content: content, cold: cold, configs: configs, threads: threads,
                                          base: method == .fused ? trained[configs.fusionBase] : nil, progress: progress)
            trained[method] = model
            let start = Date()
            var retrieval = model.retrieval
            retrieval.rule = rule
            let metrics = try Evaluator.evaluate(scoredCases(cases, method: method, popularity: popularity), retrieval: retrieval, k: k,
                                                 popularity: popularity, threads: threads)
            rows.append(TableRow(method: method.tableName, evalProtocol: evalProtocol, metrics: metrics,
                                 seconds: model.seconds + Date().timeIntervalSince(start), scoring: model.retrieval.label))
        }
        return rows
    }

    /// `cases` as `method` is scored on them: a behaviour-only method has no vector for an item
    /// without training events (`popularity` 0), so such items are excluded from its ranking and
    /// left out of user vectors (as a served version, which has no row for them, skips them).
    /// The tables and `TrainedModel.trainAndEvaluate` score through this.
    static func scoredCases(_ cases: [EvalCase], method: Method, popularity: [Int]) -> [EvalCase] {
        let untrained = method.needsContent ? [] : (0 ..< popularity.count).filter { popularity[$0] == 0 }.map(Int32.init)
        guard !untrained.isEmpty else { return cases }
        let isUntrained = Set(untrained)
        return cases.map {
            EvalCase(history: $0.history.filter { !isUntrained.contains($0) }, target: $0.target,
                     exclude: Array(Set($0.exclude + untrained)).sorted(), user: $0.user)
        }
    }
}
