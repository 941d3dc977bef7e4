#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/creds_remote.h"
#include "janitor/fsafe.h"
#include "janitor/log.h"
#include "janitor/wire.h"

#define REMOTE_MAX_BODY (64u * 1024)
#define IMDS_DEFAULT "http://169.254.169.254"
#define CONTAINER_HOST "http://169.254.170.2"

struct remote {
  struct creds_provider base;
  struct http_engine *http;
  /* The fetch in flight (one at a time, as the chain guarantees). */
  creds_cb cb;
  void *arg;
  struct http_xfer *xfer;
  char *token;                  /* IMDS session token */
  char *role;                   /* IMDS role name */
  int dead;                     /* destroyed while a transfer was out */
  char source[64];
};

static void remote_release(struct remote *r)
{
  if(r->token)
    explicit_bzero(r->token, strlen(r->token));
  free(r->token);
  free(r->role);
  free(r);
}

/* Every transfer callback starts here: a provider destroyed meanwhile is
 * only released, once its last transfer has come back. */
static int remote_gone(struct remote *r)
{
  r->xfer = NULL;
  if(!r->dead)
    return 0;
  remote_release(r);
  return 1;
}

static const char *json_str(struct json_object *o, const char *key)
{
  struct json_object *v;
  if(!json_object_object_get_ex(o, key, &v) ||
     !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

/* Keys, secrets and tokens end up in signed headers: printable ASCII
 * without spaces, as creds_file.c requires of the files, and no NUL that
 * would cut them short.  An absent member passes (the caller decides). */
static int json_value_ok(struct json_object *o, const char *key)
{
  struct json_object *v;
  const char *s;
  int n;

  if(!json_object_object_get_ex(o, key, &v) ||
     !json_object_is_type(v, json_type_string))
    return 1;
  s = json_object_get_string(v);
  n = json_object_get_string_len(v);
  for(int i = 0; i < n; i++)
    if((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
      return 0;
  return 1;
}

int creds_parse_remote_json(const char *body, size_t len,
                            struct aws_creds *out)
{
  return creds_parse_json(body, len, "Token", 0, out);
}

int creds_parse_json(const char *body, size_t len, const char *token_key,
                     int version, struct aws_creds *out)
{
  struct json_object *ver;
  struct json_tokener *tok = json_tokener_new_ex(8);
  struct json_object *o;
  const char *ak, *sk, *tk, *exp, *code;
  int64_t t = 0;
  int rc = JAN_EPARSE;

  creds_init(out);
  if(!tok)
    return JAN_ENOMEM;
  if(len > REMOTE_MAX_BODY || len > (size_t)INT32_MAX) {
    json_tokener_free(tok);
    return JAN_ETOOBIG;
  }
  o = json_tokener_parse_ex(tok, body, (int)len);
  if(!o || json_tokener_get_error(tok) != json_tokener_success ||
     !json_object_is_type(o, json_type_object))
    goto out;
  code = json_str(o, "Code");
  if(code && strcmp(code, "Success") != 0)
    goto out;
  if(version && (!json_object_object_get_ex(o, "Version", &ver) ||
                 !json_object_is_type(ver, json_type_int) ||
                 json_object_get_int64(ver) != version))
    goto out;
  ak = json_str(o, "AccessKeyId");
  sk = json_str(o, "SecretAccessKey");
  tk = json_str(o, token_key);
  exp = json_str(o, "Expiration");
  if(!ak || !sk || !*ak || !*sk)
    goto out;
  if(!json_value_ok(o, "AccessKeyId") ||
     !json_value_ok(o, "SecretAccessKey") || !json_value_ok(o, token_key))
    goto out;
  /* An expiration of 0 would read as "does not expire" (creds.h), and
   * one before 1970 is no real date: both are malformed. */
  if(exp && (wire_time_parse(exp, &t) != 0 || t <= 0))
    goto out;
  out->access_key = strdup(ak);
  out->secret_key = strdup(sk);
  out->session_token = tk && *tk ? strdup(tk) : NULL;
  out->expiration = (time_t)t;
  rc = out->access_key && out->secret_key && (!tk || !*tk ||
       out->session_token) ? JAN_OK : JAN_ENOMEM;
  if(rc)
    creds_free(out);
out:
  if(o)
    json_object_put(o);
  json_tokener_free(tok);
  return rc;
}

static void remote_answer(struct remote *r, int rc, const struct aws_creds *c,
                          const char *msg)
{
  creds_cb cb = r->cb;
  void *arg = r->arg;
  r->cb = NULL;
  r->arg = NULL;
  r->xfer = NULL;
  if(cb)
    cb(arg, rc, c, msg);
}

static void remote_creds_done(struct remote *r, struct http_response *hr,
                              const char *what)
{
  struct aws_creds c;
  char msg[384];
  int rc;

  if(hr->err || hr->status != 200) {
    snprintf(msg, sizeof(msg), "%s: %s", what,
             hr->err ? hr->errmsg : "unexpected HTTP status");
    if(!hr->err)
      snprintf(msg, sizeof(msg), "%s: HTTP %ld", what, hr->status);
    remote_answer(r, hr->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ECREDS,
                  NULL, msg);
    return;
  }
  rc = creds_parse_remote_json(hr->body.ptr ? hr->body.ptr : "",
                               hr->body.len, &c);
  if(rc) {
    snprintf(msg, sizeof(msg), "%s: malformed credentials answer", what);
    remote_answer(r, JAN_ECREDS, NULL, msg);
    return;
  }
  c.source = r->source;
  remote_answer(r, JAN_OK, &c, NULL);
  creds_free(&c);
}

/* ---- container ---------------------------------------------------------- */

static void container_done(void *arg, struct http_response *hr)
{
  if(remote_gone(arg))
    return;
  remote_creds_done(arg, hr, "container credentials");
}

/* The token: AWS_CONTAINER_AUTHORIZATION_TOKEN, else the file named by
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every fetch: it rotates);
 * why names the file when it cannot be read. */
static int container_token(char *out, size_t outlen, struct jbuf *why)
{
  const char *t = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  const char *f = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  out[0] = '\0';
  if(f && *f) {
    char *buf;
    size_t n;
    int rc = fsafe_read_file(f, outlen - 1, FSAFE_READ_WIPE, &buf, &n, NULL,
                             why);
    if(rc == JAN_ENOENT)
      jbuf_printf(why, "%s: no such file", f);
    if(rc)
      return rc;
    memcpy(out, buf, n + 1);
    explicit_bzero(buf, n + 1);
    free(buf);
    while(n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
      out[--n] = '\0';
    return JAN_OK;
  }
  if(t && *t)
    snprintf(out, outlen, "%s", t);
  return JAN_OK;
}

static void container_fetch(struct creds_provider *self, creds_cb cb,
                            void *arg)
{
  struct remote *r = (struct remote *)self;
  const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  char url[2048], token[4096], auth[4200];
  const char *hdrs[2] = { NULL, NULL };
  struct http_request req;
  struct jbuf why;

  if(rel && *rel)
    snprintf(url, sizeof(url), "%s%s", CONTAINER_HOST, rel);
  else if(full && *full)
    snprintf(url, sizeof(url), "%s", full);
  else {
    cb(arg, JAN_ENOENT, NULL, "container credentials (not configured)");
    return;
  }
  jbuf_init(&why, JAN_MSG_MAX);
  if(container_token(token, sizeof(token), &why)) {
    snprintf(auth, sizeof(auth), "container credentials: cannot read "
             "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s", jbuf_str(&why));
    jbuf_free(&why);
    cb(arg, JAN_ECREDS, NULL, auth);
    return;
  }
  jbuf_free(&why);
  if(token[0]) {
    snprintf(auth, sizeof(auth), "Authorization: %s", token);
    hdrs[0] = auth;
  }
  r->cb = cb;
  r->arg = arg;
  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.url = url;
  req.headers = hdrs;
  req.max_body = REMOTE_MAX_BODY;
  if(http_submit(r->http, &req, container_done, r, &r->xfer))
    remote_answer(r, JAN_ECREDS, NULL, "container credentials: cannot send");
  explicit_bzero(token, sizeof(token));
  explicit_bzero(auth, sizeof(auth));
}

/* ---- IMDSv2 ---------------------------------------------------------------- */

static const char *imds_base(void)
{
  const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  return e && *e ? e : IMDS_DEFAULT;
}

static int imds_get(struct remote *r, const char *path, http_done_cb done)
{
  char url[2048], hdr[512];
  const char *hdrs[2] = { hdr, NULL };
  const char *base = imds_base();
  size_t bl = strlen(base);
  struct http_request req;

  while(bl && base[bl - 1] == '/')
    bl--;
  snprintf(url, sizeof(url), "%.*s%s", (int)bl, base, path);
  snprintf(hdr, sizeof(hdr), "x-aws-ec2-metadata-token: %s", r->token);
  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.url = url;
  req.headers = hdrs;
  req.max_body = REMOTE_MAX_BODY;
  return http_submit(r->http, &req, done, r, &r->xfer);
}

static void imds_creds_done(void *arg, struct http_response *hr)
{
  if(remote_gone(arg))
    return;
  remote_creds_done(arg, hr, "EC2 instance metadata");
}

static void imds_role_done(void *arg, struct http_response *hr)
{
  struct remote *r = arg;
  char path[512];
  size_t n;

  if(remote_gone(r))
    return;
  if(hr->err || hr->status != 200 || !hr->body.len) {
    remote_answer(r, hr->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ENOENT,
                  NULL, "EC2 instance metadata (no role)");
    return;
  }
  n = strcspn(hr->body.ptr, "\r\n");
  free(r->role);
  r->role = strndup(hr->body.ptr, n);
  if(!r->role || !*r->role || strchr(r->role, '/') || n > 128) {
    remote_answer(r, JAN_ECREDS, NULL, "EC2 instance metadata: bad role name");
    return;
  }
  snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%s",
           r->role);
  if(imds_get(r, path, imds_creds_done))
    remote_answer(r, JAN_ECREDS, NULL, "EC2 instance metadata: cannot send");
}

static void imds_token_done(void *arg, struct http_response *hr)
{
  struct remote *r = arg;

  if(remote_gone(r))
    return;
  if(hr->err || hr->status != 200 || !hr->body.len) {
    /* No metadata service here: not an error, just nothing to offer. */
    remote_answer(r, hr->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ENOENT,
                  NULL, "EC2 instance metadata (not reachable)");
    return;
  }
  free(r->token);
  r->token = strndup(hr->body.ptr, hr->body.len < 1024 ? hr->body.len : 1024);
  if(!r->token) {
    remote_answer(r, JAN_ENOMEM, NULL, NULL);
    return;
  }
  if(imds_get(r, "/latest/meta-data/iam/security-credentials/",
              imds_role_done))
    remote_answer(r, JAN_ECREDS, NULL, "EC2 instance metadata: cannot send");
}

static void imds_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct remote *r = (struct remote *)self;
  const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
  const char *hdrs[] = { "x-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
  char url[2048];
  const char *base = imds_base();
  size_t bl = strlen(base);
  struct http_request req;

  if(dis && !strcasecmp(dis, "true")) {
    cb(arg, JAN_ENOENT, NULL, "EC2 instance metadata (disabled)");
    return;
  }
  while(bl && base[bl - 1] == '/')
    bl--;
  snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)bl, base);
  r->cb = cb;
  r->arg = arg;
  memset(&req, 0, sizeof(req));
  req.method = "PUT";
  req.url = url;
  req.headers = hdrs;
  req.max_body = 4096;
  if(http_submit(r->http, &req, imds_token_done, r, &r->xfer))
    remote_answer(r, JAN_ECREDS, NULL, "EC2 instance metadata: cannot send");
}

/* ---- common ---------------------------------------------------------------- */

static void remote_destroy(struct creds_provider *self)
{
  struct remote *r = (struct remote *)self;
  struct http_xfer *x = r->xfer;

  /* The chain's waiter is answered now; a transfer still out comes back
   * through the engine later (JAN_ECANCELED) and releases r then. */
  remote_answer(r, JAN_ECANCELED, NULL, NULL);
  if(x) {
    r->dead = 1;
    http_cancel(x);
    return;
  }
  remote_release(r);
}

static struct remote *remote_new(struct http_engine *http, const char *name,
                                 void (*fetch)(struct creds_provider *,
                                               creds_cb, void *))
{
  struct remote *r = calloc(1, sizeof(*r));
  if(!r)
    return NULL;
  r->base.name = name;
  r->base.fetch = fetch;
  r->base.destroy = remote_destroy;
  r->http = http;
  snprintf(r->source, sizeof(r->source), "%s", name);
  return r;
}

struct creds_provider *creds_provider_container(struct http_engine *http)
{
  struct remote *r = remote_new(http, "container", container_fetch);
  return r ? &r->base : NULL;
}

struct creds_provider *creds_provider_imds(struct http_engine *http)
{
  struct remote *r = remote_new(http, "imds", imds_fetch);
  return r ? &r->base : NULL;
}

int creds_chain_add_remote(struct creds_chain *ch, struct http_engine *http)
{
  int rc = creds_chain_add(ch, creds_provider_container(http));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_imds(http));
  return rc;
}
