#!/usr/bin/env python3
"""The peer a Python team would write for `recvec serve`: FastAPI + hnswlib, the same work.

Build the index once (same M and efConstruction as `recvec publish`):
    serve_peer.py build VECTORS.npy INDEX.bin [--m 16] [--ef-construction 200] [--threads 2]
Serve (uvicorn, 2 workers, each loading the saved index):
    PEER_VECTORS=V.npy PEER_IDS=ids.txt PEER_INDEX=INDEX.bin PEER_EF=64 PEER_LAST=10 \\
        uvicorn serve_peer:app --app-dir Benchmarks/peers --workers 2 --port 8091
Venv: python3 -m venv .venv-serve && .venv-serve/bin/pip install fastapi 'uvicorn[standard]' hnswlib numpy

POST /v1/recommend {"history": [ids, oldest first], "k": 20}: unknown ids skipped; the user
vector is the mean of the last PEER_LAST known item vectors; knn_query (cosine) at efSearch
PEER_EF over-fetching by the history's length, the history dropped (hnswlib's filter callback is a
Python call per visited node, slower than over-fetching); answers ids and scores (cosine).
"""
import os
import sys

import numpy as np

import hnswlib


def build(argv):
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("vectors")
    p.add_argument("index")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    x = np.load(a.vectors).astype(np.float32)
    index = hnswlib.Index(space="cosine", dim=x.shape[1])
    index.init_index(max_elements=x.shape[0], ef_construction=a.ef_construction, M=a.m, random_seed=1)
    index.add_items(x, np.arange(x.shape[0]), num_threads=a.threads)
    index.save_index(a.index)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "build":
        build(sys.argv[2:])
        sys.exit(0)
    sys.exit(__doc__)

from fastapi import FastAPI  # noqa: E402
from pydantic import BaseModel  # noqa: E402

VECTORS = np.load(os.environ["PEER_VECTORS"]).astype(np.float32)
IDS = open(os.environ["PEER_IDS"]).read().split()
ROW = {item: r for r, item in enumerate(IDS)}
EF = int(os.environ.get("PEER_EF", "64"))
LAST = int(os.environ.get("PEER_LAST", "10"))
INDEX = hnswlib.Index(space="cosine", dim=VECTORS.shape[1])
INDEX.load_index(os.environ["PEER_INDEX"], max_elements=VECTORS.shape[0])
INDEX.set_num_threads(1)

app = FastAPI()


class RecommendRequest(BaseModel):
    history: list[str]
    k: int = 20


@app.post("/v1/recommend")
async def recommend(request: RecommendRequest):
    rows = [ROW[i] for i in request.history if i in ROW]
    unknown = [i for i in request.history if i not in ROW]
    if not rows:
        return {"ids": IDS[: request.k], "scores": [0.0] * request.k, "unknown_items": unknown, "fallback": True}
    query = VECTORS[rows[-LAST:]].mean(axis=0)
    seen = set(rows)
    fetch = request.k + len(seen)
    INDEX.set_ef(max(EF, fetch))
    labels, distances = INDEX.knn_query(query, k=fetch)
    kept = [(int(l), float(d)) for l, d in zip(labels[0], distances[0]) if int(l) not in seen][: request.k]
    return {"ids": [IDS[l] for l, _ in kept], "scores": [1.0 - d for _, d in kept], "unknown_items": unknown, "fallback": False}
