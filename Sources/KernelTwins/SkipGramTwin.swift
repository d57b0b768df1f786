import Foundation
import RecVec

/// Plain-Swift SGNS on one thread: the oracle for `rv_sgns_*` and kbench's baseline.
///
/// It runs the algorithm of `CKernels/include/rv_sgns.h` step for step: the same LCG draws in
/// the same order (subsampling, window shrink, negatives), the same alias table, the same
/// minibatch per center with shared negatives and the same update order, so that the C scalar
/// path does the very same float operations and the AVX2 path differs only by rounding
/// (FMA, summation order of dot products, polynomial exp/log).
public struct SkipGramTwin {
    /// One slot of the noise alias table.
    public struct AliasSlot: Equatable {
        public var keepBelow: UInt32
        public var alias: Int32
        public init(keepBelow: UInt32, alias: Int32) {
            self.keepBelow = keepBelow
            self.alias = alias
        }
    }

    /// Knuth's MMIX LCG; a draw is the high 32 bits of the next state.
    public struct Random {
        public var state: UInt64
        public init(state: UInt64) { self.state = state }
        public mutating func next() -> UInt32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(truncatingIfNeeded: state >> 32)
        }
    }

    public let config: SkipGramConfig
    public let vocabularySize: Int
    public let plannedTokens: Int
    public var input: [Float]
    public var output: [Float]
    public let noise: [AliasSlot]
    public let keep: [UInt64]?
    public var random: Random
    public var tokensDone = 0

    public init(vocabularySize: Int, config: SkipGramConfig, noiseCounts: [Int], plannedTokens: Int) {
        self.config = config
        self.vocabularySize = vocabularySize
        self.plannedTokens = plannedTokens
        noise = Self.noiseTable(counts: noiseCounts, exponent: config.noiseExponent)
        keep = config.subsample > 0 ? Self.subsampleThresholds(counts: noiseCounts, sample: config.subsample) : nil
        var random = Random(state: config.seed)
        let d = config.dimension
        input = (0 ..< vocabularySize * d).map { _ in Self.initialValue(&random, dimension: d) }
        self.random = random
        output = [Float](repeating: 0, count: vocabularySize * d)
    }

    /// word2vec's initial input value: uniform in (-0.5/d, 0.5/d) from 24 random bits.
    static func initialValue(_ random: inout Random, dimension: Int) -> Float {
        (Float(random.next() >> 8) * (1 / Float(1 << 24)) - 0.5) / Float(dimension)
    }

    /// Vose's alias table for P(i) ∝ counts[i]^exponent (count 0: no mass).
    public static func noiseTable(counts: [Int], exponent: Double) -> [AliasSlot] {
        let n = counts.count
        let weights = counts.map { $0 > 0 ? pow(Double($0), exponent) : 0 }
        var total = 0.0
        for w in weights where w > 0 { total += w }
        var scaled = weights.map { $0 * Double(n) / total }
        var small: [Int] = [], large: [Int] = []
        for i in 0 ..< n {
            if scaled[i] < 1 { small.append(i) } else { large.append(i) }
        }
        var table = (0 ..< n).map { AliasSlot(keepBelow: .max, alias: Int32($0)) }
        while let s = small.last, let l = large.last {
            small.removeLast()
            large.removeLast()
            table[s] = AliasSlot(keepBelow: UInt32(scaled[s] * 4294967296.0), alias: Int32(l))
            scaled[l] = (scaled[l] + scaled[s]) - 1
            if scaled[l] < 1 { small.append(l) } else { large.append(l) }
        }
        return table
    }

    /// word2vec.c's subsampling: keep with probability min(1, (sqrt(f / (t N)) + 1) t N / f),
    /// as a threshold on 32 random bits (2^32 = always).
    public static func subsampleThresholds(counts: [Int], sample: Double) -> [UInt64] {
        var total = 0.0
        for c in counts { total += Double(c) }
        let threshold = sample * total
        return counts.map { c in
            guard threshold != 0, c != 0 else { return 1 << 32 }
            let f = Double(c)
            let keep = ((f / threshold).squareRoot() + 1) * threshold / f
            return keep >= 1 ? 1 << 32 : UInt64(keep * 4294967296.0)
        }
    }

    /// One noise draw: a uniform slot from the high bits of hi32 * n, then slot or alias.
    public static func drawNoise(_ table: [AliasSlot], _ random: inout Random) -> Int32 {
        let scaled = UInt64(random.next()) * UInt64(table.count)
        let slot = Int(scaled >> 32)
        return UInt32(truncatingIfNeeded: scaled) < table[slot].keepBelow ? Int32(slot) : table[slot].alias
    }

    /// One window as a minibatch: `targets[0]` is the center (label 1), the rest noise (label 0).
    /// Every logit comes from the vectors before the update; then the output rows (targets in
    /// order) and then the input rows move. Returns Σ of the pairs' losses.
    public static func step(input: inout [Float], output: inout [Float], dimension d: Int,
                            contexts: [Int32], targets: [Int32], learningRate: Float) -> Float {
        var gradient = [[Float]](repeating: [Float](repeating: 0, count: targets.count), count: contexts.count)
        var loss: Float = 0
        for (m, x) in contexts.enumerated() {
            for (n, t) in targets.enumerated() {
                var dot: Float = 0
                for i in 0 ..< d { dot += input[Int(x) * d + i] * output[Int(t) * d + i] }
                let z = min(max(n == 0 ? dot : -dot, -20), 20)
                let e = exp(-z)
                let q = 1 + e
                let g = learningRate * (e / q)
                gradient[m][n] = n == 0 ? g : -g
                loss += log(q)
            }
        }
        var inputDelta = [[Float]](repeating: [Float](repeating: 0, count: d), count: contexts.count)
        for m in contexts.indices {
            for (n, t) in targets.enumerated() {
                for i in 0 ..< d { inputDelta[m][i] += gradient[m][n] * output[Int(t) * d + i] }
            }
        }
        for (n, t) in targets.enumerated() {
            for (m, x) in contexts.enumerated() {
                for i in 0 ..< d { output[Int(t) * d + i] += gradient[m][n] * input[Int(x) * d + i] }
            }
        }
        for (m, x) in contexts.enumerated() {
            for i in 0 ..< d { input[Int(x) * d + i] += inputDelta[m][i] }
        }
        return loss
    }

    /// One pass over `corpus` on one thread. Returns Σ loss and the pairs trained.
    public mutating func train(on corpus: Corpus) -> (lossSum: Double, pairCount: Int) {
        let rateStart = Double(config.learningRate), rateSpan = Double(config.learningRate) - Double(config.minLearningRate)
        var lossSum = 0.0, pairs = 0
        for s in 0 ..< corpus.sessionCount {
            let session = corpus.session(s)
            let progress = Double(tokensDone) / Double(plannedTokens)
            let rate = progress >= 1 ? config.minLearningRate : Float(rateStart - rateSpan * progress)
            tokensDone += session.count
            var kept: [Int32] = []
            for token in session {
                if let keep, UInt64(random.next()) >= keep[Int(token)] { continue }
                kept.append(token)
            }
            if kept.count < 2 { continue }
            for i in kept.indices {
                var reach = config.window
                if config.shrinkWindow { reach -= Int((UInt64(random.next()) * UInt64(config.window)) >> 32) }
                let contexts = (max(0, i - reach) ..< min(kept.count, i + reach + 1)).filter { $0 != i }.map { kept[$0] }
                var targets = [kept[i]]
                for _ in 0 ..< config.negatives {
                    let noiseItem = Self.drawNoise(noise, &random)
                    if noiseItem != kept[i] { targets.append(noiseItem) }
                }
                lossSum += Double(Self.step(input: &input, output: &output, dimension: config.dimension,
                                            contexts: contexts, targets: targets, learningRate: rate))
                pairs += contexts.count
            }
        }
        return (lossSum, pairs)
    }
}
