#!/usr/bin/env python3
"""hnswlib on the inputs annbench wrote (annbench --write-inputs DIR): the same rows as annbench.

Usage: Benchmarks/peers/peers_hnsw.py DIR/<size> [--index FILE]   (DIR/<size>/meta.json, base.f32, queries.f32)
       --index FILE: load FILE if it exists (search rows only, build_s 0), else build and save it.
Venv:  python3 -m venv .venv-peers && .venv-peers/bin/pip install hnswlib numpy

Same M, efConstruction, build threads and efSearch values as annbench; 1 search thread;
recall@10 against exact search computed here with numpy (float64 scores).
"""
import json
import os
import sys
import time

import hnswlib
import numpy as np


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--index"):
        sys.exit(__doc__)
    d = sys.argv[1]
    cached = sys.argv[3] if len(sys.argv) == 4 else None
    meta = json.load(open(os.path.join(d, "meta.json")))
    n, dim, nq, k = meta["count"], meta["dim"], meta["queries"], meta["k"]
    base = np.fromfile(os.path.join(d, meta["files"]["base"]), dtype="<f4").reshape(n, dim)
    queries = np.fromfile(os.path.join(d, meta["files"]["queries"]), dtype="<f4").reshape(nq, dim)

    # Exact top-k (cosine: on normalised copies, as both indexes do).
    b, q = base.astype(np.float64), queries.astype(np.float64)
    if meta["metric"] == "cosine":
        b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-30)
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
    truth = np.empty((nq, k), dtype=np.int64)
    for s in range(0, nq, 100):
        scores = q[s:s + 100] @ b.T
        part = np.argpartition(-scores, k, axis=1)[:, :k]
        truth[s:s + 100] = part
    truth_sets = [set(t) for t in truth]

    space = "cosine" if meta["metric"] == "cosine" else "ip"
    index = hnswlib.Index(space=space, dim=dim)
    build = build_cpu = 0.0
    if cached and os.path.exists(cached):
        index.load_index(cached, max_elements=n)
    else:
        index.init_index(max_elements=n, ef_construction=meta["ef_construction"], M=meta["m"], random_seed=meta["seed"] % (1 << 31))
        t, c = time.perf_counter(), time.process_time()
        index.add_items(base, np.arange(n), num_threads=meta["build_threads"])
        build, build_cpu = time.perf_counter() - t, time.process_time() - c
        if cached:
            index.save_index(cached)

    print(f"hnswlib {hnswlib.__version__ if hasattr(hnswlib, '__version__') else ''} numpy {np.__version__}; "
          f"space {space}, build threads {meta['build_threads']}, search threads 1")
    print("  build_s: wall seconds (build_cpu_s: CPU seconds of all build threads); qps: queries per second of the one"
          " search thread's CPU time (knn_query with num_threads=1 runs inline); qps_wall: per wall second; best of 5")
    print(f"{'impl':<9}{'n':<9}{'dim':<5}{'M':<4}{'efC':<5}{'efSearch':<9}{'build_s':<9}{'build_cpu_s':<12}"
          f"{'recall@10':<10}{'qps':<10}{'qps_wall':<10}")
    for ef in meta["ef_search"]:
        index.set_ef(max(ef, k))
        index.knn_query(queries, k=k, num_threads=1)  # warm-up
        best = best_wall = float("inf")
        for _ in range(5):
            t, c = time.perf_counter(), time.thread_time()
            labels, _ = index.knn_query(queries, k=k, num_threads=1)
            best = min(best, time.thread_time() - c)
            best_wall = min(best_wall, time.perf_counter() - t)
        hits = sum(len(truth_sets[i] & set(labels[i].tolist())) for i in range(nq))
        print(f"{'hnswlib':<9}{n:<9}{dim:<5}{meta['m']:<4}{meta['ef_construction']:<5}{ef:<9}{build:<9.2f}"
              f"{build_cpu:<12.2f}{hits / (nq * k):<10.4f}{nq / best:<10.0f}{nq / best_wall:<10.0f}")


if __name__ == "__main__":
    main()
