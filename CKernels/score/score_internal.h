// score_internal.h: the per-ISA block kernels behind rv_score_f32 and rv_score_topk_f32; not
// part of the public API.
//
// The drivers (score.c, topk/topk.c) walk the rows in blocks that stay in L2: each thread packs a
// block in the layout its ISA reads fastest, then scores its queries against the packed block.
// Every (query, row) score is the same sequential sum over the dimensions whatever the block,
// tile or thread it falls in, so results do not depend on the thread count.
#ifndef RV_SCORE_INTERNAL_H
#define RV_SCORE_INTERNAL_H

#include "../core/rv_internal.h"
#include "../topk/topk_internal.h"
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

/// The kernels of the ISA active now (rv_isa_active), chosen once per batch call.
const rv_score_isa *rv_score_isa_active(void);

/// Rows per packed block: about 128 KiB of rows, a multiple of 16, between 16 and 4096.
size_t rv_score_block_rows(size_t dim);

/// Whether a call with count_queries queries splits rows rather than queries among threads:
/// when there are too few queries to give every thread several register tiles.
static inline int rv_score_split_rows(size_t count_queries, int count_threads) {
    return count_threads > 1 && count_queries < (size_t)count_threads * 24;
}

/// The queries [*query_begin, *query_end) and rows [*row_begin, *row_end) that `thread` works on.
static inline void rv_score_slices(int split_rows, size_t count_queries, size_t count_rows, int thread,
                                   int count_threads, size_t *query_begin, size_t *query_end, size_t *row_begin,
                                   size_t *row_end) {
    *query_begin = 0, *query_end = count_queries, *row_begin = 0, *row_end = count_rows;
    if (split_rows) rv_slice(count_rows, thread, count_threads, row_begin, row_end);
    else rv_slice(count_queries, thread, count_threads, query_begin, query_end);
}

/// One packing buffer of `*floats_per_thread` floats per thread, 64-byte aligned (free()), or NULL.
float *rv_score_packing_buffers(const rv_score_isa *isa, size_t block_rows, size_t dim, int count_threads,
                                size_t *floats_per_thread);

/// The reciprocal norms of `count` queries (free()), or NULL when the allocation fails.
float *rv_score_inverse_norms(const float *queries, size_t count, size_t stride, size_t dim);

/// Whether `count` vectors of `dim` floats, `stride` apart, can be addressed: a non-NULL pointer
/// (unless count is 0), stride >= dim and no size_t overflow.
static inline int rv_matrix_ok(const float *values, size_t count, size_t stride, size_t dim) {
    if (stride < dim) return 0;
    if (count == 0) return 1;
    if (values == NULL) return 0;
    return count - 1 <= (SIZE_MAX / sizeof(float) - dim) / (stride > 0 ? stride : 1);
}

#endif
