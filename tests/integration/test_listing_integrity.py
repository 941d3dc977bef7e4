"""S3 listings are checked, not believed (issue 19, findings 6 and 7),
through the real binary and the stand-in made hostile: keys holding
control bytes or CR are asked url-encoded and deleted as the exact keys; an
answer that gives keys raw with a CR or control byte is malformed; a page
without <IsTruncated>, an entry listed twice with two dates, version-id
markers going round, endless empty pages and a listing past its deadline
never lead to a deletion, and end the listing at once with a clear error."""
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

BUCKET = "remotionlambda-euwest1-listing01"
ACCT = {"regions": "eu-west-1", "account_id": jl.ACCOUNT}
PRUNE = {"mode": "delete", "renders": "all", "render_max_age": "30d", "max_deletions": "5000"}
EMPTY = {"mode": "delete", "buckets": "yes", "max_deletions": "5000"}
# Keys XML 1.0 cannot carry (ESC, 0x01), and CR/LF twins: on the wire only
# url-encoded; deleted as themselves, never as each other.
ODD = ["renders/oddkeys01/esc\x1b[2J", "renders/oddkeys01/one\x01", "renders/oddkeys01/cr\rlf",
       "renders/oddkeys01/lf\nlf"]


def render(rid, age, n=3):
    return [{"key": "renders/%s/chunk-%04d" % (rid, i), "size": 1000, "age_days": age} for i in range(n)]


def fixture(objects, versioning=None, age=300):
    return {"account_id": jl.ACCOUNT, "regions": ["eu-west-1"], "disabled_regions": [],
            "buckets": [{"name": BUCKET, "region": "eu-west-1", "age_days": age, "versioning": versioning,
                         "objects": objects}]}


def keys_left(si):
    for b in si.state(objects=True)["buckets"]:
        if b["name"] == BUCKET:
            return {o["key"] if isinstance(o, dict) else o for o in b["objects"]}
    return None


class Base(unittest.TestCase):
    objects = None
    policy = PRUNE
    bucket_age = 300

    def setUp(self):
        self.si = st.StandIn(fixture=fixture(self.objects or [], age=self.bucket_age))
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=self.policy)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def sweep(self, timeout=25, **env):
        """A sweep that must end by itself well within timeout seconds."""
        try:
            return self.jan.sweep("--yes", timeout=timeout, env=jl.base_env(**env) if env else None)
        except subprocess.TimeoutExpired:
            self.fail("the sweep did not end within %d s (a listing going round?)" % timeout)

    def deletions(self):
        return [e for e in self.si.log() if e["operation"] in ("DeleteObjects", "DeleteObject", "DeleteBucket")]

    def lists(self):
        return [e for e in self.si.log() if e["operation"] in ("ListObjectVersions", "ListObjectsV2")]


class Keys(Base):
    """Finding 6: keys as keys."""
    objects = [{"key": k, "size": 10, "age_days": 400} for k in ODD] + \
        [{"key": "renders/plain0001/out.mp4", "size": 10, "age_days": 400}]
    policy = EMPTY

    def test_control_and_cr_keys_are_emptied_exactly(self):
        r = self.sweep()
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name=BUCKET)[0]
        self.assertEqual(b["result"], "deleted", b)
        self.assertIsNone(keys_left(self.si))
        # Every listing asked for url encoding.
        self.assertTrue(self.lists())
        deleted = [e for e in self.si.log() if e["operation"] in ("DeleteObjects", "DeleteObject")]
        # The CR key went as CR (the only DeleteBucket found the bucket empty).
        self.assertEqual([e["status"] for e in self.si.log() if e["operation"] == "DeleteBucket"], [204])
        self.assertTrue(deleted)

    def test_raw_keys_with_control_bytes_are_a_malformed_listing(self):
        self.si.faults([{"kind": "raw_keys", "service": "s3", "count": -1}])
        r = self.sweep()
        self.assertEqual(r.rc, 1, r.err)
        b = r.items(type="bucket", name=BUCKET)[0]
        self.assertNotEqual(b["result"], "deleted", b)
        self.assertIn("malformed", b["error"] or "", b)
        self.assertEqual(self.deletions(), [])
        self.assertEqual(len(keys_left(self.si)), len(self.objects))


class RawCr(Base):
    """A raw CR in an answer that is not url-encoded: XML would read LF, a
    key that does not exist; the listing is malformed, nothing deleted."""
    objects = [{"key": "renders/crkey0001/a\rb", "size": 10, "age_days": 400},
               {"key": "renders/crkey0001/a\nb", "size": 10, "age_days": 1}]

    def test_raw_cr_is_malformed(self):
        self.si.faults([{"kind": "raw_keys", "service": "s3", "count": -1}])
        r = self.sweep()
        self.assertEqual(r.rc, 1, r.err)
        self.assertEqual(self.deletions(), [])
        self.assertEqual(keys_left(self.si), {o["key"] for o in self.objects})
        self.assertEqual(r.items(type="render"), [])

    def test_cr_key_pruned_as_cr(self):
        # The LF twin is young, so its render is young: nothing pruned.  As
        # its own render, the CR key alone is old and goes, as CR.
        self.si.control("POST", "fixture", fixture(
            [{"key": "renders/crkey0001/a\rb", "size": 10, "age_days": 400},
             {"key": "renders/crkey0002/a\nb", "size": 10, "age_days": 400},
             {"key": "renders/crkey0002/a\rb", "size": 10, "age_days": 1}]))
        r = self.sweep()
        self.assertEqual(r.rc, 0, r.err)
        rs = {x["name"]: x for x in r.items(type="render")}
        self.assertEqual(rs["crkey0001"]["result"], "deleted", rs)
        self.assertEqual(rs["crkey0002"]["reason"], "too-young", rs)
        self.assertEqual(keys_left(self.si), {"renders/crkey0002/a\nb", "renders/crkey0002/a\rb"})


class Integrity(Base):
    """Finding 7: listings are checked, not believed."""
    # A render whose old objects fill the first page and whose young one
    # is on the second.
    objects = render("spanpages1", 45, 1000) + \
        [{"key": "renders/spanpages1/zz-progress.json", "size": 10, "age_days": 1}] + \
        render("youngdup01", 3)

    def assertNothingPruned(self, r):
        self.assertEqual(r.rc, 1, r.err)
        self.assertEqual(self.deletions(), [])
        self.assertEqual(len(keys_left(self.si)), len(self.objects))
        self.assertEqual(r.items(type="render"), [])
        self.assertIn("the listing of bucket %s failed: none of its renders is pruned" % BUCKET, r.err)
        return r.err

    def test_honest_listing_keeps_young_renders(self):
        r = self.sweep()
        self.assertEqual(r.rc, 0, r.err)
        rs = {x["name"]: x for x in r.items(type="render")}
        self.assertEqual(rs["spanpages1"]["reason"], "too-young")
        self.assertEqual(rs["youngdup01"]["reason"], "too-young")
        self.assertEqual(self.deletions(), [])

    def test_page_without_is_truncated_is_malformed(self):
        self.si.faults([{"kind": "no_truncated", "service": "s3", "operation": "ListObject*", "count": -1}])
        err = self.assertNothingPruned(self.sweep())
        self.assertIn("malformed ListObjectVersions answer", err)

    def test_duplicate_entry_takes_the_younger_date(self):
        self.si.faults([{"kind": "duplicate_entry", "service": "s3", "operation": "ListObject*",
                         "target": "renders/youngdup01/*", "count": -1, "age_days": 400}])
        r = self.sweep()
        self.assertEqual(r.rc, 0, r.err)
        rs = {x["name"]: x for x in r.items(type="render")}
        self.assertEqual(rs["youngdup01"]["reason"], "too-young", rs["youngdup01"])
        self.assertEqual(self.deletions(), [])

    def test_marker_cycle_stops_at_once(self):
        self.si.faults([{"kind": "marker_cycle", "service": "s3", "operation": "ListObjectVersions",
                         "count": -1}])
        t0 = time.time()
        err = self.assertNothingPruned(self.sweep())
        self.assertLess(time.time() - t0, 15)
        self.assertIn("a version-id marker came back: the markers go round in a cycle", err)
        self.assertLessEqual(len(self.lists()), 3)

    def test_endless_empty_pages_stop(self):
        self.si.faults([{"kind": "empty_pages", "service": "s3", "operation": "ListObjectVersions",
                         "count": -1}])
        err = self.assertNothingPruned(self.sweep())
        self.assertIn("more than 16 empty pages in a row", err)
        self.assertEqual(len(self.lists()), 17)

    def test_listing_deadline(self):
        # Each page takes 400 ms; the listing may last 600 ms.
        self.si.control("POST", "latency", {"rules": [{"service": "s3", "operation": "ListObject*",
                                                       "ms": 400}]})
        err = self.assertNothingPruned(self.sweep(REMOTION_JANITOR_LIST_MAX_MS="600"))
        self.assertIn("the listing ran past its time limit", err)


class EmptyingIntegrity(Base):
    """The same hostile listings against a bucket being emptied: it is
    neither emptied nor deleted, and the sweep ends."""
    objects = render("emptyme001", 400, 5)
    policy = EMPTY

    def check(self, faults, text):
        self.si.faults(faults)
        r = self.sweep()
        self.assertEqual(r.rc, 1, r.err)
        b = r.items(type="bucket", name=BUCKET)[0]
        self.assertNotEqual(b["result"], "deleted", b)
        self.assertIn(text, b["error"], b)
        self.assertEqual(self.deletions(), [])

    def test_marker_cycle(self):
        self.check([{"kind": "marker_cycle", "service": "s3", "operation": "ListObjectVersions", "count": -1}],
                   "cycle")

    def test_endless_empty_pages(self):
        self.check([{"kind": "empty_pages", "service": "s3", "operation": "ListObjectVersions", "count": -1}],
                   "empty pages in a row")

    def test_no_is_truncated(self):
        self.check([{"kind": "no_truncated", "service": "s3", "operation": "ListObject*", "count": -1}],
                   "malformed")


if __name__ == "__main__":
    unittest.main()
