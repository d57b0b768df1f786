import ArgumentParser
import Foundation
import RecVec

/// `recvec train`: trains one method and writes its vectors.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one embedding method and write its vectors to a folder.",
        discussion: """
        Writes OUT/query.npy (query-side vectors, one row per item), OUT/items.npy (item-side vectors),
        OUT/ids.txt (the item id of each row) and OUT/method.json (method, scoring, metric, preset). Score a
        user by building the user vector from query.npy rows, then ranking items.npy rows by the metric.
        The folder is written under a temporary name and renamed into place, so a failed run leaves nothing behind.
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "MovieLens: count and skip lines of u.data that do not parse instead of stopping at the first.") var skipBadLines = false
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "ppmi-svd, item2vec, walks, content or fused.") var method: String
    @Option(help: "movielens or synthetic.") var dataset = "synthetic"
    @Option(help: "Folder of the dataset's files (movielens: u.data and u.item).") var path: String?
    @Option(help: "Hyperparameters: seed or tuned.") var preset = "tuned"
    @Option(help: "Output folder (must not exist yet).") var out: String
    @Option(help: "Train from a corpus folder (recvec corpus or the Spark sessions job) instead of --dataset; its shards are streamed.") var corpus: String?
    @Option(help: "ppmi-svd: train from co-occurrence counts (a merged .rvcsr file or a folder of partial ones, ids.txt beside them).") var counts: String?

    func validate() throws {
        guard Method(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(Method.allCases.map(\.rawValue).joined(separator: ", ")), got '\(method)'")
        }
        guard ["movielens", "synthetic"].contains(dataset) else { throw ValidationError("--dataset must be movielens or synthetic, got '\(dataset)'") }
        if dataset == "movielens", path == nil { throw ValidationError("--dataset movielens needs --path DIR (the folder holding u.data and u.item)") }
        _ = try Presets.configs(preset, seed: global.seed, threads: global.threads)
        guard corpus == nil || counts == nil else { throw ValidationError("give at most one of --corpus and --counts") }
        if counts != nil, method != Method.ppmiSVD.rawValue { throw ValidationError("--counts trains ppmi-svd only; use --corpus for \(method)") }
        guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("--out \(out) already exists; choose a new folder") }
    }

    func run() throws {
        let progress = Progress()
        let configs = try Presets.configs(preset, seed: global.seed, threads: global.threads, overrides: workload, movieLens: dataset == "movielens")
        let trained: TrainedMethod, ids: [String]
        if let source = corpus.map(ShardTraining.Source.corpus) ?? counts.map(ShardTraining.Source.counts) {
            (trained, ids) = try ShardTraining.train(Method(rawValue: method)!, from: source, configs: configs, progress: progress.line)
        } else {
        let corpus: Corpus, content: [ContentModality]
        if dataset == "movielens" {
            let data = try MovieLensData(directory: URL(fileURLWithPath: path!), skipBadLines: skipBadLines)
            if skipBadLines { progress.line("u.data: skipped \(data.skippedLines) bad lines") }
            corpus = try data.events.corpus(rule: .inactivityGap(seconds: 3600))
            content = [data.genres]
            ids = data.itemIDs
        } else {
            let config = workload.config(seed: global.seed)
            let w = try SyntheticWorkload(config: config, progress: progress.line)
            corpus = w.sessions
            content = w.content
            ids = (0 ..< config.items).map(String.init)
        }
        trained = try Methods.train(Method(rawValue: method)!, corpus: corpus, content: content, configs: configs, progress: progress.line)
        }
        let final = URL(fileURLWithPath: out)
        let temporary = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: temporary)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            try NPY.write(trained.retrieval.queryVectors, to: temporary.appendingPathComponent("query.npy"))
            try NPY.write(trained.retrieval.itemVectors, to: temporary.appendingPathComponent("items.npy"))
            try Data((ids.joined(separator: "\n") + "\n").utf8).write(to: temporary.appendingPathComponent("ids.txt"))
            let meta: [String: Any] = ["method": method, "scoring": trained.retrieval.label, "metric": trained.retrieval.metric.rawValue,
                                       "preset": preset, "dataset": dataset, "seed": global.seed, "items": ids.count,
                                       "dimension": trained.retrieval.itemVectors.cols, "seconds": trained.seconds]
            try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys]).write(to: temporary.appendingPathComponent("method.json"))
            try FileManager.default.moveItem(at: temporary, to: final)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        progress.line("wrote \(final.path)")
        let summary: [String: Any] = ["method": method, "out": final.path, "items": ids.count,
                                      "dimension": trained.retrieval.itemVectors.cols, "scoring": trained.retrieval.label, "seconds": trained.seconds]
        if global.json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(method): \(ids.count) items x \(trained.retrieval.itemVectors.cols) dims (\(trained.retrieval.label)) -> \(final.path)")
        }
    }
}
