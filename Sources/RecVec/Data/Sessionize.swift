/// How events are cut into sessions.
public enum SessionRule: Equatable, Sendable {
    /// By the log's session column (events of one session in time order, sessions in order of
    /// their first event).
    case sessionColumn
    /// Per user, in time order, a new session starts after more than `seconds` without events.
    /// On a log without times (`hasTimestamps == false`) there is no gap to measure: each user's
    /// events, in file order, are one session.
    case inactivityGap(seconds: Int64)
}

extension EventLog {
    /// The sessions of this log as a `Corpus` over its items (`vocabularySize == itemIDs.count`).
    ///
    /// Sessions are ordered by their first event's time (ties: by user or session index); within
    /// a session events are in time order (ties: file order). `collapseRepeats` merges
    /// consecutive events of the same item into one; sessions shorter than `minLength` after that
    /// are dropped. Throws when the rule needs a session column the log lacks.
    public func corpus(rule: SessionRule = .default, collapseRepeats: Bool = false, minLength: Int = 1) throws(DataError) -> Corpus {
        guard itemIDs.count > 0 else { throw .invalidArgument(name: "itemIDs", value: "empty", expected: "at least one item") }
        let groupKey: [Int32]
        switch rule {
        case .sessionColumn:
            guard let sessions else {
                throw .invalidArgument(name: "rule", value: "sessionColumn", expected: "a log with a session column (or .inactivityGap)")
            }
            groupKey = sessions
        case let .inactivityGap(seconds):
            guard seconds >= 0 else { throw .invalidArgument(name: "inactivityGap", value: "\(seconds)", expected: ">= 0 seconds") }
            groupKey = users
        }
        // Events grouped by key (user or session), each group in time order, then cut.
        let order = (0 ..< count).sorted { a, b in
            if groupKey[a] != groupKey[b] { return groupKey[a] < groupKey[b] }
            if timestamps[a] != timestamps[b] { return timestamps[a] < timestamps[b] }
            return a < b
        }
        var cuts: [(start: Int64, key: Int32, items: [Int32])] = []
        var current: [Int32] = []
        func close(_ key: Int32, _ start: Int64) {
            if current.count >= max(minLength, 1) { cuts.append((start, key, current)) }
            current.removeAll(keepingCapacity: true)
        }
        var start: Int64 = 0
        for (n, e) in order.enumerated() {
            if n > 0 {
                let p = order[n - 1]
                var newSession = groupKey[p] != groupKey[e]
                if case let .inactivityGap(seconds) = rule, hasTimestamps, timestamps[e] - timestamps[p] > seconds { newSession = true }
                if newSession { close(groupKey[p], start) }
            }
            if current.isEmpty { start = timestamps[e] }
            if !(collapseRepeats && current.last == items[e]) { current.append(items[e]) }
        }
        if let last = order.last { close(groupKey[last], start) }
        cuts.sort { $0.start != $1.start ? $0.start < $1.start : $0.key < $1.key }
        return try! Corpus(sessions: cuts.map(\.items), vocabularySize: itemIDs.count)
    }
}
