import CKernels
import KernelTwins
import RecVec
import TestSupport
import XCTest

final class TopKTests: XCTestCase {
    /// Small-integer vectors: scores are exact, with many ties, so ids and scores must equal the
    /// twin's exactly (ties to the lower index) on every path.
    func testTopKMatchesTwinExactlyOnIntegerVectors() throws {
        for dim in TestSupport.awkwardDims {
            for seed in ScoringCheck.seeds {
                var random = TestRandom(seed: seed &* 31 &+ UInt64(dim))
                let queries = ScoringCheck.integerMatrix(7, dim, &random)
                let rows = ScoringCheck.integerMatrix(45, dim, &random)
                for k in [1, 5, 45] {
                    let twin = ScoringTwin.topK(queries: queries, rows: rows, k: k, metric: .dot)
                    try ScoringCheck.onEveryPath { level, threads in
                        let c = try Kernels.topK(queries: queries, rows: rows, k: k, metric: .dot, threads: threads)
                        XCTAssertEqual(c, twin, "dim \(dim) seed \(seed) k \(k) \(level) threads \(threads)")
                        return c
                    }
                }
            }
        }
    }

    /// Cosine ids exactly: +-1 vectors all have norm sqrt(d), so every row's score is its exact
    /// integer dot product times the same two reciprocal norms, a monotone map on both sides;
    /// the zero row scores exactly 0 and ties with rows orthogonal to the query.
    func testCosineTopKOnSignVectorsMatchesTwin() throws {
        for dim in TestSupport.awkwardDims {
            var random = TestRandom(seed: UInt64(dim))
            let signs = { (count: Int) in (0 ..< count).map { _ in Float(random.below(2) * 2 - 1) } }
            let queries = try Matrix(rows: 8, cols: dim, values: signs(8 * dim))
            let rows = try Matrix(rows: 40, cols: dim, values: signs(17 * dim) + [Float](repeating: 0, count: dim) + signs(22 * dim))
            let twin = ScoringTwin.topK(queries: queries, rows: rows, k: 12, metric: .cosine)
            try ScoringCheck.onEveryPath { level, threads in
                let c = try Kernels.topK(queries: queries, rows: rows, k: 12, metric: .cosine, threads: threads)
                XCTAssertEqual(c.ids, twin.ids, "dim \(dim) \(level) threads \(threads)")
                for i in 0 ..< c.scores.count {
                    // |cos| sum terms are all 1 / d: the tolerance is (d + 6) u.
                    XCTAssertEqual(Double(c.scores[i]), Double(twin.scores[i]), accuracy: Double(dim + 6) * ScoringCheck.unitRoundoff)
                }
                return c
            }
        }
    }

    /// Random floats: near-ties may swap between FMA and plain sums, so compare scores position by
    /// position within the tolerance, and check that every returned id really has that score.
    /// The fused kernel must also equal selection over the same path's score matrix exactly.
    func testTopKOnRandomFloatsAgreesWithinTolerance() throws {
        for dim in TestSupport.awkwardDims {
            var random = TestRandom(seed: UInt64(1000 + dim))
            let queries = ScoringCheck.randomMatrix(9, dim, &random)
            let rows = ScoringCheck.randomMatrix(50, dim, &random)
            for metric in Metric.allCases {
                let twinScores = ScoringTwin.scores(queries: queries, rows: rows, metric: metric)
                let twin = ScoringTwin.topK(scores: twinScores, k: 10)
                let tolerances = ScoringCheck.tolerances(queries, rows, metric: metric)
                let largest = tolerances.max()!
                try ScoringCheck.onEveryPath { level, threads in
                    let c = try Kernels.topK(queries: queries, rows: rows, k: 10, metric: metric, threads: threads)
                    for q in 0 ..< 9 {
                        XCTAssertEqual(Set(c.ids(ofQuery: q)).count, 10)
                        for i in q * 10 ..< (q + 1) * 10 {
                            let id = Int(c.ids[i])
                            XCTAssertLessThanOrEqual(abs(Double(c.scores[i]) - Double(twin.scores[i])), largest)
                            XCTAssertLessThanOrEqual(abs(Double(c.scores[i]) - Double(twinScores[q, id])), tolerances[q * 50 + id],
                                                     "dim \(dim) \(metric) \(level) threads \(threads)")
                        }
                    }
                    let viaMatrix = try Kernels.topK(scores: Kernels.scores(queries: queries, rows: rows, metric: metric, threads: threads),
                                                     k: 10, threads: threads)
                    XCTAssertEqual(c, viaMatrix, "dim \(dim) \(metric) \(level) threads \(threads)")
                    return c
                }
            }
        }
    }

    /// 50 queries x 600 rows at d = 64: several row blocks, and both ways of threading (rows split
    /// for few queries per thread, queries split otherwise).
    func testManyQueriesAcrossRowBlocks() throws {
        var random = TestRandom(seed: 5)
        let queries = ScoringCheck.integerMatrix(50, 64, &random)
        let rows = ScoringCheck.integerMatrix(600, 64, &random)
        let twin = ScoringTwin.topK(queries: queries, rows: rows, k: 20, metric: .dot)
        for threads in [2, 3] { // 50 queries: split by query at 2 threads, by row at 3
            for level in Kernels.availableSIMDLevels {
                let c = try Kernels.withSIMDLevel(level) {
                    try Kernels.topK(queries: queries, rows: rows, k: 20, metric: .dot, threads: threads)
                }
                XCTAssertEqual(c, twin, "\(level) threads \(threads)")
            }
        }
    }

    func testExclusionsAreNeverReturnedAndShortListsArePadded() throws {
        for dim in [1, 9, 33] {
            var random = TestRandom(seed: UInt64(dim))
            let queries = ScoringCheck.integerMatrix(50, dim, &random)
            let rows = ScoringCheck.integerMatrix(60, dim, &random)
            var exclude: [[Int32]] = (0 ..< 50).map { _ in (0 ..< random.below(12)).map { _ in Int32(random.below(60)) } }
            exclude[3] = []
            exclude[4] = (0 ..< 60).map(Int32.init).filter { $0 != 17 && $0 != 42 }.reversed() // two rows left
            exclude[5] = (0 ..< 60).map(Int32.init) + [0, 59]                                    // nothing left
            let twin = ScoringTwin.topK(queries: queries, rows: rows, k: 5, metric: .dot, exclude: exclude)
            XCTAssertEqual(twin.ids[20 ..< 25].filter { $0 >= 0 }.sorted(), [17, 42])
            try ScoringCheck.onEveryPath { level, threads in
                let c = try Kernels.topK(queries: queries, rows: rows, k: 5, metric: .dot, exclude: exclude, threads: threads)
                XCTAssertEqual(c, twin, "dim \(dim) \(level) threads \(threads)")
                for q in 0 ..< 50 { XCTAssert(Set(c.ids(ofQuery: q)).isDisjoint(with: exclude[q])) }
                XCTAssertEqual(Array(c.ids[22 ..< 25]), [-1, -1, -1])
                XCTAssertEqual(Array(c.scores[22 ..< 25]), [-.infinity, -.infinity, -.infinity])
                XCTAssertEqual(c.ids(ofQuery: 5), [])
                return c
            }
        }
    }

    func testEqualScoresRankTheLowerIndexFirst() throws {
        var random = TestRandom(seed: 11)
        let query = ScoringCheck.integerMatrix(1, 16, &random)
        let row = ScoringCheck.integerMatrix(1, 16, &random).values
        let identical = try Matrix(rows: 20, cols: 16, values: Array([[Float]](repeating: row, count: 20).joined()))
        let distinct = ScoringCheck.integerMatrix(5, 16, &random)
        let repeated = try Matrix(rows: 35, cols: 16, values: (0 ..< 35).flatMap { ScoringCheck.row(distinct, $0 % 5) })
        try ScoringCheck.onEveryPath { level, threads in
            let same = try Kernels.topK(queries: query, rows: identical, k: 7, metric: .dot, threads: threads)
            XCTAssertEqual(same.ids, (0 ..< 7).map(Int32.init), "\(level) threads \(threads)")
            let copies = try Kernels.topK(queries: query, rows: repeated, k: 35, metric: .dot, threads: threads)
            for i in 1 ..< 35 where copies.scores[i] == copies.scores[i - 1] {
                XCTAssertLessThan(copies.ids[i - 1], copies.ids[i], "\(level) threads \(threads)")
            }
            XCTAssertEqual(copies, ScoringTwin.topK(queries: query, rows: repeated, k: 35, metric: .dot))
            return same
        }
    }

    func testKEqualToRowCountReturnsEveryRowOnce() throws {
        var random = TestRandom(seed: 2)
        let queries = ScoringCheck.randomMatrix(4, 17, &random)
        let rows = ScoringCheck.randomMatrix(33, 17, &random)
        try ScoringCheck.onEveryPath { _, threads in
            let c = try Kernels.topK(queries: queries, rows: rows, k: 33, metric: .cosine, threads: threads)
            for q in 0 ..< 4 {
                XCTAssertEqual(c.ids(ofQuery: q).sorted(), (0 ..< 33).map(Int32.init))
                XCTAssertEqual(Array(c.scores[q * 33 ..< (q + 1) * 33]), c.scores[q * 33 ..< (q + 1) * 33].sorted(by: >))
            }
            return c
        }
    }

    func testTopKOverAScoreMatrixMatchesTwin() throws {
        for seed in ScoringCheck.seeds {
            var random = TestRandom(seed: seed)
            // Quarter steps in [-2, 2]: plenty of ties; a few infinities rank like any score.
            var values = (0 ..< 9 * 37).map { _ in Float(random.below(17) - 8) / 4 }
            values[5] = .infinity
            values[40] = -.infinity
            values[41] = -.infinity
            let scores = try Matrix(rows: 9, cols: 37, values: values)
            for k in [1, 4, 37] {
                let twin = ScoringTwin.topK(scores: scores, k: k)
                try ScoringCheck.onEveryPath { level, threads in
                    let c = try Kernels.topK(scores: scores, k: k, threads: threads)
                    XCTAssertEqual(c, twin, "seed \(seed) k \(k) \(level) threads \(threads)")
                    return c
                }
            }
        }
    }

    func testTopKRejectsBadInput() throws {
        let queries = try Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        let rows = try Matrix(rows: 4, cols: 3, values: (0 ..< 12).map(Float.init))
        ScoringCheck.assertThrows(.invalidArgument(name: "k", value: "0", expected: "1 ... 4 (rows.rows)"),
                                  "invalid k: 0 (expected 1 ... 4 (rows.rows))") {
            _ = try Kernels.topK(queries: queries, rows: rows, k: 0, metric: .dot)
        }
        ScoringCheck.assertThrows(.invalidArgument(name: "k", value: "5", expected: "1 ... 4 (rows.rows)"),
                                  "invalid k: 5 (expected 1 ... 4 (rows.rows))") {
            _ = try Kernels.topK(queries: queries, rows: rows, k: 5, metric: .dot)
        }
        ScoringCheck.assertThrows(.invalidArgument(name: "k", value: "1", expected: "1 ... rows.rows, but rows.rows is 0"),
                                  "invalid k: 1 (expected 1 ... rows.rows, but rows.rows is 0)") {
            _ = try Kernels.topK(queries: queries, rows: Matrix(rows: 0, cols: 3), k: 1, metric: .dot)
        }
        ScoringCheck.assertThrows(.invalidArgument(name: "queries.cols", value: "0", expected: "> 0 (the dimension)"),
                                  "invalid queries.cols: 0 (expected > 0 (the dimension))") {
            _ = try Kernels.topK(queries: Matrix(rows: 2, cols: 0), rows: Matrix(rows: 4, cols: 0), k: 1, metric: .dot)
        }
        ScoringCheck.assertThrows(.sizeMismatch(name: "rows.cols", expected: 3, found: 2), "rows.cols has 2 elements, expected 3") {
            _ = try Kernels.topK(queries: queries, rows: Matrix(rows: 4, cols: 2), k: 1, metric: .cosine)
        }
        var nan = queries
        nan[0, 2] = .nan
        ScoringCheck.assertThrows(.nonFinite(name: "queries", index: 2, value: .nan), "queries[2] = nan is not finite") {
            _ = try Kernels.topK(queries: nan, rows: rows, k: 1, metric: .dot)
        }
        var infinite = rows
        infinite[3, 0] = .infinity
        ScoringCheck.assertThrows(.nonFinite(name: "rows", index: 9, value: .infinity), "rows[9] = inf is not finite") {
            _ = try Kernels.topK(queries: queries, rows: infinite, k: 1, metric: .dot)
        }
        ScoringCheck.assertThrows(.sizeMismatch(name: "exclude", expected: 2, found: 1), "exclude has 1 elements, expected 2") {
            _ = try Kernels.topK(queries: queries, rows: rows, k: 1, metric: .dot, exclude: [[0]])
        }
        ScoringCheck.assertThrows(.outOfRange(name: "exclude[1]", index: 1, value: 4, count: 4),
                                  "exclude[1][1] = 4 is out of range (expected 0 ..< 4)") {
            _ = try Kernels.topK(queries: queries, rows: rows, k: 1, metric: .dot, exclude: [[], [3, 4]])
        }
        ScoringCheck.assertThrows(.outOfRange(name: "exclude[0]", index: 0, value: -1, count: 4),
                                  "exclude[0][0] = -1 is out of range (expected 0 ..< 4)") {
            _ = try Kernels.topK(queries: queries, rows: rows, k: 1, metric: .dot, exclude: [[-1], []])
        }
        ScoringCheck.assertThrows(.invalidArgument(name: "threads", value: "-2", expected: ">= 0 (0 = all)"),
                                  "invalid threads: -2 (expected >= 0 (0 = all))") {
            _ = try Kernels.topK(queries: queries, rows: rows, k: 1, metric: .dot, threads: -2)
        }
        var scores = Matrix(rows: 2, cols: 3)
        ScoringCheck.assertThrows(.invalidArgument(name: "k", value: "4", expected: "1 ... 3 (scores.cols)"),
                                  "invalid k: 4 (expected 1 ... 3 (scores.cols))") {
            _ = try Kernels.topK(scores: scores, k: 4)
        }
        scores[1, 1] = .nan
        ScoringCheck.assertThrows(.nonFinite(name: "scores", index: 4, value: .nan), "scores[4] = nan is not finite") {
            _ = try Kernels.topK(scores: scores, k: 2)
        }
    }

    func testCTopKValidatesItsArguments() {
        let values: [Float] = (0 ..< 12).map(Float.init)
        var ids = [Int32](repeating: 0, count: 4)
        var scores = [Float](repeating: 0, count: 4)
        values.withUnsafeBufferPointer { v in
            ids.withUnsafeMutableBufferPointer { i in
                scores.withUnsafeMutableBufferPointer { s in
                    let (p, ip, sp) = (v.baseAddress!, i.baseAddress, s.baseAddress)
                    func topk(k: Int, offsets: [Int]?, excluded: [Int32]) -> rv_status {
                        guard let offsets else {
                            return rv_score_topk_f32(p, 2, 3, p, 4, 3, 3, RV_METRIC_DOT, k, nil, nil, ip, sp, 1)
                        }
                        return rv_score_topk_f32(p, 2, 3, p, 4, 3, 3, RV_METRIC_DOT, k, offsets, excluded, ip, sp, 1)
                    }
                    XCTAssertEqual(topk(k: 0, offsets: nil, excluded: []), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(topk(k: 5, offsets: nil, excluded: []), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(topk(k: 2, offsets: [0, 2, 1], excluded: [0, 1]), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(topk(k: 2, offsets: [0, 1, 2], excluded: [0, 4]), RV_ERR_OUT_OF_RANGE)
                    XCTAssertEqual(topk(k: 2, offsets: [0, 1, 2], excluded: [-1, 0]), RV_ERR_OUT_OF_RANGE)
                    XCTAssertEqual(rv_score_topk_f32(p, 2, 3, p, 4, 3, 0, RV_METRIC_DOT, 2, nil, nil, ip, sp, 1), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(rv_score_topk_f32(p, 2, 3, p, 4, 3, 3, RV_METRIC_DOT, 2, nil, nil, nil, sp, 1), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(rv_topk_f32(p, 2, 6, 5, 2, ip, sp, 1), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(rv_topk_f32(p, 2, 6, 6, 7, ip, sp, 1), RV_ERR_INVALID_ARGUMENT)
                    XCTAssertEqual(topk(k: 2, offsets: [0, 1, 2], excluded: [3, 3]), RV_OK)
                }
            }
        }
        // Rows (0,1,2) (3,4,5) (6,7,8) (9,10,11); both queries rank row 3 first, which is excluded.
        XCTAssertEqual(ids, [2, 1, 2, 1])
    }
}
