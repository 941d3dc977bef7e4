#include <stdlib.h>
#include <string.h>

#include "janitor/creds_sts.h"
#include "janitor/log.h"
#include "runtime.h"

int runtime_open(struct runtime *rt, uv_loop_t *loop,
                 const struct jan_config *cfg)
{
  struct http_opts ho;
  struct aws_client_opts ao;
  struct creds_sts_opts so;
  const char *ca = cfg->ca_bundle;
  const char *base;
  int rc;

  memset(rt, 0, sizeof(*rt));
  rt->loop = loop;
  if(!ca || !*ca)
    ca = getenv("AWS_CA_BUNDLE");
  memset(&ho, 0, sizeof(ho));
  ho.concurrency = cfg->concurrency;
  ho.host_concurrency = cfg->host_concurrency;
  ho.connect_timeout_ms = cfg->connect_timeout_ms;
  ho.request_timeout_ms = cfg->request_timeout_ms;
  ho.ca_bundle = ca && *ca ? ca : NULL;
  ho.max_body = 16u * 1024 * 1024;
  rc = http_engine_new(loop, &ho, &rt->http);
  if(rc)
    goto fail;
  rc = creds_chain_new(&rt->creds);
  if(rc)
    goto fail;
  memset(&ao, 0, sizeof(ao));
  ao.loop = loop;
  ao.http = rt->http;
  ao.creds = rt->creds;
  ao.max_attempts = cfg->max_attempts;
  ao.endpoint_url = cfg->endpoint_url;
  ao.regions = (const char *const *)cfg->regions;
  ao.nregions = cfg->nregions;
  /* Tests shorten the backoff base (the SDK default is one second). */
  base = getenv("REMOTION_JANITOR_RETRY_BASE_MS");
  if(base && *base)
    ao.retry_base_ms = strtoull(base, NULL, 10);
  so.loop = loop;
  so.http = rt->http;
  so.endpoint_url = cfg->endpoint_url;
  so.max_attempts = cfg->max_attempts;
  so.retry_base_ms = ao.retry_base_ms;
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
