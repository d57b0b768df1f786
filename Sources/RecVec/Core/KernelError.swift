import Foundation

/// An argument a kernel cannot work with. The message names the argument, the value and
/// what was expected.
public enum KernelError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidArgument(name: String, value: String, expected: String)
    case sizeMismatch(name: String, expected: Int, found: Int)
    case outOfRange(name: String, index: Int, value: Int, count: Int)
    case nonFinite(name: String, index: Int, value: Float)
    case unsupportedSIMD(SIMDLevel)
    case outOfMemory(kernel: String)
    case kernelStatus(kernel: String, status: Int32)

    /// One sentence naming the argument, the value found and what was expected.
    public var description: String {
        switch self {
        case let .invalidArgument(name, value, expected):
            return "invalid \(name): \(value) (expected \(expected))"
        case let .sizeMismatch(name, expected, found):
            return "\(name) has \(found) elements, expected \(expected)"
        case let .outOfRange(name, index, value, count):
            return "\(name)[\(index)] = \(value) is out of range (expected 0 ..< \(count))"
        case let .nonFinite(name, index, value):
            return "\(name)[\(index)] = \(value) is not finite"
        case let .unsupportedSIMD(level):
            return "this CPU does not support SIMD level \(level.rawValue)"
        case let .outOfMemory(kernel):
            return "\(kernel): out of memory"
        case let .kernelStatus(kernel, status):
            return "\(kernel) failed with status \(status)"
        }
    }
}

// Every public error type of RecVec is `LocalizedError` (one conformance per type, beside its
// declaration), so `error.localizedDescription` is the same sentence as `description` instead of
// "The operation could not be completed. (RecVec.StoreError error 2.)". A test checks each type.
extension KernelError: LocalizedError {
    /// The same sentence as `description`.
    public var errorDescription: String? { description }
}
