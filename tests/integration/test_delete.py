"""Deletion with safety, through the real binary (issue 5): guards, the
scope, buckets with versions and odd keys, faults while emptying, kill -9,
Remotion's own policy, --validate, grace clocks and the sweep lock."""
import collections
import fcntl
import json
import os
import pty
import signal
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

REGIONS = "eu-west-1, us-east-1, eu-central-1"
DELETE_ALL = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}
ACCT = {"regions": REGIONS, "account_id": jl.ACCOUNT}

ODD_KEYS = ["a b.txt", "plus+sign.json", "100%.txt", "amp&er.txt", "lt<gt>.xml", "\u00fcber/\u65e5\u672c.mp4",
            "dir/./dot", "dir/../up", "quote\"'.txt", "tab\there", "trailing/"]


def modifying_ops(log):
    return collections.Counter(e["operation"] for e in jl.modifying(log))


class Base(unittest.TestCase):
    fixture_kw = {}
    si_args = ()

    def setUp(self):
        self.si = st.StandIn(*self.si_args, fixture=st.small_fixture(**self.fixture_kw))
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=DELETE_ALL)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def assert_all_in_scope(self, log):
        bad = [e for e in jl.modifying(log) if not jl.in_scope_target(e)]
        self.assertEqual(bad, [], "a modifying request for a name outside the scope")


class DeleteAll(Base):
    def test_deletes_what_policy_allows_and_audits(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        s = r.json["summary"]
        self.assertEqual(s["failed"], 0)
        self.assertEqual(s["deleted"], s["candidates"])
        self.assertGreater(s["deleted"], 100)
        log = self.si.log()
        self.assert_all_in_scope(log)
        state = self.si.state()
        names = {b["name"] for b in state["buckets"]}
        self.assertEqual(names, {"remotionfan"})
        # The too-young function and the newest layer version survive.
        fn = {f["name"] for f in state["functions"]}
        self.assertIn("remotion-render-abc", fn)
        self.assertIn("remotionfan", fn)
        self.assertIn("Remotion-x", fn)
        # Versioned bucket: versions and delete markers all removed.
        vb = [x for x in r.json["accounts"][0]["resources"] if x["name"] == "remotionlambda-useast1-abcdefghij"][0]
        self.assertEqual(vb["result"], "deleted")
        self.assertGreaterEqual(vb["objects"], 30 * 2 + 10 + 2)
        big = [x for x in r.json["accounts"][0]["resources"] if x["name"] == "remotionlambda-euwest1-0123456789"][0]
        self.assertEqual(big["objects"], 1500)
        # Batches of at most 1000 keys, with Content-MD5 (the stand-in checks it).
        self.assertGreaterEqual(modifying_ops(log)["DeleteObjects"], 3)
        # The audit log has one parseable line per outcome.
        audit = self.jan.audit()
        self.assertEqual(len(audit), s["deleted"])
        self.assertTrue(all(a["result"] == "deleted" and a["account"] == jl.ACCOUNT for a in audit))
        self.assertEqual(self.jan.state()["accounts"][jl.ACCOUNT]["last_sweep"]["deleted"], s["deleted"])
        # A second sweep finds nothing left to do.
        r2 = self.jan.sweep("--yes")
        self.assertEqual(r2.rc, 0, r2.err)
        self.assertEqual(r2.json["summary"]["candidates"], 0)

    def test_report_mode_touches_nothing(self):
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(jl.modifying(self.si.log()), [])
        self.assertTrue(all(x["result"] in (None, "dry-run") for x in r.json["accounts"][0]["resources"]))
        self.assertEqual(self.jan.audit(), [])


class Guards(Base):
    def assert_nothing_deleted(self):
        self.assertEqual(jl.modifying(self.si.log()), [])

    def test_max_deletions(self):
        self.jan.write_config(aws=ACCT, policy=dict(DELETE_ALL, max_deletions="3"))
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 4, r.err)
        self.assert_nothing_deleted()
        cands = [x for x in r.json["accounts"][0]["resources"] if x["decision"] == "delete"]
        self.assertGreater(len(cands), 3)
        self.assertTrue(all(x["result"] == "refused" for x in cands))
        self.assertEqual(r.json["summary"]["refused"], len(cands))

    def test_no_terminal_no_yes(self):
        r = self.jan.sweep()
        self.assertEqual(r.rc, 4, r.err)
        self.assertIn("--yes", r.err)
        self.assert_nothing_deleted()

    def typed(self, answer):
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([jl.BIN, "-c", self.jan.conf, "--sweep", "--json"], env=jl.base_env(),
                                 stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            os.close(slave)
            slave = None
            os.write(master, (answer + "\n").encode())
            out, err = p.communicate(timeout=60)
            return p.returncode, out, err
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)

    def test_confirmation_typed_wrong(self):
        rc, out, err = self.typed("000000000000")
        self.assertEqual(rc, 4, err)
        self.assertIn("Type the account ID", err)
        self.assert_nothing_deleted()

    def test_confirmation_typed_right(self):
        rc, out, err = self.typed(jl.ACCOUNT)
        self.assertEqual(rc, 0, err)
        self.assertGreater(json.loads(out)["summary"]["deleted"], 0)

    def test_account_mismatch(self):
        self.jan.write_config(aws=dict(ACCT, account_id="999999999999"), policy=DELETE_ALL)
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("999999999999", r.err)
        self.assert_nothing_deleted()

    def test_account_id_required(self):
        self.jan.write_config(aws={"regions": REGIONS}, policy=DELETE_ALL)
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 2, r.err)
        self.assertIn("account_id", r.err)
        self.assertEqual(self.si.log(), [])

    def test_widening_include_refused(self):
        for glob in ("remotion*", "*", "Remotion-*", "remotion?x*"):
            self.jan.write_config(aws=ACCT, policy=dict(DELETE_ALL, include=glob))
            r = self.jan.sweep("--yes")
            self.assertEqual(r.rc, 2, glob)
            self.assertIn("scope", r.err)
        self.assertEqual(self.si.log(), [])

    def test_narrowing_include_and_keep(self):
        self.jan.write_config(aws=ACCT, policy=dict(DELETE_ALL, include="remotion-render-*",
                                                    keep="remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-00*"))
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        log = self.si.log()
        self.assert_all_in_scope(log)
        targets = {e["target"] for e in jl.modifying(log)}
        self.assertTrue(all(t.startswith("remotion-render-") for t in targets), targets)
        self.assertFalse([t for t in targets if t.startswith("remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-00")])
        kept = [x for x in r.json["accounts"][0]["resources"] if x["reason"] == "excluded"]
        self.assertEqual(len(kept), 10)

    def test_incomplete_region_not_deleted(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "lambda", "operation": "ListFunctions",
                         "region": "eu-west-1", "after": 1, "count": -1}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 1, r.err)
        mods = jl.modifying(self.si.log())
        self.assertFalse([e for e in mods if e["operation"] == "DeleteFunction" and e["region"] == "eu-west-1"])
        # Other kinds and regions still go ahead.
        self.assertTrue([e for e in mods if e["operation"] == "DeleteLayerVersion"])
        fns = [x for x in r.json["accounts"][0]["resources"] if x["type"] == "function" and x["region"] == "eu-west-1"]
        self.assertTrue(fns and all(x["reason"] in ("region-incomplete",) for x in fns))

    def test_incomplete_bucket_listing_blocks_all_buckets(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "s3", "operation": "ListBuckets",
                         "count": -1}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 1, r.err)
        mods = modifying_ops(self.si.log())
        self.assertEqual(mods["DeleteBucket"] + mods["DeleteObjects"] + mods["DeleteBucketWebsite"], 0)

    def test_lock_held(self):
        lockpath = os.path.join(self.jan.dir, "state.json.lock")
        fd = os.open(lockpath, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, b"4242\n")
            r = self.jan.sweep("--yes")
            self.assertEqual(r.rc, 4, r.err)
            self.assertIn("4242", r.err)
            self.assertEqual(self.si.log(), [])
        finally:
            os.close(fd)


class BucketEmptying(Base):
    fixture_kw = {
        "functions": [], "layers": [],
        "buckets": [
            {"name": "remotionlambda-euwest1-2500objcts", "region": "eu-west-1", "age_days": 30,
             "versioning": "Enabled", "website": True,
             "objects": [{"key": "renders/r%04d/out.mp4" % i, "versions": 2, "delete_marker": i % 7 == 0}
                         for i in range(1230)] + [{"key": k, "versions": 2} for k in ODD_KEYS]},
        ],
    }

    def bucket_gone(self):
        return not [b for b in self.si.state()["buckets"] if b["name"].startswith("remotionlambda-euwest1")]

    def test_versions_markers_and_odd_keys(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        b = r.json["accounts"][0]["resources"][0]
        self.assertEqual(b["result"], "deleted")
        self.assertEqual(b["objects"], 1230 * 2 + 1230 // 7 + 1 + len(ODD_KEYS) * 2)
        self.assertTrue(self.bucket_gone())
        self.assertGreaterEqual(modifying_ops(self.si.log())["DeleteObjects"], 3)

    def test_per_key_errors_then_success(self):
        self.si.faults([{"kind": "key_errors", "n": 5, "code": "InternalError", "service": "s3",
                         "operation": "DeleteObjects", "count": 2}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(self.bucket_gone())

    def test_objects_appearing_during_emptying(self):
        self.si.faults([{"kind": "add_objects", "n": 20, "service": "s3", "operation": "DeleteObjects",
                         "count": 2}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(self.bucket_gone())
        ops = [e["operation"] for e in self.si.log()]
        self.assertIn("DeleteBucket", ops)

    def test_permanent_key_errors_fail_clearly(self):
        self.si.faults([{"kind": "key_errors", "n": 3, "code": "AccessDenied", "service": "s3",
                         "operation": "DeleteObjects", "count": -1}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 1, r.err)
        b = r.json["accounts"][0]["resources"][0]
        self.assertEqual(b["result"], "failed")
        self.assertIn("AccessDenied", b["error"])
        self.assertFalse([e for e in self.si.log() if e["operation"] == "DeleteBucket"])
        self.assertEqual(self.jan.audit()[-1]["result"], "failed")

    def test_kill9_mid_emptying_then_finish(self):
        # Slow listing pages: after the first batch is deleted, the next
        # page takes a second to come, so the kill lands mid-emptying even
        # on a loaded machine.
        self.si.control("POST", "latency", {"rules": [{"service": "s3", "operation": "ListObjectVersions",
                                                      "ms": 1000}]})
        p = subprocess.Popen([jl.BIN, "-c", self.jan.conf, "--sweep", "--yes", "--json"], env=jl.base_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while time.time() - t0 < 30:
            if any(e["operation"] == "DeleteObjects" and e["status"] == 200 for e in self.si.log()):
                break
            time.sleep(0.02)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        self.assertFalse(self.bucket_gone())
        self.si.control("POST", "latency", {})
        # Whatever was written is whole (the state is written only at the end).
        for a in self.jan.audit():
            self.assertIn("result", a)
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(self.bucket_gone())
        self.assertEqual(self.jan.audit()[-1]["result"], "deleted")
        self.assertIn("clocks", self.jan.state())


class Vanishing(Base):
    def test_resource_vanishing_between_list_and_delete(self):
        self.si.faults([{"kind": "vanish", "n": 3, "service": "lambda", "operation": "ListFunctions",
                         "region": "eu-west-1", "count": 1}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["failed"], 0)
        gone404 = [e for e in self.si.log() if e["operation"] == "DeleteFunction" and e["status"] == 404]
        self.assertGreaterEqual(len(gone404), 1)


class SeedPolicy(unittest.TestCase):
    def test_deletes_what_it_permits_reports_the_rest(self):
        seed = st.need_seed(self)
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=st.small_fixture())
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        try:
            r = jan.sweep("--yes", env=env)
            self.assertEqual(r.rc, 1, r.err)
            res = {x["name"]: x for x in r.json["accounts"][0]["resources"] if x["type"] == "bucket"}
            # remotion-* is in the seed policy's storage scope and not versioned.
            self.assertEqual(res["remotion-legacy-bucket"]["result"], "deleted")
            # remotionlambda-* is outside it: clear failure, pointing at --validate.
            for name in ("remotionlambda-useast1-abcdefghij", "remotionlambda-euwest1-0123456789"):
                self.assertEqual(res[name]["result"], "failed")
                self.assertIn("AccessDenied", res[name]["error"])
                self.assertIn("--validate", res[name]["error"])
            fns = [x for x in r.json["accounts"][0]["resources"] if x["type"] == "function" and x["decision"] == "delete"]
            self.assertTrue(fns and all(x["result"] == "deleted" for x in fns))
            lv = [x for x in r.json["accounts"][0]["resources"] if x["type"] == "layer_version" and x["decision"] == "delete"]
            self.assertTrue(lv and all(x["result"] == "deleted" for x in lv))
            self.assertEqual(jl.modifying([e for e in si.log() if e["status"] == 403 and
                                           not e["target"].startswith(("remotion-", "remotionlambda-"))]), [])
        finally:
            jan.cleanup()
            si.stop()

    def test_versioned_bucket_needs_version_permissions(self):
        seed = st.need_seed(self)
        fx = st.small_fixture(functions=[], layers=[], buckets=[
            {"name": "remotion-versioned-bucket", "region": "us-east-1", "age_days": 30, "versioning": "Enabled",
             "objects": [{"key": "k%d" % i, "versions": 2} for i in range(5)]}])
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=fx)
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        try:
            r = jan.sweep("--yes", env=env)
            self.assertEqual(r.rc, 1, r.err)
            b = r.json["accounts"][0]["resources"][0]
            self.assertEqual(b["result"], "failed")
            self.assertIn("s3:ListBucketVersions", b["error"])
            self.assertIn("s3:DeleteObjectVersion", b["error"])
        finally:
            jan.cleanup()
            si.stop()


class Validate(unittest.TestCase):
    def test_our_policy_passes(self):
        si = st.StandIn(fixture=st.small_fixture())
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        try:
            r = jan.run("--validate", "--json")
            self.assertEqual(r.rc, 0, r.out + r.err)
            self.assertTrue(r.json["ok"])
            self.assertTrue(all(x["decision"] == "allowed" for x in r.json["accounts"][0]["results"]))
            self.assertEqual(jl.modifying(si.log()), [])
        finally:
            jan.cleanup()
            si.stop()

    def test_seed_policy_names_what_is_missing(self):
        seed = st.need_seed(self)
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=st.small_fixture())
        jan = jl.Janitor(si, aws=ACCT, policy=DELETE_ALL)
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        try:
            r = jan.run("--validate", env=env)
            self.assertEqual(r.rc, 3, r.out + r.err)
            for act in ("s3:ListBucketVersions", "s3:DeleteObjectVersion"):
                self.assertRegex(r.out, act + r"\s+arn:aws:s3:::remotion-example\S*\s+implicitDeny")
            self.assertIn("Add this statement", r.out)
            stmt = json.loads(r.out[r.out.index("{"):r.out.rindex("}") + 1])
            self.assertIn("s3:ListBucketVersions", stmt["Action"])
            self.assertNotIn("lambda:DeleteFunction", stmt["Action"])
        finally:
            jan.cleanup()
            si.stop()


class Grace(Base):
    def test_grace_clock_survives_and_expires(self):
        self.jan.write_config(aws=ACCT, policy=dict(DELETE_ALL, grace="1d"))
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["candidates"], 0)
        self.assertTrue([x for x in r.json["accounts"][0]["resources"] if x["reason"] == "in-grace"])
        self.assertEqual(jl.modifying(self.si.log()), [])
        state = self.jan.state()
        clocks = state["accounts"][jl.ACCOUNT]["clocks"]
        self.assertGreater(len(clocks), 100)
        # Two days later (every time in the file moved back by hand, the
        # account's first sweep too), the same candidates go.
        for k in clocks:
            clocks[k] -= 2 * 86400
        state["accounts"][jl.ACCOUNT]["first_sweep"] -= 2 * 86400
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            json.dump(state, f)
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertGreater(r.json["summary"]["deleted"], 100)

    def test_corrupt_state_never_shortens_grace(self):
        self.jan.write_config(aws=ACCT, policy=dict(DELETE_ALL, grace="1d"))
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            f.write("{not json")
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("corrupt", r.err.lower())
        self.assertEqual(r.json["summary"]["candidates"], 0)
        self.assertEqual(jl.modifying(self.si.log()), [])
        self.assertTrue([n for n in os.listdir(self.jan.dir) if n.startswith("state.json.corrupt-")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
