#!/usr/bin/python3
"""Several accounts in one run ([account NAME] sections): swept at once,
each with its own credentials, guards and grace clocks."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

import janlib as jl
from janlib import st

A, B = "222222222222", "333333333333"
USER_ARN = "arn:aws:iam::%s:user/janitor-test" % jl.ACCOUNT
EXT_A, EXT_B = "ext-id-aaaa", "ext-id-bbbb"
FN = ["remotion-render-4-0-1-mem2048mb-disk2048mb-120sec",
      "remotion-render-4-0-2-mem2048mb-disk2048mb-120sec"]
TOKEN_PREFIX = "FwoGZXIvYXdzE"      # every stand-in session token starts so
REGIONS = "eu-west-1, us-east-1"
DELETE = {"mode": "delete", "buckets": "yes", "max_deletions": "100"}


def other(account, ext):
    return {
        "account_id": account,
        "roles": [{"name": "janitor", "trust": [USER_ARN], "external_id": ext}],
        "functions": [{"region": "eu-west-1", "name": n, "age_days": 30} for n in FN],
        "layers": [{"region": "eu-west-1", "name": "remotion-binaries-arm64", "versions": 2}],
        "buckets": [{"name": "remotionlambda-euwest1-%s" % account[:10], "region": "eu-west-1",
                     "age_days": 30, "objects": [{"key": "renders/x/out.mp4"}]}],
    }


def fixture():
    return {
        "regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
        # The [aws] credentials' own account has the same names: never swept here.
        "functions": [{"region": "eu-west-1", "name": n, "age_days": 30} for n in FN],
        "accounts": [other(A, EXT_A), other(B, EXT_B)],
    }


def section(name, account, role_account=None, ext=None, extra=""):
    text = "[account %s]\naccount_id = %s\n" % (name, account)
    if role_account:
        text += "role_arn = arn:aws:iam::%s:role/janitor\n" % role_account
    if ext:
        text += "external_id = %s\n" % ext
    return text + extra


TWO = section("alpha", A, A, EXT_A) + section("beta", B, B, EXT_B)


class Base(unittest.TestCase):
    si_args = ()

    def setUp(self):
        self.si = st.StandIn(*self.si_args, fixture=fixture())
        self.jan = jl.Janitor(self.si, aws={"regions": REGIONS}, policy=DELETE, raw=TWO)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def accounts(self):
        doc = self.si.state()
        return {a["account_id"]: a for a in doc.get("accounts", [])}, doc

    def functions(self, account):
        acc, doc = self.accounts()
        src = doc if account == jl.ACCOUNT else acc[account]
        return sorted(f["name"] for f in src["functions"])

    def assert_no_secret(self, r):
        texts = [r.out, r.err]
        for p in ("audit.jsonl", "state.json"):
            path = os.path.join(self.jan.dir, p)
            if os.path.exists(path):
                with open(path) as f:
                    texts.append(f.read())
        for t in texts:
            self.assertNotIn(TOKEN_PREFIX, t)
            self.assertNotIn(EXT_A, t)
            self.assertNotIn(EXT_B, t)
            self.assertNotIn(st.TEST_SK, t)

    def write(self, raw, policy=None, aws=None):
        self.jan.write_config(aws=aws or {"regions": REGIONS}, policy=policy or DELETE, raw=raw)


class TwoAccounts(Base):
    def test_both_cleaned_at_once_with_the_same_names(self):
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assert_no_secret(r)
        doc = r.json
        self.assertNotIn("resources", doc)
        self.assertEqual([a["name"] for a in doc["accounts"]], ["alpha", "beta"])
        self.assertEqual([a["account"] for a in doc["accounts"]], [A, B])
        for a in doc["accounts"]:
            self.assertTrue({"name", "account", "regions", "ignored", "resources", "summary"} <= set(a))
            self.assertEqual({x["region"] for x in a["regions"]}, {"eu-west-1", "us-east-1"})
            deleted = sorted(x["name"] for x in a["resources"]
                             if x["type"] == "function" and x["result"] == "deleted")
            self.assertEqual(deleted, FN)
            self.assertEqual(a["summary"]["failed"], 0)
        # The overall summary adds the accounts' up.
        self.assertEqual(doc["summary"]["deleted"],
                         sum(a["summary"]["deleted"] for a in doc["accounts"]))
        self.assertEqual(doc["summary"]["deleted"], 2 * (2 + 1 + 1))
        self.assertEqual(self.functions(A), [])
        self.assertEqual(self.functions(B), [])
        # The [aws] credentials' own account is not one of the sections.
        self.assertEqual(self.functions(jl.ACCOUNT), FN)
        # Each outcome audited with its account.
        audit = self.jan.audit()
        self.assertEqual(sorted((x["account"], x["name"]) for x in audit if x["type"] == "function"),
                         sorted((acc, n) for acc in (A, B) for n in FN))
        # At once: each account's requests begin before the other's end.
        keys = {t["access_key"]: t["arn"].split(":")[4] for t in self.si.state()["temporary_credentials"]}
        seq = {A: [], B: []}
        for i, e in enumerate(self.si.log()):
            acct = keys.get(e.get("access_key"))
            if acct in seq and e.get("operation") != "AssumeRole":
                seq[acct].append(i)
        self.assertLess(min(seq[A]), max(seq[B]))
        self.assertLess(min(seq[B]), max(seq[A]))
        # Grace clocks kept per account.
        state = self.jan.state()
        self.assertEqual(state["version"], 2)
        self.assertEqual(set(state["accounts"]), {A, B})

    def test_table_has_an_account_column(self):
        r = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        lines = r.out.splitlines()
        self.assertTrue(lines[0].startswith("ACCOUNT "), r.out)
        rows = [l for l in lines[1:] if l.startswith(("alpha ", "beta "))]
        self.assertEqual(len([l for l in rows if FN[0] in l]), 2)
        self.assertTrue([l for l in lines if l.startswith("account alpha: report:")])
        self.assertTrue([l for l in lines if l.startswith("2 accounts:")])
        # One account (no section): no ACCOUNT column.
        self.write("", policy={"mode": "report"})
        r = self.jan.run("--sweep", "--dry-run")
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(r.out.startswith("TYPE "), r.out)

    def test_account_option_restricts(self):
        r = self.jan.sweep("--delete", "--yes", "--account", "beta")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual([a["name"] for a in r.json["accounts"]], ["beta"])
        self.assertEqual(self.functions(A), FN)
        self.assertEqual(self.functions(B), [])
        r = self.jan.sweep("--account", "gamma")
        self.assertEqual(r.rc, 2)
        self.assertIn("gamma", r.json["error"])
        self.assertEqual(self.functions(A), FN)

    def test_without_sections_the_document_is_one_of_one_section(self):
        # One shape: [aws] alone is the one account "default"; its document
        # equals that of one [account] section of the same account, apart
        # from the name (and the times).
        def strip(doc):
            doc = json.loads(json.dumps(doc))
            for o in [doc] + doc["accounts"]:
                for k in ("started", "finished"):
                    o.pop(k, None)
            for a in doc["accounts"]:
                for x in a["resources"]:
                    x.pop("age_s", None)
            return doc
        self.write("", policy={"mode": "report"})
        r = self.jan.sweep()
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(set(r.json), {"mode", "started", "finished", "accounts", "summary"})
        self.assertEqual([a["name"] for a in r.json["accounts"]], ["default"])
        self.assertEqual(set(r.json["accounts"][0]), {"name", "account", "regions", "code_storage",
                                                      "log_group_storage", "ignored", "resources", "summary",
                                                      "exit_code", "error"})
        self.assertEqual(r.json["accounts"][0]["account"], jl.ACCOUNT)
        self.write(section("own", jl.ACCOUNT), policy={"mode": "report"})
        r1 = self.jan.sweep()
        self.assertEqual(r1.rc, 0, r1.err)
        self.assertEqual([a["name"] for a in r1.json["accounts"]], ["own"])
        one = strip(r1.json)
        one["accounts"][0]["name"] = "default"
        self.assertEqual(strip(r.json), one)
        # --account names the implicit account too.
        self.write("", policy={"mode": "report"})
        r = self.jan.sweep("--account", "default")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual([a["name"] for a in r.json["accounts"]], ["default"])


class Profile(Base):
    def test_an_account_from_a_profile_of_the_shared_files(self):
        # The profile assumes beta's role with its own source keys; the
        # environment's keys (the [aws] credentials) are not its.
        conf = os.path.join(self.jan.dir, "aws-config")
        creds = os.path.join(self.jan.dir, "aws-credentials")
        with open(conf, "w") as f:
            f.write("[profile beta-role]\nrole_arn = arn:aws:iam::%s:role/janitor\n"
                    "source_profile = base\nexternal_id = %s\n" % (B, EXT_B))
        with open(creds, "w") as f:
            f.write("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (st.TEST_AK, st.TEST_SK))
        self.write(section("beta", B, extra="profile = beta-role\n"))
        env = jl.base_env(AWS_CONFIG_FILE=conf, AWS_SHARED_CREDENTIALS_FILE=creds)
        r = self.jan.sweep("--delete", "--yes", env=env)
        self.assertEqual(r.rc, 0, r.err)
        self.assert_no_secret(r)
        self.assertEqual(r.json["accounts"][0]["account"], B)
        self.assertEqual(self.functions(B), [])
        self.assertEqual(self.functions(A), FN)


class OneFails(Base):
    def check_other_cleaned(self, r, bad):
        self.assertEqual(r.rc, 1, r.err)
        self.assert_no_secret(r)
        by = {a["name"]: a for a in r.json["accounts"]}
        self.assertEqual(by["alpha"]["summary"]["deleted"], 4)
        self.assertEqual(self.functions(A), [])
        self.assertEqual(by[bad]["summary"]["deleted"], 0)
        self.assertTrue(by[bad]["error"])
        return by[bad]

    def test_wrong_external_id(self):
        self.write(section("alpha", A, A, EXT_A) + section("beta", B, B, "not-the-id"))
        # Debug logging too: no token, key or external id in it.
        r = self.jan.sweep("--delete", "--yes", "-vv")
        self.assertNotIn("not-the-id", r.err)
        self.assertIn("trace", r.err)
        b = self.check_other_cleaned(r, "beta")
        self.assertIn("AssumeRole", b["error"])
        self.assertEqual(self.functions(B), FN)
        self.assertIn("account beta", r.err)

    def test_wrong_account_id(self):
        # The [aws] credentials themselves (no role), but not the account said.
        self.write(section("alpha", A, A, EXT_A) + section("beta", "999999999999"))
        r = self.jan.sweep("--delete", "--yes")
        b = self.check_other_cleaned(r, "beta")
        self.assertEqual(b["account"], jl.ACCOUNT)
        self.assertIn("999999999999", b["error"])
        self.assertEqual(self.functions(jl.ACCOUNT), FN)

    def test_wrong_account_id_does_not_take_the_right_sections_clocks(self):
        # beta says 999999999999 but its credentials are the [aws] ones,
        # the account gamma sweeps; beta is done listing first.  Its
        # mistake must not take gamma's grace clocks from it (gamma would
        # then refuse to delete as if two sections swept one account).
        self.si.control("POST", "latency", {"ms": 0, "rules": [
            {"service": "lambda", "region": "eu-west-1", "ms": 1000}]})
        self.write(section("beta", "999999999999", extra="regions = us-east-1\n") +
                   "[account gamma]\naccount_id = %s\n" % jl.ACCOUNT)
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 1, r.err)
        by = {a["name"]: a for a in r.json["accounts"]}
        self.assertEqual(by["beta"]["exit_code"], 3)
        self.assertEqual(by["gamma"]["exit_code"], 0, by["gamma"].get("error"))
        self.assertEqual(by["gamma"]["summary"]["deleted"], 2)
        self.assertEqual(self.functions(jl.ACCOUNT), [])

    def test_max_deletions_per_account(self):
        self.write(TWO + "[account gamma]\naccount_id = %s\n" % jl.ACCOUNT,
                   policy=dict(DELETE, max_deletions="4", buckets="yes"))
        # alpha and beta have 4 candidates each, gamma 2: 10 in all, each
        # within its own limit.
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["deleted"], 10)

    def test_max_deletions_refuses_in_one_account_only(self):
        # max_deletions = 3: alpha's 4 candidates are refused, gamma's 2
        # deleted; the run says a guard refused (exit 4).
        self.write(section("alpha", A, A, EXT_A) + "[account gamma]\naccount_id = %s\n" % jl.ACCOUNT,
                   policy=dict(DELETE, max_deletions="3"))
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 4, r.err)
        by = {a["name"]: a for a in r.json["accounts"]}
        self.assertEqual(by["alpha"]["exit_code"], 4)
        self.assertEqual(by["alpha"]["summary"]["refused"], 4)
        self.assertEqual(by["gamma"]["exit_code"], 0)
        self.assertEqual(by["gamma"]["summary"]["deleted"], 2)
        self.assertEqual(self.functions(A), FN)
        self.assertEqual(self.functions(jl.ACCOUNT), [])


class Clocks(Base):
    def test_grace_per_account(self):
        self.write(TWO, policy=dict(DELETE, grace="1d"))
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["candidates"], 0)
        state = self.jan.state()
        ca, cb = state["accounts"][A]["clocks"], state["accounts"][B]["clocks"]
        key = "function|eu-west-1|%s|0" % FN[0]
        self.assertIn(key, ca)
        self.assertIn(key, cb)
        # Only alpha's clocks (and first sweep) two days older: only alpha's
        # resources go.
        for k in ca:
            ca[k] -= 2 * 86400
        state["accounts"][A]["first_sweep"] -= 2 * 86400
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            json.dump(state, f)
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.functions(A), [])
        self.assertEqual(self.functions(B), FN)

    def test_old_state_file_migrated(self):
        # One account, no sections: a version 1 file's clocks are its own.
        self.write("", policy=dict(DELETE, grace="1d"), aws={"regions": REGIONS, "account_id": jl.ACCOUNT})
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["candidates"], 0)
        clocks = self.jan.state()["accounts"][jl.ACCOUNT]["clocks"]
        self.assertTrue(clocks)
        old = {"version": 1, "clocks": {k: v - 2 * 86400 for k, v in clocks.items()}}
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            json.dump(old, f)
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        # A version 1 file has no record of the account's first sweep: no
        # clock of it can be accepted (remotion-janitor(8), TIME), and the
        # graces restart once, which never shortens one.
        self.assertEqual(r.json["summary"]["deleted"], 0)
        self.assertIn("earlier than the account's first sweep or without its record", r.err)
        self.assertEqual(self.functions(jl.ACCOUNT), FN)
        state = self.jan.state()
        self.assertEqual(state["version"], 2)
        self.assertEqual(state["clocks"], {})
        self.assertIn(jl.ACCOUNT, state["accounts"])
        self.assertEqual(sorted(state["accounts"][jl.ACCOUNT]["clocks"]), sorted(clocks))

    def test_old_state_file_not_adopted_by_a_wrong_account(self):
        # A version 1 file's clocks go to the account swept only once its
        # identity is the configured one: credentials of another account
        # must not carry them there, to shorten its graces later.
        old = {"version": 1, "clocks": {"function|eu-west-1|%s|0" % n: 1000000000 for n in FN}}
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            json.dump(old, f)
        self.write("", policy=dict(DELETE, grace="1d"),
                   aws={"regions": REGIONS, "account_id": "999999999999"})
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 3, r.err)
        state = self.jan.state()
        self.assertNotIn(jl.ACCOUNT, state.get("accounts", {}))
        self.assertEqual(state["clocks"], old["clocks"])
        self.assertEqual(self.functions(jl.ACCOUNT), FN)

    def test_old_state_file_of_the_aws_account_not_taken_by_a_section(self):
        # A version 1 file written when the [aws] credentials' account was
        # swept; now one [account] section sweeps another account through
        # a role.  The names are the same: those clocks are not its own.
        old = {"version": 1,
               "clocks": {"function|eu-west-1|%s|0" % n: 1000000000 for n in FN},
               "last_sweep": {"account": jl.ACCOUNT, "exit_code": 0}}
        with open(os.path.join(self.jan.dir, "state.json"), "w") as f:
            json.dump(old, f)
        self.write(section("alpha", A, A, EXT_A), policy=dict(DELETE, grace="1d"))
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["summary"]["deleted"], 0)
        self.assertEqual(self.functions(A), FN)
        state = self.jan.state()
        self.assertEqual(state["clocks"], old["clocks"])


def ask(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(cmd.encode() + b"\n")
    f = s.makefile("rb")
    line = f.readline()
    f.close()
    s.close()
    return json.loads(line.decode("utf-8"))


class Daemon(Base):
    def start_daemon(self, notify=None):
        env = jl.base_env()
        if notify:
            env["NOTIFY_SOCKET"] = notify
        return subprocess.Popen([jl.BIN, "-c", self.jan.conf], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def status_when(p, sock, pred, tries):
        """The daemon's status once pred holds (polled every 0.1 s), or the
        last one seen (None) when it exits or tries run out."""
        status = None
        for _ in range(tries):
            if os.path.exists(sock):
                try:
                    status = ask(sock, "status")
                except OSError:     # the previous daemon's socket, going
                    status = None
                if status is not None and pred(status):
                    return status
            if p.poll() is not None:
                break
            time.sleep(0.1)
        return status

    def test_status_inventory_and_metrics_carry_the_account(self):
        metrics = os.path.join(self.jan.dir, "metrics.prom")
        sock = os.path.join(self.jan.dir, "sock")
        self.jan.write_config(aws={"regions": REGIONS}, policy=DELETE, raw=TWO,
                              daemon={"startup_delay": "0", "interval": "1d", "jitter": "0",
                                      "metrics_file": metrics})
        p = self.start_daemon()
        try:
            status = self.status_when(p, sock, lambda s: s.get("last_sweep"), 600)
            self.assertTrue(status and status["last_sweep"], status)
            last = status["last_sweep"]
            self.assertEqual(last["exit_code"], 0)
            self.assertEqual([(a["name"], a["account"]) for a in last["accounts"]], [("alpha", A), ("beta", B)])
            self.assertEqual(last["summary"]["deleted"], 8)
            self.assertEqual(last["summary"]["found"], {"functions": 4, "layer_versions": 4, "buckets": 2, "log_groups": 0})
            # The human form of --status reads the same totals.
            text = subprocess.run([jl.BIN, "-c", self.jan.conf, "--status"], env=jl.base_env(),
                                  capture_output=True, text=True, timeout=60).stdout
            self.assertIn("found 4 functions, 4 layer versions", text)
            self.assertIn("account alpha (%s): exit code 0, 4 candidates, 4 deleted" % A, text)
            self.assertIn("account beta (%s): exit code 0" % B, text)
            inv = ask(sock, "inventory")
            self.assertIsNone(inv["account"])
            got = sorted((r["account_name"], r["account"], r["name"]) for r in inv["resources"]
                         if r["type"] == "function")
            self.assertEqual(got, sorted((n, acc, f) for n, acc in (("alpha", A), ("beta", B)) for f in FN))
            with open(metrics) as f:
                text = f.read()
            self.assertIn('remotion_janitor_last_sweep_exit_code{account="alpha"} 0', text)
            self.assertIn('remotion_janitor_last_sweep_exit_code{account="beta"} 0', text)
            self.assertEqual(text.count("# TYPE remotion_janitor_last_sweep_exit_code "), 1)
            # The daemon's counters once: one run is one sweep, with the
            # deletions of both accounts.
            self.assertIn("\nremotion_janitor_sweeps_total 1\n", text)
            self.assertIn('\nremotion_janitor_deletions_total{type="function",result="deleted"} 4\n', text)
            self.assertIn('\nremotion_janitor_region_incomplete_sweeps{region="eu-west-1"} 0\n', text)
            self.assertRegex(text, r'remotion_janitor_resources\{account="beta",type="function",'
                                   r'region="eu-west-1"\} 2')
            self.assertEqual(self.functions(A), [])
            self.assertEqual(self.functions(B), [])
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=60)
        for t in (out, err):
            self.assertNotIn(TOKEN_PREFIX, t)
            self.assertNotIn(EXT_A, t)
        self.assertIn("account beta", err)

        # Restarted with no sweep due: status shows the run before the
        # restart, from each account's record in the state file.
        self.jan.write_config(aws={"regions": REGIONS}, policy=DELETE, raw=TWO,
                              daemon={"startup_delay": "1d", "interval": "1d", "jitter": "0",
                                      "metrics_file": metrics})
        p = self.start_daemon()
        try:
            again = self.status_when(p, sock, lambda s: True, 300)
            self.assertIsNotNone(again)
            self.assertEqual(again["state"], "idle")
            before = again["last_sweep"]
            self.assertIsNotNone(before, again)
            self.assertEqual(before["exit_code"], 0)
            self.assertEqual(before["summary"]["deleted"], 8)
            self.assertEqual(before["summary"]["found"], last["summary"]["found"])
            self.assertEqual(before["accounts"], last["accounts"])
            self.assertEqual(before["finished"], last["finished"])
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)


def big_fixture(n=12000):
    """Two accounts, each with one old bucket of n objects to empty."""
    def acct(account, ext):
        return {"account_id": account,
                "roles": [{"name": "janitor", "trust": [USER_ARN], "external_id": ext}],
                "buckets": [{"name": "remotionlambda-euwest1-%s" % account[:10], "region": "eu-west-1",
                             "age_days": 30, "generate": {"count": n, "prefix": "renders/s",
                                                          "age_days": 20}}]}
    return {"regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
            "accounts": [acct(A, EXT_A), acct(B, EXT_B)]}


class TwoDeleting(Base):
    """Two accounts emptying big buckets at once (each DeleteObjects takes
    0.9 s): status shows each account's deletion; SIGTERM stops both."""

    def setUp(self):
        self.si = st.StandIn(fixture=big_fixture())
        self.si.control("POST", "latency", {"rules": [{"service": "s3", "operation": "DeleteObjects",
                                                       "ms": 900}]})
        self.sock = os.path.join(self.jan_dir(), "sock")

    # Daemon's helpers, not its tests.
    start_daemon = Daemon.start_daemon
    status_when = staticmethod(Daemon.status_when)

    def jan_dir(self):
        self.jan = jl.Janitor(self.si, aws={"regions": "eu-west-1"}, policy=DELETE, raw=TWO,
                              daemon={"startup_delay": "0", "interval": "1d", "jitter": "0",
                                      "stop_timeout": "2s"})
        return self.jan.dir

    def by_account(self):
        keys = {t["access_key"]: t["arn"].split(":")[4] for t in self.si.state()["temporary_credentials"]}
        return lambda e: keys.get(e.get("access_key"))

    def both_deleting(self, p):
        def pred(s):
            accts = ((s.get("progress") or {}).get("accounts")) or []
            return (s["state"] == "deleting" and len(accts) == 2 and
                    all(a["state"] == "deleting" and a["bucket"] for a in accts))
        s = self.status_when(p, self.sock, pred, 300)
        self.assertTrue(s and pred(s), s)
        return s

    def test_status_names_each_accounts_deletion(self):
        # sd_notify's socket: the STATUS= lines the daemon sends.
        npath = os.path.join(self.jan.dir, "notify")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(npath)
        ns.setblocking(False)
        p = self.start_daemon(notify=npath)
        try:
            s = self.both_deleting(p)
            accts = s["progress"]["accounts"]
            self.assertEqual([a["name"] for a in accts], ["alpha", "beta"])
            self.assertEqual([a["bucket"] for a in accts],
                             ["remotionlambda-euwest1-%s" % x[:10] for x in (A, B)])
            for a in accts:
                self.assertEqual(a["deletions_total"], 1)
            # The run's totals add the accounts' up.
            self.assertEqual(s["progress"]["deletions_total"], 2)
            # Objects go: the progress moves in both accounts.
            s = self.status_when(p, self.sock, lambda s: all(
                a["objects_deleted"] > 0 for a in ((s.get("progress") or {}).get("accounts") or [{}])), 300)
            self.assertTrue(all(a["objects_deleted"] > 0 for a in s["progress"]["accounts"]), s)
            self.assertEqual(s["progress"]["objects_deleted"],
                             sum(a["objects_deleted"] for a in s["progress"]["accounts"]))
            # --status, for a person: a line per account with its deletion.
            text = subprocess.run([jl.BIN, "-c", self.jan.conf, "--status"], env=jl.base_env(),
                                  capture_output=True, text=True, timeout=60).stdout
            self.assertRegex(text, r"state: +deleting: 0 of 2 deletions done, \d+ objects removed")
            for name, acc in (("alpha", A), ("beta", B)):
                self.assertRegex(text, r"account %s: deleting: 0 of 1 deletions done, \d+ objects removed; "
                                       r"emptying remotionlambda-euwest1-%s" % (name, acc[:10]))
            # STATUS=: the run's totals, then each account's deletion.
            notes = []
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    notes.append(ns.recv(4096).decode())
                except BlockingIOError:
                    if any("alpha deleting" in m and "beta deleting" in m for m in notes):
                        break
                    time.sleep(0.1)
            status = [m for m in notes if "alpha deleting" in m and "beta deleting" in m]
            self.assertTrue(status, notes[-5:])
            self.assertRegex(status[-1], r"STATUS=deleting: \d+ of 2 done, \d+ objects removed; ")
            for name, acc in (("alpha", A), ("beta", B)):
                self.assertRegex(status[-1], r"; %s deleting \d+ of 1 done, \d+ objects removed, "
                                             r"emptying remotionlambda-euwest1-%s" % (name, acc[:10]))
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)
            ns.close()

    def test_sigterm_stops_every_account(self):
        p = self.start_daemon()
        try:
            # The signal must find a DeleteObjects in flight in each account
            # (told by the stand-in, not by the status).
            deadline = time.time() + 30
            while time.time() < deadline:
                who = self.by_account()
                log = self.si.log()
                if {who(e) for e in log if e.get("operation") == "DeleteObjects"} >= {A, B}:
                    break
                time.sleep(0.02)
            t0 = time.time()
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=60)
            took = time.time() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err[-3000:])
        print("stopped %.2f s after SIGTERM (stop_timeout 2 s)" % took, file=sys.stderr)
        # Nothing new after the signal, in either account: no request
        # arrived at the stand-in later than the signal (a small margin for
        # one in transit).
        who = self.by_account()
        late = [(who(e), e["operation"], round(e["t"] - t0, 3)) for e in self.si.log() if e["t"] > t0 + 0.05]
        self.assertEqual(late, [], "requests sent after SIGTERM")
        # Both buckets only partly emptied; the state was saved.
        left = {b["name"]: b["keys"] for b in self.si.state()["accounts"][0]["buckets"] +
                self.si.state()["accounts"][1]["buckets"]}
        self.assertEqual(len(left), 2, left)
        self.assertTrue(all(k < 12000 for k in left.values()), left)
        self.assertIsInstance(self.jan.state(), dict)


class Hundred(unittest.TestCase):
    """No fixed number of accounts: 100 sections in one run, each on its
    own role."""
    N = 100

    def setUp(self):
        self.ids = ["4%011d" % i for i in range(self.N)]
        self.si = st.StandIn(fixture={
            "regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
            "accounts": [{"account_id": a, "roles": [{"name": "janitor", "trust": [USER_ARN]}],
                          "functions": [{"region": "eu-west-1", "name": FN[0], "age_days": 30}]}
                         for a in self.ids]})
        raw = "".join(section("a%03d" % i, a, a) for i, a in enumerate(self.ids))
        self.jan = jl.Janitor(self.si, aws={"regions": "eu-west-1"}, policy={"mode": "report"}, raw=raw)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def test_hundred_sections_in_one_run(self):
        r = self.jan.sweep()
        self.assertEqual(r.rc, 0, r.err[-2000:])
        self.assertEqual([a["name"] for a in r.json["accounts"]], ["a%03d" % i for i in range(self.N)])
        self.assertEqual([a["account"] for a in r.json["accounts"]], self.ids)
        self.assertTrue(all(a["exit_code"] == 0 and a["summary"]["candidates"] == 1 for a in r.json["accounts"]))
        self.assertEqual(r.json["summary"]["candidates"], self.N)


class Validate(Base):
    def test_every_account_and_the_trust_policy(self):
        self.write(section("alpha", A, A, EXT_A) + section("beta", B, B, "wrong"))
        r = self.jan.run("--validate", "--json")
        self.assertEqual(r.rc, 3, r.err)
        self.assert_no_secret(r)
        by = {a["name"]: a for a in r.json["accounts"]}
        self.assertFalse(r.json["ok"])
        self.assertEqual(by["alpha"]["principal"], "arn:aws:iam::%s:role/janitor" % A)
        self.assertTrue(by["alpha"]["ok"], by["alpha"])
        trust = by["alpha"]["trust_policy"]["Statement"][0]
        self.assertEqual(trust["Principal"]["AWS"], USER_ARN)
        self.assertEqual(trust["Action"], "sts:AssumeRole")
        self.assertIn("[account alpha]", trust["Condition"]["StringEquals"]["sts:ExternalId"])
        self.assertFalse(by["beta"]["ok"])
        self.assertIn("AssumeRole", by["beta"]["error"])
        # The example shipped in conf/ is that trust policy.
        with open(os.path.join(jl.HERE, "..", "..", "conf", "remotion-janitor-role-trust.json")) as f:
            shipped = json.load(f)
        want = by["alpha"]["trust_policy"]
        self.assertEqual(shipped["Version"], want["Version"])
        self.assertEqual(set(shipped["Statement"][0]), set(want["Statement"][0]))
        self.assertEqual(shipped["Statement"][0]["Action"], "sts:AssumeRole")
        self.assertEqual(set(shipped["Statement"][0]["Condition"]["StringEquals"]), {"sts:ExternalId"})
        # The text form prints the trust policy beside the permissions.
        self.write(TWO)
        r = self.jan.run("--validate", "--account", "beta")
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("account beta", r.out)
        self.assertNotIn("account alpha", r.out)
        self.assertIn("must trust", r.out)
        self.assertIn(USER_ARN, r.out)
        self.assert_no_secret(r)


class ShortLived(Base):
    # Assumed credentials that last 2 s, in a sweep that lasts longer (each
    # Lambda call takes 1 s, several in turn): each account's role is assumed again as
    # its credentials run out, and the sweep never sees them expired.
    si_args = ("--temp-creds-ttl", "2")

    def test_refreshed_across_a_long_sweep(self):
        self.si.control("POST", "latency", {"rules": [{"service": "lambda", "ms": 1000}]})
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assert_no_secret(r)
        self.assertEqual(r.json["summary"]["deleted"], 8)
        log = self.si.log()
        self.assertFalse([e for e in log if e.get("error") in ("ExpiredToken", "ExpiredTokenException")], log[-3:])
        keys = {t["access_key"]: t["arn"].split(":")[4] for t in self.si.state()["temporary_credentials"]}
        for acct in (A, B):
            used = {e["access_key"] for e in log if keys.get(e.get("access_key")) == acct}
            self.assertGreaterEqual(len(used), 2, acct)


class Refresh(Base):
    # Assumed credentials that expire during the sweep are assumed again.
    si_args = ("--temp-creds-ttl", "900")

    def test_expired_role_credentials_are_assumed_again(self):
        self.si.faults([{"kind": "expire_creds", "service": "lambda", "operation": "ListFunctions", "count": 1, "after": 1}])
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 0, r.err)
        self.assert_no_secret(r)
        self.assertEqual(self.functions(A), [])
        self.assertEqual(self.functions(B), [])
        assumes = [e for e in self.si.log() if e.get("operation") == "AssumeRole"]
        self.assertGreater(len(assumes), 2)


if __name__ == "__main__":
    unittest.main()
