import Foundation
import RecVec

// A CSV of events (user,item,timestamp header names recognised) -> leak-free split -> train ->
// evaluate -> publish -> recommend. Run: swift run csv-to-recommendations EVENTS.csv STORE_DIR
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: csv-to-recommendations EVENTS.csv STORE_DIR\n".utf8))
    exit(64)
}
do {
    // 1. Load: columns found by header name; streaming, errors name file, line, column and value.
    let (log, report) = try EventLog.load(URL(fileURLWithPath: arguments[1]))
    print("\(report.events) events, \(log.userIDs.count) users, \(log.itemIDs.count) items")
    // 2-4. Split (each user's last event held out), train PPMI+SVD on the rest, score the held-out
    // events: the same code as `recvec eval`, under the one set of defaults.
    let settings = Defaults.standard
    let (model, _, _, _, metrics) = try TrainedModel.trainAndEvaluate(.ppmiSVD, on: log, protocol: .leaveLastOut, settings: settings)
    print("held-out recall@\(settings.k) \(metrics.recall), ndcg@\(settings.k) \(metrics.ndcg) (\(settings.summary))")
    // 5. Publish: vectors, ids, HNSW index, training counts and how it scores, as one version.
    let store = try EmbeddingStore(path: arguments[2], create: true)
    let published = try store.publish(model.publishInput())
    // 6. Serve what was evaluated: the manifest's metric, sides and user-vector rule.
    let recommender = try Recommender(version: try store.open())
    let user = log.userIDs.ids[0]
    let history = (0 ..< log.count).filter { log.users[$0] == 0 }.map { log.itemIDs.ids[Int(log.items[$0])] }
    let response = try recommender.recommend(.history(history), k: 5)
    print("\(published.version): for user \(user): " + response.items.map { "\($0.item) (\($0.score))" }.joined(separator: ", "))
    let item = response.items.first?.item ?? log.itemIDs.ids[0]
    print("most similar to \(item): " + (try recommender.mostSimilar(to: item, k: 5)).map(\.item).joined(separator: ", "))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
