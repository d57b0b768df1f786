// hnsw_distance_avx2.c: the inner product with AVX2 + FMA, 32 floats per step in four
// independent accumulators (one 64-dim embedding = two steps).
#include "hnsw_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

float rv_hnsw_dot_avx2(const float *a, const float *b, size_t dim) {
    __m256 sum0_f32x8 = _mm256_setzero_ps(), sum1_f32x8 = _mm256_setzero_ps();
    __m256 sum2_f32x8 = _mm256_setzero_ps(), sum3_f32x8 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        sum0_f32x8 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0_f32x8);
        sum1_f32x8 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), sum1_f32x8);
        sum2_f32x8 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), sum2_f32x8);
        sum3_f32x8 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), sum3_f32x8);
    }
    for (; i + 8 <= dim; i += 8) {
        sum0_f32x8 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0_f32x8);
    }
    __m256 sum_f32x8 = _mm256_add_ps(_mm256_add_ps(sum0_f32x8, sum1_f32x8), _mm256_add_ps(sum2_f32x8, sum3_f32x8));
    __m128 sum_f32x4 = _mm_add_ps(_mm256_castps256_ps128(sum_f32x8), _mm256_extractf128_ps(sum_f32x8, 1));
    sum_f32x4 = _mm_add_ps(sum_f32x4, _mm_movehl_ps(sum_f32x4, sum_f32x4));
    sum_f32x4 = _mm_add_ss(sum_f32x4, _mm_movehdup_ps(sum_f32x4));
    float sum = _mm_cvtss_f32(sum_f32x4);
    for (; i < dim; i++) sum += a[i] * b[i];
    return sum;
}

#pragma clang attribute pop

#else
float rv_hnsw_dot_avx2(const float *a, const float *b, size_t dim) { return rv_hnsw_dot_scalar(a, b, dim); }
#endif
