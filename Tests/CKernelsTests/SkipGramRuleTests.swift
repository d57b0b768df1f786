import CKernels
import RecVec
import XCTest

/// The SGNS rules stated directly, not as agreement with the Swift twin (a mistake the kernel
/// and the twin shared would pass a twin test): the expected vectors are worked out by hand.
///
/// Two items with input vectors e0 = (1, 0) and e1 = (0, 1), output vectors 0, one session
/// [0, 1], window 1, one negative, and a noise table that always draws item 0. With rate r:
/// - centre 0: its only negative is itself, so it is dropped: targets [0], context 1, logit 0,
///   σ = 1/2, g = r/2: out0 = (0, r/2); in1 += g x out0(before) = 0.
/// - centre 1: targets [1, 0 (a negative)], context 0. Logits in0·out1 = 0 and in0·out0 = 0:
///   g1 = r/2, g0 = -r/2: out1 = (r/2, 0), out0 = (-r/2, r/2); in0 += g0 x out0(before) = (0, -r²/4).
/// Keeping the centre among its own negatives gives out0 = (-r/2, 0) instead.
final class SkipGramRuleTests: XCTestCase {
    /// Trains that one session with `tokensDone` tokens counted as done before it; returns
    /// (input, output) after, as [in0, in1] and [out0, out1] flattened.
    func trainOneSession(learningRate: Float, minimum: Float, planned: Int64, tokensDone: Int64) -> (input: [Float], output: [Float]) {
        var params = rv_sgns_params(dim: 2, window: 1, negatives: 1, shrink_window: 0, learning_rate: learningRate,
                                    min_learning_rate: minimum, planned_tokens: planned)
        // Every slot takes alias 0: every noise draw is item 0.
        let noise = [rv_sgns_alias](repeating: rv_sgns_alias(keep_below: 0, alias: 0), count: 2)
        var input: [Float] = [1, 0, 0, 1], output: [Float] = [0, 0, 0, 0]
        var state: UInt64 = 7, done = tokensDone
        var stats = rv_sgns_stats()
        let tokens: [Int32] = [0, 1], offsets: [Int64] = [0, 2]
        XCTAssertEqual(rv_sgns_train_f32(&params, tokens, 2, offsets, 1, noise, nil, &input, &output, 2, 1, &state, &done, &stats), RV_OK)
        XCTAssertEqual(stats.pair_count, 2)
        return (input, output)
    }

    func testACentreIsNeverAmongItsOwnNegatives() throws {
        for level in Kernels.availableSIMDLevels {
            try Kernels.withSIMDLevel(level) {
            let r: Float = 0.25
            let (input, output) = trainOneSession(learningRate: r, minimum: r, planned: 2, tokensDone: 0)
            XCTAssertEqual(output, [-r / 2, r / 2, r / 2, 0], "\(level)")
            XCTAssertEqual(input[0], 1, "\(level)")
            XCTAssertEqual(input[1], -r * r / 4, accuracy: 1e-7, "\(level)")
            XCTAssertEqual(Array(input[2...]), [0, 1], "\(level)")
            }
        }
    }

    /// The rate of a session is read back from out1 = (r/2, 0): it is learning_rate at token 0,
    /// linear in the tokens done before the session, and exactly the minimum once the planned
    /// tokens are done (the last steps of a run whose plan is spent train at the minimum).
    func testTheLearningRateRunsLinearlyFromTheStartToExactlyTheMinimum() {
        let start: Float = 0.1, minimum: Float = 0.02
        func rate(tokensDone: Int64) -> Float { 2 * trainOneSession(learningRate: start, minimum: minimum, planned: 100, tokensDone: tokensDone).output[2] }
        XCTAssertEqual(rate(tokensDone: 0), start)
        XCTAssertEqual(rate(tokensDone: 50), Float(0.1 - 0.08 * 0.5), accuracy: 1e-8)
        XCTAssertEqual(rate(tokensDone: 75), Float(0.1 - 0.08 * 0.75), accuracy: 1e-8)
        XCTAssertEqual(rate(tokensDone: 100), minimum)
        XCTAssertEqual(rate(tokensDone: 1000), minimum)
        XCTAssertGreaterThan(rate(tokensDone: 99), minimum)
    }
}
