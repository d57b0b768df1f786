import Foundation

/// The parameters of the synthetic ("seed") workload. Defaults are the seed protocol's.
///
/// The model: user and item factors are drawn i.i.d. from N(0, `factorScale`^2) in
/// `dimension` dims; item popularity is Pareto with shape `popularityExponent` (x = (1 - U)^(-1/a),
/// normalised to sum 1). Each session belongs to one user drawn uniformly, and each of its
/// `sessionLength` events is drawn independently from
/// `P(item | user) = preferenceShare * softmax_j(user . item_j) + (1 - preferenceShare) * popularity`.
public struct SyntheticConfig: Equatable, Sendable, Codable {
    /// Number of users.
    public var users = 1500
    /// Number of items in the catalog.
    public var items = 400
    /// Number of sessions (each belongs to one user drawn uniformly).
    public var sessions = 7000
    /// Events per session.
    public var sessionLength = 20
    /// Dimension of the latent user and item factors.
    public var dimension = 16
    /// Standard deviation of every user and item factor. 1.0 is about where the Bayes-optimal
    /// next-item Recall@20 on the defaults peaks with the previous item excluded (about 0.25:
    /// smaller scales blur users together, larger ones make sessions repeat one item, and a
    /// repeat is a miss); with the previous item allowed in the ranking it is about 0.44.
    public var factorScale = 1.0
    /// Shape `a` of the Pareto popularity law (a = 2: finite mean, infinite variance: a long tail).
    public var popularityExponent = 2.0
    /// Weight of the personal softmax in each event's mixture; the rest is popularity.
    public var preferenceShare = 0.8
    /// Content modalities simulated per item: the item's factors (divided by `factorScale`, so
    /// each coordinate has unit variance) through a random linear map with N(0, 1/dimension)
    /// entries (so each output coordinate has unit variance), plus N(0, contentNoise^2) noise.
    /// Each modality has its own map and noise.
    public var contentModalities = ["text", "image"]
    /// Columns of each content modality.
    public var contentDimension = 64
    /// Standard deviation of the noise added to each content coordinate.
    public var contentNoise = 0.2
    /// Timestamp of the first event (seconds since the epoch). Events in a session are
    /// `eventSpacing` seconds apart; sessions start `(sessionLength - 1) * eventSpacing + 3600`
    /// seconds apart, so a 30-minute inactivity gap separates any two sessions of one user.
    public var startTime: Int64 = 1_600_000_000
    /// Seconds between two events of a session.
    public var eventSpacing: Int64 = 30
    /// Seed of every draw: the same seed gives the same workload, whatever `threads`.
    public var seed: UInt64 = 42
    /// Threads for generation and the ceiling (0 = all cores). The workload does not depend on it.
    public var threads = 0

    /// The seed protocol's defaults.
    public init() {}

    /// Seconds between the starts of two consecutive sessions.
    public var sessionSpacing: Int64 { Int64(sessionLength - 1) * eventSpacing + 3600 }
    /// Events the workload holds: `sessions x sessionLength`.
    public var eventCount: Int { sessions * sessionLength }

    /// Throws `DataError.invalidArgument` naming the first parameter out of range.
    public func validate() throws(DataError) {
        for (name, value) in [("users", users), ("items", items), ("sessions", sessions), ("sessionLength", sessionLength),
                              ("dimension", dimension)] where value < 1 {
            throw .invalidArgument(name: name, value: "\(value)", expected: ">= 1")
        }
        guard items <= Int(Int32.max), users <= Int(Int32.max), sessions <= Int(Int32.max) else {
            throw .invalidArgument(name: "users/items/sessions", value: "\(users)/\(items)/\(sessions)", expected: "each < 2^31")
        }
        // Events are indexed in Int32 (tokens): sessions x sessionLength, computed with an overflow check.
        let (events, overflow) = sessions.multipliedReportingOverflow(by: sessionLength)
        guard !overflow, events <= Int(Int32.max) else {
            throw .invalidArgument(name: "sessions x sessionLength", value: "\(sessions) x \(sessionLength)", expected: "< 2^31 events")
        }
        guard factorScale > 0, factorScale.isFinite else { throw .invalidArgument(name: "factorScale", value: "\(factorScale)", expected: "> 0") }
        guard popularityExponent > 0 else { throw .invalidArgument(name: "popularityExponent", value: "\(popularityExponent)", expected: "> 0") }
        guard (0 ... 1).contains(preferenceShare) else {
            throw .invalidArgument(name: "preferenceShare", value: "\(preferenceShare)", expected: "in [0, 1]")
        }
        guard contentNoise >= 0, contentDimension >= 1 || contentModalities.isEmpty else {
            throw .invalidArgument(name: "contentNoise/contentDimension", value: "\(contentNoise)/\(contentDimension)", expected: ">= 0 / >= 1")
        }
        guard threads >= 0 else { throw .invalidArgument(name: "threads", value: "\(threads)", expected: ">= 0 (0 = all cores)") }
        guard eventSpacing >= 1 else { throw .invalidArgument(name: "eventSpacing", value: "\(eventSpacing)", expected: ">= 1") }
    }
}

/// A synthetic workload drawn from a known model (see `SyntheticConfig`), so that the best any
/// method can do is known: `bayesRanking(prev:)` and `ceilingRecall(pairs:k:)`.
///
/// Generation computes each user's distribution over the catalog once (a users x items pass,
/// threaded over users) and draws all that user's events from its cumulative distribution by
/// binary search, so it scales to 100k items and 10M events. Each user draws from its own random
/// stream: the result does not depend on the number of threads.
///
/// Timestamps: session `s` starts at `startTime + s * sessionSpacing`, so time increases with the
/// session index (the leak-free splits rely on it); 10M events span decades, which nothing here
/// minds.
public struct SyntheticWorkload: Sendable {
    /// The parameters the workload was drawn with.
    public let config: SyntheticConfig
    /// `users x dimension`.
    public let userFactors: Matrix
    /// `items x dimension`.
    public let itemFactors: Matrix
    /// The popularity component of the model (sums to 1).
    public let popularity: [Float]
    /// The user of each session.
    public let sessionUsers: [Int32]
    /// The sessions, in order; session `s` holds events `s * sessionLength ..< (s + 1) * sessionLength`.
    public let sessions: Corpus
    /// The same events with users, increasing timestamps and the session column; ids are the
    /// dense indices ("0", "1", ...), every item of the catalog is in the item map.
    public let events: EventLog
    /// Simulated content, one modality per name in `config.contentModalities`.
    public let content: [ContentModality]
    /// `log sum_j exp(user . item_j)` per user: the softmax normaliser.
    let logNormalizers: [Float]
    /// `dimension x items`: item factors transposed, so score passes run along items.
    let itemFactorsByDimension: [Float]

    /// Draws the workload. `progress` receives a line now and then (for stderr).
    public init(config: SyntheticConfig = SyntheticConfig(), progress: ((String) -> Void)? = nil) throws(DataError) {
        try config.validate()
        self.config = config
        let (nu, ni, d, length) = (config.users, config.items, config.dimension, config.sessionLength)
        let seed = config.seed

        func gaussianMatrix(rows: Int, cols: Int, std: Double, stream: UInt64) -> Matrix {
            var rng = SplitMix64(seed: seed, stream: stream)
            var m = Matrix(rows: rows, cols: cols)
            for i in 0 ..< m.values.count { m.values[i] = Float(std * rng.gaussian()) }
            return m
        }
        userFactors = gaussianMatrix(rows: nu, cols: d, std: config.factorScale, stream: Stream.userFactors)
        itemFactors = gaussianMatrix(rows: ni, cols: d, std: config.factorScale, stream: Stream.itemFactors)
        var transposed = [Float](repeating: 0, count: d * ni)
        for j in 0 ..< ni { for c in 0 ..< d { transposed[c * ni + j] = itemFactors.values[j * d + c] } }
        itemFactorsByDimension = transposed

        var popRNG = SplitMix64(seed: seed, stream: Stream.popularity)
        let raw = (0 ..< ni).map { _ in Foundation.pow(1 - popRNG.unit(), -1 / config.popularityExponent) }
        let rawSum = raw.reduce(0, +)
        popularity = raw.map { Float($0 / rawSum) }

        var sessionRNG = SplitMix64(seed: seed, stream: Stream.sessionUsers)
        let sessionUsers = (0 ..< config.sessions).map { _ in Int32(sessionRNG.below(nu)) }
        self.sessionUsers = sessionUsers

        // Sessions of each user, in session order (counting sort).
        var userOffsets = [Int](repeating: 0, count: nu + 1)
        for u in sessionUsers { userOffsets[Int(u) + 1] += 1 }
        for u in 0 ..< nu { userOffsets[u + 1] += userOffsets[u] }
        var fill = userOffsets
        var sessionsByUser = [Int32](repeating: 0, count: config.sessions)
        for (s, u) in sessionUsers.enumerated() { sessionsByUser[fill[Int(u)]] = Int32(s); fill[Int(u)] += 1 }

        progress?("synthetic: drawing \(config.eventCount) events for \(nu) users over \(ni) items")
        var tokens = [Int32](repeating: 0, count: config.eventCount)
        var logZ = [Float](repeating: 0, count: nu)
        let share = config.preferenceShare
        let pop = popularity
        let userValues = userFactors.values
        let blocks = min(nu, 64 * ProcessInfo.processInfo.activeProcessorCount)
        let threads = config.threads
        tokens.withUnsafeMutableBufferPointer { tokenBuffer in
            logZ.withUnsafeMutableBufferPointer { logZBuffer in
                let tokenOut = tokenBuffer, logZOut = logZBuffer
                parallelFor(blocks, threads: threads) { block in
                    let weights = UnsafeMutablePointer<Float>.allocate(capacity: ni)
                    let cdf = UnsafeMutableBufferPointer<Double>.allocate(capacity: ni)
                    defer { weights.deallocate(); cdf.deallocate() }
                    for u in (block * nu / blocks) ..< ((block + 1) * nu / blocks) {
                        let (z, sum) = SyntheticWorkload.preferenceWeights(user: u, factors: userValues, dimension: d,
                                                                           itemsByDimension: transposed, items: ni, into: weights)
                        logZOut[u] = z
                        // weights[j] / sum is the softmax; mix in popularity.
                        let a = Float(share / sum), b = Float(1 - share)
                        var total = 0.0
                        pop.withUnsafeBufferPointer { pop in
                            for j in 0 ..< ni {
                                total += Double(a * weights[j] + b * pop[j])
                                cdf[j] = total
                            }
                        }
                        var rng = SplitMix64(seed: seed, stream: Stream.userEvents + UInt64(u))
                        for slot in userOffsets[u] ..< userOffsets[u + 1] {
                            let s = Int(sessionsByUser[slot])
                            for k in 0 ..< length {
                                tokenOut[s * length + k] = Int32(SyntheticWorkload.search(cdf, rng.unit() * total))
                            }
                        }
                    }
                }
            }
        }
        logNormalizers = logZ
        progress?("synthetic: events drawn")

        var offsets = [Int64](repeating: 0, count: config.sessions + 1)
        for s in 0 ... config.sessions { offsets[s] = Int64(s * length) }
        do {
            sessions = try Corpus(tokens: tokens, offsets: offsets, vocabularySize: ni)
        } catch {
            throw .invalidArgument(name: "synthetic corpus", value: "\(error)", expected: "a valid corpus")
        }
        var eventUsers = [Int32](repeating: 0, count: tokens.count)
        var eventSessions = [Int32](repeating: 0, count: tokens.count)
        var timestamps = [Int64](repeating: 0, count: tokens.count)
        for s in 0 ..< config.sessions {
            for k in 0 ..< length {
                eventUsers[s * length + k] = sessionUsers[s]
                eventSessions[s * length + k] = Int32(s)
                timestamps[s * length + k] = config.startTime + Int64(s) * config.sessionSpacing + Int64(k) * config.eventSpacing
            }
        }
        events = try EventLog(users: eventUsers, items: tokens, timestamps: timestamps, sessions: eventSessions,
                              userIDs: .identity(count: nu), itemIDs: .identity(count: ni),
                              sessionIDs: .identity(count: config.sessions))

        progress?("synthetic: content modalities \(config.contentModalities)")
        var content: [ContentModality] = []
        for (m, name) in config.contentModalities.enumerated() {
            let map = gaussianMatrix(rows: d, cols: config.contentDimension, std: 1 / Double(d).squareRoot(),
                                     stream: Stream.contentMap + UInt64(m))
            var vectors = gaussianMatrix(rows: ni, cols: config.contentDimension, std: config.contentNoise,
                                         stream: Stream.contentNoise + UInt64(m))
            let inverseScale = Float(1 / config.factorScale)
            for j in 0 ..< ni {
                for c in 0 ..< d {
                    let x = itemFactors.values[j * d + c] * inverseScale
                    for o in 0 ..< config.contentDimension { vectors.values[j * config.contentDimension + o] += x * map.values[c * config.contentDimension + o] }
                }
            }
            content.append(ContentModality(name: name, vectors: vectors))
        }
        self.content = content
        progress?("synthetic: content done")
    }

    /// Stream numbers of the independent random streams.
    private enum Stream {
        static let userFactors: UInt64 = 1, itemFactors: UInt64 = 2, popularity: UInt64 = 3, sessionUsers: UInt64 = 4
        static let contentMap: UInt64 = 1 << 20, contentNoise: UInt64 = 2 << 20, userEvents: UInt64 = 1 << 32
    }

    /// Writes `exp(user . item_j - max_j user . item_j)` for every item into `out`; returns their
    /// sum and the log of the softmax normaliser, `log sum_j exp(user . item_j)`.
    static func preferenceWeights(user u: Int, factors: [Float], dimension d: Int, itemsByDimension: [Float], items: Int,
                                  into out: UnsafeMutablePointer<Float>) -> (logNormalizer: Float, sum: Double) {
        factors.withUnsafeBufferPointer { f in
            itemsByDimension.withUnsafeBufferPointer { v in
                dotScores(user: f.baseAddress! + u * d, dimension: d, itemsByDimension: v.baseAddress!, items: items,
                          range: 0 ..< items, into: out)
            }
        }
        let shift = maximum(out, count: items)
        let sum = exponentiate(out, count: items, shift: shift)
        return (shift + Float(Foundation.log(sum)), sum)
    }

    /// The first index whose cumulative value exceeds `r`.
    static func search(_ cdf: UnsafeMutableBufferPointer<Double>, _ r: Double) -> Int {
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] > r { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
