#!/usr/bin/python3
"""boto3 against the stand-in: AWS Organizations (ListAccounts,
ListAccountsForParent, ListOrganizationalUnitsForParent,
DescribeOrganization), paged, with OUs and suspended accounts; signatures
checked (us-east-1 only), the IAM policy enforced, the "deny" fault, and
member credentials refused."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, client, signed_request, ACCOUNT  # noqa: E402

import botocore.exceptions  # noqa: E402

SI = None
ROOT = "r-ab12"
OU_PROD = "ou-ab12-11111111"
OU_PROD_EU = "ou-ab12-22222222"      # under OU_PROD
OU_DEV = "ou-ab12-33333333"
MEMBER = "222222222222"
USER_ARN = "arn:aws:iam::%s:user/janitor-test" % ACCOUNT
ORG_ACTIONS = ["organizations:ListAccounts", "organizations:ListAccountsForParent",
               "organizations:ListOrganizationalUnitsForParent", "organizations:DescribeOrganization"]


def members():
    out = [{"account_id": "3%011d" % i, "name": "customer %d" % i, "parent": OU_PROD if i % 2 else OU_DEV}
           for i in range(30)]
    out.append({"account_id": "444444444444", "name": "eu prod", "parent": OU_PROD_EU})
    out.append({"account_id": "555555555555", "name": "gone", "status": "SUSPENDED", "parent": OU_PROD})
    out.append({"account_id": MEMBER, "name": "member with a role", "parent": ROOT})
    return out


def fixture():
    return {
        "regions": ["us-east-1", "eu-west-1"], "disabled_regions": [],
        "accounts": [{"account_id": MEMBER,
                      "roles": [{"name": "remotion-janitor", "trust": [USER_ARN]}]}],
        "organization": {
            "id": "o-janitortest1", "root_id": ROOT, "page_size": 7,
            "ous": [{"id": OU_PROD, "name": "prod", "parent": ROOT},
                    {"id": OU_PROD_EU, "name": "prod-eu", "parent": OU_PROD},
                    {"id": OU_DEV, "name": "dev", "parent": ROOT}],
            "members": members()},
    }


def setUpModule():
    global SI
    SI = StandIn(fixture=fixture())


def tearDownModule():
    assert SI.stop() == 0


def set_policy(actions):
    st, body = SI.control("POST", "policy", {"policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}})
    assert st == 200, body


def org(**kw):
    return client(SI, "organizations", region="us-east-1", **kw)


def pages(call, key, **kw):
    out, n, token = [], 0, None
    while True:
        args = dict(kw)
        if token:
            args["NextToken"] = token
        r = call(**args)
        out += r[key]
        n += 1
        token = r.get("NextToken")
        if not token:
            return out, n


class Base(unittest.TestCase):
    def setUp(self):
        set_policy(ORG_ACTIONS)
        SI.faults([])


class TestListing(Base):
    def test_list_accounts_pages_through_every_member(self):
        got, n = pages(org().list_accounts, "Accounts")
        ids = [a["Id"] for a in got]
        want = sorted([m["account_id"] for m in members()] + [ACCOUNT])
        self.assertEqual(ids, want)
        self.assertEqual(n, -(-len(want) // 7))        # page_size 7
        status = {a["Id"]: a["Status"] for a in got}
        self.assertEqual(status["555555555555"], "SUSPENDED")
        self.assertEqual(status[ACCOUNT], "ACTIVE")
        names = {a["Id"]: a["Name"] for a in got}
        self.assertEqual(names["444444444444"], "eu prod")

    def test_max_results_is_honoured_and_bounded(self):
        r = org().list_accounts(MaxResults=3)
        self.assertEqual(len(r["Accounts"]), 3)
        self.assertIn("NextToken", r)
        st, _, body = signed_request(SI, "organizations", "us-east-1", "POST", "/",
                                     body=json.dumps({"MaxResults": 21}).encode(),
                                     headers={"X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts",
                                              "Content-Type": "application/x-amz-json-1.1"})
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["__type"], "InvalidInputException")

    def test_bad_token_is_invalid_input(self):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            org().list_accounts(NextToken="bogus")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInputException")

    def test_ous_recursively(self):
        c = org()
        ous, _ = pages(c.list_organizational_units_for_parent, "OrganizationalUnits", ParentId=ROOT)
        self.assertEqual(sorted(o["Id"] for o in ous), [OU_PROD, OU_DEV])
        sub, _ = pages(c.list_organizational_units_for_parent, "OrganizationalUnits", ParentId=OU_PROD)
        self.assertEqual([o["Id"] for o in sub], [OU_PROD_EU])
        self.assertEqual(sub[0]["Name"], "prod-eu")
        accts, n = pages(c.list_accounts_for_parent, "Accounts", ParentId=OU_PROD)
        want = sorted([m["account_id"] for m in members() if m["parent"] == OU_PROD])
        self.assertEqual([a["Id"] for a in accts], want)
        self.assertGreater(n, 1)
        eu, _ = pages(c.list_accounts_for_parent, "Accounts", ParentId=OU_PROD_EU)
        self.assertEqual([a["Id"] for a in eu], ["444444444444"])
        root, _ = pages(c.list_accounts_for_parent, "Accounts", ParentId=ROOT)
        self.assertEqual(sorted(a["Id"] for a in root), sorted([ACCOUNT, MEMBER]))

    def test_unknown_parent(self):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            org().list_accounts_for_parent(ParentId="ou-ab12-99999999")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ParentNotFoundException")

    def test_describe_organization(self):
        o = org().describe_organization()["Organization"]
        self.assertEqual(o["MasterAccountId"], ACCOUNT)
        self.assertEqual(o["Id"], "o-janitortest1")

    def test_logged_as_organizations(self):
        SI.control("POST", "reset-log")
        org().list_accounts(MaxResults=1)
        e = [x for x in SI.log() if x["service"] == "organizations"]
        self.assertEqual(len(e), 1)
        self.assertEqual(e[0]["operation"], "ListAccounts")
        self.assertEqual(e[0]["region"], "us-east-1")
        self.assertEqual(SI.state()["organization"]["management"], ACCOUNT)


class TestAuth(Base):
    def test_signature_checked(self):
        def tamper(h):
            h["Authorization"] = h["Authorization"][:-4] + "0000"
        st, _, body = signed_request(SI, "organizations", "us-east-1", "POST", "/", body=b"{}",
                                     headers={"X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts",
                                              "Content-Type": "application/x-amz-json-1.1"}, tamper=tamper)
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["__type"], "InvalidSignatureException")

    def test_signed_for_another_region_is_refused(self):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "organizations", region="eu-west-1").list_accounts()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidSignatureException")

    def test_policy_enforced_per_action(self):
        set_policy(["organizations:ListAccounts"])
        org().list_accounts()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            org().list_organizational_units_for_parent(ParentId=ROOT)
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "AccessDeniedException")
        self.assertIn("organizations:ListOrganizationalUnitsForParent", err["Message"])

    def test_deny_switch(self):
        SI.faults([{"kind": "deny", "service": "organizations", "operation": "ListAccounts", "count": None}])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            org().list_accounts()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDeniedException")
        org().describe_organization()

    def test_member_credentials_are_refused(self):
        c = client(SI, "sts").assume_role(RoleArn="arn:aws:iam::%s:role/remotion-janitor" % MEMBER,
                                          RoleSessionName="t1")["Credentials"]
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            org(ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["SessionToken"]).list_accounts()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDeniedException")

    def test_no_organization(self):
        doc = fixture()
        del doc["organization"]
        st, body = SI.control("POST", "fixture", doc)
        self.assertEqual(st, 200, body)
        try:
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                org().list_accounts()
            self.assertEqual(cm.exception.response["Error"]["Code"], "AWSOrganizationsNotInUseException")
        finally:
            SI.control("POST", "fixture", fixture())

    def test_bad_fixture_refused(self):
        doc = fixture()
        doc["organization"]["members"].append({"account_id": "12", "name": "x"})
        st, body = SI.control("POST", "fixture", doc)
        self.assertEqual(st, 400, body)
        self.assertIn("organization.members", body.decode() if isinstance(body, bytes) else json.dumps(body))


if __name__ == "__main__":
    unittest.main(verbosity=2)
