/*
 * Renders and storage (renders.c): between the decisions on the listed
 * resources and the guards, every kept bucket is listed (when [policy]
 * renders is not keep, or storage = yes), its storage summed by category,
 * and its renders and props become resources of their own (types render
 * and props) with one decision each; in the deletion phase each bucket's
 * candidates are pruned together (prune.c), whose deleting listing also
 * tells renders that gained objects meanwhile and the bucket's figures
 * after the pruning.
 *
 * It knows its caller only through struct renders_host: the inventory it
 * adds to, the config, the AWS client, the mode, and the callbacks by
 * which the caller (the sweep) keeps its grace clocks, its outcomes and
 * its count of deletions in flight.
 */
#ifndef JANITOR_DAEMON_RENDERS_H
#define JANITOR_DAEMON_RENDERS_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/config.h"
#include "janitor/inventory.h"

struct aws_client;

/* What the caller lends; copied by renders_collect(), every pointer in it
 * must stay valid until renders_free().  Each callback is given arg. */
struct renders_host {
  struct inventory *inv;        /* renders and props are appended to it */
  const struct jan_config *cfg;
  struct aws_client *aws;
  enum jan_mode mode;           /* report, or delete */
  void *arg;
  /* The grace clock of an item (its first sighting as a candidate, kept
   * for the next sweep): a policy_first_seen_fn. */
  int64_t (*first_seen)(void *arg, const struct inv_item *it, int64_t now);
  /* An outcome of item idx, with the objects and bytes deleted (-1:
   * none). */
  void (*outcome)(void *arg, size_t idx, enum inv_result res,
                  const char *error, const char *code, const char *reqid,
                  int64_t objects, int64_t bytes);
  /* n deletions started; the end of one of them. */
  void (*deletions_started)(void *arg, size_t n);
  void (*deletion_ended)(void *arg);
  /* Every kept bucket is listed and its renders decided. */
  void (*cont)(void *arg);
};

/* The listings, and the deletions of their renders: renders.c's own. */
struct renders;

/* List the kept buckets, add their renders and props to the inventory
 * and decide them; then h->cont(h->arg).  Returns 0 when nothing is to be
 * listed (cont is not called, *rdp is left NULL), 1 when cont will be
 * called (*rdp is set before any callback; the caller owns it). */
int renders_collect(const struct renders_host *h, struct renders **rdp);

/* The deletion of item idx (a render or props candidate): the first one of
 * a bucket starts that bucket's pruning for all of its candidates; each
 * ends through h->deletion_ended().  rd NULL: nothing was listed. */
void renders_delete(struct renders *rd, size_t idx);

/* Grace clocks (state keys "render|REGION|BUCKET/renders/ID|0", "props|
 * REGION|BUCKET/...|0"): whether type is one of these, and whether the
 * bucket that name starts with was listed (its clocks are renewed; the
 * others are carried over, never reset by a gap).  rd may be NULL. */
int renders_clock_type(const char *type);
int renders_bucket_listed(const struct renders *rd,
                          const struct jan_config *cfg, const char *name);

/* At the end of the sweep: why a kept bucket could not be listed, or
 * NULL (the sweep makes its exit code 1; nothing else is blocked). */
const char *renders_failure(const struct renders *rd);
/* rd may be NULL. */
void renders_free(struct renders *rd);

#endif
