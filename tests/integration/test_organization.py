#!/usr/bin/python3
"""[organization] through the binary (issue 22): the accounts of an AWS
Organization listed at the start of every run and swept as if each had an
[account] section; paging, OUs (recursively), exclusions, suspended
accounts, the management account, an explicit section winning, a failed
listing deleting nothing anywhere (exit 3), shards disjoint and complete,
and a member whose role cannot be assumed failing alone."""
import json
import os
import socket
import subprocess
import time
import unittest

import janlib as jl
from janlib import st

SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
USER_ARN = "arn:aws:iam::%s:user/janitor-test" % jl.ACCOUNT
ROOT, OU_A, OU_A1, OU_B = "r-ab12", "ou-ab12-11111111", "ou-ab12-22222222", "ou-ab12-33333333"
FN = "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec"
REGIONS = "eu-west-1"
SUSPENDED = "555555555555"
NO_ROLE = "666666666666"        # ACTIVE, but no role to assume there
EXCLUDED = "777777777777"


def member_ids():
    """The ACTIVE members with a role: 8 under OU_A, 3 under OU_A1, 4 under OU_B, 2 in the root."""
    a = ["21%010d" % i for i in range(8)]
    a1 = ["22%010d" % i for i in range(3)]
    b = ["23%010d" % i for i in range(4)]
    r = ["24%010d" % i for i in range(2)]
    return a, a1, b, r


def fixture(page_size=4, n_extra=0):
    a, a1, b, r = member_ids()
    members = ([{"account_id": i, "name": "a %s" % i, "parent": OU_A} for i in a]
               + [{"account_id": i, "name": "a1 \u00e9\x1b[31m", "parent": OU_A1} for i in a1]
               + [{"account_id": i, "parent": OU_B} for i in b]
               + [{"account_id": i, "parent": ROOT} for i in r]
               + [{"account_id": SUSPENDED, "name": "gone", "status": "SUSPENDED", "parent": OU_A},
                  {"account_id": NO_ROLE, "name": "no role", "parent": ROOT},
                  {"account_id": EXCLUDED, "name": "excluded", "parent": OU_B}])
    extra = ["3%011d" % i for i in range(n_extra)]
    members += [{"account_id": i, "parent": ROOT} for i in extra]
    with_role = a + a1 + b + r + [SUSPENDED, EXCLUDED] + extra
    return {
        "regions": ["eu-west-1", "us-east-1"], "disabled_regions": [],
        # The management account has the same function: never swept without a section.
        "functions": [{"region": "eu-west-1", "name": FN, "age_days": 30}],
        "accounts": [{"account_id": i,
                      "roles": [{"name": "remotion-janitor", "trust": [USER_ARN], "external_id": "org-ext"},
                                {"name": "custom", "trust": [USER_ARN]}],
                      "functions": [{"region": "eu-west-1", "name": FN, "age_days": 30}]}
                     for i in with_role],
        "organization": {"root_id": ROOT, "page_size": page_size,
                         "ous": [{"id": OU_A, "name": "a", "parent": ROOT},
                                 {"id": OU_A1, "name": "a1", "parent": OU_A},
                                 {"id": OU_B, "name": "b", "parent": ROOT}],
                         "members": members},
    }


def policy():
    """The project's policy and the management-side one, as the stand-in's default."""
    stmts = []
    for name in ("remotion-janitor-policy.json", "remotion-janitor-organization-policy.json"):
        with open(os.path.join(SRC, "conf", name)) as f:
            stmts += json.load(f)["Statement"]
    return {"Version": "2012-10-17", "Statement": stmts}


ORG = "[organization]\nrole_name = remotion-janitor\nexternal_id = org-ext\nexclude_accounts = %s\n" % EXCLUDED


class Base(unittest.TestCase):
    fixture_args = {}

    def setUp(self):
        self.si = st.StandIn(fixture=fixture(**self.fixture_args))
        code, body = self.si.control("POST", "policy", {"policy": policy()})
        self.assertEqual(code, 200, body)
        self.jan = jl.Janitor(self.si, aws={"regions": REGIONS}, raw=ORG)

    def tearDown(self):
        self.jan.cleanup()
        self.si.stop()

    def write(self, raw, policy_sec=None, daemon=None):
        self.jan.write_config(aws={"regions": REGIONS}, policy=policy_sec or {}, daemon=daemon, raw=raw)

    def swept(self, r):
        return sorted(a["name"] for a in r.json["accounts"])

    def org_log(self):
        return [e for e in self.si.log() if e["service"] == "organizations"]

    def expected_all(self):
        a, a1, b, r = member_ids()
        return sorted(a + a1 + b + r + [NO_ROLE])


class Discovery(Base):
    def test_every_active_member_swept_by_id(self):
        self.si.control("POST", "reset-log")
        r = self.jan.sweep()
        # The member without a role fails alone: exit 1 over the others' 0.
        self.assertEqual(r.rc, 1, r.err)
        self.assertEqual(self.swept(r), self.expected_all())
        by = {a["name"]: a for a in r.json["accounts"]}
        for name, a in by.items():
            self.assertEqual(a["account"] if name != NO_ROLE else name, name)
            if name != NO_ROLE:
                self.assertEqual(a["exit_code"], 0, a.get("error"))
                self.assertEqual([x["name"] for x in a["resources"] if x["type"] == "function"], [FN])
        # The management account, the suspended and the excluded ones are not swept.
        for gone in (jl.ACCOUNT, SUSPENDED, EXCLUDED):
            self.assertNotIn(gone, by)
        self.assertIn("organization: account %s \"gone\": skipped (suspended)" % SUSPENDED, r.err)
        self.assertIn("organization: account %s \"excluded\": skipped (excluded)" % EXCLUDED, r.err)
        self.assertIn("organization: account %s \"management\": skipped (management account)" % jl.ACCOUNT,
                      r.err)
        # Each member through arn:aws:iam::ID:role/remotion-janitor with the external id.
        roles = [e for e in self.si.log() if e["operation"] == "AssumeRole"]
        self.assertEqual(len([e for e in roles if e["status"] == 200]), len(self.expected_all()) - 1)
        self.assertNotIn("org-ext", r.out + r.err)

    def test_member_without_role_fails_alone(self):
        r = self.jan.sweep()
        by = {a["name"]: a for a in r.json["accounts"]}
        self.assertEqual(by[NO_ROLE]["exit_code"], 3)
        self.assertIn("AssumeRole", by[NO_ROLE]["error"])
        self.assertEqual(sum(1 for a in by.values() if a["exit_code"] == 0), len(by) - 1)

    def test_members_start_while_the_listing_goes_on(self):
        # Slow pages: the first page's members are being swept before the
        # last page is served.
        self.si.control("POST", "latency", {"rules": [{"service": "organizations",
                                                       "operation": "ListAccounts", "ms": 200}]})
        self.si.control("POST", "reset-log")
        r = self.jan.sweep()
        self.assertEqual(self.swept(r), self.expected_all())
        log = self.si.log()
        pages = [e["seq"] for e in log if e["operation"] == "ListAccounts"]
        self.assertGreater(len(pages), 3)
        members = [e["seq"] for e in log if e["service"] in ("sts", "lambda") and e["seq"] < pages[-1]]
        self.assertTrue([s for s in members if s > pages[0]], "no member swept before the last page")
        self.assertIn("AssumeRole", [e["operation"] for e in log if e["seq"] in members])

    def test_paging_every_page(self):
        self.si.control("POST", "reset-log")
        r = self.jan.sweep()
        self.assertEqual(self.swept(r), self.expected_all())
        ops = [e["operation"] for e in self.org_log()]
        total = len(self.expected_all()) + 3 + 1        # + suspended, excluded, one more; + management
        self.assertEqual(ops[0], "DescribeOrganization")
        # page_size 4: every ListAccounts page, in order.
        n_members = len(fixture()["organization"]["members"]) + 1
        self.assertEqual(ops[1:], ["ListAccounts"] * (-(-n_members // 4)))
        self.assertGreater(total, 4)

    def test_ous_recursively(self):
        self.write(ORG + "ous = %s\n" % OU_A)
        r = self.jan.sweep()
        a, a1, b, root = member_ids()
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.swept(r), sorted(a + a1))
        # The suspended member under OU_A is listed there, and skipped.
        self.assertIn("account %s \"gone\": skipped (suspended)" % SUSPENDED, r.err)
        self.write(ORG + "ous = %s %s\n" % (OU_A1, OU_B))
        r = self.jan.sweep()
        self.assertEqual(self.swept(r), sorted(a1 + b))

    def test_explicit_section_wins(self):
        a = member_ids()[0][0]
        self.write(ORG + "[account custom]\naccount_id = %s\nrole_arn = arn:aws:iam::%s:role/custom\n" % (a, a))
        self.si.control("POST", "reset-log")
        r = self.jan.sweep()
        names = self.swept(r)
        self.assertIn("custom", names)
        self.assertNotIn(a, names)
        self.assertEqual(len(names), len(self.expected_all()))
        assumed = [e["target"] or "" for e in self.si.log() if e["operation"] == "AssumeRole"]
        self.assertEqual(len(assumed), len(self.expected_all()))
        # The management account swept only with a section of its own.
        self.write(ORG + "[account mgmt]\naccount_id = %s\n" % jl.ACCOUNT)
        r = self.jan.sweep()
        by = {x["name"]: x for x in r.json["accounts"]}
        self.assertEqual(by["mgmt"]["account"], jl.ACCOUNT)
        self.assertEqual(by["mgmt"]["exit_code"], 0)
        self.assertNotIn(jl.ACCOUNT, by)

    def test_name_is_escaped(self):
        r = self.jan.sweep("-v")
        self.assertNotIn("\x1b", r.err)
        self.assertIn("\"a1 \u00e9\\x1b[31m\": swept", r.err)

    def test_names_and_skipped_members_in_the_output(self):
        a, a1, b, _ = member_ids()
        self.write(ORG + "[account custom]\naccount_id = %s\nrole_arn = arn:aws:iam::%s:role/custom\n"
                   % (a[0], a[0]))
        r = self.jan.sweep()
        self.assertNotIn("\x1b", r.out)
        by = {x["name"]: x for x in r.json["accounts"]}
        # A member's Name, exact; a section's account has none.
        self.assertEqual(by[a[1]]["org_name"], "a %s" % a[1])
        self.assertEqual(by[a1[0]]["org_name"], "a1 \u00e9\x1b[31m")
        self.assertEqual(by[b[0]]["org_name"], "account-%s" % b[0])    # the stand-in's default
        self.assertEqual(by[NO_ROLE]["org_name"], "no role")
        self.assertNotIn("org_name", by["custom"])
        self.assertEqual(sorted(r.json["skipped_accounts"], key=lambda k: k["account"]),
                         [{"account": jl.ACCOUNT, "name": "management", "reason": "management account"},
                          {"account": SUSPENDED, "name": "gone", "reason": "suspended"},
                          {"account": EXCLUDED, "name": "excluded", "reason": "excluded"}])
        # The table: a line per member with its Name (escaped), a line per member skipped.
        r = self.jan.run("--sweep")
        self.assertNotIn("\x1b", r.out)
        lines = r.out.splitlines()
        self.assertIn('account %s: "a %s"' % (a[1], a[1]), lines)
        self.assertIn('account %s: "a1 \u00e9\\x1b[31m"' % a1[0], lines)
        self.assertIn('account %s: "account-%s"' % (b[0], b[0]), lines)
        self.assertFalse([x for x in lines if x.startswith("account %s:" % a[0])])
        self.assertIn('skipped %s: "gone" (suspended)' % SUSPENDED, lines)
        self.assertIn('skipped %s: "excluded" (excluded)' % EXCLUDED, lines)
        self.assertIn('skipped %s: "management" (management account)' % jl.ACCOUNT, lines)

    def test_no_organization_no_skipped_accounts(self):
        self.write("")
        r = self.jan.sweep()
        self.assertNotIn("skipped_accounts", r.json)
        self.assertFalse([x for x in r.json["accounts"] if "org_name" in x])

    def test_account_option_takes_a_member_id(self):
        a = member_ids()[0][1]
        r = self.jan.sweep("--account", a)
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.swept(r), [a])
        r = self.jan.sweep("--account", "999999999999")
        self.assertEqual(r.rc, 2, r.err)
        self.assertIn("999999999999", r.err)


class FailedListing(Base):
    def test_nothing_deleted_anywhere(self):
        for op in ("DescribeOrganization", "ListAccounts"):
            self.si.faults([{"kind": "deny", "service": "organizations", "operation": op, "count": None}])
            self.si.control("POST", "reset-log")
            self.write(ORG + "[account mgmt]\naccount_id = %s\n" % jl.ACCOUNT,
                       policy_sec={"mode": "delete", "max_deletions": "100"})
            r = self.jan.sweep("--delete", "--yes")
            self.assertEqual(r.rc, 3, r.err)
            self.assertIn("organizations:%s" % op, r.err)
            log = self.si.log()
            self.assertEqual(jl.modifying(log), [])
            # Not even the explicit section's account is listed or swept.
            self.assertEqual([e for e in log if e["service"] in ("lambda", "s3", "sts")], [])
            self.assertEqual(r.json["exit_code"], 3)
            self.assertIn("organizations:%s" % op, r.json["error"])

    def test_a_page_failing_later_fails_the_run(self):
        self.si.faults([{"kind": "error", "service": "organizations", "operation": "ListAccounts",
                         "after": 2, "count": None}])
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 3, r.err)
        self.assertEqual(jl.modifying(self.si.log()), [])

    def test_a_late_page_failing_while_members_wait_to_delete(self):
        # Slow pages: the members of the first three (4 a page) are swept
        # up to their deletions while the listing is still going; the
        # fourth page fails.  They wait at the barrier, then delete nothing.
        self.si.control("POST", "latency", {"rules": [{"service": "organizations",
                                                       "operation": "ListAccounts", "ms": 400}]})
        self.si.faults([{"kind": "error", "service": "organizations", "operation": "ListAccounts",
                         "after": 3, "count": None}])
        self.si.control("POST", "reset-log")
        self.write(ORG, policy_sec={"mode": "delete", "max_deletions": "100"})
        r = self.jan.sweep("--delete", "--yes", "-v")
        self.assertEqual(r.rc, 3, r.err)
        log = self.si.log()
        self.assertEqual(jl.modifying(log), [])
        self.assertEqual([e for e in log if e["operation"].startswith("Delete")], [])
        # Members were listed (their functions found) before the page failed.
        failed = [e["seq"] for e in log if e["operation"] == "ListAccounts" and e["status"] != 200]
        listed = [e["seq"] for e in log if e["operation"] == "ListFunctions"]
        self.assertTrue(failed and listed)
        self.assertLess(min(listed), min(failed))
        self.assertIn("waiting for the list of accounts to be complete before deleting", r.err)
        # Each account swept says why it deleted nothing; its function is still there.
        self.assertGreater(len(r.json["accounts"]), 0)
        for a in r.json["accounts"]:
            self.assertEqual(a["exit_code"], 3)
            self.assertIn("organizations:ListAccounts", a["error"])
            self.assertIn("nothing is deleted", a["error"])
        found = [a for a in r.json["accounts"]
                 if [x["name"] for x in a["resources"] if x["type"] == "function"] == [FN]]
        self.assertGreater(len(found), 0)
        for a in self.si.state()["accounts"]:
            if a["account_id"] in [x["name"] for x in r.json["accounts"]]:
                self.assertEqual([f["name"] for f in a["functions"]], [FN])
        self.assertEqual(r.json["exit_code"], 3)
        self.assertIn("organizations:ListAccounts", r.json["error"])

    def test_delete_with_a_complete_listing(self):
        self.write(ORG, policy_sec={"mode": "delete", "max_deletions": "100"})
        r = self.jan.sweep("--delete", "--yes")
        self.assertEqual(r.rc, 1, r.err)        # the member without a role
        acc = {a["account_id"]: a for a in self.si.state()["accounts"]}
        a = member_ids()[0][0]
        self.assertEqual(acc[a]["functions"], [])
        for kept in (SUSPENDED, EXCLUDED):
            self.assertEqual([f["name"] for f in acc[kept]["functions"]], [FN])
        self.assertEqual([f["name"] for f in self.si.state()["functions"]], [FN])


class Daemon(Base):
    """The daemon lists the organization at the start of each of its runs."""

    def ask(self, cmd):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(os.path.join(self.jan.dir, "sock"))
            s.sendall(cmd.encode() + b"\n")
            with s.makefile() as f:
                return json.loads(f.readline())

    def wait_sweep(self, after=None, timeout=60):
        t0 = time.time()
        while time.time() - t0 < timeout:
            try:
                d = self.ask("status")
                ls = d.get("last_sweep")
                if ls and ls != after and d.get("state") == "idle":
                    return ls
            except OSError:
                pass
            time.sleep(0.1)
        self.fail("no sweep finished")

    def test_each_run_lists_and_a_failed_listing_sweeps_nothing(self):
        self.write(ORG, daemon={"startup_delay": "0", "interval": "1h", "jitter": "0"})
        log = open(os.path.join(self.jan.dir, "stderr"), "w+")
        p = subprocess.Popen([jl.BIN, "-c", self.jan.conf], env=jl.base_env(), stdout=subprocess.DEVNULL,
                             stderr=log)
        try:
            first = self.wait_sweep()
            self.assertEqual(first["exit_code"], 1)
            self.assertEqual(sorted(a["name"] for a in first["accounts"]), self.expected_all())
            # A member added to the organization is swept by the next run.
            doc = fixture()
            doc["organization"]["members"].append({"account_id": "888888888888", "parent": ROOT})
            doc["accounts"].append(dict(doc["accounts"][0], account_id="888888888888"))
            self.assertEqual(self.si.control("POST", "fixture", doc)[0], 200)
            self.ask("sweep")
            second = self.wait_sweep(after=first)
            self.assertIn("888888888888", [a["name"] for a in second["accounts"]])
            # Denied: that run sweeps no account at all, and exits 3.
            self.si.faults([{"kind": "deny", "service": "organizations", "operation": "ListAccounts",
                             "count": None}])
            self.si.control("POST", "reset-log")
            self.ask("sweep")
            third = self.wait_sweep(after=second)
            self.assertEqual(third["exit_code"], 3)
            self.assertEqual(third["accounts"], [])
            self.assertEqual([e for e in self.si.log() if e["service"] != "organizations"], [])
        finally:
            p.terminate()
            p.wait(timeout=30)
            log.seek(0)
            err = log.read()
            log.close()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("organizations:ListAccounts", err)
        self.assertIn("nothing is swept in any account", err)


    def stop_daemon_once(self, marker, *args):
        """Start the daemon (its first sweep at once), SIGTERM it once
        marker is in its log: it must stop within 15 s.  Its log."""
        log = open(os.path.join(self.jan.dir, "stderr"), "w+")
        p = subprocess.Popen([jl.BIN] + list(args) + ["-c", self.jan.conf], env=jl.base_env(),
                             stdout=subprocess.DEVNULL, stderr=log)
        try:
            t0 = time.time()
            while True:
                log.seek(0)
                if marker in log.read():
                    break
                self.assertLess(time.time() - t0, 20, "never logged: " + marker)
                time.sleep(0.1)
            time.sleep(0.5)
            t1 = time.time()
            p.terminate()
            p.wait(timeout=30)
            self.assertLess(time.time() - t1, 15)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.seek(0)
            err = log.read()
            log.close()
        return err

    def test_sigterm_stops_a_listing_in_flight(self):
        # A ListAccounts that would take a minute: SIGTERM ends the run (and
        # the daemon) after stop_timeout, without sweeping anything.
        self.si.faults([{"kind": "stall", "service": "organizations", "operation": "ListAccounts",
                         "seconds": 60, "count": None}])
        self.write(ORG, daemon={"startup_delay": "0", "interval": "1h", "jitter": "0", "stop_timeout": "1s"})
        err = self.stop_daemon_once("listing the organization first")
        self.assertIn("stopped while listing the organization", err)
        self.assertEqual([e for e in self.si.log() if e["service"] not in ("organizations",)], [])

    def test_sigterm_while_members_wait_to_delete(self):
        # The third ListAccounts page would take a minute; the first two
        # pages' members are swept and wait to delete.  SIGTERM stops it
        # all: none deletes anything.
        self.si.faults([{"kind": "stall", "service": "organizations", "operation": "ListAccounts",
                         "seconds": 60, "after": 2, "count": None}])
        self.write(ORG, policy_sec={"mode": "delete", "max_deletions": "100"},
                   daemon={"startup_delay": "0", "interval": "1h", "jitter": "0", "stop_timeout": "1s"})
        err = self.stop_daemon_once("waiting for the list of accounts to be complete before deleting", "-v")
        self.assertIn("stopped while listing the organization", err)
        entries = self.si.log()
        self.assertTrue([e for e in entries if e["operation"] == "ListFunctions"])
        self.assertEqual(jl.modifying(entries), [])
        self.assertEqual([e for e in entries if e["operation"].startswith("Delete")], [])

class Validate(Base):
    def test_listing_roles_and_trust(self):
        r = self.jan.run("--validate", "--json")
        doc = json.loads(r.out)
        org = doc["organization"]
        self.assertTrue(org["ok"])
        self.assertEqual(org["management"], jl.ACCOUNT)
        self.assertEqual(org["listed"], len(fixture()["organization"]["members"]) + 1)
        self.assertEqual(org["swept"], len(self.expected_all()))
        self.assertEqual(sorted((k["id"], k["reason"]) for k in org["skipped"]),
                         sorted([(jl.ACCOUNT, "management account"), (SUSPENDED, "suspended"),
                                 (EXCLUDED, "excluded")]))
        st_ = org["trust_policy"]["Statement"][0]
        self.assertEqual(st_["Principal"]["AWS"], USER_ARN)
        self.assertEqual(st_["Action"], "sts:AssumeRole")
        self.assertEqual(st_["Condition"]["StringEquals"]["sts:ExternalId"],
                         "the external_id of [organization]")
        self.assertNotIn("org-ext", r.out + r.err)
        by = {a["name"]: a for a in doc["accounts"]}
        self.assertEqual(sorted(by), self.expected_all())
        # Each member's role is assumed and checked like a section's; the one
        # without a role fails alone.
        self.assertFalse(by[NO_ROLE]["ok"])
        self.assertIn("AssumeRole", by[NO_ROLE]["error"])
        ok = [a for n, a in by.items() if n != NO_ROLE]
        self.assertTrue(all("results" in a and a["principal"].endswith(":role/remotion-janitor") for a in ok))
        self.assertEqual(r.rc, 3, r.err)

    def test_text_prints_the_trust_policy_once(self):
        r = self.jan.run("--validate")
        self.assertEqual(r.out.count("must trust the [aws] credentials"), 1)
        self.assertIn("Each member's role arn:aws:iam::ID:role/remotion-janitor must trust", r.out)
        self.assertIn("organization: management account %s" % jl.ACCOUNT, r.out)

    def test_denied_listing(self):
        self.si.faults([{"kind": "deny", "service": "organizations", "operation": "ListAccounts",
                         "count": None}])
        r = self.jan.run("--validate", "--json")
        self.assertEqual(r.rc, 3, r.err)
        doc = json.loads(r.out)
        self.assertFalse(doc["organization"]["ok"])
        self.assertIn("organizations:ListAccounts", doc["organization"]["error"])
        self.assertEqual(doc["accounts"], [])


class Shards(Base):
    def test_disjoint_and_complete(self):
        everyone = set(self.expected_all())
        for n in (3, 7):
            seen = []
            for i in range(1, n + 1):
                r = self.jan.sweep("--shard", "%d/%d" % (i, n))
                self.assertIn(r.rc, (0, 1), r.err)
                names = self.swept(r)
                seen += names
                self.assertIn("shard %d of %d: %d account" % (i, n, len(names)), r.err)
            self.assertEqual(len(seen), len(set(seen)), "shards overlap for N=%d" % n)
            self.assertEqual(set(seen), everyone, "shards do not cover the members for N=%d" % n)

    def test_config_key_and_sections_sharded_too(self):
        a = member_ids()[0][0]
        sec = "[account custom]\naccount_id = %s\nrole_arn = arn:aws:iam::%s:role/custom\n" % (a, a)
        found = 0
        for i in (1, 2, 3):
            self.write(ORG + sec, daemon={"shard": "%d/3" % i})
            r = self.jan.sweep()
            found += "custom" in self.swept(r)
        self.assertEqual(found, 1)

    def test_bad_shard(self):
        r = self.jan.sweep("--shard", "0/3")
        self.assertEqual(r.rc, 2)
        self.assertIn("--shard 0/3", r.err)
        self.write("[account x]\nprofile = p\n", daemon={"shard": "1/2"})
        r = self.jan.sweep()
        self.assertEqual(r.rc, 2)
        self.assertIn("[account x] has no account_id", r.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
