extension SyntheticWorkload {
    /// The workload as a basket log: each session is one basket (its distinct items, all at the
    /// session's first timestamp, in a seeded random order). Under leave-last-out with
    /// `TieRule.fileOrder` the target is then a random item of the user's last basket, the
    /// basket's other items and every earlier basket being its history (basket completion).
    public func basketLog(seed: UInt64) throws(DataError) -> EventLog {
        var random = SplitMix64(seed: seed, stream: 0xBA5C_E7)
        var users: [Int32] = [], items: [Int32] = [], times: [Int64] = [], sessions: [Int32] = []
        var order = Array(0 ..< events.count)
        // Events of one session are contiguous in time order within `events` only after sorting.
        order.sort { (events.sessions![$0], events.timestamps[$0], $0) < (events.sessions![$1], events.timestamps[$1], $1) }
        var start = 0
        while start < order.count {
            var end = start
            let session = events.sessions![order[start]]
            while end < order.count && events.sessions![order[end]] == session { end += 1 }
            var basket: [Int32] = []
            var inBasket = Set<Int32>()
            for e in order[start ..< end] where inBasket.insert(events.items[e]).inserted { basket.append(events.items[e]) }
            for i in stride(from: basket.count - 1, to: 0, by: -1) { basket.swapAt(i, random.below(i + 1)) }
            let first = order[start]
            for item in basket {
                users.append(events.users[first]); items.append(item); times.append(events.timestamps[first]); sessions.append(session)
            }
            start = end
        }
        return try EventLog(users: users, items: items, timestamps: times, sessions: sessions,
                            userIDs: events.userIDs, itemIDs: events.itemIDs, sessionIDs: events.sessionIDs)
    }
}
