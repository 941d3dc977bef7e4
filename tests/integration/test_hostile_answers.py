"""Hostile answers (issue 10): the real binary in delete mode, with session
credentials (so that there is a token to leak), against a stand-in that
answers like a compromised endpoint: regions shaped like host names,
redirects to foreign regions, signature errors that echo the signed request
with the session token, and pages as large as the janitor's caps admit.

For every case: the expected exit code and region/kind status, no request
signed for a region outside the configured ones, no session token,
signature, access key id or terminal escape in stdout, stderr, the JSON
report or the audit log, and nothing deleted of a kind whose listing was
incomplete."""
import re
import unittest

import janlib as jl
from janlib import st

REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]
POLICY = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}
# The stand-in's session tokens all start so (state.py issue_temp).
TOKEN_PREFIX = "FwoGZXIvYXdzE"
# The janitor's caps (common/lambda.c, common/s3.c), for pages just under.
LAMBDA_FUNCTIONS_MAX_BODY = 50 * 80 * 1024 + 64 * 1024
S3_LIST_MAX_BODY = 1000 * 8 * 1024 + 64 * 1024
HOSTILE_REGIONS = ["evil.example#", "us-east-1.attacker.example", "../x"]
EU_BUCKET = "remotionlambda-euwest1-0123456789"


def F(kind, **kw):
    d = {"kind": kind}
    d.update(kw)
    return d


def session_env(si):
    """Container credentials: temporary keys with a session token."""
    return jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                       AWS_CONTAINER_CREDENTIALS_FULL_URI=si.url + "/__creds/container")


class Hostile(unittest.TestCase):
    def sweep(self, faults, fixture=None):
        si = st.StandIn(fixture=fixture or st.small_fixture())
        jan = jl.Janitor(si, aws={"regions": ", ".join(REGIONS), "account_id": jl.ACCOUNT}, policy=POLICY)
        try:
            si.faults(faults)
            r = jan.sweep("--yes", env=session_env(si))
            log = si.log()
            with open(jan.conf.replace("janitor.conf", "audit.jsonl"), "a+") as f:
                f.seek(0)
                audit = f.read()
            self.check_clean(si, r, log, audit)
            return r, log, audit, si.state()
        finally:
            jan.cleanup()
            si.stop()

    def check_clean(self, si, r, log, audit):
        self.assertGreaterEqual(r.rc, 0, "killed by a signal")
        temp = [t["access_key"] for t in si.state().get("temporary_credentials", [])]
        self.assertTrue(temp, "the janitor did not run with session credentials")
        # (assertFalse, not assertNotIn: a failure must not print the secret)
        for where, text in (("stdout", r.out), ("stderr", r.err), ("audit", audit)):
            self.assertFalse(TOKEN_PREFIX in text, "session token in " + where)
            for ak in temp:
                self.assertFalse(ak in text, "access key id in " + where)
            self.assertFalse(re.search(r"[0-9a-f]{64}", text) is not None, "a signature or hash in " + where)
            self.assertFalse("\x1b" in text, "a terminal escape in " + where)
            self.assertFalse("\x07" in text, "a control character in " + where)
        # Every request was signed for a configured region (IAM and the
        # credential endpoint have none); none left the scope.
        for e in log:
            if e["service"] in ("s3", "lambda", "sts") and e.get("region"):
                self.assertIn(e["region"], REGIONS, e)
        bad = [e for e in jl.modifying(log) if not jl.in_scope_target(e)]
        self.assertEqual(bad, [])

    def regions(self, r):
        return {x["region"]: x for x in r.json["accounts"][0]["regions"]}

    def assert_no_bucket_deleted(self, log, bucket=None):
        """With bucket: nothing of it deleted (its website configuration
        goes alongside the first listing, by design); without: no S3
        request that modifies anything."""
        mods = [e for e in jl.modifying(log) if e["service"] == "s3" and
                (bucket is None or (e["target"] == bucket and e["operation"] != "DeleteBucketWebsite"))]
        self.assertEqual(mods, [], "deleted from an incomplete listing")

    # ------------------------------------------------------------ regions
    def test_bucket_region_shaped_like_a_host(self):
        for value in HOSTILE_REGIONS:
            with self.subTest(value=value):
                r, log, audit, state = self.sweep([F("bad_region", value=value, service="s3",
                                                     operation="ListBuckets", target=EU_BUCKET, count=-1)])
                self.assertEqual(r.rc, 1, r.err[-2000:])
                us = self.regions(r)["us-east-1"]
                self.assertEqual(us["status"], "incomplete")
                self.assertIn("refusing region '%s': not an AWS region" % value, us["error"])
                self.assertIn(EU_BUCKET, us["error"])
                self.assert_no_bucket_deleted(log)
                # Nothing was sent for the bucket, anywhere.
                self.assertEqual([e for e in log if e.get("target") == EU_BUCKET], [])
                # Functions and layers were not affected.
                self.assertTrue(any(e["operation"] == "DeleteFunction" for e in jl.modifying(log)))

    def test_location_constraint_shaped_like_a_host(self):
        r, log, audit, state = self.sweep([
            F("no_bucket_region", service="s3", operation="ListBuckets", count=-1),
            F("bad_region", value="us-east-1.attacker.example", service="s3",
              operation="GetBucketLocation", target=EU_BUCKET, count=-1)])
        self.assertEqual(r.rc, 1, r.err[-2000:])
        us = self.regions(r)["us-east-1"]
        self.assertEqual(us["status"], "incomplete")
        self.assertIn("GetBucketLocation: bucket %s: refusing region 'us-east-1.attacker.example'" % EU_BUCKET,
                      us["error"])
        self.assert_no_bucket_deleted(log)

    def test_redirect_to_a_foreign_region(self):
        cases = [("us-east-1.attacker.example", 301, "not an AWS region"),
                 ("evil.example#", 400, "not an AWS region"),
                 ("ap-east-1", 301, "not one of the configured regions")]
        for region, status, why in cases:
            with self.subTest(region=region, status=status):
                r, log, audit, state = self.sweep([F("foreign_redirect", bucket_region=region, status=status,
                                                     service="s3", operation="ListObject*",
                                                     target=EU_BUCKET, count=-1)])
                self.assertEqual(r.rc, 1, r.err[-2000:])
                b = r.items(type="bucket", name=EU_BUCKET)[0]
                self.assertEqual(b["result"], "failed")
                self.assertIn("refused to follow the answer to region '%s': %s" % (region, why), b["error"])
                self.assertIn(EU_BUCKET, [x["name"] for x in state["buckets"]])
                # Asked once (no retry of a refused answer), nothing deleted in it.
                lists = [e for e in log if e.get("target") == EU_BUCKET and e["operation"].startswith("ListObject")]
                self.assertEqual(len(lists), 1)
                self.assert_no_bucket_deleted(log, EU_BUCKET)
                self.assertIn('"result":"failed"', audit.replace(" ", ""))

    # ------------------------------------------------------------ server text
    def test_errors_that_echo_the_signed_request(self):
        cases = [
            (F("echo_request", service="s3", operation="ListBuckets", count=-1), "us-east-1",
             "SignatureDoesNotMatch"),
            (F("echo_request", service="lambda", operation="ListFunctions", region="eu-west-1", count=-1),
             "eu-west-1", "InvalidSignatureException"),
            (F("echo_request", service="lambda", operation="ListLayers", region="eu-central-1", status=500,
               count=-1), "eu-central-1", "InvalidSignatureException"),
        ]
        for fault, region, code in cases:
            with self.subTest(operation=fault["operation"]):
                r, log, audit, state = self.sweep([fault])
                self.assertEqual(r.rc, 1, r.err[-2000:])
                reg = self.regions(r)[region]
                self.assertEqual(reg["status"], "incomplete")
                self.assertIn(code, reg["error"])
                # The message is there, readable, with the secrets cut out.
                self.assertIn("does not match the signature you provided", reg["error"])
                self.assertIn("[REDACTED]", reg["error"])
                if fault["service"] == "s3":
                    self.assert_no_bucket_deleted(log)
                else:
                    op = "DeleteFunction" if fault["operation"] == "ListFunctions" else "DeleteLayerVersion"
                    self.assertEqual([e for e in jl.modifying(log) if e["operation"] == op and
                                      e["region"] == region], [])

    def test_identity_error_echoing_the_request(self):
        r, log, audit, state = self.sweep([F("echo_request", service="sts", count=-1)])
        self.assertEqual(r.rc, 3, r.err[-2000:])
        self.assertIn("SignatureDoesNotMatch", r.err)
        self.assertIn("[REDACTED]", r.err)
        self.assertEqual(jl.modifying(log), [])

    def test_deletion_error_echoing_the_request(self):
        r, log, audit, state = self.sweep([F("echo_request", service="s3", operation="DeleteObjects",
                                             target=EU_BUCKET, count=-1)])
        self.assertEqual(r.rc, 1, r.err[-2000:])
        b = r.items(type="bucket", name=EU_BUCKET)[0]
        self.assertEqual(b["result"], "failed")
        self.assertIn("SignatureDoesNotMatch", audit)

    # ------------------------------------------------------------ big pages
    def test_pages_as_large_as_the_caps_admit(self):
        r, log, audit, state = self.sweep([
            F("big_page", bytes=LAMBDA_FUNCTIONS_MAX_BODY - 1024, service="lambda",
              operation="ListFunctions", region="eu-west-1", count=-1),
            F("big_page", bytes=S3_LIST_MAX_BODY - 1024, service="s3", operation="ListObject*",
              target=EU_BUCKET, count=-1)])
        self.assertEqual(r.rc, 0, r.err[-2000:])
        self.assertEqual(len(r.items(type="function", region="eu-west-1")), 120)
        self.assertEqual(r.items(type="bucket", name=EU_BUCKET)[0]["result"], "deleted")

    def test_pages_over_the_caps(self):
        r, log, audit, state = self.sweep([
            F("big_page", bytes=LAMBDA_FUNCTIONS_MAX_BODY + 1, service="lambda",
              operation="ListFunctions", region="eu-west-1", count=-1),
            F("big_page", bytes=S3_LIST_MAX_BODY + 1, service="s3", operation="ListObject*",
              target=EU_BUCKET, count=-1)])
        self.assertEqual(r.rc, 1, r.err[-2000:])
        eu = self.regions(r)["eu-west-1"]
        self.assertEqual(eu["status"], "incomplete")
        self.assertIn("ListFunctions", eu["error"])
        self.assertIn("larger than the cap", eu["error"])
        self.assertEqual([e for e in jl.modifying(log) if e["operation"] == "DeleteFunction" and
                          e["region"] == "eu-west-1"], [])
        self.assertEqual(r.items(type="bucket", name=EU_BUCKET)[0]["result"], "failed")
        self.assert_no_bucket_deleted(log, EU_BUCKET)


if __name__ == "__main__":
    unittest.main(verbosity=2)
