import Foundation
import XCTest
import RecVec
import TestSupport

/// Corpus and count shards (the files the Spark jobs exchange with recvec), the vocabulary
/// rule, and training from shards equal to training from the whole corpus.
final class ShardFilesTests: XCTestCase {
    /// A random corpus: `sessions` sessions of 0 ... 12 tokens over `items` items.
    private func randomCorpus(seed: UInt64, sessions: Int, items: Int) throws -> Corpus {
        var random = TestRandom(seed: seed)
        let list = (0 ..< sessions).map { _ in (0 ..< Int(random.next() % 13)).map { _ in Int32(random.next() % UInt64(items)) } }
        return try Corpus(sessions: list, vocabularySize: items)
    }

    private func split(_ corpus: Corpus, into parts: Int) throws -> [Corpus] {
        let per = (corpus.sessionCount + parts - 1) / parts
        return try (0 ..< parts).map { p in
            try Corpus(sessions: (min(p * per, corpus.sessionCount) ..< min((p + 1) * per, corpus.sessionCount)).map { Array(corpus.session($0)) },
                       vocabularySize: corpus.vocabularySize)
        }
    }

    func testCorpusShardRoundTripsAndRejectsDamage() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        for (seed, sessions) in [(UInt64(1), 0), (2, 1), (3, 257)] {
            let corpus = try randomCorpus(seed: seed, sessions: sessions, items: 37)
            let path = dir + "/part-\(seed).rvc"
            try CorpusShard.write(corpus, to: path)
            XCTAssertEqual(try CorpusShard.read(path), corpus)
            let header = try CorpusShard.header(path)
            XCTAssertEqual([header.vocabularySize, header.sessions, header.tokens], [37, sessions, corpus.tokens.count])
        }
        let path = dir + "/part-3.rvc"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[80] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CorpusShard.read(path)) { error in
            guard case FileFormatError.checksumMismatch(file: path, _, _) = error else { return XCTFail("\(error)") }
        }
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CorpusShard.read(path)) { error in
            guard case FileFormatError.truncated(file: path, _, foundBytes: bytes.count - 3) = error else { return XCTFail("\(error)") }
        }
        try Data("RVCOUNTS".utf8 + [UInt8](repeating: 0, count: 80)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CorpusShard.read(path)) { error in
            guard case FileFormatError.badMagic(file: path, expected: "RVCORPUS", _) = error else { return XCTFail("\(error)") }
        }
        // No temporary file is left beside the shards.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }, [])
    }

    func testParseSessionsNamesTheBadLine() throws {
        let corpus = try CorpusShard.parseSessions(["1 2", "", "0"], vocabularySize: 3, source: "stdin")
        XCTAssertEqual(corpus.offsets, [0, 2, 2, 3])
        XCTAssertEqual(corpus.tokens, [1, 2, 0])
        XCTAssertThrowsError(try CorpusShard.parseSessions(["1", "2 3"], vocabularySize: 3, source: "stdin")) { error in
            XCTAssertEqual(error as? StoreError, .invalidLine(file: "stdin", line: 2, reason: "'3' is not a dense item id in 0 ..< 3"))
        }
    }

    func testMergedShardCountsEqualTheWholeCorpusCounts() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        let corpus = try randomCorpus(seed: 11, sessions: 400, items: 50)
        for weighting in CooccurrenceWeighting.allCases {
            let whole = try CooccurrenceCounts(corpus: corpus, window: 3, weighting: weighting, threads: 1)
            let folder = dir + "/\(weighting.rawValue)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (n, part) in try split(corpus, into: 5).enumerated() {
                try CooccurrenceCounts(corpus: part, window: 3, weighting: weighting, threads: 2).write(to: folder + "/part-\(n).rvcsr")
            }
            let merged = try CooccurrenceCounts.merge([folder])
            XCTAssertEqual(merged.tokens, corpus.tokens.count)
            XCTAssertEqual(merged.matrix.rowOffsets, whole.matrix.rowOffsets)
            XCTAssertEqual(merged.matrix.columns, whole.matrix.columns)
            if weighting == .count {
                XCTAssertEqual(merged.matrix.values, whole.matrix.values) // integers: exact
            } else {
                // Each partial rounded once, the sum once, the whole once: within 3 x 2^-24 relative.
                for (a, b) in zip(merged.matrix.values, whole.matrix.values) { XCTAssertLessThanOrEqual(abs(a - b), 3 * 0x1p-24 * b) }
                XCTAssertNotEqual(whole.matrix.values.filter { $0 != $0.rounded() }.count, 0)
            }
            // The file round-trips.
            try merged.write(to: folder + "/merged.out")
            XCTAssertEqual(try CooccurrenceCounts.read(folder + "/merged.out"), merged)
        }
        // Counts made with different windows do not add up.
        try CooccurrenceCounts(corpus: corpus, window: 2, weighting: .count).write(to: dir + "/count/z-other.rvcsr")
        XCTAssertThrowsError(try CooccurrenceCounts.merge([dir + "/count"])) { error in
            guard case let StoreError.invalidInput(file, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("z-other.rvcsr") && reason.contains("window 2"), "\(file): \(reason)")
        }
    }

    func testPPMISVDFromMergedCountsEqualsFromTheCorpus() throws {
        let corpus = try randomCorpus(seed: 5, sessions: 600, items: 60)
        var config = PPMISVDConfig()
        config.dimension = 8
        config.window = 3
        let parts = try split(corpus, into: 3)
        var sum = CooccurrenceCounts.Sum()
        for (n, part) in parts.enumerated() { try sum.add(try CooccurrenceCounts(corpus: part, window: 3, weighting: .count), source: "\(n)") }
        for denseLimit in [4096, 10] { // dense and sparse paths
            config.denseLimit = denseLimit
            let fromCorpus = try PPMISVD.factorize(corpus, config: config, threads: 1)
            let fromCounts = try PPMISVD.factorize(counts: sum.result!.matrix, config: config, threads: 1)
            XCTAssertEqual(fromCounts.rowEmbedding(exponent: 0.5), fromCorpus.rowEmbedding(exponent: 0.5))
            XCTAssertEqual(fromCounts.columnEmbedding(exponent: 0.5), fromCorpus.columnEmbedding(exponent: 0.5))
        }
    }

    func testShardSetStreamsItem2VecAndWalksFromFiles() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        let corpus = try randomCorpus(seed: 9, sessions: 300, items: 40)
        for (n, part) in try split(corpus, into: 4).enumerated() { try CorpusShard.write(part, to: dir + "/part-0000\(n).rvc") }
        try Vocabulary(ids: (0 ..< 40).map { "item\($0)" }, counts: corpus.counts().map { max($0, 1) }).write(to: dir)
        let set = try CorpusShardSet(directory: dir)
        XCTAssertEqual(set.paths.count, 4)
        XCTAssertEqual(try set.concatenated(), corpus)
        XCTAssertEqual(try set.counts(), corpus.counts())
        XCTAssertEqual(set.tokenCount, corpus.tokens.count)

        var configs = MethodConfigs.seed(seed: 3)
        configs.item2vec.epochs = 2
        let (streamed, ids) = try ShardTraining.train(.item2vec, from: .corpus(dir), configs: configs, threads: 1)
        XCTAssertEqual(ids, (0 ..< 40).map { "item\($0)" })
        XCTAssertEqual(streamed.retrieval.itemVectors.rows, 40)
        XCTAssertTrue(streamed.retrieval.itemVectors.values.allSatisfy(\.isFinite))
        // One thread: the stream of shards trains exactly as the whole corpus in one piece.
        let whole = try SkipGramTrainer.train(corpus, config: configs.item2vec, threads: 1)
        XCTAssertEqual(streamed.retrieval.itemVectors, whole.input)

        configs.walks.sgns.epochs = 1
        let walks = try ShardTraining.train(.walks, from: .corpus(dir), configs: configs, threads: 1)
        XCTAssertEqual(walks.trained.retrieval.itemVectors.rows, 40)
        XCTAssertThrowsError(try ShardTraining.train(.content, from: .corpus(dir), configs: configs, threads: 1))
    }

    func testVocabularyOrderAndSessionsOverIt() throws {
        var log = EventLog()
        // counts: b 3, 10 2, a 2, 9 2, 007 1; ties: canonical numbers by value (9 < 10), then bytes ("007" < "a").
        for (user, item, t) in [("u", "b", 0), ("u", "10", 1), ("v", "a", 2), ("u", "b", 3), ("v", "9", 4), ("u", "a", 5),
                                ("v", "10", 6), ("v", "9", 7), ("u", "b", 5000), ("v", "007", 8)] {
            try log.append(user: user, item: item, timestamp: Int64(t))
        }
        let vocabulary = try Vocabulary(log: log)
        XCTAssertEqual(vocabulary.ids, ["b", "9", "10", "a", "007"])
        XCTAssertEqual(vocabulary.counts, [3, 2, 2, 2, 1])
        let pruned = try Vocabulary(log: log, minCount: 2)
        XCTAssertEqual(pruned.ids, ["b", "9", "10", "a"])
        // u: b(0) 10(1) b(3) a(5) | b(5000); v: a(2) 9(4) 10(6) 9(7) [007 dropped]; ordered by start, then user.
        let corpus = try log.corpus(vocabulary: pruned, rule: .inactivityGap(seconds: 1800))
        XCTAssertEqual((0 ..< corpus.sessionCount).map { Array(corpus.session($0)) }, [[0, 2, 0, 3], [3, 1, 2, 1], [0]])
        XCTAssertThrowsError(try Vocabulary(log: log, minCount: 4))

        let dir = try TestSupport.temporaryDirectory(self).path
        try pruned.write(to: dir)
        XCTAssertEqual(try Vocabulary.read(directory: dir), pruned)
        XCTAssertEqual(try String(contentsOfFile: dir + "/ids.txt", encoding: .utf8), "b\n9\n10\na\n")
    }
}
