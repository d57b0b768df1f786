import Foundation
import TestSupport

/// Runs the `recvec` binary that `swift test` built beside the test bundle.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runRecVec(_ arguments: [String], input: String? = nil) throws -> CLIResult {
    try runProduct("recvec", arguments)
}

/// Runs an executable of this package (`recvec`, an example) built beside the test bundle.
func runProduct(_ name: String, _ arguments: [String]) throws -> CLIResult {
    // Linux: the bundle URL is the build folder; macOS: the .xctest bundle inside it.
    let bundle = Bundle(for: CLIBundleMarker.self).bundleURL
    let binary = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent(name)
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

final class CLIBundleMarker {}
