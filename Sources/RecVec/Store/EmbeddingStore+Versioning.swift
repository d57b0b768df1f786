import Foundation

/// One row of `versions`.
public struct VersionSummary: Codable, Sendable {
    public var name: String
    public var current: Bool
    public var createdAt: Date?
    public var method: String?
    public var count: Int?
    public var dimension: Int?
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

    /// Makes `name` current, or, when nil, the newest version older than the current one.
    /// The target must open (quick verification) first; on any failure CURRENT is unchanged.
    /// Returns (from, to).
    @discardableResult
    public func rollback(to name: String? = nil) throws -> (from: String?, to: String) {
        try withLock {
            let current = try currentVersion()
            let all = try versions()
            let target: String
            if let name {
                guard all.contains(name) else { throw StoreError.versionNotFound(name: name, available: all) }
                target = name
            } else {
                guard let current else { throw StoreError.rollbackUnavailable(reason: "the store has no current version") }
                let number = Self.sequenceNumber(current)!
                guard let older = all.last(where: { Self.sequenceNumber($0)! < number }) else {
                    throw StoreError.rollbackUnavailable(reason: "\(current) is the oldest version")
                }
                target = older
            }
            _ = try open(target, verify: .quick)
            try switchCurrent(to: target)
            return (current, target)
        }
    }

    /// Removes all versions but the newest `keep` and the current one, and leftovers of killed
    /// publishes. Returns the removed version names.
    @discardableResult
    public func garbageCollect(keep: Int) throws -> (versions: [String], leftovers: [String]) {
        guard keep >= 1 else { throw StoreError.invalidInput(file: "keep", reason: "must keep at least 1 version, got \(keep)") }
        return try withLock { (try removeOldVersions(keep: keep), try removeLeftovers()) }
    }

    /// Call with the lock held.
    func removeOldVersions(keep: Int) throws -> [String] {
        let current = try currentVersion()
        let all = try versions()
        let doomed = all.dropLast(keep).filter { $0 != current }
        for name in doomed {
            // Rename first so that a half-deleted version is never listed as one.
            let trash = versionsPath + "/.staging-deleting-\(name)"
            try DurableIO.rename(versionPath(name), trash)
            try? FileManager.default.removeItem(atPath: trash)
        }
        if !doomed.isEmpty { try DurableIO.syncDirectory(versionsPath) }
        return Array(doomed)
    }
}
