import Foundation
import RecVec

/// A JSON value as the client sent it: the body is decoded into this first, so that every
/// unknown field, wrong type and range error can name the field and the value it got.
indirect enum JSON: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Parses `bytes` (`JSONParser`); a body that is not JSON is a 400 naming the body and the offset.
    static func parse(_ bytes: some Collection<UInt8>) throws -> JSON {
        let array = Array(bytes)
        do {
            return try array.withUnsafeBufferPointer { try JSONParser.parse($0) }
        } catch let failure as JSONParser.Failure {
            let from = max(0, failure.offset - 20)
            let excerpt = String(decoding: array[from ..< min(array.count, failure.offset + 20)], as: UTF8.self)
            throw APIError(status: 400, code: "invalid_json", field: "body", value: excerpt,
                           message: "the body is not valid JSON: \(failure.reason) at byte \(failure.offset)")
        }
    }
}

/// Reads the fields of one JSON object, checking types and ranges and that no field is left
/// unread (`finish`): an unknown field is an error, not silently ignored.
struct FieldReader {
    let path: String
    private let fields: [String: JSON]
    private let allowed: [String]

    init(_ value: JSON, path: String, allowed: [String]) throws {
        guard case let .object(fields) = value else {
            throw APIError.wrongType(path.isEmpty ? "body" : path, value: value, expected: "a JSON object")
        }
        for key in fields.keys.sorted() where !allowed.contains(key) {
            throw APIError.unknownField(name(path, key), allowed: allowed)
        }
        self.path = path
        self.fields = fields
        self.allowed = allowed
    }

    func has(_ key: String) -> Bool { fields[key] != nil && fields[key] != .null }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = present(key) else { return nil }
        guard case let .number(n) = value, n == n.rounded(.towardZero), abs(n) < 1e15 else {
            throw APIError.wrongType(name(path, key), value: value, expected: "an integer")
        }
        guard range.contains(Int(n)) else {
            throw APIError.outOfRange(name(path, key), value: value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(n)
    }

    func float(_ key: String, in range: Range<Float>) throws -> Float? {
        guard let value = present(key) else { return nil }
        guard case let .number(n) = value else { throw APIError.wrongType(name(path, key), value: value, expected: "a number") }
        guard range.contains(Float(n)) else {
            throw APIError.outOfRange(name(path, key), value: value, expected: "a number in [\(range.lowerBound), \(range.upperBound))")
        }
        return Float(n)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard case let .bool(b) = value else { throw APIError.wrongType(name(path, key), value: value, expected: "true or false") }
        return b
    }

    func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(s) = value else { throw APIError.wrongType(name(path, key), value: value, expected: "a string") }
        guard !s.isEmpty else { throw APIError.outOfRange(name(path, key), value: value, expected: "a non-empty string") }
        return s
    }

    func strings(_ key: String, limit: Int) throws -> [String]? {
        guard let value = present(key) else { return nil }
        guard case let .array(items) = value else {
            throw APIError.wrongType(name(path, key), value: value, expected: "an array of strings")
        }
        guard items.count <= limit else { throw APIError.tooMany(name(path, key), count: items.count, limit: limit) }
        return try items.enumerated().map { i, item in
            guard case let .string(s) = item else {
                throw APIError.wrongType("\(name(path, key))[\(i)]", value: item, expected: "a string (an item id)")
            }
            guard !s.isEmpty else { throw APIError.outOfRange("\(name(path, key))[\(i)]", value: item, expected: "a non-empty item id") }
            return s
        }
    }

    func array(_ key: String) throws -> [JSON]? {
        guard let value = present(key) else { return nil }
        guard case let .array(items) = value else { throw APIError.wrongType(name(path, key), value: value, expected: "an array") }
        return items
    }

    private func present(_ key: String) -> JSON? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }
}

func name(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

/// One `POST /v1/recommend` request, checked.
struct RecommendRequest: Equatable {
    var query: UserQuery
    var k: Int
    var rules: RecommendRules
    var popularityPenalty: Float?
    var diversity: Float?
    var explain: Bool

    static let fields = ["history", "user", "k", "exclude_seen", "block", "allow", "max_per_category", "require",
                         "popularity_penalty", "diversity", "explain"]
    static let defaultK = 20

    init(_ value: JSON, path: String = "", limits: RequestLimits) throws {
        let r = try FieldReader(value, path: path, allowed: Self.fields)
        switch (r.has("history"), r.has("user")) {
        case (true, true):
            throw APIError(status: 400, code: "conflicting_fields", field: name(path, "user"),
                           message: "give either history or user, not both")
        case (false, false):
            throw APIError.missing(name(path, "history"), message: "give history (item ids, oldest first) or user (a known user id)")
        case (true, false):
            query = .history(try r.strings("history", limit: limits.maxHistoryItems)!)
        case (false, true):
            query = .user(try r.string("user")!)
        }
        k = try r.int("k", in: 1 ... limits.maxK) ?? Self.defaultK
        rules = RecommendRules()
        rules.excludeSeen = try r.bool("exclude_seen") ?? true
        rules.blocklist = Set(try r.strings("block", limit: limits.maxListItems) ?? [])
        rules.allowlist = try r.strings("allow", limit: limits.maxListItems).map(Set.init)
        rules.maxPerCategory = try r.int("max_per_category", in: 1 ... Int(Int32.max))
        rules.requiredAttributes = Set(try r.strings("require", limit: limits.maxListItems) ?? [])
        popularityPenalty = try r.float("popularity_penalty", in: 0 ..< 1e6)
        diversity = try r.float("diversity", in: 0 ..< 1)
        explain = try r.bool("explain") ?? false
    }
}

/// `POST /v1/recommend:batch`: `{"requests": [...]}`.
struct BatchRequest {
    var requests: [RecommendRequest]

    init(_ value: JSON, limits: RequestLimits) throws {
        let r = try FieldReader(value, path: "", allowed: ["requests"])
        guard let items = try r.array("requests") else { throw APIError.missing("requests", message: "give requests: an array of recommend requests") }
        guard !items.isEmpty else { throw APIError.outOfRange("requests", value: .array([]), expected: "at least one request") }
        guard items.count <= limits.maxBatchRequests else { throw APIError.tooMany("requests", count: items.count, limit: limits.maxBatchRequests) }
        requests = try items.enumerated().map { i, item in try RecommendRequest(item, path: "requests[\(i)]", limits: limits) }
    }
}

/// `POST /v1/admin/rollback`: `{}` or `{"to": "v000002"}`.
struct RollbackRequest {
    var to: String?

    init(_ value: JSON) throws {
        let r = try FieldReader(value, path: "", allowed: ["to"])
        to = try r.string("to")
    }
}

// MARK: responses

struct RecommendReply: Encodable {
    var version: String
    var ids: [String]
    var scores: [Float]
    var unknownItems: [String]
    var fallback: Bool
    var excludedAtRetrieval: Int
    var trace: [CandidateTrace]?

    enum CodingKeys: String, CodingKey {
        case version, ids, scores, unknownItems = "unknown_items", fallback, excludedAtRetrieval = "excluded_at_retrieval", trace
    }
}

struct BatchReply: Encodable {
    var version: String
    var responses: [RecommendReply]
}

struct SimilarReply: Encodable {
    var version: String
    var item: String
    var ids: [String]
    var scores: [Float]
}

struct VersionsReply: Encodable {
    var serving: String?
    var current: String?
    /// Versions rolled back by the triggers, not adopted again until a newer publish.
    var rejected: [String]
    var versions: [VersionSummary]
}

struct RollbackReply: Encodable {
    var from: String?
    var to: String
    var serving: String
}

struct ReloadReply: Encodable {
    var serving: String
    var switched: Bool
}

// MARK: encoding the hot replies

extension RecommendReply {
    /// The reply as JSON: the same document `JSONEncoder` writes (tested), written directly
    /// because the encoder costs more than the scoring. With a trace, `JSONEncoder` writes it.
    func json() throws -> [UInt8] {
        if trace != nil { return Array(try JSONEncoder().encode(self)) }
        var out: [UInt8] = []
        out.reserveCapacity(64 + ids.count * 32)
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        out += Array(#"{"version":"#.utf8)
        JSONWriter.string(version, into: &out)
        out += Array(#","ids":["#.utf8)
        for (i, id) in ids.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.string(id, into: &out)
        }
        out += Array(#"],"scores":["#.utf8)
        for (i, score) in scores.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array((score.isFinite ? score.description : "null").utf8)
        }
        out += Array(#"],"unknown_items":["#.utf8)
        for (i, id) in unknownItems.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.string(id, into: &out)
        }
        out += Array(#"],"fallback":"#.utf8)
        out += Array((fallback ? "true" : "false").utf8)
        out += Array(#","excluded_at_retrieval":"#.utf8)
        out += Array(String(excludedAtRetrieval).utf8)
        out.append(UInt8(ascii: "}"))
    }
}

extension BatchReply {
    func json() throws -> [UInt8] {
        if responses.contains(where: { $0.trace != nil }) { return Array(try JSONEncoder().encode(self)) }
        var out: [UInt8] = Array(#"{"version":"#.utf8)
        JSONWriter.string(version, into: &out)
        out += Array(#","responses":["#.utf8)
        for (i, reply) in responses.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            reply.write(into: &out)
        }
        out += Array("]}".utf8)
        return out
    }
}

enum JSONWriter {
    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0 ..< 0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
