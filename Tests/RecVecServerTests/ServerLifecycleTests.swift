import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RecVec
@testable import RecVecServer
import TestSupport
import XCTest

/// Hot swaps under load, rollback triggers, and the SIGTERM drain of the real binary.
final class ServerLifecycleTests: XCTestCase {
    func testPublishesUnderConcurrentRequestsAnswerFromOneExistingVersionEach() async throws {
        let (path, store) = try makeStore(self, rows: 200, index: exhaustiveHNSW())
        let running = try await RunningServer(ServerConfig(storePath: path))
        weak let first = running.server.follower.current?.version
        XCTAssertNotNil(first)

        let base = running.base
        let clients = 4
        let perClient = 60
        let results = try await withThrowingTaskGroup(of: [(Int, String?)].self) { group in
            for c in 0 ..< clients {
                group.addTask {
                    let session = URLSession(configuration: .ephemeral)
                    var seen: [(Int, String?)] = []
                    for i in 0 ..< perClient {
                        let reply = try await http("POST", base + "/v1/recommend:batch",
                                                   body: jsonString(["requests": [["history": ["item\((c * 7 + i) % 200)"], "k": 5],
                                                                                  ["history": ["item\(i % 200)", "item3"], "k": 3]]]),
                                                   session: session)
                        seen.append((reply.status, reply.json["version"] as? String))
                    }
                    return seen
                }
            }
            group.addTask {
                for v in 2 ... 4 {
                    try await Task.sleep(for: .milliseconds(150))
                    try publish(store, rows: 200, seed: UInt64(v), index: exhaustiveHNSW())
                }
                return []
            }
            var all: [(Int, String?)] = []
            for try await part in group { all += part }
            return all
        }
        XCTAssertEqual(results.count, clients * perClient)
        XCTAssertEqual(results.filter { $0.0 != 200 }.count, 0, "\(results.filter { $0.0 != 200 }.prefix(5))")
        let names = Set(results.compactMap(\.1))
        XCTAssertTrue(names.isSubset(of: ["v000001", "v000002", "v000003", "v000004"]), "\(names)")
        var serving: String?
        for _ in 0 ..< 100 where serving != "v000004" {
            try await Task.sleep(for: .milliseconds(20))
            serving = running.server.follower.current?.name
        }
        XCTAssertEqual(serving, "v000004")
        // The first version is unmapped once nothing holds it.
        XCTAssertNil(first, "version 1 is still alive after the swap")
        try await running.stop()
    }

    func testABadPublishIsRolledBackByTheTriggersAndNotReadopted() async throws {
        let (path, store) = try makeStore(self, rows: 100)
        var config = ServerConfig(storePath: path)
        config.rollback.minRequests = 20
        config.rollback.windowSeconds = 60
        config.rollback.maxFallbackRate = 0.5
        let running = try await RunningServer(config)
        // The bad version: none of the ids clients know, so every answer is the fallback.
        try publish(store, rows: 100, seed: 9, prefix: "renamed")
        var serving: String?
        for _ in 0 ..< 200 where serving != "v000002" {
            try await Task.sleep(for: .milliseconds(10))
            serving = running.server.follower.current?.name
        }
        XCTAssertEqual(serving, "v000002")

        var versionsSeen: [String] = []
        for i in 0 ..< 200 {
            let reply = try await http("POST", running.base + "/v1/recommend", body: jsonString(["history": ["item\(i % 100)"], "k": 5]))
            XCTAssertEqual(reply.status, 200)
            versionsSeen.append(reply.json["version"] as? String ?? "")
            if i > 40, versionsSeen.last == "v000001" { break }
        }
        XCTAssertEqual(versionsSeen.last, "v000001", "never rolled back")
        XCTAssertEqual(try store.currentVersion(), "v000001")
        let versions = try await http("GET", running.base + "/v1/versions")
        XCTAssertEqual(versions.json["rejected"] as? [String], ["v000002"])
        let metrics = try await http("GET", running.base + "/metrics")
        XCTAssertTrue(metrics.text.contains(#"recvec_rollbacks_total{reason="fallback_rate",from="v000002",to="v000001"} 1"#), metrics.text)

        // No flapping: pointing CURRENT at the rejected version again is ignored...
        try store.rollback(to: "v000002")
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(running.server.follower.current?.name, "v000001")
        // ...until a newer publish, which is adopted.
        try publish(store, rows: 100, seed: 11)
        for _ in 0 ..< 200 where running.server.follower.current?.name != "v000003" { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(running.server.follower.current?.name, "v000003")
        try await running.stop()
    }

    func testLiveSignalsBreachEachThreshold() {
        var triggers = RollbackTriggers()
        triggers.maxErrorRate = 0.1
        triggers.maxFallbackRate = 0.5
        triggers.minCoverage = 0.2
        triggers.maxP99Milliseconds = 5
        var window = SignalWindow(version: "v000002", previous: "v000001")
        for i in 0 ..< 100 { window.add(status: 200, fallback: false, items: ["a\(i)", "b\(i)"], seconds: 0.001) }
        XCTAssertNil(window.signals().breach(triggers))
        XCTAssertEqual(window.signals().p99Milliseconds, 1, accuracy: 0.06)
        var errors = window
        for _ in 0 ..< 20 { errors.add(status: 500, fallback: false, items: [], seconds: 0.001) }
        XCTAssertEqual(errors.signals().breach(triggers), "error_rate")
        var fallbacks = window
        for i in 0 ..< 120 { fallbacks.add(status: 200, fallback: true, items: ["p\(i)"], seconds: 0.001) }
        XCTAssertEqual(fallbacks.signals().breach(triggers), "fallback_rate")
        var collapsed = window
        for _ in 0 ..< 2000 { collapsed.add(status: 200, fallback: false, items: ["x", "y"], seconds: 0.001) }
        XCTAssertEqual(collapsed.signals().breach(triggers), "coverage")
        var slow = window
        for _ in 0 ..< 5 { slow.add(status: 200, fallback: false, items: ["s"], seconds: 0.050) }
        XCTAssertEqual(slow.signals().breach(triggers), "p99")
    }

    func testSIGTERMDrainsTheInFlightRequestAndExitsZero() throws {
        let (path, _) = try makeStore(self, rows: 40)
        let process = Process()
        process.executableURL = recvecBinary()
        process.arguments = ["serve", "--store", path, "--port", "0"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        // The port, from the "listening on" line.
        var log = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(60)
        while port == nil, Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last!)
            }
        }
        guard let port else { process.terminate(); return XCTFail("no port in: \(log)") }

        // A request in flight: headers and half the body sent.
        let body = #"{"history": ["item1"], "k": 3}"#
        let connection = try RawConnection(port: port)
        connection.send("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                        + body.prefix(10))
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        // New connections are refused while it drains.
        XCTAssertThrowsError(try RawConnection(port: port))
        connection.send(String(body.dropFirst(10)))
        let answer = connection.readAll()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertTrue(answer.contains(#""version":"v000001""#), answer)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(process.terminationReason, .exit)
    }
}
