"""[policy] keep_tag through the real binary (issue 23): a function or
bucket carrying the tag is kept ("tagged"), one whose tags cannot be read is
kept ("tags-unknown") and never deleted, in delete mode; tags are read only
when keep_tag is set and only for candidates; a kept function's log group
is kept with it."""
import unittest

import janlib as jl
from janlib import st

R = "eu-west-1"
ACCT = {"regions": R, "account_id": jl.ACCOUNT}
FN_TAGGED = "remotion-render-4-0-1-mem3008mb-disk2048mb-120sec"
FN_OTHER = "remotion-render-4-0-1-mem1024mb-disk2048mb-120sec"    # keep=no
FN_PLAIN = "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec"
FN_YOUNG = "remotion-render-4-0-1-mem512mb-disk2048mb-120sec"     # not a candidate
BK_TAGGED = "remotionlambda-euwest1-tagged0001"
BK_PLAIN = "remotionlambda-euwest1-plain00001"
POLICY = {"keep_tag": "keep=yes", "buckets": "yes", "log_groups": "yes", "max_deletions": "100"}


def fixture():
    return {"account_id": jl.ACCOUNT, "regions": [R], "disabled_regions": [],
            "functions": [{"region": R, "name": FN_TAGGED, "age_days": 30, "tags": {"keep": "yes", "team": "v"}},
                          {"region": R, "name": FN_OTHER, "age_days": 30, "tags": {"keep": "no"}},
                          {"region": R, "name": FN_PLAIN, "age_days": 30},
                          {"region": R, "name": FN_YOUNG, "age_days": 1, "tags": {"keep": "yes"}}],
            "buckets": [{"name": BK_TAGGED, "region": R, "age_days": 30, "tags": {"keep": "yes"}},
                        {"name": BK_PLAIN, "region": R, "age_days": 30}],
            "log_groups": [{"region": R, "name": "/aws/lambda/" + FN_TAGGED, "age_days": 30,
                            "stored_bytes": 10}]}


class KeepTags(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture=fixture())
        self.addCleanup(lambda: self.si.stop())
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=POLICY)
        self.addCleanup(self.jan.cleanup)

    def functions_left(self):
        return {f["name"] for f in self.si.state()["functions"]}

    def buckets_left(self):
        return {b["name"] for b in self.si.state()["buckets"]}

    def decisions(self, r):
        return {i["name"]: (i["decision"], i["reason"], i["result"]) for i in r.json["accounts"][0]["resources"]}

    def test_tagged_kept_in_delete_mode(self):
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 0, r.err)
        d = self.decisions(r)
        self.assertEqual(d[FN_TAGGED], ("keep", "tagged", None))
        self.assertEqual(d[BK_TAGGED], ("keep", "tagged", None))
        self.assertEqual(d["/aws/lambda/" + FN_TAGGED], ("keep", "tagged", None))   # with its function
        self.assertEqual(d[FN_OTHER], ("delete", "policy", "deleted"))       # the value differs
        self.assertEqual(d[FN_PLAIN], ("delete", "policy", "deleted"))
        self.assertEqual(d[BK_PLAIN], ("delete", "policy", "deleted"))       # NoSuchTagSet: untagged
        self.assertEqual(d[FN_YOUNG][:2], ("keep", "too-young"))
        self.assertEqual(self.functions_left(), {FN_TAGGED, FN_YOUNG})
        self.assertEqual(self.buckets_left(), {BK_TAGGED})
        self.assertIn((R, "/aws/lambda/" + FN_TAGGED), {(g["region"], g["name"])
                                                        for g in self.si.state()["log_groups"]})
        # Tags read for the candidates only: one request each.
        log = self.si.log()
        self.assertEqual(len([e for e in log if e["operation"] == "ListTags"]), 3)
        self.assertEqual(len([e for e in log if e["operation"] == "GetBucketTagging"]), 2)

    def test_key_alone(self):
        self.jan.write_config(aws=ACCT, policy=dict(POLICY, keep_tag="keep"))
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        d = self.decisions(r)
        self.assertEqual(d[FN_OTHER][:2], ("keep", "tagged"))   # any value
        self.assertEqual(d[FN_PLAIN][:2], ("delete", "policy"))

    def test_no_keep_tag_reads_no_tags(self):
        self.jan.write_config(aws=ACCT, policy={"buckets": "yes", "max_deletions": "100"})
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.decisions(r)[FN_TAGGED][:2], ("delete", "policy"))
        self.assertFalse([e for e in self.si.log() if e["operation"] in ("ListTags", "GetBucketTagging")])

    def test_tags_unknown_never_deleted(self):
        for op, kept in (("ListTags", {FN_TAGGED, FN_OTHER, FN_PLAIN}), ("GetBucketTagging", {BK_TAGGED, BK_PLAIN})):
            with self.subTest(op=op):
                self.si.control("POST", "fixture", fixture())
                self.si.faults([{"kind": "deny", "operation": op, "count": None}])
                r = self.jan.sweep("--yes", "--delete")
                self.assertEqual(r.rc, 0, r.err)
                d = self.decisions(r)
                for n in kept:
                    self.assertEqual(d[n], ("keep", "tags-unknown", None), n)
                self.assertTrue(kept <= self.functions_left() | self.buckets_left())
                err = [i["error"] for i in r.json["accounts"][0]["resources"] if i["name"] in kept]
                self.assertTrue(all(e and op in e for e in err), err)
                self.assertIn("tags-unknown", r.err)
        self.si.faults([])

    def test_bad_keep_tag_is_a_config_error(self):
        self.jan.write_config(aws=ACCT, policy={"keep_tag": "=yes"})
        r = self.jan.run("--check-config")
        self.assertNotEqual(r.rc, 0)
        self.assertIn("keep_tag: the tag key must be 1 to 128 bytes", r.err)


if __name__ == "__main__":
    unittest.main()
