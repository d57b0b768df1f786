import Foundation

/// NumPy's .npy format (version 1.0/2.0/3.0): the input of `recvec publish` and one export
/// format. Reads 2-D C-order little-endian float32 (`<f4`) or float64 (`<f8`, narrowed to
/// float32); writes `<f4`.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads a 2-D array from `path`.
    public static func read(path: String) throws -> Matrix {
        try MappedFile(path: path).withBytes { try read(bytes: $0, path: path) }
    }

    static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> Matrix {
        guard bytes.count >= 10 else { throw StoreError.truncated(file: path, expectedBytes: 10, foundBytes: bytes.count) }
        guard Array(bytes.prefix(6)) == magic else {
            throw StoreError.badMagic(file: path, expected: "\\x93NUMPY", found: VectorFile.printable(bytes.prefix(6)))
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw StoreError.truncated(file: path, expectedBytes: 12, foundBytes: bytes.count) }
            headerLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            headerStart = 12
        default:
            throw StoreError.unsupportedFormatVersion(file: path, found: UInt32(major), supported: 3)
        }
        guard bytes.count >= headerStart + headerLength else {
            throw StoreError.truncated(file: path, expectedBytes: headerStart + headerLength, foundBytes: bytes.count)
        }
        let header = String(decoding: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr"), let fortran = field("fortran_order"), let shapeText = field("shape") else {
            throw StoreError.invalidInput(file: path, reason: "npy header lacks descr, fortran_order or shape: \(header)")
        }
        let itemBytes: Int
        if descr.hasPrefix("'<f4'") { itemBytes = 4 } else if descr.hasPrefix("'<f8'") { itemBytes = 8 } else {
            throw StoreError.unsupportedDType(file: path, found: String(descr.prefix { $0 != "," }), expected: "'<f4' or '<f8'")
        }
        guard fortran.hasPrefix("False") else {
            throw StoreError.invalidInput(file: path, reason: "Fortran-order arrays are not supported (save with numpy.ascontiguousarray)")
        }
        guard let open = shapeText.firstIndex(of: "("), let close = shapeText.firstIndex(of: ")") else {
            throw StoreError.invalidInput(file: path, reason: "unreadable shape in npy header: \(header)")
        }
        let shape = shapeText[shapeText.index(after: open) ..< close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { Int($0) }
        guard shape.count == 2, let rows = shape[0], let cols = shape[1], rows >= 0, cols > 0 else {
            throw StoreError.invalidInput(file: path, reason: "expected a 2-D array (rows, dim) with dim > 0, shape is \(shapeText[open ... close])")
        }
        let dataStart = headerStart + headerLength
        let expected = dataStart + rows * cols * itemBytes
        guard bytes.count == expected else {
            throw StoreError.truncated(file: path, expectedBytes: expected, foundBytes: bytes.count)
        }
        var values = [Float](repeating: 0, count: rows * cols)
        values.withUnsafeMutableBufferPointer { out in
            if itemBytes == 4 {
                for i in 0 ..< out.count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: dataStart + 4 * i, as: UInt32.self)))
                }
            } else {
                for i in 0 ..< out.count {
                    out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: dataStart + 8 * i, as: UInt64.self))))
                }
            }
        }
        return try Matrix(rows: rows, cols: cols, values: values)
    }

    /// The bytes of a version 1.0 header for a `rows x cols` `<f4` array, padded so the data
    /// starts on a 64-byte boundary.
    static func header(rows: Int, cols: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(dict.utf8.count)
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// Writes `count x dimension` floats as a `<f4` array (fsync'd).
    public static func write(values: UnsafeBufferPointer<Float>, rows: Int, cols: Int, to path: String) throws {
        let head = header(rows: rows, cols: cols)
        try head.withUnsafeBytes { h in try DurableIO.write(path: path, parts: [h, UnsafeRawBufferPointer(values)]) }
    }
}
