import Dispatch
import Foundation

/// A CSR matrix with its transpose built once, so that randomized SVD's products `A X` and
/// `A^T X` both run as row-parallel CSR products on `threads` threads. Each output row belongs to
/// one thread and is summed in the order `SparseMatrix`'s serial products use (for `A^T X`: each
/// column's entries in ascending row order, as the serial scatter adds them), so the result is
/// bit-identical to theirs whatever the thread count. Costs one more copy of the non-zeros.
internal struct ParallelSparseOperator: LinearOperator {
    /// `A`, as given.
    public let matrix: SparseMatrix
    /// `A^T` in CSR form, built once by a counting sort in O(non-zeros).
    public let transposed: SparseMatrix
    /// Threads each product uses (at least 1; 0 at construction became the core count).
    public let threads: Int

    /// `threads` 0 = every core.
    public init(_ matrix: SparseMatrix, threads: Int = 0) {
        self.matrix = matrix
        self.threads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        // Counting sort of the non-zeros by column, rows ascending within each column.
        var offsets = [Int64](repeating: 0, count: matrix.cols + 1)
        for c in matrix.columns { offsets[Int(c) + 1] += 1 }
        for c in 0 ..< matrix.cols { offsets[c + 1] += offsets[c] }
        var next = offsets
        var rows = [Int32](repeating: 0, count: matrix.nonZeroCount)
        var values = [Float](repeating: 0, count: matrix.nonZeroCount)
        for r in 0 ..< matrix.rows {
            for e in Int(matrix.rowOffsets[r]) ..< Int(matrix.rowOffsets[r + 1]) {
                let c = Int(matrix.columns[e]), slot = Int(next[c])
                rows[slot] = Int32(r)
                values[slot] = matrix.values[e]
                next[c] += 1
            }
        }
        transposed = SparseMatrix(kernelOutputRows: matrix.cols, cols: matrix.rows, rowOffsets: offsets, columns: rows, values: values)
    }

    /// Rows of `A`.
    public var rows: Int { matrix.rows }
    /// Columns of `A`.
    public var cols: Int { matrix.cols }

    /// `A X` for a `cols x l` block, O(non-zeros x l) split over `threads`.
    public func apply(_ x: DoubleMatrix) -> DoubleMatrix { Self.product(matrix, x, threads: threads) }
    /// `A^T X` for a `rows x l` block, from the stored transpose, split over `threads`.
    public func applyTransposed(_ x: DoubleMatrix) -> DoubleMatrix { Self.product(transposed, x, threads: threads) }

    /// `a X`, rows split into `threads` ranges of about equal non-zeros.
    static func product(_ a: SparseMatrix, _ x: DoubleMatrix, threads: Int) -> DoubleMatrix {
        precondition(x.rows == a.cols, "ParallelSparseOperator: block has \(x.rows) rows, expected \(a.cols)")
        let l = x.cols
        var out = DoubleMatrix(rows: a.rows, cols: l)
        let parts = max(1, min(threads, a.rows))
        var bounds = [0]
        for p in 1 ..< parts {
            let target = Int64(a.nonZeroCount) * Int64(p) / Int64(parts)
            var lo = bounds.last!, hi = a.rows
            while lo < hi { let mid = (lo + hi) / 2; if a.rowOffsets[mid] < target { lo = mid + 1 } else { hi = mid } }
            bounds.append(lo)
        }
        bounds.append(a.rows)
        a.rowOffsets.withUnsafeBufferPointer { offsets in
            a.columns.withUnsafeBufferPointer { columns in
                a.values.withUnsafeBufferPointer { values in
                    x.values.withUnsafeBufferPointer { xv in
                        out.values.withUnsafeMutableBufferPointer { o in
                            let o = o // each part writes only its own rows
                            DispatchQueue.concurrentPerform(iterations: parts) { p in
                                for r in bounds[p] ..< bounds[p + 1] {
                                    for e in Int(offsets[r]) ..< Int(offsets[r + 1]) {
                                        let v = Double(values[e]), c = Int(columns[e])
                                        for j in 0 ..< l { o[r * l + j] += v * xv[c * l + j] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
