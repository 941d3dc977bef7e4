"""Shared helpers for the integration tests: the real remotion-janitor
binary against the stand-in, every request on 127.0.0.1."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "standin"))

import standin_testlib as st  # noqa: E402  (also scrubs AWS_* from os.environ)

BIN = os.environ.get("JAN_BIN") or os.path.join(
    os.environ.get("JAN_BINARY_DIR", "build"), "daemon", "remotion-janitor")
GENFIXTURE = os.path.join(HERE, "..", "standin", "genfixture.py")
ACCOUNT = st.ACCOUNT
# Every secret a test hands out; the suite asserts none of them is printed.
SECRETS = (st.TEST_SK, st.SEED_SK)


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": st.TEST_AK,
        "AWS_SECRET_ACCESS_KEY": st.TEST_SK,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "REMOTION_JANITOR_RETRY_BASE_MS": "20",
    })
    env.pop("JOURNAL_STREAM", None)
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def generated_fixture(*args):
    out = subprocess.run([st.PY, GENFIXTURE] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


class Run:
    """One janitor invocation's outcome."""

    def __init__(self, proc, elapsed):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.elapsed = elapsed
        self.json = None
        if self.out.lstrip().startswith("{"):
            self.json = json.loads(self.out)
        for s in SECRETS:
            assert s not in self.out and s not in self.err, "a secret was printed"

    def items(self, **match):
        return [r for a in self.json["accounts"] for r in a["resources"]
                if all(r.get(k) == v for k, v in match.items())]


class Janitor:
    """A temp dir with a config pointing at a stand-in."""

    def __init__(self, standin, **sections):
        self.si = standin
        self.dir = tempfile.mkdtemp(prefix="jan-it-")
        self.conf = os.path.join(self.dir, "janitor.conf")
        self.write_config(**sections)

    def write_config(self, aws=None, policy=None, daemon=None, raw=""):
        a = {"endpoint_url": self.si.url}
        a.update(aws or {})
        d = {"state_file": os.path.join(self.dir, "state.json"),
             "audit_log": os.path.join(self.dir, "audit.jsonl"),
             "socket": os.path.join(self.dir, "sock")}
        d.update(daemon or {})
        text = ""
        for name, sec in (("aws", a), ("policy", policy or {}), ("daemon", d)):
            text += "[%s]\n" % name
            for k, v in sec.items():
                for one in (v if isinstance(v, list) else [v]):
                    text += "%s = %s\n" % (k, one)
        with open(self.conf, "w") as f:
            f.write(text + raw)

    def run(self, *args, env=None, timeout=120, stdin=subprocess.DEVNULL):
        t0 = time.time()
        p = subprocess.run([BIN, "-c", self.conf] + list(args), env=env or base_env(),
                           capture_output=True, text=True, timeout=timeout, stdin=stdin)
        return Run(p, time.time() - t0)

    def sweep(self, *args, **kw):
        return self.run("--sweep", "--json", *args, **kw)

    def audit(self):
        path = os.path.join(self.dir, "audit.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def state(self):
        with open(os.path.join(self.dir, "state.json")) as f:
            return json.load(f)

    def daemon_metrics(self, test, timeout=60, **sections):
        """Start the daemon (its first sweep at once, the next in an hour)
        with a metrics file; the file's text after that first sweep.  The
        daemon is stopped by test's cleanups."""
        metrics = os.path.join(self.dir, "janitor.prom")
        d = {"metrics_file": metrics, "startup_delay": "0", "interval": "1h", "jitter": "0"}
        d.update(sections.pop("daemon", None) or {})
        self.write_config(daemon=d, **sections)
        p = subprocess.Popen([BIN, "-c", self.conf], env=base_env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        test.addCleanup(p.wait)
        test.addCleanup(p.terminate)
        for _ in range(timeout * 10):        # bounded
            if os.path.exists(metrics):
                break
            time.sleep(0.1)
        with open(metrics) as f:
            return f.read()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def modifying(log):
    return [e for e in log if e.get("modifies")]


def in_scope_target(e):
    t = e.get("target") or ""
    if e["service"] == "s3":
        return t.startswith("remotion-") or t.startswith("remotionlambda-")
    return t.startswith("remotion-")
