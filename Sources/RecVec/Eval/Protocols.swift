/// One next-item case: what the recommender knows (`history`, oldest first), the item it must
/// find, and the items it must not return.
public struct EvalCase: Equatable, Sendable {
    public var history: [Int32]
    public var target: Int32
    public var exclude: [Int32]
    /// The user the case belongs to, where the protocol knows one (an oracle ceiling needs it).
    public var user: Int?

    public init(history: [Int32], target: Int32, exclude: [Int32], user: Int? = nil) {
        self.history = history
        self.target = target
        self.exclude = exclude
        self.user = user
    }
}

/// A user's sessions in time order, each a list of item ids in time order.
public typealias UserSessions = [[[Int32]]]

/// Training data and cases of a leak-free split.
public struct LeakFreeSplit: Sendable {
    /// Sessions the methods train on: none of them contains a case's target event.
    public var training: [[Int32]]
    public var cases: [EvalCase]
}

public enum EvalProtocols {
    /// The seed's protocol: every consecutive pair (prev, next) in the first `firstSessions`
    /// sessions of the *training* corpus; the query is prev alone and prev is excluded. Leaky
    /// by design (the pairs were trained on); it reproduces the seed's table.
    public static func consecutivePairs(_ corpus: Corpus, firstSessions: Int = 3000) -> [EvalCase] {
        var cases: [EvalCase] = []
        for s in 0 ..< min(firstSessions, corpus.sessionCount) {
            let session = corpus.session(s)
            for (prev, next) in zip(session, session.dropFirst()) {
                cases.append(EvalCase(history: [prev], target: next, exclude: [prev]))
            }
        }
        return cases
    }

    /// Leave-last-out: each user's last event is the target; everything before it is history
    /// and the training data (the target event is removed from its session). Users with fewer
    /// than two events give no case. With `excludeSeen`, the items of the history are excluded
    /// from the ranking (a re-consumption target then cannot be hit, as in the usual protocol).
    /// Groups sessions by user, keeping their order.
    public static func userSessions(_ corpus: Corpus, sessionUsers: [Int32], userCount: Int) -> UserSessions {
        var users = UserSessions(repeating: [], count: userCount)
        for (s, u) in sessionUsers.enumerated() { users[Int(u)].append(Array(corpus.session(s))) }
        return users
    }

    public static func leaveLastOut(_ users: UserSessions, excludeSeen: Bool = true) -> LeakFreeSplit {
        var training: [[Int32]] = [], cases: [EvalCase] = []
        for (user, sessions) in users.enumerated() {
            var kept = sessions.filter { !$0.isEmpty }
            let history = kept.flatMap { $0 }
            guard history.count >= 2, let target = kept[kept.count - 1].popLast() else {
                training.append(contentsOf: kept)
                continue
            }
            let known = Array(history.dropLast())
            training.append(contentsOf: kept.filter { !$0.isEmpty })
            let exclude = excludeSeen ? Array(Set(known)).sorted() : []
            cases.append(EvalCase(history: known, target: target, exclude: exclude, user: user))
        }
        return LeakFreeSplit(training: training, cases: cases)
    }
}
