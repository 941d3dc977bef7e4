"""Text from outside never reaches a terminal raw (issue 19, finding 8),
through the real binary against the stand-in: render ids come from object
keys, and S3's XML listings may carry a newline, a tab and any Unicode, the
bidirectional overrides included.  A render whose id holds a newline that
would forge a row of the table, and renders whose ids hold U+202E and
U+2066: the table, the deletion log lines and the confirmation prompt show
them escaped (\\xHH, remotion-janitor(8) "Text from outside"), never a raw
control byte, bidi control or invalid UTF-8; --json and the audit log carry
the exact ids.  A state file whose strings hold escape sequences and bytes
that are not UTF-8: `--status` prints them escaped, and the socket's answer
(`status`, also `--status --json`) is valid UTF-8 from which the exact
bytes come back with surrogateescape."""
import json
import os
import pty
import re
import signal
import socket
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

LIVE = "remotionlambda-euwest1-livelive01"
REGIONS = "eu-west-1, us-east-1"
ACCT = {"regions": REGIONS, "account_id": jl.ACCOUNT}
POLICY = {"mode": "delete", "renders": "all", "render_max_age": "30d", "max_deletions": "100"}

# A render id whose newline would start a row that says a function is
# deleted; ids with a right-to-left override and a left-to-right isolate.
FORGED_ROW = "function      eu-west-1      remotion-render-forged 99d delete   old"
NL = "nl0000001\n" + FORGED_ROW
RLO = "rlo\u202e4pm.exe"
LRI = "lri\u2066x\u2069y"
PLAIN = "k3j9x0a1bq"
IDS = [NL, RLO, LRI, PLAIN]
# What a person sees for them (the display rule: each byte \xHH).
SHOWN = {NL: "nl0000001\\x0a" + FORGED_ROW,
         RLO: "rlo\\xe2\\x80\\xae4pm.exe",
         LRI: "lri\\xe2\\x81\\xa6x\\xe2\\x81\\xa9y",
         PLAIN: PLAIN}

BIDI = re.compile("[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def objects():
    objs = []
    for rid in IDS:
        objs += [{"key": "renders/%s/out.mp4" % rid, "size": 1000, "age_days": 45},
                 {"key": "renders/%s/progress.json" % rid, "size": 100, "age_days": 45}]
    return objs


def fixture():
    return {"account_id": jl.ACCOUNT, "regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
            "buckets": [{"name": LIVE, "region": "eu-west-1", "age_days": 300, "objects": objects()}]}


def assert_safe_for_a_terminal(tc, data, what):
    """data (bytes) is valid UTF-8 with no control byte but newline, no C1
    and no bidirectional control."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        tc.fail("%s is not valid UTF-8: %s: %r" % (what, e, data[max(0, e.start - 40):e.end + 40]))
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
    tc.assertEqual(bad, [], "%s holds control characters: %r" % (what, text[:2000]))
    tc.assertIsNone(BIDI.search(text), "%s holds a bidi control: %r" % (what, text[:2000]))
    return text


def run_bytes(args, env=None, stdin=subprocess.DEVNULL, timeout=60):
    p = subprocess.run([jl.BIN] + list(args), env=env or jl.base_env(), stdin=stdin,
                       capture_output=True, timeout=timeout)
    for s in jl.SECRETS:
        assert s.encode() not in p.stdout and s.encode() not in p.stderr, "a secret was printed"
    return p


def json_bytes(line):
    """A JSON document as bytes: valid UTF-8 (else fail), decoded with
    surrogateescape so that every string maps back to its exact bytes."""
    return json.loads(line.decode("utf-8"))


def raw(s):
    return s.encode("utf-8", "surrogateescape")


class Renders(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture=fixture())
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=POLICY)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def test_table_and_deletion_log_escaped_json_and_audit_exact(self):
        # The report first: the table on stdout.
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--dry-run"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = assert_safe_for_a_terminal(self, p.stdout, "the table")
        rows = out.splitlines()
        # No forged row: every line is the header, a resource, or below.
        self.assertFalse([ln for ln in rows if ln.startswith("function ")], rows)
        for rid in IDS:
            self.assertTrue(any(("%s/renders/%s" % (LIVE, SHOWN[rid])) in ln and ln.startswith("render ")
                                for ln in rows), (rid, rows))
        # The deleting sweep: its log lines on stderr.
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--yes", "-v"])
        self.assertEqual(p.returncode, 0, p.stderr)
        err = assert_safe_for_a_terminal(self, p.stderr, "the log")
        assert_safe_for_a_terminal(self, p.stdout, "the table")
        deleted = [ln for ln in err.splitlines() if "deleted render " in ln]
        self.assertEqual(len(deleted), len(IDS), err)
        for rid in IDS:
            self.assertTrue(any(ln.endswith("deleted render %s/renders/%s in eu-west-1" % (LIVE, SHOWN[rid]))
                                for ln in deleted), (rid, deleted))
        # The audit log: valid UTF-8, the exact ids.
        with open(os.path.join(self.jan.dir, "audit.jsonl"), "rb") as f:
            audit = [json_bytes(line) for line in f]
        self.assertEqual(sorted(raw(a["name"]) for a in audit if a["type"] == "render"),
                         sorted(raw(rid) for rid in IDS))
        # Nothing of them is left.
        left = [o["key"] if isinstance(o, dict) else o
                for b in self.si.state(objects=True)["buckets"] if b["name"] == LIVE for o in b["objects"]]
        self.assertEqual(left, [])

    def test_json_carries_the_exact_ids(self):
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--json", "--dry-run"])
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json_bytes(p.stdout)
        names = sorted(raw(r["name"]) for r in doc["accounts"][0]["resources"] if r["type"] == "render")
        self.assertEqual(names, sorted(raw(rid) for rid in IDS))

    def test_confirmation_prompt_escaped(self):
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([jl.BIN, "-c", self.jan.conf, "--sweep", "--json"], env=jl.base_env(),
                                 stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            os.close(slave)
            slave = None
            os.write(master, (jl.ACCOUNT + "\n").encode())
            out, err = p.communicate(timeout=60)
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0, err)
        text = assert_safe_for_a_terminal(self, err, "the prompt")
        self.assertIn("Type the account ID", text)
        listed = [ln for ln in text.splitlines() if ln.startswith("  render ")]
        self.assertEqual(len(listed), len(IDS), text)
        for rid in IDS:
            self.assertTrue(any("%s/renders/%s (" % (LIVE, SHOWN[rid]) in ln for ln in listed), (rid, listed))
        self.assertFalse([ln for ln in text.splitlines() if ln.startswith("function")], text)
        self.assertEqual(json_bytes(out)["summary"]["deleted"], len(IDS))


# Ids only a url-encoded listing can carry (XML 1.0 has no ESC, and its
# text is UTF-8): an escape sequence, and a byte that is not UTF-8 (0xff,
# held by the stand-in as a surrogate escape).  The table and the log show
# them escaped, --json and the audit log carry the exact bytes (\udcXX).
ESC_ID = "esc\x1b[31mred\x1b]0;pwned\x07"
BAD_ID = "bad\udcffbyte"
URL_IDS = [ESC_ID, BAD_ID]
URL_SHOWN = {ESC_ID: "esc\\x1b[31mred\\x1b]0;pwned\\x07", BAD_ID: "bad\\xffbyte"}


class UrlEncodedKeys(unittest.TestCase):
    def setUp(self):
        fx = fixture()
        fx["buckets"][0]["objects"] = [
            {"key": "renders/%s/%s" % (rid, leaf), "size": 10, "age_days": 45}
            for rid in URL_IDS for leaf in ("out.mp4", "progress.json")]
        self.si = st.StandIn(fixture=fx)
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=POLICY)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def test_escaped_for_a_person_exact_for_a_program(self):
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--dry-run"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = assert_safe_for_a_terminal(self, p.stdout, "the table")
        for rid in URL_IDS:
            self.assertIn("%s/renders/%s" % (LIVE, URL_SHOWN[rid]), out)
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--json", "--dry-run"])
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json_bytes(p.stdout)
        self.assertEqual(sorted(raw(r["name"]) for r in doc["accounts"][0]["resources"] if r["type"] == "render"),
                         sorted(raw(rid) for rid in URL_IDS))
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--yes", "-v"])
        self.assertEqual(p.returncode, 0, p.stderr)
        err = assert_safe_for_a_terminal(self, p.stderr, "the log")
        for rid in URL_IDS:
            self.assertIn("deleted render %s/renders/%s in eu-west-1" % (LIVE, URL_SHOWN[rid]), err)
        with open(os.path.join(self.jan.dir, "audit.jsonl"), "rb") as f:
            audit = [json_bytes(line) for line in f]
        self.assertEqual(sorted(raw(a["name"]) for a in audit if a["type"] == "render"),
                         sorted(raw(rid) for rid in URL_IDS))
        # The exact keys were deleted, nothing else: the bucket is empty.
        left = [o["key"] if isinstance(o, dict) else o
                for b in self.si.state(objects=True)["buckets"] if b["name"] == LIVE for o in b["objects"]]
        self.assertEqual(left, [])


# Strings of a state file as a hostile or damaged file may hold them: an
# OSC title and a clear screen, a colour, bytes that are not UTF-8, a
# newline forging a line, a right-to-left override.
HOSTILE_ERROR = b"boom\x1b]0;pwned\x07\x1b[2J\xff\xfe\xc0\xaf\nlast sweep: ok\xe2\x80\xae"
HOSTILE_REGION = b"eu-west-1\x1b[31m\xed\xa0\x80"


def ask(path, cmd):
    """One answer of the socket, as bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(cmd.encode() + b"\n")
    f = s.makefile("rb")
    line = f.readline()
    f.close()
    s.close()
    return line


def json_string(b):
    """A JSON string literal holding the bytes b as they are (the form
    json-c reads back unchanged)."""
    out = b'"'
    for c in b:
        if c < 0x20 or c in (0x22, 0x5c):
            out += b"\\u%04x" % c
        else:
            out += bytes([c])
    return out + b'"'


class Status(unittest.TestCase):
    def setUp(self):
        self.si = st.StandIn(fixture=fixture())
        self.jan = jl.Janitor(self.si, aws=ACCT, policy=POLICY)
        self.sock = os.path.join(self.jan.dir, "sock")
        self.jan.write_config(aws=ACCT, policy=POLICY,
                              daemon={"startup_delay": "1h", "interval": "1d", "jitter": "0"})
        # A real record, then its strings made hostile.
        p = run_bytes(["-c", self.jan.conf, "--sweep", "--dry-run"])
        self.assertEqual(p.returncode, 0, p.stderr)
        path = os.path.join(self.jan.dir, "state.json")
        with open(path, "rb") as f:
            text = f.read()
        self.assertIn(b'"error":null', text)
        text = text.replace(b'"error":null', b'"error":' + json_string(HOSTILE_ERROR), 1)
        text = text.replace(b'"regions_incomplete":[]',
                            b'"regions_incomplete":[' + json_string(HOSTILE_REGION) + b']', 1)
        with open(path, "wb") as f:
            f.write(text)
        self.daemon = subprocess.Popen([jl.BIN, "-c", self.jan.conf], env=jl.base_env(),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(300):
            if os.path.exists(self.sock):
                break
            if self.daemon.poll() is not None:
                self.fail("the daemon exited: %r" % (self.daemon.communicate()[1],))
            time.sleep(0.05)

    def tearDown(self):
        self.daemon.send_signal(signal.SIGTERM)
        _, err = self.daemon.communicate(timeout=60)
        self.jan.cleanup()
        self.si.stop()
        assert_safe_for_a_terminal(self, err, "the daemon's log")

    def test_status_escaped_for_a_person(self):
        p = run_bytes(["-c", self.jan.conf, "--status"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = assert_safe_for_a_terminal(self, p.stdout, "--status")
        # The error on its line, escaped; no line forged.
        self.assertIn("boom\\x1b]0;pwned\\x07\\x1b[2J\\xff\\xfe\\xc0\\xaf", out)
        self.assertIn("\\x0alast sweep: ok\\xe2\\x80\\xae", out)
        last = [ln for ln in out.splitlines() if ln.startswith("last sweep:")]
        self.assertEqual(len(last), 1, out)
        self.assertIn("boom", last[0])
        self.assertIn("incomplete: eu-west-1\\x1b[31m\\xed\\xa0\\x80\n", out)

    def test_status_answer_valid_utf8_exact_bytes(self):
        for line in (ask(self.sock, "status"),
                     run_bytes(["-c", self.jan.conf, "--status", "--json"]).stdout):
            doc = json_bytes(line)
            self.assertTrue(doc["ok"], doc)
            last = doc["last_sweep"]["accounts"][0]
            self.assertEqual(raw(last["error"]), HOSTILE_ERROR)
            self.assertEqual([raw(r) for r in last["regions_incomplete"]], [HOSTILE_REGION])
            self.assertIn(b"\\udcff\\udcfe\\udcc0\\udcaf", line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
