#!/usr/bin/python3
"""The stand-in's compact object model (awsstandin/objstore.py, objgen.py)
against the model it replaced, and over HTTP: listing pages and their
tokens while keys are deleted between pages, versioned deletes, the
generated fixtures, what a large bucket costs."""
import bisect
import os
import random
import sys
import unittest
from xml.etree import ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from standin_testlib import StandIn, client, small_fixture  # noqa: E402
from awsstandin import objgen, objstore  # noqa: E402
from awsstandin.objstore import ObjectStore  # noqa: E402
from awsstandin.state import Bucket, State  # noqa: E402

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class RefBucket:
    """The object model before the compact one: a sorted key list and a
    dict of version lists, newest first (the oracle).  Version ids come from
    the same function, since the compact model derives them."""

    def __init__(self, name, versioning=None):
        self.ids = ObjectStore(name)
        self.versioning = versioning
        self.keys = []
        self.objs = {}
        self.seq = 0

    def _add(self, key, marker, size, mtime, vid=None):
        self.seq += 1
        if vid is None:
            vid = self.ids.vid_of(key, self.seq) if self.versioning == "Enabled" else "null"
        vs = self.objs.get(key)
        if vs is None:
            vs = self.objs[key] = []
            bisect.insort(self.keys, key)
        if vid == "null" and vs:
            vs[:] = [v for v in vs if v[0] != "null"]
        vs.insert(0, (vid, self.seq, marker, 0 if marker else size, mtime))
        return vid

    def put(self, key, size, mtime, vid=None):
        return self._add(key, False, size, mtime, vid)

    def add_marker(self, key, mtime):
        return self._add(key, True, 0, mtime)

    def _drop_if_empty(self, key):
        if not self.objs[key]:
            del self.objs[key]
            self.keys.remove(key)

    def delete(self, key, vid=None, now=0.0):
        vs = self.objs.get(key, [])
        if vid is not None:
            for i, v in enumerate(vs):
                if v[0] == vid:
                    del vs[i]
                    self._drop_if_empty(key)
                    return
            return
        if self.versioning is None:
            if vs:
                del self.objs[key]
                self.keys.remove(key)
            return
        self._add(key, True, 0, now, None if self.versioning == "Enabled" else "null")

    def listing(self):
        return [(k, list(self.objs[k])) for k in self.keys]


def ref_load(ref, gen, created, base):
    """The loader the compact one replaced ("generate" only), on the oracle."""
    saved = ref.versioning
    if saved == "Suspended":
        ref.versioning = "Enabled"
    count, prefix = int(gen.get("count", 0)), gen.get("prefix", "renders/")
    nvers, dm_every = int(gen.get("versions", 1)), int(gen.get("delete_marker_every", 0))
    per = int(gen.get("per_render", 0))
    rng = random.Random(int(gen.get("seed", 1)))
    remotion = gen.get("layout") == "remotion"
    ages = [float(a) for a in gen.get("ages", [])]
    rid = None
    for n in range(count):
        size = int(gen.get("size", 4096))
        if per:
            if n % per == 0:
                rid = "".join(rng.choice(objgen.ID_CHARS) for _ in range(10))
                if ages:
                    created = base - ages[(n // per) % len(ages)] * 86400.0
                if remotion:
                    for pfx in ("input-props/", "resolved-props/"):
                        ref.put("%s%s.json" % (pfx, rid), 300, created)
            key = "%s%s/chunk-%04d" % (prefix, rid, n % per)
            if remotion and n % per == 0:
                key, size = "%s%s/out.mp4" % (prefix, rid), int(gen.get("output_size", 4 << 20))
            elif remotion and n % per == 1:
                key, size = "%s%s/progress.json" % (prefix, rid), 2000
        else:
            key = "%s%06d/out.mp4" % (prefix, n)
        for k in range(nvers):
            ref.put(key, size, created + k * 60.0)
        if dm_every and n % dm_every == 0:
            ref.add_marker(key, created + nvers * 60.0)
    ref.versioning = saved


def listing(bucket):
    return [(k, [(v.vid, v.seq, v.marker, v.size, v.mtime) for v in vs]) for k, vs in bucket.objects.scan()]


class SmallChunks(unittest.TestCase):
    """Chunks of at most 8 keys, 2 kept decoded: every path (split, merge,
    cold and hot, a chunk emptied) runs on a few hundred keys."""

    def setUp(self):
        self.saved = (objstore.CHUNK, objstore.FILL, objstore.MERGE, objstore.HOT)
        objstore.CHUNK, objstore.FILL, objstore.MERGE, objstore.HOT = 8, 6, 3, 2

    def tearDown(self):
        objstore.CHUNK, objstore.FILL, objstore.MERGE, objstore.HOT = self.saved


class TestEquivalence(SmallChunks):
    def check_same(self, b, ref, rng):
        self.assertEqual(listing(b), ref.listing())
        self.assertEqual(len(b.objects), len(ref.keys))
        for _ in range(20):
            start = rng.choice(ref.keys + ["", "k", "k5", "zz"]) if ref.keys else ""
            if rng.random() < 0.3:
                start = start[:-1] if start else start
            after = rng.random() < 0.5
            got = [k for k, _ in zip((k for k, _ in b.objects.scan(start, after)), range(15))]
            i = (bisect.bisect_right if after else bisect.bisect_left)(ref.keys, start)
            self.assertEqual(got, ref.keys[i:i + 15], (start, after))

    def run_ops(self, versioning, seed, steps=3000):
        rng = random.Random(seed)
        b = Bucket("remotionlambda-eq", "us-east-1", 0.0, versioning)
        ref = RefBucket("remotionlambda-eq", versioning)
        keys = ["k%03d/%s" % (i, rng.choice(["out.mp4", "a b+c", "\u00fcber", "x"])) for i in range(300)]
        vids = []
        for step in range(steps):
            op = rng.random()
            key = rng.choice(keys)
            t = 1000.0 + step
            if op < 0.45:
                size = rng.randrange(1, 5000)
                null = versioning and rng.random() < 0.05
                v = b.put(key, size, t, vid="null" if null else None)
                self.assertEqual(v.vid, ref.put(key, size, t, vid="null" if null else None))
                vids.append((key, v.vid, v.seq))
            elif op < 0.55 and versioning:
                v = b.add_marker(key, t)
                self.assertEqual(v.vid, ref.add_marker(key, t))
            elif op < 0.8:
                r = b.delete(key)
                ref.delete(key, now=r["marker_vid"] and b.objects.get(key)[0].mtime)
            elif ref.objs:
                k = rng.choice(list(ref.objs))
                vid = rng.choice(ref.objs[k])[0] if rng.random() < 0.9 else "bogus"
                b.delete(k, vid)
                ref.delete(k, vid)
            if versioning and rng.random() < 0.01:
                b.versioning = ref.versioning = rng.choice(["Enabled", "Suspended"])
            if step % 300 == 0:
                self.check_same(b, ref, rng)
        self.check_same(b, ref, rng)
        # A version id stays a valid marker after its version is gone, and
        # only for its own key.
        for key, vid, seq in vids:
            if vid != "null":
                self.assertEqual(b.objects.seq_of(key, vid), seq)
                self.assertIsNone(b.objects.seq_of(key + "x", vid))
        self.assertIsNone(b.objects.seq_of("k001/x", "nope"))
        self.assertIsNone(b.objects.seq_of("k001/x", "A" * 32))
        return b, ref

    def test_unversioned(self):
        self.run_ops(None, 1)

    def test_versioned(self):
        b, ref = self.run_ops("Enabled", 2)
        self.assertGreater(len(b.objects.chunks), 10)
        self.assertEqual(b.version_count(), (sum(1 for vs in ref.objs.values() for v in vs if not v[2]),
                                             sum(1 for vs in ref.objs.values() for v in vs if v[2])))

    def test_suspended(self):
        self.run_ops("Suspended", 3)

    def test_emptied_and_refilled(self):
        b = Bucket("remotionlambda-eq", "us-east-1", 0.0)
        for i in range(200):
            b.put("k%04d" % i, 1, 1.0)
        for i in range(200):
            b.delete("k%04d" % i)
        self.assertTrue(b.empty())
        self.assertEqual(b.objects.chunks, [])
        self.assertEqual(list(b.objects.scan()), [])
        b.put("again", 5, 2.0)
        self.assertEqual([k for k, _ in b.objects.scan()], ["again"])

    def test_generated_as_written_in_order(self):
        """The loader that makes renders in id order, family by family, gives
        what writing every object in the fixture's order gives: keys,
        version ids, sequence numbers (ETags), sizes, times."""
        gens = [({"count": 700, "prefix": "renders/", "per_render": 7, "layout": "remotion",
                  "ages": [40, 2, 9], "size": 1000, "output_size": 4096, "seed": 5}, None),
                ({"count": 300, "prefix": "renders/", "per_render": 10, "age_days": 30}, None),
                ({"count": 120, "prefix": "renders/g", "versions": 2, "delete_marker_every": 7}, "Enabled"),
                ({"count": 90, "prefix": "renders/", "per_render": 4, "layout": "remotion", "versions": 3,
                  "delete_marker_every": 5}, "Suspended"),
                # Families that overlap: merged key by key.
                ({"count": 60, "prefix": "input-props/", "per_render": 3, "layout": "remotion"}, None),
                ({"count": 50, "prefix": "r/"}, None)]
        for gen, vz in gens:
            self.check_generated(gen, vz)

    def test_repeated_render_ids(self):
        """Render ids from a 2-letter alphabet: about 1 in 1024 repeats, so
        200 renders repeat some: a repeated key waits aside and is merged
        as if written in order (a later "null" write replaces)."""
        saved = objgen.ID_CHARS
        objgen.ID_CHARS = "ab"
        try:
            for vz in (None, "Enabled"):
                n = self.check_generated({"count": 1000, "prefix": "renders/", "per_render": 5,
                                          "layout": "remotion"}, vz)
                # 200 renders of 7 keys and 2 listed keys: a repeated
                # render has 7 keys fewer.
                self.assertLessEqual(n, 200 * 7 + 2 - 7)
        finally:
            objgen.ID_CHARS = saved

    def check_generated(self, gen, vz):
        st = State()
        objects = [{"key": "renders/zz-listed/out.mp4", "age_days": 1},
                   {"key": "renders/000/out.mp4", "age_days": 500}]
        if vz:
            objects.append({"key": "renders/zz-listed/out.mp4", "versions": 2, "null_version": True})
        st.load_fixture({"regions": ["us-east-1"], "disabled_regions": [],
                         "buckets": [{"name": "remotionlambda-gen", "region": "us-east-1", "versioning": vz,
                                      "objects": objects, "generate": dict(gen, age_days=30)}]})
        b = st.buckets["remotionlambda-gen"]
        base = st.loaded_at
        ref = RefBucket("remotionlambda-gen", vz)
        saved, ref.versioning = ref.versioning, "Enabled" if vz == "Suspended" else vz
        for o in objects:
            created = base - float(o.get("age_days", 30)) * 86400.0
            for n in range(o.get("versions", 1)):
                ref.put(o["key"], 1024, created + n * 60.0, vid="null" if n == 0 and o.get("null_version")
                        else None)
        ref.versioning = saved
        ref_load(ref, dict(gen, age_days=30), base - 30 * 86400.0, base)
        self.assertEqual(listing(b), ref.listing(), gen)
        self.assertEqual(b.objects.seq, ref.seq)
        return len(b.objects)

    def test_repeated_listed_key(self):
        st = State()
        objects = [{"key": "renders/a/out.mp4", "size": 1}, {"key": "renders/a/out.mp4", "size": 2},
                   {"key": "renders/b", "size": 3}]
        st.load_fixture({"regions": ["us-east-1"], "disabled_regions": [],
                         "buckets": [{"name": "remotionlambda-rep", "region": "us-east-1", "objects": objects}]})
        b = st.buckets["remotionlambda-rep"]
        self.assertEqual([(k, [v.size for v in vs]) for k, vs in b.objects.scan()],
                         [("renders/a/out.mp4", [2]), ("renders/b", [3])])


class TestLargeBucketIsCompact(unittest.TestCase):
    def test_bytes_an_object(self):
        """What makes ten million objects fit: a bucket in Remotion's layout
        holds well under 32 bytes an object once loaded (about 7 measured)."""
        st = State()
        st.load_fixture({"regions": ["us-east-1"], "disabled_regions": [],
                         "buckets": [{"name": "remotionlambda-big", "region": "us-east-1",
                                      "generate": {"count": 90000, "prefix": "renders/", "per_render": 18,
                                                   "layout": "remotion", "age_days": 40, "size": 1000}}]})
        objs = st.buckets["remotionlambda-big"].objects
        self.assertEqual(len(objs), 100000)
        self.assertLess(objs.held_bytes() / 100000.0, 32)
        self.assertLessEqual(len(objs.hot), objstore.HOT)
        keys = [k for k, _ in objs.scan()]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(sum(1 for k in keys if k.startswith("input-props/")), 5000)


SI = None
BIG = "remotionlambda-big-listing"
VERS = "remotionlambda-big-versions"
MARKS = "remotionlambda-markers"


def setUpModule():
    global SI
    SI = StandIn(fixture=small_fixture(functions=[], layers=[], buckets=[
        # 100 chunks and more: most of them cold at any time.
        {"name": BIG, "region": "us-east-1", "generate": {"count": 40000, "prefix": "renders/", "per_render": 10}},
        {"name": VERS, "region": "us-east-1", "versioning": "Enabled",
         "generate": {"count": 12000, "prefix": "renders/", "per_render": 6, "versions": 2,
                      "delete_marker_every": 3}},
        {"name": MARKS, "region": "us-east-1", "versioning": "Enabled",
         "objects": [{"key": "renders/r%02d/out.mp4" % i, "versions": 2} for i in range(10)]}]), start_timeout=60)


def tearDownModule():
    assert SI.stop() == 0


def delete_batch(s3, bucket, objs):
    for i in range(0, len(objs), 1000):
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs[i:i + 1000], "Quiet": True})
        assert not r.get("Errors"), r["Errors"][:3]


class TestHttpPaging(unittest.TestCase):
    def test_v2_pages_across_deletions(self):
        """Each continuation token goes on after its page's last key, whatever
        was deleted meanwhile (the page's own keys, keys further on): every
        key alive when its page is asked is listed once, in order."""
        s3 = client(SI, "s3")
        keys = SI.control("GET", "keys", query="?bucket=" + BIG)[1]["keys"]
        self.assertEqual(len(keys), 40000)
        alive = list(keys)
        rng = random.Random(7)
        token, seen, after = None, [], ""
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = s3.list_objects_v2(Bucket=BIG, MaxKeys=1000, **kw)
            page = [o["Key"] for o in r.get("Contents", [])]
            i = bisect.bisect_right(alive, after)
            self.assertEqual(page, alive[i:i + 1000])
            seen += page
            if not r["IsTruncated"]:
                break
            after, token = page[-1], r["NextContinuationToken"]
            # This page's keys, all of them, and a third of the next 3000.
            ahead = [k for k in alive[i + 1000:i + 4000] if rng.random() < 0.33]
            delete_batch(s3, BIG, [{"Key": k} for k in page + ahead])
            gone = set(page + ahead)
            alive = [k for k in alive if k not in gone]
        self.assertEqual(seen, sorted(set(seen)))
        self.assertGreater(len(seen), 20000)
        # What is left is the last page, and a prefix finds it after the
        # emptied chunks.
        left = SI.control("GET", "keys", query="?bucket=" + BIG)[1]["keys"]
        self.assertEqual(left, page)
        r = s3.list_objects_v2(Bucket=BIG, Prefix="renders/", MaxKeys=10)
        self.assertEqual([o["Key"] for o in r["Contents"]], page[:10])

    def test_versions_pages_across_deletions(self):
        """ListObjectVersions' key and version-id markers stay valid when the
        marker's own version, and versions on further pages, are deleted
        before the next page is asked."""
        s3 = client(SI, "s3")
        full, kw = [], {}
        while True:
            r = s3.list_object_versions(Bucket=VERS, MaxKeys=1000, **kw)
            full += sorted([(v["Key"], v["VersionId"], v["LastModified"]) for v in
                            r.get("Versions", []) + r.get("DeleteMarkers", [])],
                           key=lambda e: (e[0], -e[2].timestamp()))
            if not r["IsTruncated"]:
                break
            kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
        # 12000 keys, 2 versions each, a marker on every third key.
        self.assertEqual(len(full), 12000 * 2 + 4000)
        order = [(k, v) for k, v, _ in full]
        alive = list(order)
        rng = random.Random(3)
        kw, pos = {}, 0
        listed = []
        while True:
            r = s3.list_object_versions(Bucket=VERS, MaxKeys=700, **kw)
            entries = {(v["Key"], v["VersionId"]) for v in r.get("Versions", []) + r.get("DeleteMarkers", [])}
            expect = alive[pos:pos + 700]
            self.assertEqual(entries, set(expect))
            listed += expect
            if not r["IsTruncated"]:
                break
            kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
            self.assertEqual((r["NextKeyMarker"], r["NextVersionIdMarker"]), expect[-1])
            # The marker version itself, and some versions further on.
            ahead = [e for e in alive[pos + 700:pos + 2000] if rng.random() < 0.25]
            gone = [expect[-1]] + ahead
            delete_batch(s3, VERS, [{"Key": k, "VersionId": v} for k, v in gone])
            gs = set(gone)
            alive = alive[:pos + 700] + [e for e in alive[pos + 700:] if e not in gs]
            pos += 700
        self.assertEqual(listed, [e for e in order if e in set(alive)])

    def test_versioned_delete_by_key_adds_marker(self):
        """In a versioned bucket, deleting by key (batch or single) adds a
        delete marker on top and keeps every version; deleting the marker
        by its id brings the object back; deleting by version id removes
        that version only."""
        s3 = client(SI, "s3")
        keys = ["renders/r%02d/out.mp4" % i for i in range(10)]
        before = s3.list_object_versions(Bucket=MARKS)
        r = s3.delete_objects(Bucket=MARKS, Delete={"Objects": [{"Key": k} for k in keys[:5]]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), keys[:5])
        self.assertTrue(all(d["DeleteMarker"] for d in r["Deleted"]))
        one = s3.delete_object(Bucket=MARKS, Key=keys[5])
        self.assertTrue(one["DeleteMarker"])
        after = s3.list_object_versions(Bucket=MARKS)
        marks = {m["Key"]: m for m in after["DeleteMarkers"]}
        self.assertEqual(sorted(marks), keys[:6])
        for d in r["Deleted"]:
            self.assertEqual(marks[d["Key"]]["VersionId"], d["DeleteMarkerVersionId"])
            self.assertTrue(marks[d["Key"]]["IsLatest"])
        self.assertEqual(marks[keys[5]]["VersionId"], one["VersionId"])
        self.assertEqual([(v["VersionId"], v["ETag"]) for v in after["Versions"]],
                         [(v["VersionId"], v["ETag"]) for v in before["Versions"]])
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket=MARKS)["Contents"]], keys[6:])
        # The marker deleted by its id: the object is back.
        s3.delete_object(Bucket=MARKS, Key=keys[0], VersionId=marks[keys[0]]["VersionId"])
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket=MARKS)["Contents"]], keys[:1] + keys[6:])
        # A version deleted by its id: the other stays, and is the latest.
        old = [v for v in before["Versions"] if v["Key"] == keys[9]]
        s3.delete_objects(Bucket=MARKS, Delete={"Objects": [{"Key": keys[9], "VersionId": old[0]["VersionId"]}]})
        now = s3.list_object_versions(Bucket=MARKS, Prefix=keys[9])["Versions"]
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in now], [(old[1]["VersionId"], True)])

    def test_bad_version_marker_refused(self):
        from standin_testlib import signed_request
        st, _, body = signed_request(SI, "s3", "us-east-1", "GET", "/" + VERS,
                                     "versions&key-marker=renders%2F&version-id-marker=" + "A" * 32)
        self.assertEqual(st, 400)
        self.assertIn(b"Invalid version id", body)
        self.assertEqual(ET.fromstring(body).find("Code").text, "InvalidArgument")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
