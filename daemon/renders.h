/*
 * Renders and storage in a sweep (renders.c): between the decisions on the
 * listed resources and the guards, every kept bucket is listed (when
 * [policy] renders is not keep, or storage = yes), its storage summed by
 * category, and its renders and props become resources of their own
 * (types render and props) with one decision each; in the deletion phase
 * each bucket's candidates are pruned together (prune.c), then the bucket
 * is listed once more to tell renders that gained objects meanwhile.
 */
#ifndef JANITOR_DAEMON_RENDERS_H
#define JANITOR_DAEMON_RENDERS_H

#include <stddef.h>

struct sweep;
typedef void (*renders_cont_fn)(struct sweep *s);

/* List the kept buckets, add their renders and props to the inventory
 * and decide them; then cont(s).  Returns 0 when nothing is to be listed
 * (cont is not called), 1 when cont will be called. */
int renders_collect(struct sweep *s, renders_cont_fn cont);

/* The deletion of item idx (a render or props candidate): the first one of
 * a bucket starts that bucket's pruning for all of its candidates; each
 * ends through sweep_deletion_ended(). */
void renders_delete(struct sweep *s, size_t idx);

/* Grace clocks (state keys "render|REGION|BUCKET/renders/ID|0", "props|
 * REGION|BUCKET/...|0"): whether type is one of these, and whether the
 * bucket that name starts with was listed by this sweep (its clocks are
 * renewed; the others are carried over, never reset by a gap). */
int renders_clock_type(const char *type);
int renders_bucket_listed(const struct sweep *s, const char *name);

/* At the end of the sweep: why a kept bucket could not be listed, or
 * NULL (the sweep makes its exit code 1; nothing else is blocked). */
const char *renders_failure(const struct sweep *s);
void renders_free(struct sweep *s);

#endif
