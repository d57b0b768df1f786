import Foundation

extension EventLog {
    /// Loads an events file: CSV or TSV, JSON Lines, sessions (one basket a line) or a MovieLens
    /// preset (`EventFormat`), plain or gzip-compressed, streamed in chunks and parsed in place:
    /// memory holds the columns (about 20 bytes per event), one string per distinct id and one
    /// chunk, whatever the file's size.
    ///
    /// `columns` nil recognises the usual header names (`EventColumns.recognise`); a preset
    /// format brings its own. Ids are kept as spelled and compared as bytes (ids that are not
    /// valid UTF-8 are bad values); times are epoch seconds or milliseconds, or ISO 8601 with or
    /// without a zone (no zone: UTC). Without a time column the log's `hasTimestamps` is false
    /// and file order is the order. A bad line throws `DataError` naming file, line, column,
    /// value and what was expected, unless `options.skipBadLines`, which counts it in the report.
    public static func load(_ url: URL, columns: EventColumns? = nil, options: EventLoadOptions = EventLoadOptions(),
                            progress: ((String) -> Void)? = nil) throws(DataError) -> (log: EventLog, report: EventLoadReport) {
        var reader = LineReader(url: url)
        reader.chunkSize = max(4096, options.chunkSize)
        reader.maxLineBytes = max(reader.chunkSize, options.maxLineBytes)
        guard let firstLine = try reader.firstLine() else { throw .emptyFile(file: url.path) }
        let format = options.format ?? EventFormat.detect(url, firstLine: firstLine)
        var builder = LogBuilder(file: url.path, options: options, fileSize: try reader.size(), progress: progress)
        builder.report.format = format
        switch format {
        case .sessions:
            guard columns == nil else {
                throw .invalidArgument(name: "columns", value: "given", expected: "none for the sessions format (each line is one session)")
            }
            try loadSessions(reader, into: &builder)
        case .jsonl:
            try loadJSONLines(reader, columns: columns, into: &builder)
        case .csv, .tsv, .movieLens100K, .movieLensRatings, .movieLens1M:
            try loadDelimited(reader, format: format, firstLine: firstLine, columns: columns, into: &builder)
        }
        return try builder.finish()
    }

    private static func loadDelimited(_ reader: LineReader, format: EventFormat, firstLine: [UInt8], columns given: EventColumns?,
                                      into builder: inout LogBuilder) throws(DataError) {
        let options = builder.options
        let preset = format.preset
        let delimiter = options.delimiter ?? preset?.delimiter ?? (firstLine.contains(9) || format == .tsv && !firstLine.contains(44) ? 9 : 44)
        var columns = given ?? preset?.columns
        // Columns by position read a header too when the first line is one (recognised names),
        // so `--user 0 --item 1` on a file with a header does not add the header as an event.
        let looksLikeHeader: Bool = firstLine.withUnsafeBufferPointer { line in
            var splitter = FieldSplitter(delimiter: delimiter)
            splitter.split(line)
            let fields = (0 ..< splitter.ranges.count).map { splitter.string($0, in: line) }
            return (try? EventColumns.recognise(header: fields, file: "")) != nil
        }
        let hasHeader = options.hasHeader ?? (given.map { $0.isNamed || looksLikeHeader } ?? preset?.hasHeader ?? true)
        if let columns, columns.isNamed && !hasHeader {
            throw .invalidArgument(name: "hasHeader", value: "false", expected: "true when columns are given by name")
        }
        guard hasHeader || columns != nil else {
            throw .invalidArgument(name: "columns", value: "none", expected: "column positions for a file without a header")
        }
        var parser: DelimitedParser?
        try reader.forEachLine { (line, lineNumber) throws(DataError) in
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { return } // blank
            if parser == nil {
                var splitter = FieldSplitter(delimiter: delimiter)
                var header: [String]?
                if hasHeader {
                    splitter.split(line)
                    header = (0 ..< splitter.ranges.count).map { splitter.string($0, in: line) }
                    if columns == nil { columns = try EventColumns.recognise(header: header!, file: builder.file) }
                }
                parser = try DelimitedParser(file: builder.file, columns: columns!, header: header, splitter: splitter)
                builder.start(columns: columns!)
                if hasHeader { return }
            }
            try builder.add(line, number: lineNumber, parser: &parser!)
        }
    }

    private static func loadJSONLines(_ reader: LineReader, columns given: EventColumns?, into builder: inout LogBuilder) throws(DataError) {
        var parser: JSONLineParser?
        try reader.forEachLine { (line, lineNumber) throws(DataError) in
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            if parser == nil {
                var columns = given
                if columns == nil {
                    var scanner = JSONObjectScanner()
                    guard scanner.scan(line) else {
                        throw .badValue(file: builder.file, line: lineNumber, column: "(line)", value: DataError.excerpt(line), expected: "a JSON object")
                    }
                    columns = try EventColumns.recognise(header: scanner.keys(in: line), file: builder.file)
                }
                parser = try JSONLineParser(file: builder.file, columns: columns!)
                builder.start(columns: columns!)
            }
            try builder.add(line, number: lineNumber, parser: &parser!)
        }
    }

    /// One session a line: the line number is the session's (and user's) id.
    private static func loadSessions(_ reader: LineReader, into builder: inout LogBuilder) throws(DataError) {
        builder.startSessions()
        try reader.forEachLine { (line, lineNumber) throws(DataError) in
            var i = 0
            let n = line.count
            var sawItem = false
            guard try builder.acceptSessionLine(line, number: lineNumber) else { return }
            let lineID = Array(String(lineNumber).utf8)
            try lineID.withUnsafeBufferPointer { (id) throws(DataError) in
                while i < n {
                    while i < n && (line[i] == 32 || line[i] == 44 || line[i] == 9) { i += 1 }
                    let start = i
                    while i < n && line[i] != 32 && line[i] != 44 && line[i] != 9 { i += 1 }
                    guard i > start else { break }
                    let item = UnsafeBufferPointer(rebasing: line[start ..< i])
                    if !sawItem { builder.countLine(length: n) }
                    sawItem = true
                    builder.addSessionItem(user: id, item: item, line: lineNumber)
                }
            }
        }
    }
}

/// Turns one data line into an event.
protocol LineParser {
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, line number: Int, unit: inout EpochUnit?) throws(DataError) -> ParsedRow
}

/// A parsed event whose ids point into the current line.
struct ParsedRow {
    var user: UnsafeBufferPointer<UInt8>
    var item: UnsafeBufferPointer<UInt8>
    var timestamp: Int64?
    var session: UnsafeBufferPointer<UInt8>?
    var weight: Float
}

/// The columns of a log being read, and the report.
struct LogBuilder {
    let file: String
    let options: EventLoadOptions
    let fileSize: Int
    let progress: ((String) -> Void)?
    var report = EventLoadReport()
    var users: [Int32] = [], items: [Int32] = [], timestamps: [Int64] = []
    var sessions: [Int32]?
    var weights: [Float]?
    var userIDs = IDMap(), itemIDs = IDMap()
    var sessionIDs: IDMap?
    var hasTimestamps = true
    var unit: EpochUnit?
    private var started = false

    init(file: String, options: EventLoadOptions, fileSize: Int, progress: ((String) -> Void)?) {
        self.file = file
        self.options = options
        self.fileSize = fileSize
        self.progress = progress
        unit = options.epochUnit
    }

    mutating func start(columns: EventColumns) {
        report.columns = columns
        hasTimestamps = columns.timestamp != nil
        if columns.session != nil { sessions = []; sessionIDs = IDMap() }
        if columns.weight != nil { weights = [] }
        started = true
    }

    mutating func startSessions() {
        hasTimestamps = false
        sessions = []
        sessionIDs = IDMap()
        started = true
    }

    private mutating func reserve(lineLength: Int) {
        // For the whole file, estimated from the first data line's length (x4 for gzip).
        let estimate = min(fileSize * (LineReader.isGzip(URL(fileURLWithPath: file)) ? 4 : 1) / max(lineLength + 1, 8) + 16, 1 << 28)
        users.reserveCapacity(estimate); items.reserveCapacity(estimate); timestamps.reserveCapacity(estimate)
        sessions?.reserveCapacity(estimate); weights?.reserveCapacity(estimate)
    }

    /// Counts a data line of `length` bytes (reserving room for the whole file at the first).
    mutating func countLine(length: Int) {
        if report.lines == 0 { reserve(lineLength: length) }
        report.lines += 1
    }

    /// Parses a data line with `parser` and adds its event, or counts it as skipped.
    mutating func add<P: LineParser>(_ line: UnsafeBufferPointer<UInt8>, number: Int, parser: inout P) throws(DataError) {
        countLine(length: line.count)
        do throws(DataError) {
            let row = try parser.parse(line, line: number, unit: &unit)
            try add(row, line: number)
        } catch {
            try skip(error)
        }
    }

    /// Adds a parsed line's event (after checking its ids are UTF-8).
    mutating func add(_ row: ParsedRow, line: Int) throws(DataError) {
        try checkUTF8(row.user, role: 0, line: line)
        try checkUTF8(row.item, role: 1, line: line)
        if let s = row.session { try checkUTF8(s, role: 3, line: line) }
        users.append(userIDs.insert(bytes: row.user))
        items.append(itemIDs.insert(bytes: row.item))
        timestamps.append(row.timestamp ?? Int64(report.events))
        if let s = row.session { sessions!.append(sessionIDs!.insert(bytes: s)) }
        if weights != nil { weights!.append(row.weight) }
        eventAdded()
    }


    /// One item of a sessions line: its session and user are the line.
    /// Whether a sessions line is UTF-8 (else it is counted as skipped, or thrown): checked for
    /// the whole line first, so a bad item never leaves half a session behind.
    mutating func acceptSessionLine(_ line: UnsafeBufferPointer<UInt8>, number: Int) throws(DataError) -> Bool {
        do throws(DataError) {
            try checkUTF8(line, role: 1, line: number)
            return true
        } catch {
            countLine(length: line.count)
            try skip(error)
            return false
        }
    }

    /// One item of a sessions line whose bytes `acceptSessionLine` accepted.
    mutating func addSessionItem(user: UnsafeBufferPointer<UInt8>, item: UnsafeBufferPointer<UInt8>, line: Int) {
        let u = userIDs.insert(bytes: user)
        users.append(u)
        items.append(itemIDs.insert(bytes: item))
        timestamps.append(Int64(report.events))
        sessions!.append(sessionIDs!.insert(bytes: user))
        eventAdded()
    }

    private mutating func eventAdded() {
        report.events += 1
        if report.events % 1_000_000 == 0 { progress?("\((file as NSString).lastPathComponent): \(report.events) events") }
    }

    mutating func skip(_ error: DataError) throws(DataError) {
        guard options.skipBadLines else { throw error }
        report.skippedLines += 1
        if report.firstSkipped.count < 5 { report.firstSkipped.append(error) }
    }

    /// Ids are compared as bytes, so they must be text: bytes that are not UTF-8 (a Latin-1
    /// file) are an error naming the line, not ids that silently merge.
    @inline(__always)
    private func checkUTF8(_ bytes: UnsafeBufferPointer<UInt8>, role: Int, line: Int) throws(DataError) {
        var high: UInt8 = 0
        for b in bytes { high |= b }
        guard high >= 0x80 else { return }
        try checkUTF8Slow(bytes, role: role, line: line)
    }

    private func checkUTF8Slow(_ bytes: UnsafeBufferPointer<UInt8>, role: Int, line: Int) throws(DataError) {
        guard String(validating: bytes, as: UTF8.self) == nil else { return }
        let column = [report.columns?.user, report.columns?.item, report.columns?.timestamp, report.columns?.session][role]
            ?? (role == 1 ? .named("item") : nil)
        let name: String
        switch column {
        case let .named(n)?: name = n
        case let .position(p)?: name = "field \(p + 1)"
        case nil: name = "id"
        }
        throw .badValue(file: file, line: line, column: name, value: DataError.excerpt(bytes),
                        expected: "UTF-8 text (ids are compared as bytes; convert a Latin-1 file with iconv -f latin1 -t utf-8)")
    }

    func finish() throws(DataError) -> (log: EventLog, report: EventLoadReport) {
        guard started else { throw .emptyFile(file: file) }
        guard report.events > 0 else { throw .noEvents(file: file, skippedLines: report.skippedLines) }
        var report = report
        report.epochUnit = hasTimestamps ? unit : nil
        let log = try EventLog(users: users, items: items, timestamps: timestamps, sessions: sessions, weights: weights,
                               userIDs: userIDs, itemIDs: itemIDs, sessionIDs: sessionIDs, hasTimestamps: hasTimestamps)
        return (log, report)
    }
}

/// Resolves columns to positions once, then parses delimited lines.
private struct DelimitedParser: LineParser {
    let file: String
    var splitter: FieldSplitter
    let user: Int, item: Int, timestamp: Int?, session: Int?, weight: Int?
    /// Display names for messages (header names, or the role and position).
    let names: [Int: String]
    let fieldsNeeded: Int

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
                let all = header.indices.filter { header[$0] == name }
                guard all.count == 1 else { throw .duplicateColumn(file: file, column: name, positions: all) }
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
        timestamp = try columns.timestamp.map { (c) throws(DataError) in try resolve(c, role: "timestamp") }
        session = try columns.session.map { (c) throws(DataError) in try resolve(c, role: "session") }
        weight = try columns.weight.map { (c) throws(DataError) in try resolve(c, role: "weight") }
        self.names = names
        fieldsNeeded = [user, item, timestamp ?? 0, session ?? 0, weight ?? 0].max()! + 1
    }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, line number: Int, unit: inout EpochUnit?) throws(DataError) -> ParsedRow {
        splitter.split(line, limit: fieldsNeeded)
        guard splitter.ranges.count >= fieldsNeeded else {
            throw .tooFewFields(file: file, line: number, found: splitter.ranges.count, expected: fieldsNeeded)
        }
        func bad(_ at: Int, _ expected: String) -> DataError {
            .badValue(file: file, line: number, column: names[at]!, value: DataError.excerpt(splitter.bytes(at, in: line)), expected: expected)
        }
        let u = splitter.bytes(user, in: line), i = splitter.bytes(item, in: line)
        guard !u.isEmpty else { throw bad(user, "a non-empty user id") }
        guard !i.isEmpty else { throw bad(item, "a non-empty item id") }
        var t: Int64?
        if let timestamp {
            guard let parsed = Timestamp.parse(splitter.bytes(timestamp, in: line), unit: &unit) else {
                throw bad(timestamp, "epoch seconds or an ISO 8601 date-time")
            }
            t = parsed
        }
        var s: UnsafeBufferPointer<UInt8>?
        if let session {
            s = splitter.bytes(session, in: line)
            guard !s!.isEmpty else { throw bad(session, "a non-empty session id") }
        }
        var w: Float = 1
        if let weight {
            let text = splitter.bytes(weight, in: line)
            guard text.count <= 64, let parsed = Float(String(decoding: text, as: UTF8.self)), parsed.isFinite else {
                throw bad(weight, "a finite number")
            }
            w = parsed
        }
        if splitter.ranges[user].escaped || splitter.ranges[item].escaped {
            throw bad(splitter.ranges[user].escaped ? user : item, "an id without doubled quotes")
        }
        return ParsedRow(user: u, item: i, timestamp: t, session: s, weight: w)
    }
}

/// Parses JSON Lines objects by key.
private struct JSONLineParser: LineParser {
    let file: String
    let keys: [[UInt8]] // user, item, time, session, weight ([] when absent)
    var scanner = JSONObjectScanner()
    /// Unescaped strings of the current line, one buffer per role.
    let scratch = ScratchBuffers(slots: 5)
    var values: [(start: Int, end: Int, kind: JSONObjectScanner.Kind)?] = Array(repeating: nil, count: 5)
    static let roles = ["user", "item", "time", "session", "weight"]

    init(file: String, columns: EventColumns) throws(DataError) {
        self.file = file
        func key(_ column: EventColumns.Column?, _ role: String) throws(DataError) -> [UInt8] {
            switch column {
            case nil: return []
            case let .named(name)?: return Array(name.utf8)
            case let .position(p)?:
                throw .invalidArgument(name: "\(role) column", value: "position \(p)", expected: "a key name for JSON Lines")
            }
        }
        keys = [try key(columns.user, "user"), try key(columns.item, "item"), try key(columns.timestamp, "time"),
                try key(columns.session, "session"), try key(columns.weight, "weight")]
    }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, line number: Int, unit: inout EpochUnit?) throws(DataError) -> ParsedRow {
        guard scanner.scan(line) else {
            throw .badValue(file: file, line: number, column: "(line)", value: DataError.excerpt(line), expected: "a JSON object")
        }
        for r in 0 ..< 5 { values[r] = nil }
        for field in scanner.fields {
            let key = UnsafeBufferPointer(rebasing: line[field.keyStart ..< field.keyEnd])
            for r in 0 ..< 5 where !keys[r].isEmpty && keys[r].count == key.count && keys[r].elementsEqual(key) {
                if values[r] != nil {
                    throw .badValue(file: file, line: number, column: String(decoding: keys[r], as: UTF8.self),
                                    value: DataError.excerpt(UnsafeBufferPointer(rebasing: line[field.valueStart ..< field.valueEnd])),
                                    expected: "the key once per object (it appears twice)")
                }
                values[r] = (field.valueStart, field.valueEnd, field.kind)
            }
        }
        // The bytes of role r: a string's (unescaped into scratch when needed) or a number's.
        func text(_ r: Int, _ expected: String) throws(DataError) -> UnsafeBufferPointer<UInt8>? {
            guard !keys[r].isEmpty else { return nil }
            let name = String(decoding: keys[r], as: UTF8.self)
            guard let v = values[r] else {
                throw .badValue(file: file, line: number, column: name, value: "(missing)", expected: expected)
            }
            let raw = UnsafeBufferPointer(rebasing: line[v.start ..< v.end])
            switch v.kind {
            case .string: return raw
            case .escapedString:
                let out = scratch.buffer(r, count: raw.count)
                guard let length = JSONObjectScanner.unescape(raw, into: out) else {
                    throw .badValue(file: file, line: number, column: name, value: DataError.excerpt(raw), expected: "a valid JSON string")
                }
                return UnsafeBufferPointer(start: out, count: length)
            case .number: return raw
            case .other:
                throw .badValue(file: file, line: number, column: name, value: DataError.excerpt(raw), expected: expected)
            }
        }
        let names = Self.roles
        func bad(_ r: Int, _ value: UnsafeBufferPointer<UInt8>, _ expected: String) -> DataError {
            .badValue(file: file, line: number, column: String(decoding: keys[r], as: UTF8.self), value: DataError.excerpt(value), expected: expected)
        }
        guard let u = try text(0, "a string or number \(names[0]) id"), !u.isEmpty else { throw bad(0, UnsafeBufferPointer(start: nil, count: 0), "a non-empty user id") }
        guard let i = try text(1, "a string or number \(names[1]) id"), !i.isEmpty else { throw bad(1, UnsafeBufferPointer(start: nil, count: 0), "a non-empty item id") }
        var t: Int64?
        if let tb = try text(2, "epoch seconds or an ISO 8601 date-time") {
            guard let parsed = Timestamp.parse(tb, unit: &unit) else { throw bad(2, tb, "epoch seconds or an ISO 8601 date-time") }
            t = parsed
        }
        let s = try text(3, "a string or number session id")
        if let s, s.isEmpty { throw bad(3, s, "a non-empty session id") }
        var w: Float = 1
        if let wb = try text(4, "a finite number") {
            guard wb.count <= 64, let parsed = Float(String(decoding: wb, as: UTF8.self)), parsed.isFinite else { throw bad(4, wb, "a finite number") }
            w = parsed
        }
        return ParsedRow(user: u, item: i, timestamp: t, session: s, weight: w)
    }
}
