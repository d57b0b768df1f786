import Foundation

/// An item-item baseline: an item's score is the sum, over the newest `historyLength` distinct
/// items of the history, of `itemRows[item, historyItem]`, plus `itemRows[item, itemCount]` (a
/// per-item bias column). Ranked by `Kernels.topK` (C kernel `rv_score_topk_f32`) with the
/// history as a 0/1 query vector, so the item x item product runs in the scoring kernel.
public struct ItemItemModel: Sendable {
    /// The baseline's row name ("Transition", "Item-kNN", "EASE").
    public var name: String
    /// `itemCount x (itemCount + 1)`: row j holds what each history item adds to item j's score,
    /// then item j's bias.
    public var itemRows: Matrix
    /// How many of a case's most recent history items the query sums.
    public var historyLength: Int
    /// How the row is labelled in tables.
    public var label: String

    /// Items the model ranks (the catalog size it was fitted on).
    public var itemCount: Int { itemRows.rows }

    /// The 0/1 query vector of `history` (its newest `historyLength` items; empty: nil).
    func query(_ history: [Int32]) -> [Float]? {
        guard !history.isEmpty else { return nil }
        var q = [Float](repeating: 0, count: itemCount + 1)
        for i in history.suffix(historyLength) { q[Int(i)] = 1 }
        q[itemCount] = 1
        return q
    }

    /// The top-`k` list of every case.
    public func rankedLists(_ cases: [EvalCase], k: Int, threads: Int = 0, batch: Int = 1024) throws(KernelError) -> [[Int32]] {
        try Evaluator.rankedLists(cases, items: itemRows, metric: .dot, k: k, threads: threads, batch: batch, query: query)
    }
}

/// Ridge strength and catalogue limit of EASE.
public struct EASEConfig: Equatable, Sendable, Codable {
    /// lambda of `P = (X^T X + lambda I)^-1`.
    public var lambda: Double = 250
    /// Larger catalogues skip EASE: the dense item x item solve needs items^2 doubles.
    public var maxItems = 20_000

    /// An EASE configuration: ridge penalty `lambda` and the largest catalogue it solves for.
    public init(lambda: Double = 250, maxItems: Int = 20_000) {
        self.lambda = lambda
        self.maxItems = maxItems
    }
}

/// The simple models every leak-free table shows beside the embedding methods, each built from
/// the training part of the split only.
public enum Baselines {
    /// First-order transition model: `T[a, b]` = times `b` directly followed `a` in the training
    /// sequences; a case scores `T[last item, b]`, and popularity breaks ties (and is all that is
    /// left when the last item was never followed by anything): the bias is
    /// `count(b) / (max count + 1)`, below 1, so it never outranks one more transition.
    public static func transition(sequences: Corpus, popularity: [Int]) throws(KernelError) -> ItemItemModel {
        let n = sequences.vocabularySize
        try checkPopularity(popularity, n)
        var rows = Matrix(rows: n, cols: n + 1)
        for s in 0 ..< sequences.sessionCount {
            let session = sequences.session(s)
            for (a, b) in zip(session, session.dropFirst()) { rows[Int(b), Int(a)] += 1 }
        }
        let scale = Float(1) / Float((popularity.max() ?? 0) + 1)
        for j in 0 ..< n { rows[j, n] = Float(popularity[j]) * scale }
        return ItemItemModel(name: "Transition", itemRows: rows, historyLength: 1, label: "count(last -> item), popularity backoff")
    }

    /// Co-consumption counts `G = X^T X` of the binary user x item matrix (a user = one sequence
    /// of `sequences`): accumulated from each user's distinct items, so the cost is the sum of
    /// squared history lengths, never users x items.
    static func gram(sequences: Corpus) -> DoubleMatrix {
        let n = sequences.vocabularySize
        var g = DoubleMatrix(rows: n, cols: n)
        var mark = [Bool](repeating: false, count: n)
        g.values.withUnsafeMutableBufferPointer { out in
            for s in 0 ..< sequences.sessionCount {
                var distinct: [Int] = []
                for t in sequences.session(s) where !mark[Int(t)] { mark[Int(t)] = true; distinct.append(Int(t)) }
                for i in distinct {
                    mark[i] = false
                    for j in distinct { out[i * n + j] += 1 }
                }
            }
        }
        return g
    }

    /// Item-kNN: cosine similarity of the items' columns in the binary user x item matrix,
    /// `S[i, j] = G[i, j] / sqrt(G[i, i] G[j, j])`, diagonal 0; a case scores the sum of the
    /// similarities to its history's items (newest `historyLength`).
    public static func itemKNN(sequences: Corpus, historyLength: Int = 200) -> ItemItemModel {
        let n = sequences.vocabularySize
        let g = gram(sequences: sequences)
        var rows = Matrix(rows: n, cols: n + 1)
        for i in 0 ..< n where g[i, i] > 0 {
            for j in 0 ..< n where j != i && g[j, j] > 0 {
                rows[i, j] = Float(g[i, j] / (g[i, i] * g[j, j]).squareRoot())
            }
        }
        return ItemItemModel(name: "Item-kNN", itemRows: rows, historyLength: historyLength, label: "sum of cosine(user-item columns)")
    }

    /// EASE (Steck 2019): `B = I - P diag(1 / diag(P))` with `P = (X^T X + lambda I)^-1` and a
    /// zero diagonal; a case scores `x_u B` (x_u: the history as 0/1). Returns nil when the
    /// catalogue has more than `config.maxItems` items. `P` comes from the Cholesky factor `L`
    /// (`Linalg.cholesky`): `P = L^-T L^-1`, the Gram of `L^-1`'s columns, computed by the C
    /// scoring kernel (`rv_score_f32`).
    public static func ease(sequences: Corpus, config: EASEConfig = EASEConfig(), historyLength: Int = 200,
                            threads: Int = 0) throws -> ItemItemModel? {
        let n = sequences.vocabularySize
        guard n <= config.maxItems else { return nil }
        guard config.lambda > 0, config.lambda.isFinite else {
            throw KernelError.invalidArgument(name: "lambda", value: "\(config.lambda)", expected: "a positive finite number")
        }
        var a = gram(sequences: sequences)
        for i in 0 ..< n { a[i, i] += config.lambda }
        let l = try Linalg.cholesky(a)
        let inverseT = lowerInverseTransposed(l)
        let p = try Kernels.scores(queries: inverseT, rows: inverseT, metric: .dot, threads: threads)
        var rows = Matrix(rows: n, cols: n + 1)
        for j in 0 ..< n {
            let scale = -1 / p[j, j]
            for i in 0 ..< n where i != j { rows[j, i] = p[j, i] * scale }
        }
        return ItemItemModel(name: "EASE", itemRows: rows, historyLength: historyLength,
                             label: "x·B, lambda \(String(format: "%g", config.lambda))")
    }

    /// `(L^-1)^T` as float rows (row i = column i of `L^-1`), for a lower-triangular `L`: forward
    /// substitution row by row of `L^-1` (`W[i, :] = (e_i - sum_k<i L[i, k] W[k, :]) / L[i, i]`).
    static func lowerInverseTransposed(_ l: DoubleMatrix) -> Matrix {
        let n = l.rows
        var w = [Double](repeating: 0, count: n * n)
        w.withUnsafeMutableBufferPointer { w in
            l.values.withUnsafeBufferPointer { l in
                for i in 0 ..< n {
                    let row = i * n
                    w[row + i] = 1
                    for k in 0 ..< i {
                        let f = l[row + k]
                        if f == 0 { continue }
                        let src = k * n
                        for c in 0 ... k { w[row + c] -= f * w[src + c] }
                    }
                    let d = 1 / l[row + i]
                    for c in 0 ... i { w[row + c] *= d }
                }
            }
        }
        var out = Matrix(rows: n, cols: n)
        for i in 0 ..< n { for c in 0 ... i { out[c, i] = Float(w[i * n + c]) } }
        return out
    }

    private static func checkPopularity(_ popularity: [Int], _ n: Int) throws(KernelError) {
        guard popularity.count == n else { throw .sizeMismatch(name: "popularity", expected: n, found: popularity.count) }
    }
}
