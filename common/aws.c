/*
 * The AWS request layer.  One aws_call lives from aws_send() to its
 * callback; each attempt gets fresh credentials from the chain, a fresh
 * signature and its own HTTP transfer.  The retry decision is made in one
 * place: call_classify().
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws_int.h"
#include "janitor/aws.h"
#include "janitor/aws_decide.h"
#include "janitor/caps.h"
#include "janitor/log.h"
#include "janitor/endpoint.h"
#include "janitor/names.h"
#include "janitor/rng.h"
#include "janitor/sigv4.h"
#include "janitor/untrusted.h"

const char *const aws_svc_name[AWS_SVC_COUNT] = {
  "s3", "lambda", "iam", "sts", "logs", "organizations"
};
const char *const aws_svc_env[AWS_SVC_COUNT] = {
  "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_IAM",
  "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
  "AWS_ENDPOINT_URL_ORGANIZATIONS"
};

/* The services with one endpoint, signed for AWS_GLOBAL_REGION. */
static int svc_global(enum aws_service svc)
{
  return svc == AWS_SVC_IAM || svc == AWS_SVC_ORGANIZATIONS;
}

/* The services whose errors are JSON (rest-json, JSON 1.1). */
static int svc_json(enum aws_service svc)
{
  return svc == AWS_SVC_LAMBDA || svc == AWS_SVC_LOGS ||
         svc == AWS_SVC_ORGANIZATIONS;
}

/* ---- small helpers ---------------------------------------------------- */

static char *xstrdup(const char *s)
{
  return s ? strdup(s) : NULL;
}


int64_t aws_client_signing_time(const struct aws_client *c)
{
  return (int64_t)time(NULL) + c->clock_offset;
}

int aws_code_is_throttle(const char *code)
{
  return (aws_code_class(code) & AWS_CODE_THROTTLE) != 0;
}

int aws_error_is_region_disabled(const struct aws_response *r)
{
  return r->err == JAN_EAWS &&
         (aws_code_class(r->e.code) & AWS_CODE_DISABLED);
}

int aws_error_is_access_denied(const struct aws_response *r)
{
  return r->err == JAN_EAWS &&
         ((aws_code_class(r->e.code) & AWS_CODE_DENIED) ||
          (r->status == 403 && !r->e.code[0]));
}

int aws_error_is_not_found(const struct aws_response *r)
{
  return r->err == JAN_EAWS &&
         (r->status == 404 || (aws_code_class(r->e.code) &
                               AWS_CODE_NOT_FOUND));
}

int aws_response_header(const struct aws_response *r, const char *name,
                        char *out, size_t outlen)
{
  struct http_response hr;
  memset(&hr, 0, sizeof(hr));
  hr.headers = r->headers;      /* read only, not owned */
  return http_response_header(&hr, name, out, outlen);
}

void aws_describe_error(const struct aws_response *r, const char *op,
                        char *out, size_t outlen)
{
  if(r->err == JAN_EAWS) {
    snprintf(out, outlen, "%s %s: %s%s%s%s%s (HTTP %ld, request id %s, "
             "%u attempt%s)",
             op, r->region, r->e.code[0] ? r->e.code : "error",
             r->e.message[0] ? ": " : "", r->e.message,
             r->errmsg[0] ? "; " : "", r->errmsg, r->status,
             r->request_id[0] ? r->request_id : "none", r->attempts,
             r->attempts == 1 ? "" : "s");
  }
  else {
    snprintf(out, outlen, "%s %s: %s%s%s (%u attempt%s)", op, r->region,
             jan_strerror(r->err), r->errmsg[0] ? ": " : "", r->errmsg,
             r->attempts, r->attempts == 1 ? "" : "s");
  }
}

void aws_client_stats(const struct aws_client *c, struct aws_stats *s)
{
  *s = c->st;
  s->clock_offset_s = c->clock_offset;
  s->clock_skew_s = c->clock_skew;
  s->retry_tokens = c->tokens;
}

/*
 * The one check of a region before a request goes there: NULL when it may,
 * else why not.  A region named by an answer reaches this only through
 * here; untrusted_region() gives the shape, the list the configuration.
 */
const char *aws_region_refusal(const struct aws_client *c, const char *s)
{
  if(!untrusted_region(s, strlen(s)))
    return "not an AWS region";
  if(!c->regions || !strcmp(s, AWS_GLOBAL_REGION))
    return NULL;
  for(size_t i = 0; i < c->nregions; i++)
    if(!strcmp(s, c->regions[i]))
      return NULL;
  return "not one of the configured regions";
}

/* ---- client ------------------------------------------------------------ */

static char *trim_url(const char *u)
{
  char *s;
  size_t n;
  if(!u || !*u)
    return NULL;
  s = strdup(u);
  if(!s)
    return NULL;
  n = strlen(s);
  while(n && s[n - 1] == '/')
    s[--n] = '\0';
  return s;
}

int aws_client_new(const struct aws_client_opts *o, struct aws_client **out)
{
  struct aws_client *c = calloc(1, sizeof(*c));
  const char *all;

  *out = NULL;
  if(!c)
    return JAN_ENOMEM;
  c->loop = o->loop;
  c->http = o->http;
  c->creds = o->creds;
  c->max_attempts = o->max_attempts ? o->max_attempts : 1;
  c->retry_base_ms = o->retry_base_ms ? o->retry_base_ms : 1000;
  c->tokens = RETRY_TOKENS_MAX;
  c->keys = calloc(1, sizeof(*c->keys));
  if(!c->keys)
    goto fail;
  sigv4_cache_init(c->keys);
  jan_rng_seed(&c->rng);
  if(o->regions) {
    c->regions = calloc(o->nregions ? o->nregions : 1, sizeof(*c->regions));
    if(!c->regions)
      goto fail;
    for(size_t i = 0; i < o->nregions; i++)
      snprintf(c->regions[i], sizeof(c->regions[i]), "%s", o->regions[i]);
    c->nregions = o->nregions;
  }

  all = getenv(ENDPOINT_ENV_ALL);
  for(int i = 0; i < AWS_SVC_COUNT; i++) {
    const char *u = o->endpoint_url;
    if(!u || !*u)
      u = getenv(aws_svc_env[i]);
    if(!u || !*u)
      u = all;
    if(u && *u) {
      c->endpoint[i] = trim_url(u);
      if(!c->endpoint[i])
        goto fail;
    }
  }
  *out = c;
  return JAN_OK;
fail:
  for(int i = 0; i < AWS_SVC_COUNT; i++)
    free(c->endpoint[i]);
  free(c->regions);
  free(c->keys);
  free(c);
  return JAN_ENOMEM;
}

static void client_release(struct aws_client *c)
{
  if(!c->freed || c->ncalls)
    return;
  for(int i = 0; i < AWS_SVC_COUNT; i++)
    free(c->endpoint[i]);
  free(c->regions);
  sigv4_cache_clear(c->keys);
  free(c->keys);
  free(c);
}

void aws_client_drain(struct aws_client *c)
{
  struct aws_call *k, *next;
  c->draining = 1;
  for(k = c->calls; k; k = next) {
    next = k->next;
    if(!k->xfer && k->timer && uv_is_active((uv_handle_t *)k->timer))
      aws_call_finish(k, JAN_ECANCELED);
    else if(http_xfer_queued(k->xfer))
      /* Waiting for a slot of its host: never sent, so never will be;
       * it ends with JAN_ECANCELED through http_done(). */
      http_cancel(k->xfer);
  }
}

void aws_client_shutdown(struct aws_client *c)
{
  struct aws_call *k, *next;
  c->shutting_down = 1;
  c->draining = 1;
  for(k = c->calls; k; k = next) {
    next = k->next;
    if(k->xfer)
      http_cancel(k->xfer);       /* its callback finishes the call */
    else if(k->timer && uv_is_active((uv_handle_t *)k->timer))
      aws_call_finish(k, JAN_ECANCELED);
  }
}

void aws_client_free(struct aws_client *c)
{
  if(!c)
    return;
  aws_client_shutdown(c);
  c->freed = 1;
  client_release(c);
}

/* ---- one call ------------------------------------------------------------ */

static void timer_closed(uv_handle_t *h)
{
  free(h);
}

static void call_free(struct aws_call *k)
{
  struct aws_client *c = k->c;
  if(k->prev)
    k->prev->next = k->next;
  else
    c->calls = k->next;
  if(k->next)
    k->next->prev = k->prev;
  c->ncalls--;
  if(k->timer) {
    uv_timer_stop(k->timer);
    uv_close((uv_handle_t *)k->timer, timer_closed);
  }
  jbuf_free(&k->resp.body);
  jbuf_free(&k->resp.headers);
  free(k->op);
  free(k->method);
  free(k->bucket);
  free(k->path);
  free(k->query);
  free(k->content_type);
  free(k->target);
  free(k->body);
  if(k->secret)
    explicit_bzero(k->secret, strlen(k->secret));
  free(k->secret);
  free(k);
  client_release(c);
}

void aws_call_finish(struct aws_call *k, int err)
{
  struct aws_client *c = k->c;
  k->resp.err = err;
  k->resp.attempts = k->attempts;
  copy_str(k->resp.region, sizeof(k->resp.region), k->region);
  if(err == JAN_OK) {
    /* The SDKs' quota: a success refunds what its retry cost. */
    unsigned refund = k->last_cost ? k->last_cost : RETRY_REFUND_NO_RETRY;
    c->tokens = c->tokens + refund > RETRY_TOKENS_MAX ? RETRY_TOKENS_MAX
                                                      : c->tokens + refund;
  }
  if(k->timer)
    uv_timer_stop(k->timer);
  k->cb(k->arg, &k->resp);
  call_free(k);
}

static void retry_timer_cb(uv_timer_t *t)
{
  aws_attempt_start(t->data);
}

static int schedule_retry(struct aws_call *k, uint64_t delay_ms)
{
  if(!k->timer) {
    k->timer = malloc(sizeof(*k->timer));
    if(!k->timer)
      return JAN_ENOMEM;
    uv_timer_init(k->c->loop, k->timer);
    k->timer->data = k;
  }
  uv_timer_start(k->timer, retry_timer_cb, delay_ms, 0);
  return JAN_OK;
}

/* Parse an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT") into epoch seconds. */
static int parse_http_date(const char *s, int64_t *out)
{
  static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char m[4];
  int d, y, hh, mm, ss;
  const char *p;
  struct tm tm;
  if(sscanf(s, "%*3s, %d %3s %d %d:%d:%d", &d, m, &y, &hh, &mm, &ss) != 6)
    return JAN_EPARSE;
  p = strstr(mon, m);
  if(!p || (p - mon) % 3)
    return JAN_EPARSE;
  memset(&tm, 0, sizeof(tm));
  tm.tm_mday = d;
  tm.tm_mon = (int)((p - mon) / 3);
  tm.tm_year = y - 1900;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  *out = (int64_t)timegm(&tm);
  return JAN_OK;
}

/*
 * An error body that echoes the request (some refusals do) holds what it
 * carried: the request's secret goes before anything reads the body.  The
 * copy has room for a mask per secret-or-prefix the body could hold.
 */
static void mask_secret(struct aws_call *k)
{
  size_t len = k->resp.body.len, klen = strlen(k->secret);
  size_t least = klen < UNTRUSTED_KNOWN_TAIL ? klen : UNTRUSTED_KNOWN_TAIL;
  size_t room = len + (len / (least ? least : 1) + 1) *
                sizeof(UNTRUSTED_REDACTED);
  const char *known[1] = { k->secret };
  char *out = malloc(room);
  size_t n;

  if(!out) {
    jbuf_reset(&k->resp.body);  /* unread, rather than unmasked */
    return;
  }
  n = untrusted_mask_known(out, room, k->resp.body.ptr, len, known, 1);
  jbuf_reset(&k->resp.body);
  if(jbuf_add(&k->resp.body, out, n))
    jbuf_reset(&k->resp.body);
  free(out);
}

static void fill_error(struct aws_call *k, long status)
{
  struct wire_error *e = &k->resp.e;
  char etype[160];
  int rc = JAN_EPARSE;

  memset(e, 0, sizeof(*e));
  if(k->resp.body.len && k->secret)
    mask_secret(k);
  if(k->resp.body.len) {
    if(svc_json(k->svc)) {
      int has = aws_response_header(&k->resp, "x-amzn-ErrorType", etype,
                                     sizeof(etype));
      rc = wire_parse_error_json(has ? etype : NULL, k->resp.body.ptr,
                                 k->resp.body.len, e);
    }
    else {
      rc = wire_parse_error_xml(k->resp.body.ptr, k->resp.body.len, e);
    }
  }
  else if(svc_json(k->svc) &&
          aws_response_header(&k->resp, "x-amzn-ErrorType", etype,
                               sizeof(etype))) {
    rc = wire_parse_error_json(etype, "{}", 2, e);
  }
  if(rc || !e->code[0]) {
    /* No parsable error body (HEAD, a proxy page): name it by status. */
    const char *code = status == 301 ? "PermanentRedirect"
                     : status == 403 ? "Forbidden"
                     : status == 404 ? "NotFound"
                     : status == 429 ? "TooManyRequestsException"
                     : status == 503 ? "ServiceUnavailable"
                     : status >= 500 ? "InternalError" : "";
    if(!e->code[0])
      copy_str(e->code, sizeof(e->code), code);
    if(!e->message[0])
      snprintf(e->message, sizeof(e->message), "HTTP %ld", status);
  }
  if(!e->request_id[0])
    copy_str(e->request_id, sizeof(e->request_id), k->resp.request_id);
}

/* What an attempt's answer says, beyond the response itself. */
struct answer {
  int64_t server_time;          /* its Date, when have_date */
  int have_date;
  int timeout;                  /* the transfer timed out */
  uint64_t retry_after_ms;      /* Retry-After, capped */
  char hint[128];               /* the region an S3 redirect names */
  const char *refused;          /* why hint may not be followed, or NULL */
};

/* The answer moves into the call and is read: transport error, 2xx, or a
 * service error with its code, Retry-After and region hint.  Returns 1 when
 * that already ended the call (canceled, over the cap, a 2xx that parsed). */
static int take_answer(struct aws_call *k, struct http_response *hr,
                       struct answer *ax)
{
  struct aws_client *c = k->c;
  char val[128];

  /* -vv: every attempt, never a header value or a body. */
  jlog_debug("trace", "%s %s %s %s -> %ld%s%s (attempt %u, %llu ms)",
             k->method, k->host, k->op,
             svc_global(k->svc) ? "global" : k->region, hr->status,
             hr->err ? " " : "",
             hr->err ? jan_strerror(hr->err) : "", k->attempts,
             (unsigned long long)(uv_now(c->loop) - k->sent_ms));
  jbuf_free(&k->resp.body);
  jbuf_free(&k->resp.headers);
  k->resp.body = hr->body;
  k->resp.headers = hr->headers;
  jbuf_init(&hr->body, 0);
  jbuf_init(&hr->headers, 0);
  k->resp.status = hr->status;
  k->resp.request_id[0] = '\0';
  memset(&k->resp.e, 0, sizeof(k->resp.e));
  copy_str(k->resp.region, sizeof(k->resp.region), k->region);

  if(hr->err == JAN_ECANCELED || (hr->err && c->shutting_down)) {
    aws_call_finish(k, JAN_ECANCELED);
    return 1;
  }
  if(hr->err) {
    copy_str(k->resp.errmsg, sizeof(k->resp.errmsg), hr->errmsg);
    k->resp.err = hr->err;
    if(hr->err == JAN_ETOOBIG) {
      aws_call_finish(k, JAN_ETOOBIG);
      return 1;
    }
    ax->timeout = hr->err == JAN_ETIMEDOUT;
    return 0;
  }
  k->resp.errmsg[0] = '\0';

  if(aws_response_header(&k->resp, "x-amz-request-id", val, sizeof(val)) ||
     aws_response_header(&k->resp, "x-amzn-RequestId", val, sizeof(val)))
    untrusted_text(k->resp.request_id, sizeof(k->resp.request_id), val,
                   strlen(val));
  if(aws_response_header(&k->resp, "Date", val, sizeof(val)) &&
     parse_http_date(val, &ax->server_time) == JAN_OK)
    ax->have_date = 1;

  if(hr->status >= 200 && hr->status < 300) {
    if(k->svc == AWS_SVC_S3 && k->resp.body.len &&
       wire_s3_body_is_error(k->resp.body.ptr, k->resp.body.len)) {
      /* S3 can answer 200 and then report an error in the body. */
      fill_error(k, hr->status);
      k->resp.err = JAN_EAWS;
      return 0;
    }
    if(k->parse && k->parse(k->parse_arg, &k->resp)) {
      snprintf(k->resp.errmsg, sizeof(k->resp.errmsg),
               "malformed %s answer (HTTP %ld, %zu bytes)", k->op,
               hr->status, k->resp.body.len);
      k->resp.err = JAN_EPARSE;
      return 0;
    }
    aws_call_finish(k, JAN_OK);
    return 1;
  }

  k->resp.err = JAN_EAWS;
  fill_error(k, hr->status);
  if(aws_response_header(&k->resp, "Retry-After", val, sizeof(val))) {
    char *end;
    unsigned long s = strtoul(val, &end, 10);
    if(end != val && !*end)
      ax->retry_after_ms = s > AWS_MAX_RETRY_AFTER_MS / 1000
                               ? AWS_MAX_RETRY_AFTER_MS : s * 1000;
  }
  if(aws_code_is_throttle(k->resp.e.code) || hr->status == 429)
    c->st.throttled++;
  /* The region an S3 redirect names, if any, and whether it may be used. */
  if(k->svc == AWS_SVC_S3 &&
     (hr->status == 301 || hr->status == 307 || hr->status == 400)) {
    if(aws_response_header(&k->resp, "x-amz-bucket-region", ax->hint,
                   sizeof(ax->hint)))
      ;                           /* cut at 127 bytes: then not a region */
    else if(k->resp.e.region[0])
      copy_str(ax->hint, sizeof(ax->hint), k->resp.e.region);
    else if(k->resp.e.bucket_region[0])
      copy_str(ax->hint, sizeof(ax->hint), k->resp.e.bucket_region);
    if(ax->hint[0] && strcmp(ax->hint, k->region) != 0)
      ax->refused = aws_region_refusal(c, ax->hint);
  }
  return 0;
}

/* A skewed clock: measure the offset from Date and sign again.  What counts
 * is how far this attempt's own signing time was from the server's clock
 * (another call may have corrected the offset since).  aws_decide() let it
 * through only within AWS_SKEW_MAX_S; it is used to sign, nothing else. */
static void fix_clock(struct aws_call *k, const struct answer *ax)
{
  struct aws_client *c = k->c;
  int64_t off = ax->server_time - (int64_t)time(NULL);
  int64_t change = off - c->clock_offset;
  c->clock_skew = off;
  if(change > AWS_SKEW_LIMIT_S || change < -AWS_SKEW_LIMIT_S) {
    jlog_warn("aws", "clock skew of %lld s measured from %s's Date "
              "header; signing requests with that correction (age and "
              "grace stay on this machine's clock)", (long long)off,
              aws_svc_name[k->svc]);
    c->clock_offset = off;
    c->st.skew_fixes++;
  }
  k->skew_fixed = 1;
  aws_attempt_start(k);
}

/* A Date too far from the machine's clock: not applied (AWS_SKEW_MAX_S). */
static void refuse_clock(struct aws_call *k, const struct answer *ax)
{
  int64_t off = ax->server_time - (int64_t)time(NULL);
  k->c->clock_skew = off;
  k->c->st.skew_refused++;
  jlog_err("aws", "%s %s: the answer's Date is %lld s from this machine's "
           "clock, beyond the %d s a correction may be; not corrected: "
           "check this machine's clock (NTP) and the endpoint",
           k->op, k->region, (long long)off, AWS_SKEW_MAX_S);
}

/* The SDKs' standard retry: exponential backoff with full jitter (at least
 * Retry-After), paid from the retry-token bucket.  0 when scheduled. */
static int retry_later(struct aws_call *k, const struct answer *ax)
{
  struct aws_client *c = k->c;
  unsigned cost = ax->timeout ? RETRY_COST_TIMEOUT : RETRY_COST;
  uint64_t cap, delay;

  if(c->tokens < cost) {
    jlog_warn("aws", "%s %s: retry quota exhausted; not retrying", k->op,
              k->region);
    return -1;
  }
  cap = c->retry_base_ms << (k->attempts - 1 < 16 ? k->attempts - 1 : 16);
  if(cap > AWS_MAX_BACKOFF_MS)
    cap = AWS_MAX_BACKOFF_MS;
  delay = jan_rng_next(&c->rng) % (cap + 1);
  if(delay < ax->retry_after_ms)
    delay = ax->retry_after_ms;
  c->tokens -= cost;
  k->last_cost = cost;
  c->st.retries++;
  jlog_debug("aws", "%s %s: attempt %u failed (%s), retrying in %llu ms",
             k->op, k->region, k->attempts,
             k->resp.err == JAN_EAWS ? k->resp.e.code
                                     : jan_strerror(k->resp.err),
             (unsigned long long)delay);
  return schedule_retry(k, delay) == JAN_OK ? 0 : -1;
}

/*
 * An attempt's answer: read it (take_answer), let aws_decide() say what it
 * means, and act: done, a correction (clock, region, credentials) and
 * another attempt at once, a retry after a backoff, or the end of the call.
 */
void aws_http_done(void *arg, struct http_response *hr)
{
  struct aws_call *k = arg;
  struct aws_client *c = k->c;
  struct answer ax;
  enum aws_step step;

  k->xfer = NULL;
  memset(&ax, 0, sizeof(ax));
  if(take_answer(k, hr, &ax))
    return;
  {
    struct aws_answer a = {
      .err = k->resp.err, .status = hr->status, .code = k->resp.e.code,
      .s3 = k->svc == AWS_SVC_S3, .region = k->region,
      .region_hint = ax.hint, .region_ok = !ax.refused,
      .have_date = ax.have_date, .skew_s = ax.server_time - k->signed_at,
      .clock_off_s = ax.server_time - (int64_t)time(NULL),
      .attempt = k->attempts, .max_attempts = c->max_attempts,
      .redirected = k->redirected, .skew_fixed = k->skew_fixed,
      .creds_renewed = k->creds_renewed,
      .no_redirect = (k->flags & AWS_REQ_NO_REDIRECT) != 0,
      .draining = c->draining
    };
    step = aws_decide(&a);
  }
  switch(step) {
  case AWS_STEP_DONE:
    aws_call_finish(k, JAN_OK);
    return;
  case AWS_STEP_FIX_CLOCK:
    fix_clock(k, &ax);
    return;
  case AWS_STEP_SKEW_REFUSED:
    refuse_clock(k, &ax);
    break;
  case AWS_STEP_FOLLOW_REGION:
    jlog_debug("aws", "%s: bucket %s is in %s, not %s; retrying there",
               k->op, k->bucket ? k->bucket : "-", ax.hint, k->region);
    copy_str(k->region, sizeof(k->region), ax.hint);
    k->redirected = 1;
    c->st.redirects++;
    aws_attempt_start(k);
    return;
  case AWS_STEP_RENEW_CREDS:
    k->creds_renewed = 1;
    creds_chain_invalidate(c->creds);
    aws_attempt_start(k);
    return;
  case AWS_STEP_RETRY:
    if(retry_later(k, &ax) == 0)
      return;
    break;
  case AWS_STEP_FAIL:
  default:
    if(ax.refused && k->resp.err == JAN_EAWS && !k->redirected &&
       !(k->flags & AWS_REQ_NO_REDIRECT)) {
      /* Not followed, not retried: the answer itself is refused. */
      untrusted_region_refusal(k->resp.errmsg, sizeof(k->resp.errmsg),
                               "refused to follow the answer to", ax.hint,
                               ax.refused);
      jlog_warn("aws", "%s %s: %s", k->op, k->region, k->resp.errmsg);
    }
    break;
  }
  aws_call_finish(k, k->resp.err ? k->resp.err : JAN_EAWS);
}

void aws_client_set_first(struct aws_client *c, int first)
{
  c->first = first;
}

void aws_client_set_delete_gate(struct aws_client *c, aws_delete_gate_fn gate,
                                void *arg)
{
  if(!gate && c->delete_gate_arg != arg)
    return;                     /* another owner's gate stays */
  c->delete_gate = gate;
  c->delete_gate_arg = gate ? arg : NULL;
}

int aws_op_deletes(const char *op)
{
  return op && !strncmp(op, "Delete", 6);
}

int aws_send(struct aws_client *c, const struct aws_request *req, aws_cb cb,
             void *arg)
{
  struct aws_call *k;

  if(c->draining)
    return JAN_ECANCELED;
  if(c->delete_gate && aws_op_deletes(req->op) &&
     !c->delete_gate(c->delete_gate_arg)) {
    jlog_debug("aws", "%s %s: not sent: the deletion gate is closed",
               req->op, req->region ? req->region : "");
    return JAN_EGUARD;
  }
  if(!req->method || !req->op || req->service >= AWS_SVC_COUNT ||
     (!svc_global(req->service) && (!req->region || !*req->region)) ||
     (req->region && strlen(req->region) >= sizeof(k->region)))
    return JAN_EINVAL;
  /* The last check before a bucket name goes into a host name or a path. */
  if(req->bucket && !names_bucket_valid(req->bucket)) {
    char esc[NAMES_ESCAPE_BUF];
    names_escape(req->bucket, strlen(req->bucket), esc, sizeof(esc));
    jlog_err("names", "REFUSED to send %s for an invalid bucket name "
             "\"%s\"; this is a bug, please report it", req->op, esc);
    return JAN_EINVAL;
  }
  k = calloc(1, sizeof(*k));
  if(!k)
    return JAN_ENOMEM;
  k->c = c;
  k->svc = req->service;
  copy_str(k->region, sizeof(k->region),
           req->region ? req->region : "us-east-1");
  k->op = xstrdup(req->op);
  k->method = xstrdup(req->method);
  k->bucket = xstrdup(req->bucket);
  k->path = xstrdup(req->path);
  k->query = xstrdup(req->query);
  k->content_type = xstrdup(req->content_type);
  k->target = xstrdup(req->target);
  if(req->body_len) {
    k->body = malloc(req->body_len);
    if(k->body)
      memcpy(k->body, req->body, req->body_len);
  }
  k->body_len = req->body_len;
  k->secret = xstrdup(req->secret);
  k->max_body = req->max_body ? req->max_body : AWS_DEFAULT_MAX_BODY;
  k->flags = req->flags;
  k->parse = req->parse;
  k->parse_arg = req->parse_arg;
  k->cb = cb;
  k->arg = arg;
  jbuf_init(&k->resp.body, 0);
  jbuf_init(&k->resp.headers, 0);
  k->next = c->calls;
  if(c->calls)
    c->calls->prev = k;
  c->calls = k;
  c->ncalls++;
  if(!k->op || !k->method || (req->bucket && !k->bucket) ||
     (req->path && !k->path) || (req->query && !k->query) ||
     (req->content_type && !k->content_type) ||
     (req->target && !k->target) ||
     (req->body_len && !k->body) || (req->secret && !k->secret)) {
    k->cb = NULL;
    call_free(k);
    return JAN_ENOMEM;
  }
  c->st.calls++;
  aws_attempt_start(k);
  return JAN_OK;
}

/* ---- typed calls ---------------------------------------------------------- */

struct parsed_call {
  size_t size;
  aws_result_parse_fn parse;
  aws_result_free_fn free_result;
  aws_result_cb cb;
  void *arg;
  int filled;
  void *result;
};

static void parsed_reset(struct parsed_call *p)
{
  if(p->filled && p->free_result)
    p->free_result(p->result);
  memset(p->result, 0, p->size);
  p->filled = 0;
}

static int parsed_parse(void *arg, const struct aws_response *r)
{
  struct parsed_call *p = arg;
  int rc;
  parsed_reset(p);
  if(!p->parse)
    return JAN_OK;
  p->filled = 1;
  rc = p->parse(r->body.ptr ? r->body.ptr : "", r->body.len, p->result);
  return rc;
}

static void parsed_done(void *arg, struct aws_response *r)
{
  struct parsed_call *p = arg;
  p->cb(p->arg, r, r->err ? NULL : p->result);
  parsed_reset(p);
  free(p->result);
  free(p);
}

int aws_send_parsed(struct aws_client *c, const struct aws_request *req,
                    size_t result_size, aws_result_parse_fn parse,
                    aws_result_free_fn free_result, aws_result_cb cb,
                    void *arg)
{
  struct aws_request r = *req;
  struct parsed_call *p = calloc(1, sizeof(*p));
  int rc;

  if(!p)
    return JAN_ENOMEM;
  p->size = result_size ? result_size : 1;
  p->result = calloc(1, p->size);
  if(!p->result) {
    free(p);
    return JAN_ENOMEM;
  }
  p->parse = parse;
  p->free_result = free_result;
  p->cb = cb;
  p->arg = arg;
  r.parse = parsed_parse;
  r.parse_arg = p;
  rc = aws_send(c, &r, parsed_done, p);
  if(rc) {
    free(p->result);
    free(p);
  }
  return rc;
}

/* ---- one attempt ---------------------------------------------------------
 * One attempt of an AWS call: where it goes (URL, Host, the signed path),
 * its headers, its SigV4 signature with the credentials of the moment, and
 * its HTTP transfer.  The answer comes back
 * in aws_http_done().
 */

/* Parse the host[:port] out of a base URL such as "https://h:4566/x". */
static int url_authority(const char *base, char *host, size_t hostlen,
                         const char **rest)
{
  const char *p = strstr(base, "://");
  const char *e;
  p = p ? p + 3 : base;
  e = p + strcspn(p, "/?#");
  if(e == p || (size_t)(e - p) >= hostlen)
    return JAN_EINVAL;
  memcpy(host, p, (size_t)(e - p));
  host[e - p] = '\0';
  if(rest)
    *rest = e;
  return JAN_OK;
}

/* "<prefix>/<bucket><path>": the bucket through the one segment encoder
 * (a valid name comes out unchanged). */
static int bucket_path(struct jbuf *wpath, const char *prefix,
                       const char *bucket, const char *path)
{
  int rc = jbuf_printf(wpath, "%s/", prefix);
  if(!rc)
    rc = names_encode_segment(bucket, wpath);
  if(!rc)
    rc = jbuf_addstr(wpath, path);
  return rc;
}

/*
 * Where the request goes: url (whole URL), host (Host header) and the
 * canonical wire path that is signed.  aws_send() has already refused a
 * bucket name S3 could not have created, so a name that goes into the
 * host name is only [a-z0-9-] (one with a '.' goes path-style).
 */
static int build_target(struct aws_call *k, struct jbuf *url, char *host,
                        size_t hostlen, struct jbuf *wpath)
{
  struct aws_client *c = k->c;
  const char *base = c->endpoint[k->svc];
  const char *path = k->path && *k->path ? k->path : "";
  const char *prefix = "";
  const char *why = aws_region_refusal(c, k->region);
  int rc;

  /* The region goes into the host name and the signing scope. */
  if(why) {
    untrusted_region_refusal(k->resp.errmsg, sizeof(k->resp.errmsg),
                             "refusing to send a request to", k->region, why);
    return JAN_EINVAL;
  }
  if(base) {
    /* An override serves every region; S3 goes path-style. */
    rc = url_authority(base, host, hostlen, &prefix);
    if(rc)
      return rc;
    rc = jbuf_addstr(url, base);
    if(!rc && k->svc == AWS_SVC_S3 && k->bucket) {
      rc = bucket_path(wpath, prefix, k->bucket, path);
    }
    else if(!rc) {
      rc = jbuf_printf(wpath, "%s%s", prefix, *path ? path : "/");
    }
    if(!rc)
      rc = jbuf_addstr(url, jbuf_str(wpath) + strlen(prefix));
  }
  else {
    switch(k->svc) {
    case AWS_SVC_S3:
      if(k->bucket && !strchr(k->bucket, '.')) {
        snprintf(host, hostlen, "%s.s3.%s.amazonaws.com", k->bucket,
                 k->region);
        rc = jbuf_addstr(wpath, *path ? path : "/");
      }
      else {
        snprintf(host, hostlen, "s3.%s.amazonaws.com", k->region);
        rc = k->bucket ? bucket_path(wpath, "", k->bucket, path)
                       : jbuf_addstr(wpath, *path ? path : "/");
      }
      break;
    case AWS_SVC_LAMBDA:
      snprintf(host, hostlen, "lambda.%s.amazonaws.com", k->region);
      rc = jbuf_addstr(wpath, *path ? path : "/");
      break;
    case AWS_SVC_IAM:
      snprintf(host, hostlen, "iam.amazonaws.com");
      rc = jbuf_addstr(wpath, *path ? path : "/");
      break;
    case AWS_SVC_LOGS:
      snprintf(host, hostlen, "logs.%s.amazonaws.com", k->region);
      rc = jbuf_addstr(wpath, *path ? path : "/");
      break;
    case AWS_SVC_ORGANIZATIONS:
      snprintf(host, hostlen, "organizations." AWS_GLOBAL_REGION
               ".amazonaws.com");
      rc = jbuf_addstr(wpath, *path ? path : "/");
      break;
    default:
      snprintf(host, hostlen, "sts.%s.amazonaws.com", k->region);
      rc = jbuf_addstr(wpath, *path ? path : "/");
      break;
    }
    if(!rc)
      rc = jbuf_printf(url, "https://%s%s", host, jbuf_str(wpath));
  }
  if(!rc && k->query && *k->query)
    rc = jbuf_printf(url, "?%s", k->query);
  return rc;
}

/* The header lines of one attempt.  Every line is wiped before it is
 * freed: some hold the session token or the signature. */
#define ATTEMPT_HEADERS_MAX 10

struct attempt_headers {
  struct jbuf line[ATTEMPT_HEADERS_MAX];
  const char *v[ATTEMPT_HEADERS_MAX + 2];   /* + User-Agent, NULL */
  size_t n;
};

static int hdr_add(struct attempt_headers *h, const char *fmt, ...)
    JAN_PRINTF(2, 3);

static int hdr_add(struct attempt_headers *h, const char *fmt, ...)
{
  struct jbuf *b;
  va_list ap;
  int rc;

  JAN_REQUIRE(h->n < ATTEMPT_HEADERS_MAX);
  b = &h->line[h->n];
  jbuf_init(b, JAN_HEADER_LINE_MAX);
  va_start(ap, fmt);
  rc = jbuf_vprintf(b, fmt, ap);
  va_end(ap);
  if(rc)
    return rc;
  h->v[h->n++] = jbuf_str(b);
  return JAN_OK;
}

static void hdr_free(struct attempt_headers *h)
{
  for(size_t i = 0; i < h->n; i++) {
    if(h->line[i].ptr)
      explicit_bzero(h->line[i].ptr, h->line[i].alloc);
    jbuf_free(&h->line[i]);
  }
  h->n = 0;
}

/* Sign the attempt with cr (NULL: unsigned); sig gets the result. */
static int sign(struct aws_call *k, const struct aws_creds *cr,
                const char *wpath, const char *host, const char *md5,
                struct sigv4_result *sig)
{
  struct sigv4_header sh[4];
  size_t nsh = 0;

  if(!cr)
    return JAN_OK;
  sh[nsh].name = "host";
  sh[nsh++].value = host;
  if(k->content_type) {
    sh[nsh].name = "content-type";
    sh[nsh++].value = k->content_type;
  }
  if(md5) {
    sh[nsh].name = "content-md5";
    sh[nsh++].value = md5;
  }
  if(k->target) {
    sh[nsh].name = "x-amz-target";
    sh[nsh++].value = k->target;
  }
  {
    struct sigv4_request sreq = {
      .method = k->method, .path = wpath, .query = k->query,
      .headers = sh, .nheaders = nsh, .body = k->body,
      .body_len = k->body_len
    };
    struct sigv4_creds sc = {
      .access_key = cr->access_key, .secret_key = cr->secret_key,
      .session_token = cr->session_token
    };
    struct sigv4_params sp = {
      .region = svc_global(k->svc) ? AWS_GLOBAL_REGION : k->region,
      .service = aws_svc_name[k->svc],
      .when = (time_t)(k->signed_at = aws_client_signing_time(k->c)),
      .flags = k->svc == AWS_SVC_S3 ? SIGV4_S3 : 0
    };
    return sigv4_sign(&sreq, &sc, &sp, k->c->keys, sig);
  }
}

/* The header lines, in the order they are sent. */
static int build_headers(const struct aws_call *k, const struct aws_creds *cr,
                         const char *host, const char *md5,
                         const struct sigv4_result *sig,
                         struct attempt_headers *h)
{
  int rc = hdr_add(h, "Host: %s", host);

  if(!rc && cr)
    rc = hdr_add(h, "X-Amz-Date: %s", sig->amz_date);
  if(!rc && sig->add_content_sha256)
    rc = hdr_add(h, "X-Amz-Content-SHA256: %s", sig->payload_hash);
  if(!rc && cr && cr->session_token)
    rc = hdr_add(h, "X-Amz-Security-Token: %s", cr->session_token);
  if(!rc && k->content_type)
    rc = hdr_add(h, "Content-Type: %s", k->content_type);
  if(!rc && md5)
    rc = hdr_add(h, "Content-MD5: %s", md5);
  if(!rc && k->target)
    rc = hdr_add(h, "X-Amz-Target: %s", k->target);
  if(!rc && cr)
    rc = hdr_add(h, "Authorization: %s", jbuf_str(&sig->authorization));
  h->v[h->n] = "User-Agent: remotion-janitor/" JAN_VERSION;
  h->v[h->n + 1] = NULL;
  return rc;
}

/* Build, sign and submit the attempt. */
static int submit(struct aws_call *k, const struct aws_creds *cr)
{
  struct aws_client *c = k->c;
  struct jbuf url, wpath;
  struct sigv4_result sig;
  struct attempt_headers h;
  struct http_request hreq;
  char host[JAN_HOST_MAX], md5buf[25];
  const char *md5 = NULL;
  int err;

  jbuf_init(&url, JAN_URL_MAX);
  jbuf_init(&wpath, JAN_URL_MAX);
  sigv4_result_init(&sig);
  memset(&h, 0, sizeof(h));
  err = build_target(k, &url, host, sizeof(host), &wpath);
  if(!err && (k->flags & AWS_REQ_CONTENT_MD5)) {
    err = sigv4_md5_base64(k->body ? k->body : "", k->body_len, md5buf);
    md5 = md5buf;
  }
  if(!err)
    err = sign(k, cr, jbuf_str(&wpath), host, md5, &sig);
  if(!err)
    err = build_headers(k, cr, host, md5, &sig, &h);
  if(!err) {
    memset(&hreq, 0, sizeof(hreq));
    hreq.method = k->method;
    hreq.url = jbuf_str(&url);
    hreq.headers = h.v;
    hreq.body = k->body;
    hreq.body_len = k->body_len;
    hreq.max_body = k->max_body;
    hreq.first = c->first;
    c->st.attempts++;
    k->attempts++;
    copy_str(k->host, sizeof(k->host), host);
    k->sent_ms = uv_now(c->loop);
    err = http_submit(c->http, &hreq, aws_http_done, k, &k->xfer);
  }
  hdr_free(&h);
  sigv4_result_free(&sig);
  jbuf_free(&url);
  jbuf_free(&wpath);
  return err;
}

static void creds_ready(void *arg, int rc, const struct aws_creds *cr,
                        const char *msg)
{
  struct aws_call *k = arg;

  if(rc) {
    copy_str(k->resp.errmsg, sizeof(k->resp.errmsg),
             msg ? msg : jan_strerror(rc));
    aws_call_finish(k, rc == JAN_ECANCELED ? JAN_ECANCELED : JAN_ECREDS);
    return;
  }
  if(k->c->draining) {
    aws_call_finish(k, JAN_ECANCELED);
    return;
  }
  k->resp.errmsg[0] = '\0';
  rc = submit(k, cr);
  if(rc) {
    if(!k->resp.errmsg[0])
      snprintf(k->resp.errmsg, sizeof(k->resp.errmsg),
               "cannot build the request: %s", jan_strerror(rc));
    aws_call_finish(k, rc);
  }
}

void aws_attempt_start(struct aws_call *k)
{
  if(k->c->draining) {
    aws_call_finish(k, JAN_ECANCELED);
    return;
  }
  if(k->flags & AWS_REQ_UNSIGNED)
    creds_ready(k, JAN_OK, NULL, NULL);   /* cr NULL: nothing to sign */
  else
    creds_chain_get(k->c->creds, creds_ready, k);
}

