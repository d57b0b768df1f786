"""Readers for the shard files (layout: README "Files on disk"), for tests and inspection.
They check magic, version and sizes; the XXH64 trailer is checked by `recvec`, which reads
every shard it trains from."""

import os
import struct
from array import array

HEADER = 64


def _read(path, magic, dtype):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != magic:
        raise ValueError(f"{path}: magic {data[:8]!r}, expected {magic!r}")
    version, found_dtype = struct.unpack_from("<II", data, 8)
    if version != 1 or found_dtype != dtype:
        raise ValueError(f"{path}: version {version} dtype {found_dtype}, expected 1 and {dtype}")
    return data, struct.unpack_from("<6Q", data, 16)


def _array(code, data, offset, count):
    a = array(code)
    a.frombytes(data[offset:offset + count * a.itemsize])
    return a, offset + count * a.itemsize


def read_corpus_shard(path):
    """(vocabulary size, [session as a list of dense ids])."""
    data, (vocabulary, sessions, tokens, *_) = _read(path, b"RVCORPUS", 3)
    if len(data) != HEADER + (sessions + 1) * 8 + tokens * 4 + 8:
        raise ValueError(f"{path}: {len(data)} bytes, header implies {HEADER + (sessions + 1) * 8 + tokens * 4 + 8}")
    offsets, at = _array("q", data, HEADER, sessions + 1)
    values, _ = _array("i", data, at, tokens)
    return vocabulary, [list(values[offsets[s]:offsets[s + 1]]) for s in range(sessions)]


def read_corpus(folder):
    """All sessions of a corpus folder, shards in name order."""
    out = []
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".rvc") and not n.startswith(".")):
        out.extend(read_corpus_shard(os.path.join(folder, name))[1])
    return out


def read_counts(path):
    """dict with rows, cols, window, weighting, tokens and entries {(row, col): value}."""
    data, (rows, cols, nonzeros, window, weighting, tokens) = _read(path, b"RVCOUNTS", 1)
    offsets, at = _array("q", data, HEADER, rows + 1)
    columns, at = _array("i", data, at, nonzeros)
    values, at = _array("f", data, at, nonzeros)
    if len(data) != at + 8:
        raise ValueError(f"{path}: {len(data)} bytes, header implies {at + 8}")
    entries = {(r, columns[e]): values[e] for r in range(rows) for e in range(offsets[r], offsets[r + 1])}
    return {"rows": rows, "cols": cols, "window": window, "weighting": weighting, "tokens": tokens, "entries": entries}
