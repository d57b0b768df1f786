import Foundation
import XCTest
@testable import RecVec

/// Randomized SVD against an exact SVD on the seed workload's 400 x 400 PPMI matrix.
final class SeedSVDTests: XCTestCase {
    /// Eigenvalues of a symmetric matrix by Householder tridiagonalisation and implicit QL
    /// (Numerical Recipes' tred2/tqli, values only): an oracle independent of the library's Jacobi
    /// and of randomized SVD, and ~20x cheaper than Jacobi at n = 400 in a debug build.
    static func exactEigenvalues(_ m: DoubleMatrix) -> [Double] {
        let n = m.rows
        var a = m.values, d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        a.withUnsafeMutableBufferPointer { a in
            for i in stride(from: n - 1, to: 0, by: -1) {
                let l = i - 1
                var h = 0.0
                if l > 0 {
                    var scale = 0.0
                    for k in 0 ... l { scale += abs(a[i * n + k]) }
                    if scale == 0 { e[i] = a[i * n + l] } else {
                        for k in 0 ... l { a[i * n + k] /= scale; h += a[i * n + k] * a[i * n + k] }
                        var f = a[i * n + l]
                        let g0 = f >= 0 ? -h.squareRoot() : h.squareRoot()
                        e[i] = scale * g0
                        h -= f * g0
                        a[i * n + l] = f - g0
                        f = 0
                        for j in 0 ... l {
                            var g = 0.0
                            for k in 0 ... j { g += a[j * n + k] * a[i * n + k] }
                            if j + 1 <= l { for k in j + 1 ... l { g += a[k * n + j] * a[i * n + k] } }
                            e[j] = g / h
                            f += e[j] * a[i * n + j]
                        }
                        let hh = f / (h + h)
                        for j in 0 ... l {
                            let fj = a[i * n + j]
                            let g = e[j] - hh * fj
                            e[j] = g
                            for k in 0 ... j { a[j * n + k] -= fj * e[k] + g * a[i * n + k] }
                        }
                    }
                } else {
                    e[i] = a[i * n + l]
                }
            }
            for i in 0 ..< n { d[i] = a[i * n + i] }
        }
        for i in 1 ..< n { e[i - 1] = e[i] }
        e[n - 1] = 0
        for l in 0 ..< n {
            var iterations = 0
            while true {
                var m = l
                while m < n - 1 {
                    let dd = abs(d[m]) + abs(d[m + 1])
                    if abs(e[m]) <= Double.ulpOfOne * dd { break }
                    m += 1
                }
                if m == l { break }
                iterations += 1
                precondition(iterations < 60, "QL did not converge")
                var g = (d[l + 1] - d[l]) / (2 * e[l])
                var r = (g * g + 1).squareRoot()
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
                var s = 1.0, c = 1.0, p = 0.0
                var i = m - 1
                var deflated = false
                while i >= l {
                    let f = s * e[i], b = c * e[i]
                    r = (f * f + g * g).squareRoot()
                    e[i + 1] = r
                    if r == 0 { d[i + 1] -= p; e[m] = 0; deflated = true; break }
                    s = f / r; c = g / r
                    g = d[i + 1] - p
                    r = (d[i] - g) * s + 2 * c * b
                    p = s * r
                    d[i + 1] = g + p
                    g = c * r - b
                    i -= 1
                }
                if deflated { continue }
                d[l] -= p; e[l] = g; e[m] = 0
            }
        }
        return d.sorted(by: >)
    }

    func testOracleAgreesWithJacobi() throws {
        var g = SplitMix64(seed: 8)
        var b = DoubleMatrix(rows: 9, cols: 9)
        for i in b.values.indices { b.values[i] = g.gaussian() }
        let s = b.transposeMultiplied(by: b)
        let jacobi = try Linalg.symmetricEigen(s).values, ql = Self.exactEigenvalues(s)
        // Both are backward stable: eigenvalues agree to ~n·eps·|S| (|S| ~ 30 here).
        for i in 0 ..< 9 { XCTAssertEqual(jacobi[i], ql[i], accuracy: 1e-10) }
    }

    func testRandomizedSVDMatchesExactOnSeedPPMI() throws {
        let workload = try SyntheticWorkload()
        let a = try PPMI.dense(try Kernels.cooccurrenceDense(workload.sessions, window: 5))
        let exact = Self.exactEigenvalues(a.transposeMultiplied(by: a)).map { max($0, 0).squareRoot() }
        // The PPMI spectrum is 16 signal values then a flat noise bulk (σ32/σ64 ≈ 1.3), where a
        // sketch converges slowly: with 32 extra directions and 8 power iterations the error
        // factor is (σ64/σ32)^(2(2q+1)) ≈ 1e-4 at the edge of the bulk (measured max 4e-5),
        // inside the 1e-3 bound. (The table's defaults, p = 10 and q = 4, stop at ~2% there.)
        let svd = try TruncatedSVD(a, config: RandomizedSVDConfig(rank: 32, oversampling: 32, powerIterations: 8, seed: 7))
        for i in 0 ..< 32 { XCTAssertEqual(svd.singularValues[i], exact[i], accuracy: 1e-3 * exact[i], "σ\(i)") }
        // The signal part converges with the cheap defaults too.
        let cheap = try TruncatedSVD(a, config: RandomizedSVDConfig(rank: 32, seed: 7))
        for i in 0 ..< 16 { XCTAssertEqual(cheap.singularValues[i], exact[i], accuracy: 1e-3 * exact[i], "defaults σ\(i)") }
    }
}
