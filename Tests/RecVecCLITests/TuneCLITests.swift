import Foundation
import TestSupport
import XCTest

/// `recvec tune`, `--ties` and `--write-split` end to end on small inputs.
final class TuneCLITests: XCTestCase {
    private let small = ["--users", "60", "--items", "40", "--sessions", "200", "--session-length", "8", "--epochs", "1", "--threads", "1"]

    func testTuneJSONReportsValidationBesideTestAndEveryBaseline() throws {
        let result = try runRecVec(["tune", "--dataset", "synthetic", "--trials", "8", "--methods", "ppmi-svd,item2vec", "--json"] + small)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(object["ties"] as? String, "item-id")
        XCTAssertEqual(object["trials"] as? Int, 8)
        let families = try XCTUnwrap(object["families"] as? [[String: Any]])
        XCTAssertEqual(families.compactMap { $0["method"] as? String }, ["ppmi-svd", "item2vec"])
        for f in families {
            let validation = try XCTUnwrap((f["validation"] as? [String: Any])?["recall@20"] as? Double)
            let test = try XCTUnwrap((f["test"] as? [String: Any])?["recall@20"] as? Double)
            XCTAssertTrue((0 ... 1).contains(validation) && (0 ... 1).contains(test))
        }
        let baselines = try XCTUnwrap(object["baselines"] as? [[String: Any]])
        XCTAssertEqual(baselines.compactMap { $0["method"] as? String }, ["Popularity", "Random", "Transition", "Item-kNN", "EASE"])
        XCTAssertTrue(result.stderr.contains("validation cases carved from the training part"), result.stderr)
    }

    /// `--protocol time-cutoff`: tested on the last time slice, validated on the last slice of
    /// the training part; the report names the protocol and the (default, 85% quantile) cutoff.
    func testTuneTimeCutoffNamesTheProtocol() throws {
        let result = try runRecVec(["tune", "--dataset", "synthetic", "--protocol", "time-cutoff",
                                    "--trials", "4", "--methods", "ppmi-svd", "--json"] + small)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertTrue((object["protocol"] as? String)?.hasPrefix("time-cutoff@16") == true, result.stdout)
        XCTAssertGreaterThan(object["validation_cases"] as? Int ?? 0, 0)
        let leaveLastOut = try runRecVec(["tune", "--dataset", "synthetic", "--trials", "4", "--methods", "ppmi-svd", "--json"] + small)
        let other = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(leaveLastOut.stdout.utf8)) as? [String: Any], leaveLastOut.stdout)
        XCTAssertEqual(other["protocol"] as? String, "leave-last-out")
        XCTAssertNotEqual(other["test_cases"] as? Int, object["test_cases"] as? Int)
        let bad = try runRecVec(["tune", "--dataset", "synthetic", "--cutoff", "2020-01-05"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--cutoff needs --protocol time-cutoff"), bad.stderr)
    }

    func testTuneRejectsABadBudget() throws {
        let result = try runRecVec(["tune", "--dataset", "synthetic", "--budget", "soon"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--budget must be seconds such as 60, 60s or 2m, got 'soon'"), result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
    }

    func testTieRuleIsPrintedInTheTableHeader() throws {
        for rule in ["item-id", "file-order"] {
            let result = try runRecVec(["table", "--protocol", "leave-last-out", "--ties", rule] + small)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("cases, ties: \(rule))"), result.stdout)
            for row in ["Transition", "Item-kNN", "EASE"] { XCTAssertTrue(result.stdout.contains(row), result.stdout) }
        }
        let bad = try runRecVec(["table", "--ties", "random"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("ties"), bad.stderr)
    }

    /// The split a peer reads: every training event once, one test line per case, the rule recorded.
    func testWriteSplitWritesTrainTestAndTheRule() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let data = dir.appendingPathComponent("ml")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        // Three users; user 1 rates two films in its last second (ties decide the target).
        let ratings = ["1\t1\t5\t100", "1\t3\t4\t200", "1\t2\t4\t200", "2\t1\t3\t50", "2\t3\t3\t60", "3\t2\t1\t10"]
        try (ratings.joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        let genres = Array(repeating: "0", count: 19).joined(separator: "|")
        let items = (1 ... 3).map { "\($0)|Film \($0) (1995)|01-Jan-1995||http://x|\(genres)" }
        try (items.joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("u.item"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("split")
        let result = try runRecVec(["eval", "--dataset", "movielens", "--path", data.path, "--methods", "ppmi-svd", "--dimension", "2",
                                    "--cold-fraction", "0", "--k", "2", "--write-split", out.path, "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let train = try String(contentsOf: out.appendingPathComponent("train.tsv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let test = try String(contentsOf: out.appendingPathComponent("test.tsv"), encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(train.count + test.count, ratings.count)
        // Item-id ties: user 1's target is film 3 (after film 2 in the same second, though the file lists it first);
        // user 2's is film 3; user 3 has one rating.
        XCTAssertEqual(Array(test), ["1\t3", "2\t3"])
        let meta = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("split.json"))) as? [String: Any])
        XCTAssertEqual(meta["ties"] as? String, "item-id")
        XCTAssertEqual(meta["exclude_seen"] as? Bool, true)
    }
}
