import Foundation
import RecVec
@testable import RecVecServer
import TestSupport
import XCTest

/// A version published with a popularity prior is served with it by every route: `/v1/recommend`
/// and `/v1/recommend:batch` return what `Recommender.recommend` returns (score + beta *
/// log(1 + count)), with exact search and through HNSW, and that differs from the plain ranking.
final class ServerPriorTests: XCTestCase {
    func testSingleAndBatchRoutesApplyThePrior() async throws {
        for index in [nil, exhaustiveHNSW()] {
            let dir = try TestSupport.temporaryDirectory(self).appendingPathComponent("store").path
            let store = try EmbeddingStore(path: dir, create: true)
            var random = TestRandom(seed: 4)
            let rows = 150
            var input = PublishInput(vectors: try Matrix(rows: rows, cols: 16, values: random.floats(rows * 16)),
                                     ids: (0 ..< rows).map { "item\($0)" }, method: "test", index: index)
            input.popularity = (0 ..< rows).map { ($0 * 37) % 101 }
            input.popularityPrior = 0.5
            try store.publish(input)
            let version = try store.open()
            XCTAssertEqual(version.manifest.popularityPrior, 0.5)
            let recommender = try Recommender(version: version)
            XCTAssertEqual(recommender.popularityPrior, 0.5)
            let histories = [["item1", "item2"], ["item9"], ["item40", "item7", "item120"]]
            let running = try await RunningServer(ServerConfig(storePath: dir))
            let requests: [[String: Any]] = histories.map { ["history": $0, "k": 10] }
            let batch = try await http("POST", running.base + "/v1/recommend:batch", body: jsonString(["requests": requests]))
            XCTAssertEqual(batch.status, 200, batch.text)
            let responses = batch.json["responses"] as? [[String: Any]] ?? []
            var changed = 0
            for (history, answer) in zip(histories, responses) {
                let expected = try recommender.recommend(.history(history), k: 10).items.map(\.item)
                let single = try await http("POST", running.base + "/v1/recommend", body: jsonString(["history": history, "k": 10]))
                XCTAssertEqual(single.json["ids"] as? [String], expected, "single, index \(index != nil)")
                XCTAssertEqual(answer["ids"] as? [String], expected, "batch, index \(index != nil)")
                let plain = try version.nearest(recommender.userVectorRule.vector(history: Int32(0) ..< Int32(history.count),
                                                                                  items: version.gather(history.map { version.row(of: $0)! },
                                                                                                        from: version.vectors))!,
                                                k: 10 + history.count)
                    .filter { !history.contains(version.ids[Int($0.id)]) }.prefix(10).map { version.ids[Int($0.id)] }
                if Array(plain) != expected { changed += 1 }
            }
            XCTAssertEqual(changed, histories.count, "beta 0.5 over counts up to 100 should change every list")
            try await running.stop()
        }
    }
}
