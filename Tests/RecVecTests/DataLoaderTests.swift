import Foundation
import RecVec
import TestSupport
import XCTest

final class DataLoaderTests: XCTestCase {
    func write(_ text: String, name: String = "events.csv") throws -> URL {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func testMovieLensUDataLoadsByPosition() throws {
        let url = try TestSupport.sharedDataOrSkip("ml-100k").appendingPathComponent("u.data")
        let (log, report) = try EventLog.load(url, columns: .movieLensUData)
        XCTAssertEqual(log.count, 100_000)
        XCTAssertEqual(log.userIDs.count, 943)
        XCTAssertEqual(log.itemIDs.count, 1682)
        XCTAssertEqual(report.lines, 100_000)
        XCTAssertEqual(report.skippedLines, 0)
        // The first event is the file's first line, split by hand (the data stays in ../shared).
        let first = try String(contentsOf: url, encoding: .utf8).prefix { $0 != "\n" }.split(separator: "\t").map(String.init)
        XCTAssertEqual(log.userIDs.ids[Int(log.users[0])], first[0])
        XCTAssertEqual(log.itemIDs.ids[Int(log.items[0])], first[1])
        XCTAssertEqual(log.timestamps[0], Int64(first[3]))
        XCTAssertNil(log.sessions)
        XCTAssertNil(log.weights)

        // Chunks of 4 KiB split lines across chunk boundaries: the same log.
        var small = EventLoadOptions()
        small.chunkSize = 4096
        XCTAssertEqual(try EventLog.load(url, columns: .movieLensUData, options: small).log, log)
    }

    func testRatingsCSVLoadsByHeaderNameWithWeights() throws {
        let url = try write("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n\n7,31,4.5,1260759200\n")
        var columns = EventColumns.movieLensRatingsCSV
        columns.weight = .named("rating")
        let (log, report) = try EventLog.load(url, columns: columns)
        XCTAssertEqual(report.lines, 3)
        XCTAssertEqual(log.userIDs.ids, ["1", "7"])
        XCTAssertEqual(log.itemIDs.ids, ["31", "1029"])
        XCTAssertEqual(log.users, [0, 0, 1])
        XCTAssertEqual(log.items, [0, 1, 0])
        XCTAssertEqual(log.weights, [2.5, 3.0, 4.5])
        XCTAssertEqual(log.timestamps, [1_260_759_144, 1_260_759_179, 1_260_759_200])
    }

    /// ISO 8601 forms against Foundation's own parser; CRLF line ends and quoted fields.
    func testISO8601TimestampsQuotesAndCRLF() throws {
        let stamps = ["2020-01-02T03:04:05Z", "1999-12-31T23:59:59+02:00", "2000-02-29T12:00:00-0530", "1969-07-20T20:17:40Z"]
        var text = "user;item;when;session\r\n"
        for (n, s) in stamps.enumerated() { text += "\"u \(n)\";\"i;\(n)\";\(s);s\(n % 2)\r\n" }
        text += "u9;i9;2021-03-04;s1\r\n"
        text += "u9;i9;2021-03-04 05:06:07.891;s1\r\n"
        let url = try write(text)
        let (log, _) = try EventLog.load(url, columns: EventColumns(user: "user", item: "item", timestamp: "when", session: "session"),
                                         options: EventLoadOptions(delimiter: UInt8(ascii: ";")))
        let formatter = ISO8601DateFormatter()
        for (n, s) in stamps.enumerated() {
            XCTAssertEqual(log.timestamps[n], Int64(formatter.date(from: s)!.timeIntervalSince1970), s)
        }
        formatter.formatOptions = [.withFullDate]
        let day = Int64(formatter.date(from: "2021-03-04")!.timeIntervalSince1970)
        XCTAssertEqual(log.timestamps[4], day)
        XCTAssertEqual(log.timestamps[5], day + 5 * 3600 + 6 * 60 + 7)
        XCTAssertEqual(log.userIDs.ids, ["u 0", "u 1", "u 2", "u 3", "u9"])
        XCTAssertEqual(log.itemIDs.ids.prefix(2), ["i;0", "i;1"])
        XCTAssertEqual(log.sessionIDs?.ids, ["s0", "s1"])
    }

    func testGeneratedEventsRoundTrip() throws {
        var c = SyntheticConfig()
        c.users = 30; c.items = 20; c.sessions = 40; c.sessionLength = 5
        let w = try SyntheticWorkload(config: c)
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("events.csv")
        try w.events.writeCSV(to: url)
        let log = try EventLog.load(url, columns: .generated).log
        XCTAssertEqual(log.count, w.events.count)
        for e in 0 ..< log.count {
            XCTAssertEqual(log.userIDs.ids[Int(log.users[e])], String(w.events.users[e]))
            XCTAssertEqual(log.itemIDs.ids[Int(log.items[e])], String(w.events.items[e]))
            XCTAssertEqual(log.sessionIDs!.ids[Int(log.sessions![e])], String(e / 5))
        }
        XCTAssertEqual(log.timestamps, w.events.timestamps)
    }

    // MARK: errors

    func testBadTimestampNamesFileLineColumnAndValue() throws {
        let url = try write("userId,movieId,rating,timestamp\n1,2,3.0,100\n1,3,3.0,yesterday\n")
        XCTAssertThrowsError(try EventLog.load(url, columns: .movieLensRatingsCSV)) { error in
            XCTAssertEqual(error as? DataError, .badValue(file: url.path, line: 3, column: "timestamp", value: "yesterday",
                                                          expected: "epoch seconds or an ISO 8601 date-time"))
            XCTAssertEqual("\(error)", "\(url.path):3: column 'timestamp' has 'yesterday' (expected epoch seconds or an ISO 8601 date-time)")
        }
    }

    func testNaNWeightIsRejected() throws {
        let url = try write("1\t2\tnan\t100\n", name: "u.data")
        let columns = EventColumns(userPosition: 0, itemPosition: 1, timestampPosition: 3, weightPosition: 2)
        XCTAssertThrowsError(try EventLog.load(url, columns: columns)) { error in
            XCTAssertEqual("\(error)", "\(url.path):1: column 'weight (field 3)' has 'nan' (expected a finite number)")
        }
    }

    func testMissingColumnListsTheHeader() throws {
        let url = try write("userId,itemId,timestamp\n1,2,3\n")
        XCTAssertThrowsError(try EventLog.load(url, columns: .movieLensRatingsCSV)) { error in
            XCTAssertEqual(error as? DataError, .missingColumn(file: url.path, column: "movieId", header: ["userId", "itemId", "timestamp"]))
            XCTAssertEqual("\(error)", "\(url.path): no column named 'movieId' (header has: userId, itemId, timestamp)")
        }
    }

    func testTooFewFieldsAndEmptyFile() throws {
        let short = try write("1\t2\t3\t100\n4\t5\n", name: "u.data")
        XCTAssertThrowsError(try EventLog.load(short, columns: .movieLensUData)) { error in
            XCTAssertEqual("\(error)", "\(short.path):2: 2 fields, expected at least 4")
        }
        let empty = try write("\n  \n", name: "empty.csv")
        XCTAssertThrowsError(try EventLog.load(empty, columns: .movieLensRatingsCSV)) { error in
            XCTAssertEqual("\(error)", "\(empty.path): file is empty (expected a header or at least one data line)")
        }
        let missing = URL(fileURLWithPath: "/nonexistent/recvec/u.data")
        XCTAssertThrowsError(try EventLog.load(missing, columns: .movieLensUData)) { error in
            guard case let .unreadable(file, _) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
        }
    }

    func testSkipBadLinesCountsThem() throws {
        let url = try write("1\t2\t3\t100\n1\t3\t3\tnoon\n2\t2\t3\t200\n2\n3\t\t3\t300\n3\t4\t3\t400\n", name: "u.data")
        let (log, report) = try EventLog.load(url, columns: .movieLensUData, options: EventLoadOptions(skipBadLines: true))
        XCTAssertEqual(report.lines, 6)
        XCTAssertEqual(report.skippedLines, 3)
        XCTAssertEqual(report.events, 3)
        XCTAssertEqual(log.count, 3)
        // Skipped lines add no ids: users 1, 2, 3 and items 2, 4.
        XCTAssertEqual(log.userIDs.ids, ["1", "2", "3"])
        XCTAssertEqual(log.itemIDs.ids, ["2", "4"])
        XCTAssertEqual(report.firstSkipped.map(\.description), [
            "\(url.path):2: column 'timestamp (field 4)' has 'noon' (expected epoch seconds or an ISO 8601 date-time)",
            "\(url.path):4: 1 fields, expected at least 4",
            "\(url.path):5: column 'item (field 2)' has '' (expected a non-empty item id)",
        ])
        let allBad = try write("a\tb\tc\td\n", name: "bad.data")
        XCTAssertThrowsError(try EventLog.load(allBad, columns: .movieLensUData, options: EventLoadOptions(skipBadLines: true))) { error in
            XCTAssertEqual("\(error)", "\(allBad.path): no events left (skipped 1 bad lines)")
        }
    }
}
