/// Finds the top-level keys and values of one JSON object in a line, in place: the loader reads
/// JSON Lines without building a dictionary per line. Strings keep their escapes until
/// `unescape`; nested objects and arrays are skipped whole.
struct JSONObjectScanner {
    enum Kind { case string, escapedString, number, other }
    struct Field {
        var keyStart: Int, keyEnd: Int
        var valueStart: Int, valueEnd: Int
        var kind: Kind
    }

    var fields: [Field] = []

    /// Scans `b`; false when it is not exactly one JSON object (surrounding blanks allowed).
    mutating func scan(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        fields.removeAll(keepingCapacity: true)
        let n = b.count
        var i = 0
        func skipBlanks() { while i < n && (b[i] == 32 || b[i] == 9 || b[i] == 13 || b[i] == 10) { i += 1 } }
        /// A string starting at the quote at i: its content range and whether it has escapes.
        func string() -> (Int, Int, Bool)? {
            i += 1
            let start = i
            var escaped = false
            while i < n {
                if b[i] == 92 { escaped = true; i += 2; continue } // backslash
                if b[i] == 34 { i += 1; return (start, i - 1, escaped) }
                if b[i] < 0x20 { return nil }
                i += 1
            }
            return nil
        }
        skipBlanks()
        guard i < n, b[i] == 123 else { return false } // {
        i += 1
        skipBlanks()
        if i < n && b[i] == 125 { i += 1; skipBlanks(); return i == n }
        while true {
            guard i < n, b[i] == 34, let (ks, ke, _) = string() else { return false }
            skipBlanks()
            guard i < n, b[i] == 58 else { return false } // :
            i += 1
            skipBlanks()
            guard i < n else { return false }
            var field = Field(keyStart: ks, keyEnd: ke, valueStart: i, valueEnd: i, kind: .other)
            switch b[i] {
            case 34:
                guard let (vs, ve, escaped) = string() else { return false }
                (field.valueStart, field.valueEnd, field.kind) = (vs, ve, escaped ? .escapedString : .string)
            case 45, 48 ... 57: // - or digit
                while i < n, b[i] == 45 || b[i] == 43 || b[i] == 46 || b[i] == 69 || b[i] == 101 || (b[i] >= 48 && b[i] <= 57) { i += 1 }
                (field.valueEnd, field.kind) = (i, .number)
            case 123, 91: // nested { or [
                var depth = 0
                while i < n {
                    switch b[i] {
                    case 34: guard string() != nil else { return false }; continue
                    case 123, 91: depth += 1
                    case 125, 93: depth -= 1
                    default: break
                    }
                    i += 1
                    if depth == 0 { break }
                }
                guard depth == 0 else { return false }
                field.valueEnd = i
            default: // true, false, null
                while i < n, b[i] >= 97, b[i] <= 122 { i += 1 }
                guard i > field.valueStart else { return false }
                field.valueEnd = i
            }
            fields.append(field)
            skipBlanks()
            guard i < n else { return false }
            if b[i] == 44 { i += 1; skipBlanks(); continue } // ,
            guard b[i] == 125 else { return false } // }
            i += 1
            skipBlanks()
            return i == n
        }
    }

    /// The keys of the last scanned line, as text.
    func keys(in line: UnsafeBufferPointer<UInt8>) -> [String] {
        fields.map { String(decoding: UnsafeBufferPointer(rebasing: line[$0.keyStart ..< $0.keyEnd]), as: UTF8.self) }
    }

    /// Writes the unescaped content of a JSON string (without its quotes) to `out`, which holds
    /// at least `raw.count` bytes; returns the length, or nil for a bad escape.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int? {
        var i = 0, o = 0
        let n = raw.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for k in at ..< at + 4 {
                let c = raw[k]
                let d: UInt8
                switch c {
                case 48 ... 57: d = c - 48
                case 65 ... 70: d = c - 55
                case 97 ... 102: d = c - 87
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < n {
            let c = raw[i]
            guard c == 92 else { out[o] = c; o += 1; i += 1; continue }
            guard i + 1 < n else { return nil }
            switch raw[i + 1] {
            case 34: out[o] = 34
            case 92: out[o] = 92
            case 47: out[o] = 47
            case 98: out[o] = 8
            case 102: out[o] = 12
            case 110: out[o] = 10
            case 114: out[o] = 13
            case 116: out[o] = 9
            case 117: // \uXXXX, maybe a surrogate pair
                guard var scalar = hex4(i + 2) else { return nil }
                i += 6
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < n, raw[i] == 92, raw[i + 1] == 117, let low = hex4(i + 2), low >= 0xDC00, low < 0xE000 else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let u = Unicode.Scalar(scalar) else { return nil }
                for byte in UTF8.encode(u)! { out[o] = byte; o += 1 } // at most 4 bytes for 6 or 12 read
                continue
            default: return nil
            }
            o += 1
            i += 2
        }
        return o
    }
}

/// Scratch memory for unescaped strings, one buffer per slot, kept across lines.
final class ScratchBuffers {
    private var buffers: [UnsafeMutablePointer<UInt8>]
    private var capacities: [Int]

    init(slots: Int) {
        buffers = (0 ..< slots).map { _ in UnsafeMutablePointer<UInt8>.allocate(capacity: 64) }
        capacities = Array(repeating: 64, count: slots)
    }

    deinit { for b in buffers { b.deallocate() } }

    /// Slot `slot`, holding at least `count` bytes (contents not kept when it grows).
    func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<UInt8> {
        if capacities[slot] < count {
            buffers[slot].deallocate()
            capacities[slot] = max(count, capacities[slot] * 2)
            buffers[slot] = UnsafeMutablePointer<UInt8>.allocate(capacity: capacities[slot])
        }
        return buffers[slot]
    }
}
