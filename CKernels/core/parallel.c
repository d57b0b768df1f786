// parallel.c: threads through libomp's runtime without -fopenmp.
//
// The compiler flag -fopenmp would need SwiftPM's unsafeFlags, which forbids depending on
// RecVec by version. A parallel region is only an outlined function handed to the runtime,
// so we call libomp's GOMP-compatible entry point ourselves (linked as -lomp5).
#include "rv_internal.h"

extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_get_max_threads(void);

int rv_threads_max(void) { return omp_get_max_threads(); }

int rv_threads_resolve(int count_threads) {
    return count_threads > 0 ? count_threads : rv_threads_max();
}

typedef struct {
    rv_task_fn task;
    void *context;
} region;

static void region_body(void *data) {
    region *r = data;
    r->task(r->context, omp_get_thread_num(), omp_get_num_threads());
}

void rv_parallel(int count_threads, rv_task_fn task, void *context) {
    int n = rv_threads_resolve(count_threads);
    if (n <= 1) {
        task(context, 0, 1);
        return;
    }
    region r = {task, context};
    GOMP_parallel(region_body, &r, (unsigned)n, 0);
}
