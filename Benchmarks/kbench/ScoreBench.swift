import BenchSupport
import Foundation
import KernelTwins
import RecVec

/// Scoring fused with top-K ("score_topk", dot) and row normalisation ("normalize"): the Swift
/// twin, then the C kernel at 1 thread and at all threads. Writes score_topk's inputs, C's
/// results and a JSON sidecar describing them for Benchmarks/peers/peers_score.py.
func scoreSuite(_ bench: Bench) throws {
    let cases = [
        // size, items, dim, queries (nil: every item queries), k, queries the twin runs on
        ("seed", 400, 32, nil, 20, 400),
        ("large", 100_000, 64, 10_000, 20, 50),
    ] as [(String, Int, Int, Int?, Int, Int)]
    for (size, items, dim, queryCount, k, twinQueries) in cases where bench.options.wants(size: size) {
        var random = BenchRandom(seed: bench.options.seed)
        let rows = benchMatrix(items, dim, &random)
        let queries = queryCount.map { benchMatrix($0, dim, &random) } ?? rows
        if bench.options.wants(kernel: "score_topk") {
            try scoreTopKCase(bench, size: size, queries: queries, rows: rows, k: k, twinQueries: twinQueries)
        }
        if bench.options.wants(kernel: "normalize") {
            try normalizeCase(bench, size: "\(size) \(items)x\(dim)", rows: rows)
        }
    }
}

/// Uniform values in [-1, 1).
private func benchMatrix(_ rows: Int, _ cols: Int, _ random: inout BenchRandom) -> Matrix {
    try! Matrix(rows: rows, cols: cols, values: (0 ..< rows * cols).map { _ in random.unitFloat() * 2 - 1 })
}

private func scoreTopKCase(_ bench: Bench, size name: String, queries: Matrix, rows: Matrix, k: Int, twinQueries: Int) throws {
    let (q, n, d) = (queries.rows, rows.rows, rows.cols)
    let scaled = twinQueries < q
    let size = "\(name) \(n)x\(d) q\(q) k\(k)" + (scaled ? " (swift: \(twinQueries)q scaled)" : "")
    let gflop = 2 * Double(q) * Double(n) * Double(d) / 1e9

    // The twin on the first `twinQueries` queries, its time scaled to all of them.
    let subset = try Matrix(rows: twinQueries, cols: d, values: Array(queries.values[0 ..< twinQueries * d]))
    var twin = TopK(queryCount: 0, k: k, ids: [], scores: [])
    let twinTiming = bench.time { twin = ScoringTwin.topK(queries: subset, rows: rows, k: k, metric: .dot) }
    let factor = Double(q) / Double(twinQueries)
    bench.record(kernel: "score_topk", size: size, impl: "swift", threads: 1,
                 timing: (twinTiming.median * factor, twinTiming.p90 * factor), work: gflop, unit: "GFLOP/s", ok: true)

    var result = TopK(queryCount: 0, k: k, ids: [], scores: [])
    for threads in [1, Kernels.maxThreads] {
        let timing = try bench.time { result = try Kernels.topK(queries: queries, rows: rows, k: k, metric: .dot, threads: threads) }
        bench.record(kernel: "score_topk", size: size, impl: "c", threads: threads, timing: timing, work: gflop,
                     unit: "GFLOP/s", ok: agrees(result, twin, dim: d))
    }

    let stem = "score_topk.\(name)"
    bench.writeInput("\(stem).queries.f32", queries.values)
    bench.writeInput("\(stem).rows.f32", rows.values)
    bench.writeInput("\(stem).c_ids.i32", result.ids)
    bench.writeInput("\(stem).c_scores.f32", result.scores)
    let sidecar: [String: Any] = [
        "kernel": "score_topk", "size": size, "metric": "dot", "queries": q, "rows": n, "dim": d, "k": k,
        "gflop": gflop, "queries_file": "\(stem).queries.f32", "rows_file": "\(stem).rows.f32",
        "c_ids_file": "\(stem).c_ids.i32", "c_scores_file": "\(stem).c_scores.f32",
        "layout": "raw little-endian, row-major; ids int32, the rest float32",
        // Two implementations may each sit (d + 6) u d from the exact score (see `agrees`).
        "score_tolerance": 2 * Double(d + 6) * Double(Float.ulpOfOne) / 2 * Double(d),
    ]
    bench.writeInput("\(stem).json", [UInt8](try JSONSerialization.data(withJSONObject: sidecar, options: [.sortedKeys])))
}

/// Whether C's top-K agrees with the twin's on the twin's queries (the first `twin.queryCount`):
/// scores position by position within (d + 6) u d (each |q_j r_j| <= 1; see ScoringTests), and
/// ids exactly wherever the twin's neighbouring scores are further apart than that.
private func agrees(_ c: TopK, _ twin: TopK, dim: Int) -> Bool {
    let tolerance = Float(dim + 6) * Float.ulpOfOne / 2 * Float(dim)
    for q in 0 ..< twin.queryCount {
        for i in q * twin.k ..< (q + 1) * twin.k {
            guard abs(c.scores[i] - twin.scores[i]) <= tolerance else { return false }
            let separatedBefore = i == q * twin.k || twin.scores[i - 1] - twin.scores[i] > tolerance
            let separatedAfter = i == (q + 1) * twin.k - 1 || twin.scores[i] - twin.scores[i + 1] > tolerance
            if separatedBefore && separatedAfter && c.ids[i] != twin.ids[i] { return false }
        }
    }
    return true
}

private func normalizeCase(_ bench: Bench, size: String, rows: Matrix) throws {
    let gigabytes = Double(rows.values.count * MemoryLayout<Float>.size * 2) / 1e9 // read + write
    var twin = rows
    let twinTiming = bench.time { twin = ScoringTwin.normalizeRows(rows) }
    bench.record(kernel: "normalize", size: size, impl: "swift", threads: 1, timing: twinTiming, work: gigabytes,
                 unit: "GB/s", ok: true)
    for threads in [1, Kernels.maxThreads] {
        var c = rows
        // The warm-up run makes `c` its own copy; later runs renormalise it in place (same work).
        let timing = try bench.time { try Kernels.normalizeRows(&c, threads: threads) }
        // Normalising a unit row again changes it by at most an ulp or two: compare within 2 ulps.
        let ok = zip(c.values, twin.values).allSatisfy { abs($0 - $1) <= 2 * $1.ulp }
        bench.record(kernel: "normalize", size: size, impl: "c", threads: threads, timing: timing, work: gigabytes,
                     unit: "GB/s", ok: ok)
    }
}
