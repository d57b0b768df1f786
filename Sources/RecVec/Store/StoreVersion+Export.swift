import Foundation

/// Formats a version exports to, for tools outside RecVec.
public enum ExportFormat: String, CaseIterable, Sendable, Codable {
    /// word2vec text: a "count dim" line, then "id v1 ... vd" per row (gensim
    /// `KeyedVectors.load_word2vec_format(path, binary=False)`).
    case word2vecText = "word2vec-text"
    /// word2vec binary: the same header line, then per row "id ", dim float32 little-endian, "\n"
    /// (`binary=True`).
    case word2vecBinary = "word2vec-binary"
    /// NumPy .npy (`<f4`, shape (count, dim)) for `numpy.load`, with the ids beside it in
    /// `<path>.ids.txt`, one per line in row order.
    case npy
}

extension StoreVersion {
    /// Writes the vectors (and ids) to `path` in `format`; the file is written to a temporary
    /// name and renamed into place. Returns the files written.
    @discardableResult
    public func export(to path: String, format: ExportFormat) throws -> [String] {
        let temporary = path + ".tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        switch format {
        case .npy:
            try NPY.write(values: vectors.values, rows: count, cols: dimension, to: temporary)
            try DurableIO.rename(temporary, path)
            let idsPath = path + ".ids.txt"
            try DurableIO.write(path: temporary, data: ItemIDTable.encode(ids))
            try DurableIO.rename(temporary, idsPath)
            return [path, idsPath]
        case .word2vecText, .word2vecBinary:
            // Written in chunks of about 4 MB, so a million rows never sit in memory as text.
            let writer = try DurableIO.Writer(path: temporary)
            var out: [UInt8] = Array("\(count) \(dimension)\n".utf8)
            for row in 0 ..< count {
                out.append(contentsOf: ids[row].utf8)
                let values = vectors.row(row)
                if format == .word2vecText {
                    // Swift prints the shortest decimal that reads back as the same Float.
                    for v in values { out.append(0x20); out.append(contentsOf: "\(v)".utf8) }
                } else {
                    out.append(0x20)
                    out.append(contentsOf: UnsafeRawBufferPointer(values))
                }
                out.append(0x0A)
                if out.count >= 1 << 22 {
                    try writer.append(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            try writer.append(out)
            try writer.finish()
            try DurableIO.rename(temporary, path)
            return [path]
        }
    }
}
