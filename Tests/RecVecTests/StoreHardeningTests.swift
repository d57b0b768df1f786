#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Regression tests of issue 7: corrupt data never served, no file written outside its place,
/// no trap on absurd sizes, no served version lost to an interrupted publish or gc.
final class StoreHardeningTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestSupport.temporaryDirectory(self).path
        VerifiedVersions.reset()
    }

    func makeStore() throws -> EmbeddingStore { try EmbeddingStore(path: dir + "/store", create: true) }

    func indexed(rows: Int = 60, seed: UInt64 = 1) -> PublishInput {
        StoreIndexTests.clusteredInput(rows: rows, dim: 8, seed: seed, index: StoreIndexTests.smallIndex())
    }

    func v(_ store: EmbeddingStore, _ name: String = "v000001") -> String { store.path + "/versions/" + name }

    /// Flips bit 0 of the byte at `offset` (a new file renamed over the old one: the inode changes).
    func flipBit(at offset: Int, of path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0x01
        try data.write(to: URL(fileURLWithPath: path))
    }

    func assertChecksumMismatch(_ file: String, _ body: () throws -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            guard case let FileFormatError.checksumMismatch(found, _, _) = error, found == file else {
                return XCTFail("expected a checksum mismatch of \(file), got \(error)", line: line)
            }
        }
    }

    // MARK: 1. verify on open

    func testOneFlippedBitInTheVectorsBodyIsRefusedUnlessTrusted() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        try flipBit(at: VectorFile.headerBytes + 4 * 37 + 3, of: v(store) + "/vectors.rvv")
        assertChecksumMismatch(v(store) + "/vectors.rvv") { _ = try store.open() }
        assertChecksumMismatch(v(store) + "/vectors.rvv") { _ = try ModelServer(store: store) }
        assertChecksumMismatch(v(store) + "/vectors.rvv") { _ = try store.open().export(to: self.dir + "/out.npy", format: .npy) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.npy"))
        // The trust option opens it (the caller accepted the risk).
        XCTAssertEqual(try store.open(verify: .trust).count, 60)
    }

    func testAFlippedIndexLinkIsRefused() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        let index = v(store) + "/index.hnsw"
        // Section table entry 2 (level-0 links): offset at byte 80 + 16 x 2.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        let links0 = Int(bytes[112 ..< 120].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        try flipBit(at: links0 + 4 * 2, of: index)
        assertChecksumMismatch(index) { _ = try store.open() }
    }

    func testASameSizeEditOfTheIdsIsRefused() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        let ids = v(store) + "/ids.txt"
        let text = try String(contentsOfFile: ids, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "item1\n", with: "itemX\n").utf8).write(to: URL(fileURLWithPath: ids))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: ids)).count, text.utf8.count)
        assertChecksumMismatch(ids) { _ = try store.open() }
    }

    func testTheVerdictIsCachedAndACorruptionAfterItIsStillFound() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        _ = try store.open()
        XCTAssertEqual(try store.open().count, 60) // the cached verdict
        try flipBit(at: VectorFile.headerBytes + 11, of: v(store) + "/vectors.rvv")
        assertChecksumMismatch(v(store) + "/vectors.rvv") { _ = try store.open() }
    }

    func testTheManifestHasItsOwnChecksumAndNamesOnlyFilesInsideItsFolder() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        let path = v(store) + "/manifest.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        // One changed character of a value that nothing else checks.
        let edited = String(decoding: original, as: UTF8.self).replacingOccurrences(of: "\"test\"", with: "\"tesT\"")
        try Data(edited.utf8).write(to: URL(fileURLWithPath: path))
        assertChecksumMismatch(path) { _ = try store.open() }

        // A manifest (with a valid checksum) naming a path outside the version folder.
        var manifest = try Manifest.decoder().decode(Manifest.self, from: original)
        manifest.files["../../../etc/passwd"] = .init(bytes: 1, checksum: 1)
        try Data(manifest.encoded()).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try store.open()) { error in
            guard case let StoreError.corruptManifest(_, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("a path outside its version folder"), reason)
        }

        // A version file that is a symlink (to a copy elsewhere) is refused.
        try original.write(to: URL(fileURLWithPath: path))
        try FileManager.default.moveItem(atPath: v(store) + "/ids.txt", toPath: dir + "/ids-elsewhere.txt")
        try FileManager.default.createSymbolicLink(atPath: v(store) + "/ids.txt", withDestinationPath: dir + "/ids-elsewhere.txt")
        XCTAssertThrowsError(try store.open(verify: .trust)) { error in
            XCTAssertTrue("\(error)".contains("is not a regular file"), "\(error)")
        }
    }

    func testAFormat1ManifestWithoutItsOwnChecksumStillOpens() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        let path = v(store) + "/manifest.json"
        var manifest = try Manifest.decoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        manifest.formatVersion = 1
        manifest.manifestChecksum = nil
        try Manifest.encoder().encode(manifest).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try store.open().manifest.formatVersion, 1)
        // Format 2 without a checksum is refused.
        manifest.formatVersion = 2
        try Manifest.encoder().encode(manifest).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try store.open())
    }

    // MARK: 2. temporary files

    func testExportAndPublishNeverFollowPlantedSymlinks() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        let victim = dir + "/victim.txt"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        // The old predictable names, and the destination itself, as symlinks to the victim.
        let out = dir + "/out.npy"
        for planted in [out + ".tmp-\(getpid())", out, out + ".ids.txt", store.path + "/CURRENT.tmp", store.path + "/.CURRENT.tmp"] {
            try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim)
        }
        _ = try store.open().export(to: out, format: .npy)
        _ = try store.open().export(to: dir + "/out.txt", format: .word2vecText)
        _ = try store.publish(indexed(seed: 2), threads: 1)
        _ = try store.rollback()
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
        // The destination symlink was replaced by the exported file, not followed.
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLinkSafe(out), nil)
        XCTAssertEqual(try NPY.read(path: out).rows, 60)
        // A symlink planted as HISTORY: the switch is refused before CURRENT changes.
        try FileManager.default.moveItem(atPath: store.path + "/HISTORY", toPath: dir + "/history-moved")
        try FileManager.default.createSymbolicLink(atPath: store.path + "/HISTORY", withDestinationPath: victim)
        let current = try store.currentVersion()
        XCTAssertThrowsError(try store.publish(indexed(seed: 4), threads: 1)) { error in
            XCTAssertTrue("\(error)".contains("HISTORY: is not a regular file"), "\(error)")
        }
        XCTAssertEqual(try store.currentVersion(), current)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
    }

    func testExportRefusesToWriteIntoTheStoreOrOverAHardLinkedVersionFile() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        let vectors = v(store) + "/vectors.rvv"
        let before = try Data(contentsOf: URL(fileURLWithPath: vectors))
        for target in [vectors, store.path + "/exported.npy"] {
            XCTAssertThrowsError(try store.open().export(to: target, format: .npy)) { error in
                XCTAssertTrue("\(error)".contains("is inside the store"), "\(error)")
            }
        }
        try FileManager.default.linkItem(atPath: vectors, toPath: dir + "/linked.rvv")
        XCTAssertThrowsError(try store.open().export(to: dir + "/linked.rvv", format: .word2vecBinary)) { error in
            XCTAssertTrue("\(error)".contains("v000001/vectors.rvv of the store (a hard link)"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: vectors)), before)
        XCTAssertEqual(try store.open().count, 60)
    }

    // MARK: 3. checked arithmetic

    func testAnNPYShapeWhoseSizeOverflowsIsATypedError() throws {
        for shape in ["(4611686018427387904, 4)", "(9223372036854775807, 9223372036854775807)", "(3037000500, 3037000500)"] {
            var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            dict += String(repeating: " ", count: (64 - (10 + dict.utf8.count + 1) % 64) % 64) + "\n"
            let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count), 0] + Array(dict.utf8) + [0, 0, 0, 0]
            let path = dir + "/huge.npy"
            try? FileManager.default.removeItem(atPath: path)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try NPY.read(path: path)) { error in
                guard case DataError.badNPY = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testHugeKAndFriendsAreTypedErrors() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(), threads: 1)
        _ = try store.publish(indexed(seed: 2), gate: nil, threads: 1)
        let version = try store.open()
        let recommender = try Recommender(version: version)
        for k in [4_611_686_018_427_387_904, Int.max, ServeLimits.maxK + 1] {
            assertThrows(ServeError.invalidArgument(name: "k", value: "\(k)", expected: "1 ... \(ServeLimits.maxK)")) {
                _ = try recommender.recommend(.history(["item1"]), k: k)
            }
            assertThrows(ServeError.invalidArgument(name: "k", value: "\(k)", expected: "1 ... \(ServeLimits.maxK)")) {
                _ = try Drift.compare(from: try store.open("v000001"), to: version, k: k)
            }
        }
        // The largest k is served (every item, fewer than k).
        XCTAssertEqual(try recommender.recommend(.history(["item1"]), k: ServeLimits.maxK).items.count, 59)
        var config = RecommenderConfig()
        config.candidateFactor = Int.max
        XCTAssertThrowsError(try Recommender(version: version, config: config))
        config = RecommenderConfig()
        config.efSearch = Int.max
        XCTAssertThrowsError(try Recommender(version: version, config: config))
        var hnsw = HNSWConfig()
        hnsw.efConstruction = Int.max
        XCTAssertThrowsError(try HNSWIndex(vectors: indexed().vectors, config: hnsw))
        XCTAssertThrowsError(try HNSWIndex(vectors: indexed().vectors, config: HNSWConfig(), threads: Int.max))
    }

    // MARK: 4. history, rollback, gc

    /// A publisher stopped between renaming its version into place and switching CURRENT (a
    /// kill, or a full disk while writing CURRENT's temporary) leaves an orphan: gc and --keep
    /// keep the versions that really served, and rollback goes to one that served.
    func testAnInterruptedPublishNeverCostsTheServedVersion() throws {
        struct Stop: Error {}
        let store = try makeStore()
        _ = try store.publish(indexed(seed: 1), threads: 1)
        _ = try store.publish(indexed(seed: 2), threads: 1)
        for step in [PublishStep.versionRenamed, .pointerStaged] {
            XCTAssertThrowsError(try store.publish(indexed(seed: 3), threads: 1, afterStep: { if $0 == step { throw Stop() } }))
        }
        XCTAssertEqual(try store.versions(), ["v000001", "v000002", "v000003", "v000004"])
        XCTAssertEqual(try store.currentVersion(), "v000002")
        let result = try store.publish(indexed(seed: 4), keep: 2, threads: 1)
        XCTAssertEqual(result.version, "v000005")
        XCTAssertEqual(result.removedVersions, ["v000001"])
        XCTAssertEqual(result.orphans, ["v000003", "v000004"])
        XCTAssertEqual(try store.rollback().to, "v000002")
        let gc = try store.garbageCollect(keep: 1)
        XCTAssertEqual(gc.removedVersions, ["v000005"])
        XCTAssertEqual(gc.orphans, ["v000003", "v000004"])
        XCTAssertEqual(try store.garbageCollect(keep: 1, removeOrphans: true).removedVersions, ["v000003", "v000004"])
        XCTAssertEqual(try store.versions(), ["v000002"])
        XCTAssertEqual(try store.history().map(\.event), [.publish, .publish, .publish, .rollback])
    }

    func testAGarbledCurrentIsRepairedByRollbackTo() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(seed: 1), threads: 1)
        _ = try store.publish(indexed(seed: 2), threads: 1)
        try Data("v0\u{0}\u{7}garbage".utf8).write(to: URL(fileURLWithPath: store.path + "/CURRENT"))
        XCTAssertThrowsError(try store.open()) { error in
            guard case let StoreError.garbledCurrent(_, _, lastServed) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(lastServed, "v000002")
            XCTAssertTrue("\(error)".contains("rollback --store STORE --to VERSION"), "\(error)")
        }
        XCTAssertThrowsError(try store.rollback())
        let repaired = try store.rollback(to: "v000002")
        XCTAssertNil(repaired.from)
        XCTAssertEqual(try store.open().name, "v000002")
    }

    /// CURRENT switched but the history append did not happen (a kill between the two): the
    /// next operation records the current version as recovered, and rollback still walks back.
    func testACurrentTheHistoryDoesNotEndWithIsRecovered() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(seed: 1), threads: 1)
        _ = try store.publish(indexed(seed: 2), threads: 1)
        _ = try store.publish(indexed(seed: 3), threads: 1)
        try Data("v000002\n".utf8).write(to: URL(fileURLWithPath: store.path + "/CURRENT"))
        // A torn last line, as a crash inside an append leaves.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: store.path + "/HISTORY"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-11-30T15:00:00Z\tv0000".utf8))
        try handle.close()
        XCTAssertEqual(try store.rollback().to, "v000003")
        XCTAssertEqual(try store.history().suffix(2).map(\.event), [.recovered, .rollback])
    }

    // MARK: 7. finite scores

    func testRowsWhoseNormOverflowsAreRefusedAndScoresAreNeverInfinite() throws {
        let store = try makeStore()
        var input = indexed()
        input.vectors.values[5 * 8 + 2] = 3e38
        XCTAssertThrowsError(try store.publish(input, threads: 1)) { error in
            XCTAssertTrue("\(error)".contains("row 5 has squared norm"), "\(error)")
        }
        XCTAssertNil(try store.currentVersion())
        // A version whose bytes were changed after publish, opened without verification: the
        // recommender throws rather than emit an infinite score.
        input = indexed()
        input.index = nil
        _ = try store.publish(input, threads: 1)
        let path = v(store) + "/vectors.rvv"
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for c in 0 ..< 8 { withUnsafeBytes(of: Float(3e38)) { data.replaceSubrange(VectorFile.headerBytes + (7 * 8 + c) * 4 ..< VectorFile.headerBytes + (7 * 8 + c + 1) * 4, with: $0) } }
        try data.write(to: URL(fileURLWithPath: path))
        let recommender = try Recommender(version: try store.open(verify: .trust))
        XCTAssertThrowsError(try recommender.recommend(.history(["item7"]), k: 5)) { error in
            guard case ServeError.nonFiniteScore = error else { return XCTFail("\(error)") }
        }
    }

    // MARK: 8. readers and gc

    /// The version CURRENT named is removed (gc) between reading CURRENT and opening its files:
    /// the reader opens the new current version.
    func testAReaderThatLosesItsVersionToGCRetriesOnTheNewCurrent() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(seed: 1), threads: 1)
        var raced = false
        let opened = try store.open(nil, verify: .full, afterReadingCurrent: {
            guard !raced else { return }
            raced = true
            _ = try store.publish(self.indexed(seed: 2), gate: nil, keep: 1, threads: 1)
        })
        XCTAssertTrue(raced)
        XCTAssertEqual(opened.name, "v000002")
        XCTAssertEqual(try store.versions(), ["v000002"])
        // An explicitly named version that is gone is not replaced by another.
        XCTAssertThrowsError(try store.open("v000001"))
    }

    /// No writer of the store modifies a published file in place: after publish, rollback, gc,
    /// export and opens, every file of v000001 has the same inode, size, times and bytes, and
    /// CURRENT was replaced (new inode), not rewritten.
    func testTheStoresWritersNeverModifyAPublishedFileInPlace() throws {
        let store = try makeStore()
        _ = try store.publish(indexed(seed: 1), threads: 1)
        func snapshot() throws -> [String: [Int]] {
            var out: [String: [Int]] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: v(store)) {
                var info = stat()
                XCTAssertEqual(lstat(v(store) + "/" + file, &info), 0)
                let hash = try DurableIO.checksum(path: v(store) + "/" + file).checksum
                out[file] = [Int(info.st_ino), Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_ctim.tv_nsec,
                             Int(truncatingIfNeeded: hash)]
            }
            return out
        }
        func inode(_ path: String) -> Int { var info = stat(); lstat(path, &info); return Int(info.st_ino) }
        let before = try snapshot()
        let current = inode(store.path + "/CURRENT")
        _ = try store.publish(indexed(seed: 2), threads: 1)
        XCTAssertNotEqual(inode(store.path + "/CURRENT"), current)
        _ = try store.rollback()
        _ = try store.publish(indexed(seed: 3), threads: 1)
        _ = try store.garbageCollect(keep: 3)
        _ = try store.open("v000001").export(to: dir + "/x.npy", format: .npy)
        _ = try ModelServer(store: store).refresh()
        XCTAssertEqual(try snapshot(), before)
    }
}

private extension FileManager {
    /// The symlink's target, or nil when `path` is not a symlink.
    func destinationOfSymbolicLinkSafe(_ path: String) throws -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return nil }
        return try destinationOfSymbolicLink(atPath: path)
    }
}
