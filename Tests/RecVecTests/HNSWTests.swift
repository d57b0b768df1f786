import Foundation
import RecVec
import TestSupport
import XCTest

/// Clustered vectors shaped like embeddings: popularity-skewed cluster centres plus noise
/// (uniform Gaussian vectors have no neighbourhood structure and are not a fair ANN test).
private func clustered(rows: Int, dim: Int, clusters: Int = 24, noise: Float = 0.35, seed: UInt64) -> Matrix {
    var centreRandom = TestRandom(seed: 7_777) // the same centres for data and queries
    let centres = (0 ..< clusters).map { _ in (0 ..< dim).map { _ in gaussian(&centreRandom) } }
    var random = TestRandom(seed: seed)
    var m = Matrix(rows: rows, cols: dim)
    for r in 0 ..< rows {
        // Cluster c is picked with weight 1 / (c + 1) (Zipf-like popularity).
        let c = Int(Float(clusters) * pow(random.unit(), 2.5))
        for d in 0 ..< dim { m[r, d] = centres[min(c, clusters - 1)][d] + noise * gaussian(&random) }
    }
    return m
}

private func gaussian(_ random: inout TestRandom) -> Float {
    let u = max(random.unit(), 1e-7), v = random.unit()
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
}

/// The plain-Swift oracle's scores: every row against `query` (raw buffers: debug builds run it).
private func exactScores(_ vectors: Matrix, _ query: [Float], metric: Metric) -> [Float] {
    let dim = vectors.cols
    return vectors.values.withUnsafeBufferPointer { v in
        query.withUnsafeBufferPointer { q in
            var qn: Float = 0
            for d in 0 ..< dim { qn += q[d] * q[d] }
            qn = qn.squareRoot()
            var out = [Float](repeating: 0, count: vectors.rows)
            for r in 0 ..< vectors.rows {
                var dot: Float = 0, rn: Float = 0
                for d in 0 ..< dim {
                    dot += v[r * dim + d] * q[d]
                    rn += v[r * dim + d] * v[r * dim + d]
                }
                rn = rn.squareRoot()
                out[r] = metric == .dot ? dot : (rn > 0 && qn > 0 ? dot / (rn * qn) : 0)
            }
            return out
        }
    }
}

/// The plain-Swift oracle: the `k` best allowed rows, best first, ties to the lower id.
private func exactSearch(_ vectors: Matrix, _ query: [Float], k: Int, metric: Metric, allowed: ((Int32) -> Bool)? = nil) -> [Neighbour] {
    var best: [Neighbour] = [] // sorted, at most k
    for (r, score) in exactScores(vectors, query, metric: metric).enumerated() where allowed?(Int32(r)) ?? true {
        if best.count == k, let last = best.last, !(score > last.score) { continue }
        let at = best.firstIndex { score > $0.score } ?? best.count
        best.insert(Neighbour(id: Int32(r), score: score), at: at)
        if best.count > k { best.removeLast() }
    }
    return best
}

private func recall(_ found: [Int32], _ truth: [Neighbour]) -> Double {
    Double(Set(found).intersection(truth.map(\.id)).count) / Double(truth.count)
}

/// The tests' index settings; they build on 2 threads unless they say 1.
private func config(_ metric: Metric) -> HNSWConfig {
    var c = HNSWConfig()
    c.metric = metric
    c.m = 12
    c.efConstruction = 100
    c.efSearch = 64
    c.seed = 3
    return c
}

final class HNSWTests: XCTestCase {
    let data = clustered(rows: 3000, dim: 24, seed: 1)
    let queries = clustered(rows: 100, dim: 24, seed: 2)

    func testRecallAt10AgainstExactSearchOnClusteredVectors() throws {
        for metric in Metric.allCases {
            let index = try HNSWIndex(vectors: data, config: config(metric), threads: 2)
            XCTAssertEqual(index.count, data.rows)
            var total = 0.0
            for q in 0 ..< queries.rows {
                let found = try index.search(queries.row(q), k: 10)
                let truth = exactSearch(data, queries.row(q), k: 10, metric: metric)
                total += recall(found.map(\.id), truth)
                let exactScore = exactScores(data, queries.row(q), metric: metric)
                // Scores are the metric's similarity: every returned score matches the oracle's
                // score of that id within float rounding (dim 24: about 24 x 2^-24 of sum |a b|,
                // so 1e-4 covers rows of norm up to ~5).
                for n in found {
                    let exact = exactScore[Int(n.id)]
                    XCTAssertEqual(n.score, exact, accuracy: 1e-4 * max(1, abs(exact)))
                }
                XCTAssertEqual(found.map(\.score), found.map(\.score).sorted(by: >))
            }
            XCTAssertGreaterThanOrEqual(total / Double(queries.rows), 0.95, "recall@10 for \(metric)")
        }
    }

    func testBatchSearchEqualsSingleSearch() throws {
        let index = try HNSWIndex(vectors: data, config: config(.cosine), threads: 2)
        let batch = try index.search(queries, k: 10, efSearch: 40, threads: 2)
        for q in 0 ..< queries.rows {
            let single = try index.search(queries.row(q), k: 10, efSearch: 40)
            XCTAssertEqual(Array(batch.ids[q * 10 ..< q * 10 + 10]), single.map(\.id))
            XCTAssertEqual(Array(batch.scores[q * 10 ..< q * 10 + 10]), single.map(\.score))
        }
    }

    func testExactSearchMatchesTheSwiftOracleOnEverySIMDPathAndAwkwardDims() throws {
        for level in Kernels.availableSIMDLevels {
            try Kernels.withSIMDLevel(level) {
                for dim in TestSupport.awkwardDims {
                    let rows = clustered(rows: 150, dim: dim, clusters: 5, seed: UInt64(dim))
                    let qs = clustered(rows: 3, dim: dim, clusters: 5, seed: UInt64(dim + 100))
                    for metric in Metric.allCases {
                        let index = try HNSWIndex(vectors: rows, config: config(metric), threads: 1)
                        let exact = try index.exactSearch(qs, k: 5)
                        for q in 0 ..< qs.rows {
                            let truth = exactSearch(rows, qs.row(q), k: 5, metric: metric)
                            // Ids can only swap where two scores tie within rounding; compare scores
                            // position by position: about dim x 2^-24 x sum |a b| apart at most,
                            // sum |a b| <= |a||b| <= ~3 dim here, so 1e-6 x dim x (1 + |score|) x 4.
                            for j in 0 ..< 5 {
                                XCTAssertEqual(exact.scores[q * 5 + j], truth[j].score,
                                               accuracy: 4e-6 * Float(dim) * (1 + abs(truth[j].score)),
                                               "\(level) dim \(dim) \(metric)")
                            }
                        }
                    }
                }
            }
        }
    }

    func testScalarPathReachesTheSameRecall() throws {
        try Kernels.withSIMDLevel(.scalar) {
            let rows = clustered(rows: 1200, dim: 24, seed: 21)
            let index = try HNSWIndex(vectors: rows, config: config(.cosine), threads: 2)
            var total = 0.0
            for q in 0 ..< 50 {
                total += recall(try index.search(queries.row(q), k: 10).map(\.id),
                                exactSearch(rows, queries.row(q), k: 10, metric: .cosine))
            }
            XCTAssertGreaterThanOrEqual(total / 50, 0.95)
        }
    }

    func testOneThreadBuildIsDeterministicToTheByte() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let small = clustered(rows: 800, dim: 16, seed: 5)
        var files: [Data] = []
        for run in 0 ..< 2 {
            let url = dir.appendingPathComponent("run\(run).hnsw")
            try HNSWIndex(vectors: small, config: config(.dot), threads: 1).write(to: url, vectorsChecksum: 9)
            files.append(try Data(contentsOf: url))
        }
        XCTAssertEqual(files[0], files[1])
    }

    func testWriteLoadRoundTripGivesIdenticalResults() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("index.hnsw")
        let index = try HNSWIndex(vectors: data, config: config(.cosine), threads: 2)
        try index.write(to: url, vectorsChecksum: 0xDEAD_BEEF_0123_4567)
        XCTAssertEqual(index.vectorsChecksum, 0xDEAD_BEEF_0123_4567)
        let expected = try index.search(queries, k: 10)
        for verify in [true, false] {
            let loaded = try HNSWIndex.load(from: url, verify: verify)
            XCTAssertEqual(loaded.count, data.rows)
            XCTAssertEqual(loaded.dimension, data.cols)
            XCTAssertEqual(loaded.vectorsChecksum, 0xDEAD_BEEF_0123_4567)
            XCTAssertEqual(loaded.config, index.config)
            XCTAssertEqual(try loaded.search(queries, k: 10), expected)
        }
        // No temporary file is left beside the index.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["index.hnsw"])
    }

    func testCorruptByteIsAChecksumMismatch() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("index.hnsw")
        try HNSWIndex(vectors: clustered(rows: 300, dim: 8, seed: 4), config: config(.cosine), threads: 2).write(to: url, vectorsChecksum: 1)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: url)
        XCTAssertThrowsError(try HNSWIndex.load(from: url)) { error in
            guard case let .checksumMismatch(file, expected, found)? = error as? FileFormatError else {
                return XCTFail("expected checksumMismatch, got \(error)")
            }
            XCTAssertEqual(file, url.path)
            XCTAssertNotEqual(expected, found)
            XCTAssertTrue("\(error)".contains(url.path))
        }
    }

    func testTruncatedFileNamesExpectedAndActualSize() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("index.hnsw")
        try HNSWIndex(vectors: clustered(rows: 300, dim: 8, seed: 4), config: config(.cosine), threads: 2).write(to: url, vectorsChecksum: 1)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 100).write(to: url)
        XCTAssertThrowsError(try HNSWIndex.load(from: url)) { error in
            XCTAssertEqual(error as? FileFormatError, .truncated(file: url.path, expectedBytes: bytes.count, foundBytes: bytes.count - 100))
        }
        try bytes.prefix(100).write(to: url)
        XCTAssertThrowsError(try HNSWIndex.load(from: url)) { error in
            XCTAssertEqual(error as? FileFormatError, .truncated(file: url.path, expectedBytes: 264, foundBytes: 100))
        }
    }

    func testWrongMagicAndUnsupportedVersion() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("index.hnsw")
        try HNSWIndex(vectors: clustered(rows: 50, dim: 4, seed: 4), config: config(.cosine), threads: 2).write(to: url, vectorsChecksum: 1)
        var bytes = try Data(contentsOf: url)
        bytes[8] = 99 // format version, little-endian low byte
        try bytes.write(to: url)
        XCTAssertThrowsError(try HNSWIndex.load(from: url)) { error in
            XCTAssertEqual(error as? FileFormatError, .unsupportedVersion(file: url.path, found: 99, supported: 1))
        }
        bytes[0] = UInt8(ascii: "X")
        try bytes.write(to: url)
        XCTAssertThrowsError(try HNSWIndex.load(from: url)) { error in
            guard case .badMagic(url.path, _, _)? = error as? FileFormatError else { return XCTFail("\(error)") }
        }
    }

    /// Tight clusters of near-duplicate vectors (rare items of an item2vec model look like this):
    /// the pruning heuristic keeps one member of a cluster in each neighbour list, and without the
    /// reachability repair some members had no link into them, so that no search returned them
    /// (items 1378-1380 of MovieLens, never recommended). A search with ef and k equal to the
    /// count visits every node a walk can reach: it must return every id, after a build and after
    /// an add.
    func testEveryItemIsReachableAmongNearDuplicateClusters() throws {
        // `blob` near-duplicates of one direction (noise 0.001), the rest spread out. Without the
        // repair, 1500 rows with a blob of 600 left 15 ids unreachable at M 4 and 2 at M 8.
        func rows(_ count: Int, blob: Int, seed: UInt64) -> Matrix {
            var random = TestRandom(seed: seed)
            var centreRandom = TestRandom(seed: 5)
            let centre = (0 ..< 16).map { _ in gaussian(&centreRandom) }
            var x = Matrix(rows: count, cols: 16)
            for r in 0 ..< count {
                for d in 0 ..< 16 { x[r, d] = r < blob ? centre[d] + 0.001 * gaussian(&random) : gaussian(&random) }
            }
            return x
        }
        for m in [4, 8] {
            var settings = config(.cosine)
            settings.m = m
            let first = rows(1500, blob: 600, seed: 5)
            let index = try HNSWIndex(vectors: first, config: settings, threads: 1)
            var found = try index.search(first.row(1499), k: index.count, efSearch: index.count)
            XCTAssertEqual(Set(found.map(\.id)).count, index.count, "M \(m): some ids no search returns")
            try index.add(rows(500, blob: 300, seed: 6), threads: 1)
            found = try index.search(first.row(1499), k: index.count, efSearch: index.count)
            XCTAssertEqual(Set(found.map(\.id)).count, index.count, "M \(m): some ids no search returns after an add")
        }
    }

    func testAddedItemsAreFound() throws {
        let first = clustered(rows: 1500, dim: 24, seed: 11)
        let more = clustered(rows: 500, dim: 24, seed: 12)
        let index = try HNSWIndex(vectors: first, config: config(.cosine), threads: 2)
        try index.add(more, threads: 2)
        XCTAssertEqual(index.count, 2000)
        // Each added row is its own nearest neighbour (cosine 1).
        var hits = 0
        for r in stride(from: 0, to: more.rows, by: 5) {
            let top = try index.search(more.row(r), k: 1)
            if top.first?.id == Int32(1500 + r) { hits += 1 }
        }
        XCTAssertGreaterThanOrEqual(hits, 98) // of 100; exact duplicates would be the only excuse

        // A loaded (mapped) index accepts additions too, copying itself into memory first.
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("index.hnsw")
        try HNSWIndex(vectors: first, config: config(.cosine), threads: 2).write(to: url, vectorsChecksum: 2)
        let loaded = try HNSWIndex.load(from: url)
        try loaded.add(more, threads: 2)
        XCTAssertEqual(loaded.count, 2000)
        XCTAssertEqual(try loaded.search(more.row(0), k: 1).first?.id, 1500)
    }

    func testFilterExcluding95PercentReturnsOnlyAllowedIdsWithHighRecall() throws {
        let index = try HNSWIndex(vectors: data, config: config(.cosine), threads: 2)
        var random = TestRandom(seed: 8)
        let allowedIds = Set((0 ..< data.rows).filter { _ in random.unit() < 0.05 }.map(Int32.init))
        let filter = SearchFilter(count: data.rows, excluding: (0 ..< Int32(data.rows)).filter { !allowedIds.contains($0) })
        XCTAssertEqual(filter.allowedCount, allowedIds.count)
        var total = 0.0
        for q in 0 ..< queries.rows {
            let found = try index.search(queries.row(q), k: 10, filter: filter)
            XCTAssertEqual(found.count, 10)
            XCTAssertTrue(found.allSatisfy { allowedIds.contains($0.id) })
            total += recall(found.map(\.id), exactSearch(data, queries.row(q), k: 10, metric: .cosine, allowed: allowedIds.contains))
        }
        XCTAssertGreaterThanOrEqual(total / Double(queries.rows), 0.95)
    }

    func testTinyAllowedSetIsScannedExactly() throws {
        let index = try HNSWIndex(vectors: data, config: config(.dot), threads: 2)
        // 1 % allowed (a category): below count / 32, so the search scans them exactly.
        let filter = SearchFilter(count: data.rows) { $0 % 100 == 7 }
        let batch = try index.search(queries, k: 10, filter: filter)
        for q in 0 ..< queries.rows {
            let truth = exactSearch(data, queries.row(q), k: 10, metric: .dot) { $0 % 100 == 7 }
            XCTAssertEqual(batch.ids(ofQuery: q), truth.map(\.id))
        }
        // Fewer allowed than k: the rest is padding.
        let three = SearchFilter(count: data.rows) { $0 < 3 }
        let top = try index.search(queries.row(0), k: 10, filter: three)
        XCTAssertEqual(Set(top.map(\.id)), [0, 1, 2])
        let padded = try index.search(queries, k: 5, filter: three)
        XCTAssertEqual(Array(padded.ids[3 ..< 5]), [-1, -1])
        XCTAssertEqual(padded.scores[4], -.infinity)
    }

    func testBadInputIsRejectedWithTypedErrors() throws {
        let small = clustered(rows: 20, dim: 4, seed: 1)
        let index = try HNSWIndex(vectors: small, config: config(.cosine), threads: 2)
        let q: [Float] = [1, 0, 0, 0]
        XCTAssertThrowsError(try index.search(q, k: 0)) {
            XCTAssertEqual($0 as? KernelError, .invalidArgument(name: "k", value: "0", expected: "1 ... 20 (the index size)"))
        }
        XCTAssertThrowsError(try index.search(q, k: 21)) {
            XCTAssertEqual($0 as? KernelError, .invalidArgument(name: "k", value: "21", expected: "1 ... 20 (the index size)"))
        }
        XCTAssertThrowsError(try index.search([1, 0, 0], k: 1)) {
            XCTAssertEqual($0 as? IndexError, .dimensionMismatch(name: "query", expected: 4, found: 3))
        }
        XCTAssertThrowsError(try index.search([1, .nan, 0, 0], k: 1)) {
            guard case let .nonFinite(name, index, value)? = $0 as? KernelError else { return XCTFail("\($0)") }
            XCTAssertEqual(name, "query")
            XCTAssertEqual(index, 1)
            XCTAssertTrue(value.isNaN)
        }
        XCTAssertThrowsError(try index.search(q, k: 1, efSearch: 0)) {
            XCTAssertEqual($0 as? KernelError, .invalidArgument(name: "efSearch", value: "0", expected: ">= 1"))
        }
        XCTAssertThrowsError(try index.search(q, k: 1, filter: SearchFilter(count: 19, excluding: []))) {
            XCTAssertEqual($0 as? IndexError, .dimensionMismatch(name: "filter", expected: 20, found: 19))
        }
        var withNaN = small
        withNaN[3, 2] = .infinity
        XCTAssertThrowsError(try HNSWIndex(vectors: withNaN)) {
            XCTAssertEqual($0 as? KernelError, .nonFinite(name: "vectors", index: 14, value: .infinity))
        }
        XCTAssertThrowsError(try index.add(Matrix(rows: 1, cols: 5))) {
            XCTAssertEqual($0 as? IndexError, .dimensionMismatch(name: "vectors", expected: 4, found: 5))
        }
        var badConfig = HNSWConfig()
        badConfig.m = 1
        XCTAssertThrowsError(try HNSWIndex(vectors: small, config: badConfig)) {
            XCTAssertEqual($0 as? KernelError, .invalidArgument(name: "config.m", value: "1", expected: "2 ... 1024"))
        }
        let empty = try HNSWIndex(vectors: Matrix(rows: 0, cols: 4))
        XCTAssertThrowsError(try empty.search(q, k: 1)) { XCTAssertEqual($0 as? IndexError, .emptyIndex) }
        // An empty index grows with add.
        try empty.add(small)
        XCTAssertEqual(try empty.search(small.row(7), k: 1).first?.id, 7)
    }

    func testSearchesWritesAndAddsMayRunConcurrently() throws {
        let first = clustered(rows: 600, dim: 8, seed: 31)
        let more = clustered(rows: 300, dim: 8, seed: 32)
        let index = try HNSWIndex(vectors: first, config: config(.cosine), threads: 2)
        let dir = try TestSupport.temporaryDirectory(self)
        let failures = NSLock()
        var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { task in
            do {
                switch task {
                case 0: try index.add(more, threads: 2)
                case 1: try index.write(to: dir.appendingPathComponent("concurrent.hnsw"), vectorsChecksum: 5)
                default:
                    // Each row finds itself (approximate search: a few may miss).
                    var hits = 0
                    for r in 0 ..< 50 where try index.search(first.row(r), k: 1).first?.id == Int32(r) { hits += 1 }
                    if hits < 45 { throw KernelError.invalidArgument(name: "rows that found themselves", value: "\(hits) of 50", expected: ">= 45") }
                }
            } catch {
                failures.lock()
                errors.append("task \(task): \(error)")
                failures.unlock()
            }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(index.count, 900)
        let loaded = try HNSWIndex.load(from: dir.appendingPathComponent("concurrent.hnsw"))
        XCTAssertTrue([600, 900].contains(loaded.count))
    }

    func testProgressReportsEveryRowOnce() throws {
        var seen: [Int] = []
        _ = try HNSWIndex(vectors: clustered(rows: 2500, dim: 8, seed: 3), config: config(.cosine), threads: 2) { seen.append($0) }
        XCTAssertEqual(seen.last, 2500)
        XCTAssertEqual(seen, seen.sorted())
        XCTAssertGreaterThan(seen.count, 1)
    }
}
