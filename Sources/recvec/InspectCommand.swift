import ArgumentParser
import Foundation
import RecVec

/// `recvec inspect`: loads an events file the way training would and reports what it holds,
/// so column mappings and bad lines show up before a long run.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Load an events file and report its format, columns, counts and bad lines.",
        discussion: """
        Prints the format, the columns found, the counts, the time range, the content and the bad lines.

        Reads CSV, TSV, JSON Lines, sessions (one basket a line) and the MovieLens files (u.data, ratings.csv, \
        ratings.dat), gzip-compressed or not. Columns come from the usual header names (user_id, movieId, \
        timestamp...) or from --user/--item/--time/--session/--weight (a header name or a 0-based position).

        Examples: recvec inspect ml-100k/u.data
                  recvec inspect --events clicks.jsonl.gz --user visitor --item sku --time at
        """)

    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var input: EventInputOptions

    @Argument(help: "The events file (or --events).") var file: String?
    @Option(help: "Drop users with fewer events (repeated with --min-item-count until stable).") var minUserCount = 1
    @Option(help: "Drop items with fewer events.") var minItemCount = 1

    func validate() throws {
        guard (file == nil) != (input.events == nil) else { throw ValidationError("give the events file once: as an argument or with --events") }
        guard minUserCount >= 1, minItemCount >= 1 else { throw ValidationError("--min-user-count and --min-item-count must be at least 1") }
    }

    func run() throws {
        let progress = Progress()
        let loaded = try input.load(file: file, progress: progress.line)
        let loadSeconds = Date().timeIntervalSince(progress.start)
        let report = loaded.report
        let log = minUserCount > 1 || minItemCount > 1
            ? loaded.log.filtered(minUserCount: minUserCount, minItemCount: minItemCount) : loaded.log
        func name(_ c: EventColumns.Column?) -> String? {
            switch c {
            case let .named(n)?: return n
            case let .position(p)?: return "field \(p + 1)"
            case nil: return nil
            }
        }
        let columns = report.columns.map { c in
            ["user": name(c.user), "item": name(c.item), "time": name(c.timestamp), "session": name(c.session), "weight": name(c.weight)]
                .compactMapValues { $0 }
        } ?? [:]
        let summary = Summary(file: loaded.file, format: report.format.rawValue, columns: columns, lines: report.lines, events: log.count,
                              users: log.userIDs.count, items: log.itemIDs.count, sessions: log.sessionIDs?.count,
                              skippedLines: report.skippedLines, firstSkipped: report.firstSkipped.map(\.description),
                              hasTimestamps: log.hasTimestamps, epochUnit: report.epochUnit?.rawValue,
                              firstTimestamp: log.hasTimestamps ? log.timestamps.min() : nil,
                              lastTimestamp: log.hasTimestamps ? log.timestamps.max() : nil,
                              content: loaded.content.map { Summary.Content(name: $0.name, dimension: $0.vectors.cols) },
                              loadSeconds: loadSeconds)
        if jsonOption.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print("format \(summary.format), columns " + columns.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            print("events \(summary.events) (users \(summary.users), items \(summary.items)\(summary.sessions.map { ", sessions \($0)" } ?? ""))")
            print("lines \(summary.lines), skipped \(summary.skippedLines)")
            for message in summary.firstSkipped { print("  skipped: \(message)") }
            if let first = summary.firstTimestamp, let last = summary.lastTimestamp {
                let iso = ISO8601DateFormatter()
                func date(_ t: Int64) -> String { iso.string(from: Date(timeIntervalSince1970: TimeInterval(t))) }
                print("time range \(first) ... \(last) (\(date(first)) ... \(date(last)), epoch numbers in \(summary.epochUnit ?? "-"))")
            } else {
                print("no time column: file order is the order (the time-cutoff protocol cannot run)")
            }
            for c in summary.content { print("content \(c.name): \(c.dimension) columns") }
            print(String(format: "loaded in %.2f s", loadSeconds))
        }
    }

    struct Summary: Encodable {
        struct Content: Encodable {
            var name: String
            var dimension: Int
        }

        var file: String
        var format: String
        var columns: [String: String]
        var lines, events, users, items: Int
        var sessions: Int?
        var skippedLines: Int
        var firstSkipped: [String]
        var hasTimestamps: Bool
        var epochUnit: String?
        var firstTimestamp, lastTimestamp: Int64?
        var content: [Content]
        var loadSeconds: Double
    }
}
