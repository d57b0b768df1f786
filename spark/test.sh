#!/usr/bin/env bash
# The Spark jobs' tests (spark/tests): equivalence with single-machine recvec, faults, refusals.
# Needs Java 17 and python3 with venv; creates .venv-spark (pip install -r spark/requirements.txt)
# when missing. Runs after `swift test` in CI (README: swift test && spark/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${RECVEC_SPARK_VENV:-.venv-spark}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import pyspark, pytest, pyarrow" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r spark/requirements.txt
fi
swift build --product recvec
export RECVEC="$(swift build --show-bin-path)/recvec"
set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider spark/tests "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "spark/test.sh: pytest collected no tests (exit 5): treated as a failure" >&2
    exit 1
fi
exit "$status"
