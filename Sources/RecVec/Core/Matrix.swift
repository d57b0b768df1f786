/// A dense row-major matrix of `Float`: `rows` vectors of `cols` dimensions, stored contiguously.
///
/// Every embedding table, query batch and score matrix in RecVec is a `Matrix`; row `i` is
/// `values[i * cols ..< (i + 1) * cols]`.
public struct Matrix: Equatable, Sendable {
    /// Number of rows (vectors); grows only through `append(row:)`.
    public private(set) var rows: Int
    /// Number of columns (the dimension of each vector).
    public let cols: Int
    /// The `rows * cols` entries, row-major. Keep the count unchanged when mutating.
    public var values: [Float]

    /// A `rows x cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape must be non-negative")
        self.rows = rows
        self.cols = cols
        self.values = [Float](repeating: value, count: rows * cols)
    }

    /// Wraps `values` (row-major); throws when the count is not `rows * cols`.
    public init(rows: Int, cols: Int, values: [Float]) throws(KernelError) {
        guard rows >= 0 else { throw .invalidArgument(name: "rows", value: "\(rows)", expected: ">= 0") }
        guard cols >= 0 else { throw .invalidArgument(name: "cols", value: "\(cols)", expected: ">= 0") }
        guard values.count == rows * cols else {
            throw .sizeMismatch(name: "values", expected: rows * cols, found: values.count)
        }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// Builds a matrix from equally long rows.
    public init(rowVectors: [[Float]], cols: Int) throws(KernelError) {
        var values: [Float] = []
        values.reserveCapacity(rowVectors.count * cols)
        for (i, row) in rowVectors.enumerated() {
            guard row.count == cols else { throw .sizeMismatch(name: "rowVectors[\(i)]", expected: cols, found: row.count) }
            values.append(contentsOf: row)
        }
        try self.init(rows: rowVectors.count, cols: cols, values: values)
    }

    /// Row `i` as a new array.
    public func row(_ i: Int) -> [Float] { Array(values[i * cols ..< (i + 1) * cols]) }

    /// Element at row `r`, column `c`.
    @inlinable public subscript(r: Int, c: Int) -> Float {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    /// Appends one row; throws when its length is not `cols`.
    public mutating func append(row: [Float]) throws(KernelError) {
        guard row.count == cols else { throw .sizeMismatch(name: "row", expected: cols, found: row.count) }
        values.append(contentsOf: row)
        rows += 1
    }

    /// The first index of a non-finite value, if any.
    public func firstNonFinite() -> Int? { values.firstIndex { !$0.isFinite } }
}
