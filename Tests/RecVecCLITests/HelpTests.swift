import XCTest

final class HelpTests: XCTestCase {
    func testHelpExitsZeroAndNamesTheTool() throws {
        let result = try runRecVec(["--help"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("recvec"), result.stdout)
    }

    func testUnknownSubcommandFailsWithMessage() throws {
        let result = try runRecVec(["no-such-command"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertFalse(result.stderr.isEmpty)
    }
}
