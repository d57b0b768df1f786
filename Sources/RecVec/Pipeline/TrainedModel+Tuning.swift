import Foundation

extension TrainedModel {
    /// `recvec pipeline --tune`: `Tuner.tune` on `method` alone (its knobs, user-vector rule and
    /// popularity prior chosen on a validation split carved from the training part, starting from
    /// `settings`), then the chosen configuration refitted on the whole training part and evaluated
    /// once on the held-out part by `trainAndEvaluate`'s code path. The model ranks as evaluated
    /// (rule and prior recorded, so serving ranks the same way); its metrics hold the test figures,
    /// the validation ones as `validation_recall@K`, ... and `popularity_recall@K`; `info.tuning`
    /// says what was chosen (publish copies it into the manifest's configuration).
    /// Deterministic under `settings.seed`, `threads` 1 and `options.maxTrials`.
    package static func tuneAndEvaluate(_ method: Method, on log: EventLog, protocol leakFree: HoldOut,
                                       content: [ContentModality] = [], settings: Defaults = .standard, options: TuneOptions = TuneOptions(),
                                       threads: Int = 0, progress: ((String) -> Void)? = nil) throws
        -> (model: TrainedModel, report: TuneReport, lists: [[String]], metrics: RankingMetrics) {
        var options = options
        options.families = [method]
        options.k = settings.k
        let report = try Tuner.tune(log, protocol: leakFree, sessions: sessionRule(for: log, settings: settings), content: content,
                                    start: settings.methodConfigs(), excludeSeen: settings.excludeSeen, ties: settings.ties,
                                    options: options, seed: settings.seed, threads: threads, progress: progress)
        guard let family = report.families.first(where: { $0.candidate.method == method }) else {
            throw KernelError.invalidArgument(name: "method", value: method.rawValue,
                                              expected: "a family the log allows (content and fused need content vectors)")
        }
        var chosen = settings
        chosen.userVectorRule = family.candidate.rule
        var (model, _, _, lists, metrics) = try evaluateTrained(family.refitted, on: log, split: report.split, leakFree: leakFree,
                                                                settings: chosen, popularityPrior: family.candidate.popularityPrior,
                                                                threads: threads, done: { _ in })
        for (key, value) in family.validation.dictionary where key != "cases" { model.info.metrics?["validation_" + key] = value }
        model.info.metrics?["validation_cases"] = Double(report.validationCases)
        model.info.tuning = [
            "chosen": family.candidate.summary,
            "hyperparameters": family.candidate.configs.summary,
            "search": String(format: "%d trials in %.1f s%@", report.trials.count, report.searchSeconds,
                             report.budgetExhausted ? ", stopped by the budget or the trial limit" : ", finished"),
            "budget": options.maxTrials.map { "\($0) trials" } ?? String(format: "%g s", options.budgetSeconds),
        ]
        return (model, report, lists, metrics)
    }
}
