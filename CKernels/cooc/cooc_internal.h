// cooc_internal.h: the occurrence index and per-thread row accumulator shared by cooc.c
// (validation, index, threads) and cooc_scalar.c (the row loop); not part of the public API.
#ifndef RV_COOC_INTERNAL_H
#define RV_COOC_INTERNAL_H

#include "../core/rv_internal.h"
#include "rv_cooc.h"

/// One occurrence of an item, packed into 8 bytes (half the memory and index traffic of a
/// struct): its position in `tokens` (bits 63..24, so under RV_COOC_MAX_TOKENS) and how many
/// neighbours it has on each side inside both the window and its session (12 bits each, so a
/// window of at most RV_COOC_MAX_WINDOW): left = min(window, position - session start),
/// right = min(window, session end - 1 - position).
typedef uint64_t rv_cooc_occurrence;

static inline rv_cooc_occurrence rv_cooc_occurrence_make(int64_t position, int64_t left, int64_t right) {
    return ((uint64_t)position << 24) | ((uint64_t)left << 12) | (uint64_t)right;
}
static inline int64_t rv_cooc_position(rv_cooc_occurrence o) { return (int64_t)(o >> 24); }
static inline uint32_t rv_cooc_left(rv_cooc_occurrence o) { return (uint32_t)(o >> 12) & 4095u; }
static inline uint32_t rv_cooc_right(rv_cooc_occurrence o) { return (uint32_t)o & 4095u; }

/// Item -> its occurrences, ascending positions: item r's are
/// occurrences[item_offsets[r] ..< item_offsets[r + 1]].
typedef struct {
    const int32_t *tokens;
    const rv_cooc_occurrence *occurrences;
    const int64_t *item_offsets;        // count_items + 1
    const double *weight_by_distance;   // [d] for d in 1 ... the longest window used; [0] unused
    int32_t count_items;
    int forward_only; // RV_COOC_FORWARD: only the right-hand neighbours count
} rv_cooc_index;

/// One thread's accumulator for a row: `sums` (count_items doubles, zero between rows) and the
/// columns touched as a two-level bitmap (bit c of `bits`, and bit w of `words` when bits
/// word w is non-zero), so a row is emitted in ascending column order without sorting.
typedef struct {
    double *sums;
    uint64_t *bits;
    uint64_t *words;
} rv_cooc_accumulator;

/// Adds item `item`'s window neighbours into `acc`, occurrences in ascending position order,
/// each occurrence's neighbours in ascending position order. Returns the neighbours visited
/// (an upper bound on the columns touched).
int64_t rv_cooc_gather_row_scalar(const rv_cooc_index *index, int32_t item, rv_cooc_accumulator *acc);

/// Writes the touched columns of `acc` in ascending order, rounded to float, and clears `acc`:
/// into `dense_row[c]` when dense_row is not NULL (the other columns are left alone), else into
/// `columns` / `values`. Returns the number of columns written.
int64_t rv_cooc_emit_row_scalar(rv_cooc_accumulator *acc, int32_t count_items, float *dense_row, int32_t *columns,
                                float *values);

#endif
