import Foundation

/// One shard of a session corpus on disk (`*.rvc`), the format the Spark sessions job and
/// `recvec corpus` write and `recvec train --corpus DIR` streams.
///
///     header (ShardFile): magic "RVCORPUS", version 1, dtype 3 (int32 tokens),
///       field 0 vocabulary size, field 1 session count S, field 2 token count T
///     payload: S + 1 session offsets (i64 LE, 0 ... T, non-decreasing), then T tokens (i32 LE,
///       dense item ids in 0 ..< vocabulary size)
///     trailer: XXH64 of every byte before it
///
/// A corpus is the shards of a folder in file-name order (`part-00000.rvc`, `part-00001.rvc`,
/// ...), sessions in file order within each; files whose names start with "." are ignored.
package enum CorpusShard {
    /// The 8 bytes every shard file starts with.
    public static let magic = "RVCORPUS"
    /// The format version written after the magic; readers refuse others.
    public static let formatVersion: UInt32 = 1
    /// The file name suffix of a shard.
    public static let fileSuffix = ".rvc"
    static let dtypeInt32: UInt32 = 3

    /// Writes `corpus` to `path` atomically (temporary name, fsync, rename).
    public static func write(_ corpus: Corpus, to path: String) throws {
        try corpus.offsets.withUnsafeBytes { offsets in
            try corpus.tokens.withUnsafeBytes { tokens in
                try ShardFile.write(path: path, magic: magic, version: formatVersion, dtype: dtypeInt32,
                                    fields: [UInt64(corpus.vocabularySize), UInt64(corpus.sessionCount), UInt64(corpus.tokens.count)],
                                    payload: [offsets, tokens])
            }
        }
    }

    /// Reads and checks a shard (magic, version, sizes, checksum, offsets, token range).
    public static func read(_ path: String) throws -> Corpus {
        let contents = try ShardFile.read(path: path, magic: magic, version: formatVersion, dtype: dtypeInt32) { f in
            guard f[0] > 0, f[0] <= UInt64(Int32.max), f[1] < 1 << 40, f[2] < 1 << 40 else {
                return .failure(.corrupt(file: "", field: "header (offsets 16-39)", value: "vocabulary \(f[0]), \(f[1]) sessions, \(f[2]) tokens",
                                         expected: "vocabulary 1 ... 2^31 - 1, sessions and tokens < 2^40"))
            }
            return .success(Int(f[1] + 1) * 8 + Int(f[2]) * 4)
        }
        let sessions = Int(contents.fields[1]), tokens = Int(contents.fields[2])
        let offsets = contents.array(Int64.self, at: ShardFile.headerBytes, count: sessions + 1)
        let values = contents.array(Int32.self, at: ShardFile.headerBytes + (sessions + 1) * 8, count: tokens)
        do {
            return try Corpus(tokens: values, offsets: offsets, vocabularySize: Int(contents.fields[0]))
        } catch {
            throw StoreError.invalidInput(file: path, reason: "\(error)")
        }
    }

    /// The header of a shard (vocabulary size, sessions, tokens) without reading its payload.
    public static func header(_ path: String) throws -> (vocabularySize: Int, sessions: Int, tokens: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.fileMissing(file: path) }
        defer { try? handle.close() }
        let bytes = [UInt8](handle.readData(ofLength: ShardFile.headerBytes))
        guard bytes.count == ShardFile.headerBytes, Array(bytes.prefix(8)) == Array(magic.utf8) else {
            throw FileFormatError.badMagic(file: path, expected: magic, found: VectorFile.printable(bytes.prefix(8)))
        }
        let field = { (i: Int) in bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 16 + 8 * i, as: UInt64.self))) } }
        return (field(0), field(1), field(2))
    }

    /// Parses sessions written one per line as dense ids separated by spaces (the form the Spark
    /// job pipes into `recvec corpus-shard`); empty lines are empty sessions. Errors name the line.
    public static func parseSessions(_ text: some Sequence<Substring>, vocabularySize: Int, source: String) throws -> Corpus {
        var tokens: [Int32] = [], offsets: [Int64] = [0]
        for (n, line) in text.enumerated() {
            for field in line.split(separator: " ", omittingEmptySubsequences: true) {
                guard let id = Int32(field), id >= 0, Int(id) < vocabularySize else {
                    throw StoreError.invalidLine(file: source, line: n + 1, reason: "'\(field.prefix(40))' is not a dense item id in 0 ..< \(vocabularySize)")
                }
                tokens.append(id)
            }
            offsets.append(Int64(tokens.count))
        }
        return try Corpus(tokens: tokens, offsets: offsets, vocabularySize: vocabularySize)
    }
}

/// The shards of a corpus folder, opened one at a time: memory holds one shard, never the
/// whole corpus.
package struct CorpusShardSet: Sendable {
    /// The shard files, in corpus order.
    public let paths: [String]
    /// Items in the vocabulary (every id in every shard is below it).
    public let vocabularySize: Int
    /// Sessions over all shards.
    public let sessionCount: Int
    /// Item tokens over all shards.
    public let tokenCount: Int

    /// Lists `directory`'s shards (or takes one shard file) and reads their headers; throws when
    /// there is none or their vocabulary sizes differ.
    public init(directory: String) throws {
        paths = try ShardFile.list(directory: directory, suffix: CorpusShard.fileSuffix)
        var vocabulary: Int?, sessions = 0, tokens = 0
        for path in paths {
            let h = try CorpusShard.header(path)
            if let vocabulary, vocabulary != h.vocabularySize {
                throw StoreError.countMismatch(file: path, expected: vocabulary, found: h.vocabularySize)
            }
            vocabulary = h.vocabularySize
            sessions += h.sessions
            tokens += h.tokens
        }
        vocabularySize = vocabulary!
        sessionCount = sessions
        tokenCount = tokens
    }

    /// Calls `body` with each shard in order, each read (and checked) when its turn comes.
    public func forEach(_ body: (Corpus) throws -> Void) throws {
        for path in paths { try body(try CorpusShard.read(path)) }
    }

    /// Occurrences of each item over every shard (one pass, one shard in memory at a time).
    public func counts() throws -> [Int] {
        var counts = [Int](repeating: 0, count: vocabularySize)
        try forEach { for t in $0.tokens { counts[Int(t)] += 1 } }
        return counts
    }

    /// The whole corpus in memory (for methods that need it at once, e.g. walks' graph).
    public func concatenated() throws -> Corpus {
        var tokens: [Int32] = [], offsets: [Int64] = [0]
        tokens.reserveCapacity(tokenCount)
        offsets.reserveCapacity(sessionCount + 1)
        try forEach { shard in
            let base = Int64(tokens.count)
            tokens.append(contentsOf: shard.tokens)
            offsets.append(contentsOf: shard.offsets.dropFirst().map { $0 + base })
        }
        return try Corpus(tokens: tokens, offsets: offsets, vocabularySize: vocabularySize)
    }
}
