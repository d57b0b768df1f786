import ArgumentParser
import Foundation
import RecVec

/// `recvec eval`: a leak-free (leave-last-out or time-cutoff) table for every method on a dataset.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Leak-free next-item table (HR, NDCG, MRR, coverage, popularity bias) for every method beside the baselines.",
        discussion: """
        --protocol leave-last-out holds each user's last event out of training. --protocol time-cutoff trains on the
        events before --cutoff (ISO 8601 date or epoch seconds; default: the time before which 85% of the events fall,
        for MovieLens 100K 1998-03-27T22:07:03Z (891036423), leaving 15% of the ratings at or after it) and makes every later event a case,
        its history being all of its user's earlier events; nothing at or after the cutoff reaches training, counts,
        popularity or the negative-sampling distribution.
        --dataset movielens reads u.data and u.item from --path (MovieLens 100K): each user's ratings in time order,
        sessions cut at --session-gap seconds, genres as the content modality, items already seen excluded, and
        cold-start rows (--cold-fraction of the items lose all their events; only cases whose target is cold count).
        --dataset synthetic draws the built-in workload (repeats allowed, so seen items stay rankable) and prints the
        oracle ceiling.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "movielens or synthetic.") var dataset = "movielens"
    @Option(help: "leave-last-out or time-cutoff.") var `protocol` = "leave-last-out"
    @Option(help: "time-cutoff: train on events before this time (ISO 8601 date or epoch seconds); default: the 85% time quantile.")
    var cutoff: String?
    @Option(help: "Folder of the dataset's files (movielens: u.data and u.item).") var path: String?
    @Option(help: "Comma-separated methods (\(Method.allCases.map(\.rawValue).joined(separator: ", "))).")
    var methods = Method.allCases.map(\.rawValue).joined(separator: ",")
    @Option(help: "Hyperparameters: seed or tuned.") var preset = "tuned"
    @Option(help: "Fraction of items made cold for the cold-start rows (0 = none).") var coldFraction = 0.1
    @Option(help: "MovieLens: a gap longer than this many seconds starts a new session.") var sessionGap: Int64 = 3600
    @Flag(help: "MovieLens: count and skip lines of u.data that do not parse instead of stopping at the first.") var skipBadLines = false
    @OptionGroup var ranking: RankingOptions
    @Option(help: "Also write the split (train.tsv, test.tsv, split.json) to this folder, for Benchmarks/peers/peers_recs.py.")
    var writeSplit: String?

    func validate() throws {
        guard ["movielens", "synthetic"].contains(dataset) else { throw ValidationError("--dataset must be movielens or synthetic, got '\(dataset)'") }
        if dataset == "movielens", path == nil { throw ValidationError("--dataset movielens needs --path DIR (the folder holding u.data and u.item)") }
        guard ["leave-last-out", "time-cutoff"].contains(`protocol`) else {
            throw ValidationError("--protocol must be leave-last-out or time-cutoff, got '\(`protocol`)'")
        }
        if let cutoff {
            guard `protocol` == "time-cutoff" else { throw ValidationError("--cutoff needs --protocol time-cutoff") }
            guard Timestamp.parse(cutoff) != nil else {
                throw ValidationError("--cutoff must be an ISO 8601 date (2020-01-02, 2020-01-02T03:04:05Z) or epoch seconds, got '\(cutoff)'")
            }
        }
        _ = try parsedMethods()
        if writeSplit != nil, dataset != "movielens" { throw ValidationError("--write-split needs --dataset movielens") }
        _ = try Presets.configs(preset, seed: global.seed, threads: global.threads)
        guard (0 ..< 1).contains(coldFraction) else { throw ValidationError("--cold-fraction must be in [0, 1), got \(coldFraction)") }
        guard sessionGap >= 0 else { throw ValidationError("--session-gap must be >= 0 seconds, got \(sessionGap)") }
    }

    func parsedMethods() throws -> [Method] {
        try methods.split(separator: ",").map {
            guard let m = Method(rawValue: $0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--methods: unknown method '\($0)' (expected \(Method.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return m
        }
    }

    func run() throws {
        let progress = Progress()
        let configs = try Presets.configs(preset, seed: global.seed, threads: global.threads, overrides: workload, movieLens: dataset == "movielens")
        let table: ResultsTable
        switch dataset {
        case "movielens":
            progress.line("reading MovieLens from \(path!)")
            let data = try MovieLensData(directory: URL(fileURLWithPath: path!), skipBadLines: skipBadLines)
            if skipBadLines { progress.line("u.data: skipped \(data.skippedLines) bad lines") }
            let leakFree: LeakFreeProtocol = `protocol` == "time-cutoff"
                ? .timeCutoff(try cutoff.flatMap(Timestamp.parse) ?? LeakFreeProtocol.defaultCutoff(data.events)) : .leaveLastOut
            if let writeSplit {
                try EvalProtocols.leakFree(data.events, protocol: leakFree, sessions: .inactivityGap(seconds: sessionGap), excludeSeen: true, ties: ranking.ties)
                    .write(to: URL(fileURLWithPath: writeSplit), excludeSeen: true)
                progress.line("wrote the split to \(writeSplit)")
            }
            table = try Tables.leakFree(data.events, protocol: leakFree, sessions: .inactivityGap(seconds: sessionGap), content: [data.genres],
                                        configs: configs, methods: try parsedMethods(), k: ranking.k,
                                        userRule: ranking.rule(defaultHistory: 5, defaultDecay: 0.8), excludeSeen: true,
                                        coldFraction: coldFraction, ties: ranking.ties, seed: global.seed, threads: global.threads, progress: progress.line)
        default:
            let config = workload.config(seed: global.seed)
            table = try Tables.synthetic(workload: config, configs: configs, protocols: [EvalProtocol(rawValue: `protocol`)!],
                                         k: ranking.k, userRule: ranking.rule(defaultHistory: 50), cutoff: cutoff.flatMap(Timestamp.parse), ties: ranking.ties, threads: global.threads, progress: progress.line)
        }
        progress.line("done")
        try Output.print(table, json: global.json, k: ranking.k)
    }
}
