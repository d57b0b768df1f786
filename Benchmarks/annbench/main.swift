import BenchSupport
import Foundation
import RecVec

// annbench: HNSW recall@10 (against exact search), single-thread QPS and build time, on vectors
// shaped like trained embeddings; Benchmarks/peers/peers_hnsw.py runs hnswlib on the same inputs
// (--write-inputs DIR) with the same parameters and prints the same rows.
//
// Vectors: each item draws a cluster c with popularity ~ 1 / (c + 1) (Zipf), a 16-dim latent
// factor z = centre[c] + 0.5 * N(0, I) with centres ~ N(0, I); then x = A z + 0.2 * N(0, I_64)
// with A a fixed 64 x 16 map with N(0, 1/16) entries. Queries are new draws from the same
// distribution (users' taste vectors look like items). Uniform Gaussian vectors have no
// neighbourhood structure and make every ANN method look bad; this is closer to real embeddings.

struct Options {
    var sizes = [100_000]
    var queries = 1000
    var dim = 64
    var latentDim = 16
    var clusters = 200
    var m = 16
    var efConstruction = 200
    var efSearch = [10, 16, 20, 24, 32, 64, 128, 256]
    var buildThreads = 2
    var metric = Metric.cosine
    var seed: UInt64 = 42
    var inputs: URL?
    var indexFile: String?
    var json = false

    static func parse(_ arguments: [String]) -> Options {
        var o = Options()
        var it = arguments.makeIterator()
        func fail(_ message: String) -> Never {
            FileHandle.standardError.write("annbench: \(message) (see --help)\n".data(using: .utf8)!)
            exit(64)
        }
        func count(_ s: String) -> Int {
            let lower = s.lowercased()
            if lower.hasSuffix("m"), let v = Double(lower.dropLast()) { return Int(v * 1_000_000) }
            if lower.hasSuffix("k"), let v = Double(lower.dropLast()) { return Int(v * 1000) }
            guard let v = Int(s), v > 0 else { fail("'\(s)' is not a count (e.g. 100k, 1m)") }
            return v
        }
        while let a = it.next() {
            switch a {
            case "--sizes": o.sizes = (it.next() ?? "").split(separator: ",").map { count(String($0)) }
            case "--queries": o.queries = count(it.next() ?? "")
            case "--m": o.m = count(it.next() ?? "")
            case "--ef-construction": o.efConstruction = count(it.next() ?? "")
            case "--ef-search": o.efSearch = (it.next() ?? "").split(separator: ",").map { count(String($0)) }
            case "--build-threads": o.buildThreads = count(it.next() ?? "")
            case "--metric":
                guard let m = Metric(rawValue: it.next() ?? "") else { fail("--metric takes dot or cosine") }
                o.metric = m
            case "--seed": o.seed = UInt64(it.next() ?? "") ?? 42
            case "--write-inputs": o.inputs = it.next().map { URL(fileURLWithPath: $0) }
            case "--index": o.indexFile = it.next()
            case "--json": o.json = true
            case "-h", "--help":
                print("""
                USAGE: annbench [--sizes 100k[,1m]] [--queries 1000] [--m 16] [--ef-construction 200]
                                [--ef-search 10,16,20,24,32,64,128,256] [--build-threads 2] [--metric cosine|dot]
                                [--seed 42] [--write-inputs DIR] [--index FILE] [--json]
                HNSW recall@10 vs exact search, QPS on one search thread, build time (run with -c release).
                --write-inputs DIR writes DIR/<size>/{base.f32,queries.f32,meta.json} for
                Benchmarks/peers/peers_hnsw.py DIR/<size> (hnswlib on the same inputs).
                --index FILE loads FILE-<size> if it exists (search rows only, build_s 0), else builds and writes it.
                """)
                exit(0)
            default: fail("unknown argument '\(a)'")
            }
        }
        return o
    }
}

/// The generative model above: `rows` vectors; `stream` separates items from queries.
func embeddings(rows: Int, options o: Options, stream: UInt64) -> Matrix {
    var shared = BenchRandom(seed: o.seed)
    let centres = (0 ..< o.clusters * o.latentDim).map { _ in shared.gaussianFloat() }
    let map = (0 ..< o.dim * o.latentDim).map { _ in shared.gaussianFloat() / Float(o.latentDim).squareRoot() }
    // Zipf popularity: cumulative weights of 1 / (c + 1).
    var cumulative: [Double] = []
    var total = 0.0
    for c in 0 ..< o.clusters {
        total += 1 / Double(c + 1)
        cumulative.append(total)
    }
    var random = BenchRandom(seed: o.seed &+ 0x1234_5678 &* (stream + 1))
    var out = Matrix(rows: rows, cols: o.dim)
    var z = [Float](repeating: 0, count: o.latentDim)
    out.values.withUnsafeMutableBufferPointer { x in
        for r in 0 ..< rows {
            let u = random.openUnit() * total
            var lo = 0, hi = o.clusters - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
            }
            for l in 0 ..< o.latentDim { z[l] = centres[lo * o.latentDim + l] + 0.5 * random.gaussianFloat() }
            for d in 0 ..< o.dim {
                var v: Float = 0
                for l in 0 ..< o.latentDim { v += map[d * o.latentDim + l] * z[l] }
                x[r * o.dim + d] = v + 0.2 * random.gaussianFloat()
            }
        }
    }
    return out
}

func now() -> Double { clockSeconds(CLOCK_MONOTONIC) }

func writeRaw(_ m: Matrix, to url: URL) throws {
    try m.values.withUnsafeBytes { try Data($0).write(to: url) } // little-endian on every supported host
}

let o = Options.parse(Array(CommandLine.arguments.dropFirst()))
print("annbench  cpu: \(BenchMachine.cpu)  isa: \(Kernels.simdLevel.rawValue)  build: \(BenchMachine.build)  seed: \(o.seed)")
print("  data: latent \(o.latentDim) -> \(o.dim) dims, \(o.clusters) Zipf clusters, noise 0.2; metric \(o.metric.rawValue); "
      + "M \(o.m), efConstruction \(o.efConstruction), build threads \(o.buildThreads), search threads 1, k 10")
func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
print("  build_s: wall seconds (build_cpu_s: CPU seconds of all build threads); qps: queries per second of the one"
      + " search thread's CPU time (qps_wall: per wall second; noisy on a shared machine); best of 5 runs")
print(pad("impl", 9) + pad("n", 9) + pad("dim", 5) + pad("M", 4) + pad("efC", 5) + pad("efSearch", 9)
      + pad("build_s", 9) + pad("build_cpu_s", 12) + pad("recall@10", 10) + pad("qps", 10) + pad("qps_wall", 10))

for n in o.sizes {
    FileHandle.standardError.write("annbench: generating \(n) items and \(o.queries) queries\n".data(using: .utf8)!)
    let base = embeddings(rows: n, options: o, stream: 0)
    let queries = embeddings(rows: o.queries, options: o, stream: 1)
    if let dir = o.inputs {
        let sub = dir.appendingPathComponent(n >= 1_000_000 ? "\(n / 1_000_000)m" : "\(n / 1000)k")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try writeRaw(base, to: sub.appendingPathComponent("base.f32"))
        try writeRaw(queries, to: sub.appendingPathComponent("queries.f32"))
        let meta: [String: Any] = [
            "count": n, "dim": o.dim, "queries": o.queries, "metric": o.metric.rawValue, "m": o.m,
            "ef_construction": o.efConstruction, "ef_search": o.efSearch, "build_threads": o.buildThreads,
            "search_threads": 1, "k": 10, "seed": o.seed, "dtype": "float32", "byte_order": "little",
            "files": ["base": "base.f32", "queries": "queries.f32"],
        ]
        try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys, .prettyPrinted])
            .write(to: sub.appendingPathComponent("meta.json"))
    }
    var config = HNSWConfig()
    config.metric = o.metric
    config.m = o.m
    config.efConstruction = o.efConstruction
    config.seed = o.seed
    let t0 = now(), c0 = clockSeconds(CLOCK_PROCESS_CPUTIME_ID)
    var lastReport = 0
    let cached = o.indexFile.map { URL(fileURLWithPath: "\($0)-\(n)") }
    let index: HNSWIndex
    var buildSeconds = 0.0, buildCPU = 0.0
    if let cached, FileManager.default.fileExists(atPath: cached.path) {
        index = try HNSWIndex.load(from: cached)
    } else {
        index = try HNSWIndex(vectors: base, config: config, threads: o.buildThreads) { done in
            if done - lastReport >= n / 10 || done == n {
                lastReport = done
                FileHandle.standardError.write("annbench: inserted \(done) / \(n)\n".data(using: .utf8)!)
            }
        }
        buildSeconds = now() - t0
        buildCPU = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - c0
        if let cached { try index.write(to: cached, vectorsChecksum: 0) }
    }
    let truth = try index.exactSearch(queries, k: 10)
    for ef in o.efSearch {
        _ = try index.search(queries, k: 10, efSearch: ef, threads: 1) // warm-up
        var best = Double.infinity, bestWall = Double.infinity
        var result: TopK?
        for _ in 0 ..< 5 {
            let t = now(), c = clockSeconds(CLOCK_THREAD_CPUTIME_ID)
            result = try index.search(queries, k: 10, efSearch: ef, threads: 1)
            best = min(best, clockSeconds(CLOCK_THREAD_CPUTIME_ID) - c)
            bestWall = min(bestWall, now() - t)
        }
        var hits = 0
        for q in 0 ..< o.queries {
            hits += Set(result!.ids(ofQuery: q)).intersection(truth.ids(ofQuery: q)).count
        }
        let recall = Double(hits) / Double(o.queries * 10)
        let qps = Double(o.queries) / best, qpsWall = Double(o.queries) / bestWall
        if o.json {
            print("{\"impl\":\"recvec\",\"n\":\(n),\"dim\":\(o.dim),\"m\":\(o.m),\"ef_construction\":\(o.efConstruction),"
                  + "\"ef_search\":\(ef),\"build_s\":\(buildSeconds),\"build_cpu_s\":\(buildCPU),\"recall_at_10\":\(recall),"
                  + "\"qps\":\(qps),\"qps_wall\":\(qpsWall)}")
        } else {
            print(pad("recvec", 9) + pad("\(n)", 9) + pad("\(o.dim)", 5) + pad("\(o.m)", 4) + pad("\(o.efConstruction)", 5)
                  + pad("\(ef)", 9) + pad(String(format: "%.2f", buildSeconds), 9) + pad(String(format: "%.2f", buildCPU), 12)
                  + pad(String(format: "%.4f", recall), 10) + pad(String(format: "%.0f", qps), 10) + pad(String(format: "%.0f", qpsWall), 10))
        }
    }
    // Open cost: write, then map it back with and without checksum verification.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("annbench-\(getpid()).hnsw")
    try index.write(to: file, vectorsChecksum: 0)
    let bytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
    var t = now()
    let mapped = try HNSWIndex.load(from: file, verify: false)
    let openMs = (now() - t) * 1000
    t = now()
    _ = try HNSWIndex.load(from: file, verify: true)
    let verifyMs = (now() - t) * 1000
    let same = try mapped.search(queries, k: 10, threads: 1) == index.search(queries, k: 10, threads: 1)
    try? FileManager.default.removeItem(at: file)
    FileHandle.standardError.write(String(format: "annbench: n %d: file %.1f MB, load(verify: false) %.2f ms, load(verify: true) %.1f ms, mapped results identical: %@\n",
                                          n, Double(bytes) / 1e6, openMs, verifyMs, same ? "yes" : "NO").data(using: .utf8)!)
}
