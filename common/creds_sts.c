/*
 * STS (issue 13, issue 22): the one AssumeRole provider, as aws-c-auth's
 * STS provider: a role assumed with sts:AssumeRole (Query API, POST form
 * body, Version 2011-06-15) signed by whatever credentials its source
 * chain hands out.  A profile's role (creds_sts_profile.c: each role of a
 * source_profile chain signed by the one before), an [account] section's
 * role and an organization's member role are all this provider with a
 * different source.
 *
 * The calls go through an AWS client of the provider's own, signed by the
 * source chain: retries, clock-skew correction and the endpoint overrides
 * are those of every other call.  The chain above refreshes the role's
 * credentials before they expire, like any temporary credentials.  The
 * external id, like every secret, never reaches a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/caps.h"
#include "janitor/aws.h"
#include "janitor/creds_sts.h"
#include "janitor/log.h"
#include "creds_int.h"
#include "janitor/sigv4.h"
#include "wire_int.h"

#define TAG "creds"
#define STS_MAX_BODY (64u * 1024)
#define STS_MSG_MAX (AWS_DESCRIBE_MAX + 1024)

/* ---- the AssumeRole* answer -------------------------------------------- */

struct sts_ctx {
  struct aws_creds *c;
  char *exp;
};

static int sts_cb(void *arg, enum wx_event ev, int depth,
                  const char *const *path, const char *text, size_t len)
{
  struct sts_ctx *x = arg;
  char **dst = NULL;

  if(ev != WX_END || depth != 3 || strcmp(path[2], "Credentials") != 0)
    return JAN_OK;
  if(!strcmp(path[3], "AccessKeyId"))
    dst = &x->c->access_key;
  else if(!strcmp(path[3], "SecretAccessKey"))
    dst = &x->c->secret_key;
  else if(!strcmp(path[3], "SessionToken"))
    dst = &x->c->session_token;
  else if(!strcmp(path[3], "Expiration"))
    dst = &x->exp;
  if(!dst)
    return JAN_OK;
  for(size_t i = 0; i < len; i++)
    if((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f)
      return JAN_EPARSE;
  return len ? wire_set_str(dst, text, len) : JAN_EPARSE;
}

int creds_parse_sts_xml(const char *body, size_t len, const char *root,
                        struct aws_creds *out)
{
  struct sts_ctx x;
  int64_t t = 0;
  int rc;

  creds_init(out);
  x.c = out;
  x.exp = NULL;
  rc = wx_walk(body, len, root, sts_cb, &x);
  if(!rc && (!out->access_key || !out->secret_key || !out->session_token ||
             !x.exp || wire_time_parse(x.exp, &t) != 0 || t <= 0))
    rc = JAN_EPARSE;
  out->expiration = (time_t)t;
  free(x.exp);
  if(rc)
    creds_free(out);
  return rc;
}

static int form_add(struct jbuf *b, const char *k, const char *v)
{
  int rc = jbuf_printf(b, "&%s=", k);
  return rc ? rc : sigv4_uri_encode(v, strlen(v), 0, b);
}

static int parse_assume(const char *body, size_t len, void *out)
{
  return creds_parse_sts_xml(body, len, "AssumeRoleResponse", out);
}

static void free_assume(void *out)
{
  creds_free(out);
}

int creds_sts_assume_role(struct aws_client *c, const char *region,
                          const char *arn, const char *session,
                          const char *external_id, long duration,
                          aws_result_cb cb, void *arg)
{
  struct jbuf body;
  char sess[CREDS_STS_SESSION_MAX + 1];
  int rc;

  snprintf(sess, sizeof(sess), "remotion-janitor-%lld",
           (long long)time(NULL));
  jbuf_init(&body, JAN_PATH_MAX);
  rc = jbuf_addstr(&body, "Action=AssumeRole&Version=2011-06-15");
  if(!rc)
    rc = form_add(&body, "RoleArn", arn);
  if(!rc)
    rc = form_add(&body, "RoleSessionName", session ? session : sess);
  if(!rc && external_id)
    rc = form_add(&body, "ExternalId", external_id);
  if(!rc && duration)
    rc = jbuf_printf(&body, "&DurationSeconds=%ld", duration);
  if(!rc) {
    struct aws_request req = {
      .service = AWS_SVC_STS, .region = region, .op = "AssumeRole",
      .method = "POST", .path = "/",
      .content_type = "application/x-www-form-urlencoded; charset=utf-8",
      .body = body.ptr, .body_len = body.len, .max_body = STS_MAX_BODY,
      .secret = external_id
    };
    rc = aws_send_parsed(c, &req, sizeof(struct aws_creds), parse_assume,
                         free_assume, cb, arg);
  }
  /* The body holds the external id. */
  if(body.ptr)
    explicit_bzero(body.ptr, body.alloc);
  jbuf_free(&body);
  return rc;
}

static int parse_web(const char *body, size_t len, void *out)
{
  return creds_parse_sts_xml(body, len, "AssumeRoleWithWebIdentityResponse",
                             out);
}

int creds_sts_assume_role_with_web_identity(struct aws_client *c,
                                            const char *region,
                                            const char *arn,
                                            const char *session,
                                            const char *token,
                                            aws_result_cb cb, void *arg)
{
  struct jbuf body;
  int rc;

  jbuf_init(&body, JAN_PATH_MAX + 3 * 16384);
  rc = jbuf_addstr(&body, "Action=AssumeRoleWithWebIdentity"
                   "&Version=2011-06-15");
  if(!rc)
    rc = form_add(&body, "RoleArn", arn);
  if(!rc)
    rc = form_add(&body, "RoleSessionName", session);
  if(!rc)
    rc = form_add(&body, "WebIdentityToken", token);
  if(!rc) {
    struct aws_request req = {
      .service = AWS_SVC_STS, .region = region,
      .op = "AssumeRoleWithWebIdentity", .method = "POST", .path = "/",
      .content_type = "application/x-www-form-urlencoded; charset=utf-8",
      .body = body.ptr, .body_len = body.len, .max_body = STS_MAX_BODY,
      .flags = AWS_REQ_UNSIGNED, .secret = token
    };
    rc = aws_send_parsed(c, &req, sizeof(struct aws_creds), parse_web,
                         free_assume, cb, arg);
  }
  if(body.ptr)
    explicit_bzero(body.ptr, body.alloc);
  jbuf_free(&body);
  return rc;
}

/* ---- the provider ------------------------------------------------------- */

struct sts {
  struct creds_provider base;   /* first: the chain sees only this */
  char *arn;
  char *external_id;            /* NULL: none; never in a message */
  char *session;                /* NULL: remotion-janitor-<epoch> */
  long duration;
  char *what;                   /* a failure reads "WHAT: error" */
  char *source;                 /* the credentials' source */
  char region[64];
  struct aws_client *client;    /* signs with the source chain */
  creds_cb cb;                  /* the fetch in flight */
  void *arg;
  int calling;                  /* an AssumeRole is out */
  int dead;                     /* destroyed while it was */
};

void creds_sts_region(const char *profile_region, char *out, size_t n)
{
  const char *r = profile_region && *profile_region ? profile_region : NULL;
  if(!r)
    r = creds_env_value("AWS_REGION");
  if(!r)
    r = creds_env_value("AWS_DEFAULT_REGION");
  snprintf(out, n, "%s", r ? r : CREDS_STS_DEFAULT_REGION);
}

static void answer(struct sts *s, int rc, const struct aws_creds *c,
                   const char *msg)
{
  creds_cb cb = s->cb;
  void *arg = s->arg;
  s->cb = NULL;
  s->arg = NULL;
  if(cb)
    cb(arg, rc, c, msg);
}

static void assumed(void *arg, const struct aws_response *resp, void *res)
{
  struct sts *s = arg;
  char what[AWS_DESCRIBE_MAX], msg[STS_MSG_MAX];
  struct aws_creds c;

  s->calling = 0;
  if(s->dead) {
    if(!s->client)              /* destroy() is done with us */
      free(s);
    return;
  }
  if(!res) {
    aws_describe_error(resp, "AssumeRole", what, sizeof(what));
    snprintf(msg, sizeof(msg), "%s: %s", s->what, what);
    answer(s, resp->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ECREDS, NULL,
           msg);
    return;
  }
  if(creds_copy(&c, res)) {
    answer(s, JAN_ENOMEM, NULL, "assume role: out of memory");
    return;
  }
  c.source = s->source;
  jlog_debug(TAG, "assumed %s (%s)", s->arn, s->source);
  answer(s, JAN_OK, &c, NULL);
  creds_free(&c);
}

static void sts_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct sts *s = (struct sts *)self;
  int rc;

  s->cb = cb;
  s->arg = arg;
  s->calling = 1;
  rc = creds_sts_assume_role(s->client, s->region, s->arn, s->session,
                             s->external_id, s->duration, assumed, s);
  if(rc) {
    s->calling = 0;
    answer(s, rc, NULL, "assume role: cannot send AssumeRole");
  }
}

static void sts_destroy(struct creds_provider *self)
{
  struct sts *s = (struct sts *)self;

  answer(s, JAN_ECANCELED, NULL, "credentials: shutting down");
  s->dead = 1;
  if(s->client) {
    struct aws_client *c = s->client;
    aws_client_free(c);         /* a call out ends with JAN_ECANCELED */
    s->client = NULL;
  }
  free(s->arn);
  if(s->external_id)
    explicit_bzero(s->external_id, strlen(s->external_id));
  free(s->external_id);
  free(s->session);
  free(s->what);
  free(s->source);
  s->arn = s->external_id = s->session = s->what = s->source = NULL;
  if(!s->calling)
    free(s);
}

static int dup_opt(char **dst, const char *v)
{
  *dst = v ? strdup(v) : NULL;
  return v && !*dst ? JAN_ENOMEM : JAN_OK;
}

struct creds_provider *creds_provider_sts(const struct creds_sts_role *role,
                                          struct creds_chain *source,
                                          const struct creds_sts_opts *o)
{
  struct sts *s = calloc(1, sizeof(*s));

  if(!s)
    return NULL;
  s->base.name = "assume role";
  s->base.fetch = sts_fetch;
  s->base.destroy = sts_destroy;
  s->duration = role->duration;
  if(role->region && *role->region)
    snprintf(s->region, sizeof(s->region), "%s", role->region);
  else
    creds_sts_region(NULL, s->region, sizeof(s->region));
  if(dup_opt(&s->arn, role->arn) || !s->arn ||
     dup_opt(&s->external_id, role->external_id) ||
     dup_opt(&s->session, role->session) ||
     dup_opt(&s->what, role->what ? role->what : role->arn) ||
     dup_opt(&s->source, role->source ? role->source : role->arn))
    goto fail;
  if(creds_sts_client(o, source, &s->client))
    goto fail;
  return &s->base;
fail:
  sts_destroy(&s->base);
  return NULL;
}

int creds_sts_client(const struct creds_sts_opts *o,
                     struct creds_chain *signer, struct aws_client **out)
{
  struct aws_client_opts ao;

  memset(&ao, 0, sizeof(ao));
  ao.loop = o->loop;
  ao.http = o->http;
  ao.creds = signer;
  ao.max_attempts = o->max_attempts;
  ao.endpoint_url = o->endpoint_url;
  ao.retry_base_ms = o->retry_base_ms;
  return aws_client_new(&ao, out);
}
