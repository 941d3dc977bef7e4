"""CloudWatch Logs (JSON 1.1: POST / with X-Amz-Target): log groups."""
import json

from . import util
from .wire import Resp, logs_error

TARGET_PREFIX = "Logs_20140328."
OPERATIONS = ("DescribeLogGroups", "DeleteLogGroup")
MODIFYING = {"DeleteLogGroup"}
PAGE_MAX = 50
CONTENT_TYPE = "application/x-amz-json-1.1"


def classify(ctx):
    target = ctx.headers.get("X-Amz-Target") or ""
    op = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
    if ctx.method != "POST" or ctx.path != "/" or op not in OPERATIONS:
        ctx.operation = "Unsupported"
        return logs_error(ctx, 400, "UnknownOperationException", "Unknown operation %s" % (target or "-"))
    ctx.operation = op
    ctx.modifies = op in MODIFYING
    try:
        ctx.args = json.loads(ctx.body.decode("utf-8")) if ctx.body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        ctx.args = None
    if not isinstance(ctx.args, dict):
        return logs_error(ctx, 400, "SerializationException", "The request body is not a JSON object")
    if op == "DeleteLogGroup":
        ctx.target = ctx.args.get("logGroupName")
    return None


def _arn(st, region, name):
    return "arn:aws:logs:%s:%s:log-group:%s" % (region, st.account, name)


def _action(ctx, st):
    if ctx.operation == "DescribeLogGroups":
        return "logs:DescribeLogGroups", _arn(st, ctx.region, "*")
    return "logs:DeleteLogGroup", _arn(st, ctx.region, "%s:*" % ctx.target)


def handle(ctx, srv):
    st = srv.store(ctx)
    with st.lock:
        reg = st.region(ctx.region)
        if reg is None:
            return logs_error(ctx, 400, "UnrecognizedClientException",
                              "The security token included in the request is invalid.")
        if ctx.operation == "DeleteLogGroup" and (not isinstance(ctx.target, str) or not ctx.target):
            return logs_error(ctx, 400, "InvalidParameterException", "logGroupName is required")
        action, resource = _action(ctx, st)
        denied = srv.authorize(ctx, action, resource)
        if denied is not None:
            return denied
        return globals()["op_" + ctx.operation](ctx, srv, reg)


def _json(obj):
    return Resp(200, json.dumps(obj, separators=(",", ":")), content_type=CONTENT_TYPE)


def op_DescribeLogGroups(ctx, srv, reg):
    st = srv.store(ctx)
    a = ctx.args
    limit = a.get("limit", PAGE_MAX)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1 or limit > PAGE_MAX:
        return logs_error(ctx, 400, "InvalidParameterException",
                          "1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: "
                          "Member must have value less than or equal to 50" % (limit,))
    prefix = a.get("logGroupNamePrefix", "")
    if not isinstance(prefix, str):
        return logs_error(ctx, 400, "InvalidParameterException", "logGroupNamePrefix must be a string")
    start = 0
    token = a.get("nextToken")
    if token is not None:
        after = util.parse_marker("G", token) if isinstance(token, str) else None
        if after is None:
            return logs_error(ctx, 400, "InvalidParameterException", "The specified nextToken is invalid.")
        start = reg.log_group_names.index_after(after)
    names = [n for n in reg.log_group_names.items[start:] if n.startswith(prefix)]
    page, more = names[:limit], len(names) > limit
    out = []
    for n in page:
        g = reg.log_groups[n]
        out.append({"logGroupName": n, "creationTime": int(g.created * 1000), "metricFilterCount": 0,
                    "arn": _arn(st, reg.name, n) + ":*", "storedBytes": g.stored_bytes,
                    "logGroupClass": "STANDARD", "logGroupArn": _arn(st, reg.name, n)})
    ctx.listed = [("log_group", reg.name, n) for n in page]
    body = {"logGroups": out}
    if more:
        body["nextToken"] = util.make_marker("G", page[-1])
    return _json(body)


def op_DeleteLogGroup(ctx, srv, reg):
    if not reg.remove_log_group(ctx.target):
        return logs_error(ctx, 400, "ResourceNotFoundException", "The specified log group does not exist.")
    return Resp(200, b"", content_type=CONTENT_TYPE)
