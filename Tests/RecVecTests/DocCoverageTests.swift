import Foundation
import TestSupport
import XCTest

/// Runs Tests/doc-coverage.sh --check: every public declaration of Sources/RecVec carries a `///`
/// comment (the API a Swift developer reads in DocC or in the editor, without the source).
final class DocCoverageTests: XCTestCase {
    private let root = TestSupport.repositoryRoot.path

    private func runCoverage(_ folder: String) throws -> (status: Int32, output: String) {
        try TestSupport.runProcess("/bin/bash", [root + "/Tests/doc-coverage.sh", folder, "--check"])
    }

    /// The whole of Sources/RecVec (so a new folder is covered the day it appears).
    func testEveryPublicDeclarationIsDocumented() throws {
        let result = try runCoverage(root + "/Sources/RecVec")
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("documented (100%)"), result.output)
    }

    /// The check itself catches an undocumented declaration (attributes between the comment and
    /// the declaration allowed; `public extension` and `public import` are not declarations).
    func testCoverageScriptFailsOnAnUndocumentedDeclaration() throws {
        let fake = FileManager.default.temporaryDirectory.appendingPathComponent("doc-coverage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: fake) }
        try FileManager.default.createDirectory(atPath: fake + "/Core", withIntermediateDirectories: true)
        let file = fake + "/Core/Low.swift"
        let documented = """
            public import Foundation
            /// A documented type.
            public struct Low {
                /// Its value.
                @inlinable
                public var value: Int { 1 }
            }
            public extension Low {}

            """
        try documented.write(toFile: file, atomically: true, encoding: .utf8)
        var result = try runCoverage(fake)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("2 public,    2 documented (100%)"), result.output)

        try (documented + "public func undocumented() {}\n").write(toFile: file, atomically: true, encoding: .utf8)
        result = try runCoverage(fake)
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("Core/Low.swift:9: public func undocumented()"), result.output)
    }
}
