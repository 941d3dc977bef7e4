/*
 * The accounts of a run (accounts.h): a sweep per account, side by side
 * on one loop.  Each sweep keeps its own guards; this file only builds
 * them, starts and stops them, and says when the last one is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/log.h"
#include "janitor/wire.h"
#include "accounts.h"

#define TAG "accounts"

/* The config as one account sees it: its regions, its account_id. */
static void make_view(struct jan_config *view, const struct jan_config *cfg,
                      const struct jan_account *acct)
{
  *view = *cfg;
  view->accounts = NULL;
  view->naccounts = 0;
  if(acct->nregions) {
    memcpy(view->regions, acct->regions, sizeof(view->regions));
    view->nregions = acct->nregions;
  }
  memcpy(view->account_id, acct->account_id, sizeof(view->account_id));
}

/* 1 when the account named name is asked for (none asked: all). */
static int wanted(const char *name, const char *const *only, size_t nonly)
{
  if(!nonly)
    return 1;
  for(size_t i = 0; i < nonly; i++)
    if(!strcmp(only[i], name))
      return 1;
  return 0;
}

int accounts_check(const struct jan_config *cfg, const char *const *only,
                   size_t nonly, enum jan_mode mode, struct jbuf *err)
{
  struct jan_account implicit;
  size_t n;
  const struct jan_account *list = accounts_of_config(cfg, &implicit, &n);

  for(size_t i = 0; i < nonly; i++) {
    size_t j = 0;
    while(j < n && strcmp(list[j].name, only[i]))
      j++;
    /* A member of the organization is named by its id; whether it is one
     * is known once the organization is listed (run.c). */
    if(j == n && cfg->org_role_name && wire_org_account_id_valid(only[i]))
      continue;
    if(j == n) {
      if(cfg->naccounts)
        jbuf_printf(err, "--account %s: no [account %s] section in the "
                    "config", only[i], only[i]);
      else
        jbuf_printf(err, "--account %s: without [account] sections the "
                    "only account is \"" ACCOUNTS_DEFAULT_NAME "\"",
                    only[i]);
      return JAN_EINVAL;
    }
  }
  for(size_t j = 0; mode == JAN_MODE_DELETE && j < n; j++) {
    if(list[j].account_id[0] || !wanted(list[j].name, only, nonly))
      continue;
    /* endpoint_accounts = no: a server without accounts (config.c). */
    if(!cfg->naccounts && !cfg->endpoint_accounts)
      continue;
    /* With an organization and no section, the [aws] account is not one
     * of the run (account_list.c). */
    if(!cfg->naccounts && cfg->org_role_name)
      continue;
    if(cfg->naccounts)
      jbuf_printf(err, "account_id must be set in [account %s] before "
                  "anything may be deleted", list[j].name);
    else
      jbuf_addstr(err, "account_id must be set in [aws] before anything "
                  "may be deleted");
    return JAN_EINVAL;
  }
  /* A shard is chosen by account id: each account needs one. */
  for(size_t j = 0; cfg->shard_count && j < n; j++) {
    if(list[j].account_id[0] || (!cfg->naccounts && cfg->org_role_name))
      continue;
    if(cfg->naccounts)
      jbuf_printf(err, "shard %u/%u: [account %s] has no account_id (a "
                  "shard is chosen by account id)", cfg->shard_index,
                  cfg->shard_count, list[j].name);
    else
      jbuf_printf(err, "shard %u/%u: account_id must be set in [aws] (a "
                  "shard is chosen by account id)", cfg->shard_index,
                  cfg->shard_count);
    return JAN_EINVAL;
  }
  return JAN_OK;
}

int accounts_open(struct accounts *as, const struct runtime *base,
                  const struct jan_config *cfg, const char *const *only,
                  size_t nonly, struct jbuf *err)
{
  struct jan_account implicit;
  const struct jan_account *list;
  size_t n;
  int rc;

  memset(as, 0, sizeof(*as));
  rc = accounts_check(cfg, only, nonly, JAN_MODE_REPORT, err);
  if(rc)
    return rc;
  list = accounts_of_config(cfg, &implicit, &n);
  if(list == &implicit) {
    /* The list lives in as: the sweeps point at it. */
    rc = accounts_open_list(as, base, cfg, &implicit, 1, only, nonly, err);
    as->implicit = implicit;
    if(as->n)
      as->a[0].acct = &as->implicit;
    return rc;
  }
  return accounts_open_list(as, base, cfg, list, n, only, nonly, err);
}

int accounts_open_list(struct accounts *as, const struct runtime *base,
                       const struct jan_config *cfg,
                       const struct jan_account *list, size_t n,
                       const char *const *only, size_t nonly,
                       struct jbuf *err)
{
  int rc;

  memset(as, 0, sizeof(*as));
  for(size_t i = 0; i < nonly; i++) {
    size_t j = 0;
    while(j < n && strcmp(list[j].name, only[i]))
      j++;
    if(j == n) {
      jbuf_printf(err, "--account %s: not an account of this run", only[i]);
      return JAN_EINVAL;
    }
  }
  as->configured = n;
  as->a = calloc(n ? n : 1, sizeof(*as->a));
  if(!as->a)
    return JAN_ENOMEM;
  for(size_t i = 0; i < n; i++) {
    struct account_sweep *a = &as->a[as->n];
    if(!wanted(list[i].name, only, nonly))
      continue;
    a->owner = as;
    a->acct = &list[i];
    make_view(&a->view, cfg, a->acct);
    rc = runtime_open_account(&a->rt, base, &a->view, a->acct);
    if(rc) {
      jbuf_printf(err, "account %s: cannot start: %s", a->acct->name,
                  jan_strerror(rc));
      return rc;
    }
    a->opened = 1;
    as->n++;
  }
  return JAN_OK;
}

static void one_less(struct accounts *as)
{
  if(--as->running == 0 && as->done)
    as->done(as, as->arg);
}

static void one_done(struct sweep *s, void *arg)
{
  struct account_sweep *a = arg;
  (void)s;
  one_less(a->owner);
}

static int confirm_one(struct sweep *s, void *arg)
{
  struct account_sweep *a = arg;
  return a->owner->confirm(s, a->owner->confirm_arg);
}

void accounts_start(struct accounts *as, enum jan_mode mode,
                    struct state *root, struct audit *audit,
                    enum progress_mode progress, accounts_done_cb done,
                    void *arg)
{
  as->done = done;
  as->arg = arg;
  /* All counted first: a sweep done at once cannot end the run early. */
  as->running = as->n + 1;
  for(size_t i = 0; i < as->n; i++) {
    struct account_sweep *a = &as->a[i];
    int rc;

    sweep_init(&a->sw, &a->rt, &a->view, mode);
    a->started = 1;
    sweep_use_state(&a->sw, root, audit);
    /* Clocks of no known account (a file from before accounts) are this
     * one's only when the config knows no other. */
    a->sw.adopt = as->configured == 1;
    a->sw.confirm = as->confirm ? confirm_one : NULL;
    if(as->trigger)
      a->sw.trigger = as->trigger;
    a->sw.pr.mode = progress;
    a->sw.pr.tty = stderr;
    rc = sweep_start(&a->sw, one_done, a);
    if(rc) {
      snprintf(a->sw.message, sizeof(a->sw.message), "cannot start the "
               "sweep: %s", jan_strerror(rc));
      a->sw.exit_code = EXIT_INCOMPLETE;
      as->running--;
    }
  }
  one_less(as);
}

int accounts_done(const struct accounts *as)
{
  return as->running == 0;
}

void accounts_drain(struct accounts *as)
{
  for(size_t i = 0; i < as->n; i++)
    if(as->a[i].opened)
      aws_client_drain(as->a[i].rt.aws);
}

void accounts_cancel(struct accounts *as)
{
  for(size_t i = 0; i < as->n; i++)
    if(as->a[i].opened)
      aws_client_shutdown(as->a[i].rt.aws);
}

int accounts_exit_code(const struct accounts *as)
{
  int *codes = calloc(as->n ? as->n : 1, sizeof(*codes));
  int code;

  if(!codes)
    return EXIT_INCOMPLETE;
  for(size_t i = 0; i < as->n; i++)
    codes[i] = as->a[i].sw.exit_code;
  code = run_code_combine(codes, as->n);
  free(codes);
  return code;
}

struct account_result *accounts_results(const struct accounts *as)
{
  struct account_result *r = calloc(as->n ? as->n : 1, sizeof(*r));

  for(size_t i = 0; r && i < as->n; i++) {
    const struct sweep *s = &as->a[i].sw;
    r[i].name = as->a[i].acct->name;
    r[i].inv = &s->inv;
    r[i].exit_code = s->exit_code;
    r[i].error = s->exit_code && s->message[0] ? s->message : NULL;
    r[i].record = s->record;
  }
  return r;
}

void accounts_close(struct accounts *as)
{
  for(size_t i = 0; i < as->n; i++) {
    if(as->a[i].started)
      sweep_free(&as->a[i].sw);
    if(as->a[i].opened)
      runtime_close_account(&as->a[i].rt);
  }
  free(as->a);
  memset(as, 0, sizeof(*as));
}
