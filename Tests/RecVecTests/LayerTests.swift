import Foundation
import TestSupport
import XCTest

/// Runs Tests/layers.sh: no file of a lower layer of Sources/RecVec names a type of a higher one.
final class LayerTests: XCTestCase {
    private let root = TestSupport.repositoryRoot.path

    private func runLayers(_ packageRoot: String) throws -> (status: Int32, output: String) {
        try TestSupport.runProcess("/bin/bash", [root + "/Tests/layers.sh", packageRoot])
    }

    func testNoLowerLayerNamesATypeOfAHigherOne() throws {
        let result = try runLayers(root)
        XCTAssertEqual(result.status, 0, result.output)
    }

    /// The check itself catches a back-arrow (and ignores one inside a comment).
    func testLayersScriptFailsOnABackArrow() throws {
        let fake = FileManager.default.temporaryDirectory.appendingPathComponent("layers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: fake) }
        for folder in ["Core", "Serve"] {
            try FileManager.default.createDirectory(atPath: "\(fake)/Sources/RecVec/\(folder)", withIntermediateDirectories: true)
        }
        try "public struct Gate {}\n".write(toFile: "\(fake)/Sources/RecVec/Serve/Gate.swift", atomically: true, encoding: .utf8)
        let core = "\(fake)/Sources/RecVec/Core/Low.swift"
        try "// Gate is mentioned in a comment only\nstruct Low {}\n".write(toFile: core, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runLayers(fake).status, 0)
        try "struct Low { var gate: Gate }\n".write(toFile: core, atomically: true, encoding: .utf8)
        let result = try runLayers(fake)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.output.contains("Sources/RecVec/Core/Low.swift: Core names Gate from Serve"), result.output)
    }
}
