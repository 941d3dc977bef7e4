#!/usr/bin/python3
"""Side-by-side benchmarks against the stand-in, every figure from one run
(wall clock, CPU = user+sys of the process tree, peak RSS), and ratios.

  bench.py inventory   23 regions (2 disabled), 120 functions per region
                       (3 pages) plus look-alikes, 2 layers x 3 versions plus
                       one other, 12 buckets, 100 ms per request: the
                       janitor's --sweep --dry-run vs boto3 (16 threads) vs
                       an AWS CLI v2 loop over the regions
  bench.py bucket      emptying and deleting a 20,000-object bucket at
                       100 ms per request: the janitor vs `aws s3 rb --force`
  bench.py functions   deleting 23 x 120 functions at 100 ms per request
  bench.py bigbucket   emptying a bucket of --objects objects in Remotion's
                       layout (random render ids, 100 objects a render) at
                       0 ms and at --latency-ms: what the latency costs the
                       janitor, against boto3 page by page (--latency-ms 0:
                       the janitor's own CPU and RSS per key)
  bench.py accounts    the cost of an account: one --sweep --dry-run over
                       --accounts sections (default 500), each an assumed
                       role with one function, against the same run over 1
                       and over a tenth of them: wall time, peak RSS,
                       requests, and the RSS each account adds
  bench.py accounts-json
                       peak RSS of a --sweep --dry-run over 64 accounts and
                       28,032 resources with --json and without, and of
                       --old-bin's (another build) beside it
  bench.py state       a report sweep (renders = all, grace = 7d) whose
                       state file holds --clocks render clocks (400,000),
                       carried over and written back: peak RSS and wall of
                       this binary and of --old-bin's side by side
  bench.py organization
                       a --org-accounts (200) member organization listed by
                       [organization] (20 accounts a page) and swept in one
                       --sweep --dry-run, each member an assumed role with
                       one function, at --latency-ms: wall time against the
                       per-host bound (requests / host_concurrency x
                       latency, and that bound plus the listing's chain of
                       sequential pages), peak RSS, requests per account
  bench.py prune-vs-empty
                       side by side at 0 ms, in one run: emptying a bucket
                       of --objects objects (buckets = yes) and pruning
                       --objects objects of old renders (renders = all, 10
                       objects a render) from a kept bucket; wall, CPU and
                       peak RSS, and pruning / emptying (target <= 1.5x);
                       --repeat K runs K pairs in turn and gives each
                       pair's ratios and their median
  bench.py prune-memory
                       peak RSS, wall and CPU at 0 ms of a report over a kept
                       bucket of --objects objects of old renders in
                       Remotion's layout (renders = artifacts, 7 objects a
                       render with its props), and of a deleting sweep
                       pruning --delete-objects objects (checked: every old
                       render gone but its output, young renders, sites and
                       other prefixes untouched)
  bench.py prune-state
                       a report over a kept bucket of --objects objects
                       (5 a render, renders = artifacts) without grace,
                       then twice with grace = 7d, the last sweep reading
                       and writing back a clock per render: peak RSS of
                       each sweep
  bench.py prune-scale time per object of a deleting sweep over a kept
                       bucket of --objects objects (give 10000000) and over
                       one of a tenth of them, side by side at 0 ms:
                       Remotion's layout with --per-render objects a render
                       (default 20), every render old, renders = artifacts;
                       wall and CPU an object and their ratio (target <= 1),
                       the janitor's peak RSS, the stand-in's load time and
                       memory; checked as prune-memory, from every key left
  bench.py bigpages    peak RSS of one --sweep --delete when every listing
                       page is as large as the janitor's caps admit (the
                       stand-in's big_page fault, cap - 1 KiB), against the
                       same sweep with ordinary pages

Options: --latency-ms N (100), --objects N (20000), --cli-objects N (the CLI's
bucket; default the same), --skip-cli, --old-bin PATH (main's janitor, run
beside the janitor in renders, prune-vs-empty, prune-memory),
--delete-objects N.  Needs a built janitor (JAN_BIN or
build/daemon/remotion-janitor).  Not a test: it prints figures.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import janlib as jl  # noqa: E402
from janlib import st  # noqa: E402

BOTO_LIST = r'''
import sys, boto3, botocore.config
from concurrent.futures import ThreadPoolExecutor
url, regions = sys.argv[1], sys.argv[2].split(",")
cfg = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32,
                             s3={"addressing_style": "path"})
def sess(region, svc):
    return boto3.session.Session().client(svc, region_name=region, endpoint_url=url, config=cfg)
def region(r):
    lam = sess(r, "lambda")
    n = 0
    try:
        for p in lam.get_paginator("list_functions").paginate():
            n += sum(1 for f in p["Functions"] if f["FunctionName"].startswith("remotion-"))
        for p in lam.get_paginator("list_layers").paginate():
            for l in p["Layers"]:
                if l["LayerName"].startswith("remotion-"):
                    for q in lam.get_paginator("list_layer_versions").paginate(LayerName=l["LayerName"]):
                        n += len(q["LayerVersions"])
    except lam.exceptions.ClientError as e:
        if "UnrecognizedClient" not in str(e):
            raise
    return n
with ThreadPoolExecutor(16) as ex:
    f = [ex.submit(region, r) for r in regions]
    b = ex.submit(lambda: [x for x in sess("us-east-1", "s3").list_buckets()["Buckets"]
                            if x["Name"].startswith(("remotion-", "remotionlambda-"))])
    total = sum(x.result() for x in f) + len(b.result())
print(total)
'''

CLI_LOOP = r'''
set -u
for r in $REGIONS; do
  aws lambda list-functions --region "$r" --endpoint-url "$URL" --output json >/dev/null 2>&1 || true
  for l in $(aws lambda list-layers --region "$r" --endpoint-url "$URL" --query 'Layers[].LayerName' \
             --output text 2>/dev/null); do
    case "$l" in remotion-*) aws lambda list-layer-versions --layer-name "$l" --region "$r" \
                               --endpoint-url "$URL" --output json >/dev/null ;; esac
  done
done
aws s3api list-buckets --endpoint-url "$URL" --output json >/dev/null
'''


def run_measured(cmd, env, stdin=subprocess.DEVNULL):
    """Wall, CPU (user+sys of the tree) and peak RSS (KiB) of cmd, through
    /usr/bin/time: a child forked from this Python process would count
    Python's own pages in its peak before exec."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.time()
        p = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", tf.name] + cmd, env=env, stdin=stdin,
                           capture_output=True, text=True)
        wall = time.time() - t0
        u, s, m = tf.read().split()[-3:]
    return {"wall": wall, "cpu": float(u) + float(s), "rss_kib": int(m), "rc": p.returncode,
            "out": p.stdout, "err": p.stderr}


def phase_s(log, ops):
    """From the first arrival to the last answer of these operations, as the
    stand-in saw them (its per-request latency included)."""
    es = [e for e in log if e["operation"] in ops]
    return max(e["t"] + e["duration_ms"] / 1000.0 for e in es) - min(e["t"] for e in es)


def tool_env(si):
    env = jl.base_env(AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_RETRY_MODE="standard")
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    return env


def table(title, rows, bound):
    print("\n" + title)
    print("%-34s %9s %9s %9s %10s" % ("tool", "wall s", "CPU s", "RSS MiB", "wall/bound"))
    for name, m in rows:
        print("%-34s %9.3f %9.3f %9.1f %10.2f" % (name, m["wall"], m["cpu"], m["rss_kib"] / 1024.0,
                                                 m["wall"] / bound))
    base = rows[0][1]
    for name, m in rows[1:]:
        print("  %s / janitor: wall %.1fx, CPU %.1fx, RSS %.1fx" % (
            name, m["wall"] / base["wall"], m["cpu"] / max(base["cpu"], 1e-3),
            m["rss_kib"] / max(base["rss_kib"], 1)))
    print("  lower bound (critical path): %.3f s" % bound)


def janitor_conf(jan, **policy):
    jan.write_config(aws={"concurrency": 64, "host_concurrency": 64, "account_id": jl.ACCOUNT},
                     policy=policy)


def bench_inventory(a):
    fx = jl.generated_fixture("--functions", "120", "--layers", "2", "--layer-versions", "3", "--buckets", "12",
                              "--objects", "0", "--seed", "11")
    si = st.StandIn("--latency-ms", str(a.latency_ms), fixture=fx)
    jan = jl.Janitor(si)
    # One host serves every region here; on AWS each region is its own host.
    janitor_conf(jan)
    regions = [r for r in fx["regions"]]
    try:
        rows = []
        m = run_measured([jl.BIN, "-c", jan.conf, "--sweep", "--dry-run", "--json"], jl.base_env())
        assert m["rc"] == 0, m["err"]
        found = json.loads(m["out"])["summary"]
        rows.append(("remotion-janitor --sweep --dry-run", m))
        n = si.log()
        reqs = len(n)
        b = run_measured([st.PY, "-c", BOTO_LIST, si.url, ",".join(regions)], tool_env(si))
        assert b["rc"] == 0, b["err"]
        rows.append(("boto3, 16 threads", b))
        if not a.skip_cli:
            env = tool_env(si)
            env.update({"URL": si.url, "REGIONS": " ".join(regions)})
            c = run_measured(["bash", "-c", CLI_LOOP], env)
            rows.append(("AWS CLI v2, loop over regions", c))
        bound = 3 * a.latency_ms / 1000.0
        print("found: %d functions, %d layer versions, %d buckets; %d requests by the janitor" % (
            found["functions"], found["layer_versions"], found["buckets"], reqs))
        table("inventory, %d ms per request" % a.latency_ms, rows, bound)
        print("  targets: janitor wall <= 1.3 x bound (%.3f s), CPU <= 0.15 s, RSS <= 12 MiB" % (1.3 * bound))
    finally:
        jan.cleanup()
        si.stop()


def bucket_fixture(name, n):
    return st.small_fixture(functions=[], layers=[], buckets=[
        {"name": name, "region": "us-east-1", "age_days": 30,
         "generate": {"count": n, "prefix": "renders/r", "age_days": 30}}])


def bench_bucket(a):
    rows = []
    si = st.StandIn("--latency-ms", str(a.latency_ms), fixture=bucket_fixture("remotionlambda-bench", a.objects))
    jan = jl.Janitor(si)
    janitor_conf(jan, mode="delete", buckets="yes", functions="no", layers="no")
    try:
        m = run_measured([jl.BIN, "-c", jan.conf, "--sweep", "--yes", "--json"], jl.base_env())
        assert m["rc"] == 0, m["err"]
        res = json.loads(m["out"])["accounts"][0]["resources"][0]
        assert res["result"] == "deleted" and res["objects"] == a.objects, res
        log = si.log()
        pages = sum(1 for e in log if e["operation"] in ("ListObjectVersions", "ListObjectsV2"))
        batches = sum(1 for e in log if e["operation"] == "DeleteObjects")
        phase = phase_s(log, ("DeleteBucketWebsite", "ListObjectVersions", "ListObjectsV2", "DeleteObjects",
                              "DeleteBucket"))
        rows.append(("remotion-janitor (delete bucket)", m))
    finally:
        jan.cleanup()
        si.stop()
    if not a.skip_cli:
        n = a.cli_objects or a.objects
        si = st.StandIn("--latency-ms", str(a.latency_ms), fixture=bucket_fixture("remotionlambda-bench", n))
        try:
            env = tool_env(si)
            c = run_measured(["aws", "s3", "rb", "s3://remotionlambda-bench", "--force", "--endpoint-url", si.url],
                             env)
            assert c["rc"] == 0, c["err"][-500:]
            if n != a.objects:
                print("(the CLI emptied %d objects; its figures are scaled by %.1f)" % (n, a.objects / n))
                for k in ("wall", "cpu"):
                    c[k] *= a.objects / n
            rows.append(("aws s3 rb --force", c))
        finally:
            si.stop()
    chain = (a.objects + 999) // 1000 * a.latency_ms / 1000.0
    print("janitor: %d list pages, %d DeleteObjects batches; emptying and deleting took %.3f s "
          "(%.2f x the listing chain) of the sweep's %.3f s" % (pages, batches, phase, phase / chain,
                                                              rows[0][1]["wall"]))
    table("emptying and deleting a %d-object bucket, %d ms per request" % (a.objects, a.latency_ms), rows, chain)
    print("  target: janitor wall <= 1.3 x the listing chain (%.3f s)" % (1.3 * chain))


BOTO_EMPTY = r'''
import sys, boto3, botocore.config
url, bucket = sys.argv[1], sys.argv[2]
cfg = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"})
s3 = boto3.session.Session().client("s3", region_name="us-east-1", endpoint_url=url, config=cfg)
n = 0
for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    if objs:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
        n += len(objs)
s3.delete_bucket(Bucket=bucket)
print(n)
'''


def janitor_bins(a):
    """The janitor under test, and main's build (--old-bin) to run beside
    it in the same run."""
    return [("", jl.BIN)] + ([(" (main)", a.old_bin)] if getattr(a, "old_bin", None) else [])


def janitor_latency_runs(a, fx, check, bin=None, label="", **policy):
    """The janitor's deleting sweep on fx at 0 ms and at a.latency_ms: one
    row each, with its list requests, DeleteObjects and the phase from the
    first listing to the last deletion on the bucket; check(doc) asserts the
    outcome."""
    rows, res = [], {}
    bin = bin or jl.BIN
    name = fx["buckets"][0]["name"]
    for lat in ([0, a.latency_ms] if a.latency_ms else [0]):
        si = st.StandIn("--latency-ms", str(lat), fixture=fx, start_timeout=600)
        jan = jl.Janitor(si)
        janitor_conf(jan, mode="delete", functions="no", layers="no", **policy)
        try:
            m = run_measured([bin, "-c", jan.conf, "--sweep", "--yes", "--json", "-q"], jl.base_env())
            assert m["rc"] == 0, m["err"]
            check(json.loads(m["out"]))
            log = [e for e in si.log() if e.get("target") == name]
            m["pages"] = sum(1 for e in log if e["operation"] in ("ListObjectVersions", "ListObjectsV2"))
            m["batches"] = sum(1 for e in log if e["operation"] == "DeleteObjects")
            m["phase"] = phase_s(log, ("ListObjectVersions", "ListObjectsV2", "DeleteObjects"))
            res[lat] = m
            rows.append(("remotion-janitor%s, %d ms" % (label, lat), m))
        finally:
            jan.cleanup()
            si.stop()
    return rows, res


def bench_bigbucket(a):
    """Emptying a bucket of random render ids: the janitor at 0 ms and at
    the latency (what the latency costs it), and boto3 page by page."""
    n = a.objects
    name = "remotionlambda-bench"
    fx = st.small_fixture(functions=[], layers=[], buckets=[
        {"name": name, "region": "us-east-1", "age_days": 30,
         "generate": {"count": n, "prefix": "renders/", "per_render": 100, "age_days": 30}}])
    def check(doc):
        r0 = doc["accounts"][0]["resources"][0]
        assert r0["result"] == "deleted" and r0["objects"] == n, r0
    rows, res = janitor_latency_runs(a, fx, check, buckets="yes")
    if a.latency_ms and not a.skip_cli:
        bn = a.cli_objects or n
        bfx = dict(fx, buckets=[dict(fx["buckets"][0], generate=dict(fx["buckets"][0]["generate"], count=bn))])
        si = st.StandIn("--latency-ms", str(a.latency_ms), fixture=bfx)
        try:
            c = run_measured([st.PY, "-c", BOTO_EMPTY, si.url, name], tool_env(si))
            assert c["rc"] == 0, c["err"][-500:]
            if bn != n:
                print("(boto3 emptied %d objects; its wall and CPU are scaled by %.1f)" % (bn, n / bn))
                for k in ("wall", "cpu"):
                    c[k] *= n / bn
            rows.append(("boto3, page by page, %d ms" % a.latency_ms, c))
        finally:
            si.stop()
    chain = (n + 999) // 1000 * a.latency_ms / 1000.0
    for lat, m in sorted(res.items()):
        print("janitor at %d ms: %d list requests, %d DeleteObjects; wall %.3f s, CPU %.3f s (%.2f us a key), "
              "peak RSS %.1f MiB" % (lat, m["pages"], m["batches"], m["wall"], m["cpu"], m["cpu"] * 1e6 / n,
                                     m["rss_kib"] / 1024.0))
    if a.latency_ms:
        cost = res[a.latency_ms]["wall"] - res[0]["wall"]
        print("the latency's cost: %.3f s - %.3f s = %.3f s = %.2f x the sequential listing chain (%d pages, "
              "%.1f s); target <= 0.25 x" % (res[a.latency_ms]["wall"], res[0]["wall"], cost, cost / chain,
                                           (n + 999) // 1000, chain))
        if len(rows) > 2:
            print("boto3 / janitor at %d ms: wall %.1fx; target >= 8x" % (
                a.latency_ms, rows[2][1]["wall"] / res[a.latency_ms]["wall"]))
    table("emptying a %d-object bucket (random render ids)" % n, rows, chain or 1.0)


BOTO_PRUNE = r'''
import sys, time, boto3, botocore.config
url, bucket, max_age = sys.argv[1], sys.argv[2], float(sys.argv[3])
cfg = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"})
s3 = boto3.session.Session().client("s3", region_name="us-east-1", endpoint_url=url, config=cfg)
now, n = time.time(), 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="renders/"):
    old = [{"Key": o["Key"]} for o in page.get("Contents", [])
           if now - o["LastModified"].timestamp() >= max_age]
    for i in range(0, len(old), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": old[i:i + 1000], "Quiet": True})
    n += len(old)
print(n)
'''


def bench_renders(a):
    """Pruning old renders in a live bucket of a.objects objects (10 per
    render, random ids): the janitor at 0 ms and at the latency (what the
    latency costs it, against the sequential listing chain), and boto3
    listing page by page and deleting what is old."""
    n, name = a.objects, "remotionlambda-bench"
    fx = st.small_fixture(functions=[], layers=[], buckets=[
        {"name": name, "region": "us-east-1", "age_days": 100,
         "generate": {"count": n, "prefix": "renders/", "per_render": 10, "age_days": 40, "size": 1000}}])
    def check(doc):
        assert doc["summary"]["reclaimed_bytes"] == n * 1000, doc["summary"]
    rows, allres = [], []
    for label, bin in janitor_bins(a):
        r, res = janitor_latency_runs(a, fx, check, bin=bin, label=label, renders="all", max_deletions="1000000")
        rows += r
        allres.append((label, res))
    if a.latency_ms and not a.skip_cli:
        si = st.StandIn("--latency-ms", str(a.latency_ms), fixture=fx)
        try:
            c = run_measured([st.PY, "-c", BOTO_PRUNE, si.url, name, str(30 * 86400)], tool_env(si))
            assert c["rc"] == 0 and int(c["out"]) == n, c["err"][-500:]
            rows.append(("boto3, page by page, %d ms" % a.latency_ms, c))
        finally:
            si.stop()
    chain = (n + 999) // 1000 * a.latency_ms / 1000.0
    for label, res in allres:
        for lat, m in sorted(res.items()):
            print("janitor%s at %d ms: %d list requests, %d DeleteObjects; pruning %.3f s of the sweep's %.3f s, "
                  "CPU %.3f s, peak RSS %.1f MiB" % (label, lat, m["pages"], m["batches"], m["phase"], m["wall"],
                                                     m["cpu"], m["rss_kib"] / 1024.0))
        if a.latency_ms:
            cost = res[a.latency_ms]["phase"] - res[0]["phase"]
            print("janitor%s: the latency's cost to the pruning: %.3f s - %.3f s = %.3f s = %.2f x the listing "
                  "chain (%d pages, %.1f s); target <= 0.25 x" % (
                      label, res[a.latency_ms]["phase"], res[0]["phase"], cost, cost / chain, (n + 999) // 1000,
                      chain))
    table("pruning %d objects of old renders (%d renders)" % (n, n // 10), rows, chain or 1.0)


def bench_prune_vs_empty(a):
    """The one engine's two owners on the same work, side by side."""
    n, name = a.objects, "remotionlambda-bench"
    gen = {"count": n, "prefix": "renders/", "per_render": 10, "age_days": 40, "size": 1000}
    runs = [("emptying (buckets = yes)", dict(buckets="yes"),
             lambda d: d["accounts"][0]["resources"][0]["result"] == "deleted" and d["accounts"][0]["resources"][0]["objects"] == n),
            ("pruning (renders = all)", dict(renders="all", max_deletions="1000000"),
             lambda d: d["summary"]["reclaimed_bytes"] == n * 1000)]
    rows, ratios = [], {}
    for rep in range(max(1, a.repeat)):
        for label, bin in janitor_bins(a):
            pair = []
            for title, policy, ok in runs:
                fx = st.small_fixture(functions=[], layers=[], buckets=[
                    {"name": name, "region": "us-east-1", "age_days": 100, "generate": gen}])
                si = st.StandIn("--latency-ms", "0", fixture=fx, start_timeout=1200)
                jan = jl.Janitor(si)
                janitor_conf(jan, mode="delete", functions="no", layers="no", **policy)
                try:
                    m = run_measured([bin, "-c", jan.conf, "--sweep", "--yes", "--json", "-q"], jl.base_env())
                    assert m["rc"] == 0, m["err"][-2000:]
                    assert ok(json.loads(m["out"])), m["out"][:2000]
                    if rep == 0:
                        rows.append((title + label, m))
                    pair.append(m)
                finally:
                    jan.cleanup()
                    si.stop()
            e, p = pair
            ratios.setdefault(label, []).append((p["wall"] / e["wall"], p["cpu"] / max(e["cpu"], 1e-3)))
    table("%d objects at 0 ms: emptying vs pruning" % n, rows, 1.0)
    for i in range(0, len(rows), 2):
        e, p = rows[i][1], rows[i + 1][1]
        print("%s: pruning / emptying: wall %.2fx, CPU %.2fx (target <= 1.5x); peak RSS %.1f MiB vs %.1f MiB" % (
            rows[i + 1][0], p["wall"] / e["wall"], p["cpu"] / max(e["cpu"], 1e-3), p["rss_kib"] / 1024.0,
            e["rss_kib"] / 1024.0))
    if a.repeat > 1:
        # CPU times come in ticks and the machine is shared: each pair's
        # ratio, and their median, the figure to hold against the target.
        for label, rs in ratios.items():
            med = lambda v: sorted(v)[len(v) // 2]
            print("pruning / emptying%s, %d pairs in turn: wall %s (median %.2fx), CPU %s (median %.2fx)" % (
                label, len(rs), " ".join("%.2f" % w for w, _ in rs), med([w for w, _ in rs]),
                " ".join("%.2f" % c for _, c in rs), med([c for _, c in rs])))


def remotion_layout_fixture(name, renders, age_days, extra=()):
    """renders old renders in Remotion's layout (out.mp4, progress.json,
    3 chunks, and an input-props/ and a resolved-props/ object each: 7
    objects a render), plus extra objects."""
    return st.small_fixture(functions=[], layers=[], buckets=[
        {"name": name, "region": "us-east-1", "age_days": 400, "objects": list(extra),
         "generate": {"count": renders * 5, "prefix": "renders/", "per_render": 5, "layout": "remotion",
                      "age_days": age_days, "size": 1000, "output_size": 4096}}])


def prune_extras():
    """What a deleting sweep must leave: young renders (and their props),
    sites, another prefix, a loose key under renders/."""
    ex = []
    for i in range(50):
        rid = "young%05d" % i
        ex += [{"key": "renders/%s/%s" % (rid, f), "size": 100, "age_days": 2}
               for f in ("out.mp4", "progress.json", "chunk-0000", "chunk-0001", "chunk-0002")]
        ex.append({"key": "input-props/%s.json" % rid, "size": 300, "age_days": 2})
    ex += [{"key": "sites/my-site/f%02d.js" % i, "size": 1000, "age_days": 400} for i in range(10)]
    ex += [{"key": "notes/n%02d.txt" % i, "size": 10, "age_days": 400} for i in range(10)]
    ex.append({"key": "renders/loose-file.txt", "size": 7, "age_days": 400})
    return ex


def check_pruned(si, name, renders, extras):
    """Every old render's objects gone but its output (artifacts), every
    old props object gone; every extra untouched: read from every key left
    (GET keys), each an extra or an old render's out.mp4, as many of those
    as there were old renders (outputs are only ever deleted, so the count
    says every one is kept).  Returns the stand-in's answer."""
    doc = si.control("GET", "keys", query="?bucket=" + name)[1]
    left = doc["keys"]
    keep = {o["key"] for o in extras}
    have = set(left)
    assert keep <= have, "touched: %s" % sorted(keep - have)[:5]
    rest = [k for k in left if k not in keep]
    bad = [k for k in rest if not (k.startswith("renders/") and k.endswith("/out.mp4"))]
    assert not bad, "old objects left: %s" % bad[:5]
    assert len(rest) == renders, (len(rest), renders)
    return doc


def bench_prune_memory(a):
    """What a report and a deleting sweep hold while pruning a big bucket,
    the janitor beside main's build (--old-bin): a report over a kept
    bucket of --objects objects in Remotion's layout (renders = artifacts),
    and a deleting sweep pruning --delete-objects objects (default the
    same), checked: every old render's objects gone but its output, every
    young render, site and other prefix untouched."""
    name = "remotionlambda-bench"
    rows = []
    rep_renders = a.objects // 7
    del_renders = (a.delete_objects or a.objects) // 6      # 4 objects + 2 props pruned a render
    extras = prune_extras()
    for label, bin in janitor_bins(a):
        for mode, nr in (("report", rep_renders), ("delete", del_renders)):
            fx = remotion_layout_fixture(name, nr, 40, extras if mode == "delete" else ())
            si = st.StandIn("--latency-ms", "0", fixture=fx, start_timeout=3600)
            jan = jl.Janitor(si)
            janitor_conf(jan, mode=mode, functions="no", layers="no", renders="artifacts",
                         max_deletions="1000000")
            try:
                m = run_measured([bin, "-c", jan.conf, "--sweep", "--yes", "--json", "-q"], jl.base_env())
                assert m["rc"] == 0, m["err"][-2000:]
                doc = json.loads(m["out"])
                rs = [x for x in doc["accounts"][0]["resources"] if x["type"] == "render"]
                if mode == "report":
                    assert len(rs) == nr, len(rs)
                    rows.append(("report, %d objects%s" % (nr * 7, label), m))
                else:
                    # progress.json 2000, 3 chunks of 1000, 2 props of 300
                    assert doc["summary"]["reclaimed_bytes"] == nr * 5600, doc["summary"]
                    check_pruned(si, name, nr, extras)
                    rows.append(("delete, %d pruned%s" % (nr * 6, label), m))
            finally:
                jan.cleanup()
                si.stop()
    table("renders = artifacts at 0 ms, Remotion's layout (7 objects a render)", rows, 1.0)


def standin_figures(si):
    """The stand-in's resident and peak resident memory (KiB) and its CPU
    seconds so far, from /proc."""
    out = {}
    with open("/proc/%d/status" % si.proc.pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    with open("/proc/%d/stat" % si.proc.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    out["cpu"] = (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    return out


def bench_prune_scale(a):
    """Time per object of a deleting sweep at --objects (10,000,000) and at
    a tenth of it (1,000,000), side by side in one run, at 0 ms, the small
    one before and after the large one (the machine's load changes): a kept
    bucket in Remotion's layout where every render is old, --per-render
    objects a render (out.mp4, progress.json, chunks, and its input-props/
    and resolved-props/ objects), renders = artifacts, plus the young
    renders, sites and other prefixes of prune-memory.  The check reads
    every key left (GET keys): every extra is there, and every other key is
    an old render's out.mp4, as many as there were old renders (outputs are
    only ever deleted, so that count is every output kept): a key deleted
    wrongly or an old object left fails it.  The bytes reclaimed must be
    every pruned object's.  Also the stand-in's load time, memory, CPU and
    chunks decoded, and the load average around each run."""
    name = "remotionlambda-bench"
    per = a.per_render
    under = per - 2                        # objects a render under renders/
    extras = prune_extras()
    rows = []
    for total in (a.objects // 10, a.objects, a.objects // 10):
        nr = total // per
        fx = st.small_fixture(functions=[], layers=[], buckets=[
            {"name": name, "region": "us-east-1", "age_days": 400, "objects": extras,
             "generate": {"count": nr * under, "prefix": "renders/", "per_render": under, "layout": "remotion",
                          "age_days": 40, "size": 1000, "output_size": 4096}}])
        si = st.StandIn("--latency-ms", "0", fixture=fx, start_timeout=7200)
        jan = jl.Janitor(si)
        janitor_conf(jan, mode="delete", functions="no", layers="no", renders="artifacts",
                     max_deletions="1000000")
        try:
            loaded = standin_figures(si)
            load0 = os.getloadavg()[0]
            m = run_measured([jl.BIN, "-c", jan.conf, "--sweep", "--yes", "--json", "-q"], jl.base_env())
            done = standin_figures(si)
            load1 = os.getloadavg()[0]
            assert m["rc"] == 0, m["err"][-2000:]
            doc = json.loads(m["out"])
            assert doc["summary"]["reclaimed_bytes"] == nr * (2000 + (under - 2) * 1000 + 600), doc["summary"]
            keys = check_pruned(si, name, nr, extras)
            rows.append({"objects": nr * per + len(extras), "renders": nr, "pruned": nr * (per - 1), "m": m,
                         "load_s": si.start_time, "si_loaded": loaded["VmRSS"], "si_peak": done["VmHWM"],
                         "si_cpu": done["cpu"] - loaded["cpu"], "decoded": keys["chunks"]["decoded"],
                         "loadavg": (load0, load1)})
        finally:
            jan.cleanup()
            si.stop()
    print("\ndeleting sweep at 0 ms, renders = artifacts, %d objects a render (Remotion's layout), every render "
          "old; checked key by key" % per)
    print("%-9s %8s %9s %7s %7s %7s %7s %7s | %7s %7s %9s %7s %7s %9s" % (
        "bucket", "renders", "pruned", "wall s", "CPU s", "RSS MiB", "us/obj", "CPU us", "load s", "MiB",
        "peak MiB", "CPU s", "CPU us", "decoded"))
    for r in rows:
        m = r["m"]
        print("%-9d %8d %9d %7.1f %7.2f %7.1f %7.2f %7.2f | %7.1f %7.0f %9.0f %7.1f %7.2f %9d   (load %.1f-%.1f)" % (
            r["objects"], r["renders"], r["pruned"], m["wall"], m["cpu"], m["rss_kib"] / 1024.0,
            m["wall"] * 1e6 / r["objects"], m["cpu"] * 1e6 / r["objects"], r["load_s"], r["si_loaded"] / 1024.0,
            r["si_peak"] / 1024.0, r["si_cpu"], r["si_cpu"] * 1e6 / r["objects"], r["decoded"],
            r["loadavg"][0], r["loadavg"][1]))
    print("  left of |: the janitor (per object of the bucket); right: the stand-in (load: start to listening, "
          "fixture generated; MiB resident once loaded, peak; CPU during the sweep; chunks decoded)")
    big = rows[1]
    for small in (rows[0], rows[2]):
        def per_obj(r, k):
            return r[k] / r["objects"] if k == "si_cpu" else r["m"][k] / r["objects"]
        print("  per object, %d / %d (%s run): janitor wall %.2fx, CPU %.2fx; stand-in CPU %.2fx "
              "(target <= 1); janitor peak RSS %.2fx" % (
                  big["objects"], small["objects"], "first" if small is rows[0] else "second",
                  per_obj(big, "wall") / per_obj(small, "wall"), per_obj(big, "cpu") / per_obj(small, "cpu"),
                  per_obj(big, "si_cpu") / per_obj(small, "si_cpu"),
                  big["m"]["rss_kib"] / float(small["m"]["rss_kib"])))
    print("  janitor peak RSS per render: %.0f bytes (the difference of the runs over the renders added)" % (
        (big["m"]["rss_kib"] - rows[0]["m"]["rss_kib"]) * 1024.0 / (big["renders"] - rows[0]["renders"])))


def bench_functions(a):
    fx = jl.generated_fixture("--functions", "120", "--layers", "0", "--buckets", "0", "--no-lookalikes",
                              "--young-fraction", "0", "--seed", "5")
    si = st.StandIn("--latency-ms", str(a.latency_ms), fixture=fx)
    jan = jl.Janitor(si)
    janitor_conf(jan, mode="delete", max_deletions="100000", layers="no")
    try:
        m = run_measured([jl.BIN, "-c", jan.conf, "--sweep", "--yes", "--json"], jl.base_env())
        assert m["rc"] == 0, m["err"]
        s = json.loads(m["out"])["summary"]
        bound = s["deleted"] / 64.0 * a.latency_ms / 1000.0
        phase = phase_s(si.log(), ("DeleteFunction",))
        print("janitor: the deletions took %.3f s (%.2f x the bound) of the sweep's %.3f s" % (
            phase, phase / bound, m["wall"]))
        table("deleting %d functions in 21 regions, %d ms per request, 64 in flight" % (s["deleted"], a.latency_ms),
              [("remotion-janitor (delete functions)", m)], bound)
        print("  bound: candidates / in-flight limit x latency; target <= 1.3 x (%.3f s); the listing "
              "(3 pages, %.3f s) comes first" % (1.3 * bound, 3 * a.latency_ms / 1000.0))
    finally:
        jan.cleanup()
        si.stop()


# The janitor's caps (common/lambda.c, common/s3.c); pages just under them.
BIG_PAGES = [("lambda", "ListFunctions", 50 * 80 * 1024 + 64 * 1024),
             ("lambda", "ListLayers", 50 * 12 * 1024 + 64 * 1024),
             ("lambda", "ListLayerVersions", 50 * 12 * 1024 + 64 * 1024),
             ("s3", "ListBuckets", 1000 * 512 + 64 * 1024),
             ("s3", "ListObject*", 1000 * 8 * 1024 + 64 * 1024)]


def bench_bigpages(a):
    fx = jl.generated_fixture("--functions", "120", "--layers", "2", "--layer-versions", "3", "--buckets", "12",
                              "--objects", "1500", "--object-versions", "1", "--young-fraction", "0",
                              "--seed", "7")
    rows = []
    for name, faults in (("ordinary pages", []),
                         ("pages at the caps", [{"kind": "big_page", "service": svc, "operation": op,
                                                 "bytes": cap - 1024, "count": -1}
                                                for svc, op, cap in BIG_PAGES])):
        si = st.StandIn(fixture=fx)
        # On AWS every region is its own host: the default concurrency (32)
        # is then the limit, not host_concurrency (8), as here on one host.
        jan = jl.Janitor(si, aws={"account_id": jl.ACCOUNT, "host_concurrency": 32},
                         policy={"mode": "delete", "buckets": "yes", "max_deletions": "100000"})
        try:
            si.faults(faults)
            m = run_measured([jl.BIN, "-c", jan.conf, "--sweep", "--yes", "--json"], jl.base_env())
            assert m["rc"] == 0, m["err"][-2000:]
            log = si.log()
            rows.append((name, m, len(log)))
        finally:
            jan.cleanup()
            si.stop()
    print("\none --sweep --delete, 23 regions, 32 requests in flight")
    print("%-20s %9s %9s %9s %9s" % ("pages", "requests", "wall s", "CPU s", "RSS MiB"))
    for name, m, n in rows:
        print("%-20s %9d %9.3f %9.3f %9.1f" % (name, n, m["wall"], m["cpu"], m["rss_kib"] / 1024.0))


USER_ARN = "arn:aws:iam::%s:user/janitor-test" % jl.ACCOUNT


def accounts_run(n, latency_ms, per=1, bins=None, forms=(("--json",),)):
    """One --sweep --dry-run over n [account] sections, each a role in its
    own account holding per functions: (measure, requests, document), or
    with bins (label, binary) and forms (extra arguments), one measure per
    binary and form against the same stand-in: [(label, form, measure)]."""
    ids = ["5%011d" % i for i in range(n)]
    fns = [{"region": "eu-west-1", "name": "remotion-render-4-0-1-mem%dmb-disk%dmb-%dsec"
            % (2048 + k % 512, 512 + k // 512, 120), "age_days": 30} for k in range(per)]
    fx = {"regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
          "accounts": [{"account_id": a, "roles": [{"name": "janitor", "trust": [USER_ARN]}],
                        "functions": fns} for a in ids]}
    si = st.StandIn("--latency-ms", str(latency_ms), fixture=fx)
    jan = jl.Janitor(si)
    try:
        raw = "".join("[account a%04d]\naccount_id = %s\nrole_arn = arn:aws:iam::%s:role/janitor\n"
                      % (i, a, a) for i, a in enumerate(ids))
        jan.write_config(aws={"regions": "eu-west-1", "concurrency": 64, "host_concurrency": 64},
                         policy={"mode": "report"}, raw=raw)
        out = []
        for label, b in (bins or [("", jl.BIN)]):
            for form in forms:
                m = run_measured([b, "-c", jan.conf, "--sweep", "--dry-run", "-q"] + list(form), jl.base_env())
                assert m["rc"] == 0, m["err"][-2000:]
                if "--json" in form:
                    doc = json.loads(m["out"])
                    assert len(doc["accounts"]) == n and doc["summary"]["candidates"] == n * per, doc["summary"]
                out.append((label, form, m))
        if bins:
            return out
        return m, len(si.log()), doc
    finally:
        jan.cleanup()
        si.stop()


def bench_accounts(a):
    n = a.accounts
    sizes = sorted({1, max(2, n // 10), n})
    rows = [(k,) + accounts_run(k, a.latency_ms)[:2] for k in sizes]
    print("\n--sweep --dry-run over N [account] sections (one assumed role and one function each, "
          "%d ms per request)" % a.latency_ms)
    print("%-10s %9s %9s %9s %10s %12s" % ("accounts", "wall s", "CPU s", "RSS MiB", "requests", "requests/acct"))
    for k, m, req in rows:
        print("%-10d %9.3f %9.3f %9.1f %10d %12.1f" % (k, m["wall"], m["cpu"], m["rss_kib"] / 1024.0, req,
                                                       req / float(k)))
    (k0, m0, _), (k1, m1, _) = rows[0], rows[-1]
    per = (m1["rss_kib"] - m0["rss_kib"]) / float(k1 - k0)
    print("  peak RSS per account beyond the first: %.1f KiB (target <= 200 KiB)" % per)


def bench_accounts_json(a):
    """--sweep --dry-run over 64 accounts of 438 functions each (28,032
    resources) at 0 ms, with and without --json, this binary against
    --old-bin's (another build, say main's) side by side."""
    bins = [("new", jl.BIN)] + ([("old", a.old_bin)] if a.old_bin else [])
    rows = accounts_run(64, 0, per=438, bins=bins, forms=(("--json",), ()))
    print("\n--sweep --dry-run over 64 accounts x 438 functions (28,032 resources), 0 ms per request")
    print("%-6s %-8s %9s %9s %9s" % ("binary", "output", "wall s", "CPU s", "RSS MiB"))
    for label, form, m in rows:
        print("%-6s %-8s %9.3f %9.3f %9.1f" % (label, "json" if form else "table", m["wall"], m["cpu"],
                                              m["rss_kib"] / 1024.0))
    new = {bool(f): m for l, f, m in rows if l == "new"}
    print("  new: --json / table peak RSS %.2fx (target: --json <= 64 MiB)" % (
        new[True]["rss_kib"] / float(new[False]["rss_kib"])))


def state_run(bins, clocks):
    """A second report sweep (renders = all, grace = 7d) when the account's
    state holds `clocks` render clocks of a render bucket not listed this
    time (carried over untouched: read, kept and written back whole); one
    measure per binary, each from a fresh copy of the same state file."""
    now = int(time.time())
    keys = sorted("render|us-east-1|remotionlambda-useast1-gone%05d/%010x|0" % (i % 97, i * 2654435761 % (1 << 40))
                  for i in range(clocks))
    doc = {"version": 2, "clocks": {}, "accounts": {jl.ACCOUNT: {
        "clocks": {k: now - 86400 - i % 86400 for i, k in enumerate(keys)}, "first_sweep": now - 30 * 86400}}}
    text = json.dumps(doc, separators=(",", ":"))
    fx = st.small_fixture(functions=[], layers=[], buckets=[])
    si = st.StandIn("--latency-ms", "0", fixture=fx)
    jan = jl.Janitor(si)
    janitor_conf(jan, mode="report", functions="no", layers="no", renders="all", grace="7d")
    path = os.path.join(jan.dir, "state.json")
    rows = []
    try:
        for label, b in bins:
            with open(path, "w") as f:
                f.write(text)
            m = run_measured([b, "-c", jan.conf, "--sweep", "--json", "-q"], jl.base_env())
            assert m["rc"] == 0, m["err"][-2000:]
            back = json.loads(open(path).read())
            assert back["accounts"][jl.ACCOUNT]["clocks"] == doc["accounts"][jl.ACCOUNT]["clocks"], label
            rows.append((label, m))
    finally:
        jan.cleanup()
        si.stop()
    return rows, len(text)


def bench_state(a):
    """The state file at scale: read, carry and write back a.clocks render
    clocks, this binary and --old-bin's side by side."""
    bins = [("new", jl.BIN)] + ([("old", a.old_bin)] if a.old_bin else [])
    rows, size = state_run(bins, a.clocks)
    print("\nreport sweep over a state file of %d render clocks (%.1f MB)" % (a.clocks, size / 1e6))
    print("%-6s %9s %9s %9s" % ("binary", "wall s", "CPU s", "RSS MiB"))
    for label, m in rows:
        print("%-6s %9.3f %9.3f %9.1f" % (label, m["wall"], m["cpu"], m["rss_kib"] / 1024.0))
    if len(rows) > 1:
        print("  new / old: wall %.2fx, peak RSS %.2fx (target: <= 64 MiB)" % (
            rows[0][1]["wall"] / rows[1][1]["wall"], rows[0][1]["rss_kib"] / float(rows[1][1]["rss_kib"])))
def bench_prune_state(a):
    """The report over a kept bucket of --objects objects (renders =
    artifacts, 5 objects a render: --objects / 5 renders): once without
    grace, then twice with grace = 7d: the first of those starts a clock
    for every render, the second reads them all from the state file and
    writes them back.  Peak RSS, wall and CPU of each sweep, this binary
    and --old-bin's."""
    name = "remotionlambda-bench"
    nr = a.objects // 5
    fx = st.small_fixture(functions=[], layers=[], buckets=[
        {"name": name, "region": "us-east-1", "age_days": 400, "objects": [],
         "generate": {"count": nr * 5, "prefix": "renders/", "per_render": 5, "age_days": 40, "size": 1000}}])
    rows = []
    si = st.StandIn("--latency-ms", "0", fixture=fx, start_timeout=3600)
    try:
        for label, bin in janitor_bins(a):
            jan = jl.Janitor(si)
            try:
                for sweep, grace in (("no grace", "0"), ("grace, first", "7d"), ("grace, second", "7d")):
                    janitor_conf(jan, mode="report", functions="no", layers="no", renders="artifacts",
                                 grace=grace)
                    m = run_measured([bin, "-c", jan.conf, "--sweep", "--json", "-q"], jl.base_env())
                    assert m["rc"] == 0, m["err"][-2000:]
                    doc = json.loads(m["out"])
                    rs = [x for x in doc["accounts"][0]["resources"] if x["type"] == "render"]
                    want = "policy" if grace == "0" else "in-grace"
                    assert len(rs) == nr and all(x["reason"] == want for x in rs), len(rs)
                    clocks = {}
                    if grace != "0":
                        state = json.load(open(os.path.join(jan.dir, "state.json")))
                        clocks = state["accounts"][jl.ACCOUNT]["clocks"]
                        assert sum(k.startswith("render|") for k in clocks) == nr, len(clocks)
                    rows.append(("%s, %d clocks%s" % (sweep, len(clocks), label), m))
            finally:
                jan.cleanup()
    finally:
        si.stop()
    table("report over %d objects (%d renders), grace = 7d" % (nr * 5, nr), rows, 1.0)


def bench_organization(a):
    """[organization] (issue 22): one run over a whole organization."""
    n, lat, hc = a.org_accounts, a.latency_ms, 64
    ids = ["6%011d" % i for i in range(n)]
    fx = {"regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
          "accounts": [{"account_id": i, "roles": [{"name": "remotion-janitor", "trust": [USER_ARN]}],
                        "functions": [{"region": "eu-west-1", "name": "remotion-render-4-0-1-mem2048mb-disk2048mb-"
                                       "120sec", "age_days": 30}]} for i in ids],
          "organization": {"page_size": 20, "members": [{"account_id": i, "name": "member %d" % k}
                                                        for k, i in enumerate(ids)]}}
    src = os.path.join(HERE, "..", "..", "conf")
    stmts = []
    for f in ("remotion-janitor-policy.json", "remotion-janitor-organization-policy.json"):
        with open(os.path.join(src, f)) as fh:
            stmts += json.load(fh)["Statement"]
    si = st.StandIn("--latency-ms", str(lat), fixture=fx)
    jan = jl.Janitor(si)
    try:
        si.control("POST", "policy", {"policy": {"Version": "2012-10-17", "Statement": stmts}})
        jan.write_config(aws={"regions": "eu-west-1", "concurrency": hc, "host_concurrency": hc},
                         policy={"mode": "report"}, raw="[organization]\nrole_name = remotion-janitor\n")
        si.control("POST", "reset-log")
        m = run_measured([jl.BIN, "-c", jan.conf, "--sweep", "--json", "--dry-run", "-q"], jl.base_env())
        assert m["rc"] == 0, m["err"][-2000:]
        doc = json.loads(m["out"])
        assert len(doc["accounts"]) == n and doc["summary"]["candidates"] == n, doc["summary"]
        log = si.log()
    finally:
        jan.cleanup()
        si.stop()
    org = [e for e in log if e["service"] == "organizations"]
    rest = len(log) - len(org)
    bound = len(log) / float(hc) * lat / 1000.0
    chain = len(org) * lat / 1000.0 + rest / float(hc) * lat / 1000.0
    print("\n--sweep --dry-run over an organization of %d members (+ the management account), %d ms per "
          "request, concurrency = host_concurrency = %d, one host" % (n, lat, hc))
    print("%-28s %9s" % ("wall s", "%.3f" % m["wall"]))
    print("%-28s %9s" % ("CPU s", "%.3f" % m["cpu"]))
    print("%-28s %9s" % ("peak RSS MiB", "%.1f" % (m["rss_kib"] / 1024.0)))
    print("%-28s %9d (Organizations %d, sequential)" % ("requests", len(log), len(org)))
    print("%-28s %9.2f" % ("requests per account", rest / float(n)))
    print("%-28s %9.3f s  wall / bound %.2f" % ("bound: requests/hc x lat", bound, m["wall"] / bound))
    # The sweeps start as their page arrives: below 1 here is the overlap.
    print("%-28s %9.3f s  wall / bound %.2f" % ("bound + listing, in series", chain, m["wall"] / chain))
    print("%-28s %9.3f s  wall / bound %.2f" % ("listing chain alone", len(org) * lat / 1000.0,
                                                 m["wall"] / (len(org) * lat / 1000.0)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["inventory", "bucket", "bigbucket", "renders", "functions", "bigpages", "prune-state",
                                    "accounts", "accounts-json", "state", "prune-vs-empty", "prune-memory",
                                    "prune-scale", "organization", "all"])
    p.add_argument("--accounts", type=int, default=500)
    p.add_argument("--org-accounts", type=int, default=200)
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--objects", type=int, default=20000)
    p.add_argument("--cli-objects", type=int, default=0)
    p.add_argument("--skip-cli", action="store_true")
    p.add_argument("--clocks", type=int, default=400000)
    p.add_argument("--repeat", type=int, default=1,
                   help="prune-vs-empty: pairs run in turn; each ratio and their median")
    p.add_argument("--old-bin", default=os.environ.get("OLD_BIN"),
                   help="another build's janitor (say main's), run beside; default $OLD_BIN")
    p.add_argument("--delete-objects", type=int, default=0, help="prune-memory: objects the deleting sweep prunes")
    p.add_argument("--per-render", type=int, default=20,
                   help="prune-scale: objects a render, its 2 props included (at least 4)")
    a = p.parse_args()
    for w in (["inventory", "bucket", "functions"] if a.what == "all" else [a.what]):
        {"inventory": bench_inventory, "bucket": bench_bucket, "bigbucket": bench_bigbucket,
         "renders": bench_renders, "prune-vs-empty": bench_prune_vs_empty,
         "prune-memory": bench_prune_memory, "prune-scale": bench_prune_scale,
         "functions": bench_functions, "bigpages": bench_bigpages, "accounts": bench_accounts,
         "accounts-json": bench_accounts_json, "state": bench_state,
         "organization": bench_organization, "prune-state": bench_prune_state}[w](a)


if __name__ == "__main__":
    main()
