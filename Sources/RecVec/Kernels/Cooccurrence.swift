import CKernels
import Foundation

/// How a pair of items `distance` positions apart within a session counts.
public enum CooccurrenceWeighting: String, CaseIterable, Sendable, Codable {
    /// Every pair inside the window counts 1.
    case count
    /// A pair counts 1 / distance.
    case inverseDistance

    var c: rv_cooc_weighting { self == .count ? RV_COOC_COUNT : RV_COOC_INVERSE_DISTANCE }
}

/// Which neighbours of a position count as its pairs.
public enum CooccurrenceDirection: String, CaseIterable, Sendable, Codable {
    /// Both sides: `M` is symmetric.
    case symmetric
    /// Only the positions after it ("next-item" windows): `M[a][b]` counts `b` after `a`.
    case forward

    var c: rv_cooc_direction { self == .symmetric ? RV_COOC_SYMMETRIC : RV_COOC_FORWARD }
}

extension Kernels {
    /// The largest catalog `cooccurrenceDense` accepts: its `n x n` Float matrix is then at most
    /// 4 GiB. Larger catalogs go through `cooccurrenceSparse`.
    public static let cooccurrenceDenseMaxVocabulary = 32768

    /// The widest co-occurrence window (the C kernels pack neighbour counts into 12 bits).
    public static let cooccurrenceMaxWindow = Int(RV_COOC_MAX_WINDOW)

    /// Symmetric windowed co-occurrence counts as a dense `vocabularySize x vocabularySize`
    /// matrix, for small catalogs. Pairs never cross a session boundary; an item paired with
    /// itself (a repeat inside the window) counts on the diagonal.
    ///
    /// Exactly: positions `i != j` of one session with `|i - j| <= window` are a pair, and
    /// `M[a][b]` sums `weight(|i - j|)` over the *ordered* pairs `(i, j)` with `tokens[i] = a`,
    /// `tokens[j] = b`. So each unordered pair adds its weight to `M[a][b]` and `M[b][a]`, and two
    /// occurrences of the same item add it twice to the diagonal `M[a][a]`. Sums are kept in
    /// Double and rounded to Float once; results do not depend on `threads`.
    /// The corresponding C kernel is `rv_cooc_dense_f32`.
    /// - Throws: `KernelError` for `window < 1`, an empty corpus, a catalog above
    ///   `cooccurrenceDenseMaxVocabulary` or a negative thread count.
    /// With `direction: .forward` only pairs with `j > i` count (`M[a][b]`: `b` within `window`
    /// after `a`; not symmetric): the C kernel is then `rv_cooc_dense_directed_f32`.
    public static func cooccurrenceDense(_ corpus: Corpus, window: Int, weighting: CooccurrenceWeighting = .count,
                                         direction: CooccurrenceDirection = .symmetric, threads: Int = 0) throws(KernelError) -> Matrix {
        try checkCooccurrence(corpus, window: window, threads: threads)
        let n = corpus.vocabularySize
        guard n <= cooccurrenceDenseMaxVocabulary else {
            let gib = Double(n) * Double(n) * 4 / Double(1 << 30)
            throw .invalidArgument(name: "vocabularySize", value: "\(n) (a \(n) x \(n) dense matrix needs \(String(format: "%.1f", gib)) GiB)",
                                   expected: "<= \(cooccurrenceDenseMaxVocabulary) for a dense matrix; use cooccurrenceSparse")
        }
        var out = Matrix(rows: n, cols: n)
        let status = corpus.tokens.withUnsafeBufferPointer { tokens in
            corpus.offsets.withUnsafeBufferPointer { offsets in
                out.values.withUnsafeMutableBufferPointer { values in
                    rv_cooc_dense_directed_f32(tokens.baseAddress, Int64(tokens.count), offsets.baseAddress, Int64(corpus.sessionCount),
                                               Int32(n), Int32(window), weighting.c, direction.c, Int32(clamping: threads), values.baseAddress, Int64(n))
                }
            }
        }
        try check(status, "rv_cooc_dense_directed_f32")
        return out
    }

    /// The same counts as `cooccurrenceDense`, in CSR form (columns ascending within a row):
    /// memory grows with the non-zeros, never with `vocabularySize^2`.
    /// The corresponding C kernel is `rv_cooc_csr_f32` (then `rv_cooc_csr_take`).
    /// - Throws: `KernelError` for `window < 1`, an empty corpus or a negative thread count.
    /// `direction` as for `cooccurrenceDense` (C kernel `rv_cooc_csr_directed_f32`).
    public static func cooccurrenceSparse(_ corpus: Corpus, window: Int, weighting: CooccurrenceWeighting = .count,
                                          direction: CooccurrenceDirection = .symmetric, threads: Int = 0) throws(KernelError) -> SparseMatrix {
        try checkCooccurrence(corpus, window: window, threads: threads)
        let n = corpus.vocabularySize
        guard n <= Int(Int32.max) else {
            throw .invalidArgument(name: "vocabularySize", value: "\(n)", expected: "<= \(Int32.max) (Int32 columns)")
        }
        var result: OpaquePointer?
        var nonZeros: Int64 = 0
        let status = corpus.tokens.withUnsafeBufferPointer { tokens in
            corpus.offsets.withUnsafeBufferPointer { offsets in
                rv_cooc_csr_directed_f32(tokens.baseAddress, Int64(tokens.count), offsets.baseAddress, Int64(corpus.sessionCount),
                                         Int32(n), Int32(window), weighting.c, direction.c, Int32(clamping: threads), &result, &nonZeros)
            }
        }
        try check(status, "rv_cooc_csr_directed_f32")
        let count = Int(nonZeros)
        var takeStatus = RV_OK
        var columns: [Int32] = []
        var values: [Float] = []
        let rowOffsets = [Int64](unsafeUninitializedCapacity: n + 1) { rowBuffer, rowCount in
            columns = [Int32](unsafeUninitializedCapacity: count) { columnBuffer, columnCount in
                values = [Float](unsafeUninitializedCapacity: count) { valueBuffer, valueCount in
                    takeStatus = rv_cooc_csr_take(result, rowBuffer.baseAddress, columnBuffer.baseAddress, valueBuffer.baseAddress)
                    valueCount = takeStatus == RV_OK ? count : 0
                }
                columnCount = takeStatus == RV_OK ? count : 0
            }
            rowCount = takeStatus == RV_OK ? n + 1 : 0
        }
        try check(takeStatus, "rv_cooc_csr_take")
        return SparseMatrix(kernelOutputRows: n, cols: n, rowOffsets: rowOffsets, columns: columns, values: values)
    }

    /// The checks both co-occurrence entry points share (the corpus validated itself).
    private static func checkCooccurrence(_ corpus: Corpus, window: Int, threads: Int) throws(KernelError) {
        guard window >= 1, window <= cooccurrenceMaxWindow else {
            throw .invalidArgument(name: "window", value: "\(window)", expected: "1 ... \(cooccurrenceMaxWindow)")
        }
        guard !corpus.tokens.isEmpty else {
            throw .invalidArgument(name: "corpus", value: "0 tokens in \(corpus.sessionCount) sessions", expected: "at least one token")
        }
        guard Int64(corpus.tokens.count) <= RV_COOC_MAX_TOKENS else {
            throw .invalidArgument(name: "corpus", value: "\(corpus.tokens.count) tokens", expected: "at most \(RV_COOC_MAX_TOKENS)")
        }
        try checkThreads(threads)
    }
}
