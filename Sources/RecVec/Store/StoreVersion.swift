import Foundation

/// One published version, open: vectors and index memory-mapped, ids in memory. The object owns
/// its maps and unmaps them when the last reference goes (a server swapping versions releases
/// the old one once no request holds it).
public final class StoreVersion: @unchecked Sendable {
    /// The version's name (`v000003`).
    public let name: String
    /// The version's folder.
    public let path: String
    /// The parsed manifest, checked against its own checksum at open.
    public let manifest: Manifest
    /// The item-side vectors, memory-mapped.
    package let vectors: VectorFile
    /// Query-side vectors user vectors are built from, when the version has them.
    package let queryVectors: VectorFile?
    /// Training counts per row (`popularity.rvv`, dimension 1), when the version has them.
    package let popularity: VectorFile?
    /// The rows user vectors are built from: the query side if present, else the item side.
    package var userSideVectors: VectorFile { queryVectors ?? vectors }
    /// Item ids in row order (read from the mapped ids file on access).
    package let ids: ItemIDTable
    /// The ANN index, nil for a version published without one (exact search).
    public let index: HNSWIndex?
    /// What `nearest` searches: `index`, or without one a `FlatIndex` over the mapped vectors
    /// in place (no copy; its rows are checked for non-finite values once, here at open).
    public let searchIndex: any VectorIndex

    /// Number of items.
    public var count: Int { vectors.count }
    /// Vector dimension.
    public var dimension: Int { vectors.dimension }

    /// Opens the version directory at `path`. Checks, for every level: the manifest parses,
    /// matches its own checksum and names this version and only files inside its folder; each
    /// file is a regular file (not a symlink) with the size the manifest records; the vectors
    /// header matches the manifest (dimension, count, checksum in the trailer); the ids are as
    /// many as the rows, unique and well-formed; the index was built from these vectors (its
    /// recorded vectors checksum equals the vectors file's). `.full` also recomputes the
    /// checksum of every byte of every file (XXH64, several GB/s), once per version per
    /// process: the verdict is cached under the version's path, the manifest's checksum and
    /// each file's device, inode, size and change times, so a long-running server opening the
    /// same version again pays nothing, and a file replaced or edited since is checked again.
    public init(path: String, name: String, verify: VerifyLevel = .full) throws {
        let manifestPath = path + "/" + Manifest.fileName
        let manifest = try Manifest.read(path: manifestPath)
        guard manifest.version == name else {
            throw StoreError.corruptManifest(file: manifestPath, reason: "names version \(manifest.version), but its directory is \(name)")
        }
        var fingerprint: [UInt64] = []
        for file in [Manifest.fileName] + manifest.files.keys.sorted() {
            let filePath = path + "/" + file
            var info = stat()
            guard lstat(filePath, &info) == 0 else { throw StoreError.fileMissing(file: filePath) }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw StoreError.invalidInput(file: filePath, reason: "is not a regular file (a symlink or other); a version holds only its own files")
            }
            if let record = manifest.files[file], Int(info.st_size) != record.bytes {
                throw FileFormatError.truncated(file: filePath, expectedBytes: record.bytes, foundBytes: Int(info.st_size))
            }
            fingerprint += [UInt64(info.st_dev), UInt64(info.st_ino), UInt64(info.st_size),
                            UInt64(bitPattern: Int64(info.st_mtim.tv_sec)), UInt64(bitPattern: Int64(info.st_mtim.tv_nsec)),
                            UInt64(bitPattern: Int64(info.st_ctim.tv_sec)), UInt64(bitPattern: Int64(info.st_ctim.tv_nsec))]
        }
        fingerprint.append(manifest.manifestChecksum.flatMap { UInt64($0, radix: 16) } ?? 0)
        let alreadyVerified = verify == .full && VerifiedVersions.contains(path: path, fingerprint: fingerprint)
        let verify: VerifyLevel = alreadyVerified ? .quick : verify

        let vectorsPath = path + "/" + Manifest.vectorsFile
        let vectors = try VectorFile(path: vectorsPath, verify: verify)
        let recordedVectors = manifest.files[Manifest.vectorsFile]!.checksum!
        try Self.expect(vectorsPath, checksum: (recordedVectors, vectors.checksum), dimension: (manifest.dimension, vectors.dimension),
                        count: (manifest.count, vectors.count))

        var queryVectors: VectorFile?
        if let record = manifest.files[Manifest.queryVectorsFile] {
            let queryPath = path + "/" + Manifest.queryVectorsFile
            let query = try VectorFile(path: queryPath, verify: verify)
            try Self.expect(queryPath, checksum: (record.checksum, query.checksum), dimension: (vectors.dimension, query.dimension),
                            count: (vectors.count, query.count))
            queryVectors = query
        }

        var popularity: VectorFile?
        if let record = manifest.files[Manifest.popularityFile] {
            let popularityPath = path + "/" + Manifest.popularityFile
            let counts = try VectorFile(path: popularityPath, verify: verify)
            try Self.expect(popularityPath, checksum: (record.checksum, counts.checksum), dimension: (1, counts.dimension),
                            count: (vectors.count, counts.count))
            popularity = counts
        }

        let idsPath = path + "/" + Manifest.idsFile
        let idsFile = try MappedFile(path: idsPath)
        if verify == .full {
            try Self.verify(idsFile, record: manifest.files[Manifest.idsFile]!)
        }
        let ids = try ItemIDTable(file: idsFile, checkCharacters: verify == .full)
        guard ids.count == vectors.count else {
            throw StoreError.countMismatch(file: idsPath, expected: vectors.count, found: ids.count)
        }
        if verify == .full { try ids.buildLookup() }

        var index: HNSWIndex?
        if manifest.index != nil {
            let indexPath = path + "/" + Manifest.indexFile
            // The index's own checksum is skipped (verify: false): at `.full` the manifest's
            // checksum of the whole file covers it, in one read.
            if verify == .full {
                try Self.verify(try MappedFile(path: indexPath), record: manifest.files[Manifest.indexFile]!)
            }
            let loaded = try HNSWIndex.load(from: URL(fileURLWithPath: indexPath), verify: false)
            guard loaded.vectorsChecksum == vectors.checksum else {
                throw StoreError.indexMismatch(file: indexPath, indexVectorsChecksum: loaded.vectorsChecksum, vectorsChecksum: vectors.checksum)
            }
            try Self.expect(indexPath, dimension: (vectors.dimension, loaded.dimension), count: (vectors.count, loaded.count))
            index = loaded
        }

        self.name = name
        self.path = path
        self.manifest = manifest
        self.vectors = vectors
        self.queryVectors = queryVectors
        self.popularity = popularity
        self.ids = ids
        self.index = index
        if let index {
            self.searchIndex = index
        } else {
            self.searchIndex = try FlatIndex(rows: vectors.values, count: vectors.count, dimension: vectors.dimension,
                                             metric: manifest.metric, owner: vectors)
        }
        if verify == .full { VerifiedVersions.insert(path: path, fingerprint: fingerprint) }
    }

    /// Throws unless the file at `path` has the checksum (when given), dimension and row count
    /// it must have: each pair is (expected, found); a missing recorded checksum never matches.
    private static func expect(_ path: String, checksum: (UInt64?, UInt64)? = nil, dimension: (Int, Int), count: (Int, Int)) throws {
        if let (expected, found) = checksum, expected != found {
            throw FileFormatError.checksumMismatch(file: path, expected: expected ?? 0, found: found)
        }
        guard dimension.0 == dimension.1 else { throw StoreError.dimensionMismatch(file: path, expected: dimension.0, found: dimension.1) }
        guard count.0 == count.1 else { throw StoreError.countMismatch(file: path, expected: count.0, found: count.1) }
    }

    private static func verify(_ file: MappedFile, record: Manifest.FileRecord) throws {
        let found = file.withBytes { XXH64.hash($0) }
        guard found == record.checksum! else { throw FileFormatError.checksumMismatch(file: file.path, expected: record.checksum!, found: found) }
    }

    /// Drops every cached `.full` verdict of this process: the next full open of any version
    /// checks every byte again (benchmarks, or after repairing files by hand).
    public static func forgetVerifiedVersions() { VerifiedVersions.reset() }

    /// Maps every page of the version's files (vectors, query-side vectors, counts, ids, index)
    /// into this process's page tables (`MappedFile.prefault`) and builds the id lookup (a
    /// `.quick` open, or a `.full` one of a version this process verified before, leaves it to
    /// the first `row(of:)`), so the first requests answered by a newly opened version take no
    /// page faults and build nothing. Returns the bytes covered.
    @discardableResult
    public func prefault() -> Int {
        ids.prepareLookup()
        var files: [MappedFile] = [vectors.file]
        if let queryVectors { files.append(queryVectors.file) }
        if let popularity { files.append(popularity.file) }
        if let mapping = ids.mapping { files.append(mapping) }
        if let mapping = index?.mapping { files.append(mapping) }
        return files.reduce(0) { $0 + $1.prefault() }
    }

    /// The row of item `id`, nil when the version has no vector for it.
    public func row(of id: String) -> Int32? { ids.row(of: id) }

    /// The `k` rows nearest to `query` under the version's metric, best first: through the HNSW
    /// index when the version has one, else exact (`Kernels.topK`, C kernel `rv_score_topk_f32`).
    public func nearest(_ query: [Float], k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil) throws -> [Neighbour] {
        // Exact search answers at most `count` rows; HNSW's bounds are its own.
        try searchIndex.search(query, k: index == nil ? min(k, count) : k, efSearch: efSearch, filter: filter)
    }

    /// Copies of `rows` (ids of this version) of `file` (`vectors` or `userSideVectors`) as one
    /// matrix, read straight from the map: what the request path scores candidates and builds
    /// user vectors from.
    package func gather(_ rows: some Sequence<Int32>, from file: VectorFile) -> Matrix {
        var values: [Float] = []
        values.reserveCapacity(rows.underestimatedCount * file.dimension)
        var n = 0
        for row in rows {
            values.append(contentsOf: file.row(Int(row)))
            n += 1
        }
        return try! Matrix(rows: n, cols: file.dimension, values: values)
    }
}

/// The versions this process has checked byte by byte (`VerifyLevel.full`), by path, with the
/// fingerprint they had then (see `StoreVersion.init`).
enum VerifiedVersions {
    private static let lock = NSLock()
    private static var verified: [String: [UInt64]] = [:]

    static func contains(path: String, fingerprint: [UInt64]) -> Bool {
        lock.withLock { verified[path] == fingerprint }
    }

    static func insert(path: String, fingerprint: [UInt64]) {
        lock.withLock { verified[path] = fingerprint }
    }

    /// Forgets every verdict (tests).
    static func reset() {
        lock.withLock { verified.removeAll() }
    }
}
