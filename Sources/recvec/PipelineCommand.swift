import ArgumentParser
import Foundation
import RecVec
#if canImport(Glibc)
import Glibc
#endif

/// `recvec pipeline CONFIG`: load, split, train, evaluate, gate and publish in one run.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Load, split, train, evaluate, gate and publish from one JSON config.",
        discussion: """
        The config is JSON (no dependency, and `jq` or any language writes it):

          {"events": {"path": "events.csv", "format": "csv", "user": "user_id", "item": "item_id",
                      "time": "timestamp", "session": null, "delimiter": null,
                      "skipBadLines": false, "content": []},
           "method": "ppmi-svd", "protocol": "leave-last-out", "cutoff": null,
           "settings": {"seed": 42, "preset": "tuned", "userVectorRule": "recency:5:0.8",
                        "sessionGapSeconds": 1800, "k": 20, "ties": "item-id", "excludeSeen": true,
                        "dimension": null, "window": null, "epochs": null, "negatives": null,
                        "subsample": null, "scoring": null, "popularityBias": null, "popularityPrior": 0},
           "threads": 0, "store": "store",
           "index": {"m": 16, "efConstruction": 200, "efSearch": 64} (or "none"),
           "gate": {"metric": "recall@20", "maxRecallDrop": 0.02, "minCoverageRatio": 0.5},
           "force": false, "keep": null,
           "tune": {"budget": "60s", "trials": null} (or absent: no tuning)}

        Only "events.path", "method" and "store" are required; the rest defaults as shown (settings: Defaults.standard). \
        Relative paths are relative to the config file. The version published is the model trained on the training part \
        and evaluated on the held-out part (what is served is what was evaluated). Its manifest records a run report: \
        every input's size and XXH64, the config, the metrics and the seconds of load, split, train and evaluate.

        Tuning is off unless the config has "tune" or --tune is given: a nightly job then publishes exactly the \
        configuration it names, and a --budget (clock) search would not be reproducible. With it, the method's knobs, \
        user-vector rule and popularity prior (score + beta * log(1 + count)) are searched as `recvec tune` does, on a \
        validation split carved from the training part (the training part's last event per user, or its last time \
        slice), starting from "settings", within --budget (default 60s; --trials N instead: the same choice on any \
        machine under --seed and --threads 1). The chosen configuration is refitted on the whole training part, \
        evaluated once on the held-out part and published; the manifest records the choice (configuration \
        "tuning.chosen", "hyperparameters"), the validation figures (metrics "validation_recall@K", ...) beside the \
        test ones, and the prior, which serving applies.

        Exit status: 0 published; 64 usage (bad flags or config); 65 bad data (an input does not parse, a cutoff outside \
        the log, no time column for time-cutoff); 66 an input cannot be read; 74 I/O failure writing the store; 75 the \
        publish gate refused the version (the previous one keeps serving); 1 anything else.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The JSON config file.") var config: String
    @Flag(help: "Tune the method on a validation split before publishing (as the config's \"tune\" key does).") var tune = false
    @Option(help: "With tuning: time budget, seconds (60, 60s, 2m); default: the config's, else 60s.") var budget: String?
    @Option(help: "With tuning: stop after this many validation evaluations (reproducible on any machine).") var trials: Int?

    func validate() throws {
        if let budget, TuneBudget.seconds(budget) == nil { throw ValidationError("--budget " + TuneBudget.expected(budget)) }
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1, got \(trials)") }
    }

    enum Exit {
        static let usage: Int32 = 64, badData: Int32 = 65, noInput: Int32 = 66, io: Int32 = 74, gateRefused: Int32 = 75
    }

    func run() throws {
        do {
            try runPipeline()
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(Self.exitCode(for: error))
        }
    }

    /// The documented exit status of each failure.
    static func exitCode(for error: Error) -> Int32 {
        switch error {
        case is PipelineConfig.Problem: return Exit.usage
        case let data as DataError:
            if case .unreadable = data { return Exit.noInput }
            return Exit.badData
        case let store as StoreError:
            switch store {
            case .gateRefused: return Exit.gateRefused
            default: return Exit.io
            }
        case is FileFormatError: return Exit.io
        case is KernelError: return Exit.badData
        default: return 1
        }
    }

    func runPipeline() throws {
        let progress = Progress()
        let configURL = URL(fileURLWithPath: config)
        let spec = try PipelineConfig.read(configURL)
        let base = configURL.deletingLastPathComponent()
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : base.appendingPathComponent(path).path }
        let threads = spec.threads ?? global.threads
        let settings = try spec.settings(seed: global.seed)
        var stages: [RunReport.Stage] = []
        var start = Date()
        func done(_ stage: String, _ seconds: Double? = nil) {
            let s = seconds ?? Date().timeIntervalSince(start)
            stages.append(.init(name: stage, seconds: s))
            progress.line("\(stage): \(String(format: "%.2f", s)) s")
            start = Date()
        }
        progress.line("settings: \(settings.summary)")

        let events = try EventInputOptions.parse(spec.events.arguments(resolve: resolve))
        let loaded = try canonicalOrder(try events.load(progress: progress.line))
        var inputs = [try fingerprint(loaded.file)]
        for file in spec.events.content ?? [] { inputs.append(try fingerprint(resolve(file))) }
        done("load")

        let leakFree: HoldOut
        switch spec.protocol ?? "leave-last-out" {
        case "leave-last-out": leakFree = .leaveLastOut
        case "time-cutoff":
            if let text = spec.cutoff {
                guard let cutoff = Timestamp.parse(text) else { throw PipelineConfig.Problem(configURL.path, "cutoff must be an ISO 8601 date or epoch seconds, got '\(text)'") }
                leakFree = .timeCutoff(cutoff)
            } else {
                leakFree = .timeCutoff(try HoldOut.defaultCutoff(loaded.log))
            }
        case let other: throw PipelineConfig.Problem(configURL.path, "protocol must be leave-last-out or time-cutoff, got '\(other)'")
        }
        let trained: TrainedModel, metrics: RankingMetrics
        if let options = try tuneOptions(spec, file: configURL.path) {
            progress.line("tuning \(spec.method.rawValue) on a validation split carved from the training part ("
                          + (options.maxTrials.map { "\($0) trials" } ?? String(format: "budget %g s", options.budgetSeconds)) + ")")
            (trained, _, _, metrics) = try TrainedModel.tuneAndEvaluate(spec.method, on: loaded.log, protocol: leakFree, content: loaded.content,
                                                                        settings: settings, options: options, threads: threads,
                                                                        progress: progress.line)
            done("tune+refit+evaluate")
            progress.line("tuning chose: \(trained.info.tuning?["chosen"] ?? "")")
        } else {
            (trained, _, _, _, metrics) = try TrainedModel.trainAndEvaluate(
                spec.method, on: loaded.log, protocol: leakFree, content: loaded.content, settings: settings,
                popularityPrior: spec.settings?.popularityPrior ?? 0, threads: threads,
                progress: progress.line, stageDone: { stage, seconds in done(stage, seconds) })
        }
        var model = trained
        model.info.inputFingerprint = inputs[0].xxh64
        progress.line("\(model.info.evaluation ?? ""): " + metrics.dictionary.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: "  "))

        var input = model.publishInput(index: try spec.hnsw(seed: settings.seed))
        input.run = RunReport(inputs: inputs, config: try spec.flattened(), metrics: model.info.metrics ?? [:], stages: stages, threads: threads)
        var gate = PublishGate()
        gate.recallMetric = spec.gate?.metric ?? "recall@\(settings.k)"
        if let drop = spec.gate?.maxRecallDrop { gate.maxRecallDrop = drop }
        if let ratio = spec.gate?.minCoverageRatio { gate.minCoverageRatio = ratio }
        let store = try EmbeddingStore(path: resolve(spec.store), create: true)
        let result = try store.publish(input, gate: spec.force == true ? nil : gate, keep: spec.keep, threads: threads, progress: progress.line)
        done("index+gate+publish")

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let summary = Summary(version: result.version, previous: result.previous, store: store.path, method: spec.method.rawValue,
                              evaluation: model.info.evaluation ?? "", metrics: model.info.metrics ?? [:],
                              stages: stages, peakRSSMiB: Double(usage.ru_maxrss) / 1024, threads: threads, settings: settings.summary,
                              tuning: model.info.tuning, popularityPrior: model.info.popularityPrior)
        if global.json { try printJSON(summary); return }
        print("published \(result.version) to \(store.path) (previous: \(result.previous ?? "none"))")
        if let tuning = model.info.tuning {
            print("tuned (\(tuning["search"] ?? "")): \(tuning["chosen"] ?? "")")
        }
        print("\(summary.evaluation): " + summary.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: "  "))
        print("stages: " + stages.map { "\($0.name) \(String(format: "%.2f", $0.seconds)) s" }.joined(separator: ", ")
              + String(format: "; peak RSS %.0f MiB; threads %d", summary.peakRSSMiB, threads))
    }

    struct Summary: Encodable {
        var version: String, previous: String?, store: String, method: String, evaluation: String
        var metrics: [String: Double], stages: [RunReport.Stage], peakRSSMiB: Double, threads: Int, settings: String
        var tuning: [String: String]?, popularityPrior: Float?
    }

    /// The tuning asked for by --tune/--budget/--trials or the config's "tune" key; nil = none.
    func tuneOptions(_ spec: PipelineConfig, file: String) throws -> TuneOptions? {
        guard tune || spec.tune != nil else {
            if budget != nil || trials != nil { throw ValidationError("--budget and --trials need --tune (or a \"tune\" key in the config)") }
            return nil
        }
        if spec.settings?.popularityPrior != nil {
            throw PipelineConfig.Problem(file, "settings.popularityPrior is chosen by tuning; remove it or turn tuning off")
        }
        var options = TuneOptions()
        options.baselines = false
        let text = budget ?? spec.tune?.budget ?? "60s"
        // Both sources were checked (validate() the flags, PipelineConfig.check the config).
        guard let seconds = TuneBudget.seconds(text) else { throw PipelineConfig.Problem(file, "tune.budget " + TuneBudget.expected(text)) }
        options.budgetSeconds = seconds
        options.maxTrials = trials ?? spec.tune?.trials
        return options
    }

    func fingerprint(_ path: String) throws -> RunReport.InputFile {
        let file = try MappedFile(path: path)
        return RunReport.InputFile(path: path, bytes: file.bytes.count, xxh64: file.withBytes { String(XXH64.hash($0), radix: 16) })
    }
}

/// The JSON `recvec pipeline` reads (see its help).
struct PipelineConfig: Codable {
    struct Events: Codable {
        var path: String
        var format: String?
        var user: String?, item: String?, time: String?, session: String?, weight: String?, delimiter: String?
        var skipBadLines: Bool?
        var content: [String]?
        var contentCategories: [String]?

        /// The same flags `--events` commands take, so the one loader validates them the same way.
        func arguments(resolve: (String) -> String) -> [String] {
            var a = ["--events", resolve(path)]
            for (flag, value) in [("--format", format), ("--user", user), ("--item", item), ("--time", time), ("--session", session),
                                  ("--weight", weight), ("--delimiter", delimiter)] {
                if let value { a += [flag, value] }
            }
            if skipBadLines == true { a.append("--skip-bad-lines") }
            for file in content ?? [] { a += ["--content", resolve(file)] }
            for spec in contentCategories ?? [] { a += ["--content-categories", resolve(spec)] }
            return a
        }
    }

    struct Settings: Codable {
        var seed: UInt64?, preset: Preset?, userVectorRule: UserVectorRule?, sessionGapSeconds: Int64?, k: Int?, ties: TieRule?, excludeSeen: Bool?
        var dimension: Int?, window: Int?, epochs: Int?, negatives: Int?, subsample: Double?, scoring: RetrievalScoring?, popularityBias: Bool?
        /// beta of the popularity prior to evaluate and serve with (without tuning; tuning chooses it).
        var popularityPrior: Float?
        var shared: SharedHyperparameters {
            SharedHyperparameters(dimension: dimension, window: window, epochs: epochs, negatives: negatives, subsample: subsample,
                                  scoring: scoring, popularityBias: popularityBias)
        }
    }

    struct Index: Codable { var m: Int?, efConstruction: Int?, efSearch: Int? }
    struct Gate: Codable { var metric: String?, maxRecallDrop: Double?, minCoverageRatio: Double? }
    /// Validation-based tuning before publishing: a budget ("60s") or a trial limit.
    struct Tune: Codable { var budget: String?, trials: Int? }

    var events: Events
    var method: Method
    var `protocol`: String?
    var cutoff: String?
    var settings: Settings?
    var threads: Int?
    var store: String
    /// An object (HNSW parameters) or the string "none" (exact search).
    var index: IndexChoice?
    var gate: Gate?
    var force: Bool?
    var keep: Int?
    var tune: Tune?

    enum IndexChoice: Codable {
        case none
        case hnsw(Index)
        init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                guard text == "none" else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected \"none\" or an object {\"m\": 16, ...}, got \"\(text)\""))
                }
                self = .none
            } else {
                self = .hnsw(try Index(from: decoder))
            }
        }
        func encode(to encoder: Encoder) throws {
            switch self {
            case .none: var c = encoder.singleValueContainer(); try c.encode("none")
            case let .hnsw(index): try index.encode(to: encoder)
            }
        }
    }

    /// A config that cannot run, with the file and what is wrong.
    struct Problem: Error, CustomStringConvertible {
        var file: String, reason: String
        init(_ file: String, _ reason: String) { (self.file, self.reason) = (file, reason) }
        var description: String { "\(file): \(reason)" }
    }

    static func read(_ url: URL) throws -> PipelineConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DataError.unreadable(file: url.path, reason: "cannot read the config") }
        do {
            let config = try JSONDecoder().decode(PipelineConfig.self, from: data)
            try config.check(url.path)
            return config
        } catch let error as DecodingError {
            throw Problem(url.path, describe(error))
        }
    }

    func check(_ file: String) throws {
        if let threads, threads < 0 { throw Problem(file, "threads must be >= 0, got \(threads)") }
        if let keep, keep < 1 { throw Problem(file, "keep must be at least 1, got \(keep)") }
        if let beta = settings?.popularityPrior, !beta.isFinite { throw Problem(file, "settings.popularityPrior must be a finite number, got \(beta)") }
        if let budget = tune?.budget, TuneBudget.seconds(budget) == nil {
            throw Problem(file, "tune.budget " + TuneBudget.expected(budget))
        }
        if let trials = tune?.trials, trials < 1 { throw Problem(file, "tune.trials must be at least 1, got \(trials)") }
        if let k = settings?.k, k < 1 { throw Problem(file, "settings.k must be at least 1, got \(k)") }
        for (name, value) in [("dimension", settings?.dimension), ("window", settings?.window), ("epochs", settings?.epochs), ("negatives", settings?.negatives)] {
            if let value, value < 1 { throw Problem(file, "settings.\(name) must be at least 1, got \(value)") }
        }
        if case let .hnsw(index)? = index {
            if let m = index.m, m < 2 { throw Problem(file, "index.m must be at least 2, got \(m)") }
            for (name, value) in [("efConstruction", index.efConstruction), ("efSearch", index.efSearch)] {
                if let value, value < 1 { throw Problem(file, "index.\(name) must be at least 1, got \(value)") }
            }
        }
    }

    /// A decoding error as one sentence naming the key path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "the top level" : "'\(keys)'"
        }
        switch error {
        case let .keyNotFound(key, context):
            return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case let .typeMismatch(type, context): return "\(path(context)) must be \(type): \(context.debugDescription)"
        case let .valueNotFound(type, context): return "\(path(context)) must be \(type), got null"
        case let .dataCorrupted(context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// `Defaults.standard` with the config's settings (the --seed flag when the config names none).
    func settings(seed: UInt64) throws -> Defaults {
        var s = Defaults.standard
        s.seed = settings?.seed ?? seed
        if let v = settings?.preset { s.preset = v }
        if let v = settings?.userVectorRule { s.userVectorRule = v }
        if let v = settings?.sessionGapSeconds { s.sessionGapSeconds = v }
        if let v = settings?.k { s.k = v }
        if let v = settings?.ties { s.ties = v }
        if let v = settings?.excludeSeen { s.excludeSeen = v }
        s.shared = settings?.shared ?? s.shared
        return s
    }

    func hnsw(seed: UInt64) throws -> HNSWConfig? {
        var config = HNSWConfig()
        switch index {
        case .none?: return nil
        case let .hnsw(i)?:
            if let m = i.m { config.m = m }
            if let e = i.efConstruction { config.efConstruction = e }
            if let e = i.efSearch { config.efSearch = e }
        case nil: break
        }
        config.seed = seed
        return config
    }

    /// The config as key = value lines for the run report ("events.path", "settings.k", ...).
    func flattened() throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(self))
        var out: [String: String] = [:]
        func walk(_ value: Any, _ key: String) {
            if let dict = value as? [String: Any] {
                for (k, v) in dict { walk(v, key.isEmpty ? k : key + "." + k) }
            } else if let array = value as? [Any] {
                out[key] = array.map { "\($0)" }.joined(separator: ",")
            } else {
                out[key] = "\(value)"
            }
        }
        walk(object, "")
        return out
    }
}
