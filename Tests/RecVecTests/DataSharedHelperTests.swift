import Foundation
import TestSupport
import XCTest

/// The one helper that finds shared data: RECVEC_DATA overrides the folder, an absent data set
/// skips naming the path, and RECVEC_REQUIRE_DATA=1 turns the skip into a failure.
final class DataSharedHelperTests: XCTestCase {
    func withEnvironment(_ values: [String: String?], _ body: () throws -> Void) rethrows {
        let saved = values.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        defer { for (k, v) in saved { if let v { setenv(k, v, 1) } else { unsetenv(k) } } }
        for (k, v) in values { if let v { setenv(k, v, 1) } else { unsetenv(k) } }
        try body()
    }

    func testOverrideSkipAndRequire() throws {
        let root = try TestSupport.temporaryDirectory(self)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tiny"), withIntermediateDirectories: true)
        try withEnvironment(["RECVEC_DATA": root.path, "RECVEC_REQUIRE_DATA": nil]) {
            XCTAssertEqual(try TestSupport.sharedDataOrSkip("tiny").path, root.appendingPathComponent("tiny").path)
            XCTAssertThrowsError(try TestSupport.sharedDataOrSkip("absent")) { error in
                XCTAssertTrue(error is XCTSkip, "\(error)")
                XCTAssertTrue("\(error)".contains(root.appendingPathComponent("absent").path), "\(error)")
            }
        }
        try withEnvironment(["RECVEC_DATA": root.path, "RECVEC_REQUIRE_DATA": "1"]) {
            XCTAssertThrowsError(try TestSupport.sharedDataOrSkip("absent")) { error in
                XCTAssertFalse(error is XCTSkip, "a skip under RECVEC_REQUIRE_DATA=1")
                XCTAssertTrue("\(error)".contains(root.appendingPathComponent("absent").path), "\(error)")
                XCTAssertTrue("\(error)".contains("RECVEC_REQUIRE_DATA=1"), "\(error)")
            }
        }
    }
}
