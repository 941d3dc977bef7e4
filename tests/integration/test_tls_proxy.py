"""The janitor with no endpoint_url, talking to AWS's own host names over
TLS through an HTTP CONNECT proxy (https_proxy) that sends every tunnel to
the stand-in: the test CA signs a certificate for those names, the proxy
records every CONNECT target.  Every target must be an AWS host built from
a configured region, also when the answers name hostile or foreign regions
(issue 10): zero foreign hosts."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import janlib as jl
from janlib import st
from connect_proxy import ConnectProxy

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_CA = os.path.join(HERE, "..", "standin", "make-test-ca.sh")
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]
POLICY = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}
EU_BUCKET = "remotionlambda-euwest1-0123456789"
_R = "(%s)" % "|".join(re.escape(r) for r in REGIONS)
# What the janitor may connect to: AWS endpoints of the configured regions,
# virtual-hosted buckets in the scope, and IAM's global endpoint.
ALLOWED = re.compile(r"^(?:(?:s3|lambda|sts)\.%s\.amazonaws\.com"
                     r"|(?:remotion-|remotionlambda-)[a-z0-9-]+\.s3\.%s\.amazonaws\.com"
                     r"|iam\.amazonaws\.com):443$" % (_R, _R))


def F(kind, **kw):
    d = {"kind": kind}
    d.update(kw)
    return d


class TlsProxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="jan-tls-proxy-")
        sans = ["DNS:iam.amazonaws.com"]
        for r in REGIONS:
            sans += ["DNS:s3.%s.amazonaws.com" % r, "DNS:*.s3.%s.amazonaws.com" % r,
                     "DNS:lambda.%s.amazonaws.com" % r, "DNS:sts.%s.amazonaws.com" % r]
        subprocess.run(["sh", MAKE_CA, cls.tmp] + sans, check=True)
        cls.tls = {"cert": os.path.join(cls.tmp, "server.pem"), "key": os.path.join(cls.tmp, "server-key.pem"),
                   "ca": os.path.join(cls.tmp, "ca.pem")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def sweep(self, faults, *args):
        si = st.StandIn(fixture=st.small_fixture(), tls=self.tls)
        proxy = ConnectProxy(si.port)
        jan = jl.Janitor(si)
        try:
            # No endpoint_url: the janitor builds AWS host names itself.
            with open(jan.conf, "w") as f:
                f.write("[aws]\nregions = %s\naccount_id = %s\nca_bundle = %s\n[policy]\n%s[daemon]\n"
                        "state_file = %s\naudit_log = %s\nsocket = %s\n" % (
                            ", ".join(REGIONS), jl.ACCOUNT, self.tls["ca"],
                            "".join("%s = %s\n" % kv for kv in POLICY.items()),
                            os.path.join(jan.dir, "state.json"), os.path.join(jan.dir, "audit.jsonl"),
                            os.path.join(jan.dir, "sock")))
            si.faults(faults)
            env = jl.base_env(https_proxy=proxy.url, HTTPS_PROXY=None, no_proxy=None, NO_PROXY=None,
                              all_proxy=None, ALL_PROXY=None)
            r = jan.run(*args, env=env) if args else jan.sweep("--yes", env=env)
            log = si.log()
            return r, log, list(proxy.targets), list(proxy.refused)
        finally:
            jan.cleanup()
            proxy.stop()
            si.stop()

    def check_hosts(self, r, log, targets, refused):
        self.assertEqual(refused, [])
        self.assertTrue(targets, "nothing went through the proxy: %s" % r.err[-2000:])
        foreign = [t for t in targets if not ALLOWED.match(t)]
        self.assertEqual(foreign, [], "connections to foreign hosts")
        # Everything the stand-in saw came through the tunnels, over TLS.
        self.assertTrue(log)
        for e in log:
            if e["service"] in ("s3", "lambda", "sts") and e.get("region"):
                self.assertIn(e["region"], REGIONS, e)

    def test_sweep_through_the_proxy(self):
        r, log, targets, refused = self.sweep([])
        self.check_hosts(r, log, targets, refused)
        self.assertEqual(r.rc, 0, r.err[-2000:])
        hosts = {t.rsplit(":", 1)[0] for t in targets}
        # Each service at its own host; buckets virtual-hosted.
        self.assertIn("s3.us-east-1.amazonaws.com", hosts)
        self.assertIn("lambda.eu-west-1.amazonaws.com", hosts)
        self.assertIn("sts.eu-west-1.amazonaws.com", hosts)
        self.assertIn(EU_BUCKET + ".s3.eu-west-1.amazonaws.com", hosts)
        self.assertEqual(r.items(type="bucket", name=EU_BUCKET)[0]["result"], "deleted")

    def test_validate_through_the_proxy(self):
        r, log, targets, refused = self.sweep([], "--validate", "--json")
        self.check_hosts(r, log, targets, refused)
        self.assertIn(r.rc, (0, 1), r.err[-2000:])
        self.assertIn("iam.amazonaws.com:443", targets)
        self.assertTrue(any(e["operation"] == "SimulatePrincipalPolicy" for e in log))

    def test_hostile_regions_through_the_proxy(self):
        cases = [
            [F("bad_region", value="us-east-1.attacker.example", service="s3", operation="ListBuckets",
               target=EU_BUCKET, count=-1)],
            [F("bad_region", value="evil.example#", service="s3", operation="ListBuckets", count=-1)],
            [F("no_bucket_region", service="s3", operation="ListBuckets", count=-1),
             F("bad_region", value="../x", service="s3", operation="GetBucketLocation", count=-1)],
            [F("foreign_redirect", bucket_region="us-east-1.attacker.example", status=301, service="s3",
               operation="ListObject*", count=-1)],
            [F("foreign_redirect", bucket_region="ap-east-1", status=400, service="s3",
               operation="ListObject*", count=-1)],
        ]
        for faults in cases:
            with self.subTest(faults=faults):
                r, log, targets, refused = self.sweep(faults)
                self.check_hosts(r, log, targets, refused)
                self.assertEqual(r.rc, 1, r.err[-2000:])
                # Nothing of the buckets was deleted.
                self.assertEqual([e for e in jl.modifying(log) if e["service"] == "s3" and
                                  e["operation"] != "DeleteBucketWebsite"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
