import Foundation
@testable import RecVec
import TestSupport
import XCTest

final class ServeServerTests: XCTestCase {
    /// Requests run concurrently while new versions are published and the server refreshes.
    /// Every version has its own id prefix, so a response mixing versions would show it: each
    /// response must name one version and hold only that version's items.
    func testConcurrentRequestsWhilePublishing() throws {
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
        let prefixes = ["a", "b", "c", "d"]
        // Small HNSW indexes: concurrent searches go through the index as in production.
        let index = {
            var config = HNSWConfig()
            config.m = 8
            config.efConstruction = 32
            return config
        }()
        _ = try store.publish(storeTestInput(rows: 80, dim: 8, seed: 1, prefix: "a", index: index), threads: 1)
        let server = try ModelServer(store: store)
        weak let firstVersion = server.recommender.version
        let publisher = Thread {
            for (i, prefix) in prefixes.enumerated().dropFirst() {
                _ = try? store.publish(storeTestInput(rows: 80, dim: 8, seed: UInt64(i + 1), prefix: prefix, index: index), threads: 1)
                _ = try? server.refresh()
            }
        }
        let lock = NSLock()
        var seen: Set<String> = []
        var failures: [String] = []
        publisher.start()
        DispatchQueue.concurrentPerform(iterations: 400) { i in
            do {
                // The history must name items of the version the request gets: take it from the
                // recommender once, as the server does.
                let recommender = server.recommender
                let prefix = String(recommender.version.ids[0].prefix(1))
                let response = try recommender.recommend(.history(["\(prefix)\(i % 80)"]), k: 5)
                let consistent = response.version == recommender.version.name && response.items.count == 5
                    && response.items.allSatisfy { $0.item.hasPrefix(prefix) }
                lock.withLock {
                    seen.insert(response.version)
                    if !consistent { failures.append("\(response)") }
                }
            } catch {
                lock.withLock { failures.append("\(error)") }
            }
        }
        while !publisher.isFinished { usleep(1000) }
        XCTAssertEqual(failures, [])
        XCTAssertTrue(try server.refresh() == false || server.recommender.version.name == "v000004")
        XCTAssertEqual(server.recommender.version.name, "v000004")
        // Requests through the server itself, after the last switch.
        XCTAssertTrue(try server.recommend(.history(["d1"]), k: 3).items.allSatisfy { $0.item.hasPrefix("d") })
        XCTAssertGreaterThanOrEqual(seen.count, 1)
        // No request holds the first version any more: it was released (its files unmapped).
        XCTAssertNil(firstVersion)
    }

    /// A version that fails to open on refresh leaves the served one in place.
    func testRefreshToABrokenVersionKeepsServing() throws {
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
        _ = try store.publish(storeTestInput(rows: 20, dim: 4, seed: 1, index: nil), threads: 1)
        let server = try ModelServer(store: store)
        _ = try store.publish(storeTestInput(rows: 20, dim: 4, seed: 2, index: nil), threads: 1)
        try truncate(store.path + "/versions/v000002/vectors.rvv", to: 100)
        XCTAssertThrowsError(try server.refresh()) { error in
            guard case FileFormatError.truncated = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(server.recommender.version.name, "v000001")
        XCTAssertEqual(try server.recommend(.history(["item1"]), k: 3).version, "v000001")
    }
}
