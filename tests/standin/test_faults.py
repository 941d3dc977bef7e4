#!/usr/bin/python3
"""Every fault kind, injected latency, and the request log."""
import base64
import hashlib
import http.client
import json
import os
import re
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testlib import StandIn, client, signed_request, small_fixture, TEST_AK, TEST_SK  # noqa: E402

import botocore.exceptions  # noqa: E402

SI = None
B_US = "remotionlambda-useast1-abcdefghij"


def setUpModule():
    global SI
    SI = StandIn("--temp-creds-ttl", "600", fixture=small_fixture())


def tearDownModule():
    SI.stop()


def code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


def lam_list(region="eu-west-1", q="MaxItems=5"):
    return signed_request(SI, "lambda", region, "GET", "/2015-03-31/functions/", q)


def raw_send(si, service, region, method, path, query=""):
    """Send a signed request on a raw socket; return everything read until close/reset."""
    from botocore.auth import SigV4Auth, S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = si.url + path + ("?" + query if query else "")
    req = AWSRequest(method=method, url=url, data=b"")
    (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(TEST_AK, TEST_SK), service, region).add_auth(req)
    hdrs = "".join("%s: %s\r\n" % kv for kv in req.headers.items())
    s = socket.create_connection(("127.0.0.1", si.port), timeout=5)
    s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n" % (method, path + ("?" + query if query else ""),
                                                                   si.port, hdrs)).encode())
    data = b""
    err = None
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError as e:
        err = e
    s.close()
    return data, err


class FaultCase(unittest.TestCase):
    def setUp(self):
        SI.faults([], settings={"s3_wrong_region": 301})
        SI.control("POST", "clock", {"offset_s": 0})

    def tearDown(self):
        SI.faults([])
        SI.control("POST", "clock", {"offset_s": 0})
        SI.control("POST", "latency", {"ms": 0})


class TestErrorFaults(FaultCase):
    def test_500_503_with_count(self):
        SI.faults([{"kind": "error", "status": 500, "service": "s3", "operation": "ListObjectVersions", "count": 2},
                   {"kind": "error", "status": 503, "service": "lambda", "region": "eu-west-1", "count": 1}])
        for _ in range(2):
            st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/" + B_US, "versions")
            self.assertEqual((st, code(body)), (500, "InternalError"))
        st, _, _ = signed_request(SI, "s3", "us-east-1", "GET", "/" + B_US, "versions")
        self.assertEqual(st, 200)
        st, h, body = lam_list("us-east-1")                  # other region: untouched
        self.assertEqual(st, 200)
        st, h, body = lam_list()
        self.assertEqual(st, 503)
        self.assertEqual(h["x-amzn-errortype"], "ServiceException")
        self.assertEqual(lam_list()[0], 200)
        d = SI.control("GET", "faults")[1]
        self.assertEqual([f["fired"] for f in d["faults"]], [2, 1])

    def test_throttling_per_service(self):
        SI.faults([{"kind": "throttle", "service": "lambda", "retry_after": 3},
                   {"kind": "throttle", "service": "s3"},
                   {"kind": "throttle", "service": "iam"}])
        st, h, body = lam_list()
        self.assertEqual((st, h["x-amzn-errortype"], h["retry-after"]), (429, "TooManyRequestsException", "3"))
        self.assertEqual(json.loads(body)["Reason"], "CallerRateLimitExceeded")
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/")
        self.assertEqual((st, code(body)), (503, "SlowDown"))
        st, _, body = signed_request(SI, "iam", "us-east-1", "POST", "/",
                                     body=b"Action=GetUser&Version=2010-05-08",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((st, code(body)), (400, "Throttling"))

    def test_boto3_retries_through_throttling(self):
        SI.faults([{"kind": "throttle", "service": "lambda", "operation": "ListLayers", "count": 2,
                    "retry_after": 0}])
        lam = client(SI, "lambda", "eu-west-1", retries=5)
        self.assertEqual(len(lam.list_layers()["Layers"]), 2)
        log = [e for e in SI.log() if e["operation"] == "ListLayers"][-3:]
        self.assertEqual([e["status"] for e in log], [429, 429, 200])

    def test_probability_and_after(self):
        SI.faults([{"kind": "error", "status": 500, "service": "lambda", "probability": 0.5}])
        results = [lam_list()[0] for _ in range(40)]
        n = results.count(500)
        self.assertTrue(5 <= n <= 35, n)
        SI.faults([{"kind": "error", "status": 503, "service": "lambda", "after": 2, "count": 1}])
        self.assertEqual([lam_list()[0] for _ in range(4)], [200, 200, 503, 200])

    def test_error200(self):
        SI.faults([{"kind": "error200", "service": "s3", "operation": "DeleteObjects"}])
        body = b"<Delete><Object><Key>renders/r005/out.mp4</Key></Object></Delete>"
        st, _, data = signed_request(SI, "s3", "us-east-1", "POST", "/" + B_US, "delete", body,
                                     {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
        self.assertEqual(st, 200)
        self.assertIn(b"<Error><Code>InternalError</Code>", data)

    def test_malformed(self):
        SI.faults([{"kind": "malformed", "service": "lambda", "operation": "ListFunctions"},
                   {"kind": "malformed", "service": "s3", "operation": "ListBuckets"}])
        st, _, body = lam_list()
        self.assertEqual(st, 200)
        with self.assertRaises(ValueError):
            json.loads(body)
        from botocore.parsers import ResponseParserError
        with self.assertRaises(ResponseParserError):
            client(SI, "s3").list_buckets()

    def test_targeted_fault(self):
        SI.faults([{"kind": "error", "status": 500, "service": "s3", "target": "remotion-legacy-*", "count": 5}])
        self.assertEqual(signed_request(SI, "s3", "us-east-1", "GET", "/" + B_US, "list-type=2")[0], 200)
        self.assertEqual(signed_request(SI, "s3", "eu-central-1", "GET", "/remotion-legacy-bucket",
                                        "list-type=2")[0], 500)


class TestTransportFaults(FaultCase):
    def test_reset_mid_body(self):
        SI.faults([{"kind": "reset", "service": "lambda", "operation": "ListFunctions"}])
        data, err = raw_send(SI, "lambda", "eu-west-1", "GET", "/2015-03-31/functions/")
        self.assertIsInstance(err, ConnectionResetError)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        clen = int(re.search(rb"Content-Length: (\d+)", data).group(1))
        self.assertLess(len(data.split(b"\r\n\r\n", 1)[1]), clen)

    def test_reset_still_executes(self):
        SI.faults([{"kind": "reset", "service": "lambda", "operation": "DeleteFunction"}])
        lam = client(SI, "lambda", "us-east-1")
        with self.assertRaises(botocore.exceptions.BotoCoreError):
            lam.delete_function(FunctionName="remotion-render-abc")
        self.assertNotIn("remotion-render-abc", [f["name"] for f in SI.state()["functions"]])
        SI.control("POST", "fixture", small_fixture())

    def test_truncated_body(self):
        SI.faults([{"kind": "truncate", "service": "s3", "operation": "ListBuckets"}])
        with self.assertRaises(http.client.IncompleteRead):
            signed_request(SI, "s3", "us-east-1", "GET", "/")

    def test_stall(self):
        SI.faults([{"kind": "stall", "seconds": 0.6, "service": "lambda", "operation": "ListLayers"}])
        t0 = time.time()
        st, _, _ = signed_request(SI, "lambda", "eu-west-1", "GET", "/2018-10-31/layers")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.time() - t0, 0.55)
        SI.faults([{"kind": "stall", "seconds": 2, "service": "lambda", "operation": "ListLayers"}])
        lam = client(SI, "lambda", "eu-west-1", read_timeout=0.3)
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            lam.list_layers()


class TestStateFaults(FaultCase):
    def test_skew_moves_clock_and_date(self):
        SI.faults([{"kind": "skew", "offset_s": 3600, "service": "s3", "operation": "ListBuckets"}])
        st, h, _ = signed_request(SI, "s3", "us-east-1", "GET", "/")
        self.assertEqual(st, 200)          # the request that triggers it still passes
        st, h, body = signed_request(SI, "s3", "us-east-1", "GET", "/")
        self.assertEqual((st, code(body)), (403, "RequestTimeTooSkewed"))
        import email.utils
        served = email.utils.parsedate_to_datetime(h["date"]).timestamp()
        self.assertAlmostEqual(served - time.time(), 3600, delta=5)
        SI.faults([], settings={"clock_offset_s": -1200})
        self.assertEqual(SI.control("GET", "clock")[1]["offset_s"], -1200)

    def test_expire_creds(self):
        import urllib.request
        with urllib.request.urlopen(SI.url + "/__creds/container", timeout=5) as r:
            c = json.loads(r.read())
        kw = dict(ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"])
        SI.faults([{"kind": "expire_creds", "service": "lambda", "operation": "ListLayers"}])
        self.assertEqual(signed_request(SI, "lambda", "eu-west-1", "GET", "/2018-10-31/layers", **kw)[0], 200)
        st, h, _ = signed_request(SI, "lambda", "eu-west-1", "GET", "/2018-10-31/layers", **kw)
        self.assertEqual(st, 403)
        self.assertTrue(h["x-amzn-errortype"].startswith("ExpiredTokenException"))

    def test_objects_appear_while_emptying(self):
        SI.faults([{"kind": "add_objects", "n": 3, "service": "s3", "operation": "DeleteObjects", "count": 2}])
        s3 = client(SI, "s3", "eu-central-1")
        s3.delete_objects(Bucket="remotion-legacy-bucket", Delete={"Objects": [{"Key": "a.txt"}, {"Key": "b.txt"}]})
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="remotion-legacy-bucket")["Contents"]]
        self.assertEqual(len(keys), 3)
        self.assertTrue(all(k.startswith("late/") for k in keys))
        s3.delete_objects(Bucket="remotion-legacy-bucket", Delete={"Objects": [{"Key": k} for k in keys]})
        s3.delete_objects(Bucket="remotion-legacy-bucket", Delete={"Objects": [{"Key": k} for k in
                          [o["Key"] for o in s3.list_objects_v2(Bucket="remotion-legacy-bucket")["Contents"]]]})
        self.assertEqual(s3.list_objects_v2(Bucket="remotion-legacy-bucket")["KeyCount"], 0)
        s3.delete_bucket(Bucket="remotion-legacy-bucket")
        SI.control("POST", "fixture", small_fixture())

    def test_objects_appear_as_a_listing_reads_them(self):
        # Before the page is read: the listing that triggers it sees them.
        SI.faults([{"kind": "add_objects", "n": 2, "service": "s3", "operation": "ListObjectsV2",
                    "count": 1, "prefix": "renders/r1/late-"}])
        s3 = client(SI, "s3", "eu-central-1")
        first = [o["Key"] for o in s3.list_objects_v2(Bucket="remotion-legacy-bucket").get("Contents", [])]
        self.assertEqual(len([k for k in first if k.startswith("renders/r1/late-")]), 2)
        again = [o["Key"] for o in s3.list_objects_v2(Bucket="remotion-legacy-bucket").get("Contents", [])]
        self.assertEqual(sorted(again), sorted(first))
        SI.control("POST", "fixture", small_fixture())

    def test_vanish_between_list_and_delete(self):
        SI.faults([{"kind": "vanish", "service": "lambda", "operation": "ListFunctions", "region": "us-east-1",
                    "target": "remotion-render-*"}])
        lam = client(SI, "lambda", "us-east-1")
        names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
        self.assertEqual(names, ["remotion-render-abc"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            lam.delete_function(FunctionName="remotion-render-abc")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        e = [x for x in SI.log() if x["operation"] == "ListFunctions"][-1]
        self.assertEqual(e["vanished"], ["remotion-render-abc"])
        SI.control("POST", "fixture", small_fixture())

    def test_vanish_layer_version_and_bucket(self):
        SI.faults([{"kind": "vanish", "service": "lambda", "operation": "ListLayerVersions", "n": 1},
                   {"kind": "vanish", "service": "s3", "operation": "ListBuckets", "target": "remotionfan"}])
        lam = client(SI, "lambda", "eu-west-1")
        vers = lam.list_layer_versions(LayerName="remotion-binaries-arm64")["LayerVersions"]
        self.assertEqual(len(vers), 5)
        self.assertEqual(len(lam.list_layer_versions(LayerName="remotion-binaries-arm64")["LayerVersions"]), 4)
        s3 = client(SI, "s3")
        self.assertIn("remotionfan", [b["Name"] for b in s3.list_buckets()["Buckets"]])
        self.assertNotIn("remotionfan", [b["Name"] for b in s3.list_buckets()["Buckets"]])
        SI.control("POST", "fixture", small_fixture())

    def test_per_key_errors_first_time(self):
        SI.faults([{"kind": "key_errors", "n": 2, "service": "s3", "operation": "DeleteObjects", "count": 5}])
        s3 = client(SI, "s3", "eu-central-1")
        objs = [{"Key": "a.txt"}, {"Key": "b.txt"}]
        r = s3.delete_objects(Bucket="remotion-legacy-bucket", Delete={"Objects": objs})
        self.assertEqual(sorted(e["Key"] for e in r["Errors"]), ["a.txt", "b.txt"])
        self.assertEqual({e["Code"] for e in r["Errors"]}, {"InternalError"})
        r = s3.delete_objects(Bucket="remotion-legacy-bucket", Delete={"Objects": objs})
        self.assertNotIn("Errors", r)
        self.assertEqual(len(r["Deleted"]), 2)
        e = [x for x in SI.log() if x["operation"] == "DeleteObjects"][-2:]
        self.assertEqual([(x["count"], x["key_errors"]) for x in e], [(2, 2), (2, 0)])
        SI.control("POST", "fixture", small_fixture())

    def test_list_buckets_without_region(self):
        SI.faults([{"kind": "no_bucket_region", "service": "s3", "operation": "ListBuckets"}])
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", "max-buckets=10")
        self.assertEqual(st, 200)
        self.assertNotIn(b"<BucketRegion>", body)
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", "max-buckets=10")
        self.assertIn(b"<BucketRegion>", body)

    def test_last_marker_variants(self):
        SI.faults([{"kind": "last_marker", "value": None, "service": "lambda", "operation": "ListLayers"},
                   {"kind": "last_marker", "value": "", "service": "lambda", "operation": "ListFunctions",
                    "region": "us-east-1"}])
        st, _, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2018-10-31/layers")
        self.assertIsNone(json.loads(body)["NextMarker"])
        st, _, body = lam_list("us-east-1", "")
        self.assertEqual(json.loads(body)["NextMarker"], "")

    def test_wrong_region_400_fault(self):
        SI.faults([{"kind": "wrong_region_400", "service": "s3"}])
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotion-legacy-bucket", "list-type=2")
        self.assertEqual((st, code(body)), (400, "AuthorizationHeaderMalformed"))
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/remotion-legacy-bucket", "list-type=2")
        self.assertEqual((st, code(body)), (301, "PermanentRedirect"))

    def test_bad_fault_specs(self):
        self.assertEqual(SI.control("POST", "faults", {"faults": [{"kind": "explode"}]})[0], 400)
        self.assertEqual(SI.control("POST", "faults", {"faults": [{"kind": "error", "probability": 2}]})[0], 400)
        self.assertEqual(SI.control("POST", "faults", {"settings": {"s3_wrong_region": 302}})[0], 400)
        SI.faults([{"kind": "error"}])
        SI.faults([{"kind": "throttle"}], mode="add")
        self.assertEqual([f["kind"] for f in SI.control("GET", "faults")[1]["faults"]], ["error", "throttle"])


class TestLatency(FaultCase):
    def timed(self, *a, **kw):
        t0 = time.time()
        st = signed_request(SI, *a, **kw)[0]
        return st, time.time() - t0

    def test_fixed_and_per_region(self):
        SI.control("POST", "latency", {"ms": 0, "rules": [{"service": "lambda", "region": "ap-*", "ms": 150}]})
        st, dt = self.timed("lambda", "ap-south-1", "GET", "/2018-10-31/layers")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(dt, 0.14)
        slow = dt
        st, dt = self.timed("lambda", "eu-west-1", "GET", "/2018-10-31/layers")
        self.assertEqual(st, 200)
        # No wall-clock upper bound (a loaded machine may take any time):
        # the stand-in says which delay it applied to each request.
        applied = [(e["region"], e["latency_ms"]) for e in SI.log() if e["operation"] == "ListLayers"][-2:]
        self.assertEqual(applied, [("ap-south-1", 150), ("eu-west-1", 0)])
        print("latency rule: %.3f s with, %.3f s without" % (slow, dt), file=sys.stderr)
        SI.control("POST", "latency", {"ms": 80})
        st, dt = self.timed("s3", "us-east-1", "GET", "/")
        self.assertGreaterEqual(dt, 0.075)

    def test_uniform(self):
        SI.control("POST", "latency", {"min_ms": 20, "max_ms": 60})
        times = [self.timed("lambda", "eu-west-1", "GET", "/2018-10-31/layers")[1] for _ in range(8)]
        self.assertGreaterEqual(min(times), 0.019)
        self.assertGreater(max(times) - min(times), 0.005)
        log = SI.log()[-8:]
        self.assertTrue(all(e["duration_ms"] >= 19 for e in log))


class TestLog(unittest.TestCase):
    def test_log_entries(self):
        SI.faults([])
        last = SI.control("POST", "reset-log")[1]["last_seq"]
        lam = client(SI, "lambda", "us-east-1")
        lam.delete_function(FunctionName="remotion-render-abc")
        s3 = client(SI, "s3", "us-east-1")
        s3.list_object_versions(Bucket=B_US, MaxKeys=3)
        s3.delete_objects(Bucket=B_US, Delete={"Objects": [{"Key": "renders/r002/out.mp4", "VersionId": "null"}]})
        with self.assertRaises(botocore.exceptions.ClientError):
            client(SI, "lambda", "eu-west-1").delete_function(FunctionName="remotionfan")
        log = SI.log(last)
        self.assertEqual([e["seq"] for e in log], list(range(last + 1, last + 5)))
        d, lv, do, denied = log
        self.assertEqual((d["service"], d["region"], d["operation"], d["target"], d["method"], d["status"],
                          d["modifies"], d["access_key"]),
                         ("lambda", "us-east-1", "DeleteFunction", "remotion-render-abc", "DELETE", 204, True, TEST_AK))
        self.assertEqual((lv["operation"], lv["target"], lv["modifies"], lv["status"]),
                         ("ListObjectVersions", B_US, False, 200))
        self.assertEqual((do["operation"], do["count"], do["modifies"]), ("DeleteObjects", 1, True))
        self.assertEqual((denied["status"], denied["error"], denied["target"]), (403, "AccessDeniedException",
                                                                                 "remotionfan"))
        self.assertRegex(d["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertTrue(d["request_id"])
        text = json.dumps(SI.log())
        self.assertNotIn(TEST_SK, text)
        self.assertNotIn("Signature=", text)
        SI.control("POST", "fixture", small_fixture())

    def test_log_file_faults_file_and_latency_flag(self):
        tmp = tempfile.mkdtemp(prefix="standin-log-")
        logf = os.path.join(tmp, "log.jsonl")
        ff = os.path.join(tmp, "faults.json")
        with open(ff, "w") as f:
            json.dump({"faults": [{"kind": "throttle", "service": "sts", "count": 1}],
                       "settings": {"s3_wrong_region": 400}}, f)
        si = StandIn("--log-file", logf, "--faults", ff, "--latency-ms", "30", fixture=small_fixture())
        try:
            sts = client(si, "sts", retries=3)
            t0 = time.time()
            sts.get_caller_identity()
            self.assertGreaterEqual(time.time() - t0, 0.06)
            st, _, body = signed_request(si, "s3", "us-east-1", "GET", "/remotion-legacy-bucket", "list-type=2")
            self.assertEqual(st, 400)
        finally:
            si.stop()
        with open(logf) as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual([(x["operation"], x["status"]) for x in lines],
                         [("GetCallerIdentity", 400), ("GetCallerIdentity", 200), ("ListObjectsV2", 400)])
        self.assertEqual(lines[0]["faults"], ["throttle"])
        self.assertEqual(lines[0]["error"], "Throttling")


class TestHostileNames(FaultCase):
    """Names no AWS service would list, injected at serialisation time."""

    def test_functions_layers_versions(self):
        SI.faults([{"kind": "hostile_names", "service": "lambda", "operation": "ListFunctions",
                    "region": "eu-west-1", "names": ["remotion-a/../b", "remotion-a\r\n"]},
                   {"kind": "hostile_names", "service": "lambda", "operation": "ListLayers",
                    "names": ["remotion-l.x"], "latest_version": 7},
                   {"kind": "hostile_names", "service": "lambda", "operation": "ListLayerVersions",
                    "versions": [-1, "2"]}])
        st, _, body = lam_list()
        names = [f["FunctionName"] for f in json.loads(body)["Functions"]]
        self.assertEqual(st, 200)
        self.assertEqual(names[-2:], ["remotion-a/../b", "remotion-a\r\n"])
        self.assertEqual(len(names), 7)
        st, _, body = lam_list()          # count 1: the next page is clean
        self.assertEqual(len(json.loads(body)["Functions"]), 5)
        st, _, body = signed_request(SI, "lambda", "eu-west-1", "GET", "/2018-10-31/layers")
        layer = json.loads(body)["Layers"][-1]
        self.assertEqual((layer["LayerName"], layer["LatestMatchingVersion"]["Version"]), ("remotion-l.x", 7))
        st, _, body = signed_request(SI, "lambda", "eu-west-1", "GET",
                                     "/2018-10-31/layers/remotion-binaries-arm64/versions")
        self.assertEqual([v["Version"] for v in json.loads(body)["LayerVersions"]][-2:], [-1, "2"])
        # Nothing was created: the names exist only in the answers.
        self.assertNotIn("remotion-a/../b", [f["name"] for f in SI.state()["functions"]])

    def test_buckets_and_duplicates(self):
        SI.faults([{"kind": "hostile_names", "service": "s3", "operation": "ListBuckets", "count": -1,
                    "names": ["remotion-a/../" + B_US, "remotion-a\rb", B_US], "bucket_region": "eu-west-1"}])
        for _ in range(2):
            st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/", "max-buckets=1000")
            self.assertEqual(st, 200)
            self.assertIn(("<Name>remotion-a/../%s</Name>" % B_US).encode(), body)
            self.assertIn(b"<Name>remotion-a&#13;b</Name>", body)
            self.assertEqual(body.count(("<Name>%s</Name>" % B_US).encode()), 2)
            self.assertIn(b"<BucketRegion>eu-west-1</BucketRegion>", body)


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
