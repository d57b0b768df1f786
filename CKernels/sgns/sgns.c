// sgns.c: SGNS tables, initialisation, validation, threads and dispatch (see rv_sgns.h).
#include "sgns_internal.h"
#include <math.h>
#include <stdlib.h>

static const uint64_t lcg_multiplier = 6364136223846793005ULL, lcg_increment = 1442695040888963407ULL;

/// The next draw's high 32 bits.
static inline uint32_t next_u32(uint64_t *state) {
    *state = *state * lcg_multiplier + lcg_increment;
    return (uint32_t)(*state >> 32);
}

/// One noise item: slot = (hi32 * count) >> 32, the low 32 bits of that product decide
/// between the slot and its alias (uniform given the slot).
static inline int32_t draw_noise(const rv_sgns_alias *table, size_t count_items, uint64_t *state) {
    uint64_t scaled = (uint64_t)next_u32(state) * (uint64_t)count_items;
    const rv_sgns_alias *slot = table + (scaled >> 32);
    return (uint32_t)scaled < slot->keep_below ? (int32_t)(scaled >> 32) : slot->alias;
}

rv_status rv_sgns_noise_table(const int64_t *counts, size_t count_items, double exponent, rv_sgns_alias *out_table) {
    if (!counts || !out_table || count_items == 0 || count_items > INT32_MAX || !isfinite(exponent))
        return RV_ERR_INVALID_ARGUMENT;
    double total = 0;
    for (size_t i = 0; i < count_items; i++) {
        if (counts[i] < 0) return RV_ERR_INVALID_ARGUMENT;
        if (counts[i] > 0) total += pow((double)counts[i], exponent);
    }
    if (!(total > 0) || !isfinite(total)) return RV_ERR_INVALID_ARGUMENT;
    double *scaled = malloc(count_items * sizeof(double));
    int32_t *small = malloc(count_items * sizeof(int32_t)), *large = malloc(count_items * sizeof(int32_t));
    if (!scaled || !small || !large) {
        free(scaled), free(small), free(large);
        return RV_ERR_OUT_OF_MEMORY;
    }
    size_t count_small = 0, count_large = 0;
    for (size_t i = 0; i < count_items; i++) {
        double weight = counts[i] > 0 ? pow((double)counts[i], exponent) : 0;
        scaled[i] = weight * (double)count_items / total;
        if (scaled[i] < 1) small[count_small++] = (int32_t)i;
        else large[count_large++] = (int32_t)i;
    }
    while (count_small > 0 && count_large > 0) {
        int32_t s = small[--count_small], l = large[--count_large];
        out_table[s].keep_below = (uint32_t)(scaled[s] * 4294967296.0);
        out_table[s].alias = l;
        scaled[l] = (scaled[l] + scaled[s]) - 1;
        if (scaled[l] < 1) small[count_small++] = l;
        else large[count_large++] = l;
    }
    // Leftovers (probability 1 up to rounding) keep themselves.
    while (count_large > 0) {
        int32_t l = large[--count_large];
        out_table[l] = (rv_sgns_alias){UINT32_MAX, l};
    }
    while (count_small > 0) {
        int32_t s = small[--count_small];
        out_table[s] = (rv_sgns_alias){UINT32_MAX, s};
    }
    free(scaled), free(small), free(large);
    return RV_OK;
}

rv_status rv_sgns_subsample_thresholds(const int64_t *counts, size_t count_items, double sample, uint64_t *out_keep) {
    if (!counts || !out_keep || count_items == 0 || !isfinite(sample) || sample < 0) return RV_ERR_INVALID_ARGUMENT;
    double total = 0;
    for (size_t i = 0; i < count_items; i++) {
        if (counts[i] < 0) return RV_ERR_INVALID_ARGUMENT;
        total += (double)counts[i];
    }
    const uint64_t always = 1ULL << 32;
    double threshold = sample * total;
    for (size_t i = 0; i < count_items; i++) {
        if (threshold == 0 || counts[i] == 0) {
            out_keep[i] = always;
            continue;
        }
        double f = (double)counts[i];
        double keep = (sqrt(f / threshold) + 1) * threshold / f;
        out_keep[i] = keep >= 1 ? always : (uint64_t)(keep * 4294967296.0);
    }
    return RV_OK;
}

rv_status rv_sgns_init_f32(float *input, size_t count_rows, size_t dim, uint64_t *rng_state) {
    if (!input || !rng_state || dim == 0) return RV_ERR_INVALID_ARGUMENT;
    uint64_t state = *rng_state;
    const float scale = 1.0f / (float)(1 << 24);
    for (size_t i = 0; i < count_rows * dim; i++)
        input[i] = ((float)(next_u32(&state) >> 8) * scale - 0.5f) / (float)dim;
    *rng_state = state;
    return RV_OK;
}

rv_status rv_sgns_step_f32(float *input, float *output, size_t count_rows, size_t dim, int32_t center,
                           const int32_t *contexts, size_t count_contexts, const int32_t *negatives,
                           size_t count_negatives, float learning_rate, float *out_loss) {
    if (!input || !output || !out_loss || dim == 0 || (count_contexts > 0 && !contexts) ||
        (count_negatives > 0 && !negatives) || !isfinite(learning_rate))
        return RV_ERR_INVALID_ARGUMENT;
    if (center < 0 || (size_t)center >= count_rows) return RV_ERR_OUT_OF_RANGE;
    for (size_t m = 0; m < count_contexts; m++)
        if (contexts[m] < 0 || (size_t)contexts[m] >= count_rows) return RV_ERR_OUT_OF_RANGE;
    for (size_t k = 0; k < count_negatives; k++)
        if (negatives[k] < 0 || (size_t)negatives[k] >= count_rows) return RV_ERR_OUT_OF_RANGE;
    float *scratch = malloc((count_contexts * (count_negatives + 1 + dim) + 1) * sizeof(float));
    if (!scratch) return RV_ERR_OUT_OF_MEMORY;
    // [center, negatives other than the center]
    int32_t *targets = malloc((count_negatives + 1) * sizeof(int32_t));
    if (!targets) {
        free(scratch);
        return RV_ERR_OUT_OF_MEMORY;
    }
    size_t count_targets = 0;
    targets[count_targets++] = center;
    for (size_t k = 0; k < count_negatives; k++)
        if (negatives[k] != center) targets[count_targets++] = negatives[k];
    *out_loss = count_contexts == 0 ? 0
        : RV_SIMD_TABLE(rv_sgns_isa)->update(input, output, dim, contexts, count_contexts, targets, count_targets, learning_rate, scratch);
    free(targets);
    free(scratch);
    return RV_OK;
}

// MARK: training

typedef struct {
    const rv_sgns_params *params;
    const int32_t *tokens;
    const int64_t *offsets;
    size_t count_sessions, count_tokens, count_rows, max_session;
    const rv_sgns_alias *noise;
    const uint64_t *keep;
    float *input, *output;
    const rv_sgns_isa *isa;
    uint64_t *rng_states;     // [threads]
    rv_sgns_stats *stats;     // [threads]
    int64_t tokens_before;
    int failed;               // set by a thread whose scratch allocation failed
} train_job;

/// A center whose random draws are made: its window reach and its targets (center, then noise).
typedef struct {
    size_t reach, count_targets;
} drawn_center;

enum { lookahead = 2 };

static inline void prefetch_row(const float *row, size_t dim) {
    for (size_t i = 0; i < dim; i += 16) __builtin_prefetch(row + i, 1);
}

static void train_thread(void *context, int thread, int count_threads) {
    train_job *job = context;
    const rv_sgns_params *p = job->params;
    const size_t dim = (size_t)p->dim, window = (size_t)p->window, negatives = (size_t)p->negatives;
    const size_t max_contexts = 2 * window, count_targets_max = negatives + 1;

    // Sessions [first, last) of about equal token count: the first session starting at or
    // after this thread's share of the tokens.
    size_t first = 0, last = 0;
    {
        size_t token_begin, token_end;
        rv_slice(job->count_tokens, thread, count_threads, &token_begin, &token_end);
        size_t lo = 0, hi = job->count_sessions;
        while (lo < hi) { // first session with offsets[s] >= token_begin
            size_t mid = lo + (hi - lo) / 2;
            if ((size_t)job->offsets[mid] < token_begin) lo = mid + 1; else hi = mid;
        }
        first = lo;
        hi = job->count_sessions;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if ((size_t)job->offsets[mid] < token_end) lo = mid + 1; else hi = mid;
        }
        last = thread == count_threads - 1 ? job->count_sessions : lo;
    }

    int32_t *kept = malloc((job->max_session + 1) * sizeof(int32_t));
    int32_t *contexts = malloc(max_contexts * sizeof(int32_t));
    drawn_center ring[lookahead + 1];
    int32_t *ring_targets = malloc((lookahead + 1) * count_targets_max * sizeof(int32_t));
    float *scratch = malloc(max_contexts * (count_targets_max + dim) * sizeof(float));
    if (!kept || !contexts || !ring_targets || !scratch) {
        __atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
        free(kept), free(contexts), free(ring_targets), free(scratch);
        return;
    }
    uint64_t state = job->rng_states[thread];
    double loss_sum = 0;
    int64_t pair_count = 0, tokens_seen = 0;
    const double rate_span = (double)p->learning_rate - (double)p->min_learning_rate;

    for (size_t s = first; s < last; s++) {
        const int32_t *session = job->tokens + job->offsets[s];
        const size_t length = (size_t)(job->offsets[s + 1] - job->offsets[s]);
        double progress = (double)(job->tokens_before + (int64_t)count_threads * tokens_seen) / (double)p->planned_tokens;
        float rate = progress >= 1 ? p->min_learning_rate : (float)((double)p->learning_rate - rate_span * progress);
        tokens_seen += (int64_t)length;

        size_t count_kept = 0;
        for (size_t i = 0; i < length; i++) {
            if (job->keep && (uint64_t)next_u32(&state) >= job->keep[session[i]]) continue;
            kept[count_kept++] = session[i];
        }
        if (count_kept < 2) continue; // no pair, and no draw spent on it
        // Centers are drawn (window shrink, then negatives) `lookahead` centers before they
        // train, in center order, so their rows can be prefetched.
        size_t count_drawn = 0;
        for (size_t i = 0; i < count_kept; i++) {
            for (; count_drawn < count_kept && count_drawn <= i + lookahead; count_drawn++) {
                drawn_center *d = ring + count_drawn % (lookahead + 1);
                int32_t *t = ring_targets + (count_drawn % (lookahead + 1)) * count_targets_max;
                d->reach = window;
                if (p->shrink_window) d->reach -= ((uint64_t)next_u32(&state) * window) >> 32;
                const int32_t center = kept[count_drawn];
                d->count_targets = 0;
                t[d->count_targets++] = center;
                for (size_t k = 0; k < negatives; k++) {
                    int32_t noise = draw_noise(job->noise, job->count_rows, &state);
                    if (noise != center) t[d->count_targets++] = noise;
                }
                for (size_t k = 0; k < d->count_targets; k++) prefetch_row(job->output + (size_t)t[k] * dim, dim);
                size_t entering = count_drawn + d->reach < count_kept ? count_drawn + d->reach : count_kept - 1;
                prefetch_row(job->input + (size_t)kept[entering] * dim, dim);
            }
            const drawn_center *d = ring + i % (lookahead + 1);
            const int32_t *t = ring_targets + (i % (lookahead + 1)) * count_targets_max;
            size_t begin = i > d->reach ? i - d->reach : 0;
            size_t end = i + d->reach + 1 < count_kept ? i + d->reach + 1 : count_kept;
            size_t count_contexts = 0;
            for (size_t j = begin; j < end; j++)
                if (j != i) contexts[count_contexts++] = kept[j];
            loss_sum += job->isa->update(job->input, job->output, dim, contexts, count_contexts, t, d->count_targets,
                                    rate, scratch);
            pair_count += (int64_t)count_contexts;
        }
    }
    job->rng_states[thread] = state;
    job->stats[thread] = (rv_sgns_stats){loss_sum, pair_count};
    free(kept), free(contexts), free(ring_targets), free(scratch);
}

rv_status rv_sgns_train_f32(const rv_sgns_params *params, const int32_t *tokens, size_t count_tokens,
                            const int64_t *offsets, size_t count_sessions, const rv_sgns_alias *noise,
                            const uint64_t *keep, float *input, float *output, size_t count_rows,
                            int count_threads, uint64_t *rng_state, int64_t *tokens_done,
                            rv_sgns_stats *out_stats) {
    if (!params || !offsets || !noise || !input || !output || !rng_state || !tokens_done || !out_stats ||
        (count_tokens > 0 && !tokens))
        return RV_ERR_INVALID_ARGUMENT;
    const rv_sgns_params *p = params;
    if (p->dim <= 0 || p->window <= 0 || p->negatives <= 0 || p->planned_tokens <= 0 || *tokens_done < 0 ||
        !isfinite(p->learning_rate) || !isfinite(p->min_learning_rate) || !(p->min_learning_rate > 0) ||
        !(p->min_learning_rate <= p->learning_rate) || count_rows == 0 || count_rows > INT32_MAX)
        return RV_ERR_INVALID_ARGUMENT;
    if (offsets[0] != 0 || offsets[count_sessions] != (int64_t)count_tokens) return RV_ERR_INVALID_ARGUMENT;
    size_t max_session = 0;
    for (size_t s = 0; s < count_sessions; s++) {
        if (offsets[s + 1] < offsets[s]) return RV_ERR_INVALID_ARGUMENT;
        size_t length = (size_t)(offsets[s + 1] - offsets[s]);
        if (length > max_session) max_session = length;
    }
    for (size_t i = 0; i < count_tokens; i++)
        if (tokens[i] < 0 || (size_t)tokens[i] >= count_rows) return RV_ERR_OUT_OF_RANGE;
    for (size_t i = 0; i < count_rows; i++)
        if (noise[i].alias < 0 || (size_t)noise[i].alias >= count_rows) return RV_ERR_OUT_OF_RANGE;

    int threads = rv_threads_resolve(count_threads);
    if ((size_t)threads > count_sessions) threads = count_sessions > 0 ? (int)count_sessions : 1;
    uint64_t *rng_states = malloc((size_t)threads * sizeof(uint64_t));
    rv_sgns_stats *stats = calloc((size_t)threads, sizeof(rv_sgns_stats));
    if (!rng_states || !stats) {
        free(rng_states), free(stats);
        return RV_ERR_OUT_OF_MEMORY;
    }
    rng_states[0] = *rng_state;
    for (int t = 1; t < threads; t++) rng_states[t] = rv_splitmix64_at(*rng_state, (uint64_t)t);

    train_job job = {
        .params = p, .tokens = tokens, .offsets = offsets, .count_sessions = count_sessions,
        .count_tokens = count_tokens, .count_rows = count_rows, .max_session = max_session,
        .noise = noise, .keep = keep, .input = input, .output = output, .isa = RV_SIMD_TABLE(rv_sgns_isa),
        .rng_states = rng_states, .stats = stats, .tokens_before = *tokens_done, .failed = 0,
    };
    rv_parallel(threads, train_thread, &job);
    rv_status status = job.failed ? RV_ERR_OUT_OF_MEMORY : RV_OK;
    rv_sgns_stats total = {0, 0};
    for (int t = 0; t < threads; t++) {
        total.loss_sum += stats[t].loss_sum;
        total.pair_count += stats[t].pair_count;
    }
    *out_stats = total;
    *rng_state = rng_states[0];
    *tokens_done += (int64_t)count_tokens;
    free(rng_states), free(stats);
    return status;
}
