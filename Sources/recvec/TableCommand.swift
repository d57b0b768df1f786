import ArgumentParser
import Foundation
import RecVec

/// `recvec table`: the seed's results table on the built-in synthetic workload.
struct TableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Run the whole results table on built-in synthetic data.",
        discussion: """
        Draws the workload, trains every method, evaluates them beside the baselines and prints the Bayes-optimal ceiling.

        Protocols: seed-pairs (the seed's: consecutive pairs of the first 3000 training sessions, query = the \
        previous item, which stays in the ranking as in the seed unless --exclude-previous; leaky by design) and \
        leave-last-out (each user's last event held out of training; query = the user vector of the history).

        Presets: seed (a reconstruction of the seed's hyperparameters, cosine everywhere; this command's default), \
        tuned (our defaults) and tuned-movielens. The settings used (Defaults) head every table.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The protocol of the table, or all of them.") var `protocol`: TableProtocolChoice = .seedPairs
    @Flag(help: "seed-pairs: drop the previous item from the ranking (a repeat then always misses; the ceiling falls from about 0.45 to about 0.25).")
    var excludePrevious = false
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var model: ModelOptions

    func validate() throws {
        if let d = model.dimension, d > workload.items { throw ValidationError("--dimension must be in 1 ... \(workload.items) (the catalog size), got \(d)") }
    }

    func run() throws {
        let progress = Progress()
        let protocols: [EvalProtocol] = `protocol` == .all ? [.seedPairs, .leaveLastOut] : [EvalProtocol(rawValue: `protocol`.rawValue)!]
        let settings = makeSettings(global: global, model: model, ranking: ranking, defaultPreset: .seed)
        let table = try Tables.synthetic(workload: workload.config(seed: global.seed), configs: settings.methodConfigs(),
                                         protocols: protocols, k: ranking.k, excludePrevious: excludePrevious,
                                         userRule: settings.userVectorRule, ties: ranking.ties, threads: global.threads, progress: progress.line)
        progress.line("done")
        try Output.print(table, json: global.json, k: ranking.k, settings: settings)
    }
}

/// How a history becomes a query, and the list length: shared by `table` and `eval`.
struct RankingOptions: ParsableArguments {
    @Option(help: "Length K of every recommendation list.") var k = 20
    @Option(help: "Leave-last-out: the user vector averages the last N history items (default: \(Defaults.standard.userVectorRule), i.e. the last 5 weighted by recency).")
    var userHistory: Int?
    @Option(help: "Leave-last-out: each older history item weighs this times the next newer one (1 = plain mean; default 0.8).")
    var recencyDecay: Float?
    @Option(help: "Leak-free protocols: how events with equal timestamps are ordered; printed in every table header.")
    var ties: TieRule = .default

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
        guard k <= ServeLimits.maxK else { throw ValidationError("--k must be at most \(ServeLimits.maxK), got \(k)") }
        if let n = userHistory, n < 1 { throw ValidationError("--user-history must be at least 1, got \(n)") }
        if let d = recencyDecay, !(d > 0 && d <= 1) { throw ValidationError("--recency-decay must be in (0, 1], got \(d)") }
    }

    /// `Defaults.standard.userVectorRule`, with --user-history and --recency-decay applied.
    func rule() -> UserVectorRule {
        let (n, d): (Int, Float) = switch Defaults.standard.userVectorRule {
        case let .meanOfLast(n): (n, 1)
        case let .recencyWeighted(n, d): (n, d)
        }
        let count = userHistory ?? n, decay = recencyDecay ?? d
        return decay == 1 ? .meanOfLast(count) : .recencyWeighted(count: count, decay: decay)
    }
}

/// The size of the built-in synthetic workload (defaults: the seed's).
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Synthetic workload: users.") var users = SyntheticConfig().users
    @Option(help: "Synthetic workload: items in the catalog.") var items = SyntheticConfig().items
    @Option(help: "Synthetic workload: sessions.") var sessions = SyntheticConfig().sessions
    @Option(help: "Synthetic workload: events per session.") var sessionLength = SyntheticConfig().sessionLength
    @Option(help: "Synthetic workload: Pareto shape of item popularity (smaller = a heavier head).") var popularityExponent = SyntheticConfig().popularityExponent
    @Option(help: "Synthetic workload: share of each event drawn from the user's preferences (the rest from popularity).")
    var preferenceShare = SyntheticConfig().preferenceShare

    func validate() throws {
        for (flag, value) in [("--users", users), ("--items", items), ("--sessions", sessions), ("--session-length", sessionLength)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, got \(value)")
        }
        guard sessionLength >= 2 else { throw ValidationError("--session-length must be at least 2 (next-item pairs), got \(sessionLength)") }
        guard popularityExponent > 0, popularityExponent.isFinite else { throw ValidationError("--popularity-exponent must be > 0, got \(popularityExponent)") }
        guard (0 ... 1).contains(preferenceShare) else { throw ValidationError("--preference-share must be in [0, 1], got \(preferenceShare)") }
    }

    func config(seed: UInt64) -> SyntheticConfig {
        var c = SyntheticConfig()
        (c.users, c.items, c.sessions, c.sessionLength, c.seed) = (users, items, sessions, sessionLength, seed)
        (c.popularityExponent, c.preferenceShare) = (popularityExponent, preferenceShare)
        return c
    }
}

/// Progress lines on stderr, stamped with the seconds since start.
final class Progress: @unchecked Sendable {
    let start = Date()
    func line(_ text: String) {
        FileHandle.standardError.write(Data(String(format: "[%7.2fs] %@\n", Date().timeIntervalSince(start), text).utf8))
    }
}

enum Output {
    /// A table as text columns or (with `json`) {"rows": [...], "ceiling": {"recall@K": x}, ...} on stdout.
    static func print(_ table: ResultsTable, json: Bool, k: Int, settings: Defaults) throws {
        if json {
            var object: [String: Any] = ["rows": table.rows.map(\.jsonObject), "notes": table.notes, "settings": settings.summary]
            if let ties = table.ties { object["ties"] = ties.rawValue }
            if let first = table.rows.first.flatMap({ table.ceilings[$0.evalProtocol] }) ?? table.ceilings.values.first {
                object["ceiling"] = ["recall@\(k)": first]
            }
            if !table.ceilings.isEmpty {
                object["ceilings"] = Dictionary(uniqueKeysWithValues: table.ceilings.map { ($0.key.rawValue, ["recall@\(k)": $0.value]) })
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            Swift.print(String(decoding: data, as: UTF8.self))
            return
        }
        Swift.print("settings: \(settings.summary)")
        var protocolShown: EvalProtocol?
        for row in table.rows {
            if row.evalProtocol != protocolShown {
                protocolShown = row.evalProtocol
                let ties = row.evalProtocol == .seedPairs ? "" : table.ties.map { ", ties: \($0.rawValue)" } ?? ""
                Swift.print("\n\(row.evalProtocol.rawValue) (\(row.metrics.cases) cases\(ties))")
                Swift.print(pad("method", 12) + ["recall@\(k)", "ndcg@\(k)", "mrr@\(k)", "cover@\(k)", "pop-pct", "gini", "seconds"]
                    .map { pad($0, 10) }.joined() + "scoring")
            }
            if let skipped = row.skipped {
                Swift.print(pad(row.method, 12) + "skipped: \(skipped)")
                continue
            }
            let m = row.metrics
            Swift.print(pad(row.method, 12) + [m.recall, m.ndcg, m.mrr, m.coverage, m.meanPopularityPercentile, m.gini, row.seconds]
                    .map { pad(String(format: "%.4f", $0), 10) }.joined() + row.scoring)
            for warning in row.warnings { Swift.print(pad("", 12) + "warning: \(warning)") }
            if let c = table.ceilings[row.evalProtocol], row.method == "Random" {
                Swift.print(pad("Ceiling", 12) + pad(String(format: "%.4f", c), 10) + "(Bayes-optimal recall@\(k))")
            }
        }
        for note in table.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

extension TieRule: ExpressibleByArgument {}
