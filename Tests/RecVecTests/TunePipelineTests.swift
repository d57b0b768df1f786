import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Tuning as `recvec pipeline --tune` runs it (`TrainedModel.tuneAndEvaluate`), the time-cutoff
/// protocol of the tuner, and the content-only family choosing a popularity prior.
final class TunePipelineTests: XCTestCase {
    func makeWorkload(users: Int = 80, items: Int = 40, sessions: Int = 300, heavyHead: Bool = false) throws -> SyntheticWorkload {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength, config.threads) = (users, items, sessions, 8, 1)
        // A few head items take most events (popularity is then a strong baseline).
        if heavyHead { (config.popularityExponent, config.preferenceShare) = (0.6, 0.3) }
        return try SyntheticWorkload(config: config)
    }

    /// The published model is the chosen configuration refitted on the training part: its
    /// metrics are the tuner's test figures (the same code path), it ranks by the chosen rule and
    /// prior, the validation figures are stored beside, and two runs under one seed, one thread
    /// and a trial limit choose and publish the same thing.
    func testTuneAndEvaluatePublishesTheRefittedChoiceDeterministically() throws {
        let workload = try makeWorkload()
        var settings = Defaults.standard
        settings.seed = 5
        settings.shared.epochs = 1
        var options = TuneOptions()
        options.maxTrials = 12
        options.baselines = false
        func run() throws -> (model: TrainedModel, report: TuneReport, lists: [[String]], metrics: RankingMetrics) {
            try TrainedModel.tuneAndEvaluate(.item2vec, on: workload.events, protocol: .leaveLastOut, content: workload.content,
                                             settings: settings, options: options, threads: 1)
        }
        let a = try run(), b = try run()
        let family = try XCTUnwrap(a.report.families.first)
        XCTAssertEqual(a.report.families.map(\.candidate.method), [.item2vec], "pipeline tunes its own method only")
        XCTAssertEqual(a.report.baselines.map(\.name), ["Popularity"], "baselines off: popularity only, the guards' bar")
        XCTAssertEqual(a.report.trials.count, 12)
        XCTAssertEqual(a.metrics.recall, family.test.recall, "published metrics = the tuner's test figure")
        XCTAssertEqual(a.model.info.metrics?["recall@20"], family.test.recall)
        XCTAssertEqual(a.model.info.metrics?["validation_recall@20"], family.validation.recall)
        XCTAssertNotNil(a.model.info.metrics?[Guards.popularityRecallKey(k: 20)])
        XCTAssertEqual(a.model.info.userVectorRule, family.candidate.rule)
        XCTAssertEqual(a.model.retrieval.popularityPrior, family.candidate.popularityPrior)
        XCTAssertEqual(a.model.info.popularityPrior ?? 0, family.candidate.popularityPrior)
        XCTAssertEqual(a.model.info.tuning?["chosen"], family.candidate.summary)
        XCTAssertEqual(a.model.info.tuning?["hyperparameters"], family.candidate.configs.summary)
        let input = a.model.publishInput(index: nil)
        XCTAssertEqual(input.configuration["tuning.chosen"], family.candidate.summary)
        XCTAssertEqual(input.configuration["hyperparameters"], family.candidate.configs.summary)
        // Deterministic.
        XCTAssertEqual(a.model.info.tuning?["chosen"], b.model.info.tuning?["chosen"])
        XCTAssertEqual(a.model.retrieval.itemVectors, b.model.retrieval.itemVectors)
        XCTAssertEqual(a.lists, b.lists)
    }

    /// Under time-cutoff the tuner tests on the events at or after the cutoff and validates on the
    /// last time slice of the training part (its own 85% quantile).
    func testTimeCutoffCarvesTheLastTimeSliceOfTrainingForValidation() throws {
        let workload = try makeWorkload()
        let log = workload.events
        let cutoff = try HoldOut.defaultCutoff(log)
        var options = TuneOptions()
        options.families = [.ppmiSVD]
        options.maxTrials = 4
        options.baselines = false
        var start = MethodConfigs.tuned(seed: 3)
        start.ppmiSVD.dimension = 8
        let report = try Tuner.tune(log, protocol: .timeCutoff(cutoff), sessions: .sessionColumn, content: [], start: start,
                                    excludeSeen: true, options: options, seed: 3, threads: 1)
        XCTAssertEqual(report.holdOut, .timeCutoff(cutoff))
        let split = try EvalCases.holdOut(log, protocol: .timeCutoff(cutoff), sessions: .sessionColumn, excludeSeen: true)
        XCTAssertEqual(report.testCases, split.cases.count)
        XCTAssertTrue(split.trainLog.timestamps.allSatisfy { $0 < cutoff })
        let validationCutoff = try HoldOut.defaultCutoff(split.trainLog)
        XCTAssertLessThan(validationCutoff, cutoff)
        let validation = try EvalCases.holdOut(split.trainLog, protocol: .timeCutoff(validationCutoff), sessions: .sessionColumn,
                                                    excludeSeen: true)
        XCTAssertGreaterThan(validation.cases.count, 0)
        XCTAssertEqual(report.validationCases, validation.cases.count)
        XCTAssertNotEqual(report.validationCases, try EvalCases.holdOut(split.trainLog, protocol: .leaveLastOut, sessions: .sessionColumn,
                                                                            excludeSeen: true).cases.count,
                          "not leave-last-out's validation: one case per user")
    }

    /// Content that says nothing about behaviour (random vectors): the content-only family alone
    /// ranks near random, and tuning gives it a popularity prior that brings its validation
    /// figure to popularity's level (within two validation cases: equal counts are ordered by
    /// the content score rather than by row).
    func testContentOnlyFamilyChoosesAPriorAndReachesPopularity() throws {
        let workload = try makeWorkload(users: 200, items: 80, sessions: 800, heavyHead: true)
        var random = SplitMix64(seed: 11)
        let noise = try Matrix(rows: workload.events.itemIDs.count, cols: 8,
                               values: (0 ..< workload.events.itemIDs.count * 8).map { _ in Float(random.unit()) - 0.5 })
        var options = TuneOptions()
        options.families = [.content]
        options.maxTrials = 40
        let report = try Tuner.tune(workload.events, sessions: .sessionColumn, content: [ContentModality(name: "noise", vectors: noise)],
                                    start: MethodConfigs.tuned(seed: 3), excludeSeen: true, options: options, seed: 3, threads: 1)
        let content = try XCTUnwrap(report.families.first { $0.candidate.method == .content })
        let popularity = try XCTUnwrap(report.baselines.first { $0.name == "Popularity" }?.validation)
        let start = try XCTUnwrap(report.trials.first { $0.method == .content }).validationRecall
        XCTAssertLessThan(start, popularity.recall, "random content alone should rank below popularity here")
        XCTAssertGreaterThan(content.candidate.popularityPrior, 0)
        XCTAssertGreaterThanOrEqual(content.validation.recall, popularity.recall - 2.0 / Double(report.validationCases))
    }
}
