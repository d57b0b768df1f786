import Foundation

/// What `publish` turns into a version.
public struct PublishInput: Sendable {
    /// Item-side vectors: what the index searches and ranking scores.
    public var vectors: Matrix
    /// Query-side vectors, one row per item like `vectors`, that user vectors are built from;
    /// nil = user vectors come from `vectors`.
    public var queryVectors: Matrix?
    /// Item ids in row order.
    public var ids: [String]
    /// The training method's name, recorded in the manifest (`Manifest.method`).
    public var method: String
    /// The method's hyperparameters as key = value, recorded in the manifest; the key
    /// `manifestChecksum` is reserved.
    public var configuration: [String: String]
    /// Offline metrics ("recall@20", ...) recorded in the manifest; the publish gate compares them
    /// with the current version's. The key `manifestChecksum` is reserved.
    public var metrics: [String: Double]
    /// A fingerprint of the training data; nil = XXH64 of the ids seeded with XXH64 of the vectors.
    public var inputFingerprint: String?
    /// How rows score against a query (and what the index is built for).
    public var metric: Metric
    /// The ANN index to build; nil = none (the version serves by exact search).
    public var index: HNSWConfig?
    /// How the vectors score, as evaluated (recorded in the manifest).
    public var scoring: RetrievalScoring?
    /// How a history becomes a user vector, as evaluated; the recommender's default.
    public var userVectorRule: UserVectorRule?
    /// Training events per row (`Corpus.counts()`): what a request with no known history falls
    /// back to; written as `popularity.rvv`.
    public var popularity: [Int]?
    /// beta of the popularity prior, as evaluated (nil or 0: none); needs `popularity`.
    public var popularityPrior: Float?
    /// The settings the model was trained and evaluated under, recorded in the manifest.
    public var defaults: Defaults?
    /// What produced the version (`recvec pipeline`), recorded in the manifest.
    package var run: RunReport?

    /// The parts every version needs; set the optional properties (query vectors, scoring, rule,
    /// popularity, defaults, run report) afterwards. Checked by `publish`, not here.
    /// - Parameters:
    ///   - vectors: item-side vectors, one row per id.
    ///   - ids: item ids in row order: unique, non-empty, no newline.
    ///   - method: the training method's name.
    ///   - configuration: the method's hyperparameters as key = value.
    ///   - metrics: offline metrics ("recall@20", ...).
    ///   - inputFingerprint: a fingerprint of the training data; nil = derived from vectors and ids.
    ///   - metric: how rows score (`.cosine` by default).
    ///   - index: the HNSW index to build; nil = none (exact search).
    public init(vectors: Matrix, ids: [String], method: String, configuration: [String: String] = [:],
                metrics: [String: Double] = [:], inputFingerprint: String? = nil, metric: Metric = .cosine,
                index: HNSWConfig? = HNSWConfig()) {
        self.vectors = vectors
        self.ids = ids
        self.method = method
        self.configuration = configuration
        self.metrics = metrics
        self.inputFingerprint = inputFingerprint
        self.metric = metric
        self.index = index
    }
}

/// The steps of a publish, in order. A publisher killed after any of them leaves the store
/// serving the previous version (up to `versionRenamed`, or `pointerStaged`) or the new one.
public enum PublishStep: Int, CaseIterable, Sendable {
    case staged = 1, vectorsWritten, idsWritten, indexWritten, manifestWritten, stagingSynced,
         versionRenamed, pointerStaged, pointerSwitched, cleanedUp
}

/// What `publish` did: the new version and what it removed or found.
public struct PublishResult: Codable, Sendable {
    /// The new version's name (`v000001`, `v000002`, ...), now current.
    public var version: String
    /// The version served before, if any.
    public var previous: String?
    /// Old versions removed by `keep`.
    public var removedVersions: [String]
    /// Temporary files of killed publishes, removed.
    public var removedLeftovers: [String]
    /// Complete versions that never served (see `GarbageCollection.orphans`); `keep` never removes them.
    public var orphans: [String] = []
}

extension EmbeddingStore {
    /// Writes `input` as a new version and makes it current, atomically (see the type's doc).
    /// With a `gate`, the new version must pass it against the current one, or the publish is
    /// undone and `StoreError.gateRefused` says why. `keep` then removes the versions outside
    /// the `keep` that served most recently (see `garbageCollect`; never the current one, never
    /// an orphan). The index is built on `threads` threads (0 = all; 1 gives the same graph on
    /// every run). `afterStep` is a test hook called after each step.
    public func publish(_ input: PublishInput, gate: (any PublishCheck)? = nil, keep: Int? = nil, threads: Int = 0,
                        progress: ((String) -> Void)? = nil, afterStep: ((PublishStep) throws -> Void)? = nil) throws -> PublishResult {
        guard input.ids.count == input.vectors.rows else {
            throw StoreError.countMismatch(file: "ids", expected: input.vectors.rows, found: input.ids.count)
        }
        guard input.vectors.rows > 0 else { throw StoreError.invalidInput(file: "vectors", reason: "no rows to publish") }
        if let query = input.queryVectors {
            guard query.cols == input.vectors.cols else {
                throw StoreError.dimensionMismatch(file: "query vectors", expected: input.vectors.cols, found: query.cols)
            }
            guard query.rows == input.vectors.rows else {
                throw StoreError.countMismatch(file: "query vectors", expected: input.vectors.rows, found: query.rows)
            }
        }
        let idBytes = ItemIDTable.encode(input.ids)
        // The checks a reader applies (empty, whitespace, duplicates), on the bytes to be written.
        let table = try ItemIDTable(bytes: idBytes, path: "ids")
        guard table.count == input.ids.count else {
            throw StoreError.invalidInput(file: "ids", reason: "an item id contains a newline")
        }
        try table.buildLookup()
        if let keep, keep < 1 { throw StoreError.invalidInput(file: "keep", reason: "must keep at least 1 version, got \(keep)") }
        for key in Array(input.metrics.keys) + Array(input.configuration.keys) where key == "manifestChecksum" {
            throw StoreError.invalidInput(file: "metrics", reason: "manifestChecksum is reserved for the manifest's own checksum")
        }
        if let popularity = input.popularity {
            guard popularity.count == input.vectors.rows else {
                throw StoreError.countMismatch(file: "popularity", expected: input.vectors.rows, found: popularity.count)
            }
            if let bad = popularity.first(where: { $0 < 0 }) {
                throw StoreError.invalidInput(file: "popularity", reason: "counts must be >= 0, got \(bad)")
            }
        }
        if let beta = input.popularityPrior, beta != 0 {
            guard beta.isFinite else { throw StoreError.invalidInput(file: "popularityPrior", reason: "must be a finite number, got \(beta)") }
            guard input.popularity != nil else {
                throw StoreError.invalidInput(file: "popularityPrior", reason: "a prior of \(beta) needs the training counts (popularity) it is applied to")
            }
        }

        return try withLock {
            let step: (PublishStep) throws -> Void = afterStep ?? { _ in }
            let leftovers = try removeLeftovers()
            let previous = try currentVersion()
            // Numbers are never reused: after the newest version, and after any the history names.
            let served = try reconciledHistory().compactMap { Self.sequenceNumber($0.version) }
            let number = max(try versions().last.flatMap(Self.sequenceNumber) ?? 0, served.max() ?? 0) + 1
            let name = Self.versionName(number)
            let staging = versionsPath + "/.staging-\(name)-\(getpid())"
            do {
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
            } catch {
                throw FileFormatError.io(file: staging, operation: "mkdir", errno: errno)
            }
            try DurableIO.syncDirectory(versionsPath)
            try step(.staged)

            // Any failure before the rename removes the staging directory (a kill leaves it
            // for the next publish or gc); the served version is never touched.
            do {
                progress?("writing \(input.vectors.rows) x \(input.vectors.cols) vectors")
                let vectorsPath = staging + "/" + Manifest.vectorsFile
                let vectorsChecksum = try VectorFile.write(input.vectors, to: vectorsPath)
                var files = [Manifest.vectorsFile: Manifest.FileRecord(
                    bytes: VectorFile.headerBytes + input.vectors.values.count * 4 + 8, checksum: vectorsChecksum)]
                if let query = input.queryVectors {
                    let checksum = try VectorFile.write(query, to: staging + "/" + Manifest.queryVectorsFile)
                    files[Manifest.queryVectorsFile] = .init(bytes: VectorFile.headerBytes + query.values.count * 4 + 8, checksum: checksum)
                }
                if let popularity = input.popularity {
                    let column = try Matrix(rows: popularity.count, cols: 1, values: popularity.map(Float.init))
                    let checksum = try VectorFile.write(column, to: staging + "/" + Manifest.popularityFile)
                    files[Manifest.popularityFile] = .init(bytes: VectorFile.headerBytes + popularity.count * 4 + 8, checksum: checksum)
                }
                try step(.vectorsWritten)

                try DurableIO.write(path: staging + "/" + Manifest.idsFile, data: idBytes)
                files[Manifest.idsFile] = .init(bytes: idBytes.count, checksum: XXH64.hash(idBytes))
                try step(.idsWritten)

                if let config = input.index {
                    progress?("building the HNSW index (M \(config.m), efConstruction \(config.efConstruction))")
                    let every = max(1, input.vectors.rows / 10)
                    let index = try HNSWIndex(vectors: input.vectors, config: config, threads: threads, progress: progress.map { report in
                        { inserted in if inserted % every == 0 { report("indexed \(inserted) / \(input.vectors.rows)") } }
                    })
                    let indexPath = staging + "/" + Manifest.indexFile
                    try index.write(to: URL(fileURLWithPath: indexPath), vectorsChecksum: vectorsChecksum)
                    try DurableIO.syncFile(indexPath)
                    let (bytes, checksum) = try DurableIO.checksum(path: indexPath)
                    files[Manifest.indexFile] = .init(bytes: bytes, checksum: checksum)
                }
                try step(.indexWritten)

                let fingerprint = input.inputFingerprint ?? {
                    let vectors = input.vectors.values.withUnsafeBytes { XXH64.hash($0) }
                    return checksumHex(XXH64.hash(idBytes, seed: vectors))
                }()
                let manifest = Manifest(version: name, createdAt: Date(), method: input.method, configuration: input.configuration,
                                        inputFingerprint: fingerprint, metrics: input.metrics, metric: input.index?.metric ?? input.metric,
                                        dimension: input.vectors.cols, count: input.vectors.rows, index: input.index, files: files,
                                        scoring: input.scoring, userVectorRule: input.userVectorRule,
                                        popularityPrior: input.popularityPrior == 0 ? nil : input.popularityPrior,
                                        defaults: input.defaults, run: input.run)
                try DurableIO.write(path: staging + "/" + Manifest.fileName, data: try manifest.encoded())
                try step(.manifestWritten)
                try DurableIO.syncDirectory(staging)
                try step(.stagingSynced)

                if let gate, let previous {
                    progress?("checking the publish gate against \(previous)")
                    let reasons: [String]
                    let candidate = try StoreVersion(path: staging, name: name, verify: .quick)
                    reasons = try gate.evaluate(candidate: candidate, current: try open(previous, verify: .quick))
                    if !reasons.isEmpty { throw StoreError.gateRefused(candidate: name, reasons: reasons) }
                }
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                throw error
            }

            try DurableIO.rename(staging, versionPath(name))
            try DurableIO.syncDirectory(versionsPath)
            try step(.versionRenamed)
            try switchCurrent(to: name, event: .publish) { try step(.pointerStaged) }
            try step(.pointerSwitched)
            let (removed, orphans) = try keep.map { try removeOldVersions(keep: $0, removeOrphans: false) } ?? ([], [])
            try step(.cleanedUp)
            return PublishResult(version: name, previous: previous, removedVersions: removed, removedLeftovers: leftovers, orphans: orphans)
        }
    }
}

/// What `publish(_:gate:)` asks of a gate: the reasons to refuse `candidate` against the current
/// version (empty = pass). `PublishGate` (Serve) is the one the commands use.
public protocol PublishCheck: Sendable {
    func evaluate(candidate: StoreVersion, current: StoreVersion) throws -> [String]
}
