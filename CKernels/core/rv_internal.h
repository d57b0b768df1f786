// rv_internal.h: helpers shared by the kernel families; not part of the public API.
#ifndef RV_INTERNAL_H
#define RV_INTERNAL_H

#include "rv_core.h"
#include <stdint.h>

/// A task run on every thread of a parallel region: thread in [0, count_threads).
typedef void (*rv_task_fn)(void *context, int thread, int count_threads);

/// Runs `task` on `count_threads` threads through libomp's runtime (count_threads <= 0: all)
/// and returns when all have finished. One thread runs inline, with no runtime call.
void rv_parallel(int count_threads, rv_task_fn task, void *context);

/// The per-ISA table `family`_avx2 or `family`_scalar (a struct of function pointers each ISA
/// file defines) for the ISA active now. Every kernel family dispatches this way, once per batch
/// call, never per row: `const rv_score_isa *isa = RV_SIMD_TABLE(rv_score_isa);`.
#define RV_SIMD_TABLE(family) (rv_simd_level_active() == RV_SIMD_AVX2 ? &family##_avx2 : &family##_scalar)

/// Resolves a caller's thread count: <= 0 means rv_threads_max().
int rv_threads_resolve(int count_threads);

/// The half-open slice [*begin, *end) of [0, count) that `thread` of `count_threads` owns.
static inline void rv_slice(size_t count, int thread, int count_threads, size_t *begin, size_t *end) {
    size_t per = count / (size_t)count_threads, extra = count % (size_t)count_threads;
    size_t t = (size_t)thread;
    *begin = t * per + (t < extra ? t : extra);
    *end = *begin + per + (t < extra ? 1 : 0);
}

/// Whether `count` vectors of `dim` floats, `stride` apart, can be addressed: a non-NULL pointer
/// (unless count is 0), stride >= dim and no size_t overflow.
static inline int rv_matrix_ok(const float *values, size_t count, size_t stride, size_t dim) {
    if (stride < dim) return 0;
    if (count == 0) return 1;
    if (values == NULL) return 0;
    return count - 1 <= (SIZE_MAX / sizeof(float) - dim) / (stride > 0 ? stride : 1);
}

#endif
