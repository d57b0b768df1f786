import ArgumentParser
import Foundation
import RecVec

/// `recvec train`: trains one method and writes its vectors.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one embedding method and write its vectors to a folder.",
        discussion: """
        Reads --events FILE (any log `recvec inspect` reads), --dataset movielens --path DIR, or the built-in synthetic \
        workload. Writes OUT/query.npy (query-side vectors), OUT/items.npy (item-side vectors), OUT/ids.txt (the item id \
        of each row), OUT/popularity.txt (training events per row) and OUT/method.json (method, scoring, metric, user-vector \
        rule, settings, and with --eval the held-out metrics): everything `recvec publish --from OUT` needs. A \
        behaviour-only method gets rows only for items with training events.

        With --eval the model is trained on the training part of a leak-free split (--protocol) and scored on the held-out \
        part exactly as `recvec eval` scores that method; without it, on every event.

        Every file is fsync'd in a temporary folder, which is fsync'd and renamed into place: a failed run leaves nothing.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var events: EventInputOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var ranking: RankingOptions
    @Option(help: "The method to train.") var method: Method
    @Option(help: "A built-in dataset, when --events is not given (default: synthetic).") var dataset: DatasetChoice?
    @Option(help: "Folder of the dataset's files (movielens: u.data and u.item).") var path: String?
    @Flag(help: "Train on the training part of a leak-free split and record the held-out metrics.") var eval = false
    @Option(help: "With --eval: the leak-free split.") var `protocol`: HoldOutChoice = .leaveLastOut
    @Option(help: "With --eval and time-cutoff: ISO 8601 date or epoch seconds (default: the 85% time quantile).") var cutoff: String?
    @Option(help: "Output folder (must not exist yet).") var out: String
    @Option(help: "Train from a corpus folder (recvec corpus or the Spark sessions job) instead of --dataset; its shards are streamed.") var corpus: String?
    @Option(help: "ppmi-svd: train from co-occurrence counts (a merged .rvcsr file or a folder of partial ones, ids.txt beside them).") var counts: String?

    func validate() throws {
        if let dataset {
            guard events.events == nil else { throw ValidationError("give --dataset or --events, not both") }
            if dataset == .movielens, path == nil { throw ValidationError("--dataset movielens needs --path DIR (the folder holding u.data and u.item)") }
        }
        if let cutoff {
            guard eval, `protocol` == .timeCutoff else { throw ValidationError("--cutoff needs --eval --protocol time-cutoff") }
            guard Timestamp.parse(cutoff) != nil else {
                throw ValidationError("--cutoff must be an ISO 8601 date (2020-01-02, 2020-01-02T03:04:05Z) or epoch seconds, got '\(cutoff)'")
            }
        }
        guard corpus == nil || counts == nil else { throw ValidationError("give at most one of --corpus and --counts") }
        if corpus != nil || counts != nil {
            guard events.events == nil, dataset == nil, !eval else {
                throw ValidationError("--corpus and --counts train from shards: give neither --events, --dataset nor --eval with them")
            }
            if counts != nil, method != .ppmiSVD { throw ValidationError("--counts trains ppmi-svd only; use --corpus for \(method.rawValue)") }
        }
        guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("--out \(out) already exists; choose a new folder") }
    }

    func run() throws {
        let progress = Progress()
        let settings = makeSettings(global: global, model: model, ranking: ranking)
        progress.line("settings: \(settings.summary)")
        if let source = corpus.map(ShardTraining.Source.corpus) ?? counts.map(ShardTraining.Source.counts) {
            try finish(try ShardTraining.model(method, from: source, settings: settings, threads: global.threads, progress: progress.line), progress)
            return
        }
        let log: EventLog, content: [ContentModality]
        var fingerprint: String?
        if events.events != nil {
            let loaded = try canonicalOrder(try events.load(progress: progress.line))
            (log, content) = (loaded.log, loaded.content)
            fingerprint = try fileFingerprint(loaded.file)
        } else if dataset == .movielens {
            let data = try MovieLensData(directory: URL(fileURLWithPath: path!), skipBadLines: events.skipBadLines)
            if events.skipBadLines { progress.line("u.data: skipped \(data.skippedLines) bad lines") }
            (log, content) = (data.events, [data.genres])
            fingerprint = try fileFingerprint(path! + "/u.data")
        } else {
            let w = try SyntheticWorkload(config: workload.config(seed: global.seed), progress: progress.line)
            (log, content) = (w.events, w.content)
        }
        var trained: TrainedModel
        if eval {
            let leakFree: HoldOut = `protocol` == .timeCutoff
                ? .timeCutoff(try cutoff.flatMap(Timestamp.parse) ?? HoldOut.defaultCutoff(log)) : .leaveLastOut
            trained = try TrainedModel.trainAndEvaluate(method, on: log, protocol: leakFree, content: content, settings: settings,
                                                        threads: global.threads, progress: progress.line).model
        } else {
            trained = try TrainedModel.train(method, on: log, content: content, settings: settings, threads: global.threads, progress: progress.line)
        }
        trained.info.inputFingerprint = fingerprint
        try finish(trained, progress)
    }

    /// Writes the model folder and prints the summary.
    private func finish(_ trained: TrainedModel, _ progress: Progress) throws {
        try trained.write(to: out)
        progress.line("wrote \(out)")
        let info = trained.info
        if global.json {
            try printJSON(TrainSummary(method: info.method.rawValue, out: out, items: info.items, dimension: info.dimension, scoring: info.scoring.rawValue,
                                       label: info.label, seconds: info.trainingSeconds, evaluation: info.evaluation, metrics: info.metrics))
        } else {
            print("\(info.method.rawValue): \(info.items) items x \(info.dimension) dims (\(info.label), user vector \(info.userVectorRule)) -> \(out)")
            if let metrics = info.metrics, let evaluation = info.evaluation {
                print("\(evaluation): " + metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: "  "))
            }
        }
    }

    struct TrainSummary: Encodable {
        var method: String, out: String, items: Int, dimension: Int, scoring: String, label: String, seconds: Double
        var evaluation: String?, metrics: [String: Double]?
    }
}
