import Foundation
@testable import RecVecServer
import XCTest

/// The request parser against Foundation's on valid documents, and its refusals.
final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSON { try JSON.parse(Array(text.utf8)) }

    func testValidDocumentsParseAsFoundationReadsThem() throws {
        XCTAssertEqual(try parse(#" {"a": [1, -2.5e3, 0, true, false, null], "b": "x\"y\\z\/\n\u00e9\ud83d\ude00", "c": {}} "#),
                       .object(["a": .array([.number(1), .number(-2500), .number(0), .bool(true), .bool(false), .null]),
                                "b": .string("x\"y\\z/\né😀"), "c": .object([:])]))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse(#""plain""#), .string("plain"))
        XCTAssertEqual(try parse("1E2"), .number(100))
        // Foundation agrees on the strings of a sample of ids with every escape.
        let ids = ["i1", "tab\there", "quote\"d", "uni\u{1F600}", "back\\slash", "ctl\u{01}"]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["history": ids]), as: UTF8.self)
        XCTAssertEqual(try parse(body), .object(["history": .array(ids.map { .string($0) })]))
    }

    func testInvalidDocumentsAreRefusedWithTheirOffset() {
        for (text, offset) in [("{", 1), ("[1,]", 3), (#"{"a" 1}"#, 5), ("01", 0), ("1.", 2), ("tru", 0), (#""a"#, 2),
                               ("[1] x", 4), (#"{"a":1,"a":2}"#, 7), ("\"\u{01}\"", 1), (#""\ud800""#, 7), ("1e999", 0), ("", 0)] {
            do {
                _ = try Array(text.utf8).withUnsafeBufferPointer { try JSONParser.parse($0) }
                XCTFail("\(text) parsed")
            } catch let failure as JSONParser.Failure {
                XCTAssertEqual(failure.offset, offset, "\(text): \(failure.reason)")
            } catch {
                XCTFail("\(error)")
            }
        }
        // Invalid UTF-8 inside a string.
        XCTAssertThrowsError(try [0x22, 0xFF, 0x22].withUnsafeBufferPointer { try JSONParser.parse($0) })
    }

    func testNestingDeeperThanTheLimitIsRefusedNotRecursed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try parse(deep)) { error in
            XCTAssertEqual((error as? APIError)?.code, "invalid_json")
            XCTAssertTrue((error as? APIError)?.message.contains("nested deeper than 32") == true, "\(error)")
        }
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        XCTAssertNoThrow(try parse(ok))
    }
}
