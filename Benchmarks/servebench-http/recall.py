#!/usr/bin/env python3
"""Recall@k of a recommend endpoint against exact search, on histories from histories.txt.

Usage: recall.py URL VECTORS.npy IDS.txt HISTORIES.txt [--count 300] [--k 20] [--last 10]

The truth: the mean of the last `--last` known item vectors, cosine against every item (float64),
history items excluded, top k. Both services are asked the same histories in the same run.
"""
import argparse
import json
import urllib.request

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("vectors")
    p.add_argument("ids")
    p.add_argument("histories")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--last", type=int, default=10)
    a = p.parse_args()
    x = np.load(a.vectors).astype(np.float64)
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
    ids = open(a.ids).read().split()
    row = {item: r for r, item in enumerate(ids)}
    histories = [line.strip().split(",") for line in open(a.histories) if line.strip()][: a.count]
    hits = total = errors = 0
    for history in histories:
        rows = [row[i] for i in history if i in row]
        if not rows:
            continue
        query = x[rows[-a.last:]].mean(axis=0)
        scores = unit @ query
        scores[rows] = -np.inf
        truth = {ids[r] for r in np.argpartition(-scores, a.k)[: a.k]}
        body = json.dumps({"history": history, "k": a.k}).encode()
        request = urllib.request.Request(a.url, data=body, headers={"Content-Type": "application/json"})
        try:
            answer = json.load(urllib.request.urlopen(request, timeout=10))
        except Exception:
            errors += 1
            continue
        hits += len(truth & set(answer["ids"]))
        total += a.k
    print(json.dumps({"url": a.url, "recall": hits / max(total, 1), "requests": len(histories), "errors": errors}))


if __name__ == "__main__":
    main()
