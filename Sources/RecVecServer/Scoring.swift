import Foundation
import RecVec

/// What scoring one request did, for the live signals and the metrics.
struct ScoringOutcome {
    var reply: RecommendReply
    var candidatesScanned: Int
}

extension ServedVersion {
    /// The history a request stands for: its own, or the known user's (404 when unknown).
    func history(of request: RecommendRequest) throws -> [String] {
        switch request.query {
        case let .history(ids): return ids
        case let .user(user):
            guard let ids = inputs.histories[user] else {
                throw APIError(status: 404, code: "unknown_user", field: "user", value: user,
                               message: "no history for user \(APIError.quoted(user)) (the service was started with \(inputs.histories.count) known users)")
            }
            return ids
        }
    }

    /// Answers one request through the version's `Recommender`: unknown history items are skipped
    /// and reported; with no known item left the answer is the popularity fallback (the training
    /// counts the version stores; for a version without them, `popular`).
    func recommend(_ request: RecommendRequest) throws -> ScoringOutcome {
        let history = try history(of: request)
        let response: RecommendResponse
        do {
            response = try recommender.recommend(.history(history), k: request.k, rules: request.rules, explain: request.explain,
                                                 popularityPenalty: request.popularityPenalty, diversity: request.diversity)
        } catch ServeError.noFallback, ServeError.emptyHistory {
            let (ids, scores) = popular(k: request.k, rules: request.rules)
            return ScoringOutcome(reply: RecommendReply(version: name, ids: ids, scores: scores, unknownItems: split(history).unknown,
                                                        fallback: true, excludedAtRetrieval: 0, trace: nil),
                                  candidatesScanned: 0)
        }
        let kPrime = max(request.k * recommender.config.candidateFactor, request.k + 10)
        return ScoringOutcome(reply: RecommendReply(version: response.version, ids: response.items.map(\.item),
                                                    scores: response.items.map(\.score), unknownItems: response.unknownItems,
                                                    fallback: response.fallback != nil,
                                                    excludedAtRetrieval: response.excludedAtRetrieval, trace: response.trace),
                              candidatesScanned: response.fallback != nil ? 0 : min(kPrime, version.count - response.excludedAtRetrieval))
    }

    /// The history's rows in the version, and the ids it has no vector for (each once, in order),
    /// as `Recommender` reports them.
    func split(_ history: [String]) -> (rows: [Int32], unknown: [String]) {
        var rows: [Int32] = [], unknown: [String] = [], seen = Set<String>()
        for id in history {
            if let row = version.row(of: id) { rows.append(row) } else if seen.insert(id).inserted { unknown.append(id) }
        }
        return (rows, unknown)
    }

    /// The `k` most popular items the rules allow (block and allow lists, required attributes
    /// when the catalog has them).
    func popular(k: Int, rules: RecommendRules) -> (ids: [String], scores: [Float]) {
        var ids: [String] = []
        var scores: [Float] = []
        let required = rules.requiredAttributes
        for row in popularRows {
            if ids.count == k { break }
            let id = version.ids[Int(row)]
            if rules.blocklist.contains(id) { continue }
            if let allow = rules.allowlist, !allow.contains(id) { continue }
            if !required.isEmpty {
                guard let attributes = inputs.catalog?.entries[id]?.attributes, required.isSubset(of: attributes) else { continue }
            }
            ids.append(id)
            scores.append(popularityOfRow[Int(row)])
        }
        return (ids, scores)
    }

    /// Items most similar to `id` (itself left out): `Recommender.mostSimilar`, the list a
    /// one-item history gives with every rule off.
    func similar(to id: String, k: Int) throws -> SimilarReply {
        guard version.row(of: id) != nil else {
            throw APIError(status: 404, code: "unknown_item", field: "id", value: id,
                           message: "version \(name) has no vector for item \(APIError.quoted(id))")
        }
        let hits = try recommender.mostSimilar(to: id, k: k)
        return SimilarReply(version: name, item: id, ids: hits.map(\.item), scores: hits.map(\.score))
    }

    /// Answers a batch from this one version. Requests that use only the history, k, exclude-seen
    /// and a block list are scored together: their user vectors form one matrix searched by one
    /// call of the C kernel (`rv_hnsw_search_f32` through `HNSWIndex.search`, or
    /// `rv_score_topk_f32` through `Kernels.topK` for a version without an index), over-fetching
    /// by each request's excluded count and dropping the excluded items afterwards. The others
    /// (allow list, category cap, attributes, penalty, diversity, explain, fallback), and every
    /// request to a version with a popularity prior, are answered one by one, as `recommend` would.
    func recommendBatch(_ requests: [RecommendRequest]) throws -> [ScoringOutcome] {
        var outcomes = [ScoringOutcome?](repeating: nil, count: requests.count)
        var batched: [(index: Int, known: [Int32], unknown: [String], excluded: Set<Int32>)] = []
        let rule = recommender.userVectorRule
        for (i, request) in requests.enumerated() {
            let plain = request.rules.allowlist == nil && request.rules.maxPerCategory == nil && request.rules.requiredAttributes.isEmpty
                && (request.popularityPenalty ?? inputs.config.popularityPenalty) == 0
                && (request.diversity ?? inputs.config.diversity) == 0 && !request.explain && recommender.popularityPrior == 0
            let (rows, unknown) = split(try history(of: request))
            guard plain, !rows.isEmpty else { outcomes[i] = try recommend(request); continue }
            var excluded = Set(request.rules.excludeSeen ? rows : [])
            for id in request.rules.blocklist { if let row = version.row(of: id) { excluded.insert(row) } }
            batched.append((i, rows, unknown, excluded))
        }
        guard !batched.isEmpty else { return outcomes.map { $0! } }

        let dimension = version.dimension
        var queries = Matrix(rows: 0, cols: dimension)
        for entry in batched {
            let historyMatrix = version.gather(entry.known, from: version.userSideVectors)
            guard let vector = rule.vector(history: Int32(0) ..< Int32(entry.known.count), items: historyMatrix) else {
                throw ServeError.emptyHistory
            }
            try queries.append(row: vector)
        }
        let fetch = min(batched.map { requests[$0.index].k + $0.excluded.count }.max()!, version.count)
        let ef = max(recommender.config.efSearch ?? version.manifest.index?.efSearch ?? fetch, fetch)
        let top: TopK
        top = try version.searchIndex.search(queries, k: fetch, efSearch: ef, filter: nil, threads: 1)
        for (q, entry) in batched.enumerated() {
            let k = requests[entry.index].k
            var ids: [String] = []
            var scores: [Float] = []
            for j in 0 ..< fetch where ids.count < k {
                let row = top.ids[q * fetch + j]
                guard row >= 0, !entry.excluded.contains(row) else { continue }
                ids.append(version.ids[Int(row)])
                scores.append(top.scores[q * fetch + j])
            }
            outcomes[entry.index] = ScoringOutcome(
                reply: RecommendReply(version: name, ids: ids, scores: scores, unknownItems: entry.unknown, fallback: false,
                                      excludedAtRetrieval: 0, trace: nil),
                candidatesScanned: fetch)
        }
        return outcomes.map { $0! }
    }
}
