/// A sparse matrix in compressed sparse row (CSR) form: row `r` holds the columns
/// `columns[rowOffsets[r] ..< rowOffsets[r + 1]]` (ascending) with their `values`.
/// Memory grows with the number of non-zeros, not with `rows * cols`.
public struct SparseMatrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns; every entry of `columns` is below it.
    public let cols: Int
    /// `rows + 1` offsets into `columns` and `values`.
    public var rowOffsets: [Int64]
    /// The column of every non-zero, row after row, ascending within a row.
    public var columns: [Int32]
    /// The value of every non-zero, parallel to `columns`.
    public var values: [Float]

    /// Number of stored non-zeros.
    public var nonZeroCount: Int { columns.count }

    /// Validates and wraps CSR arrays in O(non-zeros).
    /// - Throws: `KernelError.sizeMismatch` when `rowOffsets` does not have `rows + 1` entries or
    ///   `columns` and `values` differ in length; `.invalidArgument` when the offsets do not run from
    ///   0 to `columns.count`; `.outOfRange` for a column outside `0 ..< cols`.
    public init(rows: Int, cols: Int, rowOffsets: [Int64], columns: [Int32], values: [Float]) throws(KernelError) {
        guard rowOffsets.count == rows + 1 else { throw .sizeMismatch(name: "rowOffsets", expected: rows + 1, found: rowOffsets.count) }
        guard columns.count == values.count else { throw .sizeMismatch(name: "values", expected: columns.count, found: values.count) }
        guard rowOffsets.first == 0, rowOffsets.last == Int64(columns.count) else {
            throw .invalidArgument(name: "rowOffsets", value: "\(rowOffsets.first ?? -1)...\(rowOffsets.last ?? -1)",
                                   expected: "0...\(columns.count)")
        }
        if let bad = columns.firstIndex(where: { $0 < 0 || Int($0) >= cols }) {
            throw .outOfRange(name: "columns", index: bad, value: Int(columns[bad]), count: cols)
        }
        self.rows = rows
        self.cols = cols
        self.rowOffsets = rowOffsets
        self.columns = columns
        self.values = values
    }

    /// Wraps arrays a C kernel built and documents as well-formed (offsets from 0 to the
    /// non-zero count, columns in range), without another pass over every non-zero.
    init(kernelOutputRows rows: Int, cols: Int, rowOffsets: [Int64], columns: [Int32], values: [Float]) {
        assert(rowOffsets.count == rows + 1 && rowOffsets.last == Int64(columns.count) && columns.count == values.count)
        self.rows = rows
        self.cols = cols
        self.rowOffsets = rowOffsets
        self.columns = columns
        self.values = values
    }

    /// The non-zeros of row `r` as (column, value) pairs.
    public func row(_ r: Int) -> Zip2Sequence<ArraySlice<Int32>, ArraySlice<Float>> {
        let range = Int(rowOffsets[r]) ..< Int(rowOffsets[r + 1])
        return zip(columns[range], values[range])
    }

    /// The dense form; for tests and small catalogs.
    public func dense() -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for r in 0 ..< rows {
            for (c, v) in row(r) { m[r, Int(c)] = v }
        }
        return m
    }
}
