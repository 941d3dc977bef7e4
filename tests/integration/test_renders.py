"""Renders and storage inside live buckets, through the real binary (issue
12): old renders pruned, young ones intact, outputs kept in artifacts mode,
sites/ never touched, props by age, keep globs, max_deletions and grace
counting renders, reclaimed bytes equal to the sizes deleted, storage
figures equal to the fixture's, a render gaining an object while it is
deleted, per-key errors, a versioned bucket under the seed policy, one of
two listings failing, thousands of outcomes audited."""
import collections
import unittest

import janlib as jl
from janlib import st

LIVE = "remotionlambda-euwest1-livelive01"
OTHER = "remotionlambda-useast1-livelive02"
REGIONS = "eu-west-1, us-east-1"
ACCT = {"regions": REGIONS, "account_id": jl.ACCOUNT}
MB = 1 << 20


def render(rid, age, out=3 * MB, chunks=2, progress_age=None):
    """One render in Remotion's layout, each object with its size."""
    objs = [{"key": "renders/%s/out.mp4" % rid, "size": out, "age_days": age},
            {"key": "renders/%s/progress.json" % rid, "size": 1500,
             "age_days": age if progress_age is None else progress_age}]
    objs += [{"key": "renders/%s/chunk-%04d" % (rid, i), "size": 70000 + i, "age_days": age}
             for i in range(chunks)]
    return objs


# Render ids as Remotion makes them: 10 random characters.
OLD = ["k3j9x0a1bq", "zz81mq0pla", "0a9dkel2mf"]
YOUNG = ["p0w9e8r7t6"]
STILL = "s7d6f5g4h3"          # old objects, a progress.json written an hour ago
KEPT = "keepme0001"


def live_objects():
    objs = []
    for rid in OLD:
        objs += render(rid, 45)
    for rid in YOUNG:
        objs += render(rid, 3)
    objs += render(STILL, 60, progress_age=0.04)
    objs += render(KEPT, 90)
    objs += [{"key": "sites/my-site/index.html", "size": 5000, "age_days": 200},
             {"key": "sites/my-site/bundle.js", "size": 2 * MB, "age_days": 200},
             {"key": "input-props/aaa.json", "size": 300, "age_days": 50},
             {"key": "resolved-props/aaa.json", "size": 320, "age_days": 50},
             {"key": "default-props/bbb.json", "size": 100, "age_days": 1},
             {"key": "notes/readme.txt", "size": 42, "age_days": 400},
             {"key": "renders/loose-file.txt", "size": 7, "age_days": 400}]
    return objs


def fixture(extra_buckets=(), objects=None):
    return {
        "account_id": jl.ACCOUNT,
        "regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
        "buckets": [{"name": LIVE, "region": "eu-west-1", "age_days": 300,
                     "objects": live_objects() if objects is None else objects}]
        + list(extra_buckets),
    }


def sizes(objs, pred=lambda k: True):
    return sum(o["size"] for o in objs if pred(o["key"]))


def keys_left(si, bucket):
    for b in si.state(objects=True)["buckets"]:
        if b["name"] == bucket:
            return {o["key"] if isinstance(o, dict) else o for o in b["objects"]}
    return set()


class Base(unittest.TestCase):
    fx = None
    policy = {}

    def setUp(self):
        self.si = st.StandIn(fixture=self.fx or fixture())
        pol = {"mode": "delete", "renders": "all", "render_max_age": "30d",
               "max_deletions": "100"}
        pol.update(self.policy)
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=pol)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def renders(self, r, **kw):
        return {x["name"]: x for x in r.items(type="render", **kw)}


class PruneAll(Base):
    def test_old_renders_pruned_the_rest_intact(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        rs = self.renders(r)
        self.assertEqual(set(rs), set(OLD + YOUNG + [STILL, KEPT]))
        for rid in OLD + [KEPT]:
            self.assertEqual(rs[rid]["decision"], "delete", rs[rid])
            self.assertEqual(rs[rid]["result"], "deleted")
            self.assertEqual(rs[rid]["bucket"], LIVE)
            self.assertEqual(rs[rid]["region"], "eu-west-1")
        self.assertEqual(rs[YOUNG[0]]["reason"], "too-young")
        # Age from the newest object: a recent progress.json keeps it.
        self.assertEqual(rs[STILL]["reason"], "too-young")
        self.assertLess(rs[STILL]["age_s"], 86400)
        left = keys_left(self.si, LIVE)
        for rid in OLD + [KEPT]:
            self.assertFalse([k for k in left if k.startswith("renders/%s/" % rid)])
        for rid in YOUNG + [STILL]:
            self.assertEqual(len([k for k in left if k.startswith("renders/%s/" % rid)]), 4)
        # sites/, other prefixes, young props: never touched.
        for k in ("sites/my-site/index.html", "sites/my-site/bundle.js", "notes/readme.txt",
                  "renders/loose-file.txt", "default-props/bbb.json"):
            self.assertIn(k, left)
        # Old props pruned, as one resource.
        self.assertNotIn("input-props/aaa.json", left)
        self.assertNotIn("resolved-props/aaa.json", left)
        props = r.items(type="props")
        self.assertEqual(len(props), 1)
        self.assertNotIn("name", props[0])
        self.assertEqual((props[0]["objects"], props[0]["bytes"]), (2, 620))
        # Reclaimed bytes: exactly the sizes deleted.
        objs = live_objects()
        gone = sizes(objs, lambda k: k.split("/")[1] in OLD + [KEPT] and k.startswith("renders/")) + 620
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], gone)
        self.assertEqual(r.json["summary"]["renders"], 6)
        # One audit line per render and props, with objects and bytes.
        audit = self.jan.audit()
        self.assertEqual(len(audit), 5)
        by = {(a["type"], a["name"]): a for a in audit}
        a = by[("render", OLD[0])]
        self.assertEqual((a["bucket"], a["objects"], a["bytes"], a["result"]),
                         (LIVE, 4, sizes(render(OLD[0], 45)), "deleted"))
        self.assertEqual(sum(a["bytes"] for a in audit), gone)
        # The bucket's figures: as the pruning left it.
        b = r.items(type="bucket", name=LIVE)[0]
        self.assertEqual(b["bytes"], sizes(objs) - gone)
        self.assertEqual(b["objects"], len(objs) - 4 * 4 - 2)
        self.assertEqual(r.json["summary"]["stored_bytes"], sizes(objs) - gone)
        # Only DeleteObjects, never a bucket deletion.
        ops = collections.Counter(e["operation"] for e in jl.modifying(self.si.log()))
        self.assertEqual(set(ops), {"DeleteObjects"})

    def test_storage_equals_the_fixture(self):
        r = self.jan.run("--sweep", "--json", "--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name=LIVE)[0]
        objs = live_objects()
        st_ = b["storage"]
        self.assertEqual(b["objects"], len(objs))
        self.assertEqual(b["bytes"], sizes(objs))
        self.assertEqual(st_["outputs"], sizes(objs, lambda k: k.startswith("renders/") and "/out." in k))
        self.assertEqual(st_["renders"], sizes(objs, lambda k: k.startswith("renders/") and "/out." not in k
                                               and k != "renders/loose-file.txt"))
        self.assertEqual(st_["sites"], sizes(objs, lambda k: k.startswith("sites/")))
        self.assertEqual(st_["props"], sizes(objs, lambda k: "-props/" in k))
        self.assertEqual(st_["other"], 42 + 7)
        self.assertEqual(sum(st_.values()), b["bytes"])
        self.assertAlmostEqual(b["estimated_monthly_usd"], b["bytes"] / 1e9 * 0.023, places=9)
        self.assertEqual(r.json["summary"]["stored_bytes"], b["bytes"])
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 0)
        # A report deletes nothing.
        self.assertEqual(jl.modifying(self.si.log()), [])

    def test_table_sizes_in_binary_units(self):
        r = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("storage (S3 Standard list prices of", r.out)
        self.assertIn("an estimate", r.out)
        self.assertRegex(r.out, r"%s eu-west-1: \d+\.\d MiB in %d objects" % (LIVE, len(live_objects())))
        self.assertRegex(r.out, r"render .*%s/renders/%s .*\(4 objects, 3\.\d MiB\)" % (LIVE, OLD[0]))


class Artifacts(Base):
    policy = {"renders": "artifacts"}

    def test_outputs_kept(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        left = keys_left(self.si, LIVE)
        for rid in OLD:
            self.assertEqual([k for k in left if k.startswith("renders/%s/" % rid)],
                             ["renders/%s/out.mp4" % rid])
        rs = self.renders(r)
        self.assertEqual(rs[OLD[0]]["objects"], 3)
        self.assertEqual(rs[OLD[0]]["bytes"], 1500 + 70000 + 70001)
        # A second sweep: only outputs are left, nothing to prune.
        r2 = self.jan.sweep("--yes")
        self.assertEqual(r2.rc, 0, r2.err)
        self.assertEqual(self.renders(r2)[OLD[0]]["reason"], "nothing-to-prune")
        self.assertEqual(r2.json["summary"]["candidates"], 0)


class KeepMode(Base):
    policy = {"renders": "keep"}

    def test_storage_report_without_pruning(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.items(type="render"), [])
        self.assertEqual(r.items(type="bucket", name=LIVE)[0]["bytes"], sizes(live_objects()))
        self.assertEqual(jl.modifying(self.si.log()), [])

    def test_storage_no_lists_nothing(self):
        self.jan.write_config(aws=ACCT, policy={"renders": "keep", "storage": "no"})
        r = self.jan.sweep()
        self.assertEqual(r.rc, 0, r.err)
        self.assertIsNone(r.items(type="bucket", name=LIVE)[0]["storage"])
        self.assertFalse([e for e in self.si.log() if e["operation"] == "ListObjectsV2"])


class Guards(Base):
    def test_keep_glob(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100",
                                                "keep": "%s/renders/keep*" % LIVE})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.renders(r)[KEPT]["reason"], "excluded")
        self.assertEqual(len([k for k in keys_left(self.si, LIVE) if k.startswith("renders/%s/" % KEPT)]), 4)

    def test_max_deletions_counts_renders(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "4"})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 4, r.err)
        self.assertEqual(r.json["summary"]["candidates"], 5)   # 4 renders + props
        self.assertEqual({x["result"] for x in r.items(type="render", decision="delete")}, {"refused"})
        self.assertEqual(jl.modifying(self.si.log()), [])
        self.assertEqual(len(self.jan.audit()), 5)

    def test_grace(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100",
                                                "grace": "1s"})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.renders(r)[OLD[0]]["reason"], "in-grace")
        self.assertEqual(jl.modifying(self.si.log()), [])
        import time
        time.sleep(1.2)
        r2 = self.jan.sweep("--yes")
        self.assertEqual(r2.rc, 0, r2.err)
        self.assertEqual(self.renders(r2)[OLD[0]]["result"], "deleted")


    def test_confirmation_lists_renders(self):
        import json
        import os
        import pty
        import subprocess
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([jl.BIN, "-c", self.jan.conf, "--sweep", "--json"], env=jl.base_env(),
                                 stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            os.close(slave)
            slave = None
            os.write(master, (jl.ACCOUNT + "\n").encode())
            out, err = p.communicate(timeout=60)
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("Type the account ID", err)
        self.assertIn("%s/renders/%s" % (LIVE, OLD[0]), err)     # each render named
        self.assertEqual(json.loads(out)["summary"]["deleted"], 5)

    def test_grace_survives_a_failed_listing(self):
        import time
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100",
                                                "grace": "2s"})
        r = self.jan.sweep("--yes")
        self.assertEqual(self.renders(r)[OLD[0]]["reason"], "in-grace")
        time.sleep(1.2)
        # The bucket cannot be listed: its renders' clocks are carried over.
        self.si.faults([{"kind": "error", "service": "s3", "operation": "ListObject*", "status": 500,
                         "count": -1}])
        r2 = self.jan.sweep("--yes")
        self.assertEqual(r2.rc, 1, r2.err)
        self.assertEqual(r2.items(type="render"), [])
        self.si.faults([])
        time.sleep(1.0)
        r3 = self.jan.sweep("--yes")
        self.assertEqual(r3.rc, 0, r3.err)
        self.assertEqual(self.renders(r3)[OLD[0]]["result"], "deleted")


class OneListingFails(Base):
    """Two kept buckets listed at once, their renders added to the sweep as
    the listings tell them: when one listing breaks off midway (after pages
    whose renders were already added), none of that bucket's renders is
    decided, reported or deleted, and the other bucket is pruned as if alone."""
    fx = fixture(extra_buckets=[{
        "name": OTHER, "region": "us-east-1", "age_days": 300, "objects": [],
        "generate": {"count": 6000, "prefix": "renders/", "per_render": 5, "layout": "remotion",
                     "age_days": 45, "size": 1000, "output_size": 4096}}])

    def test_the_other_bucket_pruned_alone(self):
        before = keys_left(self.si, OTHER)
        self.assertEqual(len(before), 6000 + 2 * 1200)
        self.si.faults([{"kind": "error", "service": "s3", "operation": "ListObject*", "target": OTHER,
                         "status": 500, "count": -1, "after": 2}])
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "10000"})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 1, r.err)
        self.assertIn("the listing of bucket %s failed" % OTHER, r.err)
        # Only LIVE's renders, each once, in id order.
        names = [x["name"] for x in r.items(type="render")]
        self.assertEqual(names, sorted(OLD + YOUNG + [STILL, KEPT]))
        self.assertEqual({x["bucket"] for x in r.items(type="render")}, {LIVE})
        self.assertEqual([x["bucket"] for x in r.items(type="props")], [LIVE])
        for rid in OLD:
            self.assertEqual(self.renders(r)[rid]["result"], "deleted")
        left = keys_left(self.si, LIVE)
        self.assertFalse({k for k in left if any(k.startswith("renders/%s/" % rid) for rid in OLD)})
        self.assertIn("renders/%s/out.mp4" % YOUNG[0], left)
        self.assertEqual(keys_left(self.si, OTHER), before)
        self.assertEqual([x for x in self.si.log() if x.get("operation") == "DeleteObjects"
                          and x.get("target") == OTHER], [])


class ManyOutcomes(Base):
    """A bucket's renders tell their outcomes in one burst; the audit log
    takes them in groups (at most 1024 at a time): every one written once,
    none lost at a group's edge."""
    fx = fixture(objects=[], extra_buckets=[{
        "name": OTHER, "region": "us-east-1", "age_days": 300, "objects": [],
        "generate": {"count": 2600 * 5, "prefix": "renders/", "per_render": 5, "layout": "remotion",
                     "age_days": 45, "size": 1000, "output_size": 4096}}])

    def test_every_outcome_audited_once(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "artifacts",
                                                "max_deletions": "10000"})
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        rs = r.items(type="render")
        self.assertEqual(len(rs), 2600)
        self.assertTrue(all(x["result"] == "deleted" for x in rs))
        audit = [a for a in self.jan.audit() if a["type"] == "render"]
        self.assertEqual(sorted(a["name"] for a in audit), sorted(x["name"] for x in rs))
        self.assertTrue(all(a["result"] == "deleted" and a["bucket"] == OTHER for a in audit))
        # progress.json 2000 and 3 chunks of 1000 a render; outputs kept.
        self.assertEqual(sum(a["bytes"] for a in audit), 2600 * 5000)
        self.assertEqual(len([k for k in keys_left(self.si, OTHER) if k.startswith("renders/")]), 2600)


class MarkersStopAtOnce(unittest.TestCase):
    """Issue 19, finding 2: the first DeleteObjects answer that reports a
    delete marker stops the bucket's pruning: of six batches, only those
    already in flight (4: host_concurrency 8) are ever sent."""

    def test_no_batch_after_a_marker(self):
        fx = fixture(objects=[])
        fx["buckets"][0].update({"name": "remotion-live-bucket", "versioning": "Enabled",
                                 "generate": {"count": 6000, "prefix": "renders/", "per_render": 10,
                                              "age_days": 45, "size": 100}})
        seed = st.need_seed(self)
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=fx)
        self.addCleanup(si.stop)
        si.faults([{"kind": "drop_header", "service": "s3", "operation": "HeadObject", "count": -1}])
        jan = jl.Janitor(si, aws=dict(ACCT, host_concurrency="8"),
                         policy={"mode": "delete", "renders": "all", "max_deletions": "1000"})
        self.addCleanup(jan.cleanup)
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        r = jan.sweep("--yes", env=env)
        self.assertEqual(r.rc, 1, r.err)
        dels = [e for e in si.log() if e.get("operation") == "DeleteObjects"]
        self.assertLessEqual(len(dels), 4)
        rs = r.items(type="render", decision="delete")
        self.assertEqual(len(rs), 600)
        self.assertEqual({x["result"] for x in rs}, {"failed"})
        hidden = [x for x in rs if "hidden, not deleted" in x["error"]]
        unsent = [x for x in rs if "not sent" in x["error"]]
        self.assertEqual(len(hidden) + len(unsent), 600)
        self.assertGreaterEqual(len(unsent), 200)         # batches 5 and 6
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 0)
        self.assertEqual(r.json["summary"]["deleted"], 0)


class LongRenderIds(Base):
    """Issue 19, finding 3: two render ids sharing their first 200 bytes
    keep separate grace clocks (keys from the full identity, never a
    display name cut at 191 bytes)."""
    PREFIX = "r" * 200
    A, B = PREFIX + "-first", PREFIX + "-second"
    fx = fixture(objects=render(A, 45) + render(B, 10))

    def test_separate_grace_clocks(self):
        import time
        pol = {"mode": "delete", "renders": "all", "max_deletions": "100", "grace": "1s",
               "render_max_age": "30d"}
        self.jan.write_config(aws=ACCT, policy=pol)
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        rs = self.renders(r)
        self.assertEqual(rs[self.A]["reason"], "in-grace")      # its clock starts
        self.assertEqual(rs[self.B]["reason"], "too-young")     # no clock yet
        time.sleep(1.2)
        # B becomes a candidate: seen as one for the first time, it has its
        # own grace (A's clock, started a sweep ago, is not B's).
        pol["render_max_age"] = "5d"
        self.jan.write_config(aws=ACCT, policy=pol)
        r2 = self.jan.sweep("--yes")
        self.assertEqual(r2.rc, 0, r2.err)
        rs = self.renders(r2)
        self.assertEqual(rs[self.A]["result"], "deleted")
        self.assertEqual(rs[self.B]["decision"], "keep", rs[self.B])
        self.assertEqual(rs[self.B]["reason"], "in-grace")
        left = keys_left(self.si, LIVE)
        self.assertEqual(len([k for k in left if k.startswith("renders/%s/" % self.B)]), 4)
        # The state keeps the full keys.
        clocks = self.jan.state()["accounts"][jl.ACCOUNT]["clocks"]
        self.assertIn("render|eu-west-1|%s/renders/%s|0" % (LIVE, self.B), clocks)


class DecidedOnce(unittest.TestCase):
    """What is deleted is what was decided: a props object that comes of
    age between the decision and its bucket's turn (here the daemon's clock
    moves 2 h forward: the stand-in's clock skews after the first bucket's
    DeleteObjects) stays, in both buckets."""

    def bucket(self, name, region):
        objs = render("aaaaaaaaa1", 45) + render("aaaaaaaaa2", 45)
        objs += [{"key": "input-props/old.json", "size": 300, "age_days": 50},
                 {"key": "input-props/edge.json", "size": 200,
                  "age_days": 30 - 1 / 24.0}]    # 1 h short of render_max_age
        return {"name": name, "region": region, "age_days": 300, "objects": objs}

    def setUp(self):
        fx = fixture(extra_buckets=[self.bucket(OTHER, "us-east-1")])
        fx["buckets"][0] = self.bucket(LIVE, "eu-west-1")
        self.si = st.StandIn(fixture=fx)
        self.jan = jl.Janitor(self.si, aws=dict(ACCT, concurrency="1", host_concurrency="1"),
                              policy={"mode": "delete", "renders": "all",
                                      "render_max_age": "30d",
                                      "max_deletions": "100"})

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def test_props_deleted_as_decided(self):
        self.si.faults([{"kind": "skew", "service": "s3", "operation": "DeleteObjects",
                         "offset_s": 7200, "count": 1}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        props = r.items(type="props")
        self.assertEqual(len(props), 2)
        for p in props:
            self.assertEqual((p["result"], p["objects"], p["bytes"]), ("deleted", 1, 300), p)
        for b in (LIVE, OTHER):
            left = keys_left(self.si, b)
            self.assertIn("input-props/edge.json", left, b)
            self.assertNotIn("input-props/old.json", left, b)


class Faults(Base):
    def test_render_gains_an_object_while_deleted(self):
        # Written after the decision, as the deleting listing starts (the
        # first listing's one page is skipped).
        self.si.faults([{"kind": "add_objects", "service": "s3", "operation": "ListObject*",
                         "region": "eu-west-1", "after": 1, "count": 1,
                         "n": 1, "prefix": "renders/%s/late-" % OLD[1]}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 1, r.err)
        x = self.renders(r)[OLD[1]]
        self.assertEqual(x["result"], "failed")
        self.assertIn("partially pruned", x["error"])
        self.assertEqual(x["objects"], 4)         # what was deleted
        self.assertEqual(self.renders(r)[OLD[0]]["result"], "deleted")
        left = [k for k in keys_left(self.si, LIVE) if k.startswith("renders/%s/" % OLD[1])]
        self.assertEqual(len(left), 1)
        # The bucket's figures are what the sweep left, the late object
        # included.
        b = r.items(type="bucket", name=LIVE)[0]
        size = {o["key"]: o["size"] for o in live_objects()}
        left = keys_left(self.si, LIVE)
        self.assertEqual((b["objects"], b["bytes"]), (len(left), sum(size.get(k, 100) for k in left)))
        # The next sweep sees a young render and leaves it.
        r2 = self.jan.sweep("--yes")
        self.assertEqual(self.renders(r2)[OLD[1]]["reason"], "too-young")

    def test_per_key_errors(self):
        self.si.faults([{"kind": "key_errors", "service": "s3", "operation": "DeleteObjects",
                         "n": 1, "code": "AccessDenied", "target": "renders/%s/chunk-0000" % OLD[2]}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 1, r.err)
        x = self.renders(r)[OLD[2]]
        self.assertEqual(x["result"], "failed")
        self.assertIn("1 object could not be deleted: AccessDenied", x["error"])
        self.assertEqual(x["objects"], 3)
        self.assertEqual(self.renders(r)[OLD[0]]["result"], "deleted")
        a = [a for a in self.jan.audit() if a.get("name") == OLD[2]][0]
        self.assertEqual((a["result"], a["error_code"], a["objects"]), ("failed", "AccessDenied", 3))

    def test_transient_key_errors_retried(self):
        self.si.faults([{"kind": "key_errors", "service": "s3", "operation": "DeleteObjects",
                         "n": 2, "code": "InternalError"}])
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual({x["result"] for x in r.items(type="render", decision="delete")}, {"deleted"})


class Generated(Base):
    """Remotion's real layout, generated: random ids, several ages, MB outputs."""
    fx = fixture(objects=[], extra_buckets=[
        {"name": OTHER, "region": "us-east-1", "age_days": 100,
         "generate": {"count": 600, "per_render": 6, "prefix": "renders/", "layout": "remotion",
                      "ages": [2, 40, 10, 90], "output_size": 2 * MB, "size": 50000}}])

    def test_generated_layout(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        rs = self.renders(r, bucket=OTHER)
        self.assertEqual(len(rs), 100)
        self.assertTrue(all(len(i) == 10 for i in rs))
        old = [i for i, x in rs.items() if x["decision"] == "delete"]
        self.assertEqual(len(old), 50)
        self.assertEqual({x["result"] for x in rs.values() if x["decision"] == "delete"}, {"deleted"})
        per = 2 * MB + 2000 + 4 * 50000
        self.assertEqual(sum(x["bytes"] for x in rs.values() if x["result"] == "deleted"), 50 * per)
        left = keys_left(self.si, OTHER)
        self.assertEqual(len([k for k in left if k.startswith("renders/")]), 300)
        # Props of the old renders (2 each) pruned too.
        self.assertEqual(len([k for k in left if "-props/" in k]), 100)



class Daemon(Base):
    def test_status_and_metrics(self):
        import os
        import subprocess
        import time
        d = self.jan.dir
        metrics = os.path.join(d, "metrics.prom")
        self.jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100"},
                              daemon={"metrics_file": metrics, "startup_delay": "0", "interval": "1h",
                                      "jitter": "0"})
        p = subprocess.Popen([jl.BIN, "-c", self.jan.conf], env=jl.base_env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(p.wait)
        self.addCleanup(p.terminate)
        for _ in range(600):                 # bounded: at most 60 s
            if os.path.exists(metrics):
                break
            time.sleep(0.1)
        with open(metrics) as f:
            text = f.read()
        objs = live_objects()
        gone = sizes(objs, lambda k: k.split("/")[1] in OLD + [KEPT] and k.startswith("renders/")) + 620
        self.assertIn("remotion_janitor_renders_pruned_total 4\n", text)
        self.assertIn("remotion_janitor_reclaimed_bytes_total %d\n" % gone, text)
        self.assertIn('remotion_janitor_bucket_stored_bytes{account="default",bucket="%s",region="eu-west-1",category="props"} %d\n'
                      % (LIVE, 100), text)
        self.assertIn('remotion_janitor_bucket_stored_bytes{account="default",bucket="%s",region="eu-west-1",category="sites"} %d\n'
                      % (LIVE, sizes(objs, lambda k: k.startswith("sites/"))), text)
        r = self.jan.run("--status", "--json")
        self.assertEqual(r.rc, 0, r.err)
        stg = r.json["last_sweep"]["accounts"][0]["storage"]
        self.assertEqual((stg["renders"], stg["renders_pruned"], stg["reclaimed_bytes"]), (6, 4, gone))
        self.assertEqual(stg["stored_bytes"], sizes(objs) - gone)   # as the pruning left it
        self.assertEqual(stg["buckets"][0]["bucket"], LIVE)
        self.assertIsNone(stg["buckets"][0]["error"])


class Versioned(Base):
    """With the janitor's policy every version of a render goes."""
    fx = fixture()
    fx["buckets"][0]["versioning"] = "Enabled"
    for o in fx["buckets"][0]["objects"]:
        if o["key"].startswith("renders/%s/" % OLD[0]):
            o["versions"] = 2

    def test_versions_pruned_and_reclaimed(self):
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        x = self.renders(r)[OLD[0]]
        self.assertEqual(x["result"], "deleted")
        self.assertEqual(x["objects"], 8)                  # 4 keys, 2 versions each
        self.assertEqual(x["bytes"], 2 * sizes(render(OLD[0], 45)))
        st_ = self.si.state(objects=True)
        b = [b for b in st_["buckets"] if b["name"] == LIVE][0]
        self.assertFalse([o for o in b["objects"] if o["key"].startswith("renders/%s/" % OLD[0])])
        self.assertIsNone(r.items(type="bucket", name=LIVE)[0]["error"])


class SeedPolicy(unittest.TestCase):
    """Remotion's own user policy: no ListBucketVersions, no
    DeleteObjectVersion, storage on remotion-* only."""

    def run_seed(self, versioning, faults=None, fx=None):
        fx = fx or fixture()
        fx["buckets"][0]["name"] = "remotion-live-bucket"
        fx["buckets"][0]["versioning"] = versioning
        seed = st.need_seed(self)
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=fx)
        self.addCleanup(si.stop)
        if faults:
            si.faults(faults)
        jan = jl.Janitor(si, aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100"})
        self.addCleanup(jan.cleanup)
        self.jan_last = jan
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        return si, jan.sweep("--yes", env=env)

    def test_versioning_unknown_deletes_nothing(self):
        # HeadObject cannot tell: the bucket may be versioned, where a delete
        # only adds a delete marker and reclaims nothing.
        si, r = self.run_seed("Enabled", faults=[{"kind": "error", "service": "s3",
                                                  "operation": "HeadObject", "status": 500,
                                                  "count": -1}])
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name="remotion-live-bucket")[0]
        self.assertIn("reclaimed 0: whether it is versioned is not known", b["error"])
        self.assertEqual(r.items(type="render", decision="delete"), [])
        self.assertEqual(r.items(type="props", decision="delete"), [])
        self.assertEqual(jl.modifying(si.log()), [])       # no delete marker added
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 0)

    def test_versioned_bucket_reported(self):
        si, r = self.run_seed("Enabled")
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name="remotion-live-bucket")[0]
        self.assertIn("reclaimed 0: versioned, needs s3:ListBucketVersions and s3:DeleteObjectVersion", b["error"])
        self.assertIn("--validate", b["error"])
        self.assertEqual({x["reason"] for x in r.items(type="render", decision="keep")} >= {"versioned"}, True)
        self.assertEqual(r.items(type="render", decision="delete"), [])
        self.assertEqual(jl.modifying(si.log()), [])       # no delete marker added
        self.assertEqual(b["bytes"], sizes(live_objects()))

    def test_status_says_what_settles_it(self):
        # The daemon's status names the bucket and the permission that
        # would tell whether it is versioned.
        import os
        import subprocess
        import time
        fx = fixture()
        fx["buckets"][0]["name"] = "remotion-live-bucket"
        fx["buckets"][0]["versioning"] = "Enabled"
        seed = st.need_seed(self)
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=fx)
        self.addCleanup(si.stop)
        si.faults([{"kind": "error", "service": "s3", "operation": "HeadObject", "status": 500, "count": -1}])
        jan = jl.Janitor(si, aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100"})
        self.addCleanup(jan.cleanup)
        metrics = os.path.join(jan.dir, "metrics.prom")
        jan.write_config(aws=ACCT, policy={"mode": "delete", "renders": "all", "max_deletions": "100"},
                         daemon={"metrics_file": metrics, "startup_delay": "0", "interval": "1h",
                                 "jitter": "0"})
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        p = subprocess.Popen([jl.BIN, "-c", jan.conf], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(p.wait)
        self.addCleanup(p.terminate)
        for _ in range(300):                 # bounded: at most 30 s
            if os.path.exists(metrics):
                break
            time.sleep(0.1)
        r = jan.run("--status", "--json")
        self.assertEqual(r.rc, 0, r.err)
        b = r.json["last_sweep"]["accounts"][0]["storage"]["buckets"][0]
        self.assertEqual(b["bucket"], "remotion-live-bucket")
        self.assertIn("whether it is versioned is not known", b["error"])
        self.assertIn("with s3:ListBucketVersions its versions are listed instead", b["error"])
        self.assertEqual(jl.modifying(si.log()), [])

    def test_validate_names_what_render_pruning_needs(self):
        seed = st.need_seed(self)
        si = st.StandIn("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed), fixture=fixture())
        self.addCleanup(si.stop)
        jan = jl.Janitor(si, aws=ACCT, policy={"renders": "artifacts", "buckets": "no"})
        self.addCleanup(jan.cleanup)
        env = jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK, AWS_SECRET_ACCESS_KEY=st.SEED_SK)
        r = jan.run("--validate", env=env)
        for act in ("s3:ListBucketVersions", "s3:DeleteObjectVersion"):
            self.assertRegex(r.out, act + r"\s+arn:aws:s3:::remotion-example\S*\s+implicitDeny")
        self.assertNotIn("s3:DeleteBucket ", r.out)         # buckets = no: not asked
        jan.write_config(aws=ACCT, policy={"renders": "keep", "buckets": "no"})
        self.assertNotIn("s3:DeleteObjectVersion", jan.run("--validate", env=env).out)

    def test_unversioned_bucket_pruned(self):
        si, r = self.run_seed(None)
        self.assertEqual(r.rc, 0, r.err)
        rs = {x["name"]: x for x in r.items(type="render")}
        self.assertEqual(rs[OLD[0]]["result"], "deleted")
        self.assertIsNone(r.items(type="bucket", name="remotion-live-bucket")[0]["error"])

    # Issue 19, finding 2: only a bucket known never to have been versioned
    # is pruned by key.

    def assert_nothing_pruned(self, si, r, reason, fx):
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name="remotion-live-bucket")[0]
        self.assertIn(reason, b["error"] or "")
        self.assertIn("s3:ListBucketVersions", b["error"])
        self.assertEqual(r.items(type="render", decision="delete"), [])
        self.assertEqual(r.items(type="props", decision="delete"), [])
        self.assertEqual([x for x in r.items(type="render") if x.get("result") == "deleted"], [])
        self.assertEqual(jl.modifying(si.log()), [])       # no delete marker added
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 0)
        self.assertEqual(b["bytes"], sizes(fx["buckets"][0]["objects"]))
        return b

    def test_version_id_null_means_versioned(self):
        # Objects written before versioning was enabled answer
        # x-amz-version-id: null; the bucket is versioned all the same.
        fx = fixture()
        for o in fx["buckets"][0]["objects"]:
            o["null_version"] = True
        si, r = self.run_seed("Enabled", fx=fx)
        self.assert_nothing_pruned(si, r, "reclaimed 0: versioned, needs s3:ListBucketVersions", fx)

    def test_first_key_refused_by_the_key_encoder(self):
        # ./robots.txt cannot be sent in a path; the probe is made on an
        # object pruning would delete, which tells.
        fx = fixture()
        fx["buckets"][0]["objects"].insert(0, {"key": "./robots.txt", "size": 10, "age_days": 300})
        si, r = self.run_seed("Enabled", fx=fx)
        self.assert_nothing_pruned(si, r, "reclaimed 0: versioned", fx)

    def test_probe_not_sent_is_unknown(self):
        # The object to probe cannot be asked for: unknown, nothing pruned,
        # and the bucket says which permission would settle it.
        fx = fixture()
        objs = [o for o in fx["buckets"][0]["objects"] if o["key"].startswith("renders/")]
        objs.insert(0, {"key": "renders/./x.json", "size": 10, "age_days": 300})
        fx["buckets"][0]["objects"] = objs
        si, r = self.run_seed("Enabled", fx=fx)
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name="remotion-live-bucket")[0]
        self.assertIn("reclaimed 0: whether it is versioned is not known", b["error"] or "")
        self.assertIn("cannot be sent", b["error"])
        self.assertIn("with s3:ListBucketVersions its versions are listed instead", b["error"])
        self.assertEqual(r.items(type="render", decision="delete"), [])
        self.assertEqual(jl.modifying(si.log()), [])
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 0)

    def test_delete_marker_stops_pruning(self):
        # HeadObject hides the version id: the bucket reads as never
        # versioned, and the key-only DeleteObjects answers that it added
        # delete markers.  Reported as hidden keys, never as deleted.
        si, r = self.run_seed("Enabled", faults=[{"kind": "drop_header", "service": "s3",
                                                  "operation": "HeadObject", "count": -1}])
        self.assertEqual(r.rc, 1, r.err)
        dels = [e for e in si.log() if e.get("operation") == "DeleteObjects"]
        self.assertEqual(len(dels), 1)
        rs = {x["name"]: x for x in r.items(type="render", decision="delete")}
        self.assertEqual(set(rs), set(OLD + [KEPT]))
        for rid, x in rs.items():
            self.assertEqual(x["result"], "failed", x)
            self.assertIn("DeleteObjects added a delete marker over 4 keys", x["error"])
            self.assertIn('"renders/%s/out.mp4"' % rid, x["error"])    # by key
            self.assertIn("nothing reclaimed", x["error"])
        self.assertEqual(r.json["summary"]["reclaimed_bytes"], 0)
        self.assertEqual(r.json["summary"]["deleted"], 0)
        b = r.items(type="bucket", name="remotion-live-bucket")[0]
        self.assertIn("pruning stopped: DeleteObjects added delete markers", b["error"])
        self.assertIn("s3:ListBucketVersions", b["error"])
        audit = self.jan_last.audit()
        self.assertTrue(audit)
        for a in audit:
            self.assertEqual(a["result"], "failed", a)
            self.assertEqual(a["bytes"], 0, a)
        self.assertIn("is now hidden by a delete marker", r.err)


if __name__ == "__main__":
    unittest.main()
