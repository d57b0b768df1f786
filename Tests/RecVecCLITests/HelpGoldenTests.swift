import Foundation
import XCTest

/// `--help` of the root command and of every subcommand, compared exactly with the files under
/// Tests/RecVecCLITests/Golden/. A changed help text fails until its golden file is rewritten:
/// `RECVEC_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests` rewrites them (then review the diff).
/// The subcommands are read from the root help, so a new command without a golden file fails too.
final class HelpGoldenTests: XCTestCase {
    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static var updating: Bool { ProcessInfo.processInfo.environment["RECVEC_UPDATE_GOLDEN"] == "1" }

    /// The subcommand names listed under SUBCOMMANDS: in the root help.
    static func subcommands(inRootHelp help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { !$0.isEmpty }
            .compactMap { line -> String? in
                // Entries are indented two spaces; wrapped abstracts are indented further.
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.split(separator: " ").first.map { String($0) }
            }
    }

    func helpText(_ arguments: [String]) throws -> String {
        // A fixed width: the parser wraps help to the terminal, and COLUMNS is what it reads when stdout is a pipe.
        let result = try runProcess(recvecBinary, arguments, environment: ["COLUMNS": "100"])
        XCTAssertEqual(result.status, 0, "recvec \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    func check(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.goldenFolder.appendingPathComponent(name)
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.goldenFolder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return
        }
        guard let golden = FileManager.default.contents(atPath: url.path) else {
            XCTFail("no golden file \(url.path) for this help; run RECVEC_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests", file: file, line: line)
            return
        }
        let expected = String(decoding: golden, as: UTF8.self)
        if expected != text {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            XCTFail("""
                \(name) differs from the help at line \(first + 1):
                  golden: \(first < a.count ? String(a[first]) : "<end>")
                  now:    \(first < b.count ? String(b[first]) : "<end>")
                If the change is meant, rewrite with RECVEC_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests and review the diff.
                """, file: file, line: line)
        }
    }

    func testHelpOfEveryCommandMatchesItsGoldenFile() throws {
        let root = try helpText(["--help"])
        try check("recvec.txt", root)
        let commands = Self.subcommands(inRootHelp: root)
        XCTAssertGreaterThanOrEqual(commands.count, 15, "expected the subcommands listed in:\n\(root)")
        for command in commands where command != "help" {
            try check("recvec-\(command).txt", try helpText([command, "--help"]))
        }
        // No stale golden files: each one belongs to a command that still exists.
        let expected = Set(["recvec.txt"] + commands.filter { $0 != "help" }.map { "recvec-\($0).txt" })
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: Self.goldenFolder.path)) ?? [])
        if Self.updating {
            for stale in present.subtracting(expected) { try FileManager.default.removeItem(at: Self.goldenFolder.appendingPathComponent(stale)) }
        } else {
            XCTAssertEqual(present.subtracting(expected), [], "golden files for commands that no longer exist")
        }
    }

    func testSubcommandListIsReadFromTheRootHelp() {
        let help = "USAGE: recvec <subcommand>\n\nSUBCOMMANDS:\n  train                   Train one method.\n  eval                    A table that\n                          wraps.\n  help                    Show help.\n\n  See more.\n"
        XCTAssertEqual(Self.subcommands(inRootHelp: help), ["train", "eval", "help"])
    }
}
