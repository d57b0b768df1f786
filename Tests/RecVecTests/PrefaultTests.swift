import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// `StoreVersion.prefault`: it maps every page of a version's files into the process's page
/// tables and builds the id lookup, so the first requests on a new version take no page faults
/// and build nothing.
final class PrefaultTests: XCTestCase {
    /// Kilobytes of `file`'s map present in this process's page tables (the map's Rss line in
    /// /proc/self/smaps).
    private func residentKB(_ file: MappedFile) throws -> Int {
        let start = String(UInt(bitPattern: file.bytes.baseAddress!), radix: 16)
        // /proc files report size 0: read to the end rather than by their size.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inMap = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), !line.hasPrefix(" "), line[..<dash].allSatisfy(\.isHexDigit) {
                inMap = line[..<dash].drop { $0 == "0" } == start.drop { $0 == "0" }
            } else if inMap, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1])!
            }
        }
        throw XCTSkip("no map at 0x\(start) in /proc/self/smaps")
    }

    func testPrefaultMapsEveryPageOfEveryFile() throws {
        let dir = try TestSupport.temporaryDirectory(self).appendingPathComponent("store").path
        let store = try EmbeddingStore(path: dir, create: true)
        var random = TestRandom(seed: 7)
        let rows = 8192, dim = 64 // 2 MiB of vectors
        let input = PublishInput(vectors: try Matrix(rows: rows, cols: dim, values: random.floats(rows * dim)),
                                 ids: (0 ..< rows).map { "i\($0)" }, method: "test", index: HNSWConfig())
        let name = try store.publish(input, threads: 1).version

        // Opened without full verification, only the header and trailer pages were read.
        let version = try store.open(name, verify: .quick)
        let sizeKB = version.vectors.file.bytes.count / 1024
        XCTAssertLessThan(try residentKB(version.vectors.file), sizeKB / 2, "a fresh map is mostly not in the page tables")

        let manifest = try store.manifest(of: name)
        XCTAssertEqual(version.prefault(), manifest.files.values.map(\.bytes).reduce(0, +), "every file of the version, whole")
        XCTAssertGreaterThanOrEqual(try residentKB(version.vectors.file), sizeKB)
        XCTAssertGreaterThanOrEqual(try residentKB(version.index!.mapping!), version.index!.mapping!.bytes.count / 1024)
    }

    /// A `.quick` open, and a `.full` open of a version this process verified before, leave the
    /// id lookup to the first `row(of:)` (18 ms for 100k ids, on whichever request came first
    /// until prefault built it); prefault builds it, and lookups still answer right.
    func testPrefaultBuildsTheIdLookupThatAQuickOrRepeatedOpenSkips() throws {
        let dir = try TestSupport.temporaryDirectory(self).appendingPathComponent("store").path
        let store = try EmbeddingStore(path: dir, create: true)
        var random = TestRandom(seed: 8)
        let rows = 300, dim = 8
        let input = PublishInput(vectors: try Matrix(rows: rows, cols: dim, values: random.floats(rows * dim)),
                                 ids: (0 ..< rows).map { "i\($0)" }, method: "test")
        let name = try store.publish(input, threads: 1).version
        let first = try store.open(name, verify: .full)
        XCTAssertTrue(first.ids.hasLookup, "a first full open checks the ids for duplicates, building the lookup")
        for version in [try store.open(name, verify: .quick), try store.open(name, verify: .full)] {
            XCTAssertFalse(version.ids.hasLookup)
            version.prefault()
            XCTAssertTrue(version.ids.hasLookup)
            XCTAssertEqual(version.row(of: "i123"), 123)
            XCTAssertNil(version.row(of: "nope"))
        }
    }
}
