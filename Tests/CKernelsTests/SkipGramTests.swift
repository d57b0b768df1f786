import CKernels
import KernelTwins
import RecVec
import TestSupport
import XCTest

/// The SGNS kernel (`rv_sgns_*`) against its plain-Swift twin, on every SIMD path.
///
/// Tolerances. Let u = 2^-24 (float's unit roundoff), A the largest |value| of any vector
/// involved, d the dimension, P the number of terms summed into one updated value (contexts for
/// an output row, targets for an input row), lr the learning rate.
/// - A dot product summed in any order (AVX2: 8 lanes, FMA) is within γ_d Σ|a_i b_i| <= d u d A^2
///   of the exact one, so C and twin differ by at most δx = 2 d^2 u A^2 per logit.
/// - The gradient factor c = e / (1 + e) = σ(-z) has |dc/dz| <= 1/4; exp (libm or the AVX2
///   polynomial, within 2 ulp), the add and the division add at most 8u: δc <= δx / 4 + 8u.
/// - An updated value v + Σ_P g_k y_k then differs by at most P lr δc A from the gradients and
///   by 2 (P + 1) u (A + P lr A) from rounding its own sum (mul + add versus FMA, same order).
/// - A pair's loss log(1 + e) moves by at most δx (softplus is 1-Lipschitz) plus 8u (1 + 20)
///   (log within 2 ulp of a value <= 20 + 1 u for 1 + e); summing L terms adds L u Σ|loss|.
/// A wrong update (a missing term, a wrong sign, an update read from already-updated vectors)
/// moves values by about lr c A ~ 1e-2 here, orders of magnitude above these bounds.
final class SkipGramTests: XCTestCase {
    static let u = Double(Float.ulpOfOne) / 2

    static func updateTolerance(dimension d: Int, maxAbs a: Double, terms p: Int, learningRate lr: Double) -> Double {
        let dx = 2 * Double(d * d) * u * a * a
        let dc = dx / 4 + 8 * u
        return Double(p) * lr * dc * a + 2 * Double(p + 1) * u * (a + Double(p) * lr * a)
    }

    static func lossTolerance(dimension d: Int, maxAbs a: Double, pairs: Int, loss: Double) -> Double {
        let dx = 2 * Double(d * d) * u * a * a
        return Double(pairs) * (dx + 8 * u * 21) + Double(pairs) * u * abs(loss)
    }

    // MARK: tables

    func testNoiseTableIsTheTwinsAndHoldsTheDistribution() throws {
        var random = TestRandom(seed: 7)
        let counts = (0 ..< 57).map { i in i % 9 == 4 ? 0 : 1 + random.below(1000) }
        for exponent in [0.75, 0, 1, -0.5] {
            let table = try cNoiseTable(counts, exponent)
            let twin = SkipGramTwin.noiseTable(counts: counts, exponent: exponent)
            XCTAssertEqual(table.map { SkipGramTwin.AliasSlot(keepBelow: $0.keep_below, alias: $0.alias) }, twin,
                           "exponent \(exponent)")
            // The mass each item gets from the table, against count^exponent / Σ. Each slot's
            // threshold is truncated to 2^-32 and the scaled probabilities carry ~n double
            // roundings: 1e-9 covers both with room.
            var mass = [Double](repeating: 0, count: counts.count)
            for (i, slot) in table.enumerated() {
                let keep = Double(slot.keep_below) / 4294967296.0
                mass[i] += keep / Double(counts.count)
                mass[Int(slot.alias)] += (1 - keep) / Double(counts.count)
            }
            let weights = counts.map { $0 > 0 ? pow(Double($0), exponent) : 0 }
            let total = weights.reduce(0, +)
            for i in counts.indices {
                XCTAssertEqual(mass[i], weights[i] / total, accuracy: 1e-9, "item \(i), exponent \(exponent)")
                if counts[i] == 0 { XCTAssertEqual(mass[i], 0, "count-0 item \(i) must get no noise mass") }
            }
        }
    }

    func testSubsampleThresholdsFollowWord2vec() throws {
        let counts = [1000, 100, 10, 1, 0, 5000]
        let total = Double(counts.reduce(0, +))
        for sample in [1e-3, 1e-2, 0] {
            var keep = [UInt64](repeating: 0, count: counts.count)
            let c64 = counts.map { Int64($0) }
            XCTAssertEqual(rv_sgns_subsample_thresholds(c64, c64.count, sample, &keep), RV_OK)
            XCTAssertEqual(keep, SkipGramTwin.subsampleThresholds(counts: counts, sample: sample))
            for (i, c) in counts.enumerated() {
                let expected = sample == 0 || c == 0 ? 1 : min(1, ((Double(c) / (sample * total)).squareRoot() + 1) * sample * total / Double(c))
                // One truncation to 2^-32.
                XCTAssertEqual(Double(keep[i]) / 4294967296.0, expected, accuracy: 1e-9, "count \(c), sample \(sample)")
            }
        }
    }

    // MARK: (a) one update step

    func testOneStepMatchesTwinOnEveryPathAndDimension() throws {
        let rows = 12, lr: Float = 0.1, maxAbs: Float = 0.5
        for level in Kernels.availableSIMDLevels {
            // 128 too: the AVX2 path has unrolled copies for 32, 64 and 128.
            for d in TestSupport.awkwardDims + [128] {
                for seed: UInt64 in [1, 2, 3] {
                    var random = TestRandom(seed: seed * 1000 + UInt64(d))
                    let input0 = (0 ..< rows * d).map { _ in random.symmetric() * maxAbs }
                    let output0 = (0 ..< rows * d).map { _ in random.symmetric() * maxAbs }
                    let center: Int32 = 3
                    // One context, then a window of six with a repeated context; negatives with a
                    // duplicate and the center itself (dropped).
                    for contexts: [Int32] in [[5], [0, 1, 5, 7, 1, 11]] {
                        let negatives: [Int32] = [2, 9, 3, 9, 4, 10, 6]
                        var input = input0, output = output0
                        var loss: Float = 0
                        try Kernels.withSIMDLevel(level) {
                            XCTAssertEqual(rv_sgns_step_f32(&input, &output, rows, d, center, contexts, contexts.count,
                                                            negatives, negatives.count, lr, &loss), RV_OK)
                        }
                        var twinInput = input0, twinOutput = output0
                        let targets = [center] + negatives.filter { $0 != center }
                        let twinLoss = SkipGramTwin.step(input: &twinInput, output: &twinOutput, dimension: d,
                                                         contexts: contexts, targets: targets, learningRate: lr)
                        let what = "\(level) d=\(d) seed=\(seed) contexts=\(contexts.count)"
                        let inputTolerance = Self.updateTolerance(dimension: d, maxAbs: Double(maxAbs), terms: targets.count,
                                                                  learningRate: Double(lr))
                        let outputTolerance = Self.updateTolerance(dimension: d, maxAbs: Double(maxAbs), terms: contexts.count,
                                                                   learningRate: Double(lr))
                        assertClose(input, twinInput, inputTolerance, "input " + what)
                        assertClose(output, twinOutput, outputTolerance, "output " + what)
                        XCTAssertEqual(Double(loss), Double(twinLoss),
                                       accuracy: Self.lossTolerance(dimension: d, maxAbs: Double(maxAbs),
                                                                    pairs: contexts.count * targets.count, loss: Double(twinLoss)),
                                       "loss " + what)
                        // The step must have moved the rows it touches (guards against a no-op).
                        XCTAssertNotEqual(output[Int(center) * d], output0[Int(center) * d], what)
                    }
                }
            }
        }
    }

    func testStepRejectsOutOfRangeIds() {
        var input = [Float](repeating: 0, count: 8), output = input
        var loss: Float = 0
        XCTAssertEqual(rv_sgns_step_f32(&input, &output, 4, 2, 4, [0], 1, [1], 1, 0.1, &loss), RV_ERR_OUT_OF_RANGE)
        XCTAssertEqual(rv_sgns_step_f32(&input, &output, 4, 2, 0, [-1], 1, [1], 1, 0.1, &loss), RV_ERR_OUT_OF_RANGE)
        XCTAssertEqual(rv_sgns_step_f32(&input, &output, 4, 2, 0, [1], 1, [7], 1, 0.1, &loss), RV_ERR_OUT_OF_RANGE)
    }

    // MARK: (b) whole epochs

    /// Two epochs through the trainer (the learning rate decays across the calls) against the
    /// twin, 1 thread, with subsampling and window shrinking on so every kind of draw is used.
    /// The draws do not depend on the vectors, so C and twin train exactly the same pairs
    /// (pair counts equal).
    /// - scalar: the C code does the twin's float operations in the twin's order (no FMA
    ///   contraction, same summation order, libm's expf/logf, which Swift's exp/log call), so
    ///   vectors and losses are bit-identical.
    /// - avx2: each update differs by a few ulp of values of size ~0.1 (the step bounds above),
    ///   ~1e-8; a row is updated at most a few hundred times and SGD at this small rate does not
    ///   amplify such differences, so they add at most linearly: < 1e-5 per value. The mean loss
    ///   is 1-Lipschitz in the logits, which move by <= d A 1e-5 <= 3e-5 (d <= 32, A ~ 0.1),
    ///   against a loss of ~3 (K + 1 = 5 terms of ~log 2): 1e-5 relative.
    func testEpochsMatchTwinAtOneThread() throws {
        for level in Kernels.availableSIMDLevels {
            for (d, seed) in [(8, UInt64(1)), (17, 2), (32, 3)] {
                let corpus = try zipfCorpus(items: 40, sessions: 60, length: 9, seed: seed)
                var config = SkipGramConfig()
                config.dimension = d
                config.window = 3
                config.negatives = 4
                config.subsample = 0.02
                config.seed = seed
                let planned = 2 * corpus.tokens.count
                let trainer = try SkipGramTrainer(vocabularySize: corpus.vocabularySize, config: config,
                                                  noiseCounts: corpus.counts(), plannedTokens: planned, threads: 1)
                var twin = SkipGramTwin(vocabularySize: corpus.vocabularySize, config: config,
                                        noiseCounts: corpus.counts(), plannedTokens: planned)
                var twinLosses: [Double] = [], twinPairs = 0
                try Kernels.withSIMDLevel(level) {
                    for _ in 0 ..< 2 {
                        try trainer.train(on: corpus)
                        let (sum, pairs) = twin.train(on: corpus)
                        twinLosses.append(sum / Double(pairs))
                        twinPairs += pairs
                    }
                }
                let model = trainer.model
                let what = "\(level) d=\(d) seed=\(seed)"
                XCTAssertEqual(model.pairCount, twinPairs, what)
                XCTAssertGreaterThan(twinPairs, 0)
                if level == .scalar {
                    XCTAssertEqual(model.lossPerEpoch, twinLosses, what)
                    XCTAssertEqual(model.input.values, twin.input, what)
                    XCTAssertEqual(model.output.values, twin.output, what)
                } else {
                    for (c, t) in zip(model.lossPerEpoch, twinLosses) {
                        XCTAssertEqual(c, t, accuracy: 1e-5 * t, "loss " + what)
                    }
                    assertClose(model.input.values, twin.input, 1e-5, "input " + what)
                    assertClose(model.output.values, twin.output, 1e-5, "output " + what)
                }
            }
        }
    }

    // MARK: determinism and threads

    func testOneThreadIsBitReproducibleUnderASeed() throws {
        let corpus = try zipfCorpus(items: 50, sessions: 80, length: 10, seed: 5)
        var config = SkipGramConfig()
        config.dimension = 16
        config.epochs = 2
        config.seed = 11
        let a = try SkipGramTrainer.train(corpus, config: config, threads: 1)
        let b = try SkipGramTrainer.train(corpus, config: config, threads: 1)
        XCTAssertEqual(a.input, b.input)
        XCTAssertEqual(a.output, b.output)
        XCTAssertEqual(a.lossPerEpoch, b.lossPerEpoch)
        config.seed = 12
        let c = try SkipGramTrainer.train(corpus, config: config, threads: 1)
        XCTAssertNotEqual(a.input, c.input)
        XCTAssertNotEqual(a.output, c.output)
    }

    /// Hogwild on 2 threads: other random streams and interleaved updates, so only statistics
    /// agree. With full windows and no subsampling the pairs are exactly the full-window count.
    /// The mean loss over ~10^4 pairs has a sampling error well under 1%; 5% leaves room for
    /// the slightly different learning-rate schedule per thread.
    func testTwoThreadsGiveFiniteVectorsAndTheOneThreadLoss() throws {
        let corpus = try zipfCorpus(items: 60, sessions: 200, length: 12, seed: 9)
        var config = SkipGramConfig()
        config.dimension = 16
        config.window = 3
        config.epochs = 2
        config.subsample = 0
        config.shrinkWindow = false
        let one = try SkipGramTrainer.train(corpus, config: config, threads: 1)
        let two = try SkipGramTrainer.train(corpus, config: config, threads: 2)
        XCTAssertNil(two.input.firstNonFinite())
        XCTAssertNil(two.output.firstNonFinite())
        let fullWindowPairs = (0 ..< corpus.sessionCount).reduce(0) { sum, s in
            let n = corpus.session(s).count
            return sum + (0 ..< n).reduce(0) { $0 + min(n - 1, $1 + 3) - max(0, $1 - 3) }
        }
        XCTAssertEqual(one.pairCount, config.epochs * fullWindowPairs)
        XCTAssertEqual(two.pairCount, config.epochs * fullWindowPairs)
        for (a, b) in zip(one.lossPerEpoch, two.lossPerEpoch) {
            XCTAssertEqual(b, a, accuracy: 0.05 * a)
        }
    }

    // MARK: learning

    /// Two disjoint clusters of 10 items, sessions drawn within one cluster: items of a
    /// cluster must end up closer (cosine of input vectors) to each other than to the other's.
    func testLearnsTwoClusters() throws {
        var random = TestRandom(seed: 3)
        let sessions: [[Int32]] = (0 ..< 300).map { s in
            let base = (s % 2) * 10
            return (0 ..< 10).map { _ in Int32(base + random.below(10)) }
        }
        let corpus = try Corpus(sessions: sessions, vocabularySize: 20)
        var config = SkipGramConfig()
        config.dimension = 16
        config.window = 3
        config.negatives = 5
        config.epochs = 5
        config.subsample = 0
        for level in Kernels.availableSIMDLevels {
            let model = try Kernels.withSIMDLevel(level) { try SkipGramTrainer.train(corpus, config: config, threads: 1) }
            var same: [Float] = [], cross: [Float] = []
            for i in 0 ..< 20 {
                for j in 0 ..< i {
                    let c = cosine(model.input.row(i), model.input.row(j))
                    if i / 10 == j / 10 { same.append(c) } else { cross.append(c) }
                }
            }
            let meanSame = same.reduce(0, +) / Float(same.count), meanCross = cross.reduce(0, +) / Float(cross.count)
            XCTAssertGreaterThan(meanSame, meanCross + 0.3, "\(level): same \(meanSame), cross \(meanCross)")
            XCTAssertGreaterThan(same.min()!, cross.max()!, "\(level): every same-cluster pair above every cross pair")
        }
    }

    // MARK: bad input

    func testBadInputErrorsNameTheArgumentAndValue() throws {
        let corpus = try Corpus(sessions: [[0, 1, 2], [2, 1]], vocabularySize: 3)
        func message(_ change: (inout SkipGramConfig) -> Void) -> String {
            var config = SkipGramConfig()
            change(&config)
            do {
                _ = try SkipGramTrainer.train(corpus, config: config)
                return "no error"
            } catch { return error.description }
        }
        XCTAssertEqual(message { $0.dimension = 0 }, "invalid dimension: 0 (expected > 0)")
        XCTAssertEqual(message { $0.window = -2 }, "invalid window: -2 (expected > 0)")
        XCTAssertEqual(message { $0.negatives = 0 }, "invalid negatives: 0 (expected > 0)")
        XCTAssertEqual(message { $0.epochs = 0 }, "invalid epochs: 0 (expected > 0)")
        XCTAssertEqual(message { $0.learningRate = 0 }, "invalid learningRate: 0.0 (expected finite and > 0)")
        XCTAssertEqual(message { $0.learningRate = .nan }, "invalid learningRate: nan (expected finite and > 0)")
        XCTAssertEqual(message { $0.minLearningRate = -1 },
                       "invalid minLearningRate: -1.0 (expected finite, > 0 and <= learningRate (0.025))")
        XCTAssertEqual(message { $0.minLearningRate = .infinity },
                       "invalid minLearningRate: inf (expected finite, > 0 and <= learningRate (0.025))")
        XCTAssertEqual(message { $0.noiseExponent = .nan }, "invalid noiseExponent: nan (expected finite)")
        XCTAssertEqual(message { $0.subsample = -1 }, "invalid subsample: -1.0 (expected finite and >= 0 (0 = off))")
        // Threads are an argument of the trainer, checked with the same message.
        do {
            _ = try SkipGramTrainer.train(corpus, config: SkipGramConfig(), threads: -1)
            XCTFail("threads -1 accepted")
        } catch {
            XCTAssertEqual(error.description, "invalid threads: -1 (expected >= 0 (0 = all))")
        }

        let empty = try Corpus(sessions: [[], []], vocabularySize: 3)
        XCTAssertThrowsError(try SkipGramTrainer.train(empty, config: SkipGramConfig())) {
            XCTAssertEqual(($0 as? KernelError)?.description, "invalid corpus: 2 sessions, 0 tokens (expected at least one token)")
        }
        let config = SkipGramConfig()
        XCTAssertThrowsError(try SkipGramTrainer(vocabularySize: 3, config: config, noiseCounts: [1, 2], plannedTokens: 5)) {
            XCTAssertEqual(($0 as? KernelError)?.description, "noiseCounts has 2 elements, expected 3")
        }
        XCTAssertThrowsError(try SkipGramTrainer(vocabularySize: 3, config: config, noiseCounts: [0, 0, 0], plannedTokens: 5)) {
            XCTAssertEqual(($0 as? KernelError)?.description, "invalid noiseCounts: all 3 zero (expected at least one count > 0)")
        }
        XCTAssertThrowsError(try SkipGramTrainer(vocabularySize: 3, config: config, noiseCounts: [1, -4, 0], plannedTokens: 5)) {
            XCTAssertEqual(($0 as? KernelError)?.description, "invalid noiseCounts[1]: -4 (expected >= 0)")
        }
        XCTAssertThrowsError(try SkipGramTrainer(vocabularySize: 3, config: config, noiseCounts: [1, 1, 1], plannedTokens: 0)) {
            XCTAssertEqual(($0 as? KernelError)?.description, "invalid plannedTokens: 0 (expected > 0)")
        }
        // A chunk whose ids exceed the trainer's vocabulary.
        let trainer = try SkipGramTrainer(vocabularySize: 3, config: config, noiseCounts: [1, 1, 1], plannedTokens: 5)
        let wide = try Corpus(sessions: [[0, 1, 2, 5]], vocabularySize: 6)
        XCTAssertThrowsError(try trainer.train(on: wide)) {
            XCTAssertEqual(($0 as? KernelError)?.description, "tokens[3] = 5 is out of range (expected 0 ..< 3)")
        }
    }

    /// The C entry point checks what Swift checks, so a caller going around the wrapper cannot
    /// make it read or write out of bounds.
    func testTrainKernelRejectsBadTokensOffsetsAndAliases() throws {
        var params = rv_sgns_params(dim: 2, window: 1, negatives: 1, shrink_window: 0, learning_rate: 0.1,
                                    min_learning_rate: 0.01, planned_tokens: 4)
        let noise = [rv_sgns_alias](repeating: rv_sgns_alias(keep_below: .max, alias: 0), count: 3)
        var input = [Float](repeating: 0.1, count: 6), output = input
        var state: UInt64 = 1, done: Int64 = 0
        var stats = rv_sgns_stats()
        func train(_ tokens: [Int32], _ offsets: [Int64], _ noise: [rv_sgns_alias]) -> rv_status {
            rv_sgns_train_f32(&params, tokens, tokens.count, offsets, offsets.count - 1, noise, nil, &input, &output, 3, 1,
                              &state, &done, &stats)
        }
        XCTAssertEqual(train([0, 3], [0, 2], noise), RV_ERR_OUT_OF_RANGE)
        XCTAssertEqual(train([0, 1], [0, 3], noise), RV_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(train([0, 1, 2], [0, 2, 1, 3], noise), RV_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(train([0, 1], [0, 2], [rv_sgns_alias(keep_below: 0, alias: 9)] + noise.dropFirst()), RV_ERR_OUT_OF_RANGE)
        XCTAssertEqual(input, [Float](repeating: 0.1, count: 6), "nothing written on a rejected call")
        XCTAssertEqual(output, [Float](repeating: 0.1, count: 6), "nothing written on a rejected call")
        XCTAssertEqual(train([0, 1], [0, 2], noise), RV_OK, "the same call with valid arguments trains")
        XCTAssertNotEqual(output, [Float](repeating: 0.1, count: 6))
        params.window = 0
        XCTAssertEqual(train([0, 1], [0, 2], noise), RV_ERR_INVALID_ARGUMENT)
    }

    func testConfigDecodesMissingKeysAsDefaults() throws {
        let partial = try JSONDecoder().decode(SkipGramConfig.self, from: Data(#"{"dimension": 8, "shrinkWindow": false}"#.utf8))
        var expected = SkipGramConfig()
        expected.dimension = 8
        expected.shrinkWindow = false
        XCTAssertEqual(partial, expected)
        var changed = SkipGramConfig()
        changed.seed = 99
        changed.noiseExponent = -0.5
        XCTAssertEqual(try JSONDecoder().decode(SkipGramConfig.self, from: JSONEncoder().encode(changed)), changed)
    }

    // MARK: helpers

    private func cNoiseTable(_ counts: [Int], _ exponent: Double) throws -> [rv_sgns_alias] {
        var table = [rv_sgns_alias](repeating: rv_sgns_alias(), count: counts.count)
        let c64 = counts.map { Int64($0) }
        XCTAssertEqual(rv_sgns_noise_table(c64, c64.count, exponent, &table), RV_OK)
        return table
    }

    /// Sessions whose items follow a Zipf-like popularity (item i drawn ∝ 1 / (i + 1)).
    private func zipfCorpus(items: Int, sessions: Int, length: Int, seed: UInt64) throws -> Corpus {
        var random = TestRandom(seed: seed)
        var cumulative: [Double] = []
        var total = 0.0
        for i in 0 ..< items {
            total += 1 / Double(i + 1)
            cumulative.append(total)
        }
        let list: [[Int32]] = (0 ..< sessions).map { _ in
            (0 ..< length).map { _ in
                let r = Double(random.unit()) * total
                return Int32(cumulative.firstIndex { $0 > r } ?? items - 1)
            }
        }
        return try Corpus(sessions: list, vocabularySize: items)
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in a.indices {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var worst = 0.0, at = 0
        for i in a.indices where abs(Double(a[i]) - Double(b[i])) > worst {
            worst = abs(Double(a[i]) - Double(b[i]))
            at = i
        }
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): worst difference at \(at)", file: file, line: line)
    }
}
