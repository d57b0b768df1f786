/// One next-item case: what the recommender knows (`history`, oldest first), the item it must
/// find, and the items it must not return.
public struct EvalCase: Equatable, Sendable {
    /// What the recommender may read: the user's earlier items, oldest first.
    public var history: [Int32]
    /// The held-out item the list should contain.
    public var target: Int32
    /// Items the list must not contain (what the user already consumed, when excluded).
    public var exclude: [Int32]
    /// The user the case belongs to, where the protocol knows one (an oracle ceiling needs it).
    public var user: Int?

    /// A case from its history, target, exclusions and (where known) user.
    public init(history: [Int32], target: Int32, exclude: [Int32], user: Int? = nil) {
        self.history = history
        self.target = target
        self.exclude = exclude
        self.user = user
    }
}

/// The two leak-free protocols over an event log; each is one of Data's splits (`Split`).
public enum HoldOut: Equatable, Sendable {
    /// Each user's last event is the target (`EventLog.splitLeaveLastOut`).
    case leaveLastOut
    /// Training is every event before the cutoff (epoch seconds); every later event is a target
    /// (`EventLog.splitAtTime`).
    case timeCutoff(Int64)

    /// The cutoff `recvec eval` uses when none is given: the time before which 85% of the
    /// events fall (MovieLens 100K: about 15% of the ratings come after it).
    public static func defaultCutoff(_ log: EventLog) throws(DataError) -> Int64 {
        try log.requireTimestamps(for: "the time-cutoff protocol")
        return try log.timeQuantile(0.85)
    }

    /// The label of the protocol's table rows.
    public var evalProtocol: EvalProtocol {
        switch self {
        case .leaveLastOut: return .leaveLastOut
        case .timeCutoff: return .timeCutoff
        }
    }
}

/// Training data and cases of a leak-free split.
public struct HoldOutSplit: Sendable {
    /// The sessions of the split's training events (`Split.train`) and nothing else: every
    /// count, popularity and noise distribution the methods and baselines use comes from it.
    public var training: Corpus
    /// Each user's training events as one sequence, in time order (ties by the split's rule):
    /// what the transition baseline counts "a followed by b" in.
    public var sequences: Corpus
    /// One case per held-out event, in the split's order.
    public var cases: [EvalCase]
    /// The training events themselves (for a validation split carved out of them).
    public var trainLog: EventLog
    /// How events with equal timestamps were ordered when the split was made.
    public var ties: TieRule
}

/// Builds evaluation cases: the seed's consecutive pairs, or a held-out split of an event log.
public enum EvalCases {
    /// The seed's protocol: every consecutive pair (prev, next) in the first `firstSessions`
    /// sessions of the *training* corpus; the query is prev alone and prev is excluded. Leaky
    /// by design (the pairs were trained on); it reproduces the seed's table.
    public static func consecutivePairs(_ corpus: Corpus, firstSessions: Int = 3000) -> [EvalCase] {
        corpus.consecutivePairs(firstSessions: firstSessions).map { EvalCase(history: [$0.prev], target: $0.next, exclude: [$0.prev]) }
    }

    /// Splits `log` by `protocol` (Data's `splitLeaveLastOut` / `splitAtTime`, users with fewer
    /// than two events give no case; equal timestamps ordered by `ties`), cuts the training events
    /// into sessions by `rule`, and turns each test target into a case whose history is the
    /// user's last `maxHistory` earlier events (what a user vector may read). With `excludeSeen`,
    /// every item the user consumed before the target is excluded from the ranking, however long
    /// the history (a re-consumption target then cannot be hit, as in the usual protocol).
    public static func holdOut(_ log: EventLog, protocol leakFree: HoldOut, sessions rule: SessionRule,
                                excludeSeen: Bool = true, ties: TieRule = .default, maxHistory: Int = 200) throws(DataError) -> HoldOutSplit {
        try leakFree.check(against: log)
        let split: Split
        switch leakFree {
        case .leaveLastOut: split = try log.splitLeaveLastOut(minHistory: 1, maxHistory: maxHistory, ties: ties)
        case let .timeCutoff(cutoff): split = try log.splitAtTime(cutoff, minHistory: 1, maxHistory: maxHistory, ties: ties)
        }
        let cases = split.test.map { t in
            EvalCase(history: t.history, target: t.item, exclude: excludeSeen ? t.seen : [], user: Int(t.user))
        }
        return HoldOutSplit(training: try split.train.corpus(rule: rule), sequences: try split.train.corpus(rule: .inactivityGap(seconds: .max)),
                             cases: cases, trainLog: split.train, ties: ties)
    }
}

/// A next-item evaluation protocol of the tables.
public enum EvalProtocol: String, CaseIterable, Sendable, Codable {
    /// The seed's: consecutive pairs of the first 3000 training sessions, query = prev (leaky).
    case seedPairs = "seed-pairs"
    /// Each user's last event held out of training; query = the user vector of the history.
    case leaveLastOut = "leave-last-out"
    /// Every event before a time cutoff trains; every later event is a case.
    case timeCutoff = "time-cutoff"
    /// A leak-free protocol restricted to cases whose target item had no training events at all.
    case coldStart = "cold-start"
}
