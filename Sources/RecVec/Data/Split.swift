/// How events with equal timestamps are ordered (which of a user's last-second events is the
/// leave-last-out target, and the order of a sequence).
public enum TieRule: String, CaseIterable, Sendable, Codable {
    /// By item id (decimal ids by value, then other ids as strings): the rule the peer scripts
    /// (pandas `sort_values([user, timestamp, item])`) use, and the default.
    case itemID = "item-id"
    /// By position in the input file.
    case fileOrder = "file-order"

    /// The rule every command uses unless told otherwise: `itemID`.
    public static let `default` = TieRule.itemID
}

/// One held-out event to predict: `user` consumed `item` at `timestamp`, after `history`
/// (the user's earlier items, oldest first, at most `maxHistory` of them). `seen` is every
/// distinct item of the user before the target, whatever `maxHistory` cut from `history`:
/// the items an evaluation excludes from the ranking.
public struct TestTarget: Equatable, Sendable {
    /// Dense index of the user.
    public var user: Int32
    /// The user's earlier items, oldest first (at most `maxHistory`).
    public var history: [Int32]
    /// The held-out item to predict.
    public var item: Int32
    /// When the held-out event happened.
    public var timestamp: Int64
    /// Every distinct item the user consumed before the target, ascending.
    public var seen: [Int32]

    /// A target; `seen` defaults to the distinct items of `history`.
    public init(user: Int32, history: [Int32], item: Int32, timestamp: Int64, seen: [Int32]? = nil) {
        self.user = user
        self.history = history
        self.item = item
        self.timestamp = timestamp
        self.seen = seen ?? Array(Set(history)).sorted()
    }
}

/// A leak-free split: `train` holds only training events (over the same id maps as the full
/// log, so indices agree), and every count, popularity or model must come from it; `test` holds
/// the targets. No test event is in `train`.
public struct Split: Equatable, Sendable {
    /// The training events only, over the full log's id maps.
    public var train: EventLog
    /// The held-out events to predict.
    public var test: [TestTarget]
}

extension EventLog {
    /// The same events reordered so that file order breaks timestamp ties by `ties`: after
    /// this, every stable time sort (splits, sessions) follows the rule. `.fileOrder` returns
    /// the log unchanged.
    public func orderedForTies(_ ties: TieRule) -> EventLog {
        guard ties == .itemID else { return self }
        let rank = itemIDRanks()
        let order = (0 ..< count).sorted { a, b in
            if timestamps[a] != timestamps[b] { return timestamps[a] < timestamps[b] }
            if items[a] != items[b] { return rank[Int(items[a])] < rank[Int(items[b])] }
            return a < b
        }
        return selecting(order)
    }

    /// Each item's position among the item ids in id order (decimal ids by value first, then the
    /// others as strings).
    func itemIDRanks() -> [Int] {
        let ids = itemIDs.ids
        let order = ids.indices.sorted {
            (IDMap.canonicalNumber(ids[$0].utf8) ?? .max, ids[$0]) < (IDMap.canonicalNumber(ids[$1].utf8) ?? .max, ids[$1])
        }
        var rank = [Int](repeating: 0, count: ids.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        return rank
    }

    /// Leave-last-out: each user's last event (latest timestamp; ties by `ties`) is the test
    /// target, with the user's earlier events as its history (the last `maxHistory`) and all of
    /// them in `seen`; every other event is training. Users with fewer than `minHistory + 1`
    /// events give no target and stay wholly in training.
    public func splitLeaveLastOut(minHistory: Int = 1, maxHistory: Int = 200, ties: TieRule = .default) throws(DataError) -> Split {
        guard minHistory >= 0 else { throw .invalidArgument(name: "minHistory", value: "\(minHistory)", expected: ">= 0") }
        guard maxHistory >= 1 else { throw .invalidArgument(name: "maxHistory", value: "\(maxHistory)", expected: ">= 1") }
        if ties != .fileOrder { return try orderedForTies(ties).splitLeaveLastOut(minHistory: minHistory, maxHistory: maxHistory, ties: .fileOrder) }
        let order = indicesByUserThenTime()
        var isTest = [Bool](repeating: false, count: count)
        var test: [TestTarget] = []
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && users[order[end]] == users[order[start]] { end += 1 }
            if end - start >= minHistory + 1 {
                let target = order[end - 1]
                isTest[target] = true
                let history = order[max(start, end - 1 - maxHistory) ..< end - 1].map { items[$0] }
                let seen = Array(Set(order[start ..< end - 1].map { items[$0] })).sorted()
                test.append(TestTarget(user: users[target], history: history, item: items[target], timestamp: timestamps[target], seen: seen))
            }
            start = end
        }
        return Split(train: selecting((0 ..< count).filter { !isTest[$0] }), test: test)
    }

    /// Global time cutoff: events before `cutoff` are training; each event at or after it is a
    /// test target whose history is the user's events before it (training events and earlier
    /// test events, as a live system would have seen them; at most `maxHistory`). Targets with
    /// fewer than `minHistory` history items are dropped (never added to training). `seen`
    /// holds every earlier item of the user, uncut; equal timestamps are ordered by `ties`.
    public func splitAtTime(_ cutoff: Int64, minHistory: Int = 1, maxHistory: Int = 200, ties: TieRule = .default) throws(DataError) -> Split {
        guard minHistory >= 0 else { throw .invalidArgument(name: "minHistory", value: "\(minHistory)", expected: ">= 0") }
        guard maxHistory >= 1 else { throw .invalidArgument(name: "maxHistory", value: "\(maxHistory)", expected: ">= 1") }
        if ties != .fileOrder { return try orderedForTies(ties).splitAtTime(cutoff, minHistory: minHistory, maxHistory: maxHistory, ties: .fileOrder) }
        let order = indicesByUserThenTime()
        var test: [TestTarget] = []
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && users[order[end]] == users[order[start]] { end += 1 }
            var seen = Set<Int32>()
            for n in start ..< end {
                let e = order[n]
                if timestamps[e] >= cutoff && n - start >= minHistory {
                    let history = order[max(start, n - maxHistory) ..< n].map { items[$0] }
                    test.append(TestTarget(user: users[e], history: history, item: items[e], timestamp: timestamps[e], seen: seen.sorted()))
                }
                seen.insert(items[e])
            }
            start = end
        }
        test.sort { $0.timestamp != $1.timestamp ? $0.timestamp < $1.timestamp : $0.user < $1.user }
        return Split(train: selecting((0 ..< count).filter { timestamps[$0] < cutoff }), test: test)
    }

    /// The timestamp below which `fraction` of the events fall (for `splitAtTime`).
    public func timeQuantile(_ fraction: Double) throws(DataError) -> Int64 {
        guard !isEmpty else { throw .invalidArgument(name: "log", value: "empty", expected: "at least one event") }
        guard (0 ... 1).contains(fraction) else { throw .invalidArgument(name: "fraction", value: "\(fraction)", expected: "in [0, 1]") }
        let sorted = timestamps.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}
