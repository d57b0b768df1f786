import ArgumentParser
import Foundation
import RecVec

/// Parses `--rule`: `last:N` (mean of the last N items) or `recency:N:DECAY`.
func parseRule(_ text: String) throws -> UserVectorRule {
    guard let rule = UserVectorRule(text) else {
        throw ValidationError("--rule must be last:N or recency:N:DECAY (N >= 1, 0 < DECAY <= 1), got \(text)")
    }
    return rule
}

func commaList(_ text: String?) -> [String] {
    text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
}

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recommend items for a history or a known user from the current version.",
        discussion: "The stages: the user vector, ANN top-K' with the hard rules as a search filter, an exact re-score with an optional popularity penalty, MMR diversity and a per-category cap, then the response.")

    @OptionGroup var jsonOption: JSONOption
    @Option(help: "Store directory.") var store: String
    @Option(help: "Version to serve (default: the current one).") var version: String?
    @Option(help: "The user's history: item ids, comma-separated, oldest first.") var history: String?
    @Option(help: "A known user (needs --histories).") var user: String?
    @Option(help: "Histories file: user_id<TAB>item_id lines, oldest first.") var histories: String?
    @Option(name: .customShort("k"), help: "Items to return.") var k = 20
    @Option(help: "Catalog file: item_id<TAB>category<TAB>popularity<TAB>attr,attr (rules and popularity penalty).") var catalog: String?
    @Option(help: "User vector rule: last:N or recency:N:DECAY (default: the one the version's manifest records, i.e. the one evaluated).",
            transform: parseRule)
    var rule: UserVectorRule?
    @Flag(help: "Allow items already in the history.") var includeSeen = false
    @Option(help: "Items never to recommend, comma-separated.") var block: String?
    @Option(help: "Recommend only these items, comma-separated.") var allow: String?
    @Option(help: "At most this many items per catalog category.") var maxPerCategory: Int?
    @Option(help: "Required catalog attribute (repeatable).") var require: [String] = []
    @Option(help: "Popularity penalty weight (0 = off).") var popularityPenalty: Float = 0
    @Option(help: "MMR diversity in [0, 1) (0 = off).") var diversity: Float = 0
    @Option(help: "ANN candidates per request as a multiple of k.") var candidateFactor = 5
    @Option(help: "HNSW search candidate list size.") var efSearch: Int?
    @Flag(help: "Report which stage kept or dropped each candidate.") var explain = false
    @Flag(help: "Skip the checksum of every byte of the version (served data could be corrupt).") var noVerify = false

    func validate() throws {
        guard k > 0 else { throw ValidationError("-k must be positive, got \(k)") }
        guard k <= ServeLimits.maxK else { throw ValidationError("-k must be at most \(ServeLimits.maxK), got \(k)") }
        guard candidateFactor <= ServeLimits.maxCandidateFactor else {
            throw ValidationError("--candidate-factor must be at most \(ServeLimits.maxCandidateFactor), got \(candidateFactor)")
        }
        if let efSearch, !(1 ... ServeLimits.maxEfSearch).contains(efSearch) {
            throw ValidationError("--ef-search must be in 1 ... \(ServeLimits.maxEfSearch), got \(efSearch)")
        }
        guard (history == nil) != (user == nil) else { throw ValidationError("give exactly one of --history or --user") }
        if user != nil && histories == nil { throw ValidationError("--user needs --histories FILE") }
        if let maxPerCategory, maxPerCategory < 1 { throw ValidationError("--max-per-category must be at least 1, got \(maxPerCategory)") }
        guard diversity >= 0 && diversity < 1 else { throw ValidationError("--diversity must be in [0, 1), got \(diversity)") }
        guard popularityPenalty >= 0 else { throw ValidationError("--popularity-penalty must be >= 0, got \(popularityPenalty)") }
        guard candidateFactor >= 1 else { throw ValidationError("--candidate-factor must be at least 1, got \(candidateFactor)") }
        if catalog == nil, maxPerCategory != nil || !require.isEmpty {
            throw ValidationError("\(maxPerCategory != nil ? "--max-per-category" : "--require") needs --catalog FILE (the rule reads item categories and attributes from it)")
        }
    }

    func run() throws {
        var config = RecommenderConfig()
        config.userVectorRule = rule
        config.popularityPenalty = popularityPenalty
        config.diversity = diversity
        config.candidateFactor = candidateFactor
        config.efSearch = efSearch
        var rules = RecommendRules()
        rules.excludeSeen = !includeSeen
        rules.blocklist = Set(commaList(block))
        rules.allowlist = allow.map { Set(commaList($0)) }
        rules.maxPerCategory = maxPerCategory
        rules.requiredAttributes = Set(require)
        let opened = try EmbeddingStore(path: store).open(version, verify: noVerify ? .trust : .full)
        let recommender = try Recommender(version: opened, catalog: try catalog.map { try Catalog.read(path: $0) },
                                          histories: try histories.map { try Histories.read(path: $0) } ?? [:], config: config)
        let query: UserQuery = user.map { .user($0) } ?? .history(commaList(history))
        let response = try recommender.recommend(query, k: k, rules: rules, explain: explain)
        if jsonOption.json { try printJSON(response); return }
        print("version \(response.version)" + (response.fallback.map { " (fallback: \($0.rawValue))" } ?? ""))
        if !response.unknownItems.isEmpty { print("unknown items skipped: \(response.unknownItems.joined(separator: ","))") }
        for (i, item) in response.items.enumerated() { print("\(i + 1)\t\(item.item)\t\(item.score)") }
        for t in response.trace ?? [] {
            print("  ann #\(t.annRank) \(t.item): ann \(t.annScore) exact \(t.exactScore) penalty \(t.popularityPenalty) -> \(t.stage): \(t.reason)")
        }
    }
}

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drift", abstract: "Compare two versions: neighbour overlap, coverage, exposure and metrics.",
        discussion: "Reports the neighbour overlap@K over sampled items, coverage@K, the Gini of exposure and both manifests' metrics.")

    @OptionGroup var seedOption: SeedOption
    @OptionGroup var jsonOption: JSONOption
    @Option(help: "Store directory.") var store: String
    @Option(help: "Old version (default: the newest one older than --to).") var from: String?
    @Option(help: "New version (default: the current one).") var to: String?
    @Option(name: .customShort("k"), help: "Neighbours per item.") var k = 10
    @Option(help: "Items sampled.") var sample = 1000
    @Flag(help: "Skip the checksum of every byte of both versions.") var noVerify = false

    func validate() throws {
        guard k > 0 else { throw ValidationError("-k must be positive, got \(k)") }
        guard k <= ServeLimits.maxK else { throw ValidationError("-k must be at most \(ServeLimits.maxK), got \(k)") }
        guard sample > 0 else { throw ValidationError("--sample must be positive, got \(sample)") }
    }

    func run() throws {
        let opened = try EmbeddingStore(path: store)
        let level: VerifyLevel = noVerify ? .trust : .full
        let new = try opened.open(to, verify: level)
        let all = try opened.versions()
        guard let fromName = from ?? all.last(where: { $0 < new.name }) else {
            throw StoreError.rollbackUnavailable(reason: "no version older than \(new.name) to compare with (give --from)")
        }
        let report = try Drift.compare(from: try opened.open(fromName, verify: level), to: new, k: k, sampleSize: sample, seed: seedOption.seed)
        if jsonOption.json { try printJSON(report); return }
        print("\(report.from) -> \(report.to): overlap@\(report.k) \(report.overlapAtK) over \(report.sampled) items")
        print("coverage@\(report.k) \(report.fromStats.coverage) -> \(report.toStats.coverage); exposure Gini \(report.fromStats.exposureGini) -> \(report.toStats.exposureGini)")
        for (key, change) in report.metricChanges.sorted(by: { $0.key < $1.key }) {
            print("\(key): \(report.fromMetrics[key]!) -> \(report.toMetrics[key]!) (\(change >= 0 ? "+" : "")\(change))")
        }
    }
}
