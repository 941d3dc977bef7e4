"""Credential sources through the real binary (issues 13 and 14): the
error when no source answers, assumed roles from profiles (source_profile
chains, credential_source, external_id, loops), and the refusals.  Every
request goes to the stand-in on 127.0.0.1."""
import os
import unittest

import janlib as jl
from janlib import st

REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]


def small():
    return {"account_id": jl.ACCOUNT, "regions": REGIONS, "disabled_regions": [],
            "users": [{"user_name": "janitor-test", "access_key": st.TEST_AK,
                       "secret_key": st.TEST_SK, "user_id": "AIDAJANITORTEST00000"}],
            "functions": [{"region": "eu-west-1", "name": "remotion-render-a", "age_days": 3}]}


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
        order = ["environment", "profile default (/dev/null: no such file; /dev/null: no such file)",
                 "systemd credentials (CREDENTIALS_DIRECTORY not set)",
                 "container credentials (not configured)",
                 "EC2 instance metadata (disabled)"]
        pos = [line.find(s) for s in order]
        self.assertTrue(all(p >= 0 for p in pos), line)
        self.assertEqual(pos, sorted(pos), line)
        self.assertEqual(self.si.log(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
