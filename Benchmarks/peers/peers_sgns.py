#!/usr/bin/env python3
"""gensim peer of kbench's sgns rows.

Usage: peers_sgns.py <inputs-dir> [--repeats N] [--workers N]

Reads every sgns_<size>.json sidecar that `kbench --write-inputs <inputs-dir>` wrote (the token
stream as int32, session offsets as int64, hyperparameters), turns the sessions into lists of str
tokens and trains gensim's Word2Vec(sg=1, hs=0, negative, window, vector_size, ns_exponent,
sample, shrink_windows, alpha, min_alpha from the sidecar, min_count=1, workers=2, epochs=1).
Timed: model.train() alone on a fresh model whose vocabulary is built untimed (as kbench times
train(on:) alone on a fresh trainer). Timing as in kbench: one warm-up run, then the median and
p90 of --repeats runs (default 3). Throughput is the sidecar's full-window pair count (every
in-window (center, context) pair; no subsampling or window shrink in these inputs) per second.
`ok`: gensim trained every token and its vectors are finite.

Prints one JSON line per size, shaped like kbench's BenchRow (impl "gensim").
"""
import json
import pathlib
import sys
import time

import numpy as np
from gensim.models import Word2Vec


def sessions_as_str(tokens, offsets):
    words = tokens.astype(str).tolist()
    return [words[offsets[s]:offsets[s + 1]] for s in range(len(offsets) - 1)]


def fresh_model(sidecar, sentences, workers):
    model = Word2Vec(
        sg=1, hs=0, negative=sidecar["negatives"], window=sidecar["window"], vector_size=sidecar["dim"],
        ns_exponent=sidecar["ns_exponent"], sample=sidecar["sample"], shrink_windows=sidecar["shrink_windows"],
        alpha=sidecar["alpha"], min_alpha=sidecar["min_alpha"], min_count=1, workers=workers,
        epochs=sidecar["epochs"], seed=sidecar["seed"])
    model.build_vocab(sentences)
    return model


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if args else 64)
    inputs = pathlib.Path(args[0])
    repeats = int(args[args.index("--repeats") + 1]) if "--repeats" in args else 3
    workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 2
    for path in sorted(inputs.glob("sgns_*.json")):
        sidecar = json.loads(path.read_text())
        tokens = np.fromfile(inputs / sidecar["tokens_file"], dtype="<i4")
        offsets = np.fromfile(inputs / sidecar["offsets_file"], dtype="<i8")
        sentences = sessions_as_str(tokens, offsets)

        def run():
            model = fresh_model(sidecar, sentences, workers)
            start = time.perf_counter()
            trained, raw = model.train(sentences, total_examples=len(sentences), epochs=sidecar["epochs"])
            elapsed = time.perf_counter() - start
            ok = raw == len(tokens) * sidecar["epochs"] and bool(np.isfinite(model.wv.vectors).all())
            return elapsed, ok

        run()
        samples, ok = [], True
        for _ in range(max(1, repeats)):
            elapsed, good = run()
            samples.append(elapsed * 1000)
            ok = ok and good
        samples.sort()
        median = samples[len(samples) // 2]
        p90 = samples[min(len(samples) - 1, (len(samples) * 9) // 10)]
        print(json.dumps({
            "kernel": "sgns", "size": sidecar["size"], "impl": "gensim", "threads": workers, "isa": "-",
            "median_ms": median, "p90_ms": p90, "throughput": sidecar["pairs"] / (median / 1000), "unit": "pairs",
            "speedup": None, "ok": ok,
        }, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
