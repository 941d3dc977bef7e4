#!/usr/bin/python3
"""Debian's AWS CLI (v2) against the stand-in: list and delete everything
the janitor will."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, small_fixture, TEST_AK, TEST_SK, ACCOUNT  # noqa: E402

AWS = os.environ.get("JAN_AWS_CLI", "/usr/bin/aws")
SI = None
TMP = None
B_US = "remotionlambda-useast1-abcdefghij"
GETUSER_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}]}


def setUpModule():
    global SI, TMP
    if not os.access(AWS, os.X_OK):
        print("NOTICE: %s not found: AWS CLI checks skipped" % AWS, file=sys.stderr)
        raise unittest.SkipTest("AWS CLI not installed")
    fx = small_fixture()
    fx["users"].append({"user_name": "cli-user", "access_key": "AKIDCLIUSER", "secret_key": "cli-user-secret",
                        "policy": GETUSER_POLICY})
    SI = StandIn(fixture=fx)
    TMP = tempfile.mkdtemp(prefix="standin-cli-")
    with open(os.path.join(TMP, "config"), "w") as f:
        f.write("[default]\ncli_pager =\ns3 =\n    addressing_style = path\n")


def tearDownModule():
    if SI:
        SI.stop()
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def aws(*args, region="us-east-1", ak=TEST_AK, sk=TEST_SK, ok=True):
    env = {"PATH": "/usr/bin:/bin", "HOME": TMP, "AWS_CONFIG_FILE": os.path.join(TMP, "config"),
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk, "AWS_DEFAULT_REGION": region,
           "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": "", "LC_ALL": "C.UTF-8"}
    p = subprocess.run([AWS, "--endpoint-url", SI.url, "--output", "json"] + list(args), env=env,
                       capture_output=True, text=True, timeout=60)
    if ok and p.returncode != 0:
        raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    if not ok:
        return p
    return json.loads(p.stdout) if p.stdout.strip() else {}


class Checks(unittest.TestCase):
    """The three groups below are independent; test_all runs them at once
    (each CLI start costs ~0.6 s of CPU)."""

    def identity(self):
        self.assertEqual(aws("sts", "get-caller-identity")["Account"], ACCOUNT)
        self.assertEqual(aws("iam", "get-user", ak="AKIDCLIUSER", sk="cli-user-secret")["User"]["UserName"],
                         "cli-user")
        r = aws("iam", "simulate-principal-policy", "--policy-source-arn",
                "arn:aws:iam::%s:user/janitor-test" % ACCOUNT, "--action-names", "s3:DeleteBucket",
                "lambda:DeleteFunction", "--resource-arns", "arn:aws:s3:::remotionlambda-x")
        d = {x["EvalActionName"]: x["EvalDecision"] for x in r["EvaluationResults"]}
        self.assertEqual(d, {"s3:DeleteBucket": "allowed", "lambda:DeleteFunction": "implicitDeny"})

    def s3_list_and_delete_everything(self):
        names = [b["Name"] for b in aws("s3api", "list-buckets")["Buckets"]]
        self.assertIn(B_US, names)
        self.assertEqual(aws("s3api", "get-bucket-location", "--bucket",
                             "remotionlambda-euwest1-0123456789")["LocationConstraint"], "EU")
        r = aws("s3api", "list-object-versions", "--bucket", B_US, "--page-size", "25")
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in r.get("Versions", []) + r.get("DeleteMarkers", [])]
        self.assertEqual(len(objs), 72)
        pages = [e for e in SI.log() if e["operation"] == "ListObjectVersions"]
        self.assertEqual(len(pages), 3)
        aws("s3api", "delete-bucket-website", "--bucket", B_US)
        with open(os.path.join(TMP, "delete.json"), "w") as f:
            json.dump({"Objects": objs, "Quiet": False}, f)
        r = aws("s3api", "delete-objects", "--bucket", B_US, "--delete", "file://" + os.path.join(TMP, "delete.json"))
        self.assertEqual(len(r["Deleted"]), 72)
        self.assertNotIn("Errors", r)
        aws("s3api", "delete-bucket", "--bucket", B_US)
        self.assertNotIn(B_US, [b["name"] for b in SI.state()["buckets"]])
        e = [x for x in SI.log() if x["operation"] == "DeleteObjects"][-1]
        self.assertEqual((e["status"], e["count"]), (200, 72))

    def lambda_list_and_delete_everything(self):
        fns = aws("lambda", "list-functions", region="eu-west-1")["Functions"]
        self.assertEqual(len(fns), 122)
        pages = [e for e in SI.log() if e["operation"] == "ListFunctions" and e["region"] == "eu-west-1"]
        self.assertGreaterEqual(len(pages), 3)
        victim = next(f["FunctionName"] for f in fns if f["FunctionName"].startswith("remotion-"))
        aws("lambda", "delete-function", "--function-name", victim, region="eu-west-1")
        layers = aws("lambda", "list-layers", region="eu-west-1")["Layers"]
        self.assertEqual(len(layers), 2)
        vers = aws("lambda", "list-layer-versions", "--layer-name", "remotion-binaries-arm64",
                   region="eu-west-1")["LayerVersions"]
        self.assertEqual([v["Version"] for v in vers], [5, 4, 3, 2, 1])
        g = aws("lambda", "get-layer-version", "--layer-name", "remotion-binaries-arm64", "--version-number", "2",
                region="eu-west-1")
        self.assertEqual(g["Version"], 2)
        aws("lambda", "delete-layer-version", "--layer-name", "remotion-binaries-arm64", "--version-number", "2",
            region="eu-west-1")
        # Errors come back in the CLI's usual form.
        p = aws("lambda", "list-functions", region="ap-southeast-5", ok=False)
        self.assertIn("UnrecognizedClientException", p.stderr)


class TestCli(Checks):
    def test_all(self):
        from concurrent.futures import ThreadPoolExecutor
        groups = [self.identity, self.s3_list_and_delete_everything, self.lambda_list_and_delete_everything]
        with ThreadPoolExecutor(len(groups)) as ex:
            futures = [ex.submit(g) for g in groups]
        for f in futures:
            f.result()          # re-raises the first failure


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
