/*
 * The HTTP engine: one curl multi handle driven by a libuv loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one
 * uv_poll_t per socket, found again through curl_multi_assign) and when to
 * call it back (CURLMOPT_TIMERFUNCTION: one non-repeating uv_timer_t).  Every
 * event goes back through curl_multi_socket_action, and after each action the
 * finished transfers are read with curl_multi_info_read.
 *
 * Our own accounting bounds the transfers handed to curl, in total and per
 * host:port; the rest wait in one FIFO queue per host, and the next to start
 * is the oldest waiting request whose host has room.  curl's per-host
 * connection limit is the same number, so curl never has to hold a transfer
 * back itself, and keep-alive connections are reused.
 *
 * A transfer is in exactly one place: its host's queue (QUEUED), the running
 * list (RUNNING), the done list (DONE: result known, callback pending), or
 * being called back (CALLING).  Callbacks run only from the done list: at
 * the end of a loop callback, once curl has returned, or from an idle handle
 * on the next turn for what finished outside one (a cancel).  So a callback
 * may submit, cancel, or free the engine.  The engine's memory is released
 * from the close callbacks of its libuv handles, so the frames above a
 * callback that freed the engine still find it valid.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http_int.h"
#include "janitor/caps.h"
#include "janitor/http.h"
#include "janitor/log.h"

#define HTTP_MAX_HEADERS (64 * 1024)   /* cap on the kept response headers */

_Static_assert(CURL_ERROR_SIZE <= sizeof(((struct http_response *)0)->errmsg),
               "errmsg serves as curl's error buffer");

/* ---- small lists -------------------------------------------------------- */

/* Put x before at (NULL: at the end). */
static void xl_insert(struct xlist *l, struct http_xfer *at,
                      struct http_xfer *x)
{
  x->next = at;
  x->prev = at ? at->prev : l->tail;
  if(x->prev)
    x->prev->next = x;
  else
    l->head = x;
  if(at)
    at->prev = x;
  else
    l->tail = x;
}

static void xl_push(struct xlist *l, struct http_xfer *x)
{
  xl_insert(l, NULL, x);
}

static void xl_remove(struct xlist *l, struct http_xfer *x)
{
  if(x->prev)
    x->prev->next = x->next;
  else
    l->head = x->next;
  if(x->next)
    x->next->prev = x->prev;
  else
    l->tail = x->prev;
  x->next = x->prev = NULL;
}

/* ---- hosts -------------------------------------------------------------- */

static struct host *host_get(struct http_engine *e, const char *key)
{
  struct host *h;
  size_t n;

  for(h = e->hosts; h; h = h->next)
    if(!strcmp(h->key, key))
      return h;
  n = strlen(key);
  h = calloc(1, sizeof(*h) + n + 1);
  if(!h)
    return NULL;
  memcpy(h->key, key, n + 1);
  h->next = e->hosts;
  if(e->hosts)
    e->hosts->prev = h;
  e->hosts = h;
  return h;
}

/* A host with nothing queued or running is forgotten. */
static void host_maybe_free(struct http_engine *e, struct host *h)
{
  if(h->inflight || h->queue.head)
    return;
  if(h->prev)
    h->prev->next = h->next;
  else
    e->hosts = h->next;
  if(h->next)
    h->next->prev = h->prev;
  free(h);
}

/* "host:port" of an http(s) URL, lower case; JAN_EINVAL for anything else. */
static int url_host_key(const char *url, char *out, size_t outlen)
{
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  int rc = JAN_EINVAL;
  int n;

  if(!u)
    return JAN_ENOMEM;
  if(curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
     curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
     curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
     curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
    goto out;
  if(strcmp(scheme, "http") && strcmp(scheme, "https"))
    goto out;
  n = snprintf(out, outlen, "%s:%s", host, port);
  if(n < 0 || (size_t)n >= outlen)
    goto out;
  for(char *p = out; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  rc = JAN_OK;
out:
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return rc;
}

/* ---- transfers ---------------------------------------------------------- */

static void slist_wipe_free(struct curl_slist *l)
{
  /* Header lines carry the signature and the session token. */
  for(struct curl_slist *p = l; p; p = p->next)
    explicit_bzero(p->data, strlen(p->data));
  curl_slist_free_all(l);
}

static void xfer_free(struct http_xfer *x)
{
  jbuf_free(&x->resp.body);
  jbuf_free(&x->resp.headers);
  slist_wipe_free(x->hdrs);
  free(x->body);
  free(x->url);
  free(x);
}

static void easy_release(struct http_engine *e, CURL *easy)
{
  if(e->npool < e->opts.concurrency && !e->closing) {
    curl_easy_reset(easy);
    e->pool[e->npool++] = easy;
  }
  else
    curl_easy_cleanup(easy);
}

static void on_idle(uv_idle_t *h);

/* Queue the result for its callback, on the next loop turn at the latest. */
static void xfer_done(struct http_engine *e, struct http_xfer *x, int err,
                      const char *msg)
{
  x->resp.err = err;
  if(!err)
    x->resp.errmsg[0] = '\0';
  else if(msg || !x->resp.errmsg[0])
    snprintf(x->resp.errmsg, sizeof(x->resp.errmsg), "%s",
             msg ? msg : jan_strerror(err));
  x->resp.elapsed_ms = (uv_hrtime() - x->t0) / 1000000u;
  x->state = XS_DONE;
  xl_push(&e->done, x);
  if(!e->closing)
    uv_idle_start(&e->idle, on_idle);
}

/* Take a RUNNING transfer back from curl and free its slot. */
static void xfer_detach(struct http_engine *e, struct http_xfer *x)
{
  long n = 0, code = 0;

  if(curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK &&
     n > 0)
    e->st.connects += (uint64_t)n;
  if(curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
    x->resp.status = code;
  curl_multi_remove_handle(e->multi, x->easy);
  easy_release(e, x->easy);
  x->easy = NULL;
  xl_remove(&e->running, x);
  e->inflight--;
  x->host->inflight--;
  host_maybe_free(e, x->host);
  x->host = NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
  struct http_xfer *x = arg;
  (void)size;   /* always 1 */
  if(jbuf_add(&x->resp.body, p, n)) {
    x->toobig = 1;
    return 0;   /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  return n;
}

/* Header lines arrive one at a time, status lines included; only the lines
 * of the final answer are kept (a 1xx or a CONNECT answer starts over). */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
  struct http_xfer *x = arg;
  (void)size;
  if(n >= 5 && !memcmp(p, "HTTP/", 5)) {
    jbuf_reset(&x->resp.headers);
    return n;
  }
  if(n <= 2 && (p[0] == '\r' || p[0] == '\n'))
    return n;
  if(jbuf_add(&x->resp.headers, p, n)) {
    x->toobig = 2;
    return 0;
  }
  return n;
}

static long clamp_long(uint64_t v)
{
  return v > (uint64_t)LONG_MAX ? LONG_MAX : (long)v;
}

#define SETOPT(opt, val)                                        \
  do {                                                          \
    if(curl_easy_setopt(easy, opt, val) != CURLE_OK)            \
      return JAN_ENOMEM;                                        \
  } while(0)

static int xfer_setup(struct http_engine *e, struct http_xfer *x, CURL *easy)
{
  const struct http_opts *o = &e->opts;

  SETOPT(CURLOPT_PRIVATE, x);
  SETOPT(CURLOPT_URL, x->url);
  /* The path is sent exactly as signed: curl must not rewrite it after
   * signing.  No dot segment can reach it (every name from a server is
   * validated and percent-encoded, and an object key with a "." or ".."
   * segment never goes into a path: names.h), so with or without this
   * no "/../" is ever resolved into another resource's path. */
  SETOPT(CURLOPT_PATH_AS_IS, 1L);
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
  SETOPT(CURLOPT_SHARE, e->share);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  SETOPT(CURLOPT_PIPEWAIT, 0L);
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
  if(o->ca_pem) {
    /* The bytes replace the system store: no file, no directory. */
    SETOPT(CURLOPT_CAINFO_BLOB, &e->ca);      /* wins over CAINFO */
    SETOPT(CURLOPT_CAPATH, NULL);
  }
  if(o->connect_timeout_ms)
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, clamp_long(o->connect_timeout_ms));
  if(o->request_timeout_ms)
    SETOPT(CURLOPT_TIMEOUT_MS, clamp_long(o->request_timeout_ms));
  SETOPT(CURLOPT_ERRORBUFFER, x->resp.errmsg);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_WRITEDATA, x);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_HEADERDATA, x);
  SETOPT(CURLOPT_HTTPHEADER, x->hdrs);

  if(!strcmp(x->method, "HEAD")) {
    SETOPT(CURLOPT_NOBODY, 1L);
  }
  else {
    /* A Content-Length above the cap fails before the body is read. */
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
    if(!strcmp(x->method, "GET"))
      SETOPT(CURLOPT_HTTPGET, 1L);
    else if(strcmp(x->method, "POST"))
      SETOPT(CURLOPT_CUSTOMREQUEST, x->method);
    if(x->has_body) {
      SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
      SETOPT(CURLOPT_POSTFIELDS, x->body ? (char *)x->body : "");
    }
  }
  return JAN_OK;
}

static void xfer_start(struct http_engine *e, struct http_xfer *x)
{
  CURL *easy = e->npool ? e->pool[--e->npool] : curl_easy_init();
  int rc;

  xl_remove(&x->host->queue, x);
  e->queued--;
  if(!easy) {
    host_maybe_free(e, x->host);
    x->host = NULL;
    xfer_done(e, x, JAN_ENOMEM, "cannot create a curl handle");
    return;
  }
  rc = xfer_setup(e, x, easy);
  if(!rc && curl_multi_add_handle(e->multi, easy) != CURLM_OK)
    rc = JAN_ENOMEM;
  if(rc) {
    curl_easy_cleanup(easy);
    host_maybe_free(e, x->host);
    x->host = NULL;
    xfer_done(e, x, JAN_EHTTP, "cannot start the transfer");
    return;
  }
  x->easy = easy;
  x->state = XS_RUNNING;
  xl_push(&e->running, x);
  x->host->inflight++;
  e->inflight++;
  e->st.started++;
  if(e->inflight > e->st.max_inflight)
    e->st.max_inflight = e->inflight;
}

/* x starts before y: a first one before the others, then the older. */
static int starts_before(const struct http_xfer *x, const struct http_xfer *y)
{
  return x->first != y->first ? x->first : x->seq < y->seq;
}

/* Queue x on its host: after the first ones when it is one, else last. */
static void queue_xfer(struct xlist *l, struct http_xfer *x)
{
  struct http_xfer *at = NULL;

  if(x->first)
    for(at = l->head; at && at->first; at = at->next)
      ;
  xl_insert(l, at, x);
}

/* Start the oldest waiting transfers (the first ones before them) whose
 * host has room, while the total has room.  Few hosts exist, so a scan of
 * them per start is cheap. */
static void pump(struct http_engine *e)
{
  while(!e->closing && e->queued && e->inflight < e->opts.concurrency) {
    struct host *best = NULL;
    for(struct host *h = e->hosts; h; h = h->next)
      if(h->queue.head && h->inflight < e->opts.host_concurrency &&
         (!best || starts_before(h->queue.head, best->queue.head)))
        best = h;
    if(!best)
      break;
    xfer_start(e, best->queue.head);
  }
}

/* Run the callbacks of the done list.  Re-entrant: a callback that frees
 * the engine drains the list from inside, and the outer loop finds it
 * empty; the engine itself stays valid until its close callbacks. */
void http_deliver(struct http_engine *e)
{
  struct http_xfer *x;

  while((x = e->done.head)) {
    xl_remove(&e->done, x);
    x->state = XS_CALLING;
    e->st.finished++;
    x->cb(x->arg, &x->resp);
    xfer_free(x);
  }
  uv_idle_stop(&e->idle);
}

static void on_idle(uv_idle_t *h)
{
  http_deliver(h->data);
}

static int map_result(struct http_xfer *x, CURLcode res, const char **msg)
{
  static const char toobig_body[] = "response body larger than the cap";
  static const char toobig_hdrs[] = "response headers larger than the cap";

  *msg = NULL;
  switch(res) {
  case CURLE_OK:
    return JAN_OK;
  case CURLE_OPERATION_TIMEDOUT:
    return JAN_ETIMEDOUT;
  case CURLE_FILESIZE_EXCEEDED:
    *msg = toobig_body;
    return JAN_ETOOBIG;
  case CURLE_WRITE_ERROR:
    if(x->toobig) {
      *msg = x->toobig == 1 ? toobig_body : toobig_hdrs;
      return JAN_ETOOBIG;
    }
    break;
  default:
    break;
  }
  if(!x->resp.errmsg[0])
    *msg = curl_easy_strerror(res);
  return JAN_EHTTP;
}

/* After every socket_action: complete what curl has finished, then fill the
 * freed slots. */
void http_check_multi_info(struct http_engine *e)
{
  CURLMsg *m;
  int left;

  while((m = curl_multi_info_read(e->multi, &left))) {
    struct http_xfer *x;
    char *priv = NULL;
    CURLcode res;
    const char *msg;
    int err;

    if(m->msg != CURLMSG_DONE)
      continue;
    res = m->data.result;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
    x = (struct http_xfer *)(void *)priv;
    JAN_REQUIRE(x && x->state == XS_RUNNING);
    /* m is invalid from here on (remove_handle) */
    xfer_detach(e, x);
    err = map_result(x, res, &msg);
    xfer_done(e, x, err, msg);
  }
  if(e->broken) {
    struct http_xfer *next;
    e->broken = 0;
    for(struct http_xfer *x = e->running.head; x; x = next) {
      next = x->next;
      if(x->broken) {
        xfer_detach(e, x);
        xfer_done(e, x, JAN_EHTTP, "cannot watch the connection's socket");
      }
    }
  }
  pump(e);
}

/* ---- public ------------------------------------------------------------- */

int http_engine_new(uv_loop_t *loop, const struct http_opts *opts,
                    struct http_engine **out)
{
  struct http_engine *e;
  int mc = 0;

  *out = NULL;
  if(!loop || !opts || !opts->concurrency || !opts->max_body)
    return JAN_EINVAL;
  if(curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return JAN_ENOMEM;
  e = calloc(1, sizeof(*e));
  if(!e)
    goto fail;
  e->loop = loop;
  e->opts = *opts;
  if(opts->ca_pem) {
    e->ca.data = malloc(opts->ca_pem_len ? opts->ca_pem_len : 1);
    if(!e->ca.data)
      goto fail;
    memcpy(e->ca.data, opts->ca_pem, opts->ca_pem_len);
    e->ca.len = opts->ca_pem_len;
    e->ca.flags = CURL_BLOB_NOCOPY;
    e->opts.ca_pem = e->ca.data;
  }
  if(!e->opts.host_concurrency || e->opts.host_concurrency > opts->concurrency)
    e->opts.host_concurrency = opts->concurrency;
  e->pool = calloc(opts->concurrency, sizeof(*e->pool));
  e->multi = curl_multi_init();
  e->share = curl_share_init();
  if(!e->pool || !e->multi || !e->share)
    goto fail;
  if(curl_share_setopt(e->share, CURLSHOPT_SHARE,
                       CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
    goto fail;
  mc |= curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, http_on_curl_socket);
  mc |= curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
  mc |= curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, http_on_curl_timer);
  mc |= curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
  mc |= curl_multi_setopt(e->multi, CURLMOPT_PIPELINING,
                          (long)CURLPIPE_NOTHING);
  /* curl never needs to hold a transfer back: we hand it at most
   * host_concurrency per host and concurrency in all.  Connections, idle
   * ones included, are bounded to twice the transfers, so that keep-alive
   * connections of several hosts survive while the mix of hosts changes;
   * beyond that curl closes the oldest idle one. */
  mc |= curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          (long)e->opts.host_concurrency);
  mc |= curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          2L * e->opts.concurrency);
  mc |= curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS,
                          2L * e->opts.concurrency);
  if(mc)
    goto fail;
  uv_timer_init(loop, &e->timer);
  uv_idle_init(loop, &e->idle);
  e->timer.data = e;
  e->idle.data = e;
  e->handles = 2;
  *out = e;
  return JAN_OK;

fail:
  if(e) {
    if(e->multi)
      curl_multi_cleanup(e->multi);
    if(e->share)
      curl_share_cleanup(e->share);
    free(e->pool);
    free(e->ca.data);
    free(e);
  }
  curl_global_cleanup();
  return JAN_ENOMEM;
}

void http_engine_free(struct http_engine *e)
{
  struct http_xfer *x;
  struct host *h;

  if(!e || e->closing)
    return;
  e->closing = 1;

  /* Everything still queued or running ends canceled. */
  for(h = e->hosts; h; h = h->next)
    while((x = h->queue.head)) {
      xl_remove(&h->queue, x);
      e->queued--;
      x->host = NULL;
      xfer_done(e, x, JAN_ECANCELED, NULL);
    }
  while((x = e->running.head)) {
    xfer_detach(e, x);
    xfer_done(e, x, JAN_ECANCELED, NULL);
  }
  while((h = e->hosts)) {        /* all idle by now */
    e->hosts = h->next;
    free(h);
  }

  while(e->npool)
    curl_easy_cleanup(e->pool[--e->npool]);
  /* Closing the cached connections calls http_on_curl_socket(REMOVE). */
  curl_multi_cleanup(e->multi);
  e->multi = NULL;
  curl_share_cleanup(e->share);
  e->share = NULL;
  while(e->socks)
    http_sock_close(e, e->socks);
  uv_close((uv_handle_t *)&e->timer, http_on_handle_closed);
  uv_close((uv_handle_t *)&e->idle, http_on_handle_closed);

  http_deliver(e);
}

static int method_ok(const char *m)
{
  size_t n = strlen(m);
  if(!n || n >= sizeof(((struct http_xfer *)0)->method))
    return 0;
  for(; *m; m++)
    if(*m < 'A' || *m > 'Z')
      return 0;
  return 1;
}

int http_submit(struct http_engine *e, const struct http_request *req,
                http_done_cb cb, void *arg, struct http_xfer **xfer)
{
  struct http_xfer *x;
  struct curl_slist *l;
  char key[JAN_HOST_MAX];
  int rc, has_ct = 0, post;

  if(xfer)
    *xfer = NULL;
  if(!e || !req || !cb || !req->method || !req->url || !method_ok(req->method)
     || (req->body_len && !req->body))
    return JAN_EINVAL;
  if(e->closing)
    return JAN_ECANCELED;
  rc = url_host_key(req->url, key, sizeof(key));
  if(rc)
    return rc;

  x = calloc(1, sizeof(*x));
  if(!x)
    return JAN_ENOMEM;
  x->e = e;
  x->cb = cb;
  x->arg = arg;
  x->t0 = uv_hrtime();
  strcpy(x->method, req->method);
  x->max_body = req->max_body ? req->max_body : e->opts.max_body;
  jbuf_init(&x->resp.body, x->max_body);
  jbuf_init(&x->resp.headers, HTTP_MAX_HEADERS);
  x->url = strdup(req->url);
  if(!x->url)
    goto nomem;
  post = !strcmp(x->method, "POST") || !strcmp(x->method, "PUT");
  x->has_body = post || req->body_len;
  if(!strcmp(x->method, "HEAD") && req->body_len)
    goto inval;
  if(req->body_len) {
    x->body = malloc(req->body_len);
    if(!x->body)
      goto nomem;
    memcpy(x->body, req->body, req->body_len);
    x->body_len = req->body_len;
  }
  for(const char *const *hp = req->headers; hp && *hp; hp++) {
    if(!strncasecmp(*hp, "Content-Type:", 13))
      has_ct = 1;
    l = curl_slist_append(x->hdrs, *hp);
    if(!l)
      goto nomem;
    x->hdrs = l;
  }
  /* No "Expect: 100-continue" round trip, and no Content-Type that the
   * caller did not give (curl's form type would be unsigned). */
  if(x->has_body) {
    l = curl_slist_append(x->hdrs, "Expect:");
    if(l && !has_ct) {
      x->hdrs = l;
      l = curl_slist_append(x->hdrs, "Content-Type:");
    }
    if(!l)
      goto nomem;
    x->hdrs = l;
  }
  x->host = host_get(e, key);
  if(!x->host)
    goto nomem;

  x->seq = e->seq++;
  x->first = req->first != 0;
  x->state = XS_QUEUED;
  queue_xfer(&x->host->queue, x);
  e->queued++;
  if(xfer)
    *xfer = x;
  pump(e);
  return JAN_OK;

nomem:
  xfer_free(x);
  return JAN_ENOMEM;
inval:
  xfer_free(x);
  return JAN_EINVAL;
}

int http_xfer_queued(const struct http_xfer *x)
{
  return x && x->state == XS_QUEUED;
}

void http_cancel(struct http_xfer *x)
{
  struct http_engine *e;

  if(!x)
    return;
  e = x->e;
  switch(x->state) {
  case XS_QUEUED:
    xl_remove(&x->host->queue, x);
    e->queued--;
    host_maybe_free(e, x->host);
    x->host = NULL;
    xfer_done(e, x, JAN_ECANCELED, NULL);
    break;
  case XS_RUNNING:
    xfer_detach(e, x);
    xfer_done(e, x, JAN_ECANCELED, NULL);
    pump(e);
    break;
  case XS_DONE:
    /* Finished but not yet told: the caller asked for a cancel first. */
    x->resp.err = JAN_ECANCELED;
    snprintf(x->resp.errmsg, sizeof(x->resp.errmsg), "%s",
             jan_strerror(JAN_ECANCELED));
    break;
  case XS_CALLING:
    break;
  }
}

void http_engine_stats(const struct http_engine *e, struct http_stats *s)
{
  *s = e->st;
  s->queued_now = e->queued;
  s->inflight_now = e->inflight;
}

int http_response_header(const struct http_response *r, const char *name,
                         char *out, size_t outlen)
{
  const char *p = r->headers.ptr, *end = p + r->headers.len;
  size_t nlen = strlen(name);

  if(!p)
    return 0;
  while(p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *next = eol ? eol + 1 : end;
    const char *v, *ve;

    if(!eol)
      eol = end;
    if((size_t)(eol - p) > nlen && p[nlen] == ':' &&
       !strncasecmp(p, name, nlen)) {
      v = p + nlen + 1;
      ve = eol;
      while(v < ve && (*v == ' ' || *v == '\t'))
        v++;
      while(ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
        ve--;
      if(outlen) {
        size_t n = (size_t)(ve - v);
        if(n >= outlen)
          n = outlen - 1;
        memcpy(out, v, n);
        out[n] = '\0';
      }
      return 1;
    }
    p = next;
  }
  return 0;
}

/* ---- the event loop ------------------------------------------------------
 * The HTTP engine's side of the event loop: curl asks for sockets to be
 * watched (one uv_poll_t each) and for a timer; every event goes back to
 * curl through curl_multi_socket_action(), then finished transfers are read
 * and called back.  The engine's memory is released from the close
 * callbacks of its handles.
 */

/* ---- engine lifetime ---------------------------------------------------- */

void http_engine_release(struct http_engine *e)
{
  if(!e->closing || e->handles)
    return;
  free(e->pool);
  free(e->ca.data);
  free(e);
  curl_global_cleanup();
}

void http_on_handle_closed(uv_handle_t *h)
{
  struct http_engine *e = h->data;
  e->handles--;
  http_engine_release(e);
}

static void on_sock_closed(uv_handle_t *h)
{
  struct sock *s = h->data;
  struct http_engine *e = s->e;
  free(s);
  e->handles--;
  http_engine_release(e);
}

void http_sock_close(struct http_engine *e, struct sock *s)
{
  if(s->closing)
    return;
  s->closing = 1;
  if(s->prev)
    s->prev->next = s->next;
  else
    e->socks = s->next;
  if(s->next)
    s->next->prev = s->prev;
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* ---- curl's callbacks and the loop's ------------------------------------ */

static void on_timer(uv_timer_t *t)
{
  struct http_engine *e = t->data;
  int running;

  curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  http_check_multi_info(e);
  http_deliver(e);
}

/* curl's timer: -1 stops it; any other value, 0 included, is a one-shot
 * timer, so curl is never called back from inside this callback. */
int http_on_curl_timer(CURLM *m, long timeout_ms, void *arg)
{
  struct http_engine *e = arg;
  (void)m;
  if(timeout_ms < 0 || e->closing)
    uv_timer_stop(&e->timer);
  else
    uv_timer_start(&e->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  struct sock *s = p->data;
  struct http_engine *e = s->e;
  int flags = 0, running;

  if(status < 0) {
    /* libuv has stopped the handle.  curl learns of the error and does the
     * I/O itself to find out what happened (refused, reset...). */
    flags = CURL_CSELECT_ERR;
    if(s->events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if(s->events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  else {
    if(events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if(events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(e->multi, s->fd, flags, &running);
  /* If curl keeps the socket after an error, watch it again as curl thinks
   * we do; otherwise the transfer would wait for its timeout. */
  if(status < 0 && !s->closing && s->events)
    uv_poll_start(&s->poll, s->events, on_poll);
  http_check_multi_info(e);
  http_deliver(e);
}

/* A socket that cannot be watched fails its transfer once socket_action
 * has returned.  (Returning -1 to curl would mark the whole multi handle
 * dead.) */
static int watch_failed(struct http_engine *e, CURL *easy, curl_socket_t fd,
                        int rc)
{
  char *priv = NULL;

  jlog_err("http", "cannot watch socket %d: %s", (int)fd,
           rc ? uv_strerror(rc) : "out of memory");
  if(easy && curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) == CURLE_OK &&
     priv) {
    ((struct http_xfer *)(void *)priv)->broken = 1;
    e->broken = 1;
  }
  return 0;
}

int http_on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
                          void *sockp)
{
  struct http_engine *e = arg;
  struct sock *s = sockp;
  int events = 0, rc;

  if(what == CURL_POLL_REMOVE) {
    if(s) {
      curl_multi_assign(e->multi, fd, NULL);
      http_sock_close(e, s);
    }
    return 0;
  }
  if(e->closing)
    return 0;
  if(!s) {
    s = calloc(1, sizeof(*s));
    if(!s)
      return watch_failed(e, easy, fd, 0);
    rc = uv_poll_init_socket(e->loop, &s->poll, fd);
    if(rc) {
      free(s);
      return watch_failed(e, easy, fd, rc);
    }
    s->e = e;
    s->fd = fd;
    s->poll.data = s;
    e->handles++;
    s->next = e->socks;
    if(e->socks)
      e->socks->prev = s;
    e->socks = s;
    curl_multi_assign(e->multi, fd, s);
  }
  if(what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if(what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  s->events = events;
  rc = uv_poll_start(&s->poll, events, on_poll);
  if(rc)
    return watch_failed(e, easy, fd, rc);
  return 0;
}

