"""IAM (GetUser, SimulatePrincipalPolicy) and STS (GetCallerIdentity), Query protocol."""
import re

from . import util
from .auth import parse_query
from .util import xml_el, IAM_NS, STS_NS
from .wire import Resp, query_error

VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}
OPS = {"iam": {"GetUser", "SimulatePrincipalPolicy"}, "sts": {"GetCallerIdentity", "AssumeRole"}}
UNSIGNED_OPS = {"AssumeRoleWithWebIdentity"}
ROLE_SESSION_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
ROLE_ARN_RE = re.compile(r"^arn:aws:iam::(\d{12}):role/")


def params(ctx):
    """Query parameters from the form body (POST) or the query string."""
    if ctx.method == "POST":
        ctype = (ctx.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return None
        try:
            return dict(parse_query(ctx.body.decode("utf-8")))
        except UnicodeDecodeError:
            return None
    return dict(ctx.query)


def classify(ctx, unsigned=False):
    p = params(ctx)
    if p is None or ctx.path != "/":
        ctx.operation = "Unsupported"
        return query_error(ctx, 400, "InvalidAction", "The stand-in expects form-encoded Query requests on /.")
    ctx.params = p
    action = p.get("Action")
    ctx.operation = action or "Unsupported"
    if not action:
        return query_error(ctx, 400, "MissingAction", "Missing Action")
    if action not in (UNSIGNED_OPS if unsigned else OPS[ctx.service]):
        return query_error(ctx, 400, "InvalidAction", "Could not find operation %s for version %s"
                           % (action, p.get("Version", "NO_VERSION_SPECIFIED")))
    if p.get("Version") != VERSIONS[ctx.service]:
        return query_error(ctx, 400, "InvalidAction", "Could not find operation %s for version %s"
                           % (action, p.get("Version", "NO_VERSION_SPECIFIED")))
    if action == "GetUser":
        ctx.target = p.get("UserName")
    elif action == "SimulatePrincipalPolicy":
        ctx.target = p.get("PolicySourceArn")
    return None


def _wrap(ctx, op, ns, inner):
    body = ('<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata>%s</ResponseMetadata></%sResponse>'
            % (op, ns, op, inner, op, xml_el("RequestId", ctx.request_id), op))
    return Resp(200, util.XML_DECL + body, content_type="text/xml")


def handle(ctx, srv):
    return globals()["op_" + ctx.operation](ctx, srv)


def op_GetCallerIdentity(ctx, srv):
    ident = ctx.identity
    inner = xml_el("Arn", ident.arn) + xml_el("UserId", ident.user_id) + xml_el("Account", ident.account)
    return _wrap(ctx, "GetCallerIdentity", STS_NS, inner)


def _role_credentials(ctx, srv, op, role, session, duration, account=None):
    """The AssumeRole* answer: credentials (of the role's account) the stand-in
    then verifies like all others."""
    st = srv.state
    ttl = min(float(duration), srv.args.temp_creds_ttl)
    ident = st.issue_role(role, session, ttl, account)
    inner = ("<Credentials>%s%s%s%s</Credentials><AssumedRoleUser>%s%s</AssumedRoleUser>"
             % (xml_el("AccessKeyId", ident.access_key), xml_el("SecretAccessKey", ident.secret_key),
                xml_el("SessionToken", ident.token), xml_el("Expiration", util.iso_z(ident.expires)),
                xml_el("AssumedRoleId", ident.user_id), xml_el("Arn", ident.arn)))
    return _wrap(ctx, op, STS_NS, inner)


def _role_request(ctx, srv):
    """(role name, session, duration, account) or an error response."""
    p = ctx.params
    arn = p.get("RoleArn") or ""
    session = p.get("RoleSessionName") or ""
    m = ROLE_ARN_RE.match(arn)
    account = m.group(1) if m else srv.state.account
    prefix = "arn:aws:iam::%s:role/" % account
    if not arn.startswith(prefix) or not ROLE_SESSION_RE.match(session):
        return query_error(ctx, 400, "ValidationError", "RoleArn and RoleSessionName are required and must be valid")
    try:
        duration = int(p.get("DurationSeconds", "3600"))
    except ValueError:
        duration = 0
    if not 900 <= duration <= 43200:
        return query_error(ctx, 400, "ValidationError", "DurationSeconds must be between 900 and 43200")
    ctx.target = arn
    return arn[len(prefix):], session, duration, account


def op_AssumeRole(ctx, srv):
    req = _role_request(ctx, srv)
    if not isinstance(req, tuple):
        return req
    name, session, duration, account = req
    owner = srv.state.of(account)
    role = owner.assumable.get(name) if owner is not None else None
    ident = ctx.identity
    caller = {ident.arn, ident.principal_arn}
    if role is None or not caller & set(role["trust"]):
        return query_error(ctx, 403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on "
                           "resource: %s" % (ident.arn, ctx.target))
    if role["external_id"] is not None and ctx.params.get("ExternalId") != role["external_id"]:
        return query_error(ctx, 403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on "
                           "resource: %s (ExternalId)" % (ident.arn, ctx.target))
    return _role_credentials(ctx, srv, "AssumeRole", name, session, duration, account)


def op_AssumeRoleWithWebIdentity(ctx, srv):
    req = _role_request(ctx, srv)
    if not isinstance(req, tuple):
        return req
    name, session, duration, account = req
    owner = srv.state.of(account)
    role = owner.assumable.get(name) if owner is not None else None
    want = role and role.get("web_identity_token")
    if not want:
        return query_error(ctx, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    if ctx.params.get("WebIdentityToken") != want:
        return query_error(ctx, 400, "InvalidIdentityToken", "The web identity token that was passed could not "
                           "be validated by AWS. Get a new identity token from the identity provider.")
    return _role_credentials(ctx, srv, "AssumeRoleWithWebIdentity", name, session, duration, account)


def op_GetUser(ctx, srv):
    st = srv.state
    ident = ctx.identity
    name = ctx.params.get("UserName")
    if name is None:
        if ident.kind != "user":
            return query_error(ctx, 400, "ValidationError",
                               "Must specify userName when calling with non-User credentials")
        name = ident.name
        ctx.target = name
    denied = srv.authorize(ctx, "iam:GetUser", "arn:aws:iam::%s:user/%s" % (st.account, name))
    if denied is not None:
        return denied
    user = next((u for u in st.users.values() if u.name == name), None)
    if user is None:
        return query_error(ctx, 404, "NoSuchEntity", "The user with name %s cannot be found." % name)
    inner = "<User>%s%s%s%s%s</User>" % (xml_el("Path", "/"), xml_el("UserName", user.name),
                                          xml_el("UserId", user.user_id), xml_el("Arn", user.arn),
                                          xml_el("CreateDate", util.iso_z(st.loaded_at - 400 * 86400)))
    return _wrap(ctx, "GetUser", IAM_NS, inner)


def _members(p, name):
    out = []
    i = 1
    while "%s.member.%d" % (name, i) in p:
        out.append(p["%s.member.%d" % (name, i)])
        i += 1
    return out


_ACTION_RE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")


def op_SimulatePrincipalPolicy(ctx, srv):
    st = srv.state
    p = ctx.params
    src = p.get("PolicySourceArn")
    if not src:
        return query_error(ctx, 400, "ValidationError", "1 validation error detected: Value null at "
                           "'policySourceArn' failed to satisfy constraint: Member must not be null")
    denied = srv.authorize(ctx, "iam:SimulatePrincipalPolicy", src)
    if denied is not None:
        return denied
    if ":assumed-role/" in src or not src.startswith("arn:aws:iam::"):
        return query_error(ctx, 400, "InvalidInput", "Invalid ARN: %s. Simulate a user, group or role ARN "
                           "(an assumed-role session ARN must be rewritten to its role ARN)." % src)
    principal = st.find_principal(src)
    if principal is None:
        return query_error(ctx, 404, "NoSuchEntity", "The principal %s cannot be found." % src)
    actions = _members(p, "ActionNames")
    if not actions:
        return query_error(ctx, 400, "ValidationError", "1 validation error detected: Value null at "
                           "'actionNames' failed to satisfy constraint: Member must not be null")
    for a in actions:
        if not _ACTION_RE.match(a):
            return query_error(ctx, 400, "InvalidInput", "Actions or Resources in the simulation request are "
                               "invalid: %s" % a)
    resources = _members(p, "ResourceArns") or ["*"]
    try:
        max_items = int(p.get("MaxItems", "100"))
    except ValueError:
        max_items = 0
    if not 1 <= max_items <= 1000:
        return query_error(ctx, 400, "ValidationError", "MaxItems must be between 1 and 1000")
    start = 0
    if p.get("Marker"):
        s = util.parse_marker("S", p["Marker"])
        if s is None or not s.isdigit():
            return query_error(ctx, 400, "InvalidInput", "Invalid Marker")
        start = int(s)
    policy = st.policy_for(principal)
    pairs = [(a, r) for a in actions for r in resources]
    page = pairs[start:start + max_items]
    truncated = start + max_items < len(pairs)
    ptype = "user" if principal.kind == "user" else "role"
    members = []
    for a, r in page:
        decision, stmts = policy.evaluate(a, r, principal.variables())
        matched = "".join("<member>%s%s</member>" % (xml_el("SourcePolicyId", policy.name),
                                                    xml_el("SourcePolicyType", ptype)) for _ in stmts)
        members.append("<member>%s%s%s<MatchedStatements>%s</MatchedStatements><MissingContextValues/>"
                       "<ResourceSpecificResults><member>%s%s<MatchedStatements>%s</MatchedStatements>"
                       "<MissingContextValues/></member></ResourceSpecificResults></member>"
                       % (xml_el("EvalActionName", a), xml_el("EvalResourceName", r), xml_el("EvalDecision", decision),
                          matched, xml_el("EvalResourceName", r), xml_el("EvalResourceDecision", decision), matched))
    inner = "<EvaluationResults>%s</EvaluationResults>%s" % ("".join(members),
                                                            xml_el("IsTruncated", "true" if truncated else "false"))
    if truncated:
        inner += xml_el("Marker", util.make_marker("S", str(start + max_items)))
    return _wrap(ctx, "SimulatePrincipalPolicy", IAM_NS, inner)
