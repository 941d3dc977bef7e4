"""AWS Organizations (JSON 1.1: POST / with X-Amz-Target
AWSOrganizationsV20161128.OP): the organization's accounts and OUs.

Signed for the service "organizations" and the region us-east-1 (the aws
partition's only endpoint, organizations.us-east-1.amazonaws.com, in
botocore's endpoint rules).  Only the management account's credentials may
list; a member's get AccessDeniedException, an account outside any
organization AWSOrganizationsNotInUseException.
"""
import json
import re

from . import util
from .wire import Resp, org_error

TARGET_PREFIX = "AWSOrganizationsV20161128."
OPERATIONS = ("ListAccounts", "ListAccountsForParent", "ListOrganizationalUnitsForParent", "DescribeOrganization")
PAGE_MAX = 20
CONTENT_TYPE = "application/x-amz-json-1.1"
PARENT_RE = re.compile(r"^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")


def classify(ctx):
    target = ctx.headers.get("X-Amz-Target") or ""
    op = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
    if ctx.method != "POST" or ctx.path != "/" or op not in OPERATIONS:
        ctx.operation = "Unsupported"
        return org_error(ctx, 400, "UnknownOperationException", "Unknown operation %s" % (target or "-"))
    ctx.operation = op
    ctx.modifies = False
    try:
        ctx.args = json.loads(ctx.body.decode("utf-8")) if ctx.body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        ctx.args = None
    if not isinstance(ctx.args, dict):
        return org_error(ctx, 400, "SerializationException", "The request body is not a JSON object")
    ctx.target = ctx.args.get("ParentId") if isinstance(ctx.args.get("ParentId"), str) else None
    return None


def handle(ctx, srv):
    st = srv.state
    with st.lock:
        org = st.organization
        if org is None:
            return org_error(ctx, 400, "AWSOrganizationsNotInUseException",
                             "Your account is not a member of an organization.")
        denied = srv.authorize(ctx, "organizations:" + ctx.operation, "*")
        if denied is not None:
            return denied
        if ctx.identity.account != st.account:
            # A member account's credentials: only the management account
            # (or a delegated administrator, not modelled) may list.
            return org_error(ctx, 400, "AccessDeniedException",
                             "You don't have permissions to access this resource.")
        return globals()["op_" + ctx.operation](ctx, srv, org)


def _json(obj):
    return Resp(200, json.dumps(obj, separators=(",", ":")), content_type=CONTENT_TYPE)


def _page(ctx, org, tag, items):
    """(page, next token or None) of items (sorted ids), or an error Resp."""
    a = ctx.args
    limit = a.get("MaxResults", org.page_size)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= PAGE_MAX:
        return None, org_error(ctx, 400, "InvalidInputException",
                               "1 validation error detected: Value at 'maxResults' failed to satisfy "
                               "constraint: Member must have value less than or equal to 20", reason="MAX_VALUE_EXCEEDED")
    limit = min(limit, org.page_size)
    start = 0
    token = a.get("NextToken")
    if token is not None:
        after = util.parse_marker(tag, token) if isinstance(token, str) else None
        if after is None:
            return None, org_error(ctx, 400, "InvalidInputException", "The specified NextToken is invalid.",
                                   reason="INVALID_PAGINATION_TOKEN")
        start = next((i for i, x in enumerate(items) if x > after), len(items))
    page = items[start:start + limit]
    more = start + limit < len(items)
    return (page, util.make_marker(tag, page[-1]) if more else None), None


def _parent(ctx, org):
    p = ctx.args.get("ParentId")
    if not isinstance(p, str) or not PARENT_RE.fullmatch(p):
        return None, org_error(ctx, 400, "InvalidInputException", "You provided a value that does not match "
                               "the required pattern.", reason="INVALID_PATTERN")
    if p != org.root_id and p not in org.ous:
        return None, org_error(ctx, 400, "ParentNotFoundException",
                               "We can't find a root or OU with the ParentId that you specified.")
    return p, None


def _accounts_out(org, ids):
    out = []
    for i in ids:
        m = org.members[i]
        out.append({"Id": i, "Arn": "arn:aws:organizations::%s:account/%s/%s" % (org.management, org.id, i),
                    "Email": m["email"], "Name": m["name"], "Status": m["status"], "JoinedMethod": m["joined"],
                    "JoinedTimestamp": m["joined_at"]})
    return out


def _with_token(body, token):
    if token is not None:
        body["NextToken"] = token
    return _json(body)


def op_ListAccounts(ctx, srv, org):
    r, err = _page(ctx, org, "O", sorted(org.members))
    if err is not None:
        return err
    return _with_token({"Accounts": _accounts_out(org, r[0])}, r[1])


def op_ListAccountsForParent(ctx, srv, org):
    parent, err = _parent(ctx, org)
    if err is not None:
        return err
    r, err = _page(ctx, org, "P", sorted(i for i, m in org.members.items() if m["parent"] == parent))
    if err is not None:
        return err
    return _with_token({"Accounts": _accounts_out(org, r[0])}, r[1])


def op_ListOrganizationalUnitsForParent(ctx, srv, org):
    parent, err = _parent(ctx, org)
    if err is not None:
        return err
    r, err = _page(ctx, org, "U", sorted(i for i, u in org.ous.items() if u["parent"] == parent))
    if err is not None:
        return err
    out = [{"Id": i, "Arn": "arn:aws:organizations::%s:ou/%s/%s" % (org.management, org.id, i),
            "Name": org.ous[i]["name"]} for i in r[0]]
    return _with_token({"OrganizationalUnits": out}, r[1])


def op_DescribeOrganization(ctx, srv, org):
    return _json({"Organization": {
        "Id": org.id, "Arn": "arn:aws:organizations::%s:organization/%s" % (org.management, org.id),
        "FeatureSet": "ALL", "MasterAccountId": org.management,
        "MasterAccountArn": "arn:aws:organizations::%s:account/%s/%s" % (org.management, org.id, org.management),
        "MasterAccountEmail": org.members[org.management]["email"], "AvailablePolicyTypes": []}})


class Organization:
    """The fixture's "organization": its root, OUs and member accounts.

    {"id": "o-...", "root_id": "r-...", "page_size": 20,
     "ous": [{"id": "ou-...", "name": "...", "parent": "r-...|ou-..."}],
     "members": [{"account_id": "...", "name": "...", "status": "ACTIVE|SUSPENDED|PENDING_CLOSURE",
                  "parent": "r-...|ou-...", "email": "..."}]}
    The management account (the fixture's account_id) is a member in the root."""

    def __init__(self, doc, management, base):
        from .state import FixtureError
        if not isinstance(doc, dict):
            raise FixtureError("organization: must be an object")
        self.id = doc.get("id", "o-janitortest1")
        self.root_id = doc.get("root_id", "r-jt01")
        if not re.fullmatch(r"o-[a-z0-9]{10,32}", self.id) or not re.fullmatch(r"r-[0-9a-z]{4,32}", self.root_id):
            raise FixtureError("organization: bad id or root_id")
        self.page_size = doc.get("page_size", PAGE_MAX)
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= PAGE_MAX:
            raise FixtureError("organization: page_size must be 1..20")
        self.management = management
        self.ous = {}
        for i, u in enumerate(doc.get("ous", [])):
            oid = u.get("id") if isinstance(u, dict) else None
            if not isinstance(oid, str) or not re.fullmatch(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", oid) \
                    or oid in self.ous:
                raise FixtureError("organization.ous[%d]: bad or duplicate id" % i)
            self.ous[oid] = {"name": str(u.get("name", oid)), "parent": u.get("parent", self.root_id)}
        for oid, u in self.ous.items():
            if u["parent"] != self.root_id and u["parent"] not in self.ous:
                raise FixtureError("organization.ous: %s: unknown parent %s" % (oid, u["parent"]))
        joined = round(base, 3)
        self.members = {management: {"name": doc.get("management_name", "management"), "status": "ACTIVE",
                                     "parent": self.root_id, "email": "management@example.com",
                                     "joined": "CREATED", "joined_at": joined}}
        for i, m in enumerate(doc.get("members", [])):
            acct = str(m.get("account_id", "")) if isinstance(m, dict) else ""
            if len(acct) != 12 or not acct.isdigit() or acct in self.members:
                raise FixtureError("organization.members[%d]: account_id must be 12 digits, unique" % i)
            status = m.get("status", "ACTIVE")
            if status not in ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE"):
                raise FixtureError("organization.members[%d]: bad status" % i)
            parent = m.get("parent", self.root_id)
            if parent != self.root_id and parent not in self.ous:
                raise FixtureError("organization.members[%d]: unknown parent %s" % (i, parent))
            name = m.get("name", "account-%s" % acct)
            if not isinstance(name, str) or not 1 <= len(name) <= 128:
                raise FixtureError("organization.members[%d]: name must be 1..128 characters" % i)
            self.members[acct] = {"name": name, "status": status, "parent": parent,
                                  "email": m.get("email", "%s@example.com" % acct), "joined": "INVITED",
                                  "joined_at": joined}

    def dump(self):
        return {"id": self.id, "root_id": self.root_id, "management": self.management,
                "ous": [dict(v, id=k) for k, v in self.ous.items()],
                "members": [{"account_id": k, "name": v["name"], "status": v["status"], "parent": v["parent"]}
                            for k, v in self.members.items()]}
