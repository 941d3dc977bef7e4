#!/usr/bin/python3
"""Operating the service (issue 14): the real daemon against the stand-in.

- the metrics file parses as Prometheus text (HELP and TYPE before the
  samples, no duplicate series); a failed listing leaves its resources and
  candidates series absent, not 0; the last-success time is absent until
  a sweep succeeds and survives a restart through the state file; the
  incomplete-sweeps streak counts and resets;
- conf/remotion-janitor-alerts.yml passes `promtool check rules` and
  `promtool test rules` (tests/prometheus/alerts_test.yml), and the daemon's
  file passes `promtool check metrics` (skipped with a notice without
  promtool: Debian's package `prometheus` is 96 MB installed);
- the audit log rotated by logrotate with the shipped snippet while a
  sweep appends to it: SIGUSR1 moves the sweep to the new file, and every
  outcome is in exactly one of the two files, as whole lines;
- a refused resource is written to the audit log once while it stays
  refused (across sweeps and restarts), and again when refused anew;
- the node-exporter textfile directory (root:root 0755, as on Debian):
  the daemon, run as an unprivileged user, cannot write there; after the
  shipped tmpfiles.d entry is applied (systemd-tmpfiles --root) it writes
  into its own directory, and another user reads the file through the
  collector's *.prom link;
- `systemctl reload` as the unit ships it (its ExecReload= lines run in
  order, stopping at the first that fails, as systemd does): a config with
  errors fails the reload and the daemon is never signalled; a reload the
  daemon itself refuses keeps the old config and says so in STATUS=, in
  `status` and in `--status`; a good one clears that.

Uses the harness of test_daemon.py (Daemon, the stand-in).
Environment: JAN_BIN, JAN_PYTHON, JAN_SOURCE_DIR (set by CMake).
"""
import grp
import json
import os
import pwd
import re
import shlex
import shutil
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
LOGROTATE = os.path.join(SRC, "systemd", "remotion-janitor.logrotate")
TMPFILES = os.path.join(SRC, "systemd", "remotion-janitor-node-exporter.tmpfiles")
DAEMON_UID = 64123          # the daemon's user in the test (no such user on the host)
ALERTS = os.path.join(SRC, "conf", "remotion-janitor-alerts.yml")
ALERTS_TEST = os.path.join(HERE, "prometheus", "alerts_test.yml")
PROMTOOL = shutil.which("promtool")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? '
                    r'(-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$')


def setUpModule():
    td.setUpModule()


def tearDownModule():
    td.tearDownModule()


def unit_values(key):
    with open(UNIT) as f:
        return [ln.strip()[len(key) + 1:] for ln in f if ln.startswith(key + "=")]


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of a text exposition (0.0.4),
    asserting its grammar: every sample's family has HELP and TYPE first,
    no family is split, no series repeats, the text ends in a newline."""
    assert text.endswith("\n"), "no final newline"
    types, helps, out, done, current = {}, set(), {}, set(), None
    for line in text.splitlines():
        m = re.match(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$", line)
        if m:
            kind, name, rest = m.groups()
            if kind == "HELP":
                assert name not in helps, "second HELP for " + name
                helps.add(name)
            else:
                assert rest in ("gauge", "counter"), line
                assert name not in types, "second TYPE for " + name
                types[name] = rest
            if name != current:
                assert name not in done, "family %s split" % name
                if current:
                    done.add(current)
                current = name
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.groups()
        assert name == current and name in types and name in helps, "%s before its HELP/TYPE" % name
        lab = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        assert (name, lab) not in out, "duplicate series %s%s" % (name, labels or "")
        out[(name, lab)] = float(value)
    return out


def series(metrics, name, **labels):
    """A daemon-wide sample, else the one account's (account="default")."""
    got = metrics.get((name, frozenset(labels.items())))
    if got is None:
        got = metrics.get((name, frozenset(dict(labels, account="default").items())))
    return got


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
        td.wait_for(lambda: any("READY=1" in m for m in d.notes()[seen:]), 5, "READY=1 after the reload")
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
        ready = td.wait_for(lambda: [m for m in d.notes()[seen:] if "READY=1" in m], 5, "READY=1")
        self.assertTrue(all("reload failed" not in m for m in d.notes()[seen:]), d.notes()[seen:])
        self.assertTrue(any(m.startswith("READY=1\nSTATUS=idle") for m in ready), ready)
        r = subprocess.run([td.BIN, "--status", "--socket", d.sock], capture_output=True, text=True,
                           timeout=10 * td.SLOW)
        self.assertRegex(r.stdout, r"reload: +applied at ")
        self.assertEqual(d.stop(), 0)

    # ---- metrics: absent series, last success, streaks, the alert rules ------------
    def sweep_now(self, d, n):
        """Command sweep number n (sweeps_total == n afterwards); its metrics."""
        self.assertEqual(d.ask("sweep"), {"ok": True})
        td.wait_for(lambda: d.metrics_value("remotion_janitor_sweeps_total") == n, 20, "sweep %d" % n)
        with open(d.metrics) as f:
            text = f.read()
        if PROMTOOL:
            r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return parse_metrics(text)

    def test_metrics_clock_skew(self):
        # A server an hour ahead: requests are signed with that correction,
        # and the gauge says it; one 200 days behind: refused, and said.
        try:
            td.SI.control("POST", "clock", {"offset_s": 3600})
            d = self.daemon(daemon={"startup_delay": "1h"})
            d.start().ready()
            m = self.sweep_now(d, 1)
            self.assertEqual(d.status()["last_sweep"]["exit_code"], 0)
            self.assertAlmostEqual(series(m, "remotion_janitor_clock_skew_seconds"), 3600, delta=5)
            td.SI.control("POST", "clock", {"offset_s": -200 * 86400})
            m = self.sweep_now(d, 2)
            self.assertNotEqual(d.status()["last_sweep"]["exit_code"], 0)
            self.assertAlmostEqual(series(m, "remotion_janitor_clock_skew_seconds"), -200 * 86400, delta=5)
            self.assertIn("beyond the 86400 s", d.log())
        finally:
            td.SI.control("POST", "clock", {"offset_s": 0})

    def test_metrics_absent_on_failed_listing_and_last_success(self):
        fault = {"kind": "error", "status": 503, "service": "lambda", "operation": "ListFunctions",
                 "region": "eu-west-1", "count": -1}
        td.SI.faults([fault])
        d = self.daemon(daemon={"startup_delay": "1h"})
        d.start().ready()

        m = self.sweep_now(d, 1)
        self.assertEqual(d.status()["last_sweep"]["exit_code"], 1)
        R, C = "remotion_janitor_resources", "remotion_janitor_candidates"
        # The failed listing: no series, where 0 would read as "all clean".
        self.assertIsNone(series(m, R, type="function", region="eu-west-1"))
        self.assertIsNone(series(m, C, type="function", region="eu-west-1"))
        # Listings that worked are there, zeros included.
        self.assertEqual(series(m, R, type="function", region="us-east-1"), 1)
        self.assertEqual(series(m, R, type="layer_version", region="eu-west-1"), 5)
        self.assertEqual(series(m, R, type="function", region="eu-central-1"), 0)
        self.assertEqual(series(m, C, type="function", region="eu-central-1"), 0)
        self.assertEqual(series(m, R, type="bucket", region="eu-central-1"), 1)
        # Candidates equal the inventory's delete decisions, per type and region.
        inv = d.ask("inventory")["resources"]
        for (name, lab), v in m.items():
            if name == C:
                lab = dict(lab)
                want = sum(1 for r in inv if r["decision"] == "delete" and r["type"] == lab["type"]
                           and r["region"] == lab["region"])
                self.assertEqual(v, want, lab)
        self.assertGreater(sum(v for (name, _), v in m.items() if name == C), 0)
        # Never succeeded: absent, not 0.
        self.assertNotIn("remotion_janitor_last_success_timestamp_seconds", {n for n, _ in m})
        self.assertEqual(series(m, "remotion_janitor_region_incomplete_sweeps", region="eu-west-1"), 1)
        self.assertEqual(series(m, "remotion_janitor_region_incomplete_sweeps", region="us-east-1"), 0)
        self.assertEqual(series(m, "remotion_janitor_region_up", region="eu-west-1"), 0)

        m = self.sweep_now(d, 2)
        self.assertEqual(series(m, "remotion_janitor_region_incomplete_sweeps", region="eu-west-1"), 2)

        # The fault is gone: a clean sweep sets the last success and ends the streak.
        td.SI.faults([])
        m = self.sweep_now(d, 3)
        self.assertEqual(d.status()["last_sweep"]["exit_code"], 0)
        ok = series(m, "remotion_janitor_last_success_timestamp_seconds")
        self.assertEqual(ok, series(m, "remotion_janitor_last_sweep_timestamp_seconds"))
        self.assertAlmostEqual(ok, td.time.time(), delta=30 * td.SLOW)
        self.assertEqual(series(m, "remotion_janitor_region_incomplete_sweeps", region="eu-west-1"), 0)
        self.assertEqual(series(m, R, type="function", region="eu-west-1"), 120)
        self.assertIsNotNone(series(m, C, type="function", region="eu-west-1"))
        self.assertEqual(d.stop(), 0)

        # A restart, then a failing sweep: the last success comes from the state file.
        td.SI.faults([fault])
        del d.msgs[:]
        d.start().ready()
        m = self.sweep_now(d, 1)
        self.assertEqual(d.status()["last_sweep"]["exit_code"], 1)
        self.assertEqual(series(m, "remotion_janitor_last_success_timestamp_seconds"), ok)
        self.assertGreater(series(m, "remotion_janitor_last_sweep_timestamp_seconds"), ok)
        self.assertEqual(series(m, "remotion_janitor_region_incomplete_sweeps", region="eu-west-1"), 1)
        self.assertEqual(d.stop(), 0)
        if not PROMTOOL:
            sys.stderr.write("NOTICE: promtool not installed: `promtool check metrics` skipped "
                             "(the file was checked by this test's own parser)\n")

    def test_alert_rules(self):
        if not PROMTOOL:
            sys.stderr.write("NOTICE: promtool not installed (Debian package prometheus): the alert rules in "
                             "conf/remotion-janitor-alerts.yml were not checked\n")
            self.skipTest("promtool not installed")
        r = subprocess.run([PROMTOOL, "check", "rules", ALERTS], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 10 rules found", r.stdout)
        r = subprocess.run([PROMTOOL, "test", "rules", os.path.basename(ALERTS_TEST)], capture_output=True,
                           text=True, timeout=120, cwd=os.path.dirname(ALERTS_TEST))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Every alert of the file is exercised by the rule tests.
        with open(ALERTS) as f:
            alerts = set(re.findall(r"^\s*- alert: (\w+)$", f.read(), re.M))
        with open(ALERTS_TEST) as f:
            tested = set(re.findall(r"alertname: (\w+)$", f.read(), re.M))
        self.assertEqual(len(alerts), 10)
        self.assertEqual(alerts - tested, set())

    # ---- the audit log: rotation with the daemon running, refusals once ------------
    def old_functions_fixture(self, n):
        fns = [{"region": "eu-west-1", "name": "remotion-render-old-%03d" % i, "age_days": 20} for i in range(n)]
        return td.sl.small_fixture(functions=fns, layers=[], buckets=[])

    def delete_conf(self, **policy):
        pol = {"mode": "delete", "functions": "yes", "layers": "no", "buckets": "no", "max_deletions": "100"}
        pol.update(policy)
        return dict(aws={"regions": "eu-west-1", "account_id": td.ACCOUNT, "concurrency": "2",
                         "host_concurrency": "2"}, policy=pol)

    def audit_lines(self, path):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            text = f.read()
        self.assertTrue(text == "" or text.endswith("\n"), "a torn line in %s" % path)
        return [json.loads(x) for x in text.splitlines()]

    @unittest.skipUnless(shutil.which("logrotate"), "logrotate not installed")
    def test_audit_rotation_while_sweeping(self):
        n = 30
        td.reset_standin(self.old_functions_fixture(n),
                         {"rules": [{"service": "lambda", "operation": "DeleteFunction", "ms": 250}]})
        d = self.daemon(**self.delete_conf())
        d.start().ready()
        self.assertEqual(d.ask("sweep"), {"ok": True})
        # Some outcomes are on disk, and the sweep is still deleting.
        # (Counted as newlines: a read may overlap the daemon's write.)
        td.wait_for(lambda: os.path.exists(d.audit) and open(d.audit).read().count("\n") >= 4, 20,
                    "the first outcomes")
        self.assertEqual(d.status()["state"], "deleting")

        # logrotate with the shipped snippet: only the path, the user and the
        # postrotate command (systemctl kill ... SIGUSR1) are adapted.
        with open(LOGROTATE) as f:
            snippet = f.read()
        self.assertIn("systemctl kill --kill-whom=main --signal=SIGUSR1 remotion-janitor.service", snippet)
        self.assertIn("delaycompress", snippet)
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        conf = os.path.join(d.dir, "logrotate.conf")
        with open(conf, "w") as f:
            f.write(snippet.replace("/var/lib/remotion-janitor/audit.jsonl", d.audit)
                    .replace("su remotion-janitor remotion-janitor", "su %s %s" % (user, group))
                    .replace("remotion-janitor remotion-janitor", "%s %s" % (user, group))
                    .replace("systemctl kill --kill-whom=main --signal=SIGUSR1 remotion-janitor.service",
                             "kill -USR1 %d" % d.proc.pid))
        r = subprocess.run(["logrotate", "-f", "-s", os.path.join(d.dir, "logrotate.state"), conf],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rotated = d.audit + ".1"
        self.assertTrue(os.path.exists(rotated), os.listdir(os.path.dirname(d.audit)))
        td.wait_for(lambda: "audit log reopened" in d.log(), 5, "the reopen")

        s = d.wait_status(lambda s: s["last_sweep"] is not None, 60, "the end of the sweep")
        self.assertEqual(s["last_sweep"]["summary"]["deleted"], n, s)
        old, new = self.audit_lines(rotated), self.audit_lines(d.audit)
        self.assertGreater(len(old), 0)
        self.assertGreater(len(new), 0, "nothing was written to the new file after SIGUSR1")
        names = [x["name"] for x in old + new]
        self.assertEqual(sorted(names), ["remotion-render-old-%03d" % i for i in range(n)])
        self.assertTrue(all(x["result"] == "deleted" for x in old + new))
        self.assertEqual(os.stat(d.audit).st_mode & 0o777, 0o640)

        # Between sweeps nothing holds the log: SIGUSR1 says so, and is harmless.
        d.proc.send_signal(td.signal.SIGUSR1)
        td.wait_for(lambda: "no sweep has it open" in d.log(), 5, "the idle reopen")
        self.assertTrue(d.status()["ok"])
        self.assertEqual(d.stop(), 0)

    def test_refused_written_once_while_refused(self):
        n = 6
        fx = self.old_functions_fixture(n)
        td.reset_standin(fx)
        conf = self.delete_conf(max_deletions="3")
        d = self.daemon(**conf)
        d.start().ready()
        names = sorted(f["name"] for f in fx["functions"])

        def sweep(k):
            self.assertEqual(d.ask("sweep"), {"ok": True})
            td.wait_for(lambda: d.metrics_value("remotion_janitor_sweeps_total") == k, 20, "sweep %d" % k)
            return d.status()["last_sweep"]

        ls = sweep(1)
        self.assertEqual((ls["exit_code"], ls["summary"]["refused"]), (4, n), ls)
        first = self.audit_lines(d.audit)
        self.assertEqual(sorted(x["name"] for x in first), names)
        self.assertTrue(all(x["result"] == "refused" for x in first))

        # Still refused: reported as refused, but no new line.
        ls = sweep(2)
        self.assertEqual(ls["summary"]["refused"], n)
        self.assertEqual(self.audit_lines(d.audit), first)

        # One resource is kept (a keep glob) for a sweep: no longer refused...
        d.write_conf(**dict(conf, policy=dict(conf["policy"], keep=names[0])))
        d.proc.send_signal(td.signal.SIGHUP)
        td.wait_for(lambda: d.status()["last_reload"] and d.status()["last_reload"]["ok"], 5, "the reload")
        ls = sweep(3)
        self.assertEqual(ls["summary"]["refused"], n - 1)
        self.assertEqual(self.audit_lines(d.audit), first)
        # ... then refused anew: one new line, for it alone.
        d.write_conf(**conf)
        d.proc.send_signal(td.signal.SIGHUP)
        td.wait_for(lambda: d.log().count("configuration reloaded") >= 2, 5, "the second reload")
        ls = sweep(4)
        self.assertEqual(ls["summary"]["refused"], n)
        lines = self.audit_lines(d.audit)
        self.assertEqual(len(lines), n + 1)
        self.assertEqual(lines[:n], first)
        self.assertEqual((lines[-1]["name"], lines[-1]["result"]), (names[0], "refused"))
        self.assertEqual(d.stop(), 0)

        # A restart: the state file remembers what is refused.
        del d.msgs[:]
        d.start().ready()
        ls = sweep(1)
        self.assertEqual(ls["summary"]["refused"], n)
        self.assertEqual(len(self.audit_lines(d.audit)), n + 1)
        self.assertEqual(d.stop(), 0)

    # ---- the node-exporter textfile directory, as the daemon's user -------------------
    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv") and shutil.which("systemd-tmpfiles"),
                         "needs root, setpriv and systemd-tmpfiles")
    def test_metrics_dir_as_daemon_user(self):
        d = self.daemon(daemon={"startup_delay": "1h"})
        root = os.path.join(d.dir, "root")
        textfile = os.path.join(root, "var/lib/prometheus/node-exporter")
        os.makedirs(os.path.join(root, "etc"))
        os.makedirs(textfile, 0o755)
        for p in (os.path.join(root, "var"), os.path.join(root, "var/lib"),
                  os.path.join(root, "var/lib/prometheus"), textfile):
            os.chmod(p, 0o755)
        with open(os.path.join(root, "etc/passwd"), "w") as f:
            f.write("remotion-janitor:x:%d:%d::/var/lib/remotion-janitor:/usr/sbin/nologin\n" % ((DAEMON_UID,) * 2))
        with open(os.path.join(root, "etc/group"), "w") as f:
            f.write("remotion-janitor:x:%d:\n" % DAEMON_UID)
        # The daemon's own files belong to its user, as under the unit.
        for p in (d.dir, os.path.join(d.dir, "state")):
            os.chown(p, DAEMON_UID, DAEMON_UID)
        os.chmod(d.npath, 0o666)
        as_user = ["setpriv", "--reuid=%d" % DAEMON_UID, "--regid=%d" % DAEMON_UID, "--clear-groups"]

        def sweep_and_log(n):
            self.assertEqual(d.ask("sweep"), {"ok": True})
            td.wait_for(lambda: d.status()["last_sweep"] is not None and d.status()["state"] == "idle"
                        and d.log().count("sweep finished") >= n, 20, "sweep %d" % n)

        # As Debian ships the directory, the daemon's user cannot write into it.
        plain = os.path.join(textfile, "remotion-janitor.prom")
        d.write_conf(daemon={"startup_delay": "1h", "metrics_file": plain})
        d.start(wrapper=as_user).ready()
        self.assertEqual(d.proc_status("Uid"), DAEMON_UID)
        sweep_and_log(1)
        self.assertIn("cannot write the metrics", d.log())
        self.assertFalse(os.path.exists(plain))

        # The shipped tmpfiles.d entry, applied to the scratch root.
        r = subprocess.run(["systemd-tmpfiles", "--create", "--root=" + root, TMPFILES], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        own = os.path.join(textfile, "remotion-janitor")
        st = os.stat(own)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (DAEMON_UID, 0o755))
        self.assertEqual(os.readlink(plain), "remotion-janitor/remotion-janitor.prom")
        st = os.stat(textfile)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o755), "the collector's directory is unchanged")
        with open(TMPFILES) as f:
            want = re.search(r"^#\s+metrics_file = (\S+)$", f.read(), re.M).group(1)
        self.assertEqual(want, "/var/lib/prometheus/node-exporter/remotion-janitor/remotion-janitor.prom")
        d.write_conf(daemon={"startup_delay": "1h", "metrics_file": root + want})
        d.proc.send_signal(td.signal.SIGHUP)
        td.wait_for(lambda: (d.status()["last_reload"] or {}).get("ok"), 5, "the reload")
        sweep_and_log(2)
        st = os.stat(root + want)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (DAEMON_UID, 0o644))
        # node_exporter's user reads *.prom in its directory: the link.
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", plain],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = parse_metrics(r.stdout)
        self.assertEqual(series(m, "remotion_janitor_sweeps_total"), 2)
        self.assertEqual(d.stop(), 0)

    def test_unit_lists_the_metrics_dir(self):
        with open(TMPFILES) as f:
            dirs = re.findall(r"^d (\S+) ", f.read(), re.M)
        self.assertEqual(len(dirs), 1)
        self.assertIn("-" + dirs[0], unit_values("ReadWritePaths"))

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
