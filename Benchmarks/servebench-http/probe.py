#!/usr/bin/env python3
"""Latency probe for the publish phase: one keep-alive connection sending a recommend request
every 1/RATE s for DURATION s, each latency written with its send time, so that latencies can be
lined up with the times versions were switched.

Usage: probe.py URL HISTORIES DURATION RATE OUT
  OUT: one line per request, "unix_time_sent latency_ms status version" (the version that
  answered: run.sh finds the moments the server switched from it).
"""
import http.client
import json
import random
import sys
import time
from urllib.parse import urlparse


def main():
    url, histories, duration, rate, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    bodies = []
    with open(histories) as f:
        for line in f:
            ids = [i for i in line.strip().split(",") if i]
            bodies.append(json.dumps({"history": ids, "k": 20}))
    rng = random.Random(7)
    target = urlparse(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    rows = []
    start = time.time()
    next_at = start
    while time.time() - start < duration:
        now = time.time()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += 1.0 / rate
        sent = time.time()
        t0 = time.perf_counter()
        try:
            conn.request("POST", target.path, body=bodies[rng.randrange(len(bodies))], headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            status = response.status
            version = json.loads(body).get("version", "-") if status == 200 else "-"
        except Exception:
            status, version = 0, "-"
            conn.close()
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        rows.append((sent, (time.perf_counter() - t0) * 1000, status, version))
    with open(out, "w") as f:
        for sent, ms, status, version in rows:
            f.write(f"{sent:.6f} {ms:.3f} {status} {version}\n")


if __name__ == "__main__":
    main()
