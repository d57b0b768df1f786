// hnsw_internal.h: what the HNSW family takes from core/; not part of the public API.
#ifndef RV_HNSW_INTERNAL_H
#define RV_HNSW_INTERNAL_H

#include "rv_hnsw.h"
#include "../core/rv_heap.h"
#include "../core/rv_random.h"
#include "../core/rv_vector.h"

#endif
