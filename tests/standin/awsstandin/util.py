"""Clock, time formats, opaque paging markers, ids and XML helpers."""
import base64
import binascii
import os
import random
import struct
import threading
import time
import uuid
from email.utils import formatdate
from xml.sax.saxutils import escape as _xml_escape

REMOTION_REGIONS = [
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-south-1", "eu-north-1", "us-east-1", "us-east-2", "us-west-1",
    "us-west-2", "af-south-1", "ap-south-1", "ap-east-1", "ap-southeast-1",
    "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-4", "ap-southeast-5", "ca-central-1", "sa-east-1",
]
# Two opt-in regions that a typical account has not enabled.
DEFAULT_DISABLED_REGIONS = ["ap-southeast-4", "ap-southeast-5"]

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class Clock:
    """The stand-in's clock: the real one plus a settable offset."""

    def __init__(self):
        self.offset = 0.0

    def now(self):
        return time.time() + self.offset

    def http_date(self):
        return formatdate(self.now(), usegmt=True)


CLOCK = Clock()


def iso_s3(ts):
    """2019-12-11T23:32:47.000Z"""
    ms = int(round((ts - int(ts)) * 1000)) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts))) + ".%03dZ" % ms


def iso_z(ts):
    """2019-12-11T23:32:47Z (IAM, credentials Expiration)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def lambda_time(ts):
    """2019-09-23T18:32:33.857+0000"""
    ms = int(round((ts - int(ts)) * 1000)) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts))) + ".%03d+0000" % ms


def parse_iso(s):
    """Parse 2024-01-02T03:04:05[.fff](Z|+0000|+00:00) to epoch seconds."""
    import calendar
    s = s.strip()
    frac = 0.0
    if s.endswith("Z"):
        s = s[:-1]
    elif len(s) > 19 and s[-5] in "+-" and s[-3] != ":":
        if s[-5:] not in ("+0000", "-0000"):
            raise ValueError("only UTC times are supported: %r" % s)
        s = s[:-5]
    elif len(s) > 19 and s[-6] in "+-":
        if s[-6:] not in ("+00:00", "-00:00"):
            raise ValueError("only UTC times are supported: %r" % s)
        s = s[:-6]
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) + frac


# ---------------------------------------------------------------- markers
# Opaque paging markers: base64 of a fixed prefix (which always encodes to
# "+/+/"), a tag naming the listing, the last name returned, and padding that
# makes the encoding end in "==".  The marker means "after this name", so it
# stays valid when items are deleted while a listing is under way.
_MARK_PREFIX = b"\xfb\xff\xbf"


def make_marker(tag, name):
    nb = name.encode("utf-8")
    raw = _MARK_PREFIX + tag.encode("ascii")[:1] + struct.pack(">I", len(nb)) + nb
    while len(raw) % 3 != 1:
        raw += b"\xa5"
    return base64.b64encode(raw).decode("ascii")


def parse_marker(tag, marker):
    """Return the name inside a marker of this tag, or None if invalid."""
    try:
        raw = base64.b64decode(marker.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    p = len(_MARK_PREFIX)
    if len(raw) < p + 5 or raw[:p] != _MARK_PREFIX or raw[p:p + 1] != tag.encode("ascii")[:1]:
        return None
    (n,) = struct.unpack(">I", raw[p + 1:p + 5])
    body = raw[p + 5:p + 5 + n]
    if len(body) != n or any(b != 0xA5 for b in raw[p + 5 + n:]):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------- ids
_rng = random.Random()
_rng_lock = threading.Lock()
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def rand_str(n, alphabet=_ALNUM):
    with _rng_lock:
        return "".join(_rng.choice(alphabet) for _ in range(n))


def s3_request_id():
    return rand_str(16, "0123456789ABCDEF")


def s3_host_id():
    return base64.b64encode(os.urandom(48)).decode("ascii")


def uuid_request_id():
    return str(uuid.uuid4())


def xml_text(s):
    return _xml_escape(str(s))


def xml_el(name, value):
    return "<%s>%s</%s>" % (name, xml_text(value), name)


XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def glob_match(pattern, value):
    """Case-sensitive whole-string glob with * and ? (fnmatchcase without [])."""
    return _glob_re(pattern).fullmatch(value) is not None


_glob_cache = {}


def _glob_re(pattern):
    import re
    r = _glob_cache.get(pattern)
    if r is None:
        out = []
        for ch in pattern:
            if ch == "*":
                out.append(".*")
            elif ch == "?":
                out.append(".")
            else:
                out.append(re.escape(ch))
        r = re.compile("".join(out), re.DOTALL)
        _glob_cache[pattern] = r
    return r
