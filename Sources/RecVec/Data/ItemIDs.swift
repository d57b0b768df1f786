#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Item ids, one per line in row order: non-empty, without spaces, tabs or carriage returns
/// (word2vec formats separate fields by spaces), unique.
///
/// Opening only finds the line starts (memchr: milliseconds for a million ids); the
/// id -> row lookup is built on first use (or by `buildLookup` or `prepareLookup`), under a lock.
package final class ItemIDTable: RandomAccessCollection, @unchecked Sendable {
    /// The ids file (one id per line, row order).
    public let path: String
    private let file: MappedFile?
    /// The mapped ids file, nil for ids held in memory (`StoreVersion.prefault` populates it).
    var mapping: MappedFile? { file }
    private let owned: [UInt8]
    private let starts: [Int]
    private let lengths: [Int32]
    private let lock = NSLock()
    private var lookup: [ByteKey: Int32]? // ids compared as bytes, as IDMap does

    /// Row 0.
    public var startIndex: Int { 0 }
    /// The number of ids.
    public var endIndex: Int { starts.count }

    /// Ids in a mapped file (a store's ids.txt). Empty ids are always refused; whitespace inside
    /// an id only with `checkCharacters` (publish checked it, and the file's checksum keeps it so).
    public init(file: MappedFile, checkCharacters: Bool = true) throws {
        path = file.path
        self.file = file
        owned = []
        (starts, lengths) = try file.withBytes { try Self.scan($0, path: file.path, checkCharacters: checkCharacters) }
    }

    /// Ids in memory; `path` names them in errors.
    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        file = nil
        owned = bytes
        (starts, lengths) = try bytes.withUnsafeBytes { try Self.scan($0, path: path, checkCharacters: true) }
    }

    /// Reads and checks an ids file (a user's: through the one line reader, so CRLF and a BOM
    /// are fine), duplicates included.
    public static func read(path: String) throws -> [String] {
        var lines: [String] = []
        try forEachTextLine(path: path) { _, line in lines.append(line) }
        let table = try ItemIDTable(bytes: encode(lines), path: path)
        try table.buildLookup()
        return Array(table)
    }

    /// The bytes of an ids file holding `ids`.
    public static func encode(_ ids: some Sequence<String>) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids { out.append(contentsOf: id.utf8); out.append(0x0A) }
        return out
    }

    private func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let file { return try file.withBytes(body) }
        return try owned.withUnsafeBytes(body)
    }

    /// The id of `row`.
    public subscript(row: Int) -> String {
        withBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[starts[row] ..< starts[row] + Int(lengths[row])]), as: UTF8.self) }
    }

    /// The row of `id`, or nil. The first call builds the lookup (if a duplicate slipped past
    /// `buildLookup`, the first row wins).
    public func row(of id: String) -> Int32? {
        lock.withLock { lookupLocked()[ByteKey(id)] }
    }

    /// Builds the id -> row lookup now unless it exists, as the first `row(of:)` would (tens of
    /// milliseconds for 100k ids: a server does it before serving the version, not on a request).
    public func prepareLookup() {
        lock.withLock { _ = lookupLocked() }
    }

    /// Whether the id -> row lookup exists yet.
    package var hasLookup: Bool { lock.withLock { lookup != nil } }

    /// The lookup, built now if it is not yet; the caller holds `lock`.
    private func lookupLocked() -> [ByteKey: Int32] {
        if let lookup { return lookup }
        let built = (try? makeLookup(throwOnDuplicate: false)) ?? [:]
        lookup = built
        return built
    }

    /// Builds the id -> row lookup now, throwing on a duplicate id.
    public func buildLookup() throws {
        let built = try makeLookup(throwOnDuplicate: true)
        lock.withLock { lookup = built }
    }

    private func makeLookup(throwOnDuplicate: Bool) throws -> [ByteKey: Int32] {
        var lookup = [ByteKey: Int32](minimumCapacity: count)
        for row in 0 ..< count {
            let id = ByteKey(self[row])
            if let first = lookup[id] {
                if throwOnDuplicate {
                    throw StoreError.invalidLine(file: path, line: row + 1, reason: "duplicate item id \(DataError.excerpt(id.string)) (first on line \(first + 1))")
                }
                continue
            }
            lookup[id] = Int32(row)
        }
        return lookup
    }

    /// Line starts and lengths; throws on an empty id, and on whitespace inside one when
    /// `checkCharacters`.
    private static func scan(_ bytes: UnsafeRawBufferPointer, path: String, checkCharacters: Bool) throws -> ([Int], [Int32]) {
        var starts: [Int] = [], lengths: [Int32] = []
        guard let base = bytes.baseAddress else { return (starts, lengths) }
        starts.reserveCapacity(bytes.count / 4)
        lengths.reserveCapacity(bytes.count / 4)
        var start = 0
        while start < bytes.count {
            let newline = memchr(base + start, 0x0A, bytes.count - start)
            let end = newline.map { UnsafeRawPointer($0) - base } ?? bytes.count
            guard end > start else { throw StoreError.invalidLine(file: path, line: starts.count + 1, reason: "empty item id") }
            if checkCharacters, bytes[start ..< end].contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                throw StoreError.invalidLine(file: path, line: starts.count + 1, reason: "item id contains whitespace")
            }
            starts.append(start)
            lengths.append(Int32(end - start))
            start = end + 1
        }
        return (starts, lengths)
    }
}
