/*
 * The Prometheus textfile (node_exporter's textfile collector): written
 * after each run to [daemon] metrics_file, atomically (a temporary file
 * in the same directory, then rename), never through a symbolic link.
 *
 * The model: families (a name, a type, a help text), each with labelled
 * samples; a family about a sweep has a sample set per account of the run,
 * labelled account="NAME" (its section's, or "default": the same in every
 * mode, so a dashboard does not change when a second account is added); a
 * family about the daemon has one set without.  Rendered in one pass.
 */
#ifndef JANITOR_DAEMON_METRICS_H
#define JANITOR_DAEMON_METRICS_H

#include <stdint.h>

#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/inventory.h"
#include "output.h"

/* Consecutive sweeps, up to the last, with an incomplete listing. */
struct metrics_streak {
  char region[32];
  unsigned sweeps;
};

/* Counters kept by the daemon across runs (reset when it restarts,
 * except last_success_ms, which the state file carries over). */
struct metrics_counters {
  uint64_t deletions[JAN_KIND_N][3]; /* [enum jan_kind][deleted, failed,
                                   refused] */
  uint64_t sweeps;              /* runs finished */
  uint64_t sweeps_failed;       /* of which with an exit code other than 0 */
  int64_t last_success_ms;      /* the last run with exit code 0; 0: none */
  struct metrics_streak incomplete[JAN_MAX_REGIONS];  /* swept regions */
  size_t nincomplete;
  unsigned buckets_incomplete;  /* the same for the bucket listing */
  uint64_t reclaimed_bytes;     /* from renders and props */
  uint64_t renders_pruned;
  /* The files (remotion-janitor(8), AUDIT LOG): gauges, set by the
   * service before each write. */
  int audit_failing;            /* the last append to the audit log failed */
  uint64_t audit_held;          /* records not yet written */
  int state_unsaved;            /* the last save of the state failed */
};

/*
 * Add the outcomes of one finished run over n accounts (its exit code
 * code): one sweep; the deletions of all; a region's streak of
 * incomplete listings goes on when any account's listing there was
 * incomplete, and ends only when every account's was complete (so that an
 * alert on it is not silenced by another account).
 */
void metrics_count(struct metrics_counters *c, const struct account_result *r,
                   size_t n, int code);
/* The textfile for the last run's accounts and the counters, into out.
 * JAN_OK or JAN_ETOOBIG. */
int metrics_format(struct jbuf *out, const struct account_result *r,
                   size_t n, const struct metrics_counters *c);
/* Format and write atomically to path.  JAN_OK, or JAN_EIO with the reason
 * in err. */
int metrics_write(const char *path, const struct account_result *r, size_t n,
                  const struct metrics_counters *c, struct jbuf *err);

#endif
