import XCTest
import RecVec
import TestSupport

final class EvalTests: XCTestCase {
    func testMetricsOnHandComputedCase() {
        // Catalog of 8 items, item j seen 8 - j times: popularity percentile of j is (7 - j) / 7.
        let popularity = [8, 7, 6, 5, 4, 3, 2, 1]
        // Case 0 hits its target at rank 2; case 1 misses.
        let m = RankingMetrics.evaluate(lists: [[3, 1, 2], [0, 5]], targets: [1, 7], k: 3, popularity: popularity)
        XCTAssertEqual(m.cases, 2)
        XCTAssertEqual(m.recall, 0.5, accuracy: 1e-15)
        XCTAssertEqual(m.ndcg, (1 / log2(3.0)) / 2, accuracy: 1e-15) // hit at rank 2: 1/log2(2 + 1)
        XCTAssertEqual(m.mrr, 0.25, accuracy: 1e-15)                  // (1/2 + 0) / 2
        XCTAssertEqual(m.coverage, 5.0 / 8, accuracy: 1e-15)          // {0, 1, 2, 3, 5}
        // Percentiles of 3, 1, 2, 0, 5: (4 + 6 + 5 + 7 + 2) / 7 / 5 = 24/35.
        XCTAssertEqual(m.meanPopularityPercentile, 24.0 / 35, accuracy: 1e-12)
        // Recommendation counts sorted [0,0,0,1,1,1,1,1]: Σ(2i - n - 1)x_i = -1+1+3+5+7 = 15, / (8 · 5).
        XCTAssertEqual(m.gini, 15.0 / 40, accuracy: 1e-15)
    }

    func testPopularityPercentilesShareTies() {
        XCTAssertEqual(RankingMetrics.popularityPercentiles([5, 1, 5, 0]), [5.0 / 6, 1.0 / 3, 5.0 / 6, 0])
    }

    /// An event log from (user, item, time) triples over `users` users and `items` items (ids "0", "1", ...).
    private func log(_ events: [(Int32, Int32, Int64)], users: Int, items: Int) throws -> EventLog {
        try EventLog(users: events.map(\.0), items: events.map(\.1), timestamps: events.map(\.2),
                     userIDs: .identity(count: users), itemIDs: .identity(count: items))
    }

    func testLeaveLastOutHoldsTargetOutOfTrainingAndExcludesSeen() throws {
        // User 0: sessions [0, 1] and [2, 1] (a gap over an hour between); user 1: [3]; user 2: [4, 4, 0].
        let events: [(Int32, Int32, Int64)] = [(0, 0, 0), (0, 1, 10), (1, 3, 5), (2, 4, 20), (2, 4, 30), (2, 0, 40),
                                               (0, 2, 10_000), (0, 1, 10_010)]
        let all = try log(events, users: 3, items: 5)
        let split = try EvalCases.holdOut(all, protocol: .leaveLastOut, sessions: .inactivityGap(seconds: 3600))
        // User 1 has one event: no case, its session stays in training.
        XCTAssertEqual(split.cases, [EvalCase(history: [0, 1, 2], target: 1, exclude: [0, 1, 2], user: 0),
                                     EvalCase(history: [4, 4], target: 0, exclude: [4], user: 2)])
        // Training sessions in order of their first event: [0, 1] at 0, [3] at 5, [4, 4] at 20, [2] at 10000.
        XCTAssertEqual((0 ..< split.training.sessionCount).map { Array(split.training.session($0)) }, [[0, 1], [3], [4, 4], [2]])
        // Counts: training + targets = all events, item by item.
        var rebuilt = split.training.counts()
        for c in split.cases { rebuilt[Int(c.target)] += 1 }
        XCTAssertEqual(rebuilt, all.itemCounts())
    }

    func testHoldOutSplitOfSyntheticWorkloadNeverTrainsOnTarget() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (40, 30, 120, 6)
        let w = try SyntheticWorkload(config: config)
        let split = try EvalCases.holdOut(w.events, protocol: .leaveLastOut, sessions: .sessionColumn, excludeSeen: false)
        XCTAssertEqual(split.training.tokens.count + split.cases.count, w.sessions.tokens.count)
        var rebuilt = split.training.counts()
        for c in split.cases { rebuilt[Int(c.target)] += 1 }
        XCTAssertEqual(rebuilt, w.sessions.counts())
        // Each case's target is the user's last event, and the history is every earlier event
        // (the workload's sessions are in time order).
        for c in split.cases {
            let events = (0 ..< w.sessions.sessionCount).filter { w.sessionUsers[$0] == Int32(c.user!) }.flatMap { w.sessions.session($0) }
            XCTAssertEqual(c.history + [c.target], events)
        }
    }

    func testTimeCutoffKeepsEverythingAfterTheCutoffOutOfTraining() throws {
        // Before the cutoff (60): five events. At or after it: item 4 appears for the first time.
        let events: [(Int32, Int32, Int64)] = [(0, 0, 10), (0, 1, 20), (1, 1, 30), (1, 2, 40), (2, 3, 50),
                                               (0, 4, 60), (1, 4, 70), (2, 1, 80), (0, 2, 90)]
        let all = try log(events, users: 3, items: 5)
        let split = try EvalCases.holdOut(all, protocol: .timeCutoff(60), sessions: .inactivityGap(seconds: 3600))
        // Training counts (what popularity and the SGNS noise distribution are built from) see
        // only the events before 60.
        XCTAssertEqual(split.training.counts(), [1, 2, 1, 1, 0])
        XCTAssertEqual(split.training.tokens.count, 5)
        // Every later event is a case; its history includes earlier test events, as a live system saw them.
        XCTAssertEqual(split.cases, [EvalCase(history: [0, 1], target: 4, exclude: [0, 1], user: 0),
                                     EvalCase(history: [1, 2], target: 4, exclude: [1, 2], user: 1),
                                     EvalCase(history: [3], target: 1, exclude: [3], user: 2),
                                     EvalCase(history: [0, 1, 4], target: 2, exclude: [0, 1, 4], user: 0)])
        // The table's popularity baseline ranks by training counts [1, 2, 1, 1, 0] (ties: lower id)
        // at k = 2: lists [2, 3], [0, 3], [1, 0], [2, 3] hit two of four targets. Counted over all
        // events ([1, 3, 2, 1, 2]) it would hit all four.
        let table = try Tables.holdOut(all, protocol: .timeCutoff(60), sessions: .inactivityGap(seconds: 3600), content: [],
                                        configs: MethodConfigs(), methods: [], k: 2, userRule: .meanOfLast(5), excludeSeen: true)
        let popularity = try XCTUnwrap(table.rows.first { $0.method == "Popularity" })
        XCTAssertEqual(popularity.evalProtocol, .timeCutoff)
        XCTAssertEqual(popularity.metrics.cases, 4)
        XCTAssertEqual(popularity.metrics.recall, 0.5)
    }

    func testEvaluatorNeverReturnsExcludedItems() throws {
        // Item vectors: e_0, e_1, e_2 and a mix; the query item 0 is nearest to itself.
        let items = try Matrix(rows: 4, cols: 3, values: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.9, 0.1, 0])
        let retrieval = Retrieval(vectors: items, metric: .cosine)
        let popularity = [1, 1, 1, 1]
        // Re-consumption: the target is the history item itself. Excluded, it cannot be found at k = 1.
        let excluded = try Evaluator.evaluate([EvalCase(history: [0], target: 0, exclude: [0])], retrieval: retrieval, k: 1, popularity: popularity)
        let allowed = try Evaluator.evaluate([EvalCase(history: [0], target: 0, exclude: [])], retrieval: retrieval, k: 1, popularity: popularity)
        XCTAssertEqual(excluded.recall, 0)
        XCTAssertEqual(allowed.recall, 1)
        // With 0 excluded the best is item 3 (cosine 0.994).
        let next = try Evaluator.evaluate([EvalCase(history: [0], target: 3, exclude: [0])], retrieval: retrieval, k: 1, popularity: popularity)
        XCTAssertEqual(next.recall, 1)
        // Baselines honour exclusions too.
        let pop = Evaluator.popularity([EvalCase(history: [], target: 0, exclude: [0, 1, 2])], k: 2, popularity: [9, 5, 3, 1])
        XCTAssertEqual(pop.recall, 0)
        XCTAssertEqual(pop.coverage, 0.25) // only item 3 is left to recommend
        let random = Evaluator.random([EvalCase(history: [], target: 3, exclude: [0, 1, 2])], k: 2, popularity: [9, 5, 3, 1], seed: 1)
        XCTAssertEqual(random.recall, 1)
    }

    func testSeedProtocolPairsExcludePrevious() throws {
        let corpus = try Corpus(sessions: [[0, 1, 2], [3, 3], [4, 0]], vocabularySize: 5)
        let cases = EvalCases.consecutivePairs(corpus, firstSessions: 2)
        XCTAssertEqual(cases, [EvalCase(history: [0], target: 1, exclude: [0]), EvalCase(history: [1], target: 2, exclude: [1]),
                               EvalCase(history: [3], target: 3, exclude: [3])])
    }

    func testMovieLensReaderNamesFileLineAndValue() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let uData = dir.appendingPathComponent("u.data"), uItem = dir.appendingPathComponent("u.item")
        try "10|A (1995)|01-Jan-1995||url|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n".write(to: uItem, atomically: true, encoding: .utf8)
        try "1\t10\t4\t881200000\n2\t10\t3\tlater\n".write(to: uData, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MovieLensData(directory: dir)) { error in
            XCTAssertEqual(error as? DataError, .badValue(file: uData.path, line: 2, column: "timestamp (field 4)", value: "later",
                                                          expected: "epoch seconds or an ISO 8601 date-time"))
        }
        // A rated movie that u.item does not list is named, with the file that lacks it.
        try "1\t10\t4\t881200000\n2\t11\t3\t881200001\n".write(to: uData, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MovieLensData(directory: dir)) { error in
            XCTAssertEqual(error as? DataError, .missingItems(file: uItem.path, count: 1, examples: ["11"]))
        }
    }

    func testMovieLensReaderOnSharedData() throws {
        let data = try MovieLensData(directory: try TestSupport.sharedDataOrSkip("ml-100k"))
        // u.info: 943 users, 1682 items, 100000 ratings.
        XCTAssertEqual(data.events.userIDs.count, 943)
        XCTAssertEqual(data.itemCount, 1682)
        XCTAssertEqual(data.events.count, 100_000)
        // Dense indices follow the MovieLens ids, whatever order u.data lists them in.
        XCTAssertEqual(data.itemIDs, (1 ... 1682).map(String.init))
        XCTAssertEqual(data.events.userIDs.ids, (1 ... 943).map(String.init))
        XCTAssertEqual(data.genres.vectors.cols, 19)
        // Toy Story (movie 1): Animation, Children's, Comedy = genre flags 3, 4, 5.
        XCTAssertEqual(data.genres.vectors.row(0).enumerated().filter { $0.element == 1 }.map(\.offset), [3, 4, 5])
    }
}
