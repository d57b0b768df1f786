import Foundation

/// Knobs of the online path, with documented defaults.
public struct RecommenderConfig: Sendable, Equatable {
    /// How the user vector is built from the history; nil = the rule the version's manifest
    /// records (the one evaluation used), or `UserVectorRule.default` for a version without one.
    public var userVectorRule: UserVectorRule?
    /// The ANN stage returns K' = max(k x candidateFactor, k + 10) candidates for ranking.
    public var candidateFactor = 5
    /// HNSW candidate list size; nil = the index's default. Raised to K' when smaller.
    public var efSearch: Int?
    /// Subtracted from each exact score, times the item's popularity normalised to [0, 1]
    /// as log(1 + p) / log(1 + max p). 0 = off.
    public var popularityPenalty: Float = 0
    /// MMR trade-off in [0, 1): each pick maximises (1 - d) x score - d x (max similarity to the
    /// items already picked). 0 = plain ranking by score.
    public var diversity: Float = 0

    /// The documented defaults.
    public init() {}
}

/// Business rules of one request.
public struct RecommendRules: Sendable, Equatable {
    /// Leave out the items in the user's history.
    public var excludeSeen = true
    /// Never recommend these.
    public var blocklist: Set<String> = []
    /// When set, recommend only these.
    public var allowlist: Set<String>?
    /// At most this many items of one catalog category.
    public var maxPerCategory: Int?
    /// Recommend only items carrying all of these catalog attributes.
    public var requiredAttributes: Set<String> = []

    /// No rule but excluding seen items.
    public init() {}
}

/// Who to recommend for.
public enum UserQuery: Sendable, Equatable {
    /// Item ids, oldest first.
    case history([String])
    /// A user whose history the recommender was given.
    case user(String)
}

/// One recommended item and its final score.
public struct Recommendation: Codable, Equatable, Sendable {
    /// The item id.
    public var item: String
    /// The score after the popularity penalty, as ranked.
    public var score: Float
}

/// What happened to one ANN candidate.
public struct CandidateTrace: Codable, Equatable, Sendable {
    /// The candidate's item id.
    public var item: String
    /// Position among the ANN candidates (0 = nearest).
    public var annRank: Int
    /// The score the ANN search gave (for a candidate added from the popularity list under a
    /// popularity prior, its training count).
    public var annScore: Float
    /// The exact re-score against the user vector (with the version's popularity prior, when it
    /// has one: score + beta * log(1 + training count)).
    public var exactScore: Float
    /// What the popularity penalty subtracted.
    public var popularityPenalty: Float
    /// `exactScore` minus `popularityPenalty`.
    public var finalScore: Float
    /// "response" (kept), "rules" or "ranking" (dropped there).
    public var stage: String
    /// Whether the candidate is in the response.
    public var kept: Bool
    /// Position in the response, for kept items.
    public var rank: Int?
    /// Why it was kept or dropped, in words.
    public var reason: String
}

/// Why a response was not ranked from the user's history.
public enum Fallback: String, Codable, Sendable {
    /// No item of the history is in the version: the most popular training items, by the
    /// counts stored in the version (`popularity.rvv`), under the same rules.
    case popularity
}

/// The answer to one request.
public struct RecommendResponse: Codable, Equatable, Sendable {
    /// The version that answered the whole request.
    public var version: String
    /// The recommended items, best first.
    public var items: [Recommendation]
    /// History items the version has no vector for, skipped (in history order, repeats kept once).
    public var unknownItems: [String] = []
    /// Set when the history gave no user vector (empty, or every item unknown).
    public var fallback: Fallback?
    /// Items the hard rules (seen, block/allow lists, required attributes) excluded from the ANN
    /// search itself (filtering during the search keeps recall when most items are excluded).
    public var excludedAtRetrieval: Int
    /// With `explain`: every ANN candidate, in ANN order.
    public var trace: [CandidateTrace]?
}

/// The online path over one published version:
/// user vector (`UserVectorRule`, over the query-side vectors when the version has them) -> ANN top-K' with the hard rules as a search filter ->
/// exact re-score (`Kernels.scores`, C kernel `rv_score_f32`) with an optional popularity
/// penalty -> greedy selection with optional MMR diversity and the per-category cap -> response.
///
/// A version whose manifest records a popularity prior beta (`Manifest.popularityPrior`) is
/// ranked by score + beta * log(1 + training count), as it was evaluated, through the type
/// evaluation ranks with (`PopularityPrior`, built once here from `popularity.rvv`): without an
/// HNSW index the exact search itself ranks by it (the served list is the evaluated one); with an
/// index the K' nearest by the plain score and the K' most popular allowed items are re-ranked
/// with it, which is approximate (an item in neither set can belong in the top k).
public final class Recommender: @unchecked Sendable {
    /// The version this recommender serves.
    public let version: StoreVersion
    /// The knobs it was made with.
    public let config: RecommenderConfig
    private let histories: [String: [String]]
    private let categoryOfRow: [Int32]
    private let categoryNames: [String]
    private let popularityOfRow: [Float]
    /// Per attribute, a bitset over rows of the items that carry it.
    private let attributeBits: [String: [UInt64]]
    private let hasCatalog: Bool
    /// Rows by training count, most popular first (ties: lower row), when the version stores counts.
    private let popularityOrder: [Int32]?
    /// The version's popularity prior over its rows (nil when beta is 0 or absent).
    private let prior: PopularityPrior?
    /// Exact search by score + prior, for a version without an HNSW index.
    private let priorIndex: FlatIndex?

    /// beta of the popularity prior this recommender ranks with (the manifest's; 0 = none).
    public var popularityPrior: Float { prior?.beta ?? 0 }

    /// The rule user vectors are built by: the config's, else the manifest's, else the default.
    public var userVectorRule: UserVectorRule { config.userVectorRule ?? version.manifest.userVectorRule ?? .default }

    /// A recommender over `version`, with the rules' catalog and known users' histories; throws `ServeError.invalidArgument` for a config out of range.
    public init(version: StoreVersion, catalog: Catalog? = nil, histories: [String: [String]] = [:],
                config: RecommenderConfig = RecommenderConfig()) throws {
        guard (1 ... ServeLimits.maxCandidateFactor).contains(config.candidateFactor) else {
            throw ServeError.invalidArgument(name: "candidateFactor", value: "\(config.candidateFactor)", expected: "1 ... \(ServeLimits.maxCandidateFactor)")
        }
        if let ef = config.efSearch, !(1 ... ServeLimits.maxEfSearch).contains(ef) {
            throw ServeError.invalidArgument(name: "efSearch", value: "\(ef)", expected: "1 ... \(ServeLimits.maxEfSearch)")
        }
        try Self.check(popularityPenalty: config.popularityPenalty, diversity: config.diversity)
        self.version = version
        self.config = config
        self.histories = histories
        var categoryOfRow = [Int32](repeating: -1, count: version.count)
        var categoryIndex: [String: Int32] = [:]
        var categoryNames: [String] = []
        var popularity = [Float](repeating: 0, count: version.count)
        var attributeBits: [String: [UInt64]] = [:]
        let words = (version.count + 63) / 64
        if let catalog {
            let maxPopularity = catalog.entries.values.compactMap(\.popularity).max() ?? 0
            for (id, entry) in catalog.entries {
                guard let row = version.row(of: id).map(Int.init) else { continue }
                if let category = entry.category {
                    if categoryIndex[category] == nil {
                        categoryIndex[category] = Int32(categoryNames.count)
                        categoryNames.append(category)
                    }
                    categoryOfRow[row] = categoryIndex[category]!
                }
                if let p = entry.popularity, maxPopularity > 0 { popularity[row] = Float(log1p(p) / log1p(maxPopularity)) }
                for attribute in entry.attributes {
                    attributeBits[attribute, default: [UInt64](repeating: 0, count: words)][row >> 6] |= 1 << UInt64(row & 63)
                }
            }
        }
        self.categoryOfRow = categoryOfRow
        self.categoryNames = categoryNames
        self.popularityOfRow = popularity
        self.attributeBits = attributeBits
        hasCatalog = catalog != nil
        popularityOrder = version.popularity.map { counts in
            let c = counts.values
            return Ranking.top(c.count, of: c.count, key: { c[$0] }).map { Int32($0) }
        }
        (prior, priorIndex) = try Self.makePrior(version)
    }

    /// The version's popularity prior and, without an HNSW index, the exact index that ranks by
    /// it (one copy of the item rows with a log-count column; `Manifest.read` has checked that a
    /// version with beta != 0 stores its counts).
    private static func makePrior(_ version: StoreVersion) throws -> (PopularityPrior?, FlatIndex?) {
        guard let beta = version.manifest.popularityPrior, beta != 0, let counts = version.popularity else { return (nil, nil) }
        let prior = try PopularityPrior(itemVectors: version.vectors.matrix(), metric: version.manifest.metric,
                                        popularity: counts.values.map { Int($0) }, beta: beta, threads: 1)
        return (prior, version.index == nil ? try FlatIndex(prior.items, metric: .dot) : nil)
    }

    /// The `n` most popular rows `filter` allows, scored by their training counts (ties: lower
    /// row); nil when the version stores no counts.
    private func mostPopular(_ n: Int, filter: SearchFilter?) -> [Neighbour]? {
        guard let order = popularityOrder, let counts = version.popularity?.values else { return nil }
        var picked: [Neighbour] = []
        for row in order where picked.count < n && filter?.allows(row) ?? true {
            picked.append(Neighbour(id: row, score: counts[Int(row)]))
        }
        return picked
    }

    private static func check(popularityPenalty: Float, diversity: Float) throws {
        guard diversity >= 0 && diversity < 1 else {
            throw ServeError.invalidArgument(name: "diversity", value: "\(diversity)", expected: "in [0, 1)")
        }
        guard popularityPenalty >= 0 && popularityPenalty.isFinite else {
            throw ServeError.invalidArgument(name: "popularityPenalty", value: "\(popularityPenalty)", expected: ">= 0")
        }
    }

    /// The top `k` items for `query` under `rules`; with `explain`, the fate of every candidate.
    /// `popularityPenalty` and `diversity` override the config's for this request (nil = the config's).
    public func recommend(_ query: UserQuery, k: Int, rules: RecommendRules = RecommendRules(), explain: Bool = false,
                          popularityPenalty: Float? = nil, diversity: Float? = nil) throws -> RecommendResponse {
        guard (1 ... ServeLimits.maxK).contains(k) else { throw ServeError.invalidArgument(name: "k", value: "\(k)", expected: "1 ... \(ServeLimits.maxK)") }
        let penaltyWeight = popularityPenalty ?? config.popularityPenalty, diversity = diversity ?? config.diversity
        try Self.check(popularityPenalty: penaltyWeight, diversity: diversity)
        if let cap = rules.maxPerCategory, cap < 1 {
            throw ServeError.invalidArgument(name: "maxPerCategory", value: "\(cap)", expected: ">= 1")
        }
        let historyIDs: [String]
        switch query {
        case let .history(ids): historyIDs = ids
        case let .user(user):
            guard let ids = histories[user] else { throw ServeError.unknownUser(id: user) }
            historyIDs = ids
        }
        if !hasCatalog, let cap = rules.maxPerCategory {
            throw ServeError.invalidArgument(name: "maxPerCategory", value: "\(cap)", expected: "a catalog given to the Recommender (the rule needs item categories)")
        }
        if !hasCatalog, let attribute = rules.requiredAttributes.sorted().first {
            throw ServeError.invalidArgument(name: "requiredAttributes", value: attribute, expected: "a catalog given to the Recommender (the rule needs item attributes)")
        }
        var historyRows: [Int32] = [], unknown: [String] = [], unknownSeen = Set<String>()
        for id in historyIDs {
            if let row = version.row(of: id) { historyRows.append(row) } else if unknownSeen.insert(id).inserted { unknown.append(id) }
        }

        // Stage 1: the user vector, by the rule evaluation used, over the history's rows.
        let dimension = version.dimension
        let historyMatrix = version.gather(historyRows, from: version.userSideVectors)
        let userVector = userVectorRule.vector(history: Int32(0) ..< Int32(historyRows.count), items: historyMatrix)

        // Stage 2: ANN top-K' (or, without a user vector, the most popular items), the hard rules as a search filter.
        let filter = makeFilter(historyRows: historyRows, rules: rules)
        let allowed = filter?.allowedCount ?? version.count
        let kPrime = min(max(k * config.candidateFactor, k + 10), allowed)
        let candidates: [Neighbour], exact: [Float], penalty: [Float]
        var candidateMatrix = Matrix(rows: 0, cols: dimension)
        if let userVector {
            let ef = max(config.efSearch ?? version.manifest.index?.efSearch ?? kPrime, kPrime)
            // With a prior and no HNSW index, the exact search ranks by score + prior (as evaluated).
            let priorQuery = prior.map { $0.query(userVector) }
            if kPrime == 0 {
                candidates = []
            } else if let priorIndex, let priorQuery {
                candidates = try priorIndex.search(priorQuery, k: min(kPrime, version.count), efSearch: nil, filter: filter)
            } else {
                var found = try version.nearest(userVector, k: kPrime, efSearch: ef, filter: filter)
                if prior != nil, let popular = mostPopular(kPrime, filter: filter) {
                    // The prior lifts popular items the plain-score neighbours can miss: add the K' most popular allowed rows.
                    var taken = Set(found.map(\.id))
                    found += popular.filter { taken.insert($0.id).inserted }
                }
                candidates = found
            }
            // Stage 3: exact re-score (with the prior, when the version has one) and popularity penalty.
            candidateMatrix = version.gather(candidates.map(\.id), from: version.vectors)
            if let prior, let priorQuery {
                exact = candidates.isEmpty ? [] : try Kernels.scores(queries: Matrix(rows: 1, cols: dimension + 1, values: priorQuery),
                                                                     rows: prior.rows(candidates.map(\.id)),
                                                                     metric: .dot, threads: 1).values
            } else {
                exact = candidates.isEmpty ? [] : try Kernels.scores(queries: Matrix(rows: 1, cols: dimension, values: userVector),
                                                                     rows: candidateMatrix, metric: version.manifest.metric, threads: 1).values
            }
            penalty = candidates.map { penaltyWeight * popularityOfRow[Int($0.id)] }
        } else {
            guard let popular = mostPopular(kPrime, filter: filter) else {
                throw historyIDs.isEmpty ? ServeError.emptyHistory : ServeError.noFallback(version: version.name, unknownItems: unknown)
            }
            candidates = popular
            candidateMatrix = version.gather(candidates.map(\.id), from: version.vectors)
            exact = candidates.map(\.score)
            penalty = candidates.map { _ in 0 }
        }
        let final = zip(exact, penalty).map { $0 - $1 }
        // Published rows have bounded norms (VectorFile.maxSquaredNorm), so scores are finite;
        // a version that breaks that (an old or unverified store) fails loudly, never with inf.
        if let bad = final.firstIndex(where: { !$0.isFinite }) {
            throw ServeError.nonFiniteScore(item: version.ids[Int(candidates[bad].id)], version: version.name, score: final[bad])
        }
        var order = Array(candidates.indices)
        order.sort { final[$0] != final[$1] ? final[$0] > final[$1] : candidates[$0].id < candidates[$1].id }
        let similarity = diversity > 0 && candidates.count > 1 && userVector != nil
            ? try Kernels.scores(queries: candidateMatrix, rows: candidateMatrix, metric: version.manifest.metric, threads: 1) : nil

        // Stage 4: greedy selection (MMR when diversity > 0) under the per-category cap.
        var outcome = [(stage: String, kept: Bool, rank: Int?, reason: String)?](repeating: nil, count: candidates.count)
        var perCategory: [Int32: Int] = [:]
        var maxSimilarity = [Float](repeating: -.infinity, count: candidates.count)
        var picked: [Int] = []
        var remaining = order
        while picked.count < k, !remaining.isEmpty {
            var best = 0
            if similarity != nil {
                let d = diversity
                func mmr(_ i: Int) -> Float { (1 - d) * final[i] - d * (picked.isEmpty ? 0 : maxSimilarity[i]) }
                for j in 1 ..< remaining.count where mmr(remaining[j]) > mmr(remaining[best]) { best = j }
            }
            let i = remaining.remove(at: best)
            let category = categoryOfRow[Int(candidates[i].id)]
            if let cap = rules.maxPerCategory, category >= 0, perCategory[category, default: 0] >= cap {
                outcome[i] = ("rules", false, nil, explain ? "category \(categoryNames[Int(category)]) already has \(cap) item(s)" : "")
                continue
            }
            if category >= 0 { perCategory[category, default: 0] += 1 }
            picked.append(i)
            // The reasons are text for `explain` only: formatting them costs more than ranking.
            outcome[i] = ("response", true, picked.count, !explain ? ""
                          : similarity == nil ? "rank \(picked.count) by final score" : "rank \(picked.count) by MMR (diversity \(diversity))")
            if let similarity {
                for j in remaining { maxSimilarity[j] = max(maxSimilarity[j], similarity[i, j]) }
            }
        }
        for i in remaining { outcome[i] = ("ranking", false, nil, explain ? "not among the top \(k) after ranking" : "") }

        let items = picked.map { Recommendation(item: version.ids[Int(candidates[$0].id)], score: final[$0]) }
        let trace = explain ? candidates.indices.map { i in
            CandidateTrace(item: version.ids[Int(candidates[i].id)], annRank: i + 1, annScore: candidates[i].score,
                           exactScore: exact[i], popularityPenalty: penalty[i], finalScore: final[i],
                           stage: outcome[i]!.stage, kept: outcome[i]!.kept, rank: outcome[i]!.rank, reason: outcome[i]!.reason)
        } : nil
        return RecommendResponse(version: version.name, items: items, unknownItems: unknown, fallback: userVector == nil ? .popularity : nil,
                                 excludedAtRetrieval: version.count - allowed, trace: trace)
    }

    /// The `k` items nearest to item `id` (itself excluded): the list a one-item history gives
    /// with every rule off, under the version's metric and sides (similarity only: the version's
    /// popularity prior, if any, is not added). Throws `ServeError.unknownItem`
    /// when the version has no vector for `id`.
    public func mostSimilar(to id: String, k: Int) throws -> [Recommendation] {
        guard k > 0 else { throw ServeError.invalidArgument(name: "k", value: "\(k)", expected: "> 0") }
        guard let row = version.row(of: id) else { throw ServeError.unknownItem(id: id, version: version.name) }
        let query = Array(version.userSideVectors.row(Int(row)))
        let wanted = min(k, version.count - 1)
        guard wanted > 0 else { return [] }
        let ef = max(config.efSearch ?? version.manifest.index?.efSearch ?? wanted, wanted)
        let found = try version.nearest(query, k: wanted, efSearch: ef, filter: SearchFilter(count: version.count, excluding: [row]))
        return found.map { Recommendation(item: version.ids[Int($0.id)], score: $0.score) }
    }

    /// The ANN filter for the hard rules; nil when nothing is excluded.
    private func makeFilter(historyRows: [Int32], rules: RecommendRules) -> SearchFilter? {
        var excluded = rules.excludeSeen ? historyRows : []
        for id in rules.blocklist { if let row = version.row(of: id) { excluded.append(row) } }
        guard !excluded.isEmpty || rules.allowlist != nil || !rules.requiredAttributes.isEmpty else { return nil }
        var filter = SearchFilter(count: version.count, excluding: excluded)
        if let allowlist = rules.allowlist {
            var bits = [UInt64](repeating: 0, count: filter.allowedBits.count)
            for id in allowlist { if let row = version.row(of: id) { bits[Int(row) >> 6] |= 1 << UInt64(row & 63) } }
            for w in bits.indices { filter.allowedBits[w] &= bits[w] }
        }
        for attribute in rules.requiredAttributes {
            guard let bits = attributeBits[attribute] else {
                for w in filter.allowedBits.indices { filter.allowedBits[w] = 0 }
                break
            }
            for w in bits.indices { filter.allowedBits[w] &= bits[w] }
        }
        return filter
    }
}
