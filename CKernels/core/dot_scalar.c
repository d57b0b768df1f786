// dot_scalar.c: the portable f32 dot product (kept apart from the AVX2 file so the compiler
// never vectorises it with instructions an older CPU lacks).
#include "rv_vector.h"

static float dot_f32(const float *a, const float *b, size_t dim) {
    float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
    size_t i = 0;
    for (; i + 4 <= dim; i += 4) {
        sum0 += a[i] * b[i];
        sum1 += a[i + 1] * b[i + 1];
        sum2 += a[i + 2] * b[i + 2];
        sum3 += a[i + 3] * b[i + 3];
    }
    for (; i < dim; i++) sum0 += a[i] * b[i];
    return (sum0 + sum1) + (sum2 + sum3);
}

const rv_vector_isa rv_vector_isa_scalar = {dot_f32};
