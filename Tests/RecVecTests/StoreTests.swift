import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Publishing, listing, rollback, gc and load-time checks, on versions without an ANN index
/// (the index-specific checks are in StoreIndexTests).
final class StoreTests: XCTestCase {
    func makeStore() throws -> EmbeddingStore {
        try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
    }

    func testPublishOpensTheSameVectorsIdsAndManifest() throws {
        let store = try makeStore()
        let input = storeTestInput(rows: 20, dim: 8, seed: 1, metrics: ["recall@20": 0.25])
        let result = try store.publish(input)
        XCTAssertEqual(result.version, "v000001")
        XCTAssertNil(result.previous)
        XCTAssertEqual(try store.currentVersion(), "v000001")
        for verify in VerifyLevel.allCases {
            let version = try store.open(verify: verify)
            XCTAssertEqual(version.vectors.matrix(), input.vectors)
            XCTAssertEqual(Array(version.ids), input.ids)
            XCTAssertEqual(version.row(of: "item7"), 7)
            XCTAssertEqual(version.manifest.metrics, ["recall@20": 0.25])
            XCTAssertEqual(version.manifest.method, "test")
            XCTAssertEqual(version.manifest.count, 20)
            XCTAssertEqual(version.manifest.dimension, 8)
            XCTAssertNil(version.manifest.index)
            XCTAssertEqual(Set(version.manifest.files.keys), [Manifest.vectorsFile, Manifest.idsFile])
        }
        // The default fingerprint is of the vectors and ids: publishing the same input again gives
        // the same one; other vectors a different one.
        _ = try store.publish(input)
        _ = try store.publish(storeTestInput(rows: 20, dim: 8, seed: 2))
        let prints = try store.versions().map { try store.manifest(of: $0).inputFingerprint }
        XCTAssertEqual(prints[0], prints[1])
        XCTAssertNotEqual(prints[0], prints[2])
    }

    func testVersionsRollbackAndGarbageCollection() throws {
        let store = try makeStore()
        for seed in 1 ... 4 { _ = try store.publish(storeTestInput(rows: 5, dim: 3, seed: UInt64(seed))) }
        XCTAssertEqual(try store.versions(), ["v000001", "v000002", "v000003", "v000004"])
        XCTAssertEqual(try store.summaries().filter(\.current).map(\.name), ["v000004"])

        let back = try store.rollback()
        XCTAssertEqual(back.from, "v000004")
        XCTAssertEqual(back.to, "v000003")
        XCTAssertEqual(try store.open().vectors.matrix(), storeTestInput(rows: 5, dim: 3, seed: 3).vectors)
        XCTAssertEqual(try store.rollback(to: "v000001").to, "v000001")
        // Rollback walks the history: what served before v000001 was v000003.
        XCTAssertEqual(try store.rollback().to, "v000003")
        XCTAssertEqual(try store.rollback().to, "v000002")
        XCTAssertEqual(try store.rollback().to, "v000001")
        assertThrows(StoreError.rollbackUnavailable(reason: "no version served before v000001 is left (see HISTORY; give --to VERSION)")) { try store.rollback() }
        assertThrows(StoreError.versionNotFound(name: "v000009", available: try store.versions())) { try store.rollback(to: "v000009") }
        XCTAssertEqual(try store.rollback(to: "v000003").to, "v000003")

        // gc keeps the 2 most recently served (v000003, v000001), never by version number.
        let removed = try store.garbageCollect(keep: 2)
        XCTAssertEqual(removed.removedVersions, ["v000002", "v000004"])
        XCTAssertEqual(removed.orphans, [])
        XCTAssertEqual(try store.versions(), ["v000001", "v000003"])
        XCTAssertEqual(try store.currentVersion(), "v000003")
        // A new publish numbers after the newest, keeps 1 (plus nothing else: current is the new one).
        let published = try store.publish(storeTestInput(rows: 5, dim: 3, seed: 5), keep: 1)
        XCTAssertEqual(published.version, "v000005")
        XCTAssertEqual(published.previous, "v000003")
        XCTAssertEqual(published.removedVersions, ["v000001", "v000003"])
        XCTAssertEqual(try store.versions(), ["v000005"])
        XCTAssertThrowsError(try store.garbageCollect(keep: 0))
    }

    func testNotAStoreAndEmptyStore() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        assertThrows(StoreError.notAStore(path: dir + "/none", reason: "no such directory")) { _ = try EmbeddingStore(path: dir + "/none") }
        try FileManager.default.createDirectory(atPath: dir + "/other", withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/other/notes.txt"))
        // A non-empty directory is never turned into a store, even with create.
        XCTAssertThrowsError(try EmbeddingStore(path: dir + "/other", create: true)) { error in
            guard case StoreError.notAStore(path: _, reason: let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("STORE marker"), reason)
        }
        assertThrows(StoreError.notAStore(path: dir + "/other/notes.txt", reason: "it is a file, not a directory")) {
            _ = try EmbeddingStore(path: dir + "/other/notes.txt")
        }
        let store = try EmbeddingStore(path: dir + "/new", create: true)
        assertThrows(StoreError.noCurrentVersion(store: store.path)) { _ = try store.open() }
        XCTAssertEqual(try store.versions(), [])
    }

    func testBadPublishInputLeavesTheServedVersionUntouched() throws {
        let store = try makeStore()
        _ = try store.publish(storeTestInput(rows: 6, dim: 4, seed: 1))
        var input = storeTestInput(rows: 6, dim: 4, seed: 2)
        input.ids.removeLast()
        assertThrows(StoreError.countMismatch(file: "ids", expected: 6, found: 5)) { _ = try store.publish(input) }
        input = storeTestInput(rows: 6, dim: 4, seed: 2)
        input.ids[3] = "item1"
        assertThrows(StoreError.invalidLine(file: "ids", line: 4, reason: "duplicate item id item1 (first on line 2)")) { _ = try store.publish(input) }
        input.ids[3] = "has space"
        assertThrows(StoreError.invalidLine(file: "ids", line: 4, reason: "item id contains whitespace")) { _ = try store.publish(input) }
        input.ids[3] = ""
        assertThrows(StoreError.invalidLine(file: "ids", line: 4, reason: "empty item id")) { _ = try store.publish(input) }
        input = storeTestInput(rows: 6, dim: 4, seed: 2)
        input.vectors.values[5] = .infinity
        XCTAssertThrowsError(try store.publish(input))
        XCTAssertEqual(try store.versions(), ["v000001"])
        XCTAssertEqual(try store.currentVersion(), "v000001")
        XCTAssertEqual(try store.open(verify: .full).vectors.matrix(), storeTestInput(rows: 6, dim: 4, seed: 1).vectors)
    }

    func testLoadRefusesDamagedVersionsNamingTheFile() throws {
        let store = try makeStore()
        _ = try store.publish(storeTestInput(rows: 6, dim: 4, seed: 1))
        let dir = store.path + "/versions/v000001"
        let manifest = try store.manifest(of: "v000001")

        // A flipped id byte: same size, so only full verification sees it.
        try corruptByte(at: 2, of: dir + "/ids.txt")
        XCTAssertNoThrow(try store.open(verify: .quick))
        let found = try DurableIO.checksum(path: dir + "/ids.txt").checksum
        assertThrows(FileFormatError.checksumMismatch(file: dir + "/ids.txt", expected: manifest.files["ids.txt"]!.checksum!, found: found)) {
            _ = try store.open(verify: .full)
        }
        try corruptByte(at: 2, of: dir + "/ids.txt")

        // Truncation is caught by the size check at every level.
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/vectors.rvv"))
        try truncate(dir + "/vectors.rvv", to: original.count - 4)
        assertThrows(FileFormatError.truncated(file: dir + "/vectors.rvv", expectedBytes: original.count, foundBytes: original.count - 4)) {
            _ = try store.open(verify: .quick)
        }
        try original.write(to: URL(fileURLWithPath: dir + "/vectors.rvv"))

        // A flipped vector byte: full verification recomputes the checksum.
        try corruptByte(at: 70, of: dir + "/vectors.rvv")
        XCTAssertThrowsError(try store.open(verify: .full)) { error in
            guard case FileFormatError.checksumMismatch(file: dir + "/vectors.rvv", expected: manifest.files["vectors.rvv"]!.checksum!, found: _) = error
            else { return XCTFail("\(error)") }
        }
        try original.write(to: URL(fileURLWithPath: dir + "/vectors.rvv"))

        // Vectors replaced by another valid file of the same shape: the trailer disagrees with the manifest.
        let other = try VectorFile.write(storeTestInput(rows: 6, dim: 4, seed: 9).vectors, to: dir + "/vectors.rvv")
        assertThrows(FileFormatError.checksumMismatch(file: dir + "/vectors.rvv", expected: manifest.files["vectors.rvv"]!.checksum!, found: other)) {
            _ = try store.open(verify: .quick)
        }
        try original.write(to: URL(fileURLWithPath: dir + "/vectors.rvv"))

        // A manifest whose shape disagrees with the vectors file.
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json"))
        var wrongShape = manifest
        wrongShape.dimension = 5
        try Data(wrongShape.encoded()).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        assertThrows(StoreError.dimensionMismatch(file: dir + "/vectors.rvv", expected: 5, found: 4)) { _ = try store.open() }
        wrongShape = manifest
        wrongShape.count = 7
        try Data(wrongShape.encoded()).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        assertThrows(StoreError.countMismatch(file: dir + "/vectors.rvv", expected: 7, found: 6)) { _ = try store.open() }
        wrongShape = manifest
        wrongShape.version = "v000009"
        try Data(wrongShape.encoded()).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        assertThrows(StoreError.corruptManifest(file: dir + "/manifest.json", reason: "names version v000009, but its directory is v000001")) {
            _ = try store.open()
        }

        // A manifest that does not parse.
        try Data("{\"version\": 1".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        XCTAssertThrowsError(try store.open()) { error in
            guard case StoreError.corruptManifest(file: dir + "/manifest.json", reason: _) = error else { return XCTFail("\(error)") }
        }
        try manifestData.write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        try FileManager.default.removeItem(atPath: dir + "/ids.txt")
        assertThrows(StoreError.fileMissing(file: dir + "/ids.txt")) { _ = try store.open() }
    }

    func testLeftoversOfAKilledPublishAreCleanedAndIgnored() throws {
        let store = try makeStore()
        _ = try store.publish(storeTestInput(rows: 4, dim: 2, seed: 1))
        try FileManager.default.createDirectory(atPath: store.path + "/versions/.staging-v000002-99999", withIntermediateDirectories: false)
        try Data("v000002\n".utf8).write(to: URL(fileURLWithPath: store.path + "/CURRENT.tmp"))
        XCTAssertEqual(try store.versions(), ["v000001"])
        XCTAssertEqual(try store.currentVersion(), "v000001")
        let result = try store.publish(storeTestInput(rows: 4, dim: 2, seed: 2))
        XCTAssertEqual(Set(result.removedLeftovers), [".staging-v000002-99999", "CURRENT.tmp"])
        XCTAssertEqual(result.version, "v000002")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.path + "/versions").sorted(), ["v000001", "v000002"])
    }

    /// A publish stopped after each step (the hook throws, as a crash would stop it) leaves the
    /// store serving the previous version, whole, until the pointer switch; the next publish cleans up.
    func testPublishInterruptedAfterEveryStep() throws {
        struct Stop: Error {}
        for step in PublishStep.allCases {
            let store = try makeStore()
            let first = storeTestInput(rows: 5, dim: 3, seed: 1)
            let second = storeTestInput(rows: 7, dim: 3, seed: 2)
            _ = try store.publish(first)
            XCTAssertThrowsError(try store.publish(second, afterStep: { if $0 == step { throw Stop() } }))
            let served = try store.open(verify: .full)
            let expected = step.rawValue >= PublishStep.pointerSwitched.rawValue ? second : first
            XCTAssertEqual(served.vectors.matrix(), expected.vectors, "stopped after \(step)")
            XCTAssertEqual(Array(served.ids), expected.ids, "stopped after \(step)")
            _ = try store.publish(storeTestInput(rows: 2, dim: 3, seed: 3))
            XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: store.path + "/versions").contains { $0.hasPrefix(".") })
        }
    }
}
