// BenchSupport: what the benchmark executables (kbench, annbench, servebench) share: the
// seeded input generator, the machine and build for their headers, and clocks.
import Foundation
import RecVec

/// The benchmarks' input generator: RecVec's SplitMix64 (`init(seed:)` starts at the seed, so a
/// seed draws the same inputs as the benchmarks' former copies did), with the draws they make.
package typealias BenchRandom = SplitMix64

extension SplitMix64 {
    /// Uniform in [0, 1) from the top 24 bits (one Float mantissa).
    public mutating func unitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Uniform in (0, 1): never 0, so its log is finite.
    public mutating func openUnit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// A standard normal draw (Box-Muller on two `openUnit` draws).
    public mutating func gaussianFloat() -> Float { Float((-2 * log(openUnit())).squareRoot() * cos(2 * .pi * openUnit())) }
}

public enum BenchMachine {
    /// The CPU model from /proc/cpuinfo, "unknown" where there is none.
    public static let cpu: String = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"

    #if DEBUG
    public static let build = "debug (numbers are meaningless: use -c release)"
    #else
    public static let build = "release"
    #endif
}

/// Seconds on `clock`: CLOCK_THREAD_CPUTIME_ID (this thread's CPU time, which other jobs on a
/// shared machine do not inflate), CLOCK_PROCESS_CPUTIME_ID (every thread's) or CLOCK_MONOTONIC (wall).
public func clockSeconds(_ clock: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Wall-clock milliseconds that `body` takes.
public func wallMilliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}
