"""S3, path-style: /bucket and /bucket/key."""
import xml.etree.ElementTree as ET
from urllib.parse import unquote, quote_plus

import re

from . import hostile, hostile_names, util
from .auth import check_body_checksum
from .util import xml_el, S3_NS
from .wire import Resp, xml_resp, s3_error

MODIFYING = {"DeleteObjects", "DeleteObject", "DeleteBucket", "DeleteBucketWebsite", "PutObject"}
# Operations that any region may sign (no redirect to the bucket's region).
ANY_REGION = {"ListBuckets", "GetBucketLocation"}
# Virtual-hosted style: BUCKET.s3.REGION.amazonaws.com (or s3.amazonaws.com).
VHOST = re.compile(r"^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")


def classify(ctx):
    """Set ctx.operation/target/key/version_id; return an error Resp for unknown requests."""
    q = ctx.q
    m = VHOST.match((ctx.headers.get("Host") or "").rsplit(":", 1)[0].lower())
    if m:
        # The signature was checked on the path as sent; from here on, path-style.
        ctx.path = "/" + m.group(1) + ("" if ctx.path == "/" else ctx.path)
    path = ctx.path
    if path == "/":
        if ctx.method == "GET":
            ctx.operation = "ListBuckets"
            return None
        return s3_error(ctx, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    bucket, _, rawkey = path[1:].partition("/")
    ctx.target = unquote(bucket)
    # A key is exact bytes: those that are not UTF-8 (a hostile or
    # S3-compatible server's) are carried as surrogate escapes.
    key = unquote(rawkey, errors="surrogateescape") if rawkey else None
    ctx.key = key
    ctx.version_id = q.get("versionId")
    m = ctx.method
    op = None
    if key is None:
        if m == "GET":
            if "location" in q:
                op = "GetBucketLocation"
            elif "versions" in q:
                op = "ListObjectVersions"
            elif "versioning" in q:
                op = "GetBucketVersioning"
            elif "tagging" in q:
                op = "GetBucketTagging"
            elif q.get("list-type") == "2":
                op = "ListObjectsV2"
        elif m == "HEAD" and not q:
            op = "HeadBucket"
        elif m == "POST" and "delete" in q:
            op = "DeleteObjects"
        elif m == "DELETE":
            if "website" in q:
                op = "DeleteBucketWebsite"
            elif not q:
                op = "DeleteBucket"
    else:
        if m == "DELETE":
            op = "DeleteObject"
        elif m == "HEAD":
            op = "HeadObject"
        elif m == "PUT" and not any(k for k in q if k != "versionId"):
            op = "PutObject"
    if op is None:
        ctx.operation = "Unsupported"
        return s3_error(ctx, 501, "NotImplemented", "A header or query you provided implies functionality that "
                        "is not implemented (stand-in: %s %s)." % (ctx.method, "?".join(sorted(q)) or "-"))
    ctx.operation = op
    ctx.modifies = op in MODIFYING
    return None


def _action(ctx):
    op, b = ctx.operation, ctx.target
    if op == "ListBuckets":
        return "s3:ListAllMyBuckets", "arn:aws:s3:::*"
    bucket_arn = "arn:aws:s3:::" + b
    table = {"GetBucketLocation": "s3:GetBucketLocation", "HeadBucket": "s3:ListBucket",
             "ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
             "GetBucketVersioning": "s3:GetBucketVersioning", "GetBucketTagging": "s3:GetBucketTagging",
             "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
             "DeleteBucket": "s3:DeleteBucket"}
    if op in table:
        return table[op], bucket_arn
    obj_arn = "%s/%s" % (bucket_arn, ctx.key)
    if op == "DeleteObject":
        return ("s3:DeleteObjectVersion" if ctx.version_id is not None else "s3:DeleteObject"), obj_arn
    if op == "HeadObject":
        return ("s3:GetObjectVersion" if ctx.version_id is not None else "s3:GetObject"), obj_arn
    if op == "PutObject":
        return "s3:PutObject", obj_arn
    return None, None     # DeleteObjects: checked per key


def _int_param(ctx, name, default, lo, hi):
    v = ctx.q.get(name)
    if v is None:
        return default, None
    try:
        n = int(v)
    except ValueError:
        n = None
    if n is None or n < lo or n > hi:
        return None, s3_error(ctx, 400, "InvalidArgument", "%s must be an integer between %d and %d" % (name, lo, hi),
                              {"ArgumentName": name, "ArgumentValue": v})
    return min(n, hi), None


def _owner(st):
    return "<Owner>%s%s</Owner>" % (xml_el("ID", st.owner_id), xml_el("DisplayName", st.owner_name))


def handle(ctx, srv):
    st = srv.store(ctx)
    op = ctx.operation
    with st.lock:
        bucket = None
        if op != "ListBuckets":
            bucket = st.buckets.get(ctx.target)
            if bucket is None:
                return s3_error(ctx, 404, "NoSuchBucket", "The specified bucket does not exist",
                                {"BucketName": ctx.target})
            foreign = ctx.fault_of("foreign_redirect")
            if foreign is not None:
                return hostile.redirect(ctx, bucket.name, str(foreign.params.get("bucket_region")),
                                        foreign.params.get("status", 301))
            if op not in ANY_REGION and ctx.region != bucket.region:
                mode = 400 if ctx.has_fault("wrong_region_400") else srv.faults.settings.get("s3_wrong_region", 301)
                return hostile.redirect(ctx, bucket.name, bucket.region, mode)
        action, resource = _action(ctx)
        if action is not None:
            denied = srv.authorize(ctx, action, resource)
            if denied is not None:
                return denied
        fn = globals()["op_" + op]
        return fn(ctx, srv, bucket)


# ------------------------------------------------------------------ buckets
def op_ListBuckets(ctx, srv, _b):
    st = srv.store(ctx)
    q = ctx.q
    paged = "max-buckets" in q or "continuation-token" in q
    maxb, err = _int_param(ctx, "max-buckets", 10000, 1, 10000)
    if err:
        return err
    names = st.bucket_names.items
    start = 0
    token = q.get("continuation-token")
    if token is not None:
        after = util.parse_marker("B", token)
        if after is None:
            return s3_error(ctx, 400, "InvalidArgument", "The continuation token provided is incorrect",
                            {"ArgumentName": "continuation-token"})
        start = st.bucket_names.index_after(after)
    prefix = q.get("prefix", "")
    region_filter = q.get("bucket-region")
    with_region = paged and not ctx.has_fault("no_bucket_region")
    bad = ctx.fault_of("bad_region")
    out = []
    last = None
    truncated = False
    for i in range(start, len(names)):
        b = st.buckets[names[i]]
        if prefix and not b.name.startswith(prefix):
            continue
        if region_filter and b.region != region_filter:
            continue
        if len(out) >= maxb:
            truncated = True
            break
        out.append(b)
        last = b.name
    ctx.listed = [("bucket", b.name) for b in out]
    parts = ['<ListAllMyBucketsResult xmlns="%s">' % S3_NS, _owner(st), "<Buckets>"]
    for b in out:
        parts.append("<Bucket>%s%s%s</Bucket>" % (
            xml_el("Name", b.name), xml_el("CreationDate", util.iso_s3(b.created)),
            xml_el("BucketRegion", str(bad.params.get("value")) if bad is not None and bad.item_matches(b.name)
                   else b.region) if with_region else ""))
    parts.append(hostile_names.bucket_xml(ctx, with_region))
    parts.append("</Buckets>")
    if truncated:
        parts.append(xml_el("ContinuationToken", util.make_marker("B", last)))
    if paged and prefix:
        parts.append(xml_el("Prefix", prefix))
    parts.append("</ListAllMyBucketsResult>")
    return xml_resp("".join(parts))


def op_GetBucketLocation(ctx, srv, b):
    loc = {"us-east-1": "", "eu-west-1": "EU"}.get(b.region, b.region)
    bad = ctx.fault_of("bad_region")
    if bad is not None and bad.item_matches(b.name):
        loc = str(bad.params.get("value"))
    return xml_resp('<LocationConstraint xmlns="%s">%s</LocationConstraint>' % (S3_NS, util.xml_text(loc)))


def op_HeadBucket(ctx, srv, b):
    return Resp(200, b"", [("x-amz-bucket-region", b.region), ("x-amz-access-point-alias", "false"),
                           ("Content-Type", "application/xml")])


def op_GetBucketVersioning(ctx, srv, b):
    inner = xml_el("Status", b.versioning) if b.versioning else ""
    return xml_resp('<VersioningConfiguration xmlns="%s">%s</VersioningConfiguration>' % (S3_NS, inner))


def op_GetBucketTagging(ctx, srv, b):
    if not b.tags:
        return s3_error(ctx, 404, "NoSuchTagSet", "The TagSet does not exist", {"BucketName": b.name})
    tags = "".join("<Tag>%s%s</Tag>" % (xml_el("Key", k), xml_el("Value", v)) for k, v in sorted(b.tags.items()))
    return xml_resp('<Tagging xmlns="%s"><TagSet>%s</TagSet></Tagging>' % (S3_NS, tags))


def op_DeleteBucketWebsite(ctx, srv, b):
    b.website = False
    return Resp(204)


def op_DeleteBucket(ctx, srv, b):
    if not b.empty():
        return s3_error(ctx, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty"
                        + (". You must delete all versions in the bucket." if b.versioning else ""),
                        {"BucketName": b.name})
    st = srv.store(ctx)
    del st.buckets[b.name]
    st.bucket_names.remove(b.name)
    return Resp(204)


# ------------------------------------------------------------------ listings
def _url(ctx):
    """Keys url-encoded in this answer: asked for, and no raw_keys fault
    (which answers raw, without <EncodingType>, as a server that ignores
    the parameter; raw control bytes then make the XML invalid)."""
    return ctx.q.get("encoding-type") == "url" and not ctx.has_fault("raw_keys")


def _enc(ctx, s):
    return quote_plus(s, safe="/", errors="surrogateescape") if _url(ctx) else s


def _enc_type(ctx, et):
    return xml_el("EncodingType", et) if et and _url(ctx) else ""


def _truncated(ctx, truncated):
    """<IsTruncated>, which S3 always sends (fault no_truncated: left out)."""
    if ctx.has_fault("no_truncated"):
        return ""
    return xml_el("IsTruncated", "true" if truncated else "false")


def _twice(ctx, items, dated):
    """Fault duplicate_entry: each item whose key matches the target is
    listed twice, first as a copy dated age_days ago, then as it is."""
    f = ctx.fault_of("duplicate_entry")
    if f is None:
        return items
    old = util.CLOCK.now() - float(f.params.get("age_days", 400)) * 86400
    out = []
    for it in items:
        if f.item_matches(it[0]):
            out.append(dated(it, old))
        out.append(it)
    return out


def _going_nowhere(ctx, b, km, vm):
    """The hostile ListObjectVersions pages: empty and truncated, with
    markers that go round (marker_cycle: the key marker asked, or `value`,
    and two version-id markers in turn) or move forward for ever
    (empty_pages: empty-00000001, empty-00000002, ...).  None otherwise."""
    cyc = ctx.fault_of("marker_cycle")
    if cyc is not None:
        nk = km or cyc.params.get("value") or (b.objects.first_key() or "k")
        nv = "cycle-B" if vm == "cycle-A" else "cycle-A"
    elif ctx.has_fault("empty_pages"):
        n = int(km[6:]) + 1 if km.startswith("empty-") and km[6:].isdigit() else 1
        nk, nv = "empty-%08d" % n, "empty-v"
    else:
        return None
    et = ctx.q.get("encoding-type")
    ctx.listed = []
    return xml_resp("".join([
        '<ListVersionsResult xmlns="%s">' % S3_NS, xml_el("Name", b.name), xml_el("Prefix", ""),
        xml_el("KeyMarker", _enc(ctx, km)), xml_el("VersionIdMarker", vm),
        xml_el("NextKeyMarker", _enc(ctx, nk)), xml_el("NextVersionIdMarker", nv),
        xml_el("MaxKeys", 1000), _enc_type(ctx, et), _truncated(ctx, True), "</ListVersionsResult>"]))


def _add_objects(ctx, b):
    """The add_objects fault: after a DeleteObjects, before a listing's
    page is read (objects written while a bucket is listed)."""
    add = ctx.fault_of("add_objects")
    if add is not None:
        n = int(add.params.get("n", 5))
        seq = add.state.setdefault("seq", 0)
        pfx = add.params.get("prefix", "late/")
        for j in range(n):
            b.put("%s%s-%06d.json" % (pfx, add.id, seq + j), 100)
        add.state["seq"] = seq + n


def _marker_seq(b, km, vm):
    """Versions of km listed before the version-id-marker vm are those from
    this sequence number on; None: vm is no version id of km.  A "null"
    marker whose version is gone (deleted since the last page) stands for
    all of km's versions."""
    if vm == "null":
        return next((v.seq for v in b.objects.get(km) if v.vid == "null"), 0)
    return b.objects.seq_of(km, vm)


def op_ListObjectVersions(ctx, srv, b):
    q = ctx.q
    _add_objects(ctx, b)
    # Like S3-compatible servers without versioning (s3rver: 405).
    nover = srv.faults.settings.get("s3_versions", 200)
    if nover == 405:
        return s3_error(ctx, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    if nover == 501:
        return s3_error(ctx, 501, "NotImplemented", "A header you provided implies functionality that is not implemented")
    if q.get("delimiter"):
        return s3_error(ctx, 501, "NotImplemented", "delimiter is not implemented by the stand-in")
    et = q.get("encoding-type")
    if et is not None and et != "url":
        return s3_error(ctx, 400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                        {"ArgumentName": "encoding-type", "ArgumentValue": et})
    maxk, err = _int_param(ctx, "max-keys", 1000, 0, 2147483647)
    if err:
        return err
    maxk = min(maxk, 1000)
    prefix = q.get("prefix", "")
    km = q.get("key-marker", "")
    vm = q.get("version-id-marker", "")
    if vm and not km:
        return s3_error(ctx, 400, "InvalidArgument", "A version-id marker cannot be specified without a key marker.",
                        {"ArgumentName": "version-id-marker", "ArgumentValue": vm})
    nowhere = _going_nowhere(ctx, b, km, vm)
    if nowhere is not None:
        return nowhere
    vseq = None
    if vm:
        vseq = _marker_seq(b, km, vm)
        if vseq is None:
            return s3_error(ctx, 400, "InvalidArgument", "Invalid version id specified",
                            {"ArgumentName": "version-id-marker", "ArgumentValue": vm})
        scan = b.objects.scan(km)
    elif km:
        scan = b.objects.scan(km, after=True)
    else:
        scan = b.objects.scan(prefix)
    items = []
    truncated = False
    for k, vs in scan:
        if prefix and not k.startswith(prefix):
            if k > prefix:
                break
            continue
        for idx, v in enumerate(vs):
            if vseq is not None and k == km and v.seq >= vseq:
                continue
            if len(items) >= maxk:
                truncated = True
                break
            items.append((k, v, idx == 0))
        if truncated:
            break
    if maxk == 0:
        truncated = False
    parts = ['<ListVersionsResult xmlns="%s">' % S3_NS, xml_el("Name", b.name), xml_el("Prefix", _enc(ctx, prefix)),
             xml_el("KeyMarker", _enc(ctx, km)), xml_el("VersionIdMarker", vm)]
    if truncated and items:
        parts.append(xml_el("NextKeyMarker", _enc(ctx, items[-1][0])))
        parts.append(xml_el("NextVersionIdMarker", items[-1][1].vid))
    parts.append(xml_el("MaxKeys", maxk))
    parts.append(_enc_type(ctx, et))
    parts.append(_truncated(ctx, truncated))
    owner = _owner(srv.store(ctx))
    listed = items
    items = _twice(ctx, items, lambda it, t: (it[0], it[1], it[2], t))
    for it in items:
        k, v, latest = it[0], it[1], it[2]
        mtime = it[3] if len(it) > 3 else v.mtime
        common = "%s%s%s%s" % (xml_el("Key", _enc(ctx, k)), xml_el("VersionId", v.vid),
                               xml_el("IsLatest", "true" if latest else "false"),
                               xml_el("LastModified", util.iso_s3(mtime)))
        if v.marker:
            parts.append("<DeleteMarker>%s%s</DeleteMarker>" % (common, owner))
        else:
            parts.append("<Version>%s%s%s%s%s</Version>" % (common, xml_el("ETag", v.etag), xml_el("Size", v.size),
                                                            owner, xml_el("StorageClass", "STANDARD")))
    parts.append("</ListVersionsResult>")
    ctx.listed = [("object_version", b.name, k, v.vid) for k, v, _ in listed]
    return xml_resp("".join(parts))


def _common_prefix(key, prefix, delim):
    """The CommonPrefixes entry a key rolls up into, or None."""
    if not delim:
        return None
    j = key.find(delim, len(prefix))
    return key[:j + len(delim)] if j >= 0 else None


def _past_prefix(cp):
    """The least string above every string that starts with cp."""
    return cp[:-1] + chr(ord(cp[-1]) + 1)


def op_ListObjectsV2(ctx, srv, b):
    q = ctx.q
    _add_objects(ctx, b)
    delim = q.get("delimiter") or ""
    et = q.get("encoding-type")
    if et is not None and et != "url":
        return s3_error(ctx, 400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                        {"ArgumentName": "encoding-type", "ArgumentValue": et})
    maxk, err = _int_param(ctx, "max-keys", 1000, 0, 2147483647)
    if err:
        return err
    maxk = min(maxk, 1000)
    prefix = q.get("prefix", "")
    token = q.get("continuation-token")
    start_after = q.get("start-after", "")
    if token is not None:
        after = util.parse_marker("K", token)
        past = util.parse_marker("G", token) if after is None else None
        if after is None and past is None:
            return s3_error(ctx, 400, "InvalidArgument", "The continuation token provided is incorrect",
                            {"ArgumentName": "continuation-token"})
        start, after = (after, True) if after is not None else (past, False)
    elif start_after:
        start, after = start_after, True
    else:
        start, after = "", False
    if prefix and start < prefix:
        start, after = prefix, False
    items = []
    prefixes = []
    truncated = False
    scan = b.objects.scan(start, after)
    while True:
        nxt = next(scan, None)
        if nxt is None:
            break
        k, vs = nxt
        if prefix and not k.startswith(prefix):
            break
        cp = _common_prefix(k, prefix, delim)
        if cp is not None:
            # The whole group is one entry; the listing goes on after it.
            if len(items) + len(prefixes) >= maxk:
                truncated = maxk > 0
                break
            prefixes.append(cp)
            scan = b.objects.scan(_past_prefix(cp))
            continue
        v = vs[0]
        if v.marker:
            continue
        if len(items) + len(prefixes) >= maxk:
            truncated = maxk > 0
            break
        items.append((k, v))
    parts = ['<ListBucketResult xmlns="%s">' % S3_NS, xml_el("Name", b.name), xml_el("Prefix", _enc(ctx, prefix))]
    if token is not None:
        parts.append(xml_el("ContinuationToken", token))
    if start_after:
        parts.append(xml_el("StartAfter", _enc(ctx, start_after)))
    if delim:
        parts.append(xml_el("Delimiter", _enc(ctx, delim)))
    parts.append(xml_el("KeyCount", len(items) + len(prefixes)))
    parts.append(xml_el("MaxKeys", maxk))
    parts.append(_enc_type(ctx, et))
    parts.append(_truncated(ctx, truncated))
    if truncated:
        lastk = max([k for k, _ in items[-1:]] + prefixes[-1:])
        # After a rolled-up group the next page starts past all of it
        # ("G": from this string on), else after the last key ("K").
        if prefixes and lastk == prefixes[-1]:
            tok = util.make_marker("G", _past_prefix(lastk))
        else:
            tok = util.make_marker("K", lastk)
        parts.append(xml_el("NextContinuationToken", tok))
    owner = _owner(srv.store(ctx)) if q.get("fetch-owner") == "true" else ""
    for it in _twice(ctx, items, lambda it, t: (it[0], it[1], t)):
        k, v = it[0], it[1]
        mtime = it[2] if len(it) > 2 else v.mtime
        parts.append("<Contents>%s%s%s%s%s%s</Contents>" % (
            xml_el("Key", _enc(ctx, k)), xml_el("LastModified", util.iso_s3(mtime)), xml_el("ETag", v.etag),
            xml_el("Size", v.size), owner, xml_el("StorageClass", "STANDARD")))
    for cp in prefixes:
        parts.append("<CommonPrefixes>%s</CommonPrefixes>" % xml_el("Prefix", _enc(ctx, cp)))
    parts.append("</ListBucketResult>")
    ctx.listed = [("object_version", b.name, k, v.vid) for k, v in items]
    return xml_resp("".join(parts))


# ------------------------------------------------------------------ objects
def op_HeadObject(ctx, srv, b):
    vs = b.objects.get(ctx.key)
    v = None
    if ctx.version_id is not None:
        v = next((x for x in vs if x.vid == ctx.version_id), None)
    elif vs:
        v = vs[0]
    if v is None or v.marker:
        return s3_error(ctx, 404, "NoSuchKey", "The specified key does not exist.")
    # As S3: no x-amz-version-id in a bucket that never had versioning; in
    # a versioned or suspended one, every version's id ("null" for objects
    # written before versioning was enabled).
    hdrs = [("ETag", v.etag)] + ([("x-amz-version-id", v.vid)] if b.versioning else [])
    return Resp(200, b"", hdrs + [("Content-Type", "binary/octet-stream"),
                                  ("Last-Modified", util.CLOCK.http_date())])


def op_PutObject(ctx, srv, b):
    err = check_body_checksum(ctx, required=False)
    if err:
        return err
    v = b.put(ctx.key, len(ctx.body))
    hdrs = [("ETag", v.etag)]
    if b.versioning:
        hdrs.append(("x-amz-version-id", v.vid))
    return Resp(200, b"", hdrs)


def op_DeleteObject(ctx, srv, b):
    r = b.delete(ctx.key, ctx.version_id)
    hdrs = []
    if r["delete_marker"]:
        hdrs.append(("x-amz-delete-marker", "true"))
    vid = r["marker_vid"] if ctx.version_id is None else ctx.version_id
    if vid is not None and b.versioning is not None:
        hdrs.append(("x-amz-version-id", vid))
    return Resp(204, b"", hdrs)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def op_DeleteObjects(ctx, srv, b):
    err = check_body_checksum(ctx, required=True)
    if err:
        return err
    malformed = s3_error(ctx, 400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                         "against our published schema")
    if b"<!DOCTYPE" in ctx.body or b"<!ENTITY" in ctx.body:
        return malformed
    try:
        root = ET.fromstring(ctx.body)
    except ET.ParseError:
        return malformed
    if _local(root.tag) != "Delete":
        return malformed
    quiet = False
    objs = []
    for el in root:
        name = _local(el.tag)
        if name == "Quiet":
            quiet = (el.text or "").strip().lower() == "true"
        elif name == "Object":
            key = vid = None
            for c in el:
                if _local(c.tag) == "Key":
                    key = c.text or ""
                elif _local(c.tag) == "VersionId":
                    vid = c.text or ""
            if key is None or key == "":
                return malformed
            objs.append((key, vid))
        else:
            return malformed
    if not objs or len(objs) > 1000:
        return malformed
    ctx.count = len(objs)
    key_fault = ctx.fault_of("key_errors")
    failing = 0
    parts = ['<DeleteResult xmlns="%s">' % S3_NS]
    for key, vid in objs:
        action = "s3:DeleteObjectVersion" if vid is not None else "s3:DeleteObject"
        resource = "arn:aws:s3:::%s/%s" % (b.name, key)
        vid_el = xml_el("VersionId", vid) if vid is not None else ""
        if not srv.allowed(ctx, action, resource):
            parts.append("<Error>%s%s%s%s</Error>" % (xml_el("Key", key), vid_el, xml_el("Code", "AccessDenied"),
                                                      xml_el("Message", "Access Denied")))
            ctx.key_errors += 1
            continue
        if key_fault is not None and failing < int(key_fault.params.get("n", 1)) \
                and key_fault.item_matches(key) and (key, vid) not in key_fault.state:
            key_fault.state[(key, vid)] = True
            failing += 1
            code = key_fault.params.get("code", "InternalError")
            parts.append("<Error>%s%s%s%s</Error>" % (xml_el("Key", key), vid_el, xml_el("Code", code),
                                                      xml_el("Message", "We encountered an internal error. "
                                                             "Please try again.")))
            ctx.key_errors += 1
            continue
        r = b.delete(key, vid)
        if quiet:
            continue
        inner = xml_el("Key", key) + vid_el
        if r["delete_marker"]:
            inner += xml_el("DeleteMarker", "true")
            if r["marker_vid"] is not None:
                inner += xml_el("DeleteMarkerVersionId", r["marker_vid"])
        parts.append("<Deleted>%s</Deleted>" % inner)
    parts.append("</DeleteResult>")
    _add_objects(ctx, b)
    return xml_resp("".join(parts))
