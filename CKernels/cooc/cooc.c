// cooc.c: co-occurrence entry points: validation, the occurrence index, threads and the CSR
// result. The row loop itself is in cooc_scalar.c.
//
// Plan: (1) check the corpus; (2) build the occurrence index item -> positions with a counting
// sort, in parallel over slices of the token stream (slices in order, so every item's positions
// come out ascending); (3) cut the rows into chunks of about equal work (occurrences) and let
// threads take chunks in turn, largest first (one very popular item can outweigh a share); each
// row is gathered whole by one thread into its accumulator and emitted in ascending column
// order. Which thread runs a chunk never changes its output, so results are the same for every
// thread count.
#include "cooc_internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/// Chunks per thread for the row pass: enough for the dynamic schedule to even out skewed
/// (Zipf-like) rows and a busy machine, few enough that per-chunk buffers stay large.
enum { CHUNKS_PER_THREAD = 16 };

typedef struct {
    int32_t first_row, end_row;
    // CSR only: the chunk's non-zeros, rows in order.
    int32_t *columns;
    float *values;
    int64_t count, capacity;
} chunk;

/// A chunk's place in the schedule: most work first, ties by index.
typedef struct {
    int64_t work, index;
} chunk_rank;

struct rv_cooc_csr {
    int32_t count_items;
    int count_threads;
    int64_t count_nonzeros;
    int64_t *row_counts; // non-zeros per row
    chunk *chunks;
    int64_t count_chunks;
};

/// Everything one call shares between its threads.
typedef struct {
    const int32_t *tokens;
    int64_t count_tokens;
    const int64_t *offsets;
    int64_t count_sessions;
    int32_t count_items;
    int32_t window;
    int forward_only;

    // Index build: the token stream cut into `count_slices` slices; slice s counts into
    // slice_cursors[s * count_items ...], later its write cursors.
    int64_t count_slices;
    int64_t *slice_cursors;
    rv_cooc_occurrence *occurrences;
    int64_t *item_offsets;
    double *weights;

    // Row pass.
    chunk *chunks;
    int64_t count_chunks;
    chunk_rank *schedule; // the order threads take chunks in
    _Atomic int64_t next_chunk;
    float *dense_out; // dense: rows of `dense_stride` floats; NULL for CSR
    int64_t dense_stride;
    int64_t *row_counts; // CSR

    _Atomic int status; // RV_OK until a thread fails
} job;

static void fail(job *j, rv_status status) {
    int expected = RV_OK;
    atomic_compare_exchange_strong(&j->status, &expected, (int)status);
}

static int failed(job *j) { return atomic_load_explicit(&j->status, memory_order_relaxed) != RV_OK; }

/// Checks the arguments every entry point shares; sets *longest_session.
static rv_status check_corpus(const int32_t *tokens, int64_t count_tokens, const int64_t *offsets,
                              int64_t count_sessions, int32_t count_items, int32_t window,
                              rv_cooc_weighting weighting, int64_t *longest_session) {
    if (!tokens || !offsets || count_tokens <= 0 || count_tokens > RV_COOC_MAX_TOKENS || count_sessions <= 0 ||
        count_items <= 0 || window <= 0 || window > RV_COOC_MAX_WINDOW)
        return RV_ERR_INVALID_ARGUMENT;
    if (weighting != RV_COOC_COUNT && weighting != RV_COOC_INVERSE_DISTANCE) return RV_ERR_INVALID_ARGUMENT;
    if (offsets[0] != 0 || offsets[count_sessions] != count_tokens) return RV_ERR_INVALID_ARGUMENT;
    int64_t longest = 0;
    for (int64_t s = 0; s < count_sessions; s++) {
        int64_t length = offsets[s + 1] - offsets[s];
        if (length < 0) return RV_ERR_INVALID_ARGUMENT;
        if (length > longest) longest = length;
    }
    *longest_session = longest;
    return RV_OK;
}

// ---- (2) occurrence index -------------------------------------------------------------------

static void slice_range(const job *j, int64_t slice, int64_t *begin, int64_t *end) {
    size_t b, e;
    rv_slice((size_t)j->count_tokens, (int)slice, (int)j->count_slices, &b, &e);
    *begin = (int64_t)b;
    *end = (int64_t)e;
}

static void count_task(void *context, int thread, int count_threads) {
    job *j = context;
    for (int64_t s = thread; s < j->count_slices; s += count_threads) {
        int64_t begin, end;
        slice_range(j, s, &begin, &end);
        int64_t *counts = j->slice_cursors + s * (int64_t)j->count_items;
        for (int64_t p = begin; p < end; p++) {
            int32_t t = j->tokens[p];
            if (t < 0 || t >= j->count_items) {
                fail(j, RV_ERR_OUT_OF_RANGE);
                return;
            }
            counts[t]++;
        }
    }
}

/// The session holding position p: the last s with offsets[s] <= p < offsets[s + 1].
static int64_t session_of(const job *j, int64_t p) {
    int64_t lo = 0, hi = j->count_sessions; // offsets[lo] <= p < offsets[hi]
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (j->offsets[mid] <= p) lo = mid;
        else hi = mid;
    }
    return lo;
}

static void fill_task(void *context, int thread, int count_threads) {
    job *j = context;
    int64_t window = j->window;
    for (int64_t s = thread; s < j->count_slices; s += count_threads) {
        int64_t begin, end;
        slice_range(j, s, &begin, &end);
        if (begin == end) continue;
        int64_t *cursor = j->slice_cursors + s * (int64_t)j->count_items;
        int64_t session = session_of(j, begin);
        for (int64_t p = begin; p < end; p++) {
            while (j->offsets[session + 1] <= p) session++;
            int64_t before = p - j->offsets[session], after = j->offsets[session + 1] - 1 - p;
            j->occurrences[cursor[j->tokens[p]]++] =
                rv_cooc_occurrence_make(p, before < window ? before : window, after < window ? after : window);
        }
    }
}

/// Builds j->occurrences and j->item_offsets; slices run in parallel when there are enough
/// tokens per item to pay for a count array per slice.
static rv_status build_index(job *j, int count_threads) {
    int64_t per_item = j->count_tokens / j->count_items;
    j->count_slices = per_item < 1 ? 1 : per_item < count_threads ? per_item : count_threads;
    j->slice_cursors = calloc((size_t)j->count_slices * (size_t)j->count_items, sizeof(int64_t));
    j->occurrences = malloc((size_t)j->count_tokens * sizeof(rv_cooc_occurrence));
    j->item_offsets = malloc(((size_t)j->count_items + 1) * sizeof(int64_t));
    if (!j->slice_cursors || !j->occurrences || !j->item_offsets) return RV_ERR_OUT_OF_MEMORY;

    rv_parallel(count_threads, count_task, j);
    if (failed(j)) return (rv_status)atomic_load(&j->status);

    // Item r's occurrences: slice 0's, then slice 1's, ...: counts become write cursors.
    int64_t running = 0;
    for (int64_t r = 0; r < j->count_items; r++) {
        j->item_offsets[r] = running;
        for (int64_t s = 0; s < j->count_slices; s++) {
            int64_t *c = &j->slice_cursors[s * (int64_t)j->count_items + r];
            int64_t count = *c;
            *c = running;
            running += count;
        }
    }
    j->item_offsets[j->count_items] = running;

    rv_parallel(count_threads, fill_task, j);
    free(j->slice_cursors);
    j->slice_cursors = NULL;
    return RV_OK;
}

// ---- (3) rows ---------------------------------------------------------------------------------

static int more_work_first(const void *a, const void *b) {
    const chunk_rank *x = a, *y = b;
    if (x->work != y->work) return x->work > y->work ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/// Cuts rows into up to `target` chunks of about equal work (occurrences, plus one per row),
/// and orders them most work first.
static rv_status plan_chunks(job *j, int64_t target) {
    if (target > j->count_items) target = j->count_items;
    j->chunks = calloc((size_t)target, sizeof(chunk));
    j->schedule = malloc((size_t)target * sizeof(chunk_rank));
    if (!j->chunks || !j->schedule) return RV_ERR_OUT_OF_MEMORY;
    int64_t total = j->count_tokens + j->count_items, done = 0, count = 0, chunk_start = 0;
    int32_t first = 0;
    for (int32_t r = 0; r < j->count_items; r++) {
        done += j->item_offsets[r + 1] - j->item_offsets[r] + 1;
        // Close the chunk once it reaches its share of the work (the last takes the rest).
        if (r + 1 == j->count_items || (count + 1 < target && done * target >= (count + 1) * total)) {
            j->chunks[count] = (chunk){.first_row = first, .end_row = r + 1};
            j->schedule[count] = (chunk_rank){.work = done - chunk_start, .index = count};
            count++;
            first = r + 1;
            chunk_start = done;
        }
    }
    j->count_chunks = count;
    qsort(j->schedule, (size_t)count, sizeof(chunk_rank), more_work_first);
    return RV_OK;
}

static int reserve(chunk *c, int64_t extra) {
    if (c->count + extra <= c->capacity) return 1;
    int64_t capacity = c->capacity ? c->capacity : 1024;
    while (capacity < c->count + extra) capacity *= 2;
    int32_t *columns = realloc(c->columns, (size_t)capacity * sizeof(int32_t));
    if (!columns) return 0;
    c->columns = columns;
    float *values = realloc(c->values, (size_t)capacity * sizeof(float));
    if (!values) return 0;
    c->values = values;
    c->capacity = capacity;
    return 1;
}

static void rows_task(void *context, int thread, int count_threads) {
    (void)thread;
    (void)count_threads;
    job *j = context;
    size_t n = (size_t)j->count_items;
    rv_cooc_accumulator acc = {
        calloc(n, sizeof(double)),
        calloc((n + 63) / 64, sizeof(uint64_t)),
        calloc((n + 4095) / 4096, sizeof(uint64_t)),
    };
    rv_cooc_index index = {j->tokens, j->occurrences, j->item_offsets, j->weights, j->count_items, j->forward_only};
    if (!acc.sums || !acc.bits || !acc.words) fail(j, RV_ERR_OUT_OF_MEMORY);
    while (!failed(j)) {
        int64_t k = atomic_fetch_add(&j->next_chunk, 1);
        if (k >= j->count_chunks) break;
        chunk *c = &j->chunks[j->schedule[k].index];
        for (int32_t r = c->first_row; r < c->end_row; r++) {
            int64_t visited = rv_cooc_gather_row_scalar(&index, r, &acc);
            if (j->dense_out) {
                float *row = j->dense_out + (int64_t)r * j->dense_stride;
                memset(row, 0, n * sizeof(float));
                rv_cooc_emit_row_scalar(&acc, j->count_items, row, NULL, NULL);
            } else {
                if (!reserve(c, visited < (int64_t)n ? visited : (int64_t)n)) {
                    fail(j, RV_ERR_OUT_OF_MEMORY);
                    break;
                }
                int64_t written = rv_cooc_emit_row_scalar(&acc, j->count_items, NULL, c->columns + c->count,
                                                          c->values + c->count);
                j->row_counts[r] = written;
                c->count += written;
            }
        }
    }
    free(acc.sums);
    free(acc.bits);
    free(acc.words);
}

/// Steps (1) to (3) for both entry points; the caller frees j's buffers with release().
static rv_status run(job *j, rv_cooc_weighting weighting, int count_threads) {
    int64_t longest = 0;
    rv_status status = check_corpus(j->tokens, j->count_tokens, j->offsets, j->count_sessions, j->count_items,
                                    j->window, weighting, &longest);
    if (status != RV_OK) return status;
    count_threads = rv_threads_resolve(count_threads);

    // No pair is farther apart than the longest session allows.
    int64_t reach = longest - 1 < j->window ? longest - 1 : j->window;
    j->weights = malloc((size_t)(reach + 1) * sizeof(double));
    if (!j->weights) return RV_ERR_OUT_OF_MEMORY;
    j->weights[0] = 0;
    for (int64_t d = 1; d <= reach; d++) j->weights[d] = weighting == RV_COOC_COUNT ? 1.0 : 1.0 / (double)d;

    if ((status = build_index(j, count_threads)) != RV_OK) return status;
    if ((status = plan_chunks(j, (int64_t)count_threads * CHUNKS_PER_THREAD)) != RV_OK) return status;
    rv_parallel(count_threads, rows_task, j);
    return (rv_status)atomic_load(&j->status);
}

static void free_chunks(chunk *chunks, int64_t count) {
    if (!chunks) return;
    for (int64_t k = 0; k < count; k++) {
        free(chunks[k].columns);
        free(chunks[k].values);
    }
    free(chunks);
}

static void release(job *j) {
    free(j->slice_cursors);
    free(j->occurrences);
    free(j->item_offsets);
    free(j->weights);
    free_chunks(j->chunks, j->count_chunks);
    free(j->schedule);
    free(j->row_counts);
}

rv_status rv_cooc_dense_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                            int64_t count_sessions, int32_t count_items, int32_t window,
                            rv_cooc_weighting weighting, int count_threads, float *out,
                            int64_t out_row_stride_in_floats) {
    return rv_cooc_dense_directed_f32(tokens, count_tokens, session_offsets, count_sessions, count_items, window,
                                      weighting, RV_COOC_SYMMETRIC, count_threads, out, out_row_stride_in_floats);
}

rv_status rv_cooc_dense_directed_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                                     int64_t count_sessions, int32_t count_items, int32_t window,
                                     rv_cooc_weighting weighting, rv_cooc_direction direction, int count_threads,
                                     float *out, int64_t out_row_stride_in_floats) {
    if (direction != RV_COOC_SYMMETRIC && direction != RV_COOC_FORWARD) return RV_ERR_INVALID_ARGUMENT;
    if (!out || count_items <= 0 || out_row_stride_in_floats < count_items) return RV_ERR_INVALID_ARGUMENT;
    if ((size_t)count_items > SIZE_MAX / sizeof(float) / (size_t)out_row_stride_in_floats)
        return RV_ERR_INVALID_ARGUMENT;
    job j = {.tokens = tokens, .count_tokens = count_tokens, .offsets = session_offsets,
             .count_sessions = count_sessions, .count_items = count_items, .window = window,
             .forward_only = direction == RV_COOC_FORWARD, .dense_out = out, .dense_stride = out_row_stride_in_floats};
    rv_status status = run(&j, weighting, count_threads);
    release(&j);
    return status;
}

rv_status rv_cooc_csr_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                          int64_t count_sessions, int32_t count_items, int32_t window,
                          rv_cooc_weighting weighting, int count_threads, rv_cooc_csr **out_result,
                          int64_t *out_count_nonzeros) {
    return rv_cooc_csr_directed_f32(tokens, count_tokens, session_offsets, count_sessions, count_items, window, weighting,
                                    RV_COOC_SYMMETRIC, count_threads, out_result, out_count_nonzeros);
}

rv_status rv_cooc_csr_directed_f32(const int32_t *tokens, int64_t count_tokens, const int64_t *session_offsets,
                                   int64_t count_sessions, int32_t count_items, int32_t window,
                                   rv_cooc_weighting weighting, rv_cooc_direction direction, int count_threads,
                                   rv_cooc_csr **out_result, int64_t *out_count_nonzeros) {
    if (direction != RV_COOC_SYMMETRIC && direction != RV_COOC_FORWARD) return RV_ERR_INVALID_ARGUMENT;
    if (!out_result || !out_count_nonzeros) return RV_ERR_INVALID_ARGUMENT;
    *out_result = NULL;
    *out_count_nonzeros = 0;
    if (count_items <= 0) return RV_ERR_INVALID_ARGUMENT;
    job j = {.tokens = tokens, .count_tokens = count_tokens, .offsets = session_offsets,
             .count_sessions = count_sessions, .count_items = count_items, .window = window,
             .forward_only = direction == RV_COOC_FORWARD};
    j.row_counts = calloc((size_t)count_items, sizeof(int64_t));
    rv_cooc_csr *result = malloc(sizeof(rv_cooc_csr));
    rv_status status = j.row_counts && result ? run(&j, weighting, count_threads) : RV_ERR_OUT_OF_MEMORY;
    if (status != RV_OK) {
        free(result);
        release(&j);
        return status;
    }
    int64_t nonzeros = 0;
    for (int64_t k = 0; k < j.count_chunks; k++) nonzeros += j.chunks[k].count;
    *result = (rv_cooc_csr){count_items, rv_threads_resolve(count_threads), nonzeros, j.row_counts, j.chunks,
                            j.count_chunks};
    j.row_counts = NULL; // now owned by result
    j.chunks = NULL;
    release(&j);
    *out_result = result;
    *out_count_nonzeros = nonzeros;
    return RV_OK;
}

typedef struct {
    rv_cooc_csr *result;
    const int64_t *row_offsets;
    int32_t *columns;
    float *values;
} take_job;

static void take_task(void *context, int thread, int count_threads) {
    take_job *t = context;
    for (int64_t k = thread; k < t->result->count_chunks; k += count_threads) {
        const chunk *c = &t->result->chunks[k];
        if (c->count == 0) continue;
        int64_t at = t->row_offsets[c->first_row];
        memcpy(t->columns + at, c->columns, (size_t)c->count * sizeof(int32_t));
        memcpy(t->values + at, c->values, (size_t)c->count * sizeof(float));
    }
}

rv_status rv_cooc_csr_take(rv_cooc_csr *result, int64_t *row_offsets, int32_t *columns, float *values) {
    if (!result) return RV_ERR_INVALID_ARGUMENT;
    if (!row_offsets || (result->count_nonzeros > 0 && (!columns || !values))) {
        rv_cooc_csr_free(result);
        return RV_ERR_INVALID_ARGUMENT;
    }
    int64_t running = 0;
    for (int32_t r = 0; r < result->count_items; r++) {
        row_offsets[r] = running;
        running += result->row_counts[r];
    }
    row_offsets[result->count_items] = running;
    take_job t = {result, row_offsets, columns, values};
    rv_parallel(result->count_threads, take_task, &t);
    rv_cooc_csr_free(result);
    return RV_OK;
}

void rv_cooc_csr_free(rv_cooc_csr *result) {
    if (!result) return;
    free(result->row_counts);
    free_chunks(result->chunks, result->count_chunks);
    free(result);
}
