/*
 * What the daemon's files share (service.c: the loop, schedule, sweeps and
 * stop, reload on SIGHUP; views.c: STATUS= and the
 * status answer).  Not an interface for anything else.
 */
#ifndef JANITOR_DAEMON_SERVICE_INT_H
#define JANITOR_DAEMON_SERVICE_INT_H

#include <stdint.h>

#include <json-c/json.h>
#include <uv.h>

#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/rng.h"
#include "ctl.h"
#include "ctl_inventory.h"
#include "metrics.h"
#include "run.h"
#include "runtime.h"
#include "service.h"

#define INT64(v) json_object_new_int64((int64_t)(v))

struct cfg_ref {
  unsigned refs;
  struct jan_config c;
};

struct rt_ref {
  unsigned refs;
  struct runtime rt;
};

struct service;

/* One run in progress (its accounts' sweeps) and what it holds. */
struct run {
  struct service *svc;
  struct cfg_ref *cfg;          /* the config it started with */
  struct rt_ref *rt;            /* the runtime it runs on */
  struct sweep_run r;           /* the sweeps, their state, lock and audit */
  int finished;                 /* the sweep's done callback ran */
  int canceled;                 /* stop: in-flight requests canceled */
  const char *trigger;          /* "timer" or "command" */
};

struct service {
  uv_loop_t loop;
  const struct service_opts *opts;
  struct cfg_ref *cfg;          /* in force */
  struct rt_ref *rt;            /* in force */
  struct ctl_server *ctl;
  uv_signal_t sighup, sigterm, sigint, sigusr1;
  uv_timer_t sweep_timer;       /* the next sweep */
  uv_timer_t tick_timer;        /* STATUS= while sweeping */
  uv_timer_t watchdog_timer;
  uv_timer_t stop_timer;        /* stop_timeout, then the cancel grace */
  uv_timer_t finish_timer;      /* deferred end of a sweep */

  uint64_t started_mono_ms;
  uint64_t sched_from_mono_ms;  /* the next sweep is counted from here */
  int sched_first;              /* the first sweep is still to come */
  int64_t next_wall_ms;         /* 0: none scheduled */

  struct run *run;
  struct inv_ref *last;         /* the last finished sweep's inventory */
  struct json_object *last_json;  /* status' last_sweep, or NULL */
  struct metrics_counters counters;
  /* Kept from one sweep to the next when a file failed them: the audit
   * records not yet written, an unsaved state (run.h). */
  struct run_carry carry;
  struct jan_rng rng;           /* sweep jitter */

  int stopping;
  int stopped;
  char status_text[512];        /* the last STATUS= sent */
  /* The last reload (SIGHUP): when, and why it kept the old configuration
   * (empty when it was applied).  Shown in STATUS= and `status` until a
   * reload succeeds. */
  int64_t reload_wall_ms;       /* 0: no reload yet */
  char reload_error[256];
};

/* service.c */
int64_t service_wall_ms(void);
struct cfg_ref *cfg_ref_new(void);
struct cfg_ref *cfg_ref_get(struct cfg_ref *r);
void cfg_ref_put(struct cfg_ref *r);
struct rt_ref *rt_ref_open(uv_loop_t *loop, const struct jan_config *c,
                           int *rc);
struct rt_ref *rt_ref_get(struct rt_ref *r);
void rt_ref_put(struct rt_ref *r);
/* The health of the audit log and the state file into the counters (for
 * the metrics), from the carry. */
void service_file_health(struct service *svc);
/* A sweep in progress moves its audit log to a new file (rotation). */
void service_reopen_audit(struct service *svc);
/* After a reload: the same reference point, the new durations. */
void service_reschedule(struct service *svc);
extern const struct ctl_ops service_ctl_ops;

/* views.c */
/* Send STATUS= when it changed, or always with a prefix (READY=1...). */
void service_update_status(struct service *svc, const char *prefix);
/* The `status` answer (ctl_ops.status). */
struct json_object *service_status_json(void *arg);
/* The status record of the last run in a state file (last_sweep.h), a
 * new reference, or NULL: each account of c's run has its record by its
 * account_id; an account without one is the file's only one when the run
 * has one account (a file from before accounts holds it itself). */
struct json_object *service_record_of_state(const struct state *st,
                                            const struct jan_config *c);

#endif
