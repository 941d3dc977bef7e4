"""Lambda code storage through the real binary (issue 23): per region, the
sum of the CodeSize of the listed in-scope functions, in the JSON, the
table, the status answer and the metrics file; a region whose function
listing is incomplete gets no figure; out-of-scope functions never count."""
import os
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
ACCT = {"regions": ", ".join(REGIONS), "account_id": jl.ACCOUNT}
QUOTA = 75 * 1000 ** 3


def fn(region, mem, size, name=None):
    return {"region": region, "age_days": 30, "memory_mb": mem, "code_size": size,
            "name": name or "remotion-render-4-0-120-mem%dmb-disk2048mb-120sec" % mem}


FUNCTIONS = [fn("eu-west-1", 2048, 41000000), fn("eu-west-1", 3008, 39999999),
             fn("eu-west-1", 1024, 7),
             fn("eu-west-1", 2048, 9000000000, name="Remotion-render-4-0-120-mem2048mb-disk2048mb-120sec"),
             fn("eu-west-1", 2048, 5000000, name="billing-api"),
             ] + [fn("us-east-1", 1024 + m, 10000000000) for m in range(6)] + [
             fn("us-west-2", 2048, 123)]


def want():
    return {r: sum(f["code_size"] for f in FUNCTIONS
                   if f["region"] == r and f["name"].startswith("remotion-")) for r in REGIONS}


class CodeStorage(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture={"account_id": jl.ACCOUNT, "regions": REGIONS,
                                      "disabled_regions": [], "functions": FUNCTIONS})
        self.addCleanup(lambda: self.si.stop())
        self.jan = jl.Janitor(self.si, aws=ACCT)
        self.addCleanup(self.jan.cleanup)

    def test_figures_equal_the_sum_of_the_listed_sizes(self):
        w = want()
        self.assertEqual(w, {"eu-west-1": 81000006, "us-east-1": 60000000000, "us-west-2": 123})
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        got = {c["region"]: (c["bytes"], c["quota_bytes"]) for c in r.json["accounts"][0]["code_storage"]}
        self.assertEqual(got, {k: (v, QUOTA) for k, v in w.items()})
        t = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(t.rc, 0, t.err)
        self.assertIn("code storage eu-west-1: 77.2 MiB in 3 functions (0.1% of the default quota of 75 GB, "
                      "69.8 GiB)\n", t.out)
        self.assertIn("code storage us-east-1: 55.9 GiB in 6 functions (80.0% of the default quota", t.out)
        self.assertIn("code storage us-west-2: 123 B in 1 function (0.0%", t.out)
        self.assertNotIn("renders:", t.out)      # no bucket listed: no storage line

    def test_incomplete_listing_gives_no_figure(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "lambda", "operation": "ListFunctions",
                         "region": "us-west-2", "count": -1}])
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 1, r.err)
        got = {c["region"]: c["bytes"] for c in r.json["accounts"][0]["code_storage"]}
        self.assertEqual(got, {"eu-west-1": 81000006, "us-east-1": 60000000000, "us-west-2": None})
        t = self.jan.run("--sweep", "--dry-run")
        self.assertIn("code storage us-west-2: unknown (the function listing is incomplete)\n", t.out)

    def test_code_size_beyond_the_cap_is_no_figure(self):
        self.si.stop()
        big = FUNCTIONS + [fn("us-west-2", 4096, 11 << 30)]
        self.si = st.StandIn(fixture={"account_id": jl.ACCOUNT, "regions": REGIONS,
                                      "disabled_regions": [], "functions": big})
        self.jan.si = self.si
        self.jan.write_config(aws=ACCT)
        r = self.jan.sweep("--dry-run")
        self.assertEqual(r.rc, 1, r.err)
        got = {c["region"]: c["bytes"] for c in r.json["accounts"][0]["code_storage"]}
        self.assertEqual(got, {"eu-west-1": 81000006, "us-east-1": 60000000000, "us-west-2": None})

    def test_metrics_and_status(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "lambda", "operation": "ListFunctions",
                         "region": "us-west-2", "count": -1}])
        metrics = os.path.join(self.jan.dir, "janitor.prom")
        self.jan.write_config(aws=ACCT, daemon={"metrics_file": metrics, "startup_delay": "0",
                                                "interval": "1h", "jitter": "0"})
        p = subprocess.Popen([jl.BIN, "-c", self.jan.conf], env=jl.base_env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(p.wait)
        self.addCleanup(p.terminate)
        for _ in range(300):                 # bounded: at most 30 s
            if os.path.exists(metrics):
                break
            time.sleep(0.1)
        with open(metrics) as f:
            text = f.read()
        lines = [l for l in text.splitlines() if l.startswith("remotion_janitor_function_code_bytes{")]
        self.assertEqual(sorted(lines), [
            'remotion_janitor_function_code_bytes{account="default",region="eu-west-1"} 81000006',
            'remotion_janitor_function_code_bytes{account="default",region="us-east-1"} 60000000000'])
        self.assertIn("# TYPE remotion_janitor_function_code_bytes gauge\n", text)
        s = self.jan.run("--status", "--json")
        self.assertEqual(s.rc, 0, s.err)
        got = {c["region"]: c["bytes"] for c in s.json["last_sweep"]["accounts"][0]["code_storage"]}
        self.assertEqual(got, {"eu-west-1": 81000006, "us-east-1": 60000000000, "us-west-2": None})


if __name__ == "__main__":
    unittest.main()
