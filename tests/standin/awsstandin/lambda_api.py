"""Lambda (rest-json): functions and layers."""
import hashlib
import base64
import re
from urllib.parse import unquote

from . import hostile_names, util
from .wire import Resp, json_resp, lambda_error

MODIFYING = {"DeleteFunction", "DeleteLayerVersion"}
PAGE_MAX = 50

_FN_ARN = re.compile(r"^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([^:]+)(?::([^:]+))?$")
_LAYER_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([^:]+)$")


def classify(ctx):
    segs = [unquote(s) for s in ctx.path.split("/")[1:]]
    if segs and segs[-1] == "":
        segs = segs[:-1]
    m = ctx.method
    op = None
    if len(segs) >= 2 and segs[0] == "2015-03-31" and segs[1] == "functions":
        if len(segs) == 2 and m == "GET":
            op = "ListFunctions"
        elif len(segs) == 3 and m in ("DELETE", "GET"):
            op = "DeleteFunction" if m == "DELETE" else "GetFunction"
            fm = _FN_ARN.match(segs[2])
            ctx.target = fm.group(3) if fm else segs[2]
    elif len(segs) == 3 and segs[0] == "2017-03-31" and segs[1] == "tags" and m == "GET":
        op = "ListTags"
        fm = _FN_ARN.match(segs[2])
        ctx.target = fm.group(3) if fm else segs[2]
    elif len(segs) >= 2 and segs[0] == "2018-10-31" and segs[1] == "layers":
        if len(segs) == 2 and m == "GET":
            op = "ListLayers"
        elif len(segs) >= 4 and segs[3] == "versions":
            lm = _LAYER_ARN.match(segs[2])
            ctx.target = lm.group(3) if lm else segs[2]
            if len(segs) == 4 and m == "GET":
                op = "ListLayerVersions"
            elif len(segs) == 5 and m in ("GET", "DELETE"):
                op = "GetLayerVersion" if m == "GET" else "DeleteLayerVersion"
                ctx.version_id = segs[4]
    if op is None:
        ctx.operation = "Unsupported"
        return lambda_error(ctx, 404, "UnknownOperationException", "Unknown operation %s %s" % (m, ctx.path))
    ctx.operation = op
    ctx.modifies = op in MODIFYING
    return None


def _arn(st, region, kind, name, version=None):
    a = "arn:aws:lambda:%s:%s:%s:%s" % (region, st.account, kind, name)
    return a if version is None else "%s:%s" % (a, version)


def _action(ctx, st):
    op, r = ctx.operation, ctx.region
    if op in ("ListFunctions", "ListLayers"):
        return "lambda:" + op, "*"
    if op in ("DeleteFunction", "GetFunction", "ListTags"):
        return "lambda:" + op, _arn(st, r, "function", ctx.target)
    if op == "ListLayerVersions":
        return "lambda:ListLayerVersions", _arn(st, r, "layer", ctx.target)
    return "lambda:" + op, _arn(st, r, "layer", ctx.target, ctx.version_id)


def _page(ctx, tag, names):
    """Start index and page size from Marker/MaxItems; or an error Resp."""
    q = ctx.q
    size = PAGE_MAX
    if "MaxItems" in q:
        try:
            n = int(q["MaxItems"])
        except ValueError:
            n = 0
        if n < 1 or n > 10000:
            return None, None, lambda_error(
                ctx, 400, "ValidationException",
                "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must "
                "have value between 1 and 10000" % q["MaxItems"])
        size = min(n, PAGE_MAX)
    start = 0
    if q.get("Marker"):
        after = util.parse_marker(tag, q["Marker"])
        if after is None:
            return None, None, lambda_error(ctx, 400, "InvalidParameterValueException", "Invalid marker: %s"
                                            % q["Marker"])
        start = names.index_after(after)
    return start, size, None


def _finish_page(ctx, body, key, items, last_name, more, tag):
    body[key] = items
    if more:
        body["NextMarker"] = util.make_marker(tag, last_name)
    else:
        lm = ctx.fault_of("last_marker")
        if lm is not None:
            body["NextMarker"] = lm.params.get("value")
    return json_resp(body)


def handle(ctx, srv):
    st = srv.store(ctx)
    with st.lock:
        reg = st.region(ctx.region)
        action, resource = _action(ctx, st)
        denied = srv.authorize(ctx, action, resource)
        if denied is not None:
            return denied
        return globals()["op_" + ctx.operation](ctx, srv, reg)


def _fn_config(st, f):
    return {
        "FunctionName": f.name,
        "FunctionArn": _arn(st, f.region, "function", f.name),
        "Runtime": f.runtime,
        "Role": "arn:aws:iam::%s:role/remotion-lambda-role" % st.account,
        "Handler": "index.handler",
        "CodeSize": f.code_size,
        "Description": f.description,
        "Timeout": f.timeout,
        "MemorySize": f.memory,
        "LastModified": util.lambda_time(f.created),
        "CodeSha256": base64.b64encode(hashlib.sha256(f.name.encode()).digest()).decode(),
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": f.revision,
        "PackageType": "Zip",
        "Architectures": [f.arch],
        "EphemeralStorage": {"Size": f.disk},
    }


def op_ListFunctions(ctx, srv, reg):
    st = srv.store(ctx)
    start, size, err = _page(ctx, "F", reg.function_names)
    if err:
        return err
    names = reg.function_names.items[start:start + size]
    more = start + size < len(reg.function_names)
    ctx.listed = [("function", reg.name, n) for n in names]
    items = [_fn_config(st, reg.functions[n]) for n in names]
    items += hostile_names.functions(ctx, lambda kind, n: _arn(st, reg.name, kind, n),
                               lambda n: _fn_config(st, reg.functions[n]) if n in reg.functions else None)
    return _finish_page(ctx, {}, "Functions", items, names[-1] if names else None, more, "F")


def _not_found_fn(ctx, st):
    return lambda_error(ctx, 404, "ResourceNotFoundException", "Function not found: %s"
                        % _arn(st, ctx.region, "function", ctx.target))


def op_GetFunction(ctx, srv, reg):
    f = reg.functions.get(ctx.target)
    if f is None:
        return _not_found_fn(ctx, srv.store(ctx))
    return json_resp({"Configuration": _fn_config(srv.store(ctx), f),
                      "Code": {"RepositoryType": "S3", "Location": "https://example.invalid/code"}})


def op_ListTags(ctx, srv, reg):
    f = reg.functions.get(ctx.target)
    if f is None:
        return _not_found_fn(ctx, srv.store(ctx))
    return json_resp({"Tags": dict(f.tags)})


def op_DeleteFunction(ctx, srv, reg):
    if ctx.q.get("Qualifier") not in (None, "$LATEST"):
        return lambda_error(ctx, 400, "InvalidParameterValueException",
                            "Deletion of a version is not supported by the stand-in")
    if not reg.remove_function(ctx.target):
        return _not_found_fn(ctx, srv.store(ctx))
    return Resp(204)


def _lv(st, ly, v):
    return {
        "LayerVersionArn": _arn(st, ly.region, "layer", ly.name, v.version),
        "Version": v.version,
        "Description": v.description,
        "CreatedDate": util.lambda_time(v.created),
        "CompatibleRuntimes": v.runtimes,
        "LicenseInfo": "MIT",
        "CompatibleArchitectures": v.archs,
    }


def op_ListLayers(ctx, srv, reg):
    st = srv.store(ctx)
    start, size, err = _page(ctx, "L", reg.layer_names)
    if err:
        return err
    names = reg.layer_names.items[start:start + size]
    more = start + size < len(reg.layer_names)
    out = []
    for n in names:
        ly = reg.layers[n]
        latest = ly.latest()
        out.append({"LayerName": n, "LayerArn": _arn(st, reg.name, "layer", n),
                    "LatestMatchingVersion": _lv(st, ly, latest)})
    ctx.listed = [("layer_version", reg.name, n, reg.layers[n].latest().version) for n in names]
    out += hostile_names.layers(ctx, lambda kind, n: _arn(st, reg.name, kind, n))
    return _finish_page(ctx, {}, "Layers", out, names[-1] if names else None, more, "L")


class _Versions:
    """Version numbers of one layer, newest first, as a marker-pageable list."""

    def __init__(self, ly):
        self.items = sorted(ly.versions, reverse=True) if ly else []

    def index_after(self, name):
        try:
            v = int(name)
        except ValueError:
            return len(self.items)
        for i, x in enumerate(self.items):
            if x < v:
                return i
        return len(self.items)

    def __len__(self):
        return len(self.items)


def op_ListLayerVersions(ctx, srv, reg):
    st = srv.store(ctx)
    ly = reg.layers.get(ctx.target)
    vs = _Versions(ly)
    start, size, err = _page(ctx, "V", vs)
    if err:
        return err
    nums = vs.items[start:start + size]
    more = start + size < len(vs)
    ctx.listed = [("layer_version", reg.name, ctx.target, n) for n in nums]
    items = [_lv(st, ly, ly.versions[n]) for n in nums]
    items += hostile_names.layer_versions(ctx, _arn(st, reg.name, "layer", ctx.target))
    return _finish_page(ctx, {}, "LayerVersions", items, str(nums[-1]) if nums else None, more, "V")


def _version_num(ctx):
    try:
        n = int(ctx.version_id)
        if n < 1:
            raise ValueError
        return n, None
    except (TypeError, ValueError):
        return None, lambda_error(ctx, 400, "InvalidParameterValueException",
                                  "Invalid version number: %s" % ctx.version_id)


def op_GetLayerVersion(ctx, srv, reg):
    st = srv.store(ctx)
    n, err = _version_num(ctx)
    if err:
        return err
    ly = reg.layers.get(ctx.target)
    v = ly.versions.get(n) if ly else None
    if v is None:
        return lambda_error(ctx, 404, "ResourceNotFoundException", "The resource you requested does not exist.")
    body = _lv(st, ly, v)
    body["LayerArn"] = _arn(st, reg.name, "layer", ly.name)
    body["Content"] = {"Location": "https://example.invalid/layer/%s/%d" % (ly.name, n),
                       "CodeSha256": base64.b64encode(hashlib.sha256(("%s%d" % (ly.name, n)).encode())
                                                      .digest()).decode(),
                       "CodeSize": v.code_size}
    return json_resp(body)


def op_DeleteLayerVersion(ctx, srv, reg):
    n, err = _version_num(ctx)
    if err:
        return err
    reg.remove_layer_version(ctx.target, n)      # 204 also when it is already gone
    return Resp(204)
