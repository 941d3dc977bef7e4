/*
 * The configuration as the command line asks for it (config_load.h):
 * loaded for the CLI and the daemon alike, and what a reload would change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "janitor/aws.h"
#include "janitor/caps.h"
#include "janitor/endpoint.h"
#include "janitor/log.h"
#include "janitor/untrusted.h"
#include "config_load.h"

static int str_eq(const char *a, const char *b)
{
  if(!a || !*a)
    return !b || !*b;
  return b && !strcmp(a, b);
}

/* Settings the runtime is built from: a change means a new runtime. */
int config_aws_differ(const struct jan_config *a,
                      const struct jan_config *b)
{
  return !str_eq(a->profile, b->profile) ||
         !str_eq(a->endpoint_url, b->endpoint_url) ||
         !str_eq(a->ca_bundle, b->ca_bundle) ||
         a->max_attempts != b->max_attempts ||
         a->connect_timeout_ms != b->connect_timeout_ms ||
         a->request_timeout_ms != b->request_timeout_ms ||
         a->concurrency != b->concurrency ||
         a->host_concurrency != b->host_concurrency;
}

/* The environment's endpoint overrides obey endpoint_url's rule; they
 * count only when endpoint_url is not set, as aws.c and creds_sso.c read
 * them.  Each refusal is one line of errs; the value is quoted only when
 * it cannot hold a password. */
static int endpoint_env_check(const struct jan_config *cfg, struct jbuf *errs)
{
  static const char *const others[] = { ENDPOINT_ENV_SSO, ENDPOINT_ENV_ALL };
  int rc = JAN_OK;

  if(cfg->endpoint_url && cfg->endpoint_url[0])
    return JAN_OK;
  for(size_t i = 0; i < AWS_SVC_COUNT + JAN_ARRAY_SIZE(others); i++) {
    const char *name = i < AWS_SVC_COUNT ? aws_svc_env[i]
                       : others[i - AWS_SVC_COUNT];
    const char *v = getenv(name), *why;
    bool quote;

    if(!v || !*v || !(why = endpoint_url_refusal(v, &quote)))
      continue;
    if(quote) {
      char shown[256];
      untrusted_display(shown, sizeof(shown), v, strlen(v));
      jbuf_printf(errs, "%s (environment): '%s' %s\n", name, shown, why);
    }
    else
      jbuf_printf(errs, "%s (environment): the URL %s\n", name, why);
    rc = JAN_ECONFIG;
  }
  return rc;
}

int service_load_config(const struct service_opts *o, struct jan_config *cfg,
                        struct jbuf *errs)
{
  const char *path = o->config;
  struct stat st;
  int rc;

  rc = config_defaults(cfg);
  if(rc) {
    jbuf_printf(errs, "%s\n", jan_strerror(rc));
    return rc;
  }
  if(!path && stat(JAN_DEFAULT_CONFIG, &st) == 0)
    path = JAN_DEFAULT_CONFIG;
  if(path) {
    rc = config_load_flags(cfg, path,
                           o->check_paths ? CONFIG_CHECK_PATHS : 0, errs);
    if(rc) {
      if(!errs->len)
        jbuf_printf(errs, "%s: %s\n", path, jan_strerror(rc));
      return rc;
    }
  }
  rc = endpoint_env_check(cfg, errs);
  if(rc)
    return rc;
  if(o->nregions) {
    for(size_t i = 0; i < cfg->nregions; i++)
      free(cfg->regions[i]);
    cfg->nregions = 0;
    /* --region is every account's regions. */
    for(size_t a = 0; a < cfg->naccounts; a++) {
      for(size_t i = 0; i < cfg->accounts[a].nregions; i++)
        free(cfg->accounts[a].regions[i]);
      cfg->accounts[a].nregions = 0;
    }
    for(size_t i = 0; i < o->nregions && i < JAN_MAX_REGIONS; i++) {
      if(!config_region_known(o->regions[i])) {
        jbuf_printf(errs, "--region %s: not one of Remotion's regions\n",
                    o->regions[i]);
        return JAN_ECONFIG;
      }
      cfg->regions[cfg->nregions] = strdup(o->regions[i]);
      if(!cfg->regions[cfg->nregions])
        return JAN_ENOMEM;
      cfg->nregions++;
    }
  }
  if(o->profile) {
    free(cfg->profile);
    cfg->profile = strdup(o->profile);
    if(!cfg->profile)
      return JAN_ENOMEM;
  }
  if(o->shard &&
     config_parse_shard(o->shard, &cfg->shard_index, &cfg->shard_count)) {
    jbuf_printf(errs, "--shard %s: not I/N with 1 <= I <= N <= %d (shard I "
                "of N, counted from 1)\n", o->shard, JAN_SHARDS_MAX);
    return JAN_ECONFIG;
  }
  if(o->socket) {
    free(cfg->socket);
    cfg->socket = strdup(o->socket);
    if(!cfg->socket)
      return JAN_ENOMEM;
  }
  return JAN_OK;
}

void service_log_lines(int level, const struct jbuf *errs)
{
  const char *p = jbuf_str(errs);
  while(*p) {
    size_t n = strcspn(p, "\n");
    if(n)
      jlog(level, "config", "%.*s", (int)n, p);
    p += n;
    if(*p)
      p++;
  }
}

/* "N errors, the first: FILE:LINE: message" from the loader's lines. */
void config_errors_summary(const struct jbuf *errs, char *out,
                                  size_t len)
{
  const char *p = jbuf_str(errs);
  size_t first = strcspn(p, "\n"), n = 0;
  for(const char *q = p; *q; q++)
    if(*q == '\n' && q[1])
      n++;
  n++;
  snprintf(out, len, "the new configuration has %zu error%s%s%.*s", n,
           n == 1 ? "" : "s", n == 1 ? ": " : ", the first: ", (int)first,
           p);
}
