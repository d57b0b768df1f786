import Foundation
@testable import RecVec
import TestSupport
import XCTest

final class StoreFormatTests: XCTestCase {
    /// The store's checksum is XXH64: reference values from the xxHash test vectors (seed 0) and
    /// the python-xxhash README ("Nobody inspects..." covers the 32-byte stripe path).
    func testXXH64MatchesReferenceVectors() {
        XCTAssertEqual(XXH64.hash([]), 0xEF46_DB37_51D8_E999)
        XCTAssertEqual(XXH64.hash(Array("a".utf8)), 0xD24E_C4F1_A98C_6E5B)
        XCTAssertEqual(XXH64.hash(Array("abc".utf8)), 0x44BC_2CF5_AD77_0999)
        XCTAssertEqual(XXH64.hash(Array("Nobody inspects the spammish repetition".utf8)), 0xFBCE_A83C_8A37_8BF1)
    }

    func testVectorFileRoundTripsExactly() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        for (rows, dim) in [(1, 1), (3, 7), (17, 33), (0, 5)] {
            var random = TestRandom(seed: UInt64(rows * 100 + dim))
            let matrix = try Matrix(rows: rows, cols: dim, values: random.floats(rows * dim))
            let path = dir + "/v\(rows)x\(dim).rvv"
            let checksum = try VectorFile.write(matrix, to: path)
            let file = try VectorFile(path: path, verify: .full)
            XCTAssertEqual(file.count, rows)
            XCTAssertEqual(file.dimension, dim)
            XCTAssertEqual(file.checksum, checksum)
            XCTAssertEqual(file.matrix(), matrix)
            // The checksum covers exactly the bytes before the trailer.
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertEqual(data.count, 64 + rows * dim * 4 + 8)
            XCTAssertEqual(data.prefix(data.count - 8).withUnsafeBytes { XXH64.hash($0) }, checksum)
        }
    }

    func testVectorFileRejectsCorruption() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        let matrix = try Matrix(rows: 4, cols: 3, values: (0 ..< 12).map(Float.init))
        let path = dir + "/a.rvv"
        let checksum = try VectorFile.write(matrix, to: path)

        try corruptByte(at: 64 + 5, of: path)
        let found = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(64 + 48).withUnsafeBytes { XXH64.hash($0) }
        assertThrows(FileFormatError.checksumMismatch(file: path, expected: checksum, found: found)) { _ = try VectorFile(path: path, verify: .full) }

        try VectorFile.write(matrix, to: path)
        try truncate(path, to: 64 + 20)
        assertThrows(FileFormatError.truncated(file: path, expectedBytes: 64 + 48 + 8, foundBytes: 84)) { _ = try VectorFile(path: path) }

        try VectorFile.write(matrix, to: path)
        try corruptByte(at: 0, of: path)
        XCTAssertThrowsError(try VectorFile(path: path)) { error in
            guard case FileFormatError.badMagic(file: path, expected: "RVVECTOR", found: _) = error else { return XCTFail("\(error)") }
        }

        try VectorFile.write(matrix, to: path)
        try corruptByte(at: 8, of: path)  // format version 1 -> 0xFE
        assertThrows(FileFormatError.unsupportedVersion(file: path, found: 0xFE, supported: 1)) { _ = try VectorFile(path: path) }

        try VectorFile.write(matrix, to: path)
        try corruptByte(at: 12, of: path)  // dtype 1 -> 0xFE
        assertThrows(FileFormatError.unsupportedDType(file: path, found: "code 254", expected: "code 1 (float32)")) { _ = try VectorFile(path: path) }

        assertThrows(StoreError.fileMissing(file: dir + "/none.rvv")) { _ = try VectorFile(path: dir + "/none.rvv") }
    }

    func testVectorFileRefusesNonFiniteValues() throws {
        let path = try TestSupport.temporaryDirectory(self).path + "/nan.rvv"
        let matrix = try Matrix(rows: 2, cols: 2, values: [0, 1, .nan, 3])
        XCTAssertThrowsError(try VectorFile.write(matrix, to: path)) { error in
            guard case StoreError.invalidInput(file: path, reason: let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("row 1, column 0"), reason)
        }
    }

    func testNPYRoundTripAndBadInput() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        var random = TestRandom(seed: 3)
        let matrix = try Matrix(rows: 5, cols: 9, values: random.floats(45))
        try matrix.values.withUnsafeBufferPointer { try NPY.write(values: $0, rows: 5, cols: 9, to: dir + "/m.npy") }
        XCTAssertEqual(try NPY.read(path: dir + "/m.npy"), matrix)
        // The data must start 64-byte aligned (numpy's own writer pads the header the same way).
        XCTAssertEqual(NPY.header(rows: 5, cols: 9).count % 64, 0)

        try truncate(dir + "/m.npy", to: 100)
        XCTAssertThrowsError(try NPY.read(path: dir + "/m.npy")) { error in
            guard case DataError.badNPY = error else { return XCTFail("\(error)") }
        }
        try Data("not numpy at all".utf8).write(to: URL(fileURLWithPath: dir + "/x.npy"))
        XCTAssertThrowsError(try NPY.read(path: dir + "/x.npy")) { error in
            guard case DataError.badNPY = error else { return XCTFail("\(error)") }
        }
    }

    /// numpy writes the files RecVec reads: float32 and float64 (narrowed), and refuses 1-D.
    func testNPYReadsWhatNumpyWrites() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        let script = """
        import numpy as np, sys
        d = sys.argv[1]
        a = (np.arange(12, dtype=np.float64).reshape(3, 4) / 7.0)
        np.save(d + '/f8.npy', a); np.save(d + '/f4.npy', a.astype(np.float32)); np.save(d + '/one.npy', np.zeros(3, np.float32))
        """
        guard let result = try runPython(script, arguments: [dir]) else { throw XCTSkip("python3 with numpy not available") }
        XCTAssertEqual(result.status, 0, result.output)
        let expected = try Matrix(rows: 3, cols: 4, values: (0 ..< 12).map { Float(Double($0) / 7.0) })
        XCTAssertEqual(try NPY.read(path: dir + "/f4.npy"), expected)
        XCTAssertEqual(try NPY.read(path: dir + "/f8.npy"), expected)
        XCTAssertThrowsError(try NPY.read(path: dir + "/one.npy")) { error in
            guard case DataError.badNPY = error else { return XCTFail("\(error)") }
        }
    }
}
