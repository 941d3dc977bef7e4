"""Big buckets listed in parallel (issue 15), through the real binary and
the stand-in: random key sets (Remotion's layout, long shared prefixes,
keys above 0x7F, keys that are prefixes of others, many versions) are
emptied with every entry deleted exactly once; the listing really runs
in several chains at once; a kill in the middle of a parallel emptying is
finished by the next sweep."""
import os
import random
import signal
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

REGIONS = "eu-west-1, us-east-1, eu-central-1"
ACCT = {"regions": REGIONS, "account_id": jl.ACCOUNT, "concurrency": "32", "host_concurrency": "16"}
DELETE_ALL = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}
BUCKET = "remotionlambda-euwest1-parallel01"
ID = "0123456789abcdefghijklmnopqrstuvwxyz"


def random_keys(rng, n, shape):
    keys = set()
    while len(keys) < n:
        s = shape if shape >= 0 else rng.randrange(5)
        if s == 0:
            k = "renders/%s/chunk-%04d" % ("".join(rng.choice(ID) for _ in range(10)), rng.randrange(60))
        elif s == 1:
            k = "a" * 60 + "/" + str(rng.randrange(10 ** 6))
        elif s == 2:
            k = "".join(rng.choice("\u00e9\u00fc\u65e5\u672c\U0001f600ab/") for _ in range(rng.randint(1, 8)))
        elif s == 3:
            k = "p" + "".join(rng.choice("p/") for _ in range(rng.randrange(12)))
        else:
            k = rng.choice(["sites", "input-props", "default-props"]) + "/%d.json" % rng.randrange(10 ** 6)
        keys.add(k)
    return sorted(keys)


def fixture(keys, versions):
    return st.small_fixture(functions=[], layers=[], buckets=[
        {"name": BUCKET, "region": "eu-west-1", "age_days": 20,
         "versioning": "Enabled" if versions > 1 else None,
         "objects": [{"key": k, "versions": versions if i % 5 == 0 else 1} for i, k in enumerate(keys)]}])


def max_overlap(entries):
    """Most requests of these that were in flight at once."""
    ev = []
    for e in entries:
        t0 = e["t"]
        ev += [(t0, 1), (t0 + e["duration_ms"] / 1000.0, -1)]
    cur = best = 0
    for _, d in sorted(ev, key=lambda x: (x[0], x[1])):
        cur += d
        best = max(best, cur)
    return best


class Parallel(unittest.TestCase):
    def empty(self, keys, versions, latency_ms=0):
        si = st.StandIn(fixture=fixture(keys, versions))
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        try:
            total = sum(versions if i % 5 == 0 else 1 for i in range(len(keys)))
            if latency_ms:
                si.control("POST", "latency", {"rules": [{"service": "s3", "ms": latency_ms}]})
            r = jan.sweep("--yes")
            self.assertEqual(r.rc, 0, r.err)
            b = r.items(type="bucket", name=BUCKET)[0]
            self.assertEqual(b["result"], "deleted", b)
            self.assertEqual(b["objects"], total)
            self.assertNotIn(BUCKET, {x["name"] for x in si.state()["buckets"]})
            log = [e for e in si.log() if e.get("target") == BUCKET]
            # Every entry deleted exactly once: the bucket is gone, so every
            # entry was deleted; the counts add up to the total, so none twice.
            dels = sum(e.get("count", 0) - len(e.get("key_errors") or []) for e in log
                       if e["operation"] == "DeleteObjects")
            dels += sum(1 for e in log if e["operation"] == "DeleteObject" and e["status"] == 204)
            self.assertEqual(dels, total)
            # And nothing missed: one pass, the first DeleteBucket found the
            # bucket empty (a gap would have meant BucketNotEmpty and a relist).
            self.assertEqual([e["status"] for e in log if e["operation"] == "DeleteBucket"], [204])
            lists = [e for e in log if e["operation"] in ("ListObjectVersions", "ListObjectsV2")]
            self.assertTrue(all(e["status"] == 200 for e in lists), [e for e in lists if e["status"] != 200][:3])
            return lists, total
        finally:
            jan.cleanup()
            si.stop()

    def test_random_key_sets_each_entry_once(self):
        for seed, (n, shape, versions) in enumerate([(5000, 0, 1), (3000, -1, 1), (2500, 1, 3),
                                                      (2500, 2, 1), (1500, 3, 4), (4000, -1, 6)]):
            with self.subTest(seed=seed, shape=shape, versions=versions):
                keys = random_keys(random.Random(seed), n, shape)
                lists, total = self.empty(keys, versions)
                # More than a page or two: the listing went into several chains.
                if total > 3000:
                    self.assertGreater(len(lists), total // 1000, "fewer list requests than pages?")

    def test_listing_runs_in_parallel(self):
        keys = random_keys(random.Random(99), 12000, 0)
        lists, total = self.empty(keys, 1, latency_ms=30)
        par = max_overlap(lists)
        print("12,000 keys: %d list requests, at most %d at once" % (len(lists), par))
        self.assertGreaterEqual(par, 4)

    def test_small_bucket_is_one_chain(self):
        keys = random_keys(random.Random(3), 1500, 0)
        lists, total = self.empty(keys, 1, latency_ms=20)
        self.assertEqual(len(lists), 2)
        self.assertEqual(max_overlap(lists), 1)

    def test_slowdown_backs_off_and_still_deletes_each_entry_once(self):
        keys = random_keys(random.Random(21), 9000, 0)
        si = st.StandIn(fixture=fixture(keys, 1))
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        try:
            si.faults([{"kind": "throttle", "service": "s3", "operation": "DeleteObjects", "count": 4},
                       {"kind": "throttle", "service": "s3", "operation": "ListObjectVersions", "after": 3,
                        "count": 3}])
            r = jan.sweep("--yes", "-v")
            self.assertEqual(r.rc, 0, r.err)
            self.assertEqual(r.items(type="bucket", name=BUCKET)[0]["result"], "deleted")
            self.assertRegex(r.err, r"throttled: at most \d+ DeleteObjects at once")
            self.assertRegex(r.err, r"throttled: at most \d+ listing requests at once")
            log = [e for e in si.log() if e.get("target") == BUCKET]
            self.assertEqual(sum(1 for e in log if e["status"] == 503), 7)
            dels = sum(e.get("count", 0) for e in log if e["operation"] == "DeleteObjects" and e["status"] == 200)
            self.assertEqual(dels, len(keys))
        finally:
            jan.cleanup()
            si.stop()

    def test_kill_mid_parallel_emptying_then_finish(self):
        keys = random_keys(random.Random(11), 20000, 0)
        si = st.StandIn(fixture=fixture(keys, 1))
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        try:
            # Slow pages: the kill lands while several chains are listing.
            si.control("POST", "latency", {"rules": [{"service": "s3", "operation": "ListObjectVersions",
                                                     "ms": 400}]})
            p = subprocess.Popen([jl.BIN, "-c", jan.conf, "--sweep", "--yes", "--json"], env=jl.base_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            while time.time() - t0 < 60:
                if sum(1 for e in si.log() if e["operation"] == "DeleteObjects" and e["status"] == 200) >= 2:
                    break
                time.sleep(0.02)
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            self.assertIn(BUCKET, {x["name"] for x in si.state()["buckets"]})
            si.control("POST", "latency", {})
            r = jan.sweep("--yes")
            self.assertEqual(r.rc, 0, r.err)
            self.assertNotIn(BUCKET, {x["name"] for x in si.state()["buckets"]})
            self.assertEqual(jan.audit()[-1]["result"], "deleted")
        finally:
            jan.cleanup()
            si.stop()


if __name__ == "__main__":
    unittest.main()
