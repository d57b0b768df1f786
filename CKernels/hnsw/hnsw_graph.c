// hnsw_graph.c: HNSW insertion and search over flat arrays (Malkov & Yashunin 2016, with the
// neighbour-selection heuristic and the build locking of hnswlib).
#include "hnsw_internal.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define RV_HNSW_MAX_LEVEL 30

typedef struct {
    float score;
    uint32_t id;
} scored;

/// Working memory of one searching or inserting thread, kept in a pool between calls.
typedef struct scratch {
    uint16_t *visited; // visited[id] == epoch: seen in this search (hnswlib's visited list)
    uint16_t epoch;
    // The candidate queue, best on top: rv_heap_push/pop (worst on top) on negated keys
    // (-score, -id), which rank in exactly the reverse order.
    float *candidate_scores;
    int32_t *candidate_ids;
    size_t count_candidates, capacity_candidates;
    rv_heap results;        // the best ef allowed nodes found, on storage of capacity_results
    float *result_scores;
    int32_t *result_ids;
    size_t capacity_results;
    scored *sorted;     // results best first, then the kept neighbours
    size_t capacity_sorted;
    scored *neighbours; // a neighbour's list while it is pruned
    int32_t *links;     // a neighbour list copied under its lock
    uint32_t *fresh;    // the unvisited neighbours of the node being expanded (search_layer)
    float *query;       // the unit-norm query (cosine)
    int failed;         // an allocation failed: the search result is incomplete
    struct scratch *next;
} scratch;

struct rv_hnsw {
    int32_t dim;
    rv_metric metric;
    int32_t m;
    int32_t ef_construction;
    uint64_t seed;
    size_t count, capacity;
    int32_t max_level, entry_point;
    float *vectors;
    int32_t *levels;
    int32_t *links0;
    int64_t *upper_offsets;
    int32_t *upper_links;
    size_t count_upper_links, capacity_upper_links;
    int owned;              // 0: the arrays belong to the caller (rv_hnsw_open_layout)
    unsigned char *locks;   // one spinlock per node, used while inserting
    pthread_mutex_t global; // entry point and max level while inserting
    pthread_rwlock_t rw;    // add (writer) against searches (readers)
    pthread_mutex_t pool_lock;
    scratch *pool;
};

// MARK: small helpers

static inline size_t stride0(const rv_hnsw *ix) { return 1 + 2 * (size_t)ix->m; }
static inline size_t stride_upper(const rv_hnsw *ix) { return 1 + (size_t)ix->m; }
static inline const float *vector_of(const rv_hnsw *ix, uint32_t id) { return ix->vectors + (size_t)id * (size_t)ix->dim; }
/// A search's filter: `bits` (NULL = every id) over ids below `count`.
typedef struct {
    const uint64_t *bits;
    size_t count;
} id_filter;

static inline int allowed_id(const id_filter *f, uint32_t id) {
    return !f->bits || (id < f->count && ((f->bits[id >> 6] >> (id & 63)) & 1));
}

/// The list [count, ids...] of `node` on `layer`, or NULL where the node has no such layer (or a
/// corrupt file points outside the arrays).
static inline int32_t *links_of(const rv_hnsw *ix, uint32_t node, int layer) {
    if (layer == 0) return ix->links0 + (size_t)node * stride0(ix);
    if (layer > ix->levels[node]) return NULL;
    int64_t at = ix->upper_offsets[node] + (int64_t)(layer - 1) * (int64_t)stride_upper(ix);
    if (at < 0 || (uint64_t)at + stride_upper(ix) > ix->count_upper_links) return NULL;
    return ix->upper_links + at;
}

static inline int32_t list_count(const int32_t *list, int layer, int32_t m) {
    int32_t n = list[0], most = layer == 0 ? 2 * m : m;
    return n < 0 ? 0 : (n > most ? most : n);
}

static inline void spin_lock(unsigned char *lock) {
    while (__atomic_test_and_set(lock, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED)) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    }
}

static inline void spin_unlock(unsigned char *lock) { __atomic_clear(lock, __ATOMIC_RELEASE); }

/// a ranks after b: lower score, or equal score and higher id.
static inline int worse(scored a, scored b) { return a.score < b.score || (a.score == b.score && a.id > b.id); }

static int compare_best_first(const void *pa, const void *pb) {
    scored a = *(const scored *)pa, b = *(const scored *)pb;
    return worse(a, b) ? 1 : (worse(b, a) ? -1 : 0);
}

// MARK: candidates and results

/// Grows a pair of parallel arrays to hold at least `needed` entries (doubling, from 64).
static int grow(float **scores, int32_t **ids, size_t *capacity, size_t needed) {
    if (needed <= *capacity) return 1;
    size_t c = *capacity ? *capacity : 64;
    while (c < needed) c *= 2;
    float *more_scores = realloc(*scores, c * sizeof(float));
    if (more_scores) *scores = more_scores;
    int32_t *more_ids = realloc(*ids, c * sizeof(int32_t));
    if (more_ids) *ids = more_ids;
    if (!more_scores || !more_ids) return 0;
    *capacity = c;
    return 1;
}

static inline void push_candidate(scratch *s, scored item) {
    if (!grow(&s->candidate_scores, &s->candidate_ids, &s->capacity_candidates, s->count_candidates + 1)) {
        s->failed = 1;
        return;
    }
    rv_heap_push(s->candidate_scores, s->candidate_ids, &s->count_candidates, -item.score, -(int32_t)item.id);
}

/// The best candidate, removed from the queue (count_candidates > 0).
static inline scored pop_candidate(scratch *s) {
    scored best = {-s->candidate_scores[0], (uint32_t)-s->candidate_ids[0]};
    rv_heap_pop(s->candidate_scores, s->candidate_ids, &s->count_candidates);
    return best;
}

/// Empties the results, to keep the best `limit` (<= capacity_results) from now on.
static inline void reset_results(scratch *s, size_t limit) {
    s->results = rv_heap_make(s->result_scores, s->result_ids, limit, NULL, 0);
}

/// The worst result kept, -infinity while there is none.
static inline float worst_result(const scratch *s) { return s->results.count ? s->results.scores[0] : -INFINITY; }

/// Sorts the results best first in place (rv_heap_finish: padded with id -1, score -infinity up
/// to the limit) and returns how many there are.
static inline size_t finish_results(scratch *s) {
    size_t n = s->results.count;
    rv_heap_finish(&s->results);
    return n;
}

// MARK: scratch pool

static void scratch_free(scratch *s) {
    if (!s) return;
    free(s->visited);
    free(s->candidate_scores);
    free(s->candidate_ids);
    free(s->result_scores);
    free(s->result_ids);
    free(s->sorted);
    free(s->neighbours);
    free(s->links);
    free(s->fresh);
    free(s->query);
    free(s);
}

static int grow_sorted(scratch *s, size_t needed) {
    if (needed <= s->capacity_sorted) return 1;
    scored *more = realloc(s->sorted, needed * sizeof(scored));
    if (!more) return 0;
    s->sorted = more;
    s->capacity_sorted = needed;
    return 1;
}

/// A scratch sized for `ef` results over the index's capacity; NULL when out of memory.
static scratch *scratch_get(rv_hnsw *ix, size_t ef) {
    pthread_mutex_lock(&ix->pool_lock);
    scratch *s = ix->pool;
    if (s) ix->pool = s->next;
    pthread_mutex_unlock(&ix->pool_lock);
    if (!s) {
        s = calloc(1, sizeof(scratch));
        if (!s) return NULL;
        s->visited = calloc(ix->capacity ? ix->capacity : 1, sizeof(uint16_t));
        s->links = malloc(stride0(ix) * sizeof(int32_t));
        s->fresh = malloc(stride0(ix) * sizeof(uint32_t));
        s->neighbours = malloc((stride0(ix) + 1) * sizeof(scored));
        s->query = malloc((size_t)ix->dim * sizeof(float));
        if (!s->visited || !s->links || !s->fresh || !s->neighbours || !s->query) {
            scratch_free(s);
            return NULL;
        }
    }
    s->failed = 0;
    s->count_candidates = 0;
    if (!grow(&s->result_scores, &s->result_ids, &s->capacity_results, ef) || !grow_sorted(s, ef)) {
        scratch_free(s);
        return NULL;
    }
    reset_results(s, ef);
    return s;
}

static void scratch_put(rv_hnsw *ix, scratch *s) {
    pthread_mutex_lock(&ix->pool_lock);
    s->next = ix->pool;
    ix->pool = s;
    pthread_mutex_unlock(&ix->pool_lock);
}

/// Drops pooled scratches (their visited arrays are sized to the old capacity).
static void pool_clear(rv_hnsw *ix) {
    while (ix->pool) {
        scratch *s = ix->pool;
        ix->pool = s->next;
        scratch_free(s);
    }
}

static inline void next_epoch(rv_hnsw *ix, scratch *s) {
    if (++s->epoch == 0) {
        memset(s->visited, 0, (ix->capacity ? ix->capacity : 1) * sizeof(uint16_t));
        s->epoch = 1;
    }
}

// MARK: layer search

/// Asks for every cache line of a node's vector (up to 8 lines, 512 bytes: beyond that the
/// hardware prefetcher follows the sequential reads of the dot product).
static inline void prefetch_vector(const rv_hnsw *ix, uint32_t id) {
    const char *v = (const char *)vector_of(ix, id);
    size_t bytes = (size_t)ix->dim * sizeof(float);
    if (bytes > 512) bytes = 512;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(v + offset);
}

/// Asks for the layer-0 neighbour list of the candidate expanded next (the vectors and links
/// live in separate arrays, so the list is not in cache when the candidate's vector is).
static inline void prefetch_links0(const rv_hnsw *ix, uint32_t id) {
    const char *list = (const char *)(ix->links0 + (size_t)id * stride0(ix));
    __builtin_prefetch(list);
    __builtin_prefetch(list + 64);
}

/// The neighbour list of `node` on `layer`: in place, or (while inserting, `locked`) a copy taken
/// under the node's lock. NULL where the node has no such layer.
static inline const int32_t *read_links(rv_hnsw *ix, scratch *s, uint32_t node, int layer, int locked) {
    int32_t *list = links_of(ix, node, layer);
    if (!list || !locked) return list;
    spin_lock(&ix->locks[node]);
    int32_t n = list_count(list, layer, ix->m);
    memcpy(s->links, list, (size_t)(n + 1) * sizeof(int32_t));
    s->links[0] = n;
    spin_unlock(&ix->locks[node]);
    return s->links;
}

/// Greedy descent on an upper layer: moves to the best neighbour while one improves.
static uint32_t greedy_step(rv_hnsw *ix, scratch *s, const rv_vector_isa *isa, const float *q, uint32_t current,
                            float *current_score, int layer, int locked) {
    int changed = 1;
    while (changed) {
        changed = 0;
        const int32_t *list = read_links(ix, s, current, layer, locked);
        if (!list) break;
        int32_t n = list_count(list, layer, ix->m);
        for (int32_t j = 0; j < n; j++) {
            uint32_t v = (uint32_t)list[1 + j];
            if (v >= ix->count) continue;
            float score = isa->dot_f32(q, vector_of(ix, v), (size_t)ix->dim);
            if (score > *current_score) {
                *current_score = score;
                current = v;
                changed = 1;
            }
        }
    }
    return current;
}

/// Best-first search of one layer from `entry` with a candidate list of `ef`; leaves the best `ef`
/// allowed nodes in s->results. Filtered-out nodes are expanded but never become results.
static void search_layer(rv_hnsw *ix, scratch *s, const rv_vector_isa *isa, const float *q, uint32_t entry,
                         float entry_score, int layer, size_t ef, const id_filter *allowed, int locked) {
    next_epoch(ix, s);
    s->count_candidates = 0;
    reset_results(s, ef);
    const size_t dim = (size_t)ix->dim;
    const uint16_t epoch = s->epoch;
    uint16_t *visited = s->visited;
    scored first = {entry_score, entry};
    visited[entry] = epoch;
    push_candidate(s, first);
    if (allowed_id(allowed, entry)) rv_heap_offer(&s->results, first.score, (int32_t)first.id);
    float lower = worst_result(s);
    while (s->count_candidates) {
        // hnswlib's stop rule: with a filter, go on until ef allowed results are held.
        if (-s->candidate_scores[0] < lower && (s->results.count >= ef || !allowed->bits)) break;
        scored c = pop_candidate(s);
        if (layer == 0 && s->count_candidates) prefetch_links0(ix, (uint32_t)-s->candidate_ids[0]);
        const int32_t *list = read_links(ix, s, c.id, layer, locked);
        if (!list) continue;
        int32_t n = list_count(list, layer, ix->m);
        // First the unvisited neighbours, marked and their vectors asked for all at once, so the
        // memory reads overlap (one neighbour ahead left most of the dot products waiting on
        // memory); then their scores, in list order as before.
        uint32_t *fresh = s->fresh;
        size_t count_fresh = 0;
        for (int32_t j = 0; j < n; j++) {
            uint32_t v = (uint32_t)list[1 + j];
            if (v >= ix->count || visited[v] == epoch) continue;
            visited[v] = epoch;
            fresh[count_fresh++] = v;
            prefetch_vector(ix, v);
        }
        for (size_t j = 0; j < count_fresh; j++) {
            uint32_t v = fresh[j];
            float score = isa->dot_f32(q, vector_of(ix, v), dim);
            if (s->results.count < ef || score > lower) {
                push_candidate(s, (scored){score, v});
                if (allowed_id(allowed, v)) {
                    rv_heap_offer(&s->results, score, (int32_t)v);
                    lower = worst_result(s);
                }
            }
        }
    }
}

// MARK: insertion

/// The top layer of node `id`: floor(-ln(u) / ln(M)) with u uniform in (0, 1], drawn from a hash
/// of (seed, id) so the levels do not depend on thread timing.
static int32_t draw_level(uint64_t seed, uint64_t id, int32_t m) {
    uint64_t z = rv_splitmix64_at(seed, id + 1);
    double u = ((double)(z >> 11) + 1.0) / 9007199254740992.0;
    double level = -log(u) / log((double)m);
    return level > RV_HNSW_MAX_LEVEL ? RV_HNSW_MAX_LEVEL : (int32_t)level;
}

/// hnswlib's getNeighborsByHeuristic2: walks `items` (best first) and keeps an item only when no
/// kept item is closer to it than the base node is; keeps at most `keep`. Compacts in place.
static size_t select_neighbours(rv_hnsw *ix, const rv_vector_isa *isa, scored *items, size_t count, size_t keep) {
    if (count < keep) return count;
    size_t kept = 0;
    for (size_t i = 0; i < count && kept < keep; i++) {
        scored c = items[i];
        int good = 1;
        for (size_t j = 0; j < kept; j++) {
            if (isa->dot_f32(vector_of(ix, c.id), vector_of(ix, items[j].id), (size_t)ix->dim) > c.score) {
                good = 0;
                break;
            }
        }
        if (good) items[kept++] = c;
    }
    return kept;
}

/// Links `node` into `neighbour`'s list on `layer`, pruning the list with the heuristic when full.
static void connect(rv_hnsw *ix, scratch *s, const rv_vector_isa *isa, uint32_t neighbour, uint32_t node, int layer) {
    int32_t *list = links_of(ix, neighbour, layer);
    if (!list) return;
    int32_t most = layer == 0 ? 2 * ix->m : ix->m;
    spin_lock(&ix->locks[neighbour]);
    int32_t n = list_count(list, layer, ix->m);
    int present = 0;
    for (int32_t j = 0; j < n && !present; j++) present = (uint32_t)list[1 + j] == node;
    if (!present) {
        if (n < most) {
            list[1 + n] = (int32_t)node;
            list[0] = n + 1;
        } else {
            const float *base = vector_of(ix, neighbour);
            for (int32_t j = 0; j < n; j++) {
                uint32_t v = (uint32_t)list[1 + j];
                s->neighbours[j] = (scored){isa->dot_f32(base, vector_of(ix, v), (size_t)ix->dim), v};
            }
            s->neighbours[n] = (scored){isa->dot_f32(base, vector_of(ix, node), (size_t)ix->dim), node};
            qsort(s->neighbours, (size_t)n + 1, sizeof(scored), compare_best_first);
            size_t kept = select_neighbours(ix, isa, s->neighbours, (size_t)n + 1, (size_t)most);
            for (size_t j = 0; j < kept; j++) list[1 + j] = (int32_t)s->neighbours[j].id;
            list[0] = (int32_t)kept;
        }
    }
    spin_unlock(&ix->locks[neighbour]);
}

static void insert(rv_hnsw *ix, scratch *s, const rv_vector_isa *isa, uint32_t node) {
    const float *q = vector_of(ix, node);
    int32_t level = ix->levels[node];
    pthread_mutex_lock(&ix->global);
    int32_t entry = ix->entry_point, top = ix->max_level;
    if (entry < 0) {
        ix->entry_point = (int32_t)node;
        ix->max_level = level;
        pthread_mutex_unlock(&ix->global);
        return;
    }
    // A node above the current top becomes the entry point: hold the lock until it is linked.
    int holding = level > top;
    if (!holding) pthread_mutex_unlock(&ix->global);

    uint32_t current = (uint32_t)entry;
    float current_score = isa->dot_f32(q, vector_of(ix, current), (size_t)ix->dim);
    for (int layer = top; layer > level; layer--)
        current = greedy_step(ix, s, isa, q, current, &current_score, layer, 1);
    for (int layer = level < top ? level : top; layer >= 0; layer--) {
        const id_filter everything = {NULL, 0};
        search_layer(ix, s, isa, q, current, current_score, layer, (size_t)ix->ef_construction, &everything, 1);
        size_t count = finish_results(s), found = 0;
        // The node itself is not reachable yet; drop it defensively.
        for (size_t i = 0; i < count; i++)
            if ((uint32_t)s->results.ids[i] != node)
                s->sorted[found++] = (scored){s->results.scores[i], (uint32_t)s->results.ids[i]};
        if (found == 0) continue;
        current = s->sorted[0].id;
        current_score = s->sorted[0].score;
        size_t kept = select_neighbours(ix, isa, s->sorted, found, (size_t)ix->m);
        int32_t *own = links_of(ix, node, layer);
        spin_lock(&ix->locks[node]);
        int32_t before = list_count(own, layer, ix->m);
        if (before == 0) {
            for (size_t j = 0; j < kept; j++) own[1 + j] = (int32_t)s->sorted[j].id;
            own[0] = (int32_t)kept;
        }
        spin_unlock(&ix->locks[node]);
        // Another thread already linked itself here (its search entered this layer through the
        // node, linked on the layer above): merge with those links (pruned by the heuristic when
        // the list is full) instead of writing over them (16 lost links in a 2-thread build of
        // 1682 items left some of them unreachable).
        if (before > 0)
            for (size_t j = 0; j < kept; j++) connect(ix, s, isa, node, s->sorted[j].id, layer);
        for (size_t j = 0; j < kept; j++) connect(ix, s, isa, s->sorted[j].id, node, layer);
    }
    if (holding) {
        ix->entry_point = (int32_t)node;
        ix->max_level = level;
        pthread_mutex_unlock(&ix->global);
    }
}

// MARK: reachability

/// Marks, from the nodes queue[head ..< *tail] (already marked), every node their layer-0 links
/// lead to, appending each to the queue.
static void mark_reachable(const rv_hnsw *ix, uint8_t *reached, uint32_t *queue, size_t head, size_t *tail) {
    while (head < *tail) {
        const int32_t *list = links_of(ix, queue[head++], 0);
        int32_t n = list_count(list, 0, ix->m);
        for (int32_t j = 0; j < n; j++) {
            uint32_t v = (uint32_t)list[1 + j];
            if (v < ix->count && !reached[v]) {
                reached[v] = 1;
                queue[(*tail)++] = v;
            }
        }
    }
}

/// Gives `node` a layer-0 link from the best node of the finished search (s->results: a search
/// from the entry point returns only nodes reachable from it) that has room in its list, or else,
/// from the best one, in place of its link to the target with the most links into it. Returns 0
/// when no result qualifies.
static int link_from_nearest(rv_hnsw *ix, scratch *s, int32_t *indegree, uint32_t node) {
    size_t count = finish_results(s);
    int32_t most = 2 * ix->m;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < count; i++) {
            uint32_t c = (uint32_t)s->results.ids[i];
            if (c == node || c >= ix->count) continue;
            int32_t *list = links_of(ix, c, 0);
            int32_t n = list_count(list, 0, ix->m);
            if (pass == 0) {
                if (n >= most) continue;
                list[1 + n] = (int32_t)node;
                list[0] = n + 1;
                indegree[node]++;
                return 1;
            }
            int32_t replace = -1;
            for (int32_t j = 0; j < n; j++) {
                uint32_t t = (uint32_t)list[1 + j];
                if (t < ix->count && indegree[t] > 1 && (replace < 0 || indegree[t] > indegree[(uint32_t)list[1 + replace]])) replace = j;
            }
            if (replace < 0) continue;
            indegree[(uint32_t)list[1 + replace]]--;
            list[1 + replace] = (int32_t)node;
            indegree[node]++;
            return 1;
        }
    }
    return 0;
}

/// hnswlib's heuristic can leave nodes that no layer-0 walk from the entry point reaches: in a
/// tight cluster of near-duplicate vectors (rare items of an item2vec model, say) each neighbour
/// list keeps one member and prunes the rest, and no search can then return the others. Every
/// such node gets a link from the nearest node a search does reach (one with room in its list
/// where there is one, so that no other node loses a link), until every node is reachable or a
/// pass links none. Single-threaded, after the parallel inserts: deterministic.
static rv_status repair_reachability(rv_hnsw *ix, const rv_vector_isa *isa) {
    size_t n = ix->count;
    if (n < 2 || ix->entry_point < 0) return RV_OK;
    uint8_t *reached = malloc(n);
    uint32_t *queue = malloc(n * sizeof(uint32_t));
    int32_t *indegree = calloc(n, sizeof(int32_t));
    scratch *s = scratch_get(ix, (size_t)ix->ef_construction);
    rv_status status = RV_OK;
    if (!reached || !queue || !indegree || !s) {
        status = RV_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (size_t v = 0; v < n; v++) {
        const int32_t *list = links_of(ix, (uint32_t)v, 0);
        int32_t c = list_count(list, 0, ix->m);
        for (int32_t j = 0; j < c; j++)
            if ((uint32_t)list[1 + j] < n) indegree[list[1 + j]]++;
    }
    const id_filter everything = {NULL, 0};
    uint32_t entry = (uint32_t)ix->entry_point;
    for (int round = 0; round < 4; round++) {
        memset(reached, 0, n);
        size_t tail = 0;
        reached[entry] = 1;
        queue[tail++] = entry;
        mark_reachable(ix, reached, queue, 0, &tail);
        if (tail == n) break;
        size_t linked = 0;
        for (uint32_t node = 0; node < n; node++) {
            if (reached[node]) continue;
            const float *q = vector_of(ix, node);
            search_layer(ix, s, isa, q, entry, isa->dot_f32(q, vector_of(ix, entry), (size_t)ix->dim), 0,
                         (size_t)ix->ef_construction, &everything, 0);
            if (!link_from_nearest(ix, s, indegree, node)) continue;
            linked++;
            size_t head = tail;
            reached[node] = 1;
            queue[tail++] = node;
            mark_reachable(ix, reached, queue, head, &tail);
        }
        if (linked == 0) break;
    }
done:
    if (s) scratch_put(ix, s);
    free(reached);
    free(queue);
    free(indegree);
    return status;
}

// MARK: lifecycle

static rv_status init_locks(rv_hnsw *ix) {
    if (pthread_mutex_init(&ix->global, NULL)) return RV_ERR_OUT_OF_MEMORY;
    if (pthread_mutex_init(&ix->pool_lock, NULL)) {
        pthread_mutex_destroy(&ix->global);
        return RV_ERR_OUT_OF_MEMORY;
    }
    if (pthread_rwlock_init(&ix->rw, NULL)) {
        pthread_mutex_destroy(&ix->global);
        pthread_mutex_destroy(&ix->pool_lock);
        return RV_ERR_OUT_OF_MEMORY;
    }
    return RV_OK;
}

/// The header values the index keeps (as int32, the width of the file header).
static int valid_header(size_t dim, rv_metric metric, size_t m, size_t ef_construction) {
    return dim >= 1 && dim <= INT32_MAX && (metric == RV_METRIC_DOT || metric == RV_METRIC_COSINE) && m >= 2 &&
           m <= 1024 && ef_construction >= 1 && ef_construction <= INT32_MAX;
}

rv_status rv_hnsw_create(size_t dim, rv_metric metric, size_t m, size_t ef_construction, uint64_t seed,
                         rv_hnsw **out_index) {
    if (!out_index || !valid_header(dim, metric, m, ef_construction)) return RV_ERR_INVALID_ARGUMENT;
    rv_hnsw *ix = calloc(1, sizeof(rv_hnsw));
    if (!ix) return RV_ERR_OUT_OF_MEMORY;
    if (init_locks(ix) != RV_OK) {
        free(ix);
        return RV_ERR_OUT_OF_MEMORY;
    }
    ix->dim = (int32_t)dim;
    ix->metric = metric;
    ix->m = (int32_t)m;
    ix->ef_construction = (int32_t)ef_construction;
    ix->seed = seed;
    ix->max_level = -1;
    ix->entry_point = -1;
    ix->owned = 1;
    *out_index = ix;
    return RV_OK;
}

rv_status rv_hnsw_open_layout(const rv_hnsw_layout *layout, rv_hnsw **out_index) {
    if (!layout || !out_index || !valid_header(layout->dim, layout->metric, layout->m, layout->ef_construction))
        return RV_ERR_INVALID_ARGUMENT;
    if (layout->count > (size_t)INT32_MAX) return RV_ERR_INVALID_ARGUMENT;
    if (layout->count == 0 ? (layout->entry_point != -1 || layout->max_level != -1)
                           : (layout->entry_point < 0 || (size_t)layout->entry_point >= layout->count ||
                              layout->max_level < 0 || layout->max_level > RV_HNSW_MAX_LEVEL))
        return RV_ERR_INVALID_ARGUMENT;
    if (layout->count > 0 && (!layout->vectors || !layout->levels || !layout->links0 || !layout->upper_offsets))
        return RV_ERR_INVALID_ARGUMENT;
    if (layout->count_upper_links > 0 && !layout->upper_links) return RV_ERR_INVALID_ARGUMENT;
    rv_status status = rv_hnsw_create(layout->dim, layout->metric, layout->m, layout->ef_construction, layout->seed, out_index);
    if (status != RV_OK) return status;
    rv_hnsw *ix = *out_index;
    ix->count = ix->capacity = layout->count;
    ix->max_level = layout->max_level;
    ix->entry_point = layout->entry_point;
    ix->vectors = (float *)layout->vectors;
    ix->levels = (int32_t *)layout->levels;
    ix->links0 = (int32_t *)layout->links0;
    ix->upper_offsets = (int64_t *)layout->upper_offsets;
    ix->upper_links = (int32_t *)layout->upper_links;
    ix->count_upper_links = ix->capacity_upper_links = layout->count_upper_links;
    ix->owned = 0;
    return RV_OK;
}

void rv_hnsw_free(rv_hnsw *ix) {
    if (!ix) return;
    if (ix->owned) {
        free(ix->vectors);
        free(ix->levels);
        free(ix->links0);
        free(ix->upper_offsets);
        free(ix->upper_links);
    }
    free(ix->locks);
    pool_clear(ix);
    pthread_mutex_destroy(&ix->global);
    pthread_mutex_destroy(&ix->pool_lock);
    pthread_rwlock_destroy(&ix->rw);
    free(ix);
}

rv_status rv_hnsw_get_layout(rv_hnsw *ix, rv_hnsw_layout *out) {
    if (!ix || !out) return RV_ERR_INVALID_ARGUMENT;
    pthread_rwlock_rdlock(&ix->rw);
    *out = (rv_hnsw_layout){
        .dim = (size_t)ix->dim, .metric = ix->metric, .m = (size_t)ix->m, .ef_construction = (size_t)ix->ef_construction,
        .seed = ix->seed, .count = ix->count, .max_level = ix->max_level, .entry_point = ix->entry_point,
        .count_upper_links = ix->count_upper_links, .vectors = ix->vectors, .levels = ix->levels,
        .links0 = ix->links0, .upper_offsets = ix->upper_offsets, .upper_links = ix->upper_links,
    };
    pthread_rwlock_unlock(&ix->rw);
    return RV_OK;
}

size_t rv_hnsw_count(rv_hnsw *ix) {
    if (!ix) return 0;
    pthread_rwlock_rdlock(&ix->rw);
    size_t n = ix->count;
    pthread_rwlock_unlock(&ix->rw);
    return n;
}

/// Copies the caller's arrays (rv_hnsw_open_layout) into memory the index owns: all or nothing.
static rv_status make_owned(rv_hnsw *ix) {
    if (ix->owned) return RV_OK;
    size_t n = ix->count ? ix->count : 1;
    size_t bytes[5] = {n * (size_t)ix->dim * sizeof(float), n * sizeof(int32_t), n * stride0(ix) * sizeof(int32_t),
                       n * sizeof(int64_t), (ix->count_upper_links ? ix->count_upper_links : 1) * sizeof(int32_t)};
    void *old[5] = {ix->vectors, ix->levels, ix->links0, ix->upper_offsets, ix->upper_links};
    size_t used[5] = {ix->count * (size_t)ix->dim * sizeof(float), ix->count * sizeof(int32_t),
                      ix->count * stride0(ix) * sizeof(int32_t), ix->count * sizeof(int64_t),
                      ix->count_upper_links * sizeof(int32_t)};
    void *copy[5] = {0};
    for (int i = 0; i < 5; i++) {
        copy[i] = malloc(bytes[i]);
        if (!copy[i]) {
            for (int j = 0; j < i; j++) free(copy[j]);
            return RV_ERR_OUT_OF_MEMORY;
        }
        if (used[i]) memcpy(copy[i], old[i], used[i]);
    }
    ix->vectors = copy[0];
    ix->levels = copy[1];
    ix->links0 = copy[2];
    ix->upper_offsets = copy[3];
    ix->upper_links = copy[4];
    ix->capacity = ix->count;
    ix->capacity_upper_links = ix->count_upper_links;
    ix->owned = 1;
    return RV_OK;
}

/// realloc that keeps the old block on failure.
static int resize(void **block, size_t new_bytes) {
    void *p = realloc(*block, new_bytes ? new_bytes : 1);
    if (!p) return 0;
    *block = p;
    return 1;
}

/// Grows the node arrays to `capacity` nodes. Caller holds the write lock.
static rv_status reserve_nodes(rv_hnsw *ix, size_t capacity) {
    if (capacity > (size_t)INT32_MAX) return RV_ERR_INVALID_ARGUMENT;
    rv_status status = make_owned(ix);
    if (status != RV_OK) return status;
    if (capacity < ix->capacity) capacity = ix->capacity;
    if (capacity == ix->capacity && ix->locks) return RV_OK;
    size_t dim = (size_t)ix->dim;
    if (!resize((void **)&ix->vectors, capacity * dim * sizeof(float)) ||
        !resize((void **)&ix->levels, capacity * sizeof(int32_t)) ||
        !resize((void **)&ix->links0, capacity * stride0(ix) * sizeof(int32_t)) ||
        !resize((void **)&ix->upper_offsets, capacity * sizeof(int64_t)) ||
        !resize((void **)&ix->locks, capacity ? capacity : 1))
        return RV_ERR_OUT_OF_MEMORY;
    memset(ix->locks, 0, capacity ? capacity : 1);
    if (capacity != ix->capacity) pool_clear(ix);
    ix->capacity = capacity;
    return RV_OK;
}

static rv_status reserve_upper(rv_hnsw *ix, size_t count_links) {
    if (count_links <= ix->capacity_upper_links) return RV_OK;
    size_t c = ix->capacity_upper_links ? ix->capacity_upper_links : 1024;
    while (c < count_links) c *= 2;
    int32_t *p = realloc(ix->upper_links, c * sizeof(int32_t));
    if (!p) return RV_ERR_OUT_OF_MEMORY;
    ix->upper_links = p;
    ix->capacity_upper_links = c;
    return RV_OK;
}

rv_status rv_hnsw_reserve(rv_hnsw *ix, size_t capacity_rows) {
    if (!ix) return RV_ERR_INVALID_ARGUMENT;
    pthread_rwlock_wrlock(&ix->rw);
    rv_status status = reserve_nodes(ix, capacity_rows);
    pthread_rwlock_unlock(&ix->rw);
    return status;
}


/// Copies `src` to `dst`, scaled to unit norm for cosine (zero vectors stay zero).
static void store_vector(const rv_hnsw *ix, const rv_vector_isa *isa, const float *src, float *dst) {
    size_t dim = (size_t)ix->dim;
    memcpy(dst, src, dim * sizeof(float));
    if (ix->metric != RV_METRIC_COSINE) return;
    float norm = sqrtf(isa->dot_f32(src, src, dim));
    if (norm > 0)
        for (size_t i = 0; i < dim; i++) dst[i] /= norm;
}

typedef struct {
    rv_hnsw *ix;
    const rv_vector_isa *isa;
    _Atomic size_t next;
    size_t end;
    _Atomic int failed;
} add_context;

static void add_task(void *context, int thread, int count_threads) {
    (void)thread;
    (void)count_threads;
    add_context *c = context;
    scratch *s = scratch_get(c->ix, (size_t)c->ix->ef_construction);
    if (!s) {
        atomic_store(&c->failed, 1);
        return;
    }
    for (;;) {
        size_t node = atomic_fetch_add(&c->next, 1);
        if (node >= c->end) break;
        insert(c->ix, s, c->isa, (uint32_t)node);
    }
    if (s->failed) atomic_store(&c->failed, 1);
    scratch_put(c->ix, s);
}

rv_status rv_hnsw_add_f32(rv_hnsw *ix, const float *rows, size_t count_rows, size_t row_stride_in_floats,
                          int count_threads) {
    if (!ix || (count_rows > 0 && !rows) || row_stride_in_floats < (size_t)ix->dim) return RV_ERR_INVALID_ARGUMENT;
    if (count_rows == 0) return RV_OK;
    pthread_rwlock_wrlock(&ix->rw);
    rv_status status = RV_OK;
    size_t base = ix->count, end = base + count_rows;
    if (end > (size_t)INT32_MAX) {
        status = RV_ERR_INVALID_ARGUMENT;
        goto done;
    }
    if (end > ix->capacity || !ix->owned || !ix->locks) {
        size_t grown = ix->capacity + ix->capacity / 2;
        status = reserve_nodes(ix, end > grown ? end : grown);
        if (status != RV_OK) goto done;
    }
    const rv_vector_isa *isa = RV_SIMD_TABLE(rv_vector_isa);
    size_t upper = ix->count_upper_links;
    for (size_t i = base; i < end; i++) {
        ix->levels[i] = draw_level(ix->seed, i, ix->m);
        ix->upper_offsets[i] = (int64_t)upper;
        upper += (size_t)ix->levels[i] * stride_upper(ix);
    }
    status = reserve_upper(ix, upper);
    if (status != RV_OK) goto done;
    if (upper > ix->count_upper_links) // (upper_links is still NULL while no node has an upper layer)
        memset(ix->upper_links + ix->count_upper_links, 0, (upper - ix->count_upper_links) * sizeof(int32_t));
    ix->count_upper_links = upper;
    memset(ix->links0 + base * stride0(ix), 0, count_rows * stride0(ix) * sizeof(int32_t));
    for (size_t i = 0; i < count_rows; i++)
        store_vector(ix, isa, rows + i * row_stride_in_floats, ix->vectors + (base + i) * (size_t)ix->dim);
    ix->count = end;
    add_context c = {.ix = ix, .isa = isa, .next = base, .end = end, .failed = 0};
    int threads = rv_threads_resolve(count_threads);
    if ((size_t)threads > count_rows) threads = (int)count_rows;
    rv_parallel(threads, add_task, &c);
    if (atomic_load(&c.failed)) status = RV_ERR_OUT_OF_MEMORY;
done:
    pthread_rwlock_unlock(&ix->rw);
    return status;
}

rv_status rv_hnsw_link_unreachable(rv_hnsw *ix) {
    if (!ix) return RV_ERR_INVALID_ARGUMENT;
    pthread_rwlock_wrlock(&ix->rw);
    rv_status status = ix->owned ? repair_reachability(ix, RV_SIMD_TABLE(rv_vector_isa)) : RV_OK;
    pthread_rwlock_unlock(&ix->rw);
    return status;
}

// MARK: search

/// Writes the first k of the finished results (k <= their limit: the tail is already padded).
static void write_results(const scratch *s, size_t k, int32_t *ids, float *scores) {
    memcpy(ids, s->results.ids, k * sizeof(int32_t));
    memcpy(scores, s->results.scores, k * sizeof(float));
}

static void exact_one(rv_hnsw *ix, scratch *s, const rv_vector_isa *isa, const float *q, size_t k,
                      const id_filter *allowed, int32_t *ids, float *scores) {
    reset_results(s, k);
    size_t dim = (size_t)ix->dim;
    if (!allowed->bits) {
        for (size_t i = 0; i < ix->count; i++)
            rv_heap_offer(&s->results, isa->dot_f32(q, vector_of(ix, (uint32_t)i), dim), (int32_t)i);
    } else {
        size_t limit = allowed->count < ix->count ? allowed->count : ix->count;
        for (size_t w = 0; w * 64 < limit; w++) {
            uint64_t bits = allowed->bits[w];
            while (bits) {
                size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
                bits &= bits - 1;
                if (i >= limit) break;
                rv_heap_offer(&s->results, isa->dot_f32(q, vector_of(ix, (uint32_t)i), dim), (int32_t)i);
            }
        }
    }
    finish_results(s);
    write_results(s, k, ids, scores);
}

typedef struct {
    rv_hnsw *ix;
    const rv_vector_isa *isa;
    const float *queries;
    size_t count_queries, query_stride;
    size_t k;
    size_t ef;
    id_filter allowed;
    int exact; // scan instead of walking the graph
    int32_t *out_ids;
    float *out_scores;
    _Atomic size_t next;
    _Atomic int failed;
} search_context;

static void search_one(search_context *c, scratch *s, size_t qi) {
    rv_hnsw *ix = c->ix;
    const float *q = c->queries + qi * c->query_stride;
    int32_t *ids = c->out_ids + qi * c->k;
    float *scores = c->out_scores + qi * c->k;
    if (ix->metric == RV_METRIC_COSINE) {
        store_vector(ix, c->isa, q, s->query);
        q = s->query;
    }
    if (ix->count == 0) {
        reset_results(s, c->k);
        finish_results(s);
        write_results(s, c->k, ids, scores);
        return;
    }
    if (c->exact) {
        exact_one(ix, s, c->isa, q, c->k, &c->allowed, ids, scores);
        return;
    }
    uint32_t current = (uint32_t)ix->entry_point;
    float score = c->isa->dot_f32(q, vector_of(ix, current), (size_t)ix->dim);
    for (int layer = ix->max_level; layer > 0; layer--)
        current = greedy_step(ix, s, c->isa, q, current, &score, layer, 0);
    search_layer(ix, s, c->isa, q, current, score, 0, c->ef, &c->allowed, 0);
    finish_results(s);
    write_results(s, c->k, ids, scores);
}

static void search_task(void *context, int thread, int count_threads) {
    (void)thread;
    (void)count_threads;
    search_context *c = context;
    scratch *s = scratch_get(c->ix, c->ef);
    if (!s) {
        atomic_store(&c->failed, 1);
        return;
    }
    for (;;) {
        size_t qi = atomic_fetch_add(&c->next, 1);
        if (qi >= c->count_queries) break;
        search_one(c, s, qi);
    }
    if (s->failed) atomic_store(&c->failed, 1);
    scratch_put(c->ix, s);
}

static rv_status run_search(rv_hnsw *ix, const float *queries, size_t count_queries, size_t query_stride, size_t k,
                            size_t ef_search, const uint64_t *allowed, size_t count_allowed_ids, int count_threads,
                            int32_t *out_ids, float *out_scores, int force_exact) {
    if (!ix || k == 0 || k > INT32_MAX || ef_search > INT32_MAX || (count_queries > 0 && (!queries || !out_ids || !out_scores)) ||
        query_stride < (size_t)ix->dim)
        return RV_ERR_INVALID_ARGUMENT;
    if (count_queries == 0) return RV_OK;
    pthread_rwlock_rdlock(&ix->rw);
    size_t ef = ef_search > k ? ef_search : k;
    int exact = force_exact;
    size_t limit = count_allowed_ids < ix->count ? count_allowed_ids : ix->count;
    if (allowed && !exact) {
        size_t allowed_count = 0, words = (limit + 63) / 64;
        for (size_t w = 0; w < words; w++) {
            uint64_t bits = allowed[w];
            if (w == words - 1 && limit % 64) bits &= (1ULL << (limit % 64)) - 1;
            allowed_count += (size_t)__builtin_popcountll(bits);
        }
        exact = allowed_count <= ef || allowed_count < ix->count / 32;
    }
    search_context c = {
        .ix = ix, .isa = RV_SIMD_TABLE(rv_vector_isa), .queries = queries, .count_queries = count_queries,
        .query_stride = query_stride, .k = k, .ef = ef, .allowed = {allowed, limit}, .exact = exact,
        .out_ids = out_ids, .out_scores = out_scores, .next = 0, .failed = 0,
    };
    int threads = rv_threads_resolve(count_threads);
    if ((size_t)threads > count_queries) threads = (int)count_queries;
    rv_parallel(threads, search_task, &c);
    pthread_rwlock_unlock(&ix->rw);
    return atomic_load(&c.failed) ? RV_ERR_OUT_OF_MEMORY : RV_OK;
}

rv_status rv_hnsw_search_f32(rv_hnsw *ix, const float *queries, size_t count_queries, size_t query_stride_in_floats,
                             size_t k, size_t ef_search, const uint64_t *allowed_bits, size_t count_allowed_ids,
                             int count_threads, int32_t *out_ids, float *out_scores) {
    return run_search(ix, queries, count_queries, query_stride_in_floats, k, ef_search, allowed_bits, count_allowed_ids,
                      count_threads, out_ids, out_scores, 0);
}

rv_status rv_hnsw_search_exact_f32(rv_hnsw *ix, const float *queries, size_t count_queries,
                                   size_t query_stride_in_floats, size_t k, const uint64_t *allowed_bits,
                                   size_t count_allowed_ids, int count_threads, int32_t *out_ids, float *out_scores) {
    return run_search(ix, queries, count_queries, query_stride_in_floats, k, 0, allowed_bits, count_allowed_ids,
                      count_threads, out_ids, out_scores, 1);
}
