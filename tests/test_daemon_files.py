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
  conffile, man pages and policy, and Debian dependencies.

Environment: JAN_SOURCE_DIR, JAN_BINARY_DIR, JAN_BIN (set by CMake).
"""
import os
import re
import shutil
import subprocess
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
        for name in ("aws", "policy", "daemon"):
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
                         "/usr/share/man/man8/remotion-janitor.8", "/usr/share/man/man5/remotion-janitor.conf.5",
                         "/usr/share/remotion-janitor/remotion-janitor-policy.json"):
                self.assertIn(want, files, listing)
            info = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Depends"], capture_output=True, text=True,
                                  timeout=30).stdout
            self.assertIn("Package: remotion-janitor", info)
            for dep in ("libcurl4", "libuv1", "libjson-c5", "libxml2", "libinih1", "libssl3"):
                self.assertIn(dep, info)
            conff = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], capture_output=True, text=True,
                                   timeout=30).stdout
            self.assertEqual(conff.split(), ["/etc/remotion-janitor/remotion-janitor.conf",
                                             "/etc/logrotate.d/remotion-janitor"])
            for script in ("postinst", "prerm", "postrm"):
                r = subprocess.run(["dpkg-deb", "-I", deb, script], capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, script)
            print(listing)


if __name__ == "__main__":
    unittest.main(verbosity=2)
