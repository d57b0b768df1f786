import CKernels
import XCTest

final class ChecksumTests: XCTestCase {
    /// Reference XXH64 values (seed 0) published with xxHash and its bindings: the empty input,
    /// short inputs (byte and 4-byte tails) and one longer than a 32-byte stripe.
    func testMatchesReferenceXXH64() {
        let cases: [(String, UInt64)] = [
            ("", 0xEF46_DB37_51D8_E999),
            ("a", 0xD24E_C4F1_A98C_6E5B),
            ("abc", 0x44BC_2CF5_AD77_0999),
            ("Nobody inspects the spammish repetition", 0xFBCE_A83C_8A37_8BF1),
        ]
        for (text, expected) in cases {
            let bytes = Array(text.utf8)
            let found = bytes.withUnsafeBytes { rv_checksum64($0.baseAddress, $0.count, 0) }
            XCTAssertEqual(found, expected, "XXH64(\"\(text)\")")
        }
    }

    func testEveryByteAndTheSeedMatter() {
        var bytes = [UInt8](repeating: 0, count: 1000)
        let base = bytes.withUnsafeBytes { rv_checksum64($0.baseAddress, $0.count, 0) }
        XCTAssertNotEqual(base, bytes.withUnsafeBytes { rv_checksum64($0.baseAddress, $0.count, 1) })
        for position in [0, 31, 32, 500, 995, 999] {
            bytes[position] = 1
            XCTAssertNotEqual(base, bytes.withUnsafeBytes { rv_checksum64($0.baseAddress, $0.count, 0) }, "byte \(position)")
            bytes[position] = 0
        }
    }
}
