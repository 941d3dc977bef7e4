#!/usr/bin/python3
"""boto3 against the stand-in: CloudWatch Logs (DescribeLogGroups,
DeleteLogGroup), Lambda ListTags and S3 GetBucketTagging, with signatures
checked, the IAM policy enforced, and the "deny" fault."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import (StandIn, client, signed_request, small_fixture, ACCOUNT, SEED_AK, SEED_SK,  # noqa
                             seed_policy_path)

import botocore.exceptions  # noqa: E402

SI = None
R = "eu-west-1"
FN = "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec"
FN_TAGGED = "remotion-render-4-0-1-mem3008mb-disk2048mb-120sec"
BUCKET_TAGGED = "remotionlambda-euwest1-tagged0001"
BUCKET_PLAIN = "remotionlambda-euwest1-plain00001"

# What the optional features need, on top of what the janitor always needs.
OPTIONAL = {"Sid": "OptionalLogGroupsAndKeepTags", "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups", "logs:DeleteLogGroup", "lambda:ListTags",
                       "s3:GetBucketTagging"],
            "Resource": ["*"]}
BASE = {"Sid": "Base", "Effect": "Allow",
        "Action": ["lambda:ListFunctions", "s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": ["*"]}


def groups():
    g = [{"region": R, "name": "/aws/lambda/remotion-render-%03d" % i, "age_days": 5 + i % 7,
          "stored_bytes": 1000 * i} for i in range(120)]
    g += [{"region": R, "name": n, "age_days": 30, "stored_bytes": 7}
          for n in ("/aws/lambda-insights", "/aws/lambda/Remotion-x", "/aws/lambda/remotionfan",
                    "/aws/codebuild/other")]
    g += [{"region": "us-east-1", "name": "/aws/lambda/remotion-render-abc", "created": "2024-01-02T03:04:05Z",
           "stored_bytes": 123456789}]
    return g


def fixture():
    doc = small_fixture()
    doc["functions"] += [{"region": R, "name": FN, "age_days": 3},
                         {"region": R, "name": FN_TAGGED, "age_days": 3,
                          "tags": {"keep": "yes", "team": "video"}}]
    doc["buckets"] += [{"name": BUCKET_TAGGED, "region": R, "tags": {"keep": "1"}},
                       {"name": BUCKET_PLAIN, "region": R}]
    doc["log_groups"] = groups()
    return doc


def setUpModule():
    global SI
    SI = StandIn(fixture=fixture())


def tearDownModule():
    assert SI.stop() == 0


def code_of(exc):
    return exc.response["Error"]["Code"]


def set_policy(*statements):
    st, body = SI.control("POST", "policy", {"policy": {"Version": "2012-10-17", "Statement": list(statements)}})
    assert st == 200, body


class Base(unittest.TestCase):
    def setUp(self):
        set_policy(BASE, OPTIONAL)
        SI.faults([])
        st, body = SI.control("POST", "fixture", fixture())
        self.assertEqual(st, 200, body)


class TestLogGroups(Base):
    def test_describe_pages_with_prefix(self):
        logs = client(SI, "logs", R)
        names, token, pages = [], None, 0
        while True:
            kw = {"logGroupNamePrefix": "/aws/lambda/remotion-", "limit": 50}
            if token:
                kw["nextToken"] = token
            out = logs.describe_log_groups(**kw)
            pages += 1
            self.assertLessEqual(len(out["logGroups"]), 50)
            names += [g["logGroupName"] for g in out["logGroups"]]
            token = out.get("nextToken")
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(names, sorted("/aws/lambda/remotion-render-%03d" % i for i in range(120)))
        # Every group, without a prefix: the insights group and the look-alikes too.
        every = logs.describe_log_groups()["logGroups"]
        self.assertEqual(len(every), 50)
        allnames = [g["logGroupName"] for g in logs.get_paginator("describe_log_groups").paginate()
                    .build_full_result()["logGroups"]]
        for n in ("/aws/lambda-insights", "/aws/lambda/Remotion-x", "/aws/lambda/remotionfan"):
            self.assertIn(n, allnames)

    def test_fields(self):
        logs = client(SI, "logs", "us-east-1")
        g = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/remotion-")["logGroups"]
        self.assertEqual(len(g), 1)
        g = g[0]
        self.assertEqual(g["logGroupName"], "/aws/lambda/remotion-render-abc")
        self.assertEqual(g["creationTime"], 1704164645000)      # ms since the epoch
        self.assertEqual(g["storedBytes"], 123456789)
        self.assertEqual(g["arn"], "arn:aws:logs:us-east-1:%s:log-group:/aws/lambda/remotion-render-abc:*"
                         % ACCOUNT)

    def test_limit_over_50_refused(self):
        logs = client(SI, "logs", R)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            logs.describe_log_groups(limit=51)
        self.assertEqual(code_of(cm.exception), "InvalidParameterException")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            logs.describe_log_groups(nextToken="bogus")
        self.assertEqual(code_of(cm.exception), "InvalidParameterException")

    def test_delete(self):
        logs = client(SI, "logs", R)
        name = "/aws/lambda/remotion-render-007"
        logs.delete_log_group(logGroupName=name)
        left = [g["name"] for g in SI.state()["log_groups"]]
        self.assertNotIn(name, left)
        self.assertIn("/aws/lambda/remotion-render-008", left)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            logs.delete_log_group(logGroupName=name)
        self.assertEqual(code_of(cm.exception), "ResourceNotFoundException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        # A group in another region is another group.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "logs", "us-east-1").delete_log_group(logGroupName="/aws/lambda/remotion-render-008")
        self.assertEqual(code_of(cm.exception), "ResourceNotFoundException")

    def test_signature_checked(self):
        body = json.dumps({"logGroupNamePrefix": "/aws/lambda/"}).encode()
        hdrs = {"X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                "Content-Type": "application/x-amz-json-1.1"}
        st, h, data = signed_request(SI, "logs", R, "POST", "/", body=body, headers=hdrs)
        self.assertEqual(st, 200, data)
        self.assertTrue(json.loads(data)["logGroups"])

        def tamper(hd):
            hd["Authorization"] = hd["Authorization"][:-4] + "0000"
        st, h, data = signed_request(SI, "logs", R, "POST", "/", body=body, headers=hdrs, tamper=tamper)
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(data)["__type"], "InvalidSignatureException")
        # The target is a signed header: changing it breaks the signature.

        def retarget(hd):
            hd["X-Amz-Target"] = "Logs_20140328.DeleteLogGroup"
        st, h, data = signed_request(SI, "logs", R, "POST", "/", body=body, headers=hdrs, tamper=retarget)
        self.assertEqual(json.loads(data)["__type"], "InvalidSignatureException")
        st, h, data = signed_request(SI, "logs", R, "POST", "/", body=body, headers=hdrs, sk="wrong")
        self.assertEqual(json.loads(data)["__type"], "InvalidSignatureException")

    def test_unknown_target(self):
        st, h, data = signed_request(SI, "logs", R, "POST", "/", body=b"{}",
                                     headers={"X-Amz-Target": "Logs_20140328.PutLogEvents",
                                              "Content-Type": "application/x-amz-json-1.1"})
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(data)["__type"], "UnknownOperationException")


class TestTags(Base):
    def test_list_tags(self):
        lam = client(SI, "lambda", R)
        arn = "arn:aws:lambda:%s:%s:function:%s" % (R, ACCOUNT, FN_TAGGED)
        self.assertEqual(lam.list_tags(Resource=arn)["Tags"], {"keep": "yes", "team": "video"})
        self.assertEqual(lam.list_tags(Resource=arn.replace(FN_TAGGED, FN))["Tags"], {})
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            lam.list_tags(Resource=arn.replace(FN_TAGGED, "remotion-gone"))
        self.assertEqual(code_of(cm.exception), "ResourceNotFoundException")

    def test_bucket_tagging(self):
        s3 = client(SI, "s3", R)
        self.assertEqual(s3.get_bucket_tagging(Bucket=BUCKET_TAGGED)["TagSet"], [{"Key": "keep", "Value": "1"}])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            s3.get_bucket_tagging(Bucket=BUCKET_PLAIN)
        self.assertEqual(code_of(cm.exception), "NoSuchTagSet")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_fixture_tags_checked(self):
        doc = fixture()
        doc["functions"][0]["tags"] = {"k": 1}
        st, body = SI.control("POST", "fixture", doc)
        self.assertEqual(st, 400, body)


class TestDenied(Base):
    """Each action is denied by the policy (implicitly, or by an explicit
    Deny) and by the "deny" fault."""

    def calls(self):
        lam, s3 = client(SI, "lambda", R), client(SI, "s3", R)
        logs = client(SI, "logs", R)
        arn = "arn:aws:lambda:%s:%s:function:%s" % (R, ACCOUNT, FN_TAGGED)
        return {
            "DescribeLogGroups": (lambda: logs.describe_log_groups(), "AccessDeniedException"),
            "DeleteLogGroup": (lambda: logs.delete_log_group(logGroupName="/aws/lambda/remotion-render-001"),
                               "AccessDeniedException"),
            "ListTags": (lambda: lam.list_tags(Resource=arn), "AccessDeniedException"),
            "GetBucketTagging": (lambda: s3.get_bucket_tagging(Bucket=BUCKET_TAGGED), "AccessDenied"),
        }

    def expect_denied(self, only=None):
        for op, (call, code) in self.calls().items():
            with self.subTest(op=op):
                if only is not None and op != only:
                    call()
                    continue
                with self.assertRaises(botocore.exceptions.ClientError) as cm:
                    call()
                self.assertEqual(code_of(cm.exception), code)

    def test_policy_without_them(self):
        set_policy(BASE)
        self.expect_denied()
        self.assertIn("/aws/lambda/remotion-render-001", [g["name"] for g in SI.state()["log_groups"]])

    def test_explicit_deny_each(self):
        for op, action in (("DescribeLogGroups", "logs:DescribeLogGroups"),
                           ("DeleteLogGroup", "logs:DeleteLogGroup"), ("ListTags", "lambda:ListTags"),
                           ("GetBucketTagging", "s3:GetBucketTagging")):
            with self.subTest(op=op):
                set_policy(BASE, OPTIONAL, {"Effect": "Deny", "Action": action, "Resource": "*"})
                SI.control("POST", "fixture", fixture())
                self.expect_denied(only=op)

    def test_deny_fault_each(self):
        for op in ("DescribeLogGroups", "DeleteLogGroup", "ListTags", "GetBucketTagging"):
            with self.subTest(op=op):
                SI.control("POST", "fixture", fixture())
                SI.faults([{"kind": "deny", "operation": op, "count": None}])
                self.expect_denied(only=op)
                ent = [e for e in SI.log() if e.get("operation") == op]
                self.assertTrue(ent)
        SI.faults([])


class TestShippedPolicy(Base):
    """conf/remotion-janitor-policy.json's optional statements: the four
    actions, deletion only of groups in scope."""

    def setUp(self):
        super().setUp()
        conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                            "remotion-janitor-policy.json")
        with open(conf) as f:
            st, body = SI.control("POST", "policy", {"policy": json.load(f)})
        self.assertEqual(st, 200, body)

    def test_optional_statements(self):
        logs = client(SI, "logs", R)
        self.assertTrue(logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/remotion-")["logGroups"])
        logs.delete_log_group(logGroupName="/aws/lambda/remotion-render-001")
        for n in ("/aws/lambda-insights", "/aws/lambda/Remotion-x", "/aws/lambda/remotionfan",
                  "/aws/codebuild/other"):
            with self.subTest(group=n):
                with self.assertRaises(botocore.exceptions.ClientError) as cm:
                    logs.delete_log_group(logGroupName=n)
                self.assertEqual(code_of(cm.exception), "AccessDeniedException")
        arn = "arn:aws:lambda:%s:%s:function:%s" % (R, ACCOUNT, FN_TAGGED)
        self.assertEqual(client(SI, "lambda", R).list_tags(Resource=arn)["Tags"]["keep"], "yes")
        s3 = client(SI, "s3", R)
        self.assertEqual(s3.get_bucket_tagging(Bucket=BUCKET_TAGGED)["TagSet"][0]["Value"], "1")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            s3.get_bucket_tagging(Bucket="remotionfan")
        self.assertEqual(code_of(cm.exception), "AccessDenied")


if __name__ == "__main__":
    unittest.main()
