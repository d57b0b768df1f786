import Foundation

/// Which fields of an events file hold an event's parts: by header name (or JSON key) or by
/// position (0-based). `timestamp`, `session` and `weight` are optional: without a time column
/// file order is the order (`EventLog.hasTimestamps` is false).
public struct EventColumns: Equatable, Sendable {
    /// One field of a line: a header name (JSON key) or a 0-based position.
    public enum Column: Equatable, Sendable {
        case named(String)
        case position(Int)

        /// A header name, or a 0-based position when `text` is a number.
        public init(_ text: String) { self = Int(text).map { .position($0) } ?? .named(text) }
    }

    /// The field holding the user id.
    public var user: Column
    /// The field holding the item id.
    public var item: Column
    /// The field holding the time (epoch seconds or milliseconds, or ISO 8601); nil: file order.
    public var timestamp: Column?
    /// The field holding the session id; nil: sessions come from the `SessionRule` (time gaps).
    public var session: Column?
    /// The field holding the event's weight; nil: every weight is 1.
    public var weight: Column?

    /// Columns found by header name.
    public init(user: String, item: String, timestamp: String? = nil, session: String? = nil, weight: String? = nil) {
        self.user = .named(user); self.item = .named(item); self.timestamp = timestamp.map(Column.named)
        self.session = session.map(Column.named); self.weight = weight.map(Column.named)
    }

    /// Columns by position (0-based), for files without a header.
    public init(userPosition: Int, itemPosition: Int, timestampPosition: Int? = nil, sessionPosition: Int? = nil, weightPosition: Int? = nil) {
        user = .position(userPosition); item = .position(itemPosition); timestamp = timestampPosition.map(Column.position)
        session = sessionPosition.map(Column.position); weight = weightPosition.map(Column.position)
    }

    /// Any mix of names and positions.
    public init(user: Column, item: Column, timestamp: Column? = nil, session: Column? = nil, weight: Column? = nil) {
        self.user = user; self.item = item; self.timestamp = timestamp; self.session = session; self.weight = weight
    }

    /// MovieLens `u.data`: tab separated, no header: user, item, rating, timestamp.
    public static let movieLensUData = EventColumns(userPosition: 0, itemPosition: 1, timestampPosition: 3)
    /// MovieLens `ratings.csv`: header `userId,movieId,rating,timestamp`.
    public static let movieLensRatingsCSV = EventColumns(user: "userId", item: "movieId", timestamp: "timestamp")
    /// MovieLens 1M `ratings.dat`, `UserID::MovieID::Rating::Timestamp`, read with ':' as the
    /// delimiter, so every "::" leaves an empty field between two real ones.
    public static let movieLens1MDat = EventColumns(userPosition: 0, itemPosition: 2, timestampPosition: 6)
    /// The events file `recvec generate` writes: `user,item,timestamp,session`.
    public static let generated = EventColumns(user: "user", item: "item", timestamp: "timestamp", session: "session")

    var isNamed: Bool {
        [user, item, timestamp, session, weight].contains { if case .named = $0 { return true } else { return false } }
    }

    /// The header names recognised for each role when no columns are given (compared without
    /// case): the spellings common exports use.
    public static let recognisedNames: [(role: String, names: [String])] = [
        ("user", ["user", "user_id", "userid", "customer_id", "customerid", "visitor_id", "visitorid", "client_id"]),
        ("item", ["item", "item_id", "itemid", "movie_id", "movieid", "product_id", "productid", "sku", "article_id"]),
        ("time", ["timestamp", "time", "ts", "event_time", "event_timestamp", "datetime"]),
        ("session", ["session", "session_id", "sessionid"]),
        ("weight", ["weight"]),
    ]

    /// The columns of a header by the usual names (`recognisedNames`): user and item must be
    /// found, time, session and weight may be. Two names for one role (say `user` and
    /// `user_id`) are an error that asks for the flag.
    public static func recognise(header: [String], file: String) throws(DataError) -> EventColumns {
        var found: [String: String] = [:]
        for (role, names) in recognisedNames {
            let matches = header.filter { names.contains($0.lowercased()) }
            if matches.count > 1 { throw .ambiguousColumns(file: file, role: role, candidates: matches) }
            if let name = matches.first { found[role] = name }
        }
        guard let user = found["user"] else { throw .unrecognisedColumns(file: file, role: "user", header: header) }
        guard let item = found["item"] else { throw .unrecognisedColumns(file: file, role: "item", header: header) }
        return EventColumns(user: user, item: item, timestamp: found["time"], session: found["session"], weight: found["weight"])
    }
}

/// The layout of an events file. `EventLoadOptions.format` nil detects it (`detect`).
public enum EventFormat: String, CaseIterable, Codable, Sendable {
    /// Delimited by commas (or the given delimiter), a header unless columns are positions.
    case csv
    /// Delimited by tabs.
    case tsv
    /// JSON Lines: one object a line; columns are keys.
    case jsonl
    /// One session (basket) a line, items separated by spaces, commas or tabs (gensim's
    /// LineSentence, fastText's input). Each line is its own session and user, named by its line
    /// number; no times (file order).
    case sessions
    /// MovieLens 100K `u.data` (user TAB item TAB rating TAB time); genres from `u.item` beside it.
    case movieLens100K = "movielens-100k"
    /// MovieLens `ratings.csv` (userId,movieId,rating,timestamp); genres from `movies.csv` beside it.
    case movieLensRatings = "movielens-ratings"
    /// MovieLens 1M `ratings.dat` (`::`-separated); genres from `movies.dat` beside it.
    case movieLens1M = "movielens-1m"

    /// A format by name or by one of the older spellings (`movielens-udata`, `generated`,
    /// `json`, `ndjson`, `baskets`).
    public init?(name: String) {
        switch name.lowercased() {
        case "json", "ndjson", "json-lines": self = .jsonl
        case "baskets", "basket", "session": self = .sessions
        case "movielens-udata", "ml-100k", "u.data": self = .movieLens100K
        case "ml-latest", "ml-25m", "ratings.csv": self = .movieLensRatings
        case "ml-1m", "ratings.dat": self = .movieLens1M
        case "generated": self = .csv
        case let other: self.init(rawValue: other)
        }
    }

    /// The format of `url` from its name (a `.gz` suffix aside) and, failing that, its first
    /// line: `u.data`, `ratings.dat`, `ratings.csv` with a `userId,movieId` header, `.jsonl` /
    /// `.ndjson`, `.tsv`, `.csv`, `.sessions` / `.baskets`; a first line starting with `{` is
    /// JSON Lines, one holding "::" MovieLens 1M, one holding a tab TSV; anything else CSV.
    public static func detect(_ url: URL, firstLine: [UInt8]?) -> EventFormat {
        var name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        let line = firstLine ?? []
        let text = String(decoding: line.prefix(4096), as: UTF8.self)
        switch name {
        case "u.data": return .movieLens100K
        case "ratings.dat": return .movieLens1M
        case "ratings.csv" where text.hasPrefix("userId,movieId"): return .movieLensRatings
        default: break
        }
        switch (name as NSString).pathExtension {
        case "jsonl", "ndjson": return .jsonl
        case "tsv", "tab": return .tsv
        case "csv": return .csv
        case "sessions", "baskets": return .sessions
        default: break
        }
        if line.first(where: { $0 != 32 && $0 != 9 }) == UInt8(ascii: "{") { return .jsonl }
        if text.contains("::") { return .movieLens1M }
        if line.contains(9) { return .tsv }
        return .csv
    }

    /// A preset's columns, delimiter and header (nil for the open formats).
    var preset: (columns: EventColumns, delimiter: UInt8, hasHeader: Bool)? {
        switch self {
        case .movieLens100K: return (.movieLensUData, 9, false)
        case .movieLensRatings: return (.movieLensRatingsCSV, UInt8(ascii: ","), true)
        case .movieLens1M: return (.movieLens1MDat, UInt8(ascii: ":"), false)
        case .csv, .tsv, .jsonl, .sessions: return nil
        }
    }
}

/// How epoch numbers in a time column count.
public enum EpochUnit: String, Equatable, Sendable {
    case seconds, milliseconds
}

/// How to read an events file.
public struct EventLoadOptions: Equatable, Sendable {
    /// The layout; nil detects it from the name and first line (`EventFormat.detect`).
    public var format: EventFormat?
    /// The field separator; nil: tab when the first line holds one, else a comma.
    public var delimiter: UInt8?
    /// Whether the first line is a header; nil means "when any column is named, or when no
    /// columns are given (they are then recognised from the header)".
    public var hasHeader: Bool?
    /// Unit of epoch numbers in the time column; nil decides from the first value (at least
    /// 1e11, i.e. after 5138 in seconds, means milliseconds). ISO 8601 times need no unit.
    public var epochUnit: EpochUnit?
    /// Count and skip lines that do not parse instead of stopping at the first one.
    public var skipBadLines = false
    /// Bytes read from the file per chunk (1 MiB).
    public var chunkSize = 1 << 20
    /// The longest line accepted (64 MiB): a longer one stops the load with an error naming its
    /// line, so memory does not grow with one runaway field.
    public var maxLineBytes = 64 << 20

    /// Options with the given layout; nil values are detected from the file.
    public init(format: EventFormat? = nil, delimiter: UInt8? = nil, hasHeader: Bool? = nil, skipBadLines: Bool = false,
                epochUnit: EpochUnit? = nil) {
        self.format = format
        self.delimiter = delimiter
        self.hasHeader = hasHeader
        self.skipBadLines = skipBadLines
        self.epochUnit = epochUnit
    }
}

/// What a load read and skipped.
public struct EventLoadReport: Equatable, Sendable {
    /// Data lines read (the header and blank lines not counted).
    public var lines = 0
    /// Events added to the log.
    public var events = 0
    /// Lines skipped as bad (only with `skipBadLines`).
    public var skippedLines = 0
    /// The first few skipped lines' errors.
    public var firstSkipped: [DataError] = []
    /// The format the file was read as (given or detected).
    public var format: EventFormat = .csv
    /// The columns used (given, preset or recognised); nil for the sessions format.
    public var columns: EventColumns?
    /// The unit epoch times were read in (nil: no epoch numbers, or no time column).
    public var epochUnit: EpochUnit?
}
