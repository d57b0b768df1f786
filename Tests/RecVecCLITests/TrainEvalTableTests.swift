import Foundation
import XCTest
import TestSupport

/// `recvec table`, `eval` and `train` end to end, on a small synthetic workload so the debug build stays fast.
final class TrainEvalTableTests: XCTestCase {
    private let small = ["--users", "60", "--items", "40", "--sessions", "200", "--session-length", "8", "--epochs", "1", "--threads", "1"]

    func testTableJSONHasEveryRowAndTheCeiling() throws {
        let result = try runRecVec(["table", "--json", "--protocol", "all"] + small)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        let methods = ["PPMI+SVD", "Item2Vec", "Graph-walk", "Multimodal", "Fused", "Popularity", "Random"]
        XCTAssertEqual(rows.filter { $0["protocol"] as? String == "seed-pairs" }.compactMap { $0["method"] as? String }, methods)
        // Leak-free protocols add the transition, item-kNN and EASE baselines built from the same split.
        XCTAssertEqual(rows.filter { $0["protocol"] as? String == "leave-last-out" }.compactMap { $0["method"] as? String },
                       methods + ["Transition", "Item-kNN", "EASE"])
        XCTAssertEqual(object["ties"] as? String, "item-id")
        for row in rows {
            for key in ["recall@20", "ndcg@20", "coverage@20", "seconds"] {
                let value = try XCTUnwrap(row[key] as? Double, "\(key) in \(row)")
                XCTAssertTrue(value >= 0 && (key == "seconds" || value <= 1), "\(key) = \(value)")
            }
        }
        let ceiling = try XCTUnwrap((object["ceiling"] as? [String: Any])?["recall@20"] as? Double)
        XCTAssertTrue(ceiling > 0 && ceiling <= 1)
        XCTAssertTrue(result.stderr.contains("training item2vec"), "progress goes to stderr")
    }

    func testBadFlagsFailWithMessages() throws {
        let badProtocol = try runRecVec(["table", "--protocol", "nope"])
        XCTAssertNotEqual(badProtocol.status, 0)
        // The parser rejects it, naming the value and the choices.
        XCTAssertTrue(badProtocol.stderr.contains("The value 'nope' is invalid for '--protocol <protocol>'. Please provide one of 'seed-pairs', 'leave-last-out' or 'all'."),
                      badProtocol.stderr)
        XCTAssertTrue(badProtocol.stdout.isEmpty)

        let badThreads = try runRecVec(["table", "--threads", "-2"])
        XCTAssertNotEqual(badThreads.status, 0)
        XCTAssertTrue(badThreads.stderr.contains("--threads"), badThreads.stderr)

        let noPath = try runRecVec(["eval", "--dataset", "movielens"])
        XCTAssertNotEqual(noPath.status, 0)
        XCTAssertTrue(noPath.stderr.contains("--dataset movielens needs --path"), noPath.stderr)

        let badMethod = try runRecVec(["train", "--method", "svd", "--out", "/tmp/never"])
        XCTAssertNotEqual(badMethod.status, 0)
        XCTAssertTrue(badMethod.stderr.contains("'svd'") && badMethod.stderr.contains("'ppmi-svd', 'item2vec', 'walks', 'content' or 'fused'"), badMethod.stderr)
    }

    func testEvalNamesTheBadFileAndLine() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        try "1\t10\t4\t881200000\n1\t11\t4\tlater\n".write(to: dir.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        let result = try runRecVec(["eval", "--dataset", "movielens", "--path", dir.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("u.data:2: column 'timestamp (field 4)' has 'later' (expected epoch seconds or an ISO 8601 date-time)"),
                      result.stderr)
    }

    /// `eval --dataset movielens` scores the content-only row on both u.item modalities: four
    /// films with the same genre, two from the 1930s and two from the 1990s; each user's target
    /// is the film nearest in time to the one before it, which genres alone cannot tell apart
    /// (a tie, broken by the lower index: user 2 would get film 1, a miss).
    func testMovieLensContentUsesGenresAndReleaseYear() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let ratings = [(1, 1, 10), (1, 2, 20), (2, 3, 30), (2, 4, 40)]
        try ratings.map { "\($0.0)\t\($0.1)\t4\t\(881_250_000 + $0.2)\n" }.joined()
            .write(to: dir.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        let dates = ["01-Jan-1930", "01-Jun-1931", "01-Jan-1990", "01-Jun-1991"]
        try dates.enumerated().map { "\($0.offset + 1)|Made-Up \($0.offset + 1)|\($0.element)||url|" + (0 ..< 19).map { $0 == 8 ? "1" : "0" }
            .joined(separator: "|") + "\n" }.joined().write(to: dir.appendingPathComponent("u.item"), atomically: true, encoding: .utf8)
        let result = try runRecVec(["eval", "--dataset", "movielens", "--path", dir.path, "--methods", "content", "--cold-fraction", "0",
                                    "--k", "1", "--threads", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        let content = try XCTUnwrap(rows.first { $0["method"] as? String == "Multimodal" }, "\(rows)")
        XCTAssertEqual(content["cases"] as? Int, 2)
        XCTAssertEqual(content["recall@1"] as? Double, 1.0)
    }

    func testSkipBadLinesCountsTheBadLineInsteadOfStopping() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let ratings = [(1, 1, 10), (1, 2, 20), (2, 2, 30), (2, 3, 40), (3, 1, 50), (3, 3, 60)]
        try (ratings.map { "\($0.0)\t\($0.1)\t4\t\(881_250_000 + $0.2)\n" } + ["3\t2\t4\tlater\n"]).joined()
            .write(to: dir.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        try (1 ... 3).map { movie in "\(movie)|Movie \(movie)|01-Jan-1995||url|" + (0 ..< 19).map { $0 == movie ? "1" : "0" }.joined(separator: "|") + "\n" }
            .joined().write(to: dir.appendingPathComponent("u.item"), atomically: true, encoding: .utf8)
        let base = ["eval", "--dataset", "movielens", "--path", dir.path, "--methods", "content", "--cold-fraction", "0", "--k", "1", "--threads", "1"]
        let stopped = try runRecVec(base)
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertTrue(stopped.stderr.contains("u.data:7:"), stopped.stderr)
        let skipped = try runRecVec(base + ["--skip-bad-lines"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("u.data: skipped 1 bad lines"), skipped.stderr)
    }

    func testEvalTimeCutoffTrainsBeforeAndTestsAfterTheCutoff() throws {
        // MovieLens files for 3 users and 5 movies. Before the cutoff (881250060 = 1997-12-04T15:41:00Z)
        // five ratings; at or after it four, movie 5 only among them.
        let dir = try TestSupport.temporaryDirectory(self)
        let ratings = [(1, 1, 10), (1, 2, 20), (2, 2, 30), (2, 3, 40), (3, 4, 50), (1, 5, 60), (2, 5, 70), (3, 2, 80), (1, 3, 90)]
        try ratings.map { "\($0.0)\t\($0.1)\t4\t\(881_250_000 + $0.2)\n" }.joined()
            .write(to: dir.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        try (1 ... 5).map { movie in "\(movie)|Movie \(movie)|01-Jan-1995||url|" + (0 ..< 19).map { $0 == movie ? "1" : "0" }.joined(separator: "|") + "\n" }
            .joined().write(to: dir.appendingPathComponent("u.item"), atomically: true, encoding: .utf8)
        let base = ["eval", "--dataset", "movielens", "--path", dir.path, "--protocol", "time-cutoff", "--methods", "content",
                    "--cold-fraction", "0", "--k", "2", "--threads", "1", "--json"]
        for cutoff in ["1997-12-04T15:41:00Z", "881250060"] {
            let result = try runRecVec(base + ["--cutoff", cutoff])
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
            let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
            XCTAssertEqual(rows.compactMap { $0["method"] as? String }, ["Multimodal", "Popularity", "Random", "Transition", "Item-kNN", "EASE"])
            XCTAssertEqual(Set(rows.compactMap { $0["protocol"] as? String }), ["time-cutoff"])
            // The four later ratings are the cases; popularity counts only the five earlier ones
            // ([1, 2, 1, 1, 0] over movies 1...5): top 2 lists [3, 4], [1, 4], [2, 1], [3, 4] hit two
            // targets (5, 5, 2, 3). Counting every rating it would hit all four.
            let popularity = try XCTUnwrap(rows.first { $0["method"] as? String == "Popularity" })
            XCTAssertEqual(popularity["cases"] as? Int, 4)
            XCTAssertEqual(popularity["recall@2"] as? Double, 0.5)
            let notes = try XCTUnwrap(object["notes"] as? [String])
            XCTAssertTrue(notes.contains { $0.contains("trained on the 5 events before 1997-12-04T15:41:00Z") }, "\(notes)")
        }

        let notADate = try runRecVec(base + ["--cutoff", "soon"])
        XCTAssertNotEqual(notADate.status, 0)
        XCTAssertTrue(notADate.stderr.contains("--cutoff must be an ISO 8601 date (2020-01-02, 2020-01-02T03:04:05Z) or epoch seconds, got 'soon'"),
                      notADate.stderr)
        let wrongProtocol = try runRecVec(["eval", "--dataset", "movielens", "--path", dir.path, "--cutoff", "881250060"])
        XCTAssertNotEqual(wrongProtocol.status, 0)
        XCTAssertTrue(wrongProtocol.stderr.contains("--cutoff needs --protocol time-cutoff"), wrongProtocol.stderr)
    }

    func testTrainWritesVectorsAndLeavesNothingOnFailure() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let out = dir.appendingPathComponent("ppmi")
        let result = try runRecVec(["train", "--method", "ppmi-svd", "--out", out.path, "--json"] + small)
        XCTAssertEqual(result.status, 0, result.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["ids.txt", "items.npy", "method.json", "popularity.txt", "query.npy"])
        let ids = try String(contentsOf: out.appendingPathComponent("ids.txt"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(ids.count, 40)
        // A failing run (bad MovieLens folder) leaves neither the folder nor a partial one.
        let failed = dir.appendingPathComponent("failed")
        let bad = try runRecVec(["train", "--method", "ppmi-svd", "--dataset", "movielens", "--path", dir.appendingPathComponent("missing").path, "--out", failed.path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("u.data"), bad.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["ppmi"])
    }
}
