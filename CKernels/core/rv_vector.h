// rv_vector.h: the f32 dot product, one kernel per ISA, and the per-ISA table it is reached
// through; not part of the public API. HNSW scores every visited node with it; the batch
// scorers of score/ are tiled kernels of their own (score_internal.h says why).
#ifndef RV_VECTOR_H
#define RV_VECTOR_H

#include <stddef.h>

/// One ISA's single-pair vector kernels.
typedef struct rv_vector_isa {
    /// a · b over `dim` floats (AVX2: four 8-float accumulators; scalar: four float accumulators).
    float (*dot_f32)(const float *a, const float *b, size_t dim);
} rv_vector_isa;

extern const rv_vector_isa rv_vector_isa_scalar;
extern const rv_vector_isa rv_vector_isa_avx2;

#endif
