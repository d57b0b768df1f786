import Foundation

/// Loads per-item content vectors and aligns them to a catalog: row `i` of the result belongs
/// to dense item `i` of the `IDMap`. Items of the file that are not in the catalog are ignored;
/// catalog items without a vector are an error.
public enum ContentLoader {
    /// A 2-D float32/float64 `.npy` whose row `r` belongs to item `rowIDs[r]`; nil `rowIDs` means
    /// row `r` is item id `"r"` (what `recvec generate` writes). `expectedDimension`, when given,
    /// is checked against the column count.
    public static func loadNPY(_ url: URL, rowIDs: [String]? = nil, aligningTo catalog: IDMap,
                               expectedDimension: Int? = nil) throws(DataError) -> Matrix {
        let file = url.path
        let m = try NPY.read(url)
        let ids = rowIDs ?? (0 ..< m.rows).map(String.init)
        guard ids.count == m.rows else {
            throw .invalidArgument(name: "rowIDs", value: "\(ids.count) ids", expected: "one per row of \(file) (\(m.rows))")
        }
        if let expectedDimension, m.cols != expectedDimension {
            throw .wrongDimension(file: file, position: .row(0), item: ids.first ?? "", found: m.cols, expected: expectedDimension)
        }
        var out = Matrix(rows: catalog.count, cols: m.cols)
        var filled = [Bool](repeating: false, count: catalog.count)
        for (r, id) in ids.enumerated() {
            guard let i = catalog.index(of: id) else { continue }
            for c in 0 ..< m.cols where !m[r, c].isFinite {
                throw .nonFiniteContent(file: file, position: .row(r), item: id, value: "\(m[r, c])")
            }
            out.values.replaceSubrange(Int(i) * m.cols ..< (Int(i) + 1) * m.cols, with: m.values[r * m.cols ..< (r + 1) * m.cols])
            filled[Int(i)] = true
        }
        try checkFilled(filled, catalog: catalog, file: file)
        return out
    }

    /// A delimited file `item,v1,v2,...` (comma, or tab when the first line holds one); a first
    /// line whose second field is not a number is a header. Every line must have the dimension
    /// of the first (or `expectedDimension`).
    public static func loadCSV(_ url: URL, aligningTo catalog: IDMap, expectedDimension: Int? = nil) throws(DataError) -> Matrix {
        let file = url.path
        var dimension = expectedDimension
        var splitter: FieldSplitter?
        var values: [Float] = []
        var rowOfItem = [Int](repeating: -1, count: catalog.count)
        var lineOfItem: [Int32: Int] = [:]
        var rowsRead = 0
        var sawLine = false
        try LineReader(url: url).forEachLine { (line, number) throws(DataError) in
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            if splitter == nil { splitter = FieldSplitter(delimiter: line.contains(9) ? 9 : 44) }
            splitter!.split(line)
            let fields = splitter!
            let id = fields.string(0, in: line)
            let isFirst = !sawLine
            sawLine = true
            if isFirst && fields.ranges.count > 1 && Float(fields.string(1, in: line)) == nil { return } // header
            let found = fields.ranges.count - 1
            if dimension == nil { dimension = found }
            guard found == dimension else {
                throw .wrongDimension(file: file, position: .line(number), item: id, found: found, expected: dimension!)
            }
            guard let i = catalog.index(of: id) else { return }
            if let first = lineOfItem[i] { throw .duplicateID(id: id, first: first, second: number) }
            lineOfItem[i] = number
            rowOfItem[Int(i)] = rowsRead
            rowsRead += 1
            for f in 1 ..< found + 1 {
                let text = fields.string(f, in: line)
                guard let v = Float(text), v.isFinite else {
                    throw .nonFiniteContent(file: file, position: .line(number), item: id, value: text)
                }
                values.append(v)
            }
        }
        guard sawLine else { throw .emptyFile(file: file) }
        try checkFilled(rowOfItem.map { $0 >= 0 }, catalog: catalog, file: file)
        let d = dimension ?? 0
        var out = Matrix(rows: catalog.count, cols: d)
        for (i, r) in rowOfItem.enumerated() { out.values.replaceSubrange(i * d ..< (i + 1) * d, with: values[r * d ..< (r + 1) * d]) }
        return out
    }

    /// The 19 genre names of MovieLens 100K, in `u.item`'s flag order (as listed in `u.genre`).
    public static let movieLensGenres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    /// The genre flags of MovieLens 100K `u.item` (latin-1, `|` separated: id, title, release
    /// date, video release date, IMDb URL, then 19 flags of 0 or 1) as an `items x 19` matrix of
    /// 0/1: a content modality named "genres". The first modality of `loadMovieLensItems`.
    public static func loadMovieLensGenres(_ url: URL, aligningTo catalog: IDMap) throws(DataError) -> ContentModality {
        try loadMovieLensItems(url, aligningTo: catalog)[0]
    }

    /// Centres (in years) of the Gaussian kernels that encode a MovieLens release date: every
    /// 2 years from 1920 to 2000 (MovieLens 100K's films run from 1922 to 1998).
    public static let releaseYearCentres: [Double] = Array(stride(from: 1920.0, through: 2000.0, by: 2.0))
    /// Width (standard deviation, in years) of each kernel of `releaseYearCentres`: two films
    /// 2 years apart have cosine 0.78, 5 years apart 0.21.
    public static let releaseYearBandwidth = 2.0

    /// A release date as smooth features: `exp(-(y - c)² / (2 b²))` for each centre `c` of
    /// `releaseYearCentres`, with `y` the fractional year (1995-07-01 is about 1995.5) and `b`
    /// `releaseYearBandwidth`. nil (no date) gives the all-zero row, which the cosine scoring
    /// treats as "no information" (a zero block adds nothing to any score).
    public static func releaseYearFeatures(_ year: Double?) -> [Float] {
        guard let year else { return [Float](repeating: 0, count: releaseYearCentres.count) }
        let b2 = 2 * releaseYearBandwidth * releaseYearBandwidth
        return releaseYearCentres.map { Float(exp(-($0 - year) * ($0 - year) / b2)) }
    }

    /// A MovieLens 100K release date, `dd-Mon-yyyy` ("01-Jan-1995"; the day may have one digit,
    /// "4-Feb-1971", as in u.item line 1373), as a fractional year; nil
    /// when it is not of that form.
    static func fractionalYear(_ text: [UInt8]) -> Double? {
        let parts = text.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 3, (1 ... 2).contains(parts[0].count), parts[2].count == 4,
              let day = Int(String(decoding: parts[0], as: UTF8.self)), (1 ... 31).contains(day),
              let month = months.firstIndex(of: String(decoding: parts[1], as: UTF8.self)),
              let year = Int(String(decoding: parts[2], as: UTF8.self)) else { return nil }
        return Double(year) + (Double(month) + Double(day - 1) / 31) / 12
    }

    /// The content of MovieLens 100K `u.item` (latin-1, `|` separated: id, title, release date,
    /// video release date, IMDb URL, then 19 genre flags of 0 or 1) as two modalities:
    /// - "genres": the 19 flags as an `items x 19` matrix of 0/1;
    /// - "release-year": the release date (field 3, `dd-Mon-yyyy`) through
    ///   `releaseYearFeatures`, an `items x 41` matrix; an empty date (one film in 100K) is an
    ///   all-zero row.
    ///
    /// Only the id, the date and the flags are read, so the latin-1 titles need no decoding.
    /// Errors name the file, line, column and value: a flag other than 0 or 1, a date not of the
    /// form `dd-Mon-yyyy`, a line without 24 fields, a catalog item the file lacks.
    public static func loadMovieLensItems(_ url: URL, aligningTo catalog: IDMap) throws(DataError) -> [ContentModality] {
        let file = url.path
        let g = movieLensGenres.count
        var genres = Matrix(rows: catalog.count, cols: g)
        var years = Matrix(rows: catalog.count, cols: releaseYearCentres.count)
        var filled = [Bool](repeating: false, count: catalog.count)
        var splitter = FieldSplitter(delimiter: UInt8(ascii: "|"))
        var sawLine = false
        try LineReader(url: url).forEachLine { (line, number) throws(DataError) in
            if line.isEmpty { return }
            sawLine = true
            splitter.split(line)
            guard splitter.ranges.count == 5 + g else {
                throw .tooFewFields(file: file, line: number, found: splitter.ranges.count, expected: 5 + g)
            }
            guard let i = catalog.index(bytes: splitter.bytes(0, in: line)) else { return }
            for k in 0 ..< g {
                let flag = splitter.bytes(5 + k, in: line)
                guard flag.count == 1, flag[0] == 48 || flag[0] == 49 else {
                    throw .badValue(file: file, line: number, column: movieLensGenres[k],
                                    value: String(decoding: flag, as: UTF8.self), expected: "0 or 1")
                }
                genres[Int(i), k] = Float(flag[0] - 48)
            }
            let date = splitter.bytes(2, in: line)
            var year: Double?
            if !date.isEmpty {
                guard let y = fractionalYear(Array(date)) else {
                    throw .badValue(file: file, line: number, column: "release date (field 3)", value: DataError.excerpt(date),
                                    expected: "a date like 01-Jan-1995 (dd-Mon-yyyy), or nothing")
                }
                year = y
            }
            for (c, v) in releaseYearFeatures(year).enumerated() { years[Int(i), c] = v }
            filled[Int(i)] = true
        }
        guard sawLine else { throw .emptyFile(file: file) }
        try checkFilled(filled, catalog: catalog, file: file)
        return [ContentModality(name: "genres", vectors: genres), ContentModality(name: "release-year", vectors: years)]
    }

    /// A content file by its kind: `.npy` (row ids from `X.npy.ids.txt` or `X.ids.txt` beside
    /// it, one per line; without one, row `r` is item id "r", as `recvec generate` writes), else a
    /// delimited file keyed by item id (`loadCSV`). The modality is named after the file
    /// (`content-text.npy` -> "text").
    public static func load(_ url: URL, aligningTo catalog: IDMap) throws(DataError) -> ContentModality {
        var stem = url.lastPathComponent
        for suffix in [".gz", ".npy", ".csv", ".tsv", ".txt"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
        let name = stem.hasPrefix("content-") ? String(stem.dropFirst("content-".count)) : stem
        if url.pathExtension == "npy" {
            let dir = url.deletingLastPathComponent()
            let candidates = [dir.appendingPathComponent(url.lastPathComponent + ".ids.txt"), dir.appendingPathComponent(stem + ".ids.txt")]
            let idsFile = candidates.first { FileManager.default.fileExists(atPath: $0.path) }
            let rowIDs = try idsFile.map { (f) throws(DataError) in try readIDs(f) }
            return ContentModality(name: name, vectors: try loadNPY(url, rowIDs: rowIDs, aligningTo: catalog))
        }
        return ContentModality(name: name, vectors: try loadCSV(url, aligningTo: catalog))
    }

    /// One id a line (blank lines are errors: they would shift every row after them), read
    /// through the CRLF- and BOM-aware line reader; ids must be UTF-8.
    public static func readIDs(_ url: URL) throws(DataError) -> [String] {
        var ids: [String] = []
        try LineReader(url: url).forEachLine { (line, number) throws(DataError) in
            guard !line.isEmpty else {
                throw .badValue(file: url.path, line: number, column: "id", value: "", expected: "a non-empty id (one per row, in row order)")
            }
            guard let id = String(validating: line, as: UTF8.self) else {
                throw .badValue(file: url.path, line: number, column: "id", value: DataError.excerpt(line), expected: "UTF-8 text")
            }
            ids.append(id)
        }
        return ids
    }

    /// A categorical column turned into multi-hot vectors: `column` of a delimited file keyed by
    /// `idColumn` (nil: the first field) holds categories separated by `separator` (MovieLens
    /// `movies.csv` genres: `Action|Comedy`). Columns are the distinct categories in sorted
    /// order; `categories` returns them. Items of the catalog missing from the file are an error.
    ///
    /// The delimiter is a tab when the first line holds one, else a comma; "::" (MovieLens 1M
    /// `movies.dat`) when the first line holds that, in which case there is no header and
    /// `column` must be a position, and the last field is read as the column when it is the last.
    public static func loadCategories(_ url: URL, column: EventColumns.Column, idColumn: EventColumns.Column? = nil,
                                      separator: UInt8 = UInt8(ascii: "|"), aligningTo catalog: IDMap,
                                      name: String? = nil) throws(DataError) -> (modality: ContentModality, categories: [String]) {
        let file = url.path
        let reader = LineReader(url: url)
        guard let first = try reader.firstLine() else { throw .emptyFile(file: file) }
        let doubleColon = String(decoding: first, as: UTF8.self).contains("::")
        var splitter = FieldSplitter(delimiter: first.contains(9) ? 9 : 44)
        var idAt = 0, valueAt = 0, columnName = "column"
        var itemCategories: [Int32: [String]] = [:]
        var lineOfItem: [Int32: Int] = [:]
        var resolved = false
        try reader.forEachLine { (line, number) throws(DataError) in
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            var fields: [String]
            if doubleColon {
                // Titles hold single colons, never "::": split on the pair only.
                fields = String(decoding: line, as: UTF8.self).components(separatedBy: "::")
            } else {
                splitter.split(line)
                fields = (0 ..< splitter.ranges.count).map { splitter.string($0, in: line) }
            }
            if !resolved {
                resolved = true
                func position(_ c: EventColumns.Column, _ role: String) throws(DataError) -> Int {
                    switch c {
                    case let .position(p): return p
                    case let .named(n):
                        guard !doubleColon else {
                            throw .invalidArgument(name: "\(role) column", value: n, expected: "a 0-based position for a '::' file (no header)")
                        }
                        let all = fields.indices.filter { fields[$0] == n }
                        guard let at = all.first else { throw .missingColumn(file: file, column: n, header: fields) }
                        guard all.count == 1 else { throw .duplicateColumn(file: file, column: n, positions: all) }
                        return at
                    }
                }
                idAt = try position(idColumn ?? .position(0), "id")
                valueAt = try position(column, "category")
                if case let .named(n) = column { columnName = n; return } // header line
                columnName = "field \(valueAt + 1)"
            }
            guard fields.count > max(idAt, valueAt) else {
                throw .tooFewFields(file: file, line: number, found: fields.count, expected: max(idAt, valueAt) + 1)
            }
            guard let i = catalog.index(of: fields[idAt]) else { return }
            if let before = lineOfItem[i] { throw .duplicateID(id: fields[idAt], first: before, second: number) }
            lineOfItem[i] = number
            itemCategories[i] = fields[valueAt].split(separator: Character(UnicodeScalar(separator))).map(String.init).filter { !$0.isEmpty }
        }
        try checkFilled((0 ..< catalog.count).map { lineOfItem[Int32($0)] != nil }, catalog: catalog, file: file)
        let categories = Set(itemCategories.values.joined()).sorted()
        let column = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
        var out = Matrix(rows: catalog.count, cols: categories.count)
        for (i, cats) in itemCategories { for c in cats { out[Int(i), column[c]!] = 1 } }
        return (ContentModality(name: name ?? columnName, vectors: out), categories)
    }

    /// The content a MovieLens preset brings, when its file sits beside the events file: genres
    /// from `u.item` (100K), `movies.csv` (ratings.csv) or `movies.dat` (1M), as a multi-hot
    /// modality named "genres"; for 100K also the release date ("release-year", see
    /// `loadMovieLensItems`). Other formats bring none.
    public static func presetContent(for format: EventFormat, events url: URL, aligningTo catalog: IDMap) throws(DataError) -> [ContentModality] {
        let dir = url.deletingLastPathComponent()
        func beside(_ name: String) -> URL? {
            let f = dir.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: f.path) ? f : nil
        }
        switch format {
        case .movieLens100K:
            return try beside("u.item").map { (f) throws(DataError) in try loadMovieLensItems(f, aligningTo: catalog) } ?? []
        case .movieLensRatings:
            return try beside("movies.csv").map { (f) throws(DataError) in
                [try loadCategories(f, column: .named("genres"), idColumn: .named("movieId"), aligningTo: catalog, name: "genres").modality]
            } ?? []
        case .movieLens1M:
            return try beside("movies.dat").map { (f) throws(DataError) in
                [try loadCategories(f, column: .position(2), aligningTo: catalog, name: "genres").modality]
            } ?? []
        case .csv, .tsv, .jsonl, .sessions:
            return []
        }
    }

    private static func checkFilled(_ filled: [Bool], catalog: IDMap, file: String) throws(DataError) {
        let missing = filled.indices.filter { !filled[$0] }
        guard missing.isEmpty else {
            throw .missingItems(file: file, count: missing.count, examples: missing.prefix(5).map { catalog.ids[$0] })
        }
    }
}
