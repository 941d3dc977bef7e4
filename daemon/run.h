/*
 * One run, for the CLI (--sweep) and the daemon's sweeps alike (timer or
 * command): the state file, its lock and the audit log opened, the sweeps
 * of the run's accounts (accounts.h: its sections, or the one implicit
 * account "default") started on them, stopped together, and everything
 * saved and released at the end, with one cleanup path.  The rule
 * "nothing is deleted without a usable state, its lock and the audit
 * log" lives here and nowhere else.
 */
#ifndef JANITOR_DAEMON_RUN_H
#define JANITOR_DAEMON_RUN_H

#include "janitor/audit.h"
#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/state.h"
#include "janitor/organizations.h"
#include "account_list.h"
#include "accounts.h"
#include "runtime.h"
#include "sweep.h"

/*
 * What the daemon keeps from one run to the next when a file failed it
 * (remotion-janitor(8), AUDIT LOG): the audit records not yet written,
 * and a state that could not be saved (used instead of the file by the
 * next run, and saved with it).  The CLI has none.
 */
struct run_carry {
  struct audit_backlog audit;
  struct state st;
  int have_st;                  /* st holds an unsaved state */
  char state_error[256];        /* why the last save failed; "" when it
                                   succeeded */
};

void run_carry_init(struct run_carry *k);
void run_carry_free(struct run_carry *k);

struct sweep_run;
/* The last account's sweep of the run is done. */
typedef void (*run_done_cb)(struct sweep_run *r, void *arg);

/* What a run is started with besides the config. */
struct run_opts {
  enum jan_mode mode;
  const char *const *only;      /* --account: only these; NULL: all */
  size_t nonly;
  sweep_confirm_fn confirm;     /* asked per account; NULL: not needed */
  void *confirm_arg;
  enum progress_mode progress;  /* of each account's sweep */
  run_done_cb done;             /* NULL: the caller polls run_done() */
  void *arg;
};

struct sweep_run {
  struct accounts as;           /* the run's accounts and their sweeps */
  struct state st;
  struct audit audit;
  int lockfd;                   /* -1: the lock is not held */
  int have_state;               /* st was loaded and is saved at the end */
  int started;                  /* the accounts' sweeps were started */
  run_done_cb done;
  void *done_arg;
  int from_carry;               /* st came from carry, not the file */
  const char *trigger;          /* for the record; NULL: "cli" */
  struct run_carry *carry;      /* set by the caller, kept; NULL: none */
  char save_error[256];         /* after run_close: why the state could
                                   not be saved; "" when it was */

  /* The run's accounts (account_list.h): with [organization], growing
   * as the listing's pages arrive, sealed when it ends. */
  struct account_list list;
  struct org_listing org;       /* the members listed; empty without */
  struct runtime org_rt;        /* the listing's own client, on base's
                                   credentials: stopped with the run */
  int org_opened;
  size_t given;                 /* entries of list the accounts have */
  int listing;                  /* the organization is being listed */
  int stopping;                 /* run_stop() came during the listing */
  struct run_opts opts;         /* kept for the sweeps' start */
  const struct runtime *base;
  const struct jan_config *cfg;
  int list_code;                /* the run's exit code when the list could
                                   not be made (3: the listing failed, so
                                   nothing is deleted anywhere); 0: none */
  char list_error[AWS_DESCRIBE_MAX + 512];   /* why, for the outputs */
};

/*
 * Take the state's lock (without waiting) and load the state; in delete
 * mode also open the audit log.  A report may go on without them (the
 * reason is logged as a warning); a deletion may not.  Returns JAN_OK,
 * JAN_EBUSY (another sweep holds the lock: its pid in *holder), or
 * JAN_EINVAL with the reason in err.  run_close() is due in every case.
 * r->trigger and r->carry, set by the caller before, are kept: with a
 * carry, its unsaved state replaces the file's, and its held audit
 * records are written first (when that fails, the sweep deletes nothing).
 */
int run_open(struct sweep_run *r, const struct jan_config *cfg,
             enum jan_mode mode, long *holder, struct jbuf *err);

/*
 * Start a sweep for each account of the run (o->only: those named) on what
 * run_open() opened, each on its own runtime built on base.  JAN_OK, or
 * an error with the reason in err (JAN_EINVAL: a wrong --account).
 * With [organization], the organization is listed with base's
 * credentials (org_discover_pages): each page's members (the config's
 * accounts with the first page) start as the page arrives, but none
 * deletes before the listing is complete (accounts_seal); when it fails,
 * none deletes anything, those started say why, and the run ends with
 * list_code 3 (EXIT_CREDENTIALS) and list_error naming the permission.
 * base and cfg must outlive the run.
 */
int run_start(struct sweep_run *r, const struct runtime *base,
              const struct jan_config *cfg, const struct run_opts *o,
              struct jbuf *err);
/* 1 when every account's sweep of a started run is done. */
int run_done(const struct sweep_run *r);
/* Stop: no account starts a new request; with cancel, every request in
 * flight is canceled too (its sweep then ends). */
void run_stop(struct sweep_run *r, int cancel);
/* The run's exit code over its accounts (accounts_exit_code), made 1 by
 * a state that could not be saved. */
int run_exit_code(const struct sweep_run *r);

/* Save the state now, when it was loaded and the sweep ended (else, or
 * when done already, nothing): see run_close. */
void run_save(struct sweep_run *r, const struct jan_config *cfg);

/* Save the state (when it was loaded), release the lock, close the audit
 * log, free the sweeps and the accounts' runtimes (before base's).  Safe after a failed run_open().  A state that
 * cannot be saved is logged, its reason put in r->save_error, and kept in
 * r->carry when there is one. */
void run_close(struct sweep_run *r, const struct jan_config *cfg);

#endif
