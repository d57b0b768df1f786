import Foundation

/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014). Every random choice in
/// the data layer goes through one, so a seed reproduces a workload bit for bit.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state: saving and restoring it replays the sequence.
    public var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for stream `stream` of `seed`: independent streams (per user, per modality)
    /// that do not shift when another stream draws more or fewer numbers.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next() ^ stream
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [0, n).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A standard normal draw (Box-Muller; one of the pair is discarded for simplicity).
    public mutating func gaussian() -> Double {
        let u1 = 1 - unit() // (0, 1]: log is finite
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
