// topk_avx2.c: the scan of a score row into a heap, comparing 8 scores at a time with the
// heap's threshold so that only candidates reach the heap.
#include "topk_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

static void scan(const float *scores, size_t count, int32_t first_id, rv_heap *heap) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 score_f32x8 = _mm256_loadu_ps(scores + i);
        unsigned hits = (unsigned)_mm256_movemask_ps(
            _mm256_cmp_ps(score_f32x8, _mm256_set1_ps(heap->threshold), _CMP_GE_OQ));
        while (hits) {
            int lane = __builtin_ctz(hits);
            hits &= hits - 1;
            rv_heap_offer(heap, scores[i + lane], first_id + (int32_t)(i + lane));
        }
    }
    for (; i < count; i++)
        if (scores[i] >= heap->threshold) rv_heap_offer(heap, scores[i], first_id + (int32_t)i);
}

const rv_topk_isa rv_topk_isa_avx2 = {scan};

#pragma clang attribute pop
