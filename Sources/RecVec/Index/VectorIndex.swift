import CKernels
import Foundation

/// Nearest-neighbour search over a fixed set of rows under one metric: exact (`FlatIndex`) or
/// approximate (`HNSWIndex`). Both take the same `SearchFilter` and answer in the same shape.
public protocol VectorIndex: AnyObject, Sendable {
    /// Number of rows (ids `0 ..< count`).
    var count: Int { get }
    var dimension: Int { get }
    /// The `k` nearest allowed rows to `query`, best first (ties: lower id first); fewer than `k`
    /// when fewer rows are allowed. `efSearch` is HNSW's beam width; exact search ignores it.
    func search(_ query: [Float], k: Int, efSearch: Int?, filter: SearchFilter?) throws -> [Neighbour]
    /// Batch search, one row of `queries` per query (`threads` 0 = all).
    func search(_ queries: Matrix, k: Int, efSearch: Int?, filter: SearchFilter?, threads: Int) throws -> TopK
}

extension HNSWIndex: VectorIndex {}

/// Exact search: every allowed row scored by the C kernel `rv_score_topk_f32`, over the rows in
/// place (a store version's memory-mapped vectors are not copied). The rows are checked for
/// non-finite values once, when the index is made, not on every search.
public final class FlatIndex: VectorIndex, @unchecked Sendable {
    /// Rows searched (ids `0 ..< count`).
    public let count: Int
    /// Floats per row.
    public let dimension: Int
    /// How a query scores a row.
    public let metric: Metric
    private let rows: UnsafeBufferPointer<Float>
    /// Keeps `rows` valid: a memory map, or the buffer this index allocated.
    private let owner: AnyObject?
    private let allocated: UnsafeMutableBufferPointer<Float>?

    /// An index over a copy of `matrix`'s rows.
    public convenience init(_ matrix: Matrix, metric: Metric) throws {
        let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: matrix.values.count)
        _ = copy.initialize(from: matrix.values)
        try self.init(rows: UnsafeBufferPointer(copy), count: matrix.rows, dimension: matrix.cols, metric: metric,
                      owner: nil, allocated: copy)
    }

    /// An index over `rows` (`count * dimension` floats, row-major), which `owner` keeps valid
    /// for as long as the index lives (a store version's mapped vector file).
    public convenience init(rows: UnsafeBufferPointer<Float>, count: Int, dimension: Int, metric: Metric, owner: AnyObject) throws {
        try self.init(rows: rows, count: count, dimension: dimension, metric: metric, owner: owner, allocated: nil)
    }

    private init(rows: UnsafeBufferPointer<Float>, count: Int, dimension: Int, metric: Metric, owner: AnyObject?,
                 allocated: UnsafeMutableBufferPointer<Float>?) throws {
        self.allocated = allocated
        guard dimension > 0 else { throw KernelError.invalidArgument(name: "dimension", value: "\(dimension)", expected: "> 0") }
        guard rows.count == count * dimension else { throw KernelError.sizeMismatch(name: "rows", expected: count * dimension, found: rows.count) }
        guard count <= Int(Int32.max) else { throw KernelError.invalidArgument(name: "count", value: "\(count)", expected: "<= \(Int32.max) (ids are Int32)") }
        if let bad = rows.firstIndex(where: { !$0.isFinite }) { throw KernelError.nonFinite(name: "rows", index: bad, value: rows[bad]) }
        self.rows = rows
        self.count = count
        self.dimension = dimension
        self.metric = metric
        self.owner = owner
    }

    deinit { allocated?.deallocate() }

    /// The `k` best rows for `query`, best first (ties: lower row), among the rows `filter` allows;
    /// fewer when fewer are allowed. Exact: `efSearch` is ignored. The C kernel is `rv_score_topk_f32`.
    public func search(_ query: [Float], k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil) throws -> [Neighbour] {
        let top = try search(try Matrix(rows: 1, cols: dimension, values: query), k: k, efSearch: efSearch, filter: filter, threads: 1)
        return zip(top.ids, top.scores).filter { $0.0 >= 0 }.map { Neighbour(id: $0.0, score: $0.1) }
    }

    /// The `k` best rows for each row of `queries` on `threads` threads (0 = all), padded with id -1
    /// where `filter` leaves fewer. Exact: `efSearch` is ignored. The C kernel is `rv_score_topk_f32`.
    public func search(_ queries: Matrix, k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil, threads: Int = 0) throws -> TopK {
        guard queries.cols == dimension else { throw KernelError.sizeMismatch(name: "rows.cols", expected: queries.cols, found: dimension) }
        guard k >= 1 && k <= count else {
            throw KernelError.invalidArgument(name: "k", value: "\(k)", expected: count >= 1 ? "1 ... \(count) (rows.rows)" : "1 ... rows.rows, but rows.rows is 0")
        }
        try Kernels.checkThreads(threads)
        if let i = queries.firstNonFinite() { throw KernelError.nonFinite(name: "queries", index: i, value: queries.values[i]) }
        var excluded: [Int32] = []
        var offsets: [Int]?
        if let filter {
            guard filter.count == count else { throw IndexError.dimensionMismatch(name: "filter", expected: count, found: filter.count) }
            for row in 0 ..< count where filter.allowedBits[row >> 6] & (1 << UInt64(row & 63)) == 0 { excluded.append(Int32(row)) }
            // The same exclusions for every query.
            offsets = (0 ... queries.rows).map { $0 * excluded.count }
            excluded = Array((0 ..< queries.rows).map { _ in excluded }.joined())
        }
        var result = TopK(queryCount: queries.rows, k: k, ids: [Int32](repeating: -1, count: queries.rows * k),
                          scores: [Float](repeating: -.infinity, count: queries.rows * k))
        let status = queries.values.withUnsafeBufferPointer { q in
            excluded.withUnsafeBufferPointer { e in
                result.ids.withUnsafeMutableBufferPointer { ids in
                    result.scores.withUnsafeMutableBufferPointer { scores in
                        func run(_ offsets: UnsafePointer<Int>?) -> rv_status {
                            rv_score_topk_f32(q.baseAddress, queries.rows, queries.cols, rows.baseAddress, count, dimension, dimension,
                                              metric.cMetric, k, offsets, e.baseAddress, ids.baseAddress, scores.baseAddress,
                                              Int32(threads))
                        }
                        return withExtendedLifetime(owner) {
                            if let offsets { return offsets.withUnsafeBufferPointer { run($0.baseAddress) } }
                            return run(nil)
                        }
                    }
                }
            }
        }
        try Kernels.check(status, "rv_score_topk_f32")
        return result
    }
}
