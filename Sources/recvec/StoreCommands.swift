import ArgumentParser
import Foundation
import RecVec
#if canImport(Glibc)
import Glibc
#endif

/// Prints `value` as pretty, key-sorted JSON on stdout.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func progressLine(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish vectors as a new version of a store, with its ANN index.",
        discussion: """
        The new version gets its ANN index and becomes current. It is written under a temporary name, fsync'd and renamed; CURRENT switches last. \
        If anything fails (bad input, the publish gate), the version being served stays untouched.

        --from DIR publishes what `recvec train --out DIR` wrote: vectors, query-side vectors, ids, training counts (the \
        popularity fallback), method, metric, scoring, user-vector rule, settings, the input fingerprint and, when trained \
        with --eval, the held-out metrics the gate compares. Otherwise give --vectors, --ids and --method.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Store directory (created when missing or empty).") var store: String
    @Option(help: "A folder `recvec train --out` wrote: takes everything below from it.") var from: String?
    @Option(help: "Item vectors: a 2-D .npy array (float32 or float64), one row per item.") var vectors: String?
    @Option(help: "Query-side vectors (.npy, same shape) that user vectors are built from, e.g. `recvec train`'s query.npy.")
    var queryVectors: String?
    @Option(help: "Item ids, one per line, in the order of the rows.") var ids: String?
    @Option(help: ArgumentHelp("A JSON file holding the evaluation metrics as one object of numbers, e.g. {\"recall@20\": 0.31}; the gate compares them.",
                               valueName: "file"))
    var metrics: String?
    @Option(help: "Training method recorded in the manifest (sgns, als, ...).") var method: String?
    @Option(name: .customLong("config"), help: "Training configuration entry key=value for the manifest (repeatable).")
    var configEntries: [String] = []
    @Option(help: "Training data file whose checksum is recorded as the input fingerprint (default: of vectors and ids).")
    var data: String?
    @Option(help: "Similarity of the index and the recommender (default: cosine; with --from, the trained model's).") var metric: Metric?
    @Option(help: "Scoring recorded in the manifest (asymmetric-dot: query side against item side).") var scoring: RetrievalScoring?
    @Option(help: "User vector rule recorded in the manifest, the recommender's default: last:N or recency:N:DECAY (default: \(Defaults.standard.userVectorRule)).",
            transform: parseRule)
    var rule: UserVectorRule?
    @Option(help: "Training counts, one integer per line in row order (`recvec train`'s popularity.txt): the fallback for histories with no known item.")
    var popularity: String?
    @Option(help: "ANN index: hnsw, or none for exact search (small catalogs).") var index: IndexKind = .hnsw
    @Option(help: "HNSW links per node.") var m = 16
    @Option(help: "HNSW build candidate list size.") var efConstruction = 200
    @Option(help: "HNSW default search candidate list size.") var efSearch = 64
    @Option(help: "After publishing, keep only the newest N versions (never removing the current one).") var keep: Int?
    @Flag(help: "Publish even if the gate refuses.") var force = false
    @Option(help: "Gate: the manifest metric that must not fall (default: recall@K at the K the model was evaluated with, else recall@20).")
    var gateMetric: String?
    @Option(help: "Gate: largest allowed absolute fall of --gate-metric.") var maxRecallDrop = 0.02
    @Option(help: "Gate: minimal ratio of new to current neighbour coverage.") var minCoverageRatio = 0.5

    func validate() throws {
        if from != nil {
            let flags: [(String, Bool)] = [("--vectors", vectors != nil), ("--query-vectors", queryVectors != nil), ("--ids", ids != nil),
                                           ("--method", method != nil), ("--metric", metric != nil), ("--scoring", scoring != nil),
                                           ("--rule", rule != nil), ("--popularity", popularity != nil), ("--metrics", metrics != nil)]
            let given = flags.filter(\.1).map(\.0)
            if !given.isEmpty { throw ValidationError("--from DIR takes \(given.joined(separator: ", ")) from what `recvec train` wrote; drop \(given.count == 1 ? "it" : "them")") }
        } else if vectors == nil || ids == nil || method == nil {
            throw ValidationError("give --from DIR (a `recvec train --out` folder), or --vectors, --ids and --method")
        }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1, got \(keep)") }
        guard m >= 2 else { throw ValidationError("--m must be at least 2, got \(m)") }
        guard efConstruction >= 1, efSearch >= 1 else { throw ValidationError("--ef-construction and --ef-search must be positive") }
        for entry in configEntries where !entry.contains("=") {
            throw ValidationError("--config takes key=value, got \(entry)")
        }
    }

    func run() throws {
        var hnsw: HNSWConfig?
        if index == .hnsw {
            var config = HNSWConfig()
            config.m = m
            config.efConstruction = efConstruction
            config.efSearch = efSearch
            config.seed = global.seed
            hnsw = config
        }
        var input: PublishInput
        var k = Defaults.standard.k
        if let from {
            let model = try TrainedModel.read(from: from)
            input = model.publishInput(index: hnsw, inputFingerprint: try data.map(fileFingerprint))
            k = model.info.settings.k
        } else {
            input = try inputFromFiles(index: hnsw)
        }
        for entry in configEntries {
            let parts = entry.split(separator: "=", maxSplits: 1)
            input.configuration[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let matrix = input.vectors
        var gate = PublishGate()
        gate.recallMetric = gateMetric ?? "recall@\(k)"
        gate.maxRecallDrop = maxRecallDrop
        gate.minCoverageRatio = minCoverageRatio
        // Test hook: RECVEC_TEST_KILL_AFTER_STEP=N kills this process (SIGKILL) right after publish step N.
        let killStep = ProcessInfo.processInfo.environment["RECVEC_TEST_KILL_AFTER_STEP"].flatMap(Int.init)
        let result = try EmbeddingStore(path: store, create: true).publish(
            input, gate: force ? nil : gate, keep: keep, threads: global.threads, progress: progressLine,
            afterStep: { step in if step.rawValue == killStep { kill(getpid(), SIGKILL) } })
        if global.json { try printJSON(result) } else {
            print("published \(result.version) (\(matrix.rows) items, dim \(matrix.cols)); previous: \(result.previous ?? "none")")
            if !result.removedVersions.isEmpty { print("removed old versions: \(result.removedVersions.joined(separator: ", "))") }
            if !result.orphans.isEmpty { print("orphans (complete, never served; kept): \(result.orphans.joined(separator: ", "))") }
        }
    }
}

extension Publish {
    /// The input --vectors, --ids, --method and the other flags describe.
    func inputFromFiles(index hnsw: HNSWConfig?) throws -> PublishInput {
        let matrix = try NPY.read(path: vectors!)
        let itemIDs = try ItemIDTable.read(path: ids!)
        guard itemIDs.count == matrix.rows else {
            throw StoreError.countMismatch(file: ids!, expected: matrix.rows, found: itemIDs.count)
        }
        var metricValues: [String: Double] = [:]
        if let metrics {
            guard let data = FileManager.default.contents(atPath: metrics) else { throw StoreError.fileMissing(file: metrics) }
            do { metricValues = try JSONDecoder().decode([String: Double].self, from: data) } catch {
                throw StoreError.invalidInput(file: metrics, reason: "expected a JSON object of numbers: \(error)")
            }
        }
        let similarity = metric ?? .cosine
        var index = hnsw
        index?.metric = similarity
        var input = PublishInput(vectors: matrix, ids: itemIDs, method: method!, metrics: metricValues,
                                 inputFingerprint: try data.map(fileFingerprint), metric: similarity, index: index)
        input.queryVectors = try queryVectors.map { try NPY.read(path: $0) }
        input.scoring = scoring
        input.userVectorRule = rule ?? Defaults.standard.userVectorRule
        input.popularity = try popularity.map { try TrainedModel.readCounts(path: $0) }
        return input
    }
}

struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the versions of a store.",
        discussion: "With --catalog, also reports the staleness of the current version: its age and the catalog items it has no vector for.")

    @OptionGroup var jsonOption: JSONOption
    @Option(help: "Store directory.") var store: String
    @Option(help: "Catalog file (item_id per line, tab-separated extras): report items missing from the current version.")
    var catalog: String?

    struct Output: Encodable {
        var current: String?
        var versions: [VersionSummary]
        var staleness: StalenessReport?
    }

    func run() throws {
        let opened = try EmbeddingStore(path: store)
        var output = Output(current: try opened.currentVersion(), versions: try opened.summaries())
        if let catalog { output.staleness = try opened.open().staleness(catalog: try Catalog.read(path: catalog)) }
        if jsonOption.json { try printJSON(output); return }
        let formatter = ISO8601DateFormatter()
        for v in output.versions {
            let facts = v.error.map { "unreadable: \($0)" } ?? [
                v.createdAt.map(formatter.string(from:)) ?? "", v.method ?? "", "\(v.count ?? 0) x \(v.dimension ?? 0)",
                (v.metrics ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
            ].joined(separator: "  ")
            print("\(v.current ? "*" : " ") \(v.name)  \(facts)")
        }
        if let s = output.staleness {
            print("\(s.version): \(Int(s.ageSeconds)) s old; \(s.missingCount) of \(s.catalogItems) catalog items have no vector"
                + (s.missingSample.isEmpty ? "" : " (e.g. \(s.missingSample.prefix(5).joined(separator: ", ")))"))
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make the previous (or a named) version current again.")

    @OptionGroup var jsonOption: JSONOption
    @Option(help: "Store directory.") var store: String
    @Option(help: "Version to make current (default: the one that served before the current one, by HISTORY). Also repairs a garbled CURRENT.")
    var to: String?

    struct Output: Encodable { var from: String?; var to: String }

    func run() throws {
        let (from, to) = try EmbeddingStore(path: store).rollback(to: self.to)
        if jsonOption.json { try printJSON(Output(from: from, to: to)) } else { print("rolled back from \(from ?? "none") to \(to)") }
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove old versions and the leftovers of killed publishes.",
        discussion: "Keeps the N versions that served most recently, and never the current one. Recency is read from the store's HISTORY of CURRENT switches, never from version numbers. Versions that never served (a publish killed between its rename and the switch) are orphans: listed, and removed only with --remove-orphans.")

    @OptionGroup var jsonOption: JSONOption
    @Option(help: "Store directory.") var store: String
    @Option(help: "Versions to keep: the N most recently served.") var keep: Int
    @Flag(help: "Also remove orphans (complete versions that never served).") var removeOrphans = false

    func validate() throws { guard keep >= 1 else { throw ValidationError("--keep must be at least 1, got \(keep)") } }

    func run() throws {
        let result = try EmbeddingStore(path: store).garbageCollect(keep: keep, removeOrphans: removeOrphans)
        if jsonOption.json { try printJSON(result) } else {
            let versions = result.removedVersions
            print("removed \(versions.count) version(s)\(versions.isEmpty ? "" : ": " + versions.joined(separator: ", ")) and \(result.removedLeftovers.count) leftover(s)")
            if !result.orphans.isEmpty {
                print("orphans (complete, never served; \(removeOrphans ? "removed" : "kept, --remove-orphans removes them")): \(result.orphans.joined(separator: ", "))")
            }
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export a version's vectors as word2vec text or binary, or as .npy.",
        discussion: "The .npy file gets its ids beside it; gensim's KeyedVectors.load_word2vec_format and numpy.load read the files.")

    @OptionGroup var jsonOption: JSONOption
    @Option(help: "Store directory.") var store: String
    @Option(help: "Version (default: the current one).") var version: String?
    @Option(help: "The file format (npy writes the ids beside it).") var format: ExportFormat
    @Option(help: "Output file (outside the store).") var out: String
    @Flag(help: "Skip the checksum of every byte of the version (the export could carry corrupt data).") var noVerify = false

    struct Output: Encodable { var version: String; var format: String; var files: [String] }

    func run() throws {
        let opened = try EmbeddingStore(path: store).open(version, verify: noVerify ? .trust : .full)
        let files = try opened.export(to: out, format: format)
        if jsonOption.json { try printJSON(Output(version: opened.name, format: format.rawValue, files: files)) } else {
            print("exported \(opened.name) (\(opened.count) x \(opened.dimension)) to \(files.joined(separator: ", "))")
        }
    }
}
