/*
 * A profile's roles (issue 13): role_arn, assumed with sts:AssumeRole
 * signed by the credentials of its source_profile or credential_source, as
 * botocore's AssumeRoleProvider does; and web identity.  A chain of role
 * profiles is walked from its source outwards: the source's credentials
 * are fetched first, then each role is the one STS provider
 * (creds_provider_sts, creds_sts.c) whose source is the chain of the role
 * before, so that each role's credentials sign the next call.
 *
 * The profiles are read at every fetch, not at creation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/caps.h"
#include "janitor/aws.h"
#include "janitor/creds_process.h"
#include "janitor/creds_remote.h"
#include "janitor/creds_sso.h"
#include "janitor/creds_sts.h"
#include "janitor/fsafe.h"
#include "janitor/log.h"
#include "creds_int.h"

#define TAG "creds"
/* A role session name: [\w+=,.@-]{2,64}. */
#define SESSION_NAME_MAX CREDS_STS_SESSION_MAX

/* ---- the provider ------------------------------------------------------- */

enum src_kind { SRC_PROFILE, SRC_ENV, SRC_IMDS, SRC_CONTAINER };

struct role_step {
  char profile[JAN_PROFILE_NAME_MAX];
  char *arn;
  char *external_id;            /* never quoted */
  char *session;
  long duration;                /* 0: STS's default */
  char region[64];
};

struct assume {
  struct creds_provider base;   /* first: the chain sees only this */
  int web_identity;             /* AssumeRoleWithWebIdentity, not AssumeRole */
  char *profile;                /* NULL: AWS_PROFILE, else "default" */
  struct creds_chain *inner;    /* hands out `cur`: the first role's source */
  struct aws_client *client;    /* web identity's (unsigned) call */
  struct creds_provider *env, *imds, *container;
  struct creds_chain *srcchain; /* this fetch's source profile */
  struct creds_sts_opts opts;   /* endpoint_url points to ours */
  char *endpoint_url;
  struct aws_creds cur;         /* the source's credentials */
  /* The last fetch's roles: role[i] holds the STS provider of step
   * nsteps - 1 - i, signed by role[i - 1] (role[0]'s by inner).  Kept
   * until the next fetch or the end: freeing them from their own
   * callbacks would pull the ground from under the calls answering. */
  struct creds_chain *role[CREDS_ROLE_CHAIN_MAX];
  size_t nrole;

  /* The fetch in flight. */
  creds_cb cb;
  void *arg;
  struct role_step step[CREDS_ROLE_CHAIN_MAX];
  size_t nsteps;
  enum src_kind src;
  char srcname[JAN_PROFILE_NAME_MAX];
  int calling;                  /* web identity's STS call is out */
  int dead;                     /* destroyed while it was */
  char source[JAN_SOURCE_NAME_MAX];             /* "assume-role:PROFILE" */
};

static void steps_free(struct assume *a)
{
  for(size_t i = 0; i < a->nsteps; i++) {
    free(a->step[i].arn);
    if(a->step[i].external_id)
      explicit_bzero(a->step[i].external_id, strlen(a->step[i].external_id));
    free(a->step[i].external_id);
    free(a->step[i].session);
  }
  memset(a->step, 0, sizeof(a->step));
  a->nsteps = 0;
}

/* The last fetch's role chains, outermost first. */
static void roles_free(struct assume *a)
{
  while(a->nrole)
    creds_chain_free(a->role[--a->nrole]);
}

/* Hand the answer up; everything of this fetch is settled first, since
 * cb may destroy the provider. */
static void answer(struct assume *a, int rc, const struct aws_creds *c,
                   const char *msg)
{
  creds_cb cb = a->cb;
  void *arg = a->arg;

  a->cb = NULL;
  a->arg = NULL;
  steps_free(a);
  creds_free(&a->cur);
  if(a->srcchain) {
    struct creds_chain *sc = a->srcchain;
    a->srcchain = NULL;         /* before: freeing it answers its waiter */
    creds_chain_free(sc);
  }
  if(cb)
    cb(arg, rc, c, msg);
}

/* The inner chain's one provider: the credentials of the step before. */
struct holder {
  struct creds_provider base;
  struct assume *a;
};

static void holder_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct holder *h = (struct holder *)self;
  if(!h->a->cur.access_key) {
    cb(arg, JAN_ECREDS, NULL, "assume role: no source credentials");
    return;
  }
  cb(arg, JAN_OK, &h->a->cur, NULL);
}

static void holder_destroy(struct creds_provider *self)
{
  free(self);
}

/* The STS region: the profile's, AWS_REGION, AWS_DEFAULT_REGION, then
 * us-east-1.  It only chooses the endpoint, never the regions swept. */
static void sts_region(const struct creds_profile *p, char *out, size_t n)
{
  creds_sts_region(p->set[CREDS_SET_REGION], out, n);
}

static int session_name_ok(const char *s)
{
  size_t n = strlen(s);
  if(n < 2 || n > SESSION_NAME_MAX)
    return 0;
  for(; *s; s++)
    if(!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
         ('0' <= *s && *s <= '9') || strchr("_+=,.@-", *s)))
      return 0;
  return 1;
}

static int dup_set(char **dst, const char *v)
{
  *dst = v ? strdup(v) : NULL;
  return v && !*dst ? JAN_ENOMEM : JAN_OK;
}

/* One role profile's step; JAN_ECONFIG with msg for what cannot work. */
static int make_step(struct role_step *st, const char *name,
                     const struct creds_profile *p, struct jbuf *msg)
{
  const char *d = p->set[CREDS_SET_DURATION_SECONDS];
  const char *sn = p->set[CREDS_SET_ROLE_SESSION_NAME];
  char *end;

  snprintf(st->profile, sizeof(st->profile), "%s", name);
  sts_region(p, st->region, sizeof(st->region));
  if(p->set[CREDS_SET_MFA_SERIAL]) {
    jbuf_printf(msg, "profile %s sets mfa_serial: a daemon cannot prompt "
                "for an MFA code; use a role without an MFA condition",
                name);
    return JAN_ECONFIG;
  }
  if(d) {
    long v = strtol(d, &end, 10);
    if(end == d || *end || v < CREDS_ROLE_DURATION_MIN ||
       v > CREDS_ROLE_DURATION_MAX) {
      jbuf_printf(msg, "profile %s: duration_seconds must be a whole "
                  "number from %d to %d", name, CREDS_ROLE_DURATION_MIN,
                  CREDS_ROLE_DURATION_MAX);
      return JAN_ECONFIG;
    }
    st->duration = v;
  }
  if(sn && !session_name_ok(sn)) {
    jbuf_printf(msg, "profile %s: role_session_name must be 2 to %d of "
                "A-Z a-z 0-9 _+=,.@-", name, SESSION_NAME_MAX);
    return JAN_ECONFIG;
  }
  if(dup_set(&st->arn, p->set[CREDS_SET_ROLE_ARN]) ||
     dup_set(&st->external_id, p->set[CREDS_SET_EXTERNAL_ID]) ||
     dup_set(&st->session, sn))
    return JAN_ENOMEM;
  return JAN_OK;
}

/*
 * Walk the profiles from the one asked for to the source of the first
 * role: fills a->step[] (outermost first) and the source.  JAN_ENOENT when
 * the profile has no role_arn.
 */
static int resolve(struct assume *a, const char *name, struct jbuf *msg)
{
  char cur[JAN_PROFILE_NAME_MAX];
  int rc = JAN_OK;

  snprintf(cur, sizeof(cur), "%s", name);
  for(;;) {
    struct creds_profile p;
    const char *sp, *cs;

    rc = creds_profile_read(cur, &p, msg);
    if(rc)
      return rc;
    if(!p.set[CREDS_SET_ROLE_ARN]) {
      creds_profile_free(&p);
      if(!a->nsteps) {
        jbuf_printf(msg, "assume role (profile %s: no role_arn)", cur);
        return JAN_ENOENT;
      }
      /* The source of the innermost role: this profile's own
       * credentials (web identity, SSO, credential_process or keys). */
      a->src = SRC_PROFILE;
      snprintf(a->srcname, sizeof(a->srcname), "%s", cur);
      return JAN_OK;
    }
    if(a->nsteps == CREDS_ROLE_CHAIN_MAX) {
      creds_profile_free(&p);
      jbuf_printf(msg, "profile %s: more than %d roles chained by "
                  "source_profile", name, CREDS_ROLE_CHAIN_MAX);
      return JAN_ECONFIG;
    }
    sp = p.set[CREDS_SET_SOURCE_PROFILE];
    cs = p.set[CREDS_SET_CREDENTIAL_SOURCE];
    if(!sp && !cs && p.set[CREDS_SET_WEB_IDENTITY_TOKEN_FILE]) {
      creds_profile_free(&p);
      if(a->nsteps) {           /* a source_profile with web identity */
        a->src = SRC_PROFILE;
        snprintf(a->srcname, sizeof(a->srcname), "%s", cur);
        return JAN_OK;
      }
      jbuf_printf(msg, "assume role (profile %s: web identity)", cur);
      return JAN_ENOENT;
    }
    rc = make_step(&a->step[a->nsteps++], cur, &p, msg);
    if(!rc && sp && cs) {
      jbuf_printf(msg, "profile %s sets both source_profile and "
                  "credential_source: choose one", cur);
      rc = JAN_ECONFIG;
    }
    else if(!rc && !sp && !cs) {
      jbuf_printf(msg, "profile %s sets role_arn without source_profile "
                  "or credential_source", cur);
      rc = JAN_ECONFIG;
    }
    else if(!rc && cs) {
      if(!strcmp(cs, "Environment"))
        a->src = SRC_ENV;
      else if(!strcmp(cs, "Ec2InstanceMetadata"))
        a->src = SRC_IMDS;
      else if(!strcmp(cs, "EcsContainer"))
        a->src = SRC_CONTAINER;
      else {
        jbuf_printf(msg, "profile %s: credential_source must be "
                    "Environment, Ec2InstanceMetadata or EcsContainer", cur);
        rc = JAN_ECONFIG;
      }
      snprintf(a->srcname, sizeof(a->srcname), "%s", cs);
      creds_profile_free(&p);
      return rc;
    }
    else if(!rc) {
      for(size_t i = 0; i < a->nsteps && !rc; i++) {
        if(strcmp(a->step[i].profile, sp) != 0)
          continue;
        jbuf_printf(msg, "profile %s: source_profile loop:", name);
        for(size_t j = 0; j < a->nsteps; j++)
          jbuf_printf(msg, " %s ->", a->step[j].profile);
        jbuf_printf(msg, " %s", sp);
        rc = JAN_ECONFIG;
      }
      snprintf(cur, sizeof(cur), "%s", sp);
    }
    creds_profile_free(&p);
    if(rc)
      return rc;
  }
}

/* The outermost role's answer, through the chains of the roles. */
static void roles_answered(void *arg, int rc, const struct aws_creds *c,
                           const char *msg)
{
  struct assume *a = arg;
  struct aws_creds out;

  if(a->dead)
    return;
  if(rc) {
    answer(a, rc, NULL, msg);
    return;
  }
  if(creds_copy(&out, c)) {
    answer(a, JAN_ENOMEM, NULL, "assume role: out of memory");
    return;
  }
  out.source = a->source;
  answer(a, JAN_OK, &out, NULL);
  creds_free(&out);
}

/* Each role, innermost first, one STS provider signed by the chain of the
 * one before (the first by inner, which hands out the source's), then the
 * outermost asked. */
static void assume_roles(struct assume *a)
{
  struct creds_chain *signer = a->inner;
  char what[JAN_MSG_MAX];

  creds_chain_invalidate(a->inner);
  for(size_t i = 0; i < a->nsteps; i++) {
    const struct role_step *st = &a->step[a->nsteps - 1 - i];
    struct creds_sts_role role = {
      .arn = st->arn, .external_id = st->external_id, .session = st->session,
      .duration = st->duration, .region = st->region, .what = what,
      .source = i + 1 == a->nsteps ? a->source : "an assumed role (chained)"
    };
    struct creds_chain *ch;

    snprintf(what, sizeof(what), "assume role %s (profile %s)", st->arn,
             st->profile);
    if(creds_chain_new(&ch)) {
      answer(a, JAN_ENOMEM, NULL, "assume role: out of memory");
      return;
    }
    a->role[a->nrole++] = ch;
    creds_chain_set_quiet(ch);
    if(creds_chain_add(ch, creds_provider_sts(&role, signer, &a->opts))) {
      answer(a, JAN_ENOMEM, NULL, "assume role: out of memory");
      return;
    }
    signer = ch;
  }
  creds_chain_get(signer, roles_answered, a);
}

static void source_answered(void *arg, int rc, const struct aws_creds *c,
                            const char *msg)
{
  struct assume *a = arg;
  char m[JAN_MSG_MAX + 512];

  if(a->dead)
    return;
  if(rc == JAN_OK) {
    creds_free(&a->cur);
    if(creds_copy(&a->cur, c)) {
      answer(a, JAN_ENOMEM, NULL, "assume role: out of memory");
      return;
    }
    /* c->source belongs to a provider that may go with the chain below. */
    a->cur.source = "a role's source credentials";
    if(a->srcchain) {           /* done with it (allowed from its callback) */
      struct creds_chain *sc = a->srcchain;
      a->srcchain = NULL;
      creds_chain_free(sc);
    }
    assume_roles(a);
    return;
  }
  snprintf(m, sizeof(m), "profile %s: no credentials from the source of "
           "role %s (%s%s): %s", a->step[0].profile,
           a->step[a->nsteps - 1].arn,
           a->src == SRC_PROFILE ? "source_profile " : "credential_source ",
           a->srcname, msg ? msg : jan_strerror(rc));
  answer(a, rc == JAN_ECANCELED ? rc : rc == JAN_ENOENT ? JAN_ECONFIG : rc,
         NULL, m);
}

/* ---- web identity -------------------------------------------------------- */

/* The token file is read at every fetch: it rotates. */
#define WEB_TOKEN_MAX 16384

/* The token in the file at path, trailing blanks dropped: JAN_OK with
 * *out (caller wipes *outlen + 1 bytes, frees), else why, naming it. */
static int read_token(const char *path, char **out, size_t *outlen,
                      struct jbuf *why)
{
  char *t;
  size_t n;
  int rc = fsafe_read_file(path, WEB_TOKEN_MAX, FSAFE_READ_WIPE, &t, &n,
                           NULL, why);

  if(rc == JAN_ENOENT)
    jbuf_printf(why, "%s: no such file", path);
  if(rc)
    return rc;
  *out = t;
  *outlen = n;
  while(n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' ||
              t[n - 1] == '\t'))
    t[--n] = '\0';
  if(!n) {
    jbuf_printf(why, "%s: empty", path);
    return JAN_EPARSE;
  }
  return JAN_OK;
}

static void web_assumed(void *arg, const struct aws_response *r, void *res)
{
  struct assume *a = arg;
  const struct role_step *st = &a->step[0];
  char what[JAN_MSG_MAX], msg[JAN_MSG_MAX + 512];
  struct aws_creds c;

  a->calling = 0;
  if(a->dead) {
    if(!a->client)              /* destroy() is done with us */
      free(a);
    return;
  }
  if(!res) {
    aws_describe_error(r, "AssumeRoleWithWebIdentity", what, sizeof(what));
    snprintf(msg, sizeof(msg), "web identity role %s (profile %s): %s",
             st->arn, st->profile, what);
    answer(a, r->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ECREDS, NULL,
           msg);
    return;
  }
  jlog_debug(TAG, "assumed %s (profile %s)", st->arn, st->profile);
  if(creds_copy(&c, res)) {
    answer(a, JAN_ENOMEM, NULL, "assume role: out of memory");
    return;
  }
  c.source = a->source;
  answer(a, JAN_OK, &c, NULL);
  creds_free(&c);
}

/*
 * AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, else
 * the profile's web_identity_token_file, role_arn, role_session_name: one
 * unsigned sts:AssumeRoleWithWebIdentity.
 */
static void web_fetch(struct assume *a, const char *name)
{
  struct creds_profile p;
  struct jbuf msg, why;
  const char *file, *arn, *sess;
  char *token = NULL, defsess[SESSION_NAME_MAX + 1];
  size_t toklen = 0;
  int rc, from_env;

  jbuf_init(&msg, JAN_MSG_MAX);
  rc = creds_profile_read(name, &p, &msg);
  if(rc)
    goto out;
  file = creds_env_value("AWS_WEB_IDENTITY_TOKEN_FILE");
  from_env = file != NULL;
  arn = from_env ? creds_env_value("AWS_ROLE_ARN") : p.set[CREDS_SET_ROLE_ARN];
  sess = from_env ? creds_env_value("AWS_ROLE_SESSION_NAME")
                  : p.set[CREDS_SET_ROLE_SESSION_NAME];
  if(!file)
    file = p.set[CREDS_SET_WEB_IDENTITY_TOKEN_FILE];
  if(!file) {
    rc = JAN_ENOENT;
    jbuf_printf(&msg, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set, "
                "profile %s: no web_identity_token_file)", name);
    goto out;
  }
  if(!arn) {
    rc = JAN_ECONFIG;
    jbuf_printf(&msg, "web identity: %s without %s",
                from_env ? "AWS_WEB_IDENTITY_TOKEN_FILE" :
                "web_identity_token_file", from_env ? "AWS_ROLE_ARN"
                                                    : "role_arn");
    goto out;
  }
  if(sess && !session_name_ok(sess)) {
    rc = JAN_ECONFIG;
    jbuf_printf(&msg, "web identity: the role session name must be 2 to %d "
                "of A-Z a-z 0-9 _+=,.@-", SESSION_NAME_MAX);
    goto out;
  }
  jbuf_init(&why, JAN_MSG_MAX);
  rc = read_token(file, &token, &toklen, &why);
  if(rc)
    jbuf_printf(&msg, "web identity: cannot read the token file: %s",
                jbuf_str(&why));
  jbuf_free(&why);
  if(rc) {
    rc = rc == JAN_ENOMEM ? JAN_ENOMEM : JAN_ECREDS;
    goto out;
  }
  snprintf(defsess, sizeof(defsess), "remotion-janitor-%lld",
           (long long)time(NULL));
  snprintf(a->source, sizeof(a->source), "web-identity:%s", arn);
  snprintf(a->step[0].profile, sizeof(a->step[0].profile), "%s", name);
  sts_region(&p, a->step[0].region, sizeof(a->step[0].region));
  rc = dup_set(&a->step[0].arn, arn);
  a->nsteps = 1;
  if(!rc) {
    a->calling = 1;
    rc = creds_sts_assume_role_with_web_identity(
        a->client, a->step[0].region, arn, sess ? sess : defsess, token,
        web_assumed, a);
    if(rc)
      a->calling = 0;
  }
out:
  if(token) {
    explicit_bzero(token, toklen + 1);
    free(token);
  }
  creds_profile_free(&p);
  if(rc && !a->calling)
    answer(a, rc, NULL, msg.len ? jbuf_str(&msg) : jan_strerror(rc));
  jbuf_free(&msg);
}

static void assume_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct assume *a = (struct assume *)self;
  struct creds_provider *src = NULL;
  struct jbuf msg;
  const char *name = a->profile ? a->profile : creds_env_value("AWS_PROFILE");
  int rc;

  if(!name)
    name = "default";
  a->cb = cb;
  a->arg = arg;
  roles_free(a);
  if(a->web_identity) {
    web_fetch(a, name);
    return;
  }
  jbuf_init(&msg, JAN_MSG_MAX);
  rc = resolve(a, name, &msg);
  if(rc) {
    answer(a, rc, NULL, msg.len ? jbuf_str(&msg) : jan_strerror(rc));
    jbuf_free(&msg);
    return;
  }
  jbuf_free(&msg);
  snprintf(a->source, sizeof(a->source), "assume-role:%s", name);
  jlog_debug(TAG, "profile %s: assuming %zu role%s from %s", name,
             a->nsteps, a->nsteps == 1 ? "" : "s", a->srcname);
  switch(a->src) {
  case SRC_ENV: src = a->env; break;
  case SRC_IMDS: src = a->imds; break;
  case SRC_CONTAINER: src = a->container; break;
  case SRC_PROFILE:
    /* As botocore resolves a source profile: web identity, SSO,
     * credential_process, then its keys. */
    rc = creds_chain_new(&a->srcchain);
    if(!rc)
      creds_chain_set_quiet(a->srcchain);
    if(!rc)
      rc = creds_chain_add(a->srcchain,
                           creds_provider_web_identity(a->srcname, &a->opts));
    if(!rc)
      rc = creds_chain_add(a->srcchain,
                           creds_provider_sso(a->srcname, a->opts.http,
                                              a->opts.endpoint_url));
    if(!rc)
      rc = creds_chain_add(a->srcchain,
                           creds_provider_process(a->srcname, a->opts.loop));
    if(!rc)
      rc = creds_chain_add(a->srcchain, creds_provider_profile(a->srcname));
    if(rc) {
      answer(a, rc, NULL, "assume role: out of memory");
      return;
    }
    creds_chain_get(a->srcchain, source_answered, a);
    return;
  }
  if(!src) {
    answer(a, JAN_ENOMEM, NULL, "assume role: out of memory");
    return;
  }
  src->fetch(src, source_answered, a);
}

static void assume_destroy(struct creds_provider *self)
{
  struct assume *a = (struct assume *)self;

  /* Dead first: the chains freed below answer their waiters (ours). */
  a->dead = 1;
  answer(a, JAN_ECANCELED, NULL, "credentials: shutting down");
  roles_free(a);
  if(a->env)
    a->env->destroy(a->env);
  if(a->imds)
    a->imds->destroy(a->imds);
  if(a->container)
    a->container->destroy(a->container);
  if(a->client) {
    struct aws_client *c = a->client;
    aws_client_free(c);         /* a call out ends with JAN_ECANCELED */
    a->client = NULL;
  }
  if(a->inner)
    creds_chain_free(a->inner);
  free(a->profile);
  free(a->endpoint_url);
  if(!a->calling)
    free(a);
}

static struct creds_provider *assume_new(const char *profile,
                                         const struct creds_sts_opts *o,
                                         int web_identity)
{
  struct assume *a = calloc(1, sizeof(*a));
  struct holder *h = NULL;

  if(!a)
    return NULL;
  a->web_identity = web_identity;
  a->opts = *o;
  if(o->endpoint_url && !(a->endpoint_url = strdup(o->endpoint_url))) {
    free(a);
    return NULL;
  }
  a->opts.endpoint_url = a->endpoint_url;
  a->base.name = web_identity ? "web identity" : "assume role";
  a->base.fetch = assume_fetch;
  a->base.destroy = assume_destroy;
  creds_init(&a->cur);
  if(profile && *profile && !(a->profile = strdup(profile)))
    goto fail;
  a->env = creds_provider_env();
  a->imds = creds_provider_imds(o->http);
  a->container = creds_provider_container(o->http);
  if(!a->env || !a->imds || !a->container)
    goto fail;
  if(creds_chain_new(&a->inner))
    goto fail;
  creds_chain_set_quiet(a->inner);
  h = calloc(1, sizeof(*h));
  if(!h)
    goto fail;
  h->base.name = "assume role source";
  h->base.fetch = holder_fetch;
  h->base.destroy = holder_destroy;
  h->a = a;
  if(creds_chain_add(a->inner, &h->base))
    goto fail;
  if(creds_sts_client(o, a->inner, &a->client))
    goto fail;
  return &a->base;
fail:
  assume_destroy(&a->base);
  return NULL;
}

struct creds_provider *creds_provider_assume_role(const char *profile,
                                                  const struct creds_sts_opts *o)
{
  return assume_new(profile, o, 0);
}

struct creds_provider *creds_provider_web_identity(const char *profile,
                                                   const struct creds_sts_opts *o)
{
  return assume_new(profile, o, 1);
}

