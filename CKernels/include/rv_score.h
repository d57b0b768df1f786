// rv_score.h: dot and cosine scores of query vectors against row vectors; row L2 normalisation.
#ifndef RV_SCORE_H
#define RV_SCORE_H
#include "rv_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Scores every query against every row:
/// `out_scores[q * out_stride_in_floats + r] = metric(queries[q], rows[r])` for q < count_queries,
/// r < count_rows. Vectors have `dim` floats; vector i starts at `i * *_stride_in_floats`.
/// Cosine is dot(q, r) / (|q| |r|), and 0 where a norm is 0 (or so small that its reciprocal
/// overflows a float). Rows are scored in cache-sized blocks; threads split the queries (or the
/// rows when there are few queries); the result does not depend on the thread count.
/// Allocates a packing buffer per thread (and the query norms for cosine), freed before returning.
/// Returns RV_ERR_INVALID_ARGUMENT for dim 0, a stride below dim, a NULL pointer with a non-zero
/// count, or an unknown metric.
rv_status rv_score_f32(const float *queries, size_t count_queries, size_t query_stride_in_floats,
                       const float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                       rv_metric metric, float *out_scores, size_t out_stride_in_floats, int count_threads);

/// Scales each of `count_rows` rows (`dim` floats, `row_stride_in_floats` apart) to unit L2 norm
/// in place; rows whose norm is 0 stay 0. Norms are accumulated in double, so no finite row
/// overflows. Returns RV_ERR_INVALID_ARGUMENT for dim 0, a stride below dim or a NULL pointer.
rv_status rv_normalize_rows_f32(float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                                int count_threads);

#ifdef __cplusplus
}
#endif
#endif
