"""SigV4 verification with botocore's signer classes.

The canonical request is rebuilt from the request as received: only the
headers named in SignedHeaders, the query decoded (a "+" decodes to a space,
as AWS does) and re-encoded by botocore, the S3 path as sent and every other
service's path encoded once more.  The result is compared with the
signature the client sent.
"""
import base64
import binascii
import calendar
import hashlib
import hmac
import re
import time
import zlib
from urllib.parse import unquote_plus

from botocore.auth import SigV4Auth, S3SigV4Auth, EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from . import util
from .wire import s3_error, lambda_error, logs_error, org_error, query_error

MAX_SKEW = 15 * 60
SERVICES = ("s3", "lambda", "logs", "iam", "sts", "organizations")


class _SignReq:
    """The minimal request object botocore's signer methods read."""

    def __init__(self, method, url, headers, params, body):
        self.method = method
        self.url = url
        self.headers = headers
        self.params = params
        self.body = body
        self.context = {}


def parse_query(qs):
    """Decode a raw query string into [(name, value)], keeping order and repeats."""
    out = []
    if not qs:
        return out
    for part in qs.split("&"):
        if part == "":
            continue
        k, _, v = part.partition("=")
        out.append((unquote_plus(k, errors="surrogateescape"), unquote_plus(v, errors="surrogateescape")))
    return out


_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$", re.DOTALL)


def parse_authorization(value):
    """Return dict(access_key, date, region, service, signed_headers, signature) or raise ValueError."""
    m = _AUTH_RE.match(value.strip())
    if not m:
        raise ValueError("Unsupported Authorization Type")
    fields = {}
    for part in m.group(1).split(","):
        part = part.strip()
        if not part:
            continue
        k, eq, v = part.partition("=")
        if not eq:
            raise ValueError("'%s' not a valid key=value pair (missing equal-sign) in Authorization header" % part)
        fields[k.strip()] = v.strip()
    for k in ("Credential", "SignedHeaders", "Signature"):
        if k not in fields:
            raise ValueError("Authorization header requires '%s' parameter." % k)
    cred = fields["Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request" or not cred[0]:
        raise ValueError("Credential should be scoped to a valid region, service and 'aws4_request' terminator.")
    sh = fields["SignedHeaders"].split(";")
    return {"access_key": cred[0], "date": cred[1], "region": cred[2], "service": cred[3],
            "signed_headers": sh, "signature": fields["Signature"]}


def guess_service(ctx):
    """Service of a request whose Authorization header cannot be read."""
    if ctx.path.startswith(("/2015-03-31/", "/2017-03-31/", "/2018-10-31/")):
        return "lambda"
    if (ctx.headers.get("X-Amz-Target") or "").startswith("Logs_"):
        return "logs"
    if (ctx.headers.get("X-Amz-Target") or "").startswith("AWSOrganizations"):
        return "organizations"
    if ctx.method == "POST" and ctx.path == "/" and b"Action=" in ctx.body:
        return "sts" if b"Action=GetCallerIdentity" in ctx.body else "iam"
    return "s3"


def _err(ctx, kind, message, **extra):
    """Authentication errors in each service's shape."""
    svc = ctx.service
    if svc == "s3":
        table = {
            "malformed": (400, "AuthorizationHeaderMalformed"),
            "missing": (403, "AccessDenied"),
            "unknown_key": (403, "InvalidAccessKeyId"),
            "bad_signature": (403, "SignatureDoesNotMatch"),
            "skew": (403, "RequestTimeTooSkewed"),
            "invalid_token": (400, "InvalidToken"),
            "expired_token": (400, "ExpiredToken"),
            "bad_request": (400, "InvalidRequest"),
            "sha_mismatch": (400, "XAmzContentSHA256Mismatch"),
            "unsigned_headers": (403, "AccessDenied"),
            "bad_digest": (400, "BadDigest"),
            "invalid_digest": (400, "InvalidDigest"),
        }
        status, code = table[kind]
        return s3_error(ctx, status, code, message, extra)
    if svc == "lambda":
        table = {
            "malformed": (403, "IncompleteSignatureException"),
            "missing": (403, "MissingAuthenticationTokenException"),
            "unknown_key": (403, "UnrecognizedClientException"),
            "bad_signature": (403, "InvalidSignatureException"),
            "skew": (403, "InvalidSignatureException"),
            "invalid_token": (403, "UnrecognizedClientException"),
            "expired_token": (403, "ExpiredTokenException"),
            "bad_request": (400, "InvalidRequestContentException"),
            "sha_mismatch": (400, "InvalidSignatureException"),
        }
        status, code = table[kind]
        return lambda_error(ctx, status, code, message, auth_layer=True)
    if svc in ("logs", "organizations"):
        # JSON 1.1: every authentication error is a 400.
        table = {
            "malformed": (400, "IncompleteSignatureException"),
            "missing": (400, "MissingAuthenticationTokenException"),
            "unknown_key": (400, "UnrecognizedClientException"),
            "bad_signature": (400, "InvalidSignatureException"),
            "skew": (400, "InvalidSignatureException"),
            "invalid_token": (400, "UnrecognizedClientException"),
            "expired_token": (400, "ExpiredTokenException"),
            "bad_request": (400, "SerializationException"),
            "sha_mismatch": (400, "InvalidSignatureException"),
        }
        status, code = table[kind]
        return (logs_error if svc == "logs" else org_error)(ctx, status, code, message)
    table = {
        "malformed": (400, "IncompleteSignature"),
        "missing": (403, "MissingAuthenticationToken"),
        "unknown_key": (403, "InvalidClientTokenId"),
        "bad_signature": (403, "SignatureDoesNotMatch"),
        "skew": (403, "SignatureDoesNotMatch"),
        "invalid_token": (403, "InvalidClientTokenId"),
        "expired_token": (403, "ExpiredToken"),
        "bad_request": (400, "InvalidParameterValue"),
        "sha_mismatch": (400, "InvalidParameterValue"),
    }
    status, code = table[kind]
    return query_error(ctx, status, code, message)


def _amz_date_str(ts):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


def verify(ctx, state):
    """Authenticate ctx.  Sets ctx.service/region/identity; returns an error Resp or None."""
    authz = ctx.headers.get_all("Authorization") or []
    ctx.service = guess_service(ctx)
    if not authz:
        if any(k.lower().startswith("x-amz-") for k, _ in ctx.query):
            return _err(ctx, "missing", "Presigned (query-string) requests are not supported by the stand-in.")
        return _err(ctx, "missing", "Missing Authentication Token" if ctx.service != "s3"
                    else "Anonymous requests are not allowed.")
    if len(authz) > 1:
        return _err(ctx, "malformed", "Only one Authorization header is allowed.")
    try:
        a = parse_authorization(authz[0])
    except ValueError as e:
        return _err(ctx, "malformed", "The authorization header is malformed; %s" % e)
    if a["service"] not in SERVICES:
        return _err(ctx, "malformed", "The authorization header is malformed; unknown service '%s'." % a["service"])
    ctx.service = a["service"]
    ctx.region = a["region"]
    ctx.access_key = a["access_key"]

    amz_date = ctx.headers.get("X-Amz-Date")
    if amz_date is None:
        return _err(ctx, "missing" if ctx.service != "s3" else "missing",
                    "AWS authentication requires a valid Date or x-amz-date header")
    try:
        req_ts = calendar.timegm(time.strptime(amz_date.strip(), "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return _err(ctx, "missing", "AWS authentication requires a valid Date or x-amz-date header")
    amz_date = amz_date.strip()
    if a["date"] != amz_date[:8]:
        if ctx.service == "s3":
            return _err(ctx, "malformed", "The authorization header is malformed; Invalid credential date. "
                        "Date is not the same as X-Amz-Date.")
        return _err(ctx, "bad_signature", "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                    "version of date from HTTP: '%s' != '%s', from '%s'." % (a["date"], amz_date[:8], amz_date))

    ident = state.find_identity(a["access_key"])
    if ident is None:
        if ctx.service == "s3":
            return _err(ctx, "unknown_key", "The AWS Access Key Id you provided does not exist in our records.",
                        AWSAccessKeyId=a["access_key"])
        return _err(ctx, "unknown_key", "The security token included in the request is invalid.")

    # Regions: IAM is global (signed for us-east-1); Lambda and regional STS
    # in a region the account has not enabled reject the credentials.
    # Organizations, like IAM, has one endpoint in the aws partition,
    # organizations.us-east-1.amazonaws.com, signed for us-east-1.
    if ctx.service in ("iam", "organizations") and ctx.region != "us-east-1":
        return _err(ctx, "bad_signature", "Credential should be scoped to a valid region, not '%s'." % ctx.region)
    if ctx.service in ("lambda", "logs", "sts"):
        reg = state.region(ctx.region)
        if reg is None or not reg.enabled:
            return _err(ctx, "unknown_key", "The security token included in the request is invalid.")

    token = ctx.headers.get("X-Amz-Security-Token")
    if ident.temporary:
        if token is None or not hmac.compare_digest(token.strip().encode(), ident.token.encode()):
            if ctx.service == "s3":
                return _err(ctx, "invalid_token", "The provided token is malformed or otherwise invalid.")
            return _err(ctx, "invalid_token", "The security token included in the request is invalid.")
        if ident.expires <= util.CLOCK.now():
            if ctx.service == "s3":
                return _err(ctx, "expired_token", "The provided token has expired.")
            if ctx.service == "lambda":
                return _err(ctx, "expired_token", "The security token included in the request is expired")
            return _err(ctx, "expired_token", "The security token included in the request is expired")
    elif token is not None:
        if ctx.service == "s3":
            return _err(ctx, "invalid_token", "The provided token is malformed or otherwise invalid.")
        return _err(ctx, "invalid_token", "The security token included in the request is invalid.")

    signed = [h.strip().lower() for h in a["signed_headers"]]
    if signed != sorted(signed) or len(set(signed)) != len(signed) or "" in signed:
        return _err(ctx, "bad_signature" if ctx.service != "s3" else "malformed",
                    "The authorization header is malformed; SignedHeaders must be sorted, lower-case and unique.")
    if "host" not in signed:
        return _err(ctx, "bad_signature", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if "x-amz-date" not in signed:
        return _err(ctx, "bad_signature", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")

    now = util.CLOCK.now()
    if abs(now - req_ts) > MAX_SKEW:
        if ctx.service == "s3":
            return _err(ctx, "skew", "The difference between the request time and the current time is too large.",
                        RequestTime=amz_date, ServerTime=util.iso_z(now),
                        MaxAllowedSkewMilliseconds=str(MAX_SKEW * 1000))
        if req_ts < now:
            msg = ("Signature expired: %s is now earlier than %s (%s - 15 min.)"
                   % (amz_date, _amz_date_str(now - MAX_SKEW), _amz_date_str(now)))
        else:
            msg = ("Signature not yet current: %s is still later than %s (%s + 15 min.)"
                   % (amz_date, _amz_date_str(now + MAX_SKEW), _amz_date_str(now)))
        return _err(ctx, "skew", msg)

    # Payload hash.
    body_hash = hashlib.sha256(ctx.body).hexdigest() if ctx.body else EMPTY_SHA256_HASH
    sent_hash = ctx.headers.get("X-Amz-Content-SHA256")
    if ctx.service == "s3":
        if sent_hash is None:
            return _err(ctx, "bad_request", "Missing required header for this request: x-amz-content-sha256")
        sent_hash = sent_hash.strip()
        if sent_hash != UNSIGNED_PAYLOAD:
            if not re.fullmatch(r"[0-9a-f]{64}", sent_hash):
                return _err(ctx, "bad_request", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
        unsigned = sorted({k.lower() for k in ctx.headers.keys()
                           if k.lower().startswith("x-amz-") and k.lower() not in signed})
        if unsigned:
            return _err(ctx, "unsigned_headers", "There were headers present in the request which were not signed",
                        HeadersNotSigned=", ".join(unsigned))
        payload_line = sent_hash
    else:
        if sent_hash is not None and sent_hash.strip() != body_hash:
            return _err(ctx, "sha_mismatch", "The provided x-amz-content-sha256 header does not match the body.")
        payload_line = body_hash

    # Canonical request with botocore's signer pieces.
    hdrs = HTTPHeaders()
    for name in signed:
        vals = ctx.headers.get_all(name)
        if vals is None:
            return _err(ctx, "bad_signature", "The request signature we calculated does not match the signature "
                        "you provided: signed header '%s' is missing from the request." % name)
        for v in vals:
            hdrs[name] = v
    creds = Credentials(ident.access_key, ident.secret_key)
    cls = S3SigV4Auth if ctx.service == "s3" else SigV4Auth
    signer = cls(creds, ctx.service, ctx.region)
    url = "%s://%s%s" % (ctx.scheme, ctx.headers.get("Host", "127.0.0.1"), ctx.path)
    sreq = _SignReq(ctx.method, url, hdrs, ctx.query, ctx.body)
    sreq.context["timestamp"] = amz_date
    # Every header the client named is signed (botocore's client-side
    # blacklist of user-agent/expect does not apply on the receiving side).
    headers_to_sign = hdrs
    path = ctx.path if ctx.service == "s3" else signer._normalize_url_path(ctx.path)
    canonical = "\n".join([
        ctx.method.upper(), path, signer.canonical_query_string(sreq),
        signer.canonical_headers(headers_to_sign) + "\n", signer.signed_headers(headers_to_sign),
        payload_line])
    sts = signer.string_to_sign(sreq, canonical)
    expected = signer.signature(sts, sreq)
    if not hmac.compare_digest(expected.encode(), a["signature"].encode()):
        if ctx.service == "s3":
            msg = ("The request signature we calculated does not match the signature you provided. Check your "
                   "key and signing method. The Canonical String for this request should have been\n'%s'\n\n"
                   "The String-to-Sign should have been\n'%s'\n" % (canonical, sts))
            return _err(ctx, "bad_signature", msg, AWSAccessKeyId=a["access_key"], StringToSign=sts,
                        SignatureProvided=a["signature"], CanonicalRequest=canonical)
        msg = ("The request signature we calculated does not match the signature you provided. Check your AWS "
               "Secret Access Key and signing method. Consult the service documentation for details.\n\n"
               "The Canonical String for this request should have been\n'%s'\n\n"
               "The String-to-Sign should have been\n'%s'\n" % (canonical, sts))
        return _err(ctx, "bad_signature", msg)

    if ctx.service == "s3" and payload_line != UNSIGNED_PAYLOAD and payload_line != body_hash:
        return _err(ctx, "sha_mismatch", "The provided 'x-amz-content-sha256' header does not match what was "
                    "computed.", ClientComputedContentSHA256=payload_line, S3ComputedContentSHA256=body_hash)
    ctx.identity = ident
    return None


def check_body_checksum(ctx, required):
    """Content-MD5 (or an x-amz-checksum-* header) on S3 requests that need one."""
    md5 = ctx.headers.get("Content-MD5")
    if md5 is not None:
        try:
            raw = base64.b64decode(md5.strip().encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 16:
            return _err(ctx, "invalid_digest", "The Content-MD5 you specified was invalid.")
        if raw != hashlib.md5(ctx.body).digest():
            return _err(ctx, "bad_digest", "The Content-MD5 you specified did not match what we received.",
                        ExpectedDigest=md5.strip(), CalculatedDigest=base64.b64encode(
                            hashlib.md5(ctx.body).digest()).decode())
        return None
    algos = {
        "x-amz-checksum-sha256": lambda b: hashlib.sha256(b).digest(),
        "x-amz-checksum-sha1": lambda b: hashlib.sha1(b).digest(),
        "x-amz-checksum-crc32": lambda b: zlib.crc32(b).to_bytes(4, "big"),
    }
    for name, fn in algos.items():
        v = ctx.headers.get(name)
        if v is not None:
            if base64.b64encode(fn(ctx.body)).decode() != v.strip():
                return _err(ctx, "bad_digest", "The %s you specified did not match the calculated checksum."
                            % name)
            return None
    if required:
        return _err(ctx, "bad_request", "Missing required header for this request: Content-Md5.")
    return None
