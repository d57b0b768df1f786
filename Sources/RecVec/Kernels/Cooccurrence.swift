import CKernels

/// How a pair of items `distance` positions apart within a session counts.
public enum CooccurrenceWeighting: String, CaseIterable, Sendable, Codable {
    /// Every pair inside the window counts 1.
    case count
    /// A pair counts 1 / distance.
    case inverseDistance
}

extension Kernels {
    /// Symmetric windowed co-occurrence counts as a dense `vocabularySize x vocabularySize`
    /// matrix, for small catalogs. Pairs never cross a session boundary; an item paired with
    /// itself (a repeat inside the window) counts on the diagonal.
    /// The corresponding C kernel is `rv_cooc_dense_f32`.
    public static func cooccurrenceDense(_ corpus: Corpus, window: Int, weighting: CooccurrenceWeighting = .count,
                                         threads: Int = 0) throws(KernelError) -> Matrix {
        fatalError("TODO(cooc): not implemented yet")
    }

    /// The same counts as `cooccurrenceDense`, in CSR form: memory grows with the non-zeros.
    /// The corresponding C kernel is `rv_cooc_csr_f32`.
    public static func cooccurrenceSparse(_ corpus: Corpus, window: Int, weighting: CooccurrenceWeighting = .count,
                                          threads: Int = 0) throws(KernelError) -> SparseMatrix {
        fatalError("TODO(cooc): not implemented yet")
    }
}
