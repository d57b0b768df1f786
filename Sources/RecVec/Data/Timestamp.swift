/// Parses timestamps without building strings: epoch seconds ("881200000", "1260759144.5": the
/// fraction is dropped) or ISO 8601 ("2020-01-02", "2020-01-02T03:04:05Z",
/// "2020-01-02 03:04:05.250+02:00"; no zone means UTC).
public enum Timestamp {
    /// Epoch seconds of `text`, or nil when it is neither form.
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !b.isEmpty else { return nil }
        if let seconds = epochSeconds(b) { return seconds }
        return iso8601(b)
    }

    /// Epoch seconds of `b`, with epoch numbers counted in `unit`; a nil `unit` is set by the
    /// first epoch number seen (at least 1e11 in magnitude: milliseconds, else seconds).
    static func parse(_ b: UnsafeBufferPointer<UInt8>, unit: inout EpochUnit?) -> Int64? {
        guard !b.isEmpty else { return nil }
        if let value = epochSeconds(b) {
            if unit == nil { unit = value.magnitude >= 100_000_000_000 ? .milliseconds : .seconds }
            if unit == .milliseconds {
                let (q, r) = value.quotientAndRemainder(dividingBy: 1000)
                return r < 0 ? q - 1 : q
            }
            return value
        }
        return iso8601(b)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    private static func epochSeconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0, negative = false
        if b[0] == 45 || b[0] == 43 { negative = b[0] == 45; i = 1 }
        let digitsStart = i
        var value: Int64 = 0
        while i < b.count && isDigit(b[i]) {
            guard i - digitsStart < 18 else { return nil }
            value = value * 10 + Int64(b[i] - 48)
            i += 1
        }
        guard i > digitsStart else { return nil }
        if i < b.count && b[i] == 46 { // '.' fraction
            i += 1
            let fractionStart = i
            while i < b.count && isDigit(b[i]) { i += 1 }
            guard i > fractionStart else { return nil }
            if negative && b[fractionStart ..< i].contains(where: { $0 != 48 }) { value += 1 } // floor
        }
        guard i == b.count else { return nil }
        return negative ? -value : value
    }

    /// `count` digits at `at` as a number.
    private static func number(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ count: Int) -> Int? {
        guard at + count <= b.count else { return nil }
        var v = 0
        for k in at ..< at + count {
            guard isDigit(b[k]) else { return nil }
            v = v * 10 + Int(b[k] - 48)
        }
        return v
    }

    private static func iso8601(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count >= 10, let year = number(b, 0, 4), b[4] == 45, let month = number(b, 5, 2), b[7] == 45,
              let day = number(b, 8, 2), (1 ... 12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86400
        guard b.count > 10 else { return seconds }
        guard b[10] == 84 || b[10] == 32, let hour = number(b, 11, 2), hour < 24, b.count > 13, b[13] == 58,
              let minute = number(b, 14, 2), minute < 60 else { return nil }
        seconds += Int64(hour * 3600 + minute * 60)
        var i = 16
        if i < b.count && b[i] == 58 {
            guard let second = number(b, i + 1, 2), second <= 60 else { return nil }
            seconds += Int64(second)
            i += 3
            if i < b.count && (b[i] == 46 || b[i] == 44) { // fraction: dropped
                i += 1
                let start = i
                while i < b.count && isDigit(b[i]) { i += 1 }
                guard i > start else { return nil }
            }
        }
        guard i < b.count else { return seconds }
        if b[i] == 90 { return i + 1 == b.count ? seconds : nil } // 'Z'
        guard b[i] == 43 || b[i] == 45, let offsetHours = number(b, i + 1, 2), offsetHours <= 23 else { return nil }
        var offsetMinutes = 0
        var j = i + 3
        if j < b.count && b[j] == 58 { j += 1 }
        if j < b.count {
            guard let m = number(b, j, 2), m < 60, j + 2 == b.count else { return nil }
            offsetMinutes = m
        }
        let offset = Int64(offsetHours * 3600 + offsetMinutes * 60)
        return b[i] == 43 ? seconds - offset : seconds + offset
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
