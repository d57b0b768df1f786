import Foundation
/// A failure of an index or its file. The message names the file (or argument), the value found
/// and what was expected. Bad search arguments (k, efSearch, threads, NaN) are `KernelError`s,
/// as for every kernel.
public enum IndexError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file does not start with the index magic.
    case wrongMagic(file: String, found: [UInt8])
    case unsupportedVersion(file: String, version: UInt32, supported: UInt32)
    /// The file is shorter than its header says it must be.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// The checksum stored in the file differs from the one computed over its contents.
    case checksumMismatch(file: String, expected: UInt64, found: UInt64)
    /// A query, row batch or filter whose size does not match the index.
    case dimensionMismatch(name: String, expected: Int, found: Int)
    /// The header or section table holds values no writer produces.
    case corrupt(file: String, reason: String)
    /// A system call on the file failed.
    case io(file: String, operation: String, errno: Int32)
    /// A search on an index without vectors.
    case emptyIndex

    public var description: String {
        switch self {
        case let .wrongMagic(file, found):
            let bytes = found.map { String($0, radix: 16) }.joined(separator: " ")
            return "\(file): not an HNSW index (magic bytes \(bytes), expected \"RVHNSW\")"
        case let .unsupportedVersion(file, version, supported):
            return "\(file): format version \(version) is not supported (this build reads version \(supported))"
        case let .truncated(file, expected, actual):
            return "\(file): truncated: \(actual) bytes, the header says \(expected)"
        case let .checksumMismatch(file, expected, found):
            return "\(file): checksum mismatch: stored \(hex(expected)), computed \(hex(found)) (the file is corrupt)"
        case let .dimensionMismatch(name, expected, found):
            return "\(name) has dimension \(found), expected \(expected)"
        case let .corrupt(file, reason):
            return "\(file): corrupt index: \(reason)"
        case let .io(file, operation, errno):
            return "\(file): \(operation) failed (errno \(errno))"
        case .emptyIndex:
            return "the index is empty: add vectors before searching"
        }
    }
}

private func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

extension IndexError: LocalizedError {
    public var errorDescription: String? { description }
}
