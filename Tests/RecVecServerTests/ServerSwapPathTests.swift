import Foundation
import Logging
import RecVec
@testable import RecVecServer
import TestSupport
import XCTest

/// What keeps a publish off the request path: the body watchdog that replaced a timer per
/// request, and the follower that releases old versions on its own thread.
final class ServerSwapPathTests: XCTestCase {
    func testWatchdogMarksOnlyLateBodiesAndCallsOnLateOnce() {
        let watchdog = BodyWatchdog()
        let now = ContinuousClock.now
        let calls = Counter()
        let late = watchdog.begin(deadline: now - .milliseconds(1)) { calls.add() }
        let onTime = watchdog.begin(deadline: now + .seconds(60)) { calls.add() }
        XCTAssertEqual(watchdog.watching, 2)
        XCTAssertEqual(watchdog.sweep(now: now), 1)
        XCTAssertEqual(calls.value, 1)
        XCTAssertEqual(watchdog.sweep(now: now), 0, "a late body is reported once")
        XCTAssertEqual(calls.value, 1)
        XCTAssertTrue(watchdog.end(late))
        XCTAssertFalse(watchdog.end(onTime))
        XCTAssertEqual(watchdog.watching, 0)
        XCTAssertEqual(watchdog.sweep(now: now + .seconds(120)), 0, "an ended watch never fires")
        XCTAssertEqual(calls.value, 1)
    }

    func testSweepIntervalIsATenthOfTheTimeoutWithinBounds() {
        XCTAssertEqual(BodyWatchdog.sweepInterval(forTimeout: 10), .seconds(1))
        XCTAssertEqual(BodyWatchdog.sweepInterval(forTimeout: 0.5), .milliseconds(50))
        XCTAssertEqual(BodyWatchdog.sweepInterval(forTimeout: 0.01), .milliseconds(10))
        XCTAssertEqual(BodyWatchdog.sweepInterval(forTimeout: 3600), .seconds(1))
    }

    func testEveryRequestEndsItsWatchAndA408LeavesNoneBehind() async throws {
        let (path, _) = try makeStore(self, rows: 20)
        var config = ServerConfig(storePath: path)
        config.limits.bodyTimeoutSeconds = 0.5
        let running = try await RunningServer(config)
        for i in 0 ..< 5 {
            let reply = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["item\#(i)"], "k": 2}"#)
            XCTAssertEqual(reply.status, 200)
        }
        let connection = try RawConnection(port: running.port)
        connection.send("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"history\"")
        XCTAssertTrue(connection.readAll().hasPrefix("HTTP/1.1 408"))
        XCTAssertEqual(running.server.bodyWatchdog.watching, 0)
        try await running.stop()
    }

    func testARetiredVersionIsReleasedByTheFollowerOnlyOnceNoRequestHoldsIt() throws {
        let (path, store) = try makeStore(self, rows: 50)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let follower = try VersionFollower(config: ServerConfig(storePath: path), metrics: ServerMetrics(), logger: logger)
        XCTAssertTrue(follower.poll())
        var held = follower.current // an in-flight request
        weak let first = held?.version
        try publish(store, rows: 50, seed: 2)
        XCTAssertTrue(follower.poll())
        XCTAssertEqual(follower.current?.name, "v000002")
        XCTAssertEqual(follower.releaseRetired(), 1, "held by the request: kept")
        XCTAssertNotNil(first)
        held = nil // the request ends: its release is no longer the last one
        XCTAssertNotNil(first, "the follower still holds it; the request did not unmap it")
        XCTAssertEqual(follower.releaseRetired(), 0)
        XCTAssertNil(first, "released by releaseRetired")
        _ = held
    }

    func testLoweringPriorityChangesOnlyTheCallingThread() throws {
        let result = ThreadResult()
        let thread = Thread {
            let lowered = lowerCurrentThreadPriority()
            // On Linux, getpriority(PRIO_PROCESS, 0) reads the calling thread's nice value.
            result.set(lowered: lowered, nice: getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        }
        thread.start()
        let deadline = Date().addingTimeInterval(10)
        while result.get() == nil, Date() < deadline { usleep(1000) }
        let (lowered, threadNice) = try XCTUnwrap(result.get())
        XCTAssertTrue(lowered)
        XCTAssertEqual(threadNice, 19)
        XCTAssertLessThan(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0), 19, "the test's own thread was lowered too")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

private final class ThreadResult: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Bool, Int32)?
    func set(lowered: Bool, nice: Int32) { lock.withLock { value = (lowered, nice) } }
    func get() -> (Bool, Int32)? { lock.withLock { value } }
}
