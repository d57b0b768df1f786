import ArgumentParser
import Foundation
import RecVec

extension Preset: ExpressibleByArgument {}
extension Method: ExpressibleByArgument {}
extension RetrievalScoring: ExpressibleByArgument {
    /// The library's enum is not CaseIterable, so the values `--help` lists are named here.
    public static var allValueStrings: [String] { [RetrievalScoring.cosine, .asymmetricDot].map(\.rawValue) }
}
extension UserVectorRule: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// The hyperparameters a command trains with: a preset, then the values the behaviour families
/// share, set once for all of them (`SharedHyperparameters`).
struct ModelOptions: ParsableArguments {
    @Option(help: "The hyperparameter preset (default: \(Defaults.standard.preset.rawValue); `table`: seed).")
    var preset: Preset?
    @Option(help: "Embedding dimension of every behaviour method; default: the preset's.") var dimension: Int?
    @Option(help: "Co-occurrence and SGNS window; default: the preset's.") var window: Int?
    @Option(help: "SGNS epochs (passes over the walks for graph walks); default: the preset's.") var epochs: Int?
    @Option(help: "SGNS negative samples per pair (Item2Vec, graph walks); default: the preset's.") var negatives: Int?
    @Option(help: "SGNS subsampling threshold of Item2Vec and graph walks (0 = off); default: the preset's, raised to 10 / catalogue size.")
    var subsample: Double?
    @Option(help: "Scoring of the behaviour methods; default: the preset's.") var scoring: RetrievalScoring?
    @Option(help: "PPMI+SVD with asymmetric-dot: add log popularity to the score (true/false); default: the preset's.") var popularityBias: Bool?
    @Option(help: "Logs without a session column: a gap longer than this many seconds starts a new session (default: \(Defaults.standard.sessionGapSeconds)).")
    var sessionGap: Int64?

    func validate() throws {
        for (flag, value) in [("--dimension", dimension), ("--window", window), ("--epochs", epochs), ("--negatives", negatives)] {
            if let value, value < 1 { throw ValidationError("\(flag) must be at least 1, got \(value)") }
        }
        if let sessionGap, sessionGap < 0 { throw ValidationError("--session-gap must be >= 0 seconds, got \(sessionGap)") }
        if let s = subsample, !(s >= 0 && s.isFinite) { throw ValidationError("--subsample must be >= 0, got \(s)") }
    }

    var shared: SharedHyperparameters {
        SharedHyperparameters(dimension: dimension, window: window, epochs: epochs, negatives: negatives, subsample: subsample,
                              scoring: scoring, popularityBias: popularityBias)
    }
}

/// The one `Defaults` value a command runs under: `Defaults.standard` with the flags given.
func makeSettings(global: GlobalOptions, model: ModelOptions, ranking: RankingOptions? = nil, defaultPreset: Preset = Defaults.standard.preset) -> Defaults {
    var s = Defaults.standard
    s.seed = global.seed
    s.preset = model.preset ?? defaultPreset
    s.shared = model.shared
    if let gap = model.sessionGap { s.sessionGapSeconds = gap }
    if let ranking {
        s.k = ranking.k
        s.ties = ranking.ties
        s.userVectorRule = ranking.rule()
    }
    return s
}

/// Gives events logs the dense item order of their ids (decimal ids by value, then the others),
/// whatever order the file lists them in, with the content rows to match: the same data then
/// trains the same model and ties break the same way from any file (a CSV, its baskets, u.data).
func canonicalOrder(_ loaded: LoadedEvents) throws -> LoadedEvents {
    var out = loaded
    out.log = loaded.log.withIDsInOrder()
    let rowOf = out.log.itemIDs.ids.map { loaded.log.itemIDs.index(of: $0)! }
    out.content = try loaded.content.map { modality in
        var values: [Float] = []
        values.reserveCapacity(modality.vectors.values.count)
        let cols = modality.vectors.cols
        for r in rowOf { values.append(contentsOf: modality.vectors.values[Int(r) * cols ..< (Int(r) + 1) * cols]) }
        return ContentModality(name: modality.name, vectors: try Matrix(rows: rowOf.count, cols: cols, values: values))
    }
    return out
}

/// XXH64 of a whole file (memory-mapped), as recorded in manifests.
func fileFingerprint(_ path: String) throws -> String {
    String(try MappedFile(path: path).withBytes { XXH64.hash($0) }, radix: 16)
}
