import BenchSupport
import Foundation
import RecVec

/// Command-line options of kbench.
struct BenchOptions {
    var json = false
    /// Only kernels whose name contains this string.
    var only: String?
    /// "seed", "large" or "all".
    var sizes = "all"
    var repeats = 5
    /// Where to write each case's inputs (raw little-endian) for the peer scripts.
    var inputsDirectory: URL?
    var seed: UInt64 = 42

    static func parse(_ arguments: [String]) -> BenchOptions {
        var options = BenchOptions()
        var it = arguments.makeIterator()
        while let a = it.next() {
            switch a {
            case "--json": options.json = true
            case "--only": options.only = it.next()
            case "--sizes": options.sizes = it.next() ?? "all"
            case "--repeats": options.repeats = Int(it.next() ?? "") ?? 5
            case "--write-inputs": options.inputsDirectory = it.next().map { URL(fileURLWithPath: $0) }
            case "--seed": options.seed = UInt64(it.next() ?? "") ?? 42
            case "-h", "--help":
                print("""
                USAGE: kbench [--json] [--only <kernel>] [--sizes seed|large|all] [--repeats <n>] [--write-inputs <dir>] [--seed <n>]
                Compares every C kernel with its plain-Swift twin (run with -c release).
                """)
                exit(0)
            default:
                FileHandle.standardError.write("kbench: unknown argument '\(a)' (see --help)\n".data(using: .utf8)!)
                exit(64)
            }
        }
        return options
    }

    func wants(size: String) -> Bool { sizes == "all" || sizes == size }
    func wants(kernel: String) -> Bool { only.map { kernel.contains($0) } ?? true }
}

/// One measured row: the same columns for the Swift twin, the C kernel and the peers.
struct BenchRow: Encodable {
    var kernel: String
    var size: String
    var impl: String        // "swift", "c" (peers: "faiss", "gensim", "scipy", ...)
    var threads: Int
    var isa: String
    var median_ms: Double
    var p90_ms: Double
    var throughput: Double
    var unit: String
    var speedup: Double?    // over the Swift twin of the same kernel and size
    var ok: Bool
}

/// Runs cases, prints rows as a table or as JSON lines.
final class Bench {
    let options: BenchOptions
    private(set) var rows: [BenchRow] = []

    init(options: BenchOptions) { self.options = options }

    func header() {
        let cpu = BenchMachine.cpu, build = BenchMachine.build
        let info: [String: String] = [
            "cpu": cpu, "isa": Kernels.simdLevel.rawValue, "best_isa": Kernels.bestSIMDLevel.rawValue,
            "threads": "\(Kernels.maxThreads)", "build": build, "seed": "\(options.seed)",
        ]
        if options.json {
            let data = try! JSONSerialization.data(withJSONObject: ["header": info], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("kbench  cpu: \(cpu)  isa: \(info["isa"]!) (best \(info["best_isa"]!))  threads: \(info["threads"]!)  build: \(build)  seed: \(options.seed)")
            print(pad("kernel", 14) + pad("size", 26) + pad("impl", 7) + pad("isa", 7) + pad("thr", 4)
                  + pad("median ms", 11) + pad("p90 ms", 11) + pad("throughput", 20) + pad("speedup", 9) + "ok")
        }
    }

    /// Times `body` (after one warm-up run) and returns (median, p90) in milliseconds.
    func time(_ body: () throws -> Void) rethrows -> (median: Double, p90: Double) {
        try body()
        var samples: [Double] = []
        for _ in 0 ..< max(1, options.repeats) { samples.append(try wallMilliseconds(body)) }
        samples.sort()
        return (samples[samples.count / 2], samples[min(samples.count - 1, (samples.count * 9) / 10)])
    }

    /// Records a row; `work` is the amount of work per run in `unit` (GFLOP, pairs, tokens...),
    /// so throughput = work / median seconds. Speedup is filled in against the "swift" row of the
    /// same kernel and size, which must be recorded first.
    func record(kernel: String, size: String, impl: String, threads: Int, timing: (median: Double, p90: Double),
                work: Double, unit: String, ok: Bool) {
        let twin = rows.first { $0.kernel == kernel && $0.size == size && $0.impl == "swift" }
        var row = BenchRow(kernel: kernel, size: size, impl: impl, threads: threads,
                           isa: impl == "c" ? Kernels.simdLevel.rawValue : "-",
                           median_ms: timing.median, p90_ms: timing.p90, throughput: work / (timing.median / 1000),
                           unit: unit, speedup: twin.map { $0.median_ms / timing.median }, ok: ok)
        if impl == "swift" { row.speedup = 1 }
        rows.append(row)
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try! encoder.encode(row), as: UTF8.self))
        } else {
            print(pad(kernel, 14) + pad(size, 26) + pad(impl, 7) + pad(row.isa, 7) + pad("\(threads)", 4)
                  + pad(fmt(row.median_ms), 11) + pad(fmt(row.p90_ms), 11)
                  + pad(fmt(row.throughput) + " " + unit, 20) + pad(row.speedup.map { fmt($0) + "x" } ?? "-", 9)
                  + (ok ? "yes" : "NO"))
        }
        fflush(stdout)
    }

    /// Writes `values` as raw little-endian `name` under --write-inputs, if given.
    func writeInput<T>(_ name: String, _ values: [T]) {
        guard let dir = options.inputsDirectory else { return }
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try! data.write(to: dir.appendingPathComponent(name))
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    private func fmt(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.3g", x) : x >= 100 ? String(format: "%.0f", x) : String(format: "%.3f", x)
    }
}

/// Keeps the optimiser from deleting work whose result is unused (swift-numerics' blackHole).
@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

/// `sessions` sessions of `sessionLength` items, each drawn from P(rank k) ~ 1 / (k + 1)
/// over `items` items; rank k is item permutation[k] (the cooc and sgns inputs).
func zipfCorpus(items: Int, sessions: Int, sessionLength: Int, seed: UInt64) throws -> Corpus {
    var random = BenchRandom(seed: seed)
    var cumulative = [Double](repeating: 0, count: items)
    var total = 0.0
    for k in 0 ..< items {
        total += 1 / Double(k + 1)
        cumulative[k] = total
    }
    var permutation = (0 ..< items).map { Int32($0) }
    for k in stride(from: items - 1, to: 0, by: -1) { permutation.swapAt(k, random.below(k + 1)) }
    let count = sessions * sessionLength
    let tokens = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
        for t in 0 ..< count {
            let u = Double(random.next() >> 11) / Double(1 << 53) * total
            var lo = 0, hi = items - 1 // the first k with cumulative[k] > u
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            buffer[t] = permutation[lo]
        }
        initialized = count
    }
    let offsets = (0 ... sessions).map { Int64($0 * sessionLength) }
    return try Corpus(tokens: tokens, offsets: offsets, vocabularySize: items)
}
