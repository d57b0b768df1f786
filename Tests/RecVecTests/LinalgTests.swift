import XCTest
@testable import RecVec
import TestSupport

final class LinalgTests: XCTestCase {
    private func gaussian(_ rows: Int, _ cols: Int, seed: UInt64) -> DoubleMatrix {
        var g = SplitMix64(seed: seed)
        var m = DoubleMatrix(rows: rows, cols: cols)
        for i in m.values.indices { m.values[i] = g.gaussian() }
        return m
    }

    /// `A = U diag(s) V^T` with random orthonormal U, V and the given spectrum.
    private func matrix(withSpectrum s: [Double], rows: Int, cols: Int, seed: UInt64) -> DoubleMatrix {
        var u = gaussian(rows, s.count, seed: seed), v = gaussian(cols, s.count, seed: seed + 1)
        Linalg.orthonormalizeColumns(&u)
        Linalg.orthonormalizeColumns(&v)
        for r in 0 ..< rows { for c in 0 ..< s.count { u[r, c] *= s[c] } }
        return u.multiplied(by: v.transposed)
    }

    func testOrthonormalizeGivesIdentityGramAndDetectsDependentColumn() {
        var a = gaussian(50, 6, seed: 3)
        for r in 0 ..< 50 { a[r, 5] = a[r, 0] + 2 * a[r, 1] } // column 5 depends on 0 and 1
        let rank = Linalg.orthonormalizeColumns(&a)
        XCTAssertEqual(rank, 5)
        let gram = a.transposeMultiplied(by: a)
        for i in 0 ..< 6 { for j in 0 ..< 6 {
            // MGS twice keeps |Q^T Q - I| at a few ulps of 1 (Giraud et al.): 1e-12 is generous.
            let expected: Double = (i == j && i < 5) ? 1 : 0
            XCTAssertEqual(gram[i, j], expected, accuracy: 1e-12, "(\(i), \(j))")
        } }
    }

    func testJacobiReconstructsSymmetricMatrix() throws {
        let b = gaussian(12, 12, seed: 5)
        let a = b.transposeMultiplied(by: b) // symmetric PSD
        let (values, vectors) = try Linalg.symmetricEigen(a)
        XCTAssertEqual(values, values.sorted(by: >))
        // V diag(values) V^T == A; Jacobi stops when off-diagonal mass < 1e-14 relative, so the
        // reconstruction is exact to ~1e-13 of |A| (entries of A are O(10) here).
        var scaled = vectors
        for r in 0 ..< 12 { for c in 0 ..< 12 { scaled[r, c] *= values[c] } }
        let back = scaled.multiplied(by: vectors.transposed)
        for i in a.values.indices { XCTAssertEqual(back.values[i], a.values[i], accuracy: 1e-10) }
    }

    func testJacobiKnownEigenvalues() throws {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with vectors (1, 1)/√2 and (1, -1)/√2.
        let (values, vectors) = try Linalg.symmetricEigen(try DoubleMatrix(rows: 2, cols: 2, values: [2, 1, 1, 2]))
        XCTAssertEqual(values[0], 3, accuracy: 1e-14)
        XCTAssertEqual(values[1], 1, accuracy: 1e-14)
        XCTAssertEqual(abs(vectors[0, 0]), 0.5.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(vectors[0, 0] * vectors[1, 0], 0.5, accuracy: 1e-14)
        XCTAssertEqual(vectors[0, 1] * vectors[1, 1], -0.5, accuracy: 1e-14)
    }

    func testCholeskySolveAndRejectsIndefinite() throws {
        // [[4, 2], [2, 3]] x = [2, 1]: x = [0.5, 0] by hand (det 8; x = (3*2 - 2*1)/8, (4*1 - 2*2)/8).
        let a = try DoubleMatrix(rows: 2, cols: 2, values: [4, 2, 2, 3])
        let x = try Linalg.choleskySolve(a, try DoubleMatrix(rows: 2, cols: 1, values: [2, 1]))
        XCTAssertEqual(x[0, 0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(x[1, 0], 0, accuracy: 1e-15)
        XCTAssertThrowsError(try Linalg.cholesky(try DoubleMatrix(rows: 2, cols: 2, values: [1, 2, 2, 1]))) { error in
            XCTAssertEqual(error as? LinalgError, .notPositiveDefinite(pivot: 1, value: -3))
        }
    }

    func testRandomizedSVDRecoversKnownSpectrumDenseAndSparse() throws {
        // Slowly decaying spectrum (1/sqrt(i)) is the hard case for a sketch; power iterations fix it.
        let spectrum = (0 ..< 40).map { 10 / Double($0 + 1).squareRoot() }
        let a = matrix(withSpectrum: spectrum, rows: 60, cols: 45, seed: 11)
        let config = RandomizedSVDConfig(rank: 8, oversampling: 10, powerIterations: 6, seed: 2)
        let dense = try TruncatedSVD(a, config: config)
        // Sparse form of the same matrix (every entry non-zero) must give the same answer.
        var offsets: [Int64] = [0], cols: [Int32] = [], vals: [Float] = []
        for r in 0 ..< a.rows {
            for c in 0 ..< a.cols { cols.append(Int32(c)); vals.append(Float(a[r, c])) }
            offsets.append(Int64(cols.count))
        }
        let sparse = try TruncatedSVD(try SparseMatrix(rows: 60, cols: 45, rowOffsets: offsets, columns: cols, values: vals), config: config)
        for i in 0 ..< 8 {
            // Gap s_8/s_18 ≈ 1.5; after 6 power iterations the error factor is 1.5^-13 ≈ 5e-3 on
            // the subspace, squared on the values: well inside 1e-3 relative.
            XCTAssertEqual(dense.singularValues[i], spectrum[i], accuracy: 1e-3 * spectrum[i], "σ\(i)")
            // Float rounding of the sparse entries (1e-7 relative) bounds the difference.
            XCTAssertEqual(sparse.singularValues[i], dense.singularValues[i], accuracy: 1e-5 * spectrum[i], "sparse σ\(i)")
        }
        // A v_i = s_i u_i for the returned triplets.
        let av = a.multiplied(by: dense.v)
        for i in 0 ..< 8 { for r in 0 ..< 60 {
            XCTAssertEqual(av[r, i], dense.singularValues[i] * dense.u[r, i], accuracy: 1e-2, "row \(r) triplet \(i)")
        } }
    }
}
