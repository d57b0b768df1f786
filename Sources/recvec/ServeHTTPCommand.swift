import ArgumentParser
import Dispatch
import Foundation
import RecVec
import RecVecServer

extension VerifyLevel: ExpressibleByArgument {}

/// `recvec serve`: the HTTP service (Sources/RecVecServer, routes in its openapi.yaml).
struct ServeHTTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve recommendations over HTTP, following new publishes.",
        discussion: """
        Serves the store's current version and switches when a new one is published.

        Routes: POST /v1/recommend, POST /v1/recommend:batch, GET /v1/items/{id}/similar?k=, GET /v1/versions, \
        GET /healthz, GET /readyz, GET /metrics (Prometheus text); with an admin token, POST /v1/admin/rollback and \
        POST /v1/admin/reload. SIGTERM or SIGINT stops accepting, drains in-flight requests and exits 0.
        """)

    @Option(help: "Store directory.") var store: String
    @Option(help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 = any free port, printed on stderr).") var port = 8080
    @Option(help: "Catalog file: item_id<TAB>category<TAB>popularity<TAB>attr,attr (rules, penalty, fallback order).") var catalog: String?
    @Option(help: "Histories file: user_id<TAB>item_id lines, oldest first (requests naming a user).") var histories: String?
    @Option(help: "User vector rule: last:N or recency:N:DECAY (default: the one the version's manifest records).", transform: parseRule)
    var rule: UserVectorRule?
    @Option(help: "Default popularity penalty weight (requests may override).") var popularityPenalty: Float = 0
    @Option(help: "Default MMR diversity in [0, 1) (requests may override).") var diversity: Float = 0
    @Option(help: "ANN candidates per request as a multiple of k.") var candidateFactor = 5
    @Option(help: "HNSW search candidate list size (default: the index's).") var efSearch: Int?
    @Option(help: "How versions are checked when opened (full: every byte against its checksums).") var verify: VerifyLevel = .full
    @Option(help: "Milliseconds between reads of CURRENT.") var pollMs = 250
    @Option(help: "Threads for batch requests and admin calls (0 = one per core); single requests are scored on their own task.") var scoringThreads = 0
    @Option(help: "JSON config: {\"limits\": {...}, \"rollback\": {...}} (see the README).") var config: String?
    @Option(help: "File holding the admin bearer token (else env RECVEC_ADMIN_TOKEN; neither = no admin routes).") var adminTokenFile: String?

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard pollMs >= 10 else { throw ValidationError("--poll-ms must be at least 10, got \(pollMs)") }
        guard scoringThreads >= 0 else { throw ValidationError("--scoring-threads must be 0 (one per core) or positive, got \(scoringThreads)") }
        guard diversity >= 0 && diversity < 1 else { throw ValidationError("--diversity must be in [0, 1), got \(diversity)") }
        guard popularityPenalty >= 0 else { throw ValidationError("--popularity-penalty must be >= 0, got \(popularityPenalty)") }
        guard candidateFactor >= 1 else { throw ValidationError("--candidate-factor must be at least 1, got \(candidateFactor)") }
        if let efSearch, efSearch < 1 { throw ValidationError("--ef-search must be at least 1, got \(efSearch)") }
    }

    func run() throws {
        var settings = ServerConfig(storePath: store)
        settings.host = host
        settings.port = port
        settings.catalogPath = catalog
        settings.historiesPath = histories
        settings.recommender.userVectorRule = rule
        settings.recommender.popularityPenalty = popularityPenalty
        settings.recommender.diversity = diversity
        settings.recommender.candidateFactor = candidateFactor
        settings.recommender.efSearch = efSearch
        settings.verify = verify
        settings.pollInterval = .milliseconds(pollMs)
        settings.scoringThreads = scoringThreads
        if let config {
            let file = try ServerConfigFile.read(path: config)
            if let limits = file.limits { settings.limits = limits }
            if let rollback = file.rollback { settings.rollback = rollback }
        }
        settings.adminToken = try adminToken()

        let server = try RecommendServer(config: settings)
        let done = DispatchSemaphore(value: 0)
        let failure = LockedError()
        Task {
            do { try await server.run(signals: [.sigterm, .sigint]) { port in
                FileHandle.standardError.write(Data("recvec serve: listening on http://\(host):\(port)\n".utf8))
            } } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.get() { throw error }
    }

    /// The token from --admin-token-file (trimmed), else RECVEC_ADMIN_TOKEN; an empty one is refused.
    private func adminToken() throws -> String? {
        let text: String
        if let adminTokenFile {
            guard let data = FileManager.default.contents(atPath: adminTokenFile) else {
                throw ValidationError("--admin-token-file \(adminTokenFile): cannot read the file")
            }
            text = String(decoding: data, as: UTF8.self)
        } else if let env = ProcessInfo.processInfo.environment["RECVEC_ADMIN_TOKEN"] {
            text = env
        } else {
            return nil
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else {
            throw ValidationError("the admin token must have at least 16 characters, got \(token.count) (from \(adminTokenFile ?? "RECVEC_ADMIN_TOKEN"))")
        }
        return token
    }
}

private final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ error: any Error) { lock.withLock { self.error = error } }
    func get() -> (any Error)? { lock.withLock { error } }
}
