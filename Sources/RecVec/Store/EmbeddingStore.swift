#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A directory holding the published versions of one model:
/// ```
/// STORE                 marker: "recvec-store 1"
/// CURRENT               the name of the version being served (replaced by write + rename)
/// HISTORY               append-only, fsync'd: one line per switch of CURRENT (see `ServedHistory`)
/// LOCK                  flock'd by publish, rollback and gc, so they run one at a time
/// versions/v000001/     vectors.rvv, ids.txt, index.hnsw, manifest.json
/// versions/.staging-*   a publish in progress (or killed); removed by the next publish or gc
/// ```
/// A version directory appears only by rename once all its files are fsync'd, and CURRENT
/// switches only after that, so readers see a whole version or the previous one. No writer
/// ever opens a published file for writing: files are created exclusively and renamed into
/// place, and versions are removed by rename then unlink (a reader's maps stay valid).
public struct EmbeddingStore: Sendable {
    /// The store's root directory.
    public let path: String
    static let marker = "recvec-store 1\n"

    var markerPath: String { path + "/STORE" }
    var currentPath: String { path + "/CURRENT" }
    var lockPath: String { path + "/LOCK" }
    var historyPath: String { path + "/HISTORY" }
    var versionsPath: String { path + "/versions" }
    func versionPath(_ name: String) -> String { versionsPath + "/" + name }

    /// Opens the store at `path`. With `create`, a missing or empty directory becomes a new store.
    public init(path: String, create: Bool = false) throws {
        self.path = path
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue { throw StoreError.notAStore(path: path, reason: "it is a file, not a directory") }
        if !exists || (create && (try? fm.contentsOfDirectory(atPath: path))?.isEmpty == true) {
            guard create else { throw StoreError.notAStore(path: path, reason: "no such directory") }
            do {
                try fm.createDirectory(atPath: versionsPath, withIntermediateDirectories: true)
            } catch {
                throw FileFormatError.io(file: path, operation: "create store directory", errno: errno)
            }
            try DurableIO.replace(path: markerPath, data: Array(Self.marker.utf8))
            try DurableIO.syncDirectory(path)
            try DurableIO.syncDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
        guard let marker = fm.contents(atPath: markerPath) else {
            throw StoreError.notAStore(path: path, reason: "no STORE marker file (a store is created by `recvec publish`)")
        }
        guard String(decoding: marker, as: UTF8.self) == Self.marker else {
            throw StoreError.notAStore(path: path, reason: "STORE marker holds \(VectorFile.printable(marker.prefix(32))), expected \"recvec-store 1\"")
        }
    }

    /// Version names, oldest first. Names are `v` and six or more digits, in publish order.
    public func versions() throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: versionsPath) } catch {
            throw StoreError.notAStore(path: path, reason: "cannot list \(versionsPath)")
        }
        return names.filter { Self.sequenceNumber($0) != nil }.sorted { Self.sequenceNumber($0)! < Self.sequenceNumber($1)! }
    }

    static func sequenceNumber(_ name: String) -> Int? {
        guard name.first == "v", name.count >= 7 else { return nil }
        return Int(name.dropFirst())
    }

    static func versionName(_ number: Int) -> String {
        let digits = String(number)
        return "v" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The version CURRENT names, or nil before the first publish. A CURRENT that holds no
    /// version name throws `StoreError.garbledCurrent` (repair: `rollback(to:)`).
    public func currentVersion() throws -> String? {
        guard let data = FileManager.default.contents(atPath: currentPath) else { return nil }
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.sequenceNumber(name) != nil, data.count <= 64 else {
            let lastServed = (try? readHistory())?.last?.version
            throw StoreError.garbledCurrent(file: currentPath, found: VectorFile.printable(data.prefix(32)), lastServed: lastServed)
        }
        return name
    }

    /// The manifest of version `name`.
    public func manifest(of name: String) throws -> Manifest {
        guard Self.sequenceNumber(name) != nil, FileManager.default.fileExists(atPath: versionPath(name)) else {
            throw StoreError.versionNotFound(name: name, available: try versions())
        }
        return try Manifest.read(path: versionPath(name) + "/" + Manifest.fileName)
    }

    /// Opens version `name` (default: the current one), memory-mapping vectors and index.
    /// `.full` (the default) checks every byte against its checksum, once per version per
    /// process (`StoreVersion.init`); `.quick` trusts the data bytes.
    ///
    /// Opening the current version: if the version CURRENT named is removed (a concurrent `gc`
    /// or `publish --keep`) between reading CURRENT and opening its files, CURRENT is read
    /// again and, when it changed, the new version is opened (once). `afterReadingCurrent` is
    /// a test hook called between the two steps.
    public func open(_ name: String? = nil, verify: VerifyLevel = .full) throws -> StoreVersion {
        try open(name, verify: verify, afterReadingCurrent: nil)
    }

    func open(_ name: String?, verify: VerifyLevel, afterReadingCurrent: (() throws -> Void)?) throws -> StoreVersion {
        if let name { return try openNamed(name, verify: verify) }
        guard let current = try currentVersion() else { throw StoreError.noCurrentVersion(store: path) }
        try afterReadingCurrent?()
        do {
            return try openNamed(current, verify: verify)
        } catch let error as StoreError {
            switch error {
            case .versionNotFound, .fileMissing:
                guard let now = try currentVersion(), now != current else { throw error }
                return try openNamed(now, verify: verify)
            default: throw error
            }
        }
    }

    private func openNamed(_ name: String, verify: VerifyLevel) throws -> StoreVersion {
        guard Self.sequenceNumber(name) != nil, FileManager.default.fileExists(atPath: versionPath(name)) else {
            throw StoreError.versionNotFound(name: name, available: try versions())
        }
        return try StoreVersion(path: versionPath(name), name: name, verify: verify)
    }

    /// Runs `body` holding the store's exclusive lock (flock on LOCK).
    func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileFormatError.io(file: lockPath, operation: "open lock", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FileFormatError.io(file: lockPath, operation: "flock", errno: errno) }
        }
        return try body()
    }

    /// Points CURRENT at `name` (temp file created exclusively, fsync, rename, fsync of the
    /// store directory), then appends the switch to HISTORY. Call with the lock held.
    func switchCurrent(to name: String, event: ServedHistory.Event, afterStaged: () throws -> Void = {}) throws {
        try materializeHistory()
        let writer = try DurableIO.Writer(replacing: currentPath)
        try writer.append(Array((name + "\n").utf8))
        try writer.finish(beforeRename: afterStaged)
        try appendHistory(ServedHistory.Entry(date: Date(), version: name, event: event))
    }

    /// Removes what killed publishes left behind. Call with the lock held.
    func removeLeftovers() throws -> [String] {
        let fm = FileManager.default
        var removed: [String] = []
        for name in (try? fm.contentsOfDirectory(atPath: versionsPath)) ?? [] where name.hasPrefix(".staging-") {
            try? fm.removeItem(atPath: versionsPath + "/" + name)
            removed.append(name)
        }
        // CURRENT.tmp: the temporary name of earlier builds; .CURRENT.tmp-* and .HISTORY.tmp-*: of this one.
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? []
        where name == "CURRENT.tmp" || name.hasPrefix(".CURRENT.tmp-") || name.hasPrefix(".HISTORY.tmp-") {
            try? fm.removeItem(atPath: path + "/" + name)
            removed.append(name)
        }
        return removed
    }
}
