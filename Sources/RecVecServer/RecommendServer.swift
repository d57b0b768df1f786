import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import RecVec
import ServiceLifecycle
import UnixSignals

/// The HTTP service over a store: Hummingbird 2 on SwiftNIO. NIO's event loops do the I/O; a
/// request's parsing, scoring and encoding run off them, on the handler's own task (single
/// requests) or on `scoringPool` (a `NIOThreadPool`: batches and admin calls), so a slow request
/// never blocks an event loop. Routes and bodies are documented in `openapi.yaml`.
public final class RecommendServer: @unchecked Sendable {
    public let config: ServerConfig
    let follower: VersionFollower
    let metrics = ServerMetrics()
    let logger: Logger
    private let scoringPool: NIOThreadPool
    let bodyWatchdog = BodyWatchdog()
    private let lock = NSLock()
    private var serviceGroup: ServiceGroup?
    private var listeningPort: Int?
    /// Scoring calls that found themselves on an event loop thread (must stay 0; the tests check).
    private(set) var scoredOnEventLoop = 0

    public init(config: ServerConfig, logger: Logger? = nil) throws {
        guard config.port >= 0 && config.port <= 65535 else {
            throw ServerError.invalidOption(name: "port", value: "\(config.port)", expected: "0...65535")
        }
        guard config.scoringThreads >= 0 else {
            throw ServerError.invalidOption(name: "scoringThreads", value: "\(config.scoringThreads)", expected: ">= 0")
        }
        self.config = config
        self.logger = logger ?? Logger(label: "recvec.serve") { StreamLogHandler.standardError(label: $0) }
        follower = try VersionFollower(config: config, metrics: metrics, logger: self.logger)
        scoringPool = NIOThreadPool(numberOfThreads: config.scoringThreads == 0 ? System.coreCount : config.scoringThreads)
    }

    /// The port the server listens on, once it does (the configured one, or the ephemeral one for port 0).
    public var port: Int? { lock.withLock { listeningPort } }

    /// Serves until a graceful shutdown (one of `signals`, or `shutdown()`): then stops
    /// accepting, lets in-flight requests finish and returns. `onListening` gets the bound port.
    public func run(signals: [UnixSignal] = [], onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        follower.poll()
        scoringPool.start()
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(config.limits.idleTimeoutSeconds * 1000)))),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "recvec"),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? config.port
                lock.withLock { listeningPort = port }
                logger.info("listening", metadata: ["host": "\(config.host)", "port": "\(port)",
                                                    "version": "\(follower.current?.name ?? "none yet")"])
                onListening(port)
            },
            logger: logger
        )
        let poller = CurrentPoller(follower: follower, interval: config.pollInterval)
        let sweeper = BodyWatchdogSweeper(watchdog: bodyWatchdog, interval: BodyWatchdog.sweepInterval(forTimeout: config.limits.bodyTimeoutSeconds))
        // Shut down in reverse order: the app drains its requests while the sweeper still runs.
        let group = ServiceGroup(configuration: .init(services: [poller, sweeper, app], gracefulShutdownSignals: signals, logger: logger))
        lock.withLock { serviceGroup = group }
        do { try await group.run() } catch {
            try? await scoringPool.shutdownGracefully()
            throw error
        }
        try? await scoringPool.shutdownGracefully()
        logger.info("stopped: in-flight requests drained")
    }

    /// Starts a graceful shutdown of a running server.
    public func shutdown() async {
        let group = lock.withLock { serviceGroup }
        await group?.triggerGracefulShutdown()
    }

    // MARK: routes

    func makeRouter() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.post("/v1/recommend") { request, context in
            // Scored on the handler's own task (Swift's cooperative pool, not an event loop):
            // one request is tens of microseconds, less than two thread hand-offs would cost.
            await self.respond("/v1/recommend", request, context, offload: false) { body, served in
                let served = served!
                let parsed = try RecommendRequest(try JSON.parse(body.readableBytesView), limits: self.config.limits)
                let started = ContinuousClock.now
                let outcome = try self.scoreRecorded(served) { try served.recommend(parsed) }
                self.observe(served, outcome, since: started)
                return ByteBuffer(bytes: try outcome.reply.json())
            }
        }
        router.post("/v1/recommend:batch") { request, context in
            await self.respond("/v1/recommend:batch", request, context) { body, served in
                let served = served!
                let parsed = try BatchRequest(try JSON.parse(body.readableBytesView), limits: self.config.limits)
                let started = ContinuousClock.now
                let outcomes = try self.scoreRecorded(served) { try served.recommendBatch(parsed.requests) }
                for outcome in outcomes { self.observe(served, outcome, since: started) }
                return ByteBuffer(bytes: try BatchReply(version: served.name, responses: outcomes.map(\.reply)).json())
            }
        }
        router.get("/v1/items/{id}/similar") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.respond("/v1/items/{id}/similar", request, context, readBody: false, offload: false) { _, served in
                let served = served!
                let k = try self.similarK(request)
                return try self.encode(try self.scoreRecorded(served) { try served.similar(to: id, k: k) })
            }
        }
        router.get("/v1/versions") { request, context in
            await self.respond("/v1/versions", request, context, readBody: false, needsVersion: false) { _, served in
                let store = self.follower.store
                return try self.encode(VersionsReply(serving: served?.name, current: try store.currentVersion(),
                                                     rejected: self.follower.rejectedVersions, versions: try store.summaries()))
            }
        }
        router.get("/healthz") { request, context in
            await self.respond("/healthz", request, context, readBody: false, needsVersion: false, offload: false) { _, _ in
                try self.encode(["status": "ok"])
            }
        }
        router.get("/readyz") { request, context in
            await self.respond("/readyz", request, context, readBody: false, needsVersion: false, offload: false) { _, served in
                guard let served else {
                    throw APIError(status: 503, code: "not_ready", message: "no version is mapped yet (store \(self.config.storePath) has no CURRENT, or it failed to open)")
                }
                return try self.encode(["status": "ready", "version": served.name])
            }
        }
        router.get("/metrics") { request, _ in
            let started = ContinuousClock.now
            let text = self.metrics.render()
            self.metrics.request(endpoint: "/metrics", status: 200, seconds: seconds(since: started))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        if let token = config.adminToken {
            router.post("/v1/admin/rollback") { request, context in
                await self.respond("/v1/admin/rollback", request, context, needsVersion: false) { body, _ in
                    try self.authorize(request, token: token)
                    let parsed = try RollbackRequest(body.readableBytes == 0 ? .object([:]) : try JSON.parse(body.readableBytesView))
                    let result = try self.follower.rollback(to: parsed.to)
                    return try self.encode(RollbackReply(from: result.from, to: result.to, serving: self.follower.current?.name ?? result.to))
                }
            }
            router.post("/v1/admin/reload") { request, context in
                await self.respond("/v1/admin/reload", request, context, needsVersion: false) { _, _ in
                    try self.authorize(request, token: token)
                    let result = try self.follower.reload()
                    return try self.encode(ReloadReply(serving: result.serving, switched: result.switched))
                }
            }
        }
        return router
    }

    // MARK: request plumbing

    /// Reads the body (size limit, slow-client timeout), pins the served version, runs `work`
    /// (on the scoring pool with `offload`, else on the handler's task, which is never an event
    /// loop) and turns errors into JSON 4xx/5xx; counts and times every answer.
    private func respond(_ endpoint: String, _ request: Request, _ context: ServerRequestContext, readBody: Bool = true,
                         needsVersion: Bool = true, offload: Bool = true,
                         _ work: @escaping @Sendable (ByteBuffer, ServedVersion?) throws -> ByteBuffer) async -> Response {
        let started = ContinuousClock.now
        var status = 200
        var closeConnection = false
        var served: ServedVersion?
        let body: ByteBuffer
        do {
            let payload = readBody ? try await self.readBody(request, channel: context.channel, started: started) : ByteBuffer()
            served = follower.current
            if needsVersion && served == nil {
                throw APIError(status: 503, code: "not_ready", message: "no version is mapped yet")
            }
            if offload {
                body = try await scoringPool.runIfActive { [served] in try work(payload, served) }
            } else {
                body = try work(payload, served)
            }
        } catch let error as APIError {
            status = error.status
            closeConnection = error.status == 408 || error.status == 413
            if error.status < 500 { metrics.rejected(code: error.code) }
            body = (try? encode(error.body)) ?? ByteBuffer()
        } catch let error as ServeError {
            let api = Self.apiError(error)
            status = api.status
            if api.status < 500 { metrics.rejected(code: api.code) }
            body = (try? encode(api.body)) ?? ByteBuffer()
            if api.status >= 500, let served, endpoint.hasPrefix("/v1/recommend") {
                follower.record(version: served.name, status: api.status, fallback: false, items: [], seconds: seconds(since: started))
            }
        } catch let error as StoreError where Self.apiError(error) != nil {
            let api = Self.apiError(error)!
            status = api.status
            metrics.rejected(code: api.code)
            body = (try? encode(api.body)) ?? ByteBuffer()
        } catch {
            status = 500
            logger.error("request failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            body = (try? encode(APIError(status: 500, code: "internal", message: "\(error)").body)) ?? ByteBuffer()
            // A version that fails requests counts toward its error-rate trigger.
            if let served, endpoint.hasPrefix("/v1/recommend") {
                follower.record(version: served.name, status: 500, fallback: false, items: [], seconds: seconds(since: started))
            }
        }
        metrics.request(endpoint: endpoint, status: status, seconds: seconds(since: started))
        var headers: HTTPFields = [.contentType: "application/json"]
        if closeConnection { headers[.connection] = "close" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: body))
    }

    /// Library errors a client caused, as 4xx naming the argument.
    static func apiError(_ error: ServeError) -> APIError {
        switch error {
        case let .invalidArgument(name, value, expected):
            // The library's argument names, as the request spells them.
            let field = ["maxPerCategory": "max_per_category", "requiredAttributes": "require", "popularityPenalty": "popularity_penalty"][name] ?? name
            return APIError(status: 400, code: expected.contains("catalog") ? "needs_catalog" : "out_of_range", field: field, value: value,
                            message: "invalid \(field): \(value) (expected \(expected))")
        case let .unknownItem(id, _):
            return APIError(status: 404, code: "unknown_item", field: "history", value: id, message: error.description)
        case let .unknownUser(id):
            return APIError(status: 404, code: "unknown_user", field: "user", value: id, message: error.description)
        case .emptyHistory:
            return APIError(status: 400, code: "empty_history", field: "history", message: error.description)
        case .nonFiniteScore:
            // The version's data, not the request: counts toward the error-rate trigger.
            return APIError(status: 500, code: "non_finite_score", message: error.description)
        case let .noFallback(_, unknown):
            return APIError(status: 422, code: "no_fallback", field: "history", value: unknown.first, message: error.description)
        }
    }

    /// Store errors a client caused (an admin naming a version that is not there).
    static func apiError(_ error: StoreError) -> APIError? {
        switch error {
        case let .versionNotFound(name, available):
            return APIError(status: 404, code: "unknown_version", field: "to", value: name,
                            message: "no version \(name) (available: \(available.joined(separator: ", ")))")
        case let .rollbackUnavailable(reason):
            return APIError(status: 409, code: "rollback_unavailable", message: reason)
        default:
            return nil
        }
    }

    /// The body, at most `maxBodyBytes`, within `bodyTimeoutSeconds` of `started` (408 for a
    /// slow client). The deadline is kept by `bodyWatchdog`: no timer or task per request.
    private func readBody(_ request: Request, channel: any Channel, started: ContinuousClock.Instant) async throws -> ByteBuffer {
        let limit = config.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.bodyTooLarge(bytes: length, limit: limit)
        }
        let timeout = config.limits.bodyTimeoutSeconds
        let watch = bodyWatchdog.begin(deadline: started + .milliseconds(Int64(timeout * 1000))) {
            channel.close(mode: .input, promise: nil)
        }
        let late = APIError(status: 408, code: "body_timeout", field: "body", value: "\(timeout) s",
                            message: "the body did not arrive within \(timeout) seconds")
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            if bodyWatchdog.end(watch) { throw late }
            if let error = error as? HTTPError, error.status == .contentTooLarge { throw APIError.bodyTooLarge(bytes: nil, limit: limit) }
            throw error
        }
        // A late body may end early (its input was closed): never answer from what arrived.
        if bodyWatchdog.end(watch) { throw late }
        return body
    }

    private func authorize(_ request: Request, token: String) throws {
        let given = request.headers[.authorization] ?? ""
        let expected = "Bearer " + token
        // Constant time over the expected length.
        var diff = UInt8(given.utf8.count == expected.utf8.count ? 0 : 1)
        let a = Array(given.utf8), b = Array(expected.utf8)
        for i in 0 ..< b.count { diff |= (i < a.count ? a[i] : 0) ^ b[i] }
        guard diff == 0 else {
            throw APIError(status: 401, code: "unauthorized", field: "Authorization", value: given.isEmpty ? "(absent)" : "(wrong token)",
                           message: "admin routes need the header Authorization: Bearer <token>")
        }
    }

    private func similarK(_ request: Request) throws -> Int {
        let query = request.uri.queryParameters
        for (key, _) in query where key != "k" {
            throw APIError.unknownField(String(key), allowed: ["k"])
        }
        guard let text = query.get("k") else { return RecommendRequest.defaultK }
        guard let k = Int(text) else { throw APIError.wrongType("k", value: .string(text), expected: "an integer") }
        guard k >= 1 && k <= config.limits.maxK else {
            throw APIError.outOfRange("k", value: .number(Double(k)), expected: "an integer in 1...\(config.limits.maxK)")
        }
        return k
    }

    /// Runs `body` (already on the scoring pool) and notes if it is on an event loop.
    private func scoreRecorded<T>(_ served: ServedVersion, _ body: () throws -> T) throws -> T {
        if MultiThreadedEventLoopGroup.currentEventLoop != nil { lock.withLock { scoredOnEventLoop += 1 } }
        return try body()
    }

    private func observe(_ served: ServedVersion, _ outcome: ScoringOutcome, since started: ContinuousClock.Instant) {
        metrics.scored(candidates: outcome.candidatesScanned, fallback: outcome.reply.fallback)
        follower.record(version: served.name, status: 200, fallback: outcome.reply.fallback, items: outcome.reply.ids,
                        seconds: seconds(since: started))
    }

    func encode(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(value))
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Reads CURRENT every `interval` and adopts what it names; stops on graceful shutdown.
/// Each poll runs on one thread of its own at the lowest CPU priority (nice 19), so opening,
/// verifying and pre-faulting a new version (tens of milliseconds of CPU for 100k items) takes
/// the cores only when the request path leaves them idle, and releasing old versions (unmapping)
/// happens there too.
struct CurrentPoller: Service {
    let follower: VersionFollower
    let interval: Duration

    func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        try? await cancelWhenGracefulShutdown {
            _ = try await thread.runIfActive { lowerCurrentThreadPriority() }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                _ = try await thread.runIfActive { follower.poll() }
            }
        }
        try? await thread.shutdownGracefully()
    }
}

/// Sets the calling thread (not the process) to nice 19. Returns false where it cannot.
@discardableResult
func lowerCurrentThreadPriority() -> Bool {
    #if os(Linux)
    // Linux applies setpriority(PRIO_PROCESS, tid) to one thread; /proc/thread-self is "PID/task/TID".
    var link = [CChar](repeating: 0, count: 64)
    guard readlink("/proc/thread-self", &link, link.count - 1) > 0,
          let tid = String(cString: link).split(separator: "/").last.flatMap({ id_t($0) }) else { return false }
    return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, 19) == 0
    #else
    return false
    #endif
}
