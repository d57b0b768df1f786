// rv_hnsw.h: hierarchical navigable small world (HNSW) graph index.
//
// Memory layout: flat arrays, no per-node heap objects.
// - vectors:       count x dim floats, contiguous (cosine: unit-norm copies; dot: plain copies);
// - levels:        count int32, the top layer of each node (0 = base layer only);
// - links0:        count x (1 + 2M) int32: [neighbour count, 2M neighbour ids] per node;
// - upper_offsets: count int64, where node i's upper lists start in upper_links;
// - upper_links:   for node i, levels[i] lists of (1 + M) int32 ([count, M ids]) for layers 1...
// Scores are similarities (larger is better): dot product, or cosine as the dot product of the
// unit-norm copies. Dot uses the same graph on the inner product as hnswlib's "ip" space: HNSW
// on an inner product (not a metric) is approximate in the same way, and works well when norms
// vary little.
//
// Threads: builds insert nodes on `count_threads` threads with a spinlock per node guarding its
// neighbour lists (as hnswlib does); the graph then depends on thread timing, so a build is
// deterministic only with 1 thread. Searches may run concurrently with each other; add and
// search exclude each other through a read-write lock inside the index.
#ifndef RV_HNSW_H
#define RV_HNSW_H
#include "rv_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rv_hnsw rv_hnsw;

/// The arrays of an index (see the layout above) and its header values: what a file stores.
/// Counts are size_t, as in rv_score.h (a file stores dim, m and ef_construction as 32 bits).
typedef struct rv_hnsw_layout {
    size_t dim;
    rv_metric metric;
    size_t m;
    size_t ef_construction;
    uint64_t seed;
    size_t count;
    int32_t max_level;   // -1 when empty
    int32_t entry_point; // -1 when empty
    size_t count_upper_links; // int32 entries in upper_links
    const float *vectors;
    const int32_t *levels;
    const int32_t *links0;
    const int64_t *upper_offsets;
    const int32_t *upper_links;
} rv_hnsw_layout;

/// Creates an empty index. Allocates; free with rv_hnsw_free. m in [2, 1024], dim and
/// ef_construction in [1, INT32_MAX].
rv_status rv_hnsw_create(size_t dim, rv_metric metric, size_t m, size_t ef_construction, uint64_t seed,
                         rv_hnsw **out_index);

/// Wraps the arrays of `layout` in place (no copy): they must stay valid and unchanged until
/// rv_hnsw_free. The first rv_hnsw_add_f32 copies them into memory the index owns. Header values
/// are checked; link ids and levels are not read here (searches skip out-of-range ids), so
/// opening is O(1). Allocates the index struct; free with rv_hnsw_free.
rv_status rv_hnsw_open_layout(const rv_hnsw_layout *layout, rv_hnsw **out_index);

/// Frees the index and the memory it owns (never the arrays of rv_hnsw_open_layout).
void rv_hnsw_free(rv_hnsw *index);

/// Fills `out` with pointers into the index (valid until the next add or free).
rv_status rv_hnsw_get_layout(rv_hnsw *index, rv_hnsw_layout *out);

/// Nodes in the index.
size_t rv_hnsw_count(rv_hnsw *index);

/// Grows the arrays to hold `capacity_rows` nodes (allocates; never shrinks).
rv_status rv_hnsw_reserve(rv_hnsw *index, size_t capacity_rows);

/// Inserts `count_rows` rows (ids count ... count + count_rows - 1) on `count_threads` threads.
/// Rows must be finite. Allocates as it grows. Call rv_hnsw_link_unreachable after the last add.
rv_status rv_hnsw_add_f32(rv_hnsw *index, const float *rows, size_t count_rows, size_t row_stride_in_floats,
                          int count_threads);

/// Links every node that no layer-0 walk from the entry point reaches, so that every id can be
/// returned (the pruning heuristic can leave members of a tight cluster of near-duplicates with
/// no link into them). One pass over the graph: call it once after a series of adds.
rv_status rv_hnsw_link_unreachable(rv_hnsw *index);

/// The `k` best ids per query, best first (ties: lower id first), searched with a candidate
/// list of max(ef_search, k). `allowed_bits` (NULL = all) covers ids 0 ... count_allowed_ids - 1
/// ((count_allowed_ids + 63) / 64 words): bit i of word i / 64 set means id i may be returned; ids
/// beyond it are not allowed. Filtered-out nodes are still traversed. When few ids are allowed
/// (fewer than count / 32, or at most ef), the query scans the allowed ids exactly instead.
/// Where fewer than k ids are allowed, the tail is id -1, score -infinity.
/// out_ids and out_scores hold count_queries x k. Queries must be finite. k in [1, INT32_MAX],
/// ef_search <= INT32_MAX.
rv_status rv_hnsw_search_f32(rv_hnsw *index, const float *queries, size_t count_queries,
                             size_t query_stride_in_floats, size_t k, size_t ef_search,
                             const uint64_t *allowed_bits, size_t count_allowed_ids, int count_threads,
                             int32_t *out_ids, float *out_scores);

/// Exact search over the index's vectors (every allowed id scored), same output as
/// rv_hnsw_search_f32: the oracle for recall.
rv_status rv_hnsw_search_exact_f32(rv_hnsw *index, const float *queries, size_t count_queries,
                                   size_t query_stride_in_floats, size_t k, const uint64_t *allowed_bits,
                                   size_t count_allowed_ids, int count_threads, int32_t *out_ids, float *out_scores);

#ifdef __cplusplus
}
#endif
#endif
