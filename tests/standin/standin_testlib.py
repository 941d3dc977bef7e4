"""Helpers for the stand-in's own tests: start/stop, clients, raw requests."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

# boto3 clients keep pooled connections open until collected.
warnings.simplefilter("ignore", ResourceWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "standin.py")
PY = os.environ.get("JAN_PYTHON") or "/usr/bin/python3"
TEST_AK = "AKIDJANITORTEST"
TEST_SK = "janitor/test+secret/NOT-A-REAL-KEY/00000"
SEED_AK = "AKIDSEEDTEST"
SEED_SK = "seed/test+secret/NOT-A-REAL-KEY/000000"
ACCOUNT = "123456789012"

# Never read the developer's AWS config, never reach IMDS on its own.
for _k in list(os.environ):
    if _k.startswith("AWS_"):
        del os.environ[_k]
os.environ.update({"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                   "AWS_EC2_METADATA_DISABLED": "true"})


def seed_policy_path():
    """Path of shared/seed-user-policy.json, or None (skip) / exit (required)."""
    d = os.environ.get("JAN_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")
    p = os.path.join(d, "seed-user-policy.json")
    if os.path.exists(p):
        return p
    if os.environ.get("JAN_REQUIRE_SHARED") == "1":
        raise RuntimeError("JAN_REQUIRE_SHARED=1 but %s is missing" % p)
    return None


def need_seed(test):
    p = seed_policy_path()
    if p is None:
        print("NOTICE: shared/seed-user-policy.json not found: seed-policy checks skipped", file=sys.stderr)
        raise unittest.SkipTest("shared/seed-user-policy.json not available")
    return p


class StandIn:
    def __init__(self, *args, fixture=None, tls=None, start_timeout=10):
        self.tmp = tempfile.mkdtemp(prefix="standin-test-")
        port_file = os.path.join(self.tmp, "port")
        cmd = [PY, SCRIPT, "--port", "0", "--port-file", port_file, "--max-lifetime", "900"]
        if fixture is not None:
            fpath = os.path.join(self.tmp, "fixture.json")
            with open(fpath, "w", encoding="utf-8") as f:
                json.dump(fixture, f)
            cmd += ["--fixture", fpath]
        self.tls = tls
        if tls:
            cmd += ["--tls-cert", tls["cert"], "--tls-key", tls["key"]]
        cmd += list(args)
        self.stderr = open(os.path.join(self.tmp, "stderr"), "w+")
        t0 = time.time()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr)
        while True:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            if self.proc.poll() is not None:
                self.stderr.seek(0)
                raise RuntimeError("stand-in exited: %s" % self.stderr.read())
            if time.time() - t0 > start_timeout:
                self.stop()
                raise RuntimeError("stand-in did not start within %d s" % start_timeout)
            time.sleep(0.01)
        self.start_time = time.time() - t0
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode

    def conn(self, timeout=10):
        if self.tls:
            import ssl
            ctx = ssl.create_default_context(cafile=self.tls["ca"])
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def control(self, method, name, body=None, query=""):
        c = self.conn()
        data = None if body is None else json.dumps(body).encode()
        c.request(method, "/__standin/" + name + query, body=data,
                  headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        out = r.read()
        c.close()
        return r.status, json.loads(out) if out else None

    def log(self, since=0):
        return self.control("GET", "log", query="?since=%d" % since)[1]["entries"]

    def faults(self, faults, settings=None, mode="replace"):
        st, body = self.control("POST", "faults", {"faults": faults, "settings": settings or {}, "mode": mode})
        assert st == 200, body
        return body

    def state(self, objects=False):
        return self.control("GET", "state", query="?objects=1" if objects else "")[1]


def client(si, service, region="us-east-1", ak=TEST_AK, sk=TEST_SK, token=None, retries=1, **kw):
    import boto3
    from botocore.config import Config
    cfg = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": retries, "mode": "standard"},
                 connect_timeout=5, read_timeout=kw.pop("read_timeout", 15), max_pool_connections=20)
    sess = boto3.Session(aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token,
                         region_name=region)
    verify = si.tls["ca"] if si.tls else None
    return sess.client(service, endpoint_url=si.url, config=cfg, verify=verify, **kw)


def signed_request(si, service, region, method, path, query="", body=b"", headers=None, ak=TEST_AK, sk=TEST_SK,
                   token=None, amz_date=None, tamper=None, s3_sha=True, send_body=None, signer_cls=None):
    """Sign with botocore, optionally tamper, send with http.client.
    Returns (status, headers dict (lower-case), body bytes)."""
    from botocore.auth import SigV4Auth, S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    import datetime
    url = si.url + path + (("?" + query) if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    cls = signer_cls or (S3SigV4Auth if service == "s3" else SigV4Auth)
    signer = cls(Credentials(ak, sk, token), service, region)
    ts = amz_date or datetime.datetime.utcnow()
    req.context["timestamp"] = ts.strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    sig = signer.signature(signer.string_to_sign(req, canonical), req)
    signer._inject_signature_to_request(req, sig)
    hdrs = dict(req.headers.items())
    if service == "s3" and not s3_sha:
        hdrs.pop("X-Amz-Content-SHA256", None)
    if tamper:
        tamper(hdrs)
    c = si.conn()
    body = body if send_body is None else send_body
    c.request(method, path + (("?" + query) if query else ""), body=body or None, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def small_fixture(**over):
    """A compact fixture for the tests (ages in days)."""
    doc = {
        "account_id": ACCOUNT,
        "users": [
            {"user_name": "janitor-test", "access_key": TEST_AK, "secret_key": TEST_SK,
             "user_id": "AIDAJANITORTEST00000"},
        ],
        "functions": [{"region": "eu-west-1", "name": "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-%03d" % i,
                       "age_days": 10 + i % 5} for i in range(120)]
        + [{"region": "eu-west-1", "name": n, "age_days": 30} for n in ("remotionfan", "Remotion-x")]
        + [{"region": "us-east-1", "name": "remotion-render-abc", "age_days": 2}],
        "layers": [{"region": "eu-west-1", "name": "remotion-binaries-arm64",
                    "versions": [{"version": v, "age_days": 40 - v} for v in range(1, 6)]},
                   {"region": "eu-west-1", "name": "other-layer", "versions": 2}],
        "buckets": [
            {"name": "remotionlambda-useast1-abcdefghij", "region": "us-east-1", "age_days": 20,
             "versioning": "Enabled", "website": True,
             "objects": [{"key": "renders/r%03d/out.mp4" % i, "versions": 2, "delete_marker": i % 3 == 0}
                         for i in range(30)] + [{"key": "renders/a b+c%d&e<f>.json"},
                                                {"key": "sites/\u00fcber/x.txt"}]},
            {"name": "remotionlambda-euwest1-0123456789", "region": "eu-west-1", "age_days": 20,
             "generate": {"count": 1500, "prefix": "renders/g", "age_days": 9}},
            {"name": "remotion-legacy-bucket", "region": "eu-central-1", "age_days": 90,
             "objects": [{"key": "a.txt"}, {"key": "b.txt"}]},
            {"name": "remotionfan", "region": "us-east-1", "objects": [{"key": "keep.txt"}]},
        ],
    }
    doc.update(over)
    return doc
