#!/usr/bin/env python3
"""Test server for test_http: HTTP/1.1 keep-alive on 127.0.0.1, standard
library only.

    server.py PORTFILE [CERT KEY]

Listens on two plain ports (two host:port keys for the engine's per-host
bound) and, given a certificate and key, on a TLS port.  Once listening it
writes "plain plain2 tls" (tls 0 when none) to PORTFILE, atomically.

Endpoints:
  /echo, /echo/... JSON: method, path (as received), headers as [name,
                   value] pairs in order, body as hex
  /delay?ms=N      answers "ok" after N ms (gives up when the client goes)
  /status?code=N   answers with that status (a Location for 3xx)
  /big?bytes=N     N bytes of 'x'; &chunked=1 without a Content-Length
  /reset           promises 100000 bytes, sends 100, then resets
  /interim         a 103 with X-Early, then a 200 with X-Final
  /headers?n=N     N headers of about 60 bytes each
  /count           JSON: connections accepted, requests, peak of concurrent
                   requests (/count itself excluded); ?reset=1 zeroes the
                   peak
"""
import json
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

lock = threading.Lock()
stats = {"connections": 0, "active": 0, "peak": 0, "requests": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without this, Nagle and
    # the client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    server_version = "janitor-test"
    sys_version = ""

    def setup(self):
        super().setup()
        with lock:
            stats["connections"] += 1

    def log_message(self, fmt, *args):
        pass

    def leave(self):
        # A request stops counting as active before its answer leaves: the
        # client cannot send its next one earlier, so the peak is exact.
        if getattr(self, "counted", False):
            self.counted = False
            with lock:
                stats["active"] -= 1

    def send_response_only(self, code, message=None):
        self.leave()
        super().send_response_only(code, message)

    def reply(self, code, body, ctype="text/plain", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Reply", "  padded value \t")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def wait(self, secs):
        """Sleeps, but returns False early once the client has gone (a
        canceled or timed-out request), so that no stale request stays
        active into the next test."""
        end = time.monotonic() + secs
        conn = self.connection
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            if isinstance(conn, ssl.SSLSocket):
                time.sleep(min(left, 0.01))
                continue
            r, _, _ = select.select([conn], [], [], min(left, 0.01))
            if r and not conn.recv(1, socket.MSG_PEEK):
                self.close_connection = True
                return False

    def route(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        body = self.read_body()
        if u.path == "/count":
            with lock:
                out = dict(stats)
                if q.get("reset"):
                    stats["peak"] = 0
            return self.reply(200, json.dumps(out).encode(),
                              "application/json")
        with lock:
            stats["active"] += 1
            stats["requests"] += 1
            stats["peak"] = max(stats["peak"], stats["active"])
        self.counted = True
        try:
            self.serve(u.path, q, body)
        finally:
            self.leave()

    def serve(self, path, q, body):
        if path == "/echo" or path.startswith("/echo/"):
            out = {"method": self.command, "path": self.path,
                   "headers": [[k, v] for k, v in self.headers.items()],
                   "body": body.hex()}
            self.reply(200, json.dumps(out).encode(), "application/json")
        elif path == "/delay":
            if self.wait(int(q.get("ms", "0")) / 1000.0):
                self.reply(200, b"ok")
        elif path == "/status":
            code = int(q.get("code", "200"))
            extra = [("Location", "/echo")] if 300 <= code < 400 else []
            self.reply(code, b"status %d" % code, extra=extra)
        elif path == "/big":
            n = int(q.get("bytes", "0"))
            if q.get("chunked"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 4096
                left = n
                while left > 0:
                    c = chunk[:min(left, 4096)]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                    left -= len(c)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.reply(200, b"x" * n)
        elif path == "/reset":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.wfile.flush()
            time.sleep(0.05)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif path == "/interim":
            self.send_response_only(103)
            self.send_header("X-Early", "1")
            self.end_headers()
            self.reply(200, b"final", extra=[("X-Final", "1")])
        elif path == "/headers":
            n = int(q.get("n", "0"))
            self.reply(200, b"h", extra=[("X-H%05d" % i, "v" * 50)
                                         for i in range(n)])
        else:
            self.reply(404, b"no such endpoint")

    def do_GET(self):
        try:
            self.route()
        except OSError:
            self.close_connection = True

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass


def main():
    portfile = sys.argv[1]
    servers = [Server(("127.0.0.1", 0), Handler),
               Server(("127.0.0.1", 0), Handler)]
    ports = [s.server_address[1] for s in servers]
    if len(sys.argv) > 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        tls = Server(("127.0.0.1", 0), Handler)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
        ports.append(tls.server_address[1])
    else:
        ports.append(0)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d %d\n" % tuple(ports))
    os.rename(tmp, portfile)
    # Exit when the test goes away, even without a SIGTERM.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
