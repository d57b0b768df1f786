// score.c: rv_score_f32 and rv_normalize_rows_f32: argument checks, ISA dispatch (once per
// call) and threads; the helpers the fused top-K driver shares.
#include "score_internal.h"
#include <stdlib.h>

const rv_score_isa *rv_score_isa_active(void) {
    return rv_isa_active() == RV_ISA_AVX2 ? &rv_score_isa_avx2 : &rv_score_isa_scalar;
}

size_t rv_score_block_rows(size_t dim) {
    size_t rows = (128 * 1024 / sizeof(float)) / dim / 16 * 16;
    return rows < 16 ? 16 : rows > 4096 ? 4096 : rows;
}

float *rv_score_packing_buffers(const rv_score_isa *isa, size_t block_rows, size_t dim, int count_threads,
                                size_t *floats_per_thread) {
    size_t floats = isa->packed_floats(block_rows, dim);
    floats = (floats + 15) / 16 * 16; // every thread's buffer starts 64-byte aligned
    *floats_per_thread = floats;
    return aligned_alloc(64, floats * sizeof(float) * (size_t)count_threads);
}

float *rv_score_inverse_norms(const float *queries, size_t count, size_t stride, size_t dim) {
    float *norms = malloc((count > 0 ? count : 1) * sizeof(float));
    if (norms == NULL) return NULL;
    for (size_t i = 0; i < count; i++) norms[i] = rv_inverse_norm(queries + i * stride, dim);
    return norms;
}

typedef struct {
    const rv_score_isa *isa;
    rv_query_block queries;
    const float *rows;
    size_t count_rows, row_stride, dim, block_rows;
    int cosine, split_rows;
    float *packed;
    size_t packed_floats_per_thread;
    float *out;
    size_t out_stride;
} score_job;

static void score_task(void *context, int thread, int count_threads) {
    score_job *job = context;
    size_t query_begin, query_end, row_begin, row_end;
    rv_score_slices(job->split_rows, job->queries.count, job->count_rows, thread, count_threads, &query_begin,
                    &query_end, &row_begin, &row_end);
    rv_query_block queries = {job->queries.values + query_begin * job->queries.stride, query_end - query_begin,
                              job->queries.stride,
                              job->queries.inverse_norms ? job->queries.inverse_norms + query_begin : NULL};
    float *packed = job->packed + (size_t)thread * job->packed_floats_per_thread;
    float *out = job->out + query_begin * job->out_stride;
    for (size_t r = row_begin; r < row_end; r += job->block_rows) {
        size_t n = row_end - r < job->block_rows ? row_end - r : job->block_rows;
        job->isa->pack(job->rows + r * job->row_stride, n, job->row_stride, job->dim, job->cosine, packed);
        job->isa->score(&queries, packed, n, job->dim, out + r, job->out_stride);
    }
}

rv_status rv_score_f32(const float *queries, size_t count_queries, size_t query_stride_in_floats,
                       const float *rows, size_t count_rows, size_t row_stride_in_floats, size_t dim,
                       rv_metric metric, float *out_scores, size_t out_stride_in_floats, int count_threads) {
    if (dim == 0 || (metric != RV_METRIC_DOT && metric != RV_METRIC_COSINE)) return RV_ERR_INVALID_ARGUMENT;
    if (!rv_matrix_ok(queries, count_queries, query_stride_in_floats, dim)
        || !rv_matrix_ok(rows, count_rows, row_stride_in_floats, dim))
        return RV_ERR_INVALID_ARGUMENT;
    if (count_queries == 0 || count_rows == 0) return RV_OK; // nothing to write
    if (!rv_matrix_ok(out_scores, count_queries, out_stride_in_floats, count_rows)) return RV_ERR_INVALID_ARGUMENT;

    int threads = rv_threads_resolve(count_threads);
    score_job job = {rv_score_isa_active(), {queries, count_queries, query_stride_in_floats, NULL}, rows,
                     count_rows, row_stride_in_floats, dim, rv_score_block_rows(dim), metric == RV_METRIC_COSINE,
                     rv_score_split_rows(count_queries, threads), NULL, 0, out_scores, out_stride_in_floats};
    job.packed = rv_score_packing_buffers(job.isa, job.block_rows, dim, threads, &job.packed_floats_per_thread);
    float *inverse_norms = job.cosine ? rv_score_inverse_norms(queries, count_queries, query_stride_in_floats, dim) : NULL;
    rv_status status = RV_OK;
    if (job.packed == NULL || (job.cosine && inverse_norms == NULL)) {
        status = RV_ERR_OUT_OF_MEMORY;
    } else {
        job.queries.inverse_norms = inverse_norms;
        rv_parallel(threads, score_task, &job);
    }
    free(inverse_norms);
    free(job.packed);
    return status;
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
