/// One held-out event to predict: `user` consumed `item` at `timestamp`, after `history`
/// (the user's earlier items, oldest first, at most `maxHistory` of them).
public struct TestTarget: Equatable, Sendable {
    public var user: Int32
    public var history: [Int32]
    public var item: Int32
    public var timestamp: Int64

    public init(user: Int32, history: [Int32], item: Int32, timestamp: Int64) {
        self.user = user
        self.history = history
        self.item = item
        self.timestamp = timestamp
    }
}

/// A leak-free split: `train` holds only training events (over the same id maps as the full
/// log, so indices agree), and every count, popularity or model must come from it; `test` holds
/// the targets. No test event is in `train`.
public struct Split: Equatable, Sendable {
    public var train: EventLog
    public var test: [TestTarget]
}

extension EventLog {
    /// Leave-last-out: each user's last event (latest timestamp; ties: last in file order) is
    /// the test target, with the user's earlier events as its history; every other event is
    /// training. Users with fewer than `minHistory + 1` events give no target and stay wholly in
    /// training.
    public func splitLeaveLastOut(minHistory: Int = 1, maxHistory: Int = 200) throws(DataError) -> Split {
        guard minHistory >= 0 else { throw .invalidArgument(name: "minHistory", value: "\(minHistory)", expected: ">= 0") }
        guard maxHistory >= 1 else { throw .invalidArgument(name: "maxHistory", value: "\(maxHistory)", expected: ">= 1") }
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
                test.append(TestTarget(user: users[target], history: history, item: items[target], timestamp: timestamps[target]))
            }
            start = end
        }
        return Split(train: selecting((0 ..< count).filter { !isTest[$0] }), test: test)
    }

    /// Global time cutoff: events before `cutoff` are training; each event at or after it is a
    /// test target whose history is the user's events before it (training events and earlier
    /// test events, as a live system would have seen them; at most `maxHistory`). Targets with
    /// fewer than `minHistory` history items are dropped (never added to training).
    public func splitAtTime(_ cutoff: Int64, minHistory: Int = 1, maxHistory: Int = 200) throws(DataError) -> Split {
        guard minHistory >= 0 else { throw .invalidArgument(name: "minHistory", value: "\(minHistory)", expected: ">= 0") }
        guard maxHistory >= 1 else { throw .invalidArgument(name: "maxHistory", value: "\(maxHistory)", expected: ">= 1") }
        let order = indicesByUserThenTime()
        var test: [TestTarget] = []
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && users[order[end]] == users[order[start]] { end += 1 }
            for n in start ..< end where timestamps[order[n]] >= cutoff && n - start >= minHistory {
                let e = order[n]
                let history = order[max(start, n - maxHistory) ..< n].map { items[$0] }
                test.append(TestTarget(user: users[e], history: history, item: items[e], timestamp: timestamps[e]))
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
