#!/usr/bin/python3
"""Several accounts: AssumeRole into another account (trust, external id,
expiry), whose credentials see that account's resources only."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, client, ACCOUNT  # noqa: E402

import botocore.exceptions  # noqa: E402

OTHER = "222222222222"
USER_ARN = "arn:aws:iam::%s:user/janitor-test" % ACCOUNT
ROLE_ARN = "arn:aws:iam::%s:role/janitor" % OTHER
FN = "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec"
SI = None


def fixture():
    return {
        "regions": ["us-east-1", "eu-west-1"], "disabled_regions": [],
        "functions": [{"region": "eu-west-1", "name": FN, "age_days": 30}],
        "buckets": [{"name": "remotionlambda-euwest1-aaaaaaaaaa", "region": "eu-west-1"}],
        "accounts": [{
            "account_id": OTHER,
            "roles": [{"name": "janitor", "trust": [USER_ARN], "external_id": "ext-1"}],
            "functions": [{"region": "eu-west-1", "name": FN, "age_days": 20},
                          {"region": "eu-west-1", "name": FN + "-b", "age_days": 20}],
            "buckets": [{"name": "remotionlambda-euwest1-bbbbbbbbbb", "region": "eu-west-1"}],
        }],
    }


def setUpModule():
    global SI
    SI = StandIn("--temp-creds-ttl", "60", fixture=fixture())


def tearDownModule():
    SI.stop()


def assume(external_id="ext-1", arn=ROLE_ARN):
    kw = {"RoleArn": arn, "RoleSessionName": "t1"}
    if external_id is not None:
        kw["ExternalId"] = external_id
    return client(SI, "sts").assume_role(**kw)["Credentials"]


def as_role(service, c, region="eu-west-1"):
    return client(SI, service, region=region, ak=c["AccessKeyId"], sk=c["SecretAccessKey"],
                  token=c["SessionToken"])


class TestAccounts(unittest.TestCase):
    def test_assumed_credentials_belong_to_the_other_account(self):
        c = assume()
        ident = as_role("sts", c).get_caller_identity()
        self.assertEqual(ident["Account"], OTHER)
        self.assertEqual(ident["Arn"], "arn:aws:sts::%s:assumed-role/janitor/t1" % OTHER)
        self.assertEqual(client(SI, "sts").get_caller_identity()["Account"], ACCOUNT)

    def test_resources_are_separate(self):
        c = assume()
        mine = [f["FunctionName"] for f in client(SI, "lambda", region="eu-west-1").list_functions()["Functions"]]
        theirs = [f["FunctionName"] for f in as_role("lambda", c).list_functions()["Functions"]]
        self.assertEqual(mine, [FN])
        self.assertEqual(sorted(theirs), [FN, FN + "-b"])
        self.assertEqual([b["Name"] for b in as_role("s3", c).list_buckets()["Buckets"]],
                         ["remotionlambda-euwest1-bbbbbbbbbb"])
        self.assertEqual([b["Name"] for b in client(SI, "s3").list_buckets()["Buckets"]],
                         ["remotionlambda-euwest1-aaaaaaaaaa"])
        # Deleting in one account leaves the same name in the other.
        as_role("lambda", c).delete_function(FunctionName=FN + "-b")
        st = SI.state()
        other = next(a for a in st["accounts"] if a["account_id"] == OTHER)
        self.assertEqual([f["name"] for f in other["functions"]], [FN])
        self.assertEqual([f["name"] for f in st["functions"]], [FN])

    def test_external_id_and_trust(self):
        for ext in (None, "wrong"):
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                assume(external_id=ext)
            self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            assume(arn="arn:aws:iam::333333333333:role/janitor")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")

    def test_expired_role_credentials_are_refused(self):
        c = assume()
        as_role("sts", c).get_caller_identity()
        SI.control("POST", "expire-creds")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            as_role("sts", c).get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "ExpiredToken")


if __name__ == "__main__":
    unittest.main()
