"""Credential sources through the real binary (issues 13 and 14): the
error when no source answers, assumed roles from profiles (source_profile
chains, credential_source, external_id, loops), and the refusals.  Every
request goes to the stand-in on 127.0.0.1."""
import hashlib
import json
import os
import threading
import time
import unittest

import janlib as jl
from janlib import st

REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]


USER_ARN = "arn:aws:iam::%s:user/janitor-test" % jl.ACCOUNT
ROLE = "arn:aws:iam::%s:role/%%s" % jl.ACCOUNT
EXTERNAL_ID = "ext-id-NOT-A-SECRET-0042"
WEB_TOKEN = "eyJweb.identity.TOKEN-NOT-REAL-0001"
SSO_TOKEN = "aoaSSO-access-TOKEN-NOT-REAL-0002"


def small():
    return {"account_id": jl.ACCOUNT, "regions": REGIONS, "disabled_regions": [],
            "roles": [{"name": "janitor-a", "trust": [USER_ARN, ROLE % "remotion-janitor-test-role"]},
                      {"name": "janitor-b", "trust": [ROLE % "janitor-a"]},
                      {"name": "janitor-x", "trust": [USER_ARN], "external_id": EXTERNAL_ID},
                      {"name": "janitor-w", "web_identity_token": WEB_TOKEN}],
            "users": [{"user_name": "janitor-test", "access_key": st.TEST_AK,
                       "secret_key": st.TEST_SK, "user_id": "AIDAJANITORTEST00000"}],
            "functions": [{"region": "eu-west-1", "name": "remotion-render-a", "age_days": 3}],
            "sso": {"access_token": SSO_TOKEN,
                    "roles": [{"account_id": jl.ACCOUNT, "role_name": "janitor-sso"}]}}


class NoCredentials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": ", ".join(REGIONS)})

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def test_one_error_naming_every_source(self):
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
        r = self.jan.sweep("--dry-run", env=env)
        self.assertEqual(r.rc, 3, r.err)
        lines = [ln for ln in r.err.splitlines() if "no credentials" in ln]
        # One error, not one warning per region and listing before it.
        self.assertEqual(len(lines), 1, r.err)
        self.assertNotIn("warning", r.err)
        line = lines[0]
        # Every source, in the chain's order, each with its reason, in full.
        order = ["environment", "assume role (profile default: no role_arn)",
                 "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set, profile default: no web_identity_token_file)",
                 "SSO (profile default: no sso_session or sso_start_url)",
                 "credential_process (profile default: not set)",
                 "profile default (/dev/null: no such file; /dev/null: no such file)",
                 "systemd credentials (CREDENTIALS_DIRECTORY not set)",
                 "container credentials (not configured)",
                 "EC2 instance metadata (disabled)"]
        pos = [line.find(s) for s in order]
        self.assertTrue(all(p >= 0 for p in pos), line)
        self.assertEqual(pos, sorted(pos), line)
        self.assertEqual(self.si.log(), [])


def no_secrets(test, r):
    """No secret key, session token (the stand-in's all start so) or
    external id in anything printed, debug logs included."""
    for s in (st.TEST_SK, "FwoGZXIvYXdzE", EXTERNAL_ID, WEB_TOKEN, SSO_TOKEN):
        test.assertNotIn(s, r.out + r.err)


def by_start(log):
    """The request log in the order the requests arrived (it is written as
    they end, so a fast request may be logged before a slower earlier one)."""
    return sorted(log, key=lambda e: e["t"])


def caller_arn(test, si, log):
    """The ARN GetCallerIdentity answered the janitor in this log."""
    ids = [e for e in log if e["operation"] == "GetCallerIdentity" and e["status"] == 200]
    test.assertEqual(len(ids), 1, log)
    temp = {t["access_key"]: t["arn"] for t in si.state()["temporary_credentials"]}
    return temp.get(ids[0]["access_key"])


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class AssumeRole(unittest.TestCase):
    """role_arn profiles: sts:AssumeRole signed with the source's keys."""

    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn("--temp-creds-ttl", "3600", fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        cls.creds = write(os.path.join(cls.jan.dir, "credentials"),
                          "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                          % (st.TEST_AK, st.TEST_SK))

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def sweep(self, config, profile, **extra):
        path = write(os.path.join(self.jan.dir, "config"), config)
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=path,
                          AWS_SHARED_CREDENTIALS_FILE=self.creds, AWS_PROFILE=profile, **extra)
        n0 = len(self.si.log())
        r = self.jan.sweep("--dry-run", "-v", "-v", env=env)
        no_secrets(self, r)
        return r, by_start(self.si.log()[n0:])

    def test_source_profile(self):
        r, log = self.sweep("[profile r]\nrole_arn = %s\nsource_profile = base\n"
                            "role_session_name = janitor-it\n" % (ROLE % "janitor-a"), "r")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["accounts"][0]["account"], jl.ACCOUNT)
        calls = [e for e in log if e["operation"] == "AssumeRole"]
        self.assertEqual(len(calls), 1, log)
        self.assertEqual(calls[0]["status"], 200)
        self.assertEqual(caller_arn(self, self.si, log),
                         "arn:aws:sts::%s:assumed-role/janitor-a/janitor-it" % jl.ACCOUNT)
        # Every listing was signed with the role's credentials, not the user's.
        self.assertNotIn(st.TEST_AK, [e.get("access_key") for e in log if e["operation"] != "AssumeRole"])
        self.assertIn("remotion-render-a", r.out)

    def test_role_chain(self):
        cfg = ("[profile a]\nrole_arn = %s\nsource_profile = base\n"
               "[profile b]\nrole_arn = %s\nsource_profile = a\n") % (ROLE % "janitor-a", ROLE % "janitor-b")
        r, log = self.sweep(cfg, "b")
        self.assertEqual(r.rc, 0, r.err)
        calls = [e for e in log if e["operation"] == "AssumeRole"]
        self.assertEqual([c["target"] for c in calls], [ROLE % "janitor-a", ROLE % "janitor-b"])
        self.assertTrue(caller_arn(self, self.si, log).startswith(
            "arn:aws:sts::%s:assumed-role/janitor-b/remotion-janitor-" % jl.ACCOUNT))

    def test_loop_is_a_config_error(self):
        cfg = ("[profile a]\nrole_arn = %s\nsource_profile = b\n"
               "[profile b]\nrole_arn = %s\nsource_profile = a\n") % (ROLE % "janitor-a", ROLE % "janitor-b")
        r, log = self.sweep(cfg, "a")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("source_profile loop: a -> b -> a", r.err)
        self.assertEqual(log, [])

    def test_credential_source_container(self):
        r, log = self.sweep("[profile r]\nrole_arn = %s\ncredential_source = EcsContainer\n" % (ROLE % "janitor-a"),
                            "r", AWS_CONTAINER_CREDENTIALS_FULL_URI=self.si.url + "/__creds/container")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual([e["operation"] for e in log][:2], ["GetCredentials", "AssumeRole"])

    def test_bad_credential_source(self):
        r, log = self.sweep("[profile r]\nrole_arn = %s\ncredential_source = Nowhere\n" % (ROLE % "janitor-a"), "r")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("credential_source must be Environment, Ec2InstanceMetadata or EcsContainer", r.err)

    def test_external_id(self):
        cfg = "[profile x]\nrole_arn = %s\nsource_profile = base\nexternal_id = %s\n"
        r, log = self.sweep(cfg % (ROLE % "janitor-x", EXTERNAL_ID), "x")
        self.assertEqual(r.rc, 0, r.err)
        r, log = self.sweep(cfg % (ROLE % "janitor-x", "wrong-external-id"), "x")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("assume role %s (profile x): AssumeRole" % (ROLE % "janitor-x"), r.err)
        self.assertIn("AccessDenied", r.err)
        self.assertNotIn("wrong-external-id", r.err + r.out)
        self.assertEqual([e["operation"] for e in log], ["AssumeRole"])

    def test_untrusted_caller_refused(self):
        r, log = self.sweep("[profile r]\nrole_arn = %s\nsource_profile = base\n" % (ROLE % "janitor-b"), "r")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("not authorized to perform: sts:AssumeRole", r.err)

    def test_mfa_serial_refused(self):
        r, log = self.sweep("[profile r]\nrole_arn = %s\nsource_profile = base\n"
                            "mfa_serial = arn:aws:iam::%s:mfa/me\n" % (ROLE % "janitor-a", jl.ACCOUNT), "r")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("profile r sets mfa_serial: a daemon cannot prompt", r.err)
        self.assertEqual(log, [])

    def test_regional_sts_endpoint(self):
        r, log = self.sweep("[profile r]\nrole_arn = %s\nsource_profile = base\nregion = eu-central-1\n"
                            % (ROLE % "janitor-a"), "r")
        self.assertEqual(r.rc, 0, r.err)
        calls = [e for e in log if e["operation"] == "AssumeRole"]
        self.assertEqual([c["region"] for c in calls], ["eu-central-1"])
        # AWS_REGION picks the STS endpoint only: the regions swept stay the config's.
        r, log = self.sweep("[profile r]\nrole_arn = %s\nsource_profile = base\n" % (ROLE % "janitor-a"), "r",
                            AWS_REGION="us-east-1")
        self.assertEqual([c["region"] for c in log if c["operation"] == "AssumeRole"], ["us-east-1"])
        self.assertEqual([x["region"] for x in r.json["accounts"][0]["regions"]], ["eu-west-1"])


class Process(unittest.TestCase):
    """credential_process: run without a shell unless needed, Version 1
    JSON, timeouts, failures; its stdout never printed."""

    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        d = cls.jan.dir
        cls.count = os.path.join(d, "runs")
        cls.script = write(os.path.join(d, "proc.sh"), """#!/bin/sh
echo run >> %s
case "$1" in
good) [ "$2" = "two words" ] || exit 9
      printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2099-01-01T00:00:00Z"}' ;;
garbage) echo "PROCESS-STDOUT-NOT-JSON %s" ;;
version2) printf '{"Version": 2, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' ;;
expired) printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2001-01-01T00:00:00Z"}' ;;
fail) printf 'bad \\033[31m thing\\n' >&2; exit 4 ;;
hang) exec sleep 60 ;;
esac
""" % (cls.count, st.TEST_AK, st.TEST_SK, st.TEST_SK, st.TEST_AK, st.TEST_SK, st.TEST_AK, st.TEST_SK))
        os.chmod(cls.script, 0o755)

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def sweep(self, value, **extra):
        cfg = write(os.path.join(self.jan.dir, "config"), "[profile p]\ncredential_process = %s\n" % value)
        if os.path.exists(self.count):
            os.unlink(self.count)
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=cfg,
                          **dict({"AWS_PROFILE": "p"}, **extra))
        n0 = len(self.si.log())
        r = self.jan.sweep("--dry-run", "-v", "-v", env=env)
        no_secrets(self, r)
        self.assertNotIn("PROCESS-STDOUT", r.out + r.err)
        return r, by_start(self.si.log()[n0:])

    def runs(self):
        with open(self.count) as f:
            return len(f.read().split())

    def test_good_without_shell_and_cached(self):
        r, log = self.sweep('%s good "two words"' % self.script)
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.json["accounts"][0]["account"], jl.ACCOUNT)
        self.assertTrue(all(e["access_key"] == st.TEST_AK for e in log))
        self.assertEqual(self.runs(), 1)   # cached until its Expiration
        self.assertNotIn("/bin/sh -c", r.err)

    def test_shell_when_needed(self):
        r, log = self.sweep("%s good 'two words' | cat" % self.script)
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("(/bin/sh -c)", r.err)

    def test_garbage_and_wrong_version(self):
        for arg in ("garbage", "version2"):
            r, log = self.sweep("%s %s" % (self.script, arg))
            self.assertEqual(r.rc, 3, r.err)
            self.assertIn("output is not Version 1 credentials JSON", r.err)
            self.assertEqual(log, [])

    def test_expired(self):
        r, log = self.sweep("%s expired" % self.script)
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("returned credentials that have already expired", r.err)

    def test_non_zero_exit_and_stderr_escaped(self):
        r, log = self.sweep("%s fail" % self.script)
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("credential_process (profile p) failed: exit status 4", r.err)
        self.assertIn("said on stderr: bad \\x1b[31m thing\\x0a", r.err)
        self.assertNotIn("\x1b", r.err)

    def test_hang_times_out(self):
        r, log = self.sweep("%s hang" % self.script, REMOTION_JANITOR_PROCESS_TIMEOUT_MS="700")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("did not finish within 700 ms: killed", r.err)

    def test_as_the_source_of_a_role(self):
        # botocore resolves a source_profile with its own credential_process.
        r, log = self.sweep('%s good "two words"\n[profile r]\nrole_arn = %s\nsource_profile = p\n'
                            % (self.script, ROLE % "janitor-a"), AWS_PROFILE="r")
        self.assertEqual(r.rc, 0, r.err)
        calls = [e for e in log if e["operation"] == "AssumeRole"]
        self.assertEqual([(c["access_key"], c["status"]) for c in calls], [(st.TEST_AK, 200)])
        self.assertTrue(caller_arn(self, self.si, log).startswith(
            "arn:aws:sts::%s:assumed-role/janitor-a/" % jl.ACCOUNT))

    def test_missing_program(self):
        r, log = self.sweep("/nonexistent/credential-helper --x")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("cannot run /nonexistent/credential-helper", r.err)


class WebIdentity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        cls.token = write(os.path.join(cls.jan.dir, "token"), WEB_TOKEN + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def sweep(self, config="", **extra):
        cfg = write(os.path.join(self.jan.dir, "config"), config)
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=cfg, **extra)
        n0 = len(self.si.log())
        r = self.jan.sweep("--dry-run", "-v", "-v", env=env)
        no_secrets(self, r)
        return r, by_start(self.si.log()[n0:])

    def test_environment(self):
        r, log = self.sweep(AWS_WEB_IDENTITY_TOKEN_FILE=self.token, AWS_ROLE_ARN=ROLE % "janitor-w",
                            AWS_ROLE_SESSION_NAME="janitor-web")
        self.assertEqual(r.rc, 0, r.err)
        calls = [e for e in log if e["operation"] == "AssumeRoleWithWebIdentity"]
        self.assertEqual(len(calls), 1)
        self.assertIsNone(calls[0]["access_key"])     # unsigned
        self.assertEqual(caller_arn(self, self.si, log),
                         "arn:aws:sts::%s:assumed-role/janitor-w/janitor-web" % jl.ACCOUNT)
        self.assertTrue(all(e["access_key"].startswith("ASIA") for e in log if e is not calls[0]))

    def test_profile(self):
        r, log = self.sweep("[profile w]\nrole_arn = %s\nweb_identity_token_file = %s\n"
                            % (ROLE % "janitor-w", self.token), AWS_PROFILE="w")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(len([e for e in log if e["operation"] == "AssumeRoleWithWebIdentity"]), 1)

    def test_bad_token_and_missing_file(self):
        bad = write(os.path.join(self.jan.dir, "bad-token"), "not-the-token")
        r, log = self.sweep(AWS_WEB_IDENTITY_TOKEN_FILE=bad, AWS_ROLE_ARN=ROLE % "janitor-w")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("InvalidIdentityToken", r.err)
        self.assertNotIn("not-the-token", r.err)
        r, log = self.sweep(AWS_WEB_IDENTITY_TOKEN_FILE=bad + ".absent", AWS_ROLE_ARN=ROLE % "janitor-w")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("cannot read the token file", r.err)
        r, log = self.sweep(AWS_WEB_IDENTITY_TOKEN_FILE=self.token)
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN", r.err)


class Sso(unittest.TestCase):
    """SSO profiles with the token cached by `aws sso login`."""

    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        cls.home = os.path.join(cls.jan.dir, "home")
        os.makedirs(os.path.join(cls.home, ".aws", "sso", "cache"))

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def cache(self, key, expires, token=SSO_TOKEN):
        name = hashlib.sha1(key.encode()).hexdigest() + ".json"
        write(os.path.join(self.home, ".aws", "sso", "cache", name),
              json.dumps({"startUrl": "https://example.awsapps.com/start", "region": "eu-west-1",
                          "accessToken": token, "expiresAt": expires}))

    def sweep(self, config, profile):
        write(os.path.join(self.home, ".aws", "config"), config)
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=None,
                          AWS_SHARED_CREDENTIALS_FILE=None, HOME=self.home, AWS_PROFILE=profile)
        n0 = len(self.si.log())
        r = self.jan.sweep("--dry-run", "-v", "-v", env=env)
        no_secrets(self, r)
        return r, by_start(self.si.log()[n0:])

    SESSION = ("[profile s]\nsso_session = corp\nsso_account_id = %s\nsso_role_name = janitor-sso\n"
               "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
               % jl.ACCOUNT)
    LEGACY = ("[profile old]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = eu-west-1\n"
              "sso_account_id = %s\nsso_role_name = janitor-sso\n" % jl.ACCOUNT)

    def test_sso_session_valid_token(self):
        self.cache("corp", "2099-01-01T00:00:00Z")
        r, log = self.sweep(self.SESSION, "s")
        self.assertEqual(r.rc, 0, r.err)
        portal = [e for e in log if e["operation"] == "GetRoleCredentials"]
        self.assertEqual(len(portal), 1)
        self.assertEqual(portal[0]["status"], 200)
        self.assertEqual(caller_arn(self, self.si, log),
                         "arn:aws:sts::%s:assumed-role/janitor-sso/janitor-sso" % jl.ACCOUNT)
        self.assertTrue(all(e["access_key"].startswith("ASIA") for e in log if e is not portal[0]))

    def test_legacy_profile(self):
        self.cache("https://legacy.awsapps.com/start", "2099-01-01T00:00:00UTC")
        r, log = self.sweep(self.LEGACY, "old")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual([e["operation"] for e in log][:1], ["GetRoleCredentials"])

    def test_expired_token(self):
        self.cache("corp", "2001-01-01T00:00:00Z")
        r, log = self.sweep(self.SESSION, "s")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("the cached SSO token expired at 2001-01-01T00:00:00Z; run: aws sso login --sso-session corp",
                      r.err)
        self.assertEqual(log, [])
        self.cache("https://legacy.awsapps.com/start", "2001-01-01T00:00:00Z")
        r, log = self.sweep(self.LEGACY, "old")
        self.assertIn("run: aws sso login --profile old", r.err)

    def test_refused_token(self):
        self.cache("corp", "2099-01-01T00:00:00Z", token="revoked-token-NOT-VALID")
        r, log = self.sweep(self.SESSION, "s")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("the portal refused the cached token (HTTP 401); run: aws sso login --sso-session corp", r.err)
        self.assertNotIn("revoked-token", r.err)


def long_sweep_setup():
    """A stand-in whose temporary credentials last 301 s and a sweep of
    about 15 s (six ListFunctions pages of 2.5 s each).  301 s is inside the
    five-minute refresh window at once, so the chain refreshes at its first
    use ten seconds (CREDS_REFRESH_RETRY) later, in the middle of the sweep."""
    fx = small()
    fx["functions"] = [{"region": "eu-west-1", "name": "remotion-render-%03d" % i, "age_days": 3}
                       for i in range(300)]
    si = st.StandIn("--temp-creds-ttl", "301", fixture=fx)
    si.control("POST", "latency", {"rules": [{"operation": "ListFunctions", "ms": 2500}]})
    return si, jl.Janitor(si, aws={"regions": "eu-west-1"})


class RoleRefresh(unittest.TestCase):
    """A sweep longer than the role's credentials are fresh for: they are
    refreshed in the background and no request ever fails for it."""

    def test_refresh_during_a_long_sweep(self):
        si, jan = long_sweep_setup()
        try:
            creds = write(os.path.join(jan.dir, "credentials"),
                          "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (st.TEST_AK, st.TEST_SK))
            cfg = write(os.path.join(jan.dir, "config"),
                        "[profile r]\nrole_arn = %s\nsource_profile = base\n" % (ROLE % "janitor-a"))
            env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=cfg,
                              AWS_SHARED_CREDENTIALS_FILE=creds, AWS_PROFILE="r")
            r = jan.sweep("--dry-run", "-v", "-v", env=env, timeout=120)
            self.assertEqual(r.rc, 0, r.err)
            no_secrets(self, r)
            self.assertEqual(len(r.items(type="function")), 300)
            log = by_start(si.log())
            assumed = [e for e in log if e["operation"] == "AssumeRole"]
            self.assertGreaterEqual(len(assumed), 2, [e["operation"] for e in log])
            self.assertTrue(all(e["status"] == 200 for e in log), [e for e in log if e["status"] != 200])
            # The pages after the refresh were signed with the new credentials.
            keys = [e["access_key"] for e in log if e["operation"] == "ListFunctions"]
            self.assertGreaterEqual(len(set(keys)), 2)
            self.assertNotIn(st.TEST_AK, keys)
        finally:
            jan.cleanup()
            si.stop()


class WebIdentityRefresh(unittest.TestCase):
    """The token file is read again at each refresh."""

    def test_token_file_changes_between_refreshes(self):
        si, jan = long_sweep_setup()
        try:
            token = write(os.path.join(jan.dir, "token"), WEB_TOKEN)
            env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                              AWS_WEB_IDENTITY_TOKEN_FILE=token, AWS_ROLE_ARN=ROLE % "janitor-w")
            out = {}
            t = threading.Thread(target=lambda: out.update(r=jan.sweep("--dry-run", env=env, timeout=120)))
            t.start()
            deadline = time.time() + 60
            while time.time() < deadline and not any(e["operation"] == "AssumeRoleWithWebIdentity"
                                                     for e in si.log()):
                time.sleep(0.05)
            # The identity provider rotated the token: the old one is not
            # accepted any more, the new one is refused by the stand-in.
            write(token, "rotated-token-NOT-ACCEPTED")
            t.join(120)
            r = out["r"]
            no_secrets(self, r)
            self.assertNotIn("rotated-token", r.out + r.err)
            # The refresh failed, the credentials still valid carried the sweep.
            self.assertEqual(r.rc, 0, r.err)
            self.assertIn("refreshing credentials failed", r.err)
            log = by_start(si.log())
            web = [e["status"] for e in log if e["operation"] == "AssumeRoleWithWebIdentity"]
            self.assertEqual(web[0], 200)
            self.assertGreaterEqual(len(web), 2)
            self.assertTrue(all(s == 400 for s in web[1:]), web)
            self.assertTrue(all(e["status"] == 200 for e in log
                                if e["operation"] != "AssumeRoleWithWebIdentity"))
        finally:
            jan.cleanup()
            si.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
