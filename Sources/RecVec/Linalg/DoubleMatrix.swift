/// A dense row-major matrix of `Double`: the working precision of the small dense linear
/// algebra (QR, symmetric eigenproblems, Cholesky, the blocks of randomized SVD).
/// Element `(r, c)` is `values[r * cols + c]`.
internal struct DoubleMatrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// The `rows * cols` entries, row-major.
    public var values: [Double]

    /// A `rows x cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "DoubleMatrix shape must be non-negative")
        self.rows = rows
        self.cols = cols
        values = [Double](repeating: value, count: rows * cols)
    }

    /// Wraps `values` (row-major); throws when the count is not `rows * cols`.
    public init(rows: Int, cols: Int, values: [Double]) throws(KernelError) {
        guard rows >= 0, cols >= 0 else { throw .invalidArgument(name: "shape", value: "\(rows)x\(cols)", expected: "non-negative") }
        guard values.count == rows * cols else { throw .sizeMismatch(name: "values", expected: rows * cols, found: values.count) }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// The same values in double precision.
    public init(_ m: Matrix) {
        rows = m.rows
        cols = m.cols
        values = m.values.map(Double.init)
    }

    /// The `n x n` identity.
    public static func identity(_ n: Int) -> DoubleMatrix {
        var m = DoubleMatrix(rows: n, cols: n)
        for i in 0 ..< n { m.values[i * n + i] = 1 }
        return m
    }

    /// Element `(r, c)`; not bounds-checked beyond the array's own check.
    @inlinable public subscript(r: Int, c: Int) -> Double {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    /// The values rounded to `Float`.
    public var float: Matrix { Matrix(rowsUnchecked: rows, cols: cols, values: values.map(Float.init)) }

    /// The `cols x rows` transpose (a copy).
    public var transposed: DoubleMatrix {
        var t = DoubleMatrix(rows: cols, cols: rows)
        for r in 0 ..< rows { for c in 0 ..< cols { t.values[c * rows + r] = values[r * cols + c] } }
        return t
    }

    /// `self * other`.
    public func multiplied(by other: DoubleMatrix) -> DoubleMatrix {
        precondition(cols == other.rows, "multiplied(by:): \(rows)x\(cols) times \(other.rows)x\(other.cols)")
        var out = DoubleMatrix(rows: rows, cols: other.cols)
        let n = other.cols
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { o in
                    for r in 0 ..< rows {
                        for k in 0 ..< cols {
                            let x = a[r * cols + k]
                            if x == 0 { continue }
                            for c in 0 ..< n { o[r * n + c] += x * b[k * n + c] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// `self^T * other` without forming the transpose.
    public func transposeMultiplied(by other: DoubleMatrix) -> DoubleMatrix {
        precondition(rows == other.rows, "transposeMultiplied(by:): (\(rows)x\(cols))^T times \(other.rows)x\(other.cols)")
        var out = DoubleMatrix(rows: cols, cols: other.cols)
        let n = other.cols
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { o in
                    for k in 0 ..< rows {
                        for r in 0 ..< cols {
                            let x = a[k * cols + r]
                            if x == 0 { continue }
                            for c in 0 ..< n { o[r * n + c] += x * b[k * n + c] }
                        }
                    }
                }
            }
        }
        return out
    }
}

extension Matrix {
    /// Wraps values whose count the caller has already established.
    init(rowsUnchecked rows: Int, cols: Int, values: [Float]) {
        self.init(rows: rows, cols: cols)
        self.values = values
    }
}
