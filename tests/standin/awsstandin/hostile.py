"""Hostile answers: what a compromised endpoint or proxy could send in AWS's
place.  The fault kinds bad_region, foreign_redirect, echo_request, bad_date and
big_page (see faults.py and README.md) are shaped here."""
import hashlib
import json
import re
from email.utils import formatdate
from urllib.parse import parse_qsl

from .wire import Resp, lambda_error, query_error, s3_error

# Where a padded XML page puts its padding: inside each item.
_XML_ITEM_END = re.compile(rb"</(Version|DeleteMarker|Contents|Bucket)>")
_JSON_LISTS = ("Functions", "Layers", "LayerVersions")
# One padding field or element at most this long (the janitor's parsers cap
# one text at 1 MiB; real fields are shorter still).
_CHUNK = 60000


def redirect(ctx, bucket, region, status):
    """S3's answer for a bucket that lives in `region` (301 or 400)."""
    hdr = [("x-amz-bucket-region", region)]
    if int(status) == 400:
        return s3_error(ctx, 400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; the region '%s' is wrong; expecting '%s'"
                        % (ctx.region, region), {"Region": region}, hdr)
    return s3_error(ctx, 301, "PermanentRedirect",
                    "The bucket you are attempting to access must be addressed using the specified "
                    "endpoint. Please send all future requests to this endpoint.",
                    {"Endpoint": "s3.%s.amazonaws.com" % region, "Bucket": bucket}, hdr)


def echo_request(ctx, status, body=False):
    """A signature error that echoes what was signed, as real S3 does for
    SignatureDoesNotMatch: the canonical request (with the session token
    header), the string to sign, the signature and the access key; the
    request id header carries the token too.  With body, the request body
    follows as sent and, for a form (STS), each parameter decoded."""
    token = ctx.headers.get("X-Amz-Security-Token") or ""
    authz = ctx.headers.get("Authorization") or ""
    amz_date = ctx.headers.get("X-Amz-Date") or ""
    sig = authz.rpartition("Signature=")[2]
    scope = authz.partition("Credential=")[2].partition(",")[0].partition("/")[2]
    canon = "%s\n%s\n%s\nhost:%s\nx-amz-date:%s\nx-amz-security-token:%s\n\nhost;x-amz-date;x-amz-security-token\n%s" % (
        ctx.method, ctx.path, ctx.query_raw, ctx.headers.get("Host", ""), amz_date, token,
        ctx.headers.get("X-Amz-Content-SHA256") or "UNSIGNED-PAYLOAD")
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, hashlib.sha256(canon.encode()).hexdigest())
    message = ("The request signature we calculated does not match the signature you provided. Check your "
               "key and signing method. Authorization: %s\nX-Amz-Security-Token: %s\nCanonicalRequest: %s\n"
               "StringToSign: %s" % (authz, token, canon, sts))
    if body:
        raw = ctx.body.decode("utf-8", "replace") if isinstance(ctx.body, bytes) else str(ctx.body or "")
        message += "\nRequest body: %s" % raw
        if ctx.service in ("sts", "iam"):
            message += "".join("\n%s: %s" % kv for kv in parse_qsl(raw, keep_blank_values=True))
    hdr = [("x-amz-request-id" if ctx.service == "s3" else "x-amzn-RequestId", token or "none")]
    if ctx.service == "s3":
        return s3_error(ctx, status, "SignatureDoesNotMatch", message, {
            "AWSAccessKeyId": ctx.access_key or "", "StringToSign": sts, "SignatureProvided": sig,
            "StringToSignBytes": " ".join("%02x" % b for b in sts.encode()),
            "CanonicalRequest": canon,
            "CanonicalRequestBytes": " ".join("%02x" % b for b in canon.encode())}, hdr)
    if ctx.service == "lambda":
        # JSON can carry what XML cannot: terminal escapes in the message.
        return lambda_error(ctx, status, "InvalidSignatureException", "\x1b[2J\x1b]0;owned\x07" + message,
                            headers=hdr)
    return query_error(ctx, status, "SignatureDoesNotMatch", message, headers=hdr)


def bad_date(ctx, offset_s):
    """A clock error (RequestTimeTooSkewed, InvalidSignatureException,
    SignatureDoesNotMatch) whose Date says the stand-in's time plus
    offset_s; the stand-in's own clock does not move."""
    from . import auth, util
    resp = auth._err(ctx, "skew", "The difference between the request time and the current time is too large.")
    resp.date = formatdate(util.CLOCK.now() + offset_s, usegmt=True)
    return resp


def _sizes(total, n):
    """Split total bytes into chunks of at most _CHUNK over n items."""
    per = [total // n + (1 if i < total % n else 0) for i in range(n)]
    return [[_CHUNK] * (p // _CHUNK) + ([p % _CHUNK] if p % _CHUNK else []) for p in per]


def big_page(resp, target):
    """Pad a listing answer to exactly `target` bytes (if it is smaller),
    spreading the padding over its items as fields the client ignores."""
    body = resp.body
    if resp.status != 200 or len(body) >= target:
        return resp
    ctype = resp.header("Content-Type") or ""
    if "json" in ctype:
        doc = json.loads(body)
        items = next((doc[k] for k in _JSON_LISTS if isinstance(doc.get(k), list) and doc[k]), None)
        holders = items if items else [doc]
        for h, chunks in zip(holders, _sizes(target - len(body), len(holders))):
            for i, c in enumerate(chunks):
                h["Padding%d" % i] = "x" * c
        out = json.dumps(doc, separators=(",", ":")).encode()
        # The field names took room too: take it back from the last field.
        h = holders[-1]
        last = max((k for k in h if k.startswith("Padding")), key=lambda k: int(k[7:]), default=None)
        if last is not None:
            h[last] = "x" * max(0, len(h[last]) - (len(out) - target))
            out = json.dumps(doc, separators=(",", ":")).encode()
    else:
        ends = list(_XML_ITEM_END.finditer(body))
        n = max(1, len(ends))
        el = len(b"<Padding></Padding>")
        sizes = _sizes(target - len(body), n)
        pads = [b"".join(b"<Padding>" + b"x" * max(0, c - el) + b"</Padding>" for c in chunks) for chunks in sizes]
        if ends:
            parts, at = [], 0
            for m, pad in zip(ends, pads):
                parts += [body[at:m.start()], pad]
                at = m.start()
            parts.append(body[at:])
            out = b"".join(parts)
        else:
            close = body.rstrip().rfind(b"</")
            out = body[:close] + pads[0] + body[close:]
    r = Resp(resp.status, out, [h for h in resp.headers])
    r.error = resp.error
    return r

