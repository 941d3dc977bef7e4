#!/usr/bin/python3
"""Operating the service (issue 14): the real daemon against the stand-in.

- `systemctl reload` as the unit ships it (its ExecReload= lines run in
  order, stopping at the first that fails, as systemd does): a config with
  errors fails the reload and the daemon is never signalled; a reload the
  daemon itself refuses keeps the old config and says so in STATUS=, in
  `status` and in `--status`; a good one clears that.

Uses the harness of test_daemon.py (Daemon, the stand-in).
Environment: JAN_BIN, JAN_PYTHON, JAN_SOURCE_DIR (set by CMake).
"""
import os
import re
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_daemon as td  # noqa: E402

SRC = os.environ.get("JAN_SOURCE_DIR") or os.path.join(HERE, "..")
UNIT = os.path.join(SRC, "systemd", "remotion-janitor.service")
UNIT_BIN = "/usr/bin/remotion-janitor"
UNIT_CONF = "/etc/remotion-janitor/remotion-janitor.conf"


def setUpModule():
    td.setUpModule()


def tearDownModule():
    td.tearDownModule()


def unit_values(key):
    with open(UNIT) as f:
        return [ln.strip()[len(key) + 1:] for ln in f if ln.startswith(key + "=")]


def run_exec_reload(d):
    """The unit's ExecReload= lines for daemon d, as systemd runs them: in
    order, the first failure ends the reload.  (rc, stderr of the failure)."""
    for line in unit_values("ExecReload"):
        argv = [a.replace(UNIT_BIN, td.BIN).replace(UNIT_CONF, d.conf).replace("$MAINPID", str(d.proc.pid))
                for a in shlex.split(line)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30 * td.SLOW)
        if r.returncode:
            return r.returncode, r.stderr
    return 0, ""


class OpsTest(unittest.TestCase):
    # test_daemon's fixture methods, not its tests.
    setUp = td.DaemonTest.setUp
    tearDown = td.DaemonTest.tearDown
    _outcome_failed = td.DaemonTest._outcome_failed
    daemon = td.DaemonTest.daemon

    # ---- systemctl reload: checked first; a refused reload is visible ---------------
    def test_reload_checked_and_refusal_reported(self):
        d = self.daemon(daemon={"startup_delay": "0", "interval": "1h"})
        d.start().ready()
        d.wait_status(lambda s: s["last_sweep"] is not None, 10, "the first sweep")
        self.assertIsNone(d.status()["last_reload"])
        with open(d.conf) as f:
            good = f.read()

        # 1. Errors in the file: the reload fails (exit 2, FILE:LINE), the
        #    daemon is not signalled at all.
        broken = good.replace("interval = 1h", "interval = banana")
        d.write_conf(text=broken)
        bad_line = broken.splitlines().index("interval = banana") + 1
        seen = len(d.notes())
        rc, err = run_exec_reload(d)
        self.assertEqual(rc, 2)
        self.assertIn("%s:%d:" % (d.conf, bad_line), err)
        self.assertIsNone(d.status()["last_reload"])
        self.assertFalse(any("RELOADING=1" in m for m in d.notes()[seen:]))
        self.assertNotIn("SIGHUP", d.log())

        # 2. A plain SIGHUP with the same file: refused by the daemon, and
        #    shown in STATUS=, `status` and `--status`.
        d.proc.send_signal(td.signal.SIGHUP)
        s = td.wait_for(lambda: (lambda s: s if s["last_reload"] else None)(d.status()), 5, "the refused reload")
        lr = s["last_reload"]
        self.assertFalse(lr["ok"])
        self.assertRegex(lr["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIn("%s:%d:" % (d.conf, bad_line), lr["error"])
        self.assertIn("1 error", lr["error"])
        note = d.wait_note(lambda m: "READY=1" in m and "reload failed, old configuration kept" in m, 3,
                           "STATUS= of the refused reload")[-1]
        self.assertIn("%s:%d:" % (d.conf, bad_line), note)
        r = subprocess.run([td.BIN, "--status", "--socket", d.sock], capture_output=True, text=True,
                           timeout=10 * td.SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"reload: +FAILED at \S+, the old configuration stays in force: .*%s:%d:"
                         % (re.escape(d.conf), bad_line))
        # The old configuration is in force: the socket and schedule unchanged.
        self.assertEqual(s["state"], "idle")

        # 3. A file the check accepts but the daemon cannot apply (the new
        #    socket's directory does not exist): the reload command succeeds,
        #    the daemon keeps the old config and says why.
        nodir = os.path.join(d.dir, "nosuchdir", "s.sock")
        d.write_conf(text=good.replace(d.sock, nodir))
        seen = len(d.notes())
        self.assertEqual(run_exec_reload(d), (0, ""))
        d.wait_note(lambda m: "READY=1" in m, 5, "READY=1 after the reload")
        lr = d.status()["last_reload"]
        self.assertFalse(lr["ok"])
        self.assertIn(nodir, lr["error"])
        self.assertTrue(os.path.exists(d.sock))
        self.assertTrue(any("reload failed" in m for m in d.notes()[seen:]))

        # 4. The good file: applied, the failure no longer reported.
        d.write_conf(text=good.replace("interval = 1h", "interval = 2h"))
        seen = len(d.notes())
        self.assertEqual(run_exec_reload(d), (0, ""))
        s = td.wait_for(lambda: (lambda s: s if s["last_reload"]["ok"] else None)(d.status()), 5, "the reload")
        self.assertIsNone(s["last_reload"]["error"])
        ready = d.wait_note(lambda m: "READY=1" in m, 5, "READY=1")
        self.assertTrue(all("reload failed" not in m for m in d.notes()[seen:]), d.notes()[seen:])
        self.assertTrue(any(m.startswith("READY=1\nSTATUS=idle") for m in ready), ready)
        r = subprocess.run([td.BIN, "--status", "--socket", d.sock], capture_output=True, text=True,
                           timeout=10 * td.SLOW)
        self.assertRegex(r.stdout, r"reload: +applied at ")
        self.assertEqual(d.stop(), 0)

    # ---- RestartPreventExitStatus: the exit code of a config error ------------------
    def test_config_error_exit_is_not_restarted(self):
        prevent = " ".join(unit_values("RestartPreventExitStatus")).split()
        d = self.daemon()
        d.write_conf(text="[daemon]\ninterval = 0s\n")
        r = subprocess.run([td.BIN, "-c", d.conf], capture_output=True, text=True, timeout=10 * td.SLOW,
                           env={"PATH": os.environ["PATH"]})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(str(r.returncode), prevent)
        # A failure a restart may fix (1) is still restarted.
        self.assertNotIn("1", prevent)
        self.assertEqual(unit_values("Restart"), ["on-failure"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
