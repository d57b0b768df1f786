#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A read-only memory map of a whole file, unmapped when the last reference goes away. A store
/// version owns its maps, so a version stays readable exactly as long as a request holds it.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The file's bytes (empty for an empty file). Valid while this object lives: read them
    /// through `withBytes`, or keep the object alive for as long as the pointer is used.
    public let bytes: UnsafeRawBufferPointer

    /// Calls `body` with the bytes, keeping the map alive until it returns.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try withExtendedLifetime(self) { try body(bytes) }
    }

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw StoreError.fileMissing(file: path) }
            throw StoreError.io(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StoreError.io(path: path, operation: "fstat", errno: errno) }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw StoreError.io(path: path, operation: "mmap", errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// Durable file writes: data reaches the disk (fsync) before a rename makes it visible.
enum DurableIO {
    /// Writes `parts` one after the other to a new file at `path` (replacing any), then fsyncs it
    /// unless `sync` is false.
    static func write(path: String, parts: [UnsafeRawBufferPointer], sync: Bool = true) throws {
        try write(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC, parts: parts, sync: sync)
    }

    /// Appends `bytes` to the file at `path`, then fsyncs it.
    static func append(path: String, bytes: UnsafeRawBufferPointer) throws {
        try write(path: path, flags: O_WRONLY | O_APPEND, parts: [bytes], sync: true)
    }

    private static func write(path: String, flags: Int32, parts: [UnsafeRawBufferPointer], sync: Bool) throws {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "open for writing", errno: errno) }
        defer { close(fd) }
        for part in parts { try writeAll(fd, part, path: path) }
        guard !sync || fsync(fd) == 0 else { throw StoreError.io(path: path, operation: "fsync", errno: errno) }
    }

    /// write(2) until every byte of `part` is written, retrying on EINTR.
    fileprivate static func writeAll(_ fd: Int32, _ part: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < part.count {
            let n = Glibc.write(fd, part.baseAddress! + offset, part.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, operation: "write", errno: errno)
            }
            offset += n
        }
    }

    static func write(path: String, data: [UInt8]) throws {
        try data.withUnsafeBytes { try write(path: path, parts: [$0]) }
    }

    /// Makes a directory's entries (creations, renames) durable.
    static func syncDirectory(_ path: String) throws {
        try sync(path, flags: O_RDONLY | O_DIRECTORY, what: " directory")
    }

    /// fsyncs a file someone else wrote.
    static func syncFile(_ path: String) throws {
        try sync(path, flags: O_RDONLY, what: "")
    }

    private static func sync(_ path: String, flags: Int32, what: String) throws {
        let fd = open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "open" + what, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.io(path: path, operation: "fsync" + what, errno: errno) }
    }

    /// rename(2): atomic within one file system.
    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw StoreError.io(path: from, operation: "rename to \(to)", errno: errno) }
    }

    /// The checksum (XXH64) of a whole file, read through a memory map.
    static func checksum(path: String) throws -> (bytes: Int, checksum: UInt64) {
        try MappedFile(path: path).withBytes { ($0.count, XXH64.hash($0)) }
    }
}

extension DurableIO {
    /// A new file written in pieces, fsync'd by `finish`.
    final class Writer {
        let path: String
        private var fd: Int32

        init(path: String) throws {
            self.path = path
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StoreError.io(path: path, operation: "create", errno: errno) }
        }

        func append(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try DurableIO.writeAll(fd, $0, path: path) }
        }

        /// fsyncs and closes the file.
        func finish() throws {
            defer { close(fd); fd = -1 }
            guard fsync(fd) == 0 else { throw StoreError.io(path: path, operation: "fsync", errno: errno) }
        }

        deinit { if fd >= 0 { close(fd) } }
    }
}
