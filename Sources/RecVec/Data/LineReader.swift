import Foundation

/// Reads a text file in chunks and hands out its lines as byte buffers (without the line
/// break), so memory stays at one chunk plus one partial line whatever the file size.
struct LineReader {
    let url: URL
    var chunkSize = 1 << 20

    /// The file's size in bytes.
    func size() throws(DataError) -> Int {
        do { return (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0 } catch {
            throw .unreadable(file: url.path, reason: Self.reason(error))
        }
    }

    static func reason(_ error: Error) -> String {
        ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription
    }

    /// Calls `body(line, lineNumber)` for every line, numbered from 1; a final line without a
    /// line break counts; a trailing "\r" is removed.
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws(DataError) -> Void) throws(DataError) {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch { throw .unreadable(file: url.path, reason: Self.reason(error)) }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var lineNumber = 0
        func emit(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(DataError) {
            lineNumber += 1
            var stop = end
            if stop > start && buffer[stop - 1] == 13 { stop -= 1 }
            try body(UnsafeBufferPointer(rebasing: buffer[start ..< stop]), lineNumber)
        }
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: chunkSize) } catch { throw .unreadable(file: url.path, reason: Self.reason(error)) }
            guard let chunk, !chunk.isEmpty else { break }
            pending.append(contentsOf: chunk)
            let consumed = try pending.withUnsafeBufferPointer { (buffer) throws(DataError) -> Int in
                var start = 0
                let base = buffer.baseAddress!
                while start < buffer.count, let hit = memchr(base + start, 10, buffer.count - start) {
                    let end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    try emit(buffer, start, end)
                    start = end + 1
                }
                return start
            }
            pending.removeFirst(consumed)
        }
        if !pending.isEmpty {
            try pending.withUnsafeBufferPointer { (buffer) throws(DataError) in try emit(buffer, 0, buffer.count) }
        }
    }
}

/// The fields of one delimited line: quoted fields ("a, b") lose their quotes; a doubled quote
/// inside stands for one quote. Unquoted fields are trimmed of spaces (and tabs when the
/// delimiter is not a tab).
struct FieldSplitter {
    let delimiter: UInt8
    /// Start and end of each field found, and whether it holds doubled quotes to undo.
    var ranges: [(start: Int, end: Int, escaped: Bool)] = []

    init(delimiter: UInt8) { self.delimiter = delimiter }

    /// Splits `line` into at most `limit` fields (all of them when `limit` is nil).
    mutating func split(_ line: UnsafeBufferPointer<UInt8>, limit: Int? = nil) {
        ranges.removeAll(keepingCapacity: true)
        let n = line.count
        var pos = 0
        while ranges.count < (limit ?? Int.max) {
            var start = pos
            while start < n && isBlank(line[start]) { start += 1 }
            if start < n && line[start] == 34 { // '"'
                var j = start + 1, escaped = false
                while j < n {
                    if line[j] == 34 {
                        if j + 1 < n && line[j + 1] == 34 { escaped = true; j += 2; continue }
                        break
                    }
                    j += 1
                }
                ranges.append((start + 1, min(j, n), escaped))
                var next = j + 1
                while next < n && line[next] != delimiter { next += 1 }
                if next >= n { return }
                pos = next + 1
            } else {
                var end = start
                while end < n && line[end] != delimiter { end += 1 }
                var trimmed = end
                while trimmed > start && isBlank(line[trimmed - 1]) { trimmed -= 1 }
                ranges.append((start, trimmed, false))
                if end >= n { return }
                pos = end + 1
            }
        }
    }

    private func isBlank(_ b: UInt8) -> Bool { b == 32 || (b == 9 && delimiter != 9) }

    /// Field `i` as bytes (only valid while `line` is).
    func bytes(_ i: Int, in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: line[ranges[i].start ..< ranges[i].end])
    }

    /// Field `i` as a string, with doubled quotes undone.
    func string(_ i: Int, in line: UnsafeBufferPointer<UInt8>) -> String {
        let s = String(decoding: bytes(i, in: line), as: UTF8.self)
        return ranges[i].escaped ? s.replacingOccurrences(of: "\"\"", with: "\"") : s
    }
}
