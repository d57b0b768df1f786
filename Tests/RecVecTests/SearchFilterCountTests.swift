import RecVec
import TestSupport
import XCTest

/// `SearchFilter.allowedCount` against a count of `allows` over every id, bits past `count` ignored.
final class SearchFilterCountTests: XCTestCase {
    func testAllowedCountEqualsTheIdsItAllowsWhateverLiesPastCount() {
        var random = TestRandom(seed: 11)
        for count in [0, 1, 63, 64, 65, 100, 128, 1000] {
            var filter = SearchFilter(count: count, excluding: (0 ..< count / 3).map { _ in Int32(random.below(max(count, 1))) })
            if !filter.allowedBits.isEmpty { filter.allowedBits[filter.allowedBits.count - 1] |= UInt64(1) << 63 } // past count unless count % 64 == 0
            let expected = (0 ..< Int32(count)).filter { filter.allows($0) }.count
            XCTAssertEqual(filter.allowedCount, expected, "count \(count)")
        }
    }
}
