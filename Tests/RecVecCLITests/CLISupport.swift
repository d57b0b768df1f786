import Foundation
import TestSupport

/// Runs the `recvec` binary that `swift test` built beside the test bundle.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// An executable of this package (`recvec`, an example) built beside the test bundle (Linux:
/// the bundle URL is the build folder; macOS: the .xctest bundle inside it).
func productBinary(_ name: String) -> URL {
    let bundle = Bundle(for: CLIBundleMarker.self).bundleURL
    return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent(name)
}

var recvecBinary: URL { productBinary("recvec") }

func runRecVec(_ arguments: [String], input: String? = nil) throws -> CLIResult {
    try runProduct("recvec", arguments)
}

/// Runs an executable of this package (`recvec`, an example) built beside the test bundle.
func runProduct(_ name: String, _ arguments: [String]) throws -> CLIResult {
    try runProcess(productBinary(name), arguments)
}

/// Runs `executable` with `arguments` (and `environment` over this process's) to the end; stdout and stderr captured.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
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
