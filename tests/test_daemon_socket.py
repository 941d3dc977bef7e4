#!/usr/bin/python3
"""The status socket under abuse (issue 10): the real daemon, a large
inventory from the stand-in, and clients that connect and never write, or
ask for the inventory and never read.

  - a connection that sends nothing is closed after the first-line deadline;
  - the last CTL_RESERVED_CLIENTS slots are kept for root and the daemon's
    uid: other users' idle connections fill the rest, and root is still
    answered while they are refused;
  - `inventory` is streamed with a bounded buffer per client: 200 idle
    clients plus 20 that ask for a multi-MiB inventory and never read leave
    the daemon's RSS far below 20 answers, and `remotion-janitor --status`
    answers meanwhile (its latency is printed for the README);
  - a client that does not take its answer within the drain deadline is
    closed; one that reads gets the same bytes as json-c's whole document.

Reuses the harness of test_daemon.py (Daemon, ask, wait_for).
Environment: JAN_BIN, JAN_PYTHON.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "standin"))
import standin_testlib as sl  # noqa: E402
import test_daemon as td  # noqa: E402

BIN, PY = td.BIN, td.PY
GENFIXTURE = os.path.join(HERE, "standin", "genfixture.py")
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]
FUNCTIONS_PER_REGION = 6000     # about 290 bytes each in the answer: ~5 MiB
MAX_CLIENTS, RESERVED = 64, 8   # ctl.h
NOBODY = 65534
FIXTURE = None


def big_fixture():
    out = subprocess.run([PY, GENFIXTURE, "--regions", ",".join(REGIONS), "--disabled", "none",
                          "--functions", str(FUNCTIONS_PER_REGION), "--no-lookalikes", "--layers", "0",
                          "--buckets", "0", "--seed", "10"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    doc = json.loads(out)
    doc["users"] = sl.small_fixture()["users"]
    return doc


def setUpModule():
    global FIXTURE
    FIXTURE = big_fixture()
    td.SI = sl.StandIn(fixture=FIXTURE)


def tearDownModule():
    if td.SI is not None:
        td.SI.stop()


def connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout * td.SLOW)
    s.connect(path)         # blocking: waits while the backlog is full
    return s


def read_all(s):
    """Everything until EOF (or a reset: closed with unread input)."""
    data = bytearray()
    while True:
        try:
            b = s.recv(1 << 16)
        except ConnectionResetError:
            break
        if not b:
            break
        data += b
    return bytes(data)


def status_cli(d):
    """`remotion-janitor --status --json` as root; (answer, seconds)."""
    t0 = time.monotonic()
    r = subprocess.run([BIN, "--status", "--json", "--socket", d.sock], capture_output=True, text=True,
                       timeout=10 * td.SLOW)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise AssertionError("--status failed (%d): %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout), dt


# A child that opens N connections as another uid and never writes.  Once
# `refused` of them have been answered (or after 20 s), and 0.5 s more, it
# prints one line per connection: what the daemon sent ("" for EOF) or
# "held" when nothing came; then it keeps them open until stdin closes.
HOLDER = r"""
import select, socket, sys, time
path, n, refused = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    socks.append(s)
got = {}
deadline, grace = time.time() + 20, None
while time.time() < (grace or deadline):
    r, _, _ = select.select([s for s in socks if s not in got], [], [], 0.1)
    for s in r:
        try:
            got[s] = s.recv(4096).decode().strip()
        except ConnectionResetError:
            got[s] = ""
    if grace is None and len(got) >= refused:
        grace = time.time() + 0.5
print("\n".join(got.get(s, "held") for s in socks), flush=True)
sys.stdin.read()
"""

TOO_MANY = '{"ok":false,"error":"too many clients"}'


def hold_as_nobody(path, n, refused):
    """Start a HOLDER as nobody; (process, the per-connection results)."""
    child = subprocess.Popen(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                              PY, "-c", HOLDER, path, str(n), str(refused)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    res = []
    for _ in range(n):
        line = child.stdout.readline()
        if not line:
            child.kill()
            raise AssertionError("the holder died after %d lines" % len(res))
        res.append(line.strip())
    return child, res


def release(child):
    if child.poll() is None:
        child.stdin.close()
        child.wait(10)
        child.stdout.close()


ROOT_ONLY = unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                                "needs root (the reserve is for root) and setpriv")


class SocketFairness(unittest.TestCase):
    def setUp(self):
        self.d = None

    def tearDown(self):
        if self.d is not None:
            if td.DaemonTest._outcome_failed(self):
                sys.stderr.write("---- daemon log ----\n%s\n" % self.d.log())
            self.d.close()

    def daemon(self, env=None, args=(), **conf):
        conf.setdefault("aws", {"regions": " ".join(REGIONS)})
        conf.setdefault("daemon", {})
        conf["daemon"].setdefault("startup_delay", "0")
        conf["daemon"].setdefault("socket_mode", "0666")
        self.d = td.Daemon(**conf)
        self.d.start(env=env, args=args).ready()
        s = self.d.wait_status(lambda s: s["last_sweep"] is not None, 60, "the first sweep")
        self.assertEqual(s["last_sweep"]["exit_code"], 0, s["last_sweep"])
        self.assertEqual(s["last_sweep"]["summary"]["found"]["functions"], FUNCTIONS_PER_REGION * len(REGIONS))
        return self.d

    def inventory_bytes(self, d):
        s = connect(d.sock, timeout=30)
        s.sendall(b"inventory\n")
        data = bytearray()
        while not data.endswith(b"\n"):
            b = s.recv(1 << 16)
            self.assertTrue(b, "EOF before the end of the inventory")
            data += b
        s.close()
        return bytes(data)

    # ---- 200 idle clients, 20 that never read, a multi-MiB inventory --------------
    @ROOT_ONLY
    def test_idle_and_non_reading_clients_cost_bounded_memory(self):
        d = self.daemon(env={"REMOTION_JANITOR_CTL_FIRST_LINE_MS": "120000",
                             "REMOTION_JANITOR_CTL_DRAIN_MS": "120000"})
        answer = self.inventory_bytes(d)
        inv = json.loads(answer)
        self.assertEqual(len(inv["resources"]), FUNCTIONS_PER_REGION * len(REGIONS))
        # Byte for byte json-c's print of the whole object (what the daemon
        # sent before it streamed): compact, keys in order, UTF-8 as is.
        self.assertEqual(answer, json.dumps(inv, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
        self.assertEqual(list(inv), ["ok", "finished", "account", "resources"])
        size = len(answer)
        self.assertGreater(size, 4 << 20, "the answer must dwarf the socket buffers")
        rss0 = d.proc_status("VmRSS")

        # 20 clients (root) ask for the inventory and never read.
        stuck = []
        for _ in range(20):
            s = connect(d.sock)
            s.sendall(b"inventory\n")
            stuck.append(s)
        # 200 (nobody) connect and never write: 36 more are served, which
        # fills the unreserved slots; the others are told and closed.
        child, res = hold_as_nobody(d.sock, 200, 200 - (MAX_CLIENTS - RESERVED - 20))
        self.addCleanup(release, child)
        self.assertEqual(res.count("held"), MAX_CLIENTS - RESERVED - 20, res)
        self.assertEqual(res.count(TOO_MANY), 200 - (MAX_CLIENTS - RESERVED - 20), res)

        # Root still gets `status`, through `remotion-janitor --status`.
        lat = []
        for _ in range(5):
            ans, dt = status_cli(d)
            self.assertTrue(ans["ok"])
            self.assertEqual(ans["pid"], d.proc.pid)
            lat.append(dt)
        rss1 = d.proc_status("VmRSS")
        sys.stderr.write("SOCKET: inventory answer %d bytes; --status under 20 stuck + 200 idle clients: "
                         "%.1f / %.1f ms (min / max of 5); VmRSS %d -> %d kB (+%d kB)\n"
                         % (size, min(lat) * 1000, max(lat) * 1000, rss0, rss1, rss1 - rss0))
        # Holding every answer would cost 20 x size; a bounded buffer each
        # costs well under one answer.
        if not td.SANITIZED:
            self.assertLess((rss1 - rss0) * 1024, size)
        # The stuck clients are still connected: they can read their answer
        # (this one reads it all now, and gets the same bytes).
        s = stuck.pop()
        data = bytearray()
        while not data.endswith(b"\n"):
            b = s.recv(1 << 16)
            self.assertTrue(b, "a slow reader was cut off")
            data += b
        self.assertEqual(bytes(data), answer)
        s.close()
        for s in stuck:
            s.close()
        self.assertEqual(d.stop(), 0)

    # ---- the first-line deadline, and the drain deadline ---------------------------
    def test_first_line_and_drain_deadlines(self):
        d = self.daemon(env={"REMOTION_JANITOR_CTL_DRAIN_MS": "2000", "REMOTION_JANITOR_CTL_IDLE_MS": "1500"},
                        args=("-v",))
        # After a command, the idle deadline (1.5 s here, 30 s by default).
        s = connect(d.sock, timeout=15)
        s.sendall(b"help\n")
        f = s.makefile("rb")
        self.assertTrue(json.loads(f.readline())["ok"])
        t0 = time.monotonic()
        self.assertEqual(f.read(), b"")
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        f.close()
        s.close()
        # Silent: closed after the first-line deadline (5 s, the default).
        s = connect(d.sock, timeout=15)
        t0 = time.monotonic()
        self.assertEqual(s.recv(10), b"")
        waited = time.monotonic() - t0
        s.close()
        self.assertGreaterEqual(waited, 4.0)
        # Bytes without a newline do not extend it.
        s = connect(d.sock, timeout=15)
        t0 = time.monotonic()
        s.sendall(b"sta")
        time.sleep(1)
        s.sendall(b"t")
        self.assertEqual(s.recv(10), b"")
        self.assertGreaterEqual(time.monotonic() - t0, 4.0)
        s.close()
        sys.stderr.write("SOCKET: a silent connection was closed after %.2f s\n" % waited)

        # `inventory`, then not reading: closed once the answer has not
        # drained for 2 s; what arrived is a cut line, no newline.
        s = connect(d.sock, timeout=15)
        s.sendall(b"inventory\n")
        td.wait_for(lambda: "did not read its answer" in d.log(), 15, "the drain deadline")
        data = read_all(s)
        s.close()
        self.assertGreater(len(data), 0)
        self.assertFalse(data.endswith(b"\n"))
        self.assertTrue(d.status()["ok"])
        self.assertEqual(d.stop(), 0)

    # ---- the reserve: other users cannot keep root out -----------------------------
    @ROOT_ONLY
    def test_reserved_slots_for_root(self):
        d = self.daemon(env={"REMOTION_JANITOR_CTL_FIRST_LINE_MS": "120000"})
        n = MAX_CLIENTS + 10
        child, res = hold_as_nobody(d.sock, n, RESERVED + 10)
        self.addCleanup(release, child)
        # nobody gets the unreserved slots only; the rest are refused.
        self.assertEqual(res.count("held"), MAX_CLIENTS - RESERVED, res)
        self.assertEqual(res.count(TOO_MANY), RESERVED + 10, res)
        # root is answered, on a reserved slot, while nobody is refused.
        ans, dt = status_cli(d)
        self.assertTrue(ans["ok"], ans)
        sys.stderr.write("SOCKET: --status with %d idle connections of nobody: %.1f ms\n"
                         % (MAX_CLIENTS - RESERVED, dt * 1000))
        held = [connect(d.sock) for _ in range(RESERVED)]
        for s in held:
            s.sendall(b"help\n")
            self.assertTrue(json.loads(s.makefile("rb").readline())["ok"])
        # All 64 slots taken now: root too is told, not left hanging.
        with connect(d.sock) as s:
            self.assertEqual(s.makefile("rb").readline().decode().strip(), TOO_MANY)
        for s in held:
            s.close()
        td.wait_for(lambda: status_cli(d)[0]["ok"], 10, "a free reserved slot")
        release(child)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
