#!/usr/bin/env bash
# Runs kbench and every peer (Benchmarks/peers/peers_*.py) on the same inputs, then prints, per
# kernel and size, ours (C at all threads) against each peer.
#
#   Benchmarks/peers/run.sh [kbench options, e.g. --only score_topk --sizes large]
#
# The peers live in a venv at <repo>/.venv-peers (git-ignored), created on first use; they are
# never a dependency of the package. Each peer script takes the inputs directory kbench wrote and
# prints JSON lines shaped like kbench's BenchRow (impl = the peer's name, same kernel/size labels).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv-peers"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet faiss-cpu gensim scipy hnswlib numpy
fi
cd "$root"
swift build -c release --product kbench >&2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/inputs"
echo "== kbench" >&2
.build/release/kbench --json --write-inputs "$work/inputs" "$@" | tee "$work/kbench.jsonl"
for peer in Benchmarks/peers/peers_*.py; do
    [ -e "$peer" ] || continue
    name="$(basename "$peer" .py)"
    # hnswlib runs on annbench's inputs, not kbench's: see Benchmarks/annbench/RESULTS.md.
    [ "$name" = peers_hnsw ] && continue
    echo "== $name" >&2
    "$venv/bin/python" "$peer" "$work/inputs" | tee "$work/$name.jsonl" || echo "run.sh: $name failed" >&2
done
echo "== ours vs peers" >&2
"$venv/bin/python" Benchmarks/peers/compare.py "$work"/*.jsonl
