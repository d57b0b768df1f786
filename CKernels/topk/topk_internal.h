// topk_internal.h: the per-ISA scan behind rv_topk_f32; not part of the public API.
#ifndef RV_TOPK_INTERNAL_H
#define RV_TOPK_INTERNAL_H

#include "../core/rv_heap.h"

/// One ISA's top-K kernels.
typedef struct rv_topk_isa {
    /// Offers scores[0 ..< count] as ids first_id ... to `heap`.
    void (*scan)(const float *scores, size_t count, int32_t first_id, rv_heap *heap);
} rv_topk_isa;

extern const rv_topk_isa rv_topk_isa_scalar;
extern const rv_topk_isa rv_topk_isa_avx2;

#endif
