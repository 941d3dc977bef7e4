/*
 * An [account] section's credentials (creds_role.h): sts:AssumeRole on its
 * role_arn, signed by the [aws] credentials.  The external id, like every
 * secret, never reaches a message.  Also the chains built of providers:
 * a profile's own, and the standard one (creds_sts.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/aws.h"
#include "janitor/creds_process.h"
#include "janitor/creds_remote.h"
#include "janitor/creds_role.h"
#include "janitor/creds_sso.h"
#include "janitor/log.h"

#define TAG "creds"
#define STS_DEFAULT_REGION "us-east-1"
#define ROLE_MSG_MAX (AWS_DESCRIBE_MAX + 1024)

struct role {
  struct creds_provider base;   /* first: the chain sees only this */
  char *arn;
  char *external_id;            /* NULL: none; never in a message */
  char *label;
  char source[512];             /* "LABEL: role ARN" */
  char region[64];
  struct aws_client *client;    /* signs with the source chain */
  creds_cb cb;                  /* the fetch in flight */
  void *arg;
  int calling;                  /* an AssumeRole is out */
  int dead;                     /* destroyed while it was */
};

static const char *env_nonempty(const char *name)
{
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static void answer(struct role *r, int rc, const struct aws_creds *c,
                   const char *msg)
{
  creds_cb cb = r->cb;
  void *arg = r->arg;
  r->cb = NULL;
  r->arg = NULL;
  if(cb)
    cb(arg, rc, c, msg);
}

static void assumed(void *arg, const struct aws_response *resp, void *res)
{
  struct role *r = arg;
  char what[AWS_DESCRIBE_MAX], msg[ROLE_MSG_MAX];
  struct aws_creds c;

  r->calling = 0;
  if(r->dead) {
    if(!r->client)              /* destroy() is done with us */
      free(r);
    return;
  }
  if(!res) {
    aws_describe_error(resp, "AssumeRole", what, sizeof(what));
    snprintf(msg, sizeof(msg), "%s: cannot assume role %s: %s", r->label,
             r->arn, what);
    answer(r, resp->err == JAN_ECANCELED ? JAN_ECANCELED : JAN_ECREDS, NULL,
           msg);
    return;
  }
  if(creds_copy(&c, res)) {
    answer(r, JAN_ENOMEM, NULL, "assume role: out of memory");
    return;
  }
  c.source = r->source;
  jlog_debug(TAG, "%s: assumed %s", r->label, r->arn);
  answer(r, JAN_OK, &c, NULL);
  creds_free(&c);
}

static void role_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct role *r = (struct role *)self;
  int rc;

  r->cb = cb;
  r->arg = arg;
  r->calling = 1;
  rc = creds_sts_assume_role(r->client, r->region, r->arn, NULL,
                             r->external_id, 0, assumed, r);
  if(rc) {
    r->calling = 0;
    answer(r, rc, NULL, "assume role: cannot send AssumeRole");
  }
}

static void role_destroy(struct creds_provider *self)
{
  struct role *r = (struct role *)self;

  answer(r, JAN_ECANCELED, NULL, "credentials: shutting down");
  r->dead = 1;
  if(r->client) {
    struct aws_client *c = r->client;
    aws_client_free(c);         /* a call out ends with JAN_ECANCELED */
    r->client = NULL;
  }
  free(r->arn);
  if(r->external_id)
    explicit_bzero(r->external_id, strlen(r->external_id));
  free(r->external_id);
  free(r->label);
  r->arn = r->external_id = r->label = NULL;
  if(!r->calling)
    free(r);
}

struct creds_provider *creds_provider_role(const char *role_arn,
                                           const char *external_id,
                                           const char *label,
                                           struct creds_chain *source,
                                           const struct creds_sts_opts *o)
{
  struct role *r = calloc(1, sizeof(*r));
  const char *region = env_nonempty("AWS_REGION");

  if(!r)
    return NULL;
  r->base.name = "assume role";
  r->base.fetch = role_fetch;
  r->base.destroy = role_destroy;
  if(!region)
    region = env_nonempty("AWS_DEFAULT_REGION");
  snprintf(r->region, sizeof(r->region), "%s",
           region ? region : STS_DEFAULT_REGION);
  snprintf(r->source, sizeof(r->source), "%s: role %s", label, role_arn);
  r->arn = strdup(role_arn);
  r->label = strdup(label);
  if(external_id)
    r->external_id = strdup(external_id);
  if(!r->arn || !r->label || (external_id && !r->external_id))
    goto fail;
  if(creds_sts_client(o, source, &r->client))
    goto fail;
  return &r->base;
fail:
  role_destroy(&r->base);
  return NULL;
}

int creds_chain_add_profile(struct creds_chain *ch, const char *profile,
                            const struct creds_sts_opts *o)
{
  int rc = creds_chain_add(ch, creds_provider_assume_role(profile, o));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_web_identity(profile, o));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_sso(profile, o->http,
                                                o->endpoint_url));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_process(profile, o->loop));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_profile(profile));
  return rc;
}

/* The chains are assembled here, above every provider: the core
 * (creds.c) names none of them. */
int creds_chain_add_static(struct creds_chain *ch, const char *profile)
{
  int rc = creds_chain_add(ch, creds_provider_env());
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_profile(profile));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_systemd(profile));
  return rc;
}

int creds_chain_add_standard(struct creds_chain *ch, const char *profile,
                             const struct creds_sts_opts *o)
{
  int rc = creds_chain_add(ch, creds_provider_env());
  if(!rc)
    rc = creds_chain_add_profile(ch, profile, o);
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_systemd(profile));
  if(!rc)
    rc = creds_chain_add_remote(ch, o->http);
  return rc;
}
