#include <string.h>

#include "janitor/caps.h"
#include "janitor/fsafe.h"
#include "janitor/log.h"
#include "run.h"

#define TAG "run"

int run_open(struct sweep_run *r, const struct jan_config *cfg,
             enum jan_mode mode, long *holder, struct jbuf *err)
{
  const char *trigger = r->trigger;   /* set by the caller, kept */
  int rc;

  memset(r, 0, sizeof(*r));
  r->trigger = trigger;
  r->lockfd = -1;
  state_init(&r->st);
  audit_init(&r->audit);

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
  state_load(&r->st, cfg->state_file, err);
  if(err->len)
    jlog_warn(TAG, "%s", jbuf_str(err));
  jbuf_reset(err);
  r->have_state = 1;
  if(mode == JAN_MODE_DELETE && audit_open(&r->audit, cfg->audit_log, err)) {
    jbuf_addstr(err, "; nothing is deleted without the audit log");
    return JAN_EINVAL;
  }
  return JAN_OK;
}

int run_start(struct sweep_run *r, struct runtime *rt,
              const struct jan_config *cfg, enum jan_mode mode,
              sweep_confirm_fn confirm, sweep_done_cb done, void *arg)
{
  sweep_init(&r->sw, rt, cfg, mode);
  if(r->trigger)
    r->sw.trigger = r->trigger;
  r->started = 1;
  sweep_use_state(&r->sw, r->have_state ? &r->st : NULL,
                  r->audit.fd >= 0 ? &r->audit : NULL);
  r->sw.adopt = 1;
  r->sw.confirm = confirm;
  return sweep_start(&r->sw, done, arg);
}

void run_close(struct sweep_run *r, const struct jan_config *cfg)
{
  /* The state changes only when a sweep ends (its clocks, the last
   * sweep): one that never ran leaves the file as it was. */
  int finished = r->finished || (r->started && r->sw.state == SWEEP_DONE);
  if(r->started) {
    sweep_free(&r->sw);
    r->started = 0;
  }
  if(r->have_state && finished) {
    struct jbuf err;
    jbuf_init(&err, JAN_MSG_MAX);
    if(state_save(&r->st, cfg->state_file, &err))
      jlog_err(TAG, "cannot save the state: %s", jbuf_str(&err));
    jbuf_free(&err);
    r->have_state = 0;
  }
  audit_close(&r->audit);
  state_free(&r->st);
  if(r->lockfd >= 0)
    state_unlock(r->lockfd);
  r->lockfd = -1;
}

void run_finished(struct sweep_run *r)
{
  r->finished = 1;
}
