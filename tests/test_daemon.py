#!/usr/bin/python3
"""The daemon end to end: the real binary against the AWS stand-in.

Every test starts remotion-janitor in the foreground with a config in a
temporary directory (socket, state, audit log, metrics), a test
NOTIFY_SOCKET, and credentials of the stand-in's test user; nothing else
of AWS is reachable (no shared files, no instance metadata).  All traffic
stays on 127.0.0.1.

Environment: JAN_BIN (the binary), JAN_PYTHON (the stand-in's python).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "standin"))
import standin_testlib as sl  # noqa: E402  (also clears AWS_* here)

BIN = os.environ.get("JAN_BIN") or os.path.join(HERE, "..", "build", "daemon", "remotion-janitor")
PY = os.environ.get("JAN_PYTHON") or "/usr/bin/python3"
ACCOUNT = sl.ACCOUNT
SI = None


def _sanitized():
    try:
        out = subprocess.run(["ldd", BIN], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out or "libubsan" in out


SANITIZED = _sanitized()
# Sanitizers and valgrind slow everything down.
SLOW = 3.0 if SANITIZED else 1.0


def setUpModule():
    global SI
    SI = sl.StandIn(fixture=sl.small_fixture())


def tearDownModule():
    if SI is not None:
        SI.stop()


def reset_standin(fixture=None, latency=None):
    st, body = SI.control("POST", "fixture", fixture or sl.small_fixture())
    assert st == 200, body
    SI.faults([])
    st, body = SI.control("POST", "latency", latency or {})
    assert st == 200, body


def wait_for(pred, timeout, what, step=0.05):
    deadline = time.time() + timeout * SLOW
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout * SLOW, what, last))


def conf_text(port, d, aws=None, policy=None, daemon=None):
    sec = {
        "aws": {"regions": "eu-west-1 us-east-1 eu-central-1",
                "endpoint_url": "http://127.0.0.1:%d" % port,
                "max_attempts": "2", "request_timeout": "20s"},
        "policy": {},
        "daemon": {"interval": "1h", "jitter": "0", "startup_delay": "1h",
                   "socket": os.path.join(d, "s.sock"), "socket_mode": "0660",
                   "state_file": os.path.join(d, "state", "state.json"),
                   "audit_log": os.path.join(d, "state", "audit.jsonl"),
                   "metrics_file": os.path.join(d, "metrics.prom"),
                   "stop_timeout": "3s"},
    }
    for name, over in (("aws", aws), ("policy", policy), ("daemon", daemon)):
        sec[name].update(over or {})
    out = []
    for name in ("aws", "policy", "daemon"):
        out.append("[%s]" % name)
        out += ["%s = %s" % (k, v) for k, v in sec[name].items() if v is not None]
        out.append("")
    return "\n".join(out)


def ask(path, *cmds, timeout=5.0):
    """Send each command line, return the parsed answers."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout * SLOW)
    s.connect(path)
    f = s.makefile("rb")
    out = []
    for c in cmds:
        s.sendall(c.encode() + b"\n")
        line = f.readline()
        if not line:
            raise AssertionError("connection closed before the answer to %r" % c)
        out.append(json.loads(line.decode("utf-8")))
    f.close()
    s.close()
    return out if len(out) != 1 else out[0]


class Daemon:
    def __init__(self, **conf):
        self.dir = tempfile.mkdtemp(prefix="jd-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "state"), 0o750)
        self.conf = os.path.join(self.dir, "janitor.conf")
        self.sock = os.path.join(self.dir, "s.sock")
        self.metrics = os.path.join(self.dir, "metrics.prom")
        self.state_file = os.path.join(self.dir, "state", "state.json")
        self.audit = os.path.join(self.dir, "state", "audit.jsonl")
        self.logpath = os.path.join(self.dir, "stderr")
        self.write_conf(**conf)
        self.nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.npath = os.path.join(self.dir, "notify")
        self.nsock.bind(self.npath)
        self.nsock.settimeout(0.2)
        self.msgs = []
        self.proc = None
        # Drained all the time: sd_notify() blocks when the queue is full.
        self.reading = True
        self.reader = threading.Thread(target=self._read_notes, daemon=True)
        self.reader.start()

    def _read_notes(self):
        while self.reading:
            try:
                self.msgs.append(self.nsock.recv(4096).decode())
            except socket.timeout:
                continue
            except OSError:
                return

    def write_conf(self, text=None, **conf):
        with open(self.conf, "w") as f:
            f.write(text if text is not None else conf_text(SI.port, self.dir, **conf))

    def start(self, wrapper=(), env=None, args=(), umask=None):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "AWS_EC2_METADATA_DISABLED": "true",
             "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
             "AWS_ACCESS_KEY_ID": sl.TEST_AK, "AWS_SECRET_ACCESS_KEY": sl.TEST_SK,
             "NOTIFY_SOCKET": self.npath, "REMOTION_JANITOR_RETRY_BASE_MS": "10"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env or {})
        if getattr(self, "log_f", None):
            self.log_f.close()
        self.log_f = open(self.logpath, "a")
        self.proc = subprocess.Popen(list(wrapper) + [BIN, "-c", self.conf] + list(args),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log_f, env=e,
                                     preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
        return self

    def notes(self):
        return list(self.msgs)

    def wait_note(self, pred, timeout, what):
        return wait_for(lambda: [m for m in self.notes() if pred(m)], timeout, what)

    def ready(self, timeout=10):
        self.wait_note(lambda m: "READY=1" in m.split("\n"), timeout, "READY=1")
        return self

    def ask(self, *cmds, path=None):
        return ask(path or self.sock, *cmds)

    def status(self, path=None):
        return self.ask("status", path=path)

    def wait_status(self, pred, timeout, what, path=None):
        return wait_for(lambda: (lambda s: s if pred(s) else None)(self.status(path)), timeout, what)

    def log(self):
        with open(self.logpath) as f:
            return f.read()

    def metrics_value(self, name):
        try:
            with open(self.metrics) as f:
                for line in f:
                    # A family about a sweep: the one account's sample.
                    if line.startswith((name + " ", name + '{account="default"} ')):
                        return float(line.split()[1])
        except FileNotFoundError:
            return None
        return None

    def proc_status(self, key):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def private_kb(self):
        tot = 0
        with open("/proc/%d/smaps_rollup" % self.proc.pid) as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    tot += int(line.split()[1])
        return tot

    def pss_kb(self):
        with open("/proc/%d/smaps_rollup" % self.proc.pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        return None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the daemon did not stop within %ss; log:\n%s" % (timeout, self.log()))

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "log_f", None):
            self.log_f.close()
        self.reading = False
        self.reader.join(2)
        self.nsock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def in_scope_names(fx):
    names = set()
    for f in fx["functions"]:
        if f["name"].startswith("remotion-"):
            names.add(("function", f["region"], f["name"]))
    for b in fx["buckets"]:
        if b["name"].startswith(("remotion-", "remotionlambda-")):
            names.add(("bucket", b["region"], b["name"]))
    for ly in fx["layers"]:
        if ly["name"].startswith("remotion-"):
            for v in ly["versions"]:
                names.add(("layer_version", ly["region"], ly["name"]))
    return names


class DaemonTest(unittest.TestCase):
    def setUp(self):
        reset_standin()
        self.d = None

    def tearDown(self):
        if self.d is not None:
            if self._outcome_failed():
                sys.stderr.write("---- daemon log ----\n%s\n" % self.d.log())
            self.d.close()

    def _outcome_failed(self):
        res = getattr(self, "_outcome", None)
        errs = getattr(res, "errors", None) or []
        return any(e for _, e in errs) or (res is not None and not getattr(res, "success", True))

    def daemon(self, **conf):
        self.d = Daemon(**conf)
        return self.d

    # ---- notify, timer, status before/during/after, inventory, metrics --------
    def test_notify_periodic_sweeps_status_inventory_metrics(self):
        # The first sweep is slow (ListFunctions 1.2 s), so "during" can be seen.
        SI.control("POST", "latency", {"rules": [{"service": "lambda", "operation": "ListFunctions",
                                                  "ms": 1200}]})
        d = self.daemon(daemon={"interval": "2s", "startup_delay": "1s"})
        # UMask=0077 as in the unit: socket_mode and the metrics' 0644 still hold.
        d.start(env={"WATCHDOG_USEC": "300000"}, umask=0o077).ready()
        ready = [m for m in d.notes() if "READY=1" in m][0]
        self.assertIn("STATUS=", ready)
        self.assertEqual(os.stat(d.sock).st_mode & 0o777, 0o660)

        s = d.status()
        self.assertTrue(s["ok"])
        self.assertEqual(s["pid"], d.proc.pid)
        self.assertEqual(s["state"], "idle")
        self.assertIsNone(s["last_sweep"])
        self.assertIsNone(s["progress"])
        self.assertRegex(s["next_sweep_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIn("version", s)
        self.assertIsInstance(s["uptime_s"], int)

        s = d.wait_status(lambda s: s["state"] in ("sweeping", "deleting"), 5, "a sweep in progress")
        self.assertIsInstance(s["progress"], dict)
        for k in ("deletions_done", "deletions_total", "objects_deleted", "bucket", "started"):
            self.assertIn(k, s["progress"])
        self.assertIsNone(s["next_sweep_at"])
        d.wait_note(lambda m: "STATUS=sweeping" in m, 3, "STATUS=sweeping")

        s = d.wait_status(lambda s: s["last_sweep"] is not None, 10, "the first sweep")
        SI.control("POST", "latency", {})
        ls = s["last_sweep"]
        self.assertEqual(ls["exit_code"], 0, ls)
        self.assertEqual(ls["summary"]["found"], {"functions": 121, "layer_versions": 5, "buckets": 3, "log_groups": 0})
        self.assertEqual(ls["accounts"][0]["regions_ok"], 3)
        self.assertEqual(ls["accounts"][0]["regions_incomplete"], [])
        self.assertEqual(ls["accounts"][0]["regions_disabled"], [])
        for k in ("started", "finished", "duration_ms"):
            self.assertIn(k, ls)
        for k in ("candidates", "deleted", "failed", "refused"):
            self.assertIn(k, ls["summary"])
        self.assertGreaterEqual(ls["duration_ms"], 1000)
        self.assertEqual(ls["summary"]["deleted"], 0)

        inv = d.ask("inventory")
        self.assertTrue(inv["ok"])
        got = {(r["type"], r["region"], r["name"]) for r in inv["resources"]}
        self.assertEqual(got, in_scope_names(sl.small_fixture()))
        self.assertEqual(len(inv["resources"]), 121 + 5 + 3)
        self.assertEqual(sum(1 for r in inv["resources"] if r["decision"] == "delete"), ls["summary"]["candidates"])
        for r in inv["resources"]:
            self.assertIn(r["result"], (None, "dry-run"))

        # A short interval: more sweeps follow, each one after the previous.
        wait_for(lambda: (d.metrics_value("remotion_janitor_sweeps_total") or 0) >= 2, 8, "a second sweep")
        log = d.log()
        # Never two at once: every start but the last has its end before the next start.
        events = re.findall(r"sweep (started|finished)", log)
        self.assertGreaterEqual(events.count("finished"), 2)
        self.assertEqual(events[:2 * events.count("finished")],
                         ["started", "finished"] * events.count("finished"))

        # The metrics file: complete, atomic, readable.
        with open(d.metrics) as f:
            text = f.read()
        for m, t in (("remotion_janitor_resources", "gauge"), ("remotion_janitor_deletions_total", "counter"),
                     ("remotion_janitor_last_sweep_timestamp_seconds", "gauge"),
                     ("remotion_janitor_last_sweep_duration_seconds", "gauge"),
                     ("remotion_janitor_region_up", "gauge")):
            self.assertIn("# HELP %s " % m, text)
            self.assertIn("# TYPE %s %s\n" % (m, t), text)
        self.assertIn('remotion_janitor_resources{account="default",type="function",region="eu-west-1"} 120\n', text)
        self.assertIn('remotion_janitor_resources{account="default",type="bucket",region="eu-central-1"} 1\n', text)
        self.assertIn('remotion_janitor_region_up{account="default",region="us-east-1"} 1\n', text)
        self.assertIn('remotion_janitor_deletions_total{type="bucket",result="failed"} 0\n', text)
        self.assertAlmostEqual(d.metrics_value("remotion_janitor_last_sweep_timestamp_seconds"), time.time(),
                               delta=10 * SLOW)
        self.assertEqual(os.stat(d.metrics).st_mode & 0o777, 0o644)
        self.assertEqual([n for n in os.listdir(d.dir) if n.endswith(".tmp")], [])

        # The state file was saved by the daemon.
        with open(d.state_file) as f:
            self.assertIsInstance(json.load(f), dict)

        # The watchdog and STATUS= lines.
        self.assertGreaterEqual(sum(1 for m in d.notes() if m == "WATCHDOG=1"), 3)
        self.assertTrue(any(m.startswith("STATUS=idle; next sweep") for m in d.notes()), d.notes())

        # --status: the human summary and the raw line.
        r = subprocess.run([BIN, "--status", "-c", d.conf], capture_output=True, text=True, timeout=10 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"state: +(idle|sweeping|deleting)")
        self.assertIn("last sweep: ", r.stdout)
        self.assertIn("found 121 functions, 5 layer versions, 3 buckets", r.stdout)
        r = subprocess.run([BIN, "--status", "--json", "--socket", d.sock], capture_output=True, text=True,
                           timeout=10 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(json.loads(r.stdout)["ok"])

        # Idle memory (the figure for the README).
        d.wait_status(lambda s: s["state"] == "idle", 5, "idle")
        rss, pss, priv = d.proc_status("VmRSS"), d.pss_kb(), d.private_kb()
        sys.stderr.write("IDLE MEMORY after sweeps: VmRSS %d kB, Pss %d kB, private %d kB\n" % (rss, pss, priv))
        if not SANITIZED:
            self.assertLessEqual(priv, 8 * 1024)

        self.assertEqual(d.stop(), 0)
        d.wait_note(lambda m: "STOPPING=1" in m, 2, "STOPPING=1")
        self.assertFalse(os.path.exists(d.sock), "the socket file is removed at exit")
        self.assertIn("stopped", d.log())

    # ---- the sweep command and SO_PEERCRED ------------------------------------------
    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_sweep_command_permissions(self):
        SI.control("POST", "latency", {"rules": [{"service": "lambda", "operation": "ListFunctions",
                                                  "ms": 1000}]})
        d = self.daemon(daemon={"socket_mode": "0666"})
        d.start().ready()
        self.assertEqual(os.stat(d.sock).st_mode & 0o777, 0o666)
        client = ("import json,socket,sys\n"
                  "s=socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])\n"
                  "f=s.makefile('rb')\n"
                  "for c in sys.argv[2:]:\n"
                  "    s.sendall(c.encode()+b'\\n'); print(f.readline().decode().strip())\n")
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY, "-c", client,
                            d.sock, "status", "sweep"], capture_output=True, text=True, timeout=20 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        self.assertTrue(lines[0]["ok"])
        self.assertEqual(lines[1], {"ok": False, "error": "permission denied"})
        self.assertIsNone(d.status()["last_sweep"])
        self.assertEqual(d.status()["state"], "idle")

        self.assertEqual(d.ask("sweep"), {"ok": True})
        self.assertEqual(d.ask("sweep"), {"ok": False, "error": "already sweeping"})
        self.assertIn(d.status()["state"], ("sweeping", "deleting"))
        s = d.wait_status(lambda s: s["last_sweep"] is not None, 10, "the commanded sweep")
        self.assertEqual(s["last_sweep"]["trigger"], "command")
        # After a commanded sweep, the next one is an interval away.
        self.assertIsNotNone(s["next_sweep_at"])
        self.assertEqual(d.stop(), 0)

    # ---- bad input, long lines, many clients, idle clients ----------------------------
    def test_garbage_long_lines_many_clients(self):
        d = self.daemon()
        d.start(env={"REMOTION_JANITOR_CTL_IDLE_MS": "1500"}).ready()
        d.status()
        rss0 = d.proc_status("VmRSS")

        # Garbage: NULs, invalid UTF-8, control bytes; each still gets valid JSON.
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5 * SLOW)
        s.connect(d.sock)
        f = s.makefile("rb")
        for raw in (b"\x00\x00\x00", b"\xff\xfe\xc3\x28 status", b"stat\x00us", b"\x1b[31m;\r",
                    b"", b"   ", "st\u00e4tus".encode(), b"sweep now"):
            s.sendall(raw + b"\n")
            ans = json.loads(f.readline().decode("utf-8"))
            self.assertFalse(ans["ok"], raw)
            self.assertTrue(ans["error"].startswith(("unknown command: ", "empty command")), ans)
        # Pipelined commands on one connection: one answer each, in order.
        s.sendall(b"help\nstatus\r\n  inventory \n")
        answers = [json.loads(f.readline()) for _ in range(3)]
        self.assertEqual(sorted(answers[0]["commands"]), ["help", "inventory", "status", "sweep"])
        self.assertEqual(answers[1]["state"], "idle")
        self.assertEqual(answers[2]["resources"], [])
        f.close()
        s.close()

        # 4096 bytes is still a line; 4097 is not.
        self.assertTrue(ask(d.sock, "status" + " " * 4090)["ok"])
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5 * SLOW)
        s.connect(d.sock)
        s.sendall(b"s" * 4097 + b"\n")
        f = s.makefile("rb")
        self.assertEqual(json.loads(f.readline()), {"ok": False, "error": "line too long"})
        try:
            self.assertEqual(f.readline(), b"")
        except ConnectionResetError:
            pass      # closed with our unread newline still queued
        f.close()
        s.close()

        # A 1 MiB line: an error, the connection closed, the daemon fine.
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5 * SLOW)
        s.connect(d.sock)

        def flood():
            try:
                s.sendall(b"x" * (1 << 20))
            except OSError:
                pass
        t = threading.Thread(target=flood)
        t.start()
        f = s.makefile("rb")
        self.assertEqual(json.loads(f.readline()), {"ok": False, "error": "line too long"})
        t.join(10)
        f.close()
        s.close()
        self.assertTrue(d.status()["ok"])

        # 200 clients at once: 64 are served, the others told and closed;
        # the daemon keeps answering.
        socks = []
        for _ in range(200):
            c = socket.socket(socket.AF_UNIX)
            c.connect(d.sock)       # blocking: waits while the backlog is full
            c.settimeout(10 * SLOW)
            socks.append(c)
        served, refused = 0, 0
        for c in socks:
            try:
                c.sendall(b"status\n")
            except OSError:
                pass
            line = c.makefile("rb").readline()
            if not line:
                continue
            ans = json.loads(line)
            if ans.get("ok"):
                served += 1
            else:
                self.assertEqual(ans, {"ok": False, "error": "too many clients"})
                refused += 1
        self.assertEqual(served, 64)
        self.assertEqual(refused, 136)
        for c in socks:
            c.close()
        wait_for(lambda: d.status()["ok"], 5, "answers after the crowd left")

        # A silent connection is closed (the first-line deadline, 5 s;
        # idleness after a command: test_daemon_socket.py).
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10 * SLOW)
        s.connect(d.sock)
        t0 = time.time()
        self.assertEqual(s.recv(10), b"")
        self.assertGreaterEqual(time.time() - t0, 1.0)
        s.close()

        rss1 = d.proc_status("VmRSS")
        sys.stderr.write("RSS before/after the abuse: %d / %d kB\n" % (rss0, rss1))
        if not SANITIZED:
            self.assertLess(rss1 - rss0, 8 * 1024)
        self.assertEqual(d.stop(), 0)

    # ---- SIGHUP -----------------------------------------------------------------------
    def test_reload(self):
        d = self.daemon(daemon={"startup_delay": "0", "interval": "1h"})
        d.start().ready()
        s = d.wait_status(lambda s: s["last_sweep"] is not None and s["next_sweep_at"], 10, "the first sweep")
        fin = _epoch(s["last_sweep"]["finished"])
        next1 = s["next_sweep_at"]
        self.assertAlmostEqual(_epoch(next1) - fin, 3600, delta=5)
        seen = len(d.notes())

        # A broken config: every error reported with FILE:LINE, the old one stays.
        with open(d.conf) as f:
            good = f.read()
        broken = good.replace("interval = 1h", "interval = banana\nnosuchkey = 1")
        d.write_conf(text=broken)
        bad_line = broken.splitlines().index("interval = banana") + 1
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "the old one stays" in d.log(), 5, "the reload error")
        log = d.log()
        self.assertIn("%s:%d:" % (d.conf, bad_line), log)
        self.assertIn("%s:%d:" % (d.conf, bad_line + 1), log)
        self.assertEqual(d.status()["next_sweep_at"], next1)
        wait_for(lambda: any("READY=1" in m for m in d.notes()[seen:]), 3, "READY=1 after the failed reload")
        new = d.notes()[seen:]
        self.assertTrue(any("RELOADING=1" in m for m in new), new)
        self.assertLess(min(i for i, m in enumerate(new) if "RELOADING=1" in m),
                        max(i for i, m in enumerate(new) if "READY=1" in m))

        # A good one: applied (interval and socket path).
        sock2 = os.path.join(d.dir, "s2.sock")
        d.write_conf(text=good.replace("interval = 1h", "interval = 2h").replace(d.sock, sock2))
        seen = len(d.notes())
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: os.path.exists(sock2), 5, "the new socket")
        s = d.status(path=sock2)
        self.assertAlmostEqual(_epoch(s["next_sweep_at"]) - fin, 7200, delta=5)
        self.assertFalse(os.path.exists(d.sock))
        self.assertIn("configuration reloaded", d.log())
        wait_for(lambda: any("READY=1" in m for m in d.notes()[seen:]), 3, "READY=1 after the reload")
        self.assertEqual(d.stop(), 0)

    # ---- SIGTERM while a bucket is emptied ----------------------------------------------
    def test_sigterm_during_bucket_emptying(self):
        bucket = "remotionlambda-euwest1-stoptest01"
        fx = sl.small_fixture(functions=[], layers=[], buckets=[
            {"name": bucket, "region": "eu-west-1", "age_days": 30,
             "generate": {"count": 12000, "prefix": "renders/s", "age_days": 20}}])
        reset_standin(fx, {"rules": [{"service": "s3", "operation": "DeleteObjects", "ms": 900}]})
        d = self.daemon(aws={"regions": "eu-west-1", "account_id": ACCOUNT},
                        policy={"mode": "delete", "buckets": "yes", "max_deletions": "5"},
                        daemon={"startup_delay": "0", "stop_timeout": "2s"})
        d.start().ready()
        d.wait_status(lambda s: s["state"] == "deleting" and (s["progress"] or {}).get("bucket") == bucket,
                      10, "the bucket being emptied")
        # The signal must find a DeleteObjects in flight (each takes 0.9 s):
        # the job starts with its listing, before any batch is sent.
        deadline = time.time() + 30
        while not any(e["operation"] == "DeleteObjects" for e in SI.log()) and time.time() < deadline:
            time.sleep(0.02)
        seq = SI.log()[-1]["seq"] if SI.log() else 0
        t0 = time.time()
        rc = d.stop()
        took = time.time() - t0
        self.assertEqual(rc, 0, d.log())
        # How long it took is a figure, not a check (machines are loaded);
        # that it stopped at all, with nothing new sent, is the check.
        print("stopped %.2f s after SIGTERM (stop_timeout 2 s)" % took, file=sys.stderr)
        self.assertIn("no new requests", d.log())
        # After SIGTERM nothing new is sent: the stand-in saw no request
        # arrive later than the signal (a small margin for one in transit).
        late = [e for e in SI.log() if e["seq"] > seq and e["t"] > t0 + 0.05]
        self.assertEqual(late, [], "requests sent after SIGTERM")
        with open(d.state_file) as f:
            st = json.load(f)
        self.assertIsInstance(st, dict)
        left = [b for b in SI.state()["buckets"] if b["name"] == bucket]
        self.assertEqual(len(left), 1, "the bucket is only partly emptied")
        self.assertLess(left[0]["keys"], 12000)
        with open(d.audit) as f:
            rec = [json.loads(x) for x in f]
        self.assertEqual([r["name"] for r in rec], [bucket])
        self.assertEqual(rec[0]["result"], "failed")

        # The next start finishes the bucket.
        SI.control("POST", "latency", {})
        del d.msgs[:]
        restart_ms = time.time() * 1000
        d.start().ready()
        s = d.wait_status(lambda s: s["last_sweep"]["accounts"][0]["finished_ms"] > restart_ms, 20,
                          "the sweep after the restart")
        self.assertEqual(s["last_sweep"]["summary"]["deleted"], 1, s)
        self.assertEqual([b for b in SI.state()["buckets"] if b["name"] == bucket], [])
        with open(d.audit) as f:
            rec = [json.loads(x) for x in f]
        self.assertEqual(rec[-1]["result"], "deleted")
        self.assertEqual(d.stop(), 0)

    # ---- start-up -----------------------------------------------------------------------
    def test_startup_errors_and_stale_socket(self):
        d = self.daemon()
        # A broken config: FILE:LINE, exit 2.
        d.write_conf(text="[daemon]\ninterval = 0s\n[nosuch]\n")
        r = subprocess.run([BIN, "-c", d.conf], capture_output=True, text=True, timeout=10 * SLOW,
                           env={"PATH": os.environ["PATH"]})
        self.assertEqual(r.returncode, 2)
        self.assertIn("%s:2:" % d.conf, r.stderr)
        self.assertIn("%s:3:" % d.conf, r.stderr)
        d.write_conf()

        # A stale socket (nobody listens) is replaced.
        st = socket.socket(socket.AF_UNIX)
        st.bind(d.sock)
        st.close()
        d.start().ready()
        self.assertIn("removed the stale socket", d.log())
        self.assertTrue(d.status()["ok"])

        # A live one is not: the second daemon exits, the first goes on.
        r = subprocess.run([BIN, "-c", d.conf], capture_output=True, text=True, timeout=10 * SLOW,
                           env={"PATH": os.environ["PATH"]})
        self.assertEqual(r.returncode, 2)
        self.assertIn("another daemon is running on %s" % d.sock, r.stderr)
        self.assertTrue(d.status()["ok"])
        self.assertEqual(d.stop(), 0)

        # Something else at the path is never removed.
        with open(d.sock, "w") as f:
            f.write("not a socket")
        r = subprocess.run([BIN, "-c", d.conf], capture_output=True, text=True, timeout=10 * SLOW,
                           env={"PATH": os.environ["PATH"]})
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a socket", r.stderr)
        with open(d.sock) as f:
            self.assertEqual(f.read(), "not a socket")

        # --status with no daemon: exit 1, naming the socket.
        os.unlink(d.sock)
        r = subprocess.run([BIN, "--status", "-c", d.conf], capture_output=True, text=True, timeout=10 * SLOW)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no daemon answers on %s" % d.sock, r.stderr)

    # ---- a failing sweep: logged, retried, credentials read afresh ------------------
    def test_failed_sweep_is_retried_with_fresh_credentials(self):
        d = self.daemon(daemon={"interval": "1s", "startup_delay": "0"})
        creds = os.path.join(d.dir, "credentials")
        d.start(env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                     "AWS_SHARED_CREDENTIALS_FILE": creds}).ready()
        s = d.wait_status(lambda s: s["last_sweep"] is not None, 10, "a sweep without credentials")
        self.assertEqual(s["last_sweep"]["exit_code"], 3, s)
        self.assertIn("credentials", s["last_sweep"]["accounts"][0]["error"])
        self.assertIsNone(d.proc.poll())
        # The keys appear in the file: the next tick uses them.
        with open(creds, "w") as f:
            f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (sl.TEST_AK, sl.TEST_SK))
        s = d.wait_status(lambda s: s["last_sweep"] and s["last_sweep"]["exit_code"] == 0, 10,
                          "a sweep with the new credentials")
        self.assertEqual(s["last_sweep"]["summary"]["found"]["functions"], 121)
        self.assertEqual(d.stop(), 0)

    # ---- the sweep lock held by a CLI sweep ----------------------------------------------
    def test_lock_held_by_another_sweep(self):
        import fcntl
        d = self.daemon(daemon={"interval": "1s", "startup_delay": "0"})
        lock = open(d.state_file + ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lock.write("%d\n" % os.getpid())
            lock.flush()
            d.start().ready()
            wait_for(lambda: d.log().count("no sweep this time") >= 2, 6, "two ticks skipped")
            self.assertIn("another sweep (pid %d) holds the lock" % os.getpid(), d.log())
            ans = d.ask("sweep")
            self.assertFalse(ans["ok"])
            self.assertIn("holds the lock", ans["error"])
            self.assertIsNone(d.status()["last_sweep"])
        finally:
            lock.close()
        s = d.wait_status(lambda s: s["last_sweep"] is not None, 6, "a sweep once the lock is free")
        self.assertEqual(s["last_sweep"]["exit_code"], 0)
        self.assertEqual(d.stop(), 0)

    # ---- the last sweep survives a restart ----------------------------------------------
    def test_last_sweep_read_back_at_start(self):
        d = self.daemon(daemon={"interval": "1h", "startup_delay": "0"})
        d.start().ready()
        first = d.wait_status(lambda s: s["last_sweep"] is not None, 20, "the first sweep")["last_sweep"]
        self.assertEqual(first["trigger"], "timer")
        self.assertEqual(d.stop(), 0)
        # The state file holds the same record as status showed, under
        # the account it is about.
        with open(d.state_file) as f:
            self.assertEqual(dict(json.load(f)["accounts"][ACCOUNT]["last_sweep"], name="default"), first["accounts"][0])

        # Restarted with no sweep due for an hour: status shows the one
        # before the restart, and so does STATUS=.
        d.write_conf(daemon={"interval": "1h", "startup_delay": "1h"})
        os.unlink(d.metrics)
        del d.msgs[:]
        d.start().ready()
        # The metrics file is written again at start: the counters from 0,
        # the last sweep's time and exit code from the record.
        self.assertEqual(d.metrics_value("remotion_janitor_sweeps_total"), 0)
        self.assertAlmostEqual(d.metrics_value("remotion_janitor_last_sweep_timestamp_seconds"),
                               first["accounts"][0]["finished_ms"] / 1000, places=2)
        self.assertEqual(d.metrics_value("remotion_janitor_last_sweep_exit_code"), first["exit_code"])
        s = d.status()
        self.assertEqual(s["state"], "idle")
        self.assertEqual(s["last_sweep"], first)
        ready = [m for m in d.notes() if "READY=1" in m][0]
        self.assertIn("last: %d found" % sum(first["summary"]["found"].values()), ready)
        self.assertEqual(d.stop(), 0)

    # ---- NOTIFY_SOCKET in the abstract namespace --------------------------------------
    def test_abstract_notify_socket(self):
        d = self.daemon()
        name = "jd-notify-%d-%d" % (os.getpid(), int(time.time() * 1000))
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind("\0" + name)
        ns.settimeout(10 * SLOW)
        try:
            d.start(env={"NOTIFY_SOCKET": "@" + name})
            msg = ns.recv(4096).decode()
            self.assertIn("READY=1", msg.split("\n"))
            self.assertTrue(any(x.startswith("STATUS=idle") for x in msg.split("\n")), msg)
            self.assertEqual(d.stop(), 0)
        finally:
            ns.close()

    # ---- valgrind -------------------------------------------------------------------------
    @unittest.skipIf(SANITIZED, "valgrind does not run sanitized binaries")
    @unittest.skipUnless(shutil.which("valgrind"), "valgrind not installed")
    def test_valgrind(self):
        global SLOW
        d = self.daemon(aws={"regions": "eu-west-1 us-east-1"}, daemon={"startup_delay": "0"})
        vg = ["valgrind", "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
              "--error-exitcode=97", "--track-origins=no"]
        old, SLOW = SLOW, 10.0
        try:
            d.start(wrapper=vg).ready(timeout=3)
            s = d.wait_status(lambda s: s["last_sweep"] is not None, 3, "a sweep under valgrind")
            self.assertEqual(s["last_sweep"]["exit_code"], 0)
            self.assertTrue(d.ask("inventory")["ok"])
            d.proc.send_signal(signal.SIGHUP)
            d.wait_note(lambda m: "RELOADING=1" in m, 2, "the reload")
            self.assertTrue(d.status()["ok"])
            rc = d.stop(timeout=6)
        finally:
            SLOW = old
        self.assertEqual(rc, 0, d.log())


def _epoch(ts):
    import calendar
    return calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
