import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The index file, little-endian:
//
//   offset  size  field
//        0     8  magic "RVHNSW\0\0"
//        8     4  format version (1)
//       12     4  dtype (1 = float32)
//       16     4  dimension
//       20     4  metric (0 = dot, 1 = cosine)
//       24     8  count
//       32     4  M
//       36     4  efConstruction
//       40     4  efSearch (the default of the config)
//       44     4  max level (-1 when empty)
//       48     4  entry point (-1 when empty)
//       52     4  section count (5)
//       56     8  vectorsChecksum (given by the caller: ties the index to its vectors)
//       64     8  seed
//       72     8  upper-layer link count (int32 entries)
//       80    80  section table: 5 x (offset, bytes), in this order:
//                 vectors f32 [count x dim], levels i32 [count], links0 i32 [count x (1 + 2M)],
//                 upper offsets i64 [count], upper links i32 [upper-layer link count]
//      160    96  zero
//      256        sections, each at a multiple of 64 bytes (so the mapped arrays are aligned)
//   size-8     8  XXH64 (rv_checksum64, seed 0) of every byte before it
//
// `load` maps the file and the C index reads the sections in place.

private let magic: [UInt8] = Array("RVHNSW".utf8) + [0, 0]
private let formatVersion: UInt32 = 1
private let dtypeFloat32: UInt32 = 1
private let headerBytes = 256
private let sectionCount = 5

/// Where each section lies, computed from the header values alone.
private struct Sections {
    var offsets: [Int] = []
    var bytes: [Int] = []
    var fileSize = 0

    init(count: Int, dimension: Int, m: Int, upperLinks: Int) {
        let sizes = [count * dimension * 4, count * 4, count * (1 + 2 * m) * 4, count * 8, upperLinks * 4]
        var at = headerBytes
        for size in sizes {
            offsets.append(at)
            bytes.append(size)
            at = (at + size + 63) / 64 * 64
        }
        fileSize = (offsets[4] + bytes[4] + 7) / 8 * 8 + 8
    }

    var checksumOffset: Int { fileSize - 8 }
}

extension HNSWIndex {
    /// Writes the index to `url` atomically: to a temporary name in the same folder, fsync'd,
    /// then renamed over `url`. `vectorsChecksum` (the caller's checksum of the vectors the index
    /// was built from) is stored in the header and becomes `self.vectorsChecksum`.
    /// The checksum is the C function `rv_checksum64`.
    public func write(to url: URL, vectorsChecksum: UInt64) throws {
        mutationLock.lock()
        defer { mutationLock.unlock() }
        let path = url.path
        var layout = rv_hnsw_layout()
        try Kernels.check(rv_hnsw_get_layout(handle, &layout), "rv_hnsw_get_layout")
        let count = Int(layout.count), upperLinks = Int(layout.count_upper_links)
        let sections = Sections(count: count, dimension: dimension, m: config.m, upperLinks: upperLinks)

        var header = [UInt8]()
        header.reserveCapacity(headerBytes)
        header += magic
        header.appendLE(formatVersion)
        header.appendLE(dtypeFloat32)
        header.appendLE(UInt32(dimension))
        header.appendLE(UInt32(layout.metric.rawValue))
        header.appendLE(UInt64(count))
        header.appendLE(UInt32(config.m))
        header.appendLE(UInt32(config.efConstruction))
        header.appendLE(UInt32(config.efSearch))
        header.appendLE(UInt32(bitPattern: layout.max_level))
        header.appendLE(UInt32(bitPattern: layout.entry_point))
        header.appendLE(UInt32(sectionCount))
        header.appendLE(vectorsChecksum)
        header.appendLE(layout.seed)
        header.appendLE(UInt64(upperLinks))
        for s in 0 ..< sectionCount {
            header.appendLE(UInt64(sections.offsets[s]))
            header.appendLE(UInt64(sections.bytes[s]))
        }
        header += [UInt8](repeating: 0, count: headerBytes - header.count)

        let pointers: [UnsafeRawPointer?] = [
            UnsafeRawPointer(layout.vectors), UnsafeRawPointer(layout.levels), UnsafeRawPointer(layout.links0),
            UnsafeRawPointer(layout.upper_offsets), UnsafeRawPointer(layout.upper_links),
        ]
        // Through the one durable-write layer: an exclusive temporary beside `url`, fsync'd,
        // renamed over it, the folder fsync'd; an unfinished temporary is removed.
        let writer = try DurableIO.Writer(replacing: path)
        // Each section is written from the C index's arrays, then the zero padding to the next.
        var written = 0
        func put(_ bytes: UnsafeRawPointer?, _ length: Int) throws {
            try writer.append(UnsafeRawBufferPointer(start: bytes, count: length))
            written += length
        }
        let zeros = [UInt8](repeating: 0, count: 64)
        try header.withUnsafeBytes { try put($0.baseAddress, headerBytes) }
        for s in 0 ..< sectionCount {
            if sections.offsets[s] > written {
                try zeros.withUnsafeBytes { try put($0.baseAddress, sections.offsets[s] - written) }
            }
            if sections.bytes[s] > 0 { try put(pointers[s], sections.bytes[s]) }
        }
        if sections.checksumOffset > written {
            try zeros.withUnsafeBytes { try put($0.baseAddress, sections.checksumOffset - written) }
        }
        // The checksum reads the written bytes back through a mapping (from the page cache).
        let checksum = try MappedFile(path: writer.path).withBytes { rv_checksum64($0.baseAddress, $0.count, 0) }
        var trailer = [UInt8]()
        trailer.appendLE(checksum)
        try writer.append(trailer)
        try writer.finish()
        setVectorsChecksum(vectorsChecksum)
    }

    /// Opens an index written by `write(to:vectorsChecksum:)`: maps the file read-only and
    /// searches it in place (nothing is copied until `add`), so opening is O(1) in the index size
    /// when `verify` is false. With `verify` (the default), the checksum is recomputed over every
    /// byte first: XXH64 runs at several GB/s, so about 0.1 s per GB of index from the page
    /// cache, and the disk's read speed on a cold file (a 1M x 64 index is about 0.4 GB).
    /// Without it, magic, version, header and sizes are still checked, and searches skip any
    /// out-of-range link, so a corrupt file gives wrong results but no bad memory access.
    public static func load(from url: URL, verify: Bool = true) throws -> HNSWIndex {
        let path = url.path
        let mapping = try MappedFile(path: path)
        let size = mapping.bytes.count
        guard size >= magic.count, let base = mapping.bytes.baseAddress else {
            throw FileFormatError.truncated(file: path, expectedBytes: headerBytes + 8, foundBytes: size)
        }
        let found = (0 ..< magic.count).map { base.load(fromByteOffset: $0, as: UInt8.self) }
        guard found == magic else {
            throw FileFormatError.badMagic(file: path, expected: "RVHNSW (an HNSW index)",
                                           found: found.map { String($0, radix: 16) }.joined(separator: " "))
        }
        guard size >= 12 else { throw FileFormatError.truncated(file: path, expectedBytes: headerBytes + 8, foundBytes: size) }
        let version: UInt32 = base.readLE(8)
        guard version == formatVersion else {
            throw FileFormatError.unsupportedVersion(file: path, found: version, supported: formatVersion)
        }
        guard size >= headerBytes + 8 else {
            throw FileFormatError.truncated(file: path, expectedBytes: headerBytes + 8, foundBytes: size)
        }
        let dtype: UInt32 = base.readLE(12)
        guard dtype == dtypeFloat32 else { throw FileFormatError.unsupportedDType(file: path, found: "code \(dtype)", expected: "code 1 (float32)") }
        let dimension = Int(base.readLE(16) as UInt32)
        let metricRaw: UInt32 = base.readLE(20)
        let count64: UInt64 = base.readLE(24)
        let m = Int(base.readLE(32) as UInt32)
        let efConstruction = Int(base.readLE(36) as UInt32)
        let efSearch = Int(base.readLE(40) as UInt32)
        let maxLevel = Int32(bitPattern: base.readLE(44))
        let entryPoint = Int32(bitPattern: base.readLE(48))
        let sectionsStored = Int(base.readLE(52) as UInt32)
        let vectorsChecksum: UInt64 = base.readLE(56)
        let seed: UInt64 = base.readLE(64)
        let upperLinks64: UInt64 = base.readLE(72)
        guard let metric = Metric(rv_metric(rawValue: metricRaw)) else {
            throw FileFormatError.corrupt(file: path, field: "metric (offset 20)", value: "\(metricRaw)", expected: "0 (dot) or 1 (cosine)")
        }
        guard dimension >= 1, dimension <= 1 << 20, (2 ... 1024).contains(m), efConstruction >= 1, efSearch >= 1,
              count64 <= UInt64(Int32.max), upperLinks64 <= UInt64(Int.max / 8), sectionsStored == sectionCount
        else {
            throw FileFormatError.corrupt(file: path, field: "header (offsets 16-55)",
                                          value: "dimension \(dimension), M \(m), efConstruction \(efConstruction), efSearch \(efSearch), "
                                              + "count \(count64), sections \(sectionsStored)",
                                          expected: "dimension 1...2^20, M 2...1024, ef >= 1, count < 2^31, \(sectionCount) sections")
        }
        let count = Int(count64)
        let sections = Sections(count: count, dimension: dimension, m: m, upperLinks: Int(upperLinks64))
        for s in 0 ..< sectionCount {
            let offset = Int(truncatingIfNeeded: base.readLE(80 + 16 * s) as UInt64)
            let bytes = Int(truncatingIfNeeded: base.readLE(88 + 16 * s) as UInt64)
            guard offset == sections.offsets[s], bytes == sections.bytes[s] else {
                throw FileFormatError.corrupt(file: path, field: "section \(s) (offset \(80 + 16 * s))", value: "at \(offset), \(bytes) bytes",
                                              expected: "at \(sections.offsets[s]), \(sections.bytes[s]) bytes")
            }
        }
        guard size >= sections.fileSize else {
            throw FileFormatError.truncated(file: path, expectedBytes: sections.fileSize, foundBytes: size)
        }
        guard size == sections.fileSize else {
            throw FileFormatError.truncated(file: path, expectedBytes: sections.fileSize, foundBytes: size)
        }
        if verify {
            let stored: UInt64 = base.readLE(sections.checksumOffset)
            let computed = rv_checksum64(base, sections.checksumOffset, 0)
            guard stored == computed else { throw FileFormatError.checksumMismatch(file: path, expected: stored, found: computed) }
        }
        func section<T>(_ s: Int, _ type: T.Type) -> UnsafePointer<T>? {
            sections.bytes[s] == 0 ? nil : (base + sections.offsets[s]).assumingMemoryBound(to: T.self)
        }
        var layout = rv_hnsw_layout(
            dim: dimension, metric: metric.cMetric, m: m, ef_construction: efConstruction,
            seed: seed, count: count, max_level: maxLevel, entry_point: entryPoint, count_upper_links: Int(upperLinks64),
            vectors: section(0, Float.self), levels: section(1, Int32.self), links0: section(2, Int32.self),
            upper_offsets: section(3, Int64.self), upper_links: section(4, Int32.self))
        var opened: OpaquePointer?
        guard rv_hnsw_open_layout(&layout, &opened) == RV_OK, let handle = opened else {
            throw FileFormatError.corrupt(file: path, field: "entry point / max level (offsets 44-51)", value: "\(entryPoint) / \(maxLevel)",
                                          expected: "a node of the \(count) and its level")
        }
        var config = HNSWConfig()
        config.metric = metric
        config.m = m
        config.efConstruction = efConstruction
        config.efSearch = efSearch
        config.seed = seed
        return HNSWIndex(handle: handle, config: config, dimension: dimension, mapping: mapping,
                         vectorsChecksum: vectorsChecksum)
    }
}

private extension [UInt8] {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

private extension UnsafeRawPointer {
    func readLE<T: FixedWidthInteger>(_ offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
