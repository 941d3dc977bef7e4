"""CloudWatch log groups through the real binary (issue 23, [policy]
log_groups): orphaned groups deleted, a deleted function's group deleted
after it, the insights group, look-alikes and foreign groups untouched and
never named, storedBytes in the JSON, the table, the status answer and the
metrics; without the logs: permissions the sweep goes on, says which action
is missing, reports the kind "not permitted" and keeps its exit code."""
import json
import os
import unittest

import janlib as jl
from janlib import st

R, R2 = "eu-west-1", "us-east-1"
REGIONS = [R, R2]
ACCT = {"regions": ", ".join(REGIONS), "account_id": jl.ACCOUNT}
FN_OLD = "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec"     # deleted by the policy
FN_YOUNG = "remotion-render-4-0-1-mem3008mb-disk2048mb-120sec"   # kept: too-young
G = "/aws/lambda/"
ORPHAN_OLD = G + "remotion-render-4-0-0-mem2048mb-disk2048mb-120sec"
ORPHAN_YOUNG = G + "remotion-render-4-0-0-mem1024mb-disk2048mb-120sec"
ORPHAN_R2 = G + "remotion-render-abc"
# Never touched, never named: outside the scope or not Lambda's.
UNTOUCHED = ["/aws/lambda-insights", G + "Remotion-x", G + "remotionfan", "/aws/codebuild/remotion-x",
             G + "billing-api"]
BARE = G + "remotion-"              # listed by the prefix, out of scope: counted as ignored


def groups():
    g = [{"region": R, "name": G + FN_OLD, "age_days": 1, "stored_bytes": 500},
         {"region": R, "name": G + FN_YOUNG, "age_days": 30, "stored_bytes": 600},
         {"region": R, "name": ORPHAN_OLD, "age_days": 30, "stored_bytes": 1000},
         {"region": R, "name": ORPHAN_YOUNG, "age_days": 1, "stored_bytes": 2000},
         {"region": R, "name": BARE, "age_days": 30, "stored_bytes": 3},
         {"region": R2, "name": ORPHAN_R2, "age_days": 30, "stored_bytes": 123456789}]
    g += [{"region": R, "name": n, "age_days": 30, "stored_bytes": 7} for n in UNTOUCHED]
    # Enough orphans for several pages (50 a page).
    g += [{"region": R2, "name": G + "remotion-old-%03d" % i, "age_days": 20, "stored_bytes": i}
          for i in range(120)]
    return g


def fixture():
    return {"account_id": jl.ACCOUNT, "regions": REGIONS, "disabled_regions": [],
            "functions": [{"region": R, "name": FN_OLD, "age_days": 30},
                          {"region": R, "name": FN_YOUNG, "age_days": 1}],
            "log_groups": groups()}


STORED = {R: 500 + 600 + 1000 + 2000, R2: 123456789 + sum(range(120))}
DELETED = {(R, ORPHAN_OLD), (R, G + FN_OLD), (R2, ORPHAN_R2)} | {(R2, G + "remotion-old-%03d" % i)
                                                                 for i in range(120)}
POLICY = {"log_groups": "yes", "max_deletions": "1000"}


def shipped_policy(optional=True):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                        "remotion-janitor-policy.json")
    with open(path) as f:
        doc = json.load(f)
    if not optional:
        doc["Statement"] = [s for s in doc["Statement"] if not s.get("Sid", "").startswith("Optional")]
    return doc


def left(si):
    return {(g["region"], g["name"]) for g in si.state()["log_groups"]}


class LogGroups(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture=fixture())
        self.addCleanup(lambda: self.si.stop())
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=POLICY)
        self.addCleanup(self.jan.cleanup)

    def assert_never_named(self, r):
        for n in UNTOUCHED + [BARE]:
            if n == BARE:
                # A prefix of the other names: look for it whole.
                self.assertNotIn('"%s"' % n, r.out)
                continue
            self.assertNotIn(n, r.out)
            self.assertNotIn(n, r.err)

    def test_report_decides_each_group(self):
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        acc = r.json["accounts"][0]
        got = {(i["region"], i["name"]): (i["decision"], i["reason"], i["result"], i["bytes"])
               for i in r.items(type="log_group")}
        self.assertEqual(got[(R, G + FN_OLD)], ("delete", "policy", "dry-run", 500))   # follows its function
        self.assertEqual(got[(R, G + FN_YOUNG)], ("keep", "too-young", None, 600))     # ... kept with it
        self.assertEqual(got[(R, ORPHAN_OLD)], ("delete", "policy", "dry-run", 1000))
        self.assertEqual(got[(R, ORPHAN_YOUNG)], ("keep", "too-young", None, 2000))
        self.assertEqual(got[(R2, ORPHAN_R2)][:2], ("delete", "policy"))
        self.assertEqual(len(got), 5 + 120)
        self.assertEqual({k for k, v in got.items() if v[0] == "delete"}, DELETED)
        self.assertEqual(acc["ignored"]["log_groups"], 1)      # the bare prefix
        self.assertEqual(acc["summary"]["log_groups"], 5 + 120)
        self.assertEqual({s["region"]: s["bytes"] for s in acc["log_group_storage"]}, STORED)
        self.assertEqual([reg["not_permitted"] for reg in acc["regions"]], [[], []])
        self.assert_never_named(r)
        # One request a page: the scope's prefix, at most 50 a page.
        desc = [e for e in self.si.log() if e["operation"] == "DescribeLogGroups"]
        self.assertEqual(sorted(e["region"] for e in desc), [R] + [R2] * 3)
        t = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(t.rc, 0, t.err)
        self.assertIn("log groups %s: 4.0 KiB stored in 4 log groups\n" % R, t.out)
        self.assertIn("log groups %s: 117.7 MiB stored in 121 log groups\n" % R2, t.out)
        # The summary line counts them after the buckets, and the ignored.
        self.assertRegex(t.out, r"\d+ buckets, 125 log groups; ")
        self.assertRegex(t.out, r"ignored \d+ buckets, \d+ functions, \d+ layers, 1 log groups; ")
        self.assert_never_named(t)

    def test_default_is_off(self):
        self.jan.write_config(aws=ACCT)
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.items(type="log_group"), [])
        self.assertEqual(r.json["accounts"][0]["log_group_storage"], [])
        self.assertFalse([e for e in self.si.log() if e["service"] == "logs"])
        t = self.jan.run("--sweep", "--dry-run")
        self.assertNotIn("log groups", t.out)

    def test_delete_orphans_and_a_deleted_functions_group_after_it(self):
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 0, r.err)
        res = {(i["region"], i["name"]): i["result"] for i in r.items(type="log_group")}
        self.assertEqual({k for k, v in res.items() if v == "deleted"}, DELETED)
        everything = {(g["region"], g["name"]) for g in groups()}
        self.assertEqual(left(self.si), everything - DELETED)
        for n in UNTOUCHED + [BARE, G + FN_YOUNG, ORPHAN_YOUNG]:
            self.assertIn((R, n), left(self.si))
        # The function's group after the function, in the same sweep.
        log = jl.modifying(self.si.log())
        ops = [(e["operation"], e.get("target")) for e in log]
        fn = next(i for i, o in enumerate(ops) if o[0] == "DeleteFunction")
        grp = [i for i, e in enumerate(log) if e["operation"] == "DeleteLogGroup" and G + FN_OLD in
               json.dumps(e)]
        self.assertEqual(len(grp), 1, ops)
        self.assertLess(fn, grp[0])
        self.assertNotIn((R, FN_OLD), {(f["region"], f["name"]) for f in self.si.state()["functions"]})
        # Each deletion in the audit log, as log_group.
        aud = {(a["region"], a["name"]) for a in self.jan.audit() if a["type"] == "log_group"}
        self.assertEqual(aud, DELETED)
        self.assert_never_named(r)

    def test_group_of_a_function_not_deleted_is_refused(self):
        self.si.faults([{"kind": "deny", "operation": "DeleteFunction", "count": None}])
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 1, r.err)            # the function's deletion failed
        self.assertEqual(r.items(type="function", name=FN_OLD)[0]["result"], "failed")
        g = r.items(type="log_group", name=G + FN_OLD)[0]
        self.assertEqual((g["result"], g["error"]), ("refused", "not started: its function was not deleted"))
        self.assertIn((R, G + FN_OLD), left(self.si))
        self.assertFalse([e for e in self.si.log() if e["operation"] == "DeleteLogGroup" and G + FN_OLD in
                          json.dumps(e)])
        self.assertNotIn((R, ORPHAN_OLD), left(self.si))   # the orphans go all the same

    def test_max_deletions_counts_the_groups(self):
        self.jan.write_config(aws=ACCT, policy={"log_groups": "yes", "max_deletions": "5"})
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 4, r.err)
        self.assertEqual(r.json["accounts"][0]["summary"]["candidates"], 1 + len(DELETED))
        self.assertEqual(left(self.si), {(g["region"], g["name"]) for g in groups()})

    def test_keep_glob_keeps_the_group_with_its_function(self):
        self.jan.write_config(aws=ACCT, policy=dict(POLICY, keep="remotion-render-4-0-0-*"))
        r = self.jan.sweep("--dry-run")
        got = {i["name"]: i["reason"] for i in r.items(type="log_group", region=R)}
        self.assertEqual(got[ORPHAN_OLD], "excluded")

    def test_incomplete_function_listing_keeps_the_groups(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "lambda", "operation": "ListFunctions",
                         "region": R, "count": -1}])
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 1, r.err)
        got = {i["name"]: (i["decision"], i["reason"]) for i in r.items(type="log_group", region=R)}
        self.assertEqual(set(got.values()), {("keep", "region-incomplete")})
        self.assertTrue({(R, n) for n in (ORPHAN_OLD, G + FN_OLD)} <= left(self.si))

    def test_describe_not_permitted(self):
        st_, body = self.si.control("POST", "policy", {"policy": shipped_policy(optional=False)})
        self.assertEqual(st_, 200, body)
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 0, r.err)       # the exit code is unchanged
        acc = r.json["accounts"][0]
        self.assertEqual([reg["status"] for reg in acc["regions"]], ["ok", "ok"])
        self.assertEqual([reg["not_permitted"] for reg in acc["regions"]], [["log_group"], ["log_group"]])
        self.assertEqual(r.items(type="log_group"), [])
        self.assertEqual(r.items(type="function", name=FN_OLD)[0]["result"], "deleted")
        self.assertEqual({s["region"]: s["bytes"] for s in acc["log_group_storage"]}, {R: None, R2: None})
        said = [l for l in r.err.splitlines() if "logs:DescribeLogGroups" in l]
        self.assertEqual(len(said), 1, r.err)
        self.assertIn("not permitted", said[0])
        t = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(t.rc, 0, t.err)
        self.assertIn("not permitted: %s: log_group (needs logs:DescribeLogGroups)\n" % R, t.out)
        self.assertIn("log groups %s: unknown (the listing is not permitted)\n" % R, t.out)
        self.assertNotIn("incomplete:", t.out)

    def test_delete_not_permitted(self):
        self.si.faults([{"kind": "deny", "operation": "DeleteLogGroup", "count": None}])
        r = self.jan.sweep("--yes", "--delete")
        self.assertEqual(r.rc, 0, r.err)
        res = {(i["region"], i["name"]): i["result"] for i in r.items(type="log_group")}
        self.assertEqual({k for k, v in res.items() if v == "not-permitted"}, DELETED)
        self.assertEqual(left(self.si), {(g["region"], g["name"]) for g in groups()})
        acc = r.json["accounts"][0]
        self.assertEqual(acc["summary"]["failed"], 0)
        self.assertEqual(acc["summary"]["not_permitted"], len(DELETED))
        self.assertEqual([reg["not_permitted"] for reg in acc["regions"]], [["log_group"], ["log_group"]])
        self.assertEqual(r.items(type="function", name=FN_OLD)[0]["result"], "deleted")
        said = [l for l in r.err.splitlines() if "not permitted" in l]
        self.assertEqual(len(said), 1, r.err)
        self.assertIn("logs:DeleteLogGroup", said[0])

    def test_validate_reports_the_optional_features(self):
        r = self.jan.run("--validate", "--json")
        self.assertEqual(r.rc, 0, r.out + r.err)
        feats = r.json["accounts"][0]["optional_features"]
        got = {(f["feature"], f["action"]): (f["needed"], f["decision"], f["statement"]) for f in feats}
        self.assertEqual(got, {
            ("log_groups", "logs:DescribeLogGroups"): (True, "allowed", "OptionalLogGroupListing"),
            ("log_groups", "logs:DeleteLogGroup"): (True, "allowed", "OptionalLogGroupDeletion"),
            ("keep_tag", "lambda:ListTags"): (False, "allowed", "OptionalKeepTags"),
            ("keep_tag", "s3:GetBucketTagging"): (False, "allowed", "OptionalKeepTags")})
        # Not in the base results, nor in a statement to add.
        self.assertFalse([x for x in r.json["accounts"][0]["results"] if x["action"].startswith("logs:")])
        # Without the optional statements: denied, reported, never a failure.
        st_, body = self.si.control("POST", "policy", {"policy": shipped_policy(optional=False)})
        self.assertEqual(st_, 200, body)
        self.jan.write_config(aws=ACCT, policy=dict(POLICY, keep_tag="keep", buckets="yes"))
        r = self.jan.run("--validate", "--json")
        self.assertEqual(r.rc, 0, r.out + r.err)
        self.assertTrue(r.json["ok"])
        got = {f["action"]: (f["needed"], f["decision"]) for f in r.json["accounts"][0]["optional_features"]}
        self.assertEqual(got, {"logs:DescribeLogGroups": (True, "implicitDeny"),
                               "logs:DeleteLogGroup": (True, "implicitDeny"),
                               "lambda:ListTags": (True, "implicitDeny"),
                               "s3:GetBucketTagging": (True, "implicitDeny")})
        self.assertIsNone(r.json["accounts"][0]["missing_statement"])
        t = self.jan.run("--validate")
        self.assertEqual(t.rc, 0, t.out + t.err)
        self.assertRegex(t.out, r"log_groups\s+logs:DescribeLogGroups\s+needed\s+implicitDeny\s+"
                         r"OptionalLogGroupListing\n")
        self.assertIn("4 actions of the features in use not allowed", t.out)

    def test_metrics_and_status(self):
        text = self.jan.daemon_metrics(self, aws=ACCT, policy=POLICY)
        lines = [l for l in text.splitlines() if l.startswith("remotion_janitor_log_group_stored_bytes{")]
        self.assertEqual(sorted(lines), sorted(
            'remotion_janitor_log_group_stored_bytes{account="default",region="%s"} %d' % (k, v)
            for k, v in STORED.items()))
        self.assertIn('remotion_janitor_resources{account="default",type="log_group",region="%s"} 4' % R,
                      text)
        s = self.jan.run("--status", "--json")
        self.assertEqual(s.rc, 0, s.err)
        one = s.json["last_sweep"]["accounts"][0]
        self.assertEqual({c["region"]: c["bytes"] for c in one["log_group_storage"]}, STORED)
        self.assertEqual(one["found"]["log_groups"], 5 + 120)
        s = self.jan.run("--status")
        self.assertEqual(s.rc, 0, s.err)
        self.assertRegex(s.out, r"found \d+ functions, \d+ layer versions, \d+ buckets, 125 log groups; ")


if __name__ == "__main__":
    unittest.main()
