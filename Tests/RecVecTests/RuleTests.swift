import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Rules stated directly, with hand-computed expectations (not agreement with a twin or with
/// the function under test), so that a realistic mistake cannot pass.
final class RuleTests: XCTestCase {
    /// Rows 0 ..< n of the n x n identity: orthonormal vectors.
    func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0 ..< n { m[i, i] = 1 }
        return m
    }

    /// m + 1 orthonormal vectors, M = 4, one thread: every pair has the same similarity (0),
    /// so neighbour selection keeps every candidate up to M, and each node ends with exactly
    /// M = 4 level-0 links (its own to the earlier nodes, back-links from the later ones).
    /// A selection that keeps M - 1 leaves the last node (and one it skipped) with 3.
    func testOrthonormalVectorsGiveEveryNodeExactlyMLevel0Links() throws {
        for metric in [Metric.cosine, .dot] {
            var config = HNSWConfig()
            config.m = 4
            config.efConstruction = 16
            config.metric = metric
            let index = try HNSWIndex(vectors: identity(5), config: config, threads: 1)
            let path = try TestSupport.temporaryDirectory(self).path + "/index.hnsw"
            try index.write(to: URL(fileURLWithPath: path), vectorsChecksum: 1)
            // links0 section: offset at byte 80 + 16 x 2; per node 1 + 2M int32: count, then ids.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            func int(_ at: Int, _ width: Int) -> Int {
                bytes[at ..< at + width].withUnsafeBytes { width == 8 ? Int($0.loadUnaligned(as: UInt64.self)) : Int($0.loadUnaligned(as: Int32.self)) }
            }
            let links0 = int(112, 8)
            for node in 0 ..< 5 {
                let at = links0 + node * (1 + 2 * config.m) * 4
                let count = int(at, 4)
                XCTAssertEqual(count, 4, "node \(node), \(metric)")
                let linked = Set((0 ..< count).map { int(at + 4 + 4 * $0, 4) })
                XCTAssertEqual(linked, Set(0 ..< 5).subtracting([node]), "node \(node), \(metric)")
            }
        }
    }

    /// recency:3:0.5 over unit rows e0, e1, e2, e3 (history oldest first): the last 3 items, the
    /// newest weighing 1, the one before 0.5, then 0.25: (0, 0.25, 0.5, 1) / 1.75 = (0, 1, 2, 4) / 7.
    func testRecencyWeightedUserVectorAgainstAHandComputedValue() throws {
        let rule = UserVectorRule.recencyWeighted(count: 3, decay: 0.5)
        let vector = try XCTUnwrap(rule.vector(history: [Int32(0), 1, 2, 3], items: identity(4)))
        for (found, expected) in zip(vector, [0, 1.0 / 7, 2.0 / 7, 4.0 / 7] as [Float]) { XCTAssertEqual(found, expected, accuracy: 1e-7) }
        // The history's order matters: reversed, the weights follow it.
        let reversed = try XCTUnwrap(rule.vector(history: [Int32(3), 2, 1, 0], items: identity(4)))
        for (found, expected) in zip(reversed, [4.0 / 7, 2.0 / 7, 1.0 / 7, 0] as [Float]) { XCTAssertEqual(found, expected, accuracy: 1e-7) }
        // last:2 is the plain mean of the last two.
        XCTAssertEqual(UserVectorRule.meanOfLast(2).vector(history: [Int32(0), 1, 2], items: identity(3)), [0, 0.5, 0.5])
    }
}
