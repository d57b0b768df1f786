// score_internal.h: the per-ISA block kernels behind rv_score_f32 and rv_score_topk_f32; not
// part of the public API.
//
// The drivers (score.c, topk/topk.c) walk the rows in blocks that stay in L2: each thread packs a
// block in the layout its ISA reads fastest, then scores its queries against the packed block.
// Every (query, row) score is the same sequential sum over the dimensions whatever the block,
// tile or thread it falls in, so results do not depend on the thread count.
//
// Why these kernels do not call the shared f32 dot (core/rv_vector.h, which HNSW scores every
// visited node with): they are a different kernel by design. A batch keeps a 6-query x 16-row
// tile of sums in registers and streams each packed row panel once for six queries, where the
// dot reloads both vectors for every pair; and each score here is summed in dimension order,
// while the dot splits a pair over four accumulators. Scoring a batch through the dot would
// cost the tiling and change every score's rounding (and so ties in top-K). No single-pair path
// exists in score/: one query is a batch of one.
#ifndef RV_SCORE_INTERNAL_H
#define RV_SCORE_INTERNAL_H

#include "../core/rv_internal.h"
#include "../core/rv_heap.h"
#include <float.h>
#include <math.h>

/// A run of queries, and their reciprocal norms for cosine (NULL for dot).
typedef struct rv_query_block {
    const float *values;
    size_t count, stride;
    const float *inverse_norms;
} rv_query_block;

/// 1 / |v| for cosine, accumulated in double; 0 where the norm is 0 or its reciprocal is not a
/// finite float, so that such a vector scores 0 against everything.
static inline float rv_inverse_norm(const float *v, size_t dim) {
    double sum = 0;
    for (size_t j = 0; j < dim; j++) sum += (double)v[j] * (double)v[j];
    double inverse = sum > 0 ? 1.0 / sqrt(sum) : 0.0;
    return inverse <= FLT_MAX ? (float)inverse : 0.0f;
}

/// One ISA's block kernels.
typedef struct rv_score_isa {
    /// Floats a packed block of count_rows rows takes, with the scratch `score` and `topk` use
    /// after it (a multiple of 8: blocks stay 32-byte aligned).
    size_t (*packed_floats)(size_t count_rows, size_t dim);
    /// Packs rows (and, for cosine, their reciprocal norms) into `packed`.
    void (*pack)(const float *rows, size_t count_rows, size_t row_stride, size_t dim, int cosine, float *packed);
    /// out[q * out_stride + r] = score of query q against packed row r.
    void (*score)(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim,
                  float *out, size_t out_stride);
    /// Offers each query's score of packed row r, as id first_row + r, to heaps[q].
    void (*topk)(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim,
                 int32_t first_row, rv_heap *heaps);
    /// Scales rows to unit norm in place (rv_normalize_rows_f32 on one thread).
    void (*normalize)(float *rows, size_t count_rows, size_t row_stride, size_t dim);
} rv_score_isa;

extern const rv_score_isa rv_score_isa_scalar;
extern const rv_score_isa rv_score_isa_avx2;

/// The kernels of the ISA active now (rv_simd_level_active), chosen once per batch call.
const rv_score_isa *rv_score_isa_active(void);

/// What rv_score_f32 and rv_score_topk_f32 share: the queries, the rows walked in blocks of
/// block_rows, the ISA, and one packing buffer per thread.
typedef struct rv_score_plan {
    const rv_score_isa *isa;
    rv_query_block queries; // inverse_norms owned by the plan (cosine)
    const float *rows;
    size_t count_rows, row_stride, dim, block_rows;
    int cosine;
    int count_threads; // resolved (> 0)
    int split_rows;    // threads split the rows (few queries) rather than the queries
    float *packed;
    size_t packed_floats_per_thread;
} rv_score_plan;

/// The argument checks the two share: dim > 0, a known metric, addressable queries and rows.
static inline int rv_score_args_ok(const float *queries, size_t count_queries, size_t query_stride, const float *rows,
                                   size_t count_rows, size_t row_stride, size_t dim, rv_metric metric) {
    return dim > 0 && (metric == RV_METRIC_DOT || metric == RV_METRIC_COSINE)
        && rv_matrix_ok(queries, count_queries, query_stride, dim) && rv_matrix_ok(rows, count_rows, row_stride, dim);
}

/// Fills `plan` (arguments already checked) and allocates its packing buffers and, for cosine,
/// the queries' reciprocal norms: RV_OK, or RV_ERR_OUT_OF_MEMORY with nothing left allocated.
rv_status rv_score_plan_make(rv_score_plan *plan, const float *queries, size_t count_queries, size_t query_stride,
                             const float *rows, size_t count_rows, size_t row_stride, size_t dim, rv_metric metric,
                             int count_threads);

/// Frees what rv_score_plan_make allocated.
void rv_score_plan_free(rv_score_plan *plan);

/// The part of the plan `thread` works on: its queries (from *query_begin), its rows
/// [*row_begin, *row_end); returns its packing buffer.
static inline float *rv_score_plan_slice(const rv_score_plan *plan, int thread, int count_threads, rv_query_block *queries,
                                         size_t *query_begin, size_t *row_begin, size_t *row_end) {
    size_t query_end = plan->queries.count;
    *query_begin = 0, *row_begin = 0, *row_end = plan->count_rows;
    if (plan->split_rows) rv_slice(plan->count_rows, thread, count_threads, row_begin, row_end);
    else rv_slice(plan->queries.count, thread, count_threads, query_begin, &query_end);
    const rv_query_block *all = &plan->queries;
    *queries = (rv_query_block){all->values + *query_begin * all->stride, query_end - *query_begin, all->stride,
                                all->inverse_norms ? all->inverse_norms + *query_begin : NULL};
    return plan->packed + (size_t)thread * plan->packed_floats_per_thread;
}

#endif
