import Foundation
import TestSupport
import XCTest

/// The --format values `recvec inspect --help` must list (the CLI tests do not import RecVec).
enum EventFormatNames {
    static let all = ["csv", "tsv", "jsonl", "sessions", "movielens-100k", "movielens-ratings", "movielens-1m"]
}

final class InspectCommandTests: XCTestCase {
    func testInspectMovieLensUData() throws {
        let file = try TestSupport.sharedDataOrSkip("ml-100k").appendingPathComponent("u.data").path
        let result = try runRecVec(["inspect", file, "--format", "movielens-udata", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["events"] as? Int, 100_000)
        XCTAssertEqual(summary["users"] as? Int, 943)
        XCTAssertEqual(summary["items"] as? Int, 1682)
        XCTAssertEqual(summary["skippedLines"] as? Int, 0)
    }

    func testBadLineStopsTheLoadOrIsCounted() throws {
        let file = try TestSupport.temporaryDirectory(self).appendingPathComponent("ratings.csv")
        try Data("userId,movieId,rating,timestamp\n1,2,3,100\n1,3,3,soon\n2,2,4,300\n".utf8).write(to: file)
        let strict = try runRecVec(["inspect", file.path, "--format", "movielens-ratings"])
        XCTAssertNotEqual(strict.status, 0)
        XCTAssertTrue(strict.stderr.contains("\(file.path):3: column 'timestamp' has 'soon' (expected epoch seconds or an ISO 8601 date-time)"),
                      strict.stderr)
        let lenient = try runRecVec(["inspect", file.path, "--user", "userId", "--item", "movieId", "--timestamp", "3",
                                     "--skip-bad-lines", "--json"])
        XCTAssertEqual(lenient.status, 0, lenient.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lenient.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["events"] as? Int, 2)
        XCTAssertEqual(summary["skippedLines"] as? Int, 1)
    }

    func testUnknownFormatIsRejected() throws {
        let result = try runRecVec(["inspect", "x.csv", "--format", "parquet"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("The value 'parquet' is invalid for '--format <format>'"), result.stderr)
        for format in EventFormatNames.all { XCTAssertTrue(result.stderr.contains("- \(format)"), "\(format) not listed: \(result.stderr)") }
    }

    func json(_ result: CLIResult) throws -> [String: Any] {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
    }

    func testGeneratedEventsLoadWithNoFlagsAndContentAligns() throws {
        let out = try TestSupport.temporaryDirectory(self).appendingPathComponent("gen")
        XCTAssertEqual(try runRecVec(["generate", "--users", "20", "--items", "15", "--sessions", "30", "--session-length", "4",
                                      "--ceiling-sessions", "0", "--out", out.path]).status, 0)
        let summary = try json(try runRecVec(["inspect", "--events", out.appendingPathComponent("events.csv").path, "--json",
                                              "--content", out.appendingPathComponent("content-text.npy").path]))
        XCTAssertEqual(summary["events"] as? Int, 120)
        XCTAssertEqual(summary["sessions"] as? Int, 30)
        XCTAssertEqual(summary["format"] as? String, "csv")
        XCTAssertEqual(summary["columns"] as? [String: String], ["user": "user", "item": "item", "time": "timestamp", "session": "session"])
        XCTAssertEqual((summary["content"] as? [[String: Any]])?.first?["dimension"] as? Int, 64)
    }

    func testSessionsJSONLinesGzipAndCategoriesFromTheCommandLine() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let baskets = dir.appendingPathComponent("baskets.txt")
        try Data("a b c\nb c\n".utf8).write(to: baskets)
        let sessions = try json(try runRecVec(["inspect", baskets.path, "--format", "sessions", "--json"]))
        XCTAssertEqual(sessions["events"] as? Int, 5)
        XCTAssertEqual(sessions["sessions"] as? Int, 2)
        XCTAssertEqual(sessions["hasTimestamps"] as? Bool, false)
        let text = try runRecVec(["inspect", baskets.path, "--format", "sessions"])
        XCTAssertTrue(text.stdout.contains("no time column: file order is the order"), text.stdout)

        let events = dir.appendingPathComponent("clicks.jsonl")
        try Data("{\"visitor\": \"v1\", \"sku\": \"a\", \"at\": 1600000000000}\n{\"visitor\": \"v2\", \"sku\": \"b\", \"at\": 1600000005000}\n".utf8).write(to: events)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = [events.path]
        try gzip.run()
        gzip.waitUntilExit()
        let categories = dir.appendingPathComponent("items.csv")
        try Data("sku,tags\na,x|y\nb,y\n".utf8).write(to: categories)
        let clicks = try json(try runRecVec(["inspect", "--events", events.path + ".gz", "--user", "visitor", "--item", "sku", "--time", "at",
                                             "--content-categories", categories.path + ":tags", "--json"]))
        XCTAssertEqual(clicks["format"] as? String, "jsonl")
        XCTAssertEqual(clicks["epochUnit"] as? String, "milliseconds")
        XCTAssertEqual(clicks["firstTimestamp"] as? Int, 1_600_000_000)
        XCTAssertEqual(clicks["lastTimestamp"] as? Int, 1_600_000_005)
        XCTAssertEqual((clicks["content"] as? [[String: Any]])?.first?["dimension"] as? Int, 2)

        // Without flags the keys are not recognised: the error says which flag to give.
        let unnamed = try runRecVec(["inspect", events.path + ".gz"])
        XCTAssertNotEqual(unnamed.status, 0)
        XCTAssertTrue(unnamed.stderr.contains("no header name recognised as the user column (header has: visitor, sku, at); name it with --user"),
                      unnamed.stderr)
    }

    func testFileErrorsAreSentencesNotFoundationCodes() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let events = dir.appendingPathComponent("e.csv")
        try Data("user,item\nu,a\n".utf8).write(to: events)
        let missing = try runRecVec(["inspect", events.path, "--content", dir.appendingPathComponent("none.npy").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.npy: cannot read (No such file or directory)"), missing.stderr)
        let generate = try runRecVec(["generate", "--users", "2", "--items", "2", "--sessions", "2", "--session-length", "2",
                                      "--ceiling-sessions", "0", "--out", "/proc/nope/x"])
        XCTAssertNotEqual(generate.status, 0)
        XCTAssertTrue(generate.stderr.contains("invalid --out: /proc/nope/x (expected a folder that can be created: No such file or directory)"),
                      generate.stderr)
        for result in [missing, generate] { XCTAssertFalse(result.stderr.contains("Domain="), result.stderr) }
    }
}
