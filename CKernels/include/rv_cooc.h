// rv_cooc.h: symmetric windowed co-occurrence counts over sessions of item ids.
//
// The corpus is `tokens[0 ..< count_tokens]` cut into sessions by `session_offsets`
// (count_sessions + 1 ascending offsets, from 0 to count_tokens). Positions i != j of the same
// session with |i - j| <= window are a pair; the result M is
//
//     M[a][b] = sum over ordered position pairs (i, j) with tokens[i] = a, tokens[j] = b
//               of weight(|i - j|)
//
// so every unordered pair of positions adds its weight to both M[a][b] and M[b][a], and a pair
// of repeats (a == b) adds it twice to the diagonal M[a][a]; M is symmetric. weight(d) is 1
// (RV_COOC_COUNT) or 1 / d (RV_COOC_INVERSE_DISTANCE).
//
// The `_directed` entry points take a direction: RV_COOC_SYMMETRIC is the above;
// RV_COOC_FORWARD keeps only the pairs with j > i (b comes after a: "next-item" windows, for
// sessions as sequences), so M[a][b] counts b following a within the window and M is not
// symmetric. The plain entry points are the symmetric case.
//
// Each row is gathered by one thread from an occurrence index (item -> positions) into a
// double accumulator, adding its neighbours in ascending (position, neighbour position) order,
// then rounded once to float: results are identical for every thread count, and equal the
// plain loop "for i ascending, for j ascending in i's window: M[t_i][t_j] += weight" done in
// double. Counts are exact below 2^53 before rounding to float (exact below 2^24 after).
//
// Only a scalar path exists: the inner loop is a scatter-add into a per-thread accumulator at
// data-dependent columns, which AVX2 (gathers, no scatters) cannot speed up.
#ifndef RV_COOC_H
#define RV_COOC_H
#include "rv_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The widest window accepted: an occurrence's neighbour counts are packed into 12 bits each.
#define RV_COOC_MAX_WINDOW 4095
/// The longest token stream accepted (2^40 tokens): positions are packed into 40 bits.
#define RV_COOC_MAX_TOKENS 1099511627776LL

typedef enum rv_cooc_weighting {
    RV_COOC_COUNT = 0,            // every pair adds 1
    RV_COOC_INVERSE_DISTANCE = 1, // a pair d positions apart adds 1 / d
} rv_cooc_weighting;

typedef enum rv_cooc_direction {
    RV_COOC_SYMMETRIC = 0, // both sides of every position
    RV_COOC_FORWARD = 1,   // only the positions after it: M[a][b] = b within `window` after a
} rv_cooc_direction;

/// The dense `count_items x count_items` matrix M into `out` (row r at
/// `out + r * out_row_stride_in_floats`; every element of the first count_items columns is
/// written). Memory: the occurrence index (8 bytes per token) and, per thread, count_items
/// doubles plus a bitmap of count_items bits; all freed before returning.
/// Errors: RV_ERR_INVALID_ARGUMENT for count_items <= 0, count_items * count_items overflowing
/// size_t, window outside [1, RV_COOC_MAX_WINDOW], count_tokens == 0 (an empty corpus) or above
/// RV_COOC_MAX_TOKENS, bad session_offsets, a stride below
/// count_items or a NULL pointer; RV_ERR_OUT_OF_RANGE for a token outside [0, count_items);
/// RV_ERR_OUT_OF_MEMORY. `out` is unspecified after an error.
rv_status rv_cooc_dense_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                            int64_t count_sessions, int32_t count_items, int32_t window,
                            rv_cooc_weighting weighting, int count_threads, float *out,
                            int64_t out_row_stride_in_floats);

/// rv_cooc_dense_f32 with a direction (RV_ERR_INVALID_ARGUMENT for an unknown one).
rv_status rv_cooc_dense_directed_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                                     int64_t count_sessions, int32_t count_items, int32_t window,
                                     rv_cooc_weighting weighting, rv_cooc_direction direction, int count_threads,
                                     float *out, int64_t out_row_stride_in_floats);

/// A CSR result held by the C side between rv_cooc_csr_f32 and rv_cooc_csr_take.
typedef struct rv_cooc_csr rv_cooc_csr;

/// M in CSR form, in two steps so the caller allocates the arrays: this call computes M into
/// `*out_result` (allocated here; memory grows with the non-zeros, never with
/// count_items^2) and sets `*out_count_nonzeros`; then rv_cooc_csr_take copies it out and frees
/// it (or rv_cooc_csr_free frees it unread). Same errors as rv_cooc_dense_f32, except that any
/// count_items up to INT32_MAX is accepted; on error `*out_result` is NULL.
rv_status rv_cooc_csr_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                          int64_t count_sessions, int32_t count_items, int32_t window,
                          rv_cooc_weighting weighting, int count_threads, rv_cooc_csr **out_result,
                          int64_t *out_count_nonzeros);

/// rv_cooc_csr_f32 with a direction (RV_ERR_INVALID_ARGUMENT for an unknown one).
rv_status rv_cooc_csr_directed_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                                   int64_t count_sessions, int32_t count_items, int32_t window,
                                   rv_cooc_weighting weighting, rv_cooc_direction direction, int count_threads,
                                   rv_cooc_csr **out_result, int64_t *out_count_nonzeros);

/// Copies `result` into `row_offsets` (count_items + 1), `columns` and `values` (the non-zero
/// count each; NULL allowed when it is 0), columns ascending within a row, and frees `result`
/// (also on error). Uses the thread count given to rv_cooc_csr_f32.
rv_status rv_cooc_csr_take(rv_cooc_csr *result, int64_t *row_offsets, int32_t *columns, float *values);

/// Frees a result without reading it; NULL is ignored.
void rv_cooc_csr_free(rv_cooc_csr *result);

#ifdef __cplusplus
}
#endif
#endif
