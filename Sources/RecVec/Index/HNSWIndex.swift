import CKernels
import Foundation

/// Parameters of a hierarchical navigable small world (HNSW) graph index: what determines the graph
/// (with one build thread) and how it is searched.
public struct HNSWConfig: Equatable, Sendable, Codable {
    /// Cosine stores unit-norm copies of the vectors; dot searches the plain inner product on the
    /// same graph, as hnswlib's "ip" space does (approximate in the same way: HNSW assumes a
    /// metric, the inner product is not one; it works well when norms vary little).
    public var metric: Metric = .cosine
    /// Links per node on the upper layers (2 M on layer 0), in 2 ... 1024.
    public var m = 16
    /// Candidate list size while building.
    public var efConstruction = 200
    /// Candidate list size while searching (at least k).
    public var efSearch = 64
    /// The largest efConstruction and efSearch a config may hold (the file stores them in 32 bits;
    /// a search's own efSearch argument is clamped to it).
    public static let maxEf = 1 << 20
    /// Seeds the layer of each node (a hash of seed and id, so it does not depend on threads).
    public var seed: UInt64 = 1

    /// The defaults above: cosine, M 16, efConstruction 200, efSearch 64, seed 1. Build threads are
    /// an argument of `HNSWIndex.init(vectors:config:threads:progress:)` and `add(_:threads:)`, not
    /// part of the configuration (a configuration written with a `threads` key still decodes).
    public init() {}
}

/// One search result.
public struct Neighbour: Equatable, Sendable {
    /// The row of the vector found (its id in the index).
    public var id: Int32
    /// Its score against the query under the index's metric (higher is nearer).
    public var score: Float
    /// A neighbour from its row and score.
    public init(id: Int32, score: Float) { self.id = id; self.score = score }
}

/// Which ids a search may return: a bitset over `0 ..< count`, applied during the graph search
/// (so recall holds when most of the catalog is filtered out), not after it.
public struct SearchFilter: Sendable {
    /// Ids the filter covers, `0 ..< count` (the count of the index it is used with).
    public let count: Int
    /// Bit `i` set = id `i` allowed. Word `i / 64`, bit `i % 64`; `(count + 63) / 64` words.
    public var allowedBits: [UInt64]

    /// Every id except `excluded` (seen or blocked items). Ids outside `0 ..< count` are ignored.
    public init(count: Int, excluding excluded: some Sequence<Int32>) {
        precondition(count >= 0, "SearchFilter count must be non-negative")
        self.count = count
        var bits = [UInt64](repeating: ~0, count: (count + 63) / 64)
        if count % 64 != 0 { bits[bits.count - 1] = (UInt64(1) << UInt64(count % 64)) - 1 }
        for id in excluded where id >= 0 && Int(id) < count {
            bits[Int(id) >> 6] &= ~(UInt64(1) << UInt64(id & 63))
        }
        allowedBits = bits
    }

    /// The ids for which `predicate` is true (a category, a region...).
    public init(count: Int, allowing predicate: (Int32) -> Bool) {
        precondition(count >= 0 && count <= Int(Int32.max), "SearchFilter count must be in 0 ... Int32.max")
        self.count = count
        var bits = [UInt64](repeating: 0, count: (count + 63) / 64)
        for i in 0 ..< count where predicate(Int32(i)) {
            bits[i >> 6] |= UInt64(1) << UInt64(i & 63)
        }
        allowedBits = bits
    }

    /// Whether `id` may be returned.
    public func allows(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < count && (allowedBits[Int(id) >> 6] >> UInt64(id & 63)) & 1 == 1
    }

    /// How many ids are allowed.
    public var allowedCount: Int {
        // One branch-free pass (the request path counts 1,563 words per request at 100k items),
        // then the bits past `count` in the last word taken back out.
        allowedBits.withUnsafeBufferPointer { words in
            guard let last = words.last else { return 0 }
            var n = 0
            for word in words { n &+= word.nonzeroBitCount }
            if count % 64 != 0 { n -= (last & ~((UInt64(1) << UInt64(count % 64)) - 1)).nonzeroBitCount }
            return n
        }
    }
}

/// An HNSW index over `count` vectors of `dimension` floats. The hot loops (distance, greedy
/// layer search, neighbour selection) are the C kernels `rv_hnsw_*`; the graph lives in flat
/// arrays (see `rv_hnsw.h`). Searches may run concurrently with each other and with `write`;
/// `add` waits for running searches and blocks new ones (and writes) while it inserts.
public final class HNSWIndex: @unchecked Sendable {
    /// The configuration the index was built with.
    public let config: HNSWConfig
    /// The C index (`rv_hnsw *`).
    let handle: OpaquePointer
    /// The memory-mapped file a loaded index reads in place; unmapped after the C index is freed.
    let mapping: MappedFile?
    /// Floats per vector.
    public let dimension: Int
    private let checksumLock = NSLock()
    /// Serialises `add` and `write`: a write reads the C arrays that an add reallocates.
    let mutationLock = NSLock()
    private var storedVectorsChecksum: UInt64

    /// Vectors in the index (ids `0 ..< count`).
    public var count: Int { Int(rv_hnsw_count(handle)) }

    /// The checksum of the vectors this index was built from, as given to `write(to:vectorsChecksum:)`
    /// (0 until the index is written or when it was built in memory).
    public var vectorsChecksum: UInt64 {
        checksumLock.lock()
        defer { checksumLock.unlock() }
        return storedVectorsChecksum
    }

    init(handle: OpaquePointer, config: HNSWConfig, dimension: Int, mapping: MappedFile?, vectorsChecksum: UInt64) {
        self.handle = handle
        self.config = config
        self.dimension = dimension
        self.mapping = mapping
        self.storedVectorsChecksum = vectorsChecksum
    }

    deinit { rv_hnsw_free(handle) }

    /// Builds the index over the rows of `vectors` (row i gets id i) on `threads` threads (0 = all).
    /// The graph is deterministic only with 1 thread: with more, the order in which threads link
    /// nodes changes the graph (not its quality). `progress` is called with the number of rows
    /// inserted so far, every 1 % or so.
    /// The corresponding C kernels are `rv_hnsw_create`, `rv_hnsw_add_f32` and `rv_hnsw_link_unreachable`.
    public convenience init(vectors: Matrix, config: HNSWConfig = HNSWConfig(), threads: Int = 0,
                            progress: ((_ inserted: Int) -> Void)? = nil) throws {
        guard (2 ... 1024).contains(config.m) else {
            throw KernelError.invalidArgument(name: "config.m", value: "\(config.m)", expected: "2 ... 1024")
        }
        guard (1 ... HNSWConfig.maxEf).contains(config.efConstruction) else {
            throw KernelError.invalidArgument(name: "config.efConstruction", value: "\(config.efConstruction)", expected: "1 ... \(HNSWConfig.maxEf)")
        }
        guard (1 ... HNSWConfig.maxEf).contains(config.efSearch) else {
            throw KernelError.invalidArgument(name: "config.efSearch", value: "\(config.efSearch)", expected: "1 ... \(HNSWConfig.maxEf)")
        }
        guard vectors.cols <= 1 << 20 else {
            throw KernelError.invalidArgument(name: "vectors.cols", value: "\(vectors.cols)", expected: "1 ... \(1 << 20)")
        }
        try Kernels.checkThreads(threads)
        guard vectors.cols >= 1 else {
            throw KernelError.invalidArgument(name: "vectors.cols", value: "\(vectors.cols)", expected: ">= 1")
        }
        var created: OpaquePointer?
        try Kernels.check(rv_hnsw_create(vectors.cols, config.metric.cMetric, config.m,
                                         config.efConstruction, config.seed, &created), "rv_hnsw_create")
        self.init(handle: created!, config: config, dimension: vectors.cols, mapping: nil, vectorsChecksum: 0)
        try insert(vectors, threads: threads, progress: progress)
    }

    /// Adds rows on `threads` threads (0 = all); they get ids `count ..< count + vectors.rows`.
    /// A loaded (memory-mapped) index is first copied into memory.
    /// The corresponding C kernels are `rv_hnsw_add_f32` and `rv_hnsw_link_unreachable`.
    public func add(_ vectors: Matrix, threads: Int = 0) throws {
        try Kernels.checkThreads(threads)
        guard vectors.cols == dimension else {
            throw IndexError.dimensionMismatch(name: "vectors", expected: dimension, found: vectors.cols)
        }
        mutationLock.lock()
        defer { mutationLock.unlock() }
        try insert(vectors, threads: threads, progress: nil)
    }

    private func insert(_ vectors: Matrix, threads: Int, progress: ((Int) -> Void)?) throws {
        if let bad = vectors.firstNonFinite() {
            throw KernelError.nonFinite(name: "vectors", index: bad, value: vectors.values[bad])
        }
        guard vectors.rows > 0 else { return }
        let base = count
        try Kernels.check(rv_hnsw_reserve(handle, base + vectors.rows), "rv_hnsw_reserve")
        // Without a progress closure one call inserts everything; with one, chunks of about 1 %.
        let chunk = progress == nil ? vectors.rows : max(1024, vectors.rows / 100)
        try vectors.values.withUnsafeBufferPointer { rows in
            var start = 0
            while start < vectors.rows {
                let n = min(chunk, vectors.rows - start)
                try Kernels.check(rv_hnsw_add_f32(handle, rows.baseAddress! + start * vectors.cols, n, vectors.cols,
                                                  Int32(threads)), "rv_hnsw_add_f32")
                start += n
                progress?(start)
            }
        }
        try Kernels.check(rv_hnsw_link_unreachable(handle), "rv_hnsw_link_unreachable")
    }

    /// The `k` nearest allowed ids to `query`, best first (ties: lower id first). Fewer than `k`
    /// when fewer ids are allowed. Runs on the calling thread.
    /// The corresponding C kernel is `rv_hnsw_search_f32`.
    public func search(_ query: [Float], k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil) throws -> [Neighbour] {
        let queries = try Matrix(rows: 1, cols: query.count, values: query)
        let top = try search(queries, k: k, efSearch: efSearch, filter: filter, threads: 1, name: "query")
        return zip(top.ids, top.scores).filter { $0.0 >= 0 }.map { Neighbour(id: $0.0, score: $0.1) }
    }

    /// Batch search, one row of `queries` per query, threaded over queries (0 = all threads).
    /// The corresponding C kernel is `rv_hnsw_search_f32`.
    public func search(_ queries: Matrix, k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil, threads: Int = 0) throws -> TopK {
        try search(queries, k: k, efSearch: efSearch, filter: filter, threads: threads, name: "queries")
    }

    /// Exact search: every allowed vector scored, the oracle for recall. Same arguments and
    /// output as `search`. The corresponding C kernel is `rv_hnsw_search_exact_f32`.
    public func exactSearch(_ queries: Matrix, k: Int, filter: SearchFilter? = nil, threads: Int = 0) throws -> TopK {
        try search(queries, k: k, efSearch: nil, filter: filter, threads: threads, name: "queries", exact: true)
    }

    private func search(_ queries: Matrix, k: Int, efSearch: Int?, filter: SearchFilter?, threads: Int,
                        name: String, exact: Bool = false) throws -> TopK {
        let n = count
        guard queries.cols == dimension else {
            throw IndexError.dimensionMismatch(name: name, expected: dimension, found: queries.cols)
        }
        guard n > 0 else { throw IndexError.emptyIndex }
        guard k >= 1 && k <= n else {
            throw KernelError.invalidArgument(name: "k", value: "\(k)", expected: "1 ... \(n) (the index size)")
        }
        let ef = efSearch ?? config.efSearch
        guard ef >= 1 else { throw KernelError.invalidArgument(name: "efSearch", value: "\(ef)", expected: ">= 1") }
        try Kernels.checkThreads(threads)
        if let bad = queries.firstNonFinite() {
            throw KernelError.nonFinite(name: name, index: bad, value: queries.values[bad])
        }
        if let filter {
            guard filter.count == n else { throw IndexError.dimensionMismatch(name: "filter", expected: n, found: filter.count) }
            guard filter.allowedBits.count >= (n + 63) / 64 else {
                throw KernelError.sizeMismatch(name: "filter.allowedBits", expected: (n + 63) / 64, found: filter.allowedBits.count)
            }
        }
        var ids = [Int32](repeating: -1, count: queries.rows * k)
        var scores = [Float](repeating: -.infinity, count: queries.rows * k)
        guard queries.rows > 0 else { return TopK(queryCount: 0, k: k, ids: ids, scores: scores) }
        let status = queries.values.withUnsafeBufferPointer { q in
            ids.withUnsafeMutableBufferPointer { outIds in
                scores.withUnsafeMutableBufferPointer { outScores in
                    withAllowedBits(filter) { bits, covered in
                        exact
                            ? rv_hnsw_search_exact_f32(handle, q.baseAddress!, queries.rows, queries.cols, k, bits,
                                                       covered, Int32(threads), outIds.baseAddress!, outScores.baseAddress!)
                            : rv_hnsw_search_f32(handle, q.baseAddress!, queries.rows, queries.cols, k,
                                                 min(ef, HNSWConfig.maxEf), bits, covered, Int32(threads),
                                                 outIds.baseAddress!, outScores.baseAddress!)
                    }
                }
            }
        }
        try Kernels.check(status, exact ? "rv_hnsw_search_exact_f32" : "rv_hnsw_search_f32")
        return TopK(queryCount: queries.rows, k: k, ids: ids, scores: scores)
    }

    func setVectorsChecksum(_ value: UInt64) {
        checksumLock.lock()
        storedVectorsChecksum = value
        checksumLock.unlock()
    }
}

/// The filter's bits and the ids they cover (the C side never reads past them, even when an
/// `add` on another thread grew the index after the filter was checked).
private func withAllowedBits<R>(_ filter: SearchFilter?, _ body: (UnsafePointer<UInt64>?, Int) -> R) -> R {
    guard let filter else { return body(nil, 0) }
    return filter.allowedBits.withUnsafeBufferPointer { body($0.baseAddress, min(filter.count, $0.count * 64)) }
}

extension Metric {
    init?(_ metric: rv_metric) {
        switch metric {
        case RV_METRIC_DOT: self = .dot
        case RV_METRIC_COSINE: self = .cosine
        default: return nil
        }
    }
}
