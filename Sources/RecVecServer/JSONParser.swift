import Foundation

/// A strict RFC 8259 parser into `JSON`, with a nesting limit, so that no body can exhaust the
/// stack, and byte offsets in its errors. (Foundation's decoder would do, but it tells a bool from
/// a number only through thrown errors per value, which cost more than the scoring.)
struct JSONParser {
    static let maxDepth = 32

    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> JSON {
        var parser = JSONParser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == bytes.count else { throw Failure(offset: parser.i, reason: "unexpected data after the value") }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private func fail(_ reason: String) -> Failure { Failure(offset: i, reason: reason) }

    private mutating func value(depth: Int) throws -> JSON {
        guard i < bytes.count else { throw fail("unexpected end of the body") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth)") }
            i += 1
            var fields: [String: JSON] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a field name in quotes") }
                let keyStart = i
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected : after field \(key)") }
                i += 1
                skipSpace()
                guard fields[key] == nil else { throw Failure(offset: keyStart, reason: "field \(key) appears twice") }
                fields[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of the body") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected , or } in an object") }
                i += 1
                return .object(fields)
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth)") }
            i += 1
            var items: [JSON] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of the body") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected , or ] in an array") }
                i += 1
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count, memcmp(bytes.baseAddress! + i, word.utf8Start, n) == 0 else { throw fail("expected \(word)") }
        i += n
    }

    private mutating func number() throws -> Double {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - s
        }
        let whole = digits()
        guard whole > 0 else { i = start; throw fail("expected a value") }
        guard whole == 1 || bytes[i - whole] != 0x30 else { throw Failure(offset: start, reason: "a number has a leading zero") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw fail("expected digits after the decimal point") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("expected digits in the exponent") }
        }
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< i]), as: UTF8.self)), value.isFinite else {
            throw Failure(offset: start, reason: "number out of range")
        }
        return value
    }

    /// A string starting at the opening quote; escapes decoded, invalid UTF-8 refused.
    private mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            let raw = UnsafeBufferPointer(rebasing: bytes[start ..< i])
            i += 1
            guard let text = String(validating: raw, as: UTF8.self) else { throw Failure(offset: start, reason: "a string is not valid UTF-8") }
            return text
        }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start ..< i]))
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            guard c >= 0x20 else { throw fail("a control character in a string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800 ..< 0xDC00).contains(scalar) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { throw fail("an unpaired surrogate") }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("an unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("an unpaired surrogate") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("an unknown escape")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw Failure(offset: start, reason: "a string is not valid UTF-8") }
        return text
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("a short \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30 ... 0x39: d = UInt32(c - 0x30)
            case 0x41 ... 0x46: d = UInt32(c - 0x41 + 10)
            case 0x61 ... 0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("a bad \\u escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
