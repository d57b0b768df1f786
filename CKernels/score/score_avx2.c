// score_avx2.c: the AVX2+FMA block kernels.
//
// Packed layout: panels of 16 rows; panel p holds rows 16p ..< 16p + 16 dimension-major
// (panel[j * 16 + lane] = row (16p + lane), dimension j), rows past the block's end as zeros;
// after the last panel, the rows' reciprocal norms (16 per panel); then room for one group of 6
// queries, copied dimension-major while the group is scored.
//
// The register tile is 6 queries x 16 rows: 12 accumulators of 8 floats, and per dimension two
// panel loads, six broadcasts and twelve FMAs. Reading queries and rows through two pointers
// keeps integer work (which competes with FMAs for the same ports) out of the loop. Each lane accumulates one (query, row) pair in
// dimension order, so a pair's score is the same in every tile position.
#include "score_internal.h"
#include "../core/rv_simd_avx2.h"

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

enum { TILE_QUERIES = 6, PANEL_ROWS = 16 };

/// Floats of the panels and norms, where the query group starts.
static size_t panel_floats(size_t count_rows, size_t dim) {
    size_t panels = (count_rows + PANEL_ROWS - 1) / PANEL_ROWS;
    return panels * PANEL_ROWS * (dim + 1);
}

static size_t packed_floats(size_t count_rows, size_t dim) {
    return panel_floats(count_rows, dim) + (TILE_QUERIES * dim + 7) / 8 * 8;
}

/// Copies queries[first ..< first + m] dimension-major: group[j * TILE_QUERIES + i].
static void pack_group(const rv_query_block *queries, size_t first, size_t m, size_t dim, float *group) {
    for (size_t i = 0; i < m; i++) {
        const float *q = queries->values + (first + i) * queries->stride;
        for (size_t j = 0; j < dim; j++) group[j * TILE_QUERIES + i] = q[j];
    }
}

static void pack(const float *rows, size_t count_rows, size_t row_stride, size_t dim, int cosine, float *packed) {
    size_t panels = (count_rows + PANEL_ROWS - 1) / PANEL_ROWS;
    float *inverse_norms = packed + panels * PANEL_ROWS * dim;
    for (size_t p = 0; p < panels; p++) {
        float *panel = packed + p * PANEL_ROWS * dim;
        for (size_t lane = 0; lane < PANEL_ROWS; lane++) {
            size_t r = p * PANEL_ROWS + lane;
            if (r < count_rows) {
                const float *row = rows + r * row_stride;
                for (size_t j = 0; j < dim; j++) panel[j * PANEL_ROWS + lane] = row[j];
                inverse_norms[r] = cosine ? rv_inverse_norm(row, dim) : 1.0f;
            } else {
                for (size_t j = 0; j < dim; j++) panel[j * PANEL_ROWS + lane] = 0.0f;
                inverse_norms[r] = 0.0f;
            }
        }
    }
}

/// The m x 16 tile of a packed query group (queries[first ..< first + m]) against one panel,
/// scaled for cosine. Inlined with a constant m, the unused accumulators fold away; they are
/// named variables rather than an array so that they stay in registers inside the loop.
static inline __attribute__((always_inline)) void tile(const rv_query_block *queries, size_t first, size_t m,
                                                       const float *group, const float *panel,
                                                       const float *panel_inverse_norms, size_t dim,
                                                       __m256 sum_f32x8[2 * TILE_QUERIES]) {
    __m256 sum0_lo = _mm256_setzero_ps(), sum0_hi = sum0_lo, sum1_lo = sum0_lo, sum1_hi = sum0_lo;
    __m256 sum2_lo = sum0_lo, sum2_hi = sum0_lo, sum3_lo = sum0_lo, sum3_hi = sum0_lo;
    __m256 sum4_lo = sum0_lo, sum4_hi = sum0_lo, sum5_lo = sum0_lo, sum5_hi = sum0_lo;
    const float *rows = panel, *end = panel + dim * PANEL_ROWS;
#define RV_TILE_STEP(i)                                                         \
    if (m > i) {                                                                \
        __m256 query = _mm256_broadcast_ss(group + i);                          \
        sum##i##_lo = _mm256_fmadd_ps(query, rows_lo, sum##i##_lo);             \
        sum##i##_hi = _mm256_fmadd_ps(query, rows_hi, sum##i##_hi);             \
    }
    for (; rows != end; rows += PANEL_ROWS, group += TILE_QUERIES) {
        __m256 rows_lo = _mm256_load_ps(rows);
        __m256 rows_hi = _mm256_load_ps(rows + 8);
        RV_TILE_STEP(0) RV_TILE_STEP(1) RV_TILE_STEP(2) RV_TILE_STEP(3) RV_TILE_STEP(4) RV_TILE_STEP(5)
    }
#undef RV_TILE_STEP
    sum_f32x8[0] = sum0_lo, sum_f32x8[1] = sum0_hi, sum_f32x8[2] = sum1_lo, sum_f32x8[3] = sum1_hi;
    sum_f32x8[4] = sum2_lo, sum_f32x8[5] = sum2_hi, sum_f32x8[6] = sum3_lo, sum_f32x8[7] = sum3_hi;
    sum_f32x8[8] = sum4_lo, sum_f32x8[9] = sum4_hi, sum_f32x8[10] = sum5_lo, sum_f32x8[11] = sum5_hi;
    if (queries->inverse_norms) {
        __m256 row_scale_lo = _mm256_load_ps(panel_inverse_norms);
        __m256 row_scale_hi = _mm256_load_ps(panel_inverse_norms + 8);
        for (size_t i = 0; i < m; i++) {
            __m256 query_scale = _mm256_broadcast_ss(queries->inverse_norms + first + i);
            sum_f32x8[2 * i] = _mm256_mul_ps(_mm256_mul_ps(sum_f32x8[2 * i], row_scale_lo), query_scale);
            sum_f32x8[2 * i + 1] = _mm256_mul_ps(_mm256_mul_ps(sum_f32x8[2 * i + 1], row_scale_hi), query_scale);
        }
    }
}

static inline __attribute__((always_inline)) void score_group(const rv_query_block *queries, size_t first, size_t m,
                                                              float *packed, size_t count_rows, size_t dim,
                                                              float *out, size_t out_stride) {
    size_t panels = (count_rows + PANEL_ROWS - 1) / PANEL_ROWS;
    const float *inverse_norms = packed + panels * PANEL_ROWS * dim;
    float *group = packed + panel_floats(count_rows, dim);
    pack_group(queries, first, m, dim, group);
    const __m256i lane_f32x8 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t p = 0; p < panels; p++) {
        __m256 sum_f32x8[2 * TILE_QUERIES];
        tile(queries, first, m, group, packed + p * PANEL_ROWS * dim, inverse_norms + p * PANEL_ROWS, dim, sum_f32x8);
        size_t valid = count_rows - p * PANEL_ROWS;
        for (size_t i = 0; i < m; i++) {
            float *o = out + (first + i) * out_stride + p * PANEL_ROWS;
            if (valid >= PANEL_ROWS) {
                _mm256_storeu_ps(o, sum_f32x8[2 * i]);
                _mm256_storeu_ps(o + 8, sum_f32x8[2 * i + 1]);
            } else {
                __m256i mask_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid), lane_f32x8);
                __m256i mask_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid - 8), lane_f32x8);
                _mm256_maskstore_ps(o, mask_lo, sum_f32x8[2 * i]);
                _mm256_maskstore_ps(o + 8, mask_hi, sum_f32x8[2 * i + 1]);
            }
        }
    }
}

static inline __attribute__((always_inline)) void topk_group(const rv_query_block *queries, size_t first, size_t m,
                                                             float *packed, size_t count_rows, size_t dim,
                                                             int32_t first_row, rv_heap *heaps) {
    size_t panels = (count_rows + PANEL_ROWS - 1) / PANEL_ROWS;
    const float *inverse_norms = packed + panels * PANEL_ROWS * dim;
    float *group = packed + panel_floats(count_rows, dim);
    pack_group(queries, first, m, dim, group);
    for (size_t p = 0; p < panels; p++) {
        __m256 sum_f32x8[2 * TILE_QUERIES];
        tile(queries, first, m, group, packed + p * PANEL_ROWS * dim, inverse_norms + p * PANEL_ROWS, dim, sum_f32x8);
        size_t valid = count_rows - p * PANEL_ROWS;
        unsigned valid_lanes = valid >= PANEL_ROWS ? 0xFFFFu : (1u << valid) - 1;
        for (size_t i = 0; i < m; i++) {
            rv_heap *heap = &heaps[first + i];
            // The cheap check: only lanes at or above the query's k-th best go to the heap.
            __m256 threshold = _mm256_set1_ps(heap->threshold);
            unsigned hits = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(sum_f32x8[2 * i], threshold, _CMP_GE_OQ))
                          | (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(sum_f32x8[2 * i + 1], threshold, _CMP_GE_OQ)) << 8;
            hits &= valid_lanes;
            if (hits == 0) continue;
            float scores[PANEL_ROWS];
            _mm256_storeu_ps(scores, sum_f32x8[2 * i]);
            _mm256_storeu_ps(scores + 8, sum_f32x8[2 * i + 1]);
            do {
                int lane = __builtin_ctz(hits);
                hits &= hits - 1;
                rv_heap_offer(heap, scores[lane], first_row + (int32_t)(p * PANEL_ROWS) + lane);
            } while (hits);
        }
    }
}

static void score(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim, float *out,
                  size_t out_stride) {
    size_t first = 0;
    for (; first + TILE_QUERIES <= queries->count; first += TILE_QUERIES)
        score_group(queries, first, TILE_QUERIES, packed, count_rows, dim, out, out_stride);
    switch (queries->count - first) {
    case 5: score_group(queries, first, 5, packed, count_rows, dim, out, out_stride); break;
    case 4: score_group(queries, first, 4, packed, count_rows, dim, out, out_stride); break;
    case 3: score_group(queries, first, 3, packed, count_rows, dim, out, out_stride); break;
    case 2: score_group(queries, first, 2, packed, count_rows, dim, out, out_stride); break;
    case 1: score_group(queries, first, 1, packed, count_rows, dim, out, out_stride); break;
    default: break;
    }
}

static void topk(const rv_query_block *queries, float *packed, size_t count_rows, size_t dim, int32_t first_row,
                 rv_heap *heaps) {
    size_t first = 0;
    for (; first + TILE_QUERIES <= queries->count; first += TILE_QUERIES)
        topk_group(queries, first, TILE_QUERIES, packed, count_rows, dim, first_row, heaps);
    switch (queries->count - first) {
    case 5: topk_group(queries, first, 5, packed, count_rows, dim, first_row, heaps); break;
    case 4: topk_group(queries, first, 4, packed, count_rows, dim, first_row, heaps); break;
    case 3: topk_group(queries, first, 3, packed, count_rows, dim, first_row, heaps); break;
    case 2: topk_group(queries, first, 2, packed, count_rows, dim, first_row, heaps); break;
    case 1: topk_group(queries, first, 1, packed, count_rows, dim, first_row, heaps); break;
    default: break;
    }
}

static void normalize(float *rows, size_t count_rows, size_t row_stride, size_t dim) {
    for (size_t r = 0; r < count_rows; r++) {
        float *row = rows + r * row_stride;
        __m256d sum_f64x4 = _mm256_setzero_pd();
        size_t j = 0;
        for (; j + 4 <= dim; j += 4) {
            __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(row + j));
            sum_f64x4 = _mm256_fmadd_pd(v, v, sum_f64x4);
        }
        double sum = rv_sum_f64x4(sum_f64x4);
        for (; j < dim; j++) sum += (double)row[j] * (double)row[j];
        if (sum == 0) continue;
        double scale = 1.0 / sqrt(sum);
        __m256d scale_f64x4 = _mm256_set1_pd(scale);
        for (j = 0; j + 4 <= dim; j += 4)
            _mm_storeu_ps(row + j, _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(row + j)), scale_f64x4)));
        for (; j < dim; j++) row[j] = (float)(row[j] * scale);
    }
}

const rv_score_isa rv_score_isa_avx2 = {packed_floats, pack, score, topk, normalize};

#pragma clang attribute pop
