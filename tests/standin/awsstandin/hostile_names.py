"""The `hostile_names` fault: listings that carry names AWS could not have
created, injected when the answer is serialised (they never exist in the
state, so nothing can resolve them).

Parameters:
  names          strings added to every matching ListBuckets, ListFunctions
                 or ListLayers page (may repeat a real name: a duplicate);
  versions       raw JSON values added as "Version" of extra items to every
                 matching ListLayerVersions page;
  bucket_region  <BucketRegion> of an injected bucket (default us-east-1);
  age_days       their creation time (default 400: old enough to delete);
  latest_version the LatestMatchingVersion of an injected layer (default 1).
For names listed on every page of a listing use "count": -1.
"""
from . import util

KIND = "hostile_names"
DEFAULTS = {"names": [], "versions": [], "bucket_region": "us-east-1", "age_days": 400, "latest_version": 1}


def _fault(ctx):
    return ctx.fault_of(KIND)


def _created(f):
    return util.CLOCK.now() - float(f.params.get("age_days", 400)) * 86400


def _names(f):
    names = f.params.get("names") or []
    return [str(n) for n in names]


def bucket_xml(ctx, with_region):
    """Extra <Bucket> elements for ListBuckets ("" without the fault).  A CR
    goes as a character reference, so that XML keeps it; a NUL or another C0
    control makes the document ill-formed, as it would be on the wire."""
    f = _fault(ctx)
    if f is None:
        return ""
    out = []
    for n in _names(f):
        name = util.xml_text(n).replace("\r", "&#13;")
        out.append("<Bucket><Name>%s</Name>%s%s</Bucket>" % (
            name, util.xml_el("CreationDate", util.iso_s3(_created(f))),
            util.xml_el("BucketRegion", f.params.get("bucket_region", "us-east-1")) if with_region else ""))
    return "".join(out)


def functions(ctx, arn, existing):
    """Extra ListFunctions items; existing(name) gives a real one's config."""
    f = _fault(ctx)
    if f is None:
        return []
    out = []
    for n in _names(f):
        cfg = existing(n)
        out.append(cfg if cfg is not None else {
            "FunctionName": n, "FunctionArn": arn("function", n), "Runtime": "nodejs18.x",
            "MemorySize": 2048, "Timeout": 120, "CodeSize": 1,
            "LastModified": util.lambda_time(_created(f))})
    return out


def layers(ctx, arn):
    f = _fault(ctx)
    if f is None:
        return []
    t = util.lambda_time(_created(f))
    v = f.params.get("latest_version", 1)
    return [{"LayerName": n, "LayerArn": arn("layer", n),
             "LatestMatchingVersion": {"LayerVersionArn": "%s:%s" % (arn("layer", n), v), "Version": v,
                                       "CreatedDate": t}} for n in _names(f)]


def layer_versions(ctx, arn):
    f = _fault(ctx)
    if f is None:
        return []
    t = util.lambda_time(_created(f))
    return [{"LayerVersionArn": "%s:%s" % (arn, v), "Version": v, "CreatedDate": t}
            for v in (f.params.get("versions") or [])]
