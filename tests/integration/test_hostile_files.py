"""Files, secrets and config of issue 19 through the real binary.

- Files (finding 4): a named pipe, a directory or an oversized file at any
  path the janitor reads (its config, the shared config and credentials
  files, the SSO token cache, the web identity token file, the container
  authorization token file, the CA bundle, the state file) never blocks
  it: --sweep ends within seconds with an error naming the path, and the
  daemon keeps answering status and stops on SIGTERM.
- Secrets (finding 5): what a credential_process prints on stderr is
  logged with the key id, secret and token it returned masked; an STS
  refusal that echoes the request does not show the external id.
- Config (finding 10): --check-config refuses an endpoint_url with user
  info, a query or a fragment.
Every request goes to the stand-in on 127.0.0.1."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import unittest

import janlib as jl
from janlib import st
from test_creds_sources import EXTERNAL_ID, ROLE, SSO_TOKEN, WEB_TOKEN, small, write

# A run that would hang on a named pipe is killed after this long: the
# test fails instead of hanging.
BOUND_S = 10


def fifo(path):
    os.mkfifo(path, 0o600)
    return path


def directory(path):
    os.mkdir(path, 0o700)
    return path


def oversized(path, size):
    """A sparse file of `size` bytes: larger than any cap, no disk used."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


class Files(unittest.TestCase):
    """Each file the janitor reads, as a FIFO, a directory and too large."""

    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def place(self, kind, name, big):
        """A fresh path in the test dir holding a file of this kind."""
        Files.n += 1
        path = os.path.join(self.jan.dir, "%s-%s-%d" % (name, kind, Files.n))
        if kind == "fifo":
            return fifo(path)
        if kind == "dir":
            return directory(path)
        return oversized(path, big)

    def run_bounded(self, args, env, conf=None):
        t0 = time.time()
        try:
            p = subprocess.run([jl.BIN, "-c", conf or self.jan.conf] + args, env=env,
                               capture_output=True, text=True, timeout=BOUND_S,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail("%s did not end within %d s" % (" ".join(args), BOUND_S))
        return jl.Run(p, time.time() - t0)

    def check(self, r, path, kind, rc=3):
        self.assertEqual(r.rc, rc, r.err)
        self.assertIn(path, r.err)
        want = {"fifo": "is a named pipe (FIFO), not a regular file",
                "dir": "is a directory", "big": "larger than"}[kind]
        self.assertIn(want, r.err)
        self.assertLess(r.elapsed, BOUND_S)

    def no_keys(self, **extra):
        return jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, **extra)

    def test_janitor_config(self):
        for kind in ("fifo", "dir", "big"):
            path = self.place(kind, "janitor.conf", 2 << 20)
            r = self.run_bounded(["--sweep", "--dry-run"], jl.base_env(), conf=path)
            self.check(r, path, kind, rc=2)
            r = self.run_bounded(["--check-config"], jl.base_env(), conf=path)
            self.check(r, path, kind, rc=2)

    def test_shared_config_and_credentials_files(self):
        for var in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            for kind in ("fifo", "dir", "big"):
                path = self.place(kind, var, 2 << 20)
                r = self.run_bounded(["--sweep", "--dry-run"], self.no_keys(**{var: path}))
                self.check(r, path, kind)
        self.assertEqual([e for e in self.si.log() if e["service"] != "sts"], [])

    def test_sso_token_cache(self):
        home = os.path.join(self.jan.dir, "home")
        cache = os.path.join(home, ".aws", "sso", "cache")
        os.makedirs(cache, exist_ok=True)
        config = write(os.path.join(home, ".aws", "config"),
                       "[profile s]\nsso_session = corp\nsso_account_id = %s\nsso_role_name = janitor-sso\n"
                       "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
                       "sso_region = eu-west-1\n" % jl.ACCOUNT)
        path = os.path.join(cache, hashlib.sha1(b"corp").hexdigest() + ".json")
        env = self.no_keys(AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE=None, HOME=home,
                           AWS_PROFILE="s")
        for kind in ("fifo", "dir", "big"):
            if kind == "fifo":
                fifo(path)
            elif kind == "dir":
                directory(path)
            else:
                oversized(path, 1 << 20)
            r = self.run_bounded(["--sweep", "--dry-run"], env)
            self.check(r, path, kind)
            self.assertIn("run: aws sso login --sso-session corp", r.err)
            (os.rmdir if kind == "dir" else os.unlink)(path)
        # The real thing still works.
        write(path, json.dumps({"accessToken": SSO_TOKEN, "expiresAt": "2099-01-01T00:00:00Z"}))
        r = self.run_bounded(["--sweep", "--dry-run", "--json"], env)
        self.assertEqual(r.rc, 0, r.err)

    def test_web_identity_token_file(self):
        for kind in ("fifo", "dir", "big"):
            path = self.place(kind, "web-token", 1 << 20)
            r = self.run_bounded(["--sweep", "--dry-run"],
                                 self.no_keys(AWS_WEB_IDENTITY_TOKEN_FILE=path, AWS_ROLE_ARN=ROLE % "janitor-w"))
            self.check(r, path, kind)
            self.assertIn("cannot read the token file", r.err)
        path = write(os.path.join(self.jan.dir, "web-token-good"), WEB_TOKEN + "\n")
        r = self.run_bounded(["--sweep", "--dry-run", "--json"],
                             self.no_keys(AWS_WEB_IDENTITY_TOKEN_FILE=path, AWS_ROLE_ARN=ROLE % "janitor-w"))
        self.assertEqual(r.rc, 0, r.err)

    def test_container_token_file(self):
        for kind in ("fifo", "dir", "big"):
            path = self.place(kind, "container-token", 1 << 20)
            r = self.run_bounded(["--sweep", "--dry-run"], self.no_keys(
                AWS_CONTAINER_CREDENTIALS_FULL_URI=self.si.url + "/__creds/container",
                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=path))
            self.check(r, path, kind)
            self.assertIn("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", r.err)

    def test_ca_bundle(self):
        for kind in ("fifo", "dir", "big"):
            path = self.place(kind, "ca.pem", 65 << 20)
            self.jan.write_config(aws={"regions": "eu-west-1", "ca_bundle": path})
            try:
                r = self.run_bounded(["--check-config"], jl.base_env())
                self.check(r, path, kind, rc=2)
                r = self.run_bounded(["--sweep", "--dry-run"], jl.base_env())
                self.assertNotEqual(r.rc, 0, r.err)
                self.check(r, path, kind, rc=r.rc)
            finally:
                self.jan.write_config(aws={"regions": "eu-west-1"})
        # AWS_CA_BUNDLE, the fallback, is checked the same way.
        path = self.place("fifo", "ca-env.pem", 0)
        r = self.run_bounded(["--sweep", "--dry-run"], jl.base_env(AWS_CA_BUNDLE=path))
        self.assertNotEqual(r.rc, 0, r.err)
        self.check(r, path, "fifo", rc=r.rc)

    def test_state_file(self):
        # An unreadable state file is set aside and the sweep goes on (a
        # grace is never shortened by it), at once and saying where.
        for kind in ("fifo", "dir", "big"):
            path = self.place(kind, "state.json", 64 << 20)
            self.jan.write_config(aws={"regions": "eu-west-1"}, daemon={"state_file": path})
            try:
                r = self.run_bounded(["--sweep", "--dry-run", "--json"], jl.base_env())
            finally:
                self.jan.write_config(aws={"regions": "eu-west-1"})
            self.assertLess(r.elapsed, BOUND_S)
            self.assertIn(path, r.err)


def ask(path, line, timeout=5):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        with s.makefile("rb") as f:
            return json.loads(f.readline().decode())


class DaemonFiles(unittest.TestCase):
    """The daemon with a named pipe where its credentials come from: its
    sweeps fail naming the path, it answers status, it stops on SIGTERM."""

    def test_fifo_does_not_block_the_daemon(self):
        si = st.StandIn(fixture=small())
        jan = jl.Janitor(si, aws={"regions": "eu-west-1"},
                         daemon={"interval": "1s", "jitter": "0", "startup_delay": "0"})
        log = open(os.path.join(jan.dir, "daemon.log"), "w+")
        proc = None
        try:
            token = fifo(os.path.join(jan.dir, "token-fifo"))
            env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                              AWS_WEB_IDENTITY_TOKEN_FILE=token, AWS_ROLE_ARN=ROLE % "janitor-w")
            proc = subprocess.Popen([jl.BIN, "-c", jan.conf], env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=log)
            sock = os.path.join(jan.dir, "sock")
            deadline = time.time() + BOUND_S
            status = None
            while time.time() < deadline:
                try:
                    status = ask(sock, "status")
                    if status.get("last_sweep"):
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.1)
            self.assertIsNotNone(status, "the daemon never answered status")
            self.assertTrue(status.get("last_sweep"), status)
            self.assertEqual(status["last_sweep"]["exit_code"], 3, status)
            self.assertIn(token, status["last_sweep"]["accounts"][0]["error"])
            # Still answering, sweep after sweep.
            time.sleep(1.5)
            self.assertTrue(ask(sock, "status")["ok"])
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(BOUND_S), 0)
            log.seek(0)
            self.assertIn("is a named pipe (FIFO)", log.read())
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
            jan.cleanup()
            si.stop()


class ProcessStderr(unittest.TestCase):
    """A credential_process that prints its output on stderr too."""

    KEY_ID = "KEYID-odd-shape-0001"
    SECRET = "sec/odd+shape-0002"
    TOKEN = "tok-odd-shape-0003"

    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        good = json.dumps({"Version": 1, "AccessKeyId": st.TEST_AK, "SecretAccessKey": st.TEST_SK})
        odd = json.dumps({"Version": 1, "AccessKeyId": cls.KEY_ID, "SecretAccessKey": cls.SECRET,
                          "SessionToken": cls.TOKEN})
        # As `set -x` would: the command line holding the JSON, on stderr;
        # or a debug line with the bare values; or JSON with "\/"; or the
        # JSON cut by the cap on a log line.
        cls.script = write(os.path.join(cls.jan.dir, "helper.sh"), """#!/bin/sh
good='%s'
odd='%s'
case "$1" in
good) printf "+ printf '%%%%s' '%%s'\\n" "$good" >&2; printf '%%s' "$good" ;;
odd) printf "+ printf '%%%%s' '%%s'\\n" "$odd" >&2; printf '%%s' "$odd"; exit 1 ;;
bare) echo "debug: got %s %s %s" >&2; printf '%%s' "$odd"; exit 1 ;;
escaped) printf '%%s' "$odd" | sed 's|/|\\\\/|g' >&2; printf '%%s' "$odd"; exit 1 ;;
cut) head -c 1900 /dev/zero | tr '\\0' x >&2; printf '%%s' "$odd" >&2; printf '%%s' "$odd"; exit 1 ;;
esac
""" % (good, odd, cls.KEY_ID, cls.SECRET, cls.TOKEN))
        os.chmod(cls.script, 0o755)

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def sweep(self, arg):
        cfg = write(os.path.join(self.jan.dir, "config"), "[profile p]\ncredential_process = %s %s\n"
                    % (self.script, arg))
        env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=cfg,
                          AWS_PROFILE="p")
        return self.jan.sweep("--dry-run", "-v", "-v", env=env)

    def test_returned_keys_masked(self):
        r = self.sweep("good")
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("said on stderr: + printf", r.err)
        self.assertIn("[REDACTED]", r.err)
        for s in (st.TEST_SK, st.TEST_AK):
            self.assertNotIn(s, r.out + r.err)

    def test_odd_shaped_values_masked_even_on_failure(self):
        for arg in ("odd", "bare", "escaped", "cut"):
            r = self.sweep(arg)
            self.assertEqual(r.rc, 3, r.err)
            self.assertIn("said on stderr:", r.err)
            self.assertIn("failed: exit status 1", r.err)
            for s in (self.KEY_ID, self.SECRET, self.TOKEN, "KEYID-o", "sec\\x5c/odd", "tok-odd"):
                self.assertNotIn(s, r.out + r.err, arg)


class ExternalIdEcho(unittest.TestCase):
    """An STS refusal that echoes the request body and its parameters."""

    ODD_ID = "corp:ext/id@NOT-SECRET-0042"

    @classmethod
    def setUpClass(cls):
        cls.si = st.StandIn(fixture=small())
        cls.jan = jl.Janitor(cls.si, aws={"regions": "eu-west-1"})
        cls.creds = write(os.path.join(cls.jan.dir, "credentials"),
                          "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (st.TEST_AK, st.TEST_SK))

    @classmethod
    def tearDownClass(cls):
        cls.jan.cleanup()
        cls.si.stop()

    def test_profile_role(self):
        for ext in (EXTERNAL_ID, self.ODD_ID):
            self.si.faults([{"kind": "echo_request", "service": "sts", "operation": "AssumeRole",
                             "body": True, "count": -1}])
            cfg = write(os.path.join(self.jan.dir, "config"),
                        "[profile x]\nrole_arn = %s\nsource_profile = base\nexternal_id = %s\n"
                        % (ROLE % "janitor-x", ext))
            env = jl.base_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=cfg,
                              AWS_SHARED_CREDENTIALS_FILE=self.creds, AWS_PROFILE="x")
            r = self.jan.sweep("--dry-run", env=env)
            self.si.faults([])
            self.assertEqual(r.rc, 3, r.err)
            self.assertIn("SignatureDoesNotMatch", r.err)
            self.assertIn("ExternalId", r.err)       # the echo reached the message...
            # ...not the id, in any form, nor any piece of it.
            for form in (ext, ext.replace(":", "%3A").replace("/", "%2F").replace("@", "%40"), ext[:12],
                         "SECRET-0042"):
                self.assertNotIn(form, r.out + r.err)

    def test_account_role(self):
        self.si.faults([{"kind": "echo_request", "service": "sts", "operation": "AssumeRole",
                         "body": True, "count": -1}])
        try:
            self.jan.write_config(aws={"regions": "eu-west-1"},
                                  raw="[account x]\naccount_id = %s\nrole_arn = %s\nexternal_id = %s\n"
                                  % (jl.ACCOUNT, ROLE % "janitor-x", self.ODD_ID))
            r = self.jan.sweep("--dry-run")
        finally:
            self.si.faults([])
            self.jan.write_config(aws={"regions": "eu-west-1"})
        self.assertNotEqual(r.rc, 0, r.err)
        self.assertIn("ExternalId", r.out + r.err)
        for form in (self.ODD_ID, "corp%3Aext", "SECRET-0042"):
            self.assertNotIn(form, r.out + r.err)


    def test_web_identity_token(self):
        # The same mechanism keeps the web identity token out of an echo.
        token = write(os.path.join(self.jan.dir, "token"), WEB_TOKEN + "\n")
        self.si.faults([{"kind": "echo_request", "service": "sts", "operation": "AssumeRoleWithWebIdentity",
                         "body": True, "count": -1}])
        try:
            r = self.jan.sweep("--dry-run", env=jl.base_env(
                AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_WEB_IDENTITY_TOKEN_FILE=token,
                AWS_ROLE_ARN=ROLE % "janitor-w"))
        finally:
            self.si.faults([])
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("WebIdentityToken", r.err)
        for form in (WEB_TOKEN, "TOKEN-NOT-REAL", "eyJweb.identity"):
            self.assertNotIn(form, r.out + r.err)


class EndpointUrl(unittest.TestCase):
    """--check-config refuses an endpoint_url with user info, a query or a
    fragment, naming the key, and never prints a password."""

    def test_check_config(self):
        si = st.StandIn(fixture=small())
        jan = jl.Janitor(si)
        try:
            cases = [("http://janitor:pa55w0rd-NOT-REAL@127.0.0.1:%d" % si.port, "holds user info"),
                     (si.url + "/?x=1", "holds a query"),
                     (si.url + "/#frag", "holds a fragment")]
            for url, why in cases:
                jan.write_config(aws={"endpoint_url": url})
                r = jan.run("--check-config")
                self.assertEqual(r.rc, 2, r.out + r.err)
                self.assertIn("endpoint_url", r.err)
                self.assertIn(why, r.err)
                self.assertNotIn("pa55w0rd", r.out + r.err)
            jan.write_config()
            r = jan.run("--check-config")
            self.assertEqual(r.rc, 0, r.out + r.err)
        finally:
            jan.cleanup()
            si.stop()

    def test_environment(self):
        """The AWS_ENDPOINT_URL* variables obey endpoint_url's rule when
        they count (endpoint_url not set): a refused one stops every mode
        with exit 2 before any request, names the variable, and never
        prints a password."""
        si = st.StandIn(fixture=small())
        jan = jl.Janitor(si)
        try:
            jan.write_config(aws={"endpoint_url": ""})
            userinfo = "http://janitor:pa55w0rd-NOT-REAL@127.0.0.1:%d" % si.port
            for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                         "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_STS",
                         "AWS_ENDPOINT_URL_SSO"):
                env = jl.base_env(**dict({"AWS_ENDPOINT_URL": si.url}, **{name: userinfo}))
                before = len(si.log())
                for args in (("--check-config",), ("--sweep", "--json")):
                    r = jan.run(*args, env=env)
                    self.assertEqual(r.rc, 2, (name, args, r.out, r.err))
                    self.assertIn(name + " (environment): the URL holds user info", r.err)
                    self.assertNotIn("pa55w0rd", r.out + r.err)
                self.assertEqual(len(si.log()), before, name)
            env = jl.base_env(AWS_ENDPOINT_URL=si.url + "/?x=1")
            r = jan.run("--check-config", env=env)
            self.assertEqual(r.rc, 2, r.out + r.err)
            self.assertIn("AWS_ENDPOINT_URL (environment): '%s/?x=1' holds a query" % si.url,
                          r.err)
            # A good one is used; and with endpoint_url set, the variables
            # do not count.
            r = jan.run("--sweep", "--json", env=jl.base_env(AWS_ENDPOINT_URL=si.url))
            self.assertEqual(r.rc, 0, r.out + r.err)
            jan.write_config()
            r = jan.run("--check-config", env=jl.base_env(AWS_ENDPOINT_URL_S3=userinfo))
            self.assertEqual(r.rc, 0, r.out + r.err)
        finally:
            jan.cleanup()
            si.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
