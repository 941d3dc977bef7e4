"""The one bulk S3 engine (issue 21), through the real binary: emptying a
bucket and pruning renders follow one pacing rule.  A DeleteObjects batch
that runs past request_timeout (radosgw answers a 1,000-key batch only when
all of it is done) slows the batches sent at once as SlowDown does, and so
do per-key SlowDown errors, in pruning as in emptying; the work still ends
with every object deleted."""
import re
import unittest

import janlib as jl
from janlib import st

EMPTY = "remotionlambda-euwest1-bulkempty1"
LIVE = "remotionlambda-euwest1-bulkprune1"
ACCT = {"regions": "eu-west-1", "account_id": jl.ACCOUNT,
        "concurrency": 32, "host_concurrency": 32}
# The line said when the batches at once are halved (before the engine,
# emptying said "throttled: at most N DeleteObjects at once" too).
SLOWED = re.compile(r"throttled.*: at most \d+ DeleteObjects at once")


def slowed(err):
    return [line for line in err.splitlines() if SLOWED.search(line)]


def objects_left(si, bucket):
    for b in si.state(objects=True)["buckets"]:
        if b["name"] == bucket:
            return [o["key"] for o in b.get("objects", [])]
    return None


class Base(unittest.TestCase):
    bucket = {}
    policy = {}

    def setUp(self):
        self.si = st.StandIn(fixture=st.small_fixture(functions=[], layers=[], buckets=[self.bucket]))
        self.jan = jl.Janitor(self.si, aws=dict(ACCT, **self.aws), policy=dict(self.policy, functions="no",
                                                                             layers="no"))

    aws = {}

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def deletes(self):
        return [e for e in self.si.log() if e["operation"] == "DeleteObjects"]


class Emptying(Base):
    bucket = {"name": EMPTY, "region": "eu-west-1", "age_days": 30,
              "generate": {"count": 6000, "prefix": "renders/r", "age_days": 30}}
    policy = {"mode": "delete", "buckets": "yes", "max_deletions": "100"}
    # One attempt a request, one second: a batch stalled for two seconds
    # times out and is not retried by the request layer; its keys go again
    # in a later batch, and the pacing slows.
    aws = {"max_attempts": "1", "request_timeout": "1s"}

    def test_batch_timing_out_slows_the_pacing(self):
        self.si.faults([{"kind": "stall", "seconds": 2.0, "service": "s3", "operation": "DeleteObjects",
                         "count": 1}])
        r = self.jan.sweep("--yes", "-v")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["accounts"][0]["resources"][0]["result"], "deleted", r.json["accounts"][0]["resources"][0])
        self.assertIsNone(objects_left(self.si, EMPTY))
        self.assertTrue(slowed(r.err), "no slow-down said: %s" % r.err[-600:])


class Pruning(Base):
    bucket = {"name": LIVE, "region": "eu-west-1", "age_days": 100,
              "generate": {"count": 6000, "prefix": "renders/", "per_render": 10, "age_days": 40,
                           "size": 100}}
    policy = {"mode": "delete", "renders": "all", "max_deletions": "10000"}

    def test_slowdown_keys_slow_pruning(self):
        # Before the engine, pruning grew to 16 batches whatever the keys
        # answered; now a batch whose keys say SlowDown halves them.
        self.si.faults([{"kind": "key_errors", "n": 50, "code": "SlowDown", "service": "s3",
                         "operation": "DeleteObjects", "count": 2}])
        r = self.jan.sweep("--yes", "-v")
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(slowed(r.err), "no slow-down said: %s" % r.err[-600:])
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 6000 * 100, r.json["summary"])
        left = objects_left(self.si, LIVE)
        self.assertIsNotNone(left)
        self.assertEqual([k for k in left if k.startswith("renders/")], [])

    def test_batch_timing_out_slows_pruning(self):
        self.jan.write_config(aws=dict(ACCT, max_attempts="1", request_timeout="1s"),
                              policy=dict(self.policy, functions="no", layers="no"))
        self.si.faults([{"kind": "stall", "seconds": 2.0, "service": "s3", "operation": "DeleteObjects",
                         "count": 1}])
        r = self.jan.sweep("--yes", "-v")
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(slowed(r.err), "no slow-down said: %s" % r.err[-600:])
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 6000 * 100, r.json["summary"])


if __name__ == "__main__":
    unittest.main()
