import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RecVec
@testable import RecVecServer
import TestSupport
import XCTest

/// Every 4xx names the field and the value; the admin routes exist only with a token.
final class ServerErrorTests: XCTestCase {
    func testBadRequestsGetA4xxNamingFieldAndValue() async throws {
        let (path, _) = try makeStore(self, rows: 50)
        var config = ServerConfig(storePath: path)
        config.limits.maxHistoryItems = 5
        config.limits.maxK = 100
        config.limits.maxBodyBytes = 2000
        config.limits.maxBatchRequests = 2
        let running = try await RunningServer(config)
        struct Case { var body: String; var status: Int; var code: String; var field: String?; var value: String? }
        let cases = [
            Case(body: #"{"histroy": ["item1"]}"#, status: 400, code: "unknown_field", field: "histroy", value: nil),
            Case(body: #"{"history": ["item1"], "k": "10"}"#, status: 400, code: "wrong_type", field: "k", value: "\"10\""),
            Case(body: #"{"history": ["item1"], "k": 2.5}"#, status: 400, code: "wrong_type", field: "k", value: "2.5"),
            Case(body: #"{"history": ["item1"], "k": 0}"#, status: 400, code: "out_of_range", field: "k", value: "0"),
            Case(body: #"{"history": ["item1"], "k": 101}"#, status: 400, code: "out_of_range", field: "k", value: "101"),
            Case(body: #"{"history": "item1"}"#, status: 400, code: "wrong_type", field: "history", value: "\"item1\""),
            Case(body: #"{"history": ["item1", 7]}"#, status: 400, code: "wrong_type", field: "history[1]", value: "7"),
            Case(body: #"{"history": ["a","b","c","d","e","f"]}"#, status: 400, code: "too_many_items", field: "history", value: "6 items"),
            Case(body: #"{"history": ["item1"], "user": "u"}"#, status: 400, code: "conflicting_fields", field: "user", value: nil),
            Case(body: #"{"k": 3}"#, status: 400, code: "missing_field", field: "history", value: nil),
            Case(body: #"{"history": ["item1"], "diversity": 1}"#, status: 400, code: "out_of_range", field: "diversity", value: "1"),
            Case(body: #"{"history": ["item1"], "explain": "yes"}"#, status: 400, code: "wrong_type", field: "explain", value: "\"yes\""),
            Case(body: #"{"history": ["item1"], "max_per_category": 0}"#, status: 400, code: "out_of_range", field: "max_per_category", value: "0"),
            Case(body: #"{"history": ["item1"], "max_per_category": 2}"#, status: 400, code: "needs_catalog", field: "max_per_category", value: "2"),
            Case(body: #"{"history": ["item1"], "require": ["red"]}"#, status: 400, code: "needs_catalog", field: "require", value: "red"),
            Case(body: #"["item1"]"#, status: 400, code: "wrong_type", field: "body", value: "an array"),
            Case(body: #"{"history": ["item1"]"#, status: 400, code: "invalid_json", field: "body", value: #""history": ["item1"]"#),
            Case(body: String(repeating: "[", count: 1500), status: 400, code: "invalid_json", field: "body", value: nil),
            Case(body: #"{"history": ["item1"], "pad": ""# + String(repeating: "x", count: 3000) + #""}"#, status: 413,
                 code: "body_too_large", field: "body", value: nil),
        ]
        for c in cases {
            let reply = try await http("POST", running.base + "/v1/recommend", body: c.body)
            XCTAssertEqual(reply.status, c.status, "\(c.body.prefix(80)): \(reply.text)")
            XCTAssertEqual(reply.error["code"] as? String, c.code, reply.text)
            XCTAssertEqual(reply.error["field"] as? String, c.field, reply.text)
            if let value = c.value { XCTAssertEqual(reply.error["value"] as? String, value, reply.text) }
            XCTAssertEqual(reply.error["status"] as? Int, c.status)
            XCTAssertFalse((reply.error["message"] as? String ?? "").isEmpty)
        }
        let batch = try await http("POST", running.base + "/v1/recommend:batch",
                                   body: #"{"requests": [{"history": ["item1"]}, {"history": ["item1"], "k": -1}]}"#)
        XCTAssertEqual(batch.status, 400)
        XCTAssertEqual(batch.error["field"] as? String, "requests[1].k")
        let tooMany = try await http("POST", running.base + "/v1/recommend:batch",
                                     body: jsonString(["requests": Array(repeating: ["history": ["item1"]], count: 3)]))
        XCTAssertEqual(tooMany.error["code"] as? String, "too_many_items")
        XCTAssertEqual(tooMany.error["field"] as? String, "requests")

        // Still serving after all that.
        let fine = try await http("POST", running.base + "/v1/recommend", body: #"{"history": ["item1"], "k": 2}"#)
        XCTAssertEqual(fine.status, 200)
        try await running.stop()
    }

    func testSlowClientGetsA408() async throws {
        let (path, _) = try makeStore(self, rows: 20)
        var config = ServerConfig(storePath: path)
        config.limits.bodyTimeoutSeconds = 0.5
        let running = try await RunningServer(config)
        let connection = try RawConnection(port: running.port)
        connection.send("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"history\"")
        let started = Date()
        let answer = connection.readAll()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408"), answer)
        XCTAssertTrue(answer.contains("body_timeout"), answer)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        try await running.stop()
    }

    func testAdminRoutesNeedTheTokenAndDoNotExistWithoutOne() async throws {
        let (path, store) = try makeStore(self, rows: 30, versions: 2)
        let plain = try await RunningServer(ServerConfig(storePath: path))
        let absent = try await http("POST", plain.base + "/v1/admin/rollback", headers: ["Authorization": "Bearer whatever"])
        XCTAssertEqual(absent.status, 404)
        try await plain.stop()

        var config = ServerConfig(storePath: path)
        config.adminToken = "s3cret-token-0123456789"
        let running = try await RunningServer(config)
        let none = try await http("POST", running.base + "/v1/admin/rollback")
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.error["field"] as? String, "Authorization")
        let wrong = try await http("POST", running.base + "/v1/admin/reload", headers: ["Authorization": "Bearer s3cret-token-0123456788"])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(try store.currentVersion(), "v000002")

        let auth = ["Authorization": "Bearer s3cret-token-0123456789"]
        let rolled = try await http("POST", running.base + "/v1/admin/rollback", body: "{}", headers: auth)
        XCTAssertEqual(rolled.status, 200, rolled.text)
        XCTAssertEqual(rolled.json["to"] as? String, "v000001")
        XCTAssertEqual(rolled.json["serving"] as? String, "v000001")
        XCTAssertEqual(try store.currentVersion(), "v000001")
        let bad = try await http("POST", running.base + "/v1/admin/rollback", body: #"{"to": "v000009"}"#, headers: auth)
        XCTAssertEqual(bad.status, 404, bad.text)
        XCTAssertEqual(bad.error["value"] as? String, "v000009")
        let typo = try await http("POST", running.base + "/v1/admin/rollback", body: #"{"too": "v000002"}"#, headers: auth)
        XCTAssertEqual(typo.error["field"] as? String, "too")
        let back = try await http("POST", running.base + "/v1/admin/rollback", body: #"{"to": "v000002"}"#, headers: auth)
        XCTAssertEqual(back.json["serving"] as? String, "v000002")
        let reload = try await http("POST", running.base + "/v1/admin/reload", headers: auth)
        XCTAssertEqual(reload.status, 200, reload.text)
        XCTAssertEqual(reload.json["serving"] as? String, "v000002")
        try await running.stop()
    }

    func testConfigFileRejectsUnknownKeys() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let good = dir.appendingPathComponent("good.json").path
        try #"{"limits": {"max_k": 50}, "rollback": {"min_requests": 7, "max_p99_ms": 4.5, "max_fallback_rate": null}}"#
            .write(toFile: good, atomically: true, encoding: .utf8)
        let file = try ServerConfigFile.read(path: good)
        XCTAssertEqual(file.limits?.maxK, 50)
        XCTAssertEqual(file.limits?.maxHistoryItems, RequestLimits().maxHistoryItems)
        XCTAssertEqual(file.rollback?.minRequests, 7)
        XCTAssertEqual(file.rollback?.maxP99Milliseconds, 4.5)
        XCTAssertNil(file.rollback?.maxFallbackRate)
        XCTAssertEqual(file.rollback?.maxErrorRate, RollbackTriggers().maxErrorRate)
        let bad = dir.appendingPathComponent("bad.json").path
        try #"{"rollback": {"max_p99": 4}}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ServerConfigFile.read(path: bad)) { error in
            XCTAssertTrue("\(error)".contains("unknown key rollback.max_p99"), "\(error)")
            XCTAssertTrue("\(error)".contains(bad), "\(error)")
        }
    }
}
