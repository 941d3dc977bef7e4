"""S3-compatible servers, as Ceph's RADOS Gateway answers (issue 21),
through the real binary, with the stand-in's faults playing radosgw:

  - GetBucketLocation / BucketRegion answer the zonegroup's name
    ("default"): refused as not a region, unless [aws] bucket_region says
    where every bucket of the endpoint is;
  - no STS (GetCallerIdentity answers 405 MethodNotAllowed): a report
    still lists, the account unknown, with a warning; a deletion is
    refused unless [aws] endpoint_accounts = no says the endpoint has no
    accounts (and then GetCallerIdentity is not even asked);
  - no Lambda (405): functions = no and layers = no mean no Lambda request
    at all, and a clean exit.
"""
import unittest

import janlib as jl
from janlib import st

BUCKET = "remotionlambda-default-rgwbucket1"
OTHER = "keep-this-bucket"
REGIONS = "us-east-1, eu-west-1"

ZONEGROUP = {"kind": "bad_region", "value": "default", "service": "s3", "count": -1}
NO_STS = {"kind": "error", "service": "sts", "status": 405, "code": "MethodNotAllowed", "count": -1}
NO_LAMBDA = {"kind": "error", "service": "lambda", "status": 405, "code": "MethodNotAllowed", "count": -1}
RADOSGW = [ZONEGROUP, NO_STS, NO_LAMBDA]
NO_KINDS = {"functions": "no", "layers": "no"}


def fixture():
    return st.small_fixture(functions=[], layers=[], buckets=[
        {"name": BUCKET, "region": "us-east-1", "age_days": 30,
         "objects": [{"key": "renders/abc/out.mp4"}, {"key": "a b+c.txt"}]},
        {"name": OTHER, "region": "us-east-1", "objects": [{"key": "x"}]}])


class Base(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture=fixture())
        self.si.faults(RADOSGW)
        self.jan = None

    def only(self, *faults):
        """This test plays only some of radosgw's answers (so that each
        finding is seen alone, also by a janitor without the new keys)."""
        self.si.faults(list(faults))

    def tearDown(self):
        if self.jan:
            self.jan.cleanup()
        self.si.stop()

    def config(self, aws=None, policy=None):
        self.jan = jl.Janitor(self.si, aws=dict({"regions": REGIONS}, **(aws or {})),
                              policy=dict(NO_KINDS, **(policy or {})))

    def ops(self, service=None):
        return [e["operation"] for e in self.si.log() if service is None or e["service"] == service]

    def bucket_left(self):
        return any(b["name"] == BUCKET for b in self.si.state()["buckets"])


class Radosgw(Base):
    def test_zonegroup_location_refused_without_bucket_region(self):
        self.config(aws={"endpoint_accounts": "no"})
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 1, r.err)
        self.assertIn("refusing region 'default'", r.err)

    def test_bucket_region_maps_the_endpoint(self):
        self.config(aws={"endpoint_accounts": "no", "bucket_region": "us-east-1"},
                    policy={"mode": "delete", "buckets": "yes", "max_deletions": "10"})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name=BUCKET)
        self.assertEqual(len(b), 1, r.json["accounts"][0]["resources"])
        self.assertEqual(b[0]["region"], "us-east-1")
        self.assertEqual(b[0]["result"], "deleted", b[0])
        self.assertFalse(self.bucket_left())
        # The foreign bucket is untouched; GetBucketLocation never asked.
        self.assertTrue(any(x["name"] == OTHER for x in self.si.state()["buckets"]))
        self.assertNotIn("GetBucketLocation", self.ops())
        # No account to verify: GetCallerIdentity is not asked either.
        self.assertEqual(self.ops("sts"), [])

    def test_no_sts_report_lists_with_unknown_account(self):
        self.only(NO_STS, NO_LAMBDA)
        self.config(policy={"buckets": "yes"})
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertIsNone(r.json["accounts"][0]["account"])
        self.assertIn("the account is unknown", r.err)
        self.assertIn("endpoint_accounts = no", r.err)
        b = r.items(type="bucket", name=BUCKET)
        self.assertEqual(len(b), 1, r.json["accounts"][0]["resources"])
        self.assertEqual(b[0]["decision"], "delete")

    def test_no_sts_deletion_refused(self):
        self.only(NO_STS, NO_LAMBDA)
        self.config(aws={"account_id": jl.ACCOUNT},
                    policy={"mode": "delete", "buckets": "yes", "max_deletions": "10"})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("the account is unknown", r.err)
        self.assertEqual(jl.modifying(self.si.log()), [])
        self.assertTrue(self.bucket_left())

    def test_kinds_switched_off_are_not_listed(self):
        # Before: every sweep retried the refused Lambda endpoint and
        # exited 1 (incomplete), though functions and layers were off.
        self.only(NO_LAMBDA)
        self.config(aws={"account_id": jl.ACCOUNT})
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.ops("lambda"), [])
        self.assertEqual(r.items(type="function"), [])


if __name__ == "__main__":
    unittest.main()
