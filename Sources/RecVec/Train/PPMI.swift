import Foundation

/// Positive pointwise mutual information of a co-occurrence matrix, with context-distribution
/// smoothing and an optional shift (Levy, Goldberg & Dagan 2015):
///
///     PPMI(i, j) = max(0, log( C(i,j) * Z / (C(i,*) * C(*,j)^alpha) ) - log k),  Z = sum_j C(*,j)^alpha
///
/// which is `log P(i,j) / (P(i) P_alpha(j))` with the context probabilities raised to `alpha`
/// (0.75 damps PMI's bias towards rare contexts, as word2vec's noise distribution does), and
/// `k` the shift SGNS with k negatives implicitly applies.
public struct PPMIConfig: Equatable, Sendable, Codable {
    /// Context-distribution smoothing exponent alpha; 1 is plain PMI.
    public var contextSmoothing: Double = 0.75
    /// Shift k (>= 1): subtract log k before clipping at 0; 1 is no shift.
    public var shift: Double = 1

    /// A PPMI configuration (defaults: alpha 0.75, no shift).
    public init(contextSmoothing: Double = 0.75, shift: Double = 1) {
        self.contextSmoothing = contextSmoothing
        self.shift = shift
    }

    func validate() throws(KernelError) {
        guard contextSmoothing > 0, contextSmoothing.isFinite else {
            throw .invalidArgument(name: "contextSmoothing", value: "\(contextSmoothing)", expected: "a finite value > 0")
        }
        guard shift >= 1, shift.isFinite else { throw .invalidArgument(name: "shift", value: "\(shift)", expected: ">= 1 (1 = no shift)") }
    }
}

/// The PPMI transform of co-occurrence counts, dense or sparse (see `PPMIConfig` for the formula).
public enum PPMI {
    /// PPMI of dense counts, in double precision (the input of the dense SVD path).
    static func dense(_ counts: Matrix, config: PPMIConfig = PPMIConfig()) throws(KernelError) -> DoubleMatrix {
        try config.validate()
        let n = counts.rows, m = counts.cols
        var rowSum = [Double](repeating: 0, count: n), colSum = [Double](repeating: 0, count: m)
        for r in 0 ..< n { for c in 0 ..< m {
            let v = Double(counts[r, c])
            guard v >= 0, v.isFinite else { throw .invalidArgument(name: "counts[\(r), \(c)]", value: "\(v)", expected: "a finite count >= 0") }
            rowSum[r] += v; colSum[c] += v
        } }
        let (context, z) = smoothedContexts(colSum, config.contextSmoothing)
        let logShift = Foundation.log(config.shift)
        var out = DoubleMatrix(rows: n, cols: m)
        for r in 0 ..< n where rowSum[r] > 0 {
            for c in 0 ..< m {
                let v = Double(counts[r, c])
                guard v > 0 else { continue }
                let pmi = Foundation.log(v * z / (rowSum[r] * context[c])) - logShift
                if pmi > 0 { out[r, c] = pmi }
            }
        }
        return out
    }

    /// PPMI of sparse counts, kept sparse (entries clipped to 0 are dropped): the large-catalog path.
    public static func sparse(_ counts: SparseMatrix, config: PPMIConfig = PPMIConfig()) throws(KernelError) -> SparseMatrix {
        try config.validate()
        var rowSum = [Double](repeating: 0, count: counts.rows), colSum = [Double](repeating: 0, count: counts.cols)
        for r in 0 ..< counts.rows {
            for e in Int(counts.rowOffsets[r]) ..< Int(counts.rowOffsets[r + 1]) {
                let v = Double(counts.values[e])
                guard v >= 0, v.isFinite else {
                    throw .invalidArgument(name: "counts[\(r), \(counts.columns[e])]", value: "\(v)", expected: "a finite count >= 0")
                }
                rowSum[r] += v; colSum[Int(counts.columns[e])] += v
            }
        }
        let (context, z) = smoothedContexts(colSum, config.contextSmoothing)
        let logShift = Foundation.log(config.shift)
        var offsets: [Int64] = [0], columns: [Int32] = [], values: [Float] = []
        for r in 0 ..< counts.rows {
            for e in Int(counts.rowOffsets[r]) ..< Int(counts.rowOffsets[r + 1]) {
                let v = Double(counts.values[e]), c = Int(counts.columns[e])
                guard v > 0 else { continue }
                let pmi = Foundation.log(v * z / (rowSum[r] * context[c])) - logShift
                if pmi > 0 { columns.append(Int32(c)); values.append(Float(pmi)) }
            }
            offsets.append(Int64(columns.count))
        }
        return try SparseMatrix(rows: counts.rows, cols: counts.cols, rowOffsets: offsets, columns: columns, values: values)
    }

    private static func smoothedContexts(_ colSum: [Double], _ alpha: Double) -> ([Double], Double) {
        let context = colSum.map { $0 > 0 ? Foundation.pow($0, alpha) : 0 }
        return (context, context.reduce(0, +))
    }
}
