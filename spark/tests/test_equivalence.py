"""The Spark jobs against single-machine recvec on the same log: identical vocabularies,
sessions, integer co-occurrence counts, PPMI+SVD vectors and batch recommendations; faults
(a first attempt killed mid-way) change nothing; a second run into the same output is refused."""

import csv
import json
import os
import struct

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import run

from recvec_spark import jobs
from recvec_spark.formats import read_corpus, read_counts


def job(spark, recvec, name, *args):
    jobs.main([name, "--recvec", recvec, *map(str, args)], spark=spark)


def same_files(a, b, names):
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


@pytest.fixture(scope="module")
def reference(log, recvec, tmp_path_factory):
    """Single-machine recvec: corpus (vocabulary + sessions), counts, vectors, a store, batch."""
    base = tmp_path_factory.mktemp("reference")
    run(recvec, "corpus", "--events", log["whole"], "--out", base / "corpus")
    run(recvec, "cooc-shard", "--corpus", base / "corpus", "--window", 5, "--out", base / "counts.rvcsr")
    run(recvec, "cooc-shard", "--corpus", base / "corpus", "--window", 5, "--weighting", "inverse-distance",
        "--out", base / "counts-inv.rvcsr")
    run(recvec, "train", "--method", "ppmi-svd", "--corpus", base / "corpus", "--window", 5, "--threads", 1,
        "--out", base / "vectors")
    run(recvec, "publish", "--store", base / "store", "--vectors", base / "vectors/items.npy", "--query-vectors",
        base / "vectors/query.npy", "--ids", base / "vectors/ids.txt", "--method", "ppmi-svd", "--metric", "dot")
    batch = run(recvec, "batch-recommend", "--store", base / "store", "--events", log["whole"], "-k", 10)
    return {"base": base, "batch": batch}


@pytest.fixture(scope="module")
def spark_corpus(spark, recvec, log, tmp_path_factory):
    out = tmp_path_factory.mktemp("spark") / "corpus"
    job(spark, recvec, "sessions", "--events", log["split"], "--partitions", 4, "--out", out)
    return out


def test_vocabulary_job_equals_recvec(spark, recvec, log, reference, tmp_path):
    job(spark, recvec, "vocab", "--events", *sorted(log["split"].iterdir()), "--out", tmp_path / "vocab")
    same_files(tmp_path / "vocab", reference["base"] / "corpus", ["ids.txt", "counts.txt"])


def test_sessions_equal_recvec_in_order(spark_corpus, reference, log):
    ours, theirs = read_corpus(spark_corpus), read_corpus(reference["base"] / "corpus")
    assert len(ours) > 1000 and sum(map(len, ours)) == log["events"]
    assert ours == theirs
    assert len([n for n in os.listdir(spark_corpus) if n.endswith(".rvc")]) == 4
    same_files(spark_corpus, reference["base"] / "corpus", ["ids.txt", "counts.txt"])


def test_sessions_from_parquet_with_min_count_gap_and_collapse(spark, recvec, log, tmp_path):
    """Parquet input (time as int64), min count, a shorter gap, repeats collapsed, short sessions dropped."""
    table = pacsv.read_csv(log["whole"], convert_options=pacsv.ConvertOptions(
        column_types={"user": pa.string(), "item": pa.string(), "timestamp": pa.int64(), "session": pa.string()}))
    os.makedirs(tmp_path / "pq")
    third = table.num_rows // 3
    for i, (start, stop) in enumerate([(0, third), (third, 2 * third), (2 * third, table.num_rows)]):
        pq.write_table(table.slice(start, stop - start), tmp_path / "pq" / f"part-{i}.parquet")
    # Explicit columns (no session column): the gap rule applies.
    flags = ["--user", "user", "--item", "item", "--time", "timestamp",
             "--min-count", 400, "--gap", 300, "--collapse-repeats", "--min-length", 2]
    run(recvec, "corpus", "--events", log["whole"], "--out", tmp_path / "ref", *flags)
    job(spark, recvec, "sessions", "--format", "parquet", "--events", tmp_path / "pq", "--partitions", 3,
        "--out", tmp_path / "ours", *flags)
    ref = read_corpus(tmp_path / "ref")
    assert read_corpus(tmp_path / "ours") == ref
    assert len((tmp_path / "ref/ids.txt").read_text().split()) < 400 and all(len(s) >= 2 for s in ref)
    same_files(tmp_path / "ours", tmp_path / "ref", ["ids.txt", "counts.txt"])


TIE_ROWS = [("u1", "b", "2020-01-01T00:00:00Z", "s1"), ("u2", "10", "1577836800", "s2"),
            ("u1", "a", "1577836800", "s1"), ("u1", "9", "2020-01-01 01:00:00+01:00", "s1"),
            ("u2", "b", "2020-01-01", "s3"), ("u1", "a", "1577840400.7", "s1"),
            ("u2", "a", "2020-01-01T00:00", "s2"), ("u1", "10", "2020-01-01T00:59:59.999-00:00", "s3"),
            ("u2", "9", "1577838600", "s2"), ("u2", "b", "1577840401", "s2")]


def write_tie_files(folder, header, rows, fmt):
    """The whole log, and the same rows in three files (name order = the whole file's order)."""
    os.makedirs(folder / "in")
    if fmt == "jsonl":
        def text(chunk):
            return "".join(json.dumps(dict(zip(header, r))) + "\n" for r in chunk)
    else:
        def text(chunk):
            return "\n".join([",".join(header)] + [",".join(r) for r in chunk]) + "\n"
    (folder / f"whole.{fmt}").write_text(text(rows))
    for i, chunk in enumerate([rows[:3], rows[3:5], rows[5:]]):
        (folder / "in" / f"part-{i}.{fmt}").write_text(text(chunk))


@pytest.mark.parametrize("variant", ["gap", "session-column", "jsonl-milliseconds"])
def test_ties_iso_times_and_session_rules_across_files(spark, recvec, tmp_path, variant):
    """Equal timestamps break by file order across files; ISO 8601 and epoch times mix (epoch
    milliseconds detected from the first epoch number, as recvec does); the gap rule and the
    session-column rule (recognised from the header); vocabulary ties."""
    header, rows, fmt = ["user", "item", "timestamp"], [r[:3] for r in TIE_ROWS], "csv"
    if variant == "session-column":
        header, rows = header + ["session"], TIE_ROWS
    if variant == "jsonl-milliseconds":
        fmt = "jsonl"
        rows = [(u, i, t + "000" if t[0].isdigit() and "-" not in t and "." not in t else t) for u, i, t in rows]
        rows = [(u, i, t.replace(".7", "700") if t.endswith(".7") else t) for u, i, t in rows]
    write_tie_files(tmp_path, header, rows, fmt)
    flags = ["--gap", 1800] + (["--format", "jsonl"] if fmt == "jsonl" else [])
    run(recvec, "corpus", "--events", tmp_path / f"whole.{fmt}", "--out", tmp_path / "ref", *flags)
    job(spark, recvec, "sessions", "--events", tmp_path / "in", "--partitions", 2, "--out", tmp_path / "ours", *flags)
    ref = read_corpus(tmp_path / "ref")
    assert read_corpus(tmp_path / "ours") == ref
    same_files(tmp_path / "ours", tmp_path / "ref", ["ids.txt", "counts.txt"])
    # a and b 3 events each (ties by bytes), 9 and 10 two each (ties by value).
    assert (tmp_path / "ref/ids.txt").read_text() == "a\nb\n9\n10\n"
    a, b, nine, ten = range(4)
    if variant == "session-column":  # s1, s2, s3 by first appearance, all starting at t0
        assert ref == [[b, a, nine, a], [ten, a, nine, b], [b, ten]]
    else:  # u1 and u2 cut where the gap exceeds 1800 s (u2's 1800 s gap does not cut)
        assert ref == [[b, a, nine], [ten, b, a, nine], [ten, a], [b]]


def test_cooccurrence_counts_equal_recvec(spark, recvec, spark_corpus, reference, tmp_path):
    job(spark, recvec, "cooc", "--corpus", spark_corpus, "--window", 5, "--out", tmp_path / "counts", "--keep-partial")
    ours, theirs = read_counts(tmp_path / "counts/counts.rvcsr"), read_counts(reference["base"] / "counts.rvcsr")
    assert len(os.listdir(tmp_path / "counts/partial")) == 4
    assert ours["tokens"] == theirs["tokens"] and len(ours["entries"]) > 10000
    assert ours["entries"] == theirs["entries"]  # integer counts: exact


def test_inverse_distance_counts_within_tolerance(spark, recvec, spark_corpus, reference, tmp_path):
    """Each partial is rounded to float once, the merge once more: |ours - theirs| <= 3 * 2^-24 * theirs."""
    job(spark, recvec, "cooc", "--corpus", spark_corpus, "--window", 5, "--weighting", "inverse-distance",
        "--out", tmp_path / "counts")
    ours, theirs = read_counts(tmp_path / "counts/counts.rvcsr"), read_counts(reference["base"] / "counts-inv.rvcsr")
    assert ours["entries"].keys() == theirs["entries"].keys()
    worst = max(abs(ours["entries"][k] - v) / v for k, v in theirs["entries"].items())
    assert worst <= 3 * 2.0 ** -24, worst
    assert any(abs(v - round(v)) > 0.1 for v in theirs["entries"].values())  # really fractional weights


def test_ppmi_svd_from_spark_counts_equals_recvec(spark, recvec, spark_corpus, reference, tmp_path):
    job(spark, recvec, "cooc", "--corpus", spark_corpus, "--window", 5, "--out", tmp_path / "counts")
    run(recvec, "train", "--method", "ppmi-svd", "--counts", tmp_path / "counts", "--threads", 1, "--out", tmp_path / "vectors")
    same_files(tmp_path / "vectors", reference["base"] / "vectors", ["items.npy", "query.npy", "ids.txt"])


def read_recommendations(folder):
    rows = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".csv"):
            with open(path) as f:
                rows += [(r["user"], int(r["rank"]), r["item"], float(r["score"])) for r in csv.DictReader(f)]
        elif name.endswith(".parquet"):
            rows += [(r["user"], r["rank"], r["item"], r["score"]) for r in pq.read_table(path).to_pylist()]
    return sorted(rows)


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_batch_recommendations_equal_recvec(spark, recvec, log, reference, tmp_path, output_format):
    job(spark, recvec, "batch", "--events", log["split"], "--store", reference["base"] / "store", "-k", 10,
        "--partitions", 3, "--output-format", output_format, "--out", tmp_path / "batch")
    ours = read_recommendations(tmp_path / "batch/recommendations")
    theirs = sorted((u, int(r), i, float32(float(s))) for u, r, i, s in
                    (line.rsplit(",", 3) for line in reference["batch"].splitlines()))
    assert len(theirs) > 10000
    assert [(u, r, i, float32(s)) for u, r, i, s in ours] == theirs


def test_a_killed_first_attempt_changes_nothing(spark, recvec, log, spark_corpus, reference, tmp_path):
    """Partition 1's first attempt dies mid-way (half-written temporary file left behind); Spark
    retries it; the outputs equal the fault-free ones: no count lost or added twice."""
    job(spark, recvec, "sessions", "--events", log["split"], "--partitions", 4, "--out", tmp_path / "corpus",
        "--fail-first-attempt", 1)
    assert read_corpus(tmp_path / "corpus") == read_corpus(spark_corpus)
    assert not [n for n in os.listdir(tmp_path / "corpus") if ".tmp-" in n]
    job(spark, recvec, "cooc", "--corpus", tmp_path / "corpus", "--window", 5, "--out", tmp_path / "counts",
        "--fail-first-attempt", 1)
    assert read_counts(tmp_path / "counts/counts.rvcsr")["entries"] == read_counts(reference["base"] / "counts.rvcsr")["entries"]
    job(spark, recvec, "batch", "--events", log["split"], "--store", reference["base"] / "store", "-k", 10,
        "--partitions", 3, "--out", tmp_path / "batch", "--fail-first-attempt", 2)
    assert len(read_recommendations(tmp_path / "batch/recommendations")) == len(reference["batch"].splitlines())


def test_a_second_run_into_the_same_output_is_refused(spark, recvec, spark_corpus, tmp_path):
    job(spark, recvec, "cooc", "--corpus", spark_corpus, "--window", 5, "--out", tmp_path / "counts")
    before = (tmp_path / "counts/counts.rvcsr").read_bytes()
    with pytest.raises(SystemExit, match="already exists"):
        job(spark, recvec, "cooc", "--corpus", spark_corpus, "--window", 2, "--out", tmp_path / "counts")
    assert (tmp_path / "counts/counts.rvcsr").read_bytes() == before
    assert [n for n in os.listdir(tmp_path) if n != "counts"] == []  # no partial folder left


def test_recvec_reads_spark_shards_and_refuses_a_corrupt_one(recvec, spark_corpus, tmp_path):
    run(recvec, "train", "--method", "item2vec", "--corpus", spark_corpus, "--threads", 1, "--out", tmp_path / "i2v")
    assert (tmp_path / "i2v/items.npy").stat().st_size > 400 * 32 * 4
    os.makedirs(tmp_path / "bad")
    for n in ("ids.txt", "counts.txt", "part-00000.rvc"):
        (tmp_path / "bad" / n).write_bytes((spark_corpus / n).read_bytes())
    data = bytearray((tmp_path / "bad/part-00000.rvc").read_bytes())
    data[100] ^= 1
    (tmp_path / "bad/part-00000.rvc").write_bytes(bytes(data))
    import subprocess
    done = subprocess.run([recvec, "train", "--method", "item2vec", "--corpus", tmp_path / "bad", "--out", tmp_path / "x"],
                          stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    assert done.returncode != 0 and b"checksum mismatch" in done.stderr, done.stderr
    assert not (tmp_path / "x").exists()
