// rv_simd_avx2.h: small AVX2 helpers every kernel family's AVX2 file shares; not part of the
// public API. Include only from files compiled under the avx2,fma target attribute.
#ifndef RV_SIMD_AVX2_H
#define RV_SIMD_AVX2_H

#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

/// The horizontal sum of 8 floats: the halves added, then pairs, then the last two lanes.
static inline float rv_sum_f32x8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The horizontal sum of 4 doubles: (lane 0 + lane 1) + (lane 2 + lane 3).
static inline double rv_sum_f64x4(__m256d v) {
    __m128d pairs = _mm_hadd_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(pairs, _mm_unpackhi_pd(pairs, pairs)));
}

#pragma clang attribute pop

#endif
