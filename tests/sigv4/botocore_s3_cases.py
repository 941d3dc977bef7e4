#!/usr/bin/python3
# Where the expected values of the "boto-s3-*" cases in tests/test_sigv4.c
# come from: the same requests signed by an independent implementation,
# botocore's S3SigV4Auth, at a fixed clock.  Run once by hand (Debian's
# python3-botocore, so /usr/bin/python3, not a pyenv python3) and paste the
# canonical request, string to sign and signature into the table; the C
# test never needs python.  Checked with botocore 1.29.27.
#
#   /usr/bin/python3 tests/sigv4/botocore_s3_cases.py
import base64
import datetime
import hashlib
import json

import botocore.auth as A
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.config import Config


# botocore reads the clock with datetime.datetime.utcnow(): fix it.
class FakeDT(datetime.datetime):
    NOW = None

    @classmethod
    def utcnow(cls):
        return cls.NOW


class FakeMod:
    datetime = FakeDT


A.datetime = FakeMod

TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtestTOKEN+/=="
cases = [
  dict(name="s3-space-plus-percent-unsigned-token",
       method="GET", host="remotionlambda-useast1-abcdef1234.s3.us-east-1.amazonaws.com",
       path="/renders/a%20b%2Bc%25d", query="", headers=[], body=b"",
       akid="ASIAEXAMPLEJANITOR01", secret="janitorTestSecret/with+chars=0123456789ab",
       token=TOKEN, region="us-east-1", when=(2024,3,1,12,0,0), unsigned=True),
  dict(name="s3-reserved-and-unicode",
       method="GET", host="remotionlambda-euwest1-xyz.s3.eu-west-1.amazonaws.com",
       path="/renders/x%26y%3Cz%3E%3D%3F%23/%C3%BC%20%D1%84%20%F0%9F%8E%AC.mp4", query="",
       headers=[("Range", "bytes=0-99")], body=b"",
       akid="AKIAEXAMPLEJANITOR02", secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
       token=None, region="eu-west-1", when=(2025,12,31,23,59,59), unsigned=False),
  dict(name="s3-dot-segments-not-normalized",
       method="DELETE", host="s3.eu-central-1.amazonaws.com",
       path="/remotionlambda-eucentral1-q1w2e3/a/../b/./c//d", query="versionId=3%2FL4kqtJlcpXroDTDmJ%2Brmsy",
       headers=[], body=b"",
       akid="AKIAEXAMPLEJANITOR03", secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
       token=None, region="eu-central-1", when=(2023,6,15,8,30,0), unsigned=True),
  dict(name="s3-delete-objects-signed-body-token",
       method="POST", host="remotionlambda-apsoutheast2-zz9.s3.ap-southeast-2.amazonaws.com",
       path="/", query="delete",
       # None: botocore's Content-MD5 of the body, computed below.
       headers=[("Content-Type", "application/xml"), ("Content-MD5", None)],
       body=b'<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>renders/a b+c%d&lt;e</Key></Object></Delete>',
       akid="ASIAEXAMPLEJANITOR04", secret="janitorTestSecret/with+chars=0123456789ab",
       token=TOKEN, region="ap-southeast-2", when=(2024,2,29,0,0,1), unsigned=False),
  dict(name="s3-list-objects-v2-query",
       method="GET", host="remotionlambda-useast2-abc.s3.us-east-2.amazonaws.com",
       path="/", query="list-type=2&prefix=renders%2Fa%20b&continuation-token=1%2Bab%2Fcd%3D%3D&max-keys=1000&encoding-type=url",
       headers=[], body=b"",
       akid="AKIAEXAMPLEJANITOR05", secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
       token=None, region="us-east-2", when=(2024,7,4,17,45,30), unsigned=True),
]
out = []
for c in cases:
    FakeDT.NOW = FakeDT(*c["when"])
    url = "https://%s%s" % (c["host"], c["path"]) + ("?" + c["query"] if c["query"] else "")
    headers = {}
    for k, v in c["headers"]:
        if v is None:
            v = base64.b64encode(hashlib.md5(c["body"]).digest()).decode()
        headers[k] = v
    req = AWSRequest(method=c["method"], url=url, headers=headers, data=c["body"])
    creds = Credentials(c["akid"], c["secret"], c["token"])
    auth = A.S3SigV4Auth(creds, "s3", c["region"])
    # UNSIGNED-PAYLOAD or the body's SHA-256, as the case says.
    req.context["client_config"] = Config(s3={"payload_signing_enabled": not c["unsigned"]})
    auth.add_auth(req)
    # Recompute the canonical request as it was before Authorization was
    # added, so that it can be compared with ours.
    authz = req.headers["Authorization"]
    del req.headers["Authorization"]
    cr = auth.canonical_request(req)
    sts = auth.string_to_sign(req, cr)
    out.append(dict(name=c["name"], url=url, headers=dict(req.headers), canonical_request=cr,
                    string_to_sign=sts, authorization=authz))
print(json.dumps(out, indent=1))
