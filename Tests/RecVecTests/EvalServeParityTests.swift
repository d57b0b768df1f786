import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Serving ranks exactly as evaluation did: a model trained on a log and evaluated on its
/// held-out part, then published, returns through `Recommender` (rules off, seen excluded) the
/// list the evaluator scored for each held-out user: identical with exact search, recall@K of at
/// least 0.99 against it through HNSW.
final class EvalServeParityTests: XCTestCase {
    /// A small synthetic log: 300 users, 120 items, 1200 sessions of 8 events.
    func makeLog() throws -> (EventLog, [ContentModality]) {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength, config.threads) = (300, 120, 1200, 8, 1)
        let workload = try SyntheticWorkload(config: config)
        return (workload.events, workload.content)
    }

    func served(_ version: StoreVersion, case c: EvalCase, ids: [String], k: Int, efSearch: Int? = nil) throws -> RecommendResponse {
        var config = RecommenderConfig()
        config.efSearch = efSearch
        let recommender = try Recommender(version: version, config: config)
        var rules = RecommendRules()
        rules.excludeSeen = true
        // The evaluator excludes every item the user saw, even beyond the history a user vector reads.
        rules.blocklist = Set(c.exclude.map { ids[Int($0)] })
        return try recommender.recommend(.history(c.history.map { ids[Int($0)] }), k: k, rules: rules)
    }

    /// Publishes `method` trained and evaluated under `settings` (and the popularity prior) and
    /// checks the served lists against the evaluated ones; returns the evaluated lists, the cases
    /// and the exact version.
    @discardableResult
    func check(_ method: Method, protocol leakFree: HoldOut, settings: Defaults, popularityPrior: Float = 0) throws -> (lists: [[String]], cases: [EvalCase], version: StoreVersion) {
        let (log, content) = try makeLog()
        let (model, _, cases, lists, metrics) = try TrainedModel.trainAndEvaluate(method, on: log, protocol: leakFree, content: content,
                                                                                   settings: settings, popularityPrior: popularityPrior,
                                                                                   threads: 1)
        XCTAssertGreaterThan(metrics.recall, 0, "a model that hits nothing makes the comparison empty")
        let ids = log.itemIDs.ids
        let k = settings.k
        let dir = try TestSupport.temporaryDirectory(self).path
        let exact = try EmbeddingStore(path: dir + "/exact", create: true)
        _ = try exact.publish(model.publishInput(index: nil))
        let exactVersion = try exact.open()
        XCTAssertEqual(exactVersion.manifest.metrics["recall@\(k)"], metrics.recall)
        XCTAssertEqual(exactVersion.manifest.popularityPrior ?? 0, popularityPrior, "the manifest records the prior evaluated with")
        let hnswConfig = HNSWConfig()
        let approximate = try EmbeddingStore(path: dir + "/hnsw", create: true)
        _ = try approximate.publish(model.publishInput(index: hnswConfig), threads: 1)
        let hnswVersion = try approximate.open()

        // Every 3rd held-out case (the sample), at least 50 of them.
        let sample = stride(from: 0, to: cases.count, by: 3).filter { !cases[$0].history.isEmpty }
        XCTAssertGreaterThanOrEqual(sample.count, 50)
        var found = 0, wanted = 0
        for i in sample {
            let response = try served(exactVersion, case: cases[i], ids: ids, k: k)
            XCTAssertNil(response.fallback)
            XCTAssertEqual(response.items.map(\.item), lists[i], "\(method.rawValue): case \(i) ranks differently when served")
            let viaIndex = try served(hnswVersion, case: cases[i], ids: ids, k: k, efSearch: 64)
            found += Set(viaIndex.items.map(\.item)).intersection(lists[i]).count
            wanted += lists[i].count
        }
        let recall = Double(found) / Double(max(wanted, 1))
        XCTAssertGreaterThanOrEqual(recall, 0.99, "\(method.rawValue): HNSW recall@\(k) of the served lists against the evaluated ones")
        return (lists, cases, exactVersion)
    }

    /// A version evaluated with a popularity prior (beta > 0) is served with it: exact search
    /// returns the evaluated list for every sampled case, and those lists differ from the ones
    /// the same model ranks without the prior (so a server ignoring beta would fail the check).
    /// Through HNSW the K' nearest by the plain score and the K' most popular items are re-ranked
    /// with the prior (recall at least 0.99 of the evaluated lists, as without a prior).
    func testPopularityPriorIsServedAsEvaluated() throws {
        // Cosine (seed preset: one matrix, rows and query normalised before the log-count column) and asymmetric dot (tuned).
        for (method, preset, beta) in [(Method.item2vec, Preset.seed, Float(0.3)), (.ppmiSVD, .tuned, 0.1)] {
            var settings = Defaults.standard
            settings.userVectorRule = .meanOfLast(3)
            settings.preset = preset
            let withPrior = try check(method, protocol: .leaveLastOut, settings: settings, popularityPrior: beta)
            let without = try check(method, protocol: .leaveLastOut, settings: settings)
            let differing = zip(withPrior.lists, without.lists).filter { $0 != $1 }.count
            XCTAssertGreaterThan(differing, withPrior.lists.count / 10, "\(method.rawValue): beta \(beta) should change many lists")
            XCTAssertEqual(withPrior.version.manifest.popularityPrior, beta)
            XCTAssertEqual(withPrior.version.manifest.metric, preset == .seed ? .cosine : .dot)
            XCTAssertNil(without.version.manifest.popularityPrior, "beta 0 is not recorded: the manifest is the one published before priors")
        }
    }

    /// beta = 0 leaves serving as it was: a version whose manifest has no popularityPrior key (as
    /// every version published before it existed) opens and answers exactly as one published with
    /// an explicit 0.
    func testZeroPriorAndAbsentPriorServeTheSame() throws {
        let (log, _) = try makeLog()
        let (model, _, cases, lists, _) = try TrainedModel.trainAndEvaluate(.ppmiSVD, on: log, protocol: .leaveLastOut, threads: 1)
        let dir = try TestSupport.temporaryDirectory(self).path
        var input = model.publishInput(index: nil)
        input.popularityPrior = 0
        let store = try EmbeddingStore(path: dir, create: true)
        _ = try store.publish(input)
        let version = try store.open()
        let text = try String(contentsOfFile: version.path + "/" + Manifest.fileName, encoding: .utf8)
        XCTAssertFalse(text.contains("popularityPrior"), "beta 0 leaves the manifest as older versions wrote it")
        let ids = log.itemIDs.ids
        for i in stride(from: 0, to: cases.count, by: 7) where !cases[i].history.isEmpty {
            XCTAssertEqual(try served(version, case: cases[i], ids: ids, k: 20).items.map(\.item), lists[i])
        }
    }

    /// A publish with a prior but without the training counts it applies to is refused, naming it.
    func testPriorWithoutCountsIsRefused() throws {
        let (log, _) = try makeLog()
        let (model, _, _, _, _) = try TrainedModel.trainAndEvaluate(.ppmiSVD, on: log, protocol: .leaveLastOut, popularityPrior: 0.2, threads: 1)
        var input = model.publishInput(index: nil)
        input.popularity = nil
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path, create: true)
        XCTAssertThrowsError(try store.publish(input)) { error in
            XCTAssertTrue("\(error)".contains("popularityPrior") && "\(error)".contains("0.2"), "\(error)")
        }
    }

    func testLeaveLastOutAsymmetricDot() throws {
        // tuned: PPMI+SVD by dot of U·S^½ and V·S^½, the user vector recency-weighted over the last 5.
        try check(.ppmiSVD, protocol: .leaveLastOut, settings: Defaults.standard)
    }

    func testTimeCutoffCosineItem2Vec() throws {
        var settings = Defaults.standard
        settings.preset = .seed
        settings.shared.epochs = 2
        settings.userVectorRule = .meanOfLast(3)
        let (log, _) = try makeLog()
        // Later events' histories hold items without training events: serving skips them as the evaluator does.
        try check(.item2vec, protocol: .timeCutoff(try HoldOut.defaultCutoff(log)), settings: settings)
    }

    func testFusedKeepsEveryItem() throws {
        var settings = Defaults.standard
        settings.k = 10
        try check(.fused, protocol: .leaveLastOut, settings: settings)
    }

    /// `eval --vectors` scores the folder `train --out` wrote by the same path: the same recall.
    func testEvaluatingWrittenVectorsGivesTheSameMetrics() throws {
        let (log, _) = try makeLog()
        let (model, _, cases, _, metrics) = try TrainedModel.trainAndEvaluate(.ppmiSVD, on: log, protocol: .leaveLastOut, threads: 1)
        let dir = try TestSupport.temporaryDirectory(self).path + "/model"
        try model.write(to: dir)
        let read = try TrainedModel.read(from: dir)
        XCTAssertEqual(read.ids, model.ids)
        XCTAssertEqual(read.popularity, model.popularity)
        XCTAssertEqual(read.info, model.info)
        let again = try TrainedModel.evaluate(read.retrieval, ids: read.ids, on: log, protocol: .leaveLastOut, settings: read.info.settings, threads: 1)
        XCTAssertEqual(again.metrics.recall, metrics.recall)
        XCTAssertEqual(again.metrics.ndcg, metrics.ndcg)
        XCTAssertEqual(again.metrics.mrr, metrics.mrr)
        let rows = Set(model.ids)
        XCTAssertEqual(again.unknownTargets, cases.filter { !rows.contains(log.itemIDs.ids[Int($0.target)]) }.count)
        // Writing over an existing folder is refused and leaves it as it was.
        XCTAssertThrowsError(try model.write(to: dir))
        XCTAssertEqual(try TrainedModel.read(from: dir).ids, model.ids)
    }

    func testCutoffOutsideTheLogIsAnErrorNamingTheRange() throws {
        let (log, _) = try makeLog()
        let first = log.timestamps.min()!, last = log.timestamps.max()!
        for cutoff in [first, first - 100, last + 1] {
            XCTAssertThrowsError(try TrainedModel.trainAndEvaluate(.ppmiSVD, on: log, protocol: .timeCutoff(cutoff), threads: 1)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("(\(cutoff))") && text.contains("(\(first))") && text.contains("(\(last))"), text)
            }
        }
    }
}
