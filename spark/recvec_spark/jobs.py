"""RecVec's log-sized stages as Spark jobs, with `recvec` doing the per-partition work.

    vocab     events -> OUT/ids.txt, OUT/counts.txt (most frequent first, ties by id)
    sessions  events + vocabulary -> OUT/part-NNNNN.rvc corpus shards (+ ids.txt, counts.txt)
    cooc      corpus shards -> OUT/partial/part-NNNNN.rvcsr (C kernel per shard) -> OUT/counts.rvcsr
    batch     events + published store version -> OUT (CSV or Parquet: user, rank, item, score)

Every job writes into OUT.partial-<random> and renames it to OUT at the end; an existing OUT
is refused. Tasks write each shard under a temporary name and rename it to a name fixed by the
partition index, so a retried task replaces its own output and never adds to it.

Run: spark-submit spark/recvec_spark/jobs.py JOB [flags]   (see spark/README.md and --help)
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import uuid

from pyspark import SparkFiles, TaskContext
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from recvec_spark.timeparse import parse_time  # noqa: E402

CANONICAL_NUMBER = r"^(0|[1-9][0-9]{0,17})$"  # IDMap.canonicalNumber: ids that sort by value


# ---------------------------------------------------------------- the recvec binary on executors

def resolve_recvec(path):
    """The recvec binary: an existing path, else a file shipped with --files, else one on PATH."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return os.path.abspath(path)
    try:
        shipped = SparkFiles.get(os.path.basename(path))
        if os.path.isfile(shipped):
            os.chmod(shipped, 0o755)
            return shipped
    except Exception:  # no SparkContext on this process (driver-side use)
        pass
    found = shutil.which(path)
    if found:
        return found
    raise FileNotFoundError(f"recvec binary '{path}' not found (give --recvec PATH, or ship it with --files)")


def run_recvec(binary, args, stdin_bytes=None):
    """Runs recvec; raises with its stderr when it fails (Spark then retries the task)."""
    done = subprocess.run([binary] + args, input=stdin_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"recvec {' '.join(args)} exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout


def maybe_fail_first_attempt(fail_partition, partition, writing_to):
    """Fault injection for the tests: the first attempt of one task dies mid-way, leaving a
    half-written temporary file behind, as a killed executor would."""
    if fail_partition is None or partition != fail_partition or TaskContext.get().attemptNumber() != 0:
        return
    with open(writing_to + f".tmp-killed-{uuid.uuid4().hex[:8]}", "wb") as half:
        half.write(b"RVCORPUS-half-written")
    raise RuntimeError(f"injected failure: first attempt of partition {partition}")


# ---------------------------------------------------------------- output folders

class Output:
    """OUT written as OUT.partial-<random>, renamed to OUT when the job succeeds."""

    def __init__(self, final):
        self.final = os.path.abspath(final)
        if os.path.exists(self.final):
            raise SystemExit(f"{final} already exists; choose a new folder (outputs are never overwritten)")
        self.partial = f"{self.final}.partial-{uuid.uuid4().hex[:12]}"
        os.makedirs(self.partial)

    def commit(self):
        for root, _, files in os.walk(self.partial):  # leftovers of killed attempts
            for name in files:
                if ".tmp-" in name:
                    os.remove(os.path.join(root, name))
        if os.path.exists(self.final):
            shutil.rmtree(self.partial)
            raise SystemExit(f"{self.final} appeared while the job ran; the new output was discarded")
        os.rename(self.partial, self.final)

    def abort(self):
        shutil.rmtree(self.partial, ignore_errors=True)


# ---------------------------------------------------------------- reading events

_SCHEME = r"^[A-Za-z][A-Za-z0-9+.-]*:(//[^/]*)?"


# EventColumns.recognisedNames (Sources/RecVec/Data/EventColumns.swift): the header names
# recvec recognises when no column flag is given, compared without case.
RECOGNISED = [("user", ["user", "user_id", "userid", "customer_id", "customerid", "visitor_id", "visitorid", "client_id"]),
              ("item", ["item", "item_id", "itemid", "movie_id", "movieid", "product_id", "productid", "sku", "article_id"]),
              ("time", ["timestamp", "time", "ts", "event_time", "event_timestamp", "datetime"]),
              ("session", ["session", "session_id", "sessionid"])]


def columns(args, header):
    """{role: column name} as recvec picks them: the flags when any is given (user and item
    then required), else the header's recognised names."""
    given = {"user": args.user, "item": args.item, "time": args.time, "session": args.session}
    if any(given.values()):
        if not (args.user and args.item):
            raise SystemExit("give both --user and --item when giving any column flag (or none, to recognise the header)")
        return {role: (f"_c{v}" if v.isdigit() and v not in header else v) for role, v in given.items() if v}
    found = {}
    for role, names in RECOGNISED:
        matches = [h for h in header if h.lower() in names]
        if len(matches) > 1:
            raise SystemExit(f"columns {matches} could each be the {role}: name it with --{role}")
        if matches:
            found[role] = matches[0]
    for role in ("user", "item"):
        if role not in found:
            raise SystemExit(f"no {role} column recognised in header {header}: name it with --{role}")
    return found


def epoch_unit(events, unit):
    """recvec's rule: the first epoch number in file order decides (magnitude >= 1e11:
    milliseconds, else seconds), unless --time-unit says."""
    if unit != "auto":
        return unit
    first = (events.filter((F.col("pos.f") == 0) & (F.col("pos.b") == 0)).select("time_raw").limit(10000).collect())
    for row in first:
        text = None if row[0] is None else str(row[0])
        if text and re.fullmatch(r"[+-]?[0-9]{1,18}(\.[0-9]+)?", text):
            return "ms" if abs(int(text.split(".")[0])) >= 10 ** 11 else "s"
    return "s"


def read_events(spark, args):
    """Events as (user, item, t, pos[, session]): columns picked as recvec picks them, `t` epoch
    seconds parsed as recvec parses them (0 for every event when there is no time column: file
    order is then the order), and `pos` the event's place in file order: (file rank, split
    start, row in split), files ranked by path, so ties in time break as recvec's do on the
    files concatenated in path order."""
    paths = args.events
    if args.format == "parquet":
        df = spark.read.parquet(*paths)
    elif args.format == "jsonl":
        df = spark.read.option("mode", "FAILFAST").json(paths)
    else:
        flags = [v for v in (args.user, args.item, args.time, args.session) if v]
        header = not (flags and all(v.isdigit() for v in flags))
        first_line = spark.read.text(paths[0]).first()
        sep = "\t" if first_line is not None and "\t" in first_line[0] else ","
        df = (spark.read.option("header", header).option("sep", sep).option("inferSchema", False)
              .option("mode", "FAILFAST").csv(paths))
    cols_of = columns(args, df.columns)
    files = sorted(re.sub(_SCHEME, "", f) for f in df.inputFiles())
    rank = F.create_map(*[x for i, f in enumerate(files) for x in (F.lit(f), F.lit(i))])
    file_path = F.regexp_replace(F.col("_metadata.file_path"), _SCHEME, "")
    pos = F.struct(rank[file_path].alias("f"), F.col("_metadata.file_block_start").alias("b"),
                   F.monotonically_increasing_id().alias("m"))

    def required(role, what):
        value = F.col(cols_of[role]).cast("string")
        return F.when(value.isNotNull() & (value != ""), value).otherwise(F.raise_error(F.concat(
            F.lit("bad event in "), file_path, F.lit(f": column '{cols_of[role]}' is empty (expected {what})"))))

    cols = [required("user", "a non-empty user id").alias("user"), required("item", "a non-empty item id").alias("item"),
            (F.col(cols_of["time"]) if "time" in cols_of else F.lit(0)).alias("time_raw"), pos.alias("pos"), file_path.alias("file")]
    if "session" in cols_of:
        cols.append(required("session", "a non-empty session id").alias("session"))
    events = df.select(*cols)
    if "time" not in cols_of:
        return events.withColumn("t", F.lit(0).cast("long")).drop("time_raw", "file")
    time_type = events.schema["time_raw"].dataType
    if isinstance(time_type, (T.LongType, T.IntegerType, T.ShortType)):
        t = F.col("time_raw").cast("long")
        unit = epoch_unit(events, args.time_unit)
    elif isinstance(time_type, T.TimestampType):
        t, unit = F.unix_seconds(F.col("time_raw")), "s"
    else:
        t = F.udf(parse_time_or_fail, T.LongType(), useArrow=False)(F.col("time_raw").cast("string"), F.col("file"))
        unit = epoch_unit(events, args.time_unit)
    if unit == "ms":
        # Epoch numbers are milliseconds (floored to seconds); ISO 8601 times stay as they are.
        numeric = F.col("time_raw").cast("string").rlike(r"^[+-]?[0-9]{1,18}(\.[0-9]+)?$")
        t = F.when(numeric, F.floor(t / 1000)).otherwise(t).cast("long")
    t = F.when(t.isNotNull(), t).otherwise(F.raise_error(F.concat(
        F.lit("bad event in "), F.col("file"), F.lit(f": column '{cols_of['time']}' is empty"))))
    return events.withColumn("t", t).drop("time_raw", "file")


def parse_time_or_fail(text, file):
    """parse_time, raising (the task fails, then the job, with this message) on a bad value."""
    if text is None:
        return None
    value = parse_time(text)
    if value is None:
        raise ValueError(f"bad event in {file}: time '{text[:60]}' is neither epoch seconds nor ISO 8601")
    return value


# ---------------------------------------------------------------- job 1: vocabulary

def vocabulary(events, min_count):
    """[(item id, count)] by count descending, ties by id (canonical decimals by value first,
    then by UTF-8 bytes): the rule of Sources/RecVec/Data/Vocabulary.swift."""
    counts = events.groupBy("item").count().filter(F.col("count") >= min_count)
    numeric = F.col("item").rlike(CANONICAL_NUMBER)
    ordered = counts.orderBy(F.col("count").desc(), (~numeric).asc(),
                             F.when(numeric, F.col("item").cast("long")).asc_nulls_last(),
                             F.col("item").cast("binary").asc())
    rows = ordered.collect()
    if not rows:
        raise SystemExit(f"no item has {min_count} or more events (--min-count)")
    return [(r["item"], r["count"]) for r in rows]


def write_vocabulary(folder, vocab):
    with open(os.path.join(folder, "ids.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{item}\n" for item, _ in vocab)
    with open(os.path.join(folder, "counts.txt"), "w") as f:
        f.writelines(f"{count}\n" for _, count in vocab)


def read_vocabulary(folder):
    with open(os.path.join(folder, "ids.txt"), encoding="utf-8") as f:
        ids = f.read().split("\n")[:-1]
    with open(os.path.join(folder, "counts.txt")) as f:
        counts = [int(x) for x in f.read().split()]
    return list(zip(ids, counts))


def job_vocab(spark, args):
    out = Output(args.out)
    try:
        write_vocabulary(out.partial, vocabulary(read_events(spark, args), args.min_count))
        out.commit()
    except BaseException:
        out.abort()
        raise


# ---------------------------------------------------------------- job 2: sessions

def sessions(spark, events, vocab, args):
    """Sessions as (start, gkey, items) rows, each list of dense ids in time order: events of
    items outside the vocabulary dropped, then per user (or per --session) in (time, file order),
    cut where the gap to the previous event exceeds --gap: Sources/RecVec/Data/Sessionize.swift."""
    group = "session" if "session" in events.columns else "user"
    first_seen = events.groupBy(group).agg(F.min("pos").alias("gkey"))  # the group's dense index order
    dense = spark.createDataFrame([(item, i) for i, (item, _) in enumerate(vocab)], "item string, dense int")
    e = events.join(F.broadcast(dense), "item").join(first_seen, group)
    w = Window.partitionBy(group).orderBy("t", "pos")
    previous_t = F.lag("t").over(w)
    new = previous_t.isNull()
    if group == "user":
        new = new | ((F.col("t") - previous_t) > args.gap)
    e = e.withColumn("new", new).withColumn("previous_item", F.lag("dense").over(w))
    e = e.withColumn("sno", F.sum(F.col("new").cast("int")).over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)))
    if args.collapse_repeats:
        e = e.filter(F.col("new") | (F.col("dense") != F.col("previous_item")))
    s = e.groupBy(group, "sno").agg(
        F.min("t").alias("start"), F.first("gkey").alias("gkey"),
        F.sort_array(F.collect_list(F.struct("t", "pos", "dense"))).alias("events"))
    s = s.select("start", "gkey", F.col("events.dense").alias("items"))
    return s.filter(F.size("items") >= args.min_length)


def _write_corpus_partition(binary, folder, vocabulary_size, fail_partition):
    def write(index, rows):
        path = os.path.join(folder, f"part-{index:05d}.rvc")
        lines = [" ".join(map(str, r["items"])) + "\n" for r in rows]
        maybe_fail_first_attempt(fail_partition, index, path)
        run_recvec(resolve_recvec(binary), ["corpus-shard", "--vocabulary-size", str(vocabulary_size), "--out", path],
                   "".join(lines).encode())
        yield (index, len(lines), sum(len(x.split()) for x in lines))
    return write


def job_sessions(spark, args):
    out = Output(args.out)
    try:
        events = read_events(spark, args)
        vocab = read_vocabulary(args.vocab) if args.vocab else vocabulary(events, args.min_count)
        write_vocabulary(out.partial, vocab)
        s = sessions(spark, events, vocab, args)
        # Range-partitioned on the corpus order (start, first appearance): part-00000 holds the
        # first sessions, and the shards in name order are the single-machine corpus.
        ordered = s.repartitionByRange(args.partitions, "start", "gkey").sortWithinPartitions("start", "gkey")
        written = ordered.rdd.mapPartitionsWithIndex(
            _write_corpus_partition(args.recvec, out.partial, len(vocab), args.fail_first_attempt)).collect()
        print(f"sessions: {sum(w[1] for w in written)} sessions, {sum(w[2] for w in written)} tokens "
              f"in {len(written)} shards", file=sys.stderr)
        out.commit()
    except BaseException:
        out.abort()
        raise


# ---------------------------------------------------------------- job 3: co-occurrence

def job_cooc(spark, args):
    shards = sorted(n for n in os.listdir(args.corpus) if n.endswith(".rvc") and not n.startswith("."))
    if not shards:
        raise SystemExit(f"{args.corpus}: no *.rvc corpus shards")
    out = Output(args.out)
    try:
        partial = os.path.join(out.partial, "partial")
        os.makedirs(partial)
        corpus, binary, fail = os.path.abspath(args.corpus), args.recvec, args.fail_first_attempt
        flags = ["--window", str(args.window), "--weighting", args.weighting, "--threads", str(args.kernel_threads)]

        def count(index, names):
            for name in names:
                path = os.path.join(partial, name.replace(".rvc", ".rvcsr"))
                maybe_fail_first_attempt(fail, index, path)
                with open(os.path.join(corpus, name), "rb") as f:
                    f.seek(24)  # header field 1: sessions; a shard without tokens adds nothing
                    header = f.read(16)
                if int.from_bytes(header[8:16], "little") == 0:
                    continue
                run_recvec(resolve_recvec(binary), ["cooc-shard", "--corpus", os.path.join(corpus, name), "--out", path] + flags)
                yield name

        counted = spark.sparkContext.parallelize(shards, len(shards)).mapPartitionsWithIndex(count).collect()
        print(f"cooc: {len(counted)} partial counts", file=sys.stderr)
        # The sum: one merge pass on the driver (README: why not Spark's reduce).
        run_recvec(resolve_recvec(binary), ["merge-counts", partial, "--out", os.path.join(out.partial, "counts.rvcsr")])
        for name in ("ids.txt", "counts.txt"):
            shutil.copyfile(os.path.join(args.corpus, name), os.path.join(out.partial, name))
        if not args.keep_partial:
            shutil.rmtree(partial)
        out.commit()
    except BaseException:
        out.abort()
        raise


# ---------------------------------------------------------------- job 4: batch scoring

def job_batch(spark, args):
    out = Output(args.out)
    try:
        events = read_events(spark, args)
        latest = Window.partitionBy("user").orderBy(F.col("t").desc(), F.col("pos").desc())
        recent = events.withColumn("n", F.row_number().over(latest)).filter(F.col("n") <= args.history_length)
        histories = recent.groupBy("user").agg(F.sort_array(F.collect_list(F.struct("t", "pos", "item"))).alias("h"))
        histories = histories.select("user", F.col("h.item").alias("items")).repartition(args.partitions, "user")
        binary, fail = args.recvec, args.fail_first_attempt
        flags = ["--store", os.path.abspath(args.store), "-k", str(args.k), "--histories", "-"]
        if args.rule:
            flags += ["--rule", args.rule]
        if args.version:
            flags += ["--version", args.version]

        def score(index, rows):
            text = "".join(r["user"] + "\t" + "\t".join(r["items"]) + "\n" for r in rows)
            maybe_fail_first_attempt(fail, index, os.path.join(out.partial, f"batch-{index:05d}"))
            result = run_recvec(resolve_recvec(binary), ["batch-recommend"] + flags, text.encode())
            for line in result.decode().splitlines():
                user, rank, item, value = line.rsplit(",", 3)
                yield (user, int(rank), item, float(value))

        schema = "user string, rank int, item string, score float"
        scored = spark.createDataFrame(histories.rdd.mapPartitionsWithIndex(score), schema)
        target = os.path.join(out.partial, "recommendations")
        writer = scored.write.mode("errorifexists")
        if args.output_format == "parquet":
            writer.parquet(target)
        else:
            writer.option("header", True).csv(target)
        out.commit()
    except BaseException:
        out.abort()
        raise


# ---------------------------------------------------------------- command line

def parser():
    p = argparse.ArgumentParser(prog="jobs.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    sub = p.add_subparsers(dest="job", required=True)

    def events_flags(q):
        q.add_argument("--events", nargs="+", required=True, help="event files or folders (CSV/TSV or Parquet)")
        q.add_argument("--format", choices=["csv", "jsonl", "parquet"], default="csv", help="csv also reads TSV (tab in the first line)")
        q.add_argument("--user", help="user column: name or 0-based position (default: recognised from the header, as recvec does)")
        q.add_argument("--item")
        q.add_argument("--time", help="epoch seconds/ms or ISO 8601, as recvec reads it (none: file order)")
        q.add_argument("--session", help="session column: sessions come from it instead of --gap")
        q.add_argument("--time-unit", choices=["auto", "s", "ms"], default="auto",
                       help="unit of epoch numbers (auto: the first one decides, >= 1e11 is ms, as recvec does)")

    def common(q):
        q.add_argument("--out", required=True, help="output folder (must not exist)")
        q.add_argument("--recvec", default=os.environ.get("RECVEC", "recvec"), help="recvec binary (path, or name shipped with --files)")
        q.add_argument("--partitions", type=int, default=8)
        q.add_argument("--fail-first-attempt", type=int, help=argparse.SUPPRESS)  # tests: fault injection

    q = sub.add_parser("vocab", help="item vocabulary: ids.txt and counts.txt")
    events_flags(q); common(q)
    q.add_argument("--min-count", type=int, default=1)

    q = sub.add_parser("sessions", help="corpus shards (*.rvc) from events")
    events_flags(q); common(q)
    q.add_argument("--vocab", help="vocabulary folder from the vocab job (default: computed here)")
    q.add_argument("--min-count", type=int, default=1)
    q.add_argument("--gap", type=int, default=1800, help="inactivity gap in seconds")
    q.add_argument("--collapse-repeats", action="store_true")
    q.add_argument("--min-length", type=int, default=1)

    q = sub.add_parser("cooc", help="co-occurrence counts (*.rvcsr) from corpus shards")
    common(q)
    q.add_argument("--corpus", required=True)
    q.add_argument("--window", type=int, default=5)
    q.add_argument("--weighting", choices=["count", "inverse-distance"], default="count")
    q.add_argument("--kernel-threads", type=int, default=1, help="threads of the C kernel per task")
    q.add_argument("--keep-partial", action="store_true", help="keep OUT/partial/ (the per-shard counts)")

    q = sub.add_parser("batch", help="every user's top K from a published version")
    events_flags(q); common(q)
    q.add_argument("--store", required=True)
    q.add_argument("--version", help="version (default: the current one)")
    q.add_argument("-k", type=int, default=20)
    q.add_argument("--rule", help="user vector rule (default: the version's manifest's, as recvec batch-recommend)")
    q.add_argument("--history-length", type=int, default=50)
    q.add_argument("--output-format", choices=["csv", "parquet"], default="csv")
    return p


JOBS = {"vocab": job_vocab, "sessions": job_sessions, "cooc": job_cooc, "batch": job_batch}


def session(master=None):
    builder = SparkSession.builder.appName("recvec").config("spark.ui.showConsoleProgress", "false")
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()


def main(argv=None, spark=None):
    args = parser().parse_args(argv)
    spark = spark or session(args.master)
    JOBS[args.job](spark, args)


if __name__ == "__main__":
    main()
