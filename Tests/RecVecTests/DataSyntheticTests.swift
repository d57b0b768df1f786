import Foundation
@testable import RecVec
import XCTest

final class DataSyntheticTests: XCTestCase {
    func small(seed: UInt64 = 7) -> SyntheticConfig {
        var c = SyntheticConfig()
        c.users = 200; c.items = 50; c.sessions = 2000; c.sessionLength = 10; c.seed = seed
        return c
    }

    /// The model's P(item | user), written out here from the published factors, independently of
    /// the generator: 0.8 * softmax(u . v) + 0.2 * popularity (in Double).
    func modelProbabilities(_ w: SyntheticWorkload, user u: Int) -> [Double] {
        let d = w.config.dimension
        let scores = (0 ..< w.config.items).map { j in
            (0 ..< d).reduce(0.0) { $0 + Double(w.userFactors[u, $1]) * Double(w.itemFactors[j, $1]) }
        }
        let m = scores.max()!
        let e = scores.map { exp($0 - m) }
        let z = e.reduce(0, +)
        let share = w.config.preferenceShare
        return (0 ..< w.config.items).map { share * e[$0] / z + (1 - share) * Double(w.popularity[$0]) }
    }

    func testSameSeedSameWorkloadOtherSeedDiffers() throws {
        let a = try SyntheticWorkload(config: small()), b = try SyntheticWorkload(config: small())
        XCTAssertEqual(a.sessions, b.sessions)
        XCTAssertEqual(a.events, b.events)
        XCTAssertEqual(a.content, b.content)
        XCTAssertEqual(a.userFactors, b.userFactors)
        var oneThread = small()
        oneThread.threads = 1
        let single = try SyntheticWorkload(config: oneThread)
        XCTAssertEqual(single.events, a.events)
        XCTAssertEqual(single.nextItemScores(prevs: [0, 5]), a.nextItemScores(prevs: [0, 5]))
        let c = try SyntheticWorkload(config: small(seed: 8))
        XCTAssertNotEqual(a.sessions.tokens, c.sessions.tokens)
        XCTAssertNotEqual(a.content, c.content)
    }

    func testShapesTimestampsAndSessions() throws {
        let w = try SyntheticWorkload(config: small())
        XCTAssertEqual(w.events.count, 20000)
        XCTAssertEqual(w.sessions.sessionCount, 2000)
        XCTAssertEqual(w.events.itemIDs.count, 50)
        XCTAssertEqual(w.events.userIDs.count, 200)
        XCTAssertEqual(w.popularity.reduce(0, +), 1, accuracy: 1e-4) // 50 float additions of values <= 1
        XCTAssertTrue(zip(w.events.timestamps, w.events.timestamps.dropFirst()).allSatisfy { $0 < $1 })
        for e in [0, 9, 10, 19_999] {
            XCTAssertEqual(w.events.users[e], w.sessionUsers[e / 10])
            XCTAssertEqual(w.events.items[e], w.sessions.tokens[e])
        }
        // Any two sessions of one user are more than 30 minutes apart: the default inactivity
        // rule recovers the generated sessions exactly.
        XCTAssertEqual(try w.events.corpus(rule: .default), w.sessions)
        XCTAssertEqual(try w.events.corpus(rule: .sessionColumn), w.sessions)
        XCTAssertEqual(w.content.map(\.name), ["text", "image"])
        for m in w.content { XCTAssertEqual([m.vectors.rows, m.vectors.cols], [50, 64]) }
    }

    /// Content = (factors / scale) through a map with N(0, 1/16) entries, plus N(0, 0.2^2):
    /// each coordinate's variance is sum_c W_co^2 + 0.04. Over 64 columns the mean of sum_c W_co^2
    /// is 1 with standard deviation sqrt(2/16)/8 = 0.044, so the overall variance lies in
    /// [0.85, 1.25] (over 4 sigma). The two modalities use different maps: far apart.
    func testContentVarianceAndModalitiesDiffer() throws {
        let w = try SyntheticWorkload(config: small())
        for m in w.content {
            let v = m.vectors.values.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
            XCTAssertGreaterThan(variance, 0.85, m.name)
            XCTAssertLessThan(variance, 1.25, m.name)
        }
        let diff = zip(w.content[0].vectors.values, w.content[1].vectors.values).reduce(0) { $0 + abs($1.0 - $1.1) }
        XCTAssertGreaterThan(diff / Float(w.content[0].vectors.values.count), 0.3)
    }

    /// Empirical item counts against the model's expectation E_j = L * sum_s P(j | user_s), over
    /// 4000 sessions of 25 (100000 events). Each session is a multinomial, so Var(c_j) <= E_j and
    /// the chi-square statistic has mean <= 49 (50 items); the bound 49 + 5 * sqrt(2 * 49) = 98.5
    /// is about 5 sigma. The same statistic against the popularity part alone, and against the
    /// model with the popularity share halved, must exceed it (the check has power).
    func testItemFrequenciesFollowTheModel() throws {
        var config = small()
        config.sessions = 4000; config.sessionLength = 25
        let w = try SyntheticWorkload(config: config)
        let probabilities = (0 ..< w.config.users).map { modelProbabilities(w, user: $0) }
        var expected = [Double](repeating: 0, count: 50), perturbed = expected
        for u in w.sessionUsers {
            for j in 0 ..< 50 {
                expected[j] += 25 * probabilities[Int(u)][j]
                // 0.8 softmax + 0.1 popularity, renormalised by 0.9.
                perturbed[j] += 25 * (probabilities[Int(u)][j] - 0.1 * Double(w.popularity[j])) / 0.9
            }
        }
        let counts = w.events.itemCounts()
        func chiSquare(_ e: [Double]) -> Double { (0 ..< 50).reduce(0) { $0 + pow(Double(counts[$1]) - e[$1], 2) / e[$1] } }
        let bound = 49 + 5 * (2 * 49.0).squareRoot()
        XCTAssertLessThan(chiSquare(expected), bound)
        XCTAssertGreaterThan(chiSquare(w.popularity.map { 100_000 * Double($0) }), bound)
        XCTAssertGreaterThan(chiSquare(perturbed), bound)
        // The library's own probabilities agree with the formula (Float vs Double: 1e-5 absolute).
        for u in [0, 57, 199] {
            for (a, b) in zip(w.itemProbabilities(user: u), probabilities[u]) { XCTAssertEqual(Double(a), b, accuracy: 1e-5) }
        }
    }

    /// The Bayes ranking is ordered by sum_u P(prev|u) P(next|u) computed here in Double. Scores
    /// are sums of 6 products of values <= 1 in Float: relative error about 1e-6, so an inversion
    /// larger than 1e-5 of the top score is an error.
    func testBayesRankingMatchesBruteForce() throws {
        var c = SyntheticConfig()
        c.users = 6; c.items = 9; c.sessions = 4; c.sessionLength = 3; c.seed = 3
        let w = try SyntheticWorkload(config: c)
        let p = (0 ..< 6).map { modelProbabilities(w, user: $0) }
        for prev in 0 ..< 9 {
            let truth = (0 ..< 9).map { j in (0 ..< 6).reduce(0.0) { $0 + p[$1][prev] * p[$1][j] } }
            let ranking = w.bayesRanking(prev: Int32(prev))
            XCTAssertEqual(Set(ranking), Set((0 ..< 9).map(Int32.init)).subtracting([Int32(prev)]))
            XCTAssertEqual(ranking.count, 8)
            let tolerance = 1e-5 * truth.max()!
            for (a, b) in zip(ranking, ranking.dropFirst()) { XCTAssertGreaterThanOrEqual(truth[Int(a)], truth[Int(b)] - tolerance) }
            XCTAssertEqual(w.bayesRanking(prev: Int32(prev), excludePrevious: false).count, 9)
        }
    }

    /// On the defaults (seed protocol: consecutive pairs of the first 3000 sessions, K = 20):
    /// - with the previous item allowed in the ranking the ceiling is calibrated to about 0.45;
    /// - excluding it can only lose the repeats and can only gain elsewhere, so
    ///   included - repeats <= excluded <= 1 - repeats;
    /// - the Bayes ranking beats popularity and loses to an oracle that knows the session's user
    ///   (both rank without the previous item). Those two are estimated on the first 300
    ///   sessions (5700 pairs: standard error <= 0.007), the ceiling on all 57000 pairs; the
    ///   margins of 0.05 are over 7 standard errors (measured: popularity 0.08, ceiling 0.26,
    ///   oracle 0.56).
    func testCeilingOnTheDefaults() throws {
        let w = try SyntheticWorkload()
        let pairs = w.consecutivePairs()
        XCTAssertEqual(pairs.count, 3000 * 19)
        let (excluded, included) = w.ceilingRecalls(pairs: pairs, k: 20)
        XCTAssertEqual(w.ceilingRecall(pairs: Array(pairs.prefix(500)), k: 20),
                       w.ceilingRecalls(pairs: Array(pairs.prefix(500)), k: 20).excludingPrevious)
        XCTAssertGreaterThanOrEqual(included, 0.40)
        XCTAssertLessThanOrEqual(included, 0.50)
        let repeats = Double(pairs.filter { $0.prev == $0.next }.count) / Double(pairs.count)
        XCTAssertGreaterThanOrEqual(excluded, included - repeats)
        XCTAssertLessThanOrEqual(excluded, 1 - repeats)

        // The 21 best items by a score; the top 20 without `prev` are the first 20 of them that are not `prev`.
        func top21(_ scores: [Double]) -> [Int32] {
            Array((0 ..< Int32(scores.count)).sorted { scores[Int($0)] > scores[Int($1)] }.prefix(21))
        }
        func hit(_ top: [Int32], _ prev: Int32, _ next: Int32) -> Bool { top.filter { $0 != prev }.prefix(20).contains(next) }
        let popular = top21(w.popularity.map(Double.init))
        var popularHits = 0, oracleHits = 0
        var userTop: [Int: [Int32]] = [:]
        let sampled = 300
        for s in 0 ..< sampled {
            let u = Int(w.sessionUsers[s])
            let top = userTop[u] ?? top21(w.itemProbabilities(user: u).map(Double.init)) // checked against the formula above
            userTop[u] = top
            let tokens = Array(w.sessions.session(s))
            for (prev, next) in zip(tokens, tokens.dropFirst()) {
                if hit(popular, prev, next) { popularHits += 1 }
                if hit(top, prev, next) { oracleHits += 1 }
            }
        }
        let sampledPairs = Double(sampled * 19)
        XCTAssertGreaterThan(excluded, Double(popularHits) / sampledPairs + 0.05)
        XCTAssertLessThan(excluded, Double(oracleHits) / sampledPairs - 0.05)
    }

    /// fastExp against Foundation's exp over the range the softmax uses ([-87, 0]) and a little
    /// above: within 4e-7 relative (Taylor truncation 1.2e-7 plus a few Float roundings).
    func testFastExpMatchesExp() {
        var x: Float = -87
        while x <= 10 {
            XCTAssertEqual(fastExp(x), Foundation.exp(x), accuracy: 4e-7 * Foundation.exp(x), "\(x)")
            x += 0.0137
        }
        XCTAssertEqual(fastExp(-1000), Foundation.exp(-87), accuracy: 1e-38)
    }

    func testInvalidConfigNamesTheField() {
        var c = SyntheticConfig()
        c.items = 0
        XCTAssertThrowsError(try SyntheticWorkload(config: c)) { error in
            XCTAssertEqual(error as? DataError, .invalidArgument(name: "items", value: "0", expected: ">= 1"))
            XCTAssertEqual("\(error)", "invalid items: 0 (expected >= 1)")
        }
    }
}
