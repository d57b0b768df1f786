import Foundation

/// The frame shared by RecVec's shard files (session corpus shards and co-occurrence count
/// shards): a 64-byte header, the payload arrays back to back, and an XXH64 trailer.
///
///     offset  size  field
///          0     8  magic (ASCII, e.g. "RVCORPUS", "RVCOUNTS")
///          8     4  format version (u32 LE)
///         12     4  dtype of the payload's value array (u32 LE: 1 float32, 3 int32)
///         16    48  six u64 LE header fields (their meaning is per kind; unused ones are 0)
///         64     -  payload: the kind's arrays, little-endian, each at an offset its header fields imply
///        end-8   8  XXH64 (seed 0) of every byte before it
///
/// Writes go to a temporary name beside the target, are fsync'd and renamed into place, so a
/// reader sees a whole file or none (a task killed mid-way leaves only a `.<name>.tmp-` file).
enum ShardFile {
    static let headerBytes = 64

    /// Writes a shard atomically: `path.tmp-PID-RANDOM`, fsync, rename over `path`.
    static func write(path: String, magic: String, version: UInt32, dtype: UInt32, fields: [UInt64],
                      payload: [UnsafeRawBufferPointer]) throws {
        precondition(magic.utf8.count == 8 && fields.count <= 6, "shard header: 8-byte magic and at most 6 fields")
        var header = [UInt8](repeating: 0, count: headerBytes)
        header.replaceSubrange(0 ..< 8, with: Array(magic.utf8))
        header.withUnsafeMutableBytes { h in
            h.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
            h.storeBytes(of: dtype.littleEndian, toByteOffset: 12, as: UInt32.self)
            for (i, f) in fields.enumerated() { h.storeBytes(of: f.littleEndian, toByteOffset: 16 + 8 * i, as: UInt64.self) }
        }
        // As `VectorFile.write`: header and payload go to a temporary created exclusively beside
        // `path` (`.<name>.tmp-<hex>`, skipped by readers), are hashed back through a map (the
        // page cache), then the trailer is appended, the file fsync'd and renamed over `path`.
        let writer = try DurableIO.Writer(replacing: path)
        try writer.append(header)
        for part in payload { try writer.append(part) }
        _ = try writer.appendChecksumTrailer()
        try writer.finish()
    }

    /// A shard read whole through a memory map, its magic, version, dtype, size and checksum checked.
    struct Contents {
        let file: MappedFile
        let fields: [UInt64]

        /// `count` elements of `T` starting `offset` bytes into the file, copied out.
        func array<T>(_: T.Type, at offset: Int, count: Int) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 {
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: file.bytes[offset ..< offset + count * MemoryLayout<T>.stride]))
                }
                initialized = count
            }
        }
    }

    /// Opens `path` and checks it: `payloadBytes(fields)` gives the payload size the header implies,
    /// or a `FileFormatError.corrupt` (its file left empty, filled in here) when the fields are out of range.
    static func read(path: String, magic: String, version: UInt32, dtype: UInt32,
                     payloadBytes: ([UInt64]) -> Result<Int, FileFormatError>) throws -> Contents {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let expectedMagic = Array(magic.utf8)
        guard bytes.count >= 8, Array(bytes.prefix(8)) == expectedMagic else {
            throw FileFormatError.badMagic(file: path, expected: magic, found: VectorFile.printable(bytes.prefix(8)))
        }
        guard bytes.count >= headerBytes + 8 else {
            throw FileFormatError.truncated(file: path, expectedBytes: headerBytes + 8, foundBytes: bytes.count)
        }
        let foundVersion = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard foundVersion == version else {
            throw FileFormatError.unsupportedVersion(file: path, found: foundVersion, supported: version)
        }
        let foundDType = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard foundDType == dtype else {
            throw FileFormatError.unsupportedDType(file: path, found: "code \(foundDType)", expected: "code \(dtype)")
        }
        let fields = (0 ..< 6).map { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16 + 8 * $0, as: UInt64.self)) }
        let payload = try payloadBytes(fields).mapError { error -> FileFormatError in
            if case let .corrupt(_, field, value, expected) = error { return .corrupt(file: path, field: field, value: value, expected: expected) }
            return error
        }.get()
        let expected = headerBytes + payload + 8
        guard bytes.count == expected else { throw FileFormatError.truncated(file: path, expectedBytes: expected, foundBytes: bytes.count) }
        let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: expected - 8, as: UInt64.self))
        let found = XXH64.hash(UnsafeRawBufferPointer(rebasing: bytes.prefix(expected - 8)))
        guard found == stored else { throw FileFormatError.checksumMismatch(file: path, expected: stored, found: found) }
        return Contents(file: file, fields: fields)
    }

    /// The shard files in `directory` whose names end in `suffix`, sorted by name (temporary
    /// files of killed writers, which end in `.tmp-...`, are not listed).
    static func list(directory: String, suffix: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { throw StoreError.fileMissing(file: directory) }
        guard isDirectory.boolValue else { return [directory] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
        guard !names.isEmpty else { throw StoreError.invalidInput(file: directory, reason: "no *\(suffix) shard in this folder") }
        return names.map { directory + "/" + $0 }
    }
}
