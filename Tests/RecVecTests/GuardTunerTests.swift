import Foundation
import RecVec
import TestSupport
import XCTest

/// Collapse guards (table warnings, the publish gate), the catalogue-scaled subsample default,
/// and the tuner's protocol and determinism.
final class GuardTunerTests: XCTestCase {
    private func metrics(recall: Double, coverage: Double, rareShare: Double = 0) -> RankingMetrics {
        RankingMetrics(k: 20, cases: 100, recall: recall, ndcg: 0, mrr: 0, coverage: coverage, meanPopularityPercentile: 0.5,
                       gini: 0.5, rareShare: rareShare)
    }

    func testGuardsNameTheCauseAndTheKnob() {
        let popularity = metrics(recall: 0.5, coverage: 0.05)
        XCTAssertEqual(Guards.check(method: "Item2Vec", metrics: metrics(recall: 0.6, coverage: 0.4), popularity: popularity), [])
        let below = Guards.check(method: "Item2Vec", metrics: metrics(recall: 0.1, coverage: 0.4), popularity: popularity)
        XCTAssertEqual(below.count, 1)
        XCTAssertTrue(below[0].contains("below popularity") && below[0].contains("subsample"), below[0])
        let narrow = Guards.check(method: "PPMI+SVD", metrics: metrics(recall: 0.6, coverage: 0.01), popularity: popularity)
        XCTAssertEqual(narrow.count, 1)
        XCTAssertTrue(narrow[0].contains("coverage@20 0.010"), narrow[0])
        let rare = Guards.check(method: "Graph-walk", metrics: metrics(recall: 0.6, coverage: 0.4, rareShare: 0.8), popularity: popularity)
        XCTAssertEqual(rare.count, 1)
        XCTAssertTrue(rare[0].contains("80% of the recommendations"), rare[0])
        // The rare share itself: slots on items with fewer than 5 training events.
        XCTAssertEqual(Guards.rareShare(lists: [[0, 1], [1, 2]], counts: [10, 4, 5]), 0.5)
    }

    /// The log of the issue: a 60-item catalogue whose few head items take most events. With
    /// word2vec's subsample 1e-3 Item2Vec collapses far below popularity and the table warns; the
    /// catalogue-scaled default (10 / 60) avoids it.
    func testItem2VecCollapseIsFlaggedAndTheScaledDefaultAvoidsIt() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (300, 60, 2000, 10)
        (config.popularityExponent, config.preferenceShare) = (0.6, 0.3)
        let workload = try SyntheticWorkload(config: config)
        func row(scaled: Bool) throws -> TableRow {
            var configs = MethodConfigs.tuned(seed: 1)
            configs.scaleSubsampleToCatalogue = scaled
            let table = try Tables.holdOut(workload.events, protocol: .leaveLastOut, sessions: .sessionColumn, content: workload.content,
                                            configs: configs, methods: [.item2vec], userRule: .meanOfLast(50), excludeSeen: false, seed: 1, threads: 1)
            return try XCTUnwrap(table.rows.first { $0.method == "Item2Vec" })
        }
        let popularity = Evaluator.popularity(try EvalCases.holdOut(workload.events, protocol: .leaveLastOut, sessions: .sessionColumn,
                                                                         excludeSeen: false).cases,
                                              k: 20, popularity: try EvalCases.holdOut(workload.events, protocol: .leaveLastOut,
                                                                                            sessions: .sessionColumn, excludeSeen: false).training.counts())
        let collapsed = try row(scaled: false)
        XCTAssertLessThan(collapsed.metrics.recall, popularity.recall / 2, "word2vec's 1e-3 on a 60-item head-heavy catalogue")
        XCTAssertTrue(collapsed.warnings.contains { $0.contains("below popularity") && $0.contains("subsample") }, "\(collapsed.warnings)")
        let fixed = try row(scaled: true)
        XCTAssertGreaterThanOrEqual(fixed.metrics.recall, popularity.recall)
        XCTAssertEqual(fixed.warnings, [])
        XCTAssertEqual(MethodConfigs().effectiveSubsample(1e-3, items: 60), 10.0 / 60)
        XCTAssertEqual(MethodConfigs().effectiveSubsample(1e-3, items: 100_000), 1e-3)
        XCTAssertEqual(MethodConfigs().effectiveSubsample(0, items: 60), 0)
    }

    func testPublishGateRefusesACollapsedCandidateUnlessForced() throws {
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
        _ = try store.publish(storeTestInput(rows: 50, dim: 8, seed: 1, metrics: ["recall@20": 0.30]))
        let collapsed = storeTestInput(rows: 50, dim: 8, seed: 1, metrics: ["recall@20": 0.29, "popularity_recall@20": 0.5])
        XCTAssertThrowsError(try store.publish(collapsed, gate: PublishGate())) { error in
            guard case let StoreError.gateRefused(_, reasons) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reasons.contains { $0.contains("below the popularity baseline") }, "\(reasons)")
        }
        XCTAssertEqual(try store.currentVersion(), "v000001")
        var lenient = PublishGate()
        lenient.refuseCollapse = false
        XCTAssertEqual(try store.publish(collapsed, gate: lenient).version, "v000002")
        XCTAssertEqual(Guards.collapseReasons(metrics: ["recall@20": 0.3, "coverage@20": 0.01], recallKey: "recall@20").count, 1)
        XCTAssertEqual(Guards.collapseReasons(metrics: ["recall@20": 0.3, "popularity_recall@20": 0.2, "coverage@20": 0.3], recallKey: "recall@20"), [])
    }

    /// Training with evaluation stores popularity's recall on the same cases beside the model's, so
    /// a published version carries what the gate's collapse check compares.
    func testTrainAndEvaluateStoresPopularityRecallForTheGate() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (60, 40, 200, 8)
        let w = try SyntheticWorkload(config: config)
        var settings = Defaults.standard
        settings.excludeSeen = false
        let result = try TrainedModel.trainAndEvaluate(.ppmiSVD, on: w.events, protocol: .leaveLastOut, settings: settings, threads: 1)
        let stored = try XCTUnwrap(result.model.info.metrics)
        let popularity = Evaluator.popularity(result.scoredCases, k: 20, popularity: result.split.training.counts())
        XCTAssertEqual(stored["popularity_recall@20"], popularity.recall)
        XCTAssertEqual(stored["recall@20"], result.metrics.recall)
    }

    /// The tuner carves validation from the training part (no test target is ever trained on or
    /// validated on), and with a trial limit and one thread it picks the same configuration twice.
    func testTunerIsDeterministicUnderATrialLimitAndKeepsTestOut() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (80, 40, 300, 8)
        let workload = try SyntheticWorkload(config: config)
        var options = TuneOptions()
        options.families = [.ppmiSVD, .item2vec]
        options.maxTrials = 14
        options.easeLambdas = [10, 100]
        func run() throws -> TuneReport {
            var start = MethodConfigs.tuned(seed: 3)
            start.item2vec.epochs = 1
            return try Tuner.tune(workload.events, sessions: .sessionColumn, content: workload.content, start: start, excludeSeen: false,
                                  options: options, seed: 3, threads: 1)
        }
        let a = try run(), b = try run()
        XCTAssertEqual(a.trials.count, 14)
        XCTAssertTrue(a.budgetExhausted)
        XCTAssertEqual(a.trials.map(\.summary), b.trials.map(\.summary))
        XCTAssertEqual(a.trials.map(\.validationRecall), b.trials.map(\.validationRecall))
        XCTAssertEqual(a.families.map(\.candidate.summary), b.families.map(\.candidate.summary))
        XCTAssertEqual(a.families.map(\.test.recall), b.families.map(\.test.recall))
        // Validation cases: one per user with at least 3 events (2 to split twice); test: one per user with 2.
        let users = workload.events.userCounts()
        XCTAssertEqual(a.testCases, users.filter { $0 >= 2 }.count)
        XCTAssertEqual(a.validationCases, users.filter { $0 >= 3 }.count)
        XCTAssertEqual(a.baselines.map(\.name), ["Popularity", "Random", "Transition", "Item-kNN", "EASE"])
        // Each reported family's validation figure is the best any of its trials reached.
        for family in a.families {
            let best = a.trials.filter { $0.method == family.candidate.method }.map(\.validationRecall).max()
            XCTAssertEqual(family.validation.recall, best ?? -1, accuracy: 1e-12)
        }
    }

    /// The basket log: one timestamp per basket, distinct items, every event of the workload's
    /// sessions kept once per basket.
    func testBasketLogHoldsOutAnItemOfTheLastBasket() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (20, 30, 60, 6)
        let w = try SyntheticWorkload(config: config)
        let baskets = try w.basketLog(seed: 5)
        var perBasket: [Int32: Set<Int64>] = [:], items: [Int32: [Int32]] = [:]
        for e in 0 ..< baskets.count {
            perBasket[baskets.sessions![e], default: []].insert(baskets.timestamps[e])
            items[baskets.sessions![e], default: []].append(baskets.items[e])
        }
        XCTAssertTrue(perBasket.values.allSatisfy { $0.count == 1 })
        XCTAssertTrue(items.values.allSatisfy { Set($0).count == $0.count })
        for s in 0 ..< w.sessions.sessionCount { XCTAssertEqual(Set(items[Int32(s)] ?? []), Set(w.sessions.session(s))) }
        let split = try baskets.splitLeaveLastOut(ties: .fileOrder)
        XCTAssertEqual(split.test.count, baskets.userCounts().filter { $0 >= 2 }.count)
    }
}
