"""The fault matrix (issue 7): the real binary in delete mode against the
stand-in with one fault at a time.  For every case: no crash, the expected
exit code and region status, retries where they are due, no modifying
request for a name outside the scope, nothing deleted of a kind whose
listing was incomplete, and the audit log and the state file parseable."""
import json
import os
import signal
import socket
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

REGIONS = "eu-west-1, us-east-1, eu-central-1"
POLICY = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}


def F(kind, **kw):
    d = {"kind": kind}
    d.update(kw)
    return d


# name: (faults, expected exit code, {region: {kind: status}} checks, extra config)
CASES = {
    "500_then_ok": ([F("error", status=500, service="lambda", operation="ListFunctions", region="eu-west-1",
                       count=2)], 0, {}),
    "503_forever_layers": ([F("error", status=503, service="lambda", operation="ListLayers", region="us-east-1",
                              count=-1)], 1, {"us-east-1": "layer"}),
    "429_retry_after": ([F("throttle", retry_after=1, service="lambda", operation="DeleteFunction", count=1)], 0, {}),
    "slowdown_listing_versions": ([F("throttle", service="s3", operation="ListObjectVersions", count=2,
                                     retry_after=0)], 0, {}),
    "throttling_sts": ([F("throttle", service="sts", operation="GetCallerIdentity", count=1, retry_after=0)], 0, {}),
    "reset_mid_body": ([F("reset", service="lambda", operation="ListFunctions", region="eu-central-1", count=1),
                        F("reset", service="s3", operation="ListObjectVersions", count=1)], 0, {}),
    "truncated_body": ([F("truncate", service="s3", operation="ListBuckets", count=1),
                        F("truncate", service="s3", operation="DeleteObjects", count=1)], 0, {}),
    "malformed_xml": ([F("malformed", service="s3", operation="ListObjectVersions", count=1)], 0, {}),
    "malformed_json": ([F("malformed", service="lambda", operation="ListLayerVersions", count=2)], 0, {}),
    "error_in_200": ([F("error200", service="s3", operation="DeleteObjects", count=1),
                      F("error200", service="s3", operation="ListBuckets", count=1)], 0, {}),
    "malformed_forever": ([F("malformed", service="lambda", operation="ListFunctions", region="eu-west-1",
                             count=-1)], 1, {"eu-west-1": "function"}),
    "skewed_date": ([F("skew", offset_s=7200, service="lambda", operation="ListFunctions", region="us-east-1",
                       count=1)], 0, {}),
    "vanish_between_list_and_delete": ([F("vanish", n=5, service="lambda", operation="ListFunctions",
                                          region="eu-west-1", count=1)], 0, {}),
    "objects_appear_while_emptying": ([F("add_objects", n=50, service="s3", operation="DeleteObjects",
                                         count=3)], 0, {}),
    "per_key_errors": ([F("key_errors", n=10, code="InternalError", service="s3", operation="DeleteObjects",
                          count=2)], 0, {}),
    "no_bucket_region": ([F("no_bucket_region", service="s3", operation="ListBuckets", count=-1)], 0, {}),
    "wrong_region_400": ([F("wrong_region_400", service="s3", count=-1)], 0, {}),
    "stall_past_timeout": ([F("stall", seconds=4, service="lambda", operation="ListLayers", region="eu-west-1",
                              count=1)], 0, {}, {"request_timeout": "1s"}),
}


class Matrix(unittest.TestCase):
    def check_invariants(self, si, jan, run):
        log = si.log()
        bad = [e for e in jl.modifying(log) if not jl.in_scope_target(e)]
        self.assertEqual(bad, [], "modifying request outside the scope")
        self.assertGreaterEqual(run.rc, 0, "killed by a signal")
        if run.json:
            inc = {r["region"] for r in run.json["accounts"][0]["regions"] if r["status"] == "incomplete"}
            for x in run.json["accounts"][0]["resources"]:
                if x["result"] == "deleted":
                    self.assertNotEqual(x["reason"], "region-incomplete")
            for e in jl.modifying(log):
                if e["operation"] == "DeleteFunction" and e["region"] in inc:
                    inc_kinds = [r for r in run.json["accounts"][0]["regions"] if r["region"] == e["region"]]
                    self.assertNotIn("ListFunctions", inc_kinds[0]["error"] or "")
        for a in jan.audit():
            self.assertIn(a["result"], ("deleted", "failed", "refused"))
        if os.path.exists(os.path.join(jan.dir, "state.json")):
            self.assertIn("clocks", jan.state())

    def run_case(self, name):
        spec = CASES[name]
        faults, want_rc, incomplete = spec[0], spec[1], spec[2]
        extra = spec[3] if len(spec) > 3 else {}
        si = st.StandIn(fixture=st.small_fixture())
        aws = {"regions": REGIONS, "account_id": jl.ACCOUNT}
        aws.update(extra)
        jan = jl.Janitor(si, aws=aws, policy=POLICY)
        try:
            si.faults(faults)
            r = jan.sweep("--yes")
            self.check_invariants(si, jan, r)
            self.assertEqual(r.rc, want_rc, "%s: %s" % (name, r.err[-2000:]))
            status = {x["region"]: x for x in r.json["accounts"][0]["regions"]}
            for region, kind in incomplete.items():
                self.assertEqual(status[region]["status"], "incomplete")
                op = {"function": "ListFunctions", "layer": "ListLayers"}[kind]
                self.assertIn(op, status[region]["error"])
                mods = [e for e in jl.modifying(si.log()) if e["region"] == region and
                        e["operation"] == ("DeleteFunction" if kind == "function" else "DeleteLayerVersion")]
                self.assertEqual(mods, [], "deleted on an incomplete inventory")
            if want_rc == 0:
                # Everything the policy allowed is gone (the faults were survived).
                self.assertEqual(r.json["summary"]["failed"], 0)
                self.assertEqual({b["name"] for b in si.state()["buckets"]}, {"remotionfan"})
            return r, si
        finally:
            jan.cleanup()
            si.stop()


def make(name):
    def test(self):
        self.run_case(name)
    test.__name__ = "test_" + name
    return test


for _n in CASES:
    setattr(Matrix, "test_" + _n, make(_n))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class KilledStandIn(unittest.TestCase):
    """The stand-in killed and restarted in the middle of a sweep."""

    def test_killed_and_restarted(self):
        fx = st.small_fixture()
        port = free_port()
        tmp = os.path.join("/tmp", "jan-kill-%d" % os.getpid())
        os.makedirs(tmp, exist_ok=True)
        fpath = os.path.join(tmp, "fx.json")
        with open(fpath, "w") as f:
            json.dump(fx, f)

        def start():
            p = subprocess.Popen([st.PY, st.SCRIPT, "--port", str(port), "--fixture", fpath, "--latency-ms", "30",
                                  "--max-lifetime", "120"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            while time.time() - t0 < 10:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    return p
                except OSError:
                    time.sleep(0.02)
            p.kill()
            raise RuntimeError("stand-in did not start")

        class Fake:
            url = "http://127.0.0.1:%d" % port
        jan = jl.Janitor(Fake, aws={"regions": REGIONS, "account_id": jl.ACCOUNT}, policy=POLICY)
        si = start()
        try:
            env = jl.base_env(REMOTION_JANITOR_RETRY_BASE_MS="300")
            p = subprocess.Popen([jl.BIN, "-c", jan.conf, "--sweep", "--yes", "--json"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.4)
            si.send_signal(signal.SIGKILL)
            si.wait()
            time.sleep(0.3)
            si = start()
            out, err = p.communicate(timeout=120)
            self.assertIn(p.returncode, (0, 1), err[-2000:])
            doc = json.loads(out)
            self.assertTrue(all(x["result"] in (None, "deleted", "failed", "dry-run", "refused")
                                for x in doc["accounts"][0]["resources"]))
            for a in jan.audit():
                self.assertIn(a["result"], ("deleted", "failed", "refused"))
            self.assertIn("clocks", jan.state())
            # A new sweep against the restarted stand-in completes.
            r = jan.sweep("--yes")
            self.assertEqual(r.rc, 0, r.err[-2000:])
        finally:
            si.kill()
            si.wait()
            jan.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
