import BenchSupport
import Foundation
import RecVec

// servebench: latency of one recommendation request on one thread over a published version,
// and how long a version takes to open at each verification level.
//
// USAGE: servebench [--items 100000,1000000] [--dim 64] [-k 20] [--requests 2000] [--m 16]
//                   [--ef-construction 100] [--ef-search 64] [--store-root DIR] [--seed 42]
// Run with -c release. Stores are kept under --store-root (default /tmp/servebench) and reused.
//
// Measured 2026-11-29, 2-core x86-64 VM (AVX2+FMA), release, seed 42, shared with other builds
// (load average 8-14, so wall-clock p99 is dominated by preemption; cpu_* is the thread's own time):
//   items    open_quick  open_full  p50     p99 (wall)  p50 cpu  p99 cpu
//   100000   1.5 ms      96 ms      0.21 ms  4.4 ms     0.21 ms  0.33 ms
//   1000000  21 ms       1.26 s     0.37 ms  4.6 ms     0.37 ms  0.55 ms
// open_full reads every byte (vectors 256 MB + index 405 MB + ids 8 MB at 1M) and builds the
// id lookup; open_quick checks headers, sizes and recorded checksums only.

struct Options {
    var items = [100_000, 1_000_000]
    var dim = 64
    var k = 20
    var requests = 2000
    var m = 16
    var efConstruction = 100
    var efSearch = 64
    var storeRoot = "/tmp/servebench"
    var seed: UInt64 = 42

    static func parse() -> Options {
        var o = Options()
        var it = CommandLine.arguments.dropFirst().makeIterator()
        while let a = it.next() {
            let v = it.next() ?? ""
            switch a {
            case "--items": o.items = v.split(separator: ",").compactMap { Int($0) }
            case "--dim": o.dim = Int(v) ?? o.dim
            case "-k": o.k = Int(v) ?? o.k
            case "--requests": o.requests = Int(v) ?? o.requests
            case "--m": o.m = Int(v) ?? o.m
            case "--ef-construction": o.efConstruction = Int(v) ?? o.efConstruction
            case "--ef-search": o.efSearch = Int(v) ?? o.efSearch
            case "--store-root": o.storeRoot = v
            case "--seed": o.seed = UInt64(v) ?? o.seed
            default:
                FileHandle.standardError.write(Data("servebench: unknown argument \(a)\n".utf8))
                exit(64)
            }
        }
        return o
    }
}

/// Clustered vectors (1 cluster per 100 items): centres uniform in [-1, 1), items = centre +
/// uniform noise of half that scale, so neighbourhoods are meaningful as in trained embeddings.
func clusteredVectors(rows: Int, dim: Int, seed: UInt64) -> Matrix {
    var random = BenchRandom(seed: seed)
    let clusters = max(1, rows / 100)
    let centres = (0 ..< clusters * dim).map { _ in random.unitFloat() * 2 - 1 }
    var values = [Float](repeating: 0, count: rows * dim)
    for r in 0 ..< rows {
        let c = random.below(clusters)
        for d in 0 ..< dim { values[r * dim + d] = centres[c * dim + d] + (random.unitFloat() - 0.5) }
    }
    return try! Matrix(rows: rows, cols: dim, values: values)
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
}

let options = Options.parse()
print("servebench: one request, one thread; cpu cores \(ProcessInfo.processInfo.activeProcessorCount), isa \(Kernels.simdLevel.rawValue), build \(BenchMachine.build), seed \(options.seed)")
print("dim \(options.dim), k \(options.k), HNSW M \(options.m) efConstruction \(options.efConstruction) efSearch \(options.efSearch), K' = max(5k, k + 10), history 1-5 items, exclude seen")
print("items      build_s  open_quick_ms  open_full_ms  requests  p50_ms  p90_ms  p99_ms  max_ms  cpu_p50_ms  cpu_p99_ms")

for count in options.items {
    let path = "\(options.storeRoot)/items-\(count)-dim-\(options.dim)-m\(options.m)-efc\(options.efConstruction)"
    let store = try EmbeddingStore(path: path, create: true)
    var buildSeconds = Double.nan
    if try store.currentVersion() == nil {
        let vectors = clusteredVectors(rows: count, dim: options.dim, seed: options.seed)
        var config = HNSWConfig()
        config.m = options.m
        config.efConstruction = options.efConstruction
        config.efSearch = options.efSearch
        config.seed = options.seed
        let input = PublishInput(vectors: vectors, ids: (0 ..< count).map { "i\($0)" }, method: "servebench", index: config)
        buildSeconds = try wallMilliseconds { _ = try store.publish(input, progress: { FileHandle.standardError.write(Data("  \($0)\n".utf8)) }) } / 1000
    }
    // Open times: the median of 5 opens per level (the page cache is warm after the first).
    var quick: [Double] = [], full: [Double] = []
    for _ in 0 ..< 5 {
        quick.append(try wallMilliseconds { _ = try store.open(verify: .quick) })
        // Each full open checks every byte: the process's cached verdict is dropped first.
        StoreVersion.forgetVerifiedVersions()
        full.append(try wallMilliseconds { _ = try store.open(verify: .full) })
    }
    let version = try store.open(verify: .quick)
    var config = RecommenderConfig()
    config.efSearch = options.efSearch
    let recommender = try Recommender(version: version, config: config)
    var random = BenchRandom(seed: options.seed ^ 0xABCD)
    func request() throws {
        let history = (0 ..< 1 + random.below(5)).map { _ in version.ids[random.below(count)] }
        let response = try recommender.recommend(.history(history), k: options.k)
        precondition(response.items.count == options.k)
    }
    for _ in 0 ..< 200 { try request() }  // warm-up
    var latencies: [Double] = [], cpu: [Double] = []
    for _ in 0 ..< options.requests {
        let cpuStart = clockSeconds(CLOCK_THREAD_CPUTIME_ID) * 1000
        latencies.append(try wallMilliseconds { try request() })
        cpu.append(clockSeconds(CLOCK_THREAD_CPUTIME_ID) * 1000 - cpuStart)
    }
    latencies.sort()
    cpu.sort()
    func f(_ x: Double, _ width: Int, _ digits: Int = 3) -> String {
        let s = x.isNaN ? "(reused)" : String(format: "%.\(digits)f", x)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
    print("\(String(count).padding(toLength: 9, withPad: " ", startingAt: 0)) \(f(buildSeconds, 8, 1)) \(f(quick.sorted()[2], 14, 1)) \(f(full.sorted()[2], 13, 1)) \(f(Double(options.requests), 9, 0)) \(f(percentile(latencies, 50), 7)) \(f(percentile(latencies, 90), 7)) \(f(percentile(latencies, 99), 7)) \(f(latencies.last!, 7)) \(f(percentile(cpu, 50), 11)) \(f(percentile(cpu, 99), 11))")
}
