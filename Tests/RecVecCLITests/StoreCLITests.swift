import Foundation
import TestSupport
import XCTest

/// `recvec publish / versions / rollback / gc / export / recommend / drift` end to end: exit
/// status, stdout (JSON), and the error text a user sees.
final class StoreCLITests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestSupport.temporaryDirectory(self).path
    }

    /// Writes a float32 .npy of `rows x cols` deterministic values and an ids file.
    func writeInput(_ name: String, rows: Int, cols: Int, seed: UInt64, prefix: String = "item") throws {
        var random = TestRandom(seed: seed)
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        dict += String(repeating: " ", count: (64 - (10 + dict.utf8.count + 1) % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count & 0xFF), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8)
        for _ in 0 ..< rows * cols { withUnsafeBytes(of: random.symmetric().bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(name).npy"))
        try Data((0 ..< rows).map { "\(prefix)\($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: "\(dir)/\(name).ids"))
    }

    func publish(_ name: String, _ extra: [String] = []) throws -> CLIResult {
        try runRecVec(["publish", "--store", dir + "/store", "--vectors", "\(dir)/\(name).npy", "--ids", "\(dir)/\(name).ids",
                       "--method", "sgns", "--index", "none"] + extra)
    }

    func json(_ result: CLIResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
    }

    func testPublishVersionsRollbackGC() throws {
        try writeInput("a", rows: 30, cols: 6, seed: 1)
        try Data("{\"recall@20\": 0.3}".utf8).write(to: URL(fileURLWithPath: dir + "/m.json"))
        var result = try publish("a", ["--metrics", dir + "/m.json", "--config", "dim=6", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try json(result)["version"] as? String, "v000001")
        result = try publish("a", ["--metrics", dir + "/m.json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("published v000002"), result.stdout)

        result = try runRecVec(["versions", "--store", dir + "/store", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let listing = try json(result)
        XCTAssertEqual(listing["current"] as? String, "v000002")
        let versions = try XCTUnwrap(listing["versions"] as? [[String: Any]])
        XCTAssertEqual(versions.map { $0["name"] as? String }, ["v000001", "v000002"])
        XCTAssertEqual((versions[0]["metrics"] as? [String: Double])?["recall@20"], 0.3)

        result = try runRecVec(["rollback", "--store", dir + "/store", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try json(result)["to"] as? String, "v000001")
        result = try runRecVec(["rollback", "--store", dir + "/store"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("cannot roll back: no version served before v000001 is left"), result.stderr)
        result = try runRecVec(["rollback", "--store", dir + "/store", "--to", "v000002"])
        XCTAssertEqual(result.status, 0, result.stderr)

        // Staleness: catalog items without a vector in the current version, and its age.
        try Data("item1\tc1\nitem2\nnew-item\tc2\t5\nother-new\n".utf8).write(to: URL(fileURLWithPath: dir + "/catalog.tsv"))
        result = try runRecVec(["versions", "--store", dir + "/store", "--catalog", dir + "/catalog.tsv", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let staleness = try XCTUnwrap(try json(result)["staleness"] as? [String: Any])
        XCTAssertEqual(staleness["missingCount"] as? Int, 2)
        XCTAssertEqual(staleness["catalogItems"] as? Int, 4)
        XCTAssertEqual(staleness["missingSample"] as? [String], ["new-item", "other-new"])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(staleness["ageSeconds"] as? Double), 0)
        result = try runRecVec(["versions", "--store", dir + "/store", "--catalog", dir + "/catalog.tsv"])
        XCTAssertTrue(result.stdout.contains("2 of 4 catalog items have no vector (e.g. new-item, other-new)"), result.stdout)

        result = try runRecVec(["gc", "--store", dir + "/store", "--keep", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try json(result)["removedVersions"] as? [String], ["v000001"])
    }

    func testGateRefusalKeepsTheCurrentVersionAndForceOverrides() throws {
        try writeInput("a", rows: 30, cols: 6, seed: 1)
        try Data("{\"recall@20\": 0.3}".utf8).write(to: URL(fileURLWithPath: dir + "/good.json"))
        try Data("{\"recall@20\": 0.1}".utf8).write(to: URL(fileURLWithPath: dir + "/bad.json"))
        XCTAssertEqual(try publish("a", ["--metrics", dir + "/good.json"]).status, 0)
        var result = try publish("a", ["--metrics", dir + "/bad.json"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("publish gate refused v000002"), result.stderr)
        XCTAssertTrue(result.stderr.contains("recall@20 fell from 0.3"), result.stderr)
        result = try runRecVec(["versions", "--store", dir + "/store", "--json"])
        XCTAssertEqual(try json(result)["current"] as? String, "v000001")
        result = try publish("a", ["--metrics", dir + "/bad.json", "--force"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try runRecVec(["rollback", "--store", dir + "/store"])
        XCTAssertTrue(result.stdout.contains("rolled back from v000002 to v000001"), result.stdout)
    }

    func testBadInputGivesAClearErrorAndKeepsTheServedVersion() throws {
        try writeInput("a", rows: 20, cols: 4, seed: 1)
        XCTAssertEqual(try publish("a").status, 0)
        try writeInput("short", rows: 20, cols: 4, seed: 2)
        try Data((0 ..< 19).map { "x\($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: dir + "/short.ids"))
        let cases: [([String], String)] = [
            (["publish", "--store", dir + "/store", "--vectors", dir + "/short.npy", "--ids", dir + "/short.ids", "--method", "m", "--index", "none"],
             "short.ids: 19 entries, expected 20"),
            (["publish", "--store", dir + "/store", "--vectors", dir + "/a.ids", "--ids", dir + "/a.ids", "--method", "m"],
             "a.ids: not a readable .npy file (missing the \\x93NUMPY magic)"),
            (["publish", "--store", dir + "/store", "--vectors", dir + "/missing.npy", "--ids", dir + "/a.ids", "--method", "m"],
             "missing.npy: cannot read"),
            (["publish", "--store", dir + "/store", "--vectors", dir + "/a.npy", "--ids", dir + "/a.ids", "--method", "m", "--index", "faiss"],
             "The value 'faiss' is invalid for '--index <index>'. Please provide one of 'hnsw' and 'none'."),
            (["versions", "--store", dir], "is not a recvec store: no STORE marker"),
            (["versions", "--store", dir + "/nowhere"], "is not a recvec store: no such directory"),
            (["rollback", "--store", dir + "/store", "--to", "v000042"], "no version named v000042 (available: v000001)"),
            (["export", "--store", dir + "/store", "--format", "csv", "--out", dir + "/x"], "The value 'csv' is invalid for '--format <format>'. Please provide one of 'word2vec-text', 'word2vec-binary' or 'npy'."),
            (["recommend", "--store", dir + "/store", "--history", "item1", "-k", "0"], "-k must be positive"),
            (["recommend", "--store", dir + "/store", "-k", "3"], "give exactly one of --history or --user"),
            (["drift", "--store", dir + "/store"], "no version older than v000001"),
        ]
        for (arguments, message) in cases {
            let result = try runRecVec(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments.joined(separator: " ")): \(result.stderr)")
        }
        // Truncated vectors in the store: a clear error naming the file.
        let vectors = dir + "/store/versions/v000001/vectors.rvv"
        let original = try Data(contentsOf: URL(fileURLWithPath: vectors))
        try original.prefix(50).write(to: URL(fileURLWithPath: vectors))
        var result = try runRecVec(["export", "--store", dir + "/store", "--format", "npy", "--out", dir + "/x.npy"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("vectors.rvv has 50 bytes"), result.stderr)
        try original.write(to: URL(fileURLWithPath: vectors))
        result = try runRecVec(["versions", "--store", dir + "/store", "--json"])
        XCTAssertEqual(try json(result)["current"] as? String, "v000001")
    }

    func testExportWritesFilesNumpyCanRead() throws {
        try writeInput("a", rows: 10, cols: 3, seed: 4)
        XCTAssertEqual(try publish("a").status, 0)
        let result = try runRecVec(["export", "--store", dir + "/store", "--format", "npy", "--out", dir + "/out.npy", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try json(result)["files"] as? [String], [dir + "/out.npy", dir + "/out.npy.ids.txt"])
        // The exported array holds the published rows: the same bytes after the header.
        let input = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.npy"))
        let output = try Data(contentsOf: URL(fileURLWithPath: dir + "/out.npy"))
        XCTAssertEqual(output.suffix(120), input.suffix(120))
        XCTAssertEqual(try String(contentsOfFile: dir + "/out.npy.ids.txt", encoding: .utf8), try String(contentsOfFile: dir + "/a.ids", encoding: .utf8))
    }

    func testRecommendAndDrift() throws {
        try writeInput("a", rows: 40, cols: 6, seed: 1)
        try writeInput("b", rows: 40, cols: 6, seed: 2)
        XCTAssertEqual(try publish("a").status, 0)
        var result = try runRecVec(["recommend", "--store", dir + "/store", "--history", "item1,item2", "-k", "4", "--json", "--explain"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let response = try json(result)
        XCTAssertEqual(response["version"] as? String, "v000001")
        let items = try XCTUnwrap(response["items"] as? [[String: Any]])
        XCTAssertEqual(items.count, 4)
        XCTAssertFalse(items.contains { ["item1", "item2"].contains($0["item"] as? String) })
        XCTAssertEqual((response["trace"] as? [Any])?.count, 20)  // K' = max(4 x 5, 4 + 10)

        try Data("u1\titem3\nu1\titem4\n".utf8).write(to: URL(fileURLWithPath: dir + "/h.tsv"))
        result = try runRecVec(["recommend", "--store", dir + "/store", "--user", "u1", "--histories", dir + "/h.tsv", "-k", "3"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 4)  // version line + 3 items
        result = try runRecVec(["recommend", "--store", dir + "/store", "--user", "u9", "--histories", dir + "/h.tsv", "-k", "3"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("unknown user id u9"), result.stderr)
        // Unknown items are skipped and reported; the rest of the history still ranks.
        result = try runRecVec(["recommend", "--store", dir + "/store", "--history", "item1,zzz", "-k", "3", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try json(result)["unknownItems"] as? [String], ["zzz"])
        let known = try runRecVec(["recommend", "--store", dir + "/store", "--history", "item1", "-k", "3", "--json"])
        XCTAssertEqual(try json(result)["items"] as? [[String: Double]], try json(known)["items"] as? [[String: Double]])
        // Published without training counts: a wholly unknown history cannot fall back, and says so.
        result = try runRecVec(["recommend", "--store", dir + "/store", "--history", "zzz", "-k", "3"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("no popularity counts to fall back to"), result.stderr)
        // A rule that needs a catalog, without one, is a usage error.
        for flags in [["--max-per-category", "1"], ["--require", "red"]] {
            result = try runRecVec(["recommend", "--store", dir + "/store", "--history", "item1", "-k", "3"] + flags)
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains("\(flags[0]) needs --catalog FILE"), result.stderr)
        }

        XCTAssertEqual(try publish("b", ["--force"]).status, 0)
        result = try runRecVec(["drift", "--store", dir + "/store", "-k", "5", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let drift = try json(result)
        XCTAssertEqual(drift["from"] as? String, "v000001")
        XCTAssertEqual(drift["to"] as? String, "v000002")
        XCTAssertEqual(drift["sampled"] as? Int, 40)
        let overlap = try XCTUnwrap(drift["overlapAtK"] as? Double)
        XCTAssertTrue((0 ... 1).contains(overlap))
    }
}

/// Issue 7 end to end: what a user sees when a version is corrupt, a flag overflows, or a
/// publish was killed between its rename and the switch of CURRENT.
extension StoreCLITests {
    func testCorruptDataIsRefusedByRecommendAndExportUnlessNoVerify() throws {
        let cli = self
        try cli.writeInput("a", rows: 30, cols: 6, seed: 1)
        XCTAssertEqual(try cli.publish("a").status, 0)
        let vectors = dir + "/store/versions/v000001/vectors.rvv"
        var data = try Data(contentsOf: URL(fileURLWithPath: vectors))
        data[64 + 4 * 13 + 3] ^= 0x40   // the exponent of one value: a huge entry
        try data.write(to: URL(fileURLWithPath: vectors))
        for arguments in [["recommend", "--store", dir + "/store", "--history", "item1", "-k", "3", "--json"],
                          ["export", "--store", dir + "/store", "--format", "npy", "--out", dir + "/x.npy"]] {
            let result = try runRecVec(arguments)
            XCTAssertEqual(result.status, 1, arguments[0])
            XCTAssertTrue(result.stderr.contains("vectors.rvv: checksum mismatch"), result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.npy"))
        let trusted = try runRecVec(["recommend", "--store", dir + "/store", "--history", "item1", "-k", "3", "--no-verify"])
        XCTAssertTrue([0, 1].contains(trusted.status), trusted.stderr)
        XCTAssertFalse(trusted.stderr.contains("checksum mismatch"), trusted.stderr)
    }

    func testOverflowingFlagsAreUsageErrors() throws {
        for (arguments, message) in [
            (["recommend", "--store", dir, "--history", "a", "-k", "4611686018427387904"], "-k must be at most 1048576, got 4611686018427387904"),
            (["drift", "--store", dir, "-k", "9223372036854775807"], "-k must be at most 1048576"),
            (["recommend", "--store", dir, "--history", "a", "--candidate-factor", "4611686018427387904"], "--candidate-factor must be at most 1024"),
            (["publish", "--store", dir, "--vectors", "v", "--ids", "i", "--method", "m", "--threads", "9223372036854775807"], "--threads must be 0 (all cores) or a count up to 4096"),
        ] {
            let result = try runRecVec(arguments)
            XCTAssertEqual(result.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
        }
    }

    /// `recvec publish` SIGKILLed after its version is renamed into place, before CURRENT
    /// switches: `publish --keep 1` and `gc --keep 1` keep the version that served, list the
    /// orphan, and rollback goes to a version that served.
    func testAKillBetweenRenameAndSwitchCostsNoServedVersion() throws {
        let cli = self
        try cli.writeInput("a", rows: 30, cols: 6, seed: 1)
        XCTAssertEqual(try cli.publish("a").status, 0)
        XCTAssertEqual(try cli.publish("a", ["--force"]).status, 0)
        setenv("RECVEC_TEST_KILL_AFTER_STEP", "\(7)", 1)   // PublishStep.versionRenamed
        defer { unsetenv("RECVEC_TEST_KILL_AFTER_STEP") }
        let killed = try cli.publish("a", ["--force"])
        XCTAssertEqual(killed.status, SIGKILL)
        unsetenv("RECVEC_TEST_KILL_AFTER_STEP")
        var result = try cli.publish("a", ["--force", "--keep", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let published = try cli.json(result)
        XCTAssertEqual(published["version"] as? String, "v000004")
        XCTAssertEqual(published["removedVersions"] as? [String], ["v000001"])
        XCTAssertEqual(published["orphans"] as? [String], ["v000003"])
        result = try runRecVec(["rollback", "--store", dir + "/store"])
        XCTAssertTrue(result.stdout.contains("rolled back from v000004 to v000002"), result.stdout + result.stderr)
        result = try runRecVec(["gc", "--store", dir + "/store", "--keep", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("removed 1 version(s): v000004"), result.stdout)
        XCTAssertTrue(result.stdout.contains("orphans (complete, never served; kept, --remove-orphans removes them): v000003"), result.stdout)
    }
}
