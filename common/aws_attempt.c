/*
 * One attempt of an AWS call: where it goes (URL, Host, the signed path),
 * its headers, its SigV4 signature with the credentials of the moment, and
 * its HTTP transfer.  The answer comes back in aws_http_done() (aws.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_int.h"
#include "janitor/caps.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/untrusted.h"

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
      .region = k->svc == AWS_SVC_IAM ? AWS_GLOBAL_REGION : k->region,
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

