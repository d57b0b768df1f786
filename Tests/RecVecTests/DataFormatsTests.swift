import Foundation
import RecVec
import TestSupport
import XCTest

/// The loader's formats (header recognition, JSON Lines, sessions, MovieLens presets, gzip), the
/// line reader's rules (CRLF, BOM, long lines) and ids compared as bytes.
final class DataFormatsTests: XCTestCase {
    func write(_ text: String, _ name: String) throws -> URL {
        try write(Data(text.utf8), name)
    }

    func write(_ data: Data, _ name: String) throws -> URL {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Gzip-compresses `url` with the system's gzip (part of every Debian base system).
    func gzip(_ url: URL) throws -> URL {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-k", "-f", url.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return URL(fileURLWithPath: url.path + ".gz")
    }

    func testHeaderNamesAreRecognisedAndISOTimesWithAndWithoutZone() throws {
        let url = try write("customer_id,sku,event_time,qty\nc1,A,2020-01-02T00:00:00Z,1\nc1,B,2020-01-02 01:00:00+01:00,2\nc2,A,2020-01-01,3\n", "e.csv")
        let (log, report) = try EventLog.load(url)
        XCTAssertEqual(report.format, .csv)
        XCTAssertEqual(report.columns, EventColumns(user: "customer_id", item: "sku", timestamp: "event_time"))
        XCTAssertEqual(log.userIDs.ids, ["c1", "c2"])
        XCTAssertEqual(log.itemIDs.ids, ["A", "B"])
        let day = Int64(Timestamp.parse("2020-01-02")!)
        XCTAssertEqual(log.timestamps, [day, day, day - 86400]) // 01:00+01:00 is midnight UTC
        XCTAssertTrue(log.hasTimestamps)
    }

    func testNoTimeColumnMeansFileOrderAndTheCutoffRefuses() throws {
        let url = try write("user_id,item_id\nu,b\nu,a\nv,a\n", "e.csv")
        let (log, report) = try EventLog.load(url)
        XCTAssertNil(report.columns?.timestamp)
        XCTAssertFalse(log.hasTimestamps)
        XCTAssertEqual(log.timestamps, [0, 1, 2])
        XCTAssertThrowsError(try log.requireTimestamps(for: "the time-cutoff protocol")) { error in
            XCTAssertEqual(error as? DataError, .noTimestamps(purpose: "the time-cutoff protocol"))
            XCTAssertEqual(error.localizedDescription,
                           "the log has no time column (file order is its order), so the time-cutoff protocol cannot run; give the time column (--time) or use leave-last-out")
        }
        // Selections and filters keep knowing it.
        XCTAssertFalse(log.selecting([0, 2]).hasTimestamps)
        XCTAssertFalse(log.filtered(minUserCount: 1).hasTimestamps)
        // The gap rule has no gap to measure: one session per user, in file order.
        let corpus = try log.corpus()
        XCTAssertEqual((0 ..< corpus.sessionCount).map { corpus.session($0).map { log.itemIDs.ids[Int($0)] } }, [["b", "a"], ["a"]])
    }

    func testPositionsOnAFileWithAHeaderSkipTheHeader() throws {
        let url = try write("user_id,item_id\nu,b\nv,a\n", "e.csv")
        let (log, report) = try EventLog.load(url, columns: EventColumns(userPosition: 0, itemPosition: 1))
        XCTAssertEqual(report.lines, 2)
        XCTAssertEqual(log.userIDs.ids, ["u", "v"]) // not "user_id"
        let plain = try write("u,b\nv,a\n", "plain.csv")
        XCTAssertEqual(try EventLog.load(plain, columns: EventColumns(userPosition: 0, itemPosition: 1)).log.userIDs.ids, ["u", "v"])
    }

    func testEpochMillisecondsAreDetectedFromTheFirstValue() throws {
        let url = try write("user,item,ts\nu,a,1600000000123\nu,b,1600000001999\n", "e.csv")
        let (log, report) = try EventLog.load(url)
        XCTAssertEqual(report.epochUnit, .milliseconds)
        XCTAssertEqual(log.timestamps, [1_600_000_000, 1_600_000_001])
        var seconds = EventLoadOptions()
        seconds.epochUnit = .seconds
        XCTAssertEqual(try EventLog.load(url, options: seconds).log.timestamps, [1_600_000_000_123, 1_600_000_001_999])
    }

    func testAmbiguousUnrecognisedAndDuplicatedColumnsAreErrors() throws {
        let both = try write("user,user_id,item\n1,2,3\n", "both.csv")
        XCTAssertThrowsError(try EventLog.load(both)) { error in
            XCTAssertEqual(error as? DataError, .ambiguousColumns(file: both.path, role: "user", candidates: ["user", "user_id"]))
        }
        let unknown = try write("who,what\n1,2\n", "unknown.csv")
        XCTAssertThrowsError(try EventLog.load(unknown)) { error in
            XCTAssertEqual(error.localizedDescription,
                           "\(unknown.path): no header name recognised as the user column (header has: who, what); name it with --user (a header name or a 0-based position)")
        }
        let duplicated = try write("user,item,item\n1,2,3\n", "dup.csv")
        XCTAssertThrowsError(try EventLog.load(duplicated, columns: EventColumns(user: "user", item: "item"))) { error in
            XCTAssertEqual(error as? DataError, .duplicateColumn(file: duplicated.path, column: "item", positions: [1, 2]))
            XCTAssertTrue(error.localizedDescription.contains("names column 'item' 2 times (fields 2, 3)"), error.localizedDescription)
        }
    }

    func testJSONLinesByKeyWithEscapesNumbersAndNestedValues() throws {
        let text = """
        {"user": "u\\u00e9", "item": 17, "ts": "2020-01-01T00:00:00Z", "meta": {"a": [1, {"b": "}"}]}}
        {"ts": 1577836861, "item": "say \\"hi\\"", "user": "u\\u00e9", "extra": null}

        {"user":"v","item":17,"ts":1577836862}
        """
        let url = try write(text, "events.jsonl")
        let (log, report) = try EventLog.load(url)
        XCTAssertEqual(report.format, .jsonl)
        XCTAssertEqual(report.columns, EventColumns(user: "user", item: "item", timestamp: "ts"))
        XCTAssertEqual(log.userIDs.ids, ["u\u{e9}", "v"])
        XCTAssertEqual(log.itemIDs.ids, ["17", "say \"hi\""])
        XCTAssertEqual(log.timestamps, [1_577_836_800, 1_577_836_861, 1_577_836_862])

        let bad = try write("{\"user\": \"u\", \"item\": \"a\"}\n{\"user\": \"u\", \"item\": [1]}\n{\"user\": \"u\"\n", "bad.jsonl")
        XCTAssertThrowsError(try EventLog.load(bad)) { error in
            XCTAssertEqual(error.localizedDescription, "\(bad.path):2: column 'item' has '[1]' (expected a string or number item id)")
        }
        var skip = EventLoadOptions()
        skip.skipBadLines = true
        let (kept, skipped) = try EventLog.load(bad, options: skip)
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(skipped.skippedLines, 2)
        XCTAssertEqual(skipped.firstSkipped.last?.description, "\(bad.path):3: column '(line)' has '{\"user\": \"u\"' (expected a JSON object)")
        let twice = try write("{\"user\": \"u\", \"item\": \"a\", \"item\": \"b\"}\n", "twice.jsonl")
        XCTAssertThrowsError(try EventLog.load(twice, columns: EventColumns(user: "user", item: "item"))) { error in
            XCTAssertEqual(error.localizedDescription, "\(twice.path):1: column 'item' has 'b' (expected the key once per object (it appears twice))")
        }
        XCTAssertThrowsError(try EventLog.load(bad, columns: EventColumns(userPosition: 0, itemPosition: 1))) { error in
            XCTAssertEqual(error as? DataError, .invalidArgument(name: "user column", value: "position 0", expected: "a key name for JSON Lines"))
        }
    }

    func testSessionsFormatOneBasketALine() throws {
        let url = try write("a b  c\n\nd,e\tf\n a \n", "baskets.txt")
        var options = EventLoadOptions()
        options.format = .sessions
        let (log, report) = try EventLog.load(url, options: options)
        XCTAssertEqual(report.lines, 3)
        XCTAssertEqual(log.count, 7)
        XCTAssertFalse(log.hasTimestamps)
        XCTAssertEqual(log.userIDs.ids, ["1", "3", "4"]) // line numbers
        XCTAssertEqual(log.sessionIDs?.ids, ["1", "3", "4"])
        let corpus = try log.corpus(rule: .sessionColumn)
        XCTAssertEqual((0 ..< corpus.sessionCount).map { corpus.session($0).map { log.itemIDs.ids[Int($0)] } },
                       [["a", "b", "c"], ["d", "e", "f"], ["a"]])
        // A line that is not UTF-8 is skipped whole (or stops the load), never half kept.
        var bytes = Data("a b\nc ".utf8)
        bytes.append(contentsOf: [0xE9, 0x20, 0x64, 0x0A, 0x65, 0x0A]) // "c \xe9 d", "e"
        let latin1 = try write(bytes, "latin1.sessions")
        XCTAssertThrowsError(try EventLog.load(latin1)) { error in
            XCTAssertEqual(error.localizedDescription.hasPrefix("\(latin1.path):2: column 'item' has 'c \\xe9 d'"), true, error.localizedDescription)
        }
        options.skipBadLines = true
        let (kept, skipped) = try EventLog.load(latin1, options: options)
        XCTAssertEqual(kept.itemIDs.ids, ["a", "b", "e"])
        XCTAssertEqual(skipped.skippedLines, 1)
        XCTAssertEqual(skipped.lines, 3)
        // Detected by extension.
        let named = try write("x y\n", "s.baskets")
        XCTAssertEqual(try EventLog.load(named).report.format, .sessions)
    }

    func testMovieLens1MAnd25MPresetsWithGenres() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let dat = dir.appendingPathComponent("ratings.dat")
        try Data("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n".utf8).write(to: dat)
        // Titles hold single colons; ids and genres are read, the Latin-1 title is not decoded.
        var movies = Data("1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach: A Film (1996)::Animation|Children's|Musical\n".utf8)
        movies.append(contentsOf: [0x39, 0x39, 0x3A, 0x3A, 0xE9, 0x3A, 0x3A, 0x44, 0x72, 0x61, 0x6D, 0x61, 0x0A]) // 99::\xe9::Drama
        try movies.write(to: dir.appendingPathComponent("movies.dat"))
        let (log, report) = try EventLog.load(dat)
        XCTAssertEqual(report.format, .movieLens1M)
        XCTAssertEqual(log.userIDs.ids, ["1", "2"])
        XCTAssertEqual(log.itemIDs.ids, ["1193", "661"])
        XCTAssertEqual(log.timestamps, [978_300_760, 978_302_109, 978_298_413])
        let genres = try ContentLoader.presetContent(for: report.format, events: dat, aligningTo: log.itemIDs)
        XCTAssertEqual(genres.map(\.name), ["genres"])
        // Columns: Animation, Children's, Drama, Musical (sorted).
        XCTAssertEqual(genres[0].vectors.values, [0, 0, 1, 0, 1, 1, 0, 1])

        let csvDir = try TestSupport.temporaryDirectory(self)
        let ratings = csvDir.appendingPathComponent("ratings.csv")
        try Data("userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n1,11,4.0,1112484676\n".utf8).write(to: ratings)
        try Data("movieId,title,genres\n2,\"Jumanji, the (1995)\",Adventure|Children|Fantasy\n11,\"American President, The (1995)\",Comedy|Drama|Romance\n".utf8)
            .write(to: csvDir.appendingPathComponent("movies.csv"))
        let (ml, mlReport) = try EventLog.load(ratings)
        XCTAssertEqual(mlReport.format, .movieLensRatings)
        let content = try ContentLoader.presetContent(for: mlReport.format, events: ratings, aligningTo: ml.itemIDs)
        XCTAssertEqual(content[0].vectors.cols, 6)
        XCTAssertEqual(content[0].vectors.values, [1, 1, 0, 0, 1, 0, /* 11: */ 0, 0, 1, 1, 0, 1])
        // A categorical column named by the user, and one missing item.
        XCTAssertThrowsError(try ContentLoader.loadCategories(csvDir.appendingPathComponent("movies.csv"), column: .named("genres"),
                                                              idColumn: .named("movieId"), aligningTo: try IDMap(ids: ["2", "3"]))) { error in
            XCTAssertEqual(error as? DataError, .missingItems(file: csvDir.appendingPathComponent("movies.csv").path, count: 1, examples: ["3"]))
        }
    }

    func testGzipIsReadTransparentlyAndGivesTheSameLog() throws {
        var text = "user,item,timestamp\n"
        var random = TestRandom(seed: 9)
        for t in 0 ..< 20000 { text += "u\(random.below(300)),i\(random.below(500)),\(1_600_000_000 + t)\n" }
        let plain = try write(text, "big.csv")
        let packed = try gzip(plain)
        var small = EventLoadOptions()
        small.chunkSize = 4096 // many chunk boundaries
        let a = try EventLog.load(plain).log, b = try EventLog.load(packed, options: small).log
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 20000)
        // Corrupt gzip: an error naming the file, not garbage events.
        var bytes = try Data(contentsOf: packed)
        bytes.replaceSubrange(bytes.count / 2 ..< bytes.count / 2 + 64, with: Data(repeating: 0xAA, count: 64))
        let broken = try write(bytes, "broken.csv.gz")
        XCTAssertThrowsError(try EventLog.load(broken)) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("\(broken.path): cannot read (gzip:"), error.localizedDescription)
        }
    }

    func testCRLFBOMAndLinesLongerThanAChunk() throws {
        let longID = String(repeating: "x", count: 10000)
        let url = try write("\u{FEFF}user,item,timestamp\r\nu1,a,1\r\n\(longID),b,2\r\nu1,c,3", "crlf.csv")
        var options = EventLoadOptions()
        options.chunkSize = 4096
        let (log, report) = try EventLog.load(url, options: options)
        XCTAssertEqual(report.columns?.user, .named("user")) // the BOM is not part of the first name
        XCTAssertEqual(log.userIDs.ids, ["u1", longID])
        XCTAssertEqual(log.itemIDs.ids, ["a", "b", "c"]) // no "\r" in the last field
        XCTAssertEqual(log.timestamps, [1, 2, 3])
        // A line past maxLineBytes stops the load, naming its line, instead of growing memory.
        options.maxLineBytes = 8192
        let runaway = try write("user,item\nu,a\nu,\(String(repeating: "b", count: 20000))\nu,c\n", "runaway.csv")
        XCTAssertThrowsError(try EventLog.load(runaway, options: options)) { error in
            XCTAssertEqual(error.localizedDescription,
                           "\(runaway.path):3: column '(line)' has 'u,\(String(repeating: "b", count: 78)) ... (8192 bytes)' (expected a line of at most 8192 bytes)")
        }
    }

    func testCatalogHistoriesAndIDFilesReadCRLFAndBOM() throws {
        let catalog = try write("\u{FEFF}a\tshoes\t3\tred,big\r\nb\thats\r\n", "catalog.tsv")
        let read = try Catalog.read(path: catalog.path)
        XCTAssertEqual(read.items, ["a", "b"])
        XCTAssertEqual(read.entries["b"]?.category, "hats")
        XCTAssertEqual(read.entries["a"]?.attributes, ["red", "big"])
        let histories = try write("u1\ta\r\nu1\tb\r\n", "histories.tsv")
        XCTAssertEqual(try Histories.read(path: histories.path), ["u1": ["a", "b"]])
        let ids = try write("\u{FEFF}b\r\na\r\n", "rows.ids.txt")
        XCTAssertEqual(try ContentLoader.readIDs(ids), ["b", "a"])
        let published = try write("\u{FEFF}caf\u{e9}\r\ncafe\u{301}\r\nb\r\n", "publish.ids.txt")
        XCTAssertEqual(try ItemIDTable.read(path: published.path), ["caf\u{e9}", "cafe\u{301}", "b"]) // NFC and NFD: two ids
        let table = try ItemIDTable(bytes: ItemIDTable.encode(["caf\u{e9}", "cafe\u{301}"]), path: "ids")
        XCTAssertEqual(table.row(of: "cafe\u{301}"), 1)
        XCTAssertEqual(table.row(of: "caf\u{e9}"), 0)
        var latin1 = Data("a\tx\n".utf8)
        latin1.append(contentsOf: [0x63, 0x61, 0x66, 0xE9, 0x0A])
        let badCatalog = try write(latin1, "latin1.tsv")
        XCTAssertThrowsError(try Catalog.read(path: badCatalog.path)) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("\(badCatalog.path):2: "), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("caf\\xe9"), error.localizedDescription)
        }
    }

    func testIDsAreComparedAsBytesAndInvalidUTF8IsRejectedWithItsLine() throws {
        // "café" precomposed (NFC) and decomposed (NFD): equal as Swift Strings, two ids here.
        let url = try write("user,item\ncaf\u{e9},a\ncafe\u{301},a\n", "nfc.csv")
        let log = try EventLog.load(url).log
        XCTAssertEqual(log.userIDs.count, 2)
        XCTAssertEqual(log.users, [0, 1])
        var map = IDMap()
        XCTAssertNotEqual(map.insert("caf\u{e9}"), map.insert("cafe\u{301}"))

        // Three Latin-1 user ids that a lossy decoding would merge into one.
        var bytes = Data("user,item\n".utf8)
        for b: UInt8 in [0xE9, 0xE8, 0xEA] { bytes.append(contentsOf: [0x75, b, 0x2C, 0x61, 0x0A]) }
        let latin1 = try write(bytes, "latin1.csv")
        XCTAssertThrowsError(try EventLog.load(latin1)) { error in
            XCTAssertEqual(error.localizedDescription,
                           "\(latin1.path):2: column 'user' has 'u\\xe9' (expected UTF-8 text (ids are compared as bytes; convert a Latin-1 file with iconv -f latin1 -t utf-8))")
        }
    }

    func testNumericIDsSmallAndLargeStayDistinctAndFindable() throws {
        // Small decimal ids live in a table, large ones in a hash: both give the same answers.
        let ids = ["5", "4194303", "4194304", "999999999999", "0", "007", "7", "x"]
        var map = IDMap()
        for (k, id) in ids.enumerated() { XCTAssertEqual(map.insert(id), Int32(k)) }
        for (k, id) in ids.enumerated() {
            XCTAssertEqual(map.index(of: id), Int32(k))
            XCTAssertEqual(map.insert(id), Int32(k))
        }
        XCTAssertNil(map.index(of: "6"))
        XCTAssertNil(map.index(of: "4194305"))
        XCTAssertEqual(map.ids, ids)
        XCTAssertEqual(try IDMap(ids: ids), map)
    }

    func testBadValuesAreQuotedBoundedWithControlBytesEscaped() throws {
        // A 1 MB bad time field: the message holds 80 bytes of it and its length, not the field.
        let huge = String(repeating: "9", count: 40) + "\u{1B}[31m" + String(repeating: "z", count: 1_000_000)
        let url = try write("user,item,timestamp\nu,a,\(huge)\n", "huge.csv")
        XCTAssertThrowsError(try EventLog.load(url)) { error in
            let message = error.localizedDescription
            XCTAssertLessThan(message.utf8.count, url.path.utf8.count + 250, message)
            XCTAssertTrue(message.contains("\\x1b[31m"), message)
            XCTAssertFalse(message.contains("\u{1B}"))
            XCTAssertTrue(message.contains(" ... (1000045 bytes)"), message)
        }
        XCTAssertEqual(DataError.excerpt("short"), "short")
        XCTAssertEqual(DataError.excerpt("tab\there"), "tab\\x09here")
        let cut = DataError.excerpt(String(repeating: "\u{e9}", count: 100)) // 2-byte characters: never split
        XCTAssertEqual(cut, String(repeating: "\u{e9}", count: 40) + " ... (200 bytes)")
        XCTAssertEqual(DataError.excerpt(cut), cut) // quoting an excerpt again changes nothing
        // Constructed by hand with a long value: the description bounds it too.
        let error = DataError.badValue(file: "f", line: 1, column: "c", value: String(repeating: "v", count: 5000), expected: "x")
        XCTAssertEqual(error.description, "f:1: column 'c' has '\(String(repeating: "v", count: 80)) ... (5000 bytes)' (expected x)")
    }

    func testAppendThrowsInsteadOfStopping() throws {
        var log = EventLog()
        XCTAssertThrowsError(try log.append(user: "u", item: "a", timestamp: 0, session: "s")) { error in
            XCTAssertEqual(error as? DataError, .invalidArgument(name: "session", value: "s", expected: "nil (the log has no session column)"))
        }
        XCTAssertThrowsError(try log.append(user: "u", item: "a", timestamp: 0, weight: 2))
        XCTAssertThrowsError(try log.append(user: "", item: "a", timestamp: 0))
        XCTAssertThrowsError(try log.append(Event(user: 0, item: 0, timestamp: 0))) // no ids yet
        XCTAssertEqual(log.count, 0) // nothing half-added
        try log.append(user: "u", item: "a", timestamp: 5)
        try log.append(Event(user: 0, item: 0, timestamp: 6))
        XCTAssertEqual(log.count, 2)
    }

    func testFormatDetectionByNameAndFirstLine() {
        func detect(_ name: String, _ first: String) -> EventFormat { EventFormat.detect(URL(fileURLWithPath: "/d/" + name), firstLine: Array(first.utf8)) }
        XCTAssertEqual(detect("u.data", "1\t2\t3\t4"), .movieLens100K)
        XCTAssertEqual(detect("ratings.dat.gz", "1::2::3::4"), .movieLens1M)
        XCTAssertEqual(detect("ratings.csv", "userId,movieId,rating,timestamp"), .movieLensRatings)
        XCTAssertEqual(detect("ratings.csv", "user,item"), .csv)
        XCTAssertEqual(detect("x.ndjson", "{}"), .jsonl)
        XCTAssertEqual(detect("x.log", " {\"a\":1}"), .jsonl)
        XCTAssertEqual(detect("x.txt", "a\tb"), .tsv)
        XCTAssertEqual(detect("x", "a,b"), .csv)
        XCTAssertEqual(EventFormat(name: "movielens-udata"), .movieLens100K)
        XCTAssertEqual(EventFormat(name: "generated"), .csv)
        XCTAssertNil(EventFormat(name: "parquet"))
    }

    func testNPYContentWithAnIDsFileBeside() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let npy = dir.appendingPathComponent("content-text.npy")
        try NPY.write(try Matrix(rows: 3, cols: 2, values: [1, 1, 2, 2, 3, 3]), to: npy)
        try Data("c\r\na\r\nb\r\n".utf8).write(to: dir.appendingPathComponent("content-text.npy.ids.txt"))
        let modality = try ContentLoader.load(npy, aligningTo: try IDMap(ids: ["a", "b", "c"]))
        XCTAssertEqual(modality.name, "text")
        XCTAssertEqual(modality.vectors.values, [2, 2, 3, 3, 1, 1])
        let csv = dir.appendingPathComponent("image.csv")
        try Data("item,x,y\nb,5,6\na,7,8\n".utf8).write(to: csv)
        let image = try ContentLoader.load(csv, aligningTo: try IDMap(ids: ["a", "b"]))
        XCTAssertEqual(image.name, "image")
        XCTAssertEqual(image.vectors.values, [7, 8, 5, 6])
    }
}
