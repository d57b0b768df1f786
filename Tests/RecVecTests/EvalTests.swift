import XCTest
import RecVec
import TestSupport

final class EvalTests: XCTestCase {
    func testMetricsOnHandComputedCase() {
        // Catalog of 8 items, item j seen 8 - j times: popularity percentile of j is (7 - j) / 7.
        let popularity = [8, 7, 6, 5, 4, 3, 2, 1]
        // Case 0 hits its target at rank 2; case 1 misses.
        let m = Metrics.evaluate(lists: [[3, 1, 2], [0, 5]], targets: [1, 7], k: 3, popularity: popularity)
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
        XCTAssertEqual(Metrics.popularityPercentiles([5, 1, 5, 0]), [5.0 / 6, 1.0 / 3, 5.0 / 6, 0])
    }

    func testLeaveLastOutHoldsTargetOutOfTrainingAndExcludesSeen() throws {
        let users: UserSessions = [[[0, 1], [2, 1]], [[3]], [[4, 4, 0]]]
        let split = EvalProtocols.leaveLastOut(users)
        // User 1 has one event: no case, its session stays in training.
        XCTAssertEqual(split.cases, [EvalCase(history: [0, 1, 2], target: 1, exclude: [0, 1, 2], user: 0),
                                     EvalCase(history: [4, 4], target: 0, exclude: [4], user: 2)])
        XCTAssertEqual(split.training, [[0, 1], [2], [3], [4, 4]])
        // Counts: training + targets = all events, item by item.
        let all = try Corpus(sessions: users.flatMap { $0 }, vocabularySize: 5).counts()
        var rebuilt = try Corpus(sessions: split.training, vocabularySize: 5).counts()
        for c in split.cases { rebuilt[Int(c.target)] += 1 }
        XCTAssertEqual(rebuilt, all)
    }

    func testLeakFreeSplitOfSyntheticWorkloadNeverTrainsOnTarget() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (40, 30, 120, 6)
        let w = try SyntheticWorkload(config: config)
        let users = EvalProtocols.userSessions(w.sessions, sessionUsers: w.sessionUsers, userCount: config.users)
        let split = EvalProtocols.leaveLastOut(users, excludeSeen: false)
        let training = try Corpus(sessions: split.training, vocabularySize: config.items)
        XCTAssertEqual(training.tokens.count + split.cases.count, w.sessions.tokens.count)
        var rebuilt = training.counts()
        for c in split.cases { rebuilt[Int(c.target)] += 1 }
        XCTAssertEqual(rebuilt, w.sessions.counts())
        // Each case's target is the user's last event, and the history is every earlier event.
        for c in split.cases {
            let events = users[c.user!].flatMap { $0 }
            XCTAssertEqual(c.history + [c.target], events)
        }
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
        let cases = EvalProtocols.consecutivePairs(corpus, firstSessions: 2)
        XCTAssertEqual(cases, [EvalCase(history: [0], target: 1, exclude: [0]), EvalCase(history: [1], target: 2, exclude: [1]),
                               EvalCase(history: [3], target: 3, exclude: [3])])
    }

    func testMovieLensReaderNamesFileLineAndValue() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        try "1\t10\t4\t881250949\n2\tx\t3\t881250950\n".write(to: dir.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        try "10|A (1995)|01-Jan-1995||url|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n".write(to: dir.appendingPathComponent("u.item"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MovieLensData(directory: dir)) { error in
            XCTAssertEqual(error as? DataError, .badValue(file: dir.appendingPathComponent("u.data").path, line: 2, column: "item_id", value: "x", expected: "a positive integer"))
        }
    }

    func testMovieLensReaderOnSharedData() throws {
        let data = try MovieLensData(directory: TestSupport.sharedData("ml-100k"))
        // u.info: 943 users, 1682 items, 100000 ratings.
        XCTAssertEqual(data.users.count, 943)
        XCTAssertEqual(data.itemCount, 1682)
        XCTAssertEqual(data.users.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }, 100_000)
        XCTAssertEqual(data.genres.vectors.cols, 19)
        // Toy Story (movie 1): Animation, Children's, Comedy = genre flags 3, 4, 5.
        XCTAssertEqual(data.genres.vectors.row(0).enumerated().filter { $0.element == 1 }.map(\.offset), [3, 4, 5])
    }
}
