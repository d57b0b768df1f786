import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a store or a version cannot be used. Every case names the file (or store directory) and
/// says what was found and what was expected. A file that cannot be read back as written (magic,
/// version, dtype, size, checksum) or a failed system call is a `FileFormatError`.
public enum StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The directory exists but is not an embedding store (no `STORE` marker), or is not a directory.
    case notAStore(path: String, reason: String)
    /// The store holds no published version yet.
    case noCurrentVersion(store: String)
    case versionNotFound(name: String, available: [String])
    case fileMissing(file: String)
    /// The index was built from other vectors than the ones beside it.
    case indexMismatch(file: String, indexVectorsChecksum: UInt64, vectorsChecksum: UInt64)
    case dimensionMismatch(file: String, expected: Int, found: Int)
    case countMismatch(file: String, expected: Int, found: Int)
    /// A malformed line of an ids, catalog or history file (1-based line number).
    case invalidLine(file: String, line: Int, reason: String)
    case corruptManifest(file: String, reason: String)
    case invalidInput(file: String, reason: String)
    case rollbackUnavailable(reason: String)
    /// CURRENT holds no version name; `lastServed` is the last version HISTORY records.
    case garbledCurrent(file: String, found: String, lastServed: String?)
    /// The publish gate kept the current version; `reasons` says which checks failed.
    case gateRefused(candidate: String, reasons: [String])

    /// One sentence naming the file (or store) and what was found and expected.
    public var description: String {
        switch self {
        case let .notAStore(path, reason):
            return "\(path) is not a recvec store: \(reason)"
        case let .noCurrentVersion(store):
            return "store \(store) has no published version yet (run `recvec publish` first)"
        case let .versionNotFound(name, available):
            return "no version named \(name) (available: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .fileMissing(file):
            return "\(file) is missing"
        case let .indexMismatch(file, indexVectorsChecksum, vectorsChecksum):
            return "\(file) was built from vectors with checksum \(checksumHex(indexVectorsChecksum)), but the vectors file has \(checksumHex(vectorsChecksum))"
        case let .dimensionMismatch(file, expected, found):
            return "\(file): dimension \(found), expected \(expected)"
        case let .countMismatch(file, expected, found):
            return "\(file): \(found) entries, expected \(expected)"
        case let .invalidLine(file, line, reason):
            return "\(file):\(line): \(reason)"
        case let .corruptManifest(file, reason):
            return "\(file): unreadable manifest: \(reason)"
        case let .invalidInput(file, reason):
            return "\(file): \(reason)"
        case let .garbledCurrent(file, found, lastServed):
            return "\(file) holds \(found), not a version name; repair it with `recvec rollback --store STORE --to VERSION`"
                + (lastServed.map { " (HISTORY's last served version: \($0))" } ?? "")
        case let .rollbackUnavailable(reason):
            return "cannot roll back: \(reason)"
        case let .gateRefused(candidate, reasons):
            return "publish gate refused \(candidate); the current version keeps serving:\n  " + reasons.joined(separator: "\n  ")
        }
    }
}

extension StoreError: LocalizedError {
    /// The same sentence as `description`.
    public var errorDescription: String? { description }
}
