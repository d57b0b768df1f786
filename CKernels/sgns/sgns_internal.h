// sgns_internal.h: the per-ISA minibatch update shared by rv_sgns_step_f32 and rv_sgns_train_f32.
#ifndef RV_SGNS_INTERNAL_H
#define RV_SGNS_INTERNAL_H

#include "../core/rv_internal.h"
#include "../core/rv_random.h"
#include "rv_sgns.h"

/// One window as a minibatch (see rv_sgns.h): contexts' input rows against targets' output
/// rows, targets[0] the center (label 1), the rest noise (label 0), none equal to the center.
/// For every pair (m, n): z = ±(in_m · out_n) (+ for the center) clamped to ±RV_SGNS_LOGIT_CLAMP,
/// e = exp(-z), g = learning_rate * e / (1 + e), signed like z, loss += log(1 + e).
/// Then out_n += Σ_m g[m][n] in_m (n in order, m in order, on the old input rows) and
/// in_m += Σ_n g[m][n] out_n (the sum over n computed on the old output rows first).
/// `scratch` holds count_contexts * (count_targets + dim) floats. Returns Σ loss.
/// One ISA's SGNS kernels.
typedef struct rv_sgns_isa {
    float (*update)(float *input, float *output, size_t dim, const int32_t *contexts, size_t count_contexts,
                    const int32_t *targets, size_t count_targets, float learning_rate, float *scratch);
} rv_sgns_isa;

extern const rv_sgns_isa rv_sgns_isa_scalar;
extern const rv_sgns_isa rv_sgns_isa_avx2;

#endif
