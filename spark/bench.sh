#!/usr/bin/env bash
# Scale run: a 10M-event synthetic log (100k items) through the Spark jobs at local[1] and
# local[2], and the same counts by single-machine recvec, all with the release build.
# Prints one line per step: wall seconds, CPU seconds (user+sys of the whole process tree:
# JVM, Python workers, recvec), and the 1-minute load average before and after.
# Usage: spark/bench.sh [WORK_DIR]   (default /tmp/recvec-spark-bench; needs ~3 GB there)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/recvec-spark-bench}"
venv="${RECVEC_SPARK_VENV:-.venv-spark}"
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product recvec >&2
recvec="$(swift build -c release --show-bin-path)/recvec"
submit="$venv/bin/spark-submit"
export PYTHONPATH="$PWD/spark" PATH="$PWD/$venv/bin:$PATH" PYSPARK_PYTHON="$PWD/$venv/bin/python"
mkdir -p "$work"

step() { # name, command...: one line of wall, CPU and load
    local name="$1"; shift
    local file="$work/${name//[^A-Za-z0-9]/_}"
    local before; before="$(cut -d' ' -f1 /proc/loadavg)"
    local t0; t0="$(date +%s.%N)"
    local status=ok
    /usr/bin/time -f '%U %S' -o "$file.time" "$@" > "$file.out" 2> "$file.err" || status="FAILED (see $file.err)"
    local t1; t1="$(date +%s.%N)"
    awk -v n="$name" -v t0="$t0" -v t1="$t1" -v b="$before" -v a="$(cut -d' ' -f1 /proc/loadavg)" -v s="$status" \
        'END { printf "%-34s wall %7.1f s  cpu %7.1f s  load %s -> %s  %s\n", n, t1 - t0, $1 + $2, b, a, s }' "$file.time"
}

if [ ! -f "$work/log/events.csv" ]; then
    "$recvec" generate --users 10000 --items 100000 --sessions 500000 --ceiling-sessions 0 --seed 1 --out "$work/log" >&2
    # Three input files (a user's events in several of them), as a data lake would hold them.
    mkdir -p "$work/split"
    lines=$(($(wc -l < "$work/log/events.csv") - 1))
    tail -n +2 "$work/log/events.csv" | split -l $(((lines + 2) / 3)) -d - "$work/split/body-"
    for f in "$work"/split/body-*; do { head -1 "$work/log/events.csv"; cat "$f"; } > "$work/split/part-${f##*-}.csv"; rm "$f"; done
fi
printf 'user,item,timestamp\n1,2,3\n' > "$work/tiny.csv"
echo "events: $(($(wc -l < "$work/log/events.csv") - 1)); cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"

if [ -z "${SKIP_SINGLE:-}" ]; then   # SKIP_SINGLE=1: keep the single-machine outputs of an earlier run
rm -rf "$work"/ref "$work"/vectors "$work"/store
step "recvec corpus (vocab+sessions)" "$recvec" corpus --events "$work/log/events.csv" --out "$work/ref"
step "recvec cooc-shard, 1 thread" "$recvec" cooc-shard --corpus "$work/ref" --window 5 --threads 1 --out "$work/ref/counts-1.rvcsr"
step "recvec cooc-shard, 2 threads" "$recvec" cooc-shard --corpus "$work/ref" --window 5 --threads 2 --out "$work/ref/counts-2.rvcsr"
step "recvec train --counts (svd)" "$recvec" train --method ppmi-svd --counts "$work/ref/counts-1.rvcsr" --threads 2 --out "$work/vectors"
step "recvec publish" "$recvec" publish --store "$work/store" --vectors "$work/vectors/items.npy" --query-vectors "$work/vectors/query.npy" \
    --ids "$work/vectors/ids.txt" --method ppmi-svd --metric dot
step "recvec batch-recommend" "$recvec" batch-recommend --store "$work/store" --events "$work/log/events.csv" -k 20
fi

for cores in 1 2; do
    m="local[$cores]"
    rm -rf "$work/s$cores"
    mkdir -p "$work/s$cores"
    common=(--master "$m" --driver-memory 6g --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=$((4 * cores)) spark/recvec_spark/jobs.py)
    step "spark $m: startup, 1-event vocab" "$submit" "${common[@]}" vocab --events "$work/tiny.csv" --out "$work/s$cores/tiny" --recvec "$recvec"
    step "spark $m: vocab" "$submit" "${common[@]}" vocab --events "$work/split" --out "$work/s$cores/vocab" --recvec "$recvec"
    step "spark $m: sessions" "$submit" "${common[@]}" sessions --events "$work/split" --vocab "$work/s$cores/vocab" \
        --partitions $((4 * cores)) --out "$work/s$cores/corpus" --recvec "$recvec"
    step "spark $m: cooc" "$submit" "${common[@]}" cooc --corpus "$work/s$cores/corpus" --window 5 --out "$work/s$cores/counts" --recvec "$recvec"
    step "spark $m: batch" "$submit" "${common[@]}" batch --events "$work/split" --store "$work/store" -k 20 \
        --partitions $((4 * cores)) --out "$work/s$cores/batch" --recvec "$recvec"
    cmp "$work/s$cores/counts/counts.rvcsr" "$work/ref/counts-1.rvcsr" && echo "local[$cores]: merged counts byte-identical to recvec's"
    cmp "$work/s$cores/vocab/ids.txt" "$work/ref/ids.txt" && echo "local[$cores]: vocabulary identical"
done
