/// Where in a content file a value sits: a text line (1-based) or a `.npy` row (0-based).
public enum FilePosition: Equatable, Sendable, CustomStringConvertible {
    case line(Int)
    case row(Int)

    public var description: String {
        switch self {
        case let .line(n): return "line \(n)"
        case let .row(n): return "row \(n)"
        }
    }
}

/// Why data could not be loaded, generated or split. Every message names the file (and line
/// when there is one), the offending value and what was expected.
public enum DataError: Error, Equatable, CustomStringConvertible, Sendable {
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

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read (\(reason))"
        case let .emptyFile(file):
            return "\(file): file is empty (expected a header or at least one data line)"
        case let .missingColumn(file, column, header):
            return "\(file): no column named '\(column)' (header has: \(header.joined(separator: ", ")))"
        case let .tooFewFields(file, line, found, expected):
            return "\(file):\(line): \(found) fields, expected at least \(expected)"
        case let .badValue(file, line, column, value, expected):
            return "\(file):\(line): column '\(column)' has '\(value)' (expected \(expected))"
        case let .noEvents(file, skipped):
            return "\(file): no events left (skipped \(skipped) bad lines)"
        case let .duplicateID(id, first, second):
            return "id '\(id)' appears twice (positions \(first) and \(second))"
        case let .badNPY(file, reason):
            return "\(file): not a readable .npy file (\(reason))"
        case let .missingItems(file, count, examples):
            return "\(file): \(count) items have no vector (first: \(examples.joined(separator: ", ")))"
        case let .wrongDimension(file, position, item, found, expected):
            return "\(file): \(position) (item '\(item)') has \(found) values, expected \(expected)"
        case let .nonFiniteContent(file, position, item, value):
            return "\(file): \(position) (item '\(item)') has value '\(value)' (expected a finite number)"
        case let .invalidArgument(name, value, expected):
            return "invalid \(name): \(value) (expected \(expected))"
        }
    }
}
