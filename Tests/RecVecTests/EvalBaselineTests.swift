@testable import RecVec
import XCTest

/// Tie rule, exclusions and the item-item baselines on hand-computed cases.
final class EvalBaselineTests: XCTestCase {
    /// Regression: the exclusions were built from the history cut to `maxHistory` (200), so items
    /// seen earlier came back into the ranking for long histories. Every training item of the user
    /// must be excluded whatever the history length.
    func testLongHistoryExcludesEveryTrainingItem() throws {
        let n = 300
        let log = try EventLog(users: [Int32](repeating: 0, count: n + 1), items: (0 ... n).map(Int32.init),
                               timestamps: (0 ... n).map(Int64.init), userIDs: .identity(count: 1), itemIDs: .identity(count: n + 1))
        let split = try EvalCases.holdOut(log, protocol: .leaveLastOut, sessions: .inactivityGap(seconds: 3600))
        XCTAssertEqual(split.cases.count, 1)
        XCTAssertEqual(split.cases[0].history.count, 200) // the user vector reads at most 200 items
        XCTAssertEqual(split.cases[0].exclude, (0 ..< n).map(Int32.init)) // but all 300 are excluded
        let cut = try log.splitLeaveLastOut(maxHistory: 2)
        XCTAssertEqual(cut.test[0].history, [298, 299])
        XCTAssertEqual(cut.test[0].seen, (0 ..< n).map(Int32.init))
        let timed = try log.splitAtTime(250, maxHistory: 3)
        XCTAssertEqual(timed.test.first?.seen, (0 ..< 250).map(Int32.init))
        XCTAssertEqual(timed.test.first?.history, [247, 248, 249])
    }

    /// Equal timestamps: item-id ties order "9" before "10" (decimal ids by value), file-order keeps
    /// the file's order; the target and the history follow the rule.
    func testTieRuleChoosesTheTarget() throws {
        var log = EventLog()
        for (item, t) in [("a", 1), ("10", 5), ("9", 5)] as [(String, Int64)] { try log.append(user: "u", item: item, timestamp: t) }
        let name = { (i: Int32) in log.itemIDs.ids[Int(i)] }
        let byID = try log.splitLeaveLastOut(ties: .itemID)
        XCTAssertEqual(byID.test.map { name($0.item) }, ["10"])
        XCTAssertEqual(byID.test[0].history.map(name), ["a", "9"])
        let byFile = try log.splitLeaveLastOut(ties: .fileOrder)
        XCTAssertEqual(byFile.test.map { name($0.item) }, ["9"])
        XCTAssertEqual(byFile.test[0].history.map(name), ["a", "10"])
        // The training sequences follow the rule too.
        var more = log
        try more.append(user: "u", item: "b", timestamp: 9)
        let split = try EvalCases.holdOut(more, protocol: .leaveLastOut, sessions: .inactivityGap(seconds: 100), ties: .itemID)
        XCTAssertEqual(Array(split.sequences.session(0)).map(name), ["a", "9", "10"])
        let fileSplit = try EvalCases.holdOut(more, protocol: .leaveLastOut, sessions: .inactivityGap(seconds: 100), ties: .fileOrder)
        XCTAssertEqual(Array(fileSplit.sequences.session(0)).map(name), ["a", "10", "9"])
    }

    private func corpus(_ sessions: [[Int32]], _ n: Int) throws -> Corpus { try Corpus(sessions: sessions, vocabularySize: n) }

    func testTransitionCountsAndPopularityBackoff() throws {
        // 0->1 twice, 1->2 once, 2->0 once; popularity 3, 2, 2 (+ item 3 never seen).
        let seq = try corpus([[0, 1, 2], [0, 1], [2, 0]], 4)
        let model = try Baselines.transition(sequences: seq, popularity: seq.counts())
        XCTAssertEqual(model.itemRows[1, 0], 2)
        XCTAssertEqual(model.itemRows[2, 1], 1)
        XCTAssertEqual(model.itemRows[0, 2], 1)
        XCTAssertEqual(model.itemRows[0, 4], 0.75) // bias = count / (max count + 1) = 3/4
        let cases = [EvalCase(history: [2, 0], target: 1, exclude: []),  // last 0: 1 (2.5), 0 (0.75), 2 (0.5), 3 (0)
                     EvalCase(history: [1], target: 2, exclude: [1]),     // last 1: 2 (1.5), 0 (0.75), 3 (0)
                     EvalCase(history: [3], target: 0, exclude: [])]      // never followed: popularity order
        XCTAssertEqual(try model.rankedLists(cases, k: 4), [[1, 0, 2, 3], [2, 0, 3], [0, 1, 2, 3]])
    }

    func testItemKNNCosineOnUserItemColumns() throws {
        // Users {0, 1}, {0, 1, 2}, {1, 2}: cos(0,1) = 2/sqrt(2*3), cos(0,2) = 1/2, cos(1,2) = 2/sqrt(6).
        let seq = try corpus([[0, 1, 1], [2, 0, 1], [1, 2]], 4)
        let model = Baselines.itemKNN(sequences: seq)
        let c01 = Float(2 / 6.0.squareRoot())
        XCTAssertEqual(model.itemRows[0, 1], c01, accuracy: 1e-6)
        XCTAssertEqual(model.itemRows[1, 0], c01, accuracy: 1e-6)
        XCTAssertEqual(model.itemRows[0, 2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(model.itemRows[2, 1], c01, accuracy: 1e-6)
        XCTAssertEqual(model.itemRows[1, 1], 0) // diagonal
        XCTAssertEqual(model.itemRows[3, 0], 0) // an unseen item
        let cases = [EvalCase(history: [0], target: 2, exclude: [0]),          // 1 (0.816), 2 (0.5), 3 (0)
                     EvalCase(history: [0, 2], target: 1, exclude: [0, 2])]    // 1 (1.63), 3 (0)
        XCTAssertEqual(try model.rankedLists(cases, k: 3), [[1, 2, 3], [1, 3]])
    }

    func testEASEOnTwoItemsByHand() throws {
        // Users {0, 1} and {0}: G = [[2, 1], [1, 1]], lambda 1: P = [[3, 1], [1, 2]]^-1 = [[2, -1], [-1, 3]] / 5,
        // B[0,1] = -P01/P11 = 1/3, B[1,0] = -P10/P00 = 1/2; row j of itemRows holds B[., j].
        let seq = try corpus([[0, 1], [0]], 2)
        let model = try XCTUnwrap(try Baselines.ease(sequences: seq, config: EASEConfig(lambda: 1)))
        XCTAssertEqual(model.itemRows[1, 0], 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(model.itemRows[0, 1], 0.5, accuracy: 1e-6)
        XCTAssertEqual(model.itemRows[0, 0], 0)
        XCTAssertEqual(model.itemRows[1, 1], 0)
        XCTAssertNil(try Baselines.ease(sequences: seq, config: EASEConfig(lambda: 1, maxItems: 1)))
    }

    /// EASE on a random 17-item log against B computed from the explicit inverse (`choleskySolve`
    /// against the identity).
    func testEASEMatchesExplicitInverse() throws {
        var random = SplitMix64(seed: 7)
        let n = 17
        let sessions = (0 ..< 40).map { _ in (0 ..< 1 + random.below(8)).map { _ in Int32(random.below(n)) } }
        let seq = try corpus(sessions, n)
        let lambda = 3.0
        let model = try XCTUnwrap(try Baselines.ease(sequences: seq, config: EASEConfig(lambda: lambda)))
        var a = Baselines.gram(sequences: seq)
        for i in 0 ..< n { a[i, i] += lambda }
        let p = try Linalg.choleskySolve(a, DoubleMatrix.identity(n))
        for i in 0 ..< n {
            for j in 0 ..< n {
                let expected = i == j ? 0 : -p[i, j] / p[j, j]
                XCTAssertEqual(Double(model.itemRows[j, i]), expected, accuracy: 1e-4, "B[\(i), \(j)]")
            }
        }
    }

    /// The popularity prior: beta * log(1 + count) added to a cosine score moves a popular item up.
    func testPopularityPriorReranks() throws {
        let vectors = try Matrix(rows: 3, cols: 2, values: [1, 0, 0.9, 0.1, 0, 1])
        var retrieval = Retrieval(vectors: vectors, metric: .cosine)
        let cases = [EvalCase(history: [0], target: 2, exclude: [0])]
        let popularity = [1, 1, 1000]
        XCTAssertEqual(try Evaluator.rankedLists(cases, retrieval: retrieval, k: 2, popularity: popularity), [[1, 2]])
        // cos(0,1) ~ 0.994 vs cos(0,2) = 0: beta 0.2 adds 0.2*log(2) = 0.139 and 0.2*log(1001) = 1.38.
        retrieval.popularityPrior = 0.2
        XCTAssertEqual(try Evaluator.rankedLists(cases, retrieval: retrieval, k: 2, popularity: popularity), [[2, 1]])
    }
}
