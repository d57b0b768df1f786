// ckernels.h: the whole C API of RecVec's hot loops.
//
// Conventions (see README "C kernels"):
// - pointer + count + stride; names carry units (count_rows, dim);
// - every entry point returns rv_status and never prints, exits or keeps state;
// - threads: `count_threads` <= 0 means all threads libomp offers (OMP_NUM_THREADS honoured);
// - SIMD: one ISA is chosen per batch call by rv_simd_level_active();
// - memory the C side allocates for the caller is named in the doc comment, with its free function.
#ifndef RV_CKERNELS_H
#define RV_CKERNELS_H

#include "rv_core.h"
#include "rv_score.h"
#include "rv_topk.h"
#include "rv_cooc.h"
#include "rv_sgns.h"
#include "rv_checksum.h"
#include "rv_hnsw.h"

#endif
