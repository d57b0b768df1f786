import Foundation
import RecVec
import TestSupport
import XCTest

/// Random vectors and ids for store and serving tests.
func storeTestInput(rows: Int, dim: Int, seed: UInt64, prefix: String = "item", index: HNSWConfig? = nil,
                    metrics: [String: Double] = [:]) -> PublishInput {
    var random = TestRandom(seed: seed)
    let vectors = try! Matrix(rows: rows, cols: dim, values: random.floats(rows * dim))
    return PublishInput(vectors: vectors, ids: (0 ..< rows).map { "\(prefix)\($0)" }, method: "test",
                        configuration: ["seed": "\(seed)"], metrics: metrics, index: index)
}

/// Runs python3 with `script`; nil when python3 or numpy is missing.
func runPython(_ script: String, arguments: [String] = []) throws -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    if process.terminationStatus != 0 && output.contains("No module named 'numpy'") { return nil }
    if process.terminationStatus == 127 { return nil }
    return (process.terminationStatus, output)
}

/// Flips one byte of the file at `path`.
func corruptByte(at offset: Int, of path: String) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    data[offset] ^= 0xFF
    try data.write(to: URL(fileURLWithPath: path))
}

/// Cuts the file at `path` to `length` bytes.
func truncate(_ path: String, to length: Int) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    try data.prefix(length).write(to: URL(fileURLWithPath: path))
}

func assertThrows<E: Error & Equatable>(_ expected: E, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let error as E {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}
