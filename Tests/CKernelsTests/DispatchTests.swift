import XCTest
import RecVec

final class DispatchTests: XCTestCase {
    func testEveryAvailableLevelCanBePinned() throws {
        for level in Kernels.availableSIMDLevels {
            try Kernels.withSIMDLevel(level) { XCTAssertEqual(Kernels.simdLevel, level) }
        }
        XCTAssertGreaterThanOrEqual(Kernels.maxThreads, 1)
    }
}
