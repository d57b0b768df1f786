import Foundation

/// `recvec train --out DIR`: `query.npy` and `items.npy` (float32, one row per id), `ids.txt`,
/// `popularity.txt` (training events per row) and `method.json` (`ModelInfo`).
extension TrainedModel {
    /// The `ModelInfo` as JSON.
    public static let infoFile = "method.json"
    /// Query-side vectors (NumPy float32, `items x dimension`).
    public static let queryFile = "query.npy"
    /// Item-side vectors (NumPy float32, `items x dimension`).
    public static let itemsFile = "items.npy"
    /// Item ids, one per line in row order.
    public static let idsFile = "ids.txt"
    /// Training events per row, one decimal count per line.
    public static let popularityFile = "popularity.txt"

    /// Writes the model as a new folder at `path` (which must not exist): every file is written
    /// and fsync'd in a temporary folder beside it, the folder is fsync'd and renamed into place,
    /// then the parent is fsync'd. A failure leaves nothing at `path`.
    public func write(to path: String) throws {
        let final = URL(fileURLWithPath: path).standardizedFileURL
        let parent = final.deletingLastPathComponent().path
        guard !FileManager.default.fileExists(atPath: final.path) else {
            throw StoreError.invalidInput(file: final.path, reason: "already exists; choose a new folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw FileFormatError.io(file: parent, operation: "mkdir", errno: errno)
        }
        // A fresh folder with an unpredictable name, made by mkdir (never through a planted symlink).
        let temporary = try DurableIO.createTemporaryDirectory(beside: final.path)
        do {
            for (name, matrix) in [(Self.queryFile, retrieval.queryVectors), (Self.itemsFile, retrieval.itemVectors)] {
                try matrix.values.withUnsafeBufferPointer {
                    try NPY.write(values: $0, rows: matrix.rows, cols: matrix.cols, to: temporary + "/" + name)
                }
            }
            try DurableIO.write(path: temporary + "/" + Self.idsFile, data: ItemIDTable.encode(ids))
            try DurableIO.write(path: temporary + "/" + Self.popularityFile, data: Array(popularity.map { "\($0)\n" }.joined().utf8))
            try DurableIO.write(path: temporary + "/" + Self.infoFile, data: Array(try Manifest.encoder().encode(info)))
            try DurableIO.syncDirectory(temporary)
            try DurableIO.rename(temporary, final.path)
            try DurableIO.syncDirectory(parent)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Reads a folder `write` made; checks that every file has one row per id.
    public static func read(from path: String) throws -> TrainedModel {
        let infoPath = path + "/" + infoFile
        guard let data = FileManager.default.contents(atPath: infoPath) else { throw StoreError.fileMissing(file: infoPath) }
        let info: ModelInfo
        do { info = try Manifest.decoder().decode(ModelInfo.self, from: data) } catch {
            throw StoreError.invalidInput(file: infoPath, reason: "not the method.json `recvec train` writes: \(error)")
        }
        let items = try NPY.read(path: path + "/" + itemsFile)
        let query = try NPY.read(path: path + "/" + queryFile)
        let ids = try ItemIDTable.read(path: path + "/" + idsFile)
        let popularity = try readCounts(path: path + "/" + popularityFile)
        for (file, rows) in [(itemsFile, items.rows), (queryFile, query.rows), (popularityFile, popularity.count)] where rows != ids.count {
            throw StoreError.countMismatch(file: path + "/" + file, expected: ids.count, found: rows)
        }
        guard query.cols == items.cols else { throw StoreError.dimensionMismatch(file: path + "/" + queryFile, expected: items.cols, found: query.cols) }
        return TrainedModel(info: info, retrieval: Retrieval(queryVectors: query, itemVectors: items, metric: info.metric, rule: info.userVectorRule,
                                                             label: info.label, popularityPrior: info.popularityPrior ?? 0),
                            ids: ids, popularity: popularity)
    }

    /// Reads `popularity.txt`: one count (an integer >= 0) a line; errors name the line and value.
    public static func readCounts(path: String) throws -> [Int] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.fileMissing(file: path) }
        var counts: [Int] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.isEmpty {
            guard let n = Int(line), n >= 0 else {
                throw StoreError.invalidLine(file: path, line: number + 1, reason: "'\(line)' is not a count (an integer >= 0)")
            }
            counts.append(n)
        }
        return counts
    }
}
