"""Time through the real binary (issue 19, findings 1 and 9): age and grace
are judged by the machine's clock only.  A server's Date corrects the time
requests are signed with, within a day, and nothing else: answers
dated 400 days ahead or 200 days behind delete nothing young and save no
grace clock in the past.  A grace clock read from the state file is
accepted only if it is not in the future and not earlier than its resource
nor than the account's first sweep; else its grace restarts, said once."""
import json
import os
import time
import unittest

import janlib as jl
from janlib import st

DAY = 86400
LIVE = "remotionlambda-euwest1-clockclock"
YOUNG_FN = "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-young"
OLD_FN = ["remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-old%02d" % i for i in range(3)]
ANCIENT = "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-ancient"
LAYER = "remotion-binaries-arm64"
ACCT = {"regions": "eu-west-1", "account_id": jl.ACCOUNT}


def render(rid, age):
    return [{"key": "renders/%s/%s" % (rid, n), "size": 1000, "age_days": age}
            for n in ("out.mp4", "progress.json", "chunk-0000")]


def fixture():
    """Young things (a 1-day-old function, a 2-day-old layer version, 2-
    and 10-day-old renders), 30-day-old functions for the state-file
    cases, and a 400-day-old one, old even by a clock 200 days behind."""
    return st.small_fixture(
        regions=["eu-west-1", "us-east-1"], disabled_regions=[],
        functions=[{"region": "eu-west-1", "name": YOUNG_FN, "age_days": 1}]
        + [{"region": "eu-west-1", "name": n, "age_days": 30} for n in OLD_FN]
        + [{"region": "eu-west-1", "name": ANCIENT, "age_days": 400}],
        layers=[{"region": "eu-west-1", "name": LAYER,
                 "versions": [{"version": 1, "age_days": 2}, {"version": 2, "age_days": 1}]}],
        buckets=[{"name": LIVE, "region": "eu-west-1", "age_days": 300,
                  "objects": render("young00002", 2) + render("young00010", 10)}])


class Base(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture=fixture())
        self.jan = jl.Janitor(self.si, aws=ACCT)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def policy(self, **kw):
        pol = {"mode": "delete", "renders": "all", "render_max_age": "30d",
               "max_deletions": "100"}
        pol.update(kw)
        self.jan.write_config(aws=ACCT, policy=pol)

    def functions(self):
        return sorted(f["name"] for f in self.si.state()["functions"])

    def clocks(self):
        return self.jan.state()["accounts"][jl.ACCOUNT]["clocks"]

    def write_state(self, state):
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            json.dump(state, f)

    def assert_nothing_deleted(self):
        self.assertEqual(jl.modifying(self.si.log()), [])
        self.assertEqual(self.functions(), sorted(OLD_FN + [YOUNG_FN, ANCIENT]))


class ServerDate(Base):
    """A server's Date never decides what is old."""

    def test_date_400_days_ahead_deletes_nothing_young(self):
        # The stand-in's clock jumps 400 days ahead at the first request:
        # every later answer is a clock error dated then.
        self.policy(min_age="7d")
        self.si.faults([{"kind": "skew", "offset_s": 400 * DAY, "count": 1}])
        r = self.jan.run("--sweep", "--json", "--yes", timeout=60)
        self.assert_nothing_deleted()
        self.assertNotEqual(r.rc, 0, r.err)
        self.assertIn("beyond the 86400 s", r.err)
        self.assertEqual(self.si.state(objects=True)["buckets"][0]["name"], LIVE)
        left = [o["key"] if isinstance(o, dict) else o
                for o in self.si.state(objects=True)["buckets"][0]["objects"]]
        self.assertEqual(len(left), 6)

    def test_lying_date_deletes_nothing_young(self):
        # One answer dated 400 days ahead, the stand-in's clock honest.
        self.policy(min_age="7d")
        self.si.faults([{"kind": "bad_date", "offset_s": 400 * DAY, "service": "lambda",
                         "operation": "ListLayers"}])
        r = self.jan.sweep("--yes")
        self.assertIn("beyond the 86400 s", r.err)
        for x in r.items(name=YOUNG_FN) + r.items(type="render"):
            self.assertEqual(x["decision"], "keep", x)
        self.assertEqual([e for e in jl.modifying(self.si.log())
                          if YOUNG_FN in (e.get("target") or "") or "young000" in (e.get("target") or "")], [])
        self.assertIn(YOUNG_FN, self.functions())

    def test_date_200_days_behind_saves_no_clock_in_the_past(self):
        # A report sweep while the server's clock is 200 days behind, then
        # an honest deleting sweep with a 7-day grace: nothing goes yet.
        self.policy(mode="report", grace="7d")
        self.si.faults([{"kind": "skew", "offset_s": -200 * DAY, "count": 1}])
        t0 = time.time()
        r = self.jan.sweep(timeout=60)
        if os.path.exists(os.path.join(self.jan.dir, "state.json")):
            st_ = self.jan.state().get("accounts", {}).get(jl.ACCOUNT, {})
            for k, v in st_.get("clocks", {}).items():
                self.assertGreaterEqual(v, int(t0) - 1, k)
        self.si.control("POST", "clock", {"offset_s": 0})
        self.si.faults([])
        self.policy(grace="7d")
        r2 = self.jan.sweep("--yes")
        self.assertEqual(r2.rc, 0, r2.err)
        self.assertEqual(r2.json["summary"]["candidates"], 0)
        self.assert_nothing_deleted()
        for k, v in self.clocks().items():
            self.assertGreaterEqual(v, int(t0) - 1, k)
            self.assertLessEqual(v, int(time.time()), k)
        self.assertIn("beyond the 86400 s", r.err)

    def test_skew_within_the_bound_signs_only(self):
        # The stand-in an hour ahead: requests are signed with the
        # correction, but grace clocks are the machine's time, never ahead.
        self.policy(mode="report", grace="7d")
        self.si.control("POST", "clock", {"offset_s": 3600})
        r = self.jan.sweep(timeout=60)
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("clock skew of", r.err)
        t1 = int(time.time())
        clocks = self.clocks()
        self.assertTrue(clocks)
        for k, v in clocks.items():
            self.assertLessEqual(v, t1, k)
        self.assertLessEqual(self.jan.state()["accounts"][jl.ACCOUNT]["first_sweep"], t1)
        self.assertEqual(r.json["summary"]["candidates"], 0)


class StoredClocks(Base):
    """The state file's clocks: accepted only when they can be true."""

    def first(self):
        # A first sweep starts the clocks of the old functions.
        self.policy(grace="1d")
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["candidates"], 0)
        state = self.jan.state()
        acct = state["accounts"][jl.ACCOUNT]
        self.assertLessEqual(acct.get("first_sweep", 0), int(time.time()))
        keys = ["function|eu-west-1|%s|0" % n for n in OLD_FN]
        for k in keys:
            self.assertIn(k, acct["clocks"])
        return state, acct, keys

    def restarted(self, state):
        self.write_state(state)
        t0 = int(time.time())
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assert_nothing_deleted()
        self.assertEqual(r.json["summary"]["candidates"], 0, r.err)
        self.assertEqual(r.err.count("grace clocks of the state file not accepted"), 1, r.err)
        for n in OLD_FN:
            x = r.items(name=n)[0]
            self.assertEqual(x["reason"], "in-grace", x)
        for k, v in self.clocks().items():
            self.assertGreaterEqual(v, t0 - 1, k)
            self.assertLessEqual(v, int(time.time()), k)
        return r

    def test_two_days_later_deletes(self):
        # Every time in the file two days older, as two days later: the
        # clocks are accepted and the grace is over.
        state, acct, keys = self.first()
        if "first_sweep" in acct:
            acct["first_sweep"] -= 2 * DAY
        for k in acct["clocks"]:
            acct["clocks"][k] -= 2 * DAY
        self.write_state(state)
        r = self.jan.sweep("--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertNotIn("not accepted", r.err)
        self.assertEqual(sorted(x["name"] for x in r.items(result="deleted")), sorted(OLD_FN + [ANCIENT]))

    def test_clock_of_zero_restarts(self):
        state, acct, keys = self.first()
        for k in keys:
            acct["clocks"][k] = 0
        r = self.restarted(state)
        self.assertIn("3 earlier than their resource", r.err)

    def test_clock_in_the_future_restarts(self):
        state, acct, keys = self.first()
        for k in keys:
            acct["clocks"][k] = int(time.time()) + 400 * DAY
        r = self.restarted(state)
        self.assertIn("(3 in the future", r.err)

    def test_clock_before_the_resource_restarts(self):
        # Even with a first sweep on record older still.
        state, acct, keys = self.first()
        acct["first_sweep"] = int(time.time()) - 500 * DAY
        for k in keys:
            acct["clocks"][k] = int(time.time()) - 400 * DAY
        r = self.restarted(state)
        self.assertIn("3 earlier than their resource", r.err)

    def test_clocks_copied_from_another_account_restart(self):
        # Another account swept long ago: its clocks, 10 days old (younger
        # than the resources), copied into this account's entry.
        state, acct, keys = self.first()
        other = {"first_sweep": int(time.time()) - 100 * DAY,
                 "clocks": {k: int(time.time()) - 10 * DAY for k in keys}}
        state["accounts"]["210987654321"] = other
        acct["clocks"].update(other["clocks"])
        r = self.restarted(state)
        self.assertIn("3 earlier than the account's first sweep", r.err)


if __name__ == "__main__":
    unittest.main()
