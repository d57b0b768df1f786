import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file RecVec wrote (vectors `.rvv`, an HNSW index, a corpus or count shard, a store's files)
/// that cannot be read back as written, or a system call on such a file that failed. One type for
/// every binary format and for the durable-write layer (`DurableIO`, `MappedFile`), so a caller
/// handles a bad magic, a newer version, a short file or a checksum mismatch the same way whatever
/// the file. Each case names the file, the field or byte count, the value found and what was
/// expected. Errors about what a file means rather than how it is laid out stay with their domain
/// (`StoreError`, `IndexError`, `DataError`).
public enum FileFormatError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file does not start with the magic of its kind (`found`: the first bytes, printable).
    case badMagic(file: String, expected: String, found: String)
    /// The header's format version is one this build does not read.
    case unsupportedVersion(file: String, found: UInt32, supported: UInt32)
    /// The header's element type is not the one the format holds.
    case unsupportedDType(file: String, found: String, expected: String)
    /// The file is shorter (or longer) than its header says.
    case truncated(file: String, expectedBytes: Int, foundBytes: Int)
    /// The checksum stored in (or recorded for) the file differs from the one computed over it.
    case checksumMismatch(file: String, expected: UInt64, found: UInt64)
    /// A header or section field holds a value no writer produces.
    case corrupt(file: String, field: String, value: String, expected: String)
    /// A system call on the file (or folder) failed.
    case io(file: String, operation: String, errno: Int32)

    /// The file the error is about.
    public var file: String {
        switch self {
        case let .badMagic(file, _, _), let .unsupportedVersion(file, _, _), let .unsupportedDType(file, _, _),
             let .truncated(file, _, _), let .checksumMismatch(file, _, _), let .corrupt(file, _, _, _), let .io(file, _, _):
            return file
        }
    }

    /// One line naming the file, what was found and what was expected (offset or field where known).
    public var description: String {
        switch self {
        case let .badMagic(file, expected, found):
            return "\(file): wrong magic \(found) (expected \(expected)); not a file of this kind"
        case let .unsupportedVersion(file, found, supported):
            return "\(file): format version \(found) is not supported (this build reads \(supported))"
        case let .unsupportedDType(file, found, expected):
            return "\(file): dtype \(found) is not supported (expected \(expected))"
        case let .truncated(file, expectedBytes, foundBytes):
            return "\(file) has \(foundBytes) bytes, its header implies \(expectedBytes) (truncated or corrupt)"
        case let .checksumMismatch(file, expected, found):
            return "\(file): checksum mismatch, expected \(checksumHex(expected)) found \(checksumHex(found)) (file corrupt)"
        case let .corrupt(file, field, value, expected):
            return "\(file): corrupt: \(field) is \(value), expected \(expected)"
        case let .io(file, operation, errno):
            return "\(operation) \(file) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}

extension FileFormatError: LocalizedError {
    /// The same line as `description`, for `LocalizedError` users.
    public var errorDescription: String? { description }
}

/// A checksum as 16 hex digits.
func checksumHex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
