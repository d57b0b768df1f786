// rv_core.h: status codes, ISA dispatch and threads shared by every kernel family.
#ifndef RV_CORE_H
#define RV_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rv_status {
    RV_OK = 0,
    RV_ERR_INVALID_ARGUMENT = 1, // a count, size or pointer the kernel cannot work with
    RV_ERR_OUT_OF_RANGE = 2,     // an id outside [0, count)
    RV_ERR_OUT_OF_MEMORY = 3,    // an allocation the doc comment announced failed
    RV_ERR_UNSUPPORTED = 4,      // the CPU lacks the ISA asked for
} rv_status;

// The SIMD path a batch call dispatches on. One switch, one name: rv_simd_level in C, SIMDLevel in
// Swift (Sources/RecVec/Core/SIMDLevel.swift), and RV_SIMD_LEVEL in the environment (rv_simd_level_active).
typedef enum rv_simd_level {
    RV_SIMD_SCALAR = 0,
    RV_SIMD_AVX2 = 1, // AVX2 + FMA
} rv_simd_level;

/// The best ISA this CPU (and OS) supports.
rv_simd_level rv_simd_level_best(void);
/// The ISA kernels use now: the environment variable RV_SIMD_LEVEL ("scalar" or "avx2"),
/// read once, else the best; rv_simd_level_set overrides both.
rv_simd_level rv_simd_level_active(void);
/// Pins the ISA for every later call; RV_ERR_UNSUPPORTED when the CPU lacks it.
rv_status rv_simd_level_set(rv_simd_level isa);
/// "scalar" or "avx2".
const char *rv_simd_level_name(rv_simd_level isa);

/// Threads a call with count_threads <= 0 uses.
int rv_threads_max(void);

typedef enum rv_metric {
    RV_METRIC_DOT = 0,
    RV_METRIC_COSINE = 1, // dot / (|q| |r|); 0 where either norm is 0
} rv_metric;

#ifdef __cplusplus
}
#endif
#endif
