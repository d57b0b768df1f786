// topk.c: rv_score_topk_f32 and rv_topk_f32: argument checks, ISA dispatch (once per call),
// threads, and the merge of per-thread heaps when threads split the rows.
#include "topk_internal.h"
#include "../score/score_internal.h"
#include <stdlib.h>
#include <string.h>

static int compare_ids(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    rv_score_plan plan;
    rv_heap *heaps; // count_queries per thread when rows are split, else count_queries
} score_topk_job;

static void score_topk_task(void *context, int thread, int count_threads) {
    score_topk_job *job = context;
    const rv_score_plan *plan = &job->plan;
    rv_query_block queries;
    size_t query_begin, row_begin, row_end;
    float *packed = rv_score_plan_slice(plan, thread, count_threads, &queries, &query_begin, &row_begin, &row_end);
    rv_heap *heaps = job->heaps + (plan->split_rows ? (size_t)thread * plan->queries.count : query_begin);
    for (size_t r = row_begin; r < row_end; r += plan->block_rows) {
        size_t n = row_end - r < plan->block_rows ? row_end - r : plan->block_rows;
        plan->isa->pack(plan->rows + r * plan->row_stride, n, plan->row_stride, plan->dim, plan->cosine, packed);
        plan->isa->topk(&queries, packed, n, plan->dim, (int32_t)r, heaps);
    }
    if (!plan->split_rows)
        for (size_t q = 0; q < queries.count; q++) rv_heap_finish(&heaps[q]);
}

rv_status rv_score_topk_f32(const float *queries, size_t count_queries, size_t query_stride_in_floats,
                            const float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                            rv_metric metric, size_t k, const size_t *exclude_offsets,
                            const int32_t *exclude_ids, int32_t *out_ids, float *out_scores,
                            int count_threads) {
    if (!rv_score_args_ok(queries, count_queries, query_stride_in_floats, rows, count_rows, row_stride_in_floats, dim, metric))
        return RV_ERR_INVALID_ARGUMENT;
    if (k == 0 || k > count_rows || count_rows > INT32_MAX) return RV_ERR_INVALID_ARGUMENT;
    if (!rv_matrix_ok(out_scores, count_queries, k, k) || (count_queries > 0 && out_ids == NULL))
        return RV_ERR_INVALID_ARGUMENT;
    size_t count_excluded = 0;
    if (exclude_offsets) {
        for (size_t q = 0; q < count_queries; q++)
            if (exclude_offsets[q + 1] < exclude_offsets[q]) return RV_ERR_INVALID_ARGUMENT;
        count_excluded = exclude_offsets[count_queries] - exclude_offsets[0];
        if (count_excluded > 0 && exclude_ids == NULL) return RV_ERR_INVALID_ARGUMENT;
        for (size_t i = 0; i < count_excluded; i++) {
            int32_t id = exclude_ids[exclude_offsets[0] + i];
            if (id < 0 || (size_t)id >= count_rows) return RV_ERR_OUT_OF_RANGE;
        }
    }
    if (count_queries == 0) return RV_OK;

    score_topk_job job = {.heaps = NULL};
    rv_status status = rv_score_plan_make(&job.plan, queries, count_queries, query_stride_in_floats, rows, count_rows,
                                          row_stride_in_floats, dim, metric, count_threads);
    if (status != RV_OK) return status;
    size_t heap_sets = job.plan.split_rows ? (size_t)job.plan.count_threads : 1;
    // Heaps of thread 0 (or of the only set) live in the output; other threads' in `spare`.
    size_t spare_entries = (heap_sets - 1) * count_queries * k;
    float *spare_scores = malloc((spare_entries > 0 ? spare_entries : 1) * sizeof(float));
    int32_t *spare_ids = malloc((spare_entries > 0 ? spare_entries : 1) * sizeof(int32_t));
    int32_t *excluded = malloc((count_excluded > 0 ? count_excluded : 1) * sizeof(int32_t));
    job.heaps = malloc(heap_sets * count_queries * sizeof(rv_heap));
    if (!spare_scores || !spare_ids || !excluded || !job.heaps) {
        status = RV_ERR_OUT_OF_MEMORY;
        goto done;
    }
    if (count_excluded > 0) {
        memcpy(excluded, exclude_ids + exclude_offsets[0], count_excluded * sizeof(int32_t));
        for (size_t q = 0; q < count_queries; q++)
            qsort(excluded + (exclude_offsets[q] - exclude_offsets[0]), exclude_offsets[q + 1] - exclude_offsets[q],
                  sizeof(int32_t), compare_ids);
    }
    for (size_t set = 0; set < heap_sets; set++)
        for (size_t q = 0; q < count_queries; q++) {
            float *scores = set == 0 ? out_scores + q * k : spare_scores + ((set - 1) * count_queries + q) * k;
            int32_t *ids = set == 0 ? out_ids + q * k : spare_ids + ((set - 1) * count_queries + q) * k;
            const int32_t *mine = exclude_offsets ? excluded + (exclude_offsets[q] - exclude_offsets[0]) : NULL;
            size_t count_mine = exclude_offsets ? exclude_offsets[q + 1] - exclude_offsets[q] : 0;
            job.heaps[set * count_queries + q] = rv_heap_make(scores, ids, k, mine, count_mine);
        }
    rv_parallel(job.plan.count_threads, score_topk_task, &job);
    if (job.plan.split_rows) {
        // The best k of the union of every thread's best k is the best k overall.
        for (size_t q = 0; q < count_queries; q++) {
            rv_heap *merged = &job.heaps[q];
            for (size_t set = 1; set < heap_sets; set++) {
                const rv_heap *other = &job.heaps[set * count_queries + q];
                for (size_t i = 0; i < other->count; i++) rv_heap_offer(merged, other->scores[i], other->ids[i]);
            }
            rv_heap_finish(merged);
        }
    }
done:
    rv_score_plan_free(&job.plan);
    free(job.heaps);
    free(excluded);
    free(spare_ids);
    free(spare_scores);
    return status;
}

typedef struct {
    const rv_topk_isa *isa;
    const float *scores;
    size_t count_queries, count_columns, stride, k;
    int32_t *out_ids;
    float *out_scores;
} topk_job;

static void topk_task(void *context, int thread, int count_threads) {
    topk_job *job = context;
    size_t begin, end;
    rv_slice(job->count_queries, thread, count_threads, &begin, &end);
    for (size_t q = begin; q < end; q++) {
        rv_heap heap = rv_heap_make(job->out_scores + q * job->k, job->out_ids + q * job->k, job->k, NULL, 0);
        job->isa->scan(job->scores + q * job->stride, job->count_columns, 0, &heap);
        rv_heap_finish(&heap);
    }
}

rv_status rv_topk_f32(const float *scores, size_t count_queries, size_t count_columns,
                      size_t score_stride_in_floats, size_t k, int32_t *out_ids, float *out_scores,
                      int count_threads) {
    if (k == 0 || k > count_columns || count_columns > INT32_MAX) return RV_ERR_INVALID_ARGUMENT;
    if (!rv_matrix_ok(scores, count_queries, score_stride_in_floats, count_columns)
        || !rv_matrix_ok(out_scores, count_queries, k, k) || (count_queries > 0 && out_ids == NULL))
        return RV_ERR_INVALID_ARGUMENT;
    if (count_queries == 0) return RV_OK;
    topk_job job = {RV_SIMD_TABLE(rv_topk_isa), scores, count_queries,
                    count_columns, score_stride_in_floats, k, out_ids, out_scores};
    rv_parallel(count_threads, topk_task, &job);
    return RV_OK;
}
