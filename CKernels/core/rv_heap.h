// rv_heap.h: the (score, id) heap of every top-K search, kept as two parallel arrays; not part
// of the public API. Users: score/'s fused top-K, topk/ and hnsw/ (its result list, and its
// candidate queue as the same heap on negated keys).
#ifndef RV_HEAP_H
#define RV_HEAP_H

#include "rv_internal.h"
#include <math.h>

/// The best `capacity` (score, id) pairs offered so far, as a heap whose root is the worst kept.
/// Order: a higher score is better; among equal scores the lower id is better.
typedef struct rv_heap {
    float *scores;
    int32_t *ids;
    size_t count, capacity;
    /// A score below this cannot enter: -INFINITY until the heap is full, then the root's score.
    /// Kernels compare against it (>=) before calling rv_heap_offer, which decides exactly.
    float threshold;
    /// Ids that never enter, sorted ascending.
    const int32_t *excluded;
    size_t count_excluded;
} rv_heap;

static inline rv_heap rv_heap_make(float *scores, int32_t *ids, size_t capacity, const int32_t *excluded,
                                   size_t count_excluded) {
    rv_heap h = {scores, ids, 0, capacity, -INFINITY, excluded, count_excluded};
    return h;
}

/// Whether (score_a, id_a) ranks below (score_b, id_b).
static inline int rv_ranks_below(float score_a, int32_t id_a, float score_b, int32_t id_b) {
    return score_a < score_b || (score_a == score_b && id_a > id_b);
}

static inline int rv_heap_excludes(const rv_heap *h, int32_t id) {
    size_t lo = 0, hi = h->count_excluded;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->excluded[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < h->count_excluded && h->excluded[lo] == id;
}

/// Restores the heap below `i` in [0, count) after the entry at `i` got better.
static inline void rv_heap_sift_down(float *scores, int32_t *ids, size_t count, size_t i) {
    float s = scores[i];
    int32_t id = ids[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= count) break;
        if (child + 1 < count && rv_ranks_below(scores[child + 1], ids[child + 1], scores[child], ids[child])) child++;
        if (!rv_ranks_below(scores[child], ids[child], s, id)) break;
        scores[i] = scores[child];
        ids[i] = ids[child];
        i = child;
    }
    scores[i] = s;
    ids[i] = id;
}

/// Adds (score, id) to the heap scores/ids[0 ..< *count] (room for one more is the caller's
/// job): it moves up from the end past every entry it ranks below.
static inline void rv_heap_push(float *scores, int32_t *ids, size_t *count, float score, int32_t id) {
    size_t i = (*count)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!rv_ranks_below(score, id, scores[parent], ids[parent])) break;
        scores[i] = scores[parent];
        ids[i] = ids[parent];
        i = parent;
    }
    scores[i] = score;
    ids[i] = id;
}

/// Removes the root (the worst entry) of the heap scores/ids[0 ..< *count], *count > 0.
static inline void rv_heap_pop(float *scores, int32_t *ids, size_t *count) {
    size_t n = --(*count);
    if (n == 0) return;
    scores[0] = scores[n];
    ids[0] = ids[n];
    rv_heap_sift_down(scores, ids, n, 0);
}

/// Keeps (score, id) if it ranks among the best `capacity`; NaN scores and excluded ids never enter.
static inline void rv_heap_offer(rv_heap *h, float score, int32_t id) {
    if (isnan(score)) return;
    int full = h->count == h->capacity;
    if (full && !rv_ranks_below(h->scores[0], h->ids[0], score, id)) return;
    if (h->count_excluded > 0 && rv_heap_excludes(h, id)) return;
    if (full) {
        h->scores[0] = score;
        h->ids[0] = id;
        rv_heap_sift_down(h->scores, h->ids, h->count, 0);
    } else {
        rv_heap_push(h->scores, h->ids, &h->count, score, id);
    }
    if (h->count == h->capacity) h->threshold = h->scores[0];
}

/// Sorts the heap's entries best first in place (heap sort: the worst moves to the end) and pads
/// the rest of its storage with id -1, score -INFINITY. The heap is spent afterwards.
static inline void rv_heap_finish(rv_heap *h) {
    for (size_t n = h->count; n > 1; n--) {
        float s = h->scores[0];
        int32_t id = h->ids[0];
        h->scores[0] = h->scores[n - 1];
        h->ids[0] = h->ids[n - 1];
        h->scores[n - 1] = s;
        h->ids[n - 1] = id;
        rv_heap_sift_down(h->scores, h->ids, n - 1, 0);
    }
    for (size_t i = h->count; i < h->capacity; i++) {
        h->scores[i] = -INFINITY;
        h->ids[i] = -1;
    }
}

#endif
