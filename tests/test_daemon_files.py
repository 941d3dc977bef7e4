#!/usr/bin/python3
"""What ships beside the daemon: man pages, the systemd unit, the package.

- every key of the example config (config_write_example()'s output, kept
  byte for byte in conf/remotion-janitor.conf by test_config) is described
  in remotion-janitor.conf(5), with its default;
- both man pages format without groff warnings;
- the unit verifies (systemd-analyze verify, on a copy pointing at the
  built binary) and its exposure (systemd-analyze security --offline) is
  at most 2.0;
- cpack -G DEB builds a package with the binary, unit, sysusers file,
  conffile, man pages and policy, and Debian dependencies;
- that package passes lintian --pedantic but for the tags listed (with
  their reasons) in LINTIAN_ACCEPTED, has a machine-readable copyright,
  changelog.Debian.gz and man pages compressed without time stamps, a
  hardened binary (BIND_NOW, fortified calls), and, installed with dpkg in
  a scratch root, enabled by hand and purged, leaves no unit link behind;
- the socket's error strings render whole in remotion-janitor(8).

Environment: JAN_SOURCE_DIR, JAN_BINARY_DIR, JAN_BIN (set by CMake).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("JAN_SOURCE_DIR") or os.path.join(HERE, "..")
BUILD = os.environ.get("JAN_BINARY_DIR") or os.path.join(SRC, "build")
BIN = os.environ.get("JAN_BIN") or os.path.join(BUILD, "daemon", "remotion-janitor")
UNIT = os.path.join(SRC, "systemd", "remotion-janitor.service")
MAN8 = os.path.join(SRC, "daemon", "remotion-janitor.8")
MAN5 = os.path.join(SRC, "conf", "remotion-janitor.conf.5")
EXAMPLE = os.path.join(SRC, "conf", "remotion-janitor.conf")


def example_keys():
    """(section, key, default) of every key in the example config."""
    out, section = [], None
    with open(EXAMPLE) as f:
        for line in f:
            m = re.match(r"^\[(\w+)\]", line)
            if m:
                section = m.group(1)
                continue
            m = re.match(r"^#(\w+) =(?: (.*))?$", line.rstrip("\n"))
            if m:
                out.append((section, m.group(1), (m.group(2) or "").strip()))
    return out


def man_text(path):
    """The page as plain text (groff), hyphenation and adjustment off."""
    r = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=200n", "-dAD=l", "-rHY=0", path],
                       capture_output=True, text=True, timeout=30)
    return r.stdout


class ManPages(unittest.TestCase):
    def test_every_key_documented_with_default(self):
        keys = example_keys()
        self.assertGreaterEqual(len(keys), 29)
        text = man_text(MAN5) if shutil.which("groff") else open(MAN5).read()
        sections = {}
        for name in ("aws", "policy", "daemon", "organization"):
            m = re.search(r"^\[%s\]$(.*?)(?=^\[\w+\]$|^SEE ALSO|^EXAMPLE)" % name, text, re.S | re.M)
            self.assertIsNotNone(m, "section [%s] in the man page" % name)
            sections[name] = m.group(1)
        for section, key, default in keys:
            body = sections[section]
            m = re.search(r"^\s*%s \(default: ([^)]*)\)" % re.escape(key), body, re.M)
            self.assertIsNotNone(m, "%s.%s documented in remotion-janitor.conf(5)" % (section, key))
            want = default if default else "empty"
            self.assertEqual(m.group(1).strip(), want, "default of %s.%s" % (section, key))

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_pages_format_cleanly(self):
        for page in (MAN8, MAN5):
            r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, "", "%s: %s" % (page, r.stderr))

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_socket_errors_render_whole(self):
        text = re.sub(r"\s+", " ", man_text(MAN8))
        for msg in ('{"ok":false,"error":"permission denied"}', '{"ok":false,"error":"unknown command: ..."}',
                    '{"ok":false,"error":"line too long"}', '{"ok":false,"error":"too many clients"}'):
            self.assertIn(msg, text)
        self.assertNotIn("permissiondenied", text)
        self.assertNotIn("unknowncommand", text)
        self.assertIn('"another daemon is running on path"', text)

    def test_man8_lists_options_and_commands(self):
        with open(MAN8) as f:
            text = f.read()
        for opt in ("sweep", "status", "validate", "check\\-config", "region", "profile", "socket", "delete",
                    "dry\\-run", "yes", "json", "verbose", "quiet", "version", "help"):
            self.assertIn("\\-\\-" + opt, text, opt)
        for word in ("SIGHUP", "SIGTERM", "SIGINT", "READY=1", "STOPPING=1", "WATCHDOG=1", "RELOADING=1",
                     "inventory", "permission denied", "already sweeping", "line too long", "too many clients",
                     "EXIT STATUS", "FILES", "EXAMPLES"):
            self.assertIn(word, text, word)


@unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
class Unit(unittest.TestCase):
    def test_verify(self):
        with tempfile.TemporaryDirectory() as d:
            unit = os.path.join(d, "remotion-janitor.service")
            with open(UNIT) as f:
                text = f.read()
            self.assertIn("ExecStart=/usr/bin/remotion-janitor ", text)
            with open(unit, "w") as f:
                f.write(text.replace("/usr/bin/remotion-janitor", os.path.abspath(BIN)))
            r = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True, text=True,
                               timeout=60, cwd=d)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("remotion-janitor.service", r.stderr, r.stderr)

    def test_required_settings(self):
        with open(UNIT) as f:
            lines = {ln.strip() for ln in f if ln.strip() and not ln.startswith("#")}
        for want in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                     "RuntimeDirectory=remotion-janitor", "StateDirectory=remotion-janitor",
                     "ConfigurationDirectory=remotion-janitor", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=",
                     "AmbientCapabilities=", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                     "SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources",
                     "SystemCallArchitectures=native", "MemoryDenyWriteExecute=yes", "LockPersonality=yes",
                     "RestrictNamespaces=yes", "RestrictRealtime=yes", "RestrictSUIDSGID=yes",
                     "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
                     "ProtectControlGroups=yes", "ProtectClock=yes", "ProtectHostname=yes",
                     "ProtectProc=invisible", "ProcSubset=pid", "UMask=0077"):
            self.assertIn(want, lines, want)
        self.assertTrue(any(ln.startswith("WatchdogSec=") for ln in lines))
        stop = [ln for ln in lines if ln.startswith("TimeoutStopSec=")]
        self.assertEqual(len(stop), 1)
        # Above the default stop_timeout (20s).
        self.assertGreater(int(re.match(r"TimeoutStopSec=(\d+)s$", stop[0]).group(1)), 20)
        with open(UNIT) as f:
            self.assertIn("#LoadCredential=aws:/etc/remotion-janitor/aws-credentials", f.read())

    def test_security_exposure(self):
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", UNIT],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        print("systemd-analyze security exposure: %s" % m.group(1))
        self.assertLessEqual(float(m.group(1)), 2.0)


@unittest.skipUnless(shutil.which("cpack") and shutil.which("dpkg-deb"), "cpack or dpkg-deb missing")
class Package(unittest.TestCase):
    def test_deb(self):
        if not os.path.exists(os.path.join(BUILD, "CPackConfig.cmake")):
            self.skipTest("no CPackConfig.cmake in %s" % BUILD)
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run(["cpack", "-G", "DEB", "-B", d, "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                               capture_output=True, text=True, timeout=240, cwd=BUILD)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            debs = [x for x in os.listdir(d) if x.endswith(".deb")]
            self.assertEqual(len(debs), 1, os.listdir(d))
            deb = os.path.join(d, debs[0])
            listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, timeout=30).stdout
            files = {ln.split()[-1].lstrip(".") for ln in listing.splitlines()}
            for want in ("/usr/bin/remotion-janitor", "/usr/lib/systemd/system/remotion-janitor.service",
                         "/usr/lib/sysusers.d/remotion-janitor.conf",
                         "/etc/remotion-janitor/remotion-janitor.conf",
                         "/usr/share/man/man8/remotion-janitor.8.gz",
                         "/usr/share/man/man5/remotion-janitor.conf.5.gz",
                         "/usr/share/remotion-janitor/remotion-janitor-policy.json",
                         "/usr/share/remotion-janitor/remotion-janitor-role-trust.json",
                         "/usr/share/remotion-janitor/remotion-janitor-alerts.yml",
                         "/usr/share/remotion-janitor/remotion-janitor-node-exporter.tmpfiles",
                         "/usr/lib/systemd/system/remotion-janitor@.service",
                         "/usr/share/remotion-janitor/remotion-janitor-organization-policy.json",
                         "/usr/share/remotion-janitor/remotion-janitor-k8s.yaml",
                         "/usr/share/doc/remotion-janitor/copyright",
                         "/usr/share/doc/remotion-janitor/changelog.Debian.gz",
                         "/etc/logrotate.d/remotion-janitor"):
                self.assertIn(want, files, listing)
            info = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Depends"], capture_output=True, text=True,
                                  timeout=30).stdout
            self.assertIn("Package: remotion-janitor", info)
            for dep in ("libcurl4", "libuv1", "libjson-c5", "libxml2", "libssl3"):
                self.assertIn(dep, info)
            conff = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], capture_output=True, text=True,
                                   timeout=30).stdout
            self.assertEqual(conff.split(), ["/etc/remotion-janitor/remotion-janitor.conf",
                                             "/etc/logrotate.d/remotion-janitor"])
            for script in ("postinst", "prerm", "postrm"):
                r = subprocess.run(["dpkg-deb", "-I", deb, script], capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, script)
            print(listing)


# Lintian tags that remain, each with the reason a Debian maintainer would
# accept it (README, "Running it as a service").
LINTIAN_ACCEPTED = {
    # For an upload to Debian the first changelog entry closes the ITP bug;
    # this package is built from its own tree, there is no ITP.
    "initial-upload-closes-no-bugs",
    # Info: the daemon is Type=notify with a socket and a watchdog; no
    # System V init script is shipped.
    "package-supports-alternative-init-but-no-init.d-script",
}


@unittest.skipUnless(shutil.which("cpack") and shutil.which("dpkg-deb"), "cpack or dpkg-deb missing")
class DebianPolicy(unittest.TestCase):
    """The package as Debian policy and lintian want it; built once."""

    @classmethod
    def setUpClass(cls):
        cls.sanitized = "libasan" in subprocess.run(["ldd", BIN], capture_output=True, text=True,
                                                    timeout=30).stdout
        if not os.path.exists(os.path.join(BUILD, "CPackConfig.cmake")):
            raise unittest.SkipTest("no CPackConfig.cmake in %s" % BUILD)
        cls.tmp = tempfile.mkdtemp(prefix="jan-deb-")
        r = subprocess.run(["cpack", "-G", "DEB", "-B", cls.tmp, "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                           capture_output=True, text=True, timeout=240, cwd=BUILD)
        assert r.returncode == 0, r.stdout + r.stderr
        cls.deb = os.path.join(cls.tmp, [x for x in os.listdir(cls.tmp) if x.endswith(".deb")][0])
        cls.tree = os.path.join(cls.tmp, "tree")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.tree], check=True, timeout=60)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True, text=True,
                              timeout=30).stdout.strip()

    def skip_if_sanitized(self):
        if self.sanitized:
            sys.stderr.write("NOTICE: a sanitizer build is not hardened (HARDENING is off under SANITIZE): the "
                             "package is linted in the plain build\n")
            self.skipTest("sanitizer build")

    def test_lintian(self):
        self.skip_if_sanitized()
        if not shutil.which("lintian"):
            sys.stderr.write("NOTICE: lintian not installed (.ci/install-deps installs it): package not linted\n")
            self.skipTest("lintian not installed")
        r = subprocess.run(["lintian", "--pedantic", "--display-info", "--display-experimental", "--tag-display-limit",
                            "0", self.deb], capture_output=True, text=True, timeout=300)
        print(r.stdout)
        tags = re.findall(r"^([EWIPX]): remotion-janitor(?: \w+)?: (\S+)", r.stdout, re.M)
        self.assertTrue(tags or r.returncode == 0, r.stdout + r.stderr)
        errors = [t for k, t in tags if k == "E"]
        self.assertEqual(errors, [], r.stdout)
        unexplained = sorted({t for k, t in tags if t not in LINTIAN_ACCEPTED})
        self.assertEqual(unexplained, [], r.stdout)
        for tag in ("hardening-no-bindnow", "hardening-no-fortify-functions", "no-copyright-file",
                    "binary-has-unneeded-section",
                    "uncompressed-manual-page", "maintainer-script-calls-systemctl", "bogus-mail-host"):
            self.assertNotIn(tag, r.stdout)

    def test_fields_and_doc(self):
        self.assertRegex(self.field("Version"), r"^\d+\.\d+\.\d+-\d+$")
        maint = self.field("Maintainer")
        self.assertRegex(maint, r"^[^<>@]+ <[^<>@ ]+@[a-z0-9.-]+\.[a-z]+>$")
        self.assertNotRegex(maint, r"@localhost|root@")
        # The user comes from systemd-sysusers: its provider is a dependency.
        self.assertIn("systemd | systemd-sysusers", self.field("Depends"))
        doc = os.path.join(self.tree, "usr", "share", "doc", "remotion-janitor")
        with open(os.path.join(doc, "copyright")) as f:
            text = f.read()
        self.assertTrue(text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"))
        self.assertIn("\nFiles: *\n", text)
        self.assertRegex(text, r"\nLicense: Expat\n Permission is hereby granted")
        import gzip
        for gz in (os.path.join(doc, "changelog.Debian.gz"),
                   os.path.join(self.tree, "usr", "share", "man", "man8", "remotion-janitor.8.gz"),
                   os.path.join(self.tree, "usr", "share", "man", "man5", "remotion-janitor.conf.5.gz")):
            with open(gz, "rb") as f:
                head = f.read(10)
            self.assertEqual(head[:2], b"\x1f\x8b", gz)
            self.assertEqual(head[4:8], b"\0\0\0\0", "%s: gzip with a time stamp" % gz)
            self.assertEqual(head[3] & 0x08, 0, "%s: gzip with a file name" % gz)
        with gzip.open(os.path.join(doc, "changelog.Debian.gz"), "rt") as f:
            first = f.readline()
        self.assertEqual(first.split()[:2], ["remotion-janitor", "(%s)" % self.field("Version")])

    @unittest.skipUnless(shutil.which("readelf"), "readelf missing")
    def test_hardening(self):
        self.skip_if_sanitized()
        binary = os.path.join(self.tree, "usr", "bin", "remotion-janitor")
        dyn = subprocess.run(["readelf", "-d", "-W", binary], capture_output=True, text=True, timeout=30).stdout
        self.assertIn("BIND_NOW", dyn)
        self.assertRegex(dyn, r"FLAGS_1\).*\bNOW\b.*\bPIE\b")
        syms = subprocess.run(["readelf", "--dyn-syms", "-W", binary], capture_output=True, text=True,
                              timeout=30).stdout
        self.assertRegex(syms, r"__\w+_chk\b", "no fortified libc call")
        progs = subprocess.run(["readelf", "-l", "-W", binary], capture_output=True, text=True, timeout=30).stdout
        self.assertIn("GNU_RELRO", progs)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("dpkg") and shutil.which("systemctl")
                         and shutil.which("deb-systemd-helper"), "needs root, dpkg, systemctl, deb-systemd-helper")
    def test_install_enable_purge_leaves_no_link(self):
        """dpkg in a scratch root (DPKG_ROOT, the maintainer scripts run
        unchrooted): install creates the user; `systemctl enable` by hand;
        purge removes the multi-user.target.wants link and the state."""
        root = os.path.join(self.tmp, "root")
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
        dpkg = ["dpkg", "--root=" + root, "--force-script-chrootless", "--force-depends", "--log=/dev/null"]
        r = subprocess.run(dpkg + ["-i", self.deb], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(root, "etc", "passwd")) as f:
            self.assertRegex(f.read(), r"(?m)^remotion-janitor:x:\d+:\d+:.*:/var/lib/remotion-janitor:")
        r = subprocess.run(["systemctl", "--root=" + root, "enable", "remotion-janitor.service"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        link = os.path.join(root, "etc/systemd/system/multi-user.target.wants/remotion-janitor.service")
        self.assertTrue(os.path.islink(link))
        os.makedirs(os.path.join(root, "var/lib/remotion-janitor"), exist_ok=True)
        r = subprocess.run(dpkg + ["--purge", "remotion-janitor"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.lexists(link), "a dangling multi-user.target.wants link after purge")
        self.assertFalse(os.path.exists(os.path.join(root, "var/lib/remotion-janitor")))
        self.assertFalse(os.path.exists(os.path.join(root, "etc/logrotate.d/remotion-janitor")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
