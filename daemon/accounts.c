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
  return accounts_open_list(as, base, cfg, list, n, only, nonly, err);
}

int accounts_open_list(struct accounts *as, const struct runtime *base,
                       const struct jan_config *cfg,
                       const struct jan_account *list, size_t n,
                       const char *const *only, size_t nonly,
                       struct jbuf *err)
{
  int rc;

  accounts_begin(as, base, cfg, only, nonly);
  rc = accounts_add(as, list, NULL, n, err);
  if(!rc)
    rc = accounts_seal(as, NULL, err);
  return rc;
}

void accounts_begin(struct accounts *as, const struct runtime *base,
                    const struct jan_config *cfg, const char *const *only,
                    size_t nonly)
{
  memset(as, 0, sizeof(*as));
  as->base = base;
  as->cfg = cfg;
  as->only = only;
  as->nonly = nonly;
}

static void start_one(struct accounts *as, struct account_sweep *a);

int accounts_add(struct accounts *as, const struct jan_account *list,
                 const char *const *titles, size_t n, struct jbuf *err)
{
  int rc;

  as->configured += n;
  for(size_t i = 0; i < n; i++, as->given++) {
    struct account_sweep *a;

    if(!wanted(list[i].name, as->only, as->nonly))
      continue;
    if(as->n == as->cap) {
      size_t cap = as->cap ? as->cap * 2 : 16;
      void *v = realloc(as->a, cap * sizeof(*as->a));
      if(!v)
        return JAN_ENOMEM;
      as->a = v;
      as->cap = cap;
    }
    a = calloc(1, sizeof(*a));
    if(!a)
      return JAN_ENOMEM;
    as->a[as->n++] = a;
    a->owner = as;
    a->own = list[i];
    a->acct = &a->own;
    a->index = as->given;
    a->title = titles ? titles[i] : NULL;
    make_view(&a->view, as->cfg, a->acct);
    rc = runtime_open_account(&a->rt, as->base, &a->view, a->acct);
    if(rc) {
      jbuf_printf(err, "account %s: cannot start: %s", a->acct->name,
                  jan_strerror(rc));
      return rc;
    }
    a->opened = 1;
    if(as->started)
      start_one(as, a);
  }
  return JAN_OK;
}

static void maybe_done(struct accounts *as)
{
  if(as->started && as->sealed && as->running == 0 && !as->said_done) {
    as->said_done = 1;
    if(as->done)
      as->done(as, as->arg);
  }
}

int accounts_seal(struct accounts *as, const char *refusal, struct jbuf *err)
{
  int rc = JAN_OK;

  /* Every name asked for must be one of the run's, once all are known. */
  for(size_t i = 0; i < as->nonly && !refusal; i++) {
    size_t j = 0;
    while(j < as->n && strcmp(as->a[j]->acct->name, as->only[i]))
      j++;
    if(j == as->n) {
      jbuf_printf(err, "--account %s: not an account of this run",
                  as->only[i]);
      refusal = "--account names an account that is not one of this run";
      rc = JAN_EINVAL;
    }
  }
  as->sealed = 1;
  as->refusal = refusal;
  /* Held sweeps end or go on: one more counted, so that none ending here
   * ends the run before the others are released. */
  as->running++;
  for(size_t i = 0; i < as->n; i++)
    if(as->a[i]->started)
      sweep_release(&as->a[i]->sw, refusal);
  as->running--;
  maybe_done(as);
  return rc;
}

static void one_done(struct sweep *s, void *arg)
{
  struct account_sweep *a = arg;
  (void)s;
  a->owner->running--;
  maybe_done(a->owner);
}

static int confirm_one(struct sweep *s, void *arg)
{
  struct account_sweep *a = arg;
  return a->owner->confirm(s, a->owner->confirm_arg);
}

/* The barrier: no account deletes before the list is sealed, none at all
 * when it was sealed as refused. */
static enum sweep_hold hold_one(struct sweep *s, void *arg, const char **why)
{
  struct account_sweep *a = arg;
  (void)s;
  if(!a->owner->sealed)
    return SWEEP_WAIT;
  *why = a->owner->refusal;
  return a->owner->refusal ? SWEEP_REFUSE : SWEEP_GO;
}

static void start_one(struct accounts *as, struct account_sweep *a)
{
  int rc;

  sweep_init(&a->sw, &a->rt, &a->view, as->mode);
  a->started = 1;
  sweep_use_state(&a->sw, as->root, as->audit);
  /* Clocks of no known account (a file from before accounts) are this
   * one's only when the config knows no other. */
  a->sw.adopt = as->sealed && as->configured == 1;
  a->sw.confirm = as->confirm ? confirm_one : NULL;
  a->sw.hold = hold_one;
  if(as->trigger)
    a->sw.trigger = as->trigger;
  a->sw.pr.mode = as->progress;
  a->sw.pr.tty = stderr;
  as->running++;
  rc = sweep_start(&a->sw, one_done, a);
  if(rc) {
    snprintf(a->sw.message, sizeof(a->sw.message), "cannot start the "
             "sweep: %s", jan_strerror(rc));
    a->sw.exit_code = EXIT_INCOMPLETE;
    as->running--;
  }
}

void accounts_start(struct accounts *as, enum jan_mode mode,
                    struct state *root, struct audit *audit,
                    enum progress_mode progress, accounts_done_cb done,
                    void *arg)
{
  as->done = done;
  as->arg = arg;
  as->mode = mode;
  as->root = root;
  as->audit = audit;
  as->progress = progress;
  as->started = 1;
  /* One more counted first: a sweep done at once cannot end the run
   * early. */
  as->running++;
  for(size_t i = 0; i < as->n; i++)
    start_one(as, as->a[i]);
  as->running--;
  maybe_done(as);
}

int accounts_done(const struct accounts *as)
{
  return as->sealed && as->running == 0;
}

void accounts_drain(struct accounts *as)
{
  for(size_t i = 0; i < as->n; i++)
    if(as->a[i]->opened)
      aws_client_drain(as->a[i]->rt.aws);
}

void accounts_cancel(struct accounts *as)
{
  for(size_t i = 0; i < as->n; i++)
    if(as->a[i]->opened)
      aws_client_shutdown(as->a[i]->rt.aws);
}

int accounts_exit_code(const struct accounts *as)
{
  int *codes = calloc(as->n ? as->n : 1, sizeof(*codes));
  int code;

  if(!codes)
    return EXIT_INCOMPLETE;
  for(size_t i = 0; i < as->n; i++)
    codes[i] = as->a[i]->sw.exit_code;
  code = run_code_combine(codes, as->n);
  free(codes);
  return code;
}

struct account_result *accounts_results(const struct accounts *as)
{
  struct account_result *r = calloc(as->n ? as->n : 1, sizeof(*r));

  for(size_t i = 0; r && i < as->n; i++) {
    const struct sweep *s = &as->a[i]->sw;
    r[i].name = as->a[i]->acct->name;
    r[i].title = as->a[i]->title;
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
    if(as->a[i]->started)
      sweep_free(&as->a[i]->sw);
    if(as->a[i]->opened)
      runtime_close_account(&as->a[i]->rt);
    free(as->a[i]);
  }
  free(as->a);
  memset(as, 0, sizeof(*as));
}
