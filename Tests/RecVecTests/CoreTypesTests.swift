import XCTest
import RecVec

final class CoreTypesTests: XCTestCase {
    func testCorpusRejectsOutOfRangeTokenAndNamesIt() {
        XCTAssertThrowsError(try Corpus(sessions: [[0, 1], [2, 5]], vocabularySize: 3)) { error in
            XCTAssertEqual(error as? KernelError, .outOfRange(name: "tokens", index: 3, value: 5, count: 3))
            XCTAssertEqual("\(error)", "tokens[3] = 5 is out of range (expected 0 ..< 3)")
        }
    }

    func testCorpusSessionsRoundTrip() throws {
        let c = try Corpus(sessions: [[0, 1], [], [2, 2, 1]], vocabularySize: 3)
        XCTAssertEqual(c.sessionCount, 3)
        XCTAssertEqual(Array(c.session(2)), [2, 2, 1])
        XCTAssertEqual(c.counts(), [1, 2, 2])
    }

    func testMatrixRejectsWrongValueCount() {
        XCTAssertThrowsError(try Matrix(rows: 2, cols: 3, values: [1, 2])) { error in
            XCTAssertEqual(error as? KernelError, .sizeMismatch(name: "values", expected: 6, found: 2))
        }
    }

    func testSparseDenseAgree() throws {
        let s = try SparseMatrix(rows: 2, cols: 3, rowOffsets: [0, 1, 3], columns: [2, 0, 1], values: [5, 6, 7])
        XCTAssertEqual(s.dense().values, [0, 0, 5, 6, 7, 0])
    }

    /// Ranking.top against a full sort under the kernels' rule (larger key first, ties to the
    /// lower index), over keys with many ties, every k from 0 past the count, with and without
    /// an exclusion filter.
    func testRankingTopEqualsTheFullSortPrefixWithTiesToTheLowerIndex() {
        var random = SplitMix64(seed: 7)
        for count in [0, 1, 2, 7, 50] {
            let keys = (0 ..< count).map { _ in Int(random.below(4)) } // few values: many ties
            for k in [0, 1, 3, count, count + 5] {
                for include in [nil, { (i: Int) in i % 3 != 1 }] as [((Int) -> Bool)?] {
                    let expected = (0 ..< count).filter { include?($0) ?? true }
                        .sorted { keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1 }.prefix(k)
                    XCTAssertEqual(Ranking.top(k, of: count, where: include, key: { keys[$0] }), Array(expected),
                                   "count \(count), k \(k), filtered \(include != nil)")
                }
            }
        }
    }

    /// Ranking.descending (every index, for other modules) orders as the full sort does.
    func testRankingDescendingOrdersEveryIndexWithTiesToTheLowerIndex() {
        var random = SplitMix64(seed: 9)
        for count in [0, 1, 9, 200] {
            let keys = (0 ..< count).map { _ in Float(random.below(5)) }
            let expected = (0 ..< count).sorted { keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1 }.map { Int32($0) }
            XCTAssertEqual(Ranking.descending(keys), expected, "count \(count)")
        }
    }
}
