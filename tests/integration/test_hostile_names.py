"""Hostile names (issue 10): the real binary in delete mode against a
stand-in whose listings carry names AWS could not have created (the
`hostile_names` fault).  For every case: no modifying request for anything
but the fixture's own in-scope resources, no request at all for a hostile
name, no request path with a dot segment, the kind in that region reported
incomplete with the right `invalid` count and exit code 1, everything else
(other kinds, other regions) still handled, no secret in any output."""
import os
import subprocess
import time
import unittest
from urllib.parse import unquote

import janlib as jl
from janlib import st

REGIONS = "eu-west-1, us-east-1, eu-central-1"
POLICY = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}

FN = "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-%03d"
B_EU = "remotionlambda-euwest1-0123456789"
B_US = "remotionlambda-useast1-abcdefghij"
LONG = "remotion-" + "a" * 200


def fixture():
    return st.small_fixture(
        functions=[{"region": "eu-west-1", "name": FN % i, "age_days": 30} for i in range(60)]
        + [{"region": "us-east-1", "name": "remotion-render-useast", "age_days": 30},
           {"region": "eu-central-1", "name": "remotion-render-eucentral", "age_days": 30},
           {"region": "eu-west-1", "name": "remotionfan", "age_days": 30}],
        layers=[{"region": "eu-west-1", "name": "remotion-binaries-arm64",
                 "versions": [{"version": v, "age_days": 40} for v in range(1, 4)]},
                {"region": "us-east-1", "name": "remotion-binaries-x86",
                 "versions": [{"version": v, "age_days": 40} for v in range(1, 3)]}],
        buckets=[{"name": B_EU, "region": "eu-west-1", "age_days": 20,
                  "objects": [{"key": "renders/a/out.mp4"}, {"key": "b.txt"}]},
                 {"name": B_US, "region": "us-east-1", "age_days": 20,
                  "objects": [{"key": "c.txt"}]},
                 {"name": "remotionfan", "region": "us-east-1", "objects": [{"key": "keep.txt"}]}])


def hostile(op, region, names=None, versions=None, **kw):
    d = {"kind": "hostile_names", "service": "s3" if op == "ListBuckets" else "lambda",
         "operation": op, "count": -1}
    if region:
        d["region"] = region
    if names is not None:
        d["names"] = names
    if versions is not None:
        d["versions"] = versions
    d.update(kw)
    return d


def lf(names):
    return hostile("ListFunctions", "eu-west-1", names)


def ll(names):
    return hostile("ListLayers", "us-east-1", names)


def lv(versions):
    return hostile("ListLayerVersions", "eu-west-1", versions=versions)


def lb(names, **kw):
    return hostile("ListBuckets", None, names, **kw)


# name: (fault, {invalid kind: count}, incomplete (region, kind) or None)
# kind: "function", "layer", "bucket" (a bucket listing is global: it is
# reported on us-east-1 and blocks every bucket deletion).
CASES = {
    "fn_dot_segments": (lf(["remotion-a/../" + FN % 1, "remotion-..", "remotion-./x"]),
                        {"functions": 3}, ("eu-west-1", "function")),
    "fn_percent_2e": (lf(["remotion-%2e%2e", "remotion-%2F..%2F" + FN % 2]), {"functions": 2},
                      ("eu-west-1", "function")),
    "fn_query_fragment_userinfo": (lf(["remotion-a?Marker=x", "remotion-a#frag", "remotion-a@127.0.0.1"]),
                                   {"functions": 3}, ("eu-west-1", "function")),
    "fn_over_long": (lf([LONG[:65], LONG]), {"functions": 2}, ("eu-west-1", "function")),
    "fn_crlf": (lf(["remotion-a\r\nX-Amz-Target: evil", "remotion-\u00e9"]), {"functions": 2},
                ("eu-west-1", "function")),
    # A NUL cannot be a C string: the page is refused as malformed.
    "fn_nul": (lf(["remotion-a\u0000/../x"]), {}, ("eu-west-1", "function")),
    "layer_names": (ll(["remotion-l/../remotion-binaries-x86", "remotion-l.x", "remotion-l%2e"]),
                    {"layers": 3}, ("us-east-1", "layer")),
    # Versions that are not positive integers: the page is refused.
    "layer_version_negative": (lv([-1]), {}, ("eu-west-1", "layer")),
    "layer_version_zero": (lv([0]), {}, ("eu-west-1", "layer")),
    "layer_version_string": (lv(["1/../2"]), {}, ("eu-west-1", "layer")),
    "layer_version_fraction": (lv([1.5]), {}, ("eu-west-1", "layer")),
    "layer_version_overflow": (lv([2 ** 63]), {}, ("eu-west-1", "layer")),
    "bucket_dot_segments": (lb(["remotion-a/../" + B_US, "remotion-a..b", "remotion-..%2f"]),
                            {"buckets": 3}, ("us-east-1", "bucket")),
    "bucket_uppercase": (lb(["remotion-UPPER"]), {"buckets": 1}, ("us-east-1", "bucket")),
    "bucket_host_injection": (lb(["remotion-a@evil.example", "remotion-a?x", "remotion-a#x",
                                  "remotion-a\r\nb", "remotion-a-s3alias"]),
                              {"buckets": 5}, ("us-east-1", "bucket")),
    "bucket_over_long": (lb([LONG[:64]]), {"buckets": 1}, ("us-east-1", "bucket")),
    # One bucket in two regions (a real one listed again elsewhere).
    "bucket_two_regions": (lb([B_EU], bucket_region="us-east-1"), {}, ("us-east-1", "bucket")),
    # XML cannot carry a NUL: the answer is malformed.
    "bucket_nul": (lb(["remotion-a\u0000b"]), {}, ("us-east-1", "bucket")),
}

# Out of scope, however hostile: only counted as ignored, never named,
# nothing incomplete.
OUT_OF_SCOPE = {
    "functions": lf(["other/../" + FN % 3, "Remotion-../x", "remotion"]),
    "buckets": lb(["192.168.5.4", "10.0.0.1", "xremotion-a/../b", "remotion"]),
}


def settled_log(si):
    """The request log once it stops growing: the stand-in adds an entry
    just after it has written the answer, so the last one can lag behind
    the client's exit by a moment."""
    log = si.log()
    for _ in range(100):
        time.sleep(0.05)
        again = si.log()
        if len(again) == len(log):
            return again
        log = again
    return log


def dot_segment(path):
    segs = path.split("?")[0].split("/")
    return any(s in (".", "..") or unquote(s) in (".", "..") for s in segs)


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=fixture())

    @classmethod
    def tearDownClass(cls):
        cls.si.stop()

    def sweep(self, faults, *args, as_json=True, policy=None):
        si = self.si
        code, body = si.control("POST", "fixture", fixture())     # also resets the users' policies
        self.assertEqual(code, 200, body)
        if policy is not None:
            code, body = si.control("POST", "policy", {"policy": policy, "user": "janitor-test"})
            self.assertEqual(code, 200, body)
        si.control("POST", "reset-log")
        si.faults(faults)
        jan = jl.Janitor(si, aws={"regions": REGIONS, "account_id": jl.ACCOUNT}, policy=POLICY)
        try:
            r = jan.sweep("--yes", *args) if as_json else jan.run("--sweep", "--yes", *args)
        finally:
            jan.cleanup()
        return r, settled_log(si)

    def check_wire(self, log, hostile_names):
        valid = {f % i for f in (FN,) for i in range(60)} | {
            "remotion-render-useast", "remotion-render-eucentral", "remotion-binaries-arm64",
            "remotion-binaries-x86", B_EU, B_US}
        for e in log:
            self.assertFalse(dot_segment(e["path"]), "dot segment on the wire: %r" % e["path"])
            if e.get("target") is not None:
                self.assertNotIn(e["target"], hostile_names, "a request named a hostile name")
            if e.get("modifies"):
                self.assertIn(e["target"], valid, "modifying request outside the fixture: %r" % e)

    def deleted(self, log, op, region=None):
        return [e for e in log if e["operation"] == op and e.get("modifies") and e["status"] < 300
                and (region is None or e["region"] == region)]

    def run_case(self, name):
        fault, invalid, (region, kind) = CASES[name]
        r, log = self.sweep([fault])
        names = fault.get("names") or []
        self.check_wire(log, set(names))
        self.assertEqual(r.rc, 1, r.err[-2000:])
        want = {"buckets": 0, "functions": 0, "layers": 0, "log_groups": 0}
        want.update(invalid)
        self.assertEqual(r.json["accounts"][0]["ignored"]["invalid"], want)
        status = {x["region"]: x for x in r.json["accounts"][0]["regions"]}
        self.assertEqual(status[region]["status"], "incomplete")
        op = {"function": "ListFunctions", "layer": "ListLayer", "bucket": "ListBuckets"}[kind]
        self.assertIn(op, status[region]["error"])
        # Nothing of that kind deleted there; everything else handled.
        if kind == "function":
            self.assertEqual(self.deleted(log, "DeleteFunction", region), [])
            self.assertEqual(len(self.deleted(log, "DeleteFunction")), 2)
        else:
            self.assertEqual(len(self.deleted(log, "DeleteFunction")), 62)
        if kind == "layer":
            self.assertEqual(self.deleted(log, "DeleteLayerVersion", region), [])
            self.assertEqual(len(self.deleted(log, "DeleteLayerVersion")), 1 if region == "eu-west-1" else 2)
        else:
            self.assertEqual(len(self.deleted(log, "DeleteLayerVersion")), 3)
        if kind == "bucket":
            self.assertEqual(self.deleted(log, "DeleteBucket"), [])
            self.assertEqual(self.deleted(log, "DeleteObjects"), [])
        else:
            self.assertEqual(sorted(e["target"] for e in self.deleted(log, "DeleteBucket")), sorted([B_EU, B_US]))
        # The name is logged once, escaped: no raw control byte in the output.
        for n in names:
            if "\r" in n:
                self.assertIn("\\x0d\\x0a", r.err)
        self.assertNotIn("\r", r.err)
        return r

    def test_duplicates_across_pages(self):
        # A real function on every page of a 2-page listing, a real layer
        # version twice, a real bucket twice: one resource, one request each.
        r, log = self.sweep([lf([FN % 7]), lv([1]), lb([B_EU], bucket_region="eu-west-1")])
        self.check_wire(log, set())
        self.assertEqual(r.rc, 0, r.err[-2000:])
        self.assertEqual(r.json["accounts"][0]["ignored"]["invalid"], {"buckets": 0, "functions": 0, "layers": 0, "log_groups": 0})
        self.assertEqual(len(r.items(name=FN % 7)), 1)
        self.assertEqual(len([e for e in self.deleted(log, "DeleteFunction") if e["target"] == FN % 7]), 1)
        self.assertEqual(len(self.deleted(log, "DeleteFunction")), 62)
        v1 = [e for e in log if e["operation"] == "DeleteLayerVersion" and e["region"] == "eu-west-1"
              and e["path"].endswith("/versions/1")]
        self.assertEqual(len(v1), 1)
        self.assertEqual(len([e for e in log if e["operation"] == "DeleteBucket" and e["target"] == B_EU]), 1)
        self.assertIn("more than once", r.err)

    def test_out_of_scope_hostile_names_are_only_ignored(self):
        r, log = self.sweep(list(OUT_OF_SCOPE.values()))
        hostile_names = set(n for f in OUT_OF_SCOPE.values() for n in f["names"])
        self.check_wire(log, hostile_names)
        self.assertEqual(r.rc, 0, r.err[-2000:])
        self.assertEqual(r.json["accounts"][0]["ignored"]["invalid"], {"buckets": 0, "functions": 0, "layers": 0, "log_groups": 0})
        self.assertGreaterEqual(r.json["accounts"][0]["ignored"]["functions"], 3 + 1)
        self.assertGreaterEqual(r.json["accounts"][0]["ignored"]["buckets"], 4 + 1)
        for n in hostile_names - {"remotion"}:     # a bare prefix is in every name
            self.assertNotIn(n, r.out)
            self.assertNotIn(n, r.err)

    def test_huge_latest_layer_version_not_probed(self):
        # Without lambda:ListLayerVersions versions are probed one by one up
        # to the latest number ListLayers gives: a huge one is not probed.
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "lambda:ListLayerVersions", "Resource": "*"}]}
        r, log = self.sweep([hostile("ListLayers", "eu-west-1", ["remotion-huge"], latest_version=2 ** 62)],
                            "--dry-run", policy=policy)
        self.check_wire(log, set())
        self.assertEqual(r.rc, 1, r.err[-2000:])
        status = {x["region"]: x for x in r.json["accounts"][0]["regions"]}
        self.assertEqual(status["eu-west-1"]["status"], "incomplete")
        self.assertIn("too large to probe", status["eu-west-1"]["error"])
        self.assertEqual([e for e in log if e["operation"] == "GetLayerVersion" and e["target"] == "remotion-huge"],
                         [])
        # The real layer beside it is still probed (3 versions).
        self.assertEqual(len([e for e in log if e["operation"] == "GetLayerVersion"
                              and e["target"] == "remotion-binaries-arm64"]), 3)

    def test_many_invalid_names_counted_log_capped(self):
        names = ["remotion-bad.%d" % i for i in range(150)]
        r, log = self.sweep([lf(names)], "--dry-run")
        self.check_wire(log, set(names))
        self.assertEqual(r.rc, 1, r.err[-2000:])
        self.assertEqual(r.json["accounts"][0]["ignored"]["invalid"]["functions"], 150)
        self.assertEqual(r.err.count("cannot have created"), 100)
        self.assertEqual(r.err.count("more invalid names: counted, not logged"), 1)

    def test_summary_line_counts_invalid(self):
        r, log = self.sweep([lf(["remotion-a/../b"]), lb(["remotion-UPPER"])], "--dry-run",
                            as_json=False)
        self.check_wire(log, {"remotion-a/../b", "remotion-UPPER"})
        self.assertEqual(r.rc, 1, r.err[-2000:])
        self.assertIn("invalid 1 buckets, 1 functions, 0 layers", r.out)
        self.assertIn('"remotion-a/../b"', r.err)
        self.assertEqual(r.err.count('"remotion-UPPER"'), 1)


class DaemonStatus(unittest.TestCase):
    """The daemon's status socket, `--status` and the metrics file show the
    invalid count of the last sweep."""

    def test_status_and_metrics_show_invalid(self):
        si = st.StandIn(fixture=fixture())
        jan = jl.Janitor(si)
        metrics = os.path.join(jan.dir, "metrics.prom")
        jan.write_config(aws={"regions": REGIONS, "account_id": jl.ACCOUNT}, policy={"mode": "report"},
                         daemon={"startup_delay": "0", "interval": "1h", "jitter": "0",
                                 "metrics_file": metrics})
        si.faults([lf(["remotion-a/../b", "remotion-a\r\nb"]), ll(["remotion-l.x"])])
        p = subprocess.Popen([jl.BIN, "-c", jan.conf], env=jl.base_env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            sock = os.path.join(jan.dir, "sock")
            last = None
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.path.exists(sock):
                    r = jan.run("--status", "--json")
                    if r.rc == 0 and r.json and r.json.get("last_sweep"):
                        last = r.json["last_sweep"]
                        break
                time.sleep(0.1)
            self.assertIsNotNone(last, "no sweep finished")
            self.assertEqual(last["accounts"][0]["ignored"]["invalid"], {"buckets": 0, "functions": 2, "layers": 1, "log_groups": 0})
            self.assertEqual(last["exit_code"], 1)
            self.assertIn("eu-west-1", last["accounts"][0]["regions_incomplete"])
            self.assertIn("us-east-1", last["accounts"][0]["regions_incomplete"])
            human = jan.run("--status")
            self.assertIn("invalid names (listing not trusted): 0 buckets, 2 functions, 1 layers", human.out)
            with open(metrics) as f:
                text = f.read()
            self.assertIn('remotion_janitor_invalid_names{account="default",type="function"} 2', text)
            self.assertIn('remotion_janitor_invalid_names{account="default",type="layer"} 1', text)
            self.assertIn('remotion_janitor_invalid_names{account="default",type="bucket"} 0', text)
        finally:
            p.terminate()
            out, err = p.communicate(timeout=30)
            for sec in jl.SECRETS:
                self.assertNotIn(sec, out + err)
            self.assertNotIn("\r", err)
            self.assertIn("\\x0d\\x0a", err)
            jan.cleanup()
            si.stop()


def make(name):
    def test(self):
        self.run_case(name)
    test.__name__ = "test_" + name
    return test


for _n in CASES:
    setattr(Hostile, "test_" + _n, make(_n))


if __name__ == "__main__":
    unittest.main(verbosity=2)
