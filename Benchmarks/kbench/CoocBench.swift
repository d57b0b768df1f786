import BenchSupport
import Foundation
import KernelTwins
import RecVec

/// cooc: windowed co-occurrence counts (`Kernels.cooccurrenceSparse`, C `rv_cooc_csr_f32`;
/// `cooccurrenceDense`, C `rv_cooc_dense_f32`, on the seed size only) against the twin.
///
/// Sizes: sessions of 20 items drawn independently from a Zipf(1) popularity over the catalog
/// (item ids shuffled, so popular items are spread over the id range), count weighting, window 4:
/// "seed" 400 items x 7000 sessions (140k tokens), "large" 100k items x 500k sessions (10M tokens).
/// Throughput is in unordered in-window position pairs per second (each pair adds to two cells).
/// With --write-inputs DIR: cooc_<size>_tokens.i32, cooc_<size>_offsets.i64 and a JSON sidecar
/// cooc_<size>.json (labels, vocab, window, and a digest of the C result:
/// cooc_<size>_row_offsets.i64, nnz, the sum of values and of column x value) for peers_cooc.py.
func coocBench(_ bench: Bench) throws {
    let window = 4
    let cases: [(key: String, label: String, items: Int, sessions: Int)] = [
        ("seed", "seed n400 7000x20 w4", 400, 7000),
        ("large", "large n100k 500kx20 w4", 100_000, 500_000),
    ]
    for size in cases where bench.options.wants(size: size.key) {
        let corpus = try zipfCorpus(items: size.items, sessions: size.sessions, sessionLength: 20, seed: bench.options.seed)
        var pairs = 0
        for s in 0 ..< corpus.sessionCount {
            let length = corpus.session(s).count
            for d in 1 ... window where d < length { pairs += length - d }
        }
        let work = Double(pairs)

        var twin = SparseMatrix?.none
        bench.record(kernel: "cooc_csr", size: size.label, impl: "swift", threads: 1,
                     timing: bench.time { twin = KernelTwins.cooccurrence(corpus, window: window, weighting: .count) },
                     work: work, unit: "pairs", ok: true)
        var result = SparseMatrix?.none
        for threads in [1, Kernels.maxThreads] {
            let timing = try bench.time { result = try Kernels.cooccurrenceSparse(corpus, window: window, threads: threads) }
            bench.record(kernel: "cooc_csr", size: size.label, impl: "c", threads: threads, timing: timing,
                         work: work, unit: "pairs", ok: result == twin)
        }
        if let result { writeCoocInputs(bench, key: size.key, label: size.label, corpus: corpus, window: window, pairs: pairs, result: result) }

        guard corpus.vocabularySize <= Kernels.cooccurrenceDenseMaxVocabulary else { continue }
        var twinDense = Matrix?.none
        bench.record(kernel: "cooc_dense", size: size.label, impl: "swift", threads: 1,
                     timing: bench.time { twinDense = KernelTwins.cooccurrence(corpus, window: window, weighting: .count).dense() },
                     work: work, unit: "pairs", ok: true)
        for threads in [1, Kernels.maxThreads] {
            var dense = Matrix?.none
            let timing = try bench.time { dense = try Kernels.cooccurrenceDense(corpus, window: window, threads: threads) }
            bench.record(kernel: "cooc_dense", size: size.label, impl: "c", threads: threads, timing: timing,
                         work: work, unit: "pairs", ok: dense == twinDense)
        }
    }
}


private func writeCoocInputs(_ bench: Bench, key: String, label: String, corpus: Corpus, window: Int, pairs: Int,
                             result: SparseMatrix) {
    guard bench.options.inputsDirectory != nil else { return }
    bench.writeInput("cooc_\(key)_tokens.i32", corpus.tokens)
    bench.writeInput("cooc_\(key)_offsets.i64", corpus.offsets)
    bench.writeInput("cooc_\(key)_row_offsets.i64", result.rowOffsets)
    var valueSum = 0.0, columnValueSum = 0.0
    for (column, value) in zip(result.columns, result.values) {
        valueSum += Double(value)
        columnValueSum += Double(column) * Double(value)
    }
    let sidecar: [String: Any] = [
        "kernel": "cooc_csr", "size": label, "vocab": corpus.vocabularySize, "window": window, "weighting": "count",
        "tokens": corpus.tokens.count, "sessions": corpus.sessionCount, "pairs": pairs,
        "tokens_file": "cooc_\(key)_tokens.i32", "offsets_file": "cooc_\(key)_offsets.i64",
        "expected": ["row_offsets_file": "cooc_\(key)_row_offsets.i64", "nnz": result.nonZeroCount,
                     "value_sum": valueSum, "column_value_sum": columnValueSum] as [String: Any],
    ]
    bench.writeInput("cooc_\(key).json", [UInt8](try! JSONSerialization.data(withJSONObject: sidecar, options: [.sortedKeys])))
}
