import Foundation
import RecVec
import TestSupport
import XCTest

/// The code of the DocC article `RecVec.docc/GettingStarted.md`, line for line, compiled against
/// the public API only (this file imports RecVec without `@testable`) and run on a small CSV.
/// `testArticleCodeIsMirroredHere` fails when the article's code changes without this file.
final class GettingStartedTests: XCTestCase {
    private static let article = TestSupport.repositoryRoot.path + "/Sources/RecVec/RecVec.docc/GettingStarted.md"
    private static let mirror = TestSupport.repositoryRoot.path + "/Tests/RecVecTests/GettingStartedTests.swift"

    /// 8 clusters of 10 items; each of 160 users takes 8 distinct items of its cluster in a random
    /// order, one a minute. Item 0 is "50" and item 1 is "172", the ids the article asks about.
    private static func writeEvents(to path: String) throws {
        func id(_ item: Int) -> String { item == 0 ? "50" : item == 1 ? "172" : "\(1000 + item)" }
        var random = SplitMix64(seed: 7)
        var csv = "user,item,timestamp\n"
        var time = 881_250_949
        for user in 0 ..< 160 {
            let cluster = user % 8
            for item in Array(0 ..< 10).shuffled(using: &random).prefix(8) {
                csv += "u\(user),\(id(cluster * 10 + item)),\(time)\n"
                time += 60
            }
        }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testArticleStepsRunOnACSV() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("getting-started-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let previous = FileManager.default.currentDirectoryPath
        // The article names relative paths ("events.csv", "store").
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder))
        defer {
            FileManager.default.changeCurrentDirectoryPath(previous)
            try? FileManager.default.removeItem(atPath: folder)
        }
        try Self.writeEvents(to: folder + "/events.csv")

        // 1. Load the events
        let (log, report) = try EventLog.load(URL(fileURLWithPath: "events.csv"))
        print("\(report.events) events, \(log.userIDs.count) users, \(log.itemIDs.count) items")
        // 2. Choose the settings
        var settings = Defaults.standard
        settings.k = 10
        // 3. Split, train and evaluate
        let (model, _, _, _, metrics) = try TrainedModel.trainAndEvaluate(
            .ppmiSVD, on: log, protocol: .leaveLastOut, settings: settings)
        print("held-out recall@\(settings.k) \(metrics.recall), ndcg@\(settings.k) \(metrics.ndcg)")
        // 4. Publish a version
        let store = try EmbeddingStore(path: "store", create: true)
        let published = try store.publish(model.publishInput())
        print("published \(published.version)")
        // 5. Recommend
        let recommender = try Recommender(version: try store.open())
        let response = try recommender.recommend(.history(["50", "172"]), k: 10)
        for item in response.items { print(item.item, item.score) }
        let similar = try recommender.mostSimilar(to: "50", k: 10)

        XCTAssertEqual(report.events, 160 * 8)
        XCTAssertEqual(log.itemIDs.count, 80)
        // The held-out item is one of the 3 of its cluster the user has not seen: a model that
        // learnt the clusters puts it in the top 10 nearly always (random: about 10/72).
        XCTAssertGreaterThan(metrics.recall, 0.8)
        XCTAssertEqual(published.version, "v000001")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/store/versions/v000001/manifest.json"))
        let clusterZero = Set(["50", "172"] + (2 ..< 10).map { "\(1000 + $0)" })
        XCTAssertEqual(response.items.count, 10)
        XCTAssertFalse(response.items.contains { $0.item == "50" || $0.item == "172" }, "seen items are excluded")
        XCTAssertEqual(response.items.prefix(8).filter { clusterZero.contains($0.item) }.count, 8, "\(response.items.map(\.item))")
        XCTAssertEqual(similar.count, 10)
        XCTAssertFalse(similar.contains { $0.item == "50" })
        XCTAssertEqual(similar.prefix(9).filter { clusterZero.contains($0.item) }.count, 9, "\(similar.map(\.item))")
    }

    /// Every line of the article's Swift code blocks (but the package manifest's) stands in this file.
    func testArticleCodeIsMirroredHere() throws {
        let article = try String(contentsOfFile: Self.article, encoding: .utf8)
        let mirror = Set(try String(contentsOfFile: Self.mirror, encoding: .utf8).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) })
        var blocks: [[String]] = [], current: [String]?
        for line in article.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" { current = [] }
            else if current != nil, trimmed == "```" { blocks.append(current!); current = nil }
            else if current != nil, !trimmed.isEmpty { current!.append(trimmed) }
        }
        let code = blocks.filter { !$0.contains { $0.hasPrefix("dependencies:") } }
        XCTAssertGreaterThanOrEqual(code.count, 5, "the article's steps have Swift blocks")
        for line in code.joined() {
            XCTAssertTrue(mirror.contains(line), "GettingStarted.md has `\(line)`, which GettingStartedTests does not run")
        }
    }
}
