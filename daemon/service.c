/*
 * The daemon: one libuv loop carries the sweep timer, the sweeps, the
 * status socket, the signals and the systemd watchdog.
 *
 * A sweep runs on the runtime (HTTP engine, credentials, AWS client) and
 * the config it started with.  Both are reference-counted: a reload that
 * replaces them lets the sweep in progress finish on the old ones, which
 * are released when it ends.  Sweeps never overlap: the next one is
 * scheduled when the current one has ended.
 *
 * Signal handlers only act on the loop (uv_signal_t).  The work after a
 * sweep (state, audit log, lock, metrics) is deferred to a zero timer, so
 * that it never runs inside a callback of the AWS layer.  The
 * configuration is read by config_load.c; what the daemon says of itself
 * is views.c's.
 */
#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "janitor/fsafe.h"
#include "janitor/caps.h"
#include "janitor/log.h"
#include "janitor/rng.h"
#include "janitor/wire.h"
#include "ctl.h"
#include "ctl_inventory.h"
#include "metrics.h"
#include "config_load.h"
#include "notify.h"
#include "output.h"
#include "run.h"
#include "last_sweep.h"
#include "service_int.h"
#include "sweep.h"

#define TAG "service"
#define TICK_MS 1000            /* STATUS= refresh while a sweep runs */
#define CANCEL_GRACE_MS 10000   /* a canceled sweep must end by then */
#define MIN_INTERVAL_MS 1000

/* ---- small helpers -------------------------------------------------------- */

int64_t service_wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static const char *dir_of(const char *path, char *buf, size_t len)
{
  const char *slash = strrchr(path, '/');
  if(!slash)
    return ".";
  if(slash == path)
    return "/";
  snprintf(buf, len, "%.*s", (int)(slash - path), path);
  return buf;
}

/* ---- config and runtime references ------------------------------------------ */

struct cfg_ref *cfg_ref_new(void)
{
  struct cfg_ref *r = calloc(1, sizeof(*r));
  if(r)
    r->refs = 1;
  return r;
}

struct cfg_ref *cfg_ref_get(struct cfg_ref *r)
{
  r->refs++;
  return r;
}

void cfg_ref_put(struct cfg_ref *r)
{
  if(!r || --r->refs)
    return;
  config_free(&r->c);
  free(r);
}

struct rt_ref *rt_ref_open(uv_loop_t *loop, const struct jan_config *c,
                                  int *rc)
{
  struct rt_ref *r = calloc(1, sizeof(*r));
  if(!r) {
    *rc = JAN_ENOMEM;
    return NULL;
  }
  *rc = runtime_open(&r->rt, loop, c);
  if(*rc) {
    free(r);
    return NULL;
  }
  r->refs = 1;
  return r;
}

struct rt_ref *rt_ref_get(struct rt_ref *r)
{
  r->refs++;
  return r;
}

/* The last reference closes the runtime: whatever is still in flight is
 * canceled and its memory released from close callbacks on the loop. */
void rt_ref_put(struct rt_ref *r)
{
  if(!r || --r->refs)
    return;
  runtime_close(&r->rt);
  free(r);
}

/* ---- the watchdog (STATUS= is views.c's) ------------------------------------ */

static void on_watchdog(uv_timer_t *t)
{
  (void)t;
  notify_send("WATCHDOG=1");
}

static void on_tick(uv_timer_t *t)
{
  struct service *svc = t->data;
  service_update_status(svc, NULL);
}

/* ---- scheduling ------------------------------------------------------------ */

static void on_sweep_timer(uv_timer_t *t);

static uint64_t interval_ms(struct service *svc, const struct jan_config *c)
{
  int64_t d = (int64_t)c->interval_ms;
  if(c->jitter_ms) {
    uint64_t span2 = 2 * c->jitter_ms + 1;
    d += (int64_t)(jan_rng_next(&svc->rng) % span2) -
         (int64_t)c->jitter_ms;
  }
  return d < MIN_INTERVAL_MS ? MIN_INTERVAL_MS : (uint64_t)d;
}

static void arm(struct service *svc, uint64_t delay_ms)
{
  char when[21], in[32];
  uv_timer_start(&svc->sweep_timer, on_sweep_timer, delay_ms, 0);
  svc->next_wall_ms = service_wall_ms() + (int64_t)delay_ms;
  wire_time_format(svc->next_wall_ms / 1000, when);
  output_span((int64_t)(delay_ms / 1000), in, sizeof(in));
  jlog_info(TAG, "next sweep at %s (in %s)", when, in);
}

/* The next sweep, interval ± jitter from now. */
static void schedule_next(struct service *svc)
{
  svc->sched_from_mono_ms = uv_now(&svc->loop);
  svc->sched_first = 0;
  arm(svc, interval_ms(svc, &svc->cfg->c));
}

/* After a reload: the same reference point, the new durations. */
void service_reschedule(struct service *svc)
{
  uint64_t now = uv_now(&svc->loop), at, min;
  const struct jan_config *c = &svc->cfg->c;

  if(svc->sched_first) {
    at = svc->sched_from_mono_ms + c->startup_delay_ms;
    min = 0;
  }
  else {
    at = svc->sched_from_mono_ms + interval_ms(svc, c);
    min = MIN_INTERVAL_MS;
  }
  arm(svc, at > now + min ? at - now : min);
}

/* ---- one sweep ---------------------------------------------------------------- */

static void on_finish(uv_timer_t *t);

static void on_run_done(struct sweep_run *r, void *arg)
{
  struct run *run = arg;
  (void)r;
  run->finished = 1;
  uv_timer_start(&run->svc->finish_timer, on_finish, 0, 0);
}

/* Everything a run holds: the sweep run (state saved, lock released,
 * audit closed, the accounts' sweeps and runtimes freed) and its
 * references. */
static void run_release(struct run *run)
{
  run_close(&run->r, &run->cfg->c);
  cfg_ref_put(run->cfg);
  rt_ref_put(run->rt);
  free(run);
}

/*
 * Start a sweep now on the config and runtime in force.  0, or -1 with the
 * reason in err (nothing started).
 */
static int start_sweep(struct service *svc, const char *trigger, char *err,
                       size_t errlen)
{
  const struct jan_config *cfg = &svc->cfg->c;
  struct run *run;
  struct jbuf msg;
  long holder = -1;
  int rc;

  if(svc->stopping) {
    snprintf(err, errlen, "the daemon is stopping");
    return -1;
  }
  if(svc->run) {
    snprintf(err, errlen, "already sweeping");
    return -1;
  }
  run = calloc(1, sizeof(*run));
  if(!run) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  run->svc = svc;
  run->trigger = trigger;
  run->r.trigger = trigger;
  run->r.carry = &svc->carry;
  run->cfg = cfg_ref_get(svc->cfg);
  run->rt = rt_ref_get(svc->rt);
  jbuf_init(&msg, JAN_MSG_MAX);
  rc = run_open(&run->r, cfg, cfg->mode, &holder, &msg);
  if(rc == JAN_EBUSY)
    snprintf(err, errlen, "another sweep (pid %ld) holds the lock of %s",
             holder, cfg->state_file);
  else if(rc)
    snprintf(err, errlen, "%s", jbuf_str(&msg));
  jbuf_free(&msg);
  if(rc) {
    run_release(run);
    return -1;
  }

  /* Credentials are read afresh for every sweep (rotated keys, a file
   * that appeared); within a sweep the chain's cache serves.  The daemon
   * is configured to delete: no confirmation, but the max_deletions guard
   * still applies inside the sweep. */
  creds_chain_invalidate(run->rt->rt.creds);
  jbuf_init(&msg, JAN_MSG_MAX);
  rc = run_start(&run->r, &run->rt->rt, &run->cfg->c, &(struct run_opts){
                   .mode = cfg->mode, .progress = PROGRESS_LINES,
                   .done = on_run_done, .arg = run }, &msg);
  if(rc)
    snprintf(err, errlen, "cannot start the sweep: %s", msg.len
             ? jbuf_str(&msg) : jan_strerror(rc));
  jbuf_free(&msg);
  if(rc) {
    run_release(run);
    return -1;
  }
  svc->run = run;
  uv_timer_stop(&svc->sweep_timer);
  svc->next_wall_ms = 0;
  uv_timer_start(&svc->tick_timer, on_tick, TICK_MS, TICK_MS);
  if(run->r.listing)
    jlog_notice(TAG, "sweep started (%s): listing the organization first, "
                "%zu region%s, mode %s", trigger, cfg->nregions,
                cfg->nregions == 1 ? "" : "s",
                cfg->mode == JAN_MODE_DELETE ? "delete" : "report");
  else
    jlog_notice(TAG, "sweep started (%s): %zu account%s, %zu region%s, mode "
                "%s", trigger, run->r.as.n, run->r.as.n == 1 ? "" : "s",
                cfg->nregions, cfg->nregions == 1 ? "" : "s",
                cfg->mode == JAN_MODE_DELETE ? "delete" : "report");
  service_update_status(svc, NULL);
  return 0;
}

static void on_sweep_timer(uv_timer_t *t)
{
  struct service *svc = t->data;
  char err[1024];

  svc->next_wall_ms = 0;
  if(start_sweep(svc, "timer", err, sizeof(err))) {
    jlog_warn(TAG, "no sweep this time: %s; trying again at the next tick",
              err);
    schedule_next(svc);
    service_update_status(svc, NULL);
  }
}

static void finish_stop(struct service *svc);

/* The inventories, for `inventory`: each with its account. */
static struct inv_ref *keep_inventories(struct accounts *as)
{
  struct inv_ref *head = NULL;

  for(size_t i = 0; i < as->n; i++) {
    struct account_sweep *a = as->a[i];
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

/* Log each account's outcome and the run's; keep the status record, the
 * inventories and the metrics. */
static void finish_run(struct service *svc, struct run *run)
{
  const struct jan_config *cfg = &run->cfg->c;
  struct accounts *as = &run->r.as;
  struct account_result *res = accounts_results(as);
  int code = run_exit_code(&run->r);
  struct inv_ref *last;
  struct jbuf err;
  int64_t ok = INT64_MAX;

  if(!res) {
    jlog_err(TAG, "out of memory at the end of the sweep");
    return;
  }
  for(size_t i = 0; i < as->n; i++) {
    const struct account_sweep *a = as->a[i];
    const struct inventory *inv = &a->sw.inv;
    struct inv_summary s;

    inventory_summary(inv, &s);
    jlog(a->sw.exit_code ? JLOG_WARNING : JLOG_NOTICE, TAG,
         "account %s (%s) swept in %.1fs: %zu functions, %zu layer "
         "versions, %zu buckets; %zu candidates, %zu deleted, %zu failed, "
         "%zu refused; exit code %d%s%s", a->acct->name,
         inv->account[0] ? inv->account : "unknown",
         (double)(inv->finished_ms - inv->started_ms) / 1000.0,
         s.functions, s.layer_versions, s.buckets, s.candidates, s.deleted,
         s.failed, s.refused, a->sw.exit_code,
         a->sw.exit_code && a->sw.message[0] ? ": " : "",
         a->sw.exit_code ? a->sw.message : "");
    if(a->sw.last_success_ms < ok)
      ok = a->sw.last_success_ms;
  }
  /* The run's last success: the oldest of its accounts' last ones. */
  if(as->n && ok > svc->counters.last_success_ms)
    svc->counters.last_success_ms = ok;
  jlog(code ? JLOG_WARNING : JLOG_NOTICE, TAG, "sweep finished: %zu "
       "account%s, exit code %d", as->n, as->n == 1 ? "" : "s", code);
  metrics_count(&svc->counters, res, as->n, code);
  json_object_put(svc->last_json);
  svc->last_json = last_sweep_run_record(res, as->n, code);

  jbuf_init(&err, JAN_MSG_MAX);
  if(cfg->metrics_file && *cfg->metrics_file &&
     metrics_write(cfg->metrics_file, res, as->n, &svc->counters, &err))
    jlog_err(TAG, "cannot write the metrics: %s", jbuf_str(&err));
  jbuf_free(&err);
  free(res);

  /* The inventories stay for `inventory` and STATUS=; answers still
   * being written keep the ones they started on. */
  last = keep_inventories(as);
  if(last) {
    inv_ref_put(svc->last);
    svc->last = last;
  }
  else if(as->n) {
    /* (A run without accounts, its listing failed, keeps none.) */
    jlog_err(TAG, "out of memory keeping the inventory");
  }
}

/* The end of a run, outside any AWS callback: record, save, release. */
static void on_finish(uv_timer_t *t)
{
  struct service *svc = t->data;
  struct run *run = svc->run;

  if(!run || !run->finished)
    return;
  /* Saved before the metrics are written, so that they tell whether it
   * could be. */
  run_save(&run->r, &run->cfg->c);
  service_file_health(svc);
  finish_run(svc, run);

  /* The state is saved here, the lock released, the audit log closed. */
  svc->run = NULL;
  run_release(run);
  uv_timer_stop(&svc->tick_timer);
#ifdef __GLIBC__
  /* A sweep's answers and buffers are gone; the daemon now idles for
   * hours: give the freed pages back instead of keeping them resident. */
  malloc_trim(0);
#endif

  if(svc->stopping) {
    uv_timer_stop(&svc->stop_timer);
    finish_stop(svc);
    return;
  }
  schedule_next(svc);
  service_update_status(svc, NULL);
}

/* ---- the status socket's commands --------------------------------------------- */

static struct ctl_stream *ctl_inventory(void *arg)
{
  struct service *svc = arg;
  return ctl_inventory_stream(svc->last);
}

static int ctl_sweep(void *arg, char *err, size_t errlen)
{
  struct service *svc = arg;
  return start_sweep(svc, "command", err, errlen);
}

const struct ctl_ops service_ctl_ops = {
  service_status_json, ctl_inventory, ctl_sweep
};

void service_file_health(struct service *svc)
{
  svc->counters.audit_failing = svc->carry.audit.err != 0;
  svc->counters.audit_held = svc->carry.audit.n;
  svc->counters.state_unsaved = svc->carry.state_error[0] != '\0';
}

/* ---- the audit log after a rotation ------------------------------------------------ */

/* The audit log is opened by each sweep in delete mode and closed when it
 * ends: only a sweep in progress has a descriptor to move to the new file
 * (the records it wrote before stay in the rotated one). */
void service_reopen_audit(struct service *svc)
{
  struct jbuf err;
  if(!svc->run || svc->run->r.audit.fd < 0) {
    jlog_notice(TAG, "audit log: no sweep has it open; each deleting sweep "
                "opens %s anew", svc->cfg->c.audit_log);
    return;
  }
  jbuf_init(&err, JAN_MSG_MAX);
  if(audit_reopen(&svc->run->r.audit, &err))
    jlog_err(TAG, "cannot reopen the audit log: %s; still appending to the "
             "file it had open", jbuf_str(&err));
  else
    jlog_notice(TAG, "audit log reopened: %s", svc->run->r.audit.path);
  jbuf_free(&err);
}

static void on_sigusr1(uv_signal_t *h, int signum)
{
  (void)signum;
  service_reopen_audit(h->data);
}

/* ---- stop ---------------------------------------------------------------------- */

static void on_cancel_stuck(uv_timer_t *t)
{
  (void)t;
  jlog_err(TAG, "the sweep did not end %d s after it was canceled; exiting "
           "without saving the state", CANCEL_GRACE_MS / 1000);
  exit(EXIT_INCOMPLETE);
}

/* stop_timeout is over: cancel what is in flight; the sweep then ends
 * (its remaining deletions recorded as failed) and finish_stop follows. */
static void cancel_run(struct service *svc)
{
  struct run *run = svc->run;
  if(!run || run->canceled)
    return;
  run->canceled = 1;
  jlog_warn(TAG, "canceling the requests still in flight");
  uv_timer_start(&svc->stop_timer, on_cancel_stuck, CANCEL_GRACE_MS, 0);
  aws_client_shutdown(run->rt->rt.aws);
  run_stop(&run->r, 1);
}

static void on_stop_timeout(uv_timer_t *t)
{
  cancel_run(t->data);
}

static void close_cb(uv_handle_t *h)
{
  (void)h;
}

static void finish_stop(struct service *svc)
{
  uv_handle_t *handles[] = {
    (uv_handle_t *)&svc->sighup, (uv_handle_t *)&svc->sigterm,
    (uv_handle_t *)&svc->sigint, (uv_handle_t *)&svc->sigusr1,
    (uv_handle_t *)&svc->sweep_timer,
    (uv_handle_t *)&svc->tick_timer, (uv_handle_t *)&svc->watchdog_timer,
    (uv_handle_t *)&svc->stop_timer, (uv_handle_t *)&svc->finish_timer
  };
  if(svc->stopped)
    return;
  svc->stopped = 1;
  ctl_server_close(svc->ctl);
  svc->ctl = NULL;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(handles); i++)
    if(!uv_is_closing(handles[i]))
      uv_close(handles[i], close_cb);
  rt_ref_put(svc->rt);
  svc->rt = NULL;
  cfg_ref_put(svc->cfg);
  svc->cfg = NULL;
  jlog_notice(TAG, "stopped");
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
  struct service *svc = h->data;
  const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
  uint64_t grace = svc->cfg ? svc->cfg->c.stop_timeout_ms : 0;
  char in[32];

  if(svc->stopping) {
    /* A second signal: do not wait any longer. */
    jlog_notice(TAG, "%s again: canceling now", name);
    cancel_run(svc);
    return;
  }
  svc->stopping = 1;
  svc->next_wall_ms = 0;
  uv_timer_stop(&svc->sweep_timer);
  service_update_status(svc, "STOPPING=1");
  if(!svc->run) {
    jlog_notice(TAG, "%s: stopping", name);
    finish_stop(svc);
    return;
  }
  output_span((int64_t)(grace / 1000), in, sizeof(in));
  jlog_notice(TAG, "%s: stopping; no new requests, and those in flight get "
              "%s to finish", name, in);
  /* Every account's client: none starts a new request. */
  aws_client_drain(svc->run->rt->rt.aws);
  run_stop(&svc->run->r, 0);
  if(!grace)
    cancel_run(svc);
  else
    uv_timer_start(&svc->stop_timer, on_stop_timeout, grace, 0);
}

/* ---- reload (SIGHUP): a new configuration whole, or the old one kept -------- */

/* A reload that keeps the old configuration: logged, and kept for STATUS=
 * and `status` until a reload succeeds. */
static void reload_refused(struct service *svc, const char *why)
{
  snprintf(svc->reload_error, sizeof(svc->reload_error), "%s", why);
  jlog_err(TAG, "%s; the old configuration stays in force", why);
}

static void on_sighup(uv_signal_t *h, int signum)
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

  if(config_aws_differ(oc, &nc->c)) {
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

/* ---- run ------------------------------------------------------------------------ */

static void walk_cb(uv_handle_t *h, void *arg)
{
  int *n = arg;
  (*n)++;
  jlog_err(TAG, "a %s handle is still open at exit%s",
           uv_handle_type_name(uv_handle_get_type(h)),
           uv_is_closing(h) ? " (closing)" : "");
}

static int drain_and_close(uv_loop_t *loop)
{
  int open = 0, rc;
  while(uv_run(loop, UV_RUN_DEFAULT))
    ;
  uv_walk(loop, walk_cb, &open);
  rc = uv_loop_close(loop);
  if(rc)
    jlog_err(TAG, "the event loop did not close: %s", uv_strerror(rc));
  return rc || open ? -1 : 0;
}

/* Startup checks that would otherwise only show at the first sweep. */
static int check_dirs(const struct jan_config *c)
{
  char dbuf[4096];
  struct jbuf err;
  int rc;

  jbuf_init(&err, JAN_MSG_MAX);
  rc = fsafe_check_dir(dir_of(c->state_file, dbuf, sizeof(dbuf)), 1, &err);
  if(rc && c->mode == JAN_MODE_DELETE) {
    jlog_err(TAG, "%s; mode = delete needs the state directory",
             jbuf_str(&err));
    jbuf_free(&err);
    return -1;
  }
  if(rc)
    jlog_warn(TAG, "%s; sweeps will run without state", jbuf_str(&err));
  jbuf_free(&err);
  return 0;
}

/*
 * The metrics file rewritten at start from the record: the counters start
 * again from 0 (the daemon restarted), each account's last sweep's time,
 * duration and exit code are its record's, and the series by region come
 * back with the first run.
 */
static void metrics_at_start(struct service *svc, struct json_object *rec)
{
  const struct jan_config *c = &svc->cfg->c;
  struct json_object *arr = NULL, *v;
  struct account_result *res;
  struct inventory *inv;
  size_t n;
  struct jbuf err;

  if(!c->metrics_file || !*c->metrics_file)
    return;
  if(!json_object_object_get_ex(rec, "accounts", &arr) ||
     !json_object_is_type(arr, json_type_array))
    return;
  n = json_object_array_length(arr);
  res = calloc(n ? n : 1, sizeof(*res));
  inv = calloc(n ? n : 1, sizeof(*inv));
  for(size_t i = 0; res && inv && i < n; i++) {
    struct json_object *a = json_object_array_get_idx(arr, i);
    inventory_init(&inv[i]);
    inv[i].started_ms = last_sweep_int(a, "started_ms");
    inv[i].finished_ms = last_sweep_int(a, "finished_ms");
    inv[i].buckets_incomplete = json_object_object_get_ex(
        a, "buckets_incomplete", &v) && json_object_get_boolean(v);
    res[i].name = json_object_object_get_ex(a, "name", &v)
                ? json_object_get_string(v) : ACCOUNTS_DEFAULT_NAME;
    res[i].inv = &inv[i];
    res[i].exit_code = (int)last_sweep_int(a, "exit_code");
  }
  jbuf_init(&err, JAN_MSG_MAX);
  if(res && inv &&
     metrics_write(c->metrics_file, res, n, &svc->counters, &err))
    jlog_err(TAG, "cannot write the metrics: %s", jbuf_str(&err));
  jbuf_free(&err);
  for(size_t i = 0; inv && i < n; i++)
    inventory_free(&inv[i]);
  free(inv);
  free(res);
}

/* The record of the account acct in st (see service_record_of_state). */
static struct json_object *record_of(const struct state *st,
                                     const struct jan_account *acct,
                                     size_t naccounts)
{
  const struct state *a = acct->account_id[0]
                        ? state_account_get(st, acct->account_id)
                        : naccounts == 1 && st->naccounts == 1
                        ? &st->accounts[0]->st : NULL;
  return a && last_sweep_is_record(a->last_sweep) ? a->last_sweep : NULL;
}

struct json_object *service_record_of_state(const struct state *st,
                                            const struct jan_config *c)
{
  struct jan_account implicit;
  size_t n, have = 0;
  const struct jan_account *list = accounts_of_config(c, &implicit, &n);
  struct account_result *r = calloc(n, sizeof(*r));
  int *codes = calloc(n, sizeof(*codes));
  struct json_object *o = NULL;

  for(size_t i = 0; r && codes && i < n; i++) {
    r[i].name = list[i].name;
    /* A file from before accounts holds the record itself. */
    r[i].record = n == 1 && last_sweep_is_record(st->last_sweep)
                ? st->last_sweep : record_of(st, &list[i], n);
    codes[i] = r[i].record ? (int)last_sweep_int(r[i].record, "exit_code")
                           : EXIT_INCOMPLETE;
    have += r[i].record != NULL;
  }
  if(have)
    o = last_sweep_run_record(r, n, run_code_combine(codes, n));
  free(r);
  free(codes);
  return o;
}

/*
 * The last run's record from the state file, so that status shows it
 * after a restart, and the metrics file from it.  Read under the lock,
 * briefly; when a CLI sweep holds it, the record comes with the first
 * run.
 */
static void read_last_sweep(struct service *svc)
{
  const struct jan_config *c = &svc->cfg->c;
  struct state st;
  struct jbuf err;
  struct json_object *rec;
  int fd;

  state_init(&st);
  jbuf_init(&err, JAN_MSG_MAX);
  fd = state_lock(c->state_file, 0, NULL, &err);
  if(fd >= 0) {
    jbuf_reset(&err);
    state_load(&st, c->state_file, &err);
    state_unlock(fd);
    if(err.len)
      jlog_warn(TAG, "%s", jbuf_str(&err));
  }
  rec = service_record_of_state(&st, c);
  if(rec) {
    struct json_object *arr = NULL;
    int64_t ok = INT64_MAX;
    svc->last_json = json_object_get(rec);
    /* The oldest of the accounts' last successes, as at the end of a
     * run. */
    json_object_object_get_ex(rec, "accounts", &arr);
    for(size_t i = 0; arr && i < json_object_array_length(arr); i++) {
      int64_t t = last_sweep_int(json_object_array_get_idx(arr, i),
                                 "last_success_ms");
      if(t < ok)
        ok = t;
    }
    if(arr && json_object_array_length(arr) && ok > 0)
      svc->counters.last_success_ms = ok;
    metrics_at_start(svc, rec);
  }
  json_object_put(rec);
  state_free(&st);
  jbuf_free(&err);
}

/* Signals, timers and the watchdog; the first sweep is armed by the
 * caller. */
static void start_handles(struct service *svc)
{
  uint64_t wd_usec = 0;

  uv_signal_init(&svc->loop, &svc->sighup);
  uv_signal_init(&svc->loop, &svc->sigterm);
  uv_signal_init(&svc->loop, &svc->sigint);
  uv_signal_init(&svc->loop, &svc->sigusr1);
  uv_timer_init(&svc->loop, &svc->sweep_timer);
  uv_timer_init(&svc->loop, &svc->tick_timer);
  uv_timer_init(&svc->loop, &svc->watchdog_timer);
  uv_timer_init(&svc->loop, &svc->stop_timer);
  uv_timer_init(&svc->loop, &svc->finish_timer);
  svc->sighup.data = svc->sigterm.data = svc->sigint.data = svc;
  svc->sigusr1.data = svc;
  svc->sweep_timer.data = svc->tick_timer.data = svc;
  svc->watchdog_timer.data = svc->stop_timer.data = svc;
  svc->finish_timer.data = svc;
  uv_signal_start(&svc->sighup, on_sighup, SIGHUP);
  uv_signal_start(&svc->sigterm, on_stop_signal, SIGTERM);
  uv_signal_start(&svc->sigint, on_stop_signal, SIGINT);
  uv_signal_start(&svc->sigusr1, on_sigusr1, SIGUSR1);

  if(notify_watchdog_usec(&wd_usec)) {
    uint64_t every = wd_usec / 2000;
    if(!every)
      every = 1;
    uv_timer_start(&svc->watchdog_timer, on_watchdog, every, every);
    jlog_info(TAG, "watchdog: a ping every %" PRIu64 " ms", every);
  }
  svc->sched_first = 1;
  svc->sched_from_mono_ms = svc->started_mono_ms;
}

static void log_started(const struct service *svc)
{
  const struct jan_config *c = &svc->cfg->c;
  char in[32];

  output_span((int64_t)(c->interval_ms / 1000), in, sizeof(in));
  jlog_notice(TAG, "remotion-janitor %s started (pid %ld): config %s, "
              "socket %s, mode %s, %zu region%s, a sweep every %s",
              JAN_VERSION, (long)getpid(),
              c->path ? c->path : "(built-in defaults)", c->socket,
              c->mode == JAN_MODE_DELETE ? "delete" : "report",
              c->nregions, c->nregions == 1 ? "" : "s", in);
}

int service_run(const struct service_opts *o)
{
  struct service *svc;
  struct jbuf errs;
  int rc, code = EXIT_OK;

  svc = calloc(1, sizeof(*svc));
  if(!svc) {
    jlog_err(TAG, "out of memory");
    return EXIT_INCOMPLETE;
  }
  svc->opts = o;
  run_carry_init(&svc->carry);
  jan_rng_seed(&svc->rng);
  signal(SIGPIPE, SIG_IGN);

  svc->cfg = cfg_ref_new();
  if(!svc->cfg) {
    free(svc);
    return EXIT_INCOMPLETE;
  }
  jbuf_init(&errs, JAN_REPORT_MAX);
  rc = service_load_config(o, &svc->cfg->c, &errs);
  if(rc) {
    service_log_lines(JLOG_ERR, &errs);
    jbuf_free(&errs);
    cfg_ref_put(svc->cfg);
    free(svc);
    return EXIT_USAGE;
  }
  jbuf_free(&errs);
  if(check_dirs(&svc->cfg->c)) {
    cfg_ref_put(svc->cfg);
    free(svc);
    return EXIT_USAGE;
  }

  if(curl_global_init(CURL_GLOBAL_DEFAULT)) {
    jlog_err(TAG, "cannot initialise libcurl");
    cfg_ref_put(svc->cfg);
    free(svc);
    return EXIT_INCOMPLETE;
  }
  read_last_sweep(svc);
  xmlInitParser();
  uv_loop_init(&svc->loop);
  svc->started_mono_ms = uv_now(&svc->loop);

  svc->rt = rt_ref_open(&svc->loop, &svc->cfg->c, &rc);
  if(!svc->rt) {
    jlog_err(TAG, "cannot start: %s", jan_strerror(rc));
    code = EXIT_INCOMPLETE;
    goto fail;
  }
  {
    struct jbuf e;
    jbuf_init(&e, JAN_MSG_MAX);
    rc = ctl_server_open(&svc->loop, svc->cfg->c.socket,
                         svc->cfg->c.socket_mode, &service_ctl_ops, svc,
                         &svc->ctl, &e);
    if(rc) {
      jlog_err(TAG, "%s", jbuf_str(&e));
      jbuf_free(&e);
      code = EXIT_USAGE;
      goto fail;
    }
    jbuf_free(&e);
  }

  start_handles(svc);
  arm(svc, svc->cfg->c.startup_delay_ms);
  log_started(svc);
  service_update_status(svc, "READY=1");

  uv_run(&svc->loop, UV_RUN_DEFAULT);
  goto out;

fail:
  if(svc->ctl)
    ctl_server_close(svc->ctl);
  rt_ref_put(svc->rt);
  cfg_ref_put(svc->cfg);
out:
  if(drain_and_close(&svc->loop) && code == EXIT_OK)
    code = EXIT_INCOMPLETE;
  inv_ref_put(svc->last);
  json_object_put(svc->last_json);
  /* Audit records or clocks that never reached their file: said in the
   * log (run_carry_free), and the exit code. */
  if((svc->carry.audit.n || svc->carry.have_st) && code == EXIT_OK)
    code = EXIT_INCOMPLETE;
  run_carry_free(&svc->carry);
  free(svc);
  xmlCleanupParser();
  curl_global_cleanup();
  return code;
}

int service_status(const struct service_opts *o, int json)
{
  struct jan_config cfg;
  struct jbuf errs;
  int rc;

  jbuf_init(&errs, JAN_REPORT_MAX);
  rc = service_load_config(o, &cfg, &errs);
  if(rc) {
    fputs(jbuf_str(&errs), stderr);
    if(json)
      output_error_json(stdout, jbuf_str(&errs), EXIT_USAGE);
    jbuf_free(&errs);
    config_free(&cfg);
    return EXIT_USAGE;
  }
  jbuf_free(&errs);
  rc = ctl_status_client(cfg.socket, json);
  config_free(&cfg);
  return rc;
}
