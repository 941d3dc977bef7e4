/*
 * The daemon's run over several [account] sections (service_int.h): the
 * sweeps start side by side (accounts.c), and at the end each account's
 * outcome is logged, kept for `status` and `inventory` with its account,
 * and written to the metrics with an account label.
 */
#include <stdio.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/log.h"
#include "last_sweep.h"
#include "metrics_accounts.h"
#include "output.h"
#include "service_int.h"

#define TAG "service"

static void on_all_done(struct accounts *as, void *arg)
{
  struct run *run = arg;
  (void)as;
  run_finished(&run->r);
  run->accounts_done(NULL, run);
}

int service_accounts_start(struct run *run, sweep_done_cb done)
{
  const struct jan_config *cfg = &run->cfg->c;
  struct jbuf msg;
  int rc;

  jbuf_init(&msg, JAN_MSG_MAX);
  run->multi = 1;
  rc = accounts_open(&run->as, &run->rt->rt, cfg, NULL, 0, &msg);
  if(rc)
    jlog_err(TAG, "%s", jbuf_str(&msg));
  jbuf_free(&msg);
  if(rc)
    return rc;
  run->accounts_done = done;
  run->as.trigger = run->trigger;
  /* The daemon is configured to delete: no confirmation; each account's
   * guards still apply inside its sweep. */
  accounts_start(&run->as, cfg->mode,
                 run->r.have_state ? &run->r.st : NULL,
                 run->r.audit.fd >= 0 ? &run->r.audit : NULL,
                 PROGRESS_LINES, on_all_done, run);
  return JAN_OK;
}

void service_accounts_cancel(struct run *run)
{
  for(size_t i = 0; i < run->as.n; i++)
    aws_client_shutdown(run->as.a[i].rt.aws);
}

static struct json_object *time_of(int64_t ms)
{
  return ms > 0 ? output_time_json(ms / 1000) : NULL;
}

/*
 * The status record of a run over several accounts, from each account's
 * record (recs[i] may be NULL: that account has none): the totals, and
 * each account's part, a copy of its record with its section's name.
 */
static struct json_object *accounts_json(const char *const *names,
                                         struct json_object *const *recs,
                                         size_t n, int code)
{
  static const char *const sums[] = { "candidates", "deleted", "failed",
                                      "refused" };
  static const char *const kinds[] = { "functions", "layer_versions",
                                       "buckets" };
  struct json_object *o = json_object_new_object();
  struct json_object *arr = json_object_new_array();
  struct json_object *found = json_object_new_object();
  int64_t total[4] = { 0 }, nfound[3] = { 0 }, started = 0, finished = 0;
  const char *trigger = NULL, *mode = NULL;

  for(size_t i = 0; i < n; i++) {
    struct json_object *one = NULL, *f = NULL, *v;
    int64_t t0 = last_sweep_int(recs[i], "started_ms");
    int64_t t1 = last_sweep_int(recs[i], "finished_ms");

    /* A copy: the record itself is also the account's in the state. */
    if(!recs[i] || json_object_deep_copy(recs[i], &one, NULL))
      one = json_object_new_object();
    for(size_t k = 0; k < 4; k++)
      total[k] += last_sweep_int(recs[i], sums[k]);
    if(recs[i] && json_object_object_get_ex(recs[i], "found", &f))
      for(size_t k = 0; k < 3; k++)
        nfound[k] += last_sweep_int(f, kinds[k]);
    if(t0 > 0 && (!started || t0 < started))
      started = t0;
    if(t1 > finished)
      finished = t1;
    if(!trigger && recs[i] && json_object_object_get_ex(recs[i], "trigger",
                                                        &v))
      trigger = json_object_get_string(v);
    if(!mode && recs[i] && json_object_object_get_ex(recs[i], "mode", &v))
      mode = json_object_get_string(v);
    json_object_object_add(one, "name", json_object_new_string(names[i]));
    json_object_array_add(arr, one);
  }
  json_object_object_add(o, "started", time_of(started));
  json_object_object_add(o, "finished", time_of(finished));
  json_object_object_add(o, "duration_ms",
                         INT64(finished > started ? finished - started : 0));
  json_object_object_add(o, "trigger", trigger ?
                         json_object_new_string(trigger) : NULL);
  json_object_object_add(o, "mode", mode ? json_object_new_string(mode)
                                         : NULL);
  json_object_object_add(o, "account", NULL);
  json_object_object_add(o, "exit_code", json_object_new_int(code));
  json_object_object_add(o, "error", code ? json_object_new_string(
                             "see the accounts") : NULL);
  for(size_t k = 0; k < 3; k++)
    json_object_object_add(found, kinds[k], INT64(nfound[k]));
  json_object_object_add(o, "found", found);
  for(size_t k = 0; k < 4; k++)
    json_object_object_add(o, sums[k], INT64(total[k]));
  json_object_object_add(o, "accounts", arr);
  return o;
}

/* The run's status record. */
static struct json_object *last_sweep_json(const struct run *run, int code)
{
  const char *names[JAN_MAX_ACCOUNTS];
  struct json_object *recs[JAN_MAX_ACCOUNTS];
  size_t n = 0;

  for(size_t i = 0; i < run->as.n && n < JAN_MAX_ACCOUNTS; i++, n++) {
    names[n] = run->as.a[i].acct->name;
    recs[n] = run->as.a[i].sw.record;
  }
  return accounts_json(names, recs, n, code);
}

struct json_object *service_accounts_record(const struct state *st,
                                            const struct jan_config *c)
{
  const char *names[JAN_MAX_ACCOUNTS];
  struct json_object *recs[JAN_MAX_ACCOUNTS];
  int codes[JAN_MAX_ACCOUNTS];
  size_t n = 0, have = 0;

  if(st->last_sweep)
    return json_object_get(st->last_sweep);
  if(!c->naccounts)
    return st->naccounts == 1 ?
           json_object_get(st->accounts[0]->st.last_sweep) : NULL;
  /* Each section's record, by its account_id (a section without one
   * cannot be told apart in the file: no record for it). */
  for(size_t i = 0; i < c->naccounts && n < JAN_MAX_ACCOUNTS; i++, n++) {
    const struct state *a = c->accounts[i].account_id[0] ?
        state_account_get(st, c->accounts[i].account_id) : NULL;
    names[n] = c->accounts[i].name;
    recs[n] = a && last_sweep_is_record(a->last_sweep) ? a->last_sweep
                                                        : NULL;
    codes[n] = recs[n] ? (int)last_sweep_int(recs[n], "exit_code") : EXIT_INCOMPLETE;
    have += recs[n] != NULL;
  }
  return have ? accounts_json(names, recs, n, accounts_combine_codes(codes, n))
              : NULL;
}

/* The inventories, for `inventory`: each with its account. */
static struct inv_ref *keep_inventories(struct run *run)
{
  struct inv_ref *head = NULL;

  for(size_t i = 0; i < run->as.n; i++) {
    struct account_sweep *a = &run->as.a[i];
    struct inv_ref *r = inv_ref_new(&a->sw.inv);
    if(!r || inv_ref_append(head ? head : r, r, a->acct->name)) {
      inv_ref_put(r);
      inv_ref_put(head);
      return NULL;
    }
    if(!head)
      head = r;
  }
  return head;
}

/*
 * The daemon's counters after a run over several accounts: one sweep; the
 * deletions of all; a region's streak of incomplete listings goes on when
 * any account's listing there was incomplete, and ends only when every
 * account's was complete (so that an alert on it is not silenced by
 * another account).
 */
static void count_run(struct metrics_counters *c, const struct accounts *as,
                      int code)
{
  const struct metrics_counters before = *c;
  struct metrics_streak st[JAN_MAX_REGIONS];
  size_t n = 0;
  unsigned buckets = 0;
  int64_t finished = 0;

  for(size_t i = 0; i < as->n; i++) {
    struct metrics_counters one = before;
    metrics_count(&one, &as->a[i].sw.inv, as->a[i].sw.exit_code);
    for(size_t k = 0; k < 3; k++)
      for(size_t r = 0; r < 3; r++)
        c->deletions[k][r] += one.deletions[k][r] - before.deletions[k][r];
    for(size_t j = 0; j < one.nincomplete; j++) {
      size_t x = 0;
      while(x < n && strcmp(st[x].region, one.incomplete[j].region))
        x++;
      if(x == n && n < JAN_MAX_REGIONS)
        st[n++] = one.incomplete[j];
      else if(x < n && one.incomplete[j].sweeps > st[x].sweeps)
        st[x].sweeps = one.incomplete[j].sweeps;
    }
    if(one.buckets_incomplete > buckets)
      buckets = one.buckets_incomplete;
    if(as->a[i].sw.inv.finished_ms > finished)
      finished = as->a[i].sw.inv.finished_ms;
  }
  memcpy(c->incomplete, st, n * sizeof(*st));
  c->nincomplete = n;
  c->buckets_incomplete = buckets;
  c->sweeps = before.sweeps + 1;
  c->sweeps_failed = before.sweeps_failed + (code != 0);
  if(!code && finished > c->last_success_ms)
    c->last_success_ms = finished;
}

void service_accounts_finish(struct service *svc, struct run *run)
{
  const struct jan_config *cfg = &run->cfg->c;
  int code = accounts_exit_code(&run->as);
  struct inv_ref *last;
  struct jbuf err;

  for(size_t i = 0; i < run->as.n; i++) {
    const struct account_sweep *a = &run->as.a[i];
    struct inv_summary s;

    inventory_summary(&a->sw.inv, &s);
    jlog(a->sw.exit_code ? JLOG_WARNING : JLOG_NOTICE, TAG,
         "account %s (%s): %zu candidates, %zu deleted, %zu failed, %zu "
         "refused; exit code %d%s%s", a->acct->name,
         a->sw.inv.account[0] ? a->sw.inv.account : "unknown",
         s.candidates, s.deleted, s.failed, s.refused, a->sw.exit_code,
         a->sw.exit_code && a->sw.message[0] ? ": " : "",
         a->sw.exit_code ? a->sw.message : "");
  }
  count_run(&svc->counters, &run->as, code);
  jlog(code ? JLOG_WARNING : JLOG_NOTICE, TAG, "sweep of %zu accounts "
       "finished: exit code %d", run->as.n, code);
  json_object_put(svc->last_json);
  svc->last_json = last_sweep_json(run, code);

  jbuf_init(&err, JAN_MSG_MAX);
  if(cfg->metrics_file && *cfg->metrics_file &&
     metrics_accounts_write(cfg->metrics_file, &run->as, &svc->counters,
                            &err))
    jlog_err(TAG, "cannot write the metrics: %s", jbuf_str(&err));
  jbuf_free(&err);

  last = keep_inventories(run);
  if(last) {
    inv_ref_put(svc->last);
    svc->last = last;
  }
  else {
    jlog_err(TAG, "out of memory keeping the inventory");
  }
}
