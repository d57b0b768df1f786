@testable import RecVec
import TestSupport
import XCTest

/// `ParallelSparseOperator` gives the serial CSR products bit for bit, whatever the thread count.
final class ParallelSparseTests: XCTestCase {
    func testProductsEqualTheSerialOnesOnAnyThreadCount() throws {
        var random = TestRandom(seed: 7)
        for (rows, cols, l) in [(1, 1, 1), (7, 13, 3), (57, 31, 9), (200, 150, 42)] {
            var offsets: [Int64] = [0], columns: [Int32] = [], values: [Float] = []
            for r in 0 ..< rows {
                // Every 5th row empty; the others a random subset of columns, ascending.
                if r % 5 != 4 { for c in 0 ..< cols where random.below(4) == 0 { columns.append(Int32(c)); values.append(random.symmetric()) } }
                offsets.append(Int64(columns.count))
            }
            let a = try SparseMatrix(rows: rows, cols: cols, rowOffsets: offsets, columns: columns, values: values)
            var x = DoubleMatrix(rows: cols, cols: l), y = DoubleMatrix(rows: rows, cols: l)
            for i in x.values.indices { x.values[i] = Double(random.symmetric()) }
            for i in y.values.indices { y.values[i] = Double(random.symmetric()) }
            for threads in [1, 2, 3, 8] {
                let op = ParallelSparseOperator(a, threads: threads)
                XCTAssertEqual(op.transposed.dense(), transpose(a.dense()))
                XCTAssertEqual(op.apply(x).values, a.apply(x).values, "A X, \(rows)x\(cols), \(threads) threads")
                XCTAssertEqual(op.applyTransposed(y).values, a.applyTransposed(y).values, "A^T Y, \(rows)x\(cols), \(threads) threads")
            }
        }
    }

    func transpose(_ m: Matrix) -> Matrix {
        var t = Matrix(rows: m.cols, cols: m.rows)
        for r in 0 ..< m.rows { for c in 0 ..< m.cols { t[c, r] = m[r, c] } }
        return t
    }
}
