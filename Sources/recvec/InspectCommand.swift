import ArgumentParser
import Foundation
import RecVec

/// `recvec inspect`: loads an events file the way training would and reports what it holds,
/// so column mappings and bad lines show up before a long run.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Load an events file (CSV/TSV) and print its counts, time range and bad lines.",
        discussion: """
        Columns come from --format (generated: user,item,timestamp,session; movielens-udata: u.data by position;
        movielens-ratings: ratings.csv header) or from --user/--item/--timestamp/--session/--weight, each a header
        name or a 0-based position. Example: recvec inspect ml-100k/u.data --format movielens-udata
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The events file.") var file: String
    @Option(help: "Column preset: generated, movielens-udata or movielens-ratings.") var format: String?
    @Option(help: "User column: header name or 0-based position.") var user: String?
    @Option(help: "Item column: header name or 0-based position.") var item: String?
    @Option(help: "Timestamp column (epoch seconds or ISO 8601): header name or 0-based position.") var timestamp: String?
    @Option(help: "Session column: header name or 0-based position.") var session: String?
    @Option(help: "Weight column: header name or 0-based position.") var weight: String?
    @Option(help: "Field separator: comma, tab, semicolon or one character (default: tab if the first line has one, else comma).")
    var delimiter: String?
    @Flag(help: "Count and skip lines that do not parse instead of stopping at the first.") var skipBadLines = false
    @Option(help: "Drop users with fewer events (repeated with --min-item-count until stable).") var minUserCount = 1
    @Option(help: "Drop items with fewer events.") var minItemCount = 1

    static let presets: [String: EventColumns] = [
        "generated": .generated, "movielens-udata": .movieLensUData, "movielens-ratings": .movieLensRatingsCSV,
    ]

    func columns() throws -> EventColumns {
        var columns: EventColumns
        if let format {
            guard let preset = Self.presets[format] else {
                throw ValidationError("--format must be one of \(Self.presets.keys.sorted().joined(separator: ", ")), got '\(format)'")
            }
            columns = preset
        } else {
            guard user != nil, item != nil, timestamp != nil else {
                throw ValidationError("give --format, or all of --user, --item and --timestamp")
            }
            columns = .generated
            columns.session = nil
        }
        func column(_ text: String) -> EventColumns.Column { Int(text).map { .position($0) } ?? .named(text) }
        if let user { columns.user = column(user) }
        if let item { columns.item = column(item) }
        if let timestamp { columns.timestamp = column(timestamp) }
        if let session { columns.session = column(session) }
        if let weight { columns.weight = column(weight) }
        return columns
    }

    func separator() throws -> UInt8? {
        guard let delimiter else { return nil }
        switch delimiter {
        case "comma": return UInt8(ascii: ",")
        case "tab": return 9
        case "semicolon": return UInt8(ascii: ";")
        default:
            guard delimiter.utf8.count == 1 else {
                throw ValidationError("--delimiter must be comma, tab, semicolon or a single character, got '\(delimiter)'")
            }
            return delimiter.utf8.first
        }
    }

    func validate() throws {
        _ = try columns()
        _ = try separator()
        guard minUserCount >= 1, minItemCount >= 1 else { throw ValidationError("--min-user-count and --min-item-count must be at least 1") }
    }

    func run() throws {
        let start = Date()
        let progress: (String) -> Void = {
            FileHandle.standardError.write(Data(String(format: "[%7.2fs] %@\n", Date().timeIntervalSince(start), $0).utf8))
        }
        var options = EventLoadOptions(delimiter: try separator(), skipBadLines: skipBadLines)
        options.hasHeader = nil
        let (loaded, report) = try EventLog.load(URL(fileURLWithPath: file), columns: try columns(), options: options, progress: progress)
        let loadSeconds = Date().timeIntervalSince(start)
        let log = minUserCount > 1 || minItemCount > 1 ? loaded.filtered(minUserCount: minUserCount, minItemCount: minItemCount) : loaded
        let summary = Summary(file: file, lines: report.lines, events: log.count, users: log.userIDs.count, items: log.itemIDs.count,
                              sessions: log.sessionIDs?.count, skippedLines: report.skippedLines,
                              firstSkipped: report.firstSkipped.map(\.description),
                              firstTimestamp: log.timestamps.min() ?? 0, lastTimestamp: log.timestamps.max() ?? 0,
                              loadSeconds: loadSeconds)
        if global.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print("events \(summary.events) (users \(summary.users), items \(summary.items)\(summary.sessions.map { ", sessions \($0)" } ?? ""))")
            print("lines \(summary.lines), skipped \(summary.skippedLines)")
            for message in summary.firstSkipped { print("  skipped: \(message)") }
            print("time range \(summary.firstTimestamp) ... \(summary.lastTimestamp)")
            print(String(format: "loaded in %.2f s", loadSeconds))
        }
    }

    struct Summary: Encodable {
        var file: String
        var lines, events, users, items: Int
        var sessions: Int?
        var skippedLines: Int
        var firstSkipped: [String]
        var firstTimestamp, lastTimestamp: Int64
        var loadSeconds: Double
    }
}
