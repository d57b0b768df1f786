import Foundation

/// What `Tuner.tune` may search and for how long.
package struct TuneOptions: Sendable {
    /// Wall-clock budget of the tuning (seconds): the search gets two thirds of it (each family at
    /// least its starting configuration); the baselines and the refit follow in the rest. On a
    /// loaded machine the whole command can overrun it (the baselines and refit are not cut).
    public var budgetSeconds: Double = 60
    /// At most this many validation evaluations (nil: only the budget stops the search), shared
    /// out like the budget (each family an equal part of what is left). With a trial limit the
    /// search stops at the same point on any machine and the clock is not read:
    /// `--seed --threads 1 --trials N` is deterministic.
    public var maxTrials: Int?
    /// Families searched, cheapest first; `fused` uses the best behaviour family as its base.
    /// `content` (content vectors only) has no knob of its own: its search is the user-vector
    /// rule and the popularity prior, so a large beta can bring it to popularity's level when
    /// content alone ranks worse (skipped when the log has no content, like `fused`). It comes
    /// first: its trials are the cheapest (no training), and what it leaves of its share of the
    /// budget or trial limit flows to the families after it.
    public var families: [Method] = [.content, .ppmiSVD, .item2vec, .walks, .fused]
    /// Passes of coordinate search over each family's knobs.
    public var passes = 2
    /// The cut-off of HR@K, the metric the search maximises.
    public var k = 20
    /// EASE ridge strengths tried on validation (the strongest simple baseline gets tuned too).
    public var easeLambdas: [Double] = [50, 150, 500]
    /// Measure every baseline (random, transition, item-kNN, EASE) on validation and test; false
    /// measures popularity only (the guards' bar), as `recvec pipeline` does.
    public var baselines = true

    /// The defaults listed on each property.
    public init() {}
}

/// One configuration a trial measured: the family's settings, the user-vector rule and the
/// popularity prior (beta of `Retrieval.popularityPrior`).
package struct TuneCandidate: Sendable {
    /// The family.
    public var method: Method
    /// Every family's hyperparameters (the family's own are the ones searched).
    public var configs: MethodConfigs
    /// How a history becomes a user vector.
    public var rule: UserVectorRule
    /// beta of `Retrieval.popularityPrior`: every score gains beta * log(1 + training count); 0 = none.
    public var popularityPrior: Float
    /// The knobs that differ from the starting preset, "window=10 subsample=0 ...".
    public var summary: String
}

/// One validation evaluation of the search.
package struct TuneTrial: Sendable {
    /// The family the trial measured.
    public var method: Method
    /// The knobs that differ from the starting preset.
    public var summary: String
    /// HR@K on the validation cases.
    public var validationRecall: Double
    /// Wall-clock seconds of the trial (training and evaluation).
    public var seconds: Double
}

/// A family's chosen configuration with its validation and (after the refit on the whole
/// training part) test metrics.
package struct TunedFamily: Sendable {
    /// The configuration chosen on validation.
    public var candidate: TuneCandidate
    /// Its metrics on the validation cases (trained on the training part less validation).
    public var validation: RankingMetrics
    /// Its metrics on the test cases after the refit on the whole training part.
    public var test: RankingMetrics
    /// How queries and items were scored ("cosine U·U", "dot input·output", ...).
    public var scoring: String
    /// `Guards` warnings on the refitted model, against popularity on the test part.
    public var warnings: [String]
    /// The chosen configuration trained on the whole training part: what `test` measured, and
    /// what `TrainedModel.tuneAndEvaluate` publishes.
    public var refitted: TrainedMethod
}

/// A baseline measured on validation and test (`skipped` when the catalogue is too large).
package struct TunedBaseline: Sendable {
    /// "Popularity", "Random", "Transition", "Item-kNN" or "EASE".
    public var name: String
    /// How the baseline scores (its label; empty when skipped).
    public var scoring: String
    /// Metrics on the validation cases; nil when skipped.
    public var validation: RankingMetrics?
    /// Metrics on the test cases; nil when skipped.
    public var test: RankingMetrics?
    /// Why the baseline was not computed, or nil.
    public var skipped: String?
}

/// What `Tuner.tune` found: each family's choice, the baselines, every trial and the timings.
package struct TuneReport: Sendable {
    /// One entry per family searched, in `TuneOptions.families` order.
    public var families: [TunedFamily]
    /// The baselines, on the same validation and test cases.
    public var baselines: [TunedBaseline]
    /// Every validation evaluation, in the order run.
    public var trials: [TuneTrial]
    /// The budget (or the trial limit) stopped the search before it finished its passes.
    public var budgetExhausted: Bool
    /// Wall-clock seconds of the search.
    public var searchSeconds: Double
    /// Wall-clock seconds of the whole tuning (split, search, baselines, refit).
    public var totalSeconds: Double
    /// How equal timestamps were ordered in both splits.
    public var ties: TieRule
    /// The split of the test part: leave-last-out, or time-cutoff at the test cutoff (the
    /// validation part is then the last time slice of the training part).
    public var holdOut: HoldOut
    /// Number of validation cases carved from the training part.
    public var validationCases: Int
    /// Number of test cases.
    public var testCases: Int
    /// The cut-off of every metric.
    public var k: Int
    /// The split the test figures were measured on (`TrainedModel.tuneAndEvaluate` evaluates the
    /// refitted model on it again, by the training path).
    var split: HoldOutSplit
}

/// Validation-based selection with the test part touched once: the training part of the split is
/// split again by the same protocol (each user's last training event is a validation target), a
/// budgeted coordinate search picks each family's knobs, user-vector rule and popularity prior on
/// validation HR@K, and the chosen configurations are refitted on the whole training part and
/// evaluated once on test, beside the baselines (EASE's lambda also chosen on validation).
package enum Tuner {
    /// Splits `log`, searches each family on validation, refits the choices on the whole
    /// training part and evaluates them and the baselines once on test.
    /// - Parameters:
    ///   - log: the events.
    ///   - leakFree: the protocol of both splits (validation is carved from the training part the
    ///     same way; for time-cutoff at the training part's default cutoff).
    ///   - rule: how events become sessions.
    ///   - content: content modalities for `content` and `fused`.
    ///   - start: the starting configurations (a preset); the search moves one knob at a time from them.
    ///   - excludeSeen: whether a user's earlier items are excluded from the ranking.
    ///   - ties: how equal timestamps are ordered.
    ///   - options: families, budget, trial limit, passes, k.
    ///   - seed: seeds training and the random baseline.
    ///   - threads: threads for training and scoring; 0 = every core.
    ///   - progress: called with one line per step (for stderr).
    /// - Returns: the report; with `options.maxTrials` and one thread, the same on every run.
    /// - Throws: `DataError` when the log cannot be split (no case, time-cutoff without times) and
    ///   the trainers' errors.
    public static func tune(_ log: EventLog, protocol leakFree: HoldOut = .leaveLastOut, sessions rule: SessionRule,
                            content: [ContentModality], start: MethodConfigs, excludeSeen: Bool, ties: TieRule = .default,
                            options: TuneOptions = TuneOptions(), seed: UInt64 = 1, threads: Int = 0,
                            progress: ((String) -> Void)? = nil) throws -> TuneReport {
        let began = Date()
        let split = try EvalCases.holdOut(log, protocol: leakFree, sessions: rule, excludeSeen: excludeSeen, ties: ties)
        let validationProtocol: HoldOut
        switch leakFree {
        case .leaveLastOut: validationProtocol = .leaveLastOut
        case .timeCutoff: validationProtocol = .timeCutoff(try HoldOut.defaultCutoff(split.trainLog))
        }
        let validation = try EvalCases.holdOut(split.trainLog, protocol: validationProtocol, sessions: rule,
                                                    excludeSeen: excludeSeen, ties: ties)
        progress?("tune: \(validation.cases.count) validation cases carved from the training part, \(split.cases.count) test cases")
        // The search gets two thirds of the budget; the baselines (EASE's lambda sweep) and the
        // refit of the chosen configurations follow in the rest (measured, not enforced).
        let searchBegan = Date()
        var searchOptions = options
        searchOptions.budgetSeconds = options.budgetSeconds * 2 / 3
        var search = Search(split: validation, content: content, options: searchOptions, threads: threads, began: searchBegan, progress: progress)
        var chosen: [Method: (TuneCandidate, RankingMetrics)] = [:]
        let families = options.families.filter { $0 != .content || !content.isEmpty }.filter { $0 != .fused || !content.isEmpty }
        for (n, method) in families.enumerated() {
            search.familyDeadline = search.began.addingTimeInterval(
                search.elapsed + (searchOptions.budgetSeconds - search.elapsed) / Double(families.count - n))
            if let limit = options.maxTrials {
                search.familyTrialLimit = search.trials.count + max(1, (limit - search.trials.count) / (families.count - n))
            }
            var startConfigs = start.with(seed: seed)
            if method == .fused {
                let behaviour = chosen.filter { $0.key != .content && $0.key != .fused }.max { $0.value.1.recall < $1.value.1.recall }
                if let (base, (candidate, _)) = behaviour {
                    startConfigs = candidate.configs
                    startConfigs.fusionBase = base
                }
            }
            if let best = try search.family(method, start: startConfigs) { chosen[method] = best }
        }
        let searchSeconds = Date().timeIntervalSince(searchBegan)
        progress?(String(format: "tune: search took %.1f s, %d trials%@", searchSeconds, search.trials.count,
                         search.exhausted ? (options.maxTrials == nil ? " (stopped by the budget)" : " (stopped by the trial limit)") : ""))

        // Baselines on validation (EASE's lambda picked there) and on test.
        var baselines: [TunedBaseline] = []
        let valPop = validation.training.counts(), testPop = split.training.counts()
        func metrics(_ lists: [[Int32]], _ cases: [EvalCase], _ pop: [Int]) -> RankingMetrics {
            RankingMetrics.evaluate(lists: lists, targets: cases.map(\.target), k: options.k, popularity: pop)
        }
        let k = options.k
        baselines.append(TunedBaseline(name: "Popularity", scoring: "training counts",
                                       validation: Evaluator.popularity(validation.cases, k: k, popularity: valPop),
                                       test: Evaluator.popularity(split.cases, k: k, popularity: testPop)))
        if options.baselines {
            baselines.append(TunedBaseline(name: "Random", scoring: "uniform",
                                           validation: Evaluator.random(validation.cases, k: k, popularity: valPop, seed: seed),
                                           test: Evaluator.random(split.cases, k: k, popularity: testPop, seed: seed)))
            for build in [{ (s: HoldOutSplit) throws -> ItemItemModel in try Baselines.transition(sequences: s.sequences, popularity: s.training.counts()) },
                          { (s: HoldOutSplit) throws -> ItemItemModel in Baselines.itemKNN(sequences: s.sequences) }] {
                let v = try build(validation), t = try build(split)
                baselines.append(TunedBaseline(name: v.name, scoring: v.label,
                                               validation: metrics(try v.rankedLists(validation.cases, k: k, threads: threads), validation.cases, valPop),
                                               test: metrics(try t.rankedLists(split.cases, k: k, threads: threads), split.cases, testPop)))
            }
            if log.itemIDs.count > EASEConfig().maxItems {
                baselines.append(TunedBaseline(name: "EASE", scoring: "", skipped: "catalogue too large (\(log.itemIDs.count) items > \(EASEConfig().maxItems))"))
            } else {
                var best: (Double, RankingMetrics)?
                for lambda in options.easeLambdas {
                    guard let model = try Baselines.ease(sequences: validation.sequences, config: EASEConfig(lambda: lambda), threads: threads) else { continue }
                    let m = metrics(try model.rankedLists(validation.cases, k: k, threads: threads), validation.cases, valPop)
                    progress?(String(format: "tune: EASE lambda %g: validation HR@%d %.4f", lambda, k, m.recall))
                    if best == nil || m.recall > best!.1.recall { best = (lambda, m) }
                }
                if let (lambda, m) = best, let model = try Baselines.ease(sequences: split.sequences, config: EASEConfig(lambda: lambda), threads: threads) {
                    baselines.append(TunedBaseline(name: "EASE", scoring: model.label, validation: m,
                                                   test: metrics(try model.rankedLists(split.cases, k: k, threads: threads), split.cases, testPop)))
                }
            }
        }

        // Refit each chosen configuration on the whole training part; evaluate once on test.
        let testPopularity = baselines[0].test!
        var families_: [TunedFamily] = []
        for method in families {
            guard let (candidate, val) = chosen[method] else { continue }
            progress?("tune: refitting \(method.rawValue) on the whole training part")
            var trained: [Method: TrainedMethod] = [:]
            if method == .fused {
                trained[candidate.configs.fusionBase] = try Methods.train(candidate.configs.fusionBase, corpus: split.training, content: content,
                                                                          configs: candidate.configs, threads: threads)
            }
            let model = try Methods.train(method, corpus: split.training, content: content, configs: candidate.configs, threads: threads,
                                          base: trained[candidate.configs.fusionBase])
            let (lists, scoring) = try rank(model, candidate: candidate, cases: split.cases, corpus: split.training, k: k, threads: threads)
            let test = metrics(lists, split.cases, testPop)
            let warnings = Guards.check(method: method.tableName, metrics: test, popularity: testPopularity)
            families_.append(TunedFamily(candidate: candidate, validation: val, test: test, scoring: scoring, warnings: warnings, refitted: model))
        }
        return TuneReport(families: families_, baselines: baselines, trials: search.trials, budgetExhausted: search.exhausted,
                          searchSeconds: searchSeconds, totalSeconds: Date().timeIntervalSince(began), ties: ties, holdOut: leakFree,
                          validationCases: validation.cases.count, testCases: split.cases.count, k: k, split: split)
    }

    /// Ranks `cases` with a trained model under the candidate's rule and prior; behaviour-only
    /// methods cannot rank items without training events, which are excluded for them.
    static func rank(_ model: TrainedMethod, candidate: TuneCandidate, cases: [EvalCase], corpus: Corpus, k: Int,
                     threads: Int) throws -> ([[Int32]], String) {
        var retrieval = model.retrieval
        retrieval.rule = candidate.rule
        retrieval.popularityPrior = candidate.popularityPrior
        let popularity = corpus.counts()
        let scored = Tables.scoredCases(cases, method: model.method, popularity: popularity)
        let lists = try Evaluator.rankedLists(scored, retrieval: retrieval, k: k, popularity: popularity, threads: threads)
        var label = retrieval.label
        if candidate.popularityPrior != 0 { label += String(format: " + %g·log(1+pop)", candidate.popularityPrior) }
        return (lists, label)
    }

    /// One knob of a family: a name, the values tried, and how a value is written into the configs.
    struct Knob {
        var name: String
        var values: [String]
        var apply: (inout MethodConfigs, String) -> Void
    }

    static func knobs(_ method: Method) -> [Knob] {
        func int(_ s: String) -> Int { Int(s)! }
        func dbl(_ s: String) -> Double { Double(s)! }
        switch method {
        case .ppmiSVD:
            return [
                Knob(name: "directional", values: ["false", "true"]) { $0.ppmiSVD.directional = $1 == "true" },
                Knob(name: "scoring", values: ["asymmetric-dot", "cosine"]) { $0.ppmiScoring = RetrievalScoring(rawValue: $1)! },
                Knob(name: "popularity-bias", values: ["true", "false"]) { $0.ppmiPopularityBias = $1 == "true" },
                Knob(name: "window", values: ["1", "2", "5", "10", "19", "40"]) { $0.ppmiSVD.window = int($1) },
                Knob(name: "dimension", values: ["16", "32", "64", "128", "256"]) { $0.ppmiSVD.dimension = int($1) },
                Knob(name: "shift", values: ["1", "2", "5"]) { $0.ppmiSVD.ppmi.shift = dbl($1) },
                Knob(name: "eigenvalue-exponent", values: ["0.5", "0", "1"]) { $0.ppmiSVD.eigenvalueExponent = dbl($1) },
            ]
        case .item2vec:
            return [
                Knob(name: "subsample", values: ["auto", "0", "1e-4", "1e-3", "1e-2"]) {
                    ($0.item2vec.subsample, $0.scaleSubsampleToCatalogue) = $1 == "auto" ? (1e-3, true) : (dbl($1), false)
                },
                Knob(name: "scoring", values: ["asymmetric-dot", "cosine"]) { $0.item2vecScoring = RetrievalScoring(rawValue: $1)! },
                Knob(name: "epochs", values: ["5", "10", "20"]) { $0.item2vec.epochs = int($1) },
                Knob(name: "window", values: ["2", "5", "10", "20"]) { $0.item2vec.window = int($1) },
                Knob(name: "negatives", values: ["5", "10", "20"]) { $0.item2vec.negatives = int($1) },
                Knob(name: "noise-exponent", values: ["0.75", "0.5", "1", "0"]) { $0.item2vec.noiseExponent = dbl($1) },
                Knob(name: "dimension", values: ["16", "32", "64", "128"]) { $0.item2vec.dimension = int($1) },
            ]
        case .walks:
            return [
                Knob(name: "scoring", values: ["asymmetric-dot", "cosine"]) { $0.walksScoring = RetrievalScoring(rawValue: $1)! },
                Knob(name: "subsample", values: ["0", "1e-4", "1e-3", "1e-2"]) { $0.walks.sgns.subsample = dbl($1) },
                Knob(name: "neighbours", values: ["10", "20", "50"]) { $0.walks.neighbours = int($1) },
                Knob(name: "window", values: ["2", "5", "10"]) { $0.walks.sgns.window = int($1) },
                Knob(name: "dimension", values: ["16", "32", "64"]) { $0.walks.sgns.dimension = int($1) },
                Knob(name: "epochs", values: ["5", "10"]) { $0.walks.sgns.epochs = int($1) },
            ]
        case .content:
            return []
        case .fused:
            return [
                Knob(name: "content-weight", values: ["0.1", "0.25", "0.5", "1", "2"]) { $0.fusion.contentWeight = Float(dbl($1)) },
            ]
        }
    }

    /// Scoring-only knobs, applied to an already trained model: user-vector rules and priors.
    static let rules: [UserVectorRule] = [1, 2, 3, 5, 10, 20, 50].map { .meanOfLast($0) }
        + [0.95, 0.9, 0.8, 0.6].map { .recencyWeighted(count: 50, decay: $0) }
    static let priors: [Float] = [0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]

    /// The search state: trials so far and the budget.
    struct Search {
        let split: HoldOutSplit
        let content: [ContentModality]
        let options: TuneOptions
        let threads: Int
        let began: Date
        let progress: ((String) -> Void)?
        var familyDeadline = Date.distantFuture
        /// With `maxTrials`: the trial count at which this family's share ends.
        var familyTrialLimit = Int.max
        var trials: [TuneTrial] = []
        var exhausted = false

        init(split: HoldOutSplit, content: [ContentModality], options: TuneOptions, threads: Int, began: Date, progress: ((String) -> Void)?) {
            (self.split, self.content, self.options, self.threads, self.began, self.progress) = (split, content, options, threads, began, progress)
        }

        var elapsed: Double { Date().timeIntervalSince(began) }

        /// Whether another trial may start: the trial limit, the overall budget, and this family's share.
        mutating func mayStart() -> Bool {
            if let limit = options.maxTrials {
                if trials.count >= min(limit, familyTrialLimit) { exhausted = true; return false }
                return true // a trial limit makes the search reproducible: it alone decides
            }
            if elapsed >= options.budgetSeconds || Date() >= familyDeadline { exhausted = true; return false }
            return true
        }

        mutating func measure(_ model: TrainedMethod, _ candidate: TuneCandidate, trainSeconds: Double) throws -> Double {
            let start = Date()
            let (lists, _) = try Tuner.rank(model, candidate: candidate, cases: split.cases, corpus: split.training, k: options.k, threads: threads)
            let m = RankingMetrics.evaluate(lists: lists, targets: split.cases.map(\.target), k: options.k, popularity: split.training.counts())
            trials.append(TuneTrial(method: candidate.method, summary: candidate.summary, validationRecall: m.recall,
                                    seconds: trainSeconds + Date().timeIntervalSince(start)))
            return m.recall
        }

        /// Coordinate search over one family; returns its best candidate and validation metrics.
        mutating func family(_ method: Method, start: MethodConfigs) throws -> (TuneCandidate, RankingMetrics)? {
            // Every family gets its starting configuration measured, however little time is left,
            // so none is missing from the report; a trial limit is still obeyed.
            if options.maxTrials != nil { guard mayStart() else { return nil } }
            var settings: [String: String] = [:]
            func summary(_ rule: UserVectorRule, _ prior: Float) -> String {
                let knobs = settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }
                let r: String = switch rule {
                case let .meanOfLast(n): "mean-of-last=\(n)"
                case let .recencyWeighted(n, d): "recency=\(n)x\(d)"
                }
                return (knobs + [r, "prior=\(prior)"]).joined(separator: " ")
            }
            func train(_ configs: MethodConfigs) throws -> TrainedMethod {
                var base: TrainedMethod?
                if method == .fused { base = try Methods.train(configs.fusionBase, corpus: split.training, content: content, configs: configs,
                                                     threads: threads) }
                return try Methods.train(method, corpus: split.training, content: content, configs: configs, threads: threads, base: base)
            }
            var best = TuneCandidate(method: method, configs: start, rule: .meanOfLast(5), popularityPrior: 0, summary: "")
            best.summary = summary(best.rule, 0)
            var model = try train(start)
            var bestRecall = try measure(model, best, trainSeconds: model.seconds)
            progress?(String(format: "tune: %@ start: validation HR@%d %.4f", method.rawValue, options.k, bestRecall))
            /// Rules, then priors, on the current model (no retraining).
            func sweepScoring(_ search: inout Search) throws {
                for rule in Tuner.rules where rule != best.rule {
                    guard search.mayStart() else { return }
                    var c = best
                    c.rule = rule
                    c.summary = summary(rule, c.popularityPrior)
                    let r = try search.measure(model, c, trainSeconds: 0)
                    if r > bestRecall { (best, bestRecall) = (c, r) }
                }
                for prior in Tuner.priors where prior != best.popularityPrior {
                    guard search.mayStart() else { return }
                    var c = best
                    c.popularityPrior = prior
                    c.summary = summary(c.rule, prior)
                    let r = try search.measure(model, c, trainSeconds: 0)
                    if r > bestRecall { (best, bestRecall) = (c, r) }
                }
            }
            try sweepScoring(&self)
            for _ in 0 ..< options.passes {
                var improved = false
                for knob in Tuner.knobs(method) {
                    for value in knob.values where value != settings[knob.name] {
                        guard mayStart() else { break }
                        var configs = best.configs
                        knob.apply(&configs, value)
                        if configs == best.configs { settings[knob.name] = value; continue } // the current value: nothing to train
                        let previous = settings[knob.name]
                        settings[knob.name] = value
                        let candidateModel: TrainedMethod
                        do { candidateModel = try train(configs) } catch { settings[knob.name] = previous; continue } // e.g. dimension > catalogue
                        var c = best
                        c.configs = configs
                        c.summary = summary(c.rule, c.popularityPrior)
                        let r = try measure(candidateModel, c, trainSeconds: candidateModel.seconds)
                        if r > bestRecall {
                            (best, bestRecall, model, improved) = (c, r, candidateModel, true)
                            progress?(String(format: "tune: %@ %@=%@: validation HR@%d %.4f", method.rawValue, knob.name, value, options.k, r))
                        } else {
                            settings[knob.name] = previous
                        }
                    }
                }
                try sweepScoring(&self)
                if !improved || exhausted { break }
            }
            let (lists, _) = try Tuner.rank(model, candidate: best, cases: split.cases, corpus: split.training, k: options.k, threads: threads)
            let metrics = RankingMetrics.evaluate(lists: lists, targets: split.cases.map(\.target), k: options.k, popularity: split.training.counts())
            return (best, metrics)
        }
    }
}
