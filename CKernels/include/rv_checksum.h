// rv_checksum.h: the checksum every RecVec file carries.
#ifndef RV_CHECKSUM_H
#define RV_CHECKSUM_H
#include "rv_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/// XXH64 of `count_bytes` bytes at `data` (NULL allowed when count_bytes is 0) with `seed`:
/// the reference xxHash 64-bit algorithm, byte-for-byte, so files can be checked with any
/// xxhash tool. Portable scalar code (no ISA dispatch), several GB/s per core.
/// To cover pieces that are not contiguous, chain them: seed the next call with the previous
/// result (the chained value depends on where the pieces split).
uint64_t rv_checksum64(const void *data, size_t count_bytes, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
