/*
 * The configuration: loaded for the CLI and the daemon alike
 * (service_load_config), and reloaded on SIGHUP, which applies a new
 * configuration whole or keeps the old one, saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "janitor/caps.h"
#include "janitor/log.h"
#include "notify.h"
#include "service_int.h"

#define TAG "service"

static int str_eq(const char *a, const char *b)
{
  if(!a || !*a)
    return !b || !*b;
  return b && !strcmp(a, b);
}

/* Settings the runtime is built from: a change means a new runtime. */
static int aws_settings_differ(const struct jan_config *a,
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
  if(o->nregions) {
    for(size_t i = 0; i < cfg->nregions; i++)
      free(cfg->regions[i]);
    cfg->nregions = 0;
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

/* A reload that keeps the old configuration: logged, and kept for STATUS=
 * and `status` until a reload succeeds. */
static void reload_refused(struct service *svc, const char *why)
{
  snprintf(svc->reload_error, sizeof(svc->reload_error), "%s", why);
  jlog_err(TAG, "%s; the old configuration stays in force", why);
}

/* "N errors, the first: FILE:LINE: message" from the loader's lines. */
static void config_errors_summary(const struct jbuf *errs, char *out,
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

void service_on_sighup(uv_signal_t *h, int signum)
{
  struct service *svc = h->data;
  struct cfg_ref *nc;
  struct rt_ref *nrt = NULL;
  struct ctl_server *nctl = NULL;
  struct jbuf errs;
  const struct jan_config *oc = &svc->cfg->c;
  char why[sizeof(svc->reload_error)];
  int rc;

  (void)signum;
  if(svc->stopping)
    return;
  notify_status("RELOADING=1", "reloading the configuration");
  jlog_notice(TAG, "SIGHUP: reloading the configuration");
  if(svc->run)
    service_reopen_audit(svc);
  svc->reload_wall_ms = service_wall_ms();
  nc = cfg_ref_new();
  if(!nc) {
    reload_refused(svc, "out of memory");
    goto ready;
  }
  /* A fresh struct: the config in force stays whole if this one fails. */
  jbuf_init(&errs, JAN_REPORT_MAX);
  rc = service_load_config(svc->opts, &nc->c, &errs);
  if(rc) {
    service_log_lines(JLOG_ERR, &errs);
    jlog_err(TAG, "the new configuration has errors; the old one stays in "
             "force");
    config_errors_summary(&errs, svc->reload_error,
                          sizeof(svc->reload_error));
    jbuf_free(&errs);
    cfg_ref_put(nc);
    goto ready;
  }
  jbuf_free(&errs);

  if(aws_settings_differ(oc, &nc->c)) {
    nrt = rt_ref_open(&svc->loop, &nc->c, &rc);
    if(!nrt) {
      snprintf(why, sizeof(why), "cannot apply the new [aws] settings: %s",
               jan_strerror(rc));
      reload_refused(svc, why);
      cfg_ref_put(nc);
      goto ready;
    }
  }
  if(strcmp(oc->socket, nc->c.socket)) {
    struct jbuf e;
    jbuf_init(&e, JAN_MSG_MAX);
    rc = ctl_server_open(&svc->loop, nc->c.socket, nc->c.socket_mode,
                         &service_ctl_ops, svc, &nctl, &e);
    if(rc) {
      reload_refused(svc, jbuf_str(&e));
      jbuf_free(&e);
      rt_ref_put(nrt);
      cfg_ref_put(nc);
      goto ready;
    }
    jbuf_free(&e);
  }
  else if(oc->socket_mode != nc->c.socket_mode) {
    struct jbuf e;
    jbuf_init(&e, JAN_MSG_MAX);
    if(ctl_server_chmod(svc->ctl, nc->c.socket_mode, &e))
      jlog_err(TAG, "%s", jbuf_str(&e));
    jbuf_free(&e);
  }

  /* Commit.  A sweep in progress keeps its own references. */
  if(nrt) {
    rt_ref_put(svc->rt);
    svc->rt = nrt;
  }
  if(nctl) {
    jlog_notice(TAG, "status socket moved from %s to %s",
                ctl_server_path(svc->ctl), ctl_server_path(nctl));
    ctl_server_close(svc->ctl);
    svc->ctl = nctl;
  }
  cfg_ref_put(svc->cfg);
  svc->cfg = nc;
  svc->reload_error[0] = '\0';
  jlog_notice(TAG, "configuration reloaded%s%s%s",
              nc->c.path ? " from " : "", nc->c.path ? nc->c.path : "",
              svc->run ? "; the sweep in progress finishes under the old one"
                       : "");
  if(!svc->run)
    service_reschedule(svc);
ready:
  service_update_status(svc, "READY=1");
}
