#include <stdio.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/fsafe.h"
#include "janitor/log.h"
#include "janitor/untrusted.h"
#include "run.h"
#include "run_code.h"

#define TAG "run"

void run_carry_init(struct run_carry *k)
{
  audit_backlog_init(&k->audit);
  state_init(&k->st);
  k->have_st = 0;
  k->state_error[0] = '\0';
}

void run_carry_free(struct run_carry *k)
{
  if(k->audit.n)
    jlog_err(TAG, "%zu record%s never reached the audit log; they are in "
             "the journal only (\"held, not yet in the audit log\")",
             k->audit.n, k->audit.n == 1 ? "" : "s");
  if(k->have_st)
    jlog_err(TAG, "the state could not be saved since: %s; the grace clocks "
             "kept in memory are lost", k->state_error);
  audit_backlog_free(&k->audit);
  state_free(&k->st);
  run_carry_init(k);
}

int run_open(struct sweep_run *r, const struct jan_config *cfg,
             enum jan_mode mode, long *holder, struct jbuf *err)
{
  const char *trigger = r->trigger;   /* set by the caller, kept */
  struct run_carry *carry = r->carry;
  int rc;

  memset(r, 0, sizeof(*r));
  r->trigger = trigger;
  r->carry = carry;
  r->lockfd = -1;
  state_init(&r->st);
  audit_init(&r->audit);
  if(carry)
    audit_use_backlog(&r->audit, &carry->audit);

  /* The lock is taken without waiting: the daemon's loop never blocks,
   * and a second CLI sweep is told who holds it. */
  rc = fsafe_check_dir_of(cfg->state_file, 1, err);
  if(rc == JAN_OK) {
    rc = state_lock(cfg->state_file, 0, holder, err);
    if(rc == JAN_EBUSY)
      return JAN_EBUSY;
    if(rc >= 0)
      r->lockfd = rc;
  }
  if(r->lockfd < 0) {
    if(mode == JAN_MODE_DELETE) {
      jbuf_addstr(err, "; nothing is deleted without the state and its lock");
      return JAN_EINVAL;
    }
    jlog_warn(TAG, "%s; sweeping without state", jbuf_str(err));
    jbuf_reset(err);
    return JAN_OK;
  }
  jbuf_reset(err);
  if(carry && carry->have_st) {
    /* Newer than the file, which could not take it. */
    jlog_notice(TAG, "using the grace clocks kept in memory since the state "
                "could not be saved (%s)", carry->state_error);
    r->st = carry->st;
    state_init(&carry->st);
    carry->have_st = 0;
    r->from_carry = 1;
  }
  else {
    state_load(&r->st, cfg->state_file, err);
    if(err->len)
      jlog_warn(TAG, "%s", jbuf_str(err));
  }
  jbuf_reset(err);
  r->have_state = 1;
  if(mode == JAN_MODE_DELETE && audit_open(&r->audit, cfg->audit_log, err)) {
    jbuf_addstr(err, "; nothing is deleted without the audit log");
    return JAN_EINVAL;
  }
  /* Records held since an earlier failure go first; while they cannot,
   * the gate of the sweep stays closed (sweep.c, may_start). */
  if(mode == JAN_MODE_DELETE && audit_held(&r->audit))
    (void)audit_flush(&r->audit);
  return JAN_OK;
}

/* The run cannot go on: no account deletes anything, the run ends with
 * code. */
static void list_failed(struct sweep_run *r, int code, const char *why)
{
  r->list_code = code;
  snprintf(r->list_error, sizeof(r->list_error), "%s", why);
  jlog_err(TAG, "%s; nothing is %s in any account", r->list_error,
           r->given ? "deleted" : "swept");
}

/* The list's members and what was left out, in the journal. */
static void log_list(const struct sweep_run *r)
{
  const struct account_list *al = &r->list;
  char name[4 * WIRE_ORG_NAME_MAX + 8];

  jlog_notice(TAG, "organization: %zu accounts listed in %u requests; %zu "
              "to sweep, %zu skipped%s", r->org.n, r->org.requests,
              al->discovered, al->nskipped, al->other_shards ?
              ", the others in other shards" : "");
  for(size_t i = 0; i < al->n; i++) {
    if(!al->titles[i])
      continue;
    untrusted_display_quoted(name, sizeof(name), al->titles[i],
                             strlen(al->titles[i]));
    jlog_info(TAG, "organization: account %s \"%s\": swept",
              al->v[i].account_id, name);
  }
  for(size_t i = 0; i < al->nskipped; i++) {
    const struct org_skipped *k = &al->skipped[i];
    untrusted_display_quoted(name, sizeof(name), k->name ? k->name : "",
                             k->name ? strlen(k->name) : 0);
    jlog_notice(TAG, "organization: account %s \"%s\": skipped (%s)", k->id,
                name, org_fate_name(k->fate));
  }
}

/* The list's entries from r->given on join the run (started at once when
 * the run has started). */
static int grow(struct sweep_run *r, struct jbuf *err)
{
  size_t from = r->given;
  int rc;

  r->given = r->list.n;
  rc = accounts_add(&r->as, r->list.v + from,
                    (const char *const *)r->list.titles + from,
                    r->list.n - from, err);
  if(rc && !err->len)
    jbuf_printf(err, "%s", jan_strerror(rc));
  return rc;
}

static void all_done(struct accounts *as, void *arg)
{
  struct sweep_run *r = arg;
  (void)as;
  if(r->done && !r->listing)
    r->done(r, r->done_arg);
}

/* A page of the organization's accounts: its members join the run now,
 * their sweeps start (none deletes before the listing is complete). */
static int on_page(void *arg, const char *management,
                   const struct org_member *m, size_t n)
{
  struct sweep_run *r = arg;
  struct jbuf msg;
  int rc;

  if(r->stopping)
    return JAN_OK;              /* nothing new starts */
  rc = account_list_add(&r->list, r->cfg, management, m, n);
  jbuf_init(&msg, JAN_MSG_MAX);
  if(!rc)
    rc = grow(r, &msg);
  if(rc)
    jlog_err(TAG, "organization: %s", rc == JAN_ENOMEM || !msg.len ?
             jan_strerror(rc) : jbuf_str(&msg));
  jbuf_free(&msg);
  return rc;
}

/* The run's list is complete (l: the listing, NULL without an
 * organization), or it cannot be (code and why): seal it. */
static void seal(struct sweep_run *r, int code, const char *why)
{
  struct jbuf msg;

  jbuf_init(&msg, JAN_MSG_MAX);
  if(code)
    list_failed(r, code, why);
  if(accounts_seal(&r->as, code ? r->list_error : NULL, &msg) &&
     !r->list_code)
    list_failed(r, EXIT_USAGE, jbuf_str(&msg));
  jbuf_free(&msg);
}

static void on_listing(void *arg, int err, const char *why,
                       struct org_listing *l)
{
  struct sweep_run *r = arg;

  r->listing = 0;
  if(r->stopping)
    seal(r, EXIT_INCOMPLETE, "stopped while listing the organization");
  else if(err)
    seal(r, EXIT_CREDENTIALS, why && *why ? why : jan_strerror(err));
  else {
    struct jbuf msg;
    int rc;

    r->org = *l;
    memset(l, 0, sizeof(*l));
    jbuf_init(&msg, JAN_MSG_MAX);
    rc = grow(r, &msg);         /* the config's, when no page had any */
    if(rc) {
      seal(r, EXIT_INCOMPLETE, jbuf_str(&msg));
      jbuf_free(&msg);
      return;
    }
    jbuf_free(&msg);
    log_list(r);
    if(r->cfg->shard_count)
      jlog_notice(TAG, "shard %u of %u: %zu account%s here, %zu in the "
                  "other shards", r->cfg->shard_index, r->cfg->shard_count,
                  r->list.n, r->list.n == 1 ? "" : "s",
                  r->list.other_shards);
    seal(r, 0, NULL);           /* the sweeps end the run */
  }
}

/*
 * The run: one list of accounts that grows while the organization is
 * listed (its config's accounts first, then each page's members, their
 * sweeps started as the page arrives) and is sealed when the listing
 * ends; without an organization it is sealed at once.  No account
 * deletes before the list is sealed, none at all when the listing failed
 * (accounts.h, the barrier).
 */
int run_start(struct sweep_run *r, const struct runtime *base,
              const struct jan_config *cfg, const struct run_opts *o,
              struct jbuf *err)
{
  int org = cfg->org_role_name != NULL;
  int rc;

  r->opts = *o;
  r->base = base;
  r->cfg = cfg;
  r->done = o->done;
  r->done_arg = o->arg;
  /* Without an organization the names are known before: the message
   * names the section that is missing. */
  if(!org) {
    rc = accounts_check(cfg, o->only, o->nonly, JAN_MODE_REPORT, err);
    if(rc)
      return rc;
  }
  /* With an organization, the config's accounts join with the first page
   * of members: a listing that fails from the start sweeps nothing. */
  rc = account_list_begin(&r->list, cfg, org);
  accounts_begin(&r->as, base, cfg, o->only, o->nonly);
  if(!rc && !org)
    rc = grow(r, err);
  if(rc) {
    if(!err->len)
      jbuf_printf(err, "%s", jan_strerror(rc));
    return rc;
  }
  if(!org) {
    rc = accounts_seal(&r->as, NULL, err);
    if(rc)
      return rc;
    if(cfg->shard_count)
      jlog_notice(TAG, "shard %u of %u: %zu account%s here, %zu in the "
                  "other shards", cfg->shard_index, cfg->shard_count,
                  r->list.n, r->list.n == 1 ? "" : "s",
                  r->list.other_shards);
  }
  else {
    /* A client of its own (the [aws] credentials, base's engine), so that
     * stopping the run stops the listing too. */
    static char name[] = "organization";
    struct jan_account mgmt;
    memset(&mgmt, 0, sizeof(mgmt));
    mgmt.name = name;
    rc = runtime_open_account(&r->org_rt, base, cfg, &mgmt);
    if(rc) {
      jbuf_printf(err, "cannot list the organization: %s", jan_strerror(rc));
      return rc;
    }
    r->org_opened = 1;
    /* Each page brings sweeps that wait for nothing else: its next page
     * goes ahead of their requests. */
    aws_client_set_first(r->org_rt.aws, 1);
    rc = org_discover_pages(r->org_rt.aws, (const char *const *)cfg->org_ous,
                            cfg->norg_ous, on_page, on_listing, r);
    if(rc) {
      jbuf_printf(err, "cannot list the organization: %s", jan_strerror(rc));
      return rc;
    }
    r->listing = 1;
  }
  r->as.trigger = r->trigger;
  r->as.confirm = o->confirm;
  r->as.confirm_arg = o->confirm_arg;
  r->started = 1;
  accounts_start(&r->as, o->mode, r->have_state ? &r->st : NULL,
                 r->audit.fd >= 0 ? &r->audit : NULL, o->progress, all_done,
                 r);
  return JAN_OK;
}

int run_done(const struct sweep_run *r)
{
  return r->started && !r->listing && accounts_done(&r->as);
}

void run_stop(struct sweep_run *r, int cancel)
{
  r->stopping = 1;
  if(r->listing && cancel)
    aws_client_shutdown(r->org_rt.aws);
  else if(r->listing)
    aws_client_drain(r->org_rt.aws);
  if(cancel)
    accounts_cancel(&r->as);
  else
    accounts_drain(&r->as);
}

int run_exit_code(const struct sweep_run *r)
{
  int code = r->list_code ? r->list_code : accounts_exit_code(&r->as);
  /* A state that cannot be saved fails the run (its reason is logged). */
  return r->save_error[0] && code == EXIT_OK ? EXIT_INCOMPLETE : code;
}

void run_save(struct sweep_run *r, const struct jan_config *cfg)
{
  /* The state changes only when a sweep ends (its clocks, the last
   * sweep): one that never ran leaves the file as it was. */
  if(r->have_state && run_done(r)) {
    struct jbuf err;
    jbuf_init(&err, JAN_MSG_MAX);
    if(state_save(&r->st, cfg->state_file, &err)) {
      snprintf(r->save_error, sizeof(r->save_error), "%s", jbuf_str(&err));
      if(r->save_error[0] == '\0')
        snprintf(r->save_error, sizeof(r->save_error), "cannot write %s",
                 cfg->state_file);
      jlog_err(TAG, "cannot save the state: %s; %s", r->save_error,
               r->carry ? "its grace clocks are kept in memory and saved "
               "with the next sweep's" : "the grace clocks of this run are "
               "lost (the next sweep starts their grace again)");
      if(r->carry) {
        state_free(&r->carry->st);
        r->carry->st = r->st;
        state_init(&r->st);
        r->carry->have_st = 1;
        snprintf(r->carry->state_error, sizeof(r->carry->state_error), "%s",
                 r->save_error);
      }
    }
    else if(r->carry)
      r->carry->state_error[0] = '\0';
    jbuf_free(&err);
    r->have_state = 0;
  }
}

void run_close(struct sweep_run *r, const struct jan_config *cfg)
{
  run_save(r, cfg);
  accounts_close(&r->as);
  if(r->org_opened)
    runtime_close_account(&r->org_rt);
  r->org_opened = 0;
  account_list_free(&r->list);
  org_listing_free(&r->org);
  r->started = 0;
  if(r->have_state && r->from_carry && r->carry) {
    /* Never saved, never to be lost: kept for the next run. */
    state_free(&r->carry->st);
    r->carry->st = r->st;
    state_init(&r->st);
    r->carry->have_st = 1;
  }
  audit_close(&r->audit);
  state_free(&r->st);
  if(r->lockfd >= 0)
    state_unlock(r->lockfd);
  r->lockfd = -1;
}
