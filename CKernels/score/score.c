// score.c: rv_score_f32 and rv_normalize_rows_f32: argument checks, ISA dispatch (once per
// call) and threads; the helpers the fused top-K driver shares.
#include "score_internal.h"
#include <stdlib.h>

const rv_score_isa *rv_score_isa_active(void) {
    return RV_SIMD_TABLE(rv_score_isa);
}

/// Rows per packed block: about 128 KiB of rows, a multiple of 16, between 16 and 4096.
static size_t rv_score_block_rows(size_t dim) {
    size_t rows = (128 * 1024 / sizeof(float)) / dim / 16 * 16;
    return rows < 16 ? 16 : rows > 4096 ? 4096 : rows;
}

rv_status rv_score_plan_make(rv_score_plan *plan, const float *queries, size_t count_queries, size_t query_stride,
                             const float *rows, size_t count_rows, size_t row_stride, size_t dim, rv_metric metric,
                             int count_threads) {
    int threads = rv_threads_resolve(count_threads);
    // Split rows among threads when there are too few queries to give every thread several register tiles.
    int split_rows = threads > 1 && count_queries < (size_t)threads * 24;
    *plan = (rv_score_plan){rv_score_isa_active(), {queries, count_queries, query_stride, NULL}, rows, count_rows, row_stride,
                            dim, rv_score_block_rows(dim), metric == RV_METRIC_COSINE, threads, split_rows, NULL, 0};
    size_t floats = plan->isa->packed_floats(plan->block_rows, dim);
    floats = (floats + 15) / 16 * 16; // every thread's buffer starts 64-byte aligned
    plan->packed_floats_per_thread = floats;
    plan->packed = aligned_alloc(64, floats * sizeof(float) * (size_t)threads);
    float *norms = NULL;
    if (plan->cosine) {
        norms = malloc((count_queries > 0 ? count_queries : 1) * sizeof(float));
        if (norms != NULL)
            for (size_t i = 0; i < count_queries; i++) norms[i] = rv_inverse_norm(queries + i * query_stride, dim);
    }
    plan->queries.inverse_norms = norms;
    if (plan->packed == NULL || (plan->cosine && norms == NULL)) {
        rv_score_plan_free(plan);
        return RV_ERR_OUT_OF_MEMORY;
    }
    return RV_OK;
}

void rv_score_plan_free(rv_score_plan *plan) {
    free((float *)plan->queries.inverse_norms); // allocated by rv_score_plan_make
    free(plan->packed);
    plan->queries.inverse_norms = NULL;
    plan->packed = NULL;
}

typedef struct {
    rv_score_plan plan;
    float *out;
    size_t out_stride;
} score_job;

static void score_task(void *context, int thread, int count_threads) {
    score_job *job = context;
    const rv_score_plan *plan = &job->plan;
    rv_query_block queries;
    size_t query_begin, row_begin, row_end;
    float *packed = rv_score_plan_slice(plan, thread, count_threads, &queries, &query_begin, &row_begin, &row_end);
    float *out = job->out + query_begin * job->out_stride;
    for (size_t r = row_begin; r < row_end; r += plan->block_rows) {
        size_t n = row_end - r < plan->block_rows ? row_end - r : plan->block_rows;
        plan->isa->pack(plan->rows + r * plan->row_stride, n, plan->row_stride, plan->dim, plan->cosine, packed);
        plan->isa->score(&queries, packed, n, plan->dim, out + r, job->out_stride);
    }
}

rv_status rv_score_f32(const float *queries, size_t count_queries, size_t query_stride_in_floats,
                       const float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                       rv_metric metric, float *out_scores, size_t out_stride_in_floats, int count_threads) {
    if (!rv_score_args_ok(queries, count_queries, query_stride_in_floats, rows, count_rows, row_stride_in_floats, dim, metric))
        return RV_ERR_INVALID_ARGUMENT;
    if (count_queries == 0 || count_rows == 0) return RV_OK; // nothing to write
    if (!rv_matrix_ok(out_scores, count_queries, out_stride_in_floats, count_rows)) return RV_ERR_INVALID_ARGUMENT;

    score_job job = {.out = out_scores, .out_stride = out_stride_in_floats};
    rv_status status = rv_score_plan_make(&job.plan, queries, count_queries, query_stride_in_floats, rows, count_rows,
                                          row_stride_in_floats, dim, metric, count_threads);
    if (status != RV_OK) return status;
    rv_parallel(job.plan.count_threads, score_task, &job);
    rv_score_plan_free(&job.plan);
    return RV_OK;
}

typedef struct {
    const rv_score_isa *isa;
    float *rows;
    size_t count_rows, row_stride, dim;
} normalize_job;

static void normalize_task(void *context, int thread, int count_threads) {
    normalize_job *job = context;
    size_t begin, end;
    rv_slice(job->count_rows, thread, count_threads, &begin, &end);
    job->isa->normalize(job->rows + begin * job->row_stride, end - begin, job->row_stride, job->dim);
}

rv_status rv_normalize_rows_f32(float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                                int count_threads) {
    if (dim == 0 || !rv_matrix_ok(rows, count_rows, row_stride_in_floats, dim)) return RV_ERR_INVALID_ARGUMENT;
    if (count_rows == 0) return RV_OK;
    normalize_job job = {rv_score_isa_active(), rows, count_rows, row_stride_in_floats, dim};
    rv_parallel(count_threads, normalize_task, &job);
    return RV_OK;
}
