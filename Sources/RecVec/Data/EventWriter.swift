import Foundation

extension EventLog {
    /// Writes the log as CSV with header `user,item,timestamp[,session][,weight]`, using the
    /// external ids, streaming through a 1 MiB buffer, to a temporary name fsync'd and renamed into place.
    public func writeCSV(to url: URL) throws(DataError) {
        // Created exclusively, unpredictable name, never through a symlink; an unfinished
        // temporary is removed when the writer goes away (`DurableIO.Writer`).
        let writer: DurableIO.Writer
        do { writer = try DurableIO.Writer(replacing: url.path) } catch {
            throw .unreadable(file: url.path, reason: "cannot create a temporary file beside it: \(error)")
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 256)
        func flush() throws(DataError) {
            do { try writer.append(buffer) } catch { throw .unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)") }
            buffer.removeAll(keepingCapacity: true)
        }
        let userBytes = userIDs.ids.map { Array($0.utf8) }, itemBytes = itemIDs.ids.map { Array($0.utf8) }
        let sessionBytes = sessionIDs?.ids.map { Array($0.utf8) }
        buffer.append(contentsOf: "user,item,timestamp".utf8)
        if sessions != nil { buffer.append(contentsOf: ",session".utf8) }
        if weights != nil { buffer.append(contentsOf: ",weight".utf8) }
        buffer.append(10)
        for e in 0 ..< count {
            buffer.append(contentsOf: userBytes[Int(users[e])]); buffer.append(44)
            buffer.append(contentsOf: itemBytes[Int(items[e])]); buffer.append(44)
            buffer.append(contentsOf: String(timestamps[e]).utf8) // small strings do not allocate
            if let s = sessions?[e] { buffer.append(44); buffer.append(contentsOf: sessionBytes![Int(s)]) }
            if let w = weights?[e] { buffer.append(44); buffer.append(contentsOf: "\(w)".utf8) }
            buffer.append(10)
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        // fsync, rename(2) over the destination (a symlink there is replaced, not followed), fsync the folder.
        do { try writer.finish() } catch {
            throw .unreadable(file: url.path, reason: "cannot move into place: \(error)")
        }
    }
}
