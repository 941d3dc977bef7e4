/*
 * One sweep: identity and inventory (collect.c), decisions (policy.c),
 * guards, and (in delete mode) deletion.  Asynchronous on the runtime's
 * loop; done runs once at the end.
 */
#ifndef JANITOR_DAEMON_SWEEP_H
#define JANITOR_DAEMON_SWEEP_H

#include <uv.h>

#include "janitor/audit.h"
#include "janitor/collect.h"
#include "janitor/config.h"
#include "janitor/inventory.h"
#include "janitor/names.h"
#include "janitor/policy.h"
#include "janitor/state.h"
#include "progress.h"
#include "run_code.h"
#include "runtime.h"


enum sweep_state {
  SWEEP_IDLE = 0,     /* not started */
  SWEEP_LISTING,      /* identity and inventory requests in flight */
  SWEEP_DELETING,     /* deletions in flight */
  SWEEP_DONE          /* finished; exit_code and inv are final */
};

struct sweep;
typedef void (*sweep_done_cb)(struct sweep *s, void *arg);
/* Asked before deleting when confirmation is needed: return 1 to go on. */
typedef int (*sweep_confirm_fn)(struct sweep *s, void *arg);
/* Asked when the sweep is about to delete (its guards passed, before
 * confirmation): SWEEP_GO, SWEEP_WAIT (it waits, with nothing in flight,
 * for sweep_release()), or SWEEP_REFUSE (nothing is deleted; *why says
 * why).  A barrier shared by the accounts of a run (accounts.c). */
enum sweep_hold { SWEEP_GO = 0, SWEEP_WAIT, SWEEP_REFUSE };
typedef enum sweep_hold (*sweep_hold_fn)(struct sweep *s, void *arg,
                                         const char **why);

struct sweep_progress {
  size_t total;                 /* deletions started */
  size_t done;                  /* outcomes so far */
  uint64_t objects_deleted;     /* objects removed from buckets so far */
  const char *bucket;           /* a bucket being emptied, or NULL */
};

struct bucket_job;
struct renders;

/* An outcome waiting for the audit log's next group commit. */
struct sweep_outcome {
  size_t idx;                   /* the item */
  enum inv_result res;
  char *error, *code, *request_id;
  int64_t objects;
  int64_t bytes;                /* renders, props: bytes deleted; else -1 */
};

struct sweep {
  struct runtime *rt;
  const struct jan_config *cfg;
  enum jan_mode mode;           /* report, or delete */
  enum sweep_state state;
  struct inventory inv;
  int exit_code;
  char message[AWS_DESCRIBE_MAX]; /* why the exit code is not 0, or what a
                                   report would have refused */
  /* When the last sweep with exit code 0 finished (epoch ms; this one, or
   * the one the state file remembers); 0 when none is known.  Set at the
   * end. */
  int64_t last_success_ms;
  const char *trigger;          /* "cli" (default), "timer", "command" */
  struct json_object *record;   /* when done: last_sweep.c's record */
  sweep_done_cb done;
  sweep_confirm_fn confirm;     /* NULL: no confirmation needed */
  void *arg;
  sweep_hold_fn hold;           /* NULL: no barrier; its arg is arg */
  int held;                     /* waiting for sweep_release() */

  struct state *root;           /* the state file's; NULL: none */
  int adopt;                    /* the run's only sweep: takes over the
                                   clocks of no known account (state.h) */
  int claim;                    /* state_claim()'s answer (JAN_OK: none
                                   needed or done) */
  struct state *st;             /* this account's grace clocks in root,
                                   once its identity is known; NULL: none
                                   (grace 0 only) */
  struct audit *audit;          /* NULL: no audit log */
  struct sweep_progress progress;
  struct bucket_job **jobs;     /* buckets being deleted, by item index */
  size_t pending;               /* deletions started, not yet ended */
  size_t cursor;                /* next item to look at for deletion */
  int starting;                 /* inside start_more() */
  uv_timer_t *progress_timer;
  struct progress pr;           /* how progress is shown (main sets mode) */
  struct sweep_outcome *outq;   /* outcomes not yet written to the audit */
  size_t noutq, capoutq;
  uv_timer_t *flush_timer;      /* the next group commit */
  struct renders *rd;           /* renders and storage (renders.c) */
  struct collect_result ident;  /* the identity, while renders are listed */
  uint64_t skew_refused0;       /* aws_stats' skew_refused at the start */
  size_t clock_restarts[POLICY_CLOCK_COUNT];  /* stored clocks not accepted,
                                   by enum policy_clock (logged once) */
  char clock_example[NAMES_ESCAPE_BUF + 96];  /* the first, for the log */
  int denied_said;              /* a denied logs:DeleteLogGroup was
                                   logged */
};

void sweep_init(struct sweep *s, struct runtime *rt,
                const struct jan_config *cfg, enum jan_mode mode);
/* Optional, before sweep_start: the state file's root (this account's
 * clocks are read and set as the sweep sees its resources; those it did
 * not see go when it ends) and the audit log. */
void sweep_use_state(struct sweep *s, struct state *root,
                     struct audit *audit);
/* A sweep held at the barrier (hold answered SWEEP_WAIT) goes on to its
 * deletions (refusal NULL), or deletes nothing, with exit code 3 and
 * refusal as its message; it ends then.  Not held: nothing happens. */
void sweep_release(struct sweep *s, const char *refusal);
/* Objects deleted so far in the bucket being emptied, for status. */
void sweep_update_progress(struct sweep *s);
int sweep_start(struct sweep *s, sweep_done_cb done, void *arg);
void sweep_free(struct sweep *s);
const char *sweep_state_name(enum sweep_state st);

#endif
