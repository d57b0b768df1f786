import Foundation
@testable import RecVec
import TestSupport
import XCTest

final class ServeMonitorTests: XCTestCase {
    func makeStore() throws -> EmbeddingStore {
        try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
    }

    func testDriftOfIdenticalAndUnrelatedVersions() throws {
        let store = try makeStore()
        _ = try store.publish(storeTestInput(rows: 100, dim: 8, seed: 1, index: nil, metrics: ["recall@20": 0.3, "ndcg@20": 0.2]))
        _ = try store.publish(storeTestInput(rows: 100, dim: 8, seed: 1, index: nil, metrics: ["recall@20": 0.25]))
        _ = try store.publish(storeTestInput(rows: 100, dim: 8, seed: 2, index: nil))
        let same = try Drift.compare(from: try store.open("v000001"), to: try store.open("v000002"), k: 5, sampleSize: 40)
        XCTAssertEqual(same.sampled, 40)
        XCTAssertEqual(same.overlapAtK, 1)
        XCTAssertEqual(same.fromStats, same.toStats)
        XCTAssertEqual(same.metricChanges.keys.sorted(), ["recall@20"])
        XCTAssertEqual(same.metricChanges["recall@20"]!, -0.05, accuracy: 1e-12)

        // Unrelated random vectors: overlap near chance, 5/99 ~ 0.05; far below 1.
        let other = try Drift.compare(from: try store.open("v000001"), to: try store.open("v000003"), k: 5, sampleSize: 1000)
        XCTAssertEqual(other.sampled, 100)
        XCTAssertLessThan(other.overlapAtK, 0.3)

        // Oracle for the coverage and Gini of one small case: lists [[a, b], [a, c]] over 4 items.
        let stats = Drift.stats([["item0", "item1"], ["item0", "item2"]], version: try store.open("v000001"))
        XCTAssertEqual(stats.coverage, 3.0 / 100.0)
        // Counts sorted: 97 zeros, 1, 1, 2 at 1-based ranks 98, 99, 100 (n = 100, total 4):
        // sum (2i - n - 1) x_i = 95 + 97 + 2 * 99 = 390.
        XCTAssertEqual(stats.exposureGini, 390.0 / (100.0 * 4.0), accuracy: 1e-12)
    }

    func testGateRefusesARecallDropAndTheCurrentVersionStays() throws {
        let store = try makeStore()
        _ = try store.publish(storeTestInput(rows: 50, dim: 8, seed: 1, index: nil, metrics: ["recall@20": 0.30]))
        var gate = PublishGate()
        gate.maxRecallDrop = 0.02
        XCTAssertThrowsError(try store.publish(storeTestInput(rows: 50, dim: 8, seed: 1, index: nil, metrics: ["recall@20": 0.25]), gate: gate)) { error in
            guard case let StoreError.gateRefused(candidate, reasons) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(candidate, "v000002")
            XCTAssertEqual(reasons.count, 1)
            XCTAssertTrue(reasons[0].contains("recall@20 fell from 0.3"), reasons[0])
        }
        XCTAssertEqual(try store.versions(), ["v000001"])
        XCTAssertEqual(try store.currentVersion(), "v000001")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: store.path + "/versions").contains { $0.hasPrefix(".") })
        // A drop within the allowance passes; a missing metric does not.
        XCTAssertEqual(try store.publish(storeTestInput(rows: 50, dim: 8, seed: 1, index: nil, metrics: ["recall@20": 0.29]), gate: gate).version, "v000002")
        XCTAssertThrowsError(try store.publish(storeTestInput(rows: 50, dim: 8, seed: 1, index: nil), gate: gate))
        XCTAssertEqual(try store.currentVersion(), "v000002")
    }

    /// Popularity collapse under the dot metric: a few huge-norm "hub" items become everyone's
    /// nearest neighbours, so coverage falls to about hubs / items.
    func testGateRefusesACoverageCollapse() throws {
        let store = try makeStore()
        var healthy = storeTestInput(rows: 200, dim: 8, seed: 1, index: nil)
        healthy.metric = .dot
        _ = try store.publish(healthy)
        var collapsed = healthy
        for row in 0 ..< 200 { for c in 0 ..< 8 { collapsed.vectors[row, c] = abs(collapsed.vectors[row, c]) } }
        for hub in 0 ..< 10 { for c in 0 ..< 8 { collapsed.vectors[hub, c] = 100 + Float(hub) } }
        var gate = PublishGate()
        gate.k = 10
        gate.sampleSize = 200
        XCTAssertThrowsError(try store.publish(collapsed, gate: gate)) { error in
            guard case let StoreError.gateRefused(_, reasons) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reasons.contains { $0.contains("coverage@10 collapsed") }, "\(reasons)")
        }
        XCTAssertEqual(try store.currentVersion(), "v000001")
        // Without the gate it publishes; one rollback restores the healthy version.
        _ = try store.publish(collapsed)
        XCTAssertEqual(try store.rollback().to, "v000001")
        XCTAssertEqual(try store.open().vectors.matrix(), healthy.vectors)
    }
}
