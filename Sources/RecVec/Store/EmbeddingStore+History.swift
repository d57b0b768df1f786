#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What CURRENT pointed to, switch after switch: the store's HISTORY file, one line per switch,
/// `<ISO 8601 time> TAB <version> TAB <event>`, appended (O_APPEND) and fsync'd after CURRENT
/// is renamed, under the store's lock. `rollback` walks it back; `gc` and `publish --keep` keep
/// the versions that served most recently by it (never by version number), and report the
/// complete versions that never served (a publisher killed between renaming its version into
/// place and switching CURRENT) as orphans.
///
/// A store written before HISTORY existed reads as if every version up to the current one had
/// been published in order (what rollback assumed then); the first switch writes that out.
/// A line that does not parse (torn by a crash inside an append) is skipped.
public enum ServedHistory {
    /// Why CURRENT switched; the third field of a HISTORY line.
    public enum Event: String, Codable, Sendable {
        /// `publish` made the version current.
        case publish
        /// `rollback` (no target) went back to the version that served before.
        case rollback
        /// `rollback --to` made the named version current.
        case switchTo = "switch"
        /// CURRENT named a version the history did not end with (a crash after the rename of
        /// CURRENT, before the append); recorded at the next publish, rollback or gc.
        case recovered
    }

    /// One HISTORY line.
    public struct Entry: Equatable, Codable, Sendable {
        /// When the switch happened (second precision, as written in ISO 8601).
        public var date: Date
        /// The version CURRENT pointed to after the switch.
        public var version: String
        /// What made the switch.
        public var event: Event

        var line: String { "\(ISO8601DateFormatter().string(from: date))\t\(version)\t\(event.rawValue)\n" }
    }

    /// The stack of versions a rollback walks: a publish, switch or recovery pushes its version;
    /// an automatic rollback pops the version it left. The last element is the current version.
    static func stack(_ entries: [Entry]) -> [String] {
        var stack: [String] = []
        for entry in entries {
            if entry.event == .rollback {
                while let top = stack.last, top != entry.version { stack.removeLast() }
                if stack.isEmpty { stack.append(entry.version) }
            } else {
                stack.append(entry.version)
            }
        }
        return stack
    }
}

extension EmbeddingStore {
    /// Every recorded switch of CURRENT, oldest first (see `ServedHistory`).
    public func history() throws -> [ServedHistory.Entry] { try readHistory() }

    func readHistory() throws -> [ServedHistory.Entry] {
        guard let data = FileManager.default.contents(atPath: historyPath) else { return try impliedHistory() }
        // Lines that do not parse (a line torn by a crash inside an append, or damage) are
        // skipped: a version they named then counts as never served, and gc keeps those
        // (orphans are reported, not removed), so damage here never costs a version.
        let formatter = ISO8601DateFormatter()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, let date = formatter.date(from: fields[0]), Self.sequenceNumber(fields[1]) != nil,
                  let event = ServedHistory.Event(rawValue: fields[2]) else { return nil }
            return ServedHistory.Entry(date: date, version: fields[1], event: event)
        }
    }

    /// A store without HISTORY: every version up to CURRENT, in order, as publishes.
    private func impliedHistory() throws -> [ServedHistory.Entry] {
        guard let data = FileManager.default.contents(atPath: currentPath) else { return [] }
        let current = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let number = Self.sequenceNumber(current) else { return [] }
        return try versions().filter { Self.sequenceNumber($0)! <= number }
            .map { ServedHistory.Entry(date: Date(timeIntervalSince1970: 0), version: $0, event: .publish) }
    }

    /// Writes the implied history of a store that has no HISTORY yet (atomic replace), so that
    /// the next append continues it. Call with the lock held, before CURRENT changes.
    func materializeHistory() throws {
        var info = stat()
        if lstat(historyPath, &info) == 0 {
            // Checked before CURRENT changes, so a switch never fails half-way on a planted link.
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw StoreError.invalidInput(file: historyPath, reason: "is not a regular file (a symlink?); move it away and retry")
            }
            return
        }
        try DurableIO.replace(path: historyPath, data: Array(try impliedHistory().map(\.line).joined().utf8))
    }

    /// Appends `entry` to HISTORY and fsyncs it. Call with the lock held.
    func appendHistory(_ entry: ServedHistory.Entry) throws {
        let fd = Glibc.open(historyPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileFormatError.io(file: historyPath, operation: "open for appending", errno: errno) }
        defer { close(fd) }
        // After a torn append (no final newline), start on a new line.
        var line = Array(entry.line.utf8)
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0, FileManager.default.contents(atPath: historyPath)?.last != 0x0A { line.insert(0x0A, at: 0) }
        try line.withUnsafeBytes { try DurableIO.writeAll(fd, $0, path: historyPath) }
        guard fsync(fd) == 0 else { throw FileFormatError.io(file: historyPath, operation: "fsync", errno: errno) }
    }

    /// The history, with a `recovered` entry appended first when CURRENT names a version the
    /// history does not end with. Call with the lock held. Throws on a garbled CURRENT.
    func reconciledHistory() throws -> [ServedHistory.Entry] {
        try materializeHistory()
        var entries = try readHistory()
        if let current = try currentVersion(), ServedHistory.stack(entries).last != current {
            let entry = ServedHistory.Entry(date: Date(), version: current, event: .recovered)
            try appendHistory(entry)
            entries = try readHistory()
        }
        return entries
    }
}
