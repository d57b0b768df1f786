import ArgumentParser
import Foundation
import RecVec

// The commands the Spark jobs (spark/) run inside executors, and their single-machine twins:
// `corpus` (vocabulary + sessions -> corpus shards), `corpus-shard` (sessions on stdin -> one
// shard), `cooc-shard` (one corpus shard -> partial counts), `merge-counts` (partials -> sum),
// `batch-recommend` (histories -> every user's top K).

/// How sessions are cut (shared by `corpus` and the Spark sessions job).
struct SessionOptions: ParsableArguments {
    @Option(help: "Inactivity gap in seconds: a user's next event more than this after the previous starts a new session (ignored when the log has a session column).")
    var gap: Int64 = 1800
    @Flag(help: "Merge consecutive events of the same item into one.") var collapseRepeats = false
    @Option(help: "Drop sessions shorter than this (after collapsing).") var minLength = 1

    func validate() throws {
        guard gap >= 0 else { throw ValidationError("--gap must be >= 0 seconds, got \(gap)") }
        guard minLength >= 1 else { throw ValidationError("--min-length must be at least 1, got \(minLength)") }
    }
}

/// Creates `final` through a temporary sibling folder renamed into place; refuses an existing `final`.
func writeFolderAtomically(_ final: String, _ body: (String) throws -> Void) throws {
    guard !FileManager.default.fileExists(atPath: final) else {
        throw ValidationError("\(final) already exists; choose a new folder (outputs are never overwritten)")
    }
    let url = URL(fileURLWithPath: final)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
    try? FileManager.default.removeItem(atPath: temporary)
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    do {
        try body(temporary)
        try FileManager.default.moveItem(atPath: temporary, toPath: final)
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw error
    }
}

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Write an events file's vocabulary and sessions as corpus shards.",
        discussion: """
        The single-machine twin of the Spark sessions job.

        Writes OUT/ids.txt (dense id r on line r + 1: most frequent first, ties by id), OUT/counts.txt and \
        OUT/part-NNNNN.rvc corpus shards (format in README "Files on disk"). Events of items below --min-count \
        are dropped, then each user's events are ordered by time (ties: file order) and cut at the inactivity \
        gap, or grouped by the session column when the log has one (--session, or a recognised header). \
        `recvec train --corpus OUT` trains from it.
        """)

    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var input: EventInputOptions
    @OptionGroup var sessions: SessionOptions
    @Option(help: "Drop items with fewer events.") var minCount = 1
    @Option(help: "Corpus shards to write (sessions split evenly, in order).") var shards = 1
    @Option(help: "Output folder (must not exist yet).") var out: String

    func validate() throws {
        guard minCount >= 1 else { throw ValidationError("--min-count must be at least 1, got \(minCount)") }
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards)") }
    }

    func run() throws {
        let progress = Progress()
        let log = try input.load(progress: progress.line).log
        let vocabulary = try Vocabulary(log: log, minCount: minCount)
        let rule: SessionRule = log.sessions != nil ? .sessionColumn : .inactivityGap(seconds: sessions.gap)
        let corpus = try log.corpus(vocabulary: vocabulary, rule: rule, collapseRepeats: sessions.collapseRepeats, minLength: sessions.minLength)
        try writeFolderAtomically(out) { dir in
            try vocabulary.write(to: dir)
            let perShard = (corpus.sessionCount + shards - 1) / shards
            for s in 0 ..< shards {
                let range = min(s * perShard, corpus.sessionCount) ..< min((s + 1) * perShard, corpus.sessionCount)
                let part = try Corpus(sessions: range.map { Array(corpus.session($0)) }, vocabularySize: corpus.vocabularySize)
                try CorpusShard.write(part, to: dir + String(format: "/part-%05d", s) + CorpusShard.fileSuffix)
            }
        }
        progress.line("wrote \(out)")
        let summary = ["events": log.count, "items": vocabulary.ids.count, "sessions": corpus.sessionCount, "tokens": corpus.tokens.count]
        if jsonOption.json { try printJSON(summary) } else { print("\(log.count) events -> \(vocabulary.ids.count) items, \(corpus.sessionCount) sessions, \(corpus.tokens.count) tokens -> \(out)") }
    }
}

struct CorpusShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus-shard",
        abstract: "Write one corpus shard from sessions read on stdin.",
        discussion: "Each line of stdin is one session: dense item ids separated by spaces.")

    @Option(help: "Vocabulary size (every id must be below it).") var vocabularySize: Int
    @Option(help: "Shard file to write (atomically: temporary name, fsync, rename).") var out: String

    func run() throws {
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let corpus = try CorpusShard.parseSessions(lines, vocabularySize: vocabularySize, source: "stdin")
        try CorpusShard.write(corpus, to: out)
        print("\(corpus.sessionCount) sessions, \(corpus.tokens.count) tokens -> \(out)")
    }
}

extension CooccurrenceWeighting: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "count": self = .count
        case "inverse-distance": self = .inverseDistance
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["count", "inverse-distance"] }
}

struct CoocShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cooc-shard",
        abstract: "Count the co-occurrences of one corpus shard into a counts file.",
        discussion: "The counts come from the C kernel rv_cooc_csr_f32.")

    @OptionGroup var threadsOption: ThreadsOption
    @Option(help: "Corpus shard (.rvc) or corpus folder.") var corpus: String
    @Option(help: "Window: pairs at distance 1 ... window.") var window = 5
    @Option(help: "How each pair within the window is weighted.") var weighting: CooccurrenceWeighting = .count
    @Option(help: "Counts file to write (atomically).") var out: String

    func run() throws {
        let set = try CorpusShardSet(directory: corpus)
        let shard = try set.concatenated()
        let counts = try CooccurrenceCounts(corpus: shard, window: window, weighting: weighting, threads: threadsOption.threads)
        try counts.write(to: out)
        print("\(shard.tokens.count) tokens -> \(counts.matrix.nonZeroCount) non-zeros -> \(out)")
    }
}

struct MergeCountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-counts",
        abstract: "Sum counts files into one counts file.",
        discussion: "The inputs are counts files or folders of *.rvcsr files. The sums are taken in double and rounded to float once.")

    @Argument(help: "Counts files or folders.") var inputs: [String]
    @Option(help: "Merged counts file to write (atomically).") var out: String

    func run() throws {
        let merged = try CooccurrenceCounts.merge(inputs)
        try merged.write(to: out)
        print("\(merged.matrix.rows) x \(merged.matrix.cols), \(merged.matrix.nonZeroCount) non-zeros from \(merged.tokens) tokens -> \(out)")
    }
}

struct BatchRecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-recommend",
        abstract: "Write every user's top K from a published version as CSV.",
        discussion: """
        Each line is user,rank,item,score.

        Histories come from --histories FILE (or - for stdin: user<TAB>item<TAB>item... per line, oldest first; \
        what the Spark batch job pipes in) or from --events (each user's last --history-length events, ties by \
        file order). Items the version does not know are left out of a history; users left with none are skipped. \
        The version is memory-mapped; scoring is the online path (recvec recommend) with the seen items excluded.
        """)

    @Option(help: "Store directory.") var store: String
    @Option(help: "Version (default: the current one).") var version: String?
    @Option(help: "Histories file, or - for stdin.") var histories: String?
    @OptionGroup var input: EventInputOptions
    @Option(help: "Events per user kept as history (the latest).") var historyLength = 50
    @Option(name: .customShort("k"), help: "Items per user.") var k = 20
    @Option(help: "User vector rule: last:N or recency:N:DECAY (default: the one the version's manifest records, i.e. the one evaluated).",
            transform: parseRule)
    var rule: UserVectorRule?
    @Flag(help: "Write a header line user,rank,item,score first.") var header = false

    func validate() throws {
        guard (histories == nil) != (input.events == nil) else { throw ValidationError("give exactly one of --histories and --events") }
        guard k > 0, historyLength > 0 else { throw ValidationError("-k and --history-length must be positive") }
    }

    func run() throws {
        var config = RecommenderConfig()
        config.userVectorRule = rule
        let opened = try EmbeddingStore(path: store).open(version)
        let recommender = try Recommender(version: opened, config: config)
        var out = header ? "user,rank,item,score\n" : ""
        for (user, history) in try loadHistories() {
            let known = history.filter { opened.row(of: $0) != nil }
            guard !known.isEmpty else { continue }
            let response = try recommender.recommend(.history(known), k: k)
            for (rank, r) in response.items.enumerated() { out += "\(user),\(rank + 1),\(r.item),\(r.score)\n" }
            if out.utf8.count > 1 << 20 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    func loadHistories() throws -> [(String, [String])] {
        if let histories {
            let data = histories == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                : try Data(contentsOf: URL(fileURLWithPath: histories))
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
                let fields = line.split(separator: "\t").map(String.init)
                return (fields[0], Array(fields.dropFirst()))
            }
        }
        let log = try input.load { _ in }.log
        var result: [(String, [String])] = []
        let order = log.indicesByUserThenTime()
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && log.users[order[end]] == log.users[order[start]] { end += 1 }
            let items = order[max(start, end - historyLength) ..< end].map { log.itemIDs.ids[Int(log.items[$0])] }
            result.append((log.userIDs.ids[Int(log.users[order[start]])], items))
            start = end
        }
        return result
    }
}
