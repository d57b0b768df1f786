import Foundation

/// The item vocabulary of a log: which items train, and the dense id of each.
///
/// Items with fewer than `minCount` events are dropped; the rest get dense ids by count, most
/// frequent first, ties by id: canonical decimal ids by value before every other id, those by
/// their UTF-8 bytes. The Spark vocabulary job (`spark/recvec_spark/jobs.py`) applies the same
/// rule, and both write `ids.txt` (the store's ids file: dense id `r` on line `r + 1`) and
/// `counts.txt` (its count on the same line).
package struct Vocabulary: Equatable, Sendable {
    /// External id of each dense id, most frequent first.
    public var ids: [String]
    /// Events of each item, in the order of `ids`.
    public var counts: [Int]

    /// A vocabulary of `ids` with their `counts`, in dense-id order.
    public init(ids: [String], counts: [Int]) {
        self.ids = ids
        self.counts = counts
    }

    /// The vocabulary of `log`'s items with at least `minCount` events.
    public init(log: EventLog, minCount: Int = 1) throws(DataError) {
        guard minCount >= 1 else { throw .invalidArgument(name: "minCount", value: "\(minCount)", expected: ">= 1") }
        let all = log.itemCounts()
        let kept = all.indices.filter { all[$0] >= minCount }
        guard !kept.isEmpty else {
            throw .invalidArgument(name: "minCount", value: "\(minCount)", expected: "at most the largest item count (\(all.max() ?? 0))")
        }
        let names = log.itemIDs.ids
        let order = kept.sorted { a, b in
            if all[a] != all[b] { return all[a] > all[b] }
            return Self.idPrecedes(names[a], names[b])
        }
        ids = order.map { names[$0] }
        counts = order.map { all[$0] }
    }

    /// The tie order of ids: canonical decimals by value, before any other id, those by bytes.
    public static func idPrecedes(_ a: String, _ b: String) -> Bool {
        switch (IDMap.canonicalNumber(a.utf8), IDMap.canonicalNumber(b.utf8)) {
        case let (x?, y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// Writes `ids.txt` and `counts.txt` into `directory` (each fsync'd under a temporary name, then renamed).
    public func write(to directory: String) throws {
        try DurableIO.replace(path: directory + "/ids.txt", data: ItemIDTable.encode(ids))
        try DurableIO.replace(path: directory + "/counts.txt", data: Array(counts.map { "\($0)\n" }.joined().utf8))
    }

    /// Reads a vocabulary `write` wrote.
    public static func read(directory: String) throws -> Vocabulary {
        let ids = try ItemIDTable.read(path: directory + "/ids.txt")
        let countsPath = directory + "/counts.txt"
        let lines = try String(contentsOfFile: countsPath, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var counts: [Int] = []
        for (n, line) in lines.enumerated() {
            guard let c = Int(line), c >= 1 else { throw StoreError.invalidLine(file: countsPath, line: n + 1, reason: "'\(line.prefix(40))' is not a count >= 1") }
            counts.append(c)
        }
        guard counts.count == ids.count else { throw StoreError.countMismatch(file: countsPath, expected: ids.count, found: counts.count) }
        return Vocabulary(ids: ids, counts: counts)
    }
}

extension EventLog {
    /// The sessions of the events whose item is in `vocabulary`, as a corpus over its dense ids:
    /// events of other items are dropped first, then `corpus(rule:collapseRepeats:minLength:)`
    /// cuts the rest (users and sessions keep their indices, so session order ties break by
    /// first appearance in the whole log).
    package func corpus(vocabulary: Vocabulary, rule: SessionRule = .default, collapseRepeats: Bool = false,
                       minLength: Int = 1) throws(DataError) -> Corpus {
        var dense = [Int32](repeating: -1, count: itemIDs.count)
        for (d, id) in vocabulary.ids.enumerated() {
            guard let i = itemIDs.index(of: id) else {
                throw .invalidArgument(name: "vocabulary.ids[\(d)]", value: id, expected: "an item of this log")
            }
            dense[Int(i)] = Int32(d)
        }
        let kept = (0 ..< count).filter { dense[Int(items[$0])] >= 0 }
        let vocabularyMap = try IDMap(ids: vocabulary.ids)
        let log = try EventLog(users: kept.map { users[$0] }, items: kept.map { dense[Int(items[$0])] },
                               timestamps: kept.map { timestamps[$0] }, sessions: sessions.map { s in kept.map { s[$0] } },
                               userIDs: userIDs, itemIDs: vocabularyMap, sessionIDs: sessionIDs)
        return try log.corpus(rule: rule, collapseRepeats: collapseRepeats, minLength: minLength)
    }
}
