import Foundation

extension HoldOutSplit {
    /// Writes the split so that a peer (Benchmarks/peers/peers_recs.py) evaluates on exactly the
    /// same train and test parts: `train.tsv` (user, item, timestamp, position: the training
    /// events in the split's order, equal timestamps already ordered by its tie rule, so sorting
    /// by (user, position) gives each user's sequence), `test.tsv` (user, item: the targets) and
    /// `split.json` (tie rule, whether seen items are excluded, counts). External ids throughout.
    /// Each file is written under a temporary name and renamed into place.
    public func write(to directory: URL, excludeSeen: Bool) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let users = trainLog.userIDs.ids, items = trainLog.itemIDs.ids
        var train = "user\titem\ttimestamp\tposition\n"
        for e in 0 ..< trainLog.count {
            train += "\(users[Int(trainLog.users[e])])\t\(items[Int(trainLog.items[e])])\t\(trainLog.timestamps[e])\t\(e)\n"
        }
        var test = "user\titem\n"
        for c in cases {
            guard let u = c.user else { throw KernelError.invalidArgument(name: "case.user", value: "nil", expected: "a user (leak-free cases)") }
            test += "\(users[u])\t\(items[Int(c.target)])\n"
        }
        let meta: [String: Any] = ["ties": ties.rawValue, "exclude_seen": excludeSeen, "train_events": trainLog.count,
                                   "test_cases": cases.count, "items": items.count, "users": users.count]
        let metaData = try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys])
        for (name, data) in [("train.tsv", Data(train.utf8)), ("test.tsv", Data(test.utf8)), ("split.json", metaData)] {
            let final = directory.appendingPathComponent(name), temporary = directory.appendingPathComponent(".\(name).tmp-\(getpid())")
            try data.write(to: temporary)
            if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
            try FileManager.default.moveItem(at: temporary, to: final)
        }
    }
}
