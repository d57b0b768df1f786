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
    /// Writes the vectors (and ids) to `path` in `format`. Each file is written to a temporary
    /// created exclusively beside it (unpredictable name, never through a symlink) and renamed
    /// into place. Refuses (`StoreError.invalidInput`) a destination inside the store or one that
    /// is a file of any of its versions (a hard link), so an export can never overwrite served data.
    /// Returns the files written.
    @discardableResult
    public func export(to path: String, format: ExportFormat) throws -> [String] {
        let outputs = format == .npy ? [path, path + ".ids.txt"] : [path]
        for output in outputs { try refuseStoreFile(output) }
        switch format {
        case .npy:
            try NPY.write(values: vectors.values, rows: count, cols: dimension, to: path)
            try DurableIO.replace(path: outputs[1], data: ItemIDTable.encode(ids))
            return outputs
        case .word2vecText, .word2vecBinary:
            // Written in chunks of about 4 MB, so a million rows never sit in memory as text.
            let writer = try DurableIO.Writer(replacing: path)
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
            return outputs
        }
    }

    /// Throws when `output` lies inside this version's store (its folder resolved through
    /// symlinks) or is the same file (device and inode) as a file of one of its versions.
    private func refuseStoreFile(_ output: String) throws {
        let storeRoot = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path
        guard let root = realPath(storeRoot) else { return }
        let folder = realPath(URL(fileURLWithPath: output).deletingLastPathComponent().path) ?? ""
        if folder == root || folder.hasPrefix(root + "/") {
            throw StoreError.invalidInput(file: output, reason: "is inside the store \(storeRoot); export writes outside it, never over served files")
        }
        var target = stat()
        guard stat(output, &target) == 0 else { return }
        let versions = storeRoot + "/versions"
        for version in (try? FileManager.default.contentsOfDirectory(atPath: versions)) ?? [] {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: versions + "/" + version)) ?? [] {
                var info = stat()
                if lstat(versions + "/" + version + "/" + file, &info) == 0, info.st_dev == target.st_dev, info.st_ino == target.st_ino {
                    throw StoreError.invalidInput(file: output, reason: "is \(version)/\(file) of the store (a hard link); export never overwrites served files")
                }
            }
        }
    }
}

/// realpath(3), or nil when the path does not resolve.
func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
