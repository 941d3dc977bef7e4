"""What a person at a terminal or an operator meets first (issue 14),
through the real binary against the stand-in: progress on a terminal and
in the journal, JSON on every failure, the report that says a deletion
would be refused, a table that fits the terminal, --candidates, -vv
traces, exact log lines, bucket ARNs, and S3-compatible servers without
versioning."""
import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
import unittest

import janlib as jl
from janlib import st

REGIONS = "eu-west-1, us-east-1, eu-central-1"
ACCT = {"regions": REGIONS, "account_id": jl.ACCOUNT}
DELETE_ALL = {"mode": "delete", "buckets": "yes", "max_deletions": "100000"}


def plain_buckets_fixture(objects=40):
    """Unversioned buckets only (what an S3-compatible server holds)."""
    return st.small_fixture(
        functions=[], layers=[],
        buckets=[{"name": "remotionlambda-euwest1-plain00001", "region": "eu-west-1", "age_days": 20,
                  "website": True, "objects": [{"key": "renders/r%03d/out.mp4" % i} for i in range(objects)]},
                 {"name": "remotionfan", "region": "us-east-1", "objects": [{"key": "keep.txt"}]}])


def run_pty(argv, env, cols=80, rows=24, timeout=120):
    """Run argv with stdout and stderr on a pseudo-terminal of the given
    size; return (rc, everything written to the terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    rc = p.wait(timeout=10)
    os.close(master)
    text = out.decode("utf-8", "replace")
    for s in jl.SECRETS:
        assert s not in text, "a secret was printed"
    return rc, text


class Base(unittest.TestCase):
    fixture = None

    def setUp(self):
        self.si = st.StandIn(fixture=self.fixture or st.small_fixture())
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=DELETE_ALL)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()


class Terminal(Base):
    def test_table_fits_the_terminal_and_json_keeps_full_names(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "report"})
        rc, text = run_pty([jl.BIN, "-c", self.jan.conf, "--sweep"], jl.base_env(), cols=72)
        self.assertEqual(rc, 0, text)
        lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln and not ln.startswith("report:")
                 and not ln.startswith("remotion-janitor:")]
        self.assertTrue(lines[0].startswith("TYPE"), text)
        for ln in lines:
            self.assertLessEqual(len(ln), 72, ln)
        cut = [ln for ln in lines if "\u2026" in ln]
        self.assertTrue(cut, "no long name was cut in the middle")
        # The cut keeps the start and the end of the name.
        self.assertTrue(any(re.search(r"remotion\S*\u2026\S*sec-\d{3}", ln) for ln in cut), cut[:3])
        # Ages in whole days.
        self.assertTrue(any(re.search(r"\s1\dd\s", ln) for ln in lines), lines[:5])
        # --json is never cut.
        r = self.jan.sweep("--dry-run")
        self.assertTrue(any(x["name"] == "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-007"
                            for x in r.items(type="function")))

    def test_without_a_terminal_nothing_is_cut(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "report"})
        r = self.jan.run("--sweep")
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-007", r.out)
        self.assertNotIn("\u2026", r.out)

    def test_candidates_only(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "report"})
        r = self.jan.run("--sweep", "--candidates")
        self.assertEqual(r.rc, 0, r.err)
        rows = [ln for ln in r.out.splitlines()[1:] if not ln.startswith("report:")]
        self.assertTrue(rows)
        self.assertTrue(all(ln.split()[3] == "delete" or ln.split()[4] == "delete" for ln in rows), rows)
        full = self.jan.run("--sweep")
        self.assertIn("too-young", full.out)
        self.assertNotIn("too-young", r.out)
        # The summary is the same.
        self.assertEqual(r.out.splitlines()[-1], full.out.splitlines()[-1])

    def test_progress_line_on_a_terminal(self):
        env = jl.base_env(REMOTION_JANITOR_PROGRESS_MS="100")
        self.si.control("POST", "latency", {"ms": 40})
        rc, text = run_pty([jl.BIN, "-c", self.jan.conf, "--sweep", "--delete", "--yes"], env, cols=100)
        self.assertEqual(rc, 0, text)
        updates = re.findall(r"\r\x1b\[K([^\r\n]*deletions done[^\r\n]*)", text)
        self.assertGreaterEqual(len(updates), 2, text[-2000:])
        self.assertTrue(any("emptying remotion" in u for u in updates), updates)
        for u in updates:
            self.assertLessEqual(len(u), 99, u)
        # The live line is cleared before the table: no update is followed
        # by a newline (it would stay on the screen).
        self.assertNotRegex(text, r"deletions done[^\r\n]*\n")
        self.assertIn("\r\x1b[K", text[text.rindex("deletions done"):])

    def test_progress_line_on_80_columns_keeps_the_counts(self):
        # 80 columns: the bucket's name gives way, never the counts.
        env = jl.base_env(REMOTION_JANITOR_PROGRESS_MS="100")
        self.si.control("POST", "latency", {"ms": 40})
        rc, text = run_pty([jl.BIN, "-c", self.jan.conf, "--sweep", "--delete", "--yes"], env, cols=80)
        self.assertEqual(rc, 0, text)
        updates = re.findall(r"\r\x1b\[K([^\r\n]*deletions[^\r\n]*)", text)
        self.assertGreaterEqual(len(updates), 2, text[-2000:])
        for u in updates:
            self.assertLessEqual(len(u), 79, u)
            self.assertRegex(u, r"^\d+ of \d+ deletions done, \d+ objects deleted \(\d+/s\)(, emptying \S+)?$")
        self.assertTrue(any(re.search(r", emptying remotion\S*(00001|\u2026\S+)$", u) for u in updates), updates)

    def test_progress_lines_without_a_terminal_and_quiet(self):
        env = jl.base_env(REMOTION_JANITOR_PROGRESS_MS="100")
        self.si.control("POST", "latency", {"ms": 40})
        r = self.jan.sweep("--delete", "--yes", env=env)
        self.assertEqual(r.rc, 0, r.err)
        lines = [ln for ln in r.err.splitlines() if "progress" in ln and "deletions done" in ln]
        self.assertGreaterEqual(len(lines), 1, r.err)
        self.assertTrue(all("emptying remotion" in ln for ln in lines), lines)
        self.assertNotIn("\x1b[K", r.err)
        self.tearDown()
        self.setUp()
        self.si.control("POST", "latency", {"ms": 40})
        r = self.jan.sweep("--delete", "--yes", "-q", env=env)
        self.assertEqual(r.rc, 0, r.err)
        self.assertNotIn("deletions done", r.err)


class Failures(Base):
    def test_json_on_every_failure(self):
        cases = []
        # A usage error, even before --json in the arguments.
        p = subprocess.run([jl.BIN, "--bogus", "--json"], capture_output=True, text=True, env=jl.base_env())
        cases.append((p, 2))
        # A broken config.
        bad = os.path.join(self.jan.dir, "bad.conf")
        with open(bad, "w") as f:
            f.write("[policy]\nmode = sometimes\n")
        p = subprocess.run([jl.BIN, "-c", bad, "--sweep", "--json"], capture_output=True, text=True,
                           env=jl.base_env())
        cases.append((p, 2))
        # No credentials at all.
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=None)
        p = subprocess.run([jl.BIN, "-c", self.jan.conf, "--sweep", "--json"], capture_output=True, text=True,
                           env=env, timeout=120)
        cases.append((p, 3))
        # No daemon on the socket.
        p = subprocess.run([jl.BIN, "-c", self.jan.conf, "--status", "--json"], capture_output=True, text=True,
                           env=jl.base_env())
        cases.append((p, 1))
        for p, code in cases:
            self.assertEqual(p.returncode, code, p.stderr)
            doc = json.loads(p.stdout)
            # A run's document: the account's exit code and error.
            doc = doc["accounts"][0] if "accounts" in doc else doc
            self.assertEqual(doc["exit_code"], code)
            self.assertTrue(doc["error"], doc)
            self.assertIn(doc["error"].splitlines()[0][:20], p.stderr)

    def test_report_says_a_deletion_would_be_refused(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "report", "max_deletions": "3"})
        r = self.jan.sweep()
        self.assertEqual(r.rc, 0, r.err)
        self.assertGreater(r.json["summary"]["candidates"], 3)
        self.assertRegex(r.err, r"\d+ candidates exceed max_deletions = 3: a deleting sweep would refuse")
        self.assertEqual(self.si.log() and [e for e in self.si.log() if e.get("modifies")], [])


class Logs(Base):
    def test_vv_traces_every_request_without_secrets(self):
        self.jan.write_config(aws=ACCT, policy={"mode": "report"})
        r = self.jan.sweep("-vv")
        self.assertEqual(r.rc, 0, r.err)
        traces = [ln for ln in r.err.splitlines() if "trace" in ln]
        self.assertEqual(len(traces), len(self.si.log()), "one trace line per request")
        self.assertTrue(any(re.search(r"GET 127\.0\.0\.1:\d+ ListFunctions eu-west-1 -> 200 "
                                      r"\(attempt 1, \d+ ms\)$", t) for t in traces), traces[:5])
        for t in traces:
            self.assertNotIn("AWS4-HMAC", t)
            self.assertNotIn(st.TEST_AK, t)

    def test_deletion_lines_name_the_resource_exactly(self):
        r = self.jan.sweep("--delete", "--yes", "-v")
        self.assertEqual(r.rc, 0, r.err)
        dl = [ln for ln in r.err.splitlines() if "deleted " in ln and " in " in ln]
        fn = [ln for ln in dl if "deleted function " in ln]
        self.assertTrue(fn)
        for ln in fn:
            self.assertRegex(ln, r"deleted function remotion-[A-Za-z0-9-]+ in [a-z0-9-]+$")
        self.assertTrue(any(re.search(r"deleted layer_version remotion-binaries-arm64:\d+ in eu-west-1$", ln)
                            for ln in dl), dl)
        self.assertTrue(any(re.search(r"deleted bucket remotion-legacy-bucket in eu-central-1$", ln)
                            for ln in dl), dl)

    def test_bucket_arn(self):
        r = self.jan.sweep("--dry-run")
        b = r.items(type="bucket", name="remotion-legacy-bucket")[0]
        self.assertEqual(b["arn"], "arn:aws:s3:::remotion-legacy-bucket")


class NoVersioning(Base):
    """S3-compatible servers without versioning answer ListObjectVersions
    405 (s3rver) or 501: the bucket is emptied with ListObjectsV2."""
    fixture = plain_buckets_fixture()

    def check(self, status):
        self.si.control("POST", "faults", {"faults": [], "settings": {"s3_versions": status}})
        r = self.jan.sweep("--delete", "--yes", "-v")
        self.assertEqual(r.rc, 0, r.err)
        b = r.items(type="bucket", name="remotionlambda-euwest1-plain00001")[0]
        self.assertEqual(b["result"], "deleted", b)
        self.assertEqual(b["objects"], 40)
        self.assertEqual(len(re.findall(r"ListObjectVersions not supported by this server", r.err)), 1, r.err)
        names = {x["name"] for x in self.si.state()["buckets"]}
        self.assertEqual(names, {"remotionfan"})

    def test_405(self):
        self.check(405)

    def test_501(self):
        self.check(501)


class WebsiteKept(Base):
    fixture = plain_buckets_fixture()

    def test_unlistable_bucket_keeps_its_website(self):
        self.si.faults([{"kind": "error", "status": 500, "service": "s3", "operation": "ListObjectVersions",
                         "count": 1000}])
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 1, r.err)
        b = r.items(type="bucket", name="remotionlambda-euwest1-plain00001")[0]
        self.assertEqual(b["result"], "failed")
        ops = [e["operation"] for e in self.si.log() if e.get("target") == "remotionlambda-euwest1-plain00001"]
        self.assertIn("ListObjectVersions", ops)
        self.assertNotIn("DeleteBucketWebsite", ops)
        self.assertNotIn("DeleteBucket", ops)

    def test_website_removed_after_the_first_page(self):
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        ops = [e["operation"] for e in self.si.log() if e.get("target") == "remotionlambda-euwest1-plain00001"]
        self.assertLess(ops.index("ListObjectVersions"), ops.index("DeleteBucketWebsite"))
        self.assertLess(ops.index("DeleteBucketWebsite"), ops.index("DeleteBucket"))


if __name__ == "__main__":
    unittest.main()
