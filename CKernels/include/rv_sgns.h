// rv_sgns.h: skip-gram with negative sampling (SGNS) over sessions of item ids.
//
// The model (word2vec's convention): every item has an input vector (row of `input`, "syn0")
// and an output vector (row of `output`, "syn1neg"). For a center item c and a context item x
// within `window` positions of it in the same session, the input vector of x is trained to
// score c's output vector high and `negatives` noise items' output vectors low:
//     loss = -log σ(in_x · out_c) - Σ_k log σ(-in_x · out_{n_k}).
//
// Shared negatives (Ji et al., "Parallelizing Word2Vec in Shared and Distributed Memory",
// 2016): the negatives are drawn once per center and shared by all its context items, and the
// center's whole window is one minibatch: every logit in_x · out_t (x over the contexts, t over
// the center and its negatives) is computed from the vectors as they were before the window,
// then the gradients are applied — to the output rows (t in order, contexts in order inside
// each) and then to the input rows. This turns the window into small matrix products and draws
// K noise samples per center instead of K per pair. A negative equal to the center is dropped
// (word2vec skips it too).
//
// Random numbers: one 64-bit linear congruential generator per thread,
//     state = state * 6364136223846793005 + 1442695040888963407   (Knuth's MMIX constants),
// whose high 32 bits are used. Thread 0 runs on the caller's state, which comes back advanced
// (gensim's `next_random`); thread t > 0 starts from SplitMix64's finaliser of
// state + t * 0x9E3779B97F4A7C15 (the C side's one SplitMix64, CKernels/core/rv_random.h).
// Per session, in order: when subsampling is on, one draw per token (kept when its high 32
// bits are below the item's keep threshold); then, when at least 2 tokens are kept, per kept
// center in order: one draw for the window shrink when shrink_window is set
// (b = (hi32 * window) >> 32, window - b positions each side), then `negatives` draws from
// the alias table. (The draws run a couple of centers ahead of the updates, so that the rows
// they name can be prefetched; they do not depend on the vectors, so the order is the same.)
//
// Learning rate: linear from learning_rate to min_learning_rate over planned_tokens tokens
// (every token counts, subsampled or not), set at the start of each session from the tokens
// done so far; thread t of T estimates that as tokens_done + T * (tokens it has done).
#ifndef RV_SGNS_H
#define RV_SGNS_H
#include "rv_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Logits are clamped to [-RV_SGNS_LOGIT_CLAMP, RV_SGNS_LOGIT_CLAMP] before the sigmoid
/// (σ(20) = 1 - 2e-9: no gradient is lost that float could hold).
#define RV_SGNS_LOGIT_CLAMP 20.0f

/// One entry of the noise alias table (Vose): a draw picks slot i uniformly and keeps i when
/// the next 32 random bits are below `keep_below`, else takes `alias`.
typedef struct rv_sgns_alias {
    uint32_t keep_below;
    int32_t alias;
} rv_sgns_alias;

/// Hyperparameters of one training call.
typedef struct rv_sgns_params {
    int32_t dim;
    int32_t window;          // context positions each side of the center, >= 1
    int32_t negatives;       // noise samples per center, >= 1
    int32_t shrink_window;   // 1: word2vec's random window shrink per center; 0: full windows
    float learning_rate;     // at token 0, > 0
    float min_learning_rate; // at planned_tokens and after, in (0, learning_rate]
    int64_t planned_tokens;  // tokens over the whole run (all calls, all epochs), >= 1
} rv_sgns_params;

/// What one training call did.
typedef struct rv_sgns_stats {
    double loss_sum;     // Σ over trained pairs of the pair's negative-sampling loss
    int64_t pair_count;  // (center, context) pairs trained
} rv_sgns_stats;

/// The noise distribution P(i) ∝ counts[i]^exponent as a Vose alias table in
/// `out_table[count_items]`. Items with count 0 get no noise mass whatever the exponent (so a
/// negative exponent, which favours rare items, never picks an unseen one). Weights are summed
/// in double in index order; p_i = w_i * count_items / Σw; slots with p_i < 1 are "small";
/// small and large slots are kept as stacks (pushed in index order, popped from the top);
/// keep_below = (uint32)(p * 2^32), and slots left at the end keep themselves.
/// RV_ERR_INVALID_ARGUMENT when a count is negative, every count is 0, or the exponent is not finite.
rv_status rv_sgns_noise_table(const int64_t *counts, size_t count_items, double exponent, rv_sgns_alias *out_table);

/// Frequent-item subsampling thresholds, word2vec.c's formula (gensim's too): with
/// N = Σ counts and f = counts[i], P(keep i) = (sqrt(f / (sample N)) + 1) (sample N) / f,
/// and out_keep[i] = min(P, 1) * 2^32 (truncated): a token is kept when the high 32 bits of its
/// draw are below it. sample = 0 turns subsampling off (every threshold 2^32); items with
/// count 0 are always kept. RV_ERR_INVALID_ARGUMENT for a negative or non-finite sample or count.
rv_status rv_sgns_subsample_thresholds(const int64_t *counts, size_t count_items, double sample, uint64_t *out_keep);

/// word2vec's initialisation of the input vectors: input[i] uniform in (-0.5/dim, 0.5/dim),
/// row-major, one LCG draw per value: ((hi32 >> 8) * 2^-24 - 0.5) / dim. Output vectors start at
/// zero (the caller's job). `*rng_state` comes back advanced.
rv_status rv_sgns_init_f32(float *input, size_t count_rows, size_t dim, uint64_t *rng_state);

/// One minibatch update, the unit of training (exposed for tests): center `center`, context
/// items `contexts[count_contexts]`, noise items `negatives[count_negatives]` (those equal to
/// the center are dropped), learning rate `learning_rate`. Updates `input` and `output`
/// (count_rows x dim, row-major) in place; `*out_loss` gets Σ of the pairs' losses.
/// Allocates (and frees) scratch of count_contexts (count_negatives + 1 + dim) floats.
rv_status rv_sgns_step_f32(float *input, float *output, size_t count_rows, size_t dim, int32_t center,
                           const int32_t *contexts, size_t count_contexts, const int32_t *negatives,
                           size_t count_negatives, float learning_rate, float *out_loss);

/// One pass over the sessions tokens[offsets[s] .. offsets[s + 1]) (count_sessions + 1
/// offsets, non-decreasing, offsets[0] = 0, offsets[count_sessions] = count_tokens), on
/// count_threads threads (<= 0: all) Hogwild-style, each on a contiguous run of sessions of
/// about equal token count. With one thread the result is a pure function of the arguments.
/// `noise[count_rows]` from rv_sgns_noise_table, `keep[count_rows]` from
/// rv_sgns_subsample_thresholds or NULL for no subsampling. `*rng_state` and `*tokens_done`
/// (tokens trained before this call; += count_tokens) come back advanced; `*out_stats` is
/// overwritten. Allocates per-thread scratch for the call (RV_ERR_OUT_OF_MEMORY if that fails).
/// RV_ERR_OUT_OF_RANGE for a token or alias outside [0, count_rows); RV_ERR_INVALID_ARGUMENT
/// for bad parameters or offsets. Nothing is written unless every check passes.
rv_status rv_sgns_train_f32(const rv_sgns_params *params, const int32_t *tokens, size_t count_tokens,
                            const int64_t *offsets, size_t count_sessions, const rv_sgns_alias *noise,
                            const uint64_t *keep, float *input, float *output, size_t count_rows,
                            int count_threads, uint64_t *rng_state, int64_t *tokens_done,
                            rv_sgns_stats *out_stats);

#ifdef __cplusplus
}
#endif
#endif
