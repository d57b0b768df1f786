// score_scalar.c: the portable block kernels. Kept apart from the AVX2 file so that the compiler
// never vectorises this fallback with instructions an older CPU lacks.
//
// Packed layout: the block's rows contiguous (count_rows x dim), then their reciprocal norms.
#include "score_internal.h"
#include <string.h>

static size_t packed_floats(size_t count_rows, size_t dim) {
    size_t floats = count_rows * (dim + 1);
    return (floats + 7) / 8 * 8;
}

static void pack(const float *rows, size_t count_rows, size_t row_stride, size_t dim, int cosine, float *packed) {
    float *inverse_norms = packed + count_rows * dim;
    for (size_t r = 0; r < count_rows; r++) {
        memcpy(packed + r * dim, rows + r * row_stride, dim * sizeof(float));
        inverse_norms[r] = cosine ? rv_inverse_norm(rows + r * row_stride, dim) : 1.0f;
    }
}

/// Scores of query i against packed rows r ..< r + n (n <= 4), scaled for cosine. Four rows run
/// side by side so that the CPU overlaps four independent sums; each still adds its products in
/// dimension order, the same order as a row scored alone.
static inline void score_rows(const rv_query_block *queries, size_t i, const float *packed, size_t count_rows,
                              size_t r, size_t n, size_t dim, float scores[4]) {
    const float *q = queries->values + i * queries->stride, *row = packed + r * dim;
    if (n == 4) {
        float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
        for (size_t j = 0; j < dim; j++) {
            sum0 += q[j] * row[j];
            sum1 += q[j] * row[dim + j];
            sum2 += q[j] * row[2 * dim + j];
            sum3 += q[j] * row[3 * dim + j];
        }
        scores[0] = sum0, scores[1] = sum1, scores[2] = sum2, scores[3] = sum3;
    } else {
        for (size_t t = 0; t < n; t++) {
            float sum = 0;
            for (size_t j = 0; j < dim; j++) sum += q[j] * row[t * dim + j];
            scores[t] = sum;
        }
    }
    if (queries->inverse_norms)
        for (size_t t = 0; t < n; t++) scores[t] = scores[t] * packed[count_rows * dim + r + t] * queries->inverse_norms[i];
}

static void score(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim, float *out,
                  size_t out_stride) {
    for (size_t i = 0; i < queries->count; i++)
        for (size_t r = 0; r < count_rows; r += 4) {
            size_t n = count_rows - r < 4 ? count_rows - r : 4;
            float scores[4];
            score_rows(queries, i, packed, count_rows, r, n, dim, scores);
            for (size_t t = 0; t < n; t++) out[i * out_stride + r + t] = scores[t];
        }
}

static void topk(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim, int32_t first_row,
                 rv_heap *heaps) {
    for (size_t i = 0; i < queries->count; i++)
        for (size_t r = 0; r < count_rows; r += 4) {
            size_t n = count_rows - r < 4 ? count_rows - r : 4;
            float scores[4];
            score_rows(queries, i, packed, count_rows, r, n, dim, scores);
            for (size_t t = 0; t < n; t++)
                if (scores[t] >= heaps[i].threshold) rv_heap_offer(&heaps[i], scores[t], first_row + (int32_t)(r + t));
        }
}

static void normalize(float *rows, size_t count_rows, size_t row_stride, size_t dim) {
    for (size_t r = 0; r < count_rows; r++) {
        float *row = rows + r * row_stride;
        double sum = 0;
        for (size_t j = 0; j < dim; j++) sum += (double)row[j] * (double)row[j];
        if (sum == 0) continue;
        double scale = 1.0 / sqrt(sum);
        for (size_t j = 0; j < dim; j++) row[j] = (float)(row[j] * scale);
    }
}

const rv_score_isa rv_score_isa_scalar = {packed_floats, pack, score, topk, normalize};
