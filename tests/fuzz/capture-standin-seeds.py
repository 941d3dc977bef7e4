#!/usr/bin/python3
"""Capture real answers of the stand-in as fuzz seeds (issue 7: seed corpora
from the stand-in's answers).  Each seed is the selector byte the target
expects followed by the exact body the stand-in sent.  Run from anywhere:

    /usr/bin/python3 tests/fuzz/capture-standin-seeds.py

It starts the stand-in on 127.0.0.1 with a small fixture, makes one signed
request per answer shape (botocore signs them), and writes
tests/fuzz/corpus/<target>/standin-<name>.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "standin"))
import standin_testlib as st  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")


def save(target, name, sel, body):
    path = os.path.join(CORPUS, target, "standin-" + name)
    with open(path, "wb") as f:
        f.write(sel + body)
    print("%s: %d bytes" % (os.path.relpath(path, HERE), len(body) + 1))


def main():
    fx = st.small_fixture()
    si = st.StandIn(fixture=fx)
    try:
        def get(svc, region, method, path, query="", body=b"", headers=None, ak=st.TEST_AK, sk=st.TEST_SK):
            status, hdrs, data = st.signed_request(si, svc, region, method, path, query, body, headers,
                                                   ak=ak, sk=sk)
            return status, hdrs, data

        # S3 ('0' ListBuckets, '1' versions, '2' v2, '3' DeleteObjects, '4' location, '5' error)
        save("s3_xml", "list_buckets", b"0", get("s3", "us-east-1", "GET", "/", "max-buckets=1000")[2])
        b = "remotionlambda-useast1-abcdefghij"
        save("s3_xml", "list_versions", b"1",
             get("s3", "us-east-1", "GET", "/" + b, "max-keys=7&versions=")[2])
        save("s3_xml", "list_objects_v2", b"2",
             get("s3", "eu-west-1", "GET", "/remotionlambda-euwest1-0123456789", "list-type=2&max-keys=5")[2])
        save("s3_xml", "location", b"4", get("s3", "us-east-1", "GET", "/" + b, "location=")[2])
        save("s3_xml", "error_nosuchbucket", b"5",
             get("s3", "us-east-1", "GET", "/remotion-does-not-exist", "versions=")[2])
        body = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.txt</Key></Object>'
                b'<Object><Key>nope</Key><VersionId>zzz</VersionId></Object></Delete>')
        import base64
        import hashlib
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        save("s3_xml", "delete_result", b"3",
             get("s3", "eu-central-1", "POST", "/remotion-legacy-bucket", "delete=", body,
                 {"Content-MD5": md5})[2])

        # Lambda ('0' functions, '1' layers, '2' versions, '3' get version, '4' error body)
        save("lambda_json", "list_functions", b"0",
             get("lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "MaxItems=3")[2])
        save("lambda_json", "list_layers", b"1", get("lambda", "eu-west-1", "GET", "/2018-10-31/layers")[2])
        lv = "/2018-10-31/layers/remotion-binaries-arm64/versions"
        save("lambda_json", "list_layer_versions", b"2", get("lambda", "eu-west-1", "GET", lv, "MaxItems=2")[2])
        save("lambda_json", "get_layer_version", b"3", get("lambda", "eu-west-1", "GET", lv + "/2")[2])
        save("lambda_json", "error_not_found", b"4",
             get("lambda", "eu-west-1", "DELETE", "/2015-03-31/functions/remotion-render-missing")[2])
        save("lambda_json", "error_disabled", b"4",
             get("lambda", "ap-southeast-4", "GET", "/2015-03-31/functions/")[2])

        # STS/IAM ('0' identity, '1' simulate, '2' GetUser, '3' error)
        form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        save("query_xml", "caller_identity", b"0",
             get("sts", "us-east-1", "POST", "/", "", b"Action=GetCallerIdentity&Version=2011-06-15", form)[2])
        arn = "arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fjanitor-test"
        save("query_xml", "simulate", b"1",
             get("iam", "us-east-1", "POST", "/", "",
                 ("Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=%s"
                  "&ActionNames.member.1=s3%%3AListBucketVersions&ActionNames.member.2=iam%%3ACreateUser"
                  "&ResourceArns.member.1=arn%%3Aaws%%3As3%%3A%%3A%%3Aremotion-x" % arn).encode(), form)[2])
        save("query_xml", "get_user", b"2",
             get("iam", "us-east-1", "POST", "/", "", b"Action=GetUser&Version=2010-05-08", form)[2])
        save("query_xml", "error_signature", b"3",
             get("sts", "us-east-1", "POST", "/", "", b"Action=GetCallerIdentity&Version=2011-06-15", form,
                 sk="wrong/secret/NOT-A-REAL-KEY/000000000000")[2])
    finally:
        si.stop()


if __name__ == "__main__":
    main()
