import Foundation

/// What a version is: written last into the version's directory, read first when it opens.
public struct Manifest: Codable, Equatable, Sendable {
    /// Size and XXH64 checksum of one file of the version. For vector files the checksum is
    /// the one in its trailer (of every byte before the trailer); for other files, of the whole file.
    public struct FileRecord: Codable, Equatable, Sendable {
        public var bytes: Int
        public var xxh64: String
        public init(bytes: Int, checksum: UInt64) { self.bytes = bytes; xxh64 = checksumHex(checksum) }
        public var checksum: UInt64? { UInt64(xxh64, radix: 16) }
    }

    public static let currentFormatVersion = 1
    public static let fileName = "manifest.json"
    public static let vectorsFile = "vectors.rvv"
    /// Optional query-side vectors (same rows and dimension), for methods that score a user
    /// vector built from other vectors than the item side (`recvec train`'s query.npy).
    public static let queryVectorsFile = "query.rvv"
    public static let idsFile = "ids.txt"
    public static let indexFile = "index.hnsw"
    /// Optional training counts, one per row (RVVECTOR, dimension 1, float32: exact below 2^24),
    /// that a request with no known history falls back to.
    public static let popularityFile = "popularity.rvv"

    public var formatVersion = Manifest.currentFormatVersion
    public var version: String
    public var createdAt: Date
    /// The training method ("sgns", "als", ...) and its configuration, as given to publish.
    public var method: String
    public var configuration: [String: String]
    /// XXH64 of the data the vectors were trained from (or of the vectors and ids when the
    /// publisher did not name the training data).
    public var inputFingerprint: String
    /// Offline evaluation metrics ("recall@20", "ndcg@20", "coverage@20", ...).
    public var metrics: [String: Double]
    public var metric: Metric
    public var dimension: Int
    public var count: Int
    /// The ANN index configuration; nil when the version has no index (exact search).
    public var index: HNSWConfig?
    public var files: [String: FileRecord]
    /// How the vectors score, as trained and evaluated: `cosine` (one matrix both sides) or
    /// `asymmetric-dot` (user vectors from the query side, items from the item side). nil in
    /// versions published before it was recorded.
    public var scoring: Scoring?
    /// How a history becomes a user vector, as evaluated; `Recommender` uses it unless told
    /// otherwise. nil in older versions (the recommender then uses `UserVectorRule.default`).
    public var userVectorRule: UserVectorRule?
    /// The settings the model was trained and evaluated under (`Defaults`).
    public var defaults: Defaults?
    /// What produced the version (`recvec pipeline`): inputs' fingerprints, config, metrics, timings.
    public var run: RunReport?

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Reads and validates the manifest at `path`.
    static func read(path: String) throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.fileMissing(file: path) }
        let manifest: Manifest
        do {
            manifest = try decoder().decode(Manifest.self, from: data)
        } catch {
            throw StoreError.corruptManifest(file: path, reason: "\(error)")
        }
        guard manifest.formatVersion == currentFormatVersion else {
            throw StoreError.unsupportedFormatVersion(file: path, found: UInt32(clamping: manifest.formatVersion), supported: UInt32(currentFormatVersion))
        }
        for name in [vectorsFile, idsFile] + (manifest.index == nil ? [] : [indexFile]) {
            guard let record = manifest.files[name], record.checksum != nil else {
                throw StoreError.corruptManifest(file: path, reason: "no valid checksum for \(name)")
            }
        }
        return manifest
    }
}
