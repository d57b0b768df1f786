import Foundation

/// The inner loops of the synthetic model over raw pointers, written so the compiler can
/// vectorise them (no calls, no bounds checks in release builds).
extension SyntheticWorkload {
    /// `out[j - range.lowerBound] = user . item_j` for `j` in `range`, with the item factors
    /// stored `dimension x items` (one contiguous row per dimension). Eight items at a time are
    /// accumulated in registers, so each factor is loaded once and each score stored once.
    static func dotScores(user: UnsafePointer<Float>, dimension: Int, itemsByDimension: UnsafePointer<Float>, items: Int,
                          range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        var j = range.lowerBound
        while j + 8 <= range.upperBound {
            var acc = SIMD8<Float>()
            for c in 0 ..< dimension {
                acc += user[c] * UnsafeRawPointer(itemsByDimension + c * items + j).loadUnaligned(as: SIMD8<Float>.self)
            }
            UnsafeMutableRawPointer(out + (j - range.lowerBound)).storeBytes(of: acc, as: SIMD8<Float>.self)
            j += 8
        }
        while j < range.upperBound {
            var acc: Float = 0
            for c in 0 ..< dimension { acc += user[c] * itemsByDimension[c * items + j] }
            out[j - range.lowerBound] = acc
            j += 1
        }
    }

    /// Replaces each `values[j]` by `exp(values[j] - shift)` and returns their sum (Float lanes
    /// over blocks of 1024, blocks added in Double).
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Double {
        for j in 0 ..< count { values[j] = fastExp(values[j] - shift) }
        var total: Double = 0
        var start = 0
        while start < count {
            let end = min(count, start + 1024)
            var lanes = SIMD8<Float>()
            var j = start
            while j + 8 <= end {
                lanes += UnsafeRawPointer(values + j).loadUnaligned(as: SIMD8<Float>.self)
                j += 8
            }
            var rest = lanes.sum()
            while j < end { rest += values[j]; j += 1 }
            total += Double(rest)
            start = end
        }
        return total
    }

    /// The largest of `count` values.
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity
        for j in 0 ..< count { m = values[j] > m ? values[j] : m }
        return m
    }
}

/// `exp(x)` for `x <= 88`, branch-free so loops over it vectorise: `x = n ln2 + r` with
/// |r| <= ln2 / 2, `exp(r)` by its degree-6 Taylor polynomial (truncation error
/// r^7 / 5040 <= 1.2e-7 relative), times 2^n built in the exponent bits. Inputs below -87 give
/// exp(-87) ~ 1.6e-38 instead of a denormal or 0: negligible beside any softmax total.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let clamped = x < -87 ? -87 : x
    // Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick: the integer lands in the
    // low mantissa bits of `shifted`.
    let shifted = clamped * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-06
    let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))))
    let exponentBits = (Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) << 23
    return p * Float(bitPattern: UInt32(bitPattern: exponentBits))
}

/// Runs `body(i)` for every `i < count` on at most `threads` threads (0 = all cores): worker `w`
/// takes `w, w + workers, ...`, so each `i` runs exactly once, and results that depend only on
/// `i` do not depend on the thread count.
func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = min(count, threads == 0 ? ProcessInfo.processInfo.activeProcessorCount : threads)
    guard workers > 1 else {
        for i in 0 ..< count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < count {
            body(i)
            i += workers
        }
    }
}
