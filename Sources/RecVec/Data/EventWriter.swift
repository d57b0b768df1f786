import Foundation

extension EventLog {
    /// Writes the log as CSV with header `user,item,timestamp[,session][,weight]`, using the
    /// external ids, streaming through a 1 MiB buffer, to a temporary name renamed into place.
    public func writeCSV(to url: URL) throws(DataError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: temporary) else {
            throw .unreadable(file: url.path, reason: "cannot create \(temporary.path)")
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 256)
        func flush() throws(DataError) {
            do { try handle.write(contentsOf: buffer) } catch { throw .unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)") }
            buffer.removeAll(keepingCapacity: true)
        }
        let userBytes = userIDs.ids.map { Array($0.utf8) }, itemBytes = itemIDs.ids.map { Array($0.utf8) }
        let sessionBytes = sessionIDs?.ids.map { Array($0.utf8) }
        buffer.append(contentsOf: "user,item,timestamp".utf8)
        if sessions != nil { buffer.append(contentsOf: ",session".utf8) }
        if weights != nil { buffer.append(contentsOf: ",weight".utf8) }
        buffer.append(10)
        do throws(DataError) {
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
            try? handle.close()
            if FileManager.default.fileExists(atPath: url.path) { try? FileManager.default.removeItem(at: url) }
            do { try FileManager.default.moveItem(at: temporary, to: url) } catch {
                throw DataError.unreadable(file: url.path, reason: "cannot rename into place: \(error.localizedDescription)")
            }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
