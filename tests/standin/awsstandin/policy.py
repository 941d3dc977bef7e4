"""A small IAM identity-policy evaluator.

Supports Allow and Deny statements with Action/NotAction and
Resource/NotResource given as a string or a list, the wildcards * and ?
(whole-string match; actions case-insensitive, resources case-sensitive;
* also matches "/" and ":"), and the policy variables ${aws:username},
${*}, ${?}, ${$} (only with Version 2012-10-17, as in IAM).  Conditions and
principals are refused at load time rather than silently ignored.
"""
import json
import re
import threading

ALLOWED = "allowed"
IMPLICIT_DENY = "implicitDeny"
EXPLICIT_DENY = "explicitDeny"


class PolicyError(ValueError):
    pass


_VAR_RE = re.compile(r"\$\{([^}]*)\}")


def _glob_to_regex(text, variables, use_vars):
    """Translate an IAM glob into a regex string; None if a variable has no value."""
    out = []
    i = 0
    while i < len(text):
        if use_vars and text.startswith("${", i):
            m = _VAR_RE.match(text, i)
            if m:
                name = m.group(1)
                if name in ("*", "?", "$"):
                    out.append(re.escape(name))
                else:
                    val = variables.get(name.lower())
                    if val is None:
                        return None
                    out.append(re.escape(val))
                i = m.end()
                continue
        ch = text[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _as_list(v, what, sid):
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return list(v)
    raise PolicyError("statement %s: %s must be a string or a non-empty list of strings" % (sid, what))


class Statement:
    def __init__(self, doc, index, use_vars):
        if not isinstance(doc, dict):
            raise PolicyError("statement %d is not an object" % index)
        self.sid = doc.get("Sid") or "Statement%d" % (index + 1)
        self.index = index
        eff = doc.get("Effect")
        if eff not in ("Allow", "Deny"):
            raise PolicyError("statement %s: Effect must be Allow or Deny" % self.sid)
        self.effect = eff
        for bad in ("Condition", "Principal", "NotPrincipal"):
            if bad in doc:
                raise PolicyError("statement %s: %s is not supported by the stand-in" % (self.sid, bad))
        if ("Action" in doc) == ("NotAction" in doc):
            raise PolicyError("statement %s: exactly one of Action/NotAction is required" % self.sid)
        if ("Resource" in doc) == ("NotResource" in doc):
            raise PolicyError("statement %s: exactly one of Resource/NotResource is required" % self.sid)
        self.not_action = "NotAction" in doc
        self.actions = _as_list(doc.get("NotAction" if self.not_action else "Action"), "Action", self.sid)
        for a in self.actions:
            if a != "*" and ":" not in a:
                raise PolicyError("statement %s: action %r has no service prefix" % (self.sid, a))
        self.not_resource = "NotResource" in doc
        self.resources = _as_list(doc.get("NotResource" if self.not_resource else "Resource"),
                                  "Resource", self.sid)
        self.use_vars = use_vars
        self._action_re = re.compile("|".join("(?:%s)" % _glob_to_regex(a, {}, False) for a in self.actions),
                                     re.IGNORECASE | re.DOTALL)
        self._res_cache = {}
        self._lock = threading.Lock()

    def _resource_re(self, variables):
        key = tuple(sorted(variables.items()))
        with self._lock:
            r = self._res_cache.get(key)
            if r is None:
                parts = [p for p in (_glob_to_regex(x, variables, self.use_vars) for x in self.resources)
                         if p is not None]
                r = re.compile("|".join("(?:%s)" % p for p in parts), re.DOTALL) if parts else False
                self._res_cache[key] = r
        return r

    def applies(self, action, resource, variables):
        am = self._action_re.fullmatch(action) is not None
        if am == self.not_action:
            return False
        r = self._resource_re(variables)
        rm = bool(r) and r.fullmatch(resource) is not None
        return rm != self.not_resource


class Policy:
    """A parsed identity policy. name is used as SourcePolicyId in simulations."""

    def __init__(self, doc, name="policy"):
        if isinstance(doc, (str, bytes)):
            try:
                doc = json.loads(doc)
            except ValueError as e:
                raise PolicyError("policy %s is not JSON: %s" % (name, e))
        if not isinstance(doc, dict):
            raise PolicyError("policy %s: not a JSON object" % name)
        self.name = name
        self.doc = doc
        version = doc.get("Version", "2008-10-17")
        if version not in ("2012-10-17", "2008-10-17"):
            raise PolicyError("policy %s: unknown Version %r" % (name, version))
        sts = doc.get("Statement")
        if isinstance(sts, dict):
            sts = [sts]
        if not isinstance(sts, list):
            raise PolicyError("policy %s: Statement must be an object or a list" % name)
        self.statements = [Statement(s, i, version == "2012-10-17") for i, s in enumerate(sts)]

    @classmethod
    def from_file(cls, path, name=None):
        import os
        with open(path, "rb") as f:
            data = f.read()
        if name is None:
            name = os.path.splitext(os.path.basename(path))[0]
        return cls(data, name)

    @classmethod
    def empty(cls, name="no-permissions"):
        return cls({"Version": "2012-10-17", "Statement": []}, name)

    def evaluate(self, action, resource, variables=None):
        """Return (decision, [matched statements]) for one action on one resource ARN."""
        variables = variables or {}
        allows, denies = [], []
        for st in self.statements:
            if st.applies(action, resource, variables):
                (allows if st.effect == "Allow" else denies).append(st)
        if denies:
            return EXPLICIT_DENY, denies
        if allows:
            return ALLOWED, allows
        return IMPLICIT_DENY, []

    def allows(self, action, resource, variables=None):
        return self.evaluate(action, resource, variables)[0] == ALLOWED
