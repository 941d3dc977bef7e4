#!/usr/bin/python3
"""genfixture.py, the demo fixture, standin-ctl.sh, command-line handling
and start-up time."""
import json
import os
import subprocess
import sys
import tempfile
import shutil
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, HERE, PY, SCRIPT, client  # noqa: E402
from awsstandin.util import REMOTION_REGIONS  # noqa: E402


def gen(*args):
    p = subprocess.run([PY, os.path.join(HERE, "genfixture.py")] + list(args), capture_output=True, text=True,
                       timeout=60, check=True)
    return json.loads(p.stdout)


class TestGenFixture(unittest.TestCase):
    def test_defaults(self):
        d = gen()
        self.assertEqual(d["regions"], REMOTION_REGIONS)
        self.assertEqual(d["disabled_regions"], ["ap-southeast-4", "ap-southeast-5"])
        self.assertEqual(d["account_id"], "123456789012")
        enabled = [r for r in d["regions"] if r not in d["disabled_regions"]]
        fn_regions = {f["region"] for f in d["functions"]}
        self.assertEqual(fn_regions, set(enabled))
        names = {f["name"] for f in d["functions"]}
        for look in ("Remotion-x", "remotionfan", "remotion_x", "xremotion-a", "remotion",
                     "rem\u043etion-render-cyrillic"):
            self.assertIn(look, names)
        ages = [f["age_days"] for f in d["functions"]] + [b["age_days"] for b in d["buckets"]]
        self.assertTrue(any(a < 7 for a in ages) and any(a > 7 for a in ages))
        self.assertTrue(any(b["versioning"] == "Enabled" for b in d["buckets"]))
        self.assertTrue(any(o.get("delete_marker") for b in d["buckets"] for o in b.get("objects", [])))
        self.assertEqual(gen(), d)                   # deterministic

    def test_parameters(self):
        d = gen("--regions", "eu-west-1,us-east-1,af-south-1", "--disabled", "af-south-1", "--functions", "7",
                "--no-lookalikes", "--layers", "2", "--layer-versions", "4", "--buckets", "3", "--objects", "5",
                "--object-versions", "3")
        self.assertEqual(len(d["functions"]), 14)
        self.assertTrue(all(f["name"].startswith("remotion-") for f in d["functions"]))
        self.assertEqual(len(d["layers"]), 4)
        self.assertTrue(all(len(l["versions"]) == 4 for l in d["layers"]))
        self.assertEqual(len(d["buckets"]), 3)
        self.assertTrue(all(b["region"] != "af-south-1" for b in d["buckets"]))

    def test_generated_fixture_loads_and_serves(self):
        tmp = tempfile.mkdtemp(prefix="standin-gen-")
        try:
            path = os.path.join(tmp, "f.json")
            subprocess.run([PY, os.path.join(HERE, "genfixture.py"), "--functions", "60", "--buckets", "4",
                            "--objects", "300", "-o", path], check=True, timeout=60)
            si = StandIn("--fixture", path)
            try:
                st = si.state()
                self.assertEqual(len([r for r in st["regions"] if not r["enabled"]]), 2)
                lam = client(si, "lambda", "eu-central-1")
                n = len(list(f for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]))
                self.assertEqual(n, 60 + 6)
                s3 = client(si, "s3", "eu-central-1")
                self.assertEqual(len(s3.list_buckets()["Buckets"]), 4 + 6)
            finally:
                si.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class TestDemoFixture(unittest.TestCase):
    def test_demo_fixture_with_ctl_script(self):
        demo = os.path.join(HERE, "fixtures", "demo.json")
        with open(demo, encoding="utf-8") as f:
            d = json.load(f)
        self.assertEqual(len(d["regions"]), 23)
        self.assertEqual(len(d["disabled_regions"]), 2)
        tmp = tempfile.mkdtemp(prefix="standin-ctl-")
        ctl = os.path.join(HERE, "standin-ctl.sh")
        try:
            t0 = time.time()
            port = subprocess.run(["sh", ctl, "start", tmp, "--fixture", demo], capture_output=True, text=True,
                                  timeout=20, check=True).stdout.strip()
            print("standin-ctl start: %.2f s" % (time.time() - t0), file=sys.stderr)  # the timeout above catches a hang
            self.assertTrue(port.isdigit())
            with urllib.request.urlopen("http://127.0.0.1:%s/__standin/state" % port, timeout=5) as r:
                st = json.loads(r.read())
            self.assertEqual(len(st["functions"]), len(d["functions"]))
            self.assertEqual(len(st["buckets"]), len(d["buckets"]))
            self.assertEqual(subprocess.run(["sh", ctl, "port", tmp], capture_output=True, text=True,
                                            timeout=5).stdout.strip(), port)
        finally:
            subprocess.run(["sh", ctl, "stop", tmp], timeout=20)
            shutil.rmtree(tmp, ignore_errors=True)
        with self.assertRaises(OSError):
            urllib.request.urlopen("http://127.0.0.1:%s/__standin/health" % port, timeout=2)


class TestCommandLine(unittest.TestCase):
    def run_standin(self, *args):
        return subprocess.run([PY, SCRIPT] + list(args), capture_output=True, text=True, timeout=20)

    def test_help(self):
        p = self.run_standin("--help")
        self.assertEqual(p.returncode, 0)
        for opt in ("--port-file", "--fixture", "--policy", "--faults", "--latency-ms", "--log-file", "--tls-cert",
                    "--temp-creds-ttl"):
            self.assertIn(opt, p.stdout)

    def test_errors_exit_2(self):
        p = self.run_standin("--fixture", "/nonexistent.json")
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot read fixture", p.stderr)
        p = self.run_standin("--host", "0.0.0.0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("non-loopback", p.stderr)
        tmp = tempfile.mkdtemp(prefix="standin-bad-")
        try:
            bad = os.path.join(tmp, "bad.json")
            with open(bad, "w") as f:
                json.dump({"functions": [{"region": "mars-1", "name": "x"}]}, f)
            p = self.run_standin("--fixture", bad)
            self.assertEqual(p.returncode, 2)
            self.assertIn("functions[0]", p.stderr)
            with open(bad, "w") as f:
                json.dump({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                          "Condition": {"Bool": {}}}]}, f)
            p = self.run_standin("--policy", bad)
            self.assertEqual(p.returncode, 2)
            self.assertIn("Condition", p.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_start_time_and_sigterm(self):
        times = []
        for _ in range(3):
            si = StandIn()
            times.append(si.start_time)
            st, body = si.control("GET", "health")
            self.assertEqual(st, 200)
            self.assertEqual(si.stop(), 0)
        # The figure is reported, not asserted tightly: a shared, loaded
        # machine may take longer; only a start-up that hangs fails here.
        print("start-up times: %s s" % ", ".join("%.3f" % t for t in times), file=sys.stderr)
        self.assertEqual(len(times), 3)

    def test_shutdown_control(self):
        si = StandIn()
        self.assertEqual(si.control("POST", "shutdown")[0], 200)
        si.proc.wait(5)
        self.assertEqual(si.proc.returncode, 0)
        si.stop()

    def test_max_lifetime(self):
        si = StandIn("--max-lifetime", "0.5")
        si.proc.wait(5)
        self.assertEqual(si.proc.returncode, 0)
        si.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
