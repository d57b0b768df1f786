import BenchSupport
import Foundation
import KernelTwins
import RecVec

/// sgns: skip-gram with negative sampling (`SkipGramTrainer.train(on:)`, C `rv_sgns_train_f32`)
/// against its Swift twin, one epoch.
///
/// Sizes: sessions of 20 items drawn independently from a Zipf(1) popularity over the catalog
/// (item ids shuffled), d = 32, window 4, 8 negatives, noise exponent 0.75, learning rate
/// 0.025 -> 0.0001, no subsampling and no window shrink, so every in-window (center, context)
/// pair trains: 140 pairs per session. "seed" 400 items x 7000 sessions (980k pairs), "large"
/// 100k items x 71.5k sessions (10.01M pairs). Throughput is in pair updates per second (one pair
/// = one positive and its 8 shared negatives). Timed: `train(on:)` only, on a fresh trainer each
/// run (building the alias table and initialising the vectors is not timed).
/// The twin runs the whole seed corpus, but only the first 1/20 of the large one; its large row
/// is that prefix's time scaled by 20.
/// `ok`: every row's loss is finite and every pair trained; for the 1-thread row, the C kernel
/// at 1 thread on the twin's corpus (the prefix for large; untimed) gives the twin's loss to 1e-4
/// relative (same draws, rounding only: see SkipGramTests); all-threads rows (Hogwild) are within
/// 2% of the 1-thread loss.
/// With --write-inputs DIR: sgns_<size>_tokens.i32, sgns_<size>_offsets.i64 and sgns_<size>.json
/// (labels and hyperparameters) for Benchmarks/peers/peers_sgns.py.
func sgnsBench(_ bench: Bench) throws {
    let cases: [(key: String, label: String, items: Int, sessions: Int, twinShare: Int)] = [
        ("seed", "seed n400 7000x20 w4", 400, 7000, 1),
        ("large", "large n100k 71.5kx20 w4", 100_000, 71_500, 20),
    ]
    var config = SkipGramConfig()
    config.dimension = 32
    config.window = 4
    config.negatives = 8
    config.noiseExponent = 0.75
    config.subsample = 0
    config.shrinkWindow = false
    config.epochs = 1
    config.seed = bench.options.seed
    for size in cases where bench.options.wants(size: size.key) {
        let corpus = try zipfCorpus(items: size.items, sessions: size.sessions, sessionLength: 20, seed: bench.options.seed)
        let counts = corpus.counts()
        let pairs = fullWindowPairs(corpus, window: config.window)
        writeSgnsInputs(bench, key: size.key, label: size.label, corpus: corpus, config: config, pairs: pairs)

        // Twin: the whole corpus, or its first 1/twinShare scaled up.
        let prefix = size.twinShare == 1 ? corpus : try Corpus(
            tokens: Array(corpus.tokens.prefix(Int(corpus.offsets[corpus.sessionCount / size.twinShare]))),
            offsets: Array(corpus.offsets.prefix(corpus.sessionCount / size.twinShare + 1)),
            vocabularySize: corpus.vocabularySize)
        var twinLoss = Double.nan
        let twinTiming = try timeTraining(bench) {
            var twin = SkipGramTwin(vocabularySize: corpus.vocabularySize, config: config, noiseCounts: counts,
                                    plannedTokens: corpus.tokens.count)
            return {
                let (sum, count) = twin.train(on: prefix)
                twinLoss = sum / Double(count)
                blackHole(twin.input)
            }
        }
        let scale = Double(size.twinShare)
        bench.record(kernel: "sgns", size: size.label, impl: "swift", threads: 1,
                     timing: (twinTiming.median * scale, twinTiming.p90 * scale),
                     work: Double(pairs), unit: "pairs", ok: twinLoss.isFinite)

        // The oracle check: the C kernel at 1 thread on the twin's corpus (untimed) gives the
        // twin's loss up to rounding (same draws; see SkipGramTests).
        let checkTrainer = try SkipGramTrainer(vocabularySize: corpus.vocabularySize, config: config, noiseCounts: counts,
                                               plannedTokens: corpus.tokens.count, threads: 1)
        try checkTrainer.train(on: prefix)
        let agreesWithTwin = abs(checkTrainer.lossPerEpoch[0] - twinLoss) <= 1e-4 * twinLoss

        var oneThreadLoss = Double.nan
        for threads in [1, Kernels.maxThreads] {
            var loss = Double.nan, pairCount = 0
            let timing = try timeTraining(bench) {
                let trainer = try SkipGramTrainer(vocabularySize: corpus.vocabularySize, config: config, noiseCounts: counts,
                                                  plannedTokens: corpus.tokens.count, threads: threads)
                return {
                    try trainer.train(on: corpus)
                    loss = trainer.lossPerEpoch[0]
                    pairCount = trainer.model.pairCount
                }
            }
            if threads == 1 { oneThreadLoss = loss }
            let ok = loss.isFinite && pairCount == pairs
                && (threads == 1 ? agreesWithTwin : abs(loss - oneThreadLoss) <= 0.02 * oneThreadLoss)
            bench.record(kernel: "sgns", size: size.label, impl: "c", threads: threads, timing: timing,
                         work: Double(pairs), unit: "pairs", ok: ok)
        }
    }
}

/// Times the closure `make` returns (after one warm-up), building a fresh one untimed per run.
private func timeTraining(_ bench: Bench, _ make: () throws -> (() throws -> Void)) throws -> (median: Double, p90: Double) {
    try make()()
    var samples: [Double] = []
    for _ in 0 ..< max(1, bench.options.repeats) {
        let run = try make()
        let start = DispatchTime.now().uptimeNanoseconds
        try run()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[min(samples.count - 1, (samples.count * 9) / 10)])
}

/// (center, context) position pairs within `window` of each other inside a session.
private func fullWindowPairs(_ corpus: Corpus, window: Int) -> Int {
    var pairs = 0
    for s in 0 ..< corpus.sessionCount {
        let length = corpus.session(s).count
        for d in 1 ... window where d < length { pairs += 2 * (length - d) }
    }
    return pairs
}

private func writeSgnsInputs(_ bench: Bench, key: String, label: String, corpus: Corpus, config: SkipGramConfig, pairs: Int) {
    guard let dir = bench.options.inputsDirectory else { return }
    bench.writeInput("sgns_\(key)_tokens.i32", corpus.tokens)
    bench.writeInput("sgns_\(key)_offsets.i64", corpus.offsets)
    let sidecar: [String: Any] = [
        "kernel": "sgns", "size": label, "items": corpus.vocabularySize, "sessions": corpus.sessionCount,
        "tokens": corpus.tokens.count, "pairs": pairs, "dim": config.dimension, "window": config.window,
        "negatives": config.negatives, "ns_exponent": config.noiseExponent, "sample": config.subsample,
        "shrink_windows": config.shrinkWindow, "alpha": Double(config.learningRate),
        "min_alpha": Double(config.minLearningRate), "epochs": config.epochs, "seed": Int(config.seed),
        "tokens_file": "sgns_\(key)_tokens.i32", "offsets_file": "sgns_\(key)_offsets.i64",
    ]
    let data = try! JSONSerialization.data(withJSONObject: sidecar, options: [.sortedKeys, .prettyPrinted])
    try! data.write(to: dir.appendingPathComponent("sgns_\(key).json"))
}
