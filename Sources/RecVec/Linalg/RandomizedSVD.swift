/// A matrix seen only through products with dense blocks: what randomized SVD needs, so that a
/// sparse matrix never has to be made dense.
internal protocol LinearOperator {
    var rows: Int { get }
    var cols: Int { get }
    /// `A X` for a `cols x l` block `X`.
    func apply(_ x: DoubleMatrix) -> DoubleMatrix
    /// `A^T X` for a `rows x l` block `X`.
    func applyTransposed(_ x: DoubleMatrix) -> DoubleMatrix
}

extension DoubleMatrix: LinearOperator {
    /// `self * x` (dense product).
    public func apply(_ x: DoubleMatrix) -> DoubleMatrix { multiplied(by: x) }
    /// `self^T * x` (dense product, without forming the transpose).
    public func applyTransposed(_ x: DoubleMatrix) -> DoubleMatrix { transposeMultiplied(by: x) }
}

/// The sparse path: CSR times a dense block costs O(non-zeros x l).
extension SparseMatrix: LinearOperator {
    /// `A X` for a `cols x l` block, one thread, O(non-zeros x l).
    func apply(_ x: DoubleMatrix) -> DoubleMatrix {
        precondition(x.rows == cols, "SparseMatrix.apply: block has \(x.rows) rows, expected \(cols)")
        let l = x.cols
        var out = DoubleMatrix(rows: rows, cols: l)
        x.values.withUnsafeBufferPointer { xv in
            out.values.withUnsafeMutableBufferPointer { o in
                for r in 0 ..< rows {
                    for e in Int(rowOffsets[r]) ..< Int(rowOffsets[r + 1]) {
                        let v = Double(values[e]), c = Int(columns[e])
                        for j in 0 ..< l { o[r * l + j] += v * xv[c * l + j] }
                    }
                }
            }
        }
        return out
    }

    /// `A^T X` for a `rows x l` block, scattering each row's non-zeros, one thread.
    func applyTransposed(_ x: DoubleMatrix) -> DoubleMatrix {
        precondition(x.rows == rows, "SparseMatrix.applyTransposed: block has \(x.rows) rows, expected \(rows)")
        let l = x.cols
        var out = DoubleMatrix(rows: cols, cols: l)
        x.values.withUnsafeBufferPointer { xv in
            out.values.withUnsafeMutableBufferPointer { o in
                for r in 0 ..< rows {
                    for e in Int(rowOffsets[r]) ..< Int(rowOffsets[r + 1]) {
                        let v = Double(values[e]), c = Int(columns[e])
                        for j in 0 ..< l { o[c * l + j] += v * xv[r * l + j] }
                    }
                }
            }
        }
        return out
    }
}

/// Settings of randomized truncated SVD (Halko, Martinsson & Tropp 2011, Algorithms 4.4 and 5.1).
public struct RandomizedSVDConfig: Equatable, Sendable, Codable {
    /// Singular triplets wanted.
    public var rank = 32
    /// Extra random directions beyond `rank` (Halko et al. recommend 5-10).
    public var oversampling = 10
    /// Power (subspace) iterations, each re-orthonormalised; they sharpen the subspace when the
    /// spectrum decays slowly, as it does for PPMI matrices.
    public var powerIterations = 4
    /// Seeds the Gaussian sketch; the same seed and input give the same factors.
    public var seed: UInt64 = 1

    /// The settings, with the defaults listed on each property.
    public init(rank: Int = 32, oversampling: Int = 10, powerIterations: Int = 4, seed: UInt64 = 1) {
        self.rank = rank
        self.oversampling = oversampling
        self.powerIterations = powerIterations
        self.seed = seed
    }
}

/// A truncated SVD `A ≈ U diag(S) V^T`, singular values descending.
public struct TruncatedSVD: Sendable {
    /// Left singular vectors, `rows x rank`, orthonormal columns.
    var u: DoubleMatrix
    /// The `rank` largest singular values, descending.
    public var singularValues: [Double]
    /// Right singular vectors, `cols x rank`, orthonormal columns (a column is zero where its
    /// singular value is 0).
    var v: DoubleMatrix

    /// Randomized SVD of `a`: a Gaussian sketch `Y = A Ω`, power iterations
    /// `Y <- A orth(A^T orth(Y))`, then the exact SVD of the small `B = Q^T A` through the
    /// Jacobi eigen-decomposition of the `l x l` matrix `B B^T`.
    init(_ a: some LinearOperator, config: RandomizedSVDConfig) throws(KernelError) {
        let smaller = min(a.rows, a.cols)
        guard config.rank >= 1, config.rank <= smaller else {
            throw .invalidArgument(name: "rank", value: "\(config.rank)", expected: "1 ... \(smaller) (the smaller side of the matrix)")
        }
        guard config.oversampling >= 0 else { throw .invalidArgument(name: "oversampling", value: "\(config.oversampling)", expected: ">= 0") }
        guard config.powerIterations >= 0 else { throw .invalidArgument(name: "powerIterations", value: "\(config.powerIterations)", expected: ">= 0") }
        let l = min(config.rank + config.oversampling, smaller)
        var random = SplitMix64(seed: config.seed)
        var omega = DoubleMatrix(rows: a.cols, cols: l)
        for i in omega.values.indices { omega.values[i] = random.gaussian() }
        var q = a.apply(omega)
        Linalg.orthonormalizeColumns(&q)
        for _ in 0 ..< config.powerIterations {
            var z = a.applyTransposed(q)
            Linalg.orthonormalizeColumns(&z)
            q = a.apply(z)
            Linalg.orthonormalizeColumns(&q)
        }
        let bt = a.applyTransposed(q) // (Q^T A)^T: cols x l
        let gram = bt.transposeMultiplied(by: bt) // B B^T: l x l
        let eig: (values: [Double], vectors: DoubleMatrix)
        do { eig = try Linalg.symmetricEigen(gram) } catch { fatalError("unreachable: gram is square") }
        let k = config.rank
        var w = DoubleMatrix(rows: l, cols: k)
        for r in 0 ..< l { for c in 0 ..< k { w[r, c] = eig.vectors[r, c] } }
        singularValues = (0 ..< k).map { max(eig.values[$0], 0).squareRoot() }
        u = q.multiplied(by: w)
        v = bt.multiplied(by: w)
        for c in 0 ..< k {
            let s = singularValues[c]
            for r in 0 ..< v.rows { v[r, c] = s > 0 ? v[r, c] / s : 0 }
        }
    }

    /// Row embeddings `U diag(S)^exponent` (exponent 0, 0.5 or 1 are the usual choices).
    public func rowEmbedding(exponent: Double) -> Matrix { Self.scaled(u, singularValues, exponent) }

    /// Column embeddings `V diag(S)^exponent`: with `rowEmbedding(exponent: 0.5)` their dot
    /// products reconstruct `A`'s rank-k approximation.
    public func columnEmbedding(exponent: Double) -> Matrix { Self.scaled(v, singularValues, exponent) }

    private static func scaled(_ m: DoubleMatrix, _ s: [Double], _ exponent: Double) -> Matrix {
        var out = Matrix(rows: m.rows, cols: m.cols)
        let scale = s.map { $0 > 0 ? Foundation.pow($0, exponent) : 0 }
        for r in 0 ..< m.rows { for c in 0 ..< m.cols { out[r, c] = Float(m[r, c] * scale[c]) } }
        return out
    }
}

import Foundation
