"""Scriptable faults and injected latency.

A fault is a JSON object:
  {"kind": KIND, "service": GLOB, "operation": GLOB, "region": GLOB,
   "target": GLOB, "count": N, "probability": P, "after": N, ...params}
service/operation/region/target are optional globs (* and ?).  "after"
lets the first N matching requests through; "count" caps how often the
fault fires (default 1 unless a probability is given, then unlimited;
null or -1 = unlimited); "probability" (default 1.0) is drawn from a
seeded generator.  See README.md for the kinds and their parameters.
"""
import random
import threading

from . import hostile_names
from .util import glob_match

KINDS = {
    # kind: (default params, executes the operation?)
    "error": ({"status": 500}, False),
    # The service's own AccessDenied answer for the matching operation.
    "deny": ({}, False),
    "throttle": ({"retry_after": 1}, False),
    "reset": ({"fraction": 0.5}, True),
    "stall": ({"seconds": 5.0}, True),
    "truncate": ({"fraction": 0.5}, True),
    "malformed": ({}, True),
    "error200": ({"code": "InternalError"}, False),
    "skew": ({"offset_s": 3600}, True),
    "expire_creds": ({}, True),
    "add_objects": ({"n": 5}, True),
    "vanish": ({"n": 1}, True),
    "key_errors": ({"n": 1, "code": "InternalError"}, True),
    "no_bucket_region": ({}, True),
    "last_marker": ({"value": None}, True),
    "wrong_region_400": ({}, True),
    "drop_header": ({"name": "x-amz-version-id"}, True),
    # Hostile answers (hostile.py): what a compromised endpoint could say.
    "bad_region": ({"value": "evil.example#"}, True),
    "foreign_redirect": ({"bucket_region": "us-east-1.attacker.example", "status": 301}, True),
    "echo_request": ({"status": 403, "body": False}, False),
    "big_page": ({"bytes": 0}, True),
    "hostile_names": (dict(hostile_names.DEFAULTS), True),
    "bad_date": ({"offset_s": 400 * 86400}, False),
    # Listings that contradict themselves (s3.py): see README.md.
    "raw_keys": ({}, True),
    "no_truncated": ({}, True),
    "duplicate_entry": ({"age_days": 400}, True),
    "marker_cycle": ({"value": None}, True),
    "empty_pages": ({}, True),
}
# At most one of these shapes a response.
EXCLUSIVE = ("deny", "error", "throttle", "error200", "malformed", "reset", "truncate", "echo_request", "bad_date")
# These match the request without its target: their target filters items.
ITEM_TARGET = ("vanish", "add_objects", "key_errors", "bad_region", "duplicate_entry")


class FaultError(ValueError):
    pass


class Fault:
    def __init__(self, doc, fid):
        if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
            raise FaultError("fault needs a kind, one of: %s" % ", ".join(sorted(KINDS)))
        self.doc = dict(doc)
        self.id = doc.get("id", fid)
        self.kind = doc["kind"]
        defaults, self.executes = KINDS[self.kind]
        if "execute" in doc:
            self.executes = bool(doc["execute"])
        self.params = dict(defaults)
        for k, v in doc.items():
            if k not in ("kind", "service", "operation", "region", "target", "count", "probability", "after",
                         "id", "execute"):
                self.params[k] = v
        self.match = {k: doc.get(k) for k in ("service", "operation", "region", "target")}
        prob = doc.get("probability")
        self.probability = 1.0 if prob is None else float(prob)
        if not 0.0 <= self.probability <= 1.0:
            raise FaultError("probability must be within 0..1")
        count = doc.get("count", 1 if prob is None else None)
        self.count = None if count is None or count == -1 else int(count)
        self.after = int(doc.get("after", 0))
        self.seen = 0
        self.fired = 0
        self.state = {}          # per-fault memory (e.g. keys already failed)

    def matches(self, ctx):
        for k, pat in self.match.items():
            if pat is None or (k == "target" and self.kind in ITEM_TARGET):
                continue
            val = getattr(ctx, k, None)
            if val is None or not glob_match(pat, str(val)):
                return False
        return True

    def item_matches(self, name):
        pat = self.match.get("target")
        return pat is None or glob_match(pat, name)

    def describe(self):
        d = dict(self.doc)
        d.update({"id": self.id, "seen": self.seen, "fired": self.fired})
        return d


class Faults:
    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.faults = []
        self.rng = random.Random(seed)
        self.settings = {"s3_wrong_region": 301}
        self.next_id = 1

    def load(self, doc, mode="replace"):
        """doc: a list of faults or {"faults": [...], "settings": {...}, "mode": ...}."""
        settings = {}
        if isinstance(doc, dict):
            mode = doc.get("mode", mode)
            settings = doc.get("settings", {}) or {}
            doc = doc.get("faults", [])
        if not isinstance(doc, list):
            raise FaultError("faults must be a list")
        if mode not in ("replace", "add"):
            raise FaultError("mode must be replace or add")
        for k in settings:
            if k not in ("s3_wrong_region", "clock_offset_s", "s3_versions"):
                raise FaultError("unknown setting %s" % k)
        if settings.get("s3_wrong_region", 301) not in (301, 400):
            raise FaultError("s3_wrong_region must be 301 or 400")
        if settings.get("s3_versions", 200) not in (200, 405, 501):
            raise FaultError("s3_versions must be 200, 405 or 501")
        with self.lock:
            new = []
            for d in doc:
                new.append(Fault(d, "f%d" % self.next_id))
                self.next_id += 1
            if mode == "replace":
                self.faults = new
            else:
                self.faults.extend(new)
            self.settings.update({k: v for k, v in settings.items() if k != "clock_offset_s"})
        return settings.get("clock_offset_s")

    def pick(self, ctx, kinds=None):
        """Decide which faults fire for this request; returns a list of Fault.
        kinds: only faults of these kinds are considered (and counted)."""
        fired = []
        with self.lock:
            for f in self.faults:
                if kinds is not None and f.kind not in kinds:
                    continue
                if not f.matches(ctx):
                    continue
                f.seen += 1
                if f.seen <= f.after:
                    continue
                if f.count is not None and f.fired >= f.count:
                    continue
                if f.probability < 1.0 and self.rng.random() >= f.probability:
                    continue
                if f.kind in EXCLUSIVE and any(x.kind in EXCLUSIVE for x in fired):
                    continue
                f.fired += 1
                fired.append(f)
        return fired

    def describe(self):
        with self.lock:
            return {"faults": [f.describe() for f in self.faults], "settings": dict(self.settings)}


class Latency:
    """Injected latency: a default (fixed or uniform min..max ms) plus rules
    [{"service","region","operation": GLOB, "ms" | "min_ms","max_ms"}], first match wins."""

    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.default = (0.0, 0.0)
        self.rules = []
        self.rng = random.Random(seed)

    @staticmethod
    def parse_spec(spec):
        """'5' or '5-20' (ms) -> (min, max)."""
        s = str(spec).strip()
        if "-" in s.lstrip("-"):
            a, b = s.split("-", 1)
            lo, hi = float(a), float(b)
        else:
            lo = hi = float(s)
        if lo < 0 or hi < lo or hi > 600000:
            raise ValueError("latency must be 0 <= min <= max <= 600000 ms")
        return lo, hi

    @staticmethod
    def _range(d):
        if "ms" in d:
            return Latency.parse_spec(d["ms"])
        lo = float(d.get("min_ms", 0))
        hi = float(d.get("max_ms", lo))
        if lo < 0 or hi < lo or hi > 600000:
            raise ValueError("latency must be 0 <= min_ms <= max_ms <= 600000")
        return lo, hi

    def load(self, doc):
        if not isinstance(doc, dict):
            raise ValueError("latency must be an object")
        default = self._range(doc) if ("ms" in doc or "min_ms" in doc) else (0.0, 0.0)
        rules = []
        for r in doc.get("rules", []):
            rules.append(({k: r.get(k) for k in ("service", "region", "operation")}, self._range(r)))
        with self.lock:
            self.default = default
            self.rules = rules

    def delay_ms(self, ctx):
        with self.lock:
            rng = self.default
            for match, r in self.rules:
                if all(p is None or (getattr(ctx, k, None) is not None and glob_match(p, str(getattr(ctx, k))))
                       for k, p in match.items()):
                    rng = r
                    break
            lo, hi = rng
            return lo if hi <= lo else self.rng.uniform(lo, hi)

    def describe(self):
        with self.lock:
            return {"min_ms": self.default[0], "max_ms": self.default[1],
                    "rules": [dict(m, min_ms=r[0], max_ms=r[1]) for m, r in self.rules]}
