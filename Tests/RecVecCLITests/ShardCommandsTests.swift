import Foundation
import TestSupport
import XCTest

/// The commands the Spark jobs run per partition, end to end: corpus -> cooc-shard ->
/// merge-counts -> train --counts, corpus-shard from text, batch-recommend, refusals.
final class ShardCommandsTests: XCTestCase {
    func testCorpusCountsTrainPublishAndBatchRecommend() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        var csv = "user,item,timestamp\n"
        for u in 0 ..< 30 { for e in 0 ..< 12 { csv += "u\(u),i\((u * 7 + e * (e % 3 + 1)) % 25),\(1000 + e * 60 + (e >= 6 ? 4000 : 0))\n" } }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: dir + "/events.csv"))

        let corpus = try runRecVec(["corpus", "--events", dir + "/events.csv", "--shards", "3", "--out", dir + "/corpus", "--json"])
        XCTAssertEqual(corpus.status, 0, corpus.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(corpus.stdout.utf8)) as? [String: Int])
        XCTAssertEqual(summary, ["events": 360, "items": 25, "sessions": 60, "tokens": 360]) // the 4000 s gap cuts each user in two
        let again = try runRecVec(["corpus", "--events", dir + "/events.csv", "--out", dir + "/corpus"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("\(dir)/corpus already exists"), again.stderr)

        for n in 0 ..< 3 {
            let r = try runRecVec(["cooc-shard", "--corpus", dir + "/corpus/part-0000\(n).rvc", "--window", "3", "--out", dir + "/part-\(n).rvcsr"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try runRecVec(["merge-counts", dir + "/part-0.rvcsr", dir + "/part-1.rvcsr", dir + "/part-2.rvcsr",
                                      "--out", dir + "/corpus/merged.rvcsr"]).status, 0)
        XCTAssertEqual(try runRecVec(["cooc-shard", "--corpus", dir + "/corpus", "--window", "3", "--out", dir + "/whole.rvcsr"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/corpus/merged.rvcsr")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/whole.rvcsr")))

        let fromCounts = try runRecVec(["train", "--method", "ppmi-svd", "--counts", dir + "/corpus/merged.rvcsr", "--dimension", "4",
                                        "--threads", "1", "--out", dir + "/v1"])
        XCTAssertEqual(fromCounts.status, 0, fromCounts.stderr)
        let fromCorpus = try runRecVec(["train", "--method", "ppmi-svd", "--corpus", dir + "/corpus", "--dimension", "4", "--window", "3",
                                        "--threads", "1", "--out", dir + "/v2"])
        XCTAssertEqual(fromCorpus.status, 0, fromCorpus.stderr)
        for file in ["items.npy", "query.npy", "ids.txt"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/v1/" + file)), try Data(contentsOf: URL(fileURLWithPath: dir + "/v2/" + file)), file)
        }
        let wrong = try runRecVec(["train", "--method", "item2vec", "--counts", dir + "/corpus/merged.rvcsr", "--out", dir + "/v3"])
        XCTAssertTrue(wrong.stderr.contains("--counts trains ppmi-svd only"), wrong.stderr)

        let publish = try runRecVec(["publish", "--store", dir + "/store", "--vectors", dir + "/v1/items.npy", "--query-vectors",
                                     dir + "/v1/query.npy", "--ids", dir + "/v1/ids.txt", "--method", "ppmi-svd", "--metric", "dot", "--index", "none"])
        XCTAssertEqual(publish.status, 0, publish.stderr)
        let batch = try runRecVec(["batch-recommend", "--store", dir + "/store", "--events", dir + "/events.csv", "-k", "3", "--header"])
        XCTAssertEqual(batch.status, 0, batch.stderr)
        let lines = batch.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "user,rank,item,score")
        XCTAssertEqual(lines.count, 1 + 30 * 3)
        // The same histories given as a file (what the Spark job pipes in) give the same rows.
        var histories = ""
        for u in 0 ..< 30 {
            let items = csv.split(separator: "\n").dropFirst().filter { $0.hasPrefix("u\(u),") }.map { $0.split(separator: ",")[1] }
            histories += "u\(u)\t" + items.joined(separator: "\t") + "\n"
        }
        try Data(histories.utf8).write(to: URL(fileURLWithPath: dir + "/histories.tsv"))
        let piped = try runRecVec(["batch-recommend", "--store", dir + "/store", "--histories", dir + "/histories.tsv", "-k", "3"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stdout.split(separator: "\n"), Array(lines.dropFirst()))
    }
}
