#!/usr/bin/python3
"""Signature, time, checksum and credential checks; IMDSv2 and container
credentials; TLS."""
import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, client, signed_request, small_fixture, ACCOUNT, HERE  # noqa: E402

import boto3  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore.auth import S3SigV4Auth  # noqa: E402

SI = None
TOKEN = "Bearer standin-container-token"
BUCKET = "remotionlambda-useast1-abcdefghij"


def setUpModule():
    global SI
    SI = StandIn("--temp-creds-ttl", "60", "--container-token", TOKEN, fixture=small_fixture())


def tearDownModule():
    SI.stop()


def code(body):
    import re
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    if m:
        return m.group(1).decode()
    try:
        return None
    finally:
        pass


def tamper_sig(h):
    a = h["Authorization"]
    h["Authorization"] = a[:-1] + ("0" if a[-1] != "0" else "1")


def delete_body(keys=("renders/r001/out.mp4",)):
    return ("<Delete>" + "".join("<Object><Key>%s</Key></Object>" % k for k in keys) + "</Delete>").encode()


def md5(b):
    return base64.b64encode(hashlib.md5(b).digest()).decode()


class TestSignature(unittest.TestCase):
    def test_good_requests_pass(self):
        for svc, region, method, path, q in [("s3", "us-east-1", "GET", "/", ""),
                                             ("lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "MaxItems=2"),
                                             ("sts", "us-east-1", "POST", "/", "")]:
            body = b"Action=GetCallerIdentity&Version=2011-06-15" if svc == "sts" else b""
            hdrs = {"Content-Type": "application/x-www-form-urlencoded"} if svc == "sts" else {}
            st, _, b = signed_request(SI, svc, region, method, path, q, body, hdrs)
            self.assertEqual(st, 200, b)

    def test_tampered_signature(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", tamper=tamper_sig)
        self.assertEqual((st, code(body)), (403, "SignatureDoesNotMatch"))
        self.assertIn(b"<CanonicalRequest>GET\n/\n\nhost:127.0.0.1", body)
        self.assertIn(b"The Canonical String for this request should have been", body)
        st, h, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2015-03-31/functions/", tamper=tamper_sig)
        self.assertEqual(st, 403)
        self.assertTrue(h["x-amzn-errortype"].startswith("InvalidSignatureException"))
        msg = json.loads(body)["message"]
        self.assertIn("GET\n/2015-03-31/functions/\n\nhost:", msg)

    def test_wrong_secret(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", sk="wrong-secret")
        self.assertEqual((st, code(body)), (403, "SignatureDoesNotMatch"))
        st, _, body = signed_request(SI, "sts", "us-east-1", "POST", "/",
                                     body=b"Action=GetCallerIdentity&Version=2011-06-15", sk="wrong",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((st, code(body)), (403, "SignatureDoesNotMatch"))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "lambda", "eu-west-1", sk="wrong").list_functions()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidSignatureException")

    def test_unknown_access_key(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", ak="AKIDUNKNOWN")
        self.assertEqual((st, code(body)), (403, "InvalidAccessKeyId"))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "lambda", "eu-west-1", ak="AKIDUNKNOWN").list_functions()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "sts", ak="AKIDUNKNOWN").get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidClientTokenId")

    def test_stale_and_future_date(self):
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", amz_date=old)
        self.assertEqual((st, code(body)), (403, "RequestTimeTooSkewed"))
        self.assertIn(b"<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>", body)
        st, h, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2015-03-31/functions/", amz_date=old)
        self.assertEqual(st, 403)
        self.assertIn("Signature expired", json.loads(body)["message"])
        new = datetime.datetime.utcnow() + datetime.timedelta(minutes=20)
        st, _, body = signed_request(SI, "sts", "us-east-1", "POST", "/", amz_date=new,
                                     body=b"Action=GetCallerIdentity&Version=2011-06-15",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((st, code(body)), (403, "SignatureDoesNotMatch"))
        self.assertIn(b"not yet current", body)
        # 10 minutes off is still fine.
        ok = datetime.datetime.utcnow() - datetime.timedelta(minutes=10)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", amz_date=ok)
        self.assertEqual(st, 200)

    def test_content_md5_on_delete_objects(self):
        b = delete_body()
        st, _, body = signed_request(SI, "s3", "us-east-1", "POST", "/" + BUCKET, "delete", b)
        self.assertEqual((st, code(body)), (400, "InvalidRequest"))
        self.assertIn(b"Content-Md5", body)
        st, _, body = signed_request(SI, "s3", "us-east-1", "POST", "/" + BUCKET, "delete", b,
                                     {"Content-MD5": md5(b"other")})
        self.assertEqual((st, code(body)), (400, "BadDigest"))
        st, _, body = signed_request(SI, "s3", "us-east-1", "POST", "/" + BUCKET, "delete", b,
                                     {"Content-MD5": "not base64!"})
        self.assertEqual((st, code(body)), (400, "InvalidDigest"))
        st, _, body = signed_request(SI, "s3", "us-east-1", "POST", "/" + BUCKET, "delete", b,
                                     {"Content-MD5": md5(b)})
        self.assertEqual(st, 200, body)
        self.assertIn(b"<Deleted><Key>renders/r001/out.mp4</Key><DeleteMarker>true</DeleteMarker>", body)

    def test_content_sha256(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", s3_sha=False)
        self.assertEqual((st, code(body)), (400, "InvalidRequest"))
        b = delete_body()
        other = delete_body(("renders/r002/out.mp4",))
        st, _, body = signed_request(SI, "s3", "us-east-1", "POST", "/" + BUCKET, "delete", b,
                                     {"Content-MD5": md5(other)}, send_body=other)
        self.assertEqual((st, code(body)), (400, "XAmzContentSHA256Mismatch"))

    def test_unsigned_amz_header(self):
        def add(h):
            h["x-amz-meta-extra"] = "1"
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", tamper=add)
        self.assertEqual((st, code(body)), (403, "AccessDenied"))
        self.assertIn(b"<HeadersNotSigned>x-amz-meta-extra</HeadersNotSigned>", body)

    def test_query_plus_is_a_space(self):
        # A raw "+" means a space to AWS; a client that signs it as "%2B" fails.
        st, _, _ = signed_request(SI, "s3", "us-east-1", "GET", "/" + BUCKET, "list-type=2&prefix=renders%2Fa%20b")
        self.assertEqual(st, 200)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/" + BUCKET, "list-type=2&prefix=renders/a+b")
        self.assertEqual((st, code(body)), (403, "SignatureDoesNotMatch"))

    def test_non_s3_path_is_double_encoded(self):
        path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A" + ACCOUNT + "%3Afunction%3Aremotion-nope"
        st, _, body = signed_request(SI, "lambda", "eu-west-1", "DELETE", path)
        self.assertEqual(st, 404, body)     # signature fine, function missing
        # Signed like S3 (path not encoded again): rejected.
        st, h, body = signed_request(SI, "lambda", "eu-west-1", "DELETE", path, signer_cls=S3SigV4Auth)
        self.assertEqual(st, 403)
        self.assertIn("%253A", json.loads(body)["message"])

    def test_iam_must_be_signed_for_us_east_1(self):
        st, _, body = signed_request(SI, "iam", "eu-west-1", "POST", "/",
                                     body=b"Action=GetUser&Version=2010-05-08",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((st, code(body)), (403, "SignatureDoesNotMatch"))

    def test_anonymous_and_presigned(self):
        c = SI.conn()
        c.request("GET", "/" + BUCKET + "?list-type=2")
        r = c.getresponse()
        body = r.read()
        self.assertEqual((r.status, code(body)), (403, "AccessDenied"))
        s3 = client(SI, "s3", "us-east-1")
        url = s3.generate_presigned_url("list_objects_v2", Params={"Bucket": BUCKET})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url, timeout=5)
        self.assertEqual(cm.exception.code, 403)

    def test_static_key_with_token_rejected(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", token="bogus")
        self.assertEqual((st, code(body)), (400, "InvalidToken"))


class TestTemporaryCredentials(unittest.TestCase):
    def container_creds(self):
        req = urllib.request.Request(SI.url + "/__creds/container", headers={"Authorization": TOKEN})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def test_container_endpoint_token(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(SI.url + "/__creds/container", timeout=5)
        self.assertEqual(cm.exception.code, 403)
        c = self.container_creds()
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertRegex(c["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(c["Token"])

    def test_session_token_checks(self):
        c = self.container_creds()
        ak, sk, tok = c["AccessKeyId"], c["SecretAccessKey"], c["Token"]
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", ak=ak, sk=sk, token=tok)
        self.assertEqual(st, 200, body)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", ak=ak, sk=sk, token=tok + "x")
        self.assertEqual((st, code(body)), (400, "InvalidToken"))
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", ak=ak, sk=sk)
        self.assertEqual((st, code(body)), (400, "InvalidToken"))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "lambda", "eu-west-1", ak=ak, sk=sk, token="wrong").list_functions()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")
        ident = client(SI, "sts", ak=ak, sk=sk, token=tok).get_caller_identity()
        self.assertTrue(ident["Arn"].startswith("arn:aws:sts::%s:assumed-role/remotion-janitor-test-role/" % ACCOUNT))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "iam", ak=ak, sk=sk, token=tok).get_user()
        self.assertIn(cm.exception.response["Error"]["Code"], ("ValidationError",))

    def test_expiry_by_clock_and_by_control(self):
        c = self.container_creds()
        ak, sk, tok = c["AccessKeyId"], c["SecretAccessKey"], c["Token"]
        SI.control("POST", "clock", {"offset_s": 120})     # past the 60 s lifetime, within the skew window
        try:
            st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", ak=ak, sk=sk, token=tok)
            self.assertEqual((st, code(body)), (400, "ExpiredToken"))
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                client(SI, "lambda", "eu-west-1", ak=ak, sk=sk, token=tok).list_functions()
            self.assertEqual(cm.exception.response["Error"]["Code"], "ExpiredTokenException")
        finally:
            SI.control("POST", "clock", {"offset_s": 0})
        c = self.container_creds()
        st, _, _ = signed_request(SI, "s3", "us-east-1", "GET", "/", ak=c["AccessKeyId"], sk=c["SecretAccessKey"],
                                  token=c["Token"])
        self.assertEqual(st, 200)
        self.assertEqual(SI.control("POST", "expire-creds")[0], 200)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client(SI, "sts", ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"]).get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "ExpiredToken")

    def _with_env(self, env, fn):
        saved = dict(os.environ)
        try:
            os.environ.update(env)
            return fn(boto3.Session(region_name="us-east-1"))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_botocore_chain_container(self):
        from botocore.config import Config

        def run(sess):
            creds = sess.get_credentials()
            self.assertEqual(creds.method, "container-role")
            sts = sess.client("sts", endpoint_url=SI.url, config=Config(retries={"max_attempts": 1}))
            self.assertIn("assumed-role", sts.get_caller_identity()["Arn"])
        self._with_env({"AWS_CONTAINER_CREDENTIALS_FULL_URI": SI.url + "/__creds/container",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN}, run)

    def test_botocore_chain_imds(self):
        from botocore.config import Config

        def run(sess):
            creds = sess.get_credentials()
            self.assertEqual(creds.method, "iam-role")
            lam = sess.client("lambda", region_name="eu-west-1", endpoint_url=SI.url,
                              config=Config(retries={"max_attempts": 1}))
            self.assertEqual(len(lam.list_functions(MaxItems=3)["Functions"]), 3)
        self._with_env({"AWS_EC2_METADATA_DISABLED": "false",
                        "AWS_EC2_METADATA_SERVICE_ENDPOINT": SI.url + "/"}, run)
        log = SI.log()
        ops = [(e["service"], e["operation"], e["status"]) for e in log if e["service"] == "imds"]
        self.assertIn(("imds", "GetToken", 200), ops)
        self.assertIn(("imds", "GetRoleCredentials", 200), ops)

    def test_imds_rules(self):
        c = SI.conn()
        c.request("PUT", "/latest/api/token")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 400)
        c.request("GET", "/latest/meta-data/iam/security-credentials/")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 401)
        c.request("PUT", "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        r = c.getresponse()
        tok = r.read().decode()
        self.assertEqual(r.status, 200)
        c.request("GET", "/latest/meta-data/iam/security-credentials/", headers={"X-aws-ec2-metadata-token": tok})
        r = c.getresponse()
        self.assertEqual(r.read().decode(), "remotion-janitor-test-role")
        c.close()


class TestTLS(unittest.TestCase):
    def test_https_with_test_ca(self):
        if not shutil.which("openssl"):
            self.skipTest("openssl CLI not available")
        d = tempfile.mkdtemp(prefix="standin-ca-")
        try:
            subprocess.run(["sh", os.path.join(HERE, "make-test-ca.sh"), d], check=True, timeout=30)
            tls = {"cert": os.path.join(d, "server.pem"), "key": os.path.join(d, "server-key.pem"),
                   "ca": os.path.join(d, "ca.pem")}
            si = StandIn(fixture=small_fixture(), tls=tls)
            try:
                self.assertTrue(si.url.startswith("https://"))
                s3 = client(si, "s3", "us-east-1")
                self.assertEqual(len(s3.list_buckets()["Buckets"]), 4)
                from botocore.config import Config
                import boto3 as b3
                unsigned = b3.Session(aws_access_key_id="AKIDJANITORTEST",
                                      aws_secret_access_key="janitor/test+secret/NOT-A-REAL-KEY/00000",
                                      region_name="us-east-1").client(
                    "s3", endpoint_url=si.url, verify=tls["ca"],
                    config=Config(s3={"addressing_style": "path", "payload_signing_enabled": False},
                                  retries={"max_attempts": 1}))
                r = unsigned.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "renders/r003/out.mp4"}]})
                self.assertEqual(len(r["Deleted"]), 1)
                self.assertEqual(client(si, "lambda", "eu-west-1").list_functions(MaxItems=1)["Functions"][0]
                                 ["FunctionName"][:9], "Remotion-")
                # Without the CA the certificate is refused.
                with self.assertRaises(botocore.exceptions.SSLError):
                    b3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1").client(
                        "s3", endpoint_url=si.url, config=Config(retries={"max_attempts": 1})).list_buckets()
            finally:
                si.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
