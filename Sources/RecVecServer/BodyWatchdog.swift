import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Hummingbird's basic request context plus the connection's channel, whose input
/// `BodyWatchdog` closes when a body is late.
struct ServerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The deadlines of the request bodies being read. A request registers its deadline (`begin`)
/// and ends the watch once its body is read (`end`); a sweep every `sweepInterval` calls the
/// `onLate` of every body past its deadline (the server closes that connection's input, which
/// ends the read), and `end` then says the body was late (the request answers 408). This costs a lock and a dictionary
/// insert per request, where racing the read against a sleeping task cost two child tasks and a
/// timer (a timerfd system call) per request.
final class BodyWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var nextID: UInt64 = 0
    private var pending: [UInt64: (deadline: ContinuousClock.Instant, onLate: @Sendable () -> Void)] = [:]
    private var late: Set<UInt64> = []

    /// How often to sweep for a body timeout of `seconds`: a tenth of it, between 10 ms and 1 s,
    /// so a late body is answered within 10% of the timeout.
    static func sweepInterval(forTimeout seconds: Double) -> Duration {
        .milliseconds(Int64(min(max(seconds * 100, 10), 1000)))
    }

    /// Starts watching a body read that must end by `deadline`; a sweep after it calls `onLate`
    /// (the server closes the connection's input there). Returns the watch's ticket.
    func begin(deadline: ContinuousClock.Instant, onLate: @escaping @Sendable () -> Void) -> UInt64 {
        lock.withLock {
            nextID += 1
            pending[nextID] = (deadline, onLate)
            return nextID
        }
    }

    /// Ends the watch of `ticket`; true when the body was late (a sweep called its `onLate`).
    func end(_ ticket: UInt64) -> Bool {
        lock.withLock {
            pending[ticket] = nil
            return late.remove(ticket) != nil
        }
    }

    /// Reads being watched now (a test hook: 0 once every request has ended its watch).
    var watching: Int { lock.withLock { pending.count } }

    /// Calls `onLate` of every watch past its deadline at `now` (outside the lock) and marks it
    /// late; returns how many.
    @discardableResult
    func sweep(now: ContinuousClock.Instant = .now) -> Int {
        let expired: [@Sendable () -> Void] = lock.withLock {
            var actions: [@Sendable () -> Void] = []
            for (ticket, entry) in pending where entry.deadline <= now {
                late.insert(ticket)
                pending[ticket] = nil
                actions.append(entry.onLate)
            }
            return actions
        }
        for onLate in expired { onLate() }
        return expired.count
    }
}

/// Sweeps `watchdog` every `interval` until graceful shutdown.
struct BodyWatchdogSweeper: Service {
    let watchdog: BodyWatchdog
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                watchdog.sweep()
            }
        }
    }
}
