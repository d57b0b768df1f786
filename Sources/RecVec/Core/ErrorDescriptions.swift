import Foundation

// Every public error type of RecVec is `LocalizedError` (one conformance per type, here), so
// `error.localizedDescription` is the same sentence as `description` (file, line, column, value,
// what was expected) instead of "The operation could not be completed. (RecVec.StoreError error 2.)".
// DataError declares its own, beside its messages. A test checks each type.

extension KernelError: LocalizedError {
    public var errorDescription: String? { description }
}

extension LinalgError: LocalizedError {
    public var errorDescription: String? { description }
}

extension IndexError: LocalizedError {
    public var errorDescription: String? { description }
}

extension StoreError: LocalizedError {
    public var errorDescription: String? { description }
}

extension ServeError: LocalizedError {
    public var errorDescription: String? { description }
}
