/*
 * The accounts of a run (remotion-janitor.conf(5), ACCOUNTS): one per
 * [account] section, or without sections the one implicit account
 * "default" of the [aws] credentials -- a single account is a list of
 * one.  All sweep at once on one loop and one HTTP engine (the request
 * limits are per host, for all of them), each with its own credentials,
 * regions, guards and grace clocks.  A wrong account, a failed
 * assume-role or an incomplete listing stops deletion in that account
 * only.  There is no fixed number of accounts.
 */
#ifndef JANITOR_DAEMON_ACCOUNTS_H
#define JANITOR_DAEMON_ACCOUNTS_H

#include "janitor/config.h"
#include "janitor/state.h"
#include "account_list.h"
#include "output.h"
#include "progress.h"
#include "runtime.h"
#include "sweep.h"


struct accounts;

/* One account's sweep. */
struct account_sweep {
  struct accounts *owner;
  const struct jan_account *acct;   /* &own */
  struct jan_account own;       /* a copy of the list's entry (its strings
                                   borrowed) */
  size_t index;                 /* its place in the lists given */
  const char *title;            /* a member's Name, or NULL (borrowed) */
  struct jan_config view;       /* the config as this account sees it:
                                   its regions and account_id (borrowed
                                   pointers; never freed) */
  struct runtime rt;            /* its credentials and client */
  struct sweep sw;
  int opened, started;
};

typedef void (*accounts_done_cb)(struct accounts *as, void *arg);

struct accounts {
  struct account_sweep **a;     /* the accounts swept, in list order */
  size_t n, cap;
  size_t given;                 /* entries of the lists given so far */
  size_t configured;            /* accounts in the config (1 without
                                   sections) */
  size_t running;               /* sweeps not yet done */
  const struct runtime *base;
  const struct jan_config *cfg;
  const char *const *only;      /* --account (borrowed), nonly 0: all */
  size_t nonly;
  int sealed;                   /* the list will not grow */
  const char *refusal;          /* sealed as failed: why nothing is
                                   deleted (borrowed) */
  int started, said_done;
  enum jan_mode mode;           /* the sweeps' start */
  struct state *root;
  struct audit *audit;
  enum progress_mode progress;
  struct jan_account implicit;  /* "default", without sections */
  const char *trigger;          /* the sweeps' trigger; NULL: "cli" */
  sweep_confirm_fn confirm;     /* asked per account; NULL: not needed */
  void *confirm_arg;
  accounts_done_cb done;
  void *arg;
};

/*
 * Whether a run of cfg may go on: every name in only (--account) is an
 * account of the config (without sections the one "default"), and in
 * delete mode every account swept has its account_id.  JAN_OK, or
 * JAN_EINVAL with the reason in err.
 */
int accounts_check(const struct jan_config *cfg, const char *const *only,
                   size_t nonly, enum jan_mode mode, struct jbuf *err);
/*
 * The accounts named in only (nonly 0: every account of cfg), each with
 * its runtime built on base.  JAN_EINVAL (see accounts_check) or another
 * error with the reason in err; accounts_close() is due in every case.
 */
int accounts_open(struct accounts *as, const struct runtime *base,
                  const struct jan_config *cfg, const char *const *only,
                  size_t nonly, struct jbuf *err);
/* The same over a list built elsewhere (account_list.h: the organization's
 * members, the shard), sealed: accounts_begin(), accounts_add(),
 * accounts_seal(). */
int accounts_open_list(struct accounts *as, const struct runtime *base,
                       const struct jan_config *cfg,
                       const struct jan_account *list, size_t n,
                       const char *const *only, size_t nonly,
                       struct jbuf *err);
/*
 * A run's accounts are a list that may grow until it is sealed (the
 * organization's members as its pages arrive); a fixed list is one sealed
 * at once.  accounts_begin() starts an empty one; accounts_add() opens the
 * n accounts of list (copied; their strings must outlive the sweeps;
 * titles[i] a member's Name or NULL, titles NULL: none) that only names,
 * and starts them at once when accounts_start() came first.  Until the
 * list is sealed, a sweep that is about to delete waits (sweep.h, the
 * barrier): accounts_seal() with refusal NULL lets them go on (JAN_EINVAL
 * with the reason in err when a name of only is in no list given: then
 * the list is sealed as refused), with a refusal (why the list is not
 * complete) none deletes anything and each says why.  The run is done
 * once sealed and every sweep is done.
 */
void accounts_begin(struct accounts *as, const struct runtime *base,
                    const struct jan_config *cfg, const char *const *only,
                    size_t nonly);
int accounts_add(struct accounts *as, const struct jan_account *list,
                 const char *const *titles, size_t n, struct jbuf *err);
int accounts_seal(struct accounts *as, const char *refusal,
                  struct jbuf *err);
/*
 * Start every sweep on the state root (NULL: none) and the audit log
 * (NULL: none); done runs once, when the last one is done.  A sweep
 * that cannot start is done at once (its exit code and message say why).
 */
void accounts_start(struct accounts *as, enum jan_mode mode,
                    struct state *root, struct audit *audit,
                    enum progress_mode progress, accounts_done_cb done,
                    void *arg);
int accounts_done(const struct accounts *as);
/* Stop: no account starts a new request (drain), or every account's
 * requests in flight are canceled too (cancel). */
void accounts_drain(struct accounts *as);
void accounts_cancel(struct accounts *as);
/*
 * The run's exit code over its accounts' (run_code_combine).
 */
int accounts_exit_code(const struct accounts *as);
/* The outcome of every account, for the outputs (output.h): an array of
 * as->n the caller frees (NULL when out of memory), borrowing from as. */
struct account_result *accounts_results(const struct accounts *as);
/* Free the sweeps and the accounts' runtimes (before base's). */
void accounts_close(struct accounts *as);

#endif
