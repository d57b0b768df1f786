import Foundation

/// A request the service refuses, answered as
/// `{"error": {"status": 400, "code": "out_of_range", "field": "k", "value": "0", "message": "..."}}`.
/// Every 4xx names the field (as a JSON path: `requests[2].history[0]`) and the value it got.
public struct APIError: Error, Equatable, Sendable {
    public var status: Int
    public var code: String
    public var field: String?
    public var value: String?
    public var message: String

    public init(status: Int, code: String, field: String? = nil, value: String? = nil, message: String) {
        self.status = status
        self.code = code
        self.field = field
        self.value = value.map(APIError.quoted)
        self.message = message
    }

    static func unknownField(_ field: String, allowed: [String]) -> APIError {
        APIError(status: 400, code: "unknown_field", field: field, value: nil,
                 message: "unknown field \(field) (expected one of \(allowed.joined(separator: ", ")))")
    }

    static func wrongType(_ field: String, value: JSON, expected: String) -> APIError {
        let shown = describe(value)
        return APIError(status: 400, code: "wrong_type", field: field, value: shown, message: "\(field) is \(shown), expected \(expected)")
    }

    static func outOfRange(_ field: String, value: JSON, expected: String) -> APIError {
        let shown = describe(value)
        return APIError(status: 400, code: "out_of_range", field: field, value: shown, message: "\(field) is \(shown), expected \(expected)")
    }

    static func missing(_ field: String, message: String) -> APIError {
        APIError(status: 400, code: "missing_field", field: field, message: message)
    }

    static func tooMany(_ field: String, count: Int, limit: Int) -> APIError {
        APIError(status: 400, code: "too_many_items", field: field, value: "\(count) items",
                 message: "\(field) has \(count) items, at most \(limit) are accepted")
    }

    static func bodyTooLarge(bytes: Int?, limit: Int) -> APIError {
        APIError(status: 413, code: "body_too_large", field: "body", value: bytes.map { "\($0) bytes" } ?? "more than \(limit) bytes",
                 message: "the request body is larger than \(limit) bytes")
    }

    /// A JSON value as the client sent it, shortened so an error never echoes a huge input.
    static func describe(_ value: JSON) -> String {
        switch value {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .number(n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case let .string(s): return "\"\(s)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// At most 120 characters of `text`, with control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(120) {
            if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return text.unicodeScalars.count > 120 ? out + "... (\(text.utf8.count) bytes)" : out
    }

    /// The JSON body.
    var body: ErrorBody { ErrorBody(error: self) }
}

struct ErrorBody: Encodable {
    var error: APIError
}

extension APIError: Encodable {
    enum CodingKeys: String, CodingKey { case status, code, field, value, message }
}
