import ArgumentParser
import Foundation
import RecVec

/// `recvec generate`: draws the synthetic workload and writes it to a folder.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Draw a synthetic workload with a known model and write it to a folder.",
        discussion: """
        Writes OUT/events.csv (user,item,timestamp,session) and OUT/content-<modality>.npy (items x 64, \
        row i = item i), and prints counts and the Bayes-optimal Recall@20 (the ceiling no method can pass, \
        measured on consecutive pairs of the first --ceiling-sessions sessions).

        Scale (10M events, 100k items): recvec generate --users 10000 --items 100000 --sessions 500000 --ceiling-sessions 0 --out /tmp/big
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Number of users.") var users = SyntheticConfig().users
    @Option(help: "Number of items in the catalog.") var items = SyntheticConfig().items
    @Option(help: "Number of sessions.") var sessions = SyntheticConfig().sessions
    @Option(help: "Events per session.") var sessionLength = SyntheticConfig().sessionLength
    @Option(help: "Standard deviation of the user and item factors.") var factorScale = SyntheticConfig().factorScale
    @Option(help: "Sessions whose consecutive pairs measure the ceiling recall (0 skips it; its cost grows with users x items x distinct items).")
    var ceilingSessions = 3000
    @Option(help: "Output folder (created if missing).") var out: String

    func validate() throws {
        for (flag, value) in [("--users", users), ("--items", items), ("--sessions", sessions), ("--session-length", sessionLength)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, got \(value)")
        }
        guard sessionLength >= 2 || ceilingSessions == 0 else {
            throw ValidationError("--session-length 1 has no consecutive pairs; pass --ceiling-sessions 0 or a longer session")
        }
        guard ceilingSessions >= 0 else { throw ValidationError("--ceiling-sessions must be 0 or more, got \(ceilingSessions)") }
    }

    func run() throws {
        var config = SyntheticConfig()
        config.users = users; config.items = items; config.sessions = sessions
        config.sessionLength = sessionLength; config.factorScale = factorScale; config.seed = global.seed
        config.threads = global.threads
        let printer = Progress()
        let start = printer.start
        let progress = printer.line

        let workload = try SyntheticWorkload(config: config, progress: progress)
        let generated = Date().timeIntervalSince(start)

        let folder = URL(fileURLWithPath: out, isDirectory: true)
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw DataError.invalidArgument(name: "--out", value: folder.path, expected: "a folder that can be created: \(DataError.reason(error))")
        }
        progress("writing \(folder.path)")
        try workload.events.writeCSV(to: folder.appendingPathComponent("events.csv"))
        for modality in workload.content {
            try NPY.write(modality.vectors, to: folder.appendingPathComponent("content-\(modality.name).npy"))
        }
        let written = Date().timeIntervalSince(start) - generated

        var ceiling: Double?, ceilingWithPrevious: Double?
        var pairCount = 0
        if ceilingSessions > 0 {
            let pairs = workload.consecutivePairs(firstSessions: ceilingSessions)
            pairCount = pairs.count
            (ceiling, ceilingWithPrevious) = workload.ceilingRecalls(pairs: pairs, k: 20, progress: progress)
        }
        let summary = Summary(users: users, items: items, sessions: sessions, events: workload.events.count,
                              itemsSeen: workload.events.itemCounts().filter { $0 > 0 }.count, seed: global.seed,
                              factorScale: factorScale, ceilingRecallAt20: ceiling,
                              ceilingRecallAt20WithPrevious: ceilingWithPrevious, ceilingPairs: pairCount,
                              generateSeconds: generated, writeSeconds: written, out: folder.path,
                              files: ["events.csv"] + workload.content.map { "content-\($0.name).npy" })
        if global.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print("events \(summary.events) (users \(users), items \(items), items seen \(summary.itemsSeen), sessions \(sessions))")
            if let ceiling, let ceilingWithPrevious {
                print(String(format: "ceiling recall@20 %.4f (previous item excluded), %.4f (included) on %d consecutive pairs",
                             ceiling, ceilingWithPrevious, pairCount))
            }
            print(String(format: "generated in %.2f s, written in %.2f s to %@", generated, written, folder.path))
        }
    }

    struct Summary: Encodable {
        var users, items, sessions, events, itemsSeen: Int
        var seed: UInt64
        var factorScale: Double
        /// The previous item excluded from the ranking (the seed protocol).
        var ceilingRecallAt20: Double?
        /// The previous item allowed in the ranking (a repeat can be a hit).
        var ceilingRecallAt20WithPrevious: Double?
        var ceilingPairs: Int
        var generateSeconds, writeSeconds: Double
        var out: String
        var files: [String]
    }
}
