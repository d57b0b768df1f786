#!/usr/bin/env python3
"""scipy.sparse peer of kbench's cooc_csr rows.

Usage: peers_cooc.py <inputs-dir> [--repeats N]

Reads every cooc_<size>.json sidecar that `kbench --write-inputs <inputs-dir>` wrote (the token
stream as int32, session offsets as int64, vocab, window), builds the in-window pairs with numpy
(vectorised per offset d = 1..window, masking pairs that cross a session boundary, both
directions so a repeat pair adds 2 to the diagonal, as RecVec does) and sums them with
scipy.sparse.coo_matrix((w, (i, j)), shape).tocsr() (which sums duplicates and sorts columns).

Prints one JSON line per row, shaped like kbench's BenchRow:
  impl "scipy":       the coo-to-csr build alone (pairs prebuilt), the row to compare with kbench's
  impl "scipy+pairs": building the pair arrays plus the coo-to-csr build.
Timing as in kbench: one warm-up run, then the median and p90 of --repeats runs (default 5).
Throughput is in unordered in-window position pairs per second. `ok` compares the CSR with the
digest of RecVec's result in the sidecar: identical row offsets, non-zero count, sum of values and
sum of column x value (count weighting: integer values, so the sums are exact).
"""
import json
import pathlib
import sys
import time

import numpy as np
import scipy.sparse as sp


def pair_arrays(tokens, offsets, window):
    """Row ids, column ids and weights of every ordered in-window pair (count weighting)."""
    session = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    rows, cols = [], []
    for d in range(1, window + 1):
        if d >= len(tokens):
            break
        same = session[:-d] == session[d:]
        a = tokens[:-d][same]
        b = tokens[d:][same]
        rows += [a, b]
        cols += [b, a]
    i = np.concatenate(rows)
    j = np.concatenate(cols)
    return i, j, np.ones(len(i), dtype=np.float32)


def measure(body, repeats):
    body()
    samples = []
    result = None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = body()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, (len(samples) * 9) // 10)], result


def matches(csr, expected, directory):
    row_offsets = np.fromfile(directory / expected["row_offsets_file"], dtype="<i8")
    data = csr.data.astype(np.float64)
    return bool(
        csr.nnz == expected["nnz"]
        and np.array_equal(csr.indptr.astype(np.int64), row_offsets)
        and data.sum() == expected["value_sum"]
        and (csr.indices.astype(np.float64) * data).sum() == expected["column_value_sum"]
    )


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    directory = pathlib.Path(sys.argv[1])
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
    for sidecar in sorted(directory.glob("cooc_*.json")):
        spec = json.loads(sidecar.read_text())
        tokens = np.fromfile(directory / spec["tokens_file"], dtype="<i4")
        offsets = np.fromfile(directory / spec["offsets_file"], dtype="<i8")
        n, window, pairs = spec["vocab"], spec["window"], spec["pairs"]
        i, j, w = pair_arrays(tokens, offsets, window)
        assert len(i) == 2 * pairs, (len(i), pairs)

        def build():
            return sp.coo_matrix((w, (i, j)), shape=(n, n)).tocsr()

        def pairs_and_build():
            pi, pj, pw = pair_arrays(tokens, offsets, window)
            return sp.coo_matrix((pw, (pi, pj)), shape=(n, n)).tocsr()

        for impl, body in (("scipy", build), ("scipy+pairs", pairs_and_build)):
            median, p90, csr = measure(body, repeats)
            row = {
                "kernel": spec["kernel"], "size": spec["size"], "impl": impl, "threads": 1, "isa": "-",
                "median_ms": median, "p90_ms": p90, "throughput": pairs / (median / 1000), "unit": "pairs",
                "speedup": None, "ok": matches(csr, spec["expected"], directory),
            }
            print(json.dumps(row, sort_keys=True), flush=True)
            del csr


if __name__ == "__main__":
    main()
