// rv_topk.h: the k best rows per query, fused with scoring or over a given score matrix.
//
// Results are best first: higher score first, and among equal scores the lower row index first.
// Query q's results are out_ids[q * k ..< (q + 1) * k] (and the same in out_scores); where fewer
// than k rows are eligible, the tail holds id -1 and score -INFINITY. A NaN score never enters.
#ifndef RV_TOPK_H
#define RV_TOPK_H
#include "rv_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The k best rows of `rows` for each query under `metric` (see rv_score_f32), scored and selected
/// in one pass: rows are scored in cache-sized blocks and each score is compared with the
/// query's current k-th best before it touches the query's heap, so no score matrix is held.
///
/// Exclusions (items already seen) are optional: with `exclude_offsets` NULL there are none;
/// otherwise it holds count_queries + 1 non-decreasing offsets and query q never returns the ids
/// `exclude_ids[exclude_offsets[q] ..< exclude_offsets[q + 1]]` (any order, repeats allowed).
///
/// Threads split the queries, or the rows when there are few queries (each thread keeps heaps
/// for every query, merged at the end); the result does not depend on the thread count.
/// Allocates per-thread packing buffers, one heap record per query (per thread when rows are
/// split), the query norms for cosine and a sorted copy of the exclusions; all freed before
/// returning (RV_ERR_OUT_OF_MEMORY if an allocation fails).
/// Returns RV_ERR_INVALID_ARGUMENT for dim 0, a stride below dim, k = 0 or k > count_rows,
/// count_rows > INT32_MAX, decreasing offsets, a NULL pointer with a non-zero count or an unknown
/// metric; RV_ERR_OUT_OF_RANGE for an excluded id outside [0, count_rows).
rv_status rv_score_topk_f32(const float *queries, size_t count_queries, size_t query_stride_in_floats,
                            const float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                            rv_metric metric, size_t k, const size_t *exclude_offsets,
                            const int32_t *exclude_ids, int32_t *out_ids, float *out_scores,
                            int count_threads);

/// The k best columns of each row of a score matrix: `scores[q * score_stride_in_floats + c]` for
/// c < count_columns is query q's score of item c. Threads split the queries.
/// Returns RV_ERR_INVALID_ARGUMENT for k = 0 or k > count_columns, count_columns > INT32_MAX, a
/// stride below count_columns or a NULL pointer with a non-zero count.
rv_status rv_topk_f32(const float *scores, size_t count_queries, size_t count_columns,
                      size_t score_stride_in_floats, size_t k, int32_t *out_ids, float *out_scores,
                      int count_threads);

#ifdef __cplusplus
}
#endif
#endif
