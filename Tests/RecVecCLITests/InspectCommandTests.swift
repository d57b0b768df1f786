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
}
