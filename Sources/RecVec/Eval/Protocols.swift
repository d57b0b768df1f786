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

/// The two leak-free protocols over an event log; each is one of Data's splits (`Split`).
public enum LeakFreeProtocol: Equatable, Sendable {
    /// Each user's last event is the target (`EventLog.splitLeaveLastOut`).
    case leaveLastOut
    /// Training is every event before the cutoff (epoch seconds); every later event is a target
    /// (`EventLog.splitAtTime`).
    case timeCutoff(Int64)

    /// The cutoff `recvec eval` uses when none is given: the time before which 85% of the
    /// events fall (MovieLens 100K: about 15% of the ratings come after it).
    public static func defaultCutoff(_ log: EventLog) throws(DataError) -> Int64 { try log.timeQuantile(0.85) }

    /// The label of the protocol's table rows.
    public var evalProtocol: EvalProtocol {
        switch self {
        case .leaveLastOut: return .leaveLastOut
        case .timeCutoff: return .timeCutoff
        }
    }
}

/// Training data and cases of a leak-free split.
public struct LeakFreeSplit: Sendable {
    /// The sessions of the split's training events (`Split.train`) and nothing else: every
    /// count, popularity and noise distribution the methods and baselines use comes from it.
    public var training: Corpus
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

    /// Splits `log` by `protocol` (Data's `splitLeaveLastOut` / `splitAtTime`, users with fewer
    /// than two events give no case), cuts the training events into sessions by `rule`, and turns
    /// each test target into a case whose history is every earlier event of its user. With
    /// `excludeSeen`, the items of the history are excluded from the ranking (a re-consumption
    /// target then cannot be hit, as in the usual protocol).
    public static func leakFree(_ log: EventLog, protocol leakFree: LeakFreeProtocol, sessions rule: SessionRule,
                                excludeSeen: Bool = true) throws(DataError) -> LeakFreeSplit {
        let wholeHistory = max(1, log.count)
        let split: Split
        switch leakFree {
        case .leaveLastOut: split = try log.splitLeaveLastOut(minHistory: 1, maxHistory: wholeHistory)
        case let .timeCutoff(cutoff): split = try log.splitAtTime(cutoff, minHistory: 1, maxHistory: wholeHistory)
        }
        let cases = split.test.map { t in
            EvalCase(history: t.history, target: t.item, exclude: excludeSeen ? Array(Set(t.history)).sorted() : [], user: Int(t.user))
        }
        return LeakFreeSplit(training: try split.train.corpus(rule: rule), cases: cases)
    }
}
