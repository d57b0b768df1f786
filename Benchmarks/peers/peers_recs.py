#!/usr/bin/env python3
"""Peers of `recvec eval` / `recvec tune` on exactly the same split.

Reads the split RecVec wrote (`recvec eval --dataset movielens --path DIR --write-split SPLIT`):
train.tsv (user, item, timestamp, position; equal timestamps already ordered by the split's tie
rule), test.tsv (user, item) and split.json (tie rule, exclude_seen). Each user's sequence is
their training events sorted by position; the history of a test case is that whole sequence and,
with exclude_seen, every item in it is removed from the ranking (as RecVec does). Prints HR@K.

Models (each hyperparameter grid chosen on a validation split carved the same way RecVec's
`tune` does: each user's last training event; then refitted on the whole training part):
  gensim Word2Vec (skip-gram, negative sampling) over user sequences, user vector = mean of the
  last L items, cosine; implicit BPR and ALS on the binary user x item matrix; EASE (numpy) and the
  first-order transition model (popularity backoff), as the Swift baselines.

Run: .venv-peers/bin/python Benchmarks/peers/peers_recs.py SPLIT [--k 20] [--seed 42]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp


def load(split_dir):
    meta = json.load(open(os.path.join(split_dir, "split.json")))
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(split_dir, "train.tsv"))][1:]
    rows.sort(key=lambda r: (r[0], int(r[3])))
    seqs = {}
    for u, i, _, _ in rows:
        seqs.setdefault(u, []).append(i)
    test = [tuple(l.rstrip("\n").split("\t")) for l in open(os.path.join(split_dir, "test.tsv"))][1:]
    return meta, seqs, test


def carve_validation(seqs):
    """Each user's last training event becomes a validation target (users with >= 2 events)."""
    train, cases = {}, []
    for u, s in seqs.items():
        if len(s) >= 2:
            train[u] = s[:-1]
            cases.append((u, s[-1]))
        else:
            train[u] = s
    return train, cases


class Data:
    def __init__(self, seqs, items):
        self.seqs = seqs
        self.items = items
        self.index = {i: n for n, i in enumerate(items)}
        self.users = sorted(seqs)
        self.uindex = {u: n for n, u in enumerate(self.users)}
        r, c = [], []
        for u, s in seqs.items():
            for i in set(s):
                r.append(self.uindex[u]); c.append(self.index[i])
        self.x = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(self.users), len(items)))
        self.pop = np.zeros(len(items))
        for s in seqs.values():
            for i in s:
                self.pop[self.index[i]] += 1


def hit_rate(data, cases, score_fn, k, exclude_seen):
    hits = 0
    for u, target in cases:
        hist = [data.index[i] for i in data.seqs.get(u, [])]
        scores = np.asarray(score_fn(u, hist), dtype=np.float64).copy()
        if exclude_seen and hist:
            scores[hist] = -np.inf
        if getattr(score_fn, "behaviour_only", False):  # no vector for an item without training events (as in RecVec)
            scores[data.pop == 0] = -np.inf
        top = np.argpartition(-scores, k)[:k]
        hits += data.index.get(target, -1) in set(top.tolist())
    return hits / max(1, len(cases))


def transition(data):
    n = len(data.items)
    t = sp.lil_matrix((n, n))
    for s in data.seqs.values():
        for a, b in zip(s, s[1:]):
            t[data.index[a], data.index[b]] += 1
    t = t.tocsr()
    bias = data.pop / (data.pop.max() + 1)
    return lambda u, h: (t[h[-1]].toarray().ravel() if h else 0) + bias


def ease(data, lam):
    g = (data.x.T @ data.x).toarray().astype(np.float64)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    def score(u, h):
        return b[list(set(h))].sum(axis=0) if h else np.zeros(len(data.items))
    return score


def word2vec(data, seed, threads, window, epochs, sample, negative, history):
    from gensim.models import Word2Vec
    sentences = [s for s in data.seqs.values()]
    model = Word2Vec(sentences, vector_size=64, window=window, min_count=1, sg=1, negative=negative, sample=sample,
                     epochs=epochs, seed=seed, workers=threads)
    vectors = np.zeros((len(data.items), 64), dtype=np.float32)
    for i, n in data.index.items():
        if i in model.wv:
            vectors[n] = model.wv[i]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-12)
    def score(u, h):
        if not h:
            return np.zeros(len(data.items))
        q = unit[h[-history:]].mean(axis=0)
        return unit @ (q / max(np.linalg.norm(q), 1e-12))
    score.behaviour_only = True
    return score


def implicit_model(data, kind, seed, threads, factors, reg, iterations):
    import implicit
    if kind == "bpr":
        m = implicit.bpr.BayesianPersonalizedRanking(factors=factors, regularization=reg, iterations=iterations,
                                                     random_state=seed, num_threads=threads)
    else:
        m = implicit.als.AlternatingLeastSquares(factors=factors, regularization=reg, iterations=iterations,
                                                 random_state=seed, num_threads=threads)
    m.fit(data.x, show_progress=False)
    uf = np.asarray(m.user_factors.to_numpy() if hasattr(m.user_factors, "to_numpy") else m.user_factors)
    itf = np.asarray(m.item_factors.to_numpy() if hasattr(m.item_factors, "to_numpy") else m.item_factors)
    return lambda u, h: itf @ uf[data.uindex[u]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("split")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    meta, seqs, test = load(a.split)
    items = sorted({i for s in seqs.values() for i in s} | {i for _, i in test})
    excl = meta["exclude_seen"]
    vtrain, vcases = carve_validation(seqs)
    vdata, data = Data(vtrain, items), Data(seqs, items)
    print(f"split {a.split}: ties {meta['ties']}, exclude_seen {excl}, {len(test)} test cases, {len(vcases)} validation cases; "
          f"load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    grids = {
        "Transition": [{}],
        "EASE": [{"lam": l} for l in (50, 100, 250, 500, 1000)],
        "gensim Word2Vec": [{"window": w, "epochs": e, "sample": s, "negative": 10, "history": h}
                            for w in (5, 20) for e in (10, 20) for s in (0, 1e-3) for h in (1, 5)],
        "implicit BPR": [{"factors": f, "reg": r, "iterations": i} for f in (64, 128) for r in (0.01,) for i in (100, 300)],
        "implicit ALS": [{"factors": f, "reg": r, "iterations": 15} for f in (32, 64, 128) for r in (0.01, 1.0, 10.0)],
    }
    builders = {
        "Transition": lambda d, p: transition(d),
        "EASE": lambda d, p: ease(d, p["lam"]),
        "gensim Word2Vec": lambda d, p: word2vec(d, a.seed, a.threads, p["window"], p["epochs"], p["sample"], p["negative"], p["history"]),
        "implicit BPR": lambda d, p: implicit_model(d, "bpr", a.seed, a.threads, p["factors"], p["reg"], p["iterations"]),
        "implicit ALS": lambda d, p: implicit_model(d, "als", a.seed, a.threads, p["factors"], p["reg"], p["iterations"]),
    }
    print(f"{'model':18s}{'val HR@%d' % a.k:>11s}{'test HR@%d' % a.k:>12s}{'seconds':>9s}  chosen on validation")
    for name, grid in grids.items():
        start = time.time()
        best = None
        for params in grid:
            hr = hit_rate(vdata, vcases, builders[name](vdata, params), a.k, excl)
            if best is None or hr > best[0]:
                best = (hr, params)
        test_hr = hit_rate(data, test, builders[name](data, best[1]), a.k, excl)
        print(f"{name:18s}{best[0]:11.4f}{test_hr:12.4f}{time.time() - start:9.1f}  {best[1]}", flush=True)


if __name__ == "__main__":
    main()
