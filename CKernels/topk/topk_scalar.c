// topk_scalar.c: the portable scan of a score row into a heap.
#include "topk_internal.h"

static void scan(const float *scores, size_t count, int32_t first_id, rv_heap *heap) {
    for (size_t i = 0; i < count; i++)
        if (scores[i] >= heap->threshold) rv_heap_offer(heap, scores[i], first_id + (int32_t)i);
}

const rv_topk_isa rv_topk_isa_scalar = {scan};
