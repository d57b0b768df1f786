import CKernels
import KernelTwins
import RecVec
import TestSupport
import XCTest

/// `Kernels.cooccurrenceDense` / `cooccurrenceSparse` (C kernels `rv_cooc_dense_f32`,
/// `rv_cooc_csr_f32`) against hand-computed cases and the plain-Swift twin.
///
/// Tolerance: none. Both the C kernel and the twin add each cell's weights in Double in the same
/// order (positions of the row's item ascending, then neighbour positions ascending), with the
/// same weights (1, or 1.0 / Double(d)), and round to Float once, so even inverse-distance sums
/// must be bit-identical; counts are small integers and exact anyway. Only a scalar path
/// exists (the kernel is a scatter-add), so there is no ISA loop.
final class CooccurrenceTests: XCTestCase {
    /// Every thread count the determinism checks compare: one, all, and more than the cores
    /// (different chunk plans).
    private var threadCounts: [Int] { [1, 0, Kernels.maxThreads + 1] }

    private func corpus(_ sessions: [[Int32]], vocabularySize: Int) throws -> Corpus {
        try Corpus(sessions: sessions, vocabularySize: vocabularySize)
    }

    /// Dense, sparse (at every thread count) and the twin, all equal to `expected`.
    private func assertAllEqual(_ corpus: Corpus, window: Int, weighting: CooccurrenceWeighting, expected: Matrix,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(KernelTwins.cooccurrence(corpus, window: window, weighting: weighting).dense(), expected,
                       "twin", file: file, line: line)
        for threads in threadCounts {
            XCTAssertEqual(try Kernels.cooccurrenceDense(corpus, window: window, weighting: weighting, threads: threads),
                           expected, "dense, threads \(threads)", file: file, line: line)
            XCTAssertEqual(try Kernels.cooccurrenceSparse(corpus, window: window, weighting: weighting, threads: threads).dense(),
                           expected, "sparse, threads \(threads)", file: file, line: line)
        }
    }

    func testSessionBoundariesByHand() throws {
        // Sessions [0 1 2] and [2 0]. Window 1 pairs (0,1) and (1,2) in the first, (2,0) in the
        // second; the stream neighbours 2|2 across the boundary must not pair (that would put 2
        // on M[2][2]).
        let c = try corpus([[0, 1, 2], [2, 0]], vocabularySize: 3)
        try assertAllEqual(c, window: 1, weighting: .count, expected: Matrix(rowVectors: [
            [0, 1, 1],
            [1, 0, 1],
            [1, 1, 0],
        ], cols: 3))
        // Window 2 adds (0,2) at distance 2 in the first session: M[0][2] = 1 (second session)
        // + 1, or + 1/2 with inverse distance. Across the boundary it would pair 1|2 and 2|0.
        try assertAllEqual(c, window: 2, weighting: .count, expected: Matrix(rowVectors: [
            [0, 1, 2],
            [1, 0, 1],
            [2, 1, 0],
        ], cols: 3))
        try assertAllEqual(c, window: 2, weighting: .inverseDistance, expected: Matrix(rowVectors: [
            [0, 1, 1.5],
            [1, 0, 1],
            [1.5, 1, 0],
        ], cols: 3))
        // A window wider than any session changes nothing.
        try assertAllEqual(c, window: 50, weighting: .count, expected: Matrix(rowVectors: [
            [0, 1, 2],
            [1, 0, 1],
            [2, 1, 0],
        ], cols: 3))
    }

    func testRepeatsCountTwiceOnTheDiagonal() throws {
        // [3 3]: one unordered pair of repeats adds to (3,3) from both sides: 2.
        var expected = Matrix(rows: 4, cols: 4)
        expected[3, 3] = 2
        try assertAllEqual(try corpus([[3, 3]], vocabularySize: 4), window: 1, weighting: .count, expected: expected)

        // [5 1 5], window 2: (5,1) twice at distance 1, (5,5) once at distance 2.
        let c = try corpus([[5, 1, 5]], vocabularySize: 6)
        var counts = Matrix(rows: 6, cols: 6)
        counts[5, 1] = 2; counts[1, 5] = 2; counts[5, 5] = 2
        try assertAllEqual(c, window: 2, weighting: .count, expected: counts)
        var inverse = Matrix(rows: 6, cols: 6)
        inverse[5, 1] = 2; inverse[1, 5] = 2; inverse[5, 5] = 1 // 2 x 1/2
        try assertAllEqual(c, window: 2, weighting: .inverseDistance, expected: inverse)
        // Window 1: the two 5s are too far apart.
        counts[5, 5] = 0
        try assertAllEqual(c, window: 1, weighting: .count, expected: counts)
    }

    /// Random sessions (lengths 0 to 11, skewed ids so repeats happen) over awkward catalog sizes.
    private func randomCorpus(seed: UInt64, vocabularySize: Int, sessions: Int) throws -> Corpus {
        var random = TestRandom(seed: seed)
        let list: [[Int32]] = (0 ..< sessions).map { _ in
            (0 ..< random.below(12)).map { _ in Int32(random.below(random.below(vocabularySize) + 1)) }
        }
        return try Corpus(sessions: list, vocabularySize: vocabularySize)
    }

    func testMatchesTwinExactlyAtEveryThreadCount() throws {
        for seed: UInt64 in [1, 2, 3, 4] {
            for vocabularySize in [1, 2, 7, 64, 65, 300] {
                let c = try randomCorpus(seed: seed, vocabularySize: vocabularySize, sessions: 60)
                for window in 1 ... 5 {
                    for weighting in CooccurrenceWeighting.allCases {
                        let context = "seed \(seed), n \(vocabularySize), window \(window), \(weighting)"
                        let twin = KernelTwins.cooccurrence(c, window: window, weighting: weighting)
                        let dense = try Kernels.cooccurrenceDense(c, window: window, weighting: weighting, threads: 1)
                        XCTAssertEqual(dense, twin.dense(), context)
                        for threads in threadCounts {
                            let sparse = try Kernels.cooccurrenceSparse(c, window: window, weighting: weighting, threads: threads)
                            XCTAssertEqual(sparse, twin, "\(context), threads \(threads)")
                            XCTAssertEqual(sparse.dense(), dense, "\(context), threads \(threads)")
                        }
                        XCTAssertEqual(try Kernels.cooccurrenceDense(c, window: window, weighting: weighting, threads: 0), dense,
                                       context)
                    }
                }
            }
        }
    }

    /// Forward ("next-item") windows: C against the twin at every thread count, dense and CSR;
    /// and forward + its transpose is the symmetric matrix.
    func testForwardDirectionMatchesTwinAndSumsToSymmetric() throws {
        for seed: UInt64 in [5, 6, 7] {
            for vocabularySize in [1, 3, 7, 64, 65, 300] {
                let c = try randomCorpus(seed: seed, vocabularySize: vocabularySize, sessions: 60)
                for window in [1, 2, 5] {
                    for weighting in CooccurrenceWeighting.allCases {
                        let context = "seed \(seed), n \(vocabularySize), window \(window), \(weighting), forward"
                        let twin = KernelTwins.cooccurrence(c, window: window, weighting: weighting, direction: .forward)
                        let dense = try Kernels.cooccurrenceDense(c, window: window, weighting: weighting, direction: .forward, threads: 1)
                        XCTAssertEqual(dense, twin.dense(), context)
                        for threads in threadCounts {
                            let sparse = try Kernels.cooccurrenceSparse(c, window: window, weighting: weighting, direction: .forward, threads: threads)
                            XCTAssertEqual(sparse, twin, "\(context), threads \(threads)")
                        }
                        let symmetric = try Kernels.cooccurrenceDense(c, window: window, weighting: weighting, threads: 1)
                        for a in 0 ..< vocabularySize {
                            for b in 0 ..< vocabularySize {
                                XCTAssertEqual(dense[a, b] + dense[b, a], symmetric[a, b], accuracy: 1e-4 * max(1, symmetric[a, b]), "\(context) [\(a), \(b)]")
                            }
                        }
                    }
                }
            }
        }
        // By hand: session [0, 1, 2, 1], window 2: forward pairs 0->1, 0->2, 1->2, 1->1, 2->1.
        let hand = try Corpus(sessions: [[0, 1, 2, 1]], vocabularySize: 3)
        let m = try Kernels.cooccurrenceDense(hand, window: 2, direction: .forward)
        XCTAssertEqual(m.values, [0, 1, 1,
                                  0, 1, 1,
                                  0, 1, 0])
    }

    func testSymmetricWithRowSumsEqualToPairCounts() throws {
        // Independent of the twin: M is symmetric, and with count weighting the whole matrix
        // sums to twice the number of in-window position pairs, counted per session by length.
        let window = 3
        let c = try randomCorpus(seed: 9, vocabularySize: 50, sessions: 200)
        let m = try Kernels.cooccurrenceSparse(c, window: window, threads: 0).dense()
        for a in 0 ..< 50 { for b in 0 ..< 50 { XCTAssertEqual(m[a, b], m[b, a], "(\(a), \(b))") } }
        var pairs = 0
        for s in 0 ..< c.sessionCount {
            let length = c.session(s).count
            for d in 1 ... window where d < length { pairs += length - d }
        }
        XCTAssertEqual(Double(m.values.reduce(0, +)), Double(2 * pairs))
    }

    func testWidestWindowOverALongSession() throws {
        // [1, 0 x 4198, 2] with the widest window (4095): an occurrence's neighbour counts reach
        // their packed maximum. 1 and 2 are 4199 apart: no pair. 1 sees the first 4095 zeros at
        // distances 1 ... 4095, 2 the last 4095; the zeros pair with each other at every distance
        // d <= 4095, 4198 - d times, counted from both sides.
        let window = Kernels.cooccurrenceMaxWindow
        let zeros = 4198
        let c = try corpus([[1] + [Int32](repeating: 0, count: zeros) + [2]], vocabularySize: 3)
        let counts = try Kernels.cooccurrenceSparse(c, window: window, threads: 0).dense()
        XCTAssertEqual(counts[1, 2], 0)
        XCTAssertEqual(counts[1, 0], Float(window))
        XCTAssertEqual(counts[0, 2], Float(window))
        XCTAssertEqual(counts[0, 0], Float(2 * (1 ... window).reduce(0) { $0 + zeros - $1 }))
        // Inverse distance: the kernel adds 1/1, 1/2, ... in that order in Double, as here.
        let inverse = try Kernels.cooccurrenceDense(c, window: window, weighting: .inverseDistance, threads: 0)
        XCTAssertEqual(inverse[1, 0], Float((1 ... window).reduce(0.0) { $0 + 1 / Double($1) }))
        XCTAssertEqual(inverse[2, 0], inverse[1, 0])
    }

    func testSparseHandlesACatalogTooLargeForDense() throws {
        let n = 100_000
        let c = try corpus([[99_999, 5, 99_999, 0], [], [7], [12_345, 5]], vocabularySize: n)
        let sparse = try Kernels.cooccurrenceSparse(c, window: 2, threads: 0)
        XCTAssertEqual(sparse, KernelTwins.cooccurrence(c, window: 2, weighting: .count))
        // Item 5 sees 99_999 on both sides and 0 at distance 2 in the first session, 12_345 in the last.
        XCTAssertEqual(Array(sparse.row(5).map { $0.0 }), [0, 12_345, 99_999])
        XCTAssertEqual(Array(sparse.row(5).map { $0.1 }), [1, 1, 2])
        XCTAssertThrowsError(try Kernels.cooccurrenceDense(c, window: 2)) { error in
            guard case let .invalidArgument(name, value, _)? = error as? KernelError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "vocabularySize")
            XCTAssertTrue(value.contains("100000 x 100000"), value)
        }
    }

    func testBadArgumentsThrowNamingTheArgument() throws {
        let c = try corpus([[0, 1]], vocabularySize: 2)
        func name(_ body: () throws -> Any) -> String? {
            do { _ = try body() } catch let error as KernelError {
                if case let .invalidArgument(name, _, _) = error { return name }
            } catch {}
            return nil
        }
        for window in [0, -1, Kernels.cooccurrenceMaxWindow + 1, Int(Int32.max) + 1] {
            XCTAssertEqual(name { try Kernels.cooccurrenceSparse(c, window: window) }, "window")
            XCTAssertEqual(name { try Kernels.cooccurrenceDense(c, window: window) }, "window")
        }
        let empty = try corpus([[], []], vocabularySize: 2)
        XCTAssertEqual(name { try Kernels.cooccurrenceSparse(empty, window: 1) }, "corpus")
        XCTAssertEqual(name { try Kernels.cooccurrenceDense(empty, window: 1) }, "corpus")
        XCTAssertEqual(name { try Kernels.cooccurrenceSparse(c, window: 1, threads: -1) }, "threads")
        // Ids out of range never reach the kernel: the corpus refuses them.
        XCTAssertThrowsError(try corpus([[0, 2]], vocabularySize: 2)) { error in
            XCTAssertEqual(error as? KernelError, .outOfRange(name: "tokens", index: 1, value: 2, count: 2))
        }
    }

    func testCKernelValidatesItsArguments() {
        let tokens: [Int32] = [0, 1, 2, 1]
        func csr(_ tokens: [Int32], _ offsets: [Int64], items: Int32 = 3, window: Int32 = 2) -> rv_status {
            var result: OpaquePointer?
            var nonZeros: Int64 = -1
            let status = rv_cooc_csr_f32(tokens, Int64(tokens.count), offsets, Int64(offsets.count - 1), items, window,
                                         RV_COOC_COUNT, 1, &result, &nonZeros)
            if status != RV_OK { XCTAssertNil(result) }
            rv_cooc_csr_free(result)
            return status
        }
        XCTAssertEqual(csr(tokens, [0, 2, 4]), RV_OK)
        XCTAssertEqual(csr([0, 3, 1, 1], [0, 2, 4]), RV_ERR_OUT_OF_RANGE)
        XCTAssertEqual(csr([0, -1, 1, 1], [0, 2, 4]), RV_ERR_OUT_OF_RANGE)
        XCTAssertEqual(csr(tokens, [0, 3, 2, 4]), RV_ERR_INVALID_ARGUMENT) // offsets go down
        XCTAssertEqual(csr(tokens, [0, 2, 5]), RV_ERR_INVALID_ARGUMENT)    // past the tokens
        XCTAssertEqual(csr(tokens, [1, 4]), RV_ERR_INVALID_ARGUMENT)       // not from 0
        XCTAssertEqual(csr(tokens, [0, 4], window: 0), RV_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(csr(tokens, [0, 4], window: RV_COOC_MAX_WINDOW + 1), RV_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(csr(tokens, [0, 4], window: RV_COOC_MAX_WINDOW), RV_OK)
        XCTAssertEqual(csr(tokens, [0, 4], items: 0), RV_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(csr([], [0]), RV_ERR_INVALID_ARGUMENT)
        var out = [Float](repeating: 0, count: 9)
        XCTAssertEqual(rv_cooc_dense_f32(tokens, 4, [0, 4], 1, 3, 1, RV_COOC_COUNT, 1, &out, 2), RV_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(rv_cooc_dense_f32(tokens, 4, [0, 4], 1, Int32.max, 1, RV_COOC_COUNT, 1, &out, Int64.max),
                       RV_ERR_INVALID_ARGUMENT) // n x stride overflows
        XCTAssertEqual(rv_cooc_dense_f32(tokens, 4, [0, 4], 1, 3, 1, RV_COOC_COUNT, 1, &out, 3), RV_OK)
        XCTAssertEqual(out, [0, 1, 0, 1, 0, 2, 0, 2, 0])
    }
}
