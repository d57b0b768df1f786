import Foundation
@testable import RecVecServer
import XCTest

/// The hand-written reply JSON reads back as the same document JSONEncoder writes.
final class ReplyEncodingTests: XCTestCase {
    private func object(_ bytes: [UInt8]) throws -> NSDictionary {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }

    func testRepliesMatchJSONEncoder() throws {
        let replies = [
            RecommendReply(version: "v000001", ids: ["a", "quote\"d", "back\\slash", "ctl\u{01}\n", "uni\u{e9}\u{1F600}"],
                           scores: [0.5, -1.25e-7, 3.4028235e38, 1e-45, 0.1], unknownItems: ["x\ty"], fallback: false,
                           excludedAtRetrieval: 3, trace: nil),
            RecommendReply(version: "v000002", ids: [], scores: [], unknownItems: [], fallback: true, excludedAtRetrieval: 0, trace: nil),
        ]
        for reply in replies {
            let mine = try object(try reply.json())
            let foundation = try object(Array(try JSONEncoder().encode(reply)))
            XCTAssertEqual(mine, foundation)
            // Floats read back bit for bit.
            let scores = (mine["scores"] as? [NSNumber] ?? []).map(\.floatValue)
            XCTAssertEqual(scores, reply.scores)
        }
        let batch = BatchReply(version: "v000001", responses: replies)
        XCTAssertEqual(try object(try batch.json()), try object(Array(try JSONEncoder().encode(batch))))
    }
}
