/// A SIMD path of the C kernels (`Kernels` maps it to the C side's `rv_isa`).
public enum SIMDLevel: String, CaseIterable, Sendable {
    case scalar
    case avx2
}
