import Foundation
import Logging
import RecVec

/// Follows the store's CURRENT, swaps the served version, watches the live signals after each
/// switch to a newly published version, and rolls back through the store on a breach.
///
/// Swapping replaces one reference under a lock; requests hold the `ServedVersion` they started
/// with, so in-flight requests finish on it and its maps are released with the last of them.
final class VersionFollower: @unchecked Sendable {
    let store: EmbeddingStore
    private let config: ServerConfig
    private let metrics: ServerMetrics
    private let logger: Logger
    private let lock = NSLock()
    private var inputs: ServingInputs
    private var served: ServedVersion?
    /// Versions the triggers rolled back: not adopted again until a newer publish.
    private var rejected: Set<String> = []
    /// A version CURRENT named that failed to open; not retried until CURRENT changes.
    private var failed: String?
    private var window: SignalWindow?
    private var rollingBack = false
    /// Versions switched away from, kept until no request holds them, so that their maps are
    /// released by `releaseRetired` (the poller's background thread), never by the request that
    /// happened to hold the last reference.
    private var retired: [ServedVersion] = []

    init(config: ServerConfig, metrics: ServerMetrics, logger: Logger) throws {
        self.config = config
        self.metrics = metrics
        self.logger = logger
        store = try EmbeddingStore(path: config.storePath)
        inputs = try ServingInputs.load(config)
    }

    /// The version answering requests now; nil before one is mapped (`/readyz` says 503).
    var current: ServedVersion? { lock.withLock { served } }
    var rejectedVersions: [String] { lock.withLock { rejected.sorted() } }

    /// Reads CURRENT and adopts the version it names when it differs from the served one.
    /// Returns true when it switched. A version that fails to open is logged, counted and left.
    @discardableResult
    func poll() -> Bool {
        releaseRetired()
        defer { releaseRetired() }
        let name: String?
        do { name = try store.currentVersion() } catch {
            logger.error("cannot read CURRENT", metadata: ["store": "\(store.path)", "error": "\(error)"])
            return false
        }
        guard let name else { return false }
        let (servedName, skip) = lock.withLock { (served?.name, rejected.contains(name) || failed == name) }
        guard name != servedName, !skip else { return false }
        return adopt(name, afterPublish: true)
    }

    /// Opens `name` and serves it. With `afterPublish`, a version newer than the served one
    /// starts a watch window for the rollback triggers. Everything but the switch itself runs
    /// before it, on the calling thread (the poller's low-priority thread): verification, the
    /// id lookup, the recommender's tables, and the page faults of the new maps (`prefault`),
    /// so the first requests on the new version cost what any other does.
    @discardableResult
    func adopt(_ name: String, afterPublish: Bool) -> Bool {
        let next: ServedVersion
        do {
            next = try ServedVersion(version: try store.open(name, verify: config.verify), inputs: lock.withLock { inputs })
            next.version.prefault()
        } catch {
            lock.withLock { failed = name }
            metrics.versionOpenFailed(name)
            logger.error("cannot open version; still serving the previous one", metadata: ["version": "\(name)", "error": "\(error)"])
            return false
        }
        let previous: String? = lock.withLock {
            let previous = served?.name
            if let old = served { retired.append(old) }
            served = next
            failed = nil
            let newer = previous.map { versionNumber(name) > versionNumber($0) } ?? false
            window = afterPublish && newer && config.rollback.enabled ? SignalWindow(version: name, previous: previous!) : nil
            return previous
        }
        metrics.switched(from: previous, to: name)
        logger.info("serving version", metadata: ["version": "\(name)", "previous": "\(previous ?? "none")"])
        return true
    }

    /// Releases the retired versions no request holds any more (their maps are unmapped here,
    /// on the caller's thread); returns how many are still held by in-flight requests.
    @discardableResult
    func releaseRetired() -> Int {
        var released: [ServedVersion] = []
        let held: Int = lock.withLock {
            var i = 0
            while i < retired.count {
                if isKnownUniquelyReferenced(&retired[i]) { released.append(retired.remove(at: i)) } else { i += 1 }
            }
            return retired.count
        }
        released.removeAll() // the last references: unmapped now, outside the lock
        return held
    }

    /// Re-reads the catalog and histories and re-opens CURRENT (admin reload).
    func reload() throws -> (serving: String, switched: Bool) {
        let fresh = try ServingInputs.load(config)
        guard let name = try store.currentVersion() else { throw StoreError.noCurrentVersion(store: store.path) }
        let before = lock.withLock { () -> String? in
            inputs = fresh
            rejected.remove(name)
            failed = nil
            return served?.name
        }
        guard adopt(name, afterPublish: true) else {
            throw APIError(status: 500, code: "open_failed", field: "version", value: name, message: "version \(name) failed to open; see the log")
        }
        return (name, before != name)
    }

    /// Admin rollback: the store's own rollback, then serve what CURRENT names.
    func rollback(to target: String?) throws -> (from: String?, to: String) {
        let result = try store.rollback(to: target)
        lock.withLock {
            rejected.remove(result.to)
            failed = nil
        }
        adopt(result.to, afterPublish: false)
        metrics.rolledBack(from: result.from, to: result.to, reason: "admin")
        logger.warning("rolled back by an admin request", metadata: ["from": "\(result.from ?? "none")", "to": "\(result.to)"])
        return result
    }

    /// Counts one answered recommend request toward the live signals of `version`.
    func record(version: String, status: Int, fallback: Bool, items: [String], seconds: Double) {
        let breach: (window: SignalWindow, reason: String)? = lock.withLock {
            guard window?.version == version, !rollingBack else { return nil }
            if window!.elapsed > config.rollback.windowSeconds {
                logger.info("version passed its watch window", metadata: ["version": "\(version)", "requests": "\(window!.requests)"])
                window = nil
                return nil
            }
            // In place: a copy (`var w = window`) made every request copy the window's set of
            // distinct items (up to every id of the version) under the lock before adding to it.
            window!.add(status: status, fallback: fallback, items: items, seconds: seconds)
            let requests = window!.requests
            guard requests >= config.rollback.minRequests, requests % 10 == 0 else { return nil }
            let signals = window!.signals()
            metrics.liveSignals(signals)
            guard let reason = signals.breach(config.rollback) else { return nil }
            rollingBack = true
            return (window!, reason)
        }
        guard let breach else { return }
        Task.detached { self.rollBack(breach.window, reason: breach.reason) }
    }

    /// Rolls the store back to the version served before `window.version`, marks that version
    /// rejected and serves the previous one.
    private func rollBack(_ window: SignalWindow, reason: String) {
        defer { lock.withLock { rollingBack = false } }
        do {
            // Only if CURRENT still names the bad version (a newer publish wins over the rollback).
            guard try store.currentVersion() == window.version else {
                lock.withLock { self.window = nil }
                return
            }
            // Rejected before CURRENT moves: the polling thread may adopt the previous version the
            // moment the store's rollback renames CURRENT, and whoever then sees that version
            // must also see the bad one rejected (and the rollback counted).
            lock.withLock {
                rejected.insert(window.version)
                self.window = nil
            }
            do {
                try store.rollback(to: window.previous)
            } catch {
                lock.withLock { _ = rejected.remove(window.version) }
                throw error
            }
            metrics.rolledBack(from: window.version, to: window.previous, reason: reason)
        } catch {
            logger.error("rollback trigger fired but the store's rollback failed",
                         metadata: ["version": "\(window.version)", "reason": "\(reason)", "error": "\(error)"])
            return
        }
        adopt(window.previous, afterPublish: false)
        logger.warning("rollback trigger: rolled back", metadata: ["from": "\(window.version)", "to": "\(window.previous)", "reason": "\(reason)"])
    }
}

func versionNumber(_ name: String) -> Int { Int(name.dropFirst()) ?? -1 }

/// The live signals of one version since it was switched to.
struct SignalWindow {
    let version: String
    let previous: String
    let started = ContinuousClock.now
    var requests = 0
    var errors = 0
    var fallbacks = 0
    var itemsReturned = 0
    var distinctItems: Set<String> = []
    /// Scoring times in log-spaced buckets (5% wide, from 1 µs): p99 without keeping samples.
    var latencyBuckets = [Int](repeating: 0, count: 400)

    init(version: String, previous: String) {
        self.version = version
        self.previous = previous
    }

    var elapsed: Double {
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    mutating func add(status: Int, fallback: Bool, items: [String], seconds: Double) {
        requests += 1
        if status >= 500 { errors += 1 }
        if fallback { fallbacks += 1 }
        itemsReturned += items.count
        distinctItems.formUnion(items)
        latencyBuckets[Self.bucket(seconds)] += 1
    }

    static func bucket(_ seconds: Double) -> Int {
        guard seconds > 1e-6 else { return 0 }
        return min(399, Int(log(seconds / 1e-6) / log(1.05)))
    }

    func signals() -> LiveSignals {
        var p99 = 0.0
        var seen = 0
        for (i, n) in latencyBuckets.enumerated() {
            seen += n
            if Double(seen) >= 0.99 * Double(requests) { p99 = 1e-6 * pow(1.05, Double(i + 1)); break }
        }
        return LiveSignals(version: version, requests: requests, errorRate: Double(errors) / Double(max(requests, 1)),
                           fallbackRate: Double(fallbacks) / Double(max(requests, 1)),
                           coverage: itemsReturned == 0 ? 1 : Double(distinctItems.count) / Double(itemsReturned),
                           p99Milliseconds: p99 * 1000)
    }
}

/// Error rate, fallback rate, coverage and p99 of one version over its watch window.
struct LiveSignals: Equatable {
    var version: String
    var requests: Int
    var errorRate: Double
    var fallbackRate: Double
    var coverage: Double
    var p99Milliseconds: Double

    /// The first threshold breached, as a reason for the log and the metric label.
    func breach(_ triggers: RollbackTriggers) -> String? {
        if let max = triggers.maxErrorRate, errorRate > max { return "error_rate" }
        if let max = triggers.maxFallbackRate, fallbackRate > max { return "fallback_rate" }
        if let min = triggers.minCoverage, coverage < min { return "coverage" }
        if let max = triggers.maxP99Milliseconds, p99Milliseconds > max { return "p99" }
        return nil
    }
}
