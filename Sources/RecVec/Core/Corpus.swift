/// Sessions of item ids, flattened: the input of co-occurrence counting and SGNS.
///
/// Session `s` is `tokens[offsets[s] ..< offsets[s + 1]]`; windows never cross a session
/// boundary. Every token is a dense item index in `0 ..< vocabularySize`.
public struct Corpus: Equatable, Sendable {
    /// Every session's item indices, one session after another.
    public let tokens: [Int32]
    /// `sessionCount + 1` offsets into `tokens`, starting at 0 and ending at `tokens.count`.
    public let offsets: [Int64]
    /// Number of distinct items; every token is below it.
    public let vocabularySize: Int

    /// Number of sessions (`offsets.count - 1`).
    public var sessionCount: Int { offsets.count - 1 }

    /// Validates and wraps a flattened corpus.
    public init(tokens: [Int32], offsets: [Int64], vocabularySize: Int) throws(KernelError) {
        guard vocabularySize > 0 else {
            throw .invalidArgument(name: "vocabularySize", value: "\(vocabularySize)", expected: "> 0")
        }
        guard let first = offsets.first, first == 0, offsets.last == Int64(tokens.count) else {
            throw .invalidArgument(name: "offsets", value: "\(offsets.prefix(1))...\(offsets.suffix(1))",
                                   expected: "starts at 0 and ends at tokens.count (\(tokens.count))")
        }
        for s in 1 ..< offsets.count where offsets[s] < offsets[s - 1] {
            throw .invalidArgument(name: "offsets[\(s)]", value: "\(offsets[s])", expected: ">= offsets[\(s - 1)] = \(offsets[s - 1])")
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw .outOfRange(name: "tokens", index: bad, value: Int(tokens[bad]), count: vocabularySize)
        }
        self.tokens = tokens
        self.offsets = offsets
        self.vocabularySize = vocabularySize
    }

    /// Builds a corpus from a list of sessions.
    public init(sessions: [[Int32]], vocabularySize: Int) throws(KernelError) {
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(sessions.count + 1)
        var tokens: [Int32] = []
        for s in sessions {
            tokens.append(contentsOf: s)
            offsets.append(Int64(tokens.count))
        }
        try self.init(tokens: tokens, offsets: offsets, vocabularySize: vocabularySize)
    }

    /// Session `s` as a slice of `tokens`.
    public func session(_ s: Int) -> ArraySlice<Int32> { tokens[Int(offsets[s]) ..< Int(offsets[s + 1])] }

    /// Occurrences of each item.
    public func counts() -> [Int] {
        var c = [Int](repeating: 0, count: vocabularySize)
        for t in tokens { c[Int(t)] += 1 }
        return c
    }
}

extension Corpus {
    /// Consecutive `(prev, next)` pairs of the first `sessionCount` sessions, in session order:
    /// what the seed protocol and the synthetic ceiling both read.
    public func consecutivePairs(firstSessions sessionCount: Int = 3000) -> [(prev: Int32, next: Int32)] {
        var pairs: [(prev: Int32, next: Int32)] = []
        for s in 0 ..< min(sessionCount, self.sessionCount) {
            let items = session(s)
            for (a, b) in zip(items, items.dropFirst()) { pairs.append((a, b)) }
        }
        return pairs
    }
}
