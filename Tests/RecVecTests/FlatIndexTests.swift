import RecVec
import TestSupport
import XCTest

final class FlatIndexTests: XCTestCase {
    /// FlatIndex answers what Kernels.topK answers over the same rows, with the same filter as
    /// exclusions, for single and batch queries.
    func testFlatIndexMatchesKernelTopKUnderAFilter() throws {
        var random = TestRandom(seed: 11)
        let rows = try Matrix(rows: 50, cols: 7, values: random.floats(350))
        let queries = try Matrix(rows: 3, cols: 7, values: random.floats(21))
        let excluded: [Int32] = [0, 5, 17, 49]
        let filter = SearchFilter(count: 50, excluding: excluded)
        for metric in [Metric.dot, .cosine] {
            let index = try FlatIndex(rows, metric: metric)
            let expected = try Kernels.topK(queries: queries, rows: rows, k: 10, metric: metric,
                                            exclude: Array(repeating: excluded, count: 3), threads: 1)
            let found = try index.search(queries, k: 10, efSearch: nil, filter: filter, threads: 1)
            XCTAssertEqual(found.ids, expected.ids)
            XCTAssertEqual(found.scores, expected.scores)
            let one = try index.search(Array(queries.values[7 ..< 14]), k: 10, efSearch: nil, filter: filter)
            XCTAssertEqual(one.map(\.id), Array(expected.ids[10 ..< 20]))
            XCTAssertTrue(Set(one.map(\.id)).isDisjoint(with: excluded))
        }
    }

    /// Non-finite rows are refused when the index is made (once), naming the position.
    func testFlatIndexRefusesNonFiniteRowsAtConstruction() throws {
        let rows = try Matrix(rows: 2, cols: 2, values: [0, 1, .nan, 3])
        XCTAssertThrowsError(try FlatIndex(rows, metric: .dot)) { error in
            guard case let .nonFinite(name, index, _)? = error as? KernelError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "rows")
            XCTAssertEqual(index, 2)
        }
    }
}
