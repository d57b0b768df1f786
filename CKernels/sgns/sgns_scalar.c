// sgns_scalar.c: the SGNS minibatch update in plain C (the fallback path).
// No contraction into FMA, so this path does the Swift twin's float operations in the twin's
// order, with libm's expf/logf (which Swift's exp/log call): the tests expect identical bits.
#include "sgns_internal.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF

static float update(float *input, float *output, size_t dim, const int32_t *contexts,
                            size_t count_contexts, const int32_t *targets, size_t count_targets,
                            float learning_rate, float *scratch) {
    float *gradient = scratch;                                   // [count_contexts][count_targets]
    float *input_delta = scratch + count_contexts * count_targets; // [count_contexts][dim]
    float loss = 0;
    for (size_t m = 0; m < count_contexts; m++) {
        const float *in = input + (size_t)contexts[m] * dim;
        for (size_t n = 0; n < count_targets; n++) {
            const float *out = output + (size_t)targets[n] * dim;
            float dot = 0;
            for (size_t i = 0; i < dim; i++) dot += in[i] * out[i];
            float z = n == 0 ? dot : -dot;
            z = fminf(fmaxf(z, -RV_SGNS_LOGIT_CLAMP), RV_SGNS_LOGIT_CLAMP);
            float e = expf(-z);
            float q = 1.0f + e;
            float g = learning_rate * (e / q);
            gradient[m * count_targets + n] = n == 0 ? g : -g;
            loss += logf(q);
        }
    }
    for (size_t m = 0; m < count_contexts; m++) {
        float *delta = input_delta + m * dim;
        for (size_t i = 0; i < dim; i++) delta[i] = 0;
        for (size_t n = 0; n < count_targets; n++) {
            const float *out = output + (size_t)targets[n] * dim;
            float g = gradient[m * count_targets + n];
            for (size_t i = 0; i < dim; i++) delta[i] += g * out[i];
        }
    }
    for (size_t n = 0; n < count_targets; n++) {
        float *out = output + (size_t)targets[n] * dim;
        for (size_t m = 0; m < count_contexts; m++) {
            const float *in = input + (size_t)contexts[m] * dim;
            float g = gradient[m * count_targets + n];
            for (size_t i = 0; i < dim; i++) out[i] += g * in[i];
        }
    }
    for (size_t m = 0; m < count_contexts; m++) {
        float *in = input + (size_t)contexts[m] * dim;
        const float *delta = input_delta + m * dim;
        for (size_t i = 0; i < dim; i++) in[i] += delta[i];
    }
    return loss;
}

const rv_sgns_isa rv_sgns_isa_scalar = {update};
