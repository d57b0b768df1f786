import Foundation
import RecVec
import XCTest

/// Helpers shared by every test target.
public enum TestSupport {
    /// The dims every kernel test sweeps: awkward sizes around the SIMD widths.
    public static let awkwardDims = [1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100]

    /// The repository root (the folder holding Package.swift).
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }

    /// The folder of shared data sets: `$RECVEC_DATA` when set, else `../shared/data` beside the
    /// repository (MovieLens: never copied into the repo).
    public static var sharedDataRoot: URL {
        if let path = ProcessInfo.processInfo.environment["RECVEC_DATA"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// `<shared data root>/<name>` (see `sharedDataRoot`); prefer `sharedDataOrSkip`, which
    /// skips when it is absent.
    @available(*, deprecated, message: "use sharedDataOrSkip, which skips (or fails under RECVEC_REQUIRE_DATA=1) when the data is absent")
    public static func sharedData(_ name: String) -> URL {
        sharedDataRoot.appendingPathComponent(name)
    }

    /// Why a test that needs shared data fails under `RECVEC_REQUIRE_DATA=1`.
    public struct MissingData: Error, CustomStringConvertible {
        public var description: String
    }

    /// The shared data set `name` (a folder or file under `sharedDataRoot`): the one way a test
    /// reaches data that lives outside the repository. When it is absent the test is skipped
    /// with a message naming the path looked at, or fails when `RECVEC_REQUIRE_DATA=1` (CI).
    public static func sharedDataOrSkip(_ name: String) throws -> URL {
        let url = sharedDataRoot.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        let message = "shared data '\(name)' not found at \(url.path) (set RECVEC_DATA to the folder holding it)"
        if ProcessInfo.processInfo.environment["RECVEC_REQUIRE_DATA"] == "1" {
            throw MissingData(description: message + "; RECVEC_REQUIRE_DATA=1 makes this a failure")
        }
        throw XCTSkip(message)
    }

    /// A fresh temporary directory, removed at the end of the test.
    public static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recvec-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Runs `executable` with `arguments` (environment: this process's, plus `environment`);
    /// returns its exit status and stdout and stderr together.
    public static func runProcess(_ executable: String, _ arguments: [String],
                                  environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A deterministic generator for test inputs: the library's one SplitMix64 with a few helpers.
public struct TestRandom {
    private var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    /// Uniform in [0, 1).
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Uniform in [-1, 1).
    public mutating func symmetric() -> Float { unit() * 2 - 1 }
    /// Uniform in [0, n).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    public mutating func floats(_ count: Int) -> [Float] { (0 ..< count).map { _ in symmetric() } }
}
