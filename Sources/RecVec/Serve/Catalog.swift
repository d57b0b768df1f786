import Foundation

/// Item metadata the rules and the popularity penalty use, read from a tab-separated file:
/// `item_id [TAB category [TAB popularity [TAB attribute,attribute...]]]`, one item per line;
/// empty fields allowed, lines starting with `#` skipped.
public struct Catalog: Sendable {
    /// One item's metadata.
    public struct Entry: Sendable, Equatable {
        /// The item's category (the per-category cap counts by it).
        public var category: String?
        /// The item's popularity (any scale; the popularity penalty normalises it).
        public var popularity: Double?
        /// The item's attributes (`RecommendRules.requiredAttributes` filters by them).
        public var attributes: Set<String>
        /// An entry with the given metadata.
        public init(category: String? = nil, popularity: Double? = nil, attributes: Set<String> = []) {
            self.category = category
            self.popularity = popularity
            self.attributes = attributes
        }
    }

    /// Item ids in file order.
    public var items: [String]
    /// Metadata by item id (the last line wins for a repeated id).
    public var entries: [String: Entry]

    /// A catalog of `entries`, in order.
    public init(entries: [(String, Entry)]) {
        items = entries.map(\.0)
        self.entries = Dictionary(entries, uniquingKeysWith: { _, last in last })
    }

    /// Reads a catalog file; an error names the file, the line and what is wrong with it.
    public static func read(path: String) throws -> Catalog {
        var rows: [(String, Entry)] = []
        try forEachTextLine(path: path) { number, line in
            if line.isEmpty || line.hasPrefix("#") { return }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard !fields[0].isEmpty else { throw StoreError.invalidLine(file: path, line: number, reason: "empty item id") }
            var entry = Entry()
            if fields.count > 1, !fields[1].isEmpty { entry.category = fields[1] }
            if fields.count > 2, !fields[2].isEmpty {
                guard let p = Double(fields[2]), p.isFinite, p >= 0 else {
                    throw StoreError.invalidLine(file: path, line: number, reason: "popularity '\(DataError.excerpt(fields[2]))' is not a number >= 0")
                }
                entry.popularity = p
            }
            if fields.count > 3 { entry.attributes = Set(fields[3].split(separator: ",").map(String.init)) }
            rows.append((fields[0], entry))
        }
        return Catalog(entries: rows)
    }
}

/// Known users' histories, read from a tab-separated file of `user_id TAB item_id` lines,
/// oldest interaction first.
package enum Histories {
    /// Reads a histories file: each user's item ids, oldest first; errors name the file and line.
    public static func read(path: String) throws -> [String: [String]] {
        var histories: [String: [String]] = [:]
        try forEachTextLine(path: path) { number, line in
            if line.isEmpty || line.hasPrefix("#") { return }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw StoreError.invalidLine(file: path, line: number, reason: "expected user_id<TAB>item_id")
            }
            histories[String(fields[0]), default: []].append(String(fields[1]))
        }
        return histories
    }
}

/// Each line of a UTF-8 text file through the one line reader (CRLF, BOM), numbered from 1.
func forEachTextLine(path: String, _ body: (Int, String) throws -> Void) throws {
    guard FileManager.default.fileExists(atPath: path) else { throw StoreError.fileMissing(file: path) }
    var failure: Error?
    do {
        try LineReader(url: URL(fileURLWithPath: path)).forEachLine { (bytes, number) throws(DataError) in
            guard failure == nil else { return }
            guard let line = String(validating: bytes, as: UTF8.self) else {
                failure = StoreError.invalidLine(file: path, line: number, reason: "not UTF-8 text: '\(DataError.excerpt(bytes))'")
                return
            }
            do { try body(number, line) } catch { failure = error }
        }
    } catch {
        throw StoreError.invalidInput(file: path, reason: error.description)
    }
    if let failure { throw failure }
}

/// How far a version lags behind the catalog.
public struct StalenessReport: Codable, Sendable {
    /// The version measured.
    public var version: String
    /// When the version was published.
    public var createdAt: Date
    /// Seconds from `createdAt` to the time of the report.
    public var ageSeconds: Double
    /// Items in the catalog.
    public var catalogItems: Int
    /// Catalog items without a vector in the version.
    public var missingCount: Int
    /// `missingCount` over `catalogItems` (0 for an empty catalog).
    public var missingFraction: Double
    /// The first missing ids, in catalog order (at most 20).
    public var missingSample: [String]
}

extension StoreVersion {
    /// The version's age at `now` and the catalog items it has no vector for.
    public func staleness(catalog: Catalog, now: Date = Date()) -> StalenessReport {
        let missing = catalog.items.filter { row(of: $0) == nil }
        return StalenessReport(version: name, createdAt: manifest.createdAt, ageSeconds: now.timeIntervalSince(manifest.createdAt),
                               catalogItems: catalog.items.count, missingCount: missing.count,
                               missingFraction: catalog.items.isEmpty ? 0 : Double(missing.count) / Double(catalog.items.count),
                               missingSample: Array(missing.prefix(20)))
    }
}
