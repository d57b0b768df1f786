import Foundation

/// What a version is: written last into the version's directory, read first when it opens.
public struct Manifest: Codable, Equatable, Sendable {
    /// Size and XXH64 checksum of one file of the version. For vector files the checksum is
    /// the one in its trailer (of every byte before the trailer); for other files, of the whole file.
    package struct FileRecord: Codable, Equatable, Sendable {
        /// File size in bytes.
        public var bytes: Int
        /// The checksum as 16 lowercase hex digits.
        public var xxh64: String
        /// Records a file's size and checksum.
        public init(bytes: Int, checksum: UInt64) { self.bytes = bytes; xxh64 = checksumHex(checksum) }
        /// The checksum as a number; nil when `xxh64` is not hex.
        public var checksum: UInt64? { UInt64(xxh64, radix: 16) }
    }

    /// 2 adds `manifestChecksum`. Format 1 manifests (no checksum of their own) still open:
    /// their files are still verified against the checksums they record.
    public static let currentFormatVersion = 2
    /// Format versions this build opens.
    public static let supportedFormatVersions = 1 ... 2
    /// The only files a manifest may name: plain names inside the version folder.
    public static let knownFiles: Set<String> = [vectorsFile, queryVectorsFile, idsFile, indexFile, popularityFile]
    /// The manifest's file name inside a version folder.
    public static let fileName = "manifest.json"
    /// The item-side vectors (RVVECTOR format).
    public static let vectorsFile = "vectors.rvv"
    /// Optional query-side vectors (same rows and dimension), for methods that score a user
    /// vector built from other vectors than the item side (`recvec train`'s query.npy).
    public static let queryVectorsFile = "query.rvv"
    /// The item ids, one per line in row order.
    public static let idsFile = "ids.txt"
    /// The HNSW index, when the version has one.
    public static let indexFile = "index.hnsw"
    /// Optional training counts, one per row (RVVECTOR, dimension 1, float32: exact below 2^24),
    /// that a request with no known history falls back to.
    public static let popularityFile = "popularity.rvv"

    /// The manifest format; always written as `currentFormatVersion`.
    public var formatVersion = Manifest.currentFormatVersion
    /// The version's name (its folder's name).
    public var version: String
    /// When the version was published.
    public var createdAt: Date
    /// The training method ("sgns", "als", ...) and its configuration, as given to publish.
    public var method: String
    /// The method's hyperparameters as key = value.
    public var configuration: [String: String]
    /// XXH64 of the data the vectors were trained from (or of the vectors and ids when the
    /// publisher did not name the training data).
    public var inputFingerprint: String
    /// Offline evaluation metrics ("recall@20", "ndcg@20", "coverage@20", ...).
    public var metrics: [String: Double]
    /// How rows score against a query.
    public var metric: Metric
    /// Vector dimension.
    public var dimension: Int
    /// Number of items (rows).
    public var count: Int
    /// The ANN index configuration; nil when the version has no index (exact search).
    public var index: HNSWConfig?
    /// Size and checksum of every file of the version, by file name (only `knownFiles`).
    package var files: [String: FileRecord]
    /// How the vectors score, as trained and evaluated: `cosine` (one matrix both sides) or
    /// `asymmetric-dot` (user vectors from the query side, items from the item side). nil in
    /// versions published before it was recorded.
    public var scoring: RetrievalScoring?
    /// How a history becomes a user vector, as evaluated; `Recommender` uses it unless told
    /// otherwise. nil in older versions (the recommender then uses `UserVectorRule.default`).
    public var userVectorRule: UserVectorRule?
    /// beta of the popularity prior the model was evaluated with: `Recommender` ranks by
    /// score + beta * log(1 + training count), the counts being `popularity.rvv`. nil (versions
    /// published before it was recorded, or without a prior) means 0.
    public var popularityPrior: Float?
    /// The settings the model was trained and evaluated under (`Defaults`).
    public var defaults: Defaults?
    /// What produced the version (`recvec pipeline`): inputs' fingerprints, config, metrics, timings.
    package var run: RunReport?
    /// XXH64 of the manifest file's bytes with this value's 16 hex digits read as "0"s
    /// (format 2; nil in format 1).
    public var manifestChecksum: String?

    static let checksumKey = Array("\"manifestChecksum\"".utf8)
    static let placeholder = String(repeating: "0", count: 16)

    /// The bytes of manifest.json: JSON whose `manifestChecksum` covers the whole file.
    func encoded() throws -> [UInt8] {
        var copy = self
        copy.formatVersion = Self.currentFormatVersion
        copy.manifestChecksum = Self.placeholder
        var bytes = Array(try Self.encoder().encode(copy))
        guard let range = Self.checksumValueRange(in: bytes, hex: Self.placeholder) else {
            throw StoreError.corruptManifest(file: Self.fileName, reason: "cannot place the manifest checksum (a metric or configuration key named manifestChecksum?)")
        }
        bytes.replaceSubrange(range, with: Array(checksumHex(XXH64.hash(bytes)).utf8))
        return bytes
    }

    /// Where the 16 hex digits `hex` of the one top-level `"manifestChecksum"` value lie; nil
    /// when the key is absent, appears more than once, or is not followed by `"hex"`.
    static func checksumValueRange(in bytes: [UInt8], hex: String) -> Range<Int>? {
        var keys: [Int] = []
        var i = 0
        while i + checksumKey.count <= bytes.count {
            if bytes[i] == 0x22, Array(bytes[i ..< i + checksumKey.count]) == checksumKey { keys.append(i) }
            i += 1
        }
        guard keys.count == 1 else { return nil }
        var at = keys[0] + checksumKey.count
        while at < bytes.count, [0x20, 0x3A, 0x0A, 0x09].contains(bytes[at]) { at += 1 }
        let value = [0x22] + Array(hex.utf8) + [0x22]
        guard at + value.count <= bytes.count, Array(bytes[at ..< at + value.count]) == value else { return nil }
        return at + 1 ..< at + 17
    }

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

    /// Reads and validates the manifest at `path`: its own checksum (format 2), the checksums
    /// it must record, and that every file it names is a plain name inside the version folder.
    static func read(path: String) throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.fileMissing(file: path) }
        let manifest: Manifest
        do {
            manifest = try decoder().decode(Manifest.self, from: data)
        } catch {
            throw StoreError.corruptManifest(file: path, reason: "\(error)")
        }
        guard supportedFormatVersions.contains(manifest.formatVersion) else {
            throw FileFormatError.unsupportedVersion(file: path, found: UInt32(clamping: manifest.formatVersion), supported: UInt32(currentFormatVersion))
        }
        if manifest.formatVersion >= 2 {
            guard let hex = manifest.manifestChecksum, let recorded = UInt64(hex, radix: 16), hex.utf8.count == 16 else {
                throw StoreError.corruptManifest(file: path, reason: "format \(manifest.formatVersion) needs a manifestChecksum of 16 hex digits")
            }
            var bytes = [UInt8](data)
            guard let range = checksumValueRange(in: bytes, hex: hex) else {
                throw StoreError.corruptManifest(file: path, reason: "expected exactly one \"manifestChecksum\" key")
            }
            bytes.replaceSubrange(range, with: Array(placeholder.utf8))
            let found = XXH64.hash(bytes)
            guard found == recorded else { throw FileFormatError.checksumMismatch(file: path, expected: recorded, found: found) }
        }
        for name in manifest.files.keys where !knownFiles.contains(name) {
            let outside = name.contains("/") || name == "." || name == ".."
            throw StoreError.corruptManifest(file: path, reason: "names the file \(VectorFile.printable(name.utf8.prefix(80)))"
                + (outside ? ", a path outside its version folder" : ", which is not a file of a version")
                + " (expected \(knownFiles.sorted().joined(separator: ", ")))")
        }
        if let beta = manifest.popularityPrior, beta != 0 {
            guard beta.isFinite else { throw StoreError.corruptManifest(file: path, reason: "popularityPrior must be a finite number, got \(beta)") }
            guard manifest.files[popularityFile] != nil else {
                throw StoreError.corruptManifest(file: path, reason: "popularityPrior \(beta) needs the training counts \(popularityFile), which the version lacks")
            }
        }
        for name in [vectorsFile, idsFile] + (manifest.index == nil ? [] : [indexFile]) {
            guard let record = manifest.files[name], record.checksum != nil else {
                throw StoreError.corruptManifest(file: path, reason: "no valid checksum for \(name)")
            }
        }
        return manifest
    }
}
