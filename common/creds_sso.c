/*
 * IAM Identity Center (SSO) profiles (issue 13), as botocore's SSOProvider:
 * a profile with sso_session (and an [sso-session NAME] section holding
 * sso_start_url and sso_region) or the legacy sso_start_url + sso_region,
 * plus sso_account_id and sso_role_name.  The access token is the one
 * `aws sso login` cached in ~/.aws/sso/cache/SHA1.json (SHA-1 of the
 * session name, or of the start URL for legacy profiles; accessToken,
 * expiresAt); the portal's GetRoleCredentials trades it for the role's
 * credentials.  There is no browser flow: an expired or missing token is
 * an error naming the command to run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "janitor/caps.h"
#include "janitor/creds_sso.h"
#include "janitor/endpoint.h"
#include "janitor/fsafe.h"
#include "janitor/log.h"
#include "janitor/sigv4.h"
#include "janitor/wire.h"

#define TAG "creds"
#define SSO_TOKEN_FILE_MAX (256u * 1024)
#define SSO_MAX_BODY (64u * 1024)

struct sso {
  struct creds_provider base;
  struct http_engine *http;
  char *endpoint_url;           /* config override, or NULL */
  char *profile;                /* NULL: AWS_PROFILE, else "default" */
  creds_cb cb;
  void *arg;
  struct http_xfer *xfer;
  int dead;
  char name[JAN_PROFILE_NAME_MAX];
  char login[JAN_SOURCE_NAME_MAX];              /* "--profile NAME" / "--sso-session NAME" */
  char source[JAN_SOURCE_NAME_MAX];
};

static void sso_release(struct sso *s)
{
  free(s->endpoint_url);
  free(s->profile);
  free(s);
}

static void answer(struct sso *s, int rc, const struct aws_creds *c,
                   const char *msg)
{
  creds_cb cb = s->cb;
  void *arg = s->arg;
  s->cb = NULL;
  s->arg = NULL;
  s->xfer = NULL;
  if(cb)
    cb(arg, rc, c, msg);
}

static const char *env_nonempty(const char *name)
{
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Parse the role credentials; JAN_EPARSE for anything else. */
int creds_parse_sso_json(const char *body, size_t len, struct aws_creds *out)
{
  struct json_tokener *tok = json_tokener_new_ex(8);
  struct json_object *o = NULL, *rc_o, *v;
  const char *k[3] = { "accessKeyId", "secretAccessKey", "sessionToken" };
  char **dst[3];
  int rc = JAN_EPARSE;

  creds_init(out);
  dst[0] = &out->access_key;
  dst[1] = &out->secret_key;
  dst[2] = &out->session_token;
  if(!tok)
    return JAN_ENOMEM;
  if(len <= SSO_MAX_BODY)
    o = json_tokener_parse_ex(tok, body, (int)len);
  if(!o || json_tokener_get_error(tok) != json_tokener_success ||
     !json_object_object_get_ex(o, "roleCredentials", &rc_o) ||
     !json_object_is_type(rc_o, json_type_object))
    goto out;
  for(int i = 0; i < 3; i++) {
    const char *s;
    int n;
    if(!json_object_object_get_ex(rc_o, k[i], &v) ||
       !json_object_is_type(v, json_type_string))
      goto out;
    s = json_object_get_string(v);
    n = json_object_get_string_len(v);
    if(!n)
      goto out;
    for(int j = 0; j < n; j++)
      if((unsigned char)s[j] <= 0x20 || (unsigned char)s[j] >= 0x7f)
        goto out;
    if(!(*dst[i] = strdup(s))) {
      rc = JAN_ENOMEM;
      goto out;
    }
  }
  /* Milliseconds; under one second would read as 0, "never expires". */
  if(!json_object_object_get_ex(rc_o, "expiration", &v) ||
     !json_object_is_type(v, json_type_int) ||
     json_object_get_int64(v) < 1000)
    goto out;
  out->expiration = (time_t)(json_object_get_int64(v) / 1000);
  rc = JAN_OK;
out:
  if(rc)
    creds_free(out);
  if(o)
    json_object_put(o);
  json_tokener_free(tok);
  return rc;
}

static void portal_done(void *arg, struct http_response *hr)
{
  struct sso *s = arg;
  struct aws_creds c;
  char msg[JAN_MSG_MAX];

  s->xfer = NULL;
  if(s->dead) {
    sso_release(s);
    return;
  }
  if(hr->err) {
    snprintf(msg, sizeof(msg), "SSO (profile %s): GetRoleCredentials: %s",
             s->name, hr->errmsg[0] ? hr->errmsg : jan_strerror(hr->err));
    answer(s, hr->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ECREDS, NULL,
           msg);
    return;
  }
  if(hr->status == 401 || hr->status == 403) {
    snprintf(msg, sizeof(msg), "SSO (profile %s): the portal refused the "
             "cached token (HTTP %ld); run: aws sso login %s", s->name,
             hr->status, s->login);
    answer(s, JAN_ECREDS, NULL, msg);
    return;
  }
  if(hr->status != 200 ||
     creds_parse_sso_json(hr->body.ptr ? hr->body.ptr : "", hr->body.len,
                          &c) != JAN_OK) {
    snprintf(msg, sizeof(msg), "SSO (profile %s): GetRoleCredentials: %s "
             "(HTTP %ld)", s->name, hr->status == 200 ? "malformed answer"
             : "refused", hr->status);
    answer(s, JAN_ECREDS, NULL, msg);
    return;
  }
  c.source = s->source;
  answer(s, JAN_OK, &c, NULL);
  creds_free(&c);
}

/* The cached token: JAN_OK with *token (caller wipes and frees). */
static int load_token(struct sso *s, const char *key, char **token,
                      struct jbuf *msg)
{
  unsigned char md[SHA_DIGEST_LENGTH];
  struct jbuf path, why;
  struct json_object *o = NULL, *v;
  const char *at, *exp;
  char *buf = NULL, when[64];
  int64_t t;
  size_t n = 0, bufsize = 0;
  int rc = JAN_ECREDS;

  *token = NULL;
  SHA1((const unsigned char *)key, strlen(key), md);
  jbuf_init(&path, JAN_PATH_MAX);
  if(creds_home_dir(&path) || jbuf_addstr(&path, "/.aws/sso/cache/")) {
    jbuf_printf(msg, "SSO (profile %s): no home directory for the token "
                "cache", s->name);
    goto out;
  }
  for(size_t i = 0; i < sizeof(md); i++)
    jbuf_printf(&path, "%02x", md[i]);
  jbuf_addstr(&path, ".json");
  jbuf_init(&why, JAN_MSG_MAX);
  rc = fsafe_read_file(jbuf_str(&path), SSO_TOKEN_FILE_MAX, FSAFE_READ_WIPE,
                       &buf, &n, NULL, &why);
  if(rc == JAN_ENOENT)
    jbuf_printf(msg, "SSO (profile %s): no cached token (%s); run: aws sso "
                "login %s", s->name, jbuf_str(&path), s->login);
  else if(rc)                   /* why names the file: a named pipe... */
    jbuf_printf(msg, "SSO (profile %s): %s; run: aws sso login %s", s->name,
                jbuf_str(&why), s->login);
  jbuf_free(&why);
  if(rc) {
    rc = rc == JAN_ENOMEM ? JAN_ENOMEM : JAN_ECREDS;
    goto out;
  }
  rc = JAN_ECREDS;
  bufsize = n + 2;
  o = json_tokener_parse(buf);
  if(!o || !json_object_object_get_ex(o, "accessToken", &v) ||
     !json_object_is_type(v, json_type_string) ||
     !*(at = json_object_get_string(v)) ||
     !json_object_object_get_ex(o, "expiresAt", &v) ||
     !json_object_is_type(v, json_type_string)) {
    jbuf_printf(msg, "SSO (profile %s): %s is not a token cached by aws sso "
                "login (accessToken, expiresAt); run: aws sso login %s",
                s->name, jbuf_str(&path), s->login);
    goto out;
  }
  /* The CLI writes "...Z", older ones "...UTC". */
  exp = json_object_get_string(v);
  snprintf(when, sizeof(when), "%s", exp);
  n = strlen(when);
  if(n > 3 && !strcmp(when + n - 3, "UTC"))
    snprintf(when + n - 3, sizeof(when) - (n - 3), "Z");
  if(wire_time_parse(when, &t) != 0) {
    jbuf_printf(msg, "SSO (profile %s): %s: unreadable expiresAt; run: aws "
                "sso login %s", s->name, jbuf_str(&path), s->login);
    goto out;
  }
  if(t <= (int64_t)time(NULL)) {
    jbuf_printf(msg, "SSO (profile %s): the cached SSO token expired at %s; "
                "run: aws sso login %s", s->name, exp, s->login);
    goto out;
  }
  if(!(*token = strdup(at)))
    rc = JAN_ENOMEM;
  else
    rc = JAN_OK;
out:
  if(o)
    json_object_put(o);
  if(buf) {
    explicit_bzero(buf, bufsize);
    free(buf);
  }
  jbuf_free(&path);
  return rc;
}

/* endpoint_url, AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, as aws.c orders
 * its overrides; else the regional portal. */
static int portal_url(struct sso *s, const char *region, struct jbuf *url)
{
  const char *base = s->endpoint_url;
  size_t n;
  if(!base)
    base = env_nonempty(ENDPOINT_ENV_SSO);
  if(!base)
    base = env_nonempty(ENDPOINT_ENV_ALL);
  if(!base)
    return jbuf_printf(url, "https://portal.sso.%s.amazonaws.com", region);
  n = strlen(base);
  while(n && base[n - 1] == '/')
    n--;
  return jbuf_printf(url, "%.*s", (int)n, base);
}

static void sso_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct sso *s = (struct sso *)self;
  struct creds_profile p, sess;
  struct jbuf msg, url, hdr;
  const char *name = s->profile ? s->profile : env_nonempty("AWS_PROFILE");
  const char *sname, *start, *region, *acct, *role, *hdrs[2] = { NULL, NULL };
  char *token = NULL;
  struct http_request req;
  int rc;

  if(!name)
    name = "default";
  s->cb = cb;
  s->arg = arg;
  snprintf(s->name, sizeof(s->name), "%s", name);
  memset(&sess, 0, sizeof(sess));
  jbuf_init(&msg, JAN_MSG_MAX);
  jbuf_init(&url, JAN_URL_MAX);
  jbuf_init(&hdr, JAN_HEADER_LINE_MAX);
  rc = creds_profile_read(name, &p, &msg);
  if(rc)
    goto out;
  sname = p.set[CREDS_SET_SSO_SESSION];
  start = p.set[CREDS_SET_SSO_START_URL];
  region = p.set[CREDS_SET_SSO_REGION];
  acct = p.set[CREDS_SET_SSO_ACCOUNT_ID];
  role = p.set[CREDS_SET_SSO_ROLE_NAME];
  if(!sname && !start) {
    rc = JAN_ENOENT;
    jbuf_printf(&msg, "SSO (profile %s: no sso_session or sso_start_url)",
                name);
    goto out;
  }
  if(sname) {
    snprintf(s->login, sizeof(s->login), "--sso-session %s", sname);
    rc = creds_sso_session_read(sname, &sess, &msg);
    if(rc)
      goto out;
    if(!sess.found) {
      rc = JAN_ECONFIG;
      jbuf_printf(&msg, "profile %s: sso_session %s has no [sso-session %s] "
                  "section in the config file", name, sname, sname);
      goto out;
    }
    start = sess.set[CREDS_SET_SSO_START_URL];
    region = sess.set[CREDS_SET_SSO_REGION];
  }
  else {
    snprintf(s->login, sizeof(s->login), "--profile %s", name);
  }
  if(!start || !region || !acct || !role) {
    rc = JAN_ECONFIG;
    jbuf_printf(&msg, "profile %s: SSO needs sso_start_url and sso_region "
                "(%s) and sso_account_id and sso_role_name (profile)", name,
                sname ? "in the sso-session section" : "in the profile");
    goto out;
  }
  rc = load_token(s, sname ? sname : start, &token, &msg);
  if(rc)
    goto out;
  snprintf(s->source, sizeof(s->source), "sso:%s", name);
  rc = portal_url(s, region, &url);
  if(!rc)
    rc = jbuf_addstr(&url, "/federation/credentials?role_name=");
  if(!rc)
    rc = sigv4_uri_encode(role, strlen(role), 0, &url);
  if(!rc)
    rc = jbuf_addstr(&url, "&account_id=");
  if(!rc)
    rc = sigv4_uri_encode(acct, strlen(acct), 0, &url);
  if(!rc)
    rc = jbuf_printf(&hdr, "x-amz-sso_bearer_token: %s", token);
  if(rc) {
    jbuf_printf(&msg, "SSO (profile %s): %s", name, jan_strerror(rc));
    goto out;
  }
  hdrs[0] = jbuf_str(&hdr);
  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.url = jbuf_str(&url);
  req.headers = hdrs;
  req.max_body = SSO_MAX_BODY;
  jlog_debug(TAG, "SSO (profile %s): GetRoleCredentials for %s in %s", name,
             role, acct);
  rc = http_submit(s->http, &req, portal_done, s, &s->xfer);
  if(rc)
    jbuf_printf(&msg, "SSO (profile %s): cannot send GetRoleCredentials",
                name);
out:
  if(token) {
    explicit_bzero(token, strlen(token));
    free(token);
  }
  if(hdr.ptr)
    explicit_bzero(hdr.ptr, hdr.alloc);
  jbuf_free(&hdr);
  jbuf_free(&url);
  creds_profile_free(&sess);
  creds_profile_free(&p);
  if(rc)
    answer(s, rc == JAN_ECANCELED ? rc : rc, NULL,
           msg.len ? jbuf_str(&msg) : jan_strerror(rc));
  jbuf_free(&msg);
}

static void sso_destroy(struct creds_provider *self)
{
  struct sso *s = (struct sso *)self;
  struct http_xfer *x = s->xfer;

  answer(s, JAN_ECANCELED, NULL, "credentials: shutting down");
  if(x) {
    s->dead = 1;
    http_cancel(x);
    return;
  }
  sso_release(s);
}

struct creds_provider *creds_provider_sso(const char *profile,
                                          struct http_engine *http,
                                          const char *endpoint_url)
{
  struct sso *s = calloc(1, sizeof(*s));
  if(!s)
    return NULL;
  s->base.name = "sso";
  s->base.fetch = sso_fetch;
  s->base.destroy = sso_destroy;
  s->http = http;
  if((profile && *profile && !(s->profile = strdup(profile))) ||
     (endpoint_url && *endpoint_url &&
      !(s->endpoint_url = strdup(endpoint_url)))) {
    sso_release(s);
    return NULL;
  }
  return &s->base;
}
