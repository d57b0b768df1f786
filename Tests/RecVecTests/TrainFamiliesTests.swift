import Foundation
import XCTest
@testable import RecVec
import TestSupport

final class TrainFamiliesTests: XCTestCase {
    func testPPMIOnHandComputedCounts() throws {
        // Counts [[0, 2], [2, 4]]: rows 2 and 6, columns 2 and 6, alpha = 1, total 8.
        // PMI(0,1) = log(2·8/(2·6)) = log(4/3); PMI(1,1) = log(4·8/(6·6)) = log(8/9) < 0 -> 0.
        let counts = try Matrix(rows: 2, cols: 2, values: [0, 2, 2, 4])
        let p = try PPMI.dense(counts, config: PPMIConfig(contextSmoothing: 1))
        XCTAssertEqual(p.values, [0, log(4.0 / 3), log(4.0 / 3), 0])
        let sparse = try PPMI.sparse(SparseMatrix(dense: counts), config: PPMIConfig(contextSmoothing: 1))
        XCTAssertEqual(sparse.dense().values.map(Double.init), p.values.map { Double(Float($0)) })
        // A shift of k = 2 subtracts log 2 > log(4/3): everything clips to 0.
        XCTAssertEqual(try PPMI.dense(counts, config: PPMIConfig(contextSmoothing: 1, shift: 2)).values, [0, 0, 0, 0])
    }

    func testItemGraphKeepsTopNAndSymmetrises() throws {
        // Item 0 co-occurs with 1 (5), 2 (3), 3 (1); with topN = 1 each item keeps its heaviest.
        let counts = try Matrix(rows: 4, cols: 4, values: [0, 5, 3, 1, 5, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0])
        let g = try ItemGraph(cooccurrence: SparseMatrix(dense: counts), topN: 1)
        // 0 keeps 1; 1 keeps 0; 2 keeps 0; 3 keeps 0: edges 0-1, 0-2, 0-3 after symmetrising.
        XCTAssertEqual(g.neighbours, [1, 2, 3, 0, 0, 0])
        XCTAssertEqual(g.offsets, [0, 3, 4, 5, 6])
        XCTAssertTrue(g.hasEdge(2, 0))
        XCTAssertFalse(g.hasEdge(1, 2))
    }

    func testWalksFollowEdgesAreDeterministicAndCountTokens() throws {
        let g = try ItemGraph(nodeCount: 6, edges: [(0, 1, 1), (1, 2, 2), (2, 0, 1), (2, 3, 1), (3, 4, 5)]) // node 5 isolated
        for (p, q) in [(1.0, 1.0), (0.25, 4.0), (4.0, 0.25)] {
            let walker = try RandomWalker(graph: g, config: WalkConfig(walksPerNode: 3, walkLength: 7, p: p, q: q))
            var chunks: [Corpus] = [], again: [Corpus] = []
            try walker.forEachChunk(pass: 0, seed: 9, chunkNodes: 4) { (c: Corpus) throws(KernelError) in chunks.append(c) }
            try walker.forEachChunk(pass: 0, seed: 9, chunkNodes: 4) { (c: Corpus) throws(KernelError) in again.append(c) }
            XCTAssertEqual(chunks, again)
            XCTAssertEqual(chunks.reduce(0) { $0 + $1.tokens.count }, walker.tokensPerPass)
            XCTAssertEqual(walker.tokensPerPass, 3 * (5 * 7 + 1))
            for c in chunks { for s in 0 ..< c.sessionCount {
                let walk = Array(c.session(s))
                for (a, b) in zip(walk, walk.dropFirst()) { XCTAssertTrue(g.hasEdge(Int(a), b), "\(a) -> \(b) is not an edge") }
            } }
        }
    }

    func testNode2VecReturnParameterChangesBacktracking() throws {
        // On a path 0-1-2-...-9, a walk at an inner node either returns or moves on. With p = 1/4
        // returning weighs 4 against 1/q = 1 for moving on: P(return) = 4/5. With p = 4: 0.25/1.25 = 1/5.
        var edges: [(Int32, Int32, Float)] = []
        for i in 0 ..< 9 { edges.append((Int32(i), Int32(i + 1), 1)) }
        let g = try ItemGraph(nodeCount: 10, edges: edges)
        func returnRate(p: Double) throws -> Double {
            let walker = try RandomWalker(graph: g, config: WalkConfig(walksPerNode: 200, walkLength: 20, p: p, q: 1))
            var returns = 0, moves = 0
            try walker.forEachChunk(pass: 0, seed: 3, chunkNodes: 100) { (c: Corpus) throws(KernelError) in
                for s in 0 ..< c.sessionCount {
                    let w = Array(c.session(s))
                    for i in 2 ..< w.count where w[i - 1] != 0 && w[i - 1] != 9 { // inner nodes: a real choice
                        if w[i] == w[i - 2] { returns += 1 } else { moves += 1 }
                    }
                }
            }
            return Double(returns) / Double(returns + moves)
        }
        // ~30k choices each: the standard error of a rate is below 0.003, so ±0.02 is > 6 sigma.
        XCTAssertEqual(try returnRate(p: 0.25), 0.8, accuracy: 0.02)
        XCTAssertEqual(try returnRate(p: 4), 0.2, accuracy: 0.02)
    }

    func testKarateWalkEmbeddingsSeparateFactions() throws {
        // A public-domain fixture in the test bundle (Tests/RecVecTests/Resources/karate, see its MANIFEST.md).
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "karate", withExtension: nil))
        let edgeLines = try String(contentsOf: dir.appendingPathComponent("edges.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let edges = edgeLines.map { line -> (Int32, Int32, Float) in
            let f = line.split(separator: ",")
            return (Int32(f[0])!, Int32(f[1])!, Float(f[2])!)
        }
        let clubs = try String(contentsOf: dir.appendingPathComponent("nodes.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.hasSuffix("Mr. Hi") }
        XCTAssertEqual(edges.count, 78)
        XCTAssertEqual(clubs.count, 34)
        let graph = try ItemGraph(nodeCount: 34, edges: edges)
        var config = GraphWalkConfig()
        config.walks = WalkConfig(walksPerNode: 20, walkLength: 20)
        config.sgns.dimension = 8
        config.sgns.window = 3
        config.sgns.epochs = 3
        config.sgns.subsample = 0
        config.sgns.seed = 5
        let model = try GraphWalks.train(graph: graph, config: config, threads: 1)
        let v = try ContentFusion.normalized(model.input)
        // Leave-one-out 5-nearest-neighbour vote by cosine.
        var correct = 0
        for i in 0 ..< 34 {
            let others = (0 ..< 34).filter { $0 != i }.sorted { a, b in
                let sa = (0 ..< 8).reduce(Float(0)) { $0 + v[i, $1] * v[a, $1] }
                let sb = (0 ..< 8).reduce(Float(0)) { $0 + v[i, $1] * v[b, $1] }
                return sa > sb
            }
            let votes = others.prefix(5).filter { clubs[$0] }.count
            if (votes >= 3) == clubs[i] { correct += 1 }
        }
        XCTAssertGreaterThan(Double(correct) / 34, 0.8, "\(correct)/34 nodes voted into their faction")
    }

    func testRidgeMapRecoversLinearMap() throws {
        // behaviour = content · W + b exactly; a tiny ridge penalty recovers it on a held-out row.
        var r = TestRandom(seed: 4)
        let content = try Matrix(rows: 30, cols: 4, values: r.floats(120))
        let w: [[Float]] = [[1, 0], [0, 2], [-1, 1], [0.5, 0]]
        var behaviour = Matrix(rows: 30, cols: 2)
        for i in 0 ..< 30 { for c in 0 ..< 2 { behaviour[i, c] = 3 + (0 ..< 4).reduce(Float(0)) { $0 + content[i, $1] * w[$1][c] } } }
        let map = try RidgeMap(content: content, behaviour: behaviour, warm: Array(0 ..< 29), lambda: 1e-9)
        let placed = try map.apply(content)
        // Float inputs (1e-7 relative) through a well-conditioned 4x4 solve: 1e-4 absolute is generous.
        XCTAssertEqual(placed[29, 0], behaviour[29, 0], accuracy: 1e-4)
        XCTAssertEqual(placed[29, 1], behaviour[29, 1], accuracy: 1e-4)
        XCTAssertThrowsError(try RidgeMap(content: content, behaviour: behaviour, warm: [0, 30], lambda: 1)) { error in
            XCTAssertEqual(error as? KernelError, .outOfRange(name: "warm", index: 1, value: 30, count: 30))
        }
    }

    func testFusionPlacesColdItemsNearTheirTrueNeighbours() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (300, 120, 1500, 10)
        let w = try SyntheticWorkload(config: config)
        var ppmi = PPMISVDConfig()
        ppmi.dimension = 16
        // Behaviour vectors trained with every event: the "true" space.
        let truth = try PPMISVD.train(w.sessions, config: ppmi)
        let cold = Set(stride(from: 0, to: 120, by: 6)) // 20 cold items
        let content = try ContentFusion.multimodal(w.content)
        let map = try RidgeMap(content: content, behaviour: truth, warm: (0 ..< 120).filter { !cold.contains($0) }, lambda: 1)
        let placed = try map.apply(content)
        let t = try ContentFusion.normalized(truth), p = try ContentFusion.normalized(placed)
        func neighbours(of i: Int, query: Matrix) -> Set<Int> {
            let warm = (0 ..< 120).filter { !cold.contains($0) }
            let scored = warm.map { j in (j, (0 ..< 16).reduce(Float(0)) { $0 + query[i, $1] * t[j, $1] }) }
            return Set(scored.sorted { $0.1 > $1.1 }.prefix(10).map(\.0))
        }
        var overlap = 0
        for i in cold { overlap += neighbours(of: i, query: p).intersection(neighbours(of: i, query: t)).count }
        // Random placement shares 10 · 10/100 = 1 of 10 neighbours on average (20 in total over 20
        // items); the content map must do several times better.
        XCTAssertGreaterThan(overlap, 80, "cold items share \(overlap)/200 true neighbours")
    }

    func testPPMISVDSparsePathMatchesDenseAndIsDeterministic() throws {
        var config = SyntheticConfig()
        (config.users, config.items, config.sessions, config.sessionLength) = (80, 50, 300, 8)
        let corpus = try SyntheticWorkload(config: config).sessions
        var dense = PPMISVDConfig()
        dense.dimension = 8
        var sparse = dense
        sparse.denseLimit = 0 // forces CSR counts, sparse PPMI and sparse products
        let a = try PPMISVD.factorize(corpus, config: dense), b = try PPMISVD.factorize(corpus, config: sparse)
        // Same matrix up to Float rounding of the sparse PPMI values (1e-7 relative): 1e-5 is generous.
        for i in 0 ..< 8 { XCTAssertEqual(a.singularValues[i], b.singularValues[i], accuracy: 1e-5 * a.singularValues[0], "σ\(i)") }
        XCTAssertEqual(try PPMISVD.train(corpus, config: dense), try PPMISVD.train(corpus, config: dense))
    }

    func testGraphWalkTrainingIsReproducibleWithOneThread() throws {
        let g = try ItemGraph(nodeCount: 8, edges: (0 ..< 8).map { (Int32($0), Int32(($0 + 1) % 8), 1) })
        var config = GraphWalkConfig()
        config.walks = WalkConfig(walksPerNode: 4, walkLength: 10, p: 0.5, q: 2)
        config.sgns.dimension = 4
        config.sgns.epochs = 2
        config.chunkNodes = 3
        var passes: [Int] = []
        let a = try GraphWalks.train(graph: g, config: config, threads: 1) { pass, tokens, planned in
            passes.append(pass)
            XCTAssertEqual(planned, 2 * 4 * 8 * 10)
            XCTAssertEqual(tokens, (pass + 1) * 4 * 8 * 10)
        }
        let b = try GraphWalks.train(graph: g, config: config, threads: 1)
        XCTAssertEqual(passes, [0, 1])
        XCTAssertEqual(a.input, b.input)
        XCTAssertEqual(a.output, b.output)
    }

    /// Threads left the model and index configurations (they are an argument of the trainers,
    /// the index build and publish); a configuration written before, with a `threads` key (an old
    /// manifest's index), still decodes to the same settings.
    func testConfigsWrittenWithAThreadsFieldStillDecode() throws {
        func withThreads<C: Codable>(_ config: C) throws -> C {
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
            XCTAssertNil(object["threads"])
            object["threads"] = 3
            return try JSONDecoder().decode(C.self, from: JSONSerialization.data(withJSONObject: object))
        }
        var sgns = SkipGramConfig()
        (sgns.dimension, sgns.seed) = (8, 5)
        XCTAssertEqual(try withThreads(sgns), sgns)
        var ppmi = PPMISVDConfig()
        (ppmi.dimension, ppmi.seed) = (8, 5)
        XCTAssertEqual(try withThreads(ppmi), ppmi)
        var walks = GraphWalkConfig()
        walks.sgns = sgns
        XCTAssertEqual(try withThreads(walks), walks)
        var hnsw = HNSWConfig() // the index configuration a manifest records
        (hnsw.m, hnsw.seed) = (8, 5)
        XCTAssertEqual(try withThreads(hnsw), hnsw)
    }
}
