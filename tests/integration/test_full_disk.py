"""A full disk never loses the audit trail (issue 19, finding 11), through
the real binary: the audit log (or the state file) on a small tmpfs that a
deleting sweep fills.

- --sweep (one account, and two [account] sections sharing the log): the
  append that fails closes the deletion gate: no deletion starts after it (the stand-in's DeleteFunction requests are at most the
  audit lines written plus the deletions then in flight); the outcomes of
  those in flight are held and logged at error level; the run exits 1 with
  the reason; every deleted function has its audit line, in the file or in
  the journal;
- the daemon: status, STATUS= and the metrics say the audit log is
  failing; the next sweep deletes nothing; once space is freed, the next
  sweep writes the held records first, then deletes again;
- the state file on a full tmpfs: reported, exit 1 (--sweep); the daemon
  keeps the grace clocks in memory and saves them once it can.

Needs root (mount -t tmpfs); skipped with a notice otherwise.
Environment: JAN_BIN, JAN_PYTHON, JAN_SOURCE_DIR (set by CMake).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import janlib as jl
from janlib import st

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import test_daemon as td  # noqa: E402

NFUNC = 2000
CONCURRENCY = 4
# Deletions start while fewer than 2 x concurrency are in flight (sweep.c,
# start_more); the group that failed and those in flight are the most that
# can be deleted without a line in the file.
IN_FLIGHT = 2 * CONCURRENCY
HELD = re.compile(r"held, not yet in the audit log: (\{.*\})$")


def many_functions(n=NFUNC):
    return st.small_fixture(
        functions=[{"region": "eu-west-1", "name": "remotion-render-full-disk-%05d" % i,
                    "age_days": 10} for i in range(n)],
        layers=[], buckets=[])


class Tmpfs:
    """A small tmpfs mounted on a fresh directory (None when it cannot be)."""

    def __init__(self, size):
        self.dir = tempfile.mkdtemp(prefix="jan-tmpfs-")
        self.mounted = False
        if os.geteuid() != 0:
            self.why = "not root: cannot mount a tmpfs"
            return
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0750" % size, "tmpfs", self.dir],
                           capture_output=True, text=True)
        self.mounted = r.returncode == 0
        self.why = "mount -t tmpfs failed: %s" % r.stderr.strip()

    def fill(self, leave=0):
        """Fill the tmpfs but `leave` bytes (a file named filler)."""
        path = os.path.join(self.dir, "filler")
        vfs = os.statvfs(self.dir)
        free = vfs.f_bavail * vfs.f_frsize
        with open(path, "wb") as f:
            try:
                f.write(b"x" * max(0, free - leave))
            except OSError:
                pass
        return path

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.dir], capture_output=True)
        os.rmdir(self.dir)


def audit_lines(path):
    """The whole, parseable lines of an audit log (a torn one is skipped)."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def held_lines(text):
    return [json.loads(m.group(1)) for m in map(HELD.search, text.splitlines()) if m]


def deleted_in_standin(log):
    return [e["target"] for e in log if e["operation"] == "DeleteFunction" and e["status"] < 300]


def delete_requests(log):
    return [e for e in log if e["operation"] == "DeleteFunction"]


class Base(unittest.TestCase):
    size = "64k"

    def setUp(self):
        self.fs = Tmpfs(self.size)
        if not self.fs.mounted:
            self.fs.close()
            self.skipTest("full-disk tests need a tmpfs: %s" % self.fs.why)

    def tearDown(self):
        self.fs.close()


class CliFullAudit(Base):
    def setUp(self):
        super().setUp()
        self.si = st.StandIn(fixture=many_functions())
        self.audit = os.path.join(self.fs.dir, "audit.jsonl")
        self.jan = jl.Janitor(self.si, aws={"regions": "eu-west-1", "account_id": jl.ACCOUNT,
                                            "concurrency": str(CONCURRENCY),
                                            "host_concurrency": str(CONCURRENCY)},
                              policy={"mode": "delete", "max_deletions": "100000"},
                              daemon={"audit_log": self.audit})

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()
        super().tearDown()

    def test_full_audit_log_stops_deletions_and_keeps_every_outcome(self):
        r = self.jan.sweep("--yes", timeout=60)
        log = self.si.log()
        deleted = deleted_in_standin(log)
        written = audit_lines(self.audit)
        held = held_lines(r.err)
        # The run fails, and says why.
        self.assertEqual(r.rc, 1, r.err[-2000:])
        self.assertRegex(r.err, r"the audit log is failing \(the filesystem is full")
        # The disk filled up part way: some lines, far from all.
        self.assertGreater(len(written), 10)
        self.assertLess(len(written), NFUNC // 2)
        # No deletion started after the failure: only those then in flight.
        self.assertLessEqual(len(delete_requests(log)), len(written) + 2 * IN_FLIGHT,
                             "deletions went on after the audit log failed")
        # Every deleted function has its line: in the file, or in the journal.
        audited = {a["name"] for a in written + held if a["result"] == "deleted"}
        self.assertEqual(set(deleted) - audited, set(), "deleted without an audit line")
        self.assertTrue(held, "nothing was held, yet the log was full")
        # The JSON output reports the rest as not started.
        not_started = [x for x in r.json["accounts"][0]["resources"] if "not started" in (x.get("error") or "")]
        self.assertGreater(len(not_started), NFUNC // 2)
        self.assertEqual(len(deleted) + len(not_started), NFUNC)


class CliFullAuditAccounts(Base):
    """Several [account] sections share one audit log: its failure stops
    the deletions of every account."""

    def test_every_account_stops(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("it_accounts", os.path.join(HERE, "test_accounts.py"))
        ta = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ta)
        fx = ta.fixture()
        for acc in fx["accounts"]:
            acc["functions"] = [{"region": "eu-west-1", "name": "remotion-render-full-disk-%05d" % i,
                                 "age_days": 10} for i in range(NFUNC // 2)]
            acc["layers"], acc["buckets"] = [], []
        si = st.StandIn(fixture=fx)
        audit = os.path.join(self.fs.dir, "audit.jsonl")
        jan = jl.Janitor(si, aws={"regions": "eu-west-1", "concurrency": str(CONCURRENCY),
                                  "host_concurrency": str(CONCURRENCY)},
                         policy={"mode": "delete", "max_deletions": "100000"},
                         daemon={"audit_log": audit}, raw=ta.TWO)
        try:
            r = jan.run("--sweep", "--yes", timeout=60)
            log = si.log()
            written = audit_lines(audit)
            self.assertEqual(r.rc, 1, r.err[-2000:])
            self.assertRegex(r.err, r"account alpha: the audit log is failing")
            self.assertRegex(r.err, r"account beta: the audit log is failing")
            # Each account has its own window of deletions in flight.
            self.assertLessEqual(len(delete_requests(log)), len(written) + 2 * 2 * IN_FLIGHT,
                                 "deletions went on after the audit log failed")
            audited = {(a["account"], a["name"]) for a in written + held_lines(r.err)
                       if a["result"] == "deleted"}
            self.assertEqual(len(audited), len(deleted_in_standin(log)))
            self.assertEqual({a for a, _ in audited}, {ta.A, ta.B}, "both accounts deleted before the failure")
        finally:
            jan.cleanup()
            si.stop()


class CliFullAuditInsideABucket(Base):
    """The gate holds inside a deletion already under way: a bucket being
    emptied sends no DeleteObjects batch once the audit log has failed
    (aws.c's deletion gate asks the same audit_may_delete), beyond those
    then in flight; the bucket is not deleted and says why."""
    NOBJ = 40000

    def test_emptying_stops_at_the_failure(self):
        bucket = "remotionlambda-euwest1-fulldisk01"
        fx = st.small_fixture(
            functions=[{"region": "eu-west-1", "name": "remotion-render-full-disk-%05d" % i, "age_days": 10}
                       for i in range(2)],
            layers=[], buckets=[{"name": bucket, "region": "eu-west-1", "age_days": 100,
                                 "generate": {"count": self.NOBJ, "prefix": "renders/", "per_render": 10,
                                              "age_days": 40, "size": 10}}])
        si = st.StandIn(fixture=fx)
        audit = os.path.join(self.fs.dir, "audit.jsonl")
        jan = jl.Janitor(si, aws={"regions": "eu-west-1", "account_id": jl.ACCOUNT,
                                  "concurrency": str(CONCURRENCY), "host_concurrency": str(CONCURRENCY)},
                         policy={"mode": "delete", "buckets": "yes", "max_deletions": "100000"},
                         daemon={"audit_log": audit})
        try:
            # The two functions are deleted first and slowly, the bucket's
            # batches more slowly still: the functions' lines are the first
            # appends, and they fail (the disk is full) while the bucket is
            # being emptied.
            si.faults([{"kind": "stall", "operation": "DeleteFunction", "seconds": 0.5, "count": -1},
                       {"kind": "stall", "operation": "DeleteObjects", "seconds": 1.0, "count": -1}])
            self.fs.fill(leave=0)
            r = jan.run("--sweep", "--yes", timeout=120)
            log = si.log()
            batches = [e for e in log if e["operation"] == "DeleteObjects"]
            self.assertEqual(r.rc, 1, r.err[-2000:])
            self.assertRegex(r.err, r"the audit log is failing")
            # Not emptied: the batches then in flight at most (the engine's
            # parallel limit, 16), far from the 40 that emptying takes.
            self.assertLessEqual(len(batches), 16 + 4, "DeleteObjects went on after the audit log failed")
            self.assertFalse([e for e in log if e["operation"] == "DeleteBucket"], "the bucket was deleted")
            left = [b for b in si.state()["buckets"] if b["name"] == bucket]
            self.assertEqual(len(left), 1)
            # Its outcome says why, held for the log like every other.
            held = {a["name"]: a for a in held_lines(r.err)}
            self.assertIn(bucket, held, r.err[-3000:])
            self.assertEqual(held[bucket]["result"], "failed")
        finally:
            jan.cleanup()
            si.stop()


class CliFullState(Base):
    def test_state_that_cannot_be_saved_fails_the_run(self):
        si = st.StandIn(fixture=st.small_fixture())
        jan = jl.Janitor(si, aws={"regions": "eu-west-1", "account_id": jl.ACCOUNT},
                         policy={"mode": "report", "grace": "1d"},
                         daemon={"state_file": os.path.join(self.fs.dir, "state.json")})
        try:
            self.fs.fill(leave=4096)  # the lock file fits, the state does not
            r = jan.run("--sweep", "--dry-run", timeout=60)
            self.assertEqual(r.rc, 1, r.err[-2000:])
            self.assertRegex(r.err, r"cannot save the state: .*grace clocks of this run are lost")
            os.unlink(os.path.join(self.fs.dir, "filler"))
            r = jan.run("--sweep", "--dry-run", timeout=60)
            self.assertEqual(r.rc, 0, r.err[-2000:])
            self.assertTrue(os.path.exists(os.path.join(self.fs.dir, "state.json")))
        finally:
            jan.cleanup()
            si.stop()


class DaemonFullDisk(Base):
    """The daemon, its audit log (or its state) on the tmpfs."""

    def setUp(self):
        super().setUp()
        td.setUpModule()
        self.d = None

    def tearDown(self):
        if self.d is not None:
            if any(e for _, e in getattr(self._outcome, "errors", []) or []) or \
                    not getattr(self._outcome, "success", True):
                sys.stderr.write("---- daemon log ----\n%s\n" % self.d.log()[-5000:])
            self.d.close()
        td.tearDownModule()
        td.SI = None
        super().tearDown()

    def daemon(self, policy, daemon):
        self.d = td.Daemon(aws={"regions": "eu-west-1", "account_id": jl.ACCOUNT,
                                "concurrency": str(CONCURRENCY), "host_concurrency": str(CONCURRENCY)},
                           policy=policy, daemon=daemon)
        return self.d.start().ready()

    def sweep(self, n):
        """Start sweep number n and wait for its end (its metrics)."""
        self.d.ask("sweep")
        td.wait_for(lambda: self.d.metrics_value("remotion_janitor_sweeps_total") == n, 30,
                    "sweep %d to end" % n)
        return self.d.status()

    def grow(self, size="16m"):
        r = subprocess.run(["mount", "-o", "remount,size=%s" % size, self.fs.dir], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_audit_failing_stops_the_daemon_until_space_is_freed(self):
        td.reset_standin(many_functions())
        audit = os.path.join(self.fs.dir, "audit.jsonl")
        d = self.daemon({"mode": "delete", "max_deletions": "100000"}, {"audit_log": audit})
        # 1: the disk fills up during the sweep.
        s = self.sweep(1)
        deleted1 = deleted_in_standin(td.SI.log())
        written = audit_lines(audit)
        self.assertLessEqual(len(delete_requests(td.SI.log())), len(written) + 2 * IN_FLIGHT,
                             "deletions went on after the audit log failed")
        self.assertEqual(s["last_sweep"]["exit_code"], 1, s["last_sweep"])
        self.assertLess(len(deleted1), NFUNC // 2)
        self.assertTrue(s["audit_log"]["failing"], s)
        self.assertIn("the filesystem is full", s["audit_log"]["error"])
        self.assertGreater(s["audit_log"]["held"], 0)
        self.assertEqual(d.metrics_value("remotion_janitor_audit_failing"), 1)
        self.assertEqual(d.metrics_value("remotion_janitor_audit_held_records"), s["audit_log"]["held"])
        td.wait_for(lambda: [m for m in d.notes() if "AUDIT LOG FAILING" in m], 5, "STATUS= saying so")
        r = subprocess.run([td.BIN, "-c", d.conf, "--status"], capture_output=True, text=True, timeout=10)
        self.assertIn("audit log:  FAILING (the filesystem is full", r.stdout)
        # 2: still full: the next sweep deletes nothing.
        n_req = len(delete_requests(td.SI.log()))
        s = self.sweep(2)
        self.assertEqual(len(delete_requests(td.SI.log())), n_req, "a sweep deleted with the audit log failing")
        self.assertTrue(s["audit_log"]["failing"])
        self.assertEqual(s["last_sweep"]["exit_code"], 1)
        self.assertEqual(s["last_sweep"]["summary"]["deleted"], 0)
        # 3: space freed: the held records first, then the deletions resume.
        self.grow()
        s = self.sweep(3)
        self.assertFalse(s["audit_log"]["failing"], s)
        self.assertEqual(s["audit_log"]["held"], 0)
        self.assertEqual(s["last_sweep"]["exit_code"], 0, s["last_sweep"])
        self.assertEqual(d.metrics_value("remotion_janitor_audit_failing"), 0)
        deleted = deleted_in_standin(td.SI.log())
        self.assertEqual(len(set(deleted)), NFUNC)
        audited = {a["name"] for a in audit_lines(audit) if a["result"] == "deleted"}
        self.assertEqual(set(deleted) - audited, set(), "deleted without an audit line in the file")
        # The held ones were written before the third sweep's own.
        order = [a["name"] for a in audit_lines(audit) if a["result"] == "deleted"]
        last_held = max(order.index(n) for n in deleted1)
        first_new = min(order.index(n) for n in set(deleted) - set(deleted1))
        self.assertLess(last_held, first_new)
        self.assertIn("accepts records again", d.log())
        self.assertEqual(d.stop(), 0)

    def test_stopped_with_records_held_exits_1(self):
        td.reset_standin(many_functions(600))
        audit = os.path.join(self.fs.dir, "audit.jsonl")
        d = self.daemon({"mode": "delete", "max_deletions": "100000"}, {"audit_log": audit})
        self.fs.fill(leave=0)
        s = self.sweep(1)
        self.assertTrue(s["audit_log"]["failing"], s)
        held = s["audit_log"]["held"]
        self.assertGreater(held, 0)
        self.assertEqual(len(held_lines(d.log())), held)
        self.assertEqual(d.stop(), 1)
        self.assertIn("%d records never reached the audit log" % held, d.log())

    def test_state_that_cannot_be_saved_is_kept_in_memory(self):
        td.reset_standin()
        state = os.path.join(self.fs.dir, "state.json")
        d = self.daemon({"mode": "report", "grace": "1d"}, {"state_file": state})
        self.fs.fill(leave=4096)        # the lock file fits, the state does not
        s = self.sweep(1)
        self.assertTrue(s["state_file"]["failing"], s)
        self.assertIn("No space left", s["state_file"]["error"])
        self.assertEqual(d.metrics_value("remotion_janitor_state_unsaved"), 1)
        td.wait_for(lambda: [m for m in d.notes() if "STATE NOT SAVED" in m], 5, "STATUS= saying so")
        self.assertFalse(os.path.exists(state))
        first_end = int(time.time())
        time.sleep(1.1)
        os.unlink(os.path.join(self.fs.dir, "filler"))
        s = self.sweep(2)
        self.assertFalse(s["state_file"]["failing"], s)
        self.assertEqual(d.metrics_value("remotion_janitor_state_unsaved"), 0)
        with open(state) as f:
            clocks = json.load(f)["accounts"][jl.ACCOUNT]["clocks"]
        self.assertGreater(len(clocks), 10)
        # The grace clocks of the first sweep, not restarted by the second.
        self.assertTrue(all(v <= first_end for v in clocks.values()), first_end)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
