import ArgumentParser
import Foundation
import RecVec

/// `recvec eval`: a leak-free (leave-last-out or time-cutoff) table for every method on a dataset.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Leak-free next-item table for every method, beside the baselines.",
        discussion: """
        The table reports HR, NDCG, MRR, coverage and popularity bias at K for every method and baseline.

        --protocol leave-last-out holds each user's last event out of training. --protocol time-cutoff trains on the \
        events before --cutoff (ISO 8601 date or epoch seconds; default: the time before which 85% of the events fall, \
        for MovieLens 100K 1998-03-27T22:07:03Z (891036423), leaving 15% of the ratings at or after it) and makes every \
        later event a case, its history being all of its user's earlier events; nothing at or after the cutoff reaches \
        training, counts, popularity or the negative-sampling distribution.

        --dataset movielens reads u.data and u.item from --path (MovieLens 100K): each user's ratings in time order, \
        sessions cut at --session-gap seconds, genres as the content modality, items already seen excluded, and \
        cold-start rows (--cold-fraction of the items lose all their events; only cases whose target is cold count). \
        --dataset synthetic draws the built-in workload (repeats allowed, so seen items stay rankable) and prints the \
        oracle ceiling.

        --events FILE reads any events log (CSV, TSV, JSON Lines, sessions; see `recvec inspect`) and makes the same \
        table for every method its content allows (content and fused need --content or a MovieLens preset). Item ids \
        are put in id order first, so a file and its reordering (or u.data and the same ratings as CSV) give the same \
        numbers.

        --vectors DIR (what `recvec train --out` wrote) or --store S [--version V] evaluates vectors that already exist \
        on the held-out part of --events FILE, by the split and scoring the model was trained under (its method.json or \
        manifest): the same code path as training's evaluation.

        The settings used (seed, preset, user-vector rule, session gap, k, ties) head every table.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var events: EventInputOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "A built-in dataset, when neither --events nor --vectors/--store is given (default: movielens).") var dataset: DatasetChoice?
    @Option(help: "The leak-free split.") var `protocol`: HoldOutChoice = .leaveLastOut
    @Option(help: "time-cutoff: train on events before this time (ISO 8601 date or epoch seconds); default: the 85% time quantile.")
    var cutoff: String?
    @Option(help: "Folder of the dataset's files (movielens: u.data and u.item).") var path: String?
    @Option(help: "Comma-separated methods, each one of \(Method.allCases.map(\.rawValue).joined(separator: ", ")) (default: every method the content allows).",
            transform: methodList("--methods"))
    var methods: [Method]?
    @Option(help: "Fraction of items made cold for the cold-start rows (0 = none; default 0.1 when the log has content, else 0).") var coldFraction: Double?
    @Option(help: "Evaluate the vectors `recvec train --out` wrote in this folder (needs --events).") var vectors: String?
    @Option(help: "Evaluate a store's version (needs --events).") var store: String?
    @Option(help: "With --store: the version (default: the current one).") var version: String?
    @OptionGroup var ranking: RankingOptions
    @Option(help: "Also write the split (train.tsv, test.tsv, split.json) to this folder, for Benchmarks/peers/peers_recs.py.")
    var writeSplit: String?

    func validate() throws {
        if let dataset {
            guard events.events == nil else { throw ValidationError("give --dataset or --events, not both") }
        }
        if dataset ?? (events.events == nil ? .movielens : nil) == .movielens, path == nil {
            throw ValidationError("--dataset movielens needs --path DIR (the folder holding u.data and u.item)")
        }
        if vectors != nil || store != nil {
            guard (vectors == nil) != (store == nil) else { throw ValidationError("give --vectors DIR or --store S, not both") }
            guard events.events != nil else { throw ValidationError("\(vectors != nil ? "--vectors" : "--store") needs --events FILE: the log whose held-out part is scored") }
        }
        if version != nil, store == nil { throw ValidationError("--version needs --store") }
        if let cutoff {
            guard `protocol` == .timeCutoff else { throw ValidationError("--cutoff needs --protocol time-cutoff") }
            guard Timestamp.parse(cutoff) != nil else {
                throw ValidationError("--cutoff must be an ISO 8601 date (2020-01-02, 2020-01-02T03:04:05Z) or epoch seconds, got '\(cutoff)'")
            }
        }
        if writeSplit != nil, dataset == .synthetic || vectors != nil || store != nil {
            throw ValidationError("--write-split needs MovieLens (--path) or --events, and no --vectors/--store")
        }
        if let coldFraction { guard (0 ..< 1).contains(coldFraction) else { throw ValidationError("--cold-fraction must be in [0, 1), got \(coldFraction)") } }
    }

    /// The protocol for `log`: the cutoff given, or the 85% time quantile.
    func holdOut(_ log: EventLog) throws -> HoldOut {
        `protocol` == .timeCutoff ? .timeCutoff(try cutoff.flatMap(Timestamp.parse) ?? HoldOut.defaultCutoff(log)) : .leaveLastOut
    }

    func run() throws {
        let progress = Progress()
        var settings = makeSettings(global: global, model: model, ranking: ranking)
        let table: ResultsTable
        if vectors != nil || store != nil {
            (table, settings) = try evaluateExisting(progress: progress)
        } else if events.events != nil {
            let loaded = try canonicalOrder(try events.load(progress: progress.line))
            try writeSplitIfAsked(loaded.log, sessions: TrainedModel.sessionRule(for: loaded.log, settings: settings), settings: settings, progress: progress)
            table = try Tables.holdOut(loaded.log, protocol: try holdOut(loaded.log), sessions: TrainedModel.sessionRule(for: loaded.log, settings: settings),
                                        content: loaded.content, configs: settings.methodConfigs(),
                                        methods: methods ?? Method.allCases.filter { !$0.needsContent || !loaded.content.isEmpty },
                                        k: settings.k, userRule: settings.userVectorRule, excludeSeen: settings.excludeSeen,
                                        coldFraction: coldFraction ?? (loaded.content.isEmpty ? 0 : 0.1), ties: settings.ties,
                                        seed: global.seed, threads: global.threads, progress: progress.line)
        } else if dataset == .synthetic {
            table = try Tables.synthetic(workload: workload.config(seed: global.seed), configs: settings.methodConfigs(),
                                         protocols: [EvalProtocol(rawValue: `protocol`.rawValue)!], k: settings.k, userRule: settings.userVectorRule,
                                         cutoff: cutoff.flatMap(Timestamp.parse), ties: settings.ties, threads: global.threads, progress: progress.line)
        } else {
            progress.line("reading MovieLens from \(path!)")
            let data = try MovieLensData(directory: URL(fileURLWithPath: path!), skipBadLines: events.skipBadLines)
            if events.skipBadLines { progress.line("u.data: skipped \(data.skippedLines) bad lines") }
            try writeSplitIfAsked(data.events, sessions: settings.sessionRule, settings: settings, progress: progress)
            table = try Tables.holdOut(data.events, protocol: try holdOut(data.events), sessions: settings.sessionRule, content: [data.genres],
                                        configs: settings.methodConfigs(), methods: methods ?? Method.allCases,
                                        k: settings.k, userRule: settings.userVectorRule, excludeSeen: settings.excludeSeen,
                                        coldFraction: coldFraction ?? 0.1, ties: settings.ties, seed: global.seed, threads: global.threads,
                                        progress: progress.line)
        }
        progress.line("done")
        try Output.print(table, json: global.json, k: settings.k, settings: settings)
    }

    /// `--write-split DIR`: the split the table is about to use, for the peer script.
    func writeSplitIfAsked(_ log: EventLog, sessions: SessionRule, settings: Defaults, progress: Progress) throws {
        guard let writeSplit else { return }
        try EvalCases.holdOut(log, protocol: try holdOut(log), sessions: sessions, excludeSeen: settings.excludeSeen, ties: settings.ties)
            .write(to: URL(fileURLWithPath: writeSplit), excludeSeen: settings.excludeSeen)
        progress.line("wrote the split to \(writeSplit)")
    }

    /// `--vectors DIR` / `--store S`: the rows, ids and settings recorded with them, scored on the
    /// held-out part of --events by `TrainedModel.evaluate`.
    func evaluateExisting(progress: Progress) throws -> (ResultsTable, Defaults) {
        let retrieval: Retrieval, ids: [String], name: String, trainedUnder: String?
        var settings: Defaults
        if let vectors {
            let model = try TrainedModel.read(from: vectors)
            (retrieval, ids, settings, name) = (model.retrieval, model.ids, model.info.settings, "\(model.info.method.tableName) (\(vectors))")
            trainedUnder = model.info.evaluation
        } else {
            let opened = try EmbeddingStore(path: store!).open(version)
            retrieval = Retrieval(queryVectors: opened.userSideVectors.matrix(), itemVectors: opened.vectors.matrix(), metric: opened.manifest.metric,
                                  rule: opened.manifest.userVectorRule ?? .default, label: opened.manifest.scoring?.rawValue ?? opened.manifest.metric.rawValue,
                                  popularityPrior: opened.manifest.popularityPrior ?? 0)
            ids = Array(opened.ids)
            settings = opened.manifest.defaults ?? Defaults.standard
            settings.userVectorRule = opened.manifest.userVectorRule ?? settings.userVectorRule
            name = "\(opened.manifest.method) (\(opened.name))"
            trainedUnder = opened.manifest.configuration["evaluation"]
        }
        settings.k = ranking.k
        let loaded = try canonicalOrder(try events.load(progress: progress.line))
        let leakFree = try holdOut(loaded.log)
        progress.line("scoring \(ids.count) rows on the held-out part of \(loaded.file) (\(settings.summary))")
        let start = Date()
        let (metrics, unknown) = try TrainedModel.evaluate(retrieval, ids: ids, on: loaded.log, protocol: leakFree, settings: settings, threads: global.threads)
        var table = ResultsTable()
        table.ties = settings.ties
        table.rows.append(TableRow(method: name, evalProtocol: leakFree.evalProtocol, metrics: metrics, seconds: Date().timeIntervalSince(start),
                                   scoring: retrieval.label))
        let asked = switch leakFree {
        case .leaveLastOut: "leave-last-out"
        case let .timeCutoff(cutoff): "time-cutoff@\(cutoff)"
        }
        if trainedUnder != asked {
            table.notes.append("these vectors were trained \(trainedUnder.map { "under \($0)" } ?? "on the whole log"), not on the training part of \(asked): "
                               + "held-out events may have been trained on, so the numbers can be optimistic")
        }
        if unknown > 0 { table.notes.append("\(unknown) of \(metrics.cases) cases have a target the vectors have no row for (counted as misses)") }
        return (table, settings)
    }
}
