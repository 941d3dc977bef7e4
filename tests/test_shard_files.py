#!/usr/bin/python3
"""What ships for shards (issue 22): the systemd template unit
remotion-janitor@.service and the example Kubernetes manifest.

- The template passes `systemd-analyze verify` as an instance (skipped with
  a notice where systemd-analyze is missing), and agrees with
  remotion-janitor.service line for line but for what names the instance:
  the hardening cannot drift between the two.
- The manifest parses as YAML: one CronJob per shard, their --shard I/N
  disjoint and complete, web identity credentials wired (service account
  annotation, AWS_ROLE_ARN, the projected token at
  AWS_WEB_IDENTITY_TOKEN_FILE with audience sts.amazonaws.com), a state
  volume of its own per shard where the config keeps its files, and the
  ConfigMap's config accepted by `remotion-janitor --check-config` with
  each shard's --shard.

Environment: JAN_SOURCE_DIR, JAN_BINARY_DIR, JAN_BIN (set by CMake).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("JAN_SOURCE_DIR") or os.path.join(HERE, "..")
BUILD = os.environ.get("JAN_BINARY_DIR") or os.path.join(SRC, "build")
BIN = os.environ.get("JAN_BIN") or os.path.join(BUILD, "daemon", "remotion-janitor")
UNIT = os.path.join(SRC, "systemd", "remotion-janitor.service")
TEMPLATE = os.path.join(SRC, "systemd", "remotion-janitor@.service")
MANIFEST = os.path.join(SRC, "conf", "remotion-janitor-k8s.yaml")

# The settings that name the instance; every other line is the unit's.
PER_INSTANCE = {
    "Description": "Description=Remotion Lambda janitor, shard %i: finds and deletes leftover AWS resources",
    "ExecStart": "ExecStart=/usr/bin/remotion-janitor -c /etc/remotion-janitor/remotion-janitor-%i.conf",
    "ExecReload": "ExecReload=/usr/bin/remotion-janitor --check-config -q -c "
                  "/etc/remotion-janitor/remotion-janitor-%i.conf",
    "RuntimeDirectory": "RuntimeDirectory=remotion-janitor/%i",
    "StateDirectory": "StateDirectory=remotion-janitor/%i",
}


def settings(path):
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]


class Template(unittest.TestCase):
    def test_agrees_with_the_unit(self):
        unit, tpl = settings(UNIT), settings(TEMPLATE)
        self.assertEqual(len(unit), len(tpl))
        for a, b in zip(unit, tpl):
            key = a.split("=", 1)[0]
            if b.startswith(tuple(k + "=" for k in PER_INSTANCE)) and b != a:
                # Only the instance's own line differs; the check-config
                # ExecReload and the kill one are both kept.
                self.assertIn(b, PER_INSTANCE.values(), b)
                self.assertEqual(b.split("=", 1)[0], key)
            else:
                self.assertEqual(a, b)
        for want in PER_INSTANCE.values():
            self.assertIn(want, tpl)

    def test_verify(self):
        if not shutil.which("systemd-analyze"):
            sys.stderr.write("NOTICE: systemd-analyze not installed: `systemd-analyze verify` of "
                             "remotion-janitor@.service skipped\n")
            self.skipTest("systemd-analyze not installed")
        with tempfile.TemporaryDirectory() as d:
            with open(TEMPLATE) as f:
                text = f.read().replace("/usr/bin/remotion-janitor", os.path.abspath(BIN))
            for name in ("remotion-janitor@.service", "remotion-janitor@2.service"):
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                os.path.join(d, "remotion-janitor@2.service")],
                               capture_output=True, text=True, timeout=60, cwd=d)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("remotion-janitor@", r.stderr, r.stderr)

    def test_installed(self):
        with open(os.path.join(SRC, "daemon", "CMakeLists.txt")) as f:
            self.assertIn("systemd/remotion-janitor@.service", f.read())


class Manifest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(MANIFEST) as f:
            cls.docs = [d for d in yaml.safe_load_all(f) if d]

    def kind(self, k):
        return [d for d in self.docs if d["kind"] == k]

    def test_one_cronjob_per_shard(self):
        jobs = self.kind("CronJob")
        shards = []
        for j in jobs:
            self.assertEqual(j["apiVersion"], "batch/v1")
            spec = j["spec"]
            self.assertEqual(spec["concurrencyPolicy"], "Forbid")
            self.assertTrue(re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", spec["schedule"]))
            pod = spec["jobTemplate"]["spec"]["template"]["spec"]
            self.assertEqual(pod["restartPolicy"], "Never")
            (c,) = pod["containers"]
            args = c["args"]
            self.assertEqual(args[0], "--sweep")
            self.assertIn("--yes", args)
            m = re.fullmatch(r"(\d+)/(\d+)", args[args.index("--shard") + 1])
            shards.append((int(m.group(1)), int(m.group(2))))
        n = shards[0][1]
        self.assertEqual(len(jobs), n)
        self.assertEqual(sorted(shards), [(i, n) for i in range(1, n + 1)])

    def test_web_identity(self):
        (sa,) = self.kind("ServiceAccount")
        role = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        self.assertTrue(re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@-]+", role))
        for j in self.kind("CronJob"):
            pod = j["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            self.assertEqual(pod["serviceAccountName"], sa["metadata"]["name"])
            (c,) = pod["containers"]
            env = {e["name"]: e["value"] for e in c["env"]}
            self.assertEqual(env["AWS_ROLE_ARN"], role)
            token = env["AWS_WEB_IDENTITY_TOKEN_FILE"]
            mounts = {m["name"]: m for m in c["volumeMounts"]}
            vols = {v["name"]: v for v in pod["volumes"]}
            found = False
            for name, m in mounts.items():
                if token.startswith(m["mountPath"].rstrip("/") + "/"):
                    src = vols[name]["projected"]["sources"][0]["serviceAccountToken"]
                    self.assertEqual(src["audience"], "sts.amazonaws.com")
                    self.assertEqual(os.path.join(m["mountPath"], src["path"]), token)
                    found = True
            self.assertTrue(found, "the token file is on a projected service account token")
            # Never the node's instance role.
            self.assertEqual(env["AWS_EC2_METADATA_DISABLED"], "true")

    def test_state_per_shard_and_config_checked(self):
        (cm,) = self.kind("ConfigMap")
        conf = cm["data"]["remotion-janitor.conf"]
        state = re.search(r"^state_file = (\S+)$", conf, re.M).group(1)
        audit = re.search(r"^audit_log = (\S+)$", conf, re.M).group(1)
        pvcs = {d["metadata"]["name"] for d in self.kind("PersistentVolumeClaim")}
        claims = []
        for j in self.kind("CronJob"):
            pod = j["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            (c,) = pod["containers"]
            vols = {v["name"]: v for v in pod["volumes"]}
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            for path in (state, audit):
                vol = vols[mounts[os.path.dirname(path)]]
                claims.append(vol["persistentVolumeClaim"]["claimName"])
            cfg_mount = [m for m in c["volumeMounts"] if vols[m["name"]].get("configMap")][0]
            self.assertEqual(vols[cfg_mount["name"]]["configMap"]["name"], cm["metadata"]["name"])
            args = c["args"]
            self.assertEqual(args[args.index("-c") + 1],
                             os.path.join(cfg_mount["mountPath"], "remotion-janitor.conf"))
        # Two files per shard on the shard's own claim; no claim shared.
        self.assertEqual(len(set(claims)), len(self.kind("CronJob")))
        self.assertTrue(set(claims) <= pvcs)
        # The config as the binary reads it, with each shard's --shard.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "remotion-janitor.conf")
            with open(path, "w") as f:
                f.write(conf)
            for j in self.kind("CronJob"):
                args = j["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
                shard = args[args.index("--shard") + 1]
                r = subprocess.run([BIN, "--check-config", "-c", path, "--shard", shard],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("[organization]", conf)
            self.assertRegex(conf, r"(?m)^role_name = \S+$")

    def test_installed(self):
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            self.assertIn("conf/remotion-janitor-k8s.yaml", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
