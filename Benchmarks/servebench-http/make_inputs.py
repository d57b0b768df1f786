#!/usr/bin/env python3
"""Inputs of the HTTP serving benchmark: item vectors, ids, and the histories wrk sends.

Usage: make_inputs.py synthetic OUT [--items 100000] [--dim 64] [--seed 42]
       make_inputs.py movielens OUT --udata ../shared/data/ml-100k/u.data --ids IDS.txt

synthetic: 100k x 64 vectors shaped like trained embeddings (the recipe of Benchmarks/annbench:
  each item draws a Zipf-popular cluster, a 16-dim latent z = centre + 0.5 N(0, I), then
  x = A z + 0.2 N(0, I_64)), and a training log of 20k users whose events stay within 1-3
  clusters each; writes vectors.npy, ids.txt, events.tsv (user, item) and histories.txt.
movielens: histories from u.data (each user's items by time), restricted to the ids the trained
  version has (IDS.txt, written by `recvec train`).

histories.txt: one history a line, item ids comma-separated, oldest first, the last 10 events of
a random cut of a user's log; wrk's Lua script sends them at random.
"""
import argparse
import os

import numpy as np

HISTORY = 10


def cut_histories(logs, rng, count):
    users = [u for u in logs if len(logs[u]) >= 2]
    out = []
    for _ in range(count):
        items = logs[users[rng.integers(len(users))]]
        end = int(rng.integers(1, len(items) + 1))
        out.append(items[max(0, end - HISTORY):end])
    return out


def synthetic(args):
    rng = np.random.default_rng(args.seed)
    clusters, latent = 200, 16
    centres = rng.standard_normal((clusters, latent)).astype(np.float32)
    amap = (rng.standard_normal((args.dim, latent)) / np.sqrt(latent)).astype(np.float32)
    weights = 1.0 / np.arange(1, clusters + 1)
    weights /= weights.sum()
    cluster = rng.choice(clusters, size=args.items, p=weights)
    z = centres[cluster] + 0.5 * rng.standard_normal((args.items, latent)).astype(np.float32)
    x = z @ amap.T + 0.2 * rng.standard_normal((args.items, args.dim)).astype(np.float32)
    np.save(os.path.join(args.out, "vectors.npy"), x.astype(np.float32))
    ids = [f"i{r}" for r in range(args.items)]
    with open(os.path.join(args.out, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")

    members = [np.flatnonzero(cluster == c) for c in range(clusters)]
    logs = {}
    with open(os.path.join(args.out, "events.tsv"), "w") as f:
        for u in range(20000):
            tastes = rng.choice(clusters, size=int(rng.integers(1, 4)), p=weights)
            events = []
            for _ in range(int(rng.integers(5, 40))):
                pool = members[tastes[rng.integers(len(tastes))]]
                if len(pool):
                    events.append(ids[pool[rng.integers(len(pool))]])
            logs[u] = events
            f.writelines(f"u{u}\t{i}\n" for i in events)
    write_histories(args.out, cut_histories(logs, rng, 20000))


def movielens(args):
    known = set(open(args.ids).read().split())
    rows = [line.split("\t") for line in open(args.udata) if line.strip()]
    rows.sort(key=lambda r: (r[0], int(r[3])))
    logs = {}
    for user, item, _, _ in rows:
        if item in known:
            logs.setdefault(user, []).append(item)
    write_histories(args.out, cut_histories(logs, np.random.default_rng(args.seed), 20000))


def write_histories(out, histories):
    with open(os.path.join(out, "histories.txt"), "w") as f:
        f.writelines(",".join(h) + "\n" for h in histories)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["synthetic", "movielens"])
    p.add_argument("out")
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--udata")
    p.add_argument("--ids")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    synthetic(args) if args.kind == "synthetic" else movielens(args)


if __name__ == "__main__":
    main()
