#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// `recvec publish` killed with SIGKILL at every step of the publish sequence, and after varying
/// delays: the store must open (full verification) and serve the previous or the new version, whole.
final class StoreCrashTests: XCTestCase {
    /// The `recvec` binary `swift build` put beside this test bundle.
    static var recvec: URL {
        let bundle = Bundle(for: StoreCrashTests.self).bundleURL
        return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("recvec") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent("recvec")
    }

    func startPublish(store: String, input: String, index: String, killAfterStep: Int? = nil) throws -> Process {
        let process = Process()
        process.executableURL = Self.recvec
        process.arguments = ["publish", "--store", store, "--vectors", input + ".npy", "--ids", input + ".ids.txt",
                             "--method", "crash-test", "--index", index, "--m", "4", "--ef-construction", "8", "--threads", "1"]
        var environment = ProcessInfo.processInfo.environment
        if let killAfterStep { environment["RECVEC_TEST_KILL_AFTER_STEP"] = "\(killAfterStep)" }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Writes `input` as `<base>.npy` and `<base>.ids.txt`.
    func writeInput(_ input: PublishInput, base: String) throws {
        try input.vectors.values.withUnsafeBufferPointer {
            try NPY.write(values: $0, rows: input.vectors.rows, cols: input.vectors.cols, to: base + ".npy")
        }
        try Data(ItemIDTable.encode(input.ids)).write(to: URL(fileURLWithPath: base + ".ids.txt"))
    }

    /// Checks the store serves `old` or `new`, whole; returns which.
    func assertServesOneWhole(_ storePath: String, old: PublishInput, new: PublishInput, _ context: String) throws -> Bool {
        let store = try EmbeddingStore(path: storePath)
        let version = try store.open(verify: .full)
        let isNew = Array(version.ids) == new.ids
        let expected = isNew ? new : old
        XCTAssertEqual(Array(version.ids), expected.ids, context)
        XCTAssertEqual(version.vectors.matrix(), expected.vectors, context)
        return isNew
    }

    func runKillAtEveryStep(index: String, rows: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.recvec.path) else { throw XCTSkip("recvec binary not built") }
        let dir = try TestSupport.temporaryDirectory(self).path
        let old = storeTestInput(rows: rows, dim: 8, seed: 1, prefix: "old")
        let new = storeTestInput(rows: rows + 3, dim: 8, seed: 2, prefix: "new")
        try writeInput(old, base: dir + "/old")
        try writeInput(new, base: dir + "/new")
        for step in PublishStep.allCases {
            let store = dir + "/store-\(step.rawValue)"
            let first = try startPublish(store: store, input: dir + "/old", index: index)
            first.waitUntilExit()
            XCTAssertEqual(first.terminationStatus, 0)
            let killed = try startPublish(store: store, input: dir + "/new", index: index, killAfterStep: step.rawValue)
            killed.waitUntilExit()
            XCTAssertEqual(killed.terminationReason, .uncaughtSignal, "step \(step)")
            XCTAssertEqual(killed.terminationStatus, SIGKILL, "step \(step)")
            let servesNew = try assertServesOneWhole(store, old: old, new: new, "killed after \(step)")
            XCTAssertEqual(servesNew, step.rawValue >= PublishStep.pointerSwitched.rawValue, "killed after \(step)")
            // The next publish cleans up whatever the killed one left and numbers after what exists.
            let next = try startPublish(store: store, input: dir + "/new", index: index)
            next.waitUntilExit()
            XCTAssertEqual(next.terminationStatus, 0)
            XCTAssertTrue(try assertServesOneWhole(store, old: old, new: new, "after the next publish"))
            XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: store + "/versions").contains { $0.hasPrefix(".") })
            XCTAssertFalse(FileManager.default.fileExists(atPath: store + "/CURRENT.tmp"))
        }
    }

    func testPublishKilledAfterEveryStepWithoutIndex() throws {
        try runKillAtEveryStep(index: "none", rows: 50)
    }

    func testPublishKilledAfterEveryStepWithHNSWIndex() throws {
        try runKillAtEveryStep(index: "hnsw", rows: 60)
    }

    /// SIGKILL at arbitrary moments (within writes, between fsyncs): delays spread over the
    /// time one publish takes.
    func testPublishKilledAfterVaryingDelays() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.recvec.path) else { throw XCTSkip("recvec binary not built") }
        let dir = try TestSupport.temporaryDirectory(self).path
        let old = storeTestInput(rows: 2000, dim: 32, seed: 1, prefix: "old")
        let new = storeTestInput(rows: 3000, dim: 32, seed: 2, prefix: "new")
        try writeInput(old, base: dir + "/old")
        try writeInput(new, base: dir + "/new")
        let store = dir + "/store"
        let first = try startPublish(store: store, input: dir + "/old", index: "none")
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        // How long a whole publish takes here, to spread the kills over it.
        let start = Date()
        let timed = try startPublish(store: dir + "/timing", input: dir + "/new", index: "none")
        timed.waitUntilExit()
        let duration = Date().timeIntervalSince(start)
        var sawOld = false
        for i in 0 ..< 12 {
            // Roll back to the old version so that each kill interrupts a switch away from it.
            if try EmbeddingStore(path: store).currentVersion() != "v000001" { try EmbeddingStore(path: store).rollback(to: "v000001") }
            let process = try startPublish(store: store, input: dir + "/new", index: "none")
            usleep(useconds_t(duration * Double(i) / 11 * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let servesNew = try assertServesOneWhole(store, old: old, new: new, "killed after \(i)/11 of \(duration) s")
            sawOld = sawOld || !servesNew
        }
        XCTAssertTrue(sawOld, "no kill landed before the switch; the test did not test anything")
    }
}
