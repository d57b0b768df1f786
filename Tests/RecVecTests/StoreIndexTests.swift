import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Versions with an HNSW index: the index is tied to its vectors, and serving through it finds
/// what exact search finds.
final class StoreIndexTests: XCTestCase {
    static func smallIndex() -> HNSWConfig {
        var config = HNSWConfig()
        config.m = 8
        config.efConstruction = 64
        config.efSearch = 64
        return config
    }

    /// Clustered vectors (10 items per cluster) so that neighbourhoods are well defined.
    static func clusteredInput(rows: Int, dim: Int, seed: UInt64, index: HNSWConfig?) -> PublishInput {
        var random = TestRandom(seed: seed)
        let centres = random.floats((rows / 10 + 1) * dim)
        var values: [Float] = []
        for r in 0 ..< rows { for d in 0 ..< dim { values.append(centres[(r / 10) * dim + d] + 0.3 * random.symmetric()) } }
        return PublishInput(vectors: try! Matrix(rows: rows, cols: dim, values: values), ids: (0 ..< rows).map { "item\($0)" },
                            method: "test", index: index)
    }

    func makeStore() throws -> EmbeddingStore {
        try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
    }

    func testIndexIsTiedToItsVectorsAndServesLikeExactSearch() throws {
        let store = try makeStore()
        _ = try store.publish(Self.clusteredInput(rows: 400, dim: 16, seed: 1, index: Self.smallIndex()), threads: 1)
        _ = try store.publish(Self.clusteredInput(rows: 400, dim: 16, seed: 1, index: nil), threads: 1)
        let indexed = try store.open("v000001", verify: .full)
        let exact = try store.open("v000002")
        XCTAssertEqual(indexed.index?.vectorsChecksum, indexed.vectors.checksum)
        XCTAssertEqual(indexed.index?.count, 400)
        XCTAssertNil(exact.index)
        XCTAssertEqual(indexed.manifest.index?.m, 8)
        XCTAssertNotNil(indexed.manifest.files[Manifest.indexFile])

        // Recall of the served top 10 (through HNSW) against the exact top 10, over 50 users.
        let viaIndex = try Recommender(version: indexed), viaExact = try Recommender(version: exact)
        var found = 0
        for u in 0 ..< 50 {
            let history = ["item\(u * 7)", "item\(u * 7 + 1)"]
            let a = try viaIndex.recommend(.history(history), k: 10).items.map(\.item)
            let b = try viaExact.recommend(.history(history), k: 10).items.map(\.item)
            found += Set(a).intersection(b).count
        }
        // 400 items and K' = 50 candidates from efSearch 64: HNSW should miss almost nothing.
        XCTAssertGreaterThanOrEqual(Double(found) / 500, 0.95)
    }

    func testIndexOfOtherVectorsIsRefused() throws {
        let store = try makeStore()
        _ = try store.publish(Self.clusteredInput(rows: 100, dim: 8, seed: 1, index: Self.smallIndex()), threads: 1)
        _ = try store.publish(Self.clusteredInput(rows: 100, dim: 8, seed: 2, index: Self.smallIndex()), threads: 1)
        let v1 = store.path + "/versions/v000001", v2 = store.path + "/versions/v000002"
        // Put v2's index into v1 and make the manifest agree on its size and checksum, so the only
        // thing wrong is that the index was built from other vectors.
        try FileManager.default.removeItem(atPath: v1 + "/index.hnsw")
        try FileManager.default.copyItem(atPath: v2 + "/index.hnsw", toPath: v1 + "/index.hnsw")
        var manifest = try store.manifest(of: "v000001")
        let (bytes, checksum) = try DurableIO.checksum(path: v1 + "/index.hnsw")
        manifest.files[Manifest.indexFile] = .init(bytes: bytes, checksum: checksum)
        try Data(manifest.encoded()).write(to: URL(fileURLWithPath: v1 + "/manifest.json"))
        let v1Vectors = try VectorFile(path: v1 + "/vectors.rvv").checksum
        let v2Vectors = try VectorFile(path: v2 + "/vectors.rvv").checksum
        for verify in VerifyLevel.allCases {
            assertThrows(StoreError.indexMismatch(file: v1 + "/index.hnsw", indexVectorsChecksum: v2Vectors, vectorsChecksum: v1Vectors)) {
                _ = try store.open("v000001", verify: verify)
            }
        }
        // Rollback refuses a target that does not open, and CURRENT stays.
        XCTAssertThrowsError(try store.rollback(to: "v000001"))
        XCTAssertEqual(try store.currentVersion(), "v000002")
    }

    func testCorruptIndexIsRefusedNamingTheFile() throws {
        let store = try makeStore()
        _ = try store.publish(Self.clusteredInput(rows: 100, dim: 8, seed: 1, index: Self.smallIndex()), threads: 1)
        let path = store.path + "/versions/v000001/index.hnsw"
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        try corruptByte(at: size / 2, of: path)
        XCTAssertThrowsError(try store.open(verify: .full)) { error in
            guard case FileFormatError.checksumMismatch(file: path, expected: _, found: _) = error else { return XCTFail("\(error)") }
        }
        try truncate(path, to: size - 10)
        assertThrows(FileFormatError.truncated(file: path, expectedBytes: size, foundBytes: size - 10)) { _ = try store.open() }
    }
}
