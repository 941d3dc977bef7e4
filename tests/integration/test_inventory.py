"""The all-region inventory through the real binary (issue 4): the report
equals the fixture, paging, policies, retries, Retry-After, incomplete
regions, clock skew, credentials from the container endpoint and IMDSv2,
HTTPS, and the exit codes."""
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import janlib as jl
from janlib import st

REGIONS23 = ["eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
             "eu-north-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1",
             "ap-south-1", "ap-east-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
             "ap-northeast-2", "ap-northeast-3", "ap-southeast-4", "ap-southeast-5",
             "ca-central-1", "sa-east-1"]


def in_scope(kind, name):
    if kind == "bucket":
        return name.startswith(("remotion-", "remotionlambda-")) and name not in ("remotion-", "remotionlambda-")
    return name.startswith("remotion-") and name != "remotion-"


class FullFixture(unittest.TestCase):
    """23 regions, 2 disabled, 120 functions per region (3 pages), layers
    with several versions, buckets in several regions, look-alikes."""

    @classmethod
    def setUpClass(cls):
        cls.fixture = jl.generated_fixture("--functions", "120", "--layers", "2", "--layer-versions", "3",
                                           "--buckets", "12", "--objects", "3", "--seed", "7")
        cls.si = st.StandIn(fixture=cls.fixture)
        cls.jan = jl.Janitor(cls.si)
        cls.res = cls.jan.sweep("--dry-run")
        cls.log = cls.si.log()

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def test_exit_and_regions(self):
        self.assertEqual(self.res.rc, 0, self.res.err)
        regions = {r["region"]: r["status"] for r in self.res.json["accounts"][0]["regions"]}
        self.assertEqual(sorted(regions), sorted(REGIONS23))
        disabled = sorted(self.fixture.get("disabled_regions", []))
        self.assertEqual(len(disabled), 2)
        self.assertEqual(sorted(r for r, s in regions.items() if s == "disabled"), disabled)
        self.assertTrue(all(s == "ok" for r, s in regions.items() if r not in disabled))
        self.assertEqual(self.res.json["accounts"][0]["account"], jl.ACCOUNT)
        self.assertEqual(self.res.json["mode"], "report")

    def test_functions_equal_fixture(self):
        disabled = set(self.fixture["disabled_regions"])
        want = sorted((f["region"], f["name"]) for f in self.fixture["functions"]
                      if in_scope("function", f["name"]) and f["region"] not in disabled)
        got = sorted((r["region"], r["name"]) for r in self.res.items(type="function"))
        self.assertEqual(got, want)
        per_region = collections.Counter(r for r, _ in got)
        self.assertTrue(all(n >= 120 for n in per_region.values()), per_region)

    def test_three_pages_per_region(self):
        pages = collections.Counter(e["region"] for e in self.log
                                    if e["operation"] == "ListFunctions" and e["status"] == 200)
        enabled = set(REGIONS23) - set(self.fixture["disabled_regions"])
        self.assertEqual(set(pages), enabled)
        self.assertTrue(all(n >= 3 for n in pages.values()), pages)

    def test_layer_versions_equal_fixture(self):
        disabled = set(self.fixture["disabled_regions"])
        want = []
        for l in self.fixture["layers"]:
            if not in_scope("layer", l["name"]) or l["region"] in disabled:
                continue
            vs = l["versions"]
            nums = [v["version"] for v in vs] if isinstance(vs, list) else list(range(1, vs + 1))
            want += [(l["region"], l["name"], n) for n in nums]
        got = sorted((r["region"], r["name"], r["version"]) for r in self.res.items(type="layer_version"))
        self.assertEqual(got, sorted(want))
        self.assertTrue(any(n > 1 for _, _, n in got))

    def test_buckets_equal_fixture(self):
        want = sorted((b["name"], b["region"]) for b in self.fixture["buckets"] if in_scope("bucket", b["name"]))
        got = sorted((r["name"], r["region"]) for r in self.res.items(type="bucket"))
        self.assertEqual(got, want)
        self.assertGreater(len({r for _, r in got}), 2)

    def test_lookalikes_ignored_not_named(self):
        disabled = set(self.fixture["disabled_regions"])
        ign = self.res.json["accounts"][0]["ignored"]
        self.assertEqual(ign["functions"], sum(1 for f in self.fixture["functions"]
                                               if not in_scope("function", f["name"])
                                               and f["region"] not in disabled))
        self.assertEqual(ign["buckets"], sum(1 for b in self.fixture["buckets"]
                                             if not in_scope("bucket", b["name"])))
        self.assertGreater(ign["functions"], 0)
        names = {r["name"] for r in self.res.json["accounts"][0]["resources"]}
        for f in self.fixture["functions"]:
            if not in_scope("function", f["name"]):
                self.assertNotIn(f["name"], names)
                self.assertNotIn('"name":%s' % json.dumps(f["name"]), self.res.out, "a look-alike was named")

    def test_remotion_names_parsed(self):
        for r in self.res.items(type="function"):
            if r["name"].startswith("remotion-render-4-0-100-mem2048mb-disk2048mb-120sec"):
                if r["name"] == "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec":
                    self.assertEqual(r["remotion"], {"version": "4.0.100", "memory_mb": 2048,
                                                     "disk_mb": 2048, "timeout_s": 120})
        self.assertTrue(any(r["remotion"] for r in self.res.items(type="function")))

    def test_nothing_modified(self):
        self.assertEqual(jl.modifying(self.log), [])

    def test_human_table(self):
        r = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(r.rc, 0)
        self.assertTrue(r.out.startswith("TYPE"))
        last = r.out.strip().splitlines()[-1]
        self.assertIn("21 regions ok", last)
        self.assertIn("2 disabled", last)


def small_si(*args, **kw):
    return st.StandIn(*args, fixture=st.small_fixture(**kw))


class Policies(unittest.TestCase):
    def test_least_privilege_policy(self):
        si = small_si()
        jan = jl.Janitor(si, aws={"regions": "eu-west-1, us-east-1, eu-central-1"})
        try:
            r = jan.sweep("--dry-run")
            self.assertEqual(r.rc, 0, r.err)
            log = si.log()
            self.assertFalse([e for e in log if e["status"] == 403], "denied under our own policy")
            self.assertEqual(len(r.items(type="layer_version")), 5)
        finally:
            jan.cleanup()
            si.stop()

    def test_seed_policy(self):
        seed = st.need_seed(self)
        si = small_si("--user", "seed:%s:%s:%s" % (st.SEED_AK, st.SEED_SK, seed))
        jan = jl.Janitor(si, aws={"regions": "eu-west-1, us-east-1, eu-central-1"})
        try:
            r = jan.sweep("--dry-run", env=jl.base_env(AWS_ACCESS_KEY_ID=st.SEED_AK,
                                                       AWS_SECRET_ACCESS_KEY=st.SEED_SK))
            self.assertEqual(r.rc, 0, r.err)
            log = si.log()
            ops = collections.Counter((e["operation"], e["status"]) for e in log)
            # No ListLayerVersions under Remotion's policy: versions probed.
            self.assertGreater(ops[("ListLayerVersions", 403)], 0)
            self.assertEqual(ops[("GetLayerVersion", 200)], 5)
            self.assertEqual(sorted(x["version"] for x in r.items(type="layer_version")), [1, 2, 3, 4, 5])
            self.assertEqual(len(r.items(type="function")), 121)
            self.assertEqual(len(r.items(type="bucket")), 3)
        finally:
            jan.cleanup()
            si.stop()


class Faults(unittest.TestCase):
    def setUp(self):
        self.si = small_si()
        self.jan = jl.Janitor(self.si, aws={"regions": "eu-west-1, us-east-1, eu-central-1"})

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def attempts(self, op, region=None):
        return [e for e in self.si.log() if e["operation"] == op and (region is None or e["region"] == region)]

    def test_throttling_and_5xx_retried(self):
        self.si.faults([
            {"kind": "error", "status": 503, "service": "lambda", "operation": "ListFunctions",
             "region": "eu-west-1", "count": 2},
            {"kind": "throttle", "retry_after": 0, "service": "lambda", "operation": "ListLayers",
             "region": "us-east-1", "count": 2},
            {"kind": "error", "status": 500, "service": "s3", "operation": "ListBuckets", "count": 1},
            {"kind": "throttle", "service": "s3", "operation": "ListBuckets", "count": 1, "retry_after": 0},
        ])
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        lf = [e["status"] for e in self.attempts("ListFunctions", "eu-west-1")]
        self.assertEqual(lf[:3], [503, 503, 200])
        ll = [e["status"] for e in self.attempts("ListLayers", "us-east-1")]
        self.assertEqual(ll, [429, 429, 200])
        lb = [e["status"] for e in self.attempts("ListBuckets")]
        self.assertEqual(lb[0], 500)
        self.assertEqual(lb[-1], 200)
        self.assertEqual(len(r.items(type="function", region="eu-west-1")), 120)

    def test_retry_after_honoured(self):
        self.si.faults([{"kind": "throttle", "retry_after": 1, "service": "lambda",
                         "operation": "ListLayers", "region": "eu-central-1", "count": 1}])
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        a = self.attempts("ListLayers", "eu-central-1")
        self.assertEqual([e["status"] for e in a], [429, 200])
        gap = a[1]["t"] - a[0]["t"]
        # Backoff base is 20 ms here: only Retry-After explains a 1 s gap.
        self.assertGreaterEqual(gap, 0.95, gap)
        print("Retry-After 1 s: the retry came %.2f s later" % gap, file=sys.stderr)

    def test_region_that_keeps_failing_is_incomplete(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "lambda", "operation": "ListFunctions",
                         "region": "eu-central-1", "count": -1}])
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 1, r.err)
        reg = {x["region"]: x for x in r.json["accounts"][0]["regions"]}
        self.assertEqual(reg["eu-central-1"]["status"], "incomplete")
        self.assertIn("ListFunctions", reg["eu-central-1"]["error"])
        self.assertIn("5 attempts", reg["eu-central-1"]["error"])
        self.assertEqual(reg["eu-west-1"]["status"], "ok")
        self.assertEqual(len(self.attempts("ListFunctions", "eu-central-1")), 5)

    def test_malformed_and_truncated_answers_retried(self):
        self.si.faults([
            {"kind": "malformed", "service": "lambda", "operation": "ListFunctions", "region": "eu-west-1",
             "count": 1},
            {"kind": "truncate", "service": "lambda", "operation": "ListLayers", "region": "eu-west-1",
             "count": 1},
            {"kind": "error200", "service": "s3", "operation": "ListBuckets", "count": 1},
        ])
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(len(r.items(type="function", region="eu-west-1")), 120)
        self.assertEqual(len(r.items(type="bucket")), 3)

    def test_skewed_clock_corrected(self):
        self.si.stop()
        self.si = st.StandIn("--clock-offset", "3600", fixture=st.small_fixture())
        self.jan.si = self.si
        self.jan.write_config(aws={"regions": "eu-west-1"})
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        log = self.si.log()
        self.assertTrue(any(e["error"] == "RequestTimeTooSkewed" for e in log))
        self.assertEqual(len(r.items(type="function", region="eu-west-1")), 120)

    def test_paging_cycle_is_incomplete_not_endless(self):
        lam = st.client(self.si, "lambda", "eu-west-1")
        first = lam.list_functions(MaxItems=50)["NextMarker"]
        # The last page points back at the first page's marker: a cycle.
        self.si.faults([{"kind": "last_marker", "value": first, "service": "lambda",
                         "operation": "ListFunctions", "region": "eu-west-1", "count": -1}])
        n0 = len(self.si.log())
        r = self.jan.sweep("--dry-run", timeout=60)
        self.assertEqual(r.rc, 1, r.err)
        reg = {x["region"]: x for x in r.json["accounts"][0]["regions"]}
        self.assertEqual(reg["eu-west-1"]["status"], "incomplete")
        self.assertIn("repeated a paging marker", reg["eu-west-1"]["error"])
        pages = [e for e in self.si.log()[n0:] if e["operation"] == "ListFunctions" and e["region"] == "eu-west-1"]
        self.assertLessEqual(len(pages), 4)

    def test_no_credentials_exit_3(self):
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
        r = self.jan.sweep("--dry-run", env=env)
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("no credentials", r.err)
        self.assertEqual(self.si.log(), [])

    def test_wrong_secret_exit_3(self):
        env = jl.base_env(AWS_SECRET_ACCESS_KEY="wrong/secret/value/NOT-REAL-000000000000")
        r = self.jan.sweep("--dry-run", env=env)
        self.assertEqual(r.rc, 3, r.err)
        self.assertNotIn("wrong/secret", r.err + r.out)


class RemoteCredentials(unittest.TestCase):
    def run_with(self, env_fn, *args):
        si = st.StandIn("--temp-creds-ttl", "3600", *args, fixture=st.small_fixture())
        jan = jl.Janitor(si, aws={"regions": "eu-west-1, us-east-1"})
        try:
            si.faults([{"kind": "expire_creds", "service": "lambda", "operation": "ListFunctions",
                        "region": "eu-west-1", "after": 1, "count": 1}])
            env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, **env_fn(si))
            r = jan.sweep("--dry-run", env=env)
            self.assertEqual(r.rc, 0, r.err)
            self.assertEqual(len(r.items(type="function", region="eu-west-1")), 120)
            log = si.log()
            self.assertTrue(any(e["error"] == "ExpiredToken" or e["error"] == "ExpiredTokenException"
                                for e in log), "the credentials never expired")
            creds = [e for e in log if e["service"] in ("container", "imds")]
            return r, creds, log
        finally:
            jan.cleanup()
            si.stop()

    def test_container_credentials_refreshed(self):
        r, creds, log = self.run_with(lambda si: {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": si.url + "/__creds/container",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "test-container-token"},
            "--container-token", "test-container-token")
        self.assertGreaterEqual(len(creds), 2, "credentials were not fetched again after expiry")
        self.assertNotIn("test-container-token", r.err)

    def test_imds_credentials_refreshed(self):
        r, creds, log = self.run_with(lambda si: {
            "AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": si.url})
        paths = [e.get("path") or "" for e in creds]
        self.assertTrue(any("api/token" in p for p in paths), paths)
        self.assertGreaterEqual(sum(1 for p in paths if "security-credentials/" in p and
                                    not p.endswith("security-credentials/")), 2)


class Https(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="jan-ca-")
        subprocess.run(["sh", os.path.join(jl.HERE, "..", "standin", "make-test-ca.sh"), cls.tmp],
                       check=True, capture_output=True)
        cls.tls = {"cert": os.path.join(cls.tmp, "server.pem"), "key": os.path.join(cls.tmp, "server-key.pem"),
                   "ca": os.path.join(cls.tmp, "ca.pem")}

    def test_test_ca_accepted_untrusted_refused(self):
        si = st.StandIn(fixture=st.small_fixture(), tls=self.tls)
        jan = jl.Janitor(si, aws={"regions": "eu-west-1", "ca_bundle": self.tls["ca"]})
        try:
            self.assertTrue(si.url.startswith("https://"))
            r = jan.sweep("--dry-run")
            self.assertEqual(r.rc, 0, r.err)
            self.assertEqual(len(r.items(type="function", region="eu-west-1")), 120)
            # AWS_CA_BUNDLE works as the fallback of ca_bundle.
            jan.write_config(aws={"regions": "eu-west-1"})
            r = jan.sweep("--dry-run", env=jl.base_env(AWS_CA_BUNDLE=self.tls["ca"]))
            self.assertEqual(r.rc, 0, r.err)
            # Without the CA the certificate is refused, clearly, and nothing is listed.
            n = len(si.log())
            r = jan.sweep("--dry-run")
            self.assertNotEqual(r.rc, 0)
            self.assertIn("certificate", r.err.lower())
            self.assertEqual(len(si.log()), n)
        finally:
            jan.cleanup()
            si.stop()


class CommandLine(unittest.TestCase):
    def test_check_config_lists_every_error(self):
        broken = os.path.join(jl.HERE, "..", "config", "broken.conf")
        p = subprocess.run([jl.BIN, "--check-config", "-c", broken], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        lines = [l for l in p.stderr.splitlines() if l.startswith(broken + ":")]
        self.assertEqual([int(l.split(":")[1]) for l in lines],
                         [3, 5, 6, 7, 8, 9, 11, 14, 15, 16, 17, 18, 19, 21, 23, 26, 27, 28])

    def test_check_config_paths(self):
        # Beyond the syntax: a URL without http(s)://, a socket path longer
        # than sun_path, a missing CA bundle, a state directory that cannot
        # be created, an audit log in a world-writable directory.
        broken = os.path.join(jl.HERE, "..", "config", "broken-paths.conf")
        p = subprocess.run([jl.BIN, "--check-config", "-c", broken], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        lines = [l for l in p.stderr.splitlines() if l.startswith(broken + ":")]
        self.assertEqual([(int(l.split(":")[1]), l.split(":")[2].strip()) for l in lines],
                         [(4, "endpoint_url"), (5, "ca_bundle"), (7, "socket"), (8, "state_file"),
                          (9, "audit_log")], p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 5, p.stderr)

    def test_missing_explicit_config(self):
        p = subprocess.run([jl.BIN, "--check-config", "-c", "/nonexistent/x.conf"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent/x.conf", p.stderr)

    def test_usage_errors(self):
        for args in (["--sweep", "--delete", "--dry-run"], ["--bogus"], ["--status", "--sweep"],
                     ["--delete"], ["--sweep", "--region", "mars-1"]):
            p = subprocess.run([jl.BIN] + args, capture_output=True, text=True,
                               env=jl.base_env(), stdin=subprocess.DEVNULL)
            self.assertEqual(p.returncode, 2, args)

    def test_version_and_help(self):
        p = subprocess.run([jl.BIN, "--version"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("remotion-janitor "))
        p = subprocess.run([jl.BIN, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--sweep", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
