import Foundation
/// A failure of an index that is not about its file: a file that cannot be read back as written
/// is a `FileFormatError`, and bad search arguments (k, efSearch, threads, NaN) are `KernelError`s,
/// as for every kernel. The message names the argument, the value found and what was expected.
public enum IndexError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A query, row batch or filter whose size does not match the index.
    case dimensionMismatch(name: String, expected: Int, found: Int)
    /// A search on an index without vectors.
    case emptyIndex

    /// The sentence the CLI prints: what was wrong, the value found and what was expected.
    public var description: String {
        switch self {
        case let .dimensionMismatch(name, expected, found):
            return "\(name) has dimension \(found), expected \(expected)"
        case .emptyIndex:
            return "the index is empty: add vectors before searching"
        }
    }
}

extension IndexError: LocalizedError {
    /// The same sentence as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
