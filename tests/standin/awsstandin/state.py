"""The stand-in's account: users, regions, buckets/objects, functions, layers, log groups.

Everything is guarded by State.lock (an RLock); handlers hold it while they
read or change resources.  See README.md for the fixture format.
"""
import bisect
import hashlib
import json
import os
import threading
import time

from . import objgen, util
from .objgen import FixtureError
from .objstore import ObjectStore, MARKER, NULL
from .policy import Policy, PolicyError

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_USER = {
    "user_name": "janitor-test",
    "access_key": "AKIDJANITORTEST",
    "secret_key": "janitor/test+secret/NOT-A-REAL-KEY/00000",
    "user_id": "AIDAJANITORTEST00000",
}
DEFAULT_ROLE = "remotion-janitor-test-role"


class SortedNames:
    """A sorted list of names with bisect-based insert/remove/after."""

    def __init__(self, names=()):
        self.items = sorted(set(names))

    def add(self, name):
        i = bisect.bisect_left(self.items, name)
        if i == len(self.items) or self.items[i] != name:
            self.items.insert(i, name)

    def remove(self, name):
        i = bisect.bisect_left(self.items, name)
        if i < len(self.items) and self.items[i] == name:
            del self.items[i]

    def index_after(self, name):
        return bisect.bisect_right(self.items, name)

    def index_from(self, name):
        return bisect.bisect_left(self.items, name)

    def __len__(self):
        return len(self.items)


class Identity:
    """A principal: a static IAM user or temporary credentials of a role."""

    def __init__(self, kind, name, access_key, secret_key, account, policy_ref=None,
                 user_id=None, token=None, expires=None, session=None):
        self.kind = kind                  # "user" | "role"
        self.name = name                  # user name or role name
        self.access_key = access_key
        self.secret_key = secret_key
        self.account = account
        self.policy_ref = policy_ref      # None = default policy; Policy object otherwise
        self.token = token
        self.expires = expires
        self.session = session
        if kind == "user":
            self.arn = "arn:aws:iam::%s:user/%s" % (account, name)
            self.principal_arn = self.arn
            self.user_id = user_id or ("AIDA" + util.rand_str(16))
        else:
            self.principal_arn = "arn:aws:iam::%s:role/%s" % (account, name)
            self.arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (account, name, session)
            self.user_id = (user_id or "AROA" + util.rand_str(16)) + ":" + session

    @property
    def temporary(self):
        return self.token is not None

    def variables(self):
        return {"aws:username": self.name} if self.kind == "user" else {}


class Bucket:
    def __init__(self, name, region, created, versioning=None, website=False):
        self.name = name
        self.region = region
        self.created = created
        self.versioning = versioning      # None | "Enabled" | "Suspended"
        self.website = website
        self.tags = {}
        self.objects = ObjectStore(name)  # key -> versions, newest first

    def _flags(self, marker, vid):
        if vid is None:
            vid = "null" if self.versioning != "Enabled" else None
        return (MARKER if marker else 0) | (NULL if vid == "null" else 0)

    def put(self, key, size=0, mtime=None, vid=None):
        v = self.objects.new_version(key, self._flags(False, vid), size,
                                     mtime if mtime is not None else util.CLOCK.now())
        return self.objects.add(key, v)

    def add_marker(self, key, mtime=None):
        v = self.objects.new_version(key, self._flags(True, None), 0,
                                     mtime if mtime is not None else util.CLOCK.now())
        return self.objects.add(key, v)

    def delete(self, key, vid=None):
        """S3 delete semantics.  Returns dict(deleted=bool, delete_marker=bool, marker_vid=str|None)."""
        if vid is not None:
            v = self.objects.remove(key, vid)
            if v is not None:
                return {"version_id": vid, "delete_marker": v.marker, "marker_vid": vid if v.marker else None}
            return {"version_id": vid, "delete_marker": False, "marker_vid": None}
        if self.versioning is None:
            self.objects.drop(key)
            return {"version_id": None, "delete_marker": False, "marker_vid": None}
        m = self.add_marker(key)
        return {"version_id": None, "delete_marker": True, "marker_vid": m.vid}

    def version_count(self):
        return self.objects.version_count()

    def empty(self):
        return not len(self.objects)


class Function:
    def __init__(self, region, name, created, memory=2048, timeout=120, disk=2048,
                 runtime="nodejs18.x", arch="arm64", description="", code_size=40000000, tags=None):
        self.region, self.name, self.created = region, name, created
        self.tags = dict(tags or {})
        self.memory, self.timeout, self.disk = memory, timeout, disk
        self.runtime, self.arch, self.description, self.code_size = runtime, arch, description, code_size
        self.revision = util.uuid_request_id()


class LayerVersion:
    def __init__(self, version, created, description="", runtimes=None, code_size=10000000, archs=None):
        self.version, self.created, self.description = version, created, description
        self.runtimes = runtimes if runtimes is not None else ["nodejs18.x"]
        self.archs = archs if archs is not None else ["arm64"]
        self.code_size = code_size


class Layer:
    def __init__(self, region, name):
        self.region, self.name = region, name
        self.versions = {}        # int -> LayerVersion
        self.next_version = 1

    def latest(self):
        if not self.versions:
            return None
        return self.versions[max(self.versions)]


class LogGroup:
    def __init__(self, region, name, created, stored_bytes=0):
        self.region, self.name, self.created, self.stored_bytes = region, name, created, stored_bytes


class Region:
    def __init__(self, name, enabled=True):
        self.name = name
        self.enabled = enabled
        self.log_groups = {}
        self.log_group_names = SortedNames()
        self.functions = {}
        self.function_names = SortedNames()
        self.layers = {}
        self.layer_names = SortedNames()

    def add_function(self, fn):
        self.functions[fn.name] = fn
        self.function_names.add(fn.name)

    def remove_function(self, name):
        if self.functions.pop(name, None) is None:
            return False
        self.function_names.remove(name)
        return True

    def add_log_group(self, lg):
        self.log_groups[lg.name] = lg
        self.log_group_names.add(lg.name)

    def remove_log_group(self, name):
        if self.log_groups.pop(name, None) is None:
            return False
        self.log_group_names.remove(name)
        return True

    def layer(self, name, create=False):
        ly = self.layers.get(name)
        if ly is None and create:
            ly = self.layers[name] = Layer(self.name, name)
            self.layer_names.add(name)
        return ly

    def remove_layer_version(self, name, version):
        ly = self.layers.get(name)
        if ly is None or ly.versions.pop(version, None) is None:
            return False
        if not ly.versions:
            # A layer without versions is no longer listed; version numbers
            # are never reused, so keep the counter by keeping the object.
            self.layer_names.remove(name)
        return True


def _created(d, base, what):
    if "created" in d:
        try:
            return util.parse_iso(d["created"])
        except ValueError as e:
            raise FixtureError("%s: bad created: %s" % (what, e))
    age = d.get("age_days", 30)
    if not isinstance(age, (int, float)):
        raise FixtureError("%s: age_days must be a number" % what)
    return base - float(age) * 86400.0


def _tags(d, what):
    tags = d.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise FixtureError("%s: tags must be an object of strings" % what)
    return dict(tags)


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.account = DEFAULT_ACCOUNT
        self.regions = {}
        self.known_regions = []
        self.buckets = {}
        self.bucket_names = SortedNames()
        self.users = {}           # access key -> Identity (static)
        self.temp = {}            # access key -> Identity (temporary)
        self.default_policy = Policy.empty()
        self.role_name = DEFAULT_ROLE
        self.role_policy_ref = None
        self.role_id = "AROAJANITORROLE00000"
        self.assumable = {}
        self.others = {}          # account id -> State: the fixture's other accounts
        self.sso = None
        self.organization = None  # org_api.Organization: the fixture's "organization"
        self.owner_id = hashlib.sha256(b"standin-owner").hexdigest()
        self.owner_name = "janitor-test-owner"
        self.loaded_at = time.time()

    # -------------------------------------------------------------- loading
    def load_fixture(self, doc, base_dir=".", extra_users=(), keep_users=False):
        """Replace resources (and, unless keep_users, users) from a fixture dict."""
        if not isinstance(doc, dict):
            raise FixtureError("fixture must be a JSON object")
        base = util.CLOCK.now()
        with self.lock:
            account = str(doc.get("account_id", DEFAULT_ACCOUNT))
            if len(account) != 12 or not account.isdigit():
                raise FixtureError("account_id must be 12 digits")
            regions = doc.get("regions", util.REMOTION_REGIONS)
            disabled = doc.get("disabled_regions", util.DEFAULT_DISABLED_REGIONS)
            if not isinstance(regions, list) or not isinstance(disabled, list):
                raise FixtureError("regions and disabled_regions must be lists")
            for r in disabled:
                if r not in regions:
                    raise FixtureError("disabled region %s is not in regions" % r)
            new_regions = {r: Region(r, r not in disabled) for r in regions}
            new_buckets = {}
            for i, f in enumerate(doc.get("functions", [])):
                what = "functions[%d]" % i
                reg = new_regions.get(f.get("region"))
                if reg is None or not isinstance(f.get("name"), str) or not f["name"]:
                    raise FixtureError("%s: needs a name and a known region" % what)
                if f["name"] in reg.functions:
                    raise FixtureError("%s: duplicate function %s" % (what, f["name"]))
                reg.add_function(Function(
                    reg.name, f["name"], _created(f, base, what),
                    memory=int(f.get("memory_mb", 2048)), timeout=int(f.get("timeout_s", 120)),
                    disk=int(f.get("disk_mb", 2048)), runtime=f.get("runtime", "nodejs18.x"),
                    arch=f.get("architecture", "arm64"), description=f.get("description", ""),
                    code_size=int(f.get("code_size", 40000000)), tags=_tags(f, what)))
            for i, g in enumerate(doc.get("log_groups", [])):
                what = "log_groups[%d]" % i
                reg = new_regions.get(g.get("region"))
                if reg is None or not isinstance(g.get("name"), str) or not g["name"]:
                    raise FixtureError("%s: needs a name and a known region" % what)
                if g["name"] in reg.log_groups:
                    raise FixtureError("%s: duplicate log group %s" % (what, g["name"]))
                reg.add_log_group(LogGroup(reg.name, g["name"], _created(g, base, what),
                                           int(g.get("stored_bytes", 0))))
            for i, l in enumerate(doc.get("layers", [])):
                what = "layers[%d]" % i
                reg = new_regions.get(l.get("region"))
                if reg is None or not isinstance(l.get("name"), str) or not l["name"]:
                    raise FixtureError("%s: needs a name and a known region" % what)
                ly = reg.layer(l["name"], create=True)
                vers = l.get("versions", [])
                if isinstance(vers, int):
                    vers = [{"version": n + 1, "age_days": 30 - n} for n in range(vers)]
                for j, v in enumerate(vers):
                    num = int(v.get("version", ly.next_version))
                    if num < 1 or num in ly.versions:
                        raise FixtureError("%s.versions[%d]: bad or duplicate version" % (what, j))
                    ly.versions[num] = LayerVersion(num, _created(v, base, what),
                                                    description=v.get("description", ""),
                                                    runtimes=v.get("runtimes"),
                                                    code_size=int(v.get("code_size", 10000000)))
                    ly.next_version = max(ly.next_version, num + 1)
                if "next_version" in l:
                    ly.next_version = max(ly.next_version, int(l["next_version"]))
                if not ly.versions:
                    reg.layer_names.remove(ly.name)
            for i, b in enumerate(doc.get("buckets", [])):
                what = "buckets[%d]" % i
                name = b.get("name")
                if not isinstance(name, str) or not name or b.get("region") not in new_regions:
                    raise FixtureError("%s: needs a name and a known region" % what)
                if name in new_buckets:
                    raise FixtureError("%s: duplicate bucket %s" % (what, name))
                vz = b.get("versioning")
                if vz not in (None, "Enabled", "Suspended"):
                    raise FixtureError("%s: versioning must be null, Enabled or Suspended" % what)
                bk = Bucket(name, b["region"], _created(b, base, what), vz, bool(b.get("website", False)))
                bk.tags = _tags(b, what)
                self._load_objects(bk, b, base, what)
                new_buckets[name] = bk

            users = {} if not keep_users else dict(self.users)
            if not keep_users:
                for i, u in enumerate(doc.get("users", [DEFAULT_USER])):
                    ident = self._user_from(u, account, base_dir, "users[%d]" % i)
                    users[ident.access_key] = ident
                for u in extra_users:
                    ident = self._user_from(u, account, base_dir, "--user")
                    users[ident.access_key] = ident
            role = doc.get("role", {})
            others = self._accounts_from(doc.get("accounts", []), account, regions, disabled, base_dir)
            org = None
            if doc.get("organization") is not None:
                from .org_api import Organization
                org = Organization(doc["organization"], account, base)
            self.account = account
            self.others = others
            self.known_regions = list(regions)
            self.regions = new_regions
            self.buckets = new_buckets
            self.bucket_names = SortedNames(new_buckets)
            self.users = users
            self.role_name = role.get("name", DEFAULT_ROLE)
            self.assumable = self._roles_from(doc.get("roles", []))
            self.sso = doc.get("sso")
            self.organization = org
            if "policy" in role or "policy_file" in role:
                self.role_policy_ref = self._policy_from(role, base_dir, "role")
            self.owner_name = doc.get("owner_display_name", "janitor-test-owner")
            self.loaded_at = base

    @staticmethod
    def _load_objects(bk, b, base, what):
        objgen.load(bk, b, base, lambda d: _created(d, base, what), what)

    @staticmethod
    def _accounts_from(docs, main, regions, disabled, base_dir):
        """Other accounts: their own resources and roles, the same regions, no users.

        Their credentials come only from sts:AssumeRole on their roles."""
        out = {}
        if not isinstance(docs, list):
            raise FixtureError("accounts: must be a list")
        for i, d in enumerate(docs):
            if not isinstance(d, dict):
                raise FixtureError("accounts[%d]: must be an object" % i)
            acct = str(d.get("account_id", ""))
            if len(acct) != 12 or not acct.isdigit() or acct == main or acct in out:
                raise FixtureError("accounts[%d]: account_id must be 12 digits, unique" % i)
            for k in ("users", "accounts", "regions", "disabled_regions", "sso", "organization"):
                if k in d:
                    raise FixtureError("accounts[%d]: %s is set by the main account only" % (i, k))
            sub = State()
            try:
                sub.load_fixture(dict(d, regions=regions, disabled_regions=disabled, users=[]), base_dir)
            except FixtureError as e:
                raise FixtureError("accounts[%d]: %s" % (i, e))
            out[acct] = sub
        return out

    def of(self, account):
        """The State that holds account's resources (self, or one of the others), or None."""
        return self if account == self.account else self.others.get(account)

    def _policy_from(self, d, base_dir, what):
        if "policy_file" in d:
            p = d["policy_file"]
            if p in ("", "-", None):
                return Policy.empty()
            path = p if os.path.isabs(p) else os.path.join(base_dir, p)
            try:
                return Policy.from_file(path)
            except (OSError, PolicyError) as e:
                raise FixtureError("%s: policy_file: %s" % (what, e))
        if "policy" in d:
            pol = d["policy"]
            if pol in (None, "default"):
                return None
            try:
                return Policy(pol, d.get("policy_name", "inline-policy"))
            except PolicyError as e:
                raise FixtureError("%s: %s" % (what, e))
        return None

    def _roles_from(self, roles):
        """Roles for sts:AssumeRole: name, trust (principal ARNs), external_id."""
        out = {}
        if not isinstance(roles, list):
            raise FixtureError("roles: must be a list")
        for i, r in enumerate(roles):
            if not isinstance(r, dict) or not isinstance(r.get("name"), str) or not r["name"]:
                raise FixtureError("roles[%d]: name required" % i)
            trust = r.get("trust", [])
            if not isinstance(trust, list) or not all(isinstance(t, str) for t in trust):
                raise FixtureError("roles[%d]: trust must be a list of principal ARNs" % i)
            out[r["name"]] = {"trust": list(trust), "external_id": r.get("external_id"),
                              "web_identity_token": r.get("web_identity_token")}
        return out

    def _user_from(self, u, account, base_dir, what):
        if not isinstance(u, dict):
            raise FixtureError("%s: must be an object" % what)
        for k in ("user_name", "access_key", "secret_key"):
            if not isinstance(u.get(k), str) or not u[k]:
                raise FixtureError("%s: %s required" % (what, k))
        return Identity("user", u["user_name"], u["access_key"], u["secret_key"], account,
                        policy_ref=self._policy_from(u, base_dir, what), user_id=u.get("user_id"))

    # -------------------------------------------------------------- lookups
    def policy_for(self, ident):
        if ident.kind == "role":
            return self.role_policy_ref or self.default_policy
        return ident.policy_ref or self.default_policy

    def find_identity(self, access_key):
        with self.lock:
            return self.users.get(access_key) or self.temp.get(access_key)

    def find_principal(self, arn):
        """Identity for a user ARN, or a role-credential stand-in for the role ARN."""
        with self.lock:
            for u in self.users.values():
                if u.arn == arn:
                    return u
            if arn == "arn:aws:iam::%s:role/%s" % (self.account, self.role_name):
                return Identity("role", self.role_name, "-", "-", self.account,
                                user_id=self.role_id, session="simulation")
            # A role to assume, in this account or another one.
            parts = arn.split(":", 5)
            if len(parts) == 6 and parts[:3] == ["arn", "aws", "iam"] and parts[5].startswith("role/"):
                owner = self.of(parts[4])
                name = parts[5][len("role/"):]
                if owner is not None and name in owner.assumable:
                    return Identity("role", name, "-", "-", parts[4], session="simulation")
        return None

    def region(self, name):
        return self.regions.get(name)

    # -------------------------------------------------------------- temp creds
    def issue_temp(self, ttl):
        with self.lock:
            ak = "ASIA" + util.rand_str(16)
            sk = util.rand_str(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            tok = "FwoGZXIvYXdzE" + util.rand_str(200, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") + "=="
            ident = Identity("role", self.role_name, ak, sk, self.account, token=tok,
                             expires=util.CLOCK.now() + ttl, user_id=self.role_id,
                             session="i-0standin%08d" % len(self.temp))
            self.temp[ak] = ident
            return ident

    def issue_role(self, name, session, ttl, account=None):
        """Temporary credentials of an assumed role (sts:AssumeRole*), in account
        (default: this one).  Kept here, where every signature is verified."""
        with self.lock:
            ak = "ASIA" + util.rand_str(16)
            sk = util.rand_str(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            tok = "FwoGZXIvYXdzE" + util.rand_str(200, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") + "=="
            ident = Identity("role", name, ak, sk, account or self.account, token=tok,
                             expires=util.CLOCK.now() + ttl, user_id="AROA" + name.upper()[:16].ljust(16, "0"),
                             session=session)
            self.temp[ak] = ident
            return ident

    def expire_temp(self):
        with self.lock:
            now = util.CLOCK.now()
            for ident in self.temp.values():
                ident.expires = min(ident.expires, now - 1)
            return len(self.temp)

    # -------------------------------------------------------------- dump
    def keys_of(self, name, prefix=""):
        """A bucket's keys that start with prefix, in order, and its counts
        of versions and delete markers: what checking a bucket of millions
        needs, without an object a key as dump(objects=True) makes."""
        with self.lock:
            b = self.buckets.get(name)
            if b is None:
                raise ValueError("no bucket %s" % name)
            keys = []
            for k, _ in b.objects.scan(prefix):
                if not k.startswith(prefix):
                    break
                keys.append(k)
            nv, nm = b.version_count()
            o = b.objects
            return {"ok": True, "bucket": name, "keys": keys, "versions": nv, "delete_markers": nm,
                    "chunks": {"count": len(o.chunks), "decoded": o.decoded, "held_bytes": o.held_bytes()}}

    def dump(self, objects=False):
        with self.lock:
            out = {"account_id": self.account,
                   "regions": [{"name": r.name, "enabled": r.enabled} for r in self.regions.values()],
                   "functions": [], "layers": [], "buckets": [], "log_groups": [],
                   "users": [{"user_name": u.name, "access_key": u.access_key, "arn": u.arn}
                             for u in self.users.values()],
                   "temporary_credentials": [{"access_key": t.access_key, "arn": t.arn,
                                              "expires": util.iso_z(t.expires),
                                              "expired": t.expires <= util.CLOCK.now()}
                                             for t in self.temp.values()]}
            for r in self.regions.values():
                for n in r.function_names.items:
                    f = r.functions[n]
                    out["functions"].append({"region": r.name, "name": n, "created": util.iso_s3(f.created)})
                for n in r.log_group_names.items:
                    g = r.log_groups[n]
                    out["log_groups"].append({"region": r.name, "name": n, "created": util.iso_s3(g.created),
                                              "stored_bytes": g.stored_bytes})
                for n in r.layer_names.items:
                    ly = r.layers[n]
                    out["layers"].append({"region": r.name, "name": n,
                                          "versions": [{"version": v, "created": util.iso_s3(ly.versions[v].created)}
                                                       for v in sorted(ly.versions)]})
            for n in self.bucket_names.items:
                b = self.buckets[n]
                nv, nm = b.version_count()
                d = {"name": n, "region": b.region, "created": util.iso_s3(b.created),
                     "versioning": b.versioning, "website": b.website,
                     "keys": len(b.objects), "versions": nv, "delete_markers": nm}
                if objects:
                    d["objects"] = [{"key": k, "versions": [{"version_id": v.vid, "delete_marker": v.marker}
                                                           for v in vs]}
                                    for k, vs in b.objects.scan()]
                out["buckets"].append(d)
            if self.others:
                out["accounts"] = [o.dump(objects) for o in self.others.values()]
            if self.organization is not None:
                out["organization"] = self.organization.dump()
            return out


def load_fixture_file(state, path, extra_users=()):
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read())
    except (OSError, ValueError) as e:
        raise FixtureError("cannot read fixture %s: %s" % (path, e))
    state.load_fixture(doc, os.path.dirname(os.path.abspath(path)), extra_users)
