import CoreMetrics
import Foundation
import Prometheus

/// The service's metrics, through swift-metrics' API with swift-prometheus as this instance's
/// backend (its own registry, not the process-wide bootstrap, so several servers in one process,
/// as in the tests, keep separate counts). `/metrics` answers `render()`.
final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let lock = NSLock()
    private var requestCounters: [String: CoreMetrics.Counter] = [:]
    private var requestTimers: [String: CoreMetrics.Timer] = [:]
    private var rejectedCounters: [String: CoreMetrics.Counter] = [:]
    private var servedGauges: [String: CoreMetrics.Gauge] = [:]
    private let candidates: CoreMetrics.Counter
    private let fallbacks: CoreMetrics.Counter
    private let switches: CoreMetrics.Counter
    private let liveErrorRate: CoreMetrics.Gauge
    private let liveFallbackRate: CoreMetrics.Gauge
    private let liveCoverage: CoreMetrics.Gauge
    private let liveP99: CoreMetrics.Gauge

    static let durationLabel = "recvec_http_request_duration_seconds"

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.durationLabel] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        self.factory = factory
        candidates = CoreMetrics.Counter(label: "recvec_candidates_scanned_total", factory: factory)
        fallbacks = CoreMetrics.Counter(label: "recvec_fallbacks_total", factory: factory)
        switches = CoreMetrics.Counter(label: "recvec_version_switches_total", factory: factory)
        liveErrorRate = CoreMetrics.Gauge(label: "recvec_live_error_rate", factory: factory)
        liveFallbackRate = CoreMetrics.Gauge(label: "recvec_live_fallback_rate", factory: factory)
        liveCoverage = CoreMetrics.Gauge(label: "recvec_live_coverage", factory: factory)
        liveP99 = CoreMetrics.Gauge(label: "recvec_live_p99_seconds", factory: factory)
    }

    /// One answered request: count and latency per endpoint (the route, not the URL) and status.
    func request(endpoint: String, status: Int, seconds: Double) {
        let key = endpoint + "|" + String(status)
        let (counter, timer) = lock.withLock { () -> (CoreMetrics.Counter, CoreMetrics.Timer) in
            if let c = requestCounters[key], let t = requestTimers[key] { return (c, t) }
            let dimensions = [("endpoint", endpoint), ("status", String(status))]
            let c = CoreMetrics.Counter(label: "recvec_http_requests_total", dimensions: dimensions, factory: factory)
            let t = CoreMetrics.Timer(label: Self.durationLabel, dimensions: dimensions, factory: factory)
            requestCounters[key] = c
            requestTimers[key] = t
            return (c, t)
        }
        counter.increment()
        timer.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A request refused with a 4xx, by error code ("unknown_field", "body_too_large", ...).
    func rejected(code: String) {
        let counter = lock.withLock { () -> CoreMetrics.Counter in
            if let c = rejectedCounters[code] { return c }
            let c = CoreMetrics.Counter(label: "recvec_rejected_requests_total", dimensions: [("reason", code)], factory: factory)
            rejectedCounters[code] = c
            return c
        }
        counter.increment()
    }

    func scored(candidates count: Int, fallback: Bool) {
        candidates.increment(by: Int64(count))
        if fallback { fallbacks.increment() }
    }

    /// `recvec_version_served{version="v..."}` is 1 for the version served, 0 for earlier ones.
    func switched(from previous: String?, to name: String) {
        lock.withLock {
            if let previous, let g = servedGauges[previous] { g.record(0) }
            let g = servedGauges[name] ?? CoreMetrics.Gauge(label: "recvec_version_served", dimensions: [("version", name)], factory: factory)
            servedGauges[name] = g
            g.record(1)
        }
        if previous != nil { switches.increment() }
    }

    func versionOpenFailed(_ name: String) {
        CoreMetrics.Counter(label: "recvec_version_open_failures_total", dimensions: [("version", name)], factory: factory).increment()
    }

    func rolledBack(from: String?, to: String, reason: String) {
        CoreMetrics.Counter(label: "recvec_rollbacks_total", dimensions: [("reason", reason), ("from", from ?? "none"), ("to", to)], factory: factory).increment()
    }

    func liveSignals(_ s: LiveSignals) {
        liveErrorRate.record(s.errorRate)
        liveFallbackRate.record(s.fallbackRate)
        liveCoverage.record(s.coverage)
        liveP99.record(s.p99Milliseconds / 1000)
    }

    /// Prometheus text exposition format.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
