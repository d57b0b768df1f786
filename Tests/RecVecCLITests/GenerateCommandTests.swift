import Foundation
import TestSupport
import XCTest

final class GenerateCommandTests: XCTestCase {
    func testGenerateWritesFilesAndJSONSummary() throws {
        let out = try TestSupport.temporaryDirectory(self).appendingPathComponent("gen")
        let args = ["generate", "--users", "30", "--items", "20", "--sessions", "40", "--session-length", "5", "--seed", "3", "--json", "--out", out.path]
        let result = try runRecVec(args)
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["events"] as? Int, 200)
        XCTAssertEqual(summary["users"] as? Int, 30)
        XCTAssertEqual(summary["items"] as? Int, 20)
        XCTAssertEqual(summary["ceilingPairs"] as? Int, 40 * 4) // all 40 sessions: fewer than 3000
        let ceiling = try XCTUnwrap(summary["ceilingRecallAt20"] as? Double)
        let withPrevious = try XCTUnwrap(summary["ceilingRecallAt20WithPrevious"] as? Double)
        XCTAssertTrue((0 ... 1).contains(ceiling) && ceiling <= withPrevious, "\(ceiling) \(withPrevious)")
        XCTAssertFalse(result.stderr.isEmpty) // progress goes to stderr

        let csv = try String(contentsOf: out.appendingPathComponent("events.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.count, 201)
        XCTAssertEqual(lines.first, "user,item,timestamp,session")
        for name in ["content-text.npy", "content-image.npy"] {
            let npy = try Data(contentsOf: out.appendingPathComponent(name))
            XCTAssertEqual(Array(npy.prefix(6)), [0x93] + Array("NUMPY".utf8))
            XCTAssertEqual(npy.count, 128 + 20 * 64 * 4) // 128-byte header for this shape, float32 data
        }

        // The same seed writes the same events.
        let again = try TestSupport.temporaryDirectory(self).appendingPathComponent("gen")
        XCTAssertEqual(try runRecVec(Array(args.dropLast()) + [again.path]).status, 0)
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("events.csv")), Data(csv.utf8))
    }

    func testGenerateRejectsZeroItems() throws {
        let result = try runRecVec(["generate", "--items", "0", "--out", "/tmp/never-written"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--items must be at least 1, got 0"), result.stderr)
    }
}
