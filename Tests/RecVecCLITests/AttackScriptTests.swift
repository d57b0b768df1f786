import Foundation
import XCTest

/// Runs Tests/attack.sh (issue 7's attack list: corrupt and truncated files, crafted .npy and
/// text inputs, overflowing flags, planted symlinks, kills during publish, concurrent
/// publishers, readers racing gc) against the `recvec` binary this build made, and requires
/// crashes 0, silent-wrong 0, data-lost 0. About a minute; skipped without perl.
final class AttackScriptTests: XCTestCase {
    func testTheAttackListFindsNoCrashNoSilentWrongAnswerAndNoDataLost() throws {
        let bundle = Bundle(for: CLIBundleMarker.self).bundleURL
        let binary = try XCTUnwrap([bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("recvec") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }, "recvec binary not built beside \(bundle.path)")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/perl") else { throw XCTSkip("the attack script needs /usr/bin/perl") }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("attack.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, binary.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self), stderr = String(decoding: errData, as: UTF8.self)
        let summary = stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(summary.hasSuffix("crashes 0, silent-wrong 0, data-lost 0"), summary + "\n" + stderr)
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        // The script ran its list, not an early exit.
        let count = Int(summary.split(separator: " ").dropFirst().first ?? "") ?? 0
        XCTAssertGreaterThan(count, 200, summary)
    }
}
