#!/usr/bin/python3
"""Throughput of the stand-in: keep-alive connections from several client
threads, no injected latency.

  bench_standin.py [--threads 4] [--duration 3] [--requests N] [--min-rps R] [--url URL]

Starts its own stand-in (generated fixture) unless --url is given.  Each
thread keeps one HTTP/1.1 connection and replays pre-signed requests (a mix
of ListFunctions, ListObjectVersions, ListLayerVersions, GetCallerIdentity,
HeadBucket), so the figure measures the server rather than client-side
signing.  Prints requests/s and latency percentiles; exits 1 if any request
failed or the rate is below --min-rps.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, small_fixture, TEST_AK, TEST_SK  # noqa: E402

from botocore.auth import SigV4Auth, S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

MIX = [
    ("lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "MaxItems=10", b"", {}),
    ("s3", "us-east-1", "GET", "/remotionlambda-useast1-abcdefghij", "versions&max-keys=10", b"", {}),
    ("lambda", "eu-west-1", "GET", "/2018-10-31/layers/remotion-binaries-arm64/versions", "", b"", {}),
    ("sts", "us-east-1", "POST", "/", "", b"Action=GetCallerIdentity&Version=2011-06-15",
     {"Content-Type": "application/x-www-form-urlencoded"}),
    ("s3", "us-east-1", "HEAD", "/remotionlambda-useast1-abcdefghij", "", b"", {}),
]


def presign(host, port):
    out = []
    for svc, region, method, path, q, body, hdrs in MIX:
        url = "http://%s:%d%s%s" % (host, port, path, "?" + q if q else "")
        req = AWSRequest(method=method, url=url, data=body, headers=dict(hdrs))
        (S3SigV4Auth if svc == "s3" else SigV4Auth)(Credentials(TEST_AK, TEST_SK), svc, region).add_auth(req)
        out.append((method, path + ("?" + q if q else ""), body, dict(req.headers.items())))
    return out


def worker(host, port, reqs, stop_at, budget, results, lock):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    lat, errors, n = [], 0, 0
    i = 0
    while time.time() < stop_at:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        method, path, body, hdrs = reqs[i % len(reqs)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body or None, headers=hdrs)
            r = conn.getresponse()
            r.read()
            if r.status >= 300:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
        lat.append(time.perf_counter() - t0)
        n += 1
    conn.close()
    with lock:
        results.append((n, errors, lat))


def main(argv=None):
    p = argparse.ArgumentParser(description="stand-in throughput benchmark")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--requests", type=int, default=1000000)
    p.add_argument("--min-rps", type=float, default=0.0)
    p.add_argument("--url", help="an already running stand-in with the small test fixture")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    a.threads = max(1, min(a.threads, 64))
    a.duration = max(0.1, min(a.duration, 120.0))
    si = None
    if a.url:
        from urllib.parse import urlsplit
        u = urlsplit(a.url)
        host, port = u.hostname, u.port
        if host not in ("127.0.0.1", "localhost", "::1"):
            print("bench: loopback only", file=sys.stderr)
            return 2
    else:
        si = StandIn(fixture=small_fixture())
        host, port = "127.0.0.1", si.port
    try:
        reqs = presign(host, port)
        results, lock = [], threading.Lock()
        budget = [a.requests]
        t0 = time.time()
        stop_at = t0 + a.duration
        ts = [threading.Thread(target=worker, args=(host, port, reqs, stop_at, budget, results, lock))
              for _ in range(a.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.time() - t0
        conns = None
        if si:
            conns = len({e["conn"] for e in si.log() if e["service"] != "control"})
    finally:
        if si:
            si.stop()
    n = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000.0 if lat else 0.0
    rps = n / elapsed if elapsed > 0 else 0.0
    out = {"requests": n, "errors": errors, "threads": a.threads, "seconds": round(elapsed, 3),
           "rps": round(rps, 1), "p50_ms": round(pct(0.5), 2), "p99_ms": round(pct(0.99), 2),
           "server_connections": conns}
    if a.json:
        print(json.dumps(out))
    else:
        print("%d requests in %.2f s from %d threads (%s connections seen by the server): %.0f req/s, "
              "p50 %.2f ms, p99 %.2f ms, %d errors" % (n, elapsed, a.threads, "?" if conns is None else conns, rps,
                                                       out["p50_ms"], out["p99_ms"], errors))
    if errors or rps < a.min_rps:
        return 1
    if conns is not None and conns != a.threads:
        print("bench: expected one keep-alive connection per thread", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
