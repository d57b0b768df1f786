import RecVec
import XCTest

final class DataSplitTests: XCTestCase {
    /// A small log by external ids, in a scrambled file order.
    func smallLog() throws -> EventLog {
        var log = EventLog()
        let rows: [(String, String, Int64)] = [
            ("u1", "a", 30), ("u2", "b", 10), ("u1", "b", 10), ("u3", "c", 5), ("u1", "c", 20),
            ("u2", "a", 40), ("u2", "c", 40), ("u4", "d", 100),
        ]
        for (u, i, t) in rows { try log.append(user: u, item: i, timestamp: t) }
        return log
    }

    func testLeaveLastOutTargetsAndHistories() throws {
        let log = try smallLog()
        let split = try log.splitLeaveLastOut()
        let name = { (i: Int32) in log.itemIDs.ids[Int(i)] }
        // u1: b(10) c(20) a(30) -> target a after [b, c]; u2: b(10) a(40) c(40): equal times keep
        // file order, so c is last; u3, u4 have one event: no target, stay in training.
        XCTAssertEqual(split.test.map { log.userIDs.ids[Int($0.user)] }, ["u1", "u2"])
        XCTAssertEqual(split.test.map { name($0.item) }, ["a", "c"])
        XCTAssertEqual(split.test.map { $0.history.map(name) }, [["b", "c"], ["b", "a"]])
        XCTAssertEqual(split.train.count, 6)
        XCTAssertEqual(split.train.itemIDs, log.itemIDs)
    }

    /// The leakage check: counts derived from `train` equal the full log's counts minus the
    /// test targets, for every item and user, on a log with many users (synthetic).
    func testLeaveLastOutTrainCountsExcludeTestEvents() throws {
        var c = SyntheticConfig()
        c.users = 60; c.items = 30; c.sessions = 200; c.sessionLength = 5
        let log = try SyntheticWorkload(config: c).events
        let split = try log.splitLeaveLastOut()
        XCTAssertEqual(split.test.count, log.userCounts().filter { $0 >= 2 }.count)
        var itemCounts = log.itemCounts(), userCounts = log.userCounts()
        for t in split.test { itemCounts[Int(t.item)] -= 1; userCounts[Int(t.user)] -= 1 }
        XCTAssertEqual(split.train.itemCounts(), itemCounts)
        XCTAssertEqual(split.train.userCounts(), userCounts)
        // Each target is its user's latest event: every training event of that user is earlier
        // (synthetic timestamps are distinct) and the history is exactly the training events.
        for t in split.test {
            let own = (0 ..< split.train.count).filter { split.train.users[$0] == t.user }
            XCTAssertTrue(own.allSatisfy { split.train.timestamps[$0] < t.timestamp })
            XCTAssertEqual(own.map { split.train.items[$0] }, t.history)
        }
    }

    func testTimeCutoffKeepsTheFutureOutOfTraining() throws {
        var c = SyntheticConfig()
        c.users = 40; c.items = 25; c.sessions = 150; c.sessionLength = 4
        let log = try SyntheticWorkload(config: c).events
        let cutoff = try log.timeQuantile(0.8)
        let split = try log.splitAtTime(cutoff, minHistory: 0)
        XCTAssertTrue(split.train.timestamps.allSatisfy { $0 < cutoff })
        XCTAssertTrue(split.test.allSatisfy { $0.timestamp >= cutoff })
        // minHistory 0: every event is either training or a target.
        XCTAssertEqual(split.train.count + split.test.count, log.count)
        var itemCounts = log.itemCounts()
        for t in split.test { itemCounts[Int(t.item)] -= 1 }
        XCTAssertEqual(split.train.itemCounts(), itemCounts)
        // The history of a target is the user's events strictly before it, oldest first.
        for t in split.test.prefix(20) {
            let before = (0 ..< log.count).filter { log.users[$0] == t.user && log.timestamps[$0] < t.timestamp }
            XCTAssertEqual(before.map { log.items[$0] }, t.history)
        }
        let strict = try log.splitAtTime(cutoff, minHistory: 1)
        XCTAssertEqual(strict.test.count, split.test.filter { !$0.history.isEmpty }.count)
        XCTAssertEqual(strict.train, split.train)
    }

    func testInactivityGapSessionsAndCollapse() throws {
        var log = EventLog()
        // u1: a b b (gap 3600) c ; u2: a a with a 60 s gap.
        for (u, i, t) in [("u1", "a", 0), ("u1", "b", 100), ("u1", "b", 200), ("u1", "c", 3800), ("u2", "a", 50), ("u2", "a", 110)] as [(String, String, Int64)] {
            try log.append(user: u, item: i, timestamp: t)
        }
        let name = { (c: Corpus) in (0 ..< c.sessionCount).map { c.session($0).map { log.itemIDs.ids[Int($0)] } } }
        XCTAssertEqual(name(try log.corpus()), [["a", "b", "b"], ["a", "a"], ["c"]])
        XCTAssertEqual(name(try log.corpus(collapseRepeats: true)), [["a", "b"], ["a"], ["c"]])
        XCTAssertEqual(name(try log.corpus(collapseRepeats: true, minLength: 2)), [["a", "b"]])
        XCTAssertEqual(name(try log.corpus(rule: .inactivityGap(seconds: 10_000))), [["a", "b", "b", "c"], ["a", "a"]])
        XCTAssertThrowsError(try log.corpus(rule: .sessionColumn)) { error in
            XCTAssertEqual("\(error)", "invalid rule: sessionColumn (expected a log with a session column (or .inactivityGap))")
        }
    }

    func testMinCountFilterIteratesAndRenumbers() throws {
        var log = EventLog()
        // Item counts a 3, b 2, c 1, d 1: c and d go. Then u3 has one event (a) and goes in a
        // second round; a still has 2 events. Left: u1 and u2 with a and b.
        for (u, i) in [("u1", "a"), ("u1", "b"), ("u1", "c"), ("u2", "a"), ("u2", "b"), ("u3", "d"), ("u3", "a")] {
            try log.append(user: u, item: i, timestamp: 0)
        }
        let f = log.filtered(minUserCount: 2, minItemCount: 2)
        XCTAssertEqual(f.itemIDs.ids, ["a", "b"])
        XCTAssertEqual(f.userIDs.ids, ["u1", "u2"])
        XCTAssertEqual(f.count, 4)
        XCTAssertEqual(f.itemCounts(), [2, 2])
    }
}
