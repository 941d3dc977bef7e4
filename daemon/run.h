/*
 * One sweep run, for the CLI (--sweep) and the daemon alike: the state
 * file, its lock and the audit log opened, the sweep started on them, and
 * everything saved and released at the end, with one cleanup path.  The
 * rule "nothing is deleted without a usable state, its lock and the audit
 * log" lives here and nowhere else.
 */
#ifndef JANITOR_DAEMON_RUN_H
#define JANITOR_DAEMON_RUN_H

#include "janitor/audit.h"
#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/state.h"
#include "runtime.h"
#include "sweep.h"

struct sweep_run {
  struct sweep sw;
  struct state st;
  struct audit audit;
  int lockfd;                   /* -1: the lock is not held */
  int have_state;               /* st was loaded and is saved at the end */
  int started;                  /* sw was initialised */
  const char *trigger;          /* for the record; NULL: "cli" */
};

/*
 * Take the state's lock (without waiting) and load the state; in delete
 * mode also open the audit log.  A report may go on without them (the
 * reason is logged as a warning); a deletion may not.  Returns JAN_OK,
 * JAN_EBUSY (another sweep holds the lock: its pid in *holder), or
 * JAN_EINVAL with the reason in err.  run_close() is due in every case.
 * r->trigger, set by the caller before, is kept.
 */
int run_open(struct sweep_run *r, const struct jan_config *cfg,
             enum jan_mode mode, long *holder, struct jbuf *err);

/* Start the sweep on what run_open() opened (confirm may be NULL). */
int run_start(struct sweep_run *r, struct runtime *rt,
              const struct jan_config *cfg, enum jan_mode mode,
              sweep_confirm_fn confirm, sweep_done_cb done, void *arg);

/* Save the state (when it was loaded), release the lock, close the audit
 * log, free the sweep.  Safe after a failed run_open(). */
void run_close(struct sweep_run *r, const struct jan_config *cfg);

#endif
