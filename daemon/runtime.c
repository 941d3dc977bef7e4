#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/creds_sts.h"
#include "janitor/fsafe.h"
#include "janitor/log.h"
#include "runtime.h"

/* The options of the AWS clients and of the STS calls behind credentials:
 * one place for both, for [aws] and every [account]. */
static void client_opts(const struct runtime *rt, const struct jan_config *cfg,
                        struct aws_client_opts *ao, struct creds_sts_opts *so)
{
  const char *base;

  memset(ao, 0, sizeof(*ao));
  ao->loop = rt->loop;
  ao->http = rt->http;
  ao->creds = rt->creds;
  ao->max_attempts = cfg->max_attempts;
  ao->endpoint_url = cfg->endpoint_url;
  ao->regions = (const char *const *)cfg->regions;
  ao->nregions = cfg->nregions;
  /* Tests shorten the backoff base (the SDK default is one second). */
  base = getenv("REMOTION_JANITOR_RETRY_BASE_MS");
  if(base && *base)
    ao->retry_base_ms = strtoull(base, NULL, 10);
  memset(so, 0, sizeof(*so));
  so->loop = rt->loop;
  so->http = rt->http;
  so->endpoint_url = cfg->endpoint_url;
  so->max_attempts = cfg->max_attempts;
  so->retry_base_ms = ao->retry_base_ms;
}

int runtime_open(struct runtime *rt, uv_loop_t *loop,
                 const struct jan_config *cfg)
{
  struct http_opts ho;
  struct aws_client_opts ao;
  struct creds_sts_opts so;
  const char *ca = cfg->ca_bundle;
  char *pem = NULL;
  size_t pem_len = 0;
  int rc;

  memset(rt, 0, sizeof(*rt));
  rt->loop = loop;
  if(!ca || !*ca)
    ca = getenv("AWS_CA_BUNDLE");
  if(ca && *ca) {
    /* Read here, safely (a named pipe or a device is refused, not waited
     * on); curl gets these bytes, never the path. */
    struct jbuf why;
    jbuf_init(&why, JAN_MSG_MAX);
    rc = fsafe_read_file(ca, HTTP_CA_BUNDLE_MAX, 0, &pem, &pem_len, NULL,
                         &why);
    if(rc == JAN_ENOENT)
      jbuf_printf(&why, "%s: cannot open: %s", ca, strerror(ENOENT));
    if(rc)
      jlog_err("main", "%s %s", cfg->ca_bundle && *cfg->ca_bundle ?
               "ca_bundle:" : "AWS_CA_BUNDLE:", jbuf_str(&why));
    jbuf_free(&why);
    if(rc)
      return rc == JAN_ENOMEM ? JAN_ENOMEM : JAN_EIO;
  }
  memset(&ho, 0, sizeof(ho));
  ho.concurrency = cfg->concurrency;
  ho.host_concurrency = cfg->host_concurrency;
  ho.connect_timeout_ms = cfg->connect_timeout_ms;
  ho.request_timeout_ms = cfg->request_timeout_ms;
  ho.ca_pem = pem;
  ho.ca_pem_len = pem_len;
  ho.max_body = 16u * 1024 * 1024;
  rc = http_engine_new(loop, &ho, &rt->http);
  free(pem);
  if(rc)
    goto fail;
  rc = creds_chain_new(&rt->creds);
  if(rc)
    goto fail;
  client_opts(rt, cfg, &ao, &so);
  rc = creds_chain_add_standard(rt->creds, cfg->profile, &so);
  if(rc)
    goto fail;
  rc = aws_client_new(&ao, &rt->aws);
  if(rc)
    goto fail;
  return JAN_OK;
fail:
  runtime_close(rt);
  return rc;
}

void runtime_close(struct runtime *rt)
{
  if(rt->aws)
    aws_client_free(rt->aws);
  if(rt->creds)
    creds_chain_free(rt->creds);
  if(rt->http)
    http_engine_free(rt->http);
  rt->aws = NULL;
  rt->creds = NULL;
  rt->http = NULL;
}

int runtime_open_account(struct runtime *rt, const struct runtime *base,
                         const struct jan_config *view,
                         const struct jan_account *acct)
{
  struct aws_client_opts ao;
  struct creds_sts_opts so;
  char what[JAN_ACCOUNT_NAME_MAX + 2048], source[JAN_ACCOUNT_NAME_MAX + 2048];
  int rc = JAN_OK;

  memset(rt, 0, sizeof(*rt));
  rt->loop = base->loop;
  rt->http = base->http;
  rt->creds = base->creds;
  client_opts(rt, view, &ao, &so);
  if(acct->role_arn || acct->profile) {
    rc = creds_chain_new(&rt->creds);
    if(rc)
      goto fail;
    if(acct->role_arn) {
      /* The one STS provider, signed by the [aws] credentials, refreshed
       * by this chain: a section's role and an organization member's. */
      struct creds_sts_role role = {
        .arn = acct->role_arn, .external_id = acct->external_id,
        .what = what, .source = source
      };
      snprintf(what, sizeof(what), "account %s: cannot assume role %s",
               acct->name, acct->role_arn);
      snprintf(source, sizeof(source), "account %s: role %s", acct->name,
               acct->role_arn);
      rc = creds_chain_add(rt->creds, creds_provider_sts(&role, base->creds,
                                                         &so));
    }
    else
      rc = creds_chain_add_profile(rt->creds, acct->profile, &so);
    if(rc)
      goto fail;
    rt->owns_creds = 1;
  }
  ao.creds = rt->creds;
  rc = aws_client_new(&ao, &rt->aws);
  if(rc)
    goto fail;
  return JAN_OK;
fail:
  runtime_close_account(rt);
  return rc;
}

void runtime_close_account(struct runtime *rt)
{
  if(rt->aws)
    aws_client_free(rt->aws);
  if(rt->owns_creds && rt->creds)
    creds_chain_free(rt->creds);
  memset(rt, 0, sizeof(*rt));
}
