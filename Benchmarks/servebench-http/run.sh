#!/usr/bin/env bash
# HTTP serving benchmark: `recvec serve` against the FastAPI + hnswlib peer
# (Benchmarks/peers/serve_peer.py), same vectors, same histories, same k and efSearch, same run.
#
#   Benchmarks/servebench-http/run.sh            # every phase
#   PHASES="synthetic movielens" SOAK=120 Benchmarks/servebench-http/run.sh
#   RECVEC_BIN=/tmp/recvec-before WORK=/tmp/sb PHASES=synthetic Benchmarks/servebench-http/run.sh
#
# Phases (PHASES, default "synthetic movielens publish soak"):
#   synthetic  100k x 64 embedding-shaped vectors, HNSW (M 16, efConstruction 200, efSearch 64),
#              histories from a synthetic training log (make_inputs.py)
#   movielens  item2vec on MovieLens 100K (`recvec train`), histories from u.data
#   For each: recall@20 of both services against exact search, throughput at saturation
#   (wrk -t2 -c$CONNS for $SECONDS_LOAD s), then latency at half of each side's saturation rate;
#   synthetic also measures GET /healthz at saturation (the HTTP stack's own ceiling).
#   publish    synthetic store under half-rate load for 60 s while 5 versions, built before the
#              load, are made current one by one (see publish_under_load): errors, p99, max latency
#   publish-build  the same, each version built during the load (nice 19, 2 build threads)
#   soak       half-rate load for $SOAK s (default 300), resident memory sampled every 10 s
#
# wrk 1 has no constant-rate mode (wrk2 is not packaged): the half-rate runs pace each connection
# with the Lua delay() hook (closed loop; the achieved rate is printed). Tools: wrk (Debian
# package), a venv .venv-serve (fastapi, uvicorn[standard], hnswlib, numpy), created on first use.
# The machine is shared: the load average is printed beside every row.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
here=Benchmarks/servebench-http
venv="$root/.venv-serve"
phases="${PHASES:-synthetic movielens publish soak}"
conns="${CONNS:-32}"
seconds_load="${SECONDS_LOAD:-20}"
soak="${SOAK:-300}"
work="${WORK:-$(mktemp -d)}"
ours_port=18090
peer_port=18091
mkdir -p "$work"
command -v wrk >/dev/null || { echo "run.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
if [ ! -x "$venv/bin/uvicorn" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet fastapi 'uvicorn[standard]' hnswlib numpy
fi
# RECVEC_BIN: a recvec binary to measure instead of building this checkout (e.g. a copy of an
# earlier build, to compare two commits in one run).
if [ -n "${RECVEC_BIN:-}" ]; then
    bin="$RECVEC_BIN"
else
    swift build -c release --product recvec >&2
    bin="$root/.build/release/recvec"
fi
py="$venv/bin/python"

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
wait_ready() {
    for _ in $(seq 1 600); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "run.sh: $1 never answered" >&2; exit 1
}
# CPU seconds (user + system) used so far by the process listening on PORT and its children
# (uvicorn's workers): the service's own cost, whatever else the shared machine runs.
cpu_of_port() {
    local pid; pid=$(ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    local parent; parent=$(ps -o ppid= -p "$pid" | xargs)
    # uvicorn: the listener is a worker; count the master's whole tree.
    [ "$(ps -o comm= -p "$parent")" = uvicorn ] || [[ "$(ps -o args= -p "$parent")" == *uvicorn* ]] && pid=$parent
    local total=0
    for p in $pid $(pgrep -P "$pid"); do
        total=$(( total + $(awk '{print $14 + $15}' /proc/$p/stat) ))
    done
    echo "$total $(getconf CLK_TCK)"
}
# wrk_run NAME PORT HISTORIES DURATION [RATE]: one JSON line (with name, load average, rate asked,
# the service's CPU microseconds per request).
wrk_run() {
    local name=$1 port=$2 histories=$3 duration=$4 rate=${5:-0} c=$conns
    [ "$rate" != 0 ] && c=16
    local before; before=$(load)
    local cpu0; cpu0=$(cpu_of_port "$port")
    local line
    line=$(HISTORIES="$histories" RATE="$rate" CONNECTIONS="$c" wrk -t2 -c"$c" -d"${duration}s" --timeout 5s \
        -s "$here/histories.lua" "http://127.0.0.1:$port" | grep '^RESULT ' | sed 's/^RESULT //')
    local cpu1; cpu1=$(cpu_of_port "$port")
    local requests; requests=$(echo "$line" | "$py" -c 'import json,sys; print(json.loads(sys.stdin.read())["requests"])')
    local us; us=$("$py" -c "t0,h=map(int,'$cpu0'.split()); t1,_=map(int,'$cpu1'.split()); print(round((t1-t0)/h*1e6/max($requests,1),1))")
    echo "{\"name\":\"$name\",\"rate_asked\":$rate,\"connections\":$c,\"load_before\":\"$before\",\"load_after\":\"$(load)\",\"cpu_us_per_request\":$us,${line#\{}"
}
# healthz_run NAME PORT DURATION: GET /healthz at saturation (no body, no scoring): the ceiling
# that the HTTP stack and wrk, sharing the two cores, leave to any endpoint of the service.
healthz_run() {
    local name=$1 port=$2 duration=$3 before; before=$(load)
    local cpu0; cpu0=$(cpu_of_port "$port")
    local out; out=$(wrk -t2 -c"$conns" -d"${duration}s" "http://127.0.0.1:$port/healthz")
    local cpu1; cpu1=$(cpu_of_port "$port")
    local requests; requests=$(echo "$out" | awk '/requests in/ {print $1}')
    local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    local us; us=$("$py" -c "t0,h=map(int,'$cpu0'.split()); t1,_=map(int,'$cpu1'.split()); print(round((t1-t0)/h*1e6/max($requests,1),1))")
    echo "{\"name\":\"$name\",\"connections\":$conns,\"load_before\":\"$before\",\"load_after\":\"$(load)\",\"cpu_us_per_request\":$us,\"requests\":$requests,\"rps\":$rps}"
}
start_ours() { # store port
    "$bin" serve --store "$1" --port "$2" --rule last:10 --candidate-factor 1 --scoring-threads 2 --poll-ms 100 \
        2>>"$work/ours.log" &
    pids+=($!)
    wait_ready "http://127.0.0.1:$2/readyz"
}
start_peer() { # vectors ids index port
    PEER_VECTORS="$1" PEER_IDS="$2" PEER_INDEX="$3" PEER_EF=64 PEER_LAST=10 \
        "$venv/bin/uvicorn" serve_peer:app --app-dir Benchmarks/peers --workers 2 --port "$4" --log-level warning \
        2>>"$work/peer.log" &
    pids+=($!)
    wait_ready "http://127.0.0.1:$4/docs"
}
stop_all() { cleanup; pids=(); sleep 1; }
rps_of() { "$py" -c 'import json,sys; print(int(json.loads(sys.stdin.read())["rps"]))'; }

echo "# servebench-http $(date -u +%FT%TZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), commit $(git rev-parse --short HEAD), load $(load)"
echo "# work folder: $work"

prepare() { # dataset -> sets vectors ids histories store
    local d=$1
    mkdir -p "$work/$d"
    if [ "$d" = synthetic ]; then
        [ -e "$work/$d/vectors.npy" ] || "$py" "$here/make_inputs.py" synthetic "$work/$d"
        vectors="$work/$d/vectors.npy"; ids="$work/$d/ids.txt"
    else
        if [ ! -e "$work/$d/model/items.npy" ]; then
            "$bin" train --method item2vec --dataset movielens --path "$root/../shared/data/ml-100k" --out "$work/$d/model" >&2
        fi
        vectors="$work/$d/model/items.npy"; ids="$work/$d/model/ids.txt"
        "$py" "$here/make_inputs.py" movielens "$work/$d" --udata "$root/../shared/data/ml-100k/u.data" --ids "$ids"
    fi
    histories="$work/$d/histories.txt"
    store="$work/$d/store"
    if [ ! -e "$store/CURRENT" ]; then
        "$bin" publish --store "$store" --vectors "$vectors" --ids "$ids" --method bench --metric cosine --ef-search 64 >&2
    fi
    [ -e "$work/$d/peer.bin" ] || "$py" Benchmarks/peers/serve_peer.py build "$vectors" "$work/$d/peer.bin" --threads 2
}

for d in synthetic movielens; do
    case " $phases " in *" $d "*) ;; *) continue ;; esac
    prepare "$d"
    start_ours "$store" $ours_port
    start_peer "$vectors" "$ids" "$work/$d/peer.bin" $peer_port
    for side in ours:$ours_port peer:$peer_port; do
        echo "{\"name\":\"$d/${side%%:*}/recall\",$("$py" "$here/recall.py" "http://127.0.0.1:${side##*:}/v1/recommend" "$vectors" "$ids" "$histories" | cut -c2-)"
    done
    [ "$d" = synthetic ] && healthz_run "$d/ours/healthz-saturation" $ours_port "$seconds_load"
    ours_sat=$(wrk_run "$d/ours/saturation" $ours_port "$histories" "$seconds_load"); echo "$ours_sat"
    peer_sat=$(wrk_run "$d/peer/saturation" $peer_port "$histories" "$seconds_load"); echo "$peer_sat"
    wrk_run "$d/ours/half-rate" $ours_port "$histories" "$seconds_load" $(( $(echo "$ours_sat" | rps_of) / 2 ))
    wrk_run "$d/peer/half-rate" $peer_port "$histories" "$seconds_load" $(( $(echo "$peer_sat" | rps_of) / 2 ))
    stop_all
done

if [[ " $phases " == *" publish"* || " $phases " == *" soak "* ]]; then
    prepare synthetic
    start_ours "$store" $ours_port
    sat=$(wrk_run "synthetic/ours/saturation-before-publish" $ours_port "$histories" 10); echo "$sat"
    half=$(( $(echo "$sat" | rps_of) / 2 ))
fi

# publish: the five versions are built before the load (each a full `recvec publish`: vector
# files, HNSW build on 2 threads, manifest; CURRENT is then put back), and made current one by
# one during the load with `recvec rollback --to vN` (the store's own switch of CURRENT, nice 19),
# so the load sees what serving a publish costs (the server opening, verifying and pre-faulting
# the new version, the swap, the release of the old one), not the index builds competing for the
# two cores. publish-build: the same with each version built during the load (nice 19).
publish_under_load() { # NAME BUILD_DURING_LOAD
    local name=$1 build=$2 before; before=$(cat "$store/CURRENT")
    local built=()
    if [ "$build" = 0 ]; then
        for i in 1 2 3 4 5; do
            "$bin" publish --store "$store" --vectors "$vectors" --ids "$ids" --method bench --metric cosine \
                --ef-search 64 --threads 2 --config "republish=$i" >/dev/null 2>&1
            built+=("$(cat "$store/CURRENT")")
        done
        "$bin" rollback --store "$store" --to "$before" >/dev/null
        sleep 2
    fi
    (
        sleep 5
        for i in 0 1 2 3 4; do
            if [ "$build" = 0 ]; then
                nice -n 19 "$bin" rollback --store "$store" --to "${built[$i]}" >/dev/null
                echo "switched to $(cat "$store/CURRENT") at $(date -u +%T)" >&2
                sleep 10
            else
                nice -n 19 "$bin" publish --store "$store" --vectors "$vectors" --ids "$ids" --method bench --metric cosine \
                    --ef-search 64 --threads 2 --config "republish=$i" >/dev/null 2>&1
                echo "published $(cat "$store/CURRENT") at $(date -u +%T)" >&2
                sleep 2
            fi
        done
    ) &
    local publisher=$!
    # A probe beside wrk (20 requests/s on its own connection) times each request, so the
    # latencies right after each switch can be told from the rest (probe.py).
    "$py" "$here/probe.py" "http://127.0.0.1:$ours_port/v1/recommend" "$histories" 60 20 "$work/$name-probe.txt" &
    local probe=$!
    wrk_run "synthetic/ours/half-rate-while-$name" $ours_port "$histories" 60 "$half"
    wait $publisher || true
    wait $probe || true
    "$py" - "$work/$name-probe.txt" "$name" <<'EOF'
# The switches as the probe saw them (the first request a new version answered); the max latency
# within 1 s either side of each, against the requests outside those windows.
import json, sys
rows = [l.split() for l in open(sys.argv[1])]
rows = [(float(t), float(ms), s, v) for t, ms, s, v in rows]
served = [(t, v) for t, _, s, v in rows if s == "200"]
switches = [(t, v) for (t, v), (_, before) in zip(served[1:], served) if v != before]
def near(t): return any(abs(t - at) <= 1.0 for at, _ in switches)
around = [{"to": v, "max_ms": round(max(ms for t, ms, _, _ in rows if abs(t - at) <= 1.0), 3)} for at, v in switches]
rest = sorted(ms for t, ms, _, _ in rows if not near(t))
print(json.dumps({"name": "synthetic/ours/probe-" + sys.argv[2], "requests": len(rows), "errors": sum(1 for r in rows if r[2] != "200"),
                  "max_ms_within_1s_of_each_switch": around,
                  "other_requests": {"count": len(rest), "p99_ms": round(rest[int(0.99 * (len(rest) - 1))], 3) if rest else None,
                                     "max_ms": round(rest[-1], 3) if rest else None}}))
EOF
    echo "{\"name\":\"synthetic/ours/$name\",\"current_before\":\"$before\",\"current_after\":\"$(cat "$store/CURRENT")\",\"serving_after\":$(curl -s "http://127.0.0.1:$ours_port/readyz")}"
    "$bin" gc --store "$store" --keep 2 >/dev/null
}
[[ " $phases " == *" publish "* ]] && publish_under_load publishing 0
[[ " $phases " == *" publish-build "* ]] && publish_under_load publishing-with-builds 1

if [[ " $phases " == *" soak "* ]]; then
    pid=$(ss -ltnpH "sport = :$ours_port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2) # whatever the binary is named
    : > "$work/rss.txt"
    (
        for _ in $(seq 1 $(( soak / 10 ))); do
            echo "$(date -u +%T) $(awk '/VmRSS/ {print $2}' /proc/$pid/status)" >> "$work/rss.txt"
            sleep 10
        done
    ) &
    sampler=$!
    wrk_run "synthetic/ours/soak-half-rate" $ours_port "$histories" "$soak" "$half"
    wait $sampler || true
    "$py" - "$work/rss.txt" <<'EOF'
import json, sys
kb = [int(l.split()[1]) for l in open(sys.argv[1]) if len(l.split()) == 2]
warm = kb[1:] or kb  # the first sample is taken before the load warms the allocator
print(json.dumps({"name": "synthetic/ours/soak-rss", "samples": len(kb), "first_kb": warm[0], "last_kb": warm[-1],
                  "min_kb": min(warm), "max_kb": max(warm), "spread_pct": round(100 * (max(warm) - min(warm)) / min(warm), 2)}))
EOF
fi
stop_all
