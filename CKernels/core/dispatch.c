// dispatch.c: CPU features read once; the ISA every batch call dispatches on.
#include "rv_core.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int active_isa = -1;

rv_simd_level rv_simd_level_best(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return RV_SIMD_AVX2;
#endif
    return RV_SIMD_SCALAR;
}

rv_simd_level rv_simd_level_active(void) {
    int isa = atomic_load_explicit(&active_isa, memory_order_relaxed);
    if (isa >= 0) return (rv_simd_level)isa;
    rv_simd_level best = rv_simd_level_best();
    rv_simd_level chosen = best;
    const char *level = getenv("RV_SIMD_LEVEL");
    if (level && strcmp(level, "scalar") == 0) chosen = RV_SIMD_SCALAR;
    int expected = -1;
    atomic_compare_exchange_strong(&active_isa, &expected, (int)chosen);
    return (rv_simd_level)atomic_load(&active_isa);
}

rv_status rv_simd_level_set(rv_simd_level isa) {
    if (isa != RV_SIMD_SCALAR && isa != RV_SIMD_AVX2) return RV_ERR_INVALID_ARGUMENT;
    if (isa == RV_SIMD_AVX2 && rv_simd_level_best() != RV_SIMD_AVX2) return RV_ERR_UNSUPPORTED;
    atomic_store(&active_isa, (int)isa);
    return RV_OK;
}

const char *rv_simd_level_name(rv_simd_level isa) {
    switch (isa) {
    case RV_SIMD_SCALAR: return "scalar";
    case RV_SIMD_AVX2: return "avx2";
    }
    return "unknown";
}
