import Foundation

/// Which fields of a delimited file hold an event's parts: by header name or by position
/// (0-based). `session` and `weight` are optional.
public struct EventColumns: Equatable, Sendable {
    public enum Column: Equatable, Sendable {
        case named(String)
        case position(Int)
    }

    public var user: Column
    public var item: Column
    public var timestamp: Column
    public var session: Column?
    public var weight: Column?

    /// Columns found by header name.
    public init(user: String, item: String, timestamp: String, session: String? = nil, weight: String? = nil) {
        self.user = .named(user); self.item = .named(item); self.timestamp = .named(timestamp)
        self.session = session.map(Column.named); self.weight = weight.map(Column.named)
    }

    /// Columns by position (0-based), for files without a header.
    public init(userPosition: Int, itemPosition: Int, timestampPosition: Int, sessionPosition: Int? = nil, weightPosition: Int? = nil) {
        user = .position(userPosition); item = .position(itemPosition); timestamp = .position(timestampPosition)
        session = sessionPosition.map(Column.position); weight = weightPosition.map(Column.position)
    }

    /// MovieLens `u.data`: tab separated, no header: user, item, rating, timestamp.
    public static let movieLensUData = EventColumns(userPosition: 0, itemPosition: 1, timestampPosition: 3)
    /// MovieLens `ratings.csv`: header `userId,movieId,rating,timestamp`.
    public static let movieLensRatingsCSV = EventColumns(user: "userId", item: "movieId", timestamp: "timestamp")
    /// The events file `recvec generate` writes: `user,item,timestamp,session`.
    public static let generated = EventColumns(user: "user", item: "item", timestamp: "timestamp", session: "session")

    var isNamed: Bool {
        [user, item, timestamp, session, weight].contains { if case .named = $0 { return true } else { return false } }
    }
}

/// How to read an events file.
public struct EventLoadOptions: Equatable, Sendable {
    /// The field separator; nil picks a tab when the first line holds one, else a comma.
    public var delimiter: UInt8?
    /// Whether the first line is a header; nil means "when any column is named".
    public var hasHeader: Bool?
    /// Count and skip lines that do not parse instead of stopping at the first one.
    public var skipBadLines = false
    public var chunkSize = 1 << 20

    public init(delimiter: UInt8? = nil, hasHeader: Bool? = nil, skipBadLines: Bool = false) {
        self.delimiter = delimiter
        self.hasHeader = hasHeader
        self.skipBadLines = skipBadLines
    }
}

/// What a load read and skipped.
public struct EventLoadReport: Equatable, Sendable {
    /// Data lines read (the header and blank lines not counted).
    public var lines = 0
    public var events = 0
    /// Lines skipped as bad (only with `skipBadLines`).
    public var skippedLines = 0
    /// The first few skipped lines' errors.
    public var firstSkipped: [DataError] = []
}

extension EventLog {
    /// Loads a delimited events file (CSV or TSV) in chunks, parsing bytes in place: memory
    /// holds the columns (about 20 bytes per event), one distinct string per id, and one chunk.
    ///
    /// Ids are kept as they are spelled; timestamps are epoch seconds or ISO 8601; weights must be
    /// finite. A bad line throws `DataError` naming file, line, column, value and what was
    /// expected, unless `options.skipBadLines`, which counts it in the report instead.
    public static func load(_ url: URL, columns: EventColumns, options: EventLoadOptions = EventLoadOptions(),
                            progress: ((String) -> Void)? = nil) throws(DataError) -> (log: EventLog, report: EventLoadReport) {
        let file = url.path
        var reader = LineReader(url: url)
        reader.chunkSize = max(4096, options.chunkSize)
        let fileSize = try reader.size()
        let hasHeader = options.hasHeader ?? columns.isNamed
        if columns.isNamed && !hasHeader {
            throw .invalidArgument(name: "hasHeader", value: "false", expected: "true when columns are given by name")
        }

        var state: Parser?
        var report = EventLoadReport()
        var users: [Int32] = [], items: [Int32] = [], timestamps: [Int64] = []
        var sessions: [Int32]? = columns.session == nil ? nil : []
        var weights: [Float]? = columns.weight == nil ? nil : []
        var userIDs = IDMap(), itemIDs = IDMap()
        var sessionIDs: IDMap? = columns.session == nil ? nil : IDMap()

        try reader.forEachLine { (line, lineNumber) throws(DataError) in
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { return } // blank
            if state == nil {
                let delimiter = options.delimiter ?? (line.contains(9) ? 9 : 44)
                var splitter = FieldSplitter(delimiter: delimiter)
                splitter.split(line)
                let header = hasHeader ? (0 ..< splitter.ranges.count).map { splitter.string($0, in: line) } : nil
                state = try Parser(file: file, columns: columns, header: header, splitter: splitter)
                if hasHeader { return }
            }
            try parse(line, lineNumber)
        }

        func parse(_ line: UnsafeBufferPointer<UInt8>, _ lineNumber: Int) throws(DataError) {
            if report.lines == 0 {
                // Reserve for the whole file, estimated from the first data line's length.
                let estimate = min(fileSize / max(line.count + 1, 8) + 16, 1 << 31)
                users.reserveCapacity(estimate); items.reserveCapacity(estimate); timestamps.reserveCapacity(estimate)
                sessions?.reserveCapacity(estimate); weights?.reserveCapacity(estimate)
            }
            report.lines += 1
            do {
                let row = try state!.parse(line, line: lineNumber)
                users.append(userIDs.insert(bytes: row.user))
                items.append(itemIDs.insert(bytes: row.item))
                timestamps.append(row.timestamp)
                if let s = row.session { sessions!.append(sessionIDs!.insert(bytes: s)) }
                if weights != nil { weights!.append(row.weight) }
                report.events += 1
                if report.events % 1_000_000 == 0 { progress?("\(url.lastPathComponent): \(report.events) events") }
            } catch {
                guard options.skipBadLines else { throw error }
                report.skippedLines += 1
                if report.firstSkipped.count < 5 { report.firstSkipped.append(error) }
            }
        }

        guard state != nil else { throw .emptyFile(file: file) }
        guard report.events > 0 else { throw .noEvents(file: file, skippedLines: report.skippedLines) }
        let log = try EventLog(users: users, items: items, timestamps: timestamps, sessions: sessions, weights: weights,
                               userIDs: userIDs, itemIDs: itemIDs, sessionIDs: sessionIDs)
        return (log, report)
    }
}

/// Resolves columns to positions once, then parses lines.
private struct Parser {
    let file: String
    var splitter: FieldSplitter
    let user: Int, item: Int, timestamp: Int, session: Int?, weight: Int?
    /// Display names for messages (header names, or the role and position).
    let names: [Int: String]
    let fieldsNeeded: Int

    struct Row {
        var user: UnsafeBufferPointer<UInt8>
        var item: UnsafeBufferPointer<UInt8>
        var timestamp: Int64
        var session: UnsafeBufferPointer<UInt8>?
        var weight: Float
    }

    init(file: String, columns: EventColumns, header: [String]?, splitter: FieldSplitter) throws(DataError) {
        self.file = file
        self.splitter = splitter
        var names: [Int: String] = [:]
        func resolve(_ column: EventColumns.Column, role: String) throws(DataError) -> Int {
            switch column {
            case let .named(name):
                guard let header, let at = header.firstIndex(of: name) else {
                    throw .missingColumn(file: file, column: name, header: header ?? [])
                }
                names[at] = name
                return at
            case let .position(p):
                guard p >= 0 else { throw .invalidArgument(name: "\(role) position", value: "\(p)", expected: ">= 0") }
                names[p] = header.map { p < $0.count ? $0[p] : "\(role) (field \(p + 1))" } ?? "\(role) (field \(p + 1))"
                return p
            }
        }
        user = try resolve(columns.user, role: "user")
        item = try resolve(columns.item, role: "item")
        timestamp = try resolve(columns.timestamp, role: "timestamp")
        session = try columns.session.map { (c) throws(DataError) in try resolve(c, role: "session") }
        weight = try columns.weight.map { (c) throws(DataError) in try resolve(c, role: "weight") }
        self.names = names
        fieldsNeeded = [user, item, timestamp, session ?? 0, weight ?? 0].max()! + 1
    }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, line number: Int) throws(DataError) -> Row {
        splitter.split(line, limit: fieldsNeeded)
        guard splitter.ranges.count >= fieldsNeeded else {
            throw .tooFewFields(file: file, line: number, found: splitter.ranges.count, expected: fieldsNeeded)
        }
        func bad(_ at: Int, _ expected: String) -> DataError {
            .badValue(file: file, line: number, column: names[at]!, value: splitter.string(at, in: line), expected: expected)
        }
        let u = splitter.bytes(user, in: line), i = splitter.bytes(item, in: line)
        guard !u.isEmpty else { throw bad(user, "a non-empty user id") }
        guard !i.isEmpty else { throw bad(item, "a non-empty item id") }
        guard let t = Timestamp.parse(splitter.bytes(timestamp, in: line)) else {
            throw bad(timestamp, "epoch seconds or an ISO 8601 date-time")
        }
        var s: UnsafeBufferPointer<UInt8>?
        if let session {
            s = splitter.bytes(session, in: line)
            guard !s!.isEmpty else { throw bad(session, "a non-empty session id") }
        }
        var w: Float = 1
        if let weight {
            // A short string: no heap allocation.
            guard let parsed = Float(String(decoding: splitter.bytes(weight, in: line), as: UTF8.self)), parsed.isFinite else {
                throw bad(weight, "a finite number")
            }
            w = parsed
        }
        if splitter.ranges[user].escaped || splitter.ranges[item].escaped {
            throw bad(splitter.ranges[user].escaped ? user : item, "an id without doubled quotes")
        }
        return Row(user: u, item: i, timestamp: t, session: s, weight: w)
    }
}
