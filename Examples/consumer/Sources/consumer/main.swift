import RecVec

// Scores 3 queries against 1000 rows with the threaded C kernel and prints the best ids.
let dim = 8, count = 1000
var values = [Float](repeating: 0, count: count * dim)
for i in 0 ..< count { for c in 0 ..< dim { values[i * dim + c] = Float((i * 7 + c * 13) % 17) - 8 } }
let rows = try Matrix(rows: count, cols: dim, values: values)
let queries = try Matrix(rows: 3, cols: dim, values: Array(values[0 ..< 3 * dim]))
let top = try Kernels.topK(queries: queries, rows: rows, k: 3, metric: .cosine, threads: 0)
print("simd=\(Kernels.simdLevel.rawValue) threads=\(Kernels.maxThreads)")
for q in 0 ..< 3 { print("query \(q): \(top.ids(ofQuery: q))") }
