import Foundation

/// Where in a content file a value sits: a text line (1-based) or a `.npy` row (0-based).
public enum FilePosition: Equatable, Sendable, CustomStringConvertible {
    case line(Int)
    case row(Int)

    /// "line N" or "row N", as error messages quote it.
    public var description: String {
        switch self {
        case let .line(n): return "line \(n)"
        case let .row(n): return "row \(n)"
        }
    }
}

/// Why data could not be loaded, generated or split. Every message names the file (and line
/// when there is one), the offending value and what was expected.
///
/// Values read from a file are quoted through `DataError.excerpt`: at most 80 bytes, control
/// bytes escaped, with the value's length when it was cut, so a 1 GB bad field prints one line.
public enum DataError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    case unreadable(file: String, reason: String)
    case emptyFile(file: String)
    /// A named column is not in the header.
    case missingColumn(file: String, column: String, header: [String])
    /// A line has fewer fields than the columns it must provide.
    case tooFewFields(file: String, line: Int, found: Int, expected: Int)
    /// A field does not parse as what its column holds.
    case badValue(file: String, line: Int, column: String, value: String, expected: String)
    /// No event survived (every line was bad and skipped, or the filters removed everything).
    case noEvents(file: String, skippedLines: Int)
    case duplicateID(id: String, first: Int, second: Int)
    /// A `.npy` file this loader cannot read.
    case badNPY(file: String, reason: String)
    /// Items of the catalog with no row in a content file.
    case missingItems(file: String, count: Int, examples: [String])
    case wrongDimension(file: String, position: FilePosition, item: String, found: Int, expected: Int)
    case nonFiniteContent(file: String, position: FilePosition, item: String, value: String)
    case invalidArgument(name: String, value: String, expected: String)
    /// The header names the same column twice.
    case duplicateColumn(file: String, column: String, positions: [Int])
    /// No column flags were given and no header name was recognised for `role`.
    case unrecognisedColumns(file: String, role: String, header: [String])
    /// No column flags were given and several header names could be `role`.
    case ambiguousColumns(file: String, role: String, candidates: [String])
    /// The log has no time column (file order is its order) and `purpose` needs times.
    case noTimestamps(purpose: String)

    /// One sentence naming the file, position, value and what was expected.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read (\(reason))"
        case let .emptyFile(file):
            return "\(file): file is empty (expected a header or at least one data line)"
        case let .missingColumn(file, column, header):
            return "\(file): no column named '\(q(column))' (header has: \(list(header)))"
        case let .tooFewFields(file, line, found, expected):
            return "\(file):\(line): \(found) fields, expected at least \(expected)"
        case let .badValue(file, line, column, value, expected):
            return "\(file):\(line): column '\(q(column))' has '\(q(value))' (expected \(expected))"
        case let .noEvents(file, skipped):
            return "\(file): no events left (skipped \(skipped) bad lines)"
        case let .duplicateID(id, first, second):
            return "id '\(q(id))' appears twice (positions \(first) and \(second))"
        case let .badNPY(file, reason):
            return "\(file): not a readable .npy file (\(reason))"
        case let .missingItems(file, count, examples):
            return "\(file): \(count) items have no vector (first: \(list(examples)))"
        case let .wrongDimension(file, position, item, found, expected):
            return "\(file): \(position) (item '\(q(item))') has \(found) values, expected \(expected)"
        case let .nonFiniteContent(file, position, item, value):
            return "\(file): \(position) (item '\(q(item))') has value '\(q(value))' (expected a finite number)"
        case let .invalidArgument(name, value, expected):
            return "invalid \(name): \(q(value)) (expected \(expected))"
        case let .duplicateColumn(file, column, positions):
            return "\(file): the header names column '\(q(column))' \(positions.count) times (fields \(positions.map { String($0 + 1) }.joined(separator: ", "))); rename one"
        case let .unrecognisedColumns(file, role, header):
            return "\(file): no header name recognised as the \(role) column (header has: \(list(header))); name it with --\(role) (a header name or a 0-based position)"
        case let .ambiguousColumns(file, role, candidates):
            return "\(file): several columns could be the \(role) column (\(list(candidates))); choose one with --\(role)"
        case let .noTimestamps(purpose):
            return "the log has no time column (file order is its order), so \(purpose) cannot run; give the time column (--time) or use leave-last-out"
        }
    }

    /// The same sentence as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }

    /// The plain reason of a Foundation file error ("No such file or directory"), not its
    /// "The operation could not be completed" wrapper.
    public static func reason(_ error: Error) -> String {
        var ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { ns = underlying as NSError }
        if ns.domain == NSPOSIXErrorDomain, let text = strerror(Int32(truncatingIfNeeded: ns.code)) { return String(cString: text) }
        let text = ns.localizedDescription
        let wrapper = "The operation could not be completed. "
        return text.hasPrefix(wrapper) ? String(text.dropFirst(wrapper.count)) : text
    }

    private func q(_ value: String) -> String { Self.excerpt(value) }
    private func list(_ names: [String]) -> String {
        names.prefix(20).map { Self.excerpt($0, limit: 40) }.joined(separator: ", ") + (names.count > 20 ? ", ... (\(names.count) in all)" : "")
    }

    /// At most `limit` bytes of `value` for a message, cut at a character boundary, with control
    /// bytes and invalid UTF-8 shown as `\xNN`, and " ... (N bytes)" when cut. Short clean
    /// values come back unchanged, so quoting an excerpt again changes nothing.
    public static func excerpt(_ value: String, limit: Int = 80) -> String {
        let utf8 = value.utf8
        if utf8.count <= limit + 24 && !utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return value }
        return excerpt(bytes: Array(utf8.prefix(4 * limit)), totalCount: utf8.count, limit: limit)
    }

    /// `excerpt` of raw bytes (a field straight from a file, maybe not UTF-8).
    public static func excerpt(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 80) -> String {
        excerpt(bytes: Array(bytes.prefix(4 * limit)), totalCount: bytes.count, limit: limit)
    }

    private static func excerpt(bytes: [UInt8], totalCount: Int, limit: Int) -> String {
        var out = ""
        var usedBytes = 0
        var i = 0
        let hex = Array("0123456789abcdef".utf8)
        while i < bytes.count {
            let b = bytes[i]
            var piece: String
            var width = 1
            if b < 0x20 || b == 0x7F {
                piece = "\\x" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            } else if b < 0x80 {
                piece = String(UnicodeScalar(b))
            } else {
                width = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                if i + width <= bytes.count, let s = String(validating: bytes[i ..< i + width], as: UTF8.self) {
                    piece = s
                } else {
                    width = 1
                    piece = "\\x" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
                }
            }
            if out.utf8.count + piece.utf8.count > limit { break }
            out += piece
            usedBytes += width
            i += width
        }
        return usedBytes < totalCount ? out + " ... (\(totalCount) bytes)" : out
    }
}
