import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// The online path over versions without an ANN index (exact retrieval), so that every stage
/// can be checked against a plain-Swift oracle; ServeIndexTests covers HNSW retrieval.
final class ServeTests: XCTestCase {
    /// Cosine in Double: the oracle.
    func cosine(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return na == 0 || nb == 0 ? 0 : dot / (na.squareRoot() * nb.squareRoot())
    }

    func publishOne(rows: Int = 60, dim: Int = 8, seed: UInt64 = 1, metric: Metric = .cosine) throws -> StoreVersion {
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
        var input = storeTestInput(rows: rows, dim: dim, seed: seed)
        input.metric = metric
        _ = try store.publish(input)
        return try store.open()
    }

    /// Scores from the C kernel in float vs this Double oracle: for unit-normalised vectors
    /// of dimension 8 each product term is below 1 in magnitude, so the float error is about
    /// 8 x 2^-24 per dot plus normalisation, well under 1e-5.
    let scoreTolerance: Float = 1e-5

    func testRecommendMatchesExactSearchExcludingSeen() throws {
        let version = try publishOne()
        var config = RecommenderConfig()
        config.userVectorRule = .meanOfLast(1)
        let recommender = try Recommender(version: version, config: config)
        for item in ["item3", "item17", "item59"] {
            let response = try recommender.recommend(.history(["item0", item]), k: 7)
            let query = version.vectors.row(Int(version.row(of: item)!))
            let oracle = (0 ..< version.count).filter { version.ids[$0] != item && version.ids[$0] != "item0" }
                .map { ($0, cosine(query, version.vectors.row($0))) }
                .sorted { $0.1 > $1.1 }.prefix(7)
            XCTAssertEqual(response.items.map(\.item), oracle.map { version.ids[$0.0] })
            for (got, want) in zip(response.items, oracle) { XCTAssertEqual(got.score, Float(want.1), accuracy: scoreTolerance) }
            XCTAssertEqual(response.version, "v000001")
            XCTAssertEqual(response.excludedAtRetrieval, 2)
        }
        // Seen items come back when allowed: the query item itself is its own best match.
        var rules = RecommendRules()
        rules.excludeSeen = false
        XCTAssertEqual(try recommender.recommend(.history(["item5"]), k: 1, rules: rules).items.map(\.item), ["item5"])
    }

    func testUserVectorRuleIsTheSharedOne() throws {
        let version = try publishOne()
        var config = RecommenderConfig()
        config.userVectorRule = .recencyWeighted(count: 3, decay: 0.5)
        let recommender = try Recommender(version: version, config: config)
        let history = ["item1", "item2", "item3", "item4"]
        let user = recommender.userVectorRule.vector(history: history.map { version.row(of: $0)! }, items: version.vectors.matrix())!
        let response = try recommender.recommend(.history(history), k: 5)
        let oracle = (0 ..< version.count).filter { !history.contains(version.ids[$0]) }
            .map { ($0, cosine(user, version.vectors.row($0))) }.sorted { $0.1 > $1.1 }.prefix(5)
        XCTAssertEqual(response.items.map(\.item), oracle.map { version.ids[$0.0] })
    }

    /// A version with query-side vectors builds user vectors from them and ranks item-side rows.
    func testQuerySideVectorsBuildTheUserVector() throws {
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
        var input = storeTestInput(rows: 60, dim: 8, seed: 1)
        input.queryVectors = storeTestInput(rows: 60, dim: 8, seed: 2).vectors
        _ = try store.publish(input)
        let version = try store.open(verify: .full)
        XCTAssertEqual(version.queryVectors?.matrix(), input.queryVectors)
        let response = try Recommender(version: version).recommend(.history(["item3"]), k: 6)
        let query = input.queryVectors!.row(3)
        let oracle = (0 ..< 60).filter { $0 != 3 }.map { ($0, cosine(query, version.vectors.row($0))) }.sorted { $0.1 > $1.1 }.prefix(6)
        XCTAssertEqual(response.items.map(\.item), oracle.map { version.ids[$0.0] })

        input.queryVectors = storeTestInput(rows: 59, dim: 8, seed: 2).vectors
        assertThrows(StoreError.countMismatch(file: "query vectors", expected: 60, found: 59)) { _ = try store.publish(input) }
        input.queryVectors = storeTestInput(rows: 60, dim: 4, seed: 2).vectors
        assertThrows(StoreError.dimensionMismatch(file: "query vectors", expected: 8, found: 4)) { _ = try store.publish(input) }
        XCTAssertEqual(try store.versions(), ["v000001"])
    }

    func testHardRulesBlockAllowAndRequiredAttributes() throws {
        let version = try publishOne()
        let catalog = Catalog(entries: version.ids.enumerated().map { row, id in
            (id, Catalog.Entry(category: "c\(row % 3)", popularity: Double(row), attributes: row % 2 == 0 ? ["even"] : ["odd"]))
        })
        let recommender = try Recommender(version: version, catalog: catalog)
        let plain = try recommender.recommend(.history(["item10"]), k: 10)
        var rules = RecommendRules()
        rules.blocklist = Set(plain.items.prefix(3).map(\.item) + ["not-in-the-model"])
        let blocked = try recommender.recommend(.history(["item10"]), k: 10, rules: rules)
        XCTAssertTrue(Set(blocked.items.map(\.item)).isDisjoint(with: rules.blocklist))
        XCTAssertEqual(Array(blocked.items.prefix(7)), Array(plain.items.dropFirst(3)))

        rules = RecommendRules()
        rules.allowlist = ["item1", "item2", "item3", "item10"]
        let allowed = try recommender.recommend(.history(["item10"]), k: 10, rules: rules)
        XCTAssertEqual(Set(allowed.items.map(\.item)), ["item1", "item2", "item3"])

        rules = RecommendRules()
        rules.requiredAttributes = ["odd"]
        let odd = try recommender.recommend(.history(["item10"]), k: 10, rules: rules)
        XCTAssertEqual(odd.items.count, 10)
        XCTAssertTrue(odd.items.allSatisfy { Int($0.item.dropFirst(4))! % 2 == 1 })
        rules.requiredAttributes = ["no-item-has-this"]
        XCTAssertEqual(try recommender.recommend(.history(["item10"]), k: 10, rules: rules).items, [])
    }

    func testCategoryCapAndExplain() throws {
        let version = try publishOne()
        let catalog = Catalog(entries: version.ids.enumerated().map { row, id in (id, Catalog.Entry(category: "c\(row % 3)")) })
        let recommender = try Recommender(version: version, catalog: catalog)
        var rules = RecommendRules()
        rules.maxPerCategory = 2
        let response = try recommender.recommend(.history(["item10"]), k: 5, rules: rules, explain: true)
        // Three categories, at most two each: 5 items, and the oracle is the greedy walk down the exact ranking.
        var counts: [String: Int] = [:]
        var expected: [String] = []
        let plain = try recommender.recommend(.history(["item10"]), k: 50, explain: true)
        for item in plain.items.map(\.item) where expected.count < 5 {
            let category = catalog.entries[item]!.category!
            if counts[category, default: 0] < 2 { counts[category, default: 0] += 1; expected.append(item) }
        }
        XCTAssertEqual(response.items.map(\.item), expected)
        let trace = try XCTUnwrap(response.trace)
        XCTAssertEqual(trace.filter(\.kept).sorted { $0.rank! < $1.rank! }.map(\.item), expected)
        let capped = trace.filter { $0.stage == "rules" }
        XCTAssertFalse(capped.isEmpty)
        for t in capped {
            XCTAssertTrue(t.reason.contains("already has 2"), t.reason)
            // A capped item scored at least as high as the last kept one: the cap, not the score, dropped it.
            XCTAssertGreaterThanOrEqual(t.finalScore, response.items.last!.score)
        }
        XCTAssertTrue(trace.filter { $0.stage == "ranking" }.allSatisfy { $0.finalScore <= response.items.last!.score })
        XCTAssertEqual(trace.map(\.annRank), Array(1 ... trace.count))
    }

    func testPopularityPenaltyReordersByPenalisedScore() throws {
        let version = try publishOne()
        let catalog = Catalog(entries: version.ids.enumerated().map { row, id in (id, Catalog.Entry(popularity: Double(row * row))) })
        var config = RecommenderConfig()
        config.popularityPenalty = 0.3
        let recommender = try Recommender(version: version, catalog: catalog, config: config)
        let response = try recommender.recommend(.history(["item7"]), k: 8, explain: true)
        let query = version.vectors.row(7)
        let maxLog = log1p(Double(59 * 59))
        // The oracle scores every item, so retrieval depth does not matter as long as the top 8
        // of the penalised ranking are among the K' = 50 exact candidates (checked below).
        let oracle = (0 ..< version.count).filter { $0 != 7 }
            .map { ($0, cosine(query, version.vectors.row($0)) - 0.3 * log1p(Double($0 * $0)) / maxLog) }
            .sorted { $0.1 > $1.1 }.prefix(8)
        XCTAssertEqual(response.items.map(\.item), oracle.map { version.ids[$0.0] })
        for (got, want) in zip(response.items, oracle) { XCTAssertEqual(got.score, Float(want.1), accuracy: scoreTolerance) }
        let trace = try XCTUnwrap(response.trace)
        XCTAssertTrue(trace.contains { $0.popularityPenalty > 0 })
    }

    func testDiversityFollowsMMR() throws {
        let version = try publishOne()
        var config = RecommenderConfig()
        config.diversity = 0.4
        let recommender = try Recommender(version: version, config: config)
        let response = try recommender.recommend(.history(["item20"]), k: 6)
        // Oracle: greedy MMR over the same 50 candidates the exact retrieval returns.
        let query = version.vectors.row(20)
        let candidates = (0 ..< version.count).filter { $0 != 20 }.map { ($0, cosine(query, version.vectors.row($0))) }
            .sorted { $0.1 > $1.1 }.prefix(50).map(\.0)
        var picked: [Int] = []
        var remaining = candidates
        while picked.count < 6 {
            let best = remaining.max { a, b in
                func mmr(_ i: Int) -> Double {
                    let similarity = picked.map { cosine(version.vectors.row(i), version.vectors.row($0)) }.max() ?? 0
                    return 0.6 * cosine(query, version.vectors.row(i)) - 0.4 * similarity
                }
                return mmr(a) < mmr(b)
            }!
            picked.append(best)
            remaining.removeAll { $0 == best }
        }
        XCTAssertEqual(response.items.map(\.item), picked.map { version.ids[$0] })
        let plain = try Recommender(version: version).recommend(.history(["item20"]), k: 6)
        XCTAssertEqual(response.items.first, plain.items.first)
        XCTAssertNotEqual(response.items.map(\.item), plain.items.map(\.item), "diversity 0.4 changed nothing: the test checks nothing")
    }

    func testKnownUsersAndBadRequests() throws {
        let version = try publishOne()
        let recommender = try Recommender(version: version, histories: ["u1": ["item4", "item9"]])
        XCTAssertEqual(try recommender.recommend(.user("u1"), k: 5), try recommender.recommend(.history(["item4", "item9"]), k: 5))
        assertThrows(ServeError.unknownUser(id: "u2")) { _ = try recommender.recommend(.user("u2"), k: 5) }
        assertThrows(ServeError.invalidArgument(name: "k", value: "0", expected: "1 ... 1048576")) { _ = try recommender.recommend(.history(["item1"]), k: 0) }
        assertThrows(ServeError.invalidArgument(name: "k", value: "-3", expected: "1 ... 1048576")) { _ = try recommender.recommend(.history(["item1"]), k: -3) }
        assertThrows(ServeError.emptyHistory) { _ = try recommender.recommend(.history([]), k: 5) }
        var rules = RecommendRules()
        rules.maxPerCategory = 0
        assertThrows(ServeError.invalidArgument(name: "maxPerCategory", value: "0", expected: ">= 1")) {
            _ = try recommender.recommend(.history(["item1"]), k: 5, rules: rules)
        }
        var config = RecommenderConfig()
        config.diversity = 1
        XCTAssertThrowsError(try Recommender(version: version, config: config))
        // k beyond the catalog: every other item, once.
        XCTAssertEqual(try recommender.recommend(.history(["item1"]), k: 500).items.count, 59)
    }

    func testStaleness() throws {
        let version = try publishOne(rows: 10)
        let catalog = Catalog(entries: (5 ..< 15).map { ("item\($0)", Catalog.Entry()) })
        let report = version.staleness(catalog: catalog, now: version.manifest.createdAt.addingTimeInterval(3600))
        XCTAssertEqual(report.missingCount, 5)
        XCTAssertEqual(report.missingSample, ["item10", "item11", "item12", "item13", "item14"])
        XCTAssertEqual(report.catalogItems, 10)
        XCTAssertEqual(report.ageSeconds, 3600, accuracy: 1e-6)
    }
}
