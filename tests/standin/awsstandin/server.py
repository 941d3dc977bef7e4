"""The HTTP server: routing, faults, latency, the request log, the control
API, IMDSv2 and the container credential endpoint."""
import argparse
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import auth, hostile, util, s3, lambda_api, logs_api, org_api, query_api
from .faults import Faults, Latency, FaultError
from .policy import Policy, PolicyError, ALLOWED, EXPLICIT_DENY
from .state import State, FixtureError, load_fixture_file
from .wire import Resp, json_resp, service_error, s3_error

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_POLICY = os.path.normpath(os.path.join(HERE, "..", "..", "conf", "remotion-janitor-policy.json"))
CONTROL = "/__standin/"
CREDS = "/__creds/"
MAX_BODY = 64 * 1024 * 1024
SERVICES = {"s3": s3, "lambda": lambda_api, "logs": logs_api, "iam": query_api, "sts": query_api,
            "organizations": org_api}


class Ctx:
    """Everything known about one request."""

    def __init__(self, method, raw_path, headers, body, scheme, conn):
        self.method = method
        parts = urlsplit(raw_path)
        self.path = parts.path or "/"
        self.query_raw = parts.query
        self.query = auth.parse_query(parts.query)
        self.q = {}
        for k, v in self.query:
            self.q.setdefault(k, v)
        self.headers = headers
        self.body = body
        self.scheme = scheme
        self.conn = conn
        self.service = None
        self.region = None
        self.access_key = None
        self.identity = None
        self.operation = None
        self.target = None
        self.key = None
        self.version_id = None
        self.modifies = False
        self.count = None
        self.key_errors = 0
        self.listed = None
        self.faults = []
        self.params = {}
        self._s3_id = util.s3_request_id()
        self._uuid = None
        self.host_id = util.s3_host_id()

    @property
    def request_id(self):
        if self.service == "s3":
            return self._s3_id
        if self._uuid is None:
            self._uuid = util.uuid_request_id()
        return self._uuid

    def has_fault(self, kind):
        return any(f.kind == kind for f in self.faults)

    def fault_of(self, kind):
        for f in self.faults:
            if f.kind == kind:
                return f
        return None


class RequestLog:
    def __init__(self, path=None, cap=500000):
        self.lock = threading.Lock()
        self.entries = []
        self.seq = 0
        self.cap = cap
        self.file = open(path, "a", encoding="utf-8") if path else None

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if len(self.entries) > self.cap:
                del self.entries[:len(self.entries) - self.cap]
            if self.file:
                self.file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.file.flush()

    def since(self, seq):
        with self.lock:
            return [e for e in self.entries if e["seq"] > seq]

    def reset(self):
        with self.lock:
            self.entries = []


class StandIn:
    """Shared state of the server: resources, policy, faults, latency, log."""

    def __init__(self, args):
        self.args = args
        self.state = State()
        self.faults = Faults(args.seed)
        self.latency = Latency(args.seed)
        self.log = RequestLog(args.log_file)
        self.stop_event = threading.Event()
        self.conn_seq = 0
        self.conn_lock = threading.Lock()
        self.imds_tokens = {}
        self.tls = False
        self.httpd = None

    def store(self, ctx):
        """The resources of the account whose credentials signed ctx."""
        return self.state.of(ctx.identity.account)

    # ---------------------------------------------------------------- IAM
    def _decide(self, ctx, action, resource):
        ident = ctx.identity
        pol = self.state.policy_for(ident)
        return pol.evaluate(action, resource, ident.variables())[0]

    def allowed(self, ctx, action, resource):
        return self._decide(ctx, action, resource) == ALLOWED

    def authorize(self, ctx, action, resource):
        decision = self._decide(ctx, action, resource)
        if decision == ALLOWED:
            return None
        return service_error(ctx, "access_denied", action=action, resource=resource,
                             principal=ctx.identity.arn, explicit=decision == EXPLICIT_DENY)

    # ---------------------------------------------------------------- AWS
    def handle_unsigned(self, ctx):
        """The STS calls that take no signature: AssumeRoleWithWebIdentity."""
        ctx.service = "sts"
        err = query_api.classify(ctx, unsigned=True)
        if err is not None:
            return err
        # Of the faults, only a hostile echo applies to an unsigned call.
        ctx.faults = self.faults.pick(ctx, kinds=("echo_request",))
        if ctx.faults:
            return self.fault_response(ctx, ctx.faults[0])
        return query_api.handle(ctx, self)

    def handle_aws(self, ctx):
        if (ctx.method == "POST" and ctx.path == "/" and ctx.headers.get("Authorization") is None
                and b"Action=AssumeRoleWithWebIdentity" in ctx.body):
            return self.handle_unsigned(ctx)
        err = auth.verify(ctx, self.state)
        mod = SERVICES.get(ctx.service)
        if err is not None:
            if mod is not None and ctx.operation is None:
                try:
                    mod.classify(ctx)     # only to name the operation in the log
                except Exception:
                    pass
            return err
        err = mod.classify(ctx)
        if err is not None:
            return err
        ctx.faults = self.faults.pick(ctx)
        for f in ctx.faults:
            if f.kind == "skew":
                util.CLOCK.offset = float(f.params.get("offset_s", 3600))
            elif f.kind == "expire_creds":
                self.state.expire_temp()
        pre = next((f for f in ctx.faults if f.kind in ("error", "throttle", "error200", "echo_request",
                                                       "bad_date", "deny")
                    and not f.executes), None)
        if pre is not None:
            resp = self.fault_response(ctx, pre)
        else:
            resp = mod.handle(ctx, self)
            self.apply_vanish(ctx)
            for f in ctx.faults:
                if f.kind in ("error", "throttle", "error200") and f.executes:
                    resp = self.fault_response(ctx, f)
            drop = ctx.fault_of("drop_header")
            if drop is not None:
                name = str(drop.params.get("name", "x-amz-version-id")).lower()
                resp.headers = [h for h in resp.headers if h[0].lower() != name]
            big = ctx.fault_of("big_page")
            if big is not None:
                resp = hostile.big_page(resp, int(big.params.get("bytes", 0)))
        for f in ctx.faults:
            if f.kind == "malformed":
                resp = self.malformed(ctx, resp)
            elif f.kind in ("reset", "truncate"):
                resp.fault = f
        if resp.fault is None:
            resp.fault = next((f for f in ctx.faults if f.kind in ("error", "throttle", "error200")), None)
        return resp

    def fault_response(self, ctx, f):
        if f.kind == "deny":
            return service_error(ctx, "access_denied", action=ctx.operation, resource="*",
                                 principal=ctx.identity.arn, explicit=True)
        if f.kind == "echo_request":
            return hostile.echo_request(ctx, int(f.params.get("status", 403)), bool(f.params.get("body")))
        if f.kind == "bad_date":
            return hostile.bad_date(ctx, float(f.params.get("offset_s", 400 * 86400)))
        if f.kind == "error":
            return service_error(ctx, "internal", status=int(f.params.get("status", 500)), code=f.params.get("code"),
                                 message=f.params.get("message"))
        if f.kind == "throttle":
            return service_error(ctx, "throttle", retry_after=f.params.get("retry_after", 1))
        # error200: a 200 whose body is an error document.
        if ctx.service == "s3":
            r = s3_error(ctx, 200, f.params.get("code", "InternalError"),
                         "We encountered an internal error. Please try again.")
        else:
            r = service_error(ctx, "internal", status=500, code=f.params.get("code"))
            r.status = 200
        return r

    def malformed(self, ctx, resp):
        if ctx.service == "lambda":
            body = b'{"Functions": [{"FunctionName": "remotion-render-4-0-1\x00'
            ctype = "application/json"
        elif ctx.service == "logs":
            body = b'{"logGroups": [{"logGroupName": "/aws/lambda/remotion-render-4-0-1\x00'
            ctype = "application/x-amz-json-1.1"
        elif ctx.service == "organizations":
            body = b'{"Accounts": [{"Id": "2222222\x00'
            ctype = "application/x-amz-json-1.1"
        else:
            body = b'<?xml version="1.0" encoding="UTF-8"?>\n<Result xmlns="x"><Item><Name>remotion-&bogus;<Na'
            ctype = "application/xml"
        r = Resp(200, body, [h for h in resp.headers if h[0].lower() != "content-type"], content_type=ctype)
        r.error = "Malformed"
        return r

    def apply_vanish(self, ctx):
        f = ctx.fault_of("vanish")
        if f is None or not ctx.listed:
            return
        st = self.state
        n = int(f.params.get("n", 1))
        gone = []
        with st.lock:
            for item in ctx.listed:
                if len(gone) >= n:
                    break
                kind = item[0]
                if kind == "function":
                    _, region, name = item
                    if f.item_matches(name) and st.regions[region].remove_function(name):
                        gone.append(name)
                elif kind == "log_group":
                    _, region, name = item
                    if f.item_matches(name) and st.regions[region].remove_log_group(name):
                        gone.append(name)
                elif kind == "layer_version":
                    _, region, name, ver = item
                    if f.item_matches(name) and st.regions[region].remove_layer_version(name, ver):
                        gone.append("%s:%d" % (name, ver))
                elif kind == "bucket":
                    name = item[1]
                    if f.item_matches(name) and name in st.buckets:
                        del st.buckets[name]
                        st.bucket_names.remove(name)
                        gone.append(name)
                elif kind == "object_version":
                    _, bname, key, vid = item
                    b = st.buckets.get(bname)
                    if b is not None and f.item_matches(key):
                        b.delete(key, vid)
                        gone.append(key)
        ctx.vanished = gone

    # ---------------------------------------------------------------- credentials
    def cred_doc(self, ident):
        return {"AccessKeyId": ident.access_key, "SecretAccessKey": ident.secret_key, "Token": ident.token,
                "Expiration": util.iso_z(ident.expires)}

    def handle_imds(self, ctx):
        ctx.service = "imds"
        p = ctx.path
        now = time.time()
        if p == "/latest/api/token":
            ctx.operation = "GetToken"
            if ctx.method != "PUT":
                return Resp(405, b"", error="MethodNotAllowed")
            if ctx.headers.get("X-Forwarded-For"):
                return Resp(403, b"", error="Forbidden")
            try:
                ttl = int(ctx.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                ttl = 0
            if not 1 <= ttl <= 21600:
                return Resp(400, b"", error="BadRequest")
            tok = "AQAEA" + util.rand_str(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            with self.conn_lock:
                self.imds_tokens[tok] = now + ttl
            return Resp(200, tok, [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))], content_type="text/plain")
        ctx.operation = "GetMetadata"
        tok = ctx.headers.get("X-aws-ec2-metadata-token")
        with self.conn_lock:
            exp = self.imds_tokens.get(tok) if tok else None
        if exp is None or exp <= now:
            return Resp(401, b"", error="Unauthorized")
        base = "/latest/meta-data/iam/security-credentials"
        role = self.state.role_name
        if p in (base, base + "/"):
            return Resp(200, role, content_type="text/plain")
        if p == base + "/" + role:
            ident = self.state.issue_temp(self.args.temp_creds_ttl)
            ctx.operation = "GetRoleCredentials"
            ctx.target = ident.access_key
            doc = {"Code": "Success", "LastUpdated": util.iso_z(util.CLOCK.now()), "Type": "AWS-HMAC"}
            doc.update(self.cred_doc(ident))
            return Resp(200, json.dumps(doc, indent=2), content_type="text/plain")
        if p == "/latest/meta-data/placement/region":
            return Resp(200, "us-east-1", content_type="text/plain")
        return Resp(404, b"", error="NotFound")

    def handle_sso(self, ctx):
        """The SSO portal's GetRoleCredentials (bearer token, no signature)."""
        ctx.service = "sso"
        ctx.operation = "GetRoleCredentials"
        sso = self.state.sso
        q = dict(ctx.query)
        ctx.target = q.get("role_name")
        if ctx.method != "GET":
            return json_resp({"message": "GET only"}, 405)
        tok = ctx.headers.get("x-amz-sso_bearer_token")
        if not sso or tok is None or tok != sso.get("access_token"):
            return json_resp({"message": "Session token not found or invalid"}, 401,
                             [("x-amzn-ErrorType", "UnauthorizedException")])
        if not any(r.get("account_id") == q.get("account_id") and r.get("role_name") == q.get("role_name")
                   for r in sso.get("roles", [])):
            return json_resp({"message": "No access"}, 403, [("x-amzn-ErrorType", "ForbiddenException")])
        ident = self.state.issue_role(q["role_name"], "janitor-sso", self.args.temp_creds_ttl)
        return json_resp({"roleCredentials": {"accessKeyId": ident.access_key, "secretAccessKey": ident.secret_key,
                                              "sessionToken": ident.token,
                                              "expiration": int(ident.expires * 1000)}})

    def handle_container(self, ctx):
        ctx.service = "container"
        ctx.operation = "GetCredentials"
        want = self.args.container_token
        if want is not None and ctx.headers.get("Authorization") != want:
            return json_resp({"code": "AccessDenied", "message": "invalid authorization token"}, 403)
        if ctx.method != "GET":
            return json_resp({"code": "MethodNotAllowed", "message": "GET only"}, 405)
        ident = self.state.issue_temp(self.args.temp_creds_ttl)
        ctx.target = ident.access_key
        doc = self.cred_doc(ident)
        doc["RoleArn"] = "arn:aws:iam::%s:role/%s" % (self.state.account, self.state.role_name)
        return json_resp(doc)

    # ---------------------------------------------------------------- control
    def handle_control(self, ctx):
        name = ctx.path[len(CONTROL):].strip("/")
        m = ctx.method
        try:
            body = json.loads(ctx.body.decode("utf-8")) if ctx.body.strip() else {}
        except (ValueError, UnicodeDecodeError) as e:
            return json_resp({"ok": False, "error": "body is not JSON: %s" % e}, 400)
        try:
            if name == "health" and m == "GET":
                return json_resp({"ok": True, "pid": os.getpid(), "port": self.httpd.server_address[1],
                                  "tls": self.tls, "account_id": self.state.account})
            if name == "state" and m == "GET":
                return json_resp(self.state.dump(objects=ctx.q.get("objects") in ("1", "true")))
            if name == "keys" and m == "GET":
                return json_resp(self.state.keys_of(ctx.q.get("bucket", ""), ctx.q.get("prefix", "")))
            if name == "log" and m == "GET":
                since = int(ctx.q.get("since", "0"))
                return json_resp({"ok": True, "last_seq": self.log.seq, "entries": self.log.since(since)})
            if name == "reset-log" and m == "POST":
                self.log.reset()
                return json_resp({"ok": True, "last_seq": self.log.seq})
            if name == "faults" and m == "GET":
                return json_resp(self.faults.describe())
            if name == "faults" and m == "POST":
                off = self.faults.load(body, mode=ctx.q.get("mode", "replace"))
                if off is not None:
                    util.CLOCK.offset = float(off)
                return json_resp(dict(self.faults.describe(), ok=True))
            if name == "latency" and m == "GET":
                return json_resp(self.latency.describe())
            if name == "latency" and m == "POST":
                self.latency.load(body)
                return json_resp(dict(self.latency.describe(), ok=True))
            if name == "clock" and m == "POST":
                util.CLOCK.offset = float(body.get("offset_s", 0))
                return json_resp({"ok": True, "offset_s": util.CLOCK.offset})
            if name == "clock" and m == "GET":
                return json_resp({"ok": True, "offset_s": util.CLOCK.offset, "now": util.iso_z(util.CLOCK.now())})
            if name == "expire-creds" and m == "POST":
                return json_resp({"ok": True, "expired": self.state.expire_temp()})
            if name == "fixture" and m == "POST":
                self.state.load_fixture(body, keep_users="users" not in body)
                return json_resp({"ok": True})
            if name == "policy" and m == "POST":
                pol = Policy(body.get("policy"), body.get("name", "inline-policy"))
                user = body.get("user")
                with self.state.lock:
                    if user is None:
                        self.state.default_policy = pol
                    else:
                        u = next((x for x in self.state.users.values() if x.name == user), None)
                        if u is None:
                            return json_resp({"ok": False, "error": "no such user"}, 404)
                        u.policy_ref = pol
                return json_resp({"ok": True})
            if name == "shutdown" and m == "POST":
                # After the answer is written (the handler starts it): a
                # shutdown racing the write could exit before the client
                # has its 200.
                r = json_resp({"ok": True})
                r.after_write = self.shutdown
                return r
        except (FaultError, PolicyError, FixtureError, ValueError, TypeError, AttributeError) as e:
            return json_resp({"ok": False, "error": str(e)}, 400)
        return json_resp({"ok": False, "error": "unknown control request %s %s" % (m, ctx.path)}, 404)

    def shutdown(self):
        self.stop_event.set()
        if self.httpd is not None:
            self.httpd.shutdown()

    def next_conn(self):
        with self.conn_lock:
            self.conn_seq += 1
            return self.conn_seq


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120
    disable_nagle_algorithm = True
    server_version = "standin"
    sys_version = ""

    def setup(self):
        super().setup()
        self.conn_id = self.server.app.next_conn()
        self.reset_after = False

    def log_message(self, fmt, *args):
        if self.server.app.args.verbose:
            sys.stderr.write("standin: %s - %s\n" % (self.address_string(), fmt % args))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(16)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n) if n else b""

    def _dispatch(self):
        app = self.server.app
        t0 = time.time()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Resp(400, b"bad request body", content_type="text/plain"), None)
            return
        ctx = Ctx(self.command, self.path, self.headers, body, "https" if app.tls else "http", self.conn_id)
        kind = "aws"
        try:
            if ctx.path.startswith(CONTROL):
                resp = app.handle_control(ctx)
                self._write(resp, ctx)
                then = getattr(resp, "after_write", None)
                if then is not None:
                    threading.Thread(target=then, daemon=True).start()
                return
            if ctx.path.startswith(CREDS):
                kind = "creds"
                resp = app.handle_container(ctx)
            elif ctx.path == "/federation/credentials" and self.headers.get("Authorization") is None:
                kind = "creds"
                resp = app.handle_sso(ctx)
            elif ctx.path.startswith("/latest/") and self.headers.get("Authorization") is None:
                kind = "creds"
                resp = app.handle_imds(ctx)
            else:
                resp = app.handle_aws(ctx)
        except Exception:
            traceback.print_exc()
            ctx.service = ctx.service or "s3"
            resp = service_error(ctx, "internal", status=500, message="stand-in bug: see its stderr")
        stall = ctx.fault_of("stall")
        if stall is not None:
            app.stop_event.wait(min(float(stall.params.get("seconds", 5.0)), 600.0))
        delay = 0
        if kind == "aws":
            delay = app.latency.delay_ms(ctx)
            if delay > 0:
                app.stop_event.wait(delay / 1000.0)
        # Logged before the answer is written: a client that has its answer
        # always finds the request in the log.
        entry = {
            "time": util.iso_s3(util.CLOCK.now()), "t": round(t0, 6),
            "duration_ms": round((time.time() - t0) * 1000.0, 3), "conn": self.conn_id,
            "service": ctx.service, "region": ctx.region, "operation": ctx.operation, "target": ctx.target,
            "method": ctx.method, "path": ctx.path, "status": resp.status, "error": resp.error,
            "access_key": ctx.access_key, "modifies": ctx.modifies, "request_id": ctx.request_id,
            "latency_ms": delay,
        }
        if ctx.key is not None:
            entry["key"] = ctx.key
        if ctx.version_id is not None:
            entry["version_id"] = ctx.version_id
        if ctx.count is not None:
            entry["count"] = ctx.count
            entry["key_errors"] = ctx.key_errors
        if ctx.faults:
            entry["faults"] = [f.kind for f in ctx.faults]
        if getattr(ctx, "vanished", None):
            entry["vanished"] = ctx.vanished
        app.log.add(entry)
        if not self._write(resp, ctx):
            entry["client_gone"] = True     # in the log; not in --log-file

    def _write(self, resp, ctx):
        """Send resp in one write; apply reset/truncate faults.  False if the client was gone."""
        body = resp.body
        status = resp.status
        reason = self.responses.get(status, ("OK",))[0] if status != 301 else "Moved Permanently"
        hdrs = [("Date", resp.date or util.CLOCK.http_date())]
        if ctx is not None and ctx.service in ("s3", "lambda", "logs", "iam", "sts", "organizations"):
            # A hostile answer may bring its own request id.
            if ctx.service == "s3":
                if resp.header("x-amz-request-id") is None:
                    hdrs.append(("x-amz-request-id", ctx.request_id))
                hdrs += [("x-amz-id-2", ctx.host_id), ("Server", "AmazonS3")]
            elif resp.header("x-amzn-RequestId") is None:
                hdrs.append(("x-amzn-RequestId", ctx.request_id))
        else:
            hdrs.append(("Server", "standin"))
        hdrs += resp.headers
        fault = resp.fault
        length = len(body)
        if fault is not None and fault.kind == "truncate" and length == 0:
            length = 10
        hdrs.append(("Content-Length", str(length)))
        if self.close_connection or resp.close:
            hdrs.append(("Connection", "close"))
            self.close_connection = True
        head = "HTTP/1.1 %d %s\r\n" % (status, reason) + "".join("%s: %s\r\n" % h for h in hdrs) + "\r\n"
        data = head.encode("latin-1")
        if self.command != "HEAD":
            data += body
        try:
            if fault is not None and fault.kind == "reset":
                frac = float(fault.params.get("fraction", 0.5))
                cut = len(head) + int(len(body) * frac) if body and self.command != "HEAD" else 0
                if cut:
                    self.wfile.write(data[:cut])
                self.server.mark_reset(self.connection)
                self.close_connection = True
                return True
            if fault is not None and fault.kind == "truncate":
                frac = float(fault.params.get("fraction", 0.5))
                self.wfile.write(data[:len(head) + int(len(body) * frac)])
                self.close_connection = True
                return True
            self.wfile.write(data)
            return True
        except OSError:
            self.close_connection = True
            return False

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, app, ssl_ctx=None):
        self.app = app
        self.ssl_ctx = ssl_ctx
        self._reset = set()
        self._reset_lock = threading.Lock()
        super().__init__(addr, Handler)

    def mark_reset(self, sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        with self._reset_lock:
            self._reset.add(id(sock))

    def finish_request(self, request, client_address):
        sock = request
        if self.ssl_ctx is not None:
            try:
                sock.settimeout(10)
                sock = self.ssl_ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                try:
                    sock.close()
                except OSError:
                    pass
                return
        try:
            self.RequestHandlerClass(sock, client_address, self)
        finally:
            with self._reset_lock:
                reset = id(sock) in self._reset
                self._reset.discard(id(sock))
            if reset or sock is not request:
                try:
                    sock.close()      # with SO_LINGER 0: an RST, not a FIN
                except OSError:
                    pass

    def shutdown_request(self, request):
        try:
            if request.fileno() >= 0:
                request.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.close_request(request)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def parse_user(spec):
    """NAME:ACCESS_KEY:SECRET[:POLICY_FILE|-]"""
    parts = spec.split(":", 3)
    if len(parts) < 3 or not all(parts[:3]):
        raise argparse.ArgumentTypeError("--user wants NAME:ACCESS_KEY:SECRET[:POLICY_FILE|-]")
    u = {"user_name": parts[0], "access_key": parts[1], "secret_key": parts[2]}
    if len(parts) == 4:
        u["policy_file"] = parts[3] if parts[3] != "-" else "-"
    return u


def build_parser():
    p = argparse.ArgumentParser(prog="standin.py", description="Local AWS stand-in (S3, Lambda, IAM, STS).")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--fixture", help="state fixture JSON (default: empty account, default test user)")
    p.add_argument("--policy", default=DEFAULT_POLICY, help="IAM policy JSON for users without their own "
                   "(default: conf/remotion-janitor-policy.json)")
    p.add_argument("--user", action="append", type=parse_user, default=[],
                   help="add a user NAME:ACCESS_KEY:SECRET[:POLICY_FILE|-] ('-' = no permissions)")
    p.add_argument("--faults", help="faults JSON file")
    p.add_argument("--latency-ms", help="injected latency per request: MS or MIN-MAX (uniform)")
    p.add_argument("--log-file", help="append the request log here as JSON lines")
    p.add_argument("--tls-cert", help="server certificate (PEM); enables HTTPS")
    p.add_argument("--tls-key", help="server key (PEM)")
    p.add_argument("--temp-creds-ttl", type=float, default=3600.0, help="lifetime of issued temporary creds (s)")
    p.add_argument("--container-token", help="Authorization value the container endpoint requires")
    p.add_argument("--clock-offset", type=float, default=0.0, help="stand-in clock offset in seconds")
    p.add_argument("--seed", type=int, default=1, help="seed for probabilistic faults and latency")
    p.add_argument("--max-lifetime", type=float, default=0.0, help="exit after this many seconds (0 = never)")
    p.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    return p


def _loopback(host):
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    import ipaddress
    return all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not _loopback(args.host):
        print("standin: refusing to listen on non-loopback address %s" % args.host, file=sys.stderr)
        return 2
    if bool(args.tls_cert) != bool(args.tls_key):
        print("standin: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    util.CLOCK.offset = args.clock_offset
    app = StandIn(args)
    try:
        app.state.default_policy = Policy.from_file(args.policy)
        if args.fixture:
            load_fixture_file(app.state, args.fixture, args.user)
        else:
            app.state.load_fixture({}, os.getcwd(), args.user)
        if args.faults:
            with open(args.faults, "rb") as f:
                off = app.faults.load(json.loads(f.read()))
            if off is not None:
                util.CLOCK.offset = float(off)
        if args.latency_ms:
            lo, hi = Latency.parse_spec(args.latency_ms)
            app.latency.load({"min_ms": lo, "max_ms": hi})
    except (OSError, ValueError, PolicyError, FixtureError, FaultError) as e:
        print("standin: %s" % e, file=sys.stderr)
        return 2
    ssl_ctx = None
    if args.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(args.tls_cert, args.tls_key)
        app.tls = True
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    Server.address_family = family
    httpd = Server((args.host, args.port), app, ssl_ctx)
    app.httpd = httpd
    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)

    def on_signal(signum, frame):
        threading.Thread(target=app.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.max_lifetime > 0:
        t = threading.Timer(args.max_lifetime, app.shutdown)
        t.daemon = True
        t.start()
    if args.verbose:
        print("standin: listening on %s://%s:%d" % ("https" if app.tls else "http", args.host, port),
              file=sys.stderr)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        if app.log.file:
            app.log.file.close()
    return 0
