import CKernels

extension SIMDLevel {
    init(_ isa: rv_simd_level) { self = isa == RV_SIMD_AVX2 ? .avx2 : .scalar }
    var isa: rv_simd_level { self == .avx2 ? RV_SIMD_AVX2 : RV_SIMD_SCALAR }
}

/// Process-wide settings of the C kernels: which SIMD path runs, how many threads.
public enum Kernels {
    /// The best SIMD level this CPU supports.
    public static var bestSIMDLevel: SIMDLevel { SIMDLevel(rv_simd_level_best()) }

    /// Every level this CPU can run, scalar first: what tests and benchmarks iterate over.
    public static var availableSIMDLevels: [SIMDLevel] {
        bestSIMDLevel == .avx2 ? [.scalar, .avx2] : [.scalar]
    }

    /// The level kernels dispatch on: `RV_SIMD_LEVEL` from the environment, else the best.
    public static var simdLevel: SIMDLevel { SIMDLevel(rv_simd_level_active()) }

    /// Pins the SIMD level for every later call.
    public static func setSIMDLevel(_ level: SIMDLevel) throws(KernelError) {
        guard rv_simd_level_set(level.isa) == RV_OK else { throw .unsupportedSIMD(level) }
    }

    /// Runs `body` with `level` pinned, then restores the previous level.
    public static func withSIMDLevel<T>(_ level: SIMDLevel, _ body: () throws -> T) throws -> T {
        let previous = simdLevel
        try setSIMDLevel(level)
        defer { try? setSIMDLevel(previous) }
        return try body()
    }

    /// Threads a kernel call uses when asked for 0 ("all"): libomp's maximum (OMP_NUM_THREADS).
    public static var maxThreads: Int { Int(rv_threads_max()) }

    /// Maps a kernel status to a typed error.
    static func check(_ status: rv_status, _ kernel: String) throws(KernelError) {
        switch status {
        case RV_OK: return
        case RV_ERR_OUT_OF_MEMORY: throw .outOfMemory(kernel: kernel)
        default: throw .kernelStatus(kernel: kernel, status: Int32(status.rawValue))
        }
    }

    /// Validates a thread count: 0 means all.
    /// The most threads a kernel call may ask for (the C side counts them in int32).
    public static let threadLimit = 4096

    static func checkThreads(_ threads: Int) throws(KernelError) {
        guard threads >= 0 else { throw .invalidArgument(name: "threads", value: "\(threads)", expected: ">= 0 (0 = all)") }
        guard threads <= threadLimit else { throw .invalidArgument(name: "threads", value: "\(threads)", expected: "<= \(threadLimit)") }
    }
}
