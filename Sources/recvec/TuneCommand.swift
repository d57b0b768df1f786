import ArgumentParser
import Foundation
import RecVec

/// `recvec tune`: validation-based selection of every family's configuration, within a budget.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune each family on a validation split, refit it and test it once.",
        discussion: """
        The dataset is split by --protocol: leave-last-out holds each user's last event out (equal timestamps ordered by \
        --ties) and splits the training part again the same way (each user's last training event is a validation \
        target); time-cutoff tests on the events at or after --cutoff (default: the 85% time quantile) and validates on \
        the last time slice of the training part (its own 85% time quantile).

        The search gets two thirds of --budget (each family at least its starting configuration); the baselines and \
        the refit follow. A coordinate search (cheap families first, each family an equal share) tries \
        each family's knobs (PPMI+SVD: scoring, popularity bias, window, dimension, directional windows, shift, \
        eigenvalue exponent; Item2Vec: scoring, subsample, window, epochs, negatives, noise exponent, dimension; \
        graph walks: scoring, subsample, neighbours, window, dimension, epochs; Multimodal (content only): the \
        weight of each content modality after the first (MovieLens: release year beside genres); Fused: content \
        weight on the best behaviour family, starting from Multimodal's modality weights), user-vector rules (mean of the last 1...50 items, recency-weighted) and the popularity \
        prior beta (score + beta * log(1 + count)), keeping a change only when validation HR@K rises. The chosen \
        configurations are refitted on the whole training part and evaluated once on test, beside the baselines \
        (EASE's lambda is also chosen on validation). With --trials N the search stops after N evaluations \
        whatever the clock: --seed S --threads 1 --trials N gives the same choice on any machine.

        --dataset basket turns the synthetic workload's sessions into baskets (distinct items, one timestamp, \
        random order) so that leave-last-out holds out a random item of each user's last basket.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "The dataset (basket: the synthetic workload as baskets).") var dataset: TuneDataset = .movielens
    @Option(help: "Folder of the dataset's files (movielens: u.data and u.item).") var path: String?
    @Option(help: "The leak-free split; validation is carved from its training part the same way.") var `protocol`: HoldOutChoice = .leaveLastOut
    @Option(help: "time-cutoff: test on events at or after this time (ISO 8601 date or epoch seconds); default: the 85% time quantile.")
    var cutoff: String?
    @Option(help: "Time budget: seconds (60, 60s, 2m); the search gets two thirds, baselines and refit the rest.") var budget = "60s"
    @Option(help: "Stop after this many validation evaluations (reproducible on any machine).") var trials: Int?
    @Option(help: "Comma-separated families to search, cheapest first, each one of \(Method.tunable.map(\.rawValue).joined(separator: ", ")).",
            transform: methodList("--methods", allowed: Method.tunable))
    var methods: [Method] = Method.tunable
    @Option(help: "Length K of every recommendation list.") var k = 20
    @Option(help: "How events with equal timestamps are ordered (default: item-id; basket: file-order, a random item).")
    var ties: TieRule?

    func validate() throws {
        if dataset == .movielens, path == nil { throw ValidationError("--dataset movielens needs --path DIR (the folder holding u.data and u.item)") }
        guard TuneBudget.seconds(budget) != nil else { throw ValidationError("--budget " + TuneBudget.expected(budget)) }
        if let cutoff {
            guard `protocol` == .timeCutoff else { throw ValidationError("--cutoff needs --protocol time-cutoff") }
            guard Timestamp.parse(cutoff) != nil else {
                throw ValidationError("--cutoff must be an ISO 8601 date (2020-01-02, 2020-01-02T03:04:05Z) or epoch seconds, got '\(cutoff)'")
            }
        }
        if let t = trials, t < 1 { throw ValidationError("--trials must be at least 1, got \(t)") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
    }


    func run() throws {
        let progress = Progress()
        let settings = makeSettings(global: global, model: model)
        let load = try TuneDataset.load(dataset, path: path, workload: workload, seed: global.seed, sessions: settings.sessionRule, progress: progress.line)
        var options = TuneOptions()
        options.budgetSeconds = TuneBudget.seconds(budget)!
        options.maxTrials = trials
        options.families = methods
        options.k = k
        let start = settings.methodConfigs()
        progress.line("tune: starting from \(start.summary)")
        let leakFree: HoldOut = `protocol` == .timeCutoff
            ? .timeCutoff(try cutoff.flatMap(Timestamp.parse) ?? HoldOut.defaultCutoff(load.log)) : .leaveLastOut
        let report = try Tuner.tune(load.log, protocol: leakFree, sessions: load.sessions, content: load.content, start: start,
                                    excludeSeen: load.excludeSeen, ties: ties ?? load.ties, options: options, seed: global.seed,
                                    threads: global.threads, progress: progress.line)
        progress.line("done")
        try TuneOutput.print(report, json: global.json)
    }
}

/// `--budget` of `tune` and `pipeline`: seconds, written 60, 60s or 2m.
enum TuneBudget {
    /// What a budget must be, for an error about `text` ("must be seconds such as ..., got 'text'").
    static func expected(_ text: String) -> String { "must be seconds such as 60, 60s or 2m, got '\(text)'" }

    /// The seconds `text` means, nil when it is not a positive number of seconds or minutes.
    static func seconds(_ text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (number, scale): (Substring, Double) = text.hasSuffix("m") ? (text.dropLast(), 60) : text.hasSuffix("s") ? (text.dropLast(), 1) : (Substring(text), 1)
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        return value * scale
    }
}

extension Method {
    /// The families `recvec tune` searches, cheapest first.
    static let tunable: [Method] = [.content, .ppmiSVD, .item2vec, .walks, .fused]
}

enum TuneDataset: String, ExpressibleByArgument, CaseIterable {
    case movielens, synthetic, basket

    struct Loaded {
        var log: EventLog
        var sessions: SessionRule
        var content: [ContentModality]
        var excludeSeen: Bool
        var ties: TieRule
    }

    static func load(_ dataset: TuneDataset, path: String?, workload: WorkloadOptions, seed: UInt64, sessions: SessionRule,
                     progress: @escaping (String) -> Void) throws -> Loaded {
        switch dataset {
        case .movielens:
            progress("reading MovieLens from \(path!)")
            let data = try MovieLensData(directory: URL(fileURLWithPath: path!))
            return Loaded(log: data.events, sessions: sessions, content: data.content, excludeSeen: true, ties: .itemID)
        case .synthetic:
            let w = try SyntheticWorkload(config: workload.config(seed: seed), progress: progress)
            return Loaded(log: w.events, sessions: .sessionColumn, content: w.content, excludeSeen: false, ties: .itemID)
        case .basket:
            let w = try SyntheticWorkload(config: workload.config(seed: seed), progress: progress)
            return Loaded(log: try w.basketLog(seed: seed), sessions: .sessionColumn, content: w.content, excludeSeen: false, ties: .fileOrder)
        }
    }
}

enum TuneOutput {
    /// "leave-last-out", or "time-cutoff@EPOCH" (the test cutoff).
    static func protocolName(_ leakFree: HoldOut) -> String {
        switch leakFree {
        case .leaveLastOut: "leave-last-out"
        case let .timeCutoff(cutoff): "time-cutoff@\(cutoff)"
        }
    }

    static func print(_ report: TuneReport, json: Bool) throws {
        let pad = Output.pad
        let k = report.k
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "n/a"
        if json {
            func m(_ x: RankingMetrics?) -> Any { x.map { ["recall@\(k)": $0.recall, "ndcg@\(k)": $0.ndcg, "coverage@\(k)": $0.coverage] } ?? NSNull() }
            let object: [String: Any] = [
                "protocol": protocolName(report.holdOut), "ties": report.ties.rawValue, "validation_cases": report.validationCases, "test_cases": report.testCases,
                "search_seconds": report.searchSeconds, "total_seconds": report.totalSeconds, "trials": report.trials.count,
                "budget_exhausted": report.budgetExhausted, "load_average": load,
                "families": report.families.map { ["method": $0.candidate.method.rawValue, "config": $0.candidate.summary, "scoring": $0.scoring,
                                                   "validation": m($0.validation), "test": m($0.test), "warnings": $0.warnings] as [String: Any] },
                "baselines": report.baselines.map { ["method": $0.name, "scoring": $0.scoring, "validation": m($0.validation), "test": m($0.test),
                                                     "skipped": $0.skipped ?? NSNull()] as [String: Any] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            Swift.print(String(decoding: data, as: UTF8.self))
            return
        }
        Swift.print("\(TuneOutput.protocolName(report.holdOut)), ties: \(report.ties.rawValue); \(report.validationCases) validation cases (carved from training), \(report.testCases) test cases")
        Swift.print(String(format: "search %.1f s, %d trials%@; total %.1f s (load average %@)", report.searchSeconds, report.trials.count,
                           report.budgetExhausted ? ", stopped by the budget or --trials" : ", finished", report.totalSeconds, load))
        Swift.print(pad("method", 12) + pad("val HR@\(k)", 11) + pad("test HR@\(k)", 12) + pad("ndcg@\(k)", 10) + pad("cover@\(k)", 10) + "configuration")
        for f in report.families {
            Swift.print(pad(f.candidate.method.tableName, 12) + pad(String(format: "%.4f", f.validation.recall), 11)
                + pad(String(format: "%.4f", f.test.recall), 12) + pad(String(format: "%.4f", f.test.ndcg), 10)
                + pad(String(format: "%.4f", f.test.coverage), 10) + f.candidate.summary + "  [" + f.scoring + "]")
            for w in f.warnings { Swift.print(pad("", 12) + "warning: \(w)") }
        }
        for b in report.baselines {
            if let skipped = b.skipped { Swift.print(pad(b.name, 12) + "skipped: \(skipped)"); continue }
            Swift.print(pad(b.name, 12) + pad(String(format: "%.4f", b.validation?.recall ?? .nan), 11)
                + pad(String(format: "%.4f", b.test?.recall ?? .nan), 12) + pad(String(format: "%.4f", b.test?.ndcg ?? .nan), 10)
                + pad(String(format: "%.4f", b.test?.coverage ?? .nan), 10) + b.scoring)
        }
    }
}
