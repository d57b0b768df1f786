import Foundation

/// One row of `versions`.
public struct VersionSummary: Codable, Sendable {
    /// The version's name.
    public var name: String
    /// Whether CURRENT names this version.
    public var current: Bool
    /// When the version was published; nil when its manifest cannot be read.
    public var createdAt: Date?
    /// The training method recorded in the manifest.
    public var method: String?
    /// Number of items (rows).
    public var count: Int?
    /// Vector dimension.
    public var dimension: Int?
    /// The offline metrics recorded at publish.
    public var metrics: [String: Double]?
    /// Set when the manifest cannot be read.
    public var error: String?
}

extension EmbeddingStore {
    /// Every version, oldest first, with its manifest's headline facts.
    public func summaries() throws -> [VersionSummary] {
        let current = try currentVersion()
        return try versions().map { name in
            do {
                let m = try manifest(of: name)
                return VersionSummary(name: name, current: name == current, createdAt: m.createdAt, method: m.method,
                                      count: m.count, dimension: m.dimension, metrics: m.metrics)
            } catch {
                return VersionSummary(name: name, current: name == current, error: "\(error)")
            }
        }
    }

    /// Makes `name` current, or, when nil, the version that served before the current one by
    /// the store's history (`ServedHistory`; versions removed since are skipped). The target
    /// must open with full verification first; on any failure CURRENT is unchanged. With a
    /// `name`, a garbled CURRENT is repaired (it is the only command that accepts one).
    /// Returns (from, to).
    @discardableResult
    public func rollback(to name: String? = nil) throws -> (from: String?, to: String) {
        try withLock {
            let all = try versions()
            let current: String?
            do { current = try currentVersion() } catch StoreError.garbledCurrent(file: _, found: _, lastServed: _) where name != nil {
                current = nil
            }
            let target: String
            if let name {
                guard all.contains(name) else { throw StoreError.versionNotFound(name: name, available: all) }
                target = name
            } else {
                guard let current else { throw StoreError.rollbackUnavailable(reason: "the store has no current version") }
                var stack = ServedHistory.stack(try reconciledHistory())
                if stack.last == current { stack.removeLast() }
                guard let previous = stack.last(where: { $0 != current && all.contains($0) }) else {
                    throw StoreError.rollbackUnavailable(reason: "no version served before \(current) is left (see HISTORY; give --to VERSION)")
                }
                target = previous
            }
            _ = try open(target, verify: .full)
            if current != nil { _ = try reconciledHistory() }
            try switchCurrent(to: target, event: name == nil ? .rollback : .switchTo)
            return (current, target)
        }
    }

    /// Removes the versions outside the `keep` that served most recently (by HISTORY, never
    /// by version number; the current one always stays) and leftovers of killed publishes.
    /// Complete versions that never served are orphans: reported, and removed only with
    /// `removeOrphans`.
    @discardableResult
    public func garbageCollect(keep: Int, removeOrphans: Bool = false) throws -> GarbageCollection {
        guard keep >= 1 else { throw StoreError.invalidInput(file: "keep", reason: "must keep at least 1 version, got \(keep)") }
        return try withLock {
            let (removed, orphans) = try removeOldVersions(keep: keep, removeOrphans: removeOrphans)
            return GarbageCollection(removedVersions: removed, removedLeftovers: try removeLeftovers(), orphans: orphans)
        }
    }

    /// The versions `keep` protects: the current one and the most recent `keep` distinct
    /// versions of the history that still exist. Call with the lock held.
    func protectedVersions(keep: Int, history: [ServedHistory.Entry], existing: [String]) throws -> Set<String> {
        var protected: Set<String> = []
        if let current = try currentVersion() { protected.insert(current) }
        var distinct: [String] = []
        for entry in history.reversed() where existing.contains(entry.version) && !distinct.contains(entry.version) {
            distinct.append(entry.version)
            if distinct.count == keep { break }
        }
        return protected.union(distinct)
    }

    /// Call with the lock held. Returns (removed, orphans left or removed).
    func removeOldVersions(keep: Int, removeOrphans: Bool) throws -> (removed: [String], orphans: [String]) {
        let history = try reconciledHistory()
        let all = try versions()
        let served = Set(history.map(\.version))
        let protected = try protectedVersions(keep: keep, history: history, existing: all)
        let orphans = all.filter { !served.contains($0) && !protected.contains($0) }
        let doomed = all.filter { !protected.contains($0) && (served.contains($0) || removeOrphans) }
        for name in doomed {
            // Rename first so that a half-deleted version is never listed as one.
            let trash = versionsPath + "/.staging-deleting-\(name)"
            try DurableIO.rename(versionPath(name), trash)
            try? FileManager.default.removeItem(atPath: trash)
        }
        if !doomed.isEmpty { try DurableIO.syncDirectory(versionsPath) }
        return (doomed, orphans)
    }
}

/// What `garbageCollect` did.
public struct GarbageCollection: Codable, Equatable, Sendable {
    /// Versions removed (outside the kept ones; never the current one).
    public var removedVersions: [String]
    /// Staging folders and temporaries of killed publishes, removed.
    public var removedLeftovers: [String]
    /// Complete versions that never served (by HISTORY): a publish killed between renaming its
    /// version into place and switching CURRENT. Kept unless `removeOrphans`; listed either way.
    public var orphans: [String]
}
