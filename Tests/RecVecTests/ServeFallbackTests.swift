import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// What the manifest tells the recommender (metric, scoring, user-vector rule, training counts),
/// unknown items, the popularity fallback, rules that need a catalog, and `mostSimilar`.
final class ServeFallbackTests: XCTestCase {
    /// 60 items, dimension 8, exact search; counts with ties (row i: (i * 7) % 13).
    func publish(popularity: Bool = true, rule: UserVectorRule? = nil, index: HNSWConfig? = nil) throws -> StoreVersion {
        let store = try EmbeddingStore(path: try TestSupport.temporaryDirectory(self).path + "/store", create: true)
        var input = storeTestInput(rows: 60, dim: 8, seed: 3, index: index)
        input.metric = .dot
        input.scoring = .asymmetricDot
        input.userVectorRule = rule
        input.defaults = Defaults.standard
        if popularity { input.popularity = (0 ..< 60).map { ($0 * 7) % 13 } }
        _ = try store.publish(input)
        return try store.open()
    }

    /// Rows by count, descending; ties by lower row: the oracle of the fallback.
    let popularOrder: [Int] = (0 ..< 60).sorted { a, b in
        let (ca, cb) = ((a * 7) % 13, (b * 7) % 13)
        return ca != cb ? ca > cb : a < b
    }

    /// The exact dot-product ranking of `user` over the items not in `seen`.
    func oracle(_ version: StoreVersion, user: [Float], excluding seen: Set<Int>, k: Int) -> [String] {
        func dot(_ i: Int) -> Double {
            var sum = 0.0
            for (a, b) in zip(user, version.vectors.row(i)) { sum += Double(a) * Double(b) }
            return sum
        }
        let scored: [(Int, Double)] = (0 ..< version.count).filter { !seen.contains($0) }.map { ($0, dot($0)) }
        let ranked = scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return ranked.prefix(k).map { version.ids[$0.0] }
    }

    func testManifestRecordsHowTheModelScores() throws {
        let version = try publish(rule: .recencyWeighted(count: 3, decay: 0.5))
        XCTAssertEqual(version.manifest.metric, .dot)
        XCTAssertEqual(version.manifest.scoring, .asymmetricDot)
        XCTAssertEqual(version.manifest.userVectorRule, .recencyWeighted(count: 3, decay: 0.5))
        XCTAssertEqual(version.manifest.defaults, Defaults.standard)
        XCTAssertEqual(try XCTUnwrap(version.popularity).values.map(Int.init), (0 ..< 60).map { ($0 * 7) % 13 })
        // The rule is stored as text a person can read.
        let text = try String(contentsOfFile: version.path + "/" + Manifest.fileName, encoding: .utf8)
        XCTAssertTrue(text.contains("\"userVectorRule\" : \"recency:3:0.5\""), text)
    }

    func testRecommenderUsesTheManifestRuleUnlessTold() throws {
        let rule = UserVectorRule.meanOfLast(3)
        let version = try publish(rule: rule)
        let history = ["item1", "item2", "item3", "item4", "item5"]
        let rows = history.map { version.row(of: $0)! }
        let seen = Set(rows.map(Int.init))
        let byManifest = try Recommender(version: version).recommend(.history(history), k: 8)
        let expected = oracle(version, user: rule.vector(history: rows, items: version.vectors.matrix())!, excluding: seen, k: 8)
        XCTAssertEqual(byManifest.items.map(\.item), expected)
        var config = RecommenderConfig()
        config.userVectorRule = .meanOfLast(1)
        let lastOnly = try Recommender(version: version, config: config).recommend(.history(history), k: 8)
        XCTAssertEqual(lastOnly.items.map(\.item),
                       oracle(version, user: Array(version.vectors.row(Int(rows.last!))), excluding: seen, k: 8))
        XCTAssertNotEqual(lastOnly.items.map(\.item), byManifest.items.map(\.item), "the two rules agree here: the test checks nothing")
        // A version without a recorded rule uses the one default.
        XCTAssertEqual(try Recommender(version: try publish(rule: nil)).userVectorRule, Defaults.standard.userVectorRule)
    }

    func testUnknownItemsAreSkippedAndReported() throws {
        let version = try publish(rule: .meanOfLast(5))
        let recommender = try Recommender(version: version)
        let mixed = try recommender.recommend(.history(["nope", "item1", "gone", "item9", "nope"]), k: 6)
        let known = try recommender.recommend(.history(["item1", "item9"]), k: 6)
        XCTAssertEqual(mixed.items, known.items)
        XCTAssertEqual(mixed.unknownItems, ["nope", "gone"])
        XCTAssertNil(mixed.fallback)
        XCTAssertEqual(known.unknownItems, [])
    }

    func testEmptyOrUnknownHistoryFallsBackToTrainingPopularity() throws {
        let version = try publish()
        let recommender = try Recommender(version: version)
        let empty = try recommender.recommend(.history([]), k: 10)
        XCTAssertEqual(empty.fallback, .popularity)
        XCTAssertEqual(empty.items.map(\.item), popularOrder.prefix(10).map { "item\($0)" })
        XCTAssertEqual(empty.items.map(\.score), popularOrder.prefix(10).map { Float(($0 * 7) % 13) })
        let unknown = try recommender.recommend(.history(["x", "y"]), k: 10)
        XCTAssertEqual(unknown.items, empty.items)
        XCTAssertEqual(unknown.unknownItems, ["x", "y"])
        XCTAssertEqual(unknown.fallback, .popularity)
        // The hard rules still apply to the fallback.
        var rules = RecommendRules()
        rules.blocklist = ["item\(popularOrder[0])"]
        rules.allowlist = Set(popularOrder.prefix(6).map { "item\($0)" })
        XCTAssertEqual(try recommender.recommend(.history([]), k: 10, rules: rules).items.map(\.item),
                       popularOrder[1 ..< 6].map { "item\($0)" })
    }

    func testVersionWithoutCountsSaysWhyItCannotFallBack() throws {
        let recommender = try Recommender(version: try publish(popularity: false))
        assertThrows(ServeError.emptyHistory) { _ = try recommender.recommend(.history([]), k: 5) }
        assertThrows(ServeError.noFallback(version: "v000001", unknownItems: ["x"])) { _ = try recommender.recommend(.history(["x"]), k: 5) }
        XCTAssertTrue(ServeError.noFallback(version: "v000001", unknownItems: ["x"]).description.contains("republish"))
    }

    func testCatalogRulesWithoutACatalogAreErrors() throws {
        let recommender = try Recommender(version: try publish())
        var rules = RecommendRules()
        rules.maxPerCategory = 2
        XCTAssertThrowsError(try recommender.recommend(.history(["item1"]), k: 5, rules: rules)) {
            XCTAssertTrue("\($0)".contains("needs item categories"), "\($0)")
        }
        rules = RecommendRules()
        rules.requiredAttributes = ["red"]
        XCTAssertThrowsError(try recommender.recommend(.history(["item1"]), k: 5, rules: rules)) {
            XCTAssertTrue("\($0)".contains("needs item attributes"), "\($0)")
        }
        // With a catalog the same rules run.
        let catalog = Catalog(entries: (0 ..< 60).map { ("item\($0)", Catalog.Entry(category: "c\($0 % 3)", attributes: $0 % 2 == 0 ? ["red"] : [])) })
        let withCatalog = try Recommender(version: try publish(), catalog: catalog).recommend(.history(["item1"]), k: 5, rules: rules)
        XCTAssertEqual(withCatalog.items.count, 5)
        XCTAssertTrue(withCatalog.items.allSatisfy { Int($0.item.dropFirst(4))! % 2 == 0 })
    }

    func testMostSimilarByExternalID() throws {
        for index in [nil, HNSWConfig()] {
            var hnsw = index
            hnsw?.metric = .dot
            let version = try publish(index: hnsw)
            let recommender = try Recommender(version: version)
            let row = Int(version.row(of: "item7")!)
            let similar = try recommender.mostSimilar(to: "item7", k: 5)
            XCTAssertEqual(similar.map(\.item), oracle(version, user: Array(version.vectors.row(row)), excluding: [row], k: 5))
            XCTAssertFalse(similar.contains { $0.item == "item7" })
            assertThrows(ServeError.unknownItem(id: "nope", version: "v000001")) { _ = try recommender.mostSimilar(to: "nope", k: 5) }
        }
    }

    func testUserVectorRuleText() {
        for rule in [UserVectorRule.meanOfLast(1), .meanOfLast(50), .recencyWeighted(count: 5, decay: 0.8)] {
            XCTAssertEqual(UserVectorRule(rule.description), rule)
        }
        for bad in ["", "last", "last:0", "last:x", "recency:5", "recency:5:0", "recency:5:1.5", "mean:3", "last:3:1"] {
            XCTAssertNil(UserVectorRule(bad), bad)
        }
    }
}
