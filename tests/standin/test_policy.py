#!/usr/bin/python3
"""The IAM evaluator, and its enforcement under the project's policy and
the seed user policy (shared/seed-user-policy.json)."""
import base64
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import (StandIn, client, signed_request, small_fixture, seed_policy_path, ACCOUNT,  # noqa
                             SEED_AK, SEED_SK)
from awsstandin.policy import Policy, PolicyError  # noqa: E402
from awsstandin.server import DEFAULT_POLICY  # noqa: E402

import botocore.exceptions  # noqa: E402

A = ACCOUNT


class TestEvaluator(unittest.TestCase):
    def pol(self, *statements, version="2012-10-17"):
        return Policy({"Version": version, "Statement": list(statements)})

    def test_wildcards_and_case(self):
        p = self.pol({"Effect": "Allow", "Action": "S3:Delete*", "Resource": "arn:aws:s3:::remotion-*"})
        self.assertTrue(p.allows("s3:DeleteBucket", "arn:aws:s3:::remotion-x"))
        self.assertTrue(p.allows("s3:deletebucket", "arn:aws:s3:::remotion-x"))        # actions: any case
        self.assertTrue(p.allows("s3:DeleteObject", "arn:aws:s3:::remotion-x/a/b"))    # * spans "/"
        self.assertFalse(p.allows("s3:DeleteBucket", "arn:aws:s3:::Remotion-x"))       # resources: exact case
        self.assertFalse(p.allows("s3:DeleteBucket", "arn:aws:s3:::remotionlambda-x"))
        self.assertFalse(p.allows("s3:ListBucket", "arn:aws:s3:::remotion-x"))
        self.assertFalse(p.allows("s3:DeleteBucket", "xarn:aws:s3:::remotion-x"))      # whole-string match
        q = self.pol({"Effect": "Allow", "Action": ["lambda:Get?ayerVersion"], "Resource": ["*"]})
        self.assertTrue(q.allows("lambda:GetLayerVersion", "arn:aws:lambda:eu-west-1:1:layer:x:1"))
        self.assertFalse(q.allows("lambda:GetLayerVersions", "*"))

    def test_deny_and_not(self):
        p = self.pol({"Effect": "Allow", "Action": "*", "Resource": "*"},
                     {"Effect": "Deny", "NotAction": "s3:List*", "Resource": "arn:aws:s3:::keep-*"},
                     {"Effect": "Deny", "Action": "lambda:*", "NotResource": "arn:aws:lambda:*:*:function:remotion-*"})
        self.assertEqual(p.evaluate("s3:DeleteBucket", "arn:aws:s3:::keep-me")[0], "explicitDeny")
        self.assertEqual(p.evaluate("s3:ListBucket", "arn:aws:s3:::keep-me")[0], "allowed")
        self.assertEqual(p.evaluate("lambda:DeleteFunction", "arn:aws:lambda:x:1:function:other")[0], "explicitDeny")
        self.assertEqual(p.evaluate("lambda:DeleteFunction", "arn:aws:lambda:x:1:function:remotion-a")[0], "allowed")
        self.assertEqual(self.pol().evaluate("s3:ListBucket", "*")[0], "implicitDeny")

    def test_username_variable(self):
        p = self.pol({"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"})
        self.assertTrue(p.allows("iam:GetUser", "arn:aws:iam::1:user/bob", {"aws:username": "bob"}))
        self.assertFalse(p.allows("iam:GetUser", "arn:aws:iam::1:user/alice", {"aws:username": "bob"}))
        self.assertFalse(p.allows("iam:GetUser", "arn:aws:iam::1:user/bob", {}))      # roles have no username
        # The value is literal, never a wildcard.
        self.assertFalse(p.allows("iam:GetUser", "arn:aws:iam::1:user/bobby", {"aws:username": "bob*"}))
        old = self.pol({"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"},
                       version="2008-10-17")
        self.assertFalse(old.allows("iam:GetUser", "arn:aws:iam::1:user/bob", {"aws:username": "bob"}))
        self.assertTrue(old.allows("iam:GetUser", "arn:aws:iam::1:user/${aws:username}", {"aws:username": "bob"}))

    def test_refuses_what_it_cannot_evaluate(self):
        for st in ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}},
                   {"Effect": "Allow", "Resource": "*"},
                   {"Effect": "Maybe", "Action": "s3:*", "Resource": "*"},
                   {"Effect": "Allow", "Action": "ListBucket", "Resource": "*"}):
            with self.assertRaises(PolicyError):
                self.pol(st)

    def test_list_all_my_buckets_resource(self):
        star = self.pol({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
        s3star = self.pol({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::*"})
        scoped = self.pol({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::remotion-*"})
        self.assertTrue(star.allows("s3:ListAllMyBuckets", "arn:aws:s3:::*"))
        self.assertTrue(s3star.allows("s3:ListAllMyBuckets", "arn:aws:s3:::*"))
        self.assertFalse(scoped.allows("s3:ListAllMyBuckets", "arn:aws:s3:::*"))

    def test_project_policy(self):
        p = Policy.from_file(DEFAULT_POLICY)
        ok = [("s3:ListAllMyBuckets", "arn:aws:s3:::*"), ("lambda:ListFunctions", "*"), ("lambda:ListLayers", "*"),
              ("s3:DeleteBucket", "arn:aws:s3:::remotionlambda-apsouth1-3ysk0nyazp"),
              ("s3:ListBucketVersions", "arn:aws:s3:::remotion-x"),
              ("s3:DeleteObjectVersion", "arn:aws:s3:::remotionlambda-a/renders/x/out.mp4"),
              ("lambda:DeleteFunction", "arn:aws:lambda:eu-west-1:%s:function:remotion-render-x" % A),
              ("lambda:ListLayerVersions", "arn:aws:lambda:eu-west-1:%s:layer:remotion-binaries" % A),
              ("lambda:DeleteLayerVersion", "arn:aws:lambda:eu-west-1:%s:layer:remotion-binaries:3" % A),
              ("iam:SimulatePrincipalPolicy", "arn:aws:iam::%s:user/x" % A)]
        no = [("s3:DeleteBucket", "arn:aws:s3:::remotionfan"), ("s3:DeleteBucket", "arn:aws:s3:::xremotion-a"),
              ("s3:DeleteObject", "arn:aws:s3:::remotionlambda-a"),           # object actions need object ARNs
              ("lambda:DeleteFunction", "arn:aws:lambda:eu-west-1:%s:function:Remotion-x" % A),
              ("lambda:DeleteFunction", "arn:aws:lambda:eu-west-1:%s:function:remotion_x" % A),
              ("lambda:DeleteFunction", "arn:aws:lambda:eu-west-1:%s:function:rem\u043etion-x" % A),
              ("iam:GetUser", "arn:aws:iam::%s:user/x" % A), ("s3:PutObject", "arn:aws:s3:::remotion-x/a")]
        for a, r in ok:
            self.assertTrue(p.allows(a, r), (a, r))
        for a, r in no:
            self.assertFalse(p.allows(a, r), (a, r))

    def test_seed_policy(self):
        path = seed_policy_path()
        if path is None:
            print("NOTICE: seed policy missing, check skipped", file=sys.stderr)
            self.skipTest("shared/seed-user-policy.json not available")
        p = Policy.from_file(path)
        v = {"aws:username": "seed-user"}
        self.assertTrue(p.allows("s3:DeleteBucket", "arn:aws:s3:::remotion-abc", v))
        self.assertFalse(p.allows("s3:DeleteBucket", "arn:aws:s3:::remotionlambda-abc", v))   # as intended
        self.assertTrue(p.allows("s3:ListAllMyBuckets", "arn:aws:s3:::*", v))
        self.assertFalse(p.allows("lambda:ListLayerVersions", "arn:aws:lambda:eu-west-1:%s:layer:remotion-b" % A, v))
        self.assertTrue(p.allows("lambda:GetLayerVersion", "arn:aws:lambda:eu-west-1:%s:layer:remotion-b:2" % A, v))
        self.assertFalse(p.allows("s3:ListBucketVersions", "arn:aws:s3:::remotion-abc", v))
        self.assertFalse(p.allows("s3:GetBucketLocation", "arn:aws:s3:::remotion-abc", v))
        self.assertTrue(p.allows("iam:GetUser", "arn:aws:iam::%s:user/seed-user" % A, v))


class TestEnforcement(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.seed = seed_policy_path()
        args = ["--user", "nobody:AKIDNOBODY:nobody-secret:-"]
        if cls.seed:
            args += ["--user", "seed-user:%s:%s:%s" % (SEED_AK, SEED_SK, cls.seed)]
        cls.si = StandIn(*args, fixture=small_fixture())

    @classmethod
    def tearDownClass(cls):
        cls.si.stop()

    def need_seed(self):
        if not self.seed:
            print("NOTICE: seed policy missing, check skipped", file=sys.stderr)
            self.skipTest("shared/seed-user-policy.json not available")

    def err(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        return cm.exception.response

    def test_default_policy_scope(self):
        si = self.si
        lam = client(si, "lambda", "eu-west-1")
        r = self.err(lam.delete_function, FunctionName="remotionfan")
        self.assertEqual(r["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertIn("lambda:DeleteFunction", r["Error"]["Message"])
        s3 = client(si, "s3", "us-east-1")
        r = self.err(s3.delete_bucket, Bucket="remotionfan")
        self.assertEqual((r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403))
        r = self.err(s3.list_object_versions, Bucket="remotionfan")
        self.assertEqual(r["Error"]["Code"], "AccessDenied")
        self.assertEqual(len(s3.list_object_versions(Bucket="remotionlambda-useast1-abcdefghij")["Versions"]), 62)
        iam = client(si, "iam")
        r = self.err(iam.get_user)
        self.assertEqual(r["Error"]["Code"], "AccessDenied")
        self.assertIn("iam:GetUser", r["Error"]["Message"])

    def test_no_permissions_user(self):
        si = self.si
        s3 = client(si, "s3", "us-east-1", ak="AKIDNOBODY", sk="nobody-secret")
        self.assertEqual(self.err(s3.list_buckets)["Error"]["Code"], "AccessDenied")
        lam = client(si, "lambda", "eu-west-1", ak="AKIDNOBODY", sk="nobody-secret")
        self.assertEqual(self.err(lam.list_layers)["Error"]["Code"], "AccessDeniedException")
        # GetCallerIdentity needs no permission.
        sts = client(si, "sts", ak="AKIDNOBODY", sk="nobody-secret")
        self.assertTrue(sts.get_caller_identity()["Arn"].endswith(":user/nobody"))
        # DeleteObjects reports AccessDenied per key in a 200.
        body = b"<Delete><Object><Key>renders/r001/out.mp4</Key></Object></Delete>"
        st, _, data = signed_request(si, "s3", "us-east-1", "POST", "/remotionlambda-useast1-abcdefghij", "delete",
                                     body, {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()},
                                     ak="AKIDNOBODY", sk="nobody-secret")
        self.assertEqual(st, 200)
        self.assertIn(b"<Error><Key>renders/r001/out.mp4</Key><Code>AccessDenied</Code>", data)

    def test_seed_policy_enforced(self):
        self.need_seed()
        si = self.si
        s3 = client(si, "s3", "us-east-1", ak=SEED_AK, sk=SEED_SK)
        self.assertEqual(len(s3.list_buckets()["Buckets"]), 4)
        # remotionlambda-* is outside the seed policy's remotion-* storage scope.
        self.assertEqual(self.err(s3.delete_bucket, Bucket="remotionlambda-useast1-abcdefghij")["Error"]["Code"],
                         "AccessDenied")
        r = s3.delete_objects(Bucket="remotionlambda-useast1-abcdefghij",
                              Delete={"Objects": [{"Key": "renders/r001/out.mp4"}]})
        self.assertEqual(r["Errors"][0]["Code"], "AccessDenied")
        # ListBucketVersions / GetBucketLocation are not in the seed policy; ListBucket is.
        s3c = client(si, "s3", "eu-central-1", ak=SEED_AK, sk=SEED_SK)
        self.assertEqual(self.err(s3c.list_object_versions, Bucket="remotion-legacy-bucket")["Error"]["Code"],
                         "AccessDenied")
        self.assertEqual(self.err(s3c.get_bucket_location, Bucket="remotion-legacy-bucket")["Error"]["Code"],
                         "AccessDenied")
        self.assertEqual(s3c.list_objects_v2(Bucket="remotion-legacy-bucket")["KeyCount"], 2)
        st, h, _ = signed_request(si, "s3", "eu-central-1", "HEAD", "/remotion-legacy-bucket", ak=SEED_AK, sk=SEED_SK)
        self.assertEqual((st, h["x-amz-bucket-region"]), (200, "eu-central-1"))
        lam = client(si, "lambda", "eu-west-1", ak=SEED_AK, sk=SEED_SK)
        self.assertEqual(self.err(lam.list_layer_versions, LayerName="remotion-binaries-arm64")["Error"]["Code"],
                         "AccessDeniedException")
        self.assertEqual(lam.get_layer_version(LayerName="remotion-binaries-arm64", VersionNumber=2)["Version"], 2)
        self.assertEqual(len(lam.list_layers()["Layers"]), 2)
        self.assertEqual(client(si, "iam", ak=SEED_AK, sk=SEED_SK).get_user()["User"]["UserName"], "seed-user")

    def test_simulation_matches_enforcement(self):
        self.need_seed()
        iam = client(self.si, "iam")
        arn = "arn:aws:iam::%s:user/seed-user" % A
        r = iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["s3:DeleteBucket", "lambda:ListLayerVersions", "iam:GetUser"],
            ResourceArns=["arn:aws:s3:::remotionlambda-useast1-abcdefghij", "arn:aws:s3:::remotion-legacy-bucket",
                          "arn:aws:lambda:eu-west-1:%s:layer:remotion-binaries-arm64" % A, arn])
        d = {(x["EvalActionName"], x["EvalResourceName"]): x["EvalDecision"] for x in r["EvaluationResults"]}
        self.assertEqual(d[("s3:DeleteBucket", "arn:aws:s3:::remotionlambda-useast1-abcdefghij")], "implicitDeny")
        self.assertEqual(d[("s3:DeleteBucket", "arn:aws:s3:::remotion-legacy-bucket")], "allowed")
        self.assertEqual(d[("lambda:ListLayerVersions", "arn:aws:lambda:eu-west-1:%s:layer:remotion-binaries-arm64"
                            % A)], "implicitDeny")
        self.assertEqual(d[("iam:GetUser", arn)], "allowed")

    def test_policy_swap_at_run_time(self):
        si = self.si
        st, _ = si.control("POST", "policy", {"user": "nobody", "policy": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                                    "Resource": "*"}]}})
        self.assertEqual(st, 200)
        s3 = client(si, "s3", "us-east-1", ak="AKIDNOBODY", sk="nobody-secret")
        self.assertEqual(len(s3.list_buckets()["Buckets"]), 4)
        si.control("POST", "policy", {"user": "nobody", "policy": {"Version": "2012-10-17", "Statement": []}})
        self.assertEqual(self.err(s3.list_buckets)["Error"]["Code"], "AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
