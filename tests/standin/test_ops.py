#!/usr/bin/python3
"""boto3 against the stand-in: every operation the janitor uses, with the
wire shapes and paging of AWS."""
import hashlib
import base64
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import (StandIn, client, signed_request, small_fixture, ACCOUNT, SEED_AK, SEED_SK,  # noqa
                             seed_policy_path)

import botocore.exceptions  # noqa: E402

SI = None


def setUpModule():
    global SI
    args = []
    seed = seed_policy_path()
    if seed:
        args += ["--user", "seed-user:%s:%s:%s" % (SEED_AK, SEED_SK, seed)]
    SI = StandIn(*args, fixture=small_fixture())


def tearDownModule():
    assert SI.stop() == 0


def code_of(exc):
    return exc.response["Error"]["Code"]


class TestStartup(unittest.TestCase):
    def test_starts(self):
        # Reported, not asserted tightly (shared machines are noisy): only a
        # start-up that hangs fails.
        print("stand-in start-up: %.3f s" % SI.start_time, file=sys.stderr)
        # Start-up time is reported, not bounded (StandIn itself gives up
        # after 10 s, which only a hang reaches).
        print("stand-in started in %.2f s" % SI.start_time, file=sys.stderr)


class TestS3(unittest.TestCase):
    def test_list_buckets_plain(self):
        s3 = client(SI, "s3", "eu-central-1")       # any region may list
        r = s3.list_buckets()
        names = [b["Name"] for b in r["Buckets"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("remotionlambda-useast1-abcdefghij", names)
        self.assertEqual(r["Owner"]["DisplayName"], "janitor-test-owner")
        # Without max-buckets: no BucketRegion, no token (checked on the wire).
        st, h, body = signed_request(SI, "s3", "us-east-1", "GET", "/")
        self.assertEqual(st, 200)
        self.assertNotIn(b"BucketRegion", body)
        self.assertNotIn(b"ContinuationToken", body)
        self.assertIn(b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', body)
        self.assertIn("x-amz-request-id", h)
        self.assertIn("date", h)

    def test_list_buckets_paged_with_region(self):
        s3 = client(SI, "s3", "us-east-1")
        # botocore 1.29 does not model MaxBuckets: add the query before signing.
        state = {"token": None}

        def add_params(request, **kw):
            q = "max-buckets=2"
            if state["token"]:
                from urllib.parse import quote
                q += "&continuation-token=" + quote(state["token"], safe="")
            request.url += ("&" if "?" in request.url else "?") + q
        s3.meta.events.register("before-sign.s3.ListBuckets", add_params)
        seen = []
        raw_tokens = []

        def grab(http_response, **kw):
            body = http_response.content
            m = re.search(rb"<ContinuationToken>([^<]*)</ContinuationToken>", body)
            raw_tokens.append(m.group(1).decode() if m else None)
            seen.append(re.findall(rb"<BucketRegion>([^<]*)</BucketRegion>", body))
        s3.meta.events.register("after-call.s3.ListBuckets", grab)
        names = []
        for _ in range(10):
            r = s3.list_buckets()
            names += [b["Name"] for b in r["Buckets"]]
            state["token"] = raw_tokens[-1]
            if not state["token"]:
                break
        self.assertEqual(len(names), 4)
        self.assertEqual(len(seen), 2)
        self.assertEqual([len(p) for p in seen], [2, 2])
        self.assertIn(b"us-east-1", seen[0] + seen[1])
        tok = raw_tokens[0]
        self.assertTrue("+" in tok and "/" in tok and tok.endswith("="), tok)

    def test_bad_continuation_token(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", "continuation-token=bogus&max-buckets=1")
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>InvalidArgument</Code>", body)

    def test_get_bucket_location(self):
        s3 = client(SI, "s3", "us-east-1")
        self.assertIsNone(s3.get_bucket_location(Bucket="remotionlambda-useast1-abcdefghij").get("LocationConstraint"))
        self.assertEqual(s3.get_bucket_location(Bucket="remotionlambda-euwest1-0123456789")["LocationConstraint"], "EU")
        self.assertEqual(s3.get_bucket_location(Bucket="remotion-legacy-bucket")["LocationConstraint"], "eu-central-1")
        st, _, body = signed_request(SI, "s3", "ap-south-1", "GET", "/remotionlambda-useast1-abcdefghij",
                                     "location")
        self.assertEqual(st, 200)
        self.assertIn(b"<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>",
                      body)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            s3.get_bucket_location(Bucket="no-such-bucket-here")
        self.assertEqual(code_of(cm.exception), "NoSuchBucket")

    def test_head_bucket_and_wrong_region(self):
        st, h, _ = signed_request(SI, "s3", "eu-west-1", "HEAD", "/remotionlambda-euwest1-0123456789")
        self.assertEqual(st, 200)
        self.assertEqual(h["x-amz-bucket-region"], "eu-west-1")
        st, h, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotionlambda-euwest1-0123456789",
                                     "versions")
        self.assertEqual(st, 301)
        self.assertEqual(h["x-amz-bucket-region"], "eu-west-1")
        self.assertIn(b"<Code>PermanentRedirect</Code>", body)
        # boto3 follows the redirect by itself.
        s3 = client(SI, "s3", "us-east-1")
        r = s3.list_object_versions(Bucket="remotionlambda-euwest1-0123456789", MaxKeys=5)
        self.assertEqual(len(r["Versions"]), 5)

    def test_wrong_region_400_mode(self):
        SI.faults([], settings={"s3_wrong_region": 400})
        try:
            st, h, body = signed_request(SI, "s3", "us-west-2", "GET", "/remotion-legacy-bucket", "list-type=2")
            self.assertEqual(st, 400)
            self.assertIn(b"<Code>AuthorizationHeaderMalformed</Code>", body)
            self.assertIn(b"<Region>eu-central-1</Region>", body)
            self.assertEqual(h["x-amz-bucket-region"], "eu-central-1")
            r = client(SI, "s3", "us-west-2").list_objects_v2(Bucket="remotion-legacy-bucket")
            self.assertEqual(r["KeyCount"], 2)
        finally:
            SI.faults([], settings={"s3_wrong_region": 301})

    def test_list_object_versions_paging(self):
        s3 = client(SI, "s3", "us-east-1")
        b = "remotionlambda-useast1-abcdefghij"
        items = []
        kw = {"Bucket": b, "MaxKeys": 7}
        pages = 0
        while True:
            r = s3.list_object_versions(**kw)
            pages += 1
            for v in r.get("Versions", []):
                items.append((v["Key"], v["VersionId"], False, v["IsLatest"]))
            for m in r.get("DeleteMarkers", []):
                items.append((m["Key"], m["VersionId"], True, m["IsLatest"]))
            if not r["IsTruncated"]:
                break
            kw["KeyMarker"] = r["NextKeyMarker"]
            kw["VersionIdMarker"] = r["NextVersionIdMarker"]
        # 30 keys x 2 versions + 10 delete markers + 2 unversioned-style keys (2 versions each: default 1)
        self.assertEqual(len(items), 30 * 2 + 10 + 2)
        self.assertGreater(pages, 5)
        self.assertEqual(len(set((k, v) for k, v, _, _ in items)), len(items))
        keys = {k for k, _, _, _ in items}
        self.assertIn("renders/a b+c%d&e<f>.json", keys)      # url-encoding round trip
        self.assertIn("sites/\u00fcber/x.txt", keys)
        self.assertTrue(all(latest for k, v, m, latest in items if m))

    def test_list_object_versions_encoding_on_wire(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotionlambda-useast1-abcdefghij",
                                     "versions&encoding-type=url&prefix=renders%2Fa")
        self.assertEqual(st, 200)
        self.assertIn(b"<Key>renders/a+b%2Bc%25d%26e%3Cf%3E.json</Key>", body)
        self.assertIn(b"<EncodingType>url</EncodingType>", body)

    def test_version_marker_validation(self):
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotionlambda-useast1-abcdefghij",
                                     "versions&version-id-marker=abc")
        self.assertEqual(st, 400)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotionlambda-useast1-abcdefghij",
                                     "versions&key-marker=a&version-id-marker=nope")
        self.assertEqual(st, 400)
        self.assertIn(b"Invalid version id", body)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotionlambda-useast1-abcdefghij",
                                     "versions&max-keys=-1")
        self.assertEqual(st, 400)

    def test_list_objects_v2_paging_and_stable_tokens(self):
        s3 = client(SI, "s3", "eu-west-1")
        b = "remotionlambda-euwest1-0123456789"
        r1 = s3.list_objects_v2(Bucket=b)
        self.assertEqual(r1["KeyCount"], 1000)
        self.assertTrue(r1["IsTruncated"])
        tok = r1["NextContinuationToken"]
        self.assertTrue("+" in tok and "/" in tok and tok.endswith("="))
        r2 = s3.list_objects_v2(Bucket=b, ContinuationToken=tok, MaxKeys=10)
        self.assertEqual(r2["KeyCount"], 10)
        self.assertEqual(r2["Contents"][0]["Key"], "renders/g001000/out.mp4")

    def test_markers_prefix_and_delimiter_like_s3(self):
        """start-after / key-marker take any string and start strictly
        after it; prefix and delimiter (CommonPrefixes) page as S3 does;
        compared with a model over a random key set."""
        import random
        rng = random.Random(5)
        keys = sorted({"".join(rng.choice("ab/\u00e9z") for _ in range(rng.randint(1, 6))) for _ in range(300)})
        st = SI.control("POST", "fixture", {"buckets": [
            {"name": "remotion-markers", "region": "eu-central-1", "versioning": "Enabled",
             "objects": [{"key": k, "versions": 1 + i % 3} for i, k in enumerate(keys)]}],
            "functions": [], "layers": []})
        self.assertEqual(st[0], 200)
        s3 = client(SI, "s3", "eu-central-1")
        b = "remotion-markers"
        utf8 = sorted(keys, key=lambda k: k.encode())
        self.assertEqual(utf8, keys)          # code point order == UTF-8 byte order
        try:
            for marker in ("", "a", "a/", "ab\u00e9", "b0", "z" * 9, "\u00e9\u00e9"):
                got = []
                kw = {"Bucket": b, "MaxKeys": 7}
                if marker:
                    kw["StartAfter"] = marker
                while True:
                    r = s3.list_objects_v2(**kw)
                    got += [o["Key"] for o in r.get("Contents", [])]
                    if not r["IsTruncated"]:
                        break
                    kw = {"Bucket": b, "MaxKeys": 7, "ContinuationToken": r["NextContinuationToken"]}
                self.assertEqual(got, [k for k in keys if k > marker], marker)
                # ListObjectVersions: key-marker, every version of each key after it.
                vs, kw = [], {"Bucket": b, "MaxKeys": 5}
                if marker:
                    kw["KeyMarker"] = marker
                while True:
                    r = s3.list_object_versions(**kw)
                    vs += [v["Key"] for v in r.get("Versions", [])]
                    if not r["IsTruncated"]:
                        break
                    self.assertIn(r["NextKeyMarker"], keys)       # a real key
                    kw = {"Bucket": b, "MaxKeys": 5, "KeyMarker": r["NextKeyMarker"],
                          "VersionIdMarker": r["NextVersionIdMarker"]}
                self.assertEqual(vs, [k for i, k in enumerate(keys) if k > marker for _ in range(1 + i % 3)])
            for prefix in ("", "a", "a/", "b/a"):
                got, cps = [], []
                kw = {"Bucket": b, "MaxKeys": 3, "Delimiter": "/"}
                if prefix:
                    kw["Prefix"] = prefix
                while True:
                    r = s3.list_objects_v2(**kw)
                    got += [o["Key"] for o in r.get("Contents", [])]
                    cps += [c["Prefix"] for c in r.get("CommonPrefixes", [])]
                    self.assertLessEqual(r["KeyCount"], 3)
                    if not r["IsTruncated"]:
                        break
                    kw = dict(kw, ContinuationToken=r["NextContinuationToken"])
                under = [k for k in keys if k.startswith(prefix)]
                want_cps = sorted({k[:k.index("/", len(prefix)) + 1] for k in under if "/" in k[len(prefix):]})
                self.assertEqual(sorted(cps), want_cps, prefix)
                self.assertEqual(len(cps), len(set(cps)))
                self.assertEqual(got, [k for k in under if "/" not in k[len(prefix):]], prefix)
        finally:
            SI.control("POST", "fixture", small_fixture())

    def test_delete_objects_versioned_creates_markers_and_bucket_lifecycle(self):
        s3 = client(SI, "s3", "eu-central-1")
        st = SI.control("POST", "fixture", {"buckets": [
            {"name": "remotion-lifecycle", "region": "eu-central-1", "versioning": "Enabled", "website": True,
             "objects": [{"key": "k%d" % i, "versions": 2} for i in range(5)]}],
            "functions": [], "layers": []})
        self.assertEqual(st[0], 200)
        try:
            b = "remotion-lifecycle"
            # DeleteObjects without VersionId on a versioned bucket adds delete markers.
            r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k0"}, {"Key": "k1"}]})
            self.assertEqual(len(r["Deleted"]), 2)
            self.assertTrue(all(d["DeleteMarker"] for d in r["Deleted"]))
            self.assertTrue(all(d["DeleteMarkerVersionId"] for d in r["Deleted"]))
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                s3.delete_bucket(Bucket=b)
            self.assertEqual(code_of(cm.exception), "BucketNotEmpty")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 409)
            s3.delete_bucket_website(Bucket=b)
            # Now every version and marker, by VersionId, quietly.
            vs = s3.list_object_versions(Bucket=b)
            objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in vs.get("Versions", []) + vs.get("DeleteMarkers", [])]
            self.assertEqual(len(objs), 12)
            r = s3.delete_objects(Bucket=b, Delete={"Objects": objs, "Quiet": True})
            self.assertNotIn("Deleted", r)
            self.assertNotIn("Errors", r)
            s3.delete_bucket(Bucket=b)
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                s3.delete_bucket(Bucket=b)
            self.assertEqual(code_of(cm.exception), "NoSuchBucket")
        finally:
            SI.control("POST", "fixture", small_fixture())

    def test_delete_objects_limits(self):
        b = "remotionlambda-euwest1-0123456789"
        body = ("<Delete>" + "".join("<Object><Key>k%d</Key></Object>" % i for i in range(1001))
                + "</Delete>").encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        st, _, data = signed_request(SI, "s3", "eu-west-1", "POST", "/" + b, "delete", body,
                                     {"Content-MD5": md5})
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>MalformedXML</Code>", data)
        body = b"<Delete><Object><Key>x</Key></Object"
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        st, _, data = signed_request(SI, "s3", "eu-west-1", "POST", "/" + b, "delete", body, {"Content-MD5": md5})
        self.assertEqual(st, 400)

    def test_delete_object_and_unversioned_delete(self):
        s3 = client(SI, "s3", "eu-central-1")
        s3.delete_object(Bucket="remotion-legacy-bucket", Key="a.txt")
        r = s3.list_objects_v2(Bucket="remotion-legacy-bucket")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["b.txt"])
        r = s3.list_object_versions(Bucket="remotion-legacy-bucket")
        self.assertEqual([v["VersionId"] for v in r["Versions"]], ["null"])
        SI.control("POST", "fixture", small_fixture())


class TestLambda(unittest.TestCase):
    def test_list_functions_pages(self):
        lam = client(SI, "lambda", "eu-west-1")
        names, pages, markers = [], 0, []
        kw = {}
        while True:
            r = lam.list_functions(**kw)
            pages += 1
            self.assertLessEqual(len(r["Functions"]), 50)
            names += [f["FunctionName"] for f in r["Functions"]]
            m = r.get("NextMarker")
            if not m:
                break
            markers.append(m)
            kw["Marker"] = m
        self.assertGreaterEqual(pages, 3)
        self.assertEqual(len(names), 122)
        self.assertEqual(len(set(names)), 122)
        self.assertTrue(any("+" in m for m in markers) and all(m.endswith("=") for m in markers))
        f = lam.list_functions(MaxItems=1)["Functions"][0]
        self.assertRegex(f["LastModified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
        self.assertTrue(f["FunctionArn"].startswith("arn:aws:lambda:eu-west-1:%s:function:" % ACCOUNT))
        # MaxItems above 50 still gives 50.
        self.assertEqual(len(lam.list_functions(MaxItems=500)["Functions"]), 50)

    def test_marker_stable_when_items_deleted(self):
        lam = client(SI, "lambda", "eu-west-1")
        r1 = lam.list_functions(MaxItems=10)
        # Delete the last listed function and the next few: the marker still works.
        for f in r1["Functions"][-1:]:
            lam.delete_function(FunctionName=f["FunctionName"])
        r2 = lam.list_functions(MaxItems=10, Marker=r1["NextMarker"])
        self.assertGreater(r2["Functions"][0]["FunctionName"], r1["Functions"][-1]["FunctionName"])
        SI.control("POST", "fixture", small_fixture())

    def test_delete_function(self):
        lam = client(SI, "lambda", "us-east-1")
        st, h, body = signed_request(SI, "lambda", "us-east-1", "DELETE", "/2015-03-31/functions/remotion-render-abc")
        self.assertEqual(st, 204)
        self.assertIn("x-amzn-requestid", h)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            lam.delete_function(FunctionName="remotion-render-abc")
        self.assertEqual(code_of(cm.exception), "ResourceNotFoundException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"],
                         "ResourceNotFoundException")
        SI.control("POST", "fixture", small_fixture())

    def test_delete_function_by_arn(self):
        lam = client(SI, "lambda", "us-east-1")
        lam.delete_function(FunctionName="arn:aws:lambda:us-east-1:%s:function:remotion-render-abc" % ACCOUNT)
        self.assertNotIn("remotion-render-abc", [f["name"] for f in SI.state()["functions"]])
        SI.control("POST", "fixture", small_fixture())

    def test_layers(self):
        lam = client(SI, "lambda", "eu-west-1")
        layers = lam.list_layers()["Layers"]
        self.assertEqual([l["LayerName"] for l in layers], ["other-layer", "remotion-binaries-arm64"])
        latest = layers[1]["LatestMatchingVersion"]
        self.assertEqual(latest["Version"], 5)
        self.assertRegex(latest["CreatedDate"], r"\.\d{3}\+0000$")
        vers = lam.list_layer_versions(LayerName="remotion-binaries-arm64")["LayerVersions"]
        self.assertEqual([v["Version"] for v in vers], [5, 4, 3, 2, 1])
        p1 = lam.list_layer_versions(LayerName="remotion-binaries-arm64", MaxItems=2)
        p2 = lam.list_layer_versions(LayerName="remotion-binaries-arm64", MaxItems=2, Marker=p1["NextMarker"])
        self.assertEqual([v["Version"] for v in p2["LayerVersions"]], [3, 2])
        g = lam.get_layer_version(LayerName="remotion-binaries-arm64", VersionNumber=3)
        self.assertEqual(g["Version"], 3)
        self.assertIn("Content", g)
        lam.delete_layer_version(LayerName="remotion-binaries-arm64", VersionNumber=3)
        lam.delete_layer_version(LayerName="remotion-binaries-arm64", VersionNumber=3)   # again: still 204
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            lam.get_layer_version(LayerName="remotion-binaries-arm64", VersionNumber=3)
        self.assertEqual(code_of(cm.exception), "ResourceNotFoundException")
        for v in (1, 2, 4, 5):
            lam.delete_layer_version(LayerName="remotion-binaries-arm64", VersionNumber=v)
        self.assertEqual([l["LayerName"] for l in lam.list_layers()["Layers"]], ["other-layer"])
        SI.control("POST", "fixture", small_fixture())

    def test_disabled_region(self):
        lam = client(SI, "lambda", "ap-southeast-4")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            lam.list_functions()
        self.assertEqual(code_of(cm.exception), "UnrecognizedClientException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)


class TestIdentity(unittest.TestCase):
    def test_get_caller_identity(self):
        r = client(SI, "sts", "eu-west-1").get_caller_identity()
        self.assertEqual(r["Account"], ACCOUNT)
        self.assertEqual(r["Arn"], "arn:aws:iam::%s:user/janitor-test" % ACCOUNT)
        self.assertEqual(r["UserId"], "AIDAJANITORTEST00000")

    def test_get_user(self):
        if seed_policy_path() is None:
            self.skipTest("seed policy not available")
        iam = client(SI, "iam", ak=SEED_AK, sk=SEED_SK)
        u = iam.get_user()["User"]
        self.assertEqual(u["UserName"], "seed-user")
        self.assertEqual(u["Arn"], "arn:aws:iam::%s:user/seed-user" % ACCOUNT)
        # The seed policy allows GetUser only on the caller itself.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            iam.get_user(UserName="janitor-test")
        self.assertEqual(code_of(cm.exception), "AccessDenied")

    def test_simulate_principal_policy_paging(self):
        iam = client(SI, "iam")
        actions = ["s3:ListAllMyBuckets", "s3:DeleteBucket", "lambda:DeleteFunction", "lambda:ListFunctions",
                   "iam:GetUser"]
        resources = ["arn:aws:s3:::remotionlambda-x", "arn:aws:lambda:eu-west-1:%s:function:remotion-render-a"
                     % ACCOUNT]
        results, marker, pages = [], None, 0
        while True:
            kw = {"PolicySourceArn": "arn:aws:iam::%s:user/janitor-test" % ACCOUNT, "ActionNames": actions,
                  "ResourceArns": resources, "MaxItems": 3}
            if marker:
                kw["Marker"] = marker
            r = iam.simulate_principal_policy(**kw)
            pages += 1
            results += r["EvaluationResults"]
            if not r["IsTruncated"]:
                break
            marker = r["Marker"]
        self.assertEqual(pages, 4)
        self.assertEqual(len(results), 10)
        d = {(x["EvalActionName"], x["EvalResourceName"]): x["EvalDecision"] for x in results}
        self.assertEqual(d[("s3:DeleteBucket", resources[0])], "allowed")
        self.assertEqual(d[("s3:DeleteBucket", resources[1])], "implicitDeny")
        self.assertEqual(d[("lambda:DeleteFunction", resources[1])], "allowed")
        self.assertEqual(d[("iam:GetUser", resources[0])], "implicitDeny")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            iam.simulate_principal_policy(PolicySourceArn="arn:aws:sts::%s:assumed-role/r/s" % ACCOUNT,
                                          ActionNames=["s3:ListBucket"])
        self.assertEqual(code_of(cm.exception), "InvalidInput")


class TestWireDetails(unittest.TestCase):
    def test_every_answer_has_date_and_request_id(self):
        for svc, region, method, path, q, idh in [
                ("s3", "us-east-1", "GET", "/", "", "x-amz-request-id"),
                ("s3", "us-east-1", "GET", "/nope-bucket", "location", "x-amz-request-id"),
                ("lambda", "eu-west-1", "GET", "/2015-03-31/functions/", "", "x-amzn-requestid"),
                ("lambda", "eu-west-1", "DELETE", "/2015-03-31/functions/none", "", "x-amzn-requestid"),
                ("lambda", "ap-southeast-5", "GET", "/2018-10-31/layers", "", "x-amzn-requestid")]:
            st, h, _ = signed_request(SI, svc, region, method, path, q)
            self.assertIn(idh, h, (svc, path))
            self.assertIn("date", h)
            self.assertRegex(h["date"], r"GMT$")

    def test_lambda_error_shape(self):
        st, h, body = signed_request(SI, "lambda", "eu-west-1", "DELETE", "/2015-03-31/functions/remotion-none")
        self.assertEqual(st, 404)
        import json
        d = json.loads(body)
        self.assertEqual(d["Type"], "User")
        self.assertIn("Function not found", d["message"])
        self.assertEqual(h["x-amzn-errortype"], "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
