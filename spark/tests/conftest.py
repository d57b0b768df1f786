"""Shared fixtures: one local[2] Spark session (retries on: local[2,4]), the recvec binary
`swift build` made, and a ~200k-event synthetic log split into three CSV files (each user's
events spread over several files) plus the same log whole, for single-machine recvec."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "spark"))
# Python workers import recvec_spark too (on a cluster: spark-submit --py-files, see README).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "spark"), os.environ.get("PYTHONPATH")]))


def recvec_binary():
    path = os.environ.get("RECVEC")
    if not path:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                                 stdout=subprocess.PIPE, text=True).stdout.strip()
        path = os.path.join(bin_dir, "recvec")
    if not os.access(path, os.X_OK):
        pytest.exit(f"recvec binary {path} not found: run `swift build` first (spark/test.sh does)", returncode=2)
    return path


@pytest.fixture(scope="session")
def recvec():
    return recvec_binary()


def run(recvec, *args, stdin=None):
    done = subprocess.run([recvec, *map(str, args)], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert done.returncode == 0, f"recvec {' '.join(map(str, args))}: {done.stderr.decode()}"
    return done.stdout.decode()


@pytest.fixture(scope="session")
def spark():
    from recvec_spark.jobs import session
    s = session("local[2,4]")
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def log(tmp_path_factory, recvec):
    """events.csv (whole) and split/part-{0,1,2}.csv: lines dealt round-robin in blocks, so a
    user's events (and sessions) cross file boundaries; concatenated in name order they are
    events.csv again."""
    base = tmp_path_factory.mktemp("log")
    run(recvec, "generate", "--sessions", 10000, "--ceiling-sessions", 0, "--seed", 7, "--out", base / "gen")
    lines = (base / "gen" / "events.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    cuts = [0, len(rows) // 3, 2 * len(rows) // 3, len(rows)]
    os.makedirs(base / "split")
    for i in range(3):
        (base / "split" / f"part-{i}.csv").write_text(header + "\n" + "\n".join(rows[cuts[i]:cuts[i + 1]]) + "\n")
    users_per_file = [{r.split(",")[0] for r in rows[cuts[i]:cuts[i + 1]]} for i in range(3)]
    assert users_per_file[0] & users_per_file[1], "the split must put some user's events in two files"
    return {"whole": base / "gen" / "events.csv", "split": base / "split", "base": base, "events": len(rows)}
