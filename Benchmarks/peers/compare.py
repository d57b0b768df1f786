#!/usr/bin/env python3
"""Joins kbench's and the peers' JSON lines and prints, per kernel and size, ours (C at all
threads) against each peer at the same thread count (else the peer's most threads).

    compare.py <file.jsonl>...

ratio = peer median / our median: above 1 means ours is faster.
"""
import json
import sys


def main(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{") and '"header"' not in line:
                    rows.append(json.loads(line))
    cases = []
    for r in rows:
        if (r["kernel"], r["size"]) not in cases:
            cases.append((r["kernel"], r["size"]))
    print(f"{'kernel':<14}{'size':<52}{'ours (c)':<22}{'peer':<30}{'ratio':>8}")
    for kernel, size in cases:
        same = [r for r in rows if r["kernel"] == kernel and r["size"] == size]
        ours = max((r for r in same if r["impl"] == "c"), key=lambda r: r["threads"], default=None)
        peers = [r for r in same if r["impl"] not in ("c", "swift")]
        if ours is None or not peers:
            continue
        ours_text = f"{ours['threads']}t {ours['median_ms']:.1f} ms"
        for impl in sorted({r["impl"] for r in peers}):
            candidates = [r for r in peers if r["impl"] == impl]
            peer = next((r for r in candidates if r["threads"] == ours["threads"]), None) \
                or max(candidates, key=lambda r: r["threads"])
            ratio = peer["median_ms"] / ours["median_ms"]
            peer_text = f"{impl} {peer['threads']}t {peer['median_ms']:.1f} ms" + ("" if peer["ok"] else " (NOT ok)")
            print(f"{kernel:<14}{size:<52}{ours_text:<22}{peer_text:<30}{ratio:>7.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
