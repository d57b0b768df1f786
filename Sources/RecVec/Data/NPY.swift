import Foundation

/// Reads and writes 2-D NumPy `.npy` arrays (format versions 1-3, little-endian float32 or
/// float64, C or Fortran order) as `Matrix`.
package enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The matrix in `url`; float64 values are rounded to float. Throws `DataError.badNPY`
    /// naming what is wrong with the header or the size.
    public static func read(_ url: URL) throws(DataError) -> Matrix {
        let file = url.path
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch { throw .unreadable(file: file, reason: DataError.reason(error)) }
        guard bytes.count >= 10, Array(bytes[0 ..< 6]) == magic else {
            throw .badNPY(file: file, reason: "missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw .badNPY(file: file, reason: "truncated header") }
            headerStart = 12
            headerLength = (0 ..< 4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw .badNPY(file: file, reason: "format version \(major) (expected 1, 2 or 3)")
        }
        guard headerStart + headerLength <= bytes.count else { throw .badNPY(file: file, reason: "truncated header") }
        let header = String(decoding: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self)

        guard let descr = value(of: "descr", in: header) else { throw .badNPY(file: file, reason: "header has no 'descr': \(header)") }
        let width: Int
        switch descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) {
        case "<f4": width = 4
        case "<f8": width = 8
        case let other: throw .badNPY(file: file, reason: "dtype '\(other)' (expected '<f4' or '<f8': little-endian float32 or float64)")
        }
        let fortran: Bool
        switch value(of: "fortran_order", in: header) {
        case "False": fortran = false
        case "True": fortran = true
        case let other: throw .badNPY(file: file, reason: "fortran_order '\(other ?? "missing")' (expected True or False)")
        }
        guard let shapeText = value(of: "shape", in: header) else { throw .badNPY(file: file, reason: "header has no 'shape'") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard dims.count == 2, let rows = Int(dims[0]), let cols = Int(dims[1]), rows >= 0, cols >= 0 else {
            throw .badNPY(file: file, reason: "shape \(shapeText) (expected 2-D: (rows, cols))")
        }
        let dataStart = headerStart + headerLength
        // The shape comes from the file: its byte count is computed with overflow checks.
        let (elements, elementsOverflow) = rows.multipliedReportingOverflow(by: cols)
        let (dataBytes, bytesOverflow) = elements.multipliedReportingOverflow(by: width)
        guard !elementsOverflow, !bytesOverflow else {
            throw .badNPY(file: file, reason: "shape (\(rows), \(cols)) of \(width)-byte floats is more than \(Int.max) bytes (the file has \(bytes.count - dataStart) data bytes)")
        }
        guard bytes.count - dataStart == dataBytes else {
            throw .badNPY(file: file, reason: "\(bytes.count - dataStart) data bytes, expected \(dataBytes) for shape (\(rows), \(cols)) of \(width)-byte floats")
        }
        var values = [Float](repeating: 0, count: rows * cols)
        bytes.withUnsafeBytes { raw in
            for k in 0 ..< rows * cols {
                // Position of element k of the row-major result in the file.
                let (r, c) = (k / max(cols, 1), k % max(cols, 1))
                let at = dataStart + width * (fortran ? c * rows + r : k)
                values[k] = width == 4 ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
            }
        }
        return try! Matrix(rows: rows, cols: cols, values: values)
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    private static func value(of key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[keyRange.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        var depth = 0, out = ""
        for ch in rest {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if (ch == "," && depth == 0) || ch == "}" { break }
            out.append(ch)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// Reads the matrix at `path` (see `read(_:)`).
    public static func read(path: String) throws(DataError) -> Matrix { try read(URL(fileURLWithPath: path)) }

    /// The bytes of a version 1.0 header for a `rows x cols` `<f4` array, padded so that the
    /// data starts on a 64-byte boundary, as numpy's own writer does.
    static func header(rows: Int, cols: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(dict.utf8.count)
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// Writes `matrix` as a little-endian float32 `.npy`, to a temporary name renamed into place.
    public static func write(_ matrix: Matrix, to url: URL) throws(DataError) {
        var bytes = header(rows: matrix.rows, cols: matrix.cols)
        matrix.values.withUnsafeBytes { bytes.append(contentsOf: $0) } // little-endian hosts only (x86-64, arm64)
        try writeAtomically(Data(bytes), to: url)
    }

    /// Writes `rows x cols` floats as a `<f4` array, fsync'd and renamed into place (the
    /// store's export, straight from its memory-mapped vectors).
    public static func write(values: UnsafeBufferPointer<Float>, rows: Int, cols: Int, to path: String) throws {
        let head = header(rows: rows, cols: cols)
        try head.withUnsafeBytes { h in try DurableIO.replace(path: path, parts: [h, UnsafeRawBufferPointer(values)]) }
    }
}

/// Writes `data` to a temporary created exclusively beside `url` (unpredictable name, never
/// through a symlink: `DurableIO.createTemporary`), fsync'd, then renamed into place.
func writeAtomically(_ data: Data, to url: URL) throws(DataError) {
    do {
        try data.withUnsafeBytes { try DurableIO.replace(path: url.path, parts: [$0]) }
    } catch {
        throw .unreadable(file: url.path, reason: "cannot write: \(error)")
    }
}
