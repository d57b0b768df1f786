import Foundation
import TestSupport
import XCTest

/// The offline-to-online flow on a user's own log, one command per step: train (--eval), eval
/// (--events, --vectors, --store), publish --from, recommend, pipeline; their agreement and exit codes.
final class FlowCLITests: XCTestCase {
    var dir = ""
    var events = ""

    override func setUpWithError() throws {
        dir = try TestSupport.temporaryDirectory(self).path
        let generated = try runRecVec(["generate", "--users", "80", "--items", "50", "--sessions", "300", "--session-length", "8",
                                       "--ceiling-sessions", "0", "--out", dir + "/gen", "--threads", "1"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        events = dir + "/gen/events.csv"
    }

    func json(_ result: CLIResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout + result.stderr)
    }

    func recall(ofRow method: String, _ result: CLIResult) throws -> Double {
        let rows = try XCTUnwrap(try json(result)["rows"] as? [[String: Any]])
        return try XCTUnwrap(rows.first { ($0["method"] as? String)?.hasPrefix(method) == true }?["recall@20"] as? Double, "\(rows)")
    }

    func testTrainEvalPublishRecommendAgree() throws {
        let common = ["--threads", "1", "--epochs", "2"]
        var result = try runRecVec(["train", "--events", events, "--method", "item2vec", "--eval", "--out", dir + "/model", "--json"] + common)
        XCTAssertEqual(result.status, 0, result.stderr)
        let trained = try XCTUnwrap((try json(result)["metrics"] as? [String: Double])?["recall@20"])
        XCTAssertGreaterThan(trained, 0)
        let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/model/method.json"))) as? [String: Any])
        XCTAssertEqual(info["userVectorRule"] as? String, "recency:5:0.8")
        XCTAssertEqual(info["scoring"] as? String, "asymmetric-dot")
        XCTAssertEqual(info["metric"] as? String, "dot")

        // The table scores the same method on the same split by the same code: the same number.
        result = try runRecVec(["eval", "--events", events, "--methods", "item2vec", "--json"] + common)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try recall(ofRow: "Item2Vec", result), trained)
        XCTAssertTrue((try json(result)["settings"] as? String)?.contains("user vector recency:5:0.8") == true, result.stdout)
        result = try runRecVec(["eval", "--events", events, "--vectors", dir + "/model", "--json", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try recall(ofRow: "Item2Vec", result), trained)
        XCTAssertEqual((try json(result)["notes"] as? [String])?.count, 0, result.stdout)
        // Vectors trained on every event have seen the held-out ones: the table says so.
        result = try runRecVec(["train", "--events", events, "--method", "ppmi-svd", "--dimension", "4", "--out", dir + "/whole"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try runRecVec(["eval", "--events", events, "--vectors", dir + "/whole", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("trained on the whole log, not on the training part of leave-last-out"), result.stderr)

        result = try runRecVec(["publish", "--store", dir + "/store", "--from", dir + "/model", "--index", "none", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/store/versions/v000001/manifest.json"))) as? [String: Any])
        XCTAssertEqual(manifest["userVectorRule"] as? String, "recency:5:0.8")
        XCTAssertEqual(manifest["scoring"] as? String, "asymmetric-dot")
        XCTAssertEqual(manifest["metric"] as? String, "dot")
        XCTAssertEqual((manifest["metrics"] as? [String: Double])?["recall@20"], trained)
        XCTAssertNotNil((manifest["files"] as? [String: Any])?["popularity.rvv"])
        result = try runRecVec(["eval", "--events", events, "--store", dir + "/store", "--json", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try recall(ofRow: "item2vec", result), trained)

        result = try runRecVec(["recommend", "--store", dir + "/store", "--history", "3,7,nope", "-k", "5", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual((try json(result)["items"] as? [Any])?.count, 5)
        XCTAssertEqual(try json(result)["unknownItems"] as? [String], ["nope"])
        result = try runRecVec(["recommend", "--store", dir + "/store", "--history", "nope", "-k", "5", "--json"])
        XCTAssertEqual(try json(result)["fallback"] as? String, "popularity")

        // What train recorded is not given again.
        result = try runRecVec(["publish", "--store", dir + "/store", "--from", dir + "/model", "--metric", "cosine"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--from DIR takes --metric from what `recvec train` wrote"), result.stderr)
    }

    func testBasketsTrainAndTimeCutoffNeedsTime() throws {
        try "a b c\nb c d\na c d e\nc d e\na b\n".write(toFile: dir + "/baskets.txt", atomically: true, encoding: .utf8)
        var result = try runRecVec(["train", "--events", dir + "/baskets.txt", "--format", "sessions", "--method", "ppmi-svd", "--dimension", "2",
                                    "--out", dir + "/b", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try json(result)["items"] as? Int, 5)
        result = try runRecVec(["eval", "--events", dir + "/baskets.txt", "--format", "sessions", "--protocol", "time-cutoff", "--methods", "ppmi-svd"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("no time column") && result.stderr.contains("time-cutoff protocol cannot run"), result.stderr)
    }

    func testCutoffOutsideTheLogNamesTheRange() throws {
        let result = try runRecVec(["eval", "--events", events, "--protocol", "time-cutoff", "--cutoff", "2001-01-01", "--methods", "ppmi-svd"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("2001-01-01T00:00:00Z (978307200)") && result.stderr.contains("the log runs from 2020-"), result.stderr)
    }

    func testPipelinePublishesWithARunReportAndDocumentedExitCodes() throws {
        func write(_ config: String) throws -> String {
            let path = dir + "/pipeline-\(config.hashValue).json"
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let good = try write("""
            {"events": {"path": "gen/events.csv"}, "method": "ppmi-svd", "store": "pstore", "threads": 1, "index": "none",
             "settings": {"dimension": 8, "k": 10}}
            """)
        var result = try runRecVec(["pipeline", good, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try json(result)
        XCTAssertEqual(summary["version"] as? String, "v000001")
        XCTAssertEqual((summary["stages"] as? [[String: Any]])?.compactMap { $0["name"] as? String },
                       ["load", "split", "train", "evaluate", "index+gate+publish"])
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/pstore/versions/v000001/manifest.json"))) as? [String: Any])
        let run = try XCTUnwrap(manifest["run"] as? [String: Any])
        let inputs = try XCTUnwrap(run["inputs"] as? [[String: Any]])
        XCTAssertEqual(inputs.first?["path"] as? String, dir + "/gen/events.csv")
        XCTAssertEqual(inputs.first?["bytes"] as? Int, try FileManager.default.attributesOfItem(atPath: events)[.size] as? Int)
        XCTAssertEqual((run["config"] as? [String: String])?["settings.dimension"], "8")
        XCTAssertEqual((run["metrics"] as? [String: Double])?["recall@10"], (manifest["metrics"] as? [String: Double])?["recall@10"])
        XCTAssertEqual((manifest["defaults"] as? [String: Any])?["k"] as? Int, 10)

        // The gate: demanding a rise of a whole point refuses the same model again (exit 75), and v000001 keeps serving.
        let strict = try write("""
            {"events": {"path": "gen/events.csv"}, "method": "ppmi-svd", "store": "pstore", "threads": 1, "index": "none",
             "settings": {"dimension": 8, "k": 10}, "gate": {"maxRecallDrop": -1}}
            """)
        result = try runRecVec(["pipeline", strict])
        XCTAssertEqual(result.status, 75, result.stderr)
        XCTAssertTrue(result.stderr.contains("recall@10 fell"), result.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/pstore/CURRENT", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "v000001")

        // Usage: a config without a method names the key (64); bad data names the line (65); a missing file (66).
        result = try runRecVec(["pipeline", try write(#"{"events": {"path": "gen/events.csv"}, "store": "pstore"}"#)])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("missing key 'method'"), result.stderr)
        try "user,item,timestamp\nu1,i1,100\nu1,i2,soon\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        result = try runRecVec(["pipeline", try write(#"{"events": {"path": "bad.csv"}, "method": "ppmi-svd", "store": "pstore"}"#)])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("bad.csv:3"), result.stderr)
        result = try runRecVec(["pipeline", try write(#"{"events": {"path": "missing.csv"}, "method": "ppmi-svd", "store": "pstore"}"#)])
        XCTAssertEqual(result.status, 66, result.stderr)
    }

    /// `pipeline --tune`: the method tuned on a validation split (a trial limit, one thread, a
    /// seed: reproducible), the refitted choice published with what was chosen, its validation
    /// figures beside the test ones and its prior; `eval --store` scores the version by the
    /// serving-side settings (rule and prior from the manifest) to the same recall; two runs
    /// publish the same vectors. --budget without tuning is refused.
    func testPipelineTunesPublishesTheChoiceAndIsReproducible() throws {
        let config = dir + "/tuned.json"
        try #"{"events": {"path": "gen/events.csv"}, "method": "ppmi-svd", "store": "tstore", "threads": 1, "index": "none", "settings": {"k": 10, "dimension": 8}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        var manifests: [[String: Any]] = []
        for run in 1 ... 2 {
            let result = try runRecVec(["pipeline", config, "--tune", "--trials", "10", "--seed", "3", "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let summary = try json(result)
            XCTAssertEqual((summary["stages"] as? [[String: Any]])?.compactMap { $0["name"] as? String },
                           ["load", "tune+refit+evaluate", "index+gate+publish"])
            XCTAssertNotNil((summary["tuning"] as? [String: String])?["chosen"], result.stdout)
            manifests.append(try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/tstore/versions/v00000\(run)/manifest.json"))) as? [String: Any]))
        }
        let manifest = manifests[0]
        let configuration = try XCTUnwrap(manifest["configuration"] as? [String: String])
        let chosen = try XCTUnwrap(configuration["tuning.chosen"])
        XCTAssertEqual(configuration["tuning.budget"], "10 trials")
        XCTAssertTrue(configuration["tuning.search"]?.hasPrefix("10 trials in ") == true, "\(configuration)")
        let metrics = try XCTUnwrap(manifest["metrics"] as? [String: Double])
        for key in ["recall@10", "validation_recall@10", "validation_ndcg@10", "popularity_recall@10"] { XCTAssertNotNil(metrics[key], key) }
        // The prior in the manifest is the one the choice names ("prior=0.3"; absent when 0).
        let prior = try XCTUnwrap(Float(try XCTUnwrap(chosen.split(separator: " ").first { $0.hasPrefix("prior=") }).dropFirst(6)))
        XCTAssertEqual((manifest["popularityPrior"] as? Double).map(Float.init) ?? 0, prior, chosen)
        // Reproducible: the same choice, metrics and vectors.
        XCTAssertEqual((manifests[1]["configuration"] as? [String: String])?["tuning.chosen"], chosen)
        XCTAssertEqual(manifests[1]["metrics"] as? [String: Double], metrics)
        XCTAssertEqual(((manifests[1]["files"] as? [String: Any])?["vectors.rvv"] as? [String: Any])?["xxh64"] as? String,
                       ((manifest["files"] as? [String: Any])?["vectors.rvv"] as? [String: Any])?["xxh64"] as? String)
        // Served as evaluated: the version scored again on the same split by its recorded rule and prior.
        let rescored = try runRecVec(["eval", "--events", events, "--store", dir + "/tstore", "--version", "v000001", "--k", "10",
                                      "--json", "--threads", "1"])
        XCTAssertEqual(rescored.status, 0, rescored.stderr)
        let row = try XCTUnwrap((try json(rescored)["rows"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["recall@10"] as? Double, metrics["recall@10"], "\(row)")

        let refused = try runRecVec(["pipeline", config, "--budget", "5s"])
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--budget and --trials need --tune"), refused.stderr)
        // A bad "tune" key is a usage error naming it, before anything is read or written.
        let bad = dir + "/bad-tune.json"
        try #"{"events": {"path": "gen/events.csv"}, "method": "ppmi-svd", "store": "never", "tune": {"budget": "soon"}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let badRun = try runRecVec(["pipeline", bad])
        XCTAssertEqual(badRun.status, 64, badRun.stderr)
        XCTAssertTrue(badRun.stderr.contains("tune.budget must be seconds such as 60, 60s or 2m, got 'soon'"), badRun.stderr)
        XCTAssertFalse(badRun.stderr.contains("reading"), "refused before the events are read: \(badRun.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never"))
    }

    /// Examples/csv-to-recommendations: the documented library path, CSV to recommendations.
    func testLibraryExampleRunsOnACSV() throws {
        let result = try runProduct("csv-to-recommendations", [events, dir + "/example-store"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("2400 events, "), result.stdout)
        XCTAssertTrue(lines[1].contains("held-out recall@20"), result.stdout)
        XCTAssertTrue(lines[2].hasPrefix("v000001: for user"), result.stdout)
        XCTAssertEqual(lines[3].split(separator: ":").last?.split(separator: ",").count, 5, result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/example-store/versions/v000001/popularity.rvv"))
    }
}
