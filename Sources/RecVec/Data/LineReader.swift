#if canImport(Glibc)
import Glibc
#endif
import CZlib
import Foundation

/// The one reader of text inputs (events, content CSV, catalogs, histories, id lists): reads a
/// file in chunks and hands out its lines as byte buffers, so memory stays at one chunk plus the
/// longest line whatever the file size.
///
/// - Line breaks: "\n" or "\r\n" (the "\r" is removed); a final line without a break counts.
/// - A UTF-8 byte order mark at the start of the file is skipped.
/// - A gzip file (magic 1f 8b, whatever its name) is decompressed on the fly through zlib.
struct LineReader {
    let url: URL
    var chunkSize = 1 << 20
    /// The longest line read; a longer one is an error (memory would otherwise grow with it).
    var maxLineBytes = 64 << 20

    init(url: URL, chunkSize: Int = 1 << 20) {
        self.url = url
        self.chunkSize = chunkSize
    }

    /// The file's size in bytes (compressed size for a gzip file).
    func size() throws(DataError) -> Int {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw .unreadable(file: url.path, reason: String(cString: strerror(errno))) }
        return Int(info.st_size)
    }

    /// Whether the file starts with the gzip magic bytes.
    static func isGzip(_ url: URL) -> Bool {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        return withUnsafeMutableBytes(of: &magic) { read(fd, $0.baseAddress, 2) } == 2 && magic == (0x1F, 0x8B)
    }

    /// The first line of the file (BOM and "\r" removed), at most `limit` bytes of it; nil for an
    /// empty file. Format detection looks at it.
    func firstLine(limit: Int = 1 << 16) throws(DataError) -> [UInt8]? {
        var source = try ByteSource(url: url)
        defer { source.close() }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: limit)
        defer { bytes.deallocate() }
        var filled = 0
        while filled < limit {
            let n = try source.read(into: bytes + filled, count: limit - filled)
            if n == 0 { break }
            filled += n
            if memchr(bytes + filled - n, 10, n) != nil { break }
        }
        guard filled > 0 else { return nil }
        var line = Array(UnsafeBufferPointer(start: bytes, count: filled))
        if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        if let newline = line.firstIndex(of: 10) { line.removeSubrange(newline...) }
        if line.last == 13 { line.removeLast() }
        return line
    }

    /// Calls `body(line, lineNumber)` for every line, numbered from 1.
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws(DataError) -> Void) throws(DataError) {
        var source = try ByteSource(url: url)
        defer { source.close() }
        var capacity = max(chunkSize, 4096)
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0 // bytes in buffer[0 ..< filled]; buffer[0] starts a line
        var lineNumber = 0
        func emit(_ start: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) throws(DataError) {
            lineNumber += 1
            var from = start, stop = end
            if stop > from && stop[-1] == 13 { stop -= 1 }
            if lineNumber == 1 && stop - from >= 3 && from[0] == 0xEF && from[1] == 0xBB && from[2] == 0xBF { from += 3 }
            try body(UnsafeBufferPointer(start: from, count: stop - from), lineNumber)
        }
        while true {
            if filled == capacity { // one line longer than the buffer: grow it
                guard capacity < maxLineBytes else {
                    throw .badValue(file: url.path, line: lineNumber + 1, column: "(line)",
                                    value: DataError.excerpt(UnsafeBufferPointer(start: buffer, count: filled)),
                                    expected: "a line of at most \(maxLineBytes) bytes")
                }
                let grown = min(capacity * 2, max(maxLineBytes, capacity))
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                bigger.update(from: buffer, count: filled)
                buffer.deallocate()
                buffer = bigger
                capacity = grown
            }
            let n = try source.read(into: buffer + filled, count: capacity - filled)
            if n == 0 { break }
            let scanFrom = filled
            filled += n
            var start = buffer
            var cursor = buffer + scanFrom
            let end = buffer + filled
            while cursor < end, let hit = memchr(cursor, 10, end - cursor) {
                let newline = hit.assumingMemoryBound(to: UInt8.self)
                try emit(start, newline)
                start = newline + 1
                cursor = start
            }
            let consumed = start - buffer
            if consumed > 0 {
                filled -= consumed
                if filled > 0 { memmove(buffer, start, filled) }
            }
        }
        if filled > 0 { try emit(buffer, buffer + filled) }
    }
}

/// Raw bytes of a file, decompressed when it is gzip.
private struct ByteSource {
    private var fd: Int32 = -1
    private var gz: gzFile?
    let path: String

    init(url: URL) throws(DataError) {
        path = url.path
        if LineReader.isGzip(url) {
            guard let g = gzopen(path, "rb") else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
            gzbuffer(g, 1 << 17)
            gz = g
        } else {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
            var info = stat()
            if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                Glibc.close(fd)
                fd = -1
                throw .unreadable(file: path, reason: "is a directory")
            }
        }
    }

    /// Reads up to `count` bytes; 0 at the end of the file.
    mutating func read(into pointer: UnsafeMutableRawPointer, count: Int) throws(DataError) -> Int {
        if let gz {
            let n = gzread(gz, pointer, UInt32(min(count, Int(Int32.max))))
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(gz, &code).map { String(cString: $0) } ?? "zlib error \(code)"
                throw .unreadable(file: path, reason: "gzip: \(message)")
            }
            return Int(n)
        }
        while true {
            let n = Glibc.read(fd, pointer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .unreadable(file: path, reason: String(cString: strerror(errno)))
        }
    }

    mutating func close() {
        if let g = gz { gzclose(g); gz = nil }
        if fd >= 0 { Glibc.close(fd); fd = -1 }
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
        let limit = limit ?? Int.max
        var pos = 0
        while ranges.count < limit {
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
                if start < n, let base = line.baseAddress, let hit = memchr(base + start, Int32(delimiter), n - start) {
                    end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                } else {
                    end = n
                }
                var trimmed = end
                while trimmed > start && isBlank(line[trimmed - 1]) { trimmed -= 1 }
                ranges.append((start, trimmed, false))
                if end >= n { return }
                pos = end + 1
            }
        }
    }

    @inline(__always) private func isBlank(_ b: UInt8) -> Bool { b == 32 || (b == 9 && delimiter != 9) }

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
