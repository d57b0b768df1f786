#!/usr/bin/env bash
# Re-runs issue 7's attack list against a built `recvec` binary and counts what went wrong:
#   crash        the process died of a signal we did not send (SIGILL from a trap, SIGSEGV, SIGBUS...)
#   silent-wrong exit 0 where the input was bad (corrupt data served or exported, a bad file
#                accepted), or a wrong answer (a victim file overwritten through a symlink)
#   data-lost    the store stopped serving a whole version it served before, or a version that
#                served was deleted, or a reader failed while a publisher and gc ran beside it
# Usage: Tests/attack.sh [path/to/recvec]   (default: .build/debug/recvec). Needs bash and perl.
# The last line is "attack: N scenarios, crashes C, silent-wrong S, data-lost D"; exit 1 unless
# all three are 0. `swift test` runs it (RecVecCLITests.AttackScriptTests); about 1 minute.
set -uo pipefail
cd "$(dirname "$0")/.."
RECVEC=$(realpath "${1:-.build/debug/recvec}")
[ -x "$RECVEC" ] || { echo "attack: no recvec binary at $RECVEC" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/recvec-attack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
scenarios=0 crashes=0 silent=0 lost=0
note() { echo "  $1: $2" >&2; }

# run EXPECT NAME CMD...: EXPECT is fail (bad input: must exit non-zero), ok (must exit 0) or any.
# Counts a crash when the exit status says a signal (>= 128), whatever was expected.
run() {
    local expect=$1 name=$2; shift 2
    scenarios=$((scenarios + 1))
    "$@" >"$WORK/out" 2>"$WORK/err"
    local status=$?
    if [ $status -ge 128 ]; then crashes=$((crashes + 1)); note "CRASH (status $status)" "$name"; return 1; fi
    if [ "$expect" = fail ] && [ $status -eq 0 ]; then silent=$((silent + 1)); note "SILENT-WRONG (exit 0)" "$name"; return 1; fi
    if [ "$expect" = ok ] && [ $status -ne 0 ]; then lost=$((lost + 1)); note "DATA-LOST (exit $status: $(head -c 300 "$WORK/err"))" "$name"; return 1; fi
    return 0
}

# The store must serve VERSION, every byte verified.
serves() {
    local store=$1 version=$2 name=$3
    "$RECVEC" recommend --store "$store" --history item1 -k 3 --json >"$WORK/serve" 2>"$WORK/serve.err"
    local status=$?
    if [ $status -ge 128 ]; then crashes=$((crashes + 1)); note "CRASH (status $status)" "$name: serving"; return; fi
    if [ $status -ne 0 ] || ! grep -q "\"version\" : \"$version\"" "$WORK/serve"; then
        lost=$((lost + 1)); note "DATA-LOST (does not serve $version: $(head -c 300 "$WORK/serve.err"))" "$name"
    fi
}

# npy NAME ROWS COLS SEED [SCALE]: float32 C-order .npy and NAME.ids (item0 ...).
npy() {
    perl -e '
        my ($path, $rows, $cols, $seed, $scale) = @ARGV; $scale ||= 1;
        my $dict = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: ($rows, $cols), }";
        $dict .= " " x ((64 - (10 + length($dict) + 1) % 64) % 64) . "\n";
        open(my $f, ">:raw", $path) or die; print $f "\x93NUMPY\x01\x00" . pack("v", length $dict) . $dict;
        my $x = $seed;
        for (1 .. $rows * $cols) { $x = ($x * 1103515245 + 12345) % 2147483648; print $f pack("f<", $scale * ($x / 1073741824 - 1)); }
        close $f;
        open(my $g, ">", "$path.ids") or die; print $g "item$_\n" for 0 .. $rows - 1; close $g;
    ' "$1" "$2" "$3" "$4" "${5:-1}"
}

# header NAME DICT [DATA_BYTES]: an .npy with a hand-written header dictionary.
header() {
    perl -e '
        my ($path, $dict, $bytes) = @ARGV;
        open(my $f, ">:raw", $path) or die; print $f "\x93NUMPY\x01\x00" . pack("v", length $dict) . $dict . ("\0" x $bytes); close $f;
    ' "$1" "$2" "${3:-0}"
}

flip() { perl -e 'my ($p, $o) = @ARGV; open(my $f, "+<:raw", $p) or die; seek($f, $o, 0); read($f, my $b, 1); seek($f, $o, 0); print $f chr(ord($b) ^ 1); close $f' "$1" "$2"; }
size() { stat -c %s "$1"; }

publish() { "$RECVEC" publish --store "$1" --vectors "$2" --ids "$2.ids" --method attack --m 4 --ef-construction 16 --threads 1 --force "${@:3}"; }

echo "attack: $RECVEC" >&2
npy "$WORK/a.npy" 300 16 1
npy "$WORK/b.npy" 300 16 2
GOOD="$WORK/good"
publish "$GOOD" "$WORK/a.npy" >/dev/null 2>&1 && publish "$GOOD" "$WORK/b.npy" >/dev/null 2>&1 || { echo "attack: cannot publish the base store" >&2; exit 2; }
fresh() { rm -rf "$WORK/s"; cp -a "$GOOD" "$WORK/s"; echo "$WORK/s/versions/v000002"; }

echo "== corrupt, truncated and edited store files (recommend, export, drift must refuse)" >&2
for file in vectors.rvv index.hnsw ids.txt manifest.json; do
    for fraction in 0 1 3 5 7 9; do
        v=$(fresh); n=$(size "$v/$file"); offset=$(( (n - 1) * fraction / 9 ))
        flip "$v/$file" "$offset"
        run fail "flip byte $offset of $file: recommend" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5 --json
        run fail "flip byte $offset of $file: export" "$RECVEC" export --store "$WORK/s" --format npy --out "$WORK/x.npy"
        [ -e "$WORK/x.npy" ] && { silent=$((silent + 1)); note "SILENT-WRONG" "export wrote corrupt $file"; rm -f "$WORK/x.npy"*; }
        run fail "flip byte $offset of $file: drift" "$RECVEC" drift --store "$WORK/s" -k 5
    done
    for cut in 0 10 100 -8; do
        v=$(fresh); n=$(size "$v/$file"); length=$cut; [ "$cut" -lt 0 ] && length=$((n + cut))
        truncate -s "$length" "$v/$file"
        run fail "truncate $file to $length bytes" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5
    done
done
v=$(fresh); perl -0pi -e 's/item17\n/item71\n/' "$v/ids.txt"
run fail "same-size edit of ids.txt" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5
v=$(fresh); perl -0pi -e 's/"formatVersion" : 2/"formatVersion" : 1/; s/\n\s*"manifestChecksum" : "[0-9a-f]+",?//; s/"ids.txt"/"..\/..\/ids.txt"/' "$v/manifest.json"
run fail "manifest naming ../../ids.txt" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5
v=$(fresh); mv "$v/ids.txt" "$WORK/ids-moved"; ln -s "$WORK/ids-moved" "$v/ids.txt"
run fail "ids.txt is a symlink out of the version" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5
v=$(fresh); rm "$v/index.hnsw"
run fail "index.hnsw removed" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5
v=$(fresh); printf 'v00\0\001garbage' >"$WORK/s/CURRENT"
run fail "garbled CURRENT" "$RECVEC" recommend --store "$WORK/s" --history item1 -k 5
run ok "rollback --to repairs a garbled CURRENT" "$RECVEC" rollback --store "$WORK/s" --to v000002
serves "$WORK/s" v000002 "after repairing CURRENT"
v=$(fresh); printf 'nonsense\n' >"$WORK/s/HISTORY"
run ok "garbled HISTORY: gc" "$RECVEC" gc --store "$WORK/s" --keep 1
serves "$WORK/s" v000002 "after gc with a garbled HISTORY"
[ -d "$WORK/s/versions/v000001" ] || { lost=$((lost + 1)); note "DATA-LOST" "gc removed v000001 on a garbled HISTORY"; }

echo "== crafted .npy, ids and text inputs (publish must refuse, the served version stays)" >&2
v=$(fresh)
cp "$WORK/a.npy.ids" "$WORK/c.npy.ids"
crafted=(
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }|0"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }|16"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3037000500, 3037000500), }|16"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }|16"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (300, 16), }|100"
    "{'descr': '>f4', 'fortran_order': False, 'shape': (300, 16), }|19200"
    "{'descr': '<i8', 'fortran_order': False, 'shape': (300, 16), }|38400"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (300, 16, 2), }|38400"
    "{'descr': '<f4', 'fortran_order': 'x', 'shape': (300, 16), }|19200"
    "{'descr': '<f4', 'shape': (300, 16), }|19200"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 16), }|0"
    "not a dict at all|64"
)
for entry in "${crafted[@]}"; do
    header "$WORK/c.npy" "${entry%|*}" "${entry##*|}"
    run fail "crafted npy ${entry%|*}" publish "$WORK/s" "$WORK/c.npy"
done
printf 'NUMPY' >"$WORK/c.npy"; run fail "5-byte npy" publish "$WORK/s" "$WORK/c.npy"
perl -e 'open(my $f, ">:raw", $ARGV[0]); print $f "\x93NUMPY\x01\x00\xff\xff"' "$WORK/c.npy"; run fail "npy header longer than the file" publish "$WORK/s" "$WORK/c.npy"
npy "$WORK/c.npy" 300 16 3 3e38; run fail "rows of 3e38 (norm overflows)" publish "$WORK/s" "$WORK/c.npy"
npy "$WORK/c.npy" 300 16 3 1e20; run fail "rows of 1e20 (squared norm overflows)" publish "$WORK/s" "$WORK/c.npy"
npy "$WORK/c.npy" 300 16 3; perl -e 'open(my $f, "+<:raw", $ARGV[0]); seek($f, 128 + 40, 0); print $f "\x00\x00\xc0\x7f"; close $f' "$WORK/c.npy"
run fail "a NaN value" publish "$WORK/s" "$WORK/c.npy"
npy "$WORK/c.npy" 300 16 3
for ids in "dup" "empty" "short" "space" "binary"; do
    cp "$WORK/a.npy.ids" "$WORK/c.npy.ids"
    case $ids in
        dup) perl -pi -e 's/^item5$/item4/' "$WORK/c.npy.ids" ;;
        empty) perl -pi -e 's/^item5$//' "$WORK/c.npy.ids" ;;
        short) perl -ni -e 'print unless /^item299$/' "$WORK/c.npy.ids" ;;
        space) perl -pi -e 's/^item5$/item 5/' "$WORK/c.npy.ids" ;;
        binary) head -c 3000 /dev/urandom | perl -pe 's/\n/x/g' >"$WORK/c.npy.ids" ;;
    esac
    run fail "ids file: $ids" publish "$WORK/s" "$WORK/c.npy"
done
serves "$WORK/s" v000002 "after the crafted inputs"
head -c 20000 /dev/urandom >"$WORK/junk"
run any "binary histories file" "$RECVEC" recommend --store "$WORK/s" --user u1 --histories "$WORK/junk" -k 5
run any "binary catalog file" "$RECVEC" recommend --store "$WORK/s" --history item1 --catalog "$WORK/junk" -k 5
run any "binary metrics file" publish "$WORK/s" "$WORK/a.npy" --metrics "$WORK/junk"
run any "binary events file" "$RECVEC" inspect "$WORK/junk"
printf 'user,item,timestamp\nu1,i1,99999999999999999999999\nu1,i2,-9223372036854775808\n,,\n' >"$WORK/events.csv"
run any "events with absurd timestamps" "$RECVEC" inspect "$WORK/events.csv"
serves "$WORK/s" v000002 "after the binary inputs"

echo "== overflowing and absurd flags (typed errors, never a trap)" >&2
for k in 4611686018427387904 9223372036854775807 1048577 -1; do
    run fail "recommend -k $k" "$RECVEC" recommend --store "$WORK/s" --history item1 -k "$k"
    run fail "drift -k $k" "$RECVEC" drift --store "$WORK/s" -k "$k"
done
run fail "recommend --candidate-factor huge" "$RECVEC" recommend --store "$WORK/s" --history item1 --candidate-factor 4611686018427387904
run fail "recommend --ef-search huge" "$RECVEC" recommend --store "$WORK/s" --history item1 --ef-search 9223372036854775807
run fail "recommend --max-per-category 0" "$RECVEC" recommend --store "$WORK/s" --history item1 --max-per-category 0
run any "drift --sample huge" "$RECVEC" drift --store "$WORK/s" --sample 9223372036854775807
run fail "publish --m huge" publish "$WORK/s" "$WORK/a.npy" --m 9223372036854775807
run fail "publish --ef-construction huge" publish "$WORK/s" "$WORK/a.npy" --ef-construction 9223372036854775807
run fail "publish --ef-search huge" publish "$WORK/s" "$WORK/a.npy" --ef-search 4294967297
run fail "--threads huge" publish "$WORK/s" "$WORK/a.npy" --threads 9223372036854775807
for flag in --users --items --sessions --session-length; do
    run fail "generate $flag huge" "$RECVEC" generate --out "$WORK/gen" "$flag" 4611686018427387904
done
for flag in --window --epochs --session-length --dimension; do
    run fail "train $flag huge" "$RECVEC" train --method item2vec --users 40 --items 30 --sessions 60 --out "$WORK/train$flag" "$flag" 4611686018427387904
done
run fail "table --k huge" "$RECVEC" table --k 9223372036854775807 --users 30 --items 20 --sessions 40
run fail "eval --k huge" "$RECVEC" eval --dataset synthetic --k 9223372036854775807 --users 30 --items 20 --sessions 40
run fail "gc --keep 0" "$RECVEC" gc --store "$WORK/s" --keep 0
run ok "gc --keep huge" "$RECVEC" gc --store "$WORK/s" --keep 9223372036854775807
run ok "publish --keep huge" publish "$WORK/s" "$WORK/a.npy" --keep 9223372036854775807
serves "$WORK/s" v000003 "after the flags"

echo "== symlinks and export destinations" >&2
v=$(fresh)
printf 'precious\n' >"$WORK/victim"
for planted in "$WORK/out.npy" "$WORK/out.npy.ids.txt" "$WORK/out.txt" "$WORK/s/CURRENT.tmp" "$WORK/s/HISTORY.tmp"; do ln -sf "$WORK/victim" "$planted"; done
for pid in $(seq $(( $$ + 1 )) $(( $$ + 300 ))); do ln -sf "$WORK/victim" "$WORK/out.npy.tmp-$pid"; ln -sf "$WORK/victim" "$WORK/s/CURRENT.tmp-$pid"; done
run ok "export npy over planted symlinks" "$RECVEC" export --store "$WORK/s" --format npy --out "$WORK/out.npy"
run ok "export word2vec over a planted symlink" "$RECVEC" export --store "$WORK/s" --format word2vec-text --out "$WORK/out.txt"
run ok "publish beside planted CURRENT.tmp symlinks" publish "$WORK/s" "$WORK/a.npy"
run ok "rollback beside planted symlinks" "$RECVEC" rollback --store "$WORK/s"
[ "$(cat "$WORK/victim")" = precious ] || { silent=$((silent + 1)); note "SILENT-WRONG" "the victim file was overwritten through a symlink"; }
[ -L "$WORK/out.npy" ] && { silent=$((silent + 1)); note "SILENT-WRONG" "export followed the destination symlink"; }
scenarios=$((scenarios + 2))
before=$(cksum "$v/vectors.rvv")
run fail "export --out a served file" "$RECVEC" export --store "$WORK/s" --version v000002 --format npy --out "$v/vectors.rvv"
run fail "export --out into the store" "$RECVEC" export --store "$WORK/s" --format word2vec-binary --out "$WORK/s/CURRENT"
ln "$v/ids.txt" "$WORK/hardlink.txt"
run fail "export --out a hard link to a served file" "$RECVEC" export --store "$WORK/s" --format word2vec-text --out "$WORK/hardlink.txt"
[ "$(cksum "$v/vectors.rvv")" = "$before" ] || { lost=$((lost + 1)); note "DATA-LOST" "export overwrote a served file"; }
serves "$WORK/s" v000002 "after the export attempts"

echo "== kills during publish" >&2
for step in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$WORK/k"; cp -a "$GOOD" "$WORK/k"
    RECVEC_TEST_KILL_AFTER_STEP=$step publish "$WORK/k" "$WORK/a.npy" >/dev/null 2>&1
    scenarios=$((scenarios + 1))
    if [ "$step" -ge 9 ]; then serves "$WORK/k" v000003 "killed after step $step"; else serves "$WORK/k" v000002 "killed after step $step"; fi
    run ok "publish --keep 2 after a kill at step $step" publish "$WORK/k" "$WORK/b.npy" --keep 2
    # The version that served before the kill must still be there to roll back to.
    run ok "rollback after a kill at step $step" "$RECVEC" rollback --store "$WORK/k"
    if [ "$step" -ge 9 ]; then serves "$WORK/k" v000003 "rolled back after a kill at step $step"; else serves "$WORK/k" v000002 "rolled back after a kill at step $step"; fi
done
npy "$WORK/big.npy" 20000 32 5
rm -rf "$WORK/k"; cp -a "$GOOD" "$WORK/k"
for delay in 0.02 0.05 0.1 0.15 0.2 0.3 0.4 0.6; do
    # The binary itself in the background (not the shell function), so that the kill reaches it.
    "$RECVEC" publish --store "$WORK/k" --vectors "$WORK/big.npy" --ids "$WORK/big.npy.ids" --method attack --force --index none >/dev/null 2>&1 &
    pid=$!; sleep "$delay"; kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
    scenarios=$((scenarios + 1))
    current=$(cat "$WORK/k/CURRENT")
    serves "$WORK/k" "$current" "killed after $delay s"
    run ok "gc --keep 1 after a kill at $delay s" "$RECVEC" gc --store "$WORK/k" --keep 1
    serves "$WORK/k" "$current" "gc after a kill at $delay s"
done

echo "== concurrent publishers" >&2
rm -rf "$WORK/c"; cp -a "$GOOD" "$WORK/c"
pids=()
for i in 1 2 3 4 5 6; do publish "$WORK/c" "$WORK/a.npy" --index none >/dev/null 2>"$WORK/pub$i.err" & pids+=($!); done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"; status=$?
    scenarios=$((scenarios + 1))
    [ $status -ge 128 ] && { crashes=$((crashes + 1)); note CRASH "concurrent publisher $i"; }
    [ $status -ne 0 ] && [ $status -lt 128 ] && { lost=$((lost + 1)); note "DATA-LOST (publish failed: $(head -c 200 "$WORK/pub$((i + 1)).err"))" "concurrent publisher $i"; }
done
[ "$(ls "$WORK/c/versions" | grep -c '^v')" -eq 8 ] || { lost=$((lost + 1)); note "DATA-LOST" "concurrent publishers: $(ls "$WORK/c/versions" | tr '\n' ' ')"; }
serves "$WORK/c" v000008 "after concurrent publishers"

echo "== readers racing publish --keep 1 (gc)" >&2
rm -rf "$WORK/r"; cp -a "$GOOD" "$WORK/r"
( for i in $(seq 1 12); do publish "$WORK/r" "$WORK/a.npy" --index none --keep 1 >/dev/null 2>&1; done ) &
writer=$!
reads=0 failures=0
while kill -0 $writer 2>/dev/null; do
    "$RECVEC" recommend --store "$WORK/r" --history item1 -k 3 >/dev/null 2>"$WORK/race.err"
    status=$?; reads=$((reads + 1)); scenarios=$((scenarios + 1))
    [ $status -ge 128 ] && { crashes=$((crashes + 1)); note CRASH "reader during gc"; }
    [ $status -ne 0 ] && [ $status -lt 128 ] && { failures=$((failures + 1)); lost=$((lost + 1)); note "DATA-LOST (reader failed: $(head -c 200 "$WORK/race.err"))" "reader during gc"; }
done
wait $writer
echo "  $reads reads during 12 publishes with --keep 1, $failures failed" >&2
serves "$WORK/r" v000014 "after the race"

echo "attack: $scenarios scenarios, crashes $crashes, silent-wrong $silent, data-lost $lost"
[ $crashes -eq 0 ] && [ $silent -eq 0 ] && [ $lost -eq 0 ]
