import Foundation

/// Serves the current version of a store and follows it as new versions are published.
///
/// The recommender of the version being served sits behind a lock; a request takes a reference
/// to it once and is answered wholly by that version. `refresh` swaps in the version CURRENT
/// names; the old one is released (its files unmapped) when the last request holding it ends.
public final class ModelServer: @unchecked Sendable {
    /// The store whose current version is served.
    public let store: EmbeddingStore
    private let lock = NSLock()
    private var serving: Recommender
    private let verify: VerifyLevel
    private let makeRecommender: (StoreVersion) throws -> Recommender

    /// Opens the current version; `makeRecommender` wraps each version opened (catalog,
    /// histories, config).
    public init(store: EmbeddingStore, verify: VerifyLevel = .full,
                makeRecommender: @escaping (StoreVersion) throws -> Recommender = { try Recommender(version: $0) }) throws {
        self.store = store
        self.verify = verify
        self.makeRecommender = makeRecommender
        serving = try makeRecommender(try store.open(verify: verify))
    }

    /// The recommender answering requests now.
    public var recommender: Recommender { lock.withLock { serving } }

    /// Answers one request from the version being served now (see `Recommender.recommend`).
    public func recommend(_ query: UserQuery, k: Int, rules: RecommendRules = RecommendRules(), explain: Bool = false) throws -> RecommendResponse {
        try recommender.recommend(query, k: k, rules: rules, explain: explain)
    }

    /// Switches to the version CURRENT names when it differs from the one served; returns true
    /// when it switched. If that version fails to open, the served one stays and the error is thrown.
    @discardableResult
    public func refresh() throws -> Bool {
        guard let name = try store.currentVersion() else { throw StoreError.noCurrentVersion(store: store.path) }
        if name == recommender.version.name { return false }
        let next = try makeRecommender(try store.open(name, verify: verify))
        lock.withLock { serving = next }
        return true
    }
}
