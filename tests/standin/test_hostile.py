#!/usr/bin/python3
"""The hostile fault kinds (bad_region, foreign_redirect, echo_request,
big_page, and the listing kinds raw_keys, no_truncated, duplicate_entry,
marker_cycle, empty_pages) and virtual-hosted S3 requests."""
import json
import os
import re
import sys
import unittest
import urllib.request
from urllib.parse import quote
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, signed_request, small_fixture  # noqa: E402

SI = None
B_US = "remotionlambda-useast1-abcdefghij"
B_EU = "remotionlambda-euwest1-0123456789"


def setUpModule():
    global SI
    SI = StandIn(fixture=small_fixture())


def tearDownModule():
    SI.stop()


def temp_creds():
    with urllib.request.urlopen(SI.url + "/__creds/container", timeout=10) as r:
        d = json.load(r)
    return d["AccessKeyId"], d["SecretAccessKey"], d["Token"]


class Hostile(unittest.TestCase):
    def tearDown(self):
        SI.faults([])

    def test_bad_region(self):
        SI.faults([{"kind": "bad_region", "value": "evil.example#", "service": "s3", "target": B_US,
                    "count": -1}])
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", "max-buckets=1000")
        self.assertEqual(st, 200)
        regions = dict(re.findall(rb"<Name>([^<]*)</Name><CreationDate>[^<]*</CreationDate>"
                                  rb"<BucketRegion>([^<]*)</BucketRegion>", body))
        self.assertEqual(regions[B_US.encode()], b"evil.example#")
        self.assertEqual(regions[B_EU.encode()], b"eu-west-1")
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/" + B_US, "location")
        self.assertEqual(st, 200)
        self.assertIn(b">evil.example#</LocationConstraint>", body)

    def test_foreign_redirect(self):
        for status, code in ((301, b"PermanentRedirect"), (400, b"AuthorizationHeaderMalformed")):
            SI.faults([{"kind": "foreign_redirect", "bucket_region": "us-east-1.attacker.example",
                        "status": status, "service": "s3", "operation": "ListObjectVersions", "count": -1}])
            st, hdrs, body = signed_request(SI, "s3", "us-east-1", "GET", "/" + B_US, "versions")
            self.assertEqual(st, status)
            self.assertEqual(hdrs["x-amz-bucket-region"], "us-east-1.attacker.example")
            self.assertIn(b"<Code>" + code + b"</Code>", body)
            if status == 400:
                self.assertIn(b"<Region>us-east-1.attacker.example</Region>", body)

    def test_echo_request(self):
        ak, sk, tok = temp_creds()
        SI.faults([{"kind": "echo_request", "service": "s3", "count": 1}])
        st, hdrs, body = signed_request(SI, "s3", "us-east-1", "GET", "/", "max-buckets=10", ak=ak, sk=sk, token=tok)
        self.assertEqual(st, 403)
        err = ET.fromstring(body)
        self.assertEqual(err.findtext("Code"), "SignatureDoesNotMatch")
        self.assertIn("x-amz-security-token:" + tok, err.findtext("CanonicalRequest"))
        self.assertIn(tok, err.findtext("Message"))
        self.assertIn("Signature=", err.findtext("Message"))
        self.assertEqual(err.findtext("AWSAccessKeyId"), ak)
        self.assertTrue(err.findtext("StringToSign").startswith("AWS4-HMAC-SHA256\n"))
        self.assertEqual(hdrs["x-amz-request-id"], tok)
        SI.faults([{"kind": "echo_request", "service": "lambda", "status": 500, "count": 1}])
        st, hdrs, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "MaxItems=5",
                                        ak=ak, sk=sk, token=tok)
        self.assertEqual(st, 500)
        self.assertEqual(hdrs["x-amzn-errortype"], "InvalidSignatureException")
        msg = json.loads(body)["message"]
        self.assertTrue(msg.startswith("\x1b["))
        self.assertIn(tok, msg)
        self.assertEqual(hdrs["x-amzn-requestid"], tok)

    def test_bad_date(self):
        import email.utils
        import time
        for svc, region, path, code in (("s3", "us-east-1", "/", "RequestTimeTooSkewed"),
                                         ("lambda", "eu-west-1", "/2015-03-31/functions/",
                                          "InvalidSignatureException")):
            SI.faults([{"kind": "bad_date", "offset_s": -200 * 86400, "service": svc, "count": 1}])
            st, hdrs, body = signed_request(SI, svc, region, "GET", path)
            self.assertEqual(st, 403)
            self.assertIn(code.encode(), body + hdrs.get("x-amzn-errortype", "").encode())
            served = email.utils.parsedate_to_datetime(hdrs["date"]).timestamp()
            self.assertAlmostEqual(served - time.time(), -200 * 86400, delta=5)
            # The stand-in's own clock did not move: the next request passes.
            st, hdrs, _ = signed_request(SI, svc, region, "GET", path)
            self.assertEqual(st, 200)
            served = email.utils.parsedate_to_datetime(hdrs["date"]).timestamp()
            self.assertAlmostEqual(served, time.time(), delta=5)
    def test_listing_kinds(self):
        """raw_keys, no_truncated, duplicate_entry, marker_cycle, empty_pages."""
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        SI.control("POST", "fixture", small_fixture(buckets=[
            {"name": B_EU, "region": "eu-west-1", "versioning": "Enabled",
             "objects": [{"key": "a\rb", "size": 1}, {"key": "c\x1bd", "size": 1}, {"key": "e f", "size": 1}]}]))
        try:
            st, _, body = signed_request(SI, "s3", "eu-west-1", "GET", "/" + B_EU, "versions&encoding-type=url")
            self.assertEqual(st, 200)
            root = ET.fromstring(body)
            self.assertEqual(root.find(ns + "EncodingType").text, "url")
            self.assertEqual([v.find(ns + "Key").text for v in root.findall(ns + "Version")],
                             ["a%0Db", "c%1Bd", "e+f"])
            self.assertEqual(root.find(ns + "IsTruncated").text, "false")
            SI.faults([{"kind": "raw_keys", "count": -1}, {"kind": "no_truncated", "count": -1}])
            st, _, body = signed_request(SI, "s3", "eu-west-1", "GET", "/" + B_EU,
                                         "encoding-type=url&list-type=2")
            self.assertIn(b"<Key>a\rb</Key>", body)
            self.assertIn(b"<Key>c\x1bd</Key>", body)
            self.assertNotIn(b"EncodingType", body)
            self.assertNotIn(b"IsTruncated", body)
            SI.faults([{"kind": "duplicate_entry", "target": "e*", "count": -1, "age_days": 100}])
            st, _, body = signed_request(SI, "s3", "eu-west-1", "GET", "/" + B_EU, "versions&encoding-type=url")
            keys = [v.find(ns + "Key").text for v in ET.fromstring(body).findall(ns + "Version")]
            self.assertEqual(keys, ["a%0Db", "c%1Bd", "e+f", "e+f"])
            dates = [v.find(ns + "LastModified").text for v in ET.fromstring(body).findall(ns + "Version")]
            self.assertLess(dates[2], dates[3])
            SI.faults([{"kind": "marker_cycle", "count": -1}])
            seen = []
            km, vm = None, None
            for _ in range(4):
                q = "versions" + ("&key-marker=%s&version-id-marker=%s" % (quote(km, safe=""), vm) if km else "")
                st, _, body = signed_request(SI, "s3", "eu-west-1", "GET", "/" + B_EU, q)
                self.assertEqual(st, 200)
                root = ET.fromstring(body)
                self.assertEqual(root.findall(ns + "Version"), [])
                self.assertEqual(root.find(ns + "IsTruncated").text, "true")
                km, vm = root.find(ns + "NextKeyMarker").text, root.find(ns + "NextVersionIdMarker").text
                seen.append(vm)
            self.assertEqual(seen, ["cycle-A", "cycle-B", "cycle-A", "cycle-B"])
            SI.faults([{"kind": "empty_pages", "count": -1}])
            km = None
            for n in range(1, 4):
                q = "versions" + ("&key-marker=%s" % km if km else "")
                st, _, body = signed_request(SI, "s3", "eu-west-1", "GET", "/" + B_EU, q)
                km = ET.fromstring(body).find(ns + "NextKeyMarker").text
                self.assertEqual(km, "empty-%08d" % n)
        finally:
            SI.faults([])
            SI.control("POST", "fixture", small_fixture())

    def test_big_page(self):
        SI.faults([{"kind": "big_page", "bytes": 250000, "service": "lambda", "operation": "ListFunctions",
                    "count": -1},
                   {"kind": "big_page", "bytes": 300001, "service": "s3", "operation": "ListObjectVersions",
                    "count": -1}])
        st, _, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "MaxItems=50")
        self.assertEqual(st, 200)
        self.assertEqual(len(body), 250000)
        self.assertEqual(len(json.loads(body)["Functions"]), 50)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/" + B_US, "versions")
        self.assertEqual(st, 200)
        self.assertEqual(len(body), 300001)
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        root = ET.fromstring(body)
        self.assertEqual(root.tag, ns + "ListVersionsResult")
        self.assertGreater(len(root.findall(ns + "Version")), 0)
        # A page already larger stays as it is.
        SI.faults([{"kind": "big_page", "bytes": 10, "service": "lambda", "count": -1}])
        st, _, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "MaxItems=5")
        self.assertEqual(len(json.loads(body)["Functions"]), 5)

    def test_virtual_hosted_bucket(self):
        host = B_EU + ".s3.eu-west-1.amazonaws.com"
        st, _, body = signed_request(SI, "s3", "eu-west-1", "GET", "/", "versions&max-keys=3",
                                     headers={"Host": host})
        self.assertEqual(st, 200, body[:300])
        self.assertIn(b"<Name>" + B_EU.encode() + b"</Name>", body)
        # The same Host with another bucket's region: the usual redirect.
        host = B_US + ".s3.eu-west-1.amazonaws.com"
        st, hdrs, _ = signed_request(SI, "s3", "eu-west-1", "GET", "/", "versions", headers={"Host": host})
        self.assertEqual(st, 301)
        self.assertEqual(hdrs["x-amz-bucket-region"], "us-east-1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
