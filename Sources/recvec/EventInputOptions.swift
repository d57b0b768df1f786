import ArgumentParser
import Foundation
import RecVec

extension EventFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// An events log with its content modalities (aligned to the log's items) and how it was read.
struct LoadedEvents {
    var log: EventLog
    var report: EventLoadReport
    var content: [ContentModality]
    var file: String
}

/// The options every command that reads an events log takes, and the one way to load it:
/// `recvec inspect|generate|train|eval|pipeline --events FILE [--format F] [column flags]`.
struct EventInputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Events file: CSV, TSV, JSON Lines, sessions (one basket a line) or a MovieLens file; .gz read as is.",
                               valueName: "file"))
    var events: String?

    @Option(help: "Layout of the events file (default: from its name and first line).")
    var format: EventFormat?

    @Option(help: "User column: header name (JSON key) or 0-based position (default: user, user_id, userId, customer_id...).")
    var user: String?
    @Option(help: "Item column: header name or 0-based position (default: item, item_id, movieId, product_id, sku...).")
    var item: String?
    @Option(help: "Time column (epoch s or ms, ISO 8601): header name or 0-based position (default: timestamp, time, ts, event_time; none: file order).")
    var time: String?
    @Option(name: .customLong("timestamp"), help: ArgumentHelp("Same as --time.", visibility: .hidden))
    var timestampAlias: String?
    @Option(help: "Session column: header name or 0-based position (default: session, session_id).")
    var session: String?
    @Option(help: "Weight column: header name or 0-based position (default: weight).")
    var weight: String?

    @Option(help: "Field separator: comma, tab, semicolon, pipe or one character (default: tab if the first line has one, else comma).")
    var delimiter: String?

    @Flag(help: "Count and skip lines that do not parse instead of stopping at the first.")
    var skipBadLines = false

    @Option(name: .customLong("content"), help: ArgumentHelp(
        "Content file (repeatable): .npy with ids in FILE.ids.txt beside it (else row r = item r), or CSV item,v1,v2,...",
        valueName: "file"))
    var contentFiles: [String] = []

    @Option(help: ArgumentHelp("A categorical column turned into multi-hot content (repeatable); categories '|'-separated.",
                               valueName: "file:column"))
    var contentCategories: [String] = []

    /// The column flags as `EventColumns`, or nil when none is given (header names recognised).
    func columns() throws -> EventColumns? {
        let time = self.time ?? timestampAlias
        guard user != nil || item != nil || time != nil || session != nil || weight != nil else { return nil }
        guard let user, let item else {
            throw ValidationError("give both --user and --item when giving any column flag (or none, to recognise the header)")
        }
        return EventColumns(user: .init(user), item: .init(item), timestamp: time.map(EventColumns.Column.init),
                            session: session.map(EventColumns.Column.init), weight: weight.map(EventColumns.Column.init))
    }

    func separator() throws -> UInt8? {
        guard let delimiter else { return nil }
        switch delimiter {
        case "comma": return UInt8(ascii: ",")
        case "tab", "\\t": return 9
        case "semicolon": return UInt8(ascii: ";")
        case "pipe": return UInt8(ascii: "|")
        default:
            guard delimiter.utf8.count == 1 else {
                throw ValidationError("--delimiter must be comma, tab, semicolon, pipe or a single character, got '\(delimiter)'")
            }
            return delimiter.utf8.first
        }
    }

    func validate() throws {
        _ = try columns()
        _ = try separator()
        if time != nil && timestampAlias != nil { throw ValidationError("give --time or --timestamp, not both") }
        for spec in contentCategories where categorySpec(spec) == nil {
            throw ValidationError("--content-categories takes FILE:COLUMN (e.g. movies.csv:genres), got '\(spec)'")
        }
    }

    private func categorySpec(_ spec: String) -> (file: String, column: String)? {
        guard let colon = spec.lastIndex(of: ":"), colon != spec.startIndex, spec.index(after: colon) != spec.endIndex else { return nil }
        return (String(spec[..<colon]), String(spec[spec.index(after: colon)...]))
    }

    /// The load options the flags describe.
    func loadOptions() throws -> EventLoadOptions {
        EventLoadOptions(format: format, delimiter: try separator(), skipBadLines: skipBadLines)
    }

    /// Loads `file` (or `--events`), then the content: the preset's (MovieLens genres, and 100K release dates, beside the
    /// events file), every `--content` and every `--content-categories`, aligned to the log's
    /// items. Progress goes to `progress` (stderr).
    func load(file: String? = nil, progress: @escaping (String) -> Void) throws -> LoadedEvents {
        guard let path = file ?? events else { throw ValidationError("give the events file with --events FILE") }
        let url = URL(fileURLWithPath: path)
        progress("reading \(path)")
        let (log, report) = try EventLog.load(url, columns: try columns(), options: try loadOptions(), progress: progress)
        progress("\(report.events) events (\(log.userIDs.count) users, \(log.itemIDs.count) items) as \(report.format.rawValue)"
                 + (log.hasTimestamps ? "" : ", no time column: file order is the order")
                 + (report.skippedLines > 0 ? ", \(report.skippedLines) bad lines skipped" : ""))
        var content = try ContentLoader.presetContent(for: report.format, events: url, aligningTo: log.itemIDs)
        for f in contentFiles {
            progress("reading content \(f)")
            content.append(try ContentLoader.load(URL(fileURLWithPath: f), aligningTo: log.itemIDs))
        }
        for spec in contentCategories {
            let (f, column) = categorySpec(spec)!
            progress("reading categories \(column) of \(f)")
            content.append(try ContentLoader.loadCategories(URL(fileURLWithPath: f), column: .init(column), aligningTo: log.itemIDs).modality)
        }
        return LoadedEvents(log: log, report: report, content: content, file: path)
    }
}
