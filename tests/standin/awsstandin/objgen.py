"""A fixture bucket's objects (its "objects" and its "generate"), loaded
into an ObjectStore without holding them as Python objects all at once.

Every object gets the sequence number (hence the version id and ETag) it
would get if each were written in the fixture's order: the listed objects
first, then the generated ones, render by render, each render's props,
then its objects, each with its versions and delete marker.  Generated
renders are made in the order of their ids, so each family of keys (the
render prefix, input-props/, resolved-props/) comes out sorted and is
appended to a store of its own as cold chunks; the families' stores,
disjoint in key range, are then joined.  Whatever does not come sorted
(keys of a non-Remotion counter past 999999, a repeated render id, the
listed objects) is merged in key by key, so the result is the same
whatever the order.
"""
import random

from .objstore import ObjectStore, MARKER, NULL

ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"


class FixtureError(ValueError):
    pass


class _Family:
    """A store fed in key order; keys that come out of order wait aside."""

    def __init__(self, name):
        self.store = ObjectStore(name)
        self.last = None
        self.buf = []
        self.aside = []

    def add(self, key, versions):
        if self.last is not None and key <= self.last:
            self.aside.append((key, versions))
            return
        self.last = key
        self.buf.append((key, versions))
        if len(self.buf) >= 4096:
            self.flush()

    def flush(self):
        self.store.append_sorted(self.buf)
        self.buf = []


def load(bk, doc, base, created_of, what):
    """Fill bk.objects from the fixture's bucket doc; base is the load time,
    created_of(d) a fixture item's creation time."""
    saved = bk.versioning
    if saved == "Suspended":
        bk.versioning = "Enabled"   # older versions have real ids
    try:
        _load(bk, doc, base, created_of, what, saved)
    finally:
        bk.versioning = saved


def _flags(bk, marker, vid=None):
    if vid is None:
        vid = "null" if bk.versioning != "Enabled" else None
    return (MARKER if marker else 0) | (NULL if vid == "null" else 0)


def _load(bk, b, base, created_of, what, saved):
    listed = ObjectStore(bk.name)
    for j, o in enumerate(b.get("objects", [])):
        key = o.get("key")
        if not isinstance(key, str) or not key:
            raise FixtureError("%s.objects[%d]: key required" % (what, j))
        created = created_of(o)
        nvers = int(o.get("versions", 1))
        if saved is None and (nvers > 1 or o.get("delete_marker") or o.get("null_version")):
            raise FixtureError("%s.objects[%d]: versions/delete markers need a versioned bucket" % (what, j))
        for n in range(nvers):
            # null_version: written before versioning was enabled (its
            # oldest version's id is "null").
            f = _flags(bk, False, "null" if n == 0 and o.get("null_version") else None)
            listed.add(key, listed.new_version(key, f, int(o.get("size", 1024)), created + n * 60.0))
        if o.get("delete_marker"):
            listed.add(key, listed.new_version(key, _flags(bk, True), 0, created + nvers * 60.0))
    gen = b.get("generate")
    families = {}
    seq = listed.seq
    if gen:
        if saved is None and (int(gen.get("versions", 1)) > 1 or int(gen.get("delete_marker_every", 0))):
            raise FixtureError("%s.generate: versions/delete markers need a versioned bucket" % what)
        for fam, key, vs in _generated(bk, gen, created_of(gen), base, seq):
            f = families.get(fam)
            if f is None:
                f = families[fam] = _Family(bk.name)
            f.add(key, vs)
            seq = max(seq, vs[0].seq)
    for f in families.values():
        f.flush()
    stores = [listed] + [f.store for f in families.values()]
    out = _join(bk.name, [s for s in stores if len(s)])
    for f in families.values():
        for key, vs in f.aside:
            out.merge(key, vs)
    out.seq = seq
    bk.objects = out


def _join(name, stores):
    """One store of all of them: those disjoint in key range joined as they
    are (the largest first), the others merged in key by key."""
    out = ObjectStore(name)
    spans = [(s.first_key(), s.last_key(), s) for s in stores]
    whole, rest = [], []
    for lo, hi, s in sorted(spans, key=lambda t: -len(t[2])):
        if all(hi < a or lo > b for a, b, _ in whole):
            whole.append((lo, hi, s))
        else:
            rest.append(s)
    for _, _, s in sorted(whole, key=lambda t: t[0]):
        out.adopt(s)
    for s in rest:
        for key, vs in list(s.scan()):
            out.merge(key, list(vs))
    return out


def _generated(bk, gen, created, base, seq0):
    """(family, key, versions newest first) of a "generate" block: in key
    order within each family when the fixture allows it."""
    count = int(gen.get("count", 0))
    prefix = gen.get("prefix", "renders/")
    nvers = int(gen.get("versions", 1))
    dm_every = int(gen.get("delete_marker_every", 0))
    per = int(gen.get("per_render", 0))
    size = int(gen.get("size", 4096))
    mk = ObjectStore(bk.name)
    plain, marker = _flags(bk, False), _flags(bk, True)

    def versions(key, sz, when, s, n):
        vs = []
        for k in range(nvers):
            s += 1
            vs.append(mk.new_version(key, plain, sz, when + k * 60.0, seq=s))
        if dm_every and n % dm_every == 0:
            s += 1
            vs.append(mk.new_version(key, marker, 0, when + nvers * 60.0, seq=s))
        vs.reverse()
        return vs, s

    if not per:
        s = seq0
        for n in range(count):
            key = "%s%06d/out.mp4" % (prefix, n)
            vs, s = versions(key, size, created, s, n)
            yield 0, key, vs
        return
    # Remotion's layout: random 10-character render ids, drawn in the
    # fixture's order; "layout": "remotion": each render as Remotion writes
    # it (out.mp4 of output_size bytes, progress.json, chunks) plus its
    # input-props/ and resolved-props/ objects; render r is
    # ages[r % len(ages)] days old (default: age_days).
    remotion = gen.get("layout") == "remotion"
    ages = [float(a) for a in gen.get("ages", [])]
    out_size = int(gen.get("output_size", 4 << 20))
    rng = random.Random(int(gen.get("seed", 1)))
    renders = (count + per - 1) // per
    ids = ["".join(rng.choice(ID_CHARS) for _ in range(10)) for _ in range(renders)]
    pre = 2 if remotion else 0
    for r in sorted(range(renders), key=ids.__getitem__):
        rid = ids[r]
        first = r * per
        s = seq0 + r * pre + first * nvers + ((first + dm_every - 1) // dm_every if dm_every else 0)
        when = base - ages[r % len(ages)] * 86400.0 if ages else created
        if remotion:
            for fam, pfx in ((1, "input-props/"), (3, "resolved-props/")):
                s += 1
                key = "%s%s.json" % (pfx, rid)
                yield fam, key, [mk.new_version(key, _flags(bk, False), 300, when, seq=s)]
        items = []
        for n in range(first, min(first + per, count)):
            key, sz = "%s%s/chunk-%04d" % (prefix, rid, n % per), size
            if remotion and n % per == 0:
                key, sz = "%s%s/out.mp4" % (prefix, rid), out_size
            elif remotion and n % per == 1:
                key, sz = "%s%s/progress.json" % (prefix, rid), 2000
            vs, s = versions(key, sz, when, s, n)
            items.append((key, vs))
        items.sort(key=lambda it: it[0])
        for key, vs in items:
            yield 2, key, vs
