import Foundation

/// How much of a file's content `open` checks.
public enum VerifyLevel: String, Sendable, CaseIterable, Codable {
    /// Trusts the data bytes: header, sizes and the checksums recorded beside the data (index
    /// against vectors, manifest against file trailers), no pass over the data, so a 1M x 64
    /// version opens in milliseconds. A flipped bit in the rows, links or ids goes unseen
    /// (`recvec ... --no-verify`).
    case quick
    /// Also recomputes the checksum of every byte of every file: one read of the whole version
    /// (XXH64: about 0.1 s per GB from the page cache), once per version per process. The
    /// default for serving and export.
    case full

    /// The level for those who accept the risk of serving corrupt data: `.quick`.
    public static let trust = VerifyLevel.quick
}

/// An embedding table on disk: float32 little-endian rows behind a fixed header, then a checksum.
///
/// Layout (all integers little-endian):
/// ```
/// offset  size  field
///      0     8  magic "RVVECTOR"
///      8     4  format version (1)
///     12     4  dtype (1 = float32)
///     16     8  dimension
///     24     8  count (rows)
///     32    32  reserved, zero
///     64     -  count x dimension float32, row-major
///    end     8  XXH64 of every byte before it (the file's checksum)
/// ```
/// The 64-byte header keeps the rows 64-byte aligned in a page-aligned memory map.
package final class VectorFile: @unchecked Sendable {
    /// The 8 bytes every vector file starts with.
    public static let magic = Array("RVVECTOR".utf8)
    /// The format version written after the magic; readers refuse others.
    public static let formatVersion: UInt32 = 1
    /// The dtype code of float32 rows, the only one written.
    public static let dtypeFloat32: UInt32 = 1
    /// Bytes of the header before the first row.
    public static let headerBytes = 64

    /// Floats per row.
    public let dimension: Int
    /// Rows in the file.
    public let count: Int
    /// The checksum stored in the trailer: XXH64 of header and data. An index records it as
    /// the checksum of the vectors it was built from.
    public let checksum: UInt64
    /// The map the rows are read from (`StoreVersion.prefault` populates it).
    let file: MappedFile

    /// Row-major float32 data, `count * dimension` values, memory-mapped.
    public var values: UnsafeBufferPointer<Float> {
        let start = file.bytes.baseAddress.map { ($0 + Self.headerBytes).assumingMemoryBound(to: Float.self) }
        return UnsafeBufferPointer(start: start, count: count * dimension)
    }

    /// Row `i`.
    public func row(_ i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: values[i * dimension ..< (i + 1) * dimension])
    }

    /// A copy of the rows as a `Matrix`.
    public func matrix() -> Matrix {
        // The shape comes from a validated header, so the count always matches.
        try! Matrix(rows: count, cols: dimension, values: Array(values))
    }

    /// Maps `path` and checks magic, format version, dtype and size; `.full` also recomputes the
    /// checksum over every byte.
    public init(path: String, verify: VerifyLevel = .quick) throws {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= Self.headerBytes + 8 else {
            if bytes.count >= 8, Array(bytes.prefix(8)) != Self.magic {
                throw FileFormatError.badMagic(file: path, expected: "RVVECTOR", found: Self.printable(bytes.prefix(8)))
            }
            throw FileFormatError.truncated(file: path, expectedBytes: Self.headerBytes + 8, foundBytes: bytes.count)
        }
        guard Array(bytes.prefix(8)) == Self.magic else {
            throw FileFormatError.badMagic(file: path, expected: "RVVECTOR", found: Self.printable(bytes.prefix(8)))
        }
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == Self.formatVersion else {
            throw FileFormatError.unsupportedVersion(file: path, found: version, supported: Self.formatVersion)
        }
        let dtype = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard dtype == Self.dtypeFloat32 else {
            throw FileFormatError.unsupportedDType(file: path, found: "code \(dtype)", expected: "code 1 (float32)")
        }
        let dimension = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let count = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        // Guard the size arithmetic against absurd headers before multiplying.
        guard dimension > 0, dimension < 1 << 20, count < 1 << 40 else {
            throw StoreError.invalidInput(file: path, reason: "header says \(count) rows of dimension \(dimension)")
        }
        let expected = Self.headerBytes + Int(count) * Int(dimension) * 4 + 8
        guard bytes.count == expected else {
            throw FileFormatError.truncated(file: path, expectedBytes: expected, foundBytes: bytes.count)
        }
        let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: expected - 8, as: UInt64.self))
        if verify == .full {
            let found = XXH64.hash(UnsafeRawBufferPointer(rebasing: bytes.prefix(expected - 8)))
            guard found == stored else { throw FileFormatError.checksumMismatch(file: path, expected: stored, found: found) }
        }
        self.file = file
        self.dimension = Int(dimension)
        self.count = Int(count)
        self.checksum = stored
    }

    /// Writes `matrix` to `path` (fsync'd) and returns the file's checksum.
    @discardableResult
    public static func write(_ matrix: Matrix, to path: String) throws -> UInt64 {
        guard matrix.cols > 0 else { throw StoreError.invalidInput(file: path, reason: "vectors must have dimension > 0") }
        if let bad = matrix.firstNonFinite() {
            throw StoreError.invalidInput(file: path, reason: "value \(matrix.values[bad]) at row \(bad / matrix.cols), column \(bad % matrix.cols) is not finite")
        }
        if let (row, squaredNorm) = firstOverflowingRow(matrix) {
            throw StoreError.invalidInput(file: path, reason: "row \(row) has squared norm \(squaredNorm), above \(maxSquaredNorm): "
                + "its float32 scores would overflow to infinity (scale the vectors down)")
        }
        var header = [UInt8](repeating: 0, count: headerBytes)
        header.replaceSubrange(0 ..< 8, with: magic)
        header.withUnsafeMutableBytes { h in
            h.storeBytes(of: formatVersion.littleEndian, toByteOffset: 8, as: UInt32.self)
            h.storeBytes(of: dtypeFloat32.littleEndian, toByteOffset: 12, as: UInt32.self)
            h.storeBytes(of: UInt64(matrix.cols).littleEndian, toByteOffset: 16, as: UInt64.self)
            h.storeBytes(of: UInt64(matrix.rows).littleEndian, toByteOffset: 24, as: UInt64.self)
        }
        // Float32 is stored as the host's bytes: every platform Swift targets here is little-endian.
        // Header and rows go to a temporary created exclusively beside `path`, are hashed back
        // through a map (the page cache), then the trailer is appended, the file fsync'd and
        // renamed over `path`.
        let writer = try DurableIO.Writer(replacing: path)
        try writer.append(header)
        try matrix.values.withUnsafeBytes { try writer.append($0) }
        let checksum = try writer.appendChecksumTrailer()
        try writer.finish()
        return checksum
    }

    /// The largest squared row norm a published row may have: half of Float's largest value, so
    /// that every float32 dot product between two rows (bounded by the product of their norms,
    /// Cauchy-Schwarz), and so every score, stays finite with room for rounding.
    public static let maxSquaredNorm = Double(Float.greatestFiniteMagnitude) / 2

    /// The first row whose squared norm (summed in double) exceeds `maxSquaredNorm`.
    static func firstOverflowingRow(_ matrix: Matrix) -> (row: Int, squaredNorm: Double)? {
        matrix.values.withUnsafeBufferPointer { values in
            for row in 0 ..< matrix.rows {
                var sum = 0.0
                for v in values[row * matrix.cols ..< (row + 1) * matrix.cols] { sum += Double(v) * Double(v) }
                if sum > maxSquaredNorm { return (row, sum) }
            }
            return nil
        }
    }

    static func printable(_ bytes: some Sequence<UInt8>) -> String {
        "\"" + bytes.map { (32 ..< 127).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined() + "\""
    }
}
