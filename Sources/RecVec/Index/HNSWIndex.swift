import CKernels
import Foundation

/// Parameters of a hierarchical navigable small world (HNSW) graph index.
public struct HNSWConfig: Equatable, Sendable, Codable {
    public var metric: Metric = .cosine
    /// Links per node on the upper layers (2 M on layer 0).
    public var m = 16
    /// Candidate list size while building.
    public var efConstruction = 200
    /// Candidate list size while searching (at least k).
    public var efSearch = 64
    public var seed: UInt64 = 1
    /// Build threads, 0 = all.
    public var threads = 0

    public init() {}
}

/// One search result.
public struct Neighbor: Equatable, Sendable {
    public var id: Int32
    public var score: Float
    public init(id: Int32, score: Float) { self.id = id; self.score = score }
}

/// Which ids a search may return: a bitset over `0 ..< count`, applied during the graph search
/// (so recall holds when most of the catalog is filtered out), not after it.
public struct SearchFilter: Sendable {
    public let count: Int
    /// Bit `i` set = id `i` allowed.
    public var allowedBits: [UInt64]

    /// Every id except `excluded`.
    public init(count: Int, excluding excluded: some Sequence<Int32>) {
        fatalError("TODO(hnsw): not implemented yet")
    }

    /// The ids for which `predicate` is true.
    public init(count: Int, allowing predicate: (Int32) -> Bool) {
        fatalError("TODO(hnsw): not implemented yet")
    }
}

/// An HNSW index over `count` vectors of `dimension` floats. The hot loops (distance, greedy
/// layer search, neighbour selection) are the C kernels `rv_hnsw_*`.
public final class HNSWIndex: @unchecked Sendable {
    public let config: HNSWConfig
    public var count: Int { fatalError("TODO(hnsw): not implemented yet") }
    public var dimension: Int { fatalError("TODO(hnsw): not implemented yet") }
    /// The checksum of the vectors this index was built from, as given to `write(to:vectorsChecksum:)`.
    public var vectorsChecksum: UInt64 { fatalError("TODO(hnsw): not implemented yet") }

    /// Builds the index over the rows of `vectors` (row i gets id i), multi-threaded.
    public init(vectors: Matrix, config: HNSWConfig = HNSWConfig(), progress: ((_ inserted: Int) -> Void)? = nil) throws {
        fatalError("TODO(hnsw): not implemented yet")
    }

    /// Adds rows; they get ids `count ..< count + vectors.rows`.
    public func add(_ vectors: Matrix) throws {
        fatalError("TODO(hnsw): not implemented yet")
    }

    /// The `k` nearest allowed ids to `query`, best first.
    public func search(_ query: [Float], k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil) throws -> [Neighbor] {
        fatalError("TODO(hnsw): not implemented yet")
    }

    /// Batch search, one row of `queries` per query, threaded over queries.
    public func search(_ queries: Matrix, k: Int, efSearch: Int? = nil, filter: SearchFilter? = nil, threads: Int = 0) throws -> TopK {
        fatalError("TODO(hnsw): not implemented yet")
    }

    /// Writes the index (magic, format version, header, checksum) to `url` atomically.
    public func write(to url: URL, vectorsChecksum: UInt64) throws {
        fatalError("TODO(hnsw): not implemented yet")
    }

    /// Opens an index written by `write(to:vectorsChecksum:)`, memory-mapped; verifies magic,
    /// version and checksum.
    public static func load(from url: URL) throws -> HNSWIndex {
        fatalError("TODO(hnsw): not implemented yet")
    }
}
