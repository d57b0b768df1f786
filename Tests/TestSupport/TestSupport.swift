import Foundation
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

    /// `../shared/data/<name>` beside the repository (MovieLens and graphs: never copied into the repo).
    public static func sharedData(_ name: String) -> URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(name)
    }

    /// A fresh temporary directory, removed at the end of the test.
    public static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recvec-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// A deterministic generator for test inputs (SplitMix64).
public struct TestRandom {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Uniform in [-1, 1).
    public mutating func symmetric() -> Float { unit() * 2 - 1 }
    /// Uniform in [0, n).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    public mutating func floats(_ count: Int) -> [Float] { (0 ..< count).map { _ in symmetric() } }
}
