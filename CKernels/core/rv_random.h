// rv_random.h: the one SplitMix64 of the C kernels (Steele, Lea and Flood 2014); not part of the
// public API. The Swift side's `SplitMix64` uses the same constants.
#ifndef RV_RANDOM_H
#define RV_RANDOM_H

#include <stdint.h>

/// SplitMix64's increment, the odd integer nearest 2^64 / golden ratio.
#define RV_SPLITMIX64_GAMMA 0x9E3779B97F4A7C15ULL

/// SplitMix64's finaliser (variant 13 of Stafford's mix): a bijection that spreads every input bit.
static inline uint64_t rv_mix64(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/// The `index`-th output of the SplitMix64 stream seeded with `seed` (index 1 is the first draw):
/// random access, so a value depends only on (seed, index), never on thread timing.
static inline uint64_t rv_splitmix64_at(uint64_t seed, uint64_t index) {
    return rv_mix64(seed + RV_SPLITMIX64_GAMMA * index);
}

#endif
