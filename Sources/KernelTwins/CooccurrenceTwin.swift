import RecVec

extension KernelTwins {
    /// Plain-Swift twin of `Kernels.cooccurrenceSparse` / `cooccurrenceDense` (C kernels
    /// `rv_cooc_csr_f32`, `rv_cooc_dense_f32`): the oracle of the tests and kbench's baseline.
    ///
    /// For every session, every position `i`, every position `j` of the same session with
    /// `0 < |i - j| <= window` (in ascending order of `i`, then `j`): add `weight(|i - j|)` to
    /// row `tokens[i]`, column `tokens[j]`, in Double; round to Float at the end. Each row is a
    /// dictionary column -> sum, emitted with columns ascending.
    /// With `direction: .forward` only `j > i` counts.
    public static func cooccurrence(_ corpus: Corpus, window: Int, weighting: CooccurrenceWeighting,
                                    direction: CooccurrenceDirection = .symmetric) -> SparseMatrix {
        var rows = [[Int32: Double]](repeating: [:], count: corpus.vocabularySize)
        for s in 0 ..< corpus.sessionCount {
            let session = corpus.session(s)
            for i in session.indices {
                let a = Int(session[i])
                let lower = direction == .forward ? i + 1 : max(session.startIndex, i - window)
                let upper = min(session.endIndex - 1, i + window)
                guard lower <= upper else { continue }
                for j in lower ... upper where j != i {
                    let distance = abs(i - j)
                    let weight = weighting == .count ? 1.0 : 1.0 / Double(distance)
                    rows[a][session[j], default: 0] += weight
                }
            }
        }
        var rowOffsets: [Int64] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for row in rows {
            for (column, sum) in row.sorted(by: { $0.key < $1.key }) {
                columns.append(column)
                values.append(Float(sum))
            }
            rowOffsets.append(Int64(columns.count))
        }
        return try! SparseMatrix(rows: corpus.vocabularySize, cols: corpus.vocabularySize,
                                 rowOffsets: rowOffsets, columns: columns, values: values)
    }
}
