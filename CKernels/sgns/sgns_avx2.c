// sgns_avx2.c: the SGNS minibatch update with AVX2 + FMA.
//
// Vectors are walked 8 floats at a time with a masked tail, so any dim works; dims 32, 64 and
// 128 get their own unrolled copies (at d = 32 a row is four registers). Logits are computed
// target by target against 8 context rows at once. The sigmoid and the loss use Cephes-style expf/logf polynomials over 8
// logits at once (relative error within 2 ulp on the clamped range, the bound the tests use).
#include "sgns_internal.h"
#include "../core/rv_simd_avx2.h"

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

static const int32_t tail_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/// Lanes [0, remaining) set, remaining in [0, 8].
static inline __m256i tail_mask(size_t remaining) {
    return _mm256_loadu_si256((const __m256i *)(tail_mask_table + 8 - remaining));
}

/// exp(x) for x in [-88, 88] (Cephes expf: 2^n times a degree-7 polynomial).
static inline __m256 exp_f32x8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
}

/// log(x) for positive normal x (Cephes logf: exponent plus a degree-9 polynomial of the
/// mantissa in [sqrt(1/2), sqrt(2))).
static inline __m256 log_f32x8(__m256 x) {
    __m256i bits = _mm256_castps_si256(x);
    __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
    // mantissa in [0.5, 1)
    x = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                            _mm256_set1_epi32(0x3f000000)));
    __m256 small = _mm256_cmp_ps(x, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
    e = _mm256_sub_ps(e, _mm256_and_ps(_mm256_set1_ps(1.0f), small));
    x = _mm256_add_ps(_mm256_sub_ps(x, _mm256_set1_ps(1.0f)), _mm256_and_ps(x, small));
    __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(7.0376836292e-2f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.1514610310e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.1676998740e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.2420140846e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.4249322787e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.6668057665e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(2.0000714765e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-2.4999993993e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(3.3333331174e-1f));
    y = _mm256_mul_ps(_mm256_mul_ps(y, x), z);
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
    x = _mm256_add_ps(x, y);
    return _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), x);
}

/// Lanes [0, dim - i) of the chunk at i (all 8 when a full chunk is left).
static inline __m256i chunk_mask(size_t dim, size_t i) { return tail_mask(dim - i < 8 ? dim - i : 8); }

/// The dot products of `row` with 8 rows at once: one accumulator per row over the chunks of
/// dim, then a transposing horizontal-add tree that leaves dot k in lane k.
static inline __attribute__((always_inline)) __m256 dot8_f32(const float *row, const float *const rows[8], size_t dim) {
    __m256 sum_f32x8[8];
    for (int k = 0; k < 8; k++) sum_f32x8[k] = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= dim; i += 8) {
        __m256 x = _mm256_loadu_ps(row + i);
        for (int k = 0; k < 8; k++) sum_f32x8[k] = _mm256_fmadd_ps(x, _mm256_loadu_ps(rows[k] + i), sum_f32x8[k]);
    }
    if (i < dim) {
        __m256i mask = tail_mask(dim - i);
        __m256 x = _mm256_maskload_ps(row + i, mask);
        for (int k = 0; k < 8; k++) sum_f32x8[k] = _mm256_fmadd_ps(x, _mm256_maskload_ps(rows[k] + i, mask), sum_f32x8[k]);
    }
    __m256 s01 = _mm256_hadd_ps(sum_f32x8[0], sum_f32x8[1]), s23 = _mm256_hadd_ps(sum_f32x8[2], sum_f32x8[3]);
    __m256 s45 = _mm256_hadd_ps(sum_f32x8[4], sum_f32x8[5]), s67 = _mm256_hadd_ps(sum_f32x8[6], sum_f32x8[7]);
    __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
    // s0123 = [0 1 2 3 | 0 1 2 3] halves of each sum; likewise s4567.
    __m256 low = _mm256_permute2f128_ps(s0123, s4567, 0x20), high = _mm256_permute2f128_ps(s0123, s4567, 0x31);
    return _mm256_add_ps(low, high);
}

/// row[i] = base[i] + Σ_k coefficients[k * stride] * matrix[ids[k]][i] (base NULL: 0), k in
/// order. Four chunks (32 floats) at a time in registers, then single chunks, the last masked.
static inline __attribute__((always_inline)) void combine_f32(float *row, const float *base, const float *coefficients,
                                                              size_t stride, const float *matrix, const int32_t *ids,
                                                              size_t count, size_t dim) {
    size_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        __m256 a0, a1, a2, a3;
        if (base) {
            a0 = _mm256_loadu_ps(base + i), a1 = _mm256_loadu_ps(base + i + 8);
            a2 = _mm256_loadu_ps(base + i + 16), a3 = _mm256_loadu_ps(base + i + 24);
        } else {
            a0 = a1 = a2 = a3 = _mm256_setzero_ps();
        }
        for (size_t k = 0; k < count; k++) {
            const float *v = matrix + (size_t)ids[k] * dim + i;
            __m256 g = _mm256_set1_ps(coefficients[k * stride]);
            a0 = _mm256_fmadd_ps(g, _mm256_loadu_ps(v), a0);
            a1 = _mm256_fmadd_ps(g, _mm256_loadu_ps(v + 8), a1);
            a2 = _mm256_fmadd_ps(g, _mm256_loadu_ps(v + 16), a2);
            a3 = _mm256_fmadd_ps(g, _mm256_loadu_ps(v + 24), a3);
        }
        _mm256_storeu_ps(row + i, a0), _mm256_storeu_ps(row + i + 8, a1);
        _mm256_storeu_ps(row + i + 16, a2), _mm256_storeu_ps(row + i + 24, a3);
    }
    for (; i < dim; i += 8) {
        __m256i mask = chunk_mask(dim, i);
        __m256 a = base ? _mm256_maskload_ps(base + i, mask) : _mm256_setzero_ps();
        for (size_t k = 0; k < count; k++)
            a = _mm256_fmadd_ps(_mm256_set1_ps(coefficients[k * stride]),
                                _mm256_maskload_ps(matrix + (size_t)ids[k] * dim + i, mask), a);
        _mm256_maskstore_ps(row + i, mask, a);
    }
}

/// Turns logits x into signed gradients (sign ^ lr e / (1 + e) with z = sign ^ x clamped,
/// e = exp(-z)) in place, 8 at a time, and adds log(1 + e) to *loss_f32x8.
static inline __attribute__((always_inline)) void gradients_f32(float *values, size_t count, __m256 sign,
                                                                float learning_rate, __m256 *loss_f32x8) {
    const __m256 clamp = _mm256_set1_ps(RV_SGNS_LOGIT_CLAMP), rate = _mm256_set1_ps(learning_rate);
    for (size_t i = 0; i < count; i += 8) {
        __m256i mask = chunk_mask(count, i);
        __m256 z = _mm256_xor_ps(sign, _mm256_maskload_ps(values + i, mask));
        z = _mm256_min_ps(_mm256_max_ps(z, _mm256_sub_ps(_mm256_setzero_ps(), clamp)), clamp);
        __m256 e = exp_f32x8(_mm256_sub_ps(_mm256_setzero_ps(), z));
        __m256 q = _mm256_add_ps(_mm256_set1_ps(1.0f), e);
        _mm256_maskstore_ps(values + i, mask, _mm256_xor_ps(sign, _mm256_mul_ps(rate, _mm256_div_ps(e, q))));
        *loss_f32x8 = _mm256_add_ps(*loss_f32x8, _mm256_and_ps(log_f32x8(q), _mm256_castsi256_ps(mask)));
    }
}

/// The update for one dim; always inlined so that the common dims get their own unrolled copy.
static inline __attribute__((always_inline)) float update(float *input, float *output, size_t dim,
                                                          const int32_t *contexts, size_t count_contexts,
                                                          const int32_t *targets, size_t count_targets,
                                                          float learning_rate, float *scratch) {
    const size_t count_pairs = count_contexts * count_targets;
    // Target-major: gradient[n * count_contexts + m], so the center's row comes first.
    float *gradient = scratch;
    float *input_delta = scratch + count_pairs; // [count_contexts][dim]

    // Logits: each target's output row against up to 8 contexts' input rows at once (short
    // blocks repeat their first row and store only their lanes).
    for (size_t m = 0; m < count_contexts; m += 8) {
        size_t block = count_contexts - m < 8 ? count_contexts - m : 8;
        const float *rows[8];
        for (size_t k = 0; k < 8; k++) rows[k] = input + (size_t)contexts[m + (k < block ? k : 0)] * dim;
        for (size_t n = 0; n < count_targets; n++) {
            __m256 dots = dot8_f32(output + (size_t)targets[n] * dim, rows, dim);
            if (block == 8) _mm256_storeu_ps(gradient + n * count_contexts + m, dots);
            else _mm256_maskstore_ps(gradient + n * count_contexts + m, tail_mask(block), dots);
        }
    }
    __m256 loss_f32x8 = _mm256_setzero_ps();
    gradients_f32(gradient, count_contexts, _mm256_setzero_ps(), learning_rate, &loss_f32x8);
    gradients_f32(gradient + count_contexts, count_pairs - count_contexts, _mm256_set1_ps(-0.0f), learning_rate,
                  &loss_f32x8);

    // input_delta[m] = Σ_n g[n][m] out_n, on the old output rows.
    for (size_t m = 0; m < count_contexts; m++)
        combine_f32(input_delta + m * dim, NULL, gradient + m, count_contexts, output, targets, count_targets, dim);
    // out_n += Σ_m g[n][m] in_m, on the old input rows.
    for (size_t n = 0; n < count_targets; n++) {
        float *out = output + (size_t)targets[n] * dim;
        combine_f32(out, out, gradient + n * count_contexts, 1, input, contexts, count_contexts, dim);
    }
    // in_m += input_delta[m].
    for (size_t m = 0; m < count_contexts; m++) {
        float *in = input + (size_t)contexts[m] * dim;
        const float *delta = input_delta + m * dim;
        for (size_t i = 0; i < dim; i += 8) {
            __m256i mask = chunk_mask(dim, i);
            _mm256_maskstore_ps(in + i, mask, _mm256_add_ps(_mm256_maskload_ps(in + i, mask), _mm256_maskload_ps(delta + i, mask)));
        }
    }
    return rv_sum_f32x8(loss_f32x8);
}

static float update_any_dim(float *input, float *output, size_t dim, const int32_t *contexts,
                          size_t count_contexts, const int32_t *targets, size_t count_targets,
                          float learning_rate, float *scratch) {
    switch (dim) {
    case 32: return update(input, output, 32, contexts, count_contexts, targets, count_targets, learning_rate, scratch);
    case 64: return update(input, output, 64, contexts, count_contexts, targets, count_targets, learning_rate, scratch);
    case 128: return update(input, output, 128, contexts, count_contexts, targets, count_targets, learning_rate, scratch);
    default: return update(input, output, dim, contexts, count_contexts, targets, count_targets, learning_rate, scratch);
    }
}

const rv_sgns_isa rv_sgns_isa_avx2 = {update_any_dim};

#pragma clang attribute pop
