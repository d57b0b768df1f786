import Foundation

/// Windowed co-occurrence counts with how they were made: the partial (one corpus shard) or
/// merged (summed) counts that `recvec cooc-shard`, `recvec merge-counts` and
/// `recvec train --counts` exchange.
///
/// File (`*.rvcsr`), in the `ShardFile` frame:
///
///     header: magic "RVCOUNTS", version 1, dtype 1 (float32 values),
///       field 0 rows, field 1 cols, field 2 non-zeros Z, field 3 window,
///       field 4 weighting (0 count, 1 inverse distance), field 5 tokens counted
///     payload: rows + 1 row offsets (i64 LE), Z columns (i32 LE, ascending within a row), Z values (f32 LE)
///     trailer: XXH64 of every byte before it
package struct CooccurrenceCounts: Equatable, Sendable {
    /// The file's first eight bytes.
    public static let magic = "RVCOUNTS"
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    /// The suffix of a counts file.
    public static let fileSuffix = ".rvcsr"
    static let dtypeFloat32: UInt32 = 1

    /// The counts, items x items, CSR.
    public var matrix: SparseMatrix
    /// The window the counts were made with.
    public var window: Int
    /// How a pair at distance d counted.
    public var weighting: CooccurrenceWeighting
    /// Tokens of the corpus (or corpora) these counts come from.
    public var tokens: Int

    /// Counts from their matrix and how they were made.
    public init(matrix: SparseMatrix, window: Int, weighting: CooccurrenceWeighting, tokens: Int) {
        self.matrix = matrix
        self.window = window
        self.weighting = weighting
        self.tokens = tokens
    }

    /// The counts of one corpus (the C kernel `rv_cooc_csr_f32` through `Kernels.cooccurrenceSparse`).
    public init(corpus: Corpus, window: Int, weighting: CooccurrenceWeighting, threads: Int = 0) throws(KernelError) {
        self.init(matrix: try Kernels.cooccurrenceSparse(corpus, window: window, weighting: weighting, threads: threads),
                  window: window, weighting: weighting, tokens: corpus.tokens.count)
    }

    /// Writes the counts atomically (temporary name, fsync, rename).
    public func write(to path: String) throws {
        try matrix.rowOffsets.withUnsafeBytes { offsets in
            try matrix.columns.withUnsafeBytes { columns in
                try matrix.values.withUnsafeBytes { values in
                    try ShardFile.write(path: path, magic: Self.magic, version: Self.formatVersion, dtype: Self.dtypeFloat32,
                                        fields: [UInt64(matrix.rows), UInt64(matrix.cols), UInt64(matrix.nonZeroCount), UInt64(window),
                                                 weighting == .count ? 0 : 1, UInt64(tokens)],
                                        payload: [offsets, columns, values])
                }
            }
        }
    }

    /// Reads and checks a counts file (magic, version, sizes, checksum, CSR structure).
    public static func read(_ path: String) throws -> CooccurrenceCounts {
        let contents = try ShardFile.read(path: path, magic: magic, version: formatVersion, dtype: dtypeFloat32) { f in
            guard f[0] <= UInt64(Int32.max), f[1] <= UInt64(Int32.max), f[2] < 1 << 40, f[3] >= 1, f[4] <= 1 else {
                return .failure(.corrupt(file: "", field: "header (offsets 16-55)",
                                         value: "\(f[0]) x \(f[1]), \(f[2]) non-zeros, window \(f[3]), weighting \(f[4])",
                                         expected: "rows and columns < 2^31, non-zeros < 2^40, window >= 1, weighting 0 or 1"))
            }
            return .success(Int(f[0] + 1) * 8 + Int(f[2]) * 8)
        }
        let f = contents.fields
        let rows = Int(f[0]), nonZeros = Int(f[2])
        let offsets = contents.array(Int64.self, at: ShardFile.headerBytes, count: rows + 1)
        let columns = contents.array(Int32.self, at: ShardFile.headerBytes + (rows + 1) * 8, count: nonZeros)
        let values = contents.array(Float.self, at: ShardFile.headerBytes + (rows + 1) * 8 + nonZeros * 4, count: nonZeros)
        for r in 0 ..< rows where offsets[r + 1] < offsets[r] {
            throw StoreError.invalidInput(file: path, reason: "row offset \(r + 1) is \(offsets[r + 1]), below row \(r)'s \(offsets[r])")
        }
        let matrix: SparseMatrix
        do {
            matrix = try SparseMatrix(rows: rows, cols: Int(f[1]), rowOffsets: offsets, columns: columns, values: values)
        } catch {
            throw StoreError.invalidInput(file: path, reason: "\(error)")
        }
        return CooccurrenceCounts(matrix: matrix, window: Int(f[3]), weighting: f[4] == 0 ? .count : .inverseDistance, tokens: Int(f[5]))
    }

    /// The sum of the counts files at `paths` (or of the `*.rvcsr` files of a folder), read one at
    /// a time. Values are summed in Double and rounded to Float once, as the kernel does for one
    /// corpus, so integer counts (weighting `.count`, below 2^24) equal the single-corpus counts
    /// exactly; with 1/distance each partial was already rounded once (error <= 2^-24 of it), the
    /// merged sum is rounded once more and the single-corpus value once, so the two differ by at
    /// most 3 x 2^-24 (< 2^-22) of the value (all terms are positive). Throws when shapes, windows or weightings differ.
    public static func merge(_ paths: [String]) throws -> CooccurrenceCounts {
        let files = try paths.flatMap { try ShardFile.list(directory: $0, suffix: fileSuffix) }
        guard !files.isEmpty else { throw StoreError.invalidInput(file: "merge-counts", reason: "no counts files given") }
        var sum = Sum()
        for path in files { try sum.add(try read(path), source: path) }
        return sum.result!
    }

    /// A running sum of counts (Double values; `result` rounds to Float once).
    package struct Sum {
        private var first: (counts: CooccurrenceCounts, source: String)?
        private var offsets: [Int64] = [], columns: [Int32] = [], values: [Double] = []
        private var tokens = 0

        /// An empty sum.
        public init() {}

        /// Adds `counts`; throws when its shape, window or weighting differs from the first added.
        public mutating func add(_ counts: CooccurrenceCounts, source: String) throws {
            guard let (head, headSource) = first else {
                first = (counts, source)
                offsets = counts.matrix.rowOffsets; columns = counts.matrix.columns; values = counts.matrix.values.map(Double.init)
                tokens = counts.tokens
                return
            }
            guard counts.matrix.rows == head.matrix.rows, counts.matrix.cols == head.matrix.cols else {
                throw StoreError.invalidInput(file: source, reason: "\(counts.matrix.rows) x \(counts.matrix.cols) counts, expected \(head.matrix.rows) x \(head.matrix.cols) (as \(headSource))")
            }
            guard counts.window == head.window, counts.weighting == head.weighting else {
                throw StoreError.invalidInput(file: source, reason: "window \(counts.window) \(counts.weighting.rawValue), expected window \(head.window) \(head.weighting.rawValue) (as \(headSource))")
            }
            (offsets, columns, values) = CooccurrenceCounts.mergeRows(offsets, columns, values, counts.matrix)
            tokens += counts.tokens
        }

        /// The sum so far, nil before the first `add`.
        public var result: CooccurrenceCounts? {
            guard let head = first?.counts else { return nil }
            let matrix = SparseMatrix(kernelOutputRows: head.matrix.rows, cols: head.matrix.cols, rowOffsets: offsets,
                                      columns: columns, values: values.map(Float.init))
            return CooccurrenceCounts(matrix: matrix, window: head.window, weighting: head.weighting, tokens: tokens)
        }
    }

    /// Row-by-row merge of two CSR matrices with ascending columns, summing equal columns.
    private static func mergeRows(_ aOffsets: [Int64], _ aColumns: [Int32], _ aValues: [Double],
                                  _ b: SparseMatrix) -> ([Int64], [Int32], [Double]) {
        var offsets: [Int64] = [0], columns: [Int32] = [], values: [Double] = []
        offsets.reserveCapacity(aOffsets.count)
        columns.reserveCapacity(max(aColumns.count, b.columns.count))
        values.reserveCapacity(max(aColumns.count, b.columns.count))
        for r in 0 ..< aOffsets.count - 1 {
            var i = Int(aOffsets[r]), j = Int(b.rowOffsets[r])
            let iEnd = Int(aOffsets[r + 1]), jEnd = Int(b.rowOffsets[r + 1])
            while i < iEnd || j < jEnd {
                if j == jEnd || (i < iEnd && aColumns[i] < b.columns[j]) {
                    columns.append(aColumns[i]); values.append(aValues[i]); i += 1
                } else if i == iEnd || b.columns[j] < aColumns[i] {
                    columns.append(b.columns[j]); values.append(Double(b.values[j])); j += 1
                } else {
                    columns.append(aColumns[i]); values.append(aValues[i] + Double(b.values[j])); i += 1; j += 1
                }
            }
            offsets.append(Int64(columns.count))
        }
        return (offsets, columns, values)
    }
}
