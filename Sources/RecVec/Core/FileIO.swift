#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A read-only memory map of a whole file, unmapped when the last reference goes away. A store
/// version owns its maps, so a version stays readable exactly as long as a request holds it.
package final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from.
    public let path: String
    /// The file's bytes (empty for an empty file). Valid while this object lives: read them
    /// through `withBytes`, or keep the object alive for as long as the pointer is used.
    public let bytes: UnsafeRawBufferPointer

    /// Calls `body` with the bytes, keeping the map alive until it returns.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try withExtendedLifetime(self) { try body(bytes) }
    }

    /// Opens and maps the whole file read-only.
    /// - Throws: `StoreError.fileMissing` when nothing is at `path`, `FileFormatError.io` when `open`,
    ///   `fstat` or `mmap` fails.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw StoreError.fileMissing(file: path) }
            throw FileFormatError.io(file: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileFormatError.io(file: path, operation: "fstat", errno: errno) }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw FileFormatError.io(file: path, operation: "mmap", errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Maps every page of the file into this process's page tables now (Linux
    /// `madvise(MADV_POPULATE_READ)`, else one read per page), so that later reads take no page
    /// fault. A server calls it (through `StoreVersion.prefault`) on a background thread before
    /// it switches requests to a new version. Returns the bytes covered.
    @discardableResult
    public func prefault() -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        #if os(Linux)
        // MADV_POPULATE_READ (Linux 5.14): 22 in <bits/mman-linux.h>; EINVAL on older kernels.
        // In slices, yielding between them, so the process's memory-map lock is never held long
        // by this thread while request threads need it.
        let populated = forEachSlice { start, length in
            defer { sched_yield() }
            return madvise(start, length, 22) == 0
        }
        if populated { return bytes.count }
        #endif
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var sum: UInt8 = 0
        for offset in stride(from: 0, to: bytes.count, by: max(page, 1)) { sum &+= bytes[offset] }
        withExtendedLifetime(sum) {}
        return bytes.count
    }

    /// Bytes populated or unmapped per system call (see `prefault` and `deinit`).
    static let sliceBytes = 4 << 20

    /// Calls `body` on the map in consecutive `sliceBytes` pieces until it returns false; true
    /// when every piece was handled.
    private func forEachSlice(_ body: (UnsafeMutableRawPointer, Int) -> Bool) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let length = min(Self.sliceBytes, bytes.count - offset)
            guard body(UnsafeMutableRawPointer(mutating: base + offset), length) else { return false }
            offset += length
        }
        return true
    }

    deinit {
        // Unmapped in slices, so a large map's release never holds the memory-map lock long
        // (a request thread that faults or maps memory would wait for it).
        _ = forEachSlice { start, length in
            munmap(start, length)
            return true
        }
    }
}

/// Durable file writes: data reaches the disk (fsync) before a rename makes it visible.
///
/// Every file the store and the CLI write is created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`):
/// either a new file in a folder this process just created (a version's staging folder), or a
/// temporary with an unpredictable name in the destination's folder (`createTemporary`), renamed
/// over the destination. A planted file or symlink makes the write fail; it is never followed
/// or overwritten. No writer ever opens an existing published file for writing.
enum DurableIO {
    /// Flags of every file creation: new file only, never through a symlink.
    static let createFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC

    /// Writes `parts` one after the other to a new file at `path` (which must not exist), then
    /// fsyncs it unless `sync` is false.
    static func write(path: String, parts: [UnsafeRawBufferPointer], sync: Bool = true) throws {
        let fd = open(path, createFlags, 0o644)
        guard fd >= 0 else { throw FileFormatError.io(file: path, operation: "create", errno: errno) }
        defer { close(fd) }
        for part in parts { try writeAll(fd, part, path: path) }
        guard !sync || fsync(fd) == 0 else { throw FileFormatError.io(file: path, operation: "fsync", errno: errno) }
    }

    /// A new, empty file with an unpredictable name (`.<name>.tmp-<16 hex digits>`) in the folder
    /// of `destination`, created exclusively; returns its descriptor (open for writing) and path.
    static func createTemporary(beside destination: String) throws -> (fd: Int32, path: String) {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        for _ in 0 ..< 8 {
            var generator = SystemRandomNumberGenerator()
            let path = folder + "/." + url.lastPathComponent + ".tmp-" + checksumHex(generator.next())
            let fd = open(path, createFlags, 0o644)
            if fd >= 0 { return (fd, path) }
            guard errno == EEXIST else { throw FileFormatError.io(file: path, operation: "create", errno: errno) }
        }
        throw FileFormatError.io(file: folder, operation: "create a temporary file in", errno: EEXIST)
    }

    /// Replaces `path` atomically: `parts` go to a temporary beside it (`createTemporary`),
    /// fsync'd, renamed over `path` (a symlink there is replaced, not followed), and the folder
    /// fsync'd. On failure the temporary is removed and `path` is untouched.
    static func replace(path: String, parts: [UnsafeRawBufferPointer]) throws {
        let writer = try Writer(replacing: path)
        for part in parts { try writer.append(part) }
        try writer.finish()
    }

    static func replace(path: String, data: [UInt8]) throws {
        try data.withUnsafeBytes { try replace(path: path, parts: [$0]) }
    }

    /// A new folder with an unpredictable name (`.<name>.partial-<16 hex digits>`) beside
    /// `destination`, made by mkdir(2), which never follows a planted symlink.
    static func createTemporaryDirectory(beside destination: String) throws -> String {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        for _ in 0 ..< 8 {
            var generator = SystemRandomNumberGenerator()
            let path = folder + "/." + url.lastPathComponent + ".partial-" + checksumHex(generator.next())
            if mkdir(path, 0o755) == 0 { return path }
            guard errno == EEXIST else { throw FileFormatError.io(file: path, operation: "mkdir", errno: errno) }
        }
        throw FileFormatError.io(file: folder, operation: "create a temporary folder in", errno: EEXIST)
    }

    /// write(2) until every byte of `part` is written, retrying on EINTR.
    static func writeAll(_ fd: Int32, _ part: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < part.count {
            let n = Glibc.write(fd, part.baseAddress! + offset, part.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileFormatError.io(file: path, operation: "write", errno: errno)
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
        guard fd >= 0 else { throw FileFormatError.io(file: path, operation: "open" + what, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileFormatError.io(file: path, operation: "fsync" + what, errno: errno) }
    }

    /// rename(2): atomic within one file system.
    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw FileFormatError.io(file: from, operation: "rename to \(to)", errno: errno) }
    }

    /// The checksum (XXH64) of a whole file, read through a memory map.
    static func checksum(path: String) throws -> (bytes: Int, checksum: UInt64) {
        try MappedFile(path: path).withBytes { ($0.count, XXH64.hash($0)) }
    }
}

extension DurableIO {
    /// A file written in pieces to a temporary and renamed into place by `finish`.
    final class Writer {
        let path: String
        private var fd: Int32

        /// A temporary beside `destination` (`createTemporary`); `finish` renames it over `destination`.
        let destination: String

        init(replacing destination: String) throws {
            self.destination = destination
            (fd, path) = try DurableIO.createTemporary(beside: destination)
        }

        func append(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try DurableIO.writeAll(fd, $0, path: path) }
        }

        func append(_ bytes: UnsafeRawBufferPointer) throws {
            try DurableIO.writeAll(fd, bytes, path: path)
        }

        /// Hashes every byte written so far (XXH64, read back through a map of the temporary,
        /// so from the page cache) and appends the hash as a little-endian u64 trailer; returns it.
        func appendChecksumTrailer() throws -> UInt64 {
            let checksum = try MappedFile(path: path).withBytes { XXH64.hash($0) }
            var trailer = checksum.littleEndian
            try withUnsafeBytes(of: &trailer) { try append($0) }
            return checksum
        }

        /// fsyncs and closes the file, runs `beforeRename` (a test hook), renames it over the
        /// destination and fsyncs the folder. On failure before the rename the temporary is removed.
        func finish(beforeRename: () throws -> Void = {}) throws {
            let fd = self.fd
            self.fd = -1
            do {
                defer { close(fd) }
                guard fsync(fd) == 0 else { throw FileFormatError.io(file: path, operation: "fsync", errno: errno) }
                try beforeRename()
                try DurableIO.rename(path, destination)
            } catch {
                unlink(path)
                throw error
            }
            try DurableIO.syncDirectory(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
        }

        /// An unfinished temporary is removed.
        deinit {
            if fd >= 0 {
                close(fd)
                unlink(path)
            }
        }
    }
}
