import CKernels
import KernelTwins
import RecVec
import TestSupport
import XCTest

/// Inputs and tolerances the scoring and top-K tests share.
enum ScoringCheck {
    /// Unit roundoff of Float: 2^-24.
    static let unitRoundoff = Double(Float.ulpOfOne) / 2

    /// Thread counts every kernel runs with: one, a count that does not divide the work evenly,
    /// and all (0). Results must be identical across them.
    static let threadCounts = [1, 3, 0]

    static let seeds: [UInt64] = [1, 7]

    /// How far a C score may sit from the twin's (computed in Double, then rounded).
    ///
    /// The C kernel sums d float products q_j r_j in sequence (with or without FMA): the classic
    /// bound for recursive summation is |error| <= gamma_d * sum |q_j r_j|, gamma_d = d u / (1 - d u)
    /// ~ d u (u = 2^-24). Cosine then multiplies by two reciprocal norms (each within ~1 u of exact:
    /// the norm is accumulated in double, so only its rounding to float counts) with two roundings,
    /// which adds at most ~4 u |cosine|, and the twin's own rounding to Float adds u |score|. Since
    /// |score| <= sum |q_j r_j| (scaled by 1 / (|q| |r|) for cosine), (d + 6) u sum |q_j r_j| bounds it all.
    static func tolerance(_ query: ArraySlice<Float>, _ row: ArraySlice<Float>, metric: Metric) -> Double {
        let norms = metric == .cosine ? ScoringTwin.dot(query, query).squareRoot() * ScoringTwin.dot(row, row).squareRoot() : 1
        return tolerance(query, row, norms: norms)
    }

    private static func tolerance(_ query: ArraySlice<Float>, _ row: ArraySlice<Float>, norms: Double) -> Double {
        var sumAbs = 0.0
        for (x, y) in zip(query, row) { sumAbs += abs(Double(x) * Double(y)) }
        return norms == 0 ? 0 : Double(query.count + 6) * unitRoundoff * sumAbs / norms
    }

    /// `tolerance` for every (query, row) pair, row-major like a score matrix.
    static func tolerances(_ queries: Matrix, _ rows: Matrix, metric: Metric) -> [Double] {
        let norm = { (m: Matrix, i: Int) in metric == .cosine ? ScoringTwin.dot(row(m, i), row(m, i)).squareRoot() : 1 }
        let rowNorms = (0 ..< rows.rows).map { norm(rows, $0) }
        return (0 ..< queries.rows).flatMap { q in
            let queryNorm = norm(queries, q)
            return (0 ..< rows.rows).map { r in tolerance(row(queries, q), row(rows, r), norms: queryNorm * rowNorms[r]) }
        }
    }

    /// Uniform values in [-1, 1).
    static func randomMatrix(_ rows: Int, _ cols: Int, _ random: inout TestRandom) -> Matrix {
        try! Matrix(rows: rows, cols: cols, values: random.floats(rows * cols))
    }

    /// Small integers in -3 ... 3: every dot product (|x| <= 9 * 100) is exact in Float, with or
    /// without FMA, so scores and their order (ties included) must match the twin exactly.
    static func integerMatrix(_ rows: Int, _ cols: Int, _ random: inout TestRandom) -> Matrix {
        try! Matrix(rows: rows, cols: cols, values: (0 ..< rows * cols).map { _ in Float(random.below(7) - 3) })
    }

    static func row(_ m: Matrix, _ i: Int) -> ArraySlice<Float> { m.values[i * m.cols ..< (i + 1) * m.cols] }

    /// Runs `body` on every SIMD level this CPU has and at every thread count; fails unless every
    /// run gives the same value as the first.
    static func onEveryPath<T: Equatable>(file: StaticString = #filePath, line: UInt = #line,
                                          _ body: (_ level: SIMDLevel, _ threads: Int) throws -> T) throws {
        for level in Kernels.availableSIMDLevels {
            var first: T?
            for threads in threadCounts {
                let value = try Kernels.withSIMDLevel(level) { try body(level, threads) }
                if let first {
                    XCTAssert(value == first, "\(level) at \(threads) threads differs from 1 thread", file: file, line: line)
                } else {
                    first = value
                }
            }
        }
    }

    static func assertThrows(_ expected: KernelError, _ message: String, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            // NaN payloads never compare equal: compare the other fields and NaN-ness.
            if case let .nonFinite(name, index, value) = expected, value.isNaN, case let .nonFinite(n, i, v)? = error as? KernelError {
                XCTAssert(n == name && i == index && v.isNaN, "\(error)", file: file, line: line)
            } else {
                XCTAssertEqual(error as? KernelError, expected, file: file, line: line)
            }
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }
}

final class ScoringTests: XCTestCase {
    func testScoresMatchTwinWithinToleranceOverAwkwardDims() throws {
        for dim in TestSupport.awkwardDims {
            for seed in ScoringCheck.seeds {
                var random = TestRandom(seed: seed)
                // 7 queries: one 6-query tile and a tail; 45 rows: two 16-row panels and a tail.
                let queries = ScoringCheck.randomMatrix(7, dim, &random)
                let rows = ScoringCheck.randomMatrix(45, dim, &random)
                for metric in Metric.allCases {
                    let twin = ScoringTwin.scores(queries: queries, rows: rows, metric: metric)
                    let tolerances = ScoringCheck.tolerances(queries, rows, metric: metric)
                    try ScoringCheck.onEveryPath { level, threads in
                        let c = try Kernels.scores(queries: queries, rows: rows, metric: metric, threads: threads)
                        XCTAssertEqual(c.rows, 7)
                        XCTAssertEqual(c.cols, 45)
                        let outside = (0 ..< c.values.count).filter { abs(Double(c.values[$0]) - Double(twin.values[$0])) > tolerances[$0] }
                        XCTAssertEqual(outside, [], "dim \(dim) seed \(seed) \(metric) \(level) threads \(threads)")
                        return c
                    }
                }
            }
        }
    }

    func testDotScoresOfIntegerVectorsAreExact() throws {
        for dim in TestSupport.awkwardDims {
            var random = TestRandom(seed: UInt64(dim))
            let queries = ScoringCheck.integerMatrix(8, dim, &random)
            let rows = ScoringCheck.integerMatrix(19, dim, &random)
            let twin = ScoringTwin.scores(queries: queries, rows: rows, metric: .dot)
            try ScoringCheck.onEveryPath { level, threads in
                let c = try Kernels.scores(queries: queries, rows: rows, metric: .dot, threads: threads)
                XCTAssertEqual(c, twin, "dim \(dim) \(level) threads \(threads)")
                return c
            }
        }
    }

    /// Enough rows for several cache blocks (512 rows at d = 64, 320 at d = 100; see rv_score_block_rows) and a short last one.
    func testScoresAcrossSeveralRowBlocks() throws {
        for dim in [64, 100] {
            var random = TestRandom(seed: 3)
            let queries = ScoringCheck.randomMatrix(7, dim, &random)
            let rows = ScoringCheck.randomMatrix(700, dim, &random)
            let twin = ScoringTwin.scores(queries: queries, rows: rows, metric: .cosine)
            let tolerances = ScoringCheck.tolerances(queries, rows, metric: .cosine)
            try ScoringCheck.onEveryPath { level, threads in
                let c = try Kernels.scores(queries: queries, rows: rows, metric: .cosine, threads: threads)
                let outside = (0 ..< c.values.count).filter { abs(Double(c.values[$0]) - Double(twin.values[$0])) > tolerances[$0] }
                XCTAssertEqual(outside, [], "dim \(dim) \(level) threads \(threads)")
                return c
            }
        }
    }

    func testCosineWithAZeroVectorIsZero() throws {
        let queries = try Matrix(rowVectors: [[0, 0, 0], [1, 2, 2]], cols: 3)
        let rows = try Matrix(rowVectors: [[3, 0, 4], [0, 0, 0]], cols: 3)
        try ScoringCheck.onEveryPath { _, threads in
            let c = try Kernels.scores(queries: queries, rows: rows, metric: .cosine, threads: threads)
            XCTAssertEqual(c[0, 0], 0)
            XCTAssertEqual(c[0, 1], 0)
            XCTAssertEqual(c[1, 1], 0)
            // (1, 2, 2) . (3, 0, 4) / (3 * 5) = 11 / 15
            XCTAssertEqual(Double(c[1, 0]), 11.0 / 15.0, accuracy: 1e-6)
            return c
        }
    }

    func testEmptyShapesGiveEmptyResults() throws {
        let queries = try Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try Kernels.scores(queries: queries, rows: Matrix(rows: 0, cols: 3), metric: .dot), Matrix(rows: 2, cols: 0))
        XCTAssertEqual(try Kernels.scores(queries: Matrix(rows: 0, cols: 3), rows: queries, metric: .cosine), Matrix(rows: 0, cols: 2))
        XCTAssertEqual(try Kernels.topK(queries: Matrix(rows: 0, cols: 3), rows: queries, k: 2, metric: .dot),
                       TopK(queryCount: 0, k: 2, ids: [], scores: []))
        var empty = Matrix(rows: 0, cols: 3)
        try Kernels.normalizeRows(&empty)
        XCTAssertEqual(empty, Matrix(rows: 0, cols: 3))
    }

    func testNormalizeRowsMatchesTwin() throws {
        for dim in TestSupport.awkwardDims {
            var random = TestRandom(seed: UInt64(100 + dim))
            var matrix = ScoringCheck.randomMatrix(21, dim, &random)
            for c in 0 ..< dim { matrix[4, c] = 0 } // a zero row stays zero
            for c in 0 ..< dim { matrix[5, c] *= 1e30 } // large values do not overflow the norm
            let twin = ScoringTwin.normalizeRows(matrix)
            try ScoringCheck.onEveryPath { level, threads in
                var c = matrix
                try Kernels.normalizeRows(&c, threads: threads)
                for i in 0 ..< c.values.count {
                    // Both scale in Double and round once to Float, from norms that agree to ~1e-15
                    // relative: the results differ by at most one float ulp.
                    XCTAssertLessThanOrEqual(abs(c.values[i] - twin.values[i]), twin.values[i].ulp,
                                             "dim \(dim) \(level) threads \(threads) element \(i)")
                }
                XCTAssertEqual(ScoringCheck.row(c, 4), ScoringCheck.row(matrix, 4))
                return c
            }
        }
    }

    func testScoringRejectsBadInput() throws {
        let good = try Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        ScoringCheck.assertThrows(.invalidArgument(name: "queries.cols", value: "0", expected: "> 0 (the dimension)"),
                                  "invalid queries.cols: 0 (expected > 0 (the dimension))") {
            _ = try Kernels.scores(queries: Matrix(rows: 2, cols: 0), rows: Matrix(rows: 3, cols: 0), metric: .dot)
        }
        ScoringCheck.assertThrows(.sizeMismatch(name: "rows.cols", expected: 3, found: 4),
                                  "rows.cols has 4 elements, expected 3") {
            _ = try Kernels.scores(queries: good, rows: Matrix(rows: 2, cols: 4), metric: .dot)
        }
        var nan = good
        nan[1, 2] = .nan
        ScoringCheck.assertThrows(.nonFinite(name: "queries", index: 5, value: .nan), "queries[5] = nan is not finite") {
            _ = try Kernels.scores(queries: nan, rows: good, metric: .cosine)
        }
        var infinite = good
        infinite[0, 1] = -.infinity
        ScoringCheck.assertThrows(.nonFinite(name: "rows", index: 1, value: -.infinity), "rows[1] = -inf is not finite") {
            _ = try Kernels.scores(queries: good, rows: infinite, metric: .dot)
        }
        ScoringCheck.assertThrows(.invalidArgument(name: "threads", value: "-1", expected: ">= 0 (0 = all)"),
                                  "invalid threads: -1 (expected >= 0 (0 = all))") {
            _ = try Kernels.scores(queries: good, rows: good, metric: .dot, threads: -1)
        }
        ScoringCheck.assertThrows(.nonFinite(name: "matrix", index: 5, value: .nan), "matrix[5] = nan is not finite") {
            try Kernels.normalizeRows(&nan)
        }
        var empty = Matrix(rows: 3, cols: 0)
        ScoringCheck.assertThrows(.invalidArgument(name: "matrix.cols", value: "0", expected: "> 0"),
                                  "invalid matrix.cols: 0 (expected > 0)") {
            try Kernels.normalizeRows(&empty)
        }
    }

    func testCScoringValidatesItsArguments() {
        var values: [Float] = [1, 2, 3, 4, 5, 6]
        var out = [Float](repeating: 0, count: 4)
        values.withUnsafeMutableBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                let p = v.baseAddress!
                XCTAssertEqual(rv_score_f32(p, 2, 3, p, 2, 3, 0, RV_METRIC_DOT, o.baseAddress, 2, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_score_f32(p, 2, 2, p, 2, 3, 3, RV_METRIC_DOT, o.baseAddress, 2, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_score_f32(nil, 2, 3, p, 2, 3, 3, RV_METRIC_DOT, o.baseAddress, 2, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_score_f32(p, 2, 3, p, 2, 3, 3, rv_metric(rawValue: 7), o.baseAddress, 2, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_score_f32(p, 2, 3, p, 2, 3, 3, RV_METRIC_DOT, o.baseAddress, 1, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_score_f32(p, 2, 3, p, 2, 3, 3, RV_METRIC_DOT, o.baseAddress, 2, 1), RV_OK)
                XCTAssertEqual(rv_normalize_rows_f32(nil, 2, 3, 3, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_normalize_rows_f32(p, 2, 3, 0, 1), RV_ERR_INVALID_ARGUMENT)
                XCTAssertEqual(rv_normalize_rows_f32(p, 3, 1, 2, 1), RV_ERR_INVALID_ARGUMENT)
            }
        }
        // (1,2,3) . (1,2,3) = 14, (1,2,3) . (4,5,6) = 32, (4,5,6) . (4,5,6) = 77
        XCTAssertEqual(out, [14, 32, 32, 77])
    }
}
