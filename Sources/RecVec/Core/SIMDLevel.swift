/// A SIMD path of the C kernels. One switch, one name per side: `SIMDLevel` in Swift, `rv_simd_level` in C
/// (`CKernels/include/rv_core.h`; `Kernels` maps one to the other), and the environment variable
/// `RV_SIMD_LEVEL` (`scalar` or `avx2`, read by the C side once) that pins it for a whole process.
public enum SIMDLevel: String, CaseIterable, Sendable {
    case scalar
    case avx2
}
