/*
 * Several accounts in one run (remotion-janitor.conf(5), ACCOUNTS): one
 * sweep per [account] section, all at once on one loop and one HTTP
 * engine (the request limits are per host, for all of them), each with
 * its own credentials, regions, guards and grace clocks.  A wrong
 * account, a failed assume-role or an incomplete listing stops deletion
 * in that account only.
 */
#ifndef JANITOR_DAEMON_ACCOUNTS_H
#define JANITOR_DAEMON_ACCOUNTS_H

#include "janitor/config.h"
#include "janitor/state.h"
#include "progress.h"
#include "runtime.h"
#include "sweep.h"

struct accounts;

/* One account's sweep. */
struct account_sweep {
  struct accounts *owner;
  const struct jan_account *acct;
  struct jan_config view;       /* the config as this account sees it:
                                   its regions and account_id (borrowed
                                   pointers; never freed) */
  struct runtime rt;            /* its credentials and client */
  struct sweep sw;
  int opened, started;
};

typedef void (*accounts_done_cb)(struct accounts *as, void *arg);

struct accounts {
  struct account_sweep *a;      /* the accounts swept, in file order */
  size_t n;
  size_t configured;            /* [account] sections in the config */
  size_t running;               /* sweeps not yet done */
  const char *trigger;          /* the sweeps' trigger; NULL: "cli" */
  sweep_confirm_fn confirm;     /* asked per account; NULL: not needed */
  void *confirm_arg;
  accounts_done_cb done;
  void *arg;
};

/*
 * The accounts named in only (nonly 0: every [account] section); a name
 * that is no section: JAN_EINVAL with the reason in err.  Builds each
 * account's runtime on base.
 */
int accounts_open(struct accounts *as, const struct runtime *base,
                  const struct jan_config *cfg, const char *const *only,
                  size_t nonly, struct jbuf *err);
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
/*
 * The run's exit code: 0 when every account's is; the common code when
 * every account failed alike; EXIT_GUARD when a guard refused somewhere;
 * else EXIT_INCOMPLETE (one account's trouble never hides another's
 * success, and never stops it).
 */
int accounts_exit_code(const struct accounts *as);
/* The run's exit code from its accounts' (the rule of remotion-janitor(8),
 * EXIT STATUS): theirs when they agree, else 4 when a guard refused
 * somewhere, else 1. */
int accounts_combine_codes(const int *codes, size_t n);
/* Free the sweeps and the accounts' runtimes (before base's). */
void accounts_close(struct accounts *as);

#endif
