import Foundation
@testable import RecVec
import XCTest

/// Every public error type prints its sentence through `localizedDescription` (what
/// `error.localizedDescription` and the CLI show), never "The operation could not be completed".
final class DataErrorDescriptionTests: XCTestCase {
    func check(_ error: Error, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(error.localizedDescription, expected, file: file, line: line)
        XCTAssertEqual(String(describing: error), expected, file: file, line: line)
        XCTAssertEqual((error as NSError).localizedDescription, expected, file: file, line: line)
    }

    func testEveryErrorTypeDescribesItself() {
        check(DataError.badValue(file: "e.csv", line: 3, column: "timestamp", value: "soon", expected: "epoch seconds"),
              "e.csv:3: column 'timestamp' has 'soon' (expected epoch seconds)")
        check(DataError.missingColumn(file: "e.csv", column: "user", header: ["a", "b"]), "e.csv: no column named 'user' (header has: a, b)")
        check(KernelError.sizeMismatch(name: "rows", expected: 4, found: 3), KernelError.sizeMismatch(name: "rows", expected: 4, found: 3).description)
        XCTAssertTrue(KernelError.sizeMismatch(name: "rows", expected: 4, found: 3).localizedDescription.contains("rows"))
        check(LinalgError.notSquare(rows: 2, cols: 3), "expected a square matrix, got 2x3")
        check(LinalgError.shapeMismatch(name: "b", expectedRows: 3, foundRows: 2), "b has 2 rows, expected 3")
        check(IndexError.emptyIndex, IndexError.emptyIndex.description)
        check(FileFormatError.checksumMismatch(file: "i.hnsw", expected: 1, found: 2),
              "i.hnsw: checksum mismatch, expected 0000000000000001 found 0000000000000002 (file corrupt)")
        check(FileFormatError.corrupt(file: "i.hnsw", field: "metric (offset 20)", value: "7", expected: "0 (dot) or 1 (cosine)"),
              "i.hnsw: corrupt: metric (offset 20) is 7, expected 0 (dot) or 1 (cosine)")
        check(StoreError.fileMissing(file: "s/ids.txt"), StoreError.fileMissing(file: "s/ids.txt").description)
        XCTAssertTrue(StoreError.fileMissing(file: "s/ids.txt").localizedDescription.contains("s/ids.txt"))
        check(StoreError.invalidLine(file: "c.tsv", line: 7, reason: "empty item id"),
              StoreError.invalidLine(file: "c.tsv", line: 7, reason: "empty item id").description)
        check(ServeError.unknownUser(id: "u9"), ServeError.unknownUser(id: "u9").description)
        XCTAssertTrue(ServeError.unknownUser(id: "u9").localizedDescription.contains("u9"))
        for error in [DataError.emptyFile(file: "x") as Error, KernelError.outOfMemory(kernel: "k"), LinalgError.notSquare(rows: 1, cols: 2),
                      IndexError.emptyIndex, StoreError.noCurrentVersion(store: "s"), ServeError.emptyHistory,
                      FileFormatError.io(file: "f", operation: "open", errno: 2)] {
            XCTAssertFalse(error.localizedDescription.contains("could not be completed"), "\(type(of: error)): \(error.localizedDescription)")
        }
    }

    func testCholeskySolveThrowsOnAShapeMismatch() throws {
        let a = try DoubleMatrix(rows: 2, cols: 2, values: [2, 0, 0, 2])
        XCTAssertThrowsError(try Linalg.choleskySolve(a, DoubleMatrix(rows: 3, cols: 1))) { error in
            XCTAssertEqual(error as? LinalgError, .shapeMismatch(name: "choleskySolve's right-hand side", expectedRows: 2, foundRows: 3))
        }
    }
}
