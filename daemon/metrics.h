/*
 * The Prometheus textfile (node_exporter's textfile collector): written
 * after each sweep to [daemon] metrics_file, atomically (a temporary file
 * in the same directory, then rename), never through a symbolic link.
 */
#ifndef JANITOR_DAEMON_METRICS_H
#define JANITOR_DAEMON_METRICS_H

#include <stdint.h>

#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/inventory.h"

/* Consecutive sweeps, up to the last, with an incomplete listing. */
struct metrics_streak {
  char region[32];
  unsigned sweeps;
};

/* Counters kept by the daemon across sweeps (reset when it restarts,
 * except last_success_ms, which the state file carries over). */
struct metrics_counters {
  uint64_t deletions[3][3];     /* [enum jan_kind][deleted, failed, refused] */
  uint64_t sweeps;              /* sweeps finished */
  uint64_t sweeps_failed;       /* of which with an exit code other than 0 */
  int64_t last_success_ms;      /* the last sweep with exit code 0; 0: none */
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

/* Add the outcomes of one finished sweep. */
void metrics_count(struct metrics_counters *c, const struct inventory *inv,
                   int exit_code);
/* The textfile for the last sweep (inv) and the counters, into out. */
int metrics_format(struct jbuf *out, const struct inventory *inv,
                   const struct metrics_counters *c, int exit_code);
/* Format and write atomically to path.  JAN_OK, or JAN_EIO with the reason
 * in err. */
/* Renders and storage (metrics_storage.c), called by the two above. */
void metrics_count_storage(struct metrics_counters *c,
                           const struct inventory *inv);
int metrics_format_storage(struct jbuf *out, const struct inventory *inv,
                           const struct metrics_counters *c);
int metrics_write(const char *path, const struct inventory *inv,
                  const struct metrics_counters *c, int exit_code,
                  struct jbuf *err);

#endif
