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
#include "metrics_accounts.h"
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

struct json_object *service_accounts_record(const struct state *st,
                                            const struct jan_config *c)
{
  if(st->last_sweep)
    return st->last_sweep;
  if(st->naccounts == 1 && !c->naccounts)
    return st->accounts[0]->st.last_sweep;
  return NULL;
}

void service_accounts_cancel(struct run *run)
{
  for(size_t i = 0; i < run->as.n; i++)
    aws_client_shutdown(run->as.a[i].rt.aws);
}

/* The run's status: the totals, and each account's part. */
static struct json_object *last_sweep_json(const struct run *run, int code)
{
  struct json_object *o = json_object_new_object();
  struct json_object *arr = json_object_new_array();
  struct json_object *found = json_object_new_object();
  size_t cand = 0, deleted = 0, failed = 0, refused = 0, fn = 0, lv = 0;
  size_t bk = 0;
  int64_t started = 0, finished = 0;

  for(size_t i = 0; i < run->as.n; i++) {
    const struct account_sweep *a = &run->as.a[i];
    /* A copy: the record itself is also the account's in the state. */
    struct json_object *one = NULL;
    struct inv_summary s;

    if(!a->sw.record || json_object_deep_copy(a->sw.record, &one, NULL))
      one = json_object_new_object();

    inventory_summary(&a->sw.inv, &s);
    fn += s.functions;
    lv += s.layer_versions;
    bk += s.buckets;
    cand += s.candidates;
    deleted += s.deleted;
    failed += s.failed;
    refused += s.refused;
    if(!started || a->sw.inv.started_ms < started)
      started = a->sw.inv.started_ms;
    if(a->sw.inv.finished_ms > finished)
      finished = a->sw.inv.finished_ms;
    json_object_object_add(one, "name",
                           json_object_new_string(a->acct->name));
    json_object_array_add(arr, one);
  }
  json_object_object_add(o, "started", service_time_json(started / 1000));
  json_object_object_add(o, "finished", service_time_json(finished / 1000));
  json_object_object_add(o, "duration_ms",
                         INT64(finished > started ? finished - started : 0));
  json_object_object_add(o, "trigger", json_object_new_string(run->trigger));
  json_object_object_add(o, "mode", json_object_new_string(
                             run->cfg->c.mode == JAN_MODE_DELETE ? "delete"
                                                                 : "report"));
  json_object_object_add(o, "account", NULL);
  json_object_object_add(o, "exit_code", json_object_new_int(code));
  json_object_object_add(o, "error", code ? json_object_new_string(
                             "see the accounts") : NULL);
  json_object_object_add(found, "functions", INT64(fn));
  json_object_object_add(found, "layer_versions", INT64(lv));
  json_object_object_add(found, "buckets", INT64(bk));
  json_object_object_add(o, "found", found);
  json_object_object_add(o, "candidates", INT64(cand));
  json_object_object_add(o, "deleted", INT64(deleted));
  json_object_object_add(o, "failed", INT64(failed));
  json_object_object_add(o, "refused", INT64(refused));
  json_object_object_add(o, "accounts", arr);
  return o;
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
