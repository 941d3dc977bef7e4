"""Responses and each service's error shapes."""
import json

from . import util


class Resp:
    """A response to send.  error is the error code (for the request log)."""

    def __init__(self, status=200, body=b"", headers=None, error=None, content_type=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = list(headers or [])
        self.error = error
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.fault = None
        self.close = False
        self.date = None        # a Date header other than the stand-in's clock

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def xml_resp(body, status=200, headers=None):
    return Resp(status, util.XML_DECL + body, headers, content_type="application/xml")


def json_resp(obj, status=200, headers=None):
    return Resp(status, json.dumps(obj, separators=(",", ":")), headers, content_type="application/json")


def s3_error(ctx, status, code, message, extra=None, headers=None):
    parts = ["<Error>", util.xml_el("Code", code), util.xml_el("Message", message)]
    for k, v in (extra or {}).items():
        parts.append(util.xml_el(k, v))
    parts.append(util.xml_el("RequestId", ctx.request_id))
    parts.append(util.xml_el("HostId", ctx.host_id))
    parts.append("</Error>")
    r = Resp(status, "" if ctx.method == "HEAD" else util.XML_DECL + "".join(parts), headers, error=code,
             content_type="application/xml")
    return r


def lambda_error(ctx, status, code, message, auth_layer=False, headers=None, extra=None):
    """Lambda's rest-json errors.  Auth-layer errors carry the coral suffix in
    x-amzn-ErrorType and a bare {"message":...} body, like the real service."""
    hdr = code + (":http://internal.amazon.com/coral/com.amazon.coral.service/" if auth_layer else "")
    if auth_layer:
        body = {"message": message}
    else:
        body = {"Type": "Service" if status >= 500 else "User", "message": message}
    body.update(extra or {})
    r = json_resp(body, status, [("x-amzn-ErrorType", hdr)] + list(headers or []))
    r.error = code
    return r


def logs_error(ctx, status, code, message, headers=None):
    """CloudWatch Logs' JSON 1.1 errors: {"__type": CODE, "message": ...}."""
    r = Resp(status, json.dumps({"__type": code, "message": message}, separators=(",", ":")), headers,
             error=code, content_type="application/x-amz-json-1.1")
    return r


def org_error(ctx, status, code, message, reason=None, headers=None):
    """Organizations' JSON 1.1 errors: {"__type": CODE, "Message": ...} (capital M, as in its model)."""
    body = {"__type": code, "Message": message}
    if reason is not None:
        body["Reason"] = reason
    return Resp(status, json.dumps(body, separators=(",", ":")), headers, error=code,
                content_type="application/x-amz-json-1.1")


def query_error(ctx, status, code, message, sender=True, headers=None):
    ns = util.IAM_NS if ctx.service == "iam" else util.STS_NS
    body = ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type>%s%s</Error>%s</ErrorResponse>'
            % (ns, "Sender" if sender else "Receiver", util.xml_el("Code", code),
               util.xml_el("Message", message), util.xml_el("RequestId", ctx.request_id)))
    r = Resp(status, util.XML_DECL + body, headers, error=code, content_type="text/xml")
    return r


def service_error(ctx, kind, message=None, **kw):
    """Map a generic error kind to the answer of ctx.service."""
    svc = ctx.service
    if kind == "access_denied":
        action, resource = kw["action"], kw["resource"]
        who = kw["principal"]
        if svc == "s3":
            return s3_error(ctx, 403, "AccessDenied", "Access Denied")
        text = ("User: %s is not authorized to perform: %s on resource: %s because no identity-based "
                "policy allows the %s action" % (who, action, resource, action))
        if kw.get("explicit"):
            text = ("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in "
                    "an identity-based policy" % (who, action, resource))
        if svc == "lambda":
            return lambda_error(ctx, 403, "AccessDeniedException", text)
        if svc == "logs":
            return logs_error(ctx, 400, "AccessDeniedException", text)
        if svc == "organizations":
            return org_error(ctx, 400, "AccessDeniedException", text)
        return query_error(ctx, 403, "AccessDenied", text)
    if kind == "internal":
        status = kw.get("status", 500)
        code = kw.get("code")
        if svc == "s3":
            code = code or {500: "InternalError", 503: "ServiceUnavailable"}.get(status, "InternalError")
            msg = message or ("We encountered an internal error. Please try again." if status == 500
                              else "Please reduce your request rate.")
            return s3_error(ctx, status, code, msg)
        if svc == "lambda":
            return lambda_error(ctx, status, code or "ServiceException",
                                message or "The service encountered an internal error.")
        if svc == "organizations":
            return org_error(ctx, status, code or "ServiceException",
                             message or "Organizations can't complete your request because of an internal "
                             "service error. Try again later.")
        if svc == "logs":
            return logs_error(ctx, status, code or {503: "ServiceUnavailableException"}.get(
                status, "InternalFailure"), message or "The service encountered an internal error.")
        return query_error(ctx, status, code or {500: "InternalFailure", 503: "ServiceUnavailable"}.get(
            status, "InternalFailure"), message or "The service is unavailable.", sender=False)
    if kind == "throttle":
        if svc == "s3":
            return s3_error(ctx, 503, "SlowDown", "Please reduce your request rate.")
        if svc == "lambda":
            return lambda_error(ctx, 429, "TooManyRequestsException", "Rate exceeded",
                                headers=[("Retry-After", str(kw.get("retry_after", 1)))],
                                extra={"Reason": "CallerRateLimitExceeded",
                                       "retryAfterSeconds": str(kw.get("retry_after", 1))})
        if svc == "logs":
            return logs_error(ctx, 400, "ThrottlingException", "Rate exceeded")
        if svc == "organizations":
            return org_error(ctx, 400, "TooManyRequestsException", "AWS Organizations can't complete your "
                             "request because another request is already in progress. Try again later.")
        return query_error(ctx, 400, "Throttling", "Rate exceeded")
    raise ValueError(kind)
