import Foundation

/// A linear-algebra routine that cannot finish on its input.
internal enum LinalgError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Cholesky met a pivot <= 0: the matrix is not symmetric positive definite.
    case notPositiveDefinite(pivot: Int, value: Double)
    /// A square matrix was expected.
    case notSquare(rows: Int, cols: Int)
    /// Two operands whose shapes do not fit (`name` says which).
    case shapeMismatch(name: String, expectedRows: Int, foundRows: Int)

    /// One sentence naming the shape or pivot that failed and what was expected.
    public var description: String {
        switch self {
        case let .notPositiveDefinite(pivot, value):
            return "matrix is not positive definite: pivot \(pivot) is \(value) (expected > 0; raise the ridge penalty)"
        case let .notSquare(rows, cols):
            return "expected a square matrix, got \(rows)x\(cols)"
        case let .shapeMismatch(name, expected, found):
            return "\(name) has \(found) rows, expected \(expected)"
        }
    }
}

/// Small dense linear algebra in `Double`, written here because no LAPACK is available.
/// Sizes are those of randomized SVD's projected problems and of ridge regressions
/// (tens to a few hundred), where these O(n^3) textbook methods are fast enough.
internal enum Linalg {
    /// Replaces the columns of `a` by an orthonormal basis of their span: modified Gram-Schmidt,
    /// run twice ("twice is enough", Giraud et al. 2005), which keeps the basis orthogonal to
    /// working precision even when the columns are nearly dependent (as after power iterations).
    /// A column that is dependent on the earlier ones (norm below `1e-12` of its original norm)
    /// is replaced by zeros; the returned count says how many columns are non-zero.
    @discardableResult
    public static func orthonormalizeColumns(_ a: inout DoubleMatrix) -> Int {
        let m = a.rows, n = a.cols
        var original = [Double](repeating: 0, count: n)
        var rank = 0
        a.values.withUnsafeMutableBufferPointer { v in
            for j in 0 ..< n {
                var s = 0.0
                for r in 0 ..< m { s += v[r * n + j] * v[r * n + j] }
                original[j] = s.squareRoot()
            }
            for j in 0 ..< n {
                for _ in 0 ..< 2 {
                    for i in 0 ..< j {
                        var d = 0.0
                        for r in 0 ..< m { d += v[r * n + i] * v[r * n + j] }
                        if d != 0 { for r in 0 ..< m { v[r * n + j] -= d * v[r * n + i] } }
                    }
                }
                var s = 0.0
                for r in 0 ..< m { s += v[r * n + j] * v[r * n + j] }
                let norm = s.squareRoot()
                if norm > 1e-12 * original[j], norm > 0 {
                    for r in 0 ..< m { v[r * n + j] /= norm }
                    rank += 1
                } else {
                    for r in 0 ..< m { v[r * n + j] = 0 }
                }
            }
        }
        return rank
    }

    /// Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method: rotations zero each
    /// off-diagonal element in turn until the off-diagonal mass is below `1e-14` of the total
    /// (quadratic convergence; typically 6-10 sweeps). Only the upper triangle is trusted to be
    /// symmetric with the lower; the routine symmetrises `(a + a^T) / 2` first.
    /// - Returns: eigenvalues in descending order and the matching eigenvectors as the columns
    ///   of `vectors` (`vectors[:, i]` belongs to `values[i]`).
    public static func symmetricEigen(_ a: DoubleMatrix, maxSweeps: Int = 60) throws(LinalgError) -> (values: [Double], vectors: DoubleMatrix) {
        guard a.rows == a.cols else { throw .notSquare(rows: a.rows, cols: a.cols) }
        let n = a.rows
        var s = a
        for i in 0 ..< n { for j in i + 1 ..< n {
            let m = (a[i, j] + a[j, i]) / 2
            s[i, j] = m; s[j, i] = m
        } }
        var v = DoubleMatrix.identity(n)
        let total = s.values.reduce(0) { $0 + $1 * $1 }
        s.values.withUnsafeMutableBufferPointer { A in
            v.values.withUnsafeMutableBufferPointer { V in
                for _ in 0 ..< maxSweeps {
                    var off = 0.0
                    for i in 0 ..< n { for j in i + 1 ..< n { off += 2 * A[i * n + j] * A[i * n + j] } }
                    if off <= 1e-28 * total || off == 0 { break }
                    for p in 0 ..< n {
                        for q in p + 1 ..< n {
                            let apq = A[p * n + q]
                            if apq == 0 { continue }
                            // Rotation angle (Golub & Van Loan, Algorithm 8.5.2 sym.schur2).
                            let theta = (A[q * n + q] - A[p * n + p]) / (2 * apq)
                            let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                            let c = 1 / (t * t + 1).squareRoot(), sn = t * c
                            // A <- J^T A J on rows/columns p and q.
                            for k in 0 ..< n {
                                let akp = A[k * n + p], akq = A[k * n + q]
                                A[k * n + p] = c * akp - sn * akq
                                A[k * n + q] = sn * akp + c * akq
                            }
                            for k in 0 ..< n {
                                let apk = A[p * n + k], aqk = A[q * n + k]
                                A[p * n + k] = c * apk - sn * aqk
                                A[q * n + k] = sn * apk + c * aqk
                            }
                            A[p * n + q] = 0; A[q * n + p] = 0
                            for k in 0 ..< n {
                                let vkp = V[k * n + p], vkq = V[k * n + q]
                                V[k * n + p] = c * vkp - sn * vkq
                                V[k * n + q] = sn * vkp + c * vkq
                            }
                        }
                    }
                }
            }
        }
        let order = (0 ..< n).sorted { s[$0, $0] > s[$1, $1] || (s[$0, $0] == s[$1, $1] && $0 < $1) }
        var vectors = DoubleMatrix(rows: n, cols: n)
        for (newIndex, old) in order.enumerated() {
            for k in 0 ..< n { vectors[k, newIndex] = v[k, old] }
        }
        return (order.map { s[$0, $0] }, vectors)
    }

    /// The lower-triangular `L` with `L L^T = a`, for a symmetric positive definite `a`.
    public static func cholesky(_ a: DoubleMatrix) throws(LinalgError) -> DoubleMatrix {
        guard a.rows == a.cols else { throw .notSquare(rows: a.rows, cols: a.cols) }
        let n = a.rows
        var l = DoubleMatrix(rows: n, cols: n)
        // Row-major, so both inner products run over contiguous rows (l[i, 0..<j] and l[j, 0..<j]).
        var failure: LinalgError?
        a.values.withUnsafeBufferPointer { a in
            l.values.withUnsafeMutableBufferPointer { l in
                for j in 0 ..< n {
                    let rowJ = j * n
                    var d = a[rowJ + j]
                    for k in 0 ..< j { d -= l[rowJ + k] * l[rowJ + k] }
                    guard d > 0, d.isFinite else { failure = .notPositiveDefinite(pivot: j, value: d); return }
                    let ljj = d.squareRoot()
                    l[rowJ + j] = ljj
                    for i in j + 1 ..< n {
                        let rowI = i * n
                        var s = a[rowI + j]
                        for k in 0 ..< j { s -= l[rowI + k] * l[rowJ + k] }
                        l[rowI + j] = s / ljj
                    }
                }
            }
        }
        if let failure { throw failure }
        return l
    }

    /// Solves `a x = b` for every column of `b`, with `a` symmetric positive definite
    /// (Cholesky, then forward and back substitution).
    public static func choleskySolve(_ a: DoubleMatrix, _ b: DoubleMatrix) throws(LinalgError) -> DoubleMatrix {
        let l = try cholesky(a)
        let n = a.rows, m = b.cols
        guard b.rows == n else { throw .shapeMismatch(name: "choleskySolve's right-hand side", expectedRows: n, foundRows: b.rows) }
        var x = b
        for c in 0 ..< m {
            for i in 0 ..< n { // L y = b
                var s = x[i, c]
                for k in 0 ..< i { s -= l[i, k] * x[k, c] }
                x[i, c] = s / l[i, i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) { // L^T x = y
                var s = x[i, c]
                for k in i + 1 ..< n { s -= l[k, i] * x[k, c] }
                x[i, c] = s / l[i, i]
            }
        }
        return x
    }
}

extension LinalgError: LocalizedError {
    /// The same sentence as `description`.
    public var errorDescription: String? { description }
}
