// hnsw_internal.h: the index struct and the per-ISA distance kernels of the HNSW family.
#ifndef RV_HNSW_INTERNAL_H
#define RV_HNSW_INTERNAL_H

#include "rv_hnsw.h"
#include "../core/rv_internal.h"

/// Inner product of two `dim`-float vectors: the similarity every HNSW layer search uses.
typedef float (*rv_hnsw_dot_fn)(const float *a, const float *b, size_t dim);

float rv_hnsw_dot_scalar(const float *a, const float *b, size_t dim);
float rv_hnsw_dot_avx2(const float *a, const float *b, size_t dim);

#endif
