import Foundation
import RecVec

/// Everything `recvec serve` is started with. Defaults are documented on each field; the JSON
/// config file (`--config`) sets `limits` and `rollback` with the same snake_case names.
public struct ServerConfig: Sendable {
    /// Store directory whose CURRENT version is served.
    public var storePath: String
    /// Address to bind; loopback by default, so nothing is exposed without asking.
    public var host = "127.0.0.1"
    /// Port to bind; 0 = an ephemeral port (the tests use it; `onListening` reports the port).
    public var port = 8080
    /// Catalog file (`Catalog.read`) for the category cap, required attributes and popularity.
    public var catalogPath: String?
    /// Histories file (`Histories.read`) for requests naming a known user.
    public var historiesPath: String?
    /// Scoring knobs every request starts from; requests may override the popularity penalty
    /// and diversity.
    public var recommender = RecommenderConfig()
    /// How the opened versions are checked: `.full` (every byte against its checksums, once per
    /// version per process, as `recvec recommend` does) by default.
    public var verify: VerifyLevel = .full
    /// How often CURRENT is read to follow new publishes.
    public var pollInterval: Duration = .milliseconds(250)
    /// Threads that run batch requests and admin calls (off the NIO event loops); 0 = one per
    /// core. Single requests are scored on their own task (Swift's cooperative pool).
    public var scoringThreads = 0
    /// Bearer token of the admin routes; nil = the admin routes do not exist.
    public var adminToken: String?
    public var limits = RequestLimits()
    public var rollback = RollbackTriggers()

    public init(storePath: String) { self.storePath = storePath }
}

/// What one request may ask for. Over a limit, the request gets a 4xx naming the field.
public struct RequestLimits: Sendable, Codable, Equatable {
    /// Largest accepted body (413 above it).
    public var maxBodyBytes = 256 * 1024
    /// Most history items in one request.
    public var maxHistoryItems = 1000
    /// Largest k.
    public var maxK = 1000
    /// Most requests in one batch.
    public var maxBatchRequests = 256
    /// Most ids in a block or allow list.
    public var maxListItems = 10000
    /// Seconds a client may take to send its body (408 after).
    public var bodyTimeoutSeconds = 10.0
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeoutSeconds = 60.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxBodyBytes = "max_body_bytes", maxHistoryItems = "max_history_items", maxK = "max_k",
             maxBatchRequests = "max_batch_requests", maxListItems = "max_list_items",
             bodyTimeoutSeconds = "body_timeout_seconds", idleTimeoutSeconds = "idle_timeout_seconds"
    }
}

/// When the service gives a newly adopted version back: over `windowSeconds` after each switch
/// to a newly published version, once `minRequests` recommend requests were answered by it, a
/// breach of any threshold rolls the store back to the version served before (through
/// `EmbeddingStore.rollback(to:)`), and that version is not adopted again until a newer publish.
/// A nil threshold is not checked.
public struct RollbackTriggers: Sendable, Codable, Equatable {
    public var enabled = true
    public var windowSeconds = 60.0
    public var minRequests = 50
    /// Fraction of requests answered 5xx.
    public var maxErrorRate: Double? = 0.05
    /// Fraction of requests answered by the popularity fallback.
    public var maxFallbackRate: Double? = 0.5
    /// Distinct items returned over all items returned; a collapsed model that gives everyone
    /// the same list scores k / (requests x k).
    public var minCoverage: Double?
    /// 99th percentile of the scoring time, in milliseconds.
    public var maxP99Milliseconds: Double?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case enabled, windowSeconds = "window_seconds", minRequests = "min_requests", maxErrorRate = "max_error_rate",
             maxFallbackRate = "max_fallback_rate", minCoverage = "min_coverage", maxP99Milliseconds = "max_p99_ms"
    }
}

/// The JSON config file: `{"limits": {...}, "rollback": {...}}`, every field optional.
public struct ServerConfigFile: Sendable, Codable, Equatable {
    public var limits: RequestLimits?
    public var rollback: RollbackTriggers?

    /// Reads the file, rejecting unknown keys (a typo must not silently leave a default).
    public static func read(path: String) throws -> ServerConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerError.config(file: path, reason: "cannot read the file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ServerError.config(file: path, reason: "not a JSON object")
        }
        let allowed: [String: Set<String>] = [
            "limits": Set(RequestLimits.CodingKeys.allCases.map(\.rawValue)),
            "rollback": Set(RollbackTriggers.CodingKeys.allCases.map(\.rawValue)),
        ]
        for (key, value) in object {
            guard let fields = allowed[key] else {
                throw ServerError.config(file: path, reason: "unknown key \(key) (expected one of limits, rollback)")
            }
            for field in (value as? [String: Any])?.keys ?? [:].keys where !fields.contains(field) {
                throw ServerError.config(file: path, reason: "unknown key \(key).\(field) (expected one of \(fields.sorted().joined(separator: ", ")))")
            }
        }
        do {
            return try JSONDecoder().decode(ServerConfigFile.self, from: data)
        } catch {
            throw ServerError.config(file: path, reason: "\(error)")
        }
    }
}

extension RequestLimits {
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
        maxHistoryItems = try c.decodeIfPresent(Int.self, forKey: .maxHistoryItems) ?? maxHistoryItems
        maxK = try c.decodeIfPresent(Int.self, forKey: .maxK) ?? maxK
        maxBatchRequests = try c.decodeIfPresent(Int.self, forKey: .maxBatchRequests) ?? maxBatchRequests
        maxListItems = try c.decodeIfPresent(Int.self, forKey: .maxListItems) ?? maxListItems
        bodyTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .bodyTimeoutSeconds) ?? bodyTimeoutSeconds
        idleTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .idleTimeoutSeconds) ?? idleTimeoutSeconds
    }
}

extension RollbackTriggers {
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        windowSeconds = try c.decodeIfPresent(Double.self, forKey: .windowSeconds) ?? windowSeconds
        minRequests = try c.decodeIfPresent(Int.self, forKey: .minRequests) ?? minRequests
        // An explicit null turns a threshold off.
        if c.contains(.maxErrorRate) { maxErrorRate = try c.decodeIfPresent(Double.self, forKey: .maxErrorRate) }
        if c.contains(.maxFallbackRate) { maxFallbackRate = try c.decodeIfPresent(Double.self, forKey: .maxFallbackRate) }
        if c.contains(.minCoverage) { minCoverage = try c.decodeIfPresent(Double.self, forKey: .minCoverage) }
        if c.contains(.maxP99Milliseconds) { maxP99Milliseconds = try c.decodeIfPresent(Double.self, forKey: .maxP99Milliseconds) }
    }
}

extension RequestLimits.CodingKeys: CaseIterable {}
extension RollbackTriggers.CodingKeys: CaseIterable {}

/// Why the service cannot start or act. Messages name the file or value and what was expected.
public enum ServerError: Error, Equatable, LocalizedError, CustomStringConvertible {
    case config(file: String, reason: String)
    case invalidOption(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .config(file, reason): return "\(file): \(reason)"
        case let .invalidOption(name, value, expected): return "invalid \(name): \(value) (expected \(expected))"
        }
    }

    public var errorDescription: String? { description }
}
