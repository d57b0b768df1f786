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

/// The score of query i against packed row r: a sequential sum, scaled for cosine.
static inline float score_one(const rv_query_block *queries, size_t i, const float *packed, size_t count_rows,
                              size_t r, size_t dim) {
    const float *q = queries->values + i * queries->stride, *row = packed + r * dim;
    float sum = 0;
    for (size_t j = 0; j < dim; j++) sum += q[j] * row[j];
    if (queries->inverse_norms) sum = sum * packed[count_rows * dim + r] * queries->inverse_norms[i];
    return sum;
}

static void score(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim, float *out,
                  size_t out_stride) {
    for (size_t i = 0; i < queries->count; i++)
        for (size_t r = 0; r < count_rows; r++) out[i * out_stride + r] = score_one(queries, i, packed, count_rows, r, dim);
}

static void topk(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim, int32_t first_row,
                 rv_heap *heaps) {
    for (size_t i = 0; i < queries->count; i++)
        for (size_t r = 0; r < count_rows; r++) {
            float s = score_one(queries, i, packed, count_rows, r, dim);
            if (s >= heaps[i].threshold) rv_heap_offer(&heaps[i], s, first_row + (int32_t)r);
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
