import Foundation

/// MovieLens 100K as a next-item benchmark: each user's ratings in time order (u.data timestamps;
/// ties keep file order), cut into sessions at gaps longer than `sessionGap`, with the 19 genre
/// flags of u.item as the content modality.
public struct MovieLensData: Sendable {
    public var users: UserSessions
    public var itemCount: Int
    public var genres: ContentModality
    /// MovieLens ids of the dense items (item `i` is movie `itemIDs[i]`).
    public var itemIDs: [Int]

    /// Reads `directory/u.data` and `directory/u.item`. Errors name the file, line and value.
    public init(directory: URL, sessionGap: Int64 = 3600) throws(DataError) {
        let dataFile = directory.appendingPathComponent("u.data"), itemFile = directory.appendingPathComponent("u.item")
        let ratings = try Self.lines(dataFile)
        var perUser: [Int: [(time: Int64, line: Int, movie: Int)]] = [:]
        var movies = Set<Int>()
        for (n, line) in ratings.enumerated() where !line.isEmpty {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 4 else { throw .tooFewFields(file: dataFile.path, line: n + 1, found: f.count, expected: 4) }
            guard let user = Int(f[0]), user > 0 else { throw .badValue(file: dataFile.path, line: n + 1, column: "user_id", value: String(f[0]), expected: "a positive integer") }
            guard let movie = Int(f[1]), movie > 0 else { throw .badValue(file: dataFile.path, line: n + 1, column: "item_id", value: String(f[1]), expected: "a positive integer") }
            guard let time = Int64(f[3].trimmingCharacters(in: .whitespaces)) else {
                throw .badValue(file: dataFile.path, line: n + 1, column: "timestamp", value: String(f[3]), expected: "unix seconds")
            }
            perUser[user, default: []].append((time, n, movie))
            movies.insert(movie)
        }
        guard !perUser.isEmpty else { throw .noEvents(file: dataFile.path, skippedLines: 0) }
        // u.item is latin-1; only the id and the trailing 19 flags are read.
        var genreRows: [Int: [Float]] = [:]
        for (n, line) in try Self.lines(itemFile, latin1: true).enumerated() where !line.isEmpty {
            let f = line.split(separator: "|", omittingEmptySubsequences: false)
            guard f.count >= 24 else { throw .tooFewFields(file: itemFile.path, line: n + 1, found: f.count, expected: 24) }
            guard let movie = Int(f[0]) else { throw .badValue(file: itemFile.path, line: n + 1, column: "movie_id", value: String(f[0]), expected: "an integer") }
            var flags: [Float] = []
            for (g, field) in f[(f.count - 19)...].enumerated() {
                guard field == "0" || field == "1" else {
                    throw .badValue(file: itemFile.path, line: n + 1, column: "genre \(g)", value: String(field), expected: "0 or 1")
                }
                flags.append(field == "1" ? 1 : 0)
            }
            genreRows[movie] = flags
        }
        itemIDs = movies.sorted()
        let missing = itemIDs.filter { genreRows[$0] == nil }
        guard missing.isEmpty else { throw .missingItems(file: itemFile.path, count: missing.count, examples: missing.prefix(5).map(String.init)) }
        let dense = Dictionary(uniqueKeysWithValues: itemIDs.enumerated().map { ($1, Int32($0)) })
        itemCount = itemIDs.count
        var g = Matrix(rows: itemCount, cols: 19)
        for (i, movie) in itemIDs.enumerated() { for c in 0 ..< 19 { g[i, c] = genreRows[movie]![c] } }
        genres = ContentModality(name: "genres", vectors: g)
        users = perUser.keys.sorted().map { user in
            let events = perUser[user]!.sorted { ($0.time, $0.line) < ($1.time, $1.line) }
            var sessions: [[Int32]] = [[]]
            var last = events[0].time
            for e in events {
                if e.time - last > sessionGap { sessions.append([]) }
                sessions[sessions.count - 1].append(dense[e.movie]!)
                last = e.time
            }
            return sessions
        }
    }

    private static func lines(_ url: URL, latin1: Bool = false) throws(DataError) -> [Substring] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(file: url.path, reason: error.localizedDescription) }
        guard !data.isEmpty else { throw .emptyFile(file: url.path) }
        let text = latin1 ? (String(data: data, encoding: .isoLatin1) ?? "") : String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
    }
}

extension Tables {
    /// Leave-last-out table over `users` (sessions in time order) for every method, with
    /// popularity and random baselines, and, when `coldFraction > 0`, cold-start rows: a random
    /// `coldFraction` of the items lose every event before training (they get vectors from
    /// content alone), and only cases whose target is one of them are scored.
    public static func leaveLastOut(users: UserSessions, itemCount: Int, content: [ContentModality], configs: MethodConfigs,
                                    methods: [Method] = Method.allCases, k: Int = 20, userRule: UserVectorRule, excludeSeen: Bool,
                                    coldFraction: Double = 0, seed: UInt64 = 1, threads: Int = 0,
                                    progress: ((String) -> Void)? = nil) throws -> ResultsTable {
        var table = ResultsTable()
        let split = EvalProtocols.leaveLastOut(users, excludeSeen: excludeSeen)
        let corpus = try Corpus(sessions: split.training, vocabularySize: itemCount)
        table.rows += try methodRows(methods, corpus: corpus, cases: split.cases, content: content, cold: [], configs: configs,
                                     k: k, rule: userRule, evalProtocol: .leaveLastOut, threads: threads, progress: progress)
        table.rows += baselineRows(split.cases, k: k, popularity: corpus.counts(), evalProtocol: .leaveLastOut, seed: seed)
        guard coldFraction > 0 else { return table }
        var random = SplitMix64(seed: seed, stream: 0xC01D)
        var order = Array(0 ..< itemCount)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
        let cold = Set(order.prefix(Int((Double(itemCount) * coldFraction).rounded())))
        let warmSessions = split.training.map { $0.filter { !cold.contains(Int($0)) } }.filter { !$0.isEmpty }
        let warmCorpus = try Corpus(sessions: warmSessions, vocabularySize: itemCount)
        let coldCases = split.cases.filter { cold.contains(Int($0.target)) }
        table.notes.append("cold-start: \(cold.count) items without events, \(coldCases.count) cases with a cold target")
        table.rows += try methodRows(methods, corpus: warmCorpus, cases: coldCases, content: content, cold: cold, configs: configs,
                                     k: k, rule: userRule, evalProtocol: .coldStart, threads: threads, progress: progress)
        table.rows += baselineRows(coldCases, k: k, popularity: warmCorpus.counts(), evalProtocol: .coldStart, seed: seed)
        return table
    }

    /// Trains and evaluates each method on one protocol's corpus and cases.
    static func methodRows(_ methods: [Method], corpus: Corpus, cases: [EvalCase], content: [ContentModality], cold: Set<Int>,
                           configs: MethodConfigs, k: Int, rule: UserVectorRule, evalProtocol: EvalProtocol, threads: Int,
                           progress: ((String) -> Void)?) throws -> [TableRow] {
        let popularity = corpus.counts()
        // Behaviour-only methods have no vector for an item without training events: it is not rankable.
        let untrained = (0 ..< popularity.count).filter { popularity[$0] == 0 }.map(Int32.init)
        var trained: [Method: TrainedMethod] = [:], rows: [TableRow] = []
        for method in methods {
            progress?("\(evalProtocol.rawValue): training \(method.rawValue)")
            let model = try Methods.train(method, corpus: corpus, content: content, cold: cold, configs: configs,
                                          base: method == .fused ? trained[configs.fusionBase] : nil, progress: progress)
            trained[method] = model
            let start = Date()
            var retrieval = model.retrieval
            retrieval.rule = rule
            let behaviourOnly = method != .content && method != .fused
            let scored = behaviourOnly && !untrained.isEmpty
                ? cases.map { EvalCase(history: $0.history, target: $0.target, exclude: Array(Set($0.exclude + untrained)).sorted(), user: $0.user) }
                : cases
            let metrics = try Evaluator.evaluate(scored, retrieval: retrieval, k: k, popularity: popularity, threads: threads)
            rows.append(TableRow(method: method.tableName, evalProtocol: evalProtocol, metrics: metrics,
                                 seconds: model.seconds + Date().timeIntervalSince(start), scoring: model.retrieval.label))
        }
        return rows
    }
}
