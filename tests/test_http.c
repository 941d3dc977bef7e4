/*
 * The HTTP engine against tests/http/server.py on 127.0.0.1: round trips,
 * bounds on transfers in flight, connection reuse, timeouts, caps, errors,
 * cancel and engine free from everywhere, TLS, and memory over many
 * requests.  Every loop ends with uv_loop_close() == 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <uv.h>

#include "janitor/http.h"

/* ---- the test server ---------------------------------------------------- */

static struct {
  pid_t pid;
  char dir[64];
  int port, port2, tls_port;    /* tls_port 0: no openssl CLI */
  char ca[128], wrong_ca[128];
} srv;

static int run_cmd(const char *fmt, ...) JAN_PRINTF(1, 2);
static int run_cmd(const char *fmt, ...)
{
  char cmd[1024];
  va_list ap;
  int rc;

  va_start(ap, fmt);
  vsnprintf(cmd, sizeof(cmd), fmt, ap);
  va_end(ap);
  rc = system(cmd);
  return rc == 0 ? 0 : -1;
}

/* A CA, a server certificate for IP 127.0.0.1 signed by it, and an
 * unrelated CA; all EC P-256 so that generation is quick. */
static int make_certs(void)
{
  const char *d = srv.dir;
  FILE *f;
  char p[128];

  snprintf(p, sizeof(p), "%s/ext.cnf", d);
  f = fopen(p, "w");
  if(!f)
    return -1;
  fputs("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n", f);
  fclose(f);
  if(run_cmd("cd %s && openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
             "-days 2 -subj /CN=janitor-test-ca 2>/dev/null >&2", d) ||
     run_cmd("cd %s && openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:P-256 -nodes -keyout wrong.key "
             "-out wrong.pem -days 2 -subj /CN=janitor-other-ca "
             "2>/dev/null >&2", d) ||
     run_cmd("cd %s && openssl req -newkey ec -pkeyopt "
             "ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr "
             "-subj /CN=127.0.0.1 2>/dev/null >&2", d) ||
     run_cmd("cd %s && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
             "-CAcreateserial -out srv.pem -days 2 -extfile ext.cnf "
             "2>/dev/null >&2", d))
    return -1;
  snprintf(srv.ca, sizeof(srv.ca), "%s/ca.pem", d);
  snprintf(srv.wrong_ca, sizeof(srv.wrong_ca), "%s/wrong.pem", d);
  return 0;
}

static int server_start(void **state)
{
  const char *py = getenv("JAN_PYTHON");
  const char *src = getenv("JAN_SOURCE_DIR");
  char script[512], portfile[128], cert[128], key[128];
  int tls;
  (void)state;

  /* The engine honours the proxy variables; the tests talk directly. */
  unsetenv("http_proxy");
  unsetenv("https_proxy");
  unsetenv("HTTPS_PROXY");
  unsetenv("all_proxy");
  unsetenv("ALL_PROXY");
  signal(SIGPIPE, SIG_IGN);

  snprintf(srv.dir, sizeof(srv.dir), "/tmp/jan-http-XXXXXX");
  if(!mkdtemp(srv.dir))
    return -1;
  snprintf(script, sizeof(script), "%s/tests/http/server.py",
           src ? src : "..");
  snprintf(portfile, sizeof(portfile), "%s/ports", srv.dir);
  snprintf(cert, sizeof(cert), "%s/srv.pem", srv.dir);
  snprintf(key, sizeof(key), "%s/srv.key", srv.dir);
  tls = make_certs() == 0;
  if(!tls)
    fprintf(stderr, "test_http: no openssl CLI, TLS cases skipped\n");

  srv.pid = fork();
  if(srv.pid < 0)
    return -1;
  if(!srv.pid) {
    if(tls)
      execl(py ? py : "/usr/bin/python3", "python3", script, portfile, cert,
            key, (char *)NULL);
    else
      execl(py ? py : "/usr/bin/python3", "python3", script, portfile,
            (char *)NULL);
    _exit(127);
  }
  /* Bounded wait for the port file (written atomically). */
  for(int i = 0; i < 200; i++) {
    FILE *f = fopen(portfile, "r");
    if(f) {
      int n = fscanf(f, "%d %d %d", &srv.port, &srv.port2, &srv.tls_port);
      fclose(f);
      if(n == 3)
        return 0;
    }
    usleep(50 * 1000);
  }
  fprintf(stderr, "test_http: the test server did not start\n");
  kill(srv.pid, SIGTERM);
  waitpid(srv.pid, NULL, 0);
  srv.pid = 0;
  return -1;
}

static int server_stop(void **state)
{
  (void)state;
  if(srv.pid > 0) {
    kill(srv.pid, SIGTERM);
    waitpid(srv.pid, NULL, 0);
    srv.pid = 0;
  }
  if(srv.dir[0])
    run_cmd("rm -rf %s", srv.dir);
  /* Releases curl's and OpenSSL's global state (valgrind). */
  curl_global_cleanup();
  return 0;
}

/* The server's counters through a plain blocking socket (test code only):
 * connections accepted so far (this one included) and the peak of
 * concurrent requests since the last reset. */
static long server_requests;   /* requests seen, as of the last count */

static void server_count(int reset, long *conns, long *peak)
{
  struct sockaddr_in sa;
  char req[128], buf[4096];
  size_t got = 0;
  ssize_t n;
  const char *body;
  json_object *j, *v;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  assert_true(fd >= 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)srv.port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  snprintf(req, sizeof(req), "GET /count%s HTTP/1.1\r\nHost: x\r\n"
           "Connection: close\r\n\r\n", reset ? "?reset=1" : "");
  assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
  while(got < sizeof(buf) - 1 &&
        (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
    got += (size_t)n;
  close(fd);
  buf[got] = '\0';
  body = strstr(buf, "\r\n\r\n");
  assert_non_null(body);
  j = json_tokener_parse(body + 4);
  assert_non_null(j);
  assert_true(json_object_object_get_ex(j, "connections", &v));
  *conns = json_object_get_int(v);
  assert_true(json_object_object_get_ex(j, "peak", &v));
  *peak = json_object_get_int(v);
  assert_true(json_object_object_get_ex(j, "requests", &v));
  server_requests = json_object_get_int(v);
  json_object_put(j);
}

/* ---- helpers ------------------------------------------------------------ */

struct result {
  int calls;
  int err;
  long status;
  char *body;
  size_t body_len;
  char errmsg[256];
  char xreply[64];
  int has_xreply;
  char headers[4096];
  uint64_t elapsed_ms;
};

static void result_free(struct result *r)
{
  free(r->body);
  r->body = NULL;
}

static void on_done(void *arg, struct http_response *resp)
{
  struct result *r = arg;
  r->calls++;
  r->err = resp->err;
  r->status = resp->status;
  free(r->body);
  r->body_len = resp->body.len;
  r->body = jbuf_take(&resp->body);
  snprintf(r->errmsg, sizeof(r->errmsg), "%s", resp->errmsg);
  snprintf(r->headers, sizeof(r->headers), "%s", jbuf_str(&resp->headers));
  r->has_xreply = http_response_header(resp, "x-REPLY", r->xreply,
                                       sizeof(r->xreply));
  r->elapsed_ms = resp->elapsed_ms;
}

static char *url(int port, const char *path)
{
  static char u[8][256];
  static int i;
  char *p = u[i++ % 8];
  snprintf(p, 256, "http://127.0.0.1:%d%s", port, path);
  return p;
}

static struct http_opts opts_default(void)
{
  struct http_opts o = {
    .concurrency = 8, .host_concurrency = 4, .connect_timeout_ms = 2000,
    .request_timeout_ms = 10000, .ca_pem = NULL, .max_body = 4 << 20
  };
  return o;
}

/* Runs the loop until *count reaches want, at most ms milliseconds.  The
 * check is a prepare handle: it runs before the loop would block, so a
 * callback run from a timer does not leave the loop waiting in poll. */
struct guard {
  uv_timer_t t;
  uv_prepare_t p;
  const int *count;
  int want, fired;
};

static void on_guard(uv_timer_t *t)
{
  struct guard *g = t->data;
  g->fired = 1;
  uv_stop(t->loop);
}

static void on_guard_check(uv_prepare_t *p)
{
  struct guard *g = p->data;
  if(*g->count >= g->want)
    uv_stop(p->loop);
}

static void run_until(uv_loop_t *loop, const int *count, int want,
                      uint64_t ms)
{
  struct guard g = { .count = count, .want = want, .fired = 0 };
  uv_timer_init(loop, &g.t);
  uv_prepare_init(loop, &g.p);
  g.t.data = &g;
  g.p.data = &g;
  uv_timer_start(&g.t, on_guard, ms, 0);
  uv_prepare_start(&g.p, on_guard_check);
  while(*count < want && !g.fired)
    uv_run(loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&g.t, NULL);
  uv_close((uv_handle_t *)&g.p, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  assert_false(g.fired);
}

static void on_tick(uv_timer_t *t)
{
  (*(int *)t->data)++;
}

/* Runs the loop for ms milliseconds. */
static void run_for(uv_loop_t *loop, uint64_t ms)
{
  uv_timer_t t;
  int ticks = 0;
  uv_timer_init(loop, &t);
  t.data = &ticks;
  uv_timer_start(&t, on_tick, ms, 0);
  run_until(loop, &ticks, 1, ms + 5000);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}

static void engine_end(uv_loop_t *loop, struct http_engine *e)
{
  http_engine_free(e);
  assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(loop), 0);
}

/* One request, run to its end. */
static void do_req(uv_loop_t *loop, struct http_engine *e,
                   const struct http_request *req, struct result *r)
{
  memset(r, 0, sizeof(*r));
  assert_int_equal(http_submit(e, req, on_done, r, NULL), JAN_OK);
  run_until(loop, &r->calls, 1, 15000);
  assert_int_equal(r->calls, 1);
}

/* The echo's JSON: a header's value (case-insensitive name) or NULL. */
static const char *echo_header(json_object *j, const char *name)
{
  json_object *hs;
  assert_true(json_object_object_get_ex(j, "headers", &hs));
  for(size_t i = 0; i < json_object_array_length(hs); i++) {
    json_object *pair = json_object_array_get_idx(hs, i);
    const char *n = json_object_get_string(json_object_array_get_idx(pair, 0));
    if(!strcasecmp(n, name))
      return json_object_get_string(json_object_array_get_idx(pair, 1));
  }
  return NULL;
}

static const char *echo_field(json_object *j, const char *name)
{
  json_object *v;
  assert_true(json_object_object_get_ex(j, name, &v));
  return json_object_get_string(v);
}

static char *hex(const void *p, size_t n)
{
  char *out = malloc(2 * n + 1);
  const unsigned char *b = p;
  assert_non_null(out);
  for(size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  out[2 * n] = '\0';
  return out;
}

/* ---- round trips -------------------------------------------------------- */

static void test_get_roundtrip(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  const char *hdrs[] = { "X-Test: hello  world", "User-Agent: jan-test/1",
                         NULL };
  struct http_request req = { .method = "GET", .url = url(srv.port,
                              "/echo?a=1&b=%2F"), .headers = hdrs };
  struct http_response fake;
  struct http_stats st;
  struct result r;
  json_object *j;
  char v[8];
  (void)state;

  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.errmsg, "");
  j = json_tokener_parse(r.body);
  assert_non_null(j);
  assert_string_equal(echo_field(j, "method"), "GET");
  assert_string_equal(echo_field(j, "path"), "/echo?a=1&b=%2F");
  assert_string_equal(echo_field(j, "body"), "");
  assert_string_equal(echo_header(j, "X-Test"), "hello  world");
  assert_string_equal(echo_header(j, "User-Agent"), "jan-test/1");
  assert_null(echo_header(j, "Content-Type"));
  assert_null(echo_header(j, "Content-Length"));
  assert_null(echo_header(j, "Expect"));
  assert_null(echo_header(j, "Accept-Encoding"));
  json_object_put(j);

  /* Response headers: case-insensitive lookup, trimmed value, and only
   * header lines are kept (no status line). */
  assert_true(r.has_xreply);
  assert_string_equal(r.xreply, "padded value");
  assert_null(strstr(r.headers, "HTTP/1.1"));
  assert_non_null(strstr(r.headers, "Content-Type: application/json\r\n"));
  memset(&fake, 0, sizeof(fake));
  jbuf_init(&fake.headers, 1024);
  assert_int_equal(jbuf_addstr(&fake.headers, "A: 1\r\nAb:  2 \r\n"
                               "X-Long: 0123456789\r\nA-B:\r\n"), 0);
  assert_int_equal(http_response_header(&fake, "ab", v, sizeof(v)), 1);
  assert_string_equal(v, "2");
  assert_int_equal(http_response_header(&fake, "a", v, sizeof(v)), 1);
  assert_string_equal(v, "1");
  assert_int_equal(http_response_header(&fake, "x-long", v, sizeof(v)), 1);
  assert_string_equal(v, "0123456");            /* truncated to fit */
  assert_int_equal(http_response_header(&fake, "a-b", v, sizeof(v)), 1);
  assert_string_equal(v, "");
  assert_int_equal(http_response_header(&fake, "X", v, sizeof(v)), 0);
  assert_int_equal(http_response_header(&fake, "A-", v, sizeof(v)), 0);
  jbuf_free(&fake.headers);
  assert_int_equal(http_response_header(&fake, "A", v, sizeof(v)), 0);

  /* The path goes as given (as signed): dot segments are not squashed. */
  req.url = url(srv.port, "/echo/a/../b/./c%2Fd");
  req.headers = NULL;
  result_free(&r);
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.status, 200);
  j = json_tokener_parse(r.body);
  assert_non_null(j);
  assert_string_equal(echo_field(j, "path"), "/echo/a/../b/./c%2Fd");
  json_object_put(j);

  http_engine_stats(e, &st);
  assert_int_equal(st.started, 2);
  assert_int_equal(st.finished, 2);
  assert_int_equal(st.inflight_now, 0);
  assert_int_equal(st.queued_now, 0);
  assert_int_equal(st.connects, 1);
  assert_true(r.elapsed_ms < 5000);
  result_free(&r);
  engine_end(&loop, e);
}

static void test_methods(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  const char *ct[] = { "Content-Type: application/octet-stream", NULL };
  static const char bin[] = "a\0b\r\n\xff";
  char body[sizeof(bin)];
  size_t bigsz = 2 << 20;
  char *big = malloc(bigsz), *h;
  struct http_request req;
  struct result r;
  json_object *j;
  (void)state;

  assert_non_null(big);
  for(size_t i = 0; i < bigsz; i++)
    big[i] = (char)('a' + i % 26);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);

  /* POST with a binary body, copied at submit. */
  memcpy(body, bin, sizeof(bin));
  memset(&req, 0, sizeof(req));
  req.method = "POST";
  req.url = url(srv.port, "/echo");
  req.headers = ct;
  req.body = body;
  req.body_len = sizeof(bin) - 1;
  memset(&r, 0, sizeof(r));
  assert_int_equal(http_submit(e, &req, on_done, &r, NULL), JAN_OK);
  memset(body, 'z', sizeof(body));
  run_until(&loop, &r.calls, 1, 10000);
  assert_int_equal(r.err, 0);
  j = json_tokener_parse(r.body);
  assert_non_null(j);
  assert_string_equal(echo_field(j, "method"), "POST");
  h = hex(bin, sizeof(bin) - 1);
  assert_string_equal(echo_field(j, "body"), h);
  free(h);
  assert_string_equal(echo_header(j, "Content-Type"),
                      "application/octet-stream");
  assert_string_equal(echo_header(j, "Content-Length"), "6");
  assert_null(echo_header(j, "Expect"));
  json_object_put(j);
  result_free(&r);

  /* A 2 MiB POST without a Content-Type: no Expect (curl would add one
   * above 1 MiB), no form type. */
  req.headers = NULL;
  req.body = big;
  req.body_len = bigsz;
  req.max_body = 3 * bigsz;               /* the echo is in hex */
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  j = json_tokener_parse(r.body);
  assert_non_null(j);
  assert_null(echo_header(j, "Expect"));
  assert_null(echo_header(j, "Content-Type"));
  assert_string_equal(echo_header(j, "Content-Length"), "2097152");
  h = hex(big, bigsz);
  assert_string_equal(echo_field(j, "body"), h);
  free(h);
  json_object_put(j);
  result_free(&r);

  /* PUT with a body, PUT empty (Content-Length: 0), PATCH with a body. */
  req.max_body = 0;
  req.method = "PUT";
  req.body = "put-body";
  req.body_len = 8;
  do_req(&loop, e, &req, &r);
  j = json_tokener_parse(r.body);
  assert_string_equal(echo_field(j, "method"), "PUT");
  assert_string_equal(echo_field(j, "body"), "7075742d626f6479");
  assert_null(echo_header(j, "Content-Type"));
  json_object_put(j);
  result_free(&r);
  req.body = NULL;
  req.body_len = 0;
  do_req(&loop, e, &req, &r);
  j = json_tokener_parse(r.body);
  assert_string_equal(echo_field(j, "method"), "PUT");
  assert_string_equal(echo_header(j, "Content-Length"), "0");
  json_object_put(j);
  result_free(&r);
  req.method = "PATCH";
  req.body = "{}";
  req.body_len = 2;
  do_req(&loop, e, &req, &r);
  j = json_tokener_parse(r.body);
  assert_string_equal(echo_field(j, "method"), "PATCH");
  assert_string_equal(echo_field(j, "body"), "7b7d");
  json_object_put(j);
  result_free(&r);

  /* DELETE: no body, no Content-Length. */
  req.method = "DELETE";
  req.body = NULL;
  req.body_len = 0;
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  j = json_tokener_parse(r.body);
  assert_string_equal(echo_field(j, "method"), "DELETE");
  assert_null(echo_header(j, "Content-Length"));
  assert_string_equal(echo_field(j, "body"), "");
  json_object_put(j);
  result_free(&r);

  /* HEAD: headers only, and a Content-Length above the cap is no error. */
  req.method = "HEAD";
  req.url = url(srv.port, "/big?bytes=100000");
  req.max_body = 1000;
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  assert_non_null(strstr(r.headers, "Content-Length: 100000"));
  result_free(&r);

  /* Then a GET on the same connection still works. */
  req.method = "GET";
  req.url = url(srv.port, "/big?bytes=10");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.body_len, 10);
  assert_string_equal(r.body, "xxxxxxxxxx");
  result_free(&r);
  free(big);
  engine_end(&loop, e);
}

static void test_status_no_redirect(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request req = { .method = "GET" };
  struct result r;
  (void)state;

  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  req.url = url(srv.port, "/status?code=404");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.status, 404);
  assert_string_equal(r.body, "status 404");
  result_free(&r);
  req.url = url(srv.port, "/status?code=301");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.status, 301);      /* not followed */
  assert_string_equal(r.body, "status 301");
  assert_non_null(strstr(r.headers, "Location: /echo"));
  result_free(&r);
  req.url = url(srv.port, "/status?code=503");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.status, 503);
  result_free(&r);
  /* Headers of the final answer only, after a 103. */
  req.url = url(srv.port, "/interim");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "final");
  assert_non_null(strstr(r.headers, "X-Final: 1"));
  assert_null(strstr(r.headers, "X-Early"));
  result_free(&r);
  engine_end(&loop, e);
}

/* ---- bounds, reuse, order ---------------------------------------------- */

struct many {
  int done, ok, n;
  int order[512];
  struct result *r;
};

struct slot {
  struct many *m;
  int idx;
};

static void on_many(void *arg, struct http_response *resp)
{
  struct slot *s = arg;
  if(resp->err == 0 && resp->status == 200)
    s->m->ok++;
  s->m->order[s->m->done++] = s->idx;
}

static void test_concurrency_bounds(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();        /* 8 in all, 4 per host */
  struct http_request req = { .method = "GET",
                              .url = url(srv.port, "/delay?ms=5") };
  static struct slot slots[200];
  struct many m = { 0 };
  struct http_stats st;
  long c0, c1, peak;
  (void)state;

  server_count(1, &c0, &peak);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  for(int i = 0; i < 200; i++) {
    slots[i].m = &m;
    slots[i].idx = i;
    assert_int_equal(http_submit(e, &req, on_many, &slots[i], NULL), JAN_OK);
  }
  http_engine_stats(e, &st);
  assert_int_equal(st.inflight_now, 4);
  assert_int_equal(st.queued_now, 196);
  run_until(&loop, &m.done, 200, 20000);
  assert_int_equal(m.ok, 200);
  http_engine_stats(e, &st);
  assert_int_equal(st.started, 200);
  assert_int_equal(st.finished, 200);
  assert_int_equal(st.max_inflight, 4);
  assert_true(st.connects >= 1 && st.connects <= 4);
  server_count(0, &c1, &peak);
  assert_true(peak >= 1 && peak <= 4);
  assert_true(c1 - c0 - 1 <= 4);          /* the count's own connection */
  engine_end(&loop, e);
}

static void test_concurrency_two_hosts(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request a = { .method = "GET",
                            .url = url(srv.port, "/delay?ms=5") };
  struct http_request b = { .method = "GET",
                            .url = url(srv.port2, "/delay?ms=5") };
  static struct slot slots[200];
  struct many m = { 0 };
  struct http_stats st;
  long c0, c1, peak;
  (void)state;

  o.concurrency = 6;
  o.host_concurrency = 4;
  server_count(1, &c0, &peak);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  for(int i = 0; i < 200; i++) {
    slots[i].m = &m;
    slots[i].idx = i;
    assert_int_equal(http_submit(e, i % 2 ? &b : &a, on_many, &slots[i],
                                 NULL), JAN_OK);
  }
  http_engine_stats(e, &st);
  assert_int_equal(st.inflight_now, 6);
  run_until(&loop, &m.done, 200, 20000);
  assert_int_equal(m.ok, 200);
  http_engine_stats(e, &st);
  assert_int_equal(st.max_inflight, 6);
  assert_true(st.connects <= 8);
  server_count(0, &c1, &peak);
  assert_true(peak <= 6);
  assert_true(c1 - c0 - 1 <= 8);
  engine_end(&loop, e);
}

static void test_fifo_order(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request a = { .method = "GET", .url = url(srv.port, "/echo") };
  struct http_request b = { .method = "GET", .url = url(srv.port2, "/echo") };
  static struct slot slots[20];
  struct many m = { 0 };
  (void)state;

  /* One at a time across two hosts: answers come back in submit order. */
  o.concurrency = 1;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  for(int i = 0; i < 20; i++) {
    slots[i].m = &m;
    slots[i].idx = i;
    assert_int_equal(http_submit(e, i % 3 ? &a : &b, on_many, &slots[i],
                                 NULL), JAN_OK);
  }
  run_until(&loop, &m.done, 20, 10000);
  for(int i = 0; i < 20; i++)
    assert_int_equal(m.order[i], i);
  engine_end(&loop, e);
}

static void test_first_goes_ahead(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request a = { .method = "GET", .url = url(srv.port, "/echo") };
  struct http_request b = { .method = "GET", .url = url(srv.port2, "/echo") };
  struct http_request f = { .method = "GET", .url = url(srv.port, "/echo"),
                            .first = 1 };
  struct http_request g = { .method = "GET", .url = url(srv.port2, "/echo"),
                            .first = 1 };
  static struct slot slots[12];
  struct many m = { 0 };
  /* Submitted: 0-9 in order (two hosts), then 10 and 11 first: one at a
   * time, 0 is running already, 10 and 11 come next (in their order,
   * across hosts), then 1-9 in theirs. */
  static const int expect[12] = { 0, 10, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  (void)state;

  o.concurrency = 1;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  for(int i = 0; i < 12; i++) {
    slots[i].m = &m;
    slots[i].idx = i;
    assert_int_equal(http_submit(e, i < 10 ? (i % 3 ? &a : &b)
                                 : i == 10 ? &g : &f, on_many, &slots[i],
                                 NULL), JAN_OK);
  }
  run_until(&loop, &m.done, 12, 10000);
  for(int i = 0; i < 12; i++)
    assert_int_equal(m.order[i], expect[i]);
  engine_end(&loop, e);
}

/* A chain: each callback submits the next request. */
struct chain {
  struct http_engine *e;
  struct http_request req;
  int left, done, bad;
};

static void on_chain(void *arg, struct http_response *resp)
{
  struct chain *c = arg;
  c->done++;
  if(resp->err || resp->status != 200)
    c->bad++;
  if(--c->left > 0 &&
     http_submit(c->e, &c->req, on_chain, c, NULL) != JAN_OK)
    c->bad++;
}

static void test_submit_from_callback_reuse(void **state)
{
  uv_loop_t loop;
  struct http_opts o = opts_default();
  struct chain c = { .left = 30 };
  struct http_stats st;
  long c0, c1, peak;
  (void)state;

  server_count(0, &c0, &peak);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &c.e), JAN_OK);
  c.req.method = "GET";
  c.req.url = url(srv.port, "/echo");
  assert_int_equal(http_submit(c.e, &c.req, on_chain, &c, NULL), JAN_OK);
  run_until(&loop, &c.done, 30, 10000);
  assert_int_equal(c.bad, 0);
  http_engine_stats(c.e, &st);
  assert_int_equal(st.connects, 1);       /* one keep-alive connection */
  server_count(0, &c1, &peak);
  assert_int_equal(c1 - c0 - 1, 1);
  engine_end(&loop, c.e);
}

/* ---- failures ----------------------------------------------------------- */

static void test_timeout(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request req = { .method = "GET",
                              .url = url(srv.port, "/delay?ms=3000") };
  struct result r;
  uint64_t t0;
  (void)state;

  o.request_timeout_ms = 300;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  t0 = uv_hrtime();
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, JAN_ETIMEDOUT);
  assert_int_equal(r.status, 0);
  assert_true(r.elapsed_ms >= 250 && r.elapsed_ms < 1500);
  assert_true((uv_hrtime() - t0) / 1000000 < 1500);
  assert_non_null(strstr(r.errmsg, "timed out"));
  result_free(&r);
  engine_end(&loop, e);
}

static void test_body_cap(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request req = { .method = "GET" };
  struct result r;
  (void)state;

  o.max_body = 1000;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  req.url = url(srv.port, "/big?bytes=1000");         /* exactly the cap */
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.body_len, 1000);
  result_free(&r);
  req.url = url(srv.port, "/big?bytes=1001");         /* Content-Length */
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, JAN_ETOOBIG);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.errmsg, "larger"));
  result_free(&r);
  req.url = url(srv.port, "/big?bytes=50000&chunked=1");  /* no length */
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, JAN_ETOOBIG);
  result_free(&r);
  req.max_body = 60000;                               /* per request */
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_int_equal(r.body_len, 50000);
  result_free(&r);
  req.max_body = 0;
  req.url = url(srv.port, "/headers?n=2000");          /* > 64 KiB headers */
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, JAN_ETOOBIG);
  assert_non_null(strstr(r.errmsg, "headers"));
  result_free(&r);
  req.url = url(srv.port, "/headers?n=50");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  assert_non_null(strstr(r.headers, "X-H00049: "));
  result_free(&r);
  engine_end(&loop, e);
}

static void test_reset_and_refused(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request req = { .method = "GET" };
  struct sockaddr_in sa;
  socklen_t len = sizeof(sa);
  struct result r;
  int fd, port;
  (void)state;

  /* A port with nobody listening: bind, learn it, close. */
  fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  port = ntohs(sa.sin_port);
  close(fd);

  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  req.url = url(srv.port, "/reset");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, JAN_EHTTP);
  assert_true(strlen(r.errmsg) > 0);
  result_free(&r);
  req.url = url(port, "/echo");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, JAN_EHTTP);
  assert_int_equal(r.status, 0);
  assert_non_null(strcasestr(r.errmsg, "connect"));
  result_free(&r);
  /* The engine goes on after failures. */
  req.url = url(srv.port, "/echo");
  do_req(&loop, e, &req, &r);
  assert_int_equal(r.err, 0);
  result_free(&r);
  engine_end(&loop, e);
}

static void test_invalid(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request req = { .method = "GET" };
  struct http_xfer *x = (struct http_xfer *)(void *)&req;  /* not NULL */
  struct result r = { 0 };
  (void)state;

  assert_int_equal(uv_loop_init(&loop), 0);
  o.concurrency = 0;
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_EINVAL);
  assert_null(e);
  o = opts_default();
  o.max_body = 0;
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_EINVAL);
  o = opts_default();
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  req.url = "ftp://127.0.0.1/x";
  assert_int_equal(http_submit(e, &req, on_done, &r, &x), JAN_EINVAL);
  assert_null(x);
  req.url = "not a url";
  assert_int_equal(http_submit(e, &req, on_done, &r, NULL), JAN_EINVAL);
  req.url = url(srv.port, "/echo");
  req.method = "get";
  assert_int_equal(http_submit(e, &req, on_done, &r, NULL), JAN_EINVAL);
  req.method = "HEAD";
  req.body = "x";
  req.body_len = 1;
  assert_int_equal(http_submit(e, &req, on_done, &r, NULL), JAN_EINVAL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(r.calls, 0);
  engine_end(&loop, e);
}

/* ---- cancel and free ---------------------------------------------------- */

static void test_cancel(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request slow = { .method = "GET",
                               .url = url(srv.port, "/delay?ms=3000") };
  struct http_request fast = { .method = "GET",
                               .url = url(srv.port, "/echo") };
  struct http_xfer *xa, *xb, *xc;
  struct result a = { 0 }, b = { 0 }, c = { 0 };
  struct http_stats st;
  long conns, peak, reqs;
  uint64_t t0 = uv_hrtime();
  (void)state;

  o.concurrency = 1;
  server_count(1, &conns, &peak);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  assert_int_equal(http_submit(e, &slow, on_done, &a, &xa), JAN_OK);
  assert_int_equal(http_submit(e, &fast, on_done, &b, &xb), JAN_OK);
  assert_int_equal(http_submit(e, &fast, on_done, &c, &xc), JAN_OK);
  http_engine_stats(e, &st);
  assert_int_equal(st.inflight_now, 1);
  assert_int_equal(st.queued_now, 2);

  /* The slow one in flight and being served; then the queued one is
   * canceled: told on a later turn, never from inside http_cancel. */
  run_for(&loop, 100);
  reqs = server_requests;
  server_count(0, &conns, &peak);
  assert_int_equal(server_requests - reqs, 1);
  http_cancel(xb);
  http_cancel(xb);                        /* again: no effect */
  assert_int_equal(b.calls, 0);
  run_until(&loop, &b.calls, 1, 2000);
  assert_int_equal(b.err, JAN_ECANCELED);
  assert_string_equal(b.errmsg, "canceled");
  assert_int_equal(b.status, 0);
  http_engine_stats(e, &st);
  assert_int_equal(st.inflight_now, 1);
  assert_int_equal(st.queued_now, 1);

  /* In flight. */
  http_cancel(xa);
  assert_int_equal(a.calls, 0);
  run_until(&loop, &c.calls, 1, 5000);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);
  assert_int_equal(a.err, JAN_ECANCELED);
  assert_int_equal(c.err, 0);             /* the freed slot went on */
  assert_int_equal(c.status, 200);
  assert_true((uv_hrtime() - t0) / 1000000 < 2500);
  http_engine_stats(e, &st);
  assert_int_equal(st.finished, 3);
  result_free(&a);
  result_free(&b);
  result_free(&c);
  engine_end(&loop, e);
  assert_int_equal(a.calls + b.calls + c.calls, 3);
}

/* A callback that cancels others: one in flight, one that may have
 * finished in the same turn (its result not yet told), one queued.  Like
 * a real caller, each victim forgets its handle when told. */
struct victim {
  struct result r;
  struct http_xfer *x;
};

struct canceller {
  struct result r;
  struct victim v[3];
};

static void on_victim(void *arg, struct http_response *resp)
{
  struct victim *v = arg;
  v->x = NULL;
  on_done(&v->r, resp);
}

static void on_cancel_others(void *arg, struct http_response *resp)
{
  struct canceller *k = arg;
  on_done(&k->r, resp);
  for(int i = 0; i < 3; i++)
    if(k->v[i].x)
      http_cancel(k->v[i].x);
}

static void test_cancel_from_callback(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request slow = { .method = "GET",
                               .url = url(srv.port, "/delay?ms=3000") };
  struct http_request fast = { .method = "GET",
                               .url = url(srv.port, "/echo") };
  struct canceller k;
  struct victim *v = k.v;
  uint64_t t0 = uv_hrtime();
  (void)state;

  memset(&k, 0, sizeof(k));
  o.concurrency = 3;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  assert_int_equal(http_submit(e, &slow, on_victim, &v[0], &v[0].x), JAN_OK);
  assert_int_equal(http_submit(e, &fast, on_cancel_others, &k, NULL), JAN_OK);
  assert_int_equal(http_submit(e, &fast, on_victim, &v[1], &v[1].x), JAN_OK);
  assert_int_equal(http_submit(e, &slow, on_victim, &v[2], &v[2].x),
                   JAN_OK);                 /* queued */
  run_until(&loop, &v[0].r.calls, 1, 5000);
  run_until(&loop, &v[2].r.calls, 1, 5000);
  assert_int_equal(k.r.calls, 1);
  assert_int_equal(k.r.err, 0);
  assert_int_equal(v[0].r.err, JAN_ECANCELED);
  assert_int_equal(v[2].r.err, JAN_ECANCELED);
  run_until(&loop, &v[1].r.calls, 1, 5000);
  /* Told before the cancel: its own answer; otherwise canceled. */
  assert_true(v[1].r.err == 0 || v[1].r.err == JAN_ECANCELED);
  assert_true((uv_hrtime() - t0) / 1000000 < 2500);
  for(int i = 0; i < 3; i++)
    result_free(&v[i].r);
  result_free(&k.r);
  engine_end(&loop, e);
  for(int i = 0; i < 3; i++)
    assert_int_equal(v[i].r.calls, 1);
}

struct freeing {
  struct http_engine *e;
  struct http_request req;
  int calls, canceled, resubmit_rc, bad;
  int free_in_cb;
};

static void on_free_count(void *arg, struct http_response *resp)
{
  struct freeing *f = arg;
  f->calls++;
  if(resp->err == JAN_ECANCELED)
    f->canceled++;
  else if(f->free_in_cb && resp->err == 0) {
    /* The first answer frees the engine from inside its callback. */
    f->free_in_cb = 0;
    http_engine_free(f->e);
    http_engine_free(f->e);       /* twice: no effect */
  }
  else
    f->bad++;
  /* A submit during the free is refused, without a callback. */
  if(resp->err == JAN_ECANCELED)
    f->resubmit_rc = http_submit(f->e, &f->req, on_free_count, f, NULL);
}

static void on_free_timer(uv_timer_t *t)
{
  struct freeing *f = t->data;
  int before = f->calls;
  http_engine_free(f->e);
  /* Every callback has run when http_engine_free returns. */
  assert_int_equal(f->calls - before, 20);
  uv_close((uv_handle_t *)t, NULL);
}

static void test_free_in_flight(void **state)
{
  uv_loop_t loop;
  struct http_opts o = opts_default();
  struct freeing f;
  uv_timer_t t;
  uint64_t t0 = uv_hrtime();
  (void)state;

  memset(&f, 0, sizeof(f));
  o.concurrency = 4;
  f.req.method = "GET";
  f.req.url = url(srv.port, "/delay?ms=3000");
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &f.e), JAN_OK);
  for(int i = 0; i < 20; i++)
    assert_int_equal(http_submit(f.e, &f.req, on_free_count, &f, NULL),
                     JAN_OK);
  uv_timer_init(&loop, &t);
  t.data = &f;
  uv_timer_start(&t, on_free_timer, 200, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(f.calls, 20);
  assert_int_equal(f.canceled, 20);
  assert_int_equal(f.resubmit_rc, JAN_ECANCELED);
  assert_true((uv_hrtime() - t0) / 1000000 < 1500);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_free_from_callback(void **state)
{
  uv_loop_t loop;
  struct http_opts o = opts_default();
  struct http_request fast = { .method = "GET",
                               .url = url(srv.port, "/echo") };
  struct freeing f;
  uint64_t t0 = uv_hrtime();
  (void)state;

  memset(&f, 0, sizeof(f));
  o.concurrency = 6;
  o.host_concurrency = 6;
  f.free_in_cb = 1;
  f.req.method = "GET";
  f.req.url = url(srv.port, "/delay?ms=3000");
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &f.e), JAN_OK);
  for(int i = 0; i < 5; i++)
    assert_int_equal(http_submit(f.e, &f.req, on_free_count, &f, NULL),
                     JAN_OK);
  assert_int_equal(http_submit(f.e, &fast, on_free_count, &f, NULL), JAN_OK);
  for(int i = 0; i < 5; i++)                    /* queued */
    assert_int_equal(http_submit(f.e, &f.req, on_free_count, &f, NULL),
                     JAN_OK);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(f.calls, 11);
  assert_int_equal(f.canceled, 10);
  assert_int_equal(f.bad, 0);
  assert_int_equal(f.resubmit_rc, JAN_ECANCELED);
  assert_true((uv_hrtime() - t0) / 1000000 < 1500);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- TLS ---------------------------------------------------------------- */

/* A PEM file's bytes into o (the engine copies them: freed at once). */
static void set_ca(struct http_opts *o, const char *path, char **pem)
{
  FILE *f;
  long n;

  free(*pem);
  *pem = NULL;
  o->ca_pem = NULL;
  o->ca_pem_len = 0;
  if(!path)
    return;
  f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  assert_true(n > 0);
  rewind(f);
  *pem = malloc((size_t)n);
  assert_non_null(*pem);
  assert_int_equal(fread(*pem, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  o->ca_pem = *pem;
  o->ca_pem_len = (size_t)n;
}

static void test_tls(void **state)
{
  uv_loop_t loop;
  struct http_engine *e;
  struct http_opts o = opts_default();
  struct http_request req = { .method = "GET" };
  char u[128], *pem = NULL;
  struct result r;
  struct http_stats st;
  (void)state;

  if(!srv.tls_port)
    skip();
  snprintf(u, sizeof(u), "https://127.0.0.1:%d/echo", srv.tls_port);
  req.url = u;

  /* The right CA: accepted, and the connection is reused. */
  set_ca(&o, srv.ca, &pem);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
  set_ca(&o, NULL, &pem);       /* the engine kept its own copy */
  for(int i = 0; i < 3; i++) {
    do_req(&loop, e, &req, &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"GET\""));
    result_free(&r);
  }
  http_engine_stats(e, &st);
  assert_int_equal(st.connects, 1);
  engine_end(&loop, e);

  /* Another CA, and the system store: refused, and said so. */
  for(int i = 0; i < 2; i++) {
    set_ca(&o, i ? NULL : srv.wrong_ca, &pem);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(http_engine_new(&loop, &o, &e), JAN_OK);
    set_ca(&o, NULL, &pem);
    do_req(&loop, e, &req, &r);
    assert_int_equal(r.err, JAN_EHTTP);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.errmsg, "certificate"));
    result_free(&r);
    engine_end(&loop, e);
  }
}

/* ---- many requests: memory and speed ------------------------------------ */

struct pump {
  struct http_engine *e;
  struct http_request req;
  int submitted, done, bad, total;
};

static void on_pump(void *arg, struct http_response *resp)
{
  struct pump *p = arg;
  p->done++;
  if(resp->err || resp->status != 200 || resp->body.len < 20)
    p->bad++;
  if(p->submitted < p->total) {
    p->submitted++;
    if(http_submit(p->e, &p->req, on_pump, p, NULL))
      p->bad++;
  }
}

/* Keeps `window` requests outstanding until `n` have been answered. */
static void pump_run(uv_loop_t *loop, struct pump *p, int n, int window)
{
  p->total = p->submitted + n;
  n += p->done;
  for(int i = 0; i < window; i++) {
    p->submitted++;
    assert_int_equal(http_submit(p->e, &p->req, on_pump, p, NULL), JAN_OK);
  }
  run_until(loop, &p->done, n, 60000);
  assert_int_equal(p->bad, 0);
}

static double cpu_seconds(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long maxrss_kib(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void test_many_requests(void **state)
{
  uv_loop_t loop;
  struct http_opts o = opts_default();
  const char *hdrs[] = { "X-Amz-Date: 20240101T000000Z", NULL };
  struct pump p;
  struct mallinfo2 m0, m1;
  struct http_stats st;
  long rss0, rss1;
  uint64_t t0, t1;
  double cpu0, cpu1;
  const char *pre = getenv("LD_PRELOAD");
  /* Under valgrind (its preload is seen) fewer: it checks leaks itself. */
  const int n = pre && strstr(pre, "vgpreload") ? 2000 : 10000;
  (void)state;

  memset(&p, 0, sizeof(p));
  o.concurrency = 32;
  o.host_concurrency = 32;
  p.req.method = "GET";
  p.req.url = url(srv.port, "/echo");
  p.req.headers = hdrs;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(http_engine_new(&loop, &o, &p.e), JAN_OK);
  pump_run(&loop, &p, 300, 64);           /* warm up: connections, pools */
  m0 = mallinfo2();
  rss0 = maxrss_kib();
  cpu0 = cpu_seconds();
  t0 = uv_hrtime();
  pump_run(&loop, &p, n, 64);
  t1 = uv_hrtime();
  cpu1 = cpu_seconds();
  m1 = mallinfo2();
  rss1 = maxrss_kib();
  http_engine_stats(p.e, &st);
  print_message("http: %d requests at concurrency 32 in %.2f s: %.0f req/s, "
                "process CPU %.1f us/request, %llu connections, "
                "heap %+lld bytes, maxrss %+ld KiB\n", n,
                (double)(t1 - t0) / 1e9, n / ((double)(t1 - t0) / 1e9),
                (cpu1 - cpu0) * 1e6 / n, (unsigned long long)st.connects,
                (long long)m1.uordblks - (long long)m0.uordblks,
                rss1 - rss0);
  assert_true(st.max_inflight <= 32);
  assert_true(st.connects <= 32);
  /* No growth per request: a generous bound, far below 5000 x anything. */
  assert_true((long long)m1.uordblks - (long long)m0.uordblks < 256 * 1024);
#if !defined(__SANITIZE_ADDRESS__)
  /* (ASan's quarantine holds freed memory back: no RSS figure there.) */
  assert_true(rss1 - rss0 < 8 * 1024);
#endif
  engine_end(&loop, p.e);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_get_roundtrip),
    cmocka_unit_test(test_methods),
    cmocka_unit_test(test_status_no_redirect),
    cmocka_unit_test(test_concurrency_bounds),
    cmocka_unit_test(test_concurrency_two_hosts),
    cmocka_unit_test(test_fifo_order),
    cmocka_unit_test(test_first_goes_ahead),
    cmocka_unit_test(test_submit_from_callback_reuse),
    cmocka_unit_test(test_timeout),
    cmocka_unit_test(test_body_cap),
    cmocka_unit_test(test_reset_and_refused),
    cmocka_unit_test(test_invalid),
    cmocka_unit_test(test_cancel),
    cmocka_unit_test(test_cancel_from_callback),
    cmocka_unit_test(test_free_in_flight),
    cmocka_unit_test(test_free_from_callback),
    cmocka_unit_test(test_tls),
    cmocka_unit_test(test_many_requests),
  };
  /* TEST_FILTER=test_tls runs one case (cmocka's wildcards). */
  if(getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  return cmocka_run_group_tests(tests, server_start, server_stop);
}
