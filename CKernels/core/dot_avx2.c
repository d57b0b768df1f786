// dot_avx2.c: the f32 dot product with AVX2 + FMA, 32 floats per step in four independent
// accumulators (one 64-dim embedding = two steps).
#include "rv_vector.h"
#include "rv_simd_avx2.h"

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

static float dot_f32(const float *a, const float *b, size_t dim) {
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
    float sum = rv_sum_f32x8(_mm256_add_ps(_mm256_add_ps(sum0_f32x8, sum1_f32x8), _mm256_add_ps(sum2_f32x8, sum3_f32x8)));
    for (; i < dim; i++) sum += a[i] * b[i];
    return sum;
}

const rv_vector_isa rv_vector_isa_avx2 = {dot_f32};

#pragma clang attribute pop
