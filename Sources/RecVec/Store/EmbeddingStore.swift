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
/// LOCK                  flock'd by publish, rollback and gc, so they run one at a time
/// versions/v000001/     vectors.rvv, ids.txt, index.hnsw, manifest.json
/// versions/.staging-*   a publish in progress (or killed); removed by the next publish or gc
/// ```
/// A version directory appears only by rename once all its files are fsync'd, and CURRENT
/// switches only after that, so readers see a whole version or the previous one.
public struct EmbeddingStore: Sendable {
    public let path: String
    static let marker = "recvec-store 1\n"

    var markerPath: String { path + "/STORE" }
    var currentPath: String { path + "/CURRENT" }
    var lockPath: String { path + "/LOCK" }
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
                throw StoreError.io(path: path, operation: "create store directory", errno: errno)
            }
            try DurableIO.write(path: markerPath, data: Array(Self.marker.utf8))
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

    /// The version CURRENT names, or nil before the first publish.
    public func currentVersion() throws -> String? {
        guard let data = FileManager.default.contents(atPath: currentPath) else { return nil }
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.sequenceNumber(name) != nil else {
            throw StoreError.invalidLine(file: currentPath, line: 1, reason: "\(VectorFile.printable(data.prefix(32))) is not a version name")
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
    public func open(_ name: String? = nil, verify: VerifyLevel = .quick) throws -> StoreVersion {
        guard let name = try name ?? currentVersion() else { throw StoreError.noCurrentVersion(store: path) }
        guard Self.sequenceNumber(name) != nil, FileManager.default.fileExists(atPath: versionPath(name)) else {
            throw StoreError.versionNotFound(name: name, available: try versions())
        }
        return try StoreVersion(path: versionPath(name), name: name, verify: verify)
    }

    /// Runs `body` holding the store's exclusive lock (flock on LOCK).
    func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: lockPath, operation: "open lock", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.io(path: lockPath, operation: "flock", errno: errno) }
        }
        return try body()
    }

    /// Points CURRENT at `name`: temp file, fsync, rename, fsync of the store directory.
    func switchCurrent(to name: String, afterStaged: () throws -> Void = {}) throws {
        let temporary = currentPath + ".tmp"
        try DurableIO.write(path: temporary, data: Array((name + "\n").utf8))
        try afterStaged()
        try DurableIO.rename(temporary, currentPath)
        try DurableIO.syncDirectory(path)
    }

    /// Removes what killed publishes left behind. Call with the lock held.
    func removeLeftovers() throws -> [String] {
        let fm = FileManager.default
        var removed: [String] = []
        for name in (try? fm.contentsOfDirectory(atPath: versionsPath)) ?? [] where name.hasPrefix(".staging-") {
            try? fm.removeItem(atPath: versionsPath + "/" + name)
            removed.append(name)
        }
        if fm.fileExists(atPath: currentPath + ".tmp") {
            try? fm.removeItem(atPath: currentPath + ".tmp")
            removed.append("CURRENT.tmp")
        }
        return removed
    }
}
