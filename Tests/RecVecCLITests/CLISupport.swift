import Foundation
import TestSupport

/// Runs the `recvec` binary that `swift test` built beside the test bundle.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The `recvec` binary beside the test bundle (Linux: the bundle URL is the build folder;
/// macOS: the .xctest bundle inside it).
var recvecBinary: URL {
    let bundle = Bundle(for: CLIBundleMarker.self).bundleURL
    return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("recvec") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent("recvec")
}

func runRecVec(_ arguments: [String], input: String? = nil) throws -> CLIResult {
    try runProcess(recvecBinary, arguments)
}

/// Runs `executable` with `arguments` to the end; stdout and stderr captured.
func runProcess(_ executable: URL, _ arguments: [String]) throws -> CLIResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // stderr is read on another thread, so that neither pipe fills while the other is read.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errBox.data
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

final class CLIBundleMarker {}
