#!/usr/bin/env python3
"""faiss IndexFlatIP (exact inner-product search: BLAS sgemm in blocks + heaps) on the queries,
rows and k that kbench's score_topk wrote, described by score_topk.<size>.json sidecars.

    peers_score.py <inputs dir>

Prints one JSON line per size and thread count (1 and 2), shaped like kbench's BenchRow.
`ok` says faiss's scores agree with the C kernel's, position by position, within the sidecar's
score_tolerance.
"""
import glob
import json
import os
import statistics
import sys
import time

import faiss
import numpy as np

REPEATS = int(os.environ.get("PEERS_REPEATS", "5"))


def load(inputs, meta, key, dtype, shape):
    return np.fromfile(os.path.join(inputs, meta[key]), dtype=dtype).reshape(shape)


def main(inputs):
    options = faiss.get_compile_options()
    isa = "avx512" if "AVX512" in options else "avx2" if "AVX2" in options else "generic"
    for sidecar in sorted(glob.glob(os.path.join(inputs, "score_topk.*.json"))):
        with open(sidecar) as f:
            meta = json.load(f)
        q, n, d, k = meta["queries"], meta["rows"], meta["dim"], meta["k"]
        queries = load(inputs, meta, "queries_file", "<f4", (q, d))
        rows = load(inputs, meta, "rows_file", "<f4", (n, d))
        c_scores = load(inputs, meta, "c_scores_file", "<f4", (q, k))
        index = faiss.IndexFlatIP(d)
        index.add(rows)
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            scores, _ = index.search(queries, k)  # warm-up
            samples = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                scores, _ = index.search(queries, k)
                samples.append((time.perf_counter() - start) * 1000)
            samples.sort()
            median = statistics.median(samples)
            ok = bool(np.all(np.abs(scores - c_scores) <= meta["score_tolerance"]))
            print(json.dumps({
                "kernel": meta["kernel"], "size": meta["size"], "impl": "faiss", "threads": threads, "isa": isa,
                "median_ms": median, "p90_ms": samples[min(len(samples) - 1, len(samples) * 9 // 10)],
                "throughput": meta["gflop"] / (median / 1000), "unit": "GFLOP/s", "speedup": None, "ok": ok,
            }, sort_keys=True), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: peers_score.py <inputs dir written by kbench --write-inputs>")
    main(sys.argv[1])
