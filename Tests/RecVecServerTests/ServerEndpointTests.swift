import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RecVec
@testable import RecVecServer
import TestSupport
import XCTest

/// Every endpoint over loopback with URLSession, checked against the library's own answers.
final class ServerEndpointTests: XCTestCase {
    func testRecommendAnswersWhatTheLibraryAnswersWithRules() async throws {
        let (path, store) = try makeStore(self, rows: 300, index: exhaustiveHNSW())
        let dir = try TestSupport.temporaryDirectory(self)
        // Catalog: three categories, popularity = row, attribute "even" on even rows.
        let catalogPath = dir.appendingPathComponent("catalog.tsv").path
        let lines = (0 ..< 300).map { "item\($0)\tcat\($0 % 3)\t\($0)\t\($0 % 2 == 0 ? "even" : "odd")" }
        try lines.joined(separator: "\n").write(toFile: catalogPath, atomically: true, encoding: .utf8)
        var config = ServerConfig(storePath: path)
        config.catalogPath = catalogPath
        config.recommender.userVectorRule = .meanOfLast(3)
        let running = try await RunningServer(config)
        let version = try store.open()
        let catalog = try Catalog.read(path: catalogPath)

        struct Case { var body: [String: Any]; var rules: RecommendRules; var penalty: Float = 0; var diversity: Float = 0 }
        var blocked = RecommendRules(); blocked.blocklist = ["item7", "item8"]
        var allowed = RecommendRules(); allowed.allowlist = Set((0 ..< 40).map { "item\($0)" })
        var capped = RecommendRules(); capped.maxPerCategory = 2
        var required = RecommendRules(); required.requiredAttributes = ["even"]
        var seenKept = RecommendRules(); seenKept.excludeSeen = false
        let history = ["item3", "item10", "item42"]
        let cases = [
            Case(body: ["history": history, "k": 10], rules: RecommendRules()),
            Case(body: ["history": history, "k": 10, "block": ["item7", "item8"]], rules: blocked),
            Case(body: ["history": history, "k": 5, "allow": (0 ..< 40).map { "item\($0)" }], rules: allowed),
            Case(body: ["history": history, "k": 6, "max_per_category": 2], rules: capped),
            Case(body: ["history": history, "k": 8, "require": ["even"]], rules: required),
            Case(body: ["history": history, "k": 8, "exclude_seen": false], rules: seenKept),
            Case(body: ["history": history, "k": 8, "popularity_penalty": 0.5], rules: RecommendRules(), penalty: 0.5),
            Case(body: ["history": history, "k": 8, "diversity": 0.3], rules: RecommendRules(), diversity: 0.3),
        ]
        for c in cases {
            var rc = RecommenderConfig()
            rc.userVectorRule = .meanOfLast(3)
            rc.popularityPenalty = c.penalty
            rc.diversity = c.diversity
            let expected = try Recommender(version: version, catalog: catalog, config: rc)
                .recommend(.history(history), k: c.body["k"] as! Int, rules: c.rules)
            let reply = try await http("POST", running.base + "/v1/recommend", body: jsonString(c.body))
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(reply.json["ids"] as? [String], expected.items.map(\.item), "\(c.body)")
            let scores = (reply.json["scores"] as? [Double]) ?? []
            XCTAssertEqual(scores.count, expected.items.count)
            for (a, b) in zip(scores, expected.items.map(\.score)) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
            XCTAssertEqual(reply.json["version"] as? String, "v000001")
            XCTAssertEqual(reply.json["unknown_items"] as? [String], [])
            XCTAssertEqual(reply.json["fallback"] as? Bool, false)
        }

        // explain: one trace entry per ANN candidate, kept ones in response order.
        let explained = try await http("POST", running.base + "/v1/recommend", body: jsonString(["history": history, "k": 4, "explain": true]))
        let trace = explained.json["trace"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(trace.count, 14)
        XCTAssertEqual(trace.filter { $0["kept"] as? Bool == true }.count, 4)
        XCTAssertEqual(running.server.scoredOnEventLoop, 0)
        try await running.stop()
    }

    func testUnknownItemsUsersAndPopularityFallback() async throws {
        let (path, store) = try makeStore(self, rows: 50)
        let dir = try TestSupport.temporaryDirectory(self)
        let catalogPath = dir.appendingPathComponent("catalog.tsv").path
        try (0 ..< 50).map { "item\($0)\t\t\($0 == 17 ? 1000 : $0)" }.joined(separator: "\n").write(toFile: catalogPath, atomically: true, encoding: .utf8)
        let historiesPath = dir.appendingPathComponent("histories.tsv").path
        try "alice\titem1\nalice\titem2\nbob\tgone\n".write(toFile: historiesPath, atomically: true, encoding: .utf8)
        var config = ServerConfig(storePath: path)
        config.catalogPath = catalogPath
        config.historiesPath = historiesPath
        let running = try await RunningServer(config)

        let partly = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["nope", "item1"], "k": 3}"#)
        XCTAssertEqual(partly.status, 200, partly.text)
        XCTAssertEqual(partly.json["unknown_items"] as? [String], ["nope"])
        XCTAssertEqual(partly.json["fallback"] as? Bool, false)
        XCTAssertFalse((partly.json["ids"] as? [String] ?? []).contains("item1"))

        // No known item: the most popular items, blocked ones left out.
        let fallback = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["nope", "gone"], "k": 3, "block": ["item49"]}"#)
        XCTAssertEqual(fallback.json["fallback"] as? Bool, true, fallback.text)
        XCTAssertEqual(fallback.json["ids"] as? [String], ["item17", "item48", "item47"])
        XCTAssertEqual(fallback.json["unknown_items"] as? [String], ["nope", "gone"])

        let alice = try await http("POST", running.base + "/v1/recommend", body: #"{"user": "alice", "k": 5}"#)
        XCTAssertEqual(alice.status, 200)
        XCTAssertEqual((alice.json["ids"] as? [String])?.count, 5)
        XCTAssertFalse((alice.json["ids"] as? [String] ?? []).contains("item2"))
        let bob = try await http("POST", running.base + "/v1/recommend", body: #"{"user": "bob", "k": 2}"#)
        XCTAssertEqual(bob.json["fallback"] as? Bool, true)
        let nobody = try await http("POST", running.base + "/v1/recommend", body: #"{"user": "carol"}"#)
        XCTAssertEqual(nobody.status, 404)
        XCTAssertEqual(nobody.error["field"] as? String, "user")
        XCTAssertEqual(nobody.error["value"] as? String, "carol")

        let metrics = try await http("GET", running.base + "/metrics")
        XCTAssertTrue(metrics.text.contains("recvec_fallbacks_total 2"), metrics.text)

        // A version that stores training counts falls back to them (the library's fallback).
        var random = TestRandom(seed: 5)
        var input = PublishInput(vectors: try Matrix(rows: 50, cols: 16, values: random.floats(50 * 16)),
                                 ids: (0 ..< 50).map { "item\($0)" }, method: "test")
        input.popularity = (0 ..< 50).map { $0 == 33 ? 500 : $0 % 7 }
        try store.publish(input)
        for _ in 0 ..< 200 where running.server.follower.current?.name != "v000002" { try await Task.sleep(for: .milliseconds(10)) }
        let counted = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["nope"], "k": 2}"#)
        XCTAssertEqual(counted.json["version"] as? String, "v000002")
        XCTAssertEqual(counted.json["fallback"] as? Bool, true)
        XCTAssertEqual((counted.json["ids"] as? [String])?.first, "item33", counted.text)
        try await running.stop()
    }

    func testBatchAnswersEachRequestAsTheSingleEndpointDoes() async throws {
        for index in [nil, exhaustiveHNSW()] {
            let (path, _) = try makeStore(self, rows: 250, index: index)
            let running = try await RunningServer(ServerConfig(storePath: path))
            let requests: [[String: Any]] = [
                ["history": ["item1", "item2"], "k": 5],
                ["history": ["item9"], "k": 12, "block": ["item3", "item4"]],
                ["history": ["item9", "item100"], "k": 7, "exclude_seen": false],
                ["history": ["item5"], "k": 4, "popularity_penalty": 0.1, "diversity": 0.2],
                ["history": ["unknown"], "k": 3],
            ]
            let batch = try await http("POST", running.base + "/v1/recommend:batch", body: jsonString(["requests": requests]))
            XCTAssertEqual(batch.status, 200, batch.text)
            let responses = batch.json["responses"] as? [[String: Any]] ?? []
            XCTAssertEqual(responses.count, requests.count)
            for (request, answer) in zip(requests, responses) {
                let single = try await http("POST", running.base + "/v1/recommend", body: jsonString(request))
                XCTAssertEqual(answer["ids"] as? [String], single.json["ids"] as? [String], "\(request), index \(index != nil)")
                XCTAssertEqual(answer["fallback"] as? Bool, single.json["fallback"] as? Bool)
                XCTAssertEqual(answer["unknown_items"] as? [String], single.json["unknown_items"] as? [String])
                for (a, b) in zip(answer["scores"] as? [Double] ?? [], single.json["scores"] as? [Double] ?? []) {
                    XCTAssertEqual(a, b, accuracy: 1e-4)
                }
            }
            XCTAssertEqual(batch.json["version"] as? String, "v000001")
            try await running.stop()
        }
    }

    func testSimilarVersionsHealthReadyAndMetrics() async throws {
        let (path, store) = try makeStore(self, rows: 100, versions: 2, index: exhaustiveHNSW())
        let running = try await RunningServer(ServerConfig(storePath: path))
        let version = try store.open()

        let similar = try await http("GET", running.base + "/v1/items/item5/similar?k=6")
        XCTAssertEqual(similar.status, 200, similar.text)
        let expected = try Recommender(version: version).mostSimilar(to: "item5", k: 6)
        XCTAssertEqual(expected.count, 6)
        XCTAssertEqual(similar.json["ids"] as? [String], expected.map(\.item))
        XCTAssertEqual(similar.json["item"] as? String, "item5")
        let missing = try await http("GET", running.base + "/v1/items/nope/similar")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.error["value"] as? String, "nope")
        let zero = try await http("GET", running.base + "/v1/items/item5/similar?k=0")
        XCTAssertEqual(zero.status, 400)
        XCTAssertEqual(zero.error["code"] as? String, "out_of_range")
        let word = try await http("GET", running.base + "/v1/items/item5/similar?k=ten")
        XCTAssertEqual(word.error["code"] as? String, "wrong_type")
        XCTAssertEqual(word.error["value"] as? String, "\"ten\"")
        let extra = try await http("GET", running.base + "/v1/items/item5/similar?k=2&ef=9")
        XCTAssertEqual(extra.error["code"] as? String, "unknown_field")
        XCTAssertEqual(extra.error["field"] as? String, "ef")

        let versions = try await http("GET", running.base + "/v1/versions")
        XCTAssertEqual(versions.json["serving"] as? String, "v000002")
        XCTAssertEqual(versions.json["current"] as? String, "v000002")
        XCTAssertEqual((versions.json["versions"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["v000001", "v000002"])

        let health = try await http("GET", running.base + "/healthz")
        XCTAssertEqual(health.status, 200)
        let ready = try await http("GET", running.base + "/readyz")
        XCTAssertEqual(ready.json["version"] as? String, "v000002")

        _ = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["item1"], "k": 3}"#)
        _ = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["item1"], "k": 0}"#)
        let metrics = try await http("GET", running.base + "/metrics")
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        for line in [#"recvec_http_requests_total{endpoint="/v1/recommend",status="200"} 1"#,
                     #"recvec_http_requests_total{endpoint="/v1/recommend",status="400"} 1"#,
                     #"recvec_http_requests_total{endpoint="/v1/items/{id}/similar",status="404"} 1"#,
                     #"recvec_rejected_requests_total{reason="out_of_range"} 2"#,
                     #"recvec_version_served{version="v000002"} 1"#,
                     #"recvec_http_request_duration_seconds_count{endpoint="/v1/recommend",status="200"} 1"#,
                     "recvec_candidates_scanned_total 15"] {
            XCTAssertTrue(metrics.text.contains(line), "missing \(line) in\n\(metrics.text)")
        }
        try await running.stop()
    }

    func testReadyOnlyOnceAVersionIsMapped() async throws {
        let dir = try TestSupport.temporaryDirectory(self).appendingPathComponent("store").path
        let store = try EmbeddingStore(path: dir, create: true)
        let running = try await RunningServer(ServerConfig(storePath: dir))
        let before = try await http("GET", running.base + "/readyz")
        XCTAssertEqual(before.status, 503)
        let early = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["item1"]}"#)
        XCTAssertEqual(early.status, 503)
        let health = try await http("GET", running.base + "/healthz")
        XCTAssertEqual(health.status, 200)
        try publish(store, seed: 3)
        var status = 0
        for _ in 0 ..< 200 where status != 200 {
            try await Task.sleep(for: .milliseconds(25))
            status = try await http("GET", running.base + "/readyz").status
        }
        XCTAssertEqual(status, 200)
        try await running.stop()
    }
}
