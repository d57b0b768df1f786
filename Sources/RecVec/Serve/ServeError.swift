import Foundation
/// Why a request cannot be answered. Messages name the argument or id and what was expected.
public enum ServeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An argument out of range: its name, the value given and what was expected.
    case invalidArgument(name: String, value: String, expected: String)
    /// An item id the version has no vector for.
    case unknownItem(id: String, version: String)
    /// A user id with no known history.
    case unknownUser(id: String)
    /// A history with no item.
    case emptyHistory
    /// A score that is not finite (a version whose rows overflow float32 scores).
    case nonFiniteScore(item: String, version: String, score: Float)
    /// No item of the history is in the version, and the version stores no training counts to
    /// fall back to (published before `popularity.rvv` existed, or without counts).
    case noFallback(version: String, unknownItems: [String])

    /// One sentence naming the argument or id and what was expected.
    public var description: String {
        switch self {
        case let .invalidArgument(name, value, expected):
            return "invalid \(name): \(value) (expected \(expected))"
        case let .unknownItem(id, version):
            return "unknown item id \(id): version \(version) has no vector for it"
        case let .unknownUser(id):
            return "unknown user id \(id): no history for this user"
        case let .nonFiniteScore(item, version, score):
            return "item \(item) of version \(version) scored \(score): its vector overflows float32 scores (republish with smaller vectors)"
        case .emptyHistory:
            return "the user's history is empty: nothing to build a user vector from, and the version stores no popularity counts to fall back to"
        case let .noFallback(version, unknownItems):
            return "no item of the history is in version \(version) (unknown: \(unknownItems.prefix(5).joined(separator: ", "))\(unknownItems.count > 5 ? ", ..." : "")), "
                + "and the version stores no popularity counts to fall back to (republish it with training counts)"
        }
    }
}

extension ServeError: LocalizedError {
    /// The same sentence as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
