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

/// Closed sets are parsed as enums: the parser names the bad value and the choices, and options a
/// command does not use are not accepted.
final class ChoiceParsingTests: XCTestCase {
    func testBadMethodInAListNamesTheEntryAndTheChoices() throws {
        let result = try runRecVec(["eval", "--dataset", "synthetic", "--methods", "ppmi-svd,nope"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("The value 'ppmi-svd,nope' is invalid for '--methods <methods>'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("'nope' is not one of ppmi-svd, item2vec, walks, content, fused"), result.stderr)
        let tune = try runRecVec(["tune", "--dataset", "synthetic", "--methods", "content,nope"])
        XCTAssertNotEqual(tune.status, 0)
        XCTAssertTrue(tune.stderr.contains("'nope' is not one of content, ppmi-svd, item2vec, walks, fused"), tune.stderr)
    }

    func testBadChoiceListsTheValuesAndHelpListsThemToo() throws {
        let result = try runRecVec(["train", "--method", "als", "--out", "/nonexistent/never"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("The value 'als' is invalid for '--method <method>'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("ppmi-svd") && result.stderr.contains("fused"), result.stderr)
        let help = try runProcess(recvecBinary, ["train", "--help"], environment: ["COLUMNS": "1000"])  // no wrapping
        XCTAssertTrue(help.stdout.contains("values: ppmi-svd, item2vec, walks, content, fused"), help.stdout)
        XCTAssertTrue(help.stdout.contains("values: leave-last-out, time-cutoff"), help.stdout)
    }

    func testBadRuleNamesTheValueAndTheForm() throws {
        let result = try runRecVec(["recommend", "--store", "/nonexistent", "--history", "a", "--rule", "latest"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--rule must be last:N or recency:N:DECAY (N >= 1, 0 < DECAY <= 1), got latest"), result.stderr)
    }

    func testSeedAndThreadsOnlyWhereUsed() throws {
        for (command, option) in [(["recommend", "--store", "/nonexistent", "--history", "a"], "--seed"),
                                  (["versions", "--store", "/nonexistent"], "--threads"),
                                  (["serve", "--store", "/nonexistent"], "--json")] {
            let result = try runRecVec(command + [option, "1"])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains("Unknown option '\(option)'"), "\(command[0]) \(option): \(result.stderr)")
        }
        let help = try runRecVec(["drift", "--help"])
        XCTAssertTrue(help.stdout.contains("--seed <seed>") && !help.stdout.contains("--threads <threads>"), help.stdout)
    }
}
