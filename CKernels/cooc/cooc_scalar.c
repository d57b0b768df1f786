// cooc_scalar.c: one row of the co-occurrence matrix, gathered and emitted (the only path; see
// rv_cooc.h for why there is no AVX2 one).
#include "cooc_internal.h"

// How many occurrences ahead to prefetch a window: each occurrence's window sits at a random
// place in `tokens`, so without it every occurrence waits for a cache miss.
enum { PREFETCH_AHEAD = 8 };

static inline void touch(rv_cooc_accumulator *acc, int32_t column, double weight) {
    size_t c = (size_t)column;
    acc->sums[c] += weight;
    acc->bits[c >> 6] |= (uint64_t)1 << (c & 63);
    acc->words[c >> 12] |= (uint64_t)1 << ((c >> 6) & 63);
}

int64_t rv_cooc_gather_row_scalar(const rv_cooc_index *index, int32_t item, rv_cooc_accumulator *acc) {
    const int32_t *tokens = index->tokens;
    const double *weight = index->weight_by_distance;
    const rv_cooc_occurrence *occurrence = index->occurrences + index->item_offsets[item];
    int64_t count = index->item_offsets[item + 1] - index->item_offsets[item];
    int64_t visited = 0;
    for (int64_t k = 0; k < count; k++) {
        if (k + PREFETCH_AHEAD < count) {
            rv_cooc_occurrence ahead = occurrence[k + PREFETCH_AHEAD];
            __builtin_prefetch(tokens + rv_cooc_position(ahead) - rv_cooc_left(ahead));
            __builtin_prefetch(tokens + rv_cooc_position(ahead) + rv_cooc_right(ahead));
        }
        const int32_t *center = tokens + rv_cooc_position(occurrence[k]);
        uint32_t left = index->forward_only ? 0 : rv_cooc_left(occurrence[k]), right = rv_cooc_right(occurrence[k]);
        for (uint32_t d = left; d >= 1; d--) touch(acc, center[-(int64_t)d], weight[d]);
        for (uint32_t d = 1; d <= right; d++) touch(acc, center[d], weight[d]);
        visited += (int64_t)left + (int64_t)right;
    }
    return visited;
}

int64_t rv_cooc_emit_row_scalar(rv_cooc_accumulator *acc, int32_t count_items, float *dense_row, int32_t *columns,
                                float *values) {
    size_t count_words = ((size_t)count_items + 4095) >> 12;
    int64_t written = 0;
    for (size_t w = 0; w < count_words; w++) {
        uint64_t word_mask = acc->words[w];
        acc->words[w] = 0;
        while (word_mask) {
            size_t b = (w << 6) + (size_t)__builtin_ctzll(word_mask);
            word_mask &= word_mask - 1;
            uint64_t bit_mask = acc->bits[b];
            acc->bits[b] = 0;
            while (bit_mask) {
                size_t c = (b << 6) + (size_t)__builtin_ctzll(bit_mask);
                bit_mask &= bit_mask - 1;
                float value = (float)acc->sums[c];
                acc->sums[c] = 0;
                if (dense_row) {
                    dense_row[c] = value;
                } else {
                    columns[written] = (int32_t)c;
                    values[written] = value;
                }
                written++;
            }
        }
    }
    return written;
}
