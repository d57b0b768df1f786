import Foundation
import RecVec
import TestSupport
import XCTest

final class DataContentTests: XCTestCase {
    func folder() throws -> URL { try TestSupport.temporaryDirectory(self) }

    /// A float64 `.npy` built by hand (version 1.0 header padded to 64 bytes), in C or Fortran order.
    func float64NPY(rows: Int, cols: Int, values: [Double], fortran: Bool) -> Data {
        var header = "{'descr': '<f8', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(rows), \(cols)), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Data(bytes)
    }

    func testNPYRoundTripAndFloat64FortranOrder() throws {
        let dir = try folder()
        let m = try Matrix(rows: 3, cols: 2, values: [1, 2, 3, 4, 5, -6.5])
        try NPY.write(m, to: dir.appendingPathComponent("m.npy"))
        XCTAssertEqual(try NPY.read(dir.appendingPathComponent("m.npy")), m)
        // The same matrix stored column by column as float64.
        try float64NPY(rows: 3, cols: 2, values: [1, 3, 5, 2, 4, -6.5], fortran: true).write(to: dir.appendingPathComponent("f.npy"))
        XCTAssertEqual(try NPY.read(dir.appendingPathComponent("f.npy")), m)
        try float64NPY(rows: 3, cols: 2, values: [1, 2, 3, 4, 5, -6.5], fortran: false).write(to: dir.appendingPathComponent("c.npy"))
        XCTAssertEqual(try NPY.read(dir.appendingPathComponent("c.npy")), m)
    }

    func testNPYErrors() throws {
        let dir = try folder()
        let truncated = dir.appendingPathComponent("t.npy")
        var data = float64NPY(rows: 2, cols: 2, values: [1, 2, 3, 4], fortran: false)
        data.removeLast(8)
        try data.write(to: truncated)
        XCTAssertThrowsError(try NPY.read(truncated)) { error in
            XCTAssertEqual("\(error)", "\(truncated.path): not a readable .npy file (24 data bytes, expected 32 for shape (2, 2) of 8-byte floats)")
        }
        let text = dir.appendingPathComponent("x.npy")
        try Data("hello world".utf8).write(to: text)
        XCTAssertThrowsError(try NPY.read(text)) { error in
            XCTAssertEqual("\(error)", "\(text.path): not a readable .npy file (missing the \\x93NUMPY magic)")
        }
    }

    func testNPYAlignsRowsToTheCatalogAndChecksValues() throws {
        let dir = try folder()
        let url = dir.appendingPathComponent("content.npy")
        try NPY.write(try Matrix(rows: 3, cols: 2, values: [0, 0, 1, 1, 2, 2]), to: url)
        let catalog = try IDMap(ids: ["2", "0", "1"])
        XCTAssertEqual(try ContentLoader.loadNPY(url, aligningTo: catalog).values, [2, 2, 0, 0, 1, 1])
        XCTAssertEqual(try ContentLoader.loadNPY(url, rowIDs: ["a", "b", "c"], aligningTo: try IDMap(ids: ["c", "a"])).values, [2, 2, 0, 0])

        XCTAssertThrowsError(try ContentLoader.loadNPY(url, aligningTo: try IDMap(ids: ["1", "7", "8"]))) { error in
            XCTAssertEqual("\(error)", "\(url.path): 2 items have no vector (first: 7, 8)")
        }
        XCTAssertThrowsError(try ContentLoader.loadNPY(url, aligningTo: catalog, expectedDimension: 4)) { error in
            XCTAssertEqual("\(error)", "\(url.path): row 0 (item '0') has 2 values, expected 4")
        }
        try NPY.write(try Matrix(rows: 2, cols: 2, values: [0, 0, .nan, 1]), to: url)
        XCTAssertThrowsError(try ContentLoader.loadNPY(url, aligningTo: try IDMap(ids: ["0", "1"]))) { error in
            XCTAssertEqual(error as? DataError, .nonFiniteContent(file: url.path, position: .row(1), item: "1", value: "nan"))
            XCTAssertEqual("\(error)", "\(url.path): row 1 (item '1') has value 'nan' (expected a finite number)")
        }
    }

    func testCSVContentWithHeaderAlignsAndReportsErrors() throws {
        let dir = try folder()
        let url = dir.appendingPathComponent("content.csv")
        try Data("item,v1,v2\nb,1,2\nzzz,9,9\na,3,4\n".utf8).write(to: url)
        XCTAssertEqual(try ContentLoader.loadCSV(url, aligningTo: try IDMap(ids: ["a", "b"])).values, [3, 4, 1, 2])

        try Data("b,1,2\na,3\n".utf8).write(to: url)
        XCTAssertThrowsError(try ContentLoader.loadCSV(url, aligningTo: try IDMap(ids: ["a", "b"]))) { error in
            XCTAssertEqual("\(error)", "\(url.path): line 2 (item 'a') has 1 values, expected 2")
        }
        try Data("b,1,2\na,3,NaN\n".utf8).write(to: url)
        XCTAssertThrowsError(try ContentLoader.loadCSV(url, aligningTo: try IDMap(ids: ["a", "b"]))) { error in
            XCTAssertEqual("\(error)", "\(url.path): line 2 (item 'a') has value 'NaN' (expected a finite number)")
        }
        try Data("b,1,2\n".utf8).write(to: url)
        XCTAssertThrowsError(try ContentLoader.loadCSV(url, aligningTo: try IDMap(ids: ["a", "b"]))) { error in
            XCTAssertEqual(error as? DataError, .missingItems(file: url.path, count: 1, examples: ["a"]))
        }
    }

    func testMovieLensGenresFromUItem() throws {
        let dir = try TestSupport.sharedDataOrSkip("ml-100k")
        let log = try EventLog.load(dir.appendingPathComponent("u.data"), columns: .movieLensUData).log
        let genres = try ContentLoader.loadMovieLensGenres(dir.appendingPathComponent("u.item"), aligningTo: log.itemIDs)
        XCTAssertEqual(genres.name, "genres")
        XCTAssertEqual([genres.vectors.rows, genres.vectors.cols], [1682, 19])
        // Movie 1 is flagged Animation, Children's, Comedy in u.item.
        let toyStory = genres.vectors.row(Int(log.itemIDs.index(of: "1")!))
        XCTAssertEqual(zip(ContentLoader.movieLensGenres, toyStory).filter { $0.1 == 1 }.map(\.0), ["Animation", "Children's", "Comedy"])
        // Every movie has at least one flag (checked with awk on u.item).
        for i in 0 ..< 1682 { XCTAssertGreaterThan(genres.vectors.row(i).reduce(0, +), 0) }

        let bad = try folder().appendingPathComponent("u.item")
        try Data("1|A Film (2000)|01-Jan-2000||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|2\n".utf8).write(to: bad)
        XCTAssertThrowsError(try ContentLoader.loadMovieLensGenres(bad, aligningTo: try IDMap(ids: ["1"]))) { error in
            XCTAssertEqual("\(error)", "\(bad.path):1: column 'Western' has '2' (expected 0 or 1)")
        }
    }

    /// u.item's release date is the second modality: a full date, an empty one (a zero row) and a
    /// malformed one (an error naming file, line, column, value and the expected form).
    func testMovieLensReleaseDatesFromUItem() throws {
        let url = try folder().appendingPathComponent("u.item")
        let flags = (0 ..< 19).map { $0 == 8 ? "1" : "0" }.joined(separator: "|")
        let films = ["7|Made-Up Film (1994)|15-Jul-1994||url|", "8|No-Date Film|||url|", "9|Other Film (1996)|01-Jan-1996||url|",
                     "10|Old Film (1980)|01-Jan-1980||url|"]
        try Data(films.map { $0 + flags + "\n" }.joined().utf8).write(to: url)
        let catalog = try IDMap(ids: ["7", "8", "9", "10"])
        let content = try ContentLoader.loadMovieLensItems(url, aligningTo: catalog)
        XCTAssertEqual(content.map(\.name), ["genres", "release-year"])
        XCTAssertEqual(content[0].vectors.row(1), (0 ..< 19).map { $0 == 8 ? 1 : 0 }) // genres read as before
        let years = content[1].vectors
        XCTAssertEqual(years.cols, ContentLoader.releaseYearCentres.count)
        // 15 July 1994 is 1994 + (6 + 14/31)/12; its kernels peak at the 1994 centre.
        XCTAssertEqual(years.row(0), ContentLoader.releaseYearFeatures(1994 + (6 + 14.0 / 31) / 12))
        XCTAssertEqual(ContentLoader.releaseYearCentres[years.row(0).indices.max { years[0, $0] < years[0, $1] }!], 1994)
        XCTAssertEqual(years.row(1), [Float](repeating: 0, count: years.cols)) // no date: no information
        // Smooth: a 1996 film is closer to the 1994 one than a 1980 film is.
        func cosine(_ a: Int, _ b: Int) -> Float {
            let (x, y) = (years.row(a), years.row(b))
            return zip(x, y).map(*).reduce(0, +) / (x.map { $0 * $0 }.reduce(0, +) * y.map { $0 * $0 }.reduce(0, +)).squareRoot()
        }
        XCTAssertGreaterThan(cosine(0, 2), 0.5)
        XCTAssertLessThan(cosine(0, 3), 0.01)

        try Data((films[0] + flags + "\n" + "8|Bad Date Film|1994-07-15||url|" + flags + "\n").utf8).write(to: url)
        XCTAssertThrowsError(try ContentLoader.loadMovieLensItems(url, aligningTo: try IDMap(ids: ["7", "8"]))) { error in
            XCTAssertEqual("\(error)", "\(url.path):2: column 'release date (field 3)' has '1994-07-15' "
                           + "(expected a date like 01-Jan-1995 (dd-Mon-yyyy), or nothing)")
        }
        try Data(("8|Bad Month Film|15-Jux-1994||url|" + flags + "\n").utf8).write(to: url)
        XCTAssertThrowsError(try ContentLoader.loadMovieLensItems(url, aligningTo: try IDMap(ids: ["8"]))) { error in
            XCTAssertEqual(error as? DataError, .badValue(file: url.path, line: 1, column: "release date (field 3)", value: "15-Jux-1994",
                                                          expected: "a date like 01-Jan-1995 (dd-Mon-yyyy), or nothing"))
        }
    }

    /// What `recvec generate` writes loads back, aligned to the catalog the events file yields.
    func testGeneratedContentLoadsAlignedToLoadedEvents() throws {
        var c = SyntheticConfig()
        c.users = 20; c.items = 15; c.sessions = 30; c.sessionLength = 4
        let w = try SyntheticWorkload(config: c)
        let dir = try folder()
        try w.events.writeCSV(to: dir.appendingPathComponent("events.csv"))
        try NPY.write(w.content[0].vectors, to: dir.appendingPathComponent("text.npy"))
        let log = try EventLog.load(dir.appendingPathComponent("events.csv"), columns: .generated).log
        let catalog = try IDMap(ids: log.itemIDs.ids + (0 ..< 15).map(String.init).filter { log.itemIDs.index(of: $0) == nil })
        let text = try ContentLoader.loadNPY(dir.appendingPathComponent("text.npy"), aligningTo: catalog)
        for (i, id) in catalog.ids.enumerated() { XCTAssertEqual(text.row(i), w.content[0].vectors.row(Int(id)!)) }
    }
}
