"""A bucket's objects, held compactly enough for ten million of them.

Keys are kept in key order in chunks of at most CHUNK keys.  A chunk is
either hot (its keys and their versions as Python lists, ready to read and
change) or cold (one zlib-compressed marshal blob: about 15 bytes an
object in Remotion's layout, where a hot one costs about 300).  The HOT
chunks used last stay hot; the others are cold.  Finding a key is a bisect
over the chunks' first keys and one within the chunk, so a listing page
costs the page, whatever was deleted before it: a chunk that becomes small
is merged into its neighbour, an empty one is dropped.

Version ids are not stored: a version's id is derived from the bucket's
name, the key and the version's sequence number, and can be turned back
into that number (VersionIdMarker stays valid after its version is
deleted, as at S3); "null" is the id of a version written without
versioning.  ETags are derived from the key and the sequence number too.
"""
import base64
import bisect
import hashlib
import marshal
import zlib
from array import array
from collections import OrderedDict

CHUNK = 512          # keys a chunk holds at most; a fuller one is split in two
FILL = 384           # keys a chunk gets when a sorted stream is loaded
MERGE = 64           # a chunk with fewer keys is merged into its neighbour
HOT = 64             # chunks kept decoded

MARKER, NULL = 1, 2  # version flags


class Version:
    """One version of a key (or a delete marker).  vid and etag are derived."""
    __slots__ = ("store", "key", "seq", "flags", "size", "mtime")

    def __init__(self, store, key, seq, flags, size, mtime):
        self.store, self.key, self.seq, self.flags, self.size, self.mtime = store, key, seq, flags, size, mtime

    @property
    def marker(self):
        return bool(self.flags & MARKER)

    @property
    def vid(self):
        return "null" if self.flags & NULL else self.store.vid_of(self.key, self.seq)

    @property
    def etag(self):
        if self.flags & MARKER:
            return ""
        return '"%08x%024x"' % (zlib.crc32(self.key.encode("utf-8", "surrogateescape")),
                                (self.seq * 0x9E3779B97F4A7C15) % (1 << 96))


def merge_versions(old, new):
    """Versions newest first after writing `new` (any order) beside `old`,
    as if every write had come in sequence order: a later "null" version
    replaces an earlier one."""
    out = []
    for v in sorted(old + new, key=lambda v: v.seq):
        if v.flags & NULL:
            out = [x for x in out if not x.flags & NULL]
        out.append(v)
    out.reverse()
    return out


class _Chunk:
    __slots__ = ("keys", "vers", "blob", "dirty")

    def __init__(self, keys=None, vers=None, blob=None):
        self.keys, self.vers, self.blob, self.dirty = keys, vers, blob, blob is None


def _encode(keys, vers):
    counts, seqs, flags, sizes, mtimes = array("I"), array("q"), bytearray(), array("q"), array("d")
    for vs in vers:
        counts.append(len(vs))
        for v in vs:
            seqs.append(v.seq)
            flags.append(v.flags)
            sizes.append(v.size)
            mtimes.append(v.mtime)
    return zlib.compress(marshal.dumps((keys, counts.tobytes(), seqs.tobytes(), bytes(flags), sizes.tobytes(),
                                        mtimes.tobytes())), 1)


class ObjectStore:
    """Keys in order, each with its versions newest first.  Not thread-safe:
    the stand-in's state lock guards it."""

    def __init__(self, name):
        self.name = name
        self.salt = hashlib.blake2b(name.encode("utf-8", "surrogateescape"), digest_size=16).digest()
        self.chunks = []          # [_Chunk] in key order, none empty
        self.firsts = []          # first key of each chunk
        self.hot = OrderedDict()  # id(chunk) -> chunk, least recently used first
        self.nkeys = 0
        self.seq = 0
        self.decoded = 0          # chunks decoded so far (the cost of a small HOT)

    # ------------------------------------------------------------ ids
    def _check(self, key, seq):
        return hashlib.blake2b(key.encode("utf-8", "surrogateescape") + seq.to_bytes(8, "big"),
                               key=self.salt, digest_size=16).digest()

    def vid_of(self, key, seq):
        """32 characters of [A-Za-z0-9._], like S3's version ids."""
        c = self._check(key, seq)
        tail = (seq ^ int.from_bytes(c[:8], "big")).to_bytes(8, "big")
        return base64.b64encode(c + tail, altchars=b"._").decode("ascii")

    def seq_of(self, key, vid):
        """The sequence number of key's version vid (deleted or not), or None."""
        if len(vid) != 32:
            return None
        try:
            raw = base64.b64decode(vid, altchars=b"._", validate=True)
        except ValueError:
            return None
        seq = int.from_bytes(raw[16:], "big") ^ int.from_bytes(raw[:8], "big")
        return seq if self._check(key, seq) == raw[:16] else None

    def new_version(self, key, flags, size, mtime, seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        return Version(self, key, seq, flags, size, mtime)

    # ------------------------------------------------------------ chunks
    def _open(self, ci):
        """Chunk ci, decoded, as the most recently used."""
        c = self.chunks[ci]
        h = self.hot
        if c.keys is not None:
            h.move_to_end(id(c))
            return c
        keys, counts, seqs, flags, sizes, mtimes = marshal.loads(zlib.decompress(c.blob))
        self.decoded += 1
        cn, sq, sz, mt = array("I"), array("q"), array("q"), array("d")
        cn.frombytes(counts)
        sq.frombytes(seqs)
        sz.frombytes(sizes)
        mt.frombytes(mtimes)
        vers = []
        j = 0
        for key, n in zip(keys, cn):
            vs = [Version(self, key, sq[i], flags[i], sz[i], mt[i]) for i in range(j, j + n)]
            vers.append(vs)
            j += n
        c.keys, c.vers, c.dirty = keys, vers, False
        h[id(c)] = c
        while len(h) > HOT:
            _, old = h.popitem(last=False)
            self._cool(old)
        return c

    def _cool(self, c):
        if c.dirty or c.blob is None:
            c.blob = _encode(c.keys, c.vers)
        c.keys = c.vers = None
        c.dirty = False

    def _index(self, key):
        """Index of the chunk where key is or would go."""
        return max(bisect.bisect_right(self.firsts, key) - 1, 0)

    def _changed(self, ci):
        c = self.chunks[ci]
        c.dirty = True
        c.blob = None
        if not c.keys:
            self.hot.pop(id(c), None)
            del self.chunks[ci]
            del self.firsts[ci]
            return
        self.firsts[ci] = c.keys[0]
        if len(c.keys) > CHUNK:
            half = len(c.keys) // 2
            d = _Chunk(c.keys[half:], c.vers[half:])
            del c.keys[half:], c.vers[half:]
            self.chunks.insert(ci + 1, d)
            self.firsts.insert(ci + 1, d.keys[0])
            self.hot[id(d)] = d
        elif len(c.keys) < MERGE and ci + 1 < len(self.chunks):
            d = self._open(ci + 1)
            c = self._open(ci)
            if len(c.keys) + len(d.keys) <= CHUNK:
                c.keys += d.keys
                c.vers += d.vers
                self.hot.pop(id(d), None)
                del self.chunks[ci + 1]
                del self.firsts[ci + 1]

    # ------------------------------------------------------------ reading
    def __len__(self):
        return self.nkeys

    def _locate(self, key):
        """(chunk index, the chunk decoded, key's place in it, whether key is
        there); a store without chunks gets an empty one."""
        if not self.chunks:
            c = _Chunk([], [])
            self.chunks.append(c)
            self.firsts.append(key)
            self.hot[id(c)] = c
        ci = self._index(key)
        c = self._open(ci)
        j = bisect.bisect_left(c.keys, key)
        return ci, c, j, j < len(c.keys) and c.keys[j] == key

    def get(self, key):
        """key's versions, newest first ([] when the key does not exist).
        Read only: change them through add/merge/remove/drop."""
        if not self.chunks:
            return []
        _, c, j, found = self._locate(key)
        return c.vers[j] if found else []

    def scan(self, start="", after=False):
        """(key, versions) in key order from start (after it, if after).
        The store must not change while a scan is read."""
        if not self.chunks:
            return
        ci = self._index(start)
        c = self._open(ci)
        j = (bisect.bisect_right if after else bisect.bisect_left)(c.keys, start)
        while True:
            keys, vers = c.keys, c.vers
            for i in range(j, len(keys)):
                yield keys[i], vers[i]
            ci += 1
            if ci >= len(self.chunks):
                return
            c = self._open(ci)
            j = 0

    def first_key(self):
        return self.firsts[0] if self.firsts else None

    # ------------------------------------------------------------ changing
    def add(self, key, v):
        """Write version v of key on top (a "null" one replaces the key's
        earlier "null" version)."""
        self.merge(key, [v])
        return v

    def merge(self, key, versions):
        """Add versions of key written at any time (their sequence numbers
        say when): the loader's way of putting a stream beside another."""
        ci, c, j, found = self._locate(key)
        if found:
            c.vers[j] = merge_versions(c.vers[j], versions)
        else:
            c.keys.insert(j, key)
            c.vers.insert(j, merge_versions([], versions))
            self.nkeys += 1
        self._changed(ci)

    def remove(self, key, vid):
        """Delete key's version vid; the removed Version, or None.  A key
        left without versions is gone."""
        if not self.chunks:
            return None
        ci, c, j, found = self._locate(key)
        v = next((x for x in c.vers[j] if x.vid == vid), None) if found else None
        if v is not None:
            c.vers[j] = [x for x in c.vers[j] if x is not v]
            self._cut(ci, c, j)
        return v

    def drop(self, key):
        """Delete key and all its versions; whether it existed."""
        if not self.chunks:
            return False
        ci, c, j, found = self._locate(key)
        if found:
            c.vers[j] = []
            self._cut(ci, c, j)
        return found

    def _cut(self, ci, c, j):
        """After a version of chunk c's key j went: a key without versions is gone."""
        if not c.vers[j]:
            del c.keys[j], c.vers[j]
            self.nkeys -= 1
        self._changed(ci)

    # ------------------------------------------------------------ loading
    def append_sorted(self, items):
        """Append (key, versions newest first) in strictly increasing key
        order, every key above the store's last: cold chunks of FILL keys."""
        keys, vers = [], []
        for key, vs in items:
            keys.append(key)
            vers.append(vs)
            if len(keys) == FILL:
                self._append_chunk(keys, vers)
                keys, vers = [], []
        if keys:
            self._append_chunk(keys, vers)

    def _append_chunk(self, keys, vers):
        self.chunks.append(_Chunk(blob=_encode(keys, vers)))
        self.firsts.append(keys[0])
        self.nkeys += len(keys)

    def adopt(self, other):
        """Take other's chunks (all its keys above this store's last)."""
        for c in other.chunks:
            if c.keys is not None:
                self._cool(c)
            self.chunks.append(c)
        self.firsts += other.firsts
        self.nkeys += other.nkeys
        other.hot.clear()

    def last_key(self):
        if not self.chunks:
            return None
        c = self._open(len(self.chunks) - 1)
        return c.keys[-1]

    # ------------------------------------------------------------ figures
    def version_count(self):
        """(versions, delete markers): a cold chunk's are counted from its
        flags, without decoding it."""
        n = m = 0
        for c in self.chunks:
            if c.keys is not None:
                flags = bytes(v.flags for vs in c.vers for v in vs)
            else:
                flags = marshal.loads(zlib.decompress(c.blob))[3]
            marks = flags.count(MARKER) + flags.count(MARKER | NULL)
            m += marks
            n += len(flags) - marks
        return n, m

    def held_bytes(self):
        """Bytes of the cold chunks' blobs (the hot ones' are not counted)."""
        return sum(len(c.blob) for c in self.chunks if c.blob is not None)
