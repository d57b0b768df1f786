/// One interaction: `user` consumed `item` at `timestamp` (seconds since the Unix epoch).
/// `user`, `item` and `session` are dense indices into the log's `IDMap`s.
public struct Event: Equatable, Hashable, Sendable {
    /// Dense index of the user in the log's `userIDs`.
    public var user: Int32
    /// Dense index of the item in the log's `itemIDs`.
    public var item: Int32
    /// Seconds since the Unix epoch (the event's position in a log without times).
    public var timestamp: Int64
    /// Dense index of the session in the log's `sessionIDs`, or nil without a session column.
    public var session: Int32?
    /// The event's weight (1 unless the file has a weight column).
    public var weight: Float

    /// An event over dense indices.
    public init(user: Int32, item: Int32, timestamp: Int64, session: Int32? = nil, weight: Float = 1) {
        self.user = user
        self.item = item
        self.timestamp = timestamp
        self.session = session
        self.weight = weight
    }
}

/// A log of events, stored by column (about 20 bytes per event), with the maps from external
/// user, item and session ids to the dense indices the columns hold.
///
/// Events keep the order they were added in (file order); methods that need time order sort
/// stably, so events with equal timestamps keep their file order.
public struct EventLog: Equatable, Sendable {
    /// User index of each event.
    public private(set) var users: [Int32] = []
    /// Item index of each event.
    public private(set) var items: [Int32] = []
    /// Time of each event, seconds since the Unix epoch.
    public private(set) var timestamps: [Int64] = []
    /// Session of each event, or nil when the log has no session column.
    public private(set) var sessions: [Int32]?
    /// Weight of each event, or nil when every weight is 1.
    public private(set) var weights: [Float]?
    /// External user ids and their dense indices.
    public private(set) var userIDs: IDMap
    /// External item ids and their dense indices.
    public private(set) var itemIDs: IDMap
    /// Present exactly when `sessions` is.
    public private(set) var sessionIDs: IDMap?
    /// False when the events came without times (a file with no time column, a sessions file):
    /// `timestamps` then hold each event's position (0, 1, 2, ...), so time order is file order,
    /// and anything that needs real times (a time cutoff, a session gap) must refuse; see
    /// `requireTimestamps(for:)`.
    public var hasTimestamps = true

    /// Throws `DataError.noTimestamps` naming `purpose` when the log has no times.
    public func requireTimestamps(for purpose: String) throws(DataError) {
        guard hasTimestamps else { throw .noTimestamps(purpose: purpose) }
    }

    /// A log from whole columns (generators); throws when the columns differ in length or an
    /// index is out of range for its map.
    public init(users: [Int32], items: [Int32], timestamps: [Int64], sessions: [Int32]? = nil, weights: [Float]? = nil,
                userIDs: IDMap, itemIDs: IDMap, sessionIDs: IDMap? = nil, hasTimestamps: Bool = true) throws(DataError) {
        let n = users.count
        for (name, c) in [("items", items.count), ("timestamps", timestamps.count),
                          ("sessions", sessions?.count ?? n), ("weights", weights?.count ?? n)] where c != n {
            throw .invalidArgument(name: "\(name).count", value: "\(c)", expected: "\(n) (users.count)")
        }
        guard (sessions == nil) == (sessionIDs == nil) else {
            throw .invalidArgument(name: "sessionIDs", value: sessionIDs == nil ? "nil" : "a map",
                                   expected: "present exactly when sessions is")
        }
        for (name, column, bound) in [("users", users, userIDs.count), ("items", items, itemIDs.count),
                                      ("sessions", sessions ?? [], sessionIDs?.count ?? 0)] {
            if let bad = column.firstIndex(where: { $0 < 0 || Int($0) >= bound }) {
                throw .invalidArgument(name: "\(name)[\(bad)]", value: "\(column[bad])", expected: "0 ..< \(bound)")
            }
        }
        self.users = users; self.items = items; self.timestamps = timestamps
        self.sessions = sessions; self.weights = weights
        self.userIDs = userIDs; self.itemIDs = itemIDs; self.sessionIDs = sessionIDs
        self.hasTimestamps = hasTimestamps
    }

    /// An empty log over the given id maps; `hasSessions` / `hasWeights` add those columns.
    public init(userIDs: IDMap = IDMap(), itemIDs: IDMap = IDMap(), sessionIDs: IDMap? = nil, hasWeights: Bool = false) {
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.sessionIDs = sessionIDs
        sessions = sessionIDs == nil ? nil : []
        weights = hasWeights ? [] : nil
    }

    /// A log of `events` whose indices refer to the given maps; throws when an index is out of
    /// range or a session is given for some events and not others.
    public init(events: [Event], userIDs: IDMap, itemIDs: IDMap, sessionIDs: IDMap? = nil) throws(DataError) {
        self.init(userIDs: userIDs, itemIDs: itemIDs, sessionIDs: sessionIDs,
                  hasWeights: events.contains { $0.weight != 1 })
        reserveCapacity(events.count)
        for (i, e) in events.enumerated() {
            do { try append(e) } catch let .invalidArgument(name, value, expected) {
                throw .invalidArgument(name: name.replacingOccurrences(of: "event.", with: "events[\(i)]."), value: value, expected: expected)
            } catch { throw error }
        }
    }

    private func check(_ index: Int32, below count: Int, name: String) throws(DataError) {
        guard index >= 0, Int(index) < count else { throw .invalidArgument(name: name, value: "\(index)", expected: "0 ..< \(count)") }
    }

    /// The number of events.
    public var count: Int { users.count }
    /// Whether the log has no event.
    public var isEmpty: Bool { users.isEmpty }

    /// Event `i`, in the order events were added.
    public subscript(i: Int) -> Event {
        Event(user: users[i], item: items[i], timestamp: timestamps[i], session: sessions?[i], weight: weights?[i] ?? 1)
    }

    /// All events as values (allocates; prefer the columns for large logs).
    public var events: [Event] { (0 ..< count).map { self[$0] } }

    /// Reserves room for `n` events in every column.
    public mutating func reserveCapacity(_ n: Int) {
        users.reserveCapacity(n); items.reserveCapacity(n); timestamps.reserveCapacity(n)
        sessions?.reserveCapacity(n); weights?.reserveCapacity(n)
    }

    /// Appends an event whose indices are valid for this log's maps; throws
    /// `DataError.invalidArgument` when an index is out of range or a session is given for a log
    /// without a session column (or missing for one with it).
    public mutating func append(_ e: Event) throws(DataError) {
        try check(e.user, below: userIDs.count, name: "event.user")
        try check(e.item, below: itemIDs.count, name: "event.item")
        switch (e.session, sessionIDs) {
        case let (s?, map?): try check(s, below: map.count, name: "event.session")
        case (nil, nil): break
        default:
            throw .invalidArgument(name: "event.session", value: e.session.map(String.init) ?? "nil",
                                   expected: sessionIDs == nil ? "nil (the log has no session column)" : "a session index")
        }
        guard e.weight == 1 || weights != nil else {
            throw .invalidArgument(name: "event.weight", value: "\(e.weight)", expected: "1 (the log has no weight column)")
        }
        appendUnchecked(e)
    }

    /// Appends an event already known to be valid (the log's own transformations).
    mutating func appendUnchecked(_ e: Event) {
        users.append(e.user); items.append(e.item); timestamps.append(e.timestamp)
        if sessions != nil { sessions!.append(e.session ?? 0) }
        if weights != nil { weights!.append(e.weight) }
    }

    /// Appends an event by external ids, adding ids not seen before. Throws
    /// `DataError.invalidArgument` (and adds nothing) when a session is given for a log without a
    /// session column or missing for one with it, a weight other than 1 is given for a log
    /// without weights, or an id is empty.
    public mutating func append(user: String, item: String, timestamp: Int64, session: String? = nil, weight: Float = 1) throws(DataError) {
        guard (session == nil) == (sessionIDs == nil) else {
            throw .invalidArgument(name: "session", value: session ?? "nil",
                                   expected: sessionIDs == nil ? "nil (the log has no session column)" : "a session id (the log has a session column)")
        }
        guard weight == 1 || weights != nil else {
            throw .invalidArgument(name: "weight", value: "\(weight)", expected: "1 (the log has no weight column)")
        }
        guard weight.isFinite else { throw .invalidArgument(name: "weight", value: "\(weight)", expected: "a finite number") }
        for (name, id) in [("user", user), ("item", item), ("session", session ?? "-")] where id.isEmpty {
            throw .invalidArgument(name: name, value: "''", expected: "a non-empty id")
        }
        let u = userIDs.insert(user), i = itemIDs.insert(item)
        let s = session.map { sessionIDs!.insert($0) }
        appendUnchecked(Event(user: u, item: i, timestamp: timestamp, session: s, weight: weight))
    }

    /// Events of each item (popularity): `itemIDs.count` entries.
    public func itemCounts() -> [Int] {
        var c = [Int](repeating: 0, count: itemIDs.count)
        for i in items { c[Int(i)] += 1 }
        return c
    }

    /// Events of each user: `userIDs.count` entries.
    public func userCounts() -> [Int] {
        var c = [Int](repeating: 0, count: userIDs.count)
        for u in users { c[Int(u)] += 1 }
        return c
    }

    /// The events at `indices` (in that order), over the same id maps: indices mean the same
    /// thing in the result as in `self`.
    public func selecting(_ indices: some Sequence<Int>) -> EventLog {
        var out = EventLog(userIDs: userIDs, itemIDs: itemIDs, sessionIDs: sessionIDs, hasWeights: weights != nil)
        out.hasTimestamps = hasTimestamps
        for i in indices { out.appendUnchecked(self[i]) }
        return out
    }

    /// Event indices ordered by user, then time, then file order.
    public func indicesByUserThenTime() -> [Int] {
        (0 ..< count).sorted { a, b in
            if users[a] != users[b] { return users[a] < users[b] }
            if timestamps[a] != timestamps[b] { return timestamps[a] < timestamps[b] }
            return a < b
        }
    }

    /// The same events with dense user and item indices in id order: canonical decimal ids by
    /// value, before any other id (those by string). MovieLens user 1 and movie 1 become index 0.
    public func withIDsInOrder() -> EventLog {
        func ordered(_ map: IDMap) -> (map: IDMap, newIndex: [Int32]) {
            let order = map.ids.indices.sorted {
                (IDMap.canonicalNumber(map.ids[$0].utf8) ?? .max, map.ids[$0]) < (IDMap.canonicalNumber(map.ids[$1].utf8) ?? .max, map.ids[$1])
            }
            var newIndex = [Int32](repeating: 0, count: map.count)
            for (new, old) in order.enumerated() { newIndex[old] = Int32(new) }
            return (try! IDMap(ids: order.map { map.ids[$0] }), newIndex) // the ids of a map are distinct
        }
        let u = ordered(userIDs), i = ordered(itemIDs)
        // Every index is a permutation of a valid one: the columns cannot be rejected.
        return try! EventLog(users: users.map { u.newIndex[Int($0)] }, items: items.map { i.newIndex[Int($0)] }, timestamps: timestamps,
                             sessions: sessions, weights: weights, userIDs: u.map, itemIDs: i.map, sessionIDs: sessionIDs,
                             hasTimestamps: hasTimestamps)
    }

    /// Drops users with fewer than `minUserCount` events and items with fewer than
    /// `minItemCount`, repeating until both hold for every remaining event (removing an item can
    /// push a user below the minimum and back). Ids are re-numbered densely, in their old
    /// order; users, items and sessions left without events disappear from the maps.
    public func filtered(minUserCount: Int = 1, minItemCount: Int = 1) -> EventLog {
        var keep = [Bool](repeating: true, count: count)
        while true {
            var uc = [Int](repeating: 0, count: userIDs.count), ic = [Int](repeating: 0, count: itemIDs.count)
            for e in 0 ..< count where keep[e] { uc[Int(users[e])] += 1; ic[Int(items[e])] += 1 }
            var changed = false
            for e in 0 ..< count where keep[e] && (uc[Int(users[e])] < minUserCount || ic[Int(items[e])] < minItemCount) {
                keep[e] = false
                changed = true
            }
            if !changed { break }
        }
        var usedU = [Bool](repeating: false, count: userIDs.count), usedI = [Bool](repeating: false, count: itemIDs.count)
        var usedS = [Bool](repeating: false, count: sessionIDs?.count ?? 0)
        for e in 0 ..< count where keep[e] {
            usedU[Int(users[e])] = true; usedI[Int(items[e])] = true
            if let s = sessions?[e] { usedS[Int(s)] = true }
        }
        let (um, un) = userIDs.compacted { usedU[Int($0)] }
        let (im, inew) = itemIDs.compacted { usedI[Int($0)] }
        let sc = sessionIDs?.compacted { usedS[Int($0)] }
        var out = EventLog(userIDs: um, itemIDs: im, sessionIDs: sc?.map, hasWeights: weights != nil)
        out.hasTimestamps = hasTimestamps
        for e in 0 ..< count where keep[e] {
            var ev = self[e]
            ev.user = un[Int(ev.user)]; ev.item = inew[Int(ev.item)]
            ev.session = ev.session.map { sc!.newIndex[Int($0)] }
            out.appendUnchecked(ev)
        }
        return out
    }
}
