/*
 * The policy: one decision (keep or delete) and one reason per in-scope
 * resource.  The first rule that keeps a resource gives its reason, in this
 * order: excluded (a keep glob), not-included (outside the include globs),
 * kind-disabled, region-incomplete (for a log group, also its region's
 * function listing), too-young, newest-layer-version, in-grace; a resource no rule keeps is deleted for "policy".  Renders
 * and props add their own rules (render.h) before grace, and are decided
 * by the same policy_decide_item().
 */
#ifndef JANITOR_POLICY_H
#define JANITOR_POLICY_H

#include <stdint.h>

#include "janitor/config.h"
#include "janitor/inventory.h"
#include "janitor/wire.h"

/*
 * Grace clocks: returns when the item first became a candidate (epoch
 * seconds), starting its clock at `now` when it had none.  NULL means no
 * clocks: then only grace = 0 lets anything through.
 */
typedef int64_t (*policy_first_seen_fn)(void *arg, const struct inv_item *it,
                                        int64_t now);

/*
 * Whether a grace clock read from the state file may be used: the one rule
 * (remotion-janitor(8), TIME).  A clock is accepted only if it is not in
 * the future of the machine's clock (now) and not earlier than the
 * resource's creation (created; < 0: unknown, not checked) nor than the
 * state file's record of the account's first sweep (first_sweep; <= 0: no
 * record, so no clock can be accepted).  Anything but POLICY_CLOCK_OK
 * restarts the grace at now; POLICY_CLOCK_NONE (since < 0) is a clock
 * that was never started.
 */
enum policy_clock {
  POLICY_CLOCK_OK = 0,
  POLICY_CLOCK_NONE,              /* no clock: start one */
  POLICY_CLOCK_FUTURE,            /* later than now */
  POLICY_CLOCK_BEFORE_CREATED,    /* earlier than the resource */
  POLICY_CLOCK_BEFORE_FIRST_SWEEP /* earlier than the account's first sweep,
                                     or no such record */
};
#define POLICY_CLOCK_COUNT 5
enum policy_clock policy_clock_check(int64_t since, int64_t now,
                                     int64_t created, int64_t first_sweep);
/* For log lines: "in the future", ... */
const char *policy_clock_name(enum policy_clock v);

/*
 * The one decision of one item, every kind's (renders and props too, whose
 * own rules render.c applies first): kept for why, unless why is
 * INV_REASON_POLICY; then kept "in-grace" while its grace clock (started
 * here through first_seen) is younger than grace; else deleted.
 */
void policy_decide_item(struct inv_item *it, enum inv_reason why,
                        const struct jan_config *cfg, int64_t now,
                        policy_first_seen_fn first_seen, void *arg);

/*
 * A log group's function in the same region (a sorted inventory), or NULL:
 * then it is an orphan, decided like the others (its age from its
 * creationTime).  A group whose function exists follows the function's
 * decision and reason, and is deleted after it.
 */
const struct inv_item *policy_log_group_function(const struct inventory *inv,
                                                 const struct inv_item *it);

/*
 * [policy] keep_tag: whether the kinds of `kind` may carry tags the policy
 * reads (functions and buckets; layer versions have none, log groups follow
 * their function), and whether tags carry keep_tag: the key ("KEY", or the
 * part of "KEY=VALUE" before its first '='), byte for byte, with the value
 * too when one is given.  0 when keep_tag is not set.
 */
int policy_tags_apply(const struct jan_config *cfg, enum jan_kind kind);
int policy_tag_keeps(const struct jan_config *cfg,
                     const struct wire_tag_list *tags);
/*
 * A candidate's tags, once read: tags NULL means they could not be read
 * (kept "tags-unknown"); tags carrying keep_tag keep it "tagged"; else it
 * stays a candidate.  Log groups that follow a function are set again
 * (policy_follow_functions).
 */
void policy_decide_tags(struct inv_item *it, const struct jan_config *cfg,
                        const struct wire_tag_list *tags);
/* Every log group whose function exists takes the function's decision and
 * reason again (after policy_decide_tags). */
void policy_follow_functions(struct inventory *inv);

/* Sorts the inventory and decides every item (policy_decide_item). */
void policy_decide(struct inventory *inv, const struct jan_config *cfg,
                   int64_t now, policy_first_seen_fn first_seen, void *arg);

/* The rules before grace, for one item: why it is kept, or
 * INV_REASON_POLICY (newest-layer-version excluded). */
enum inv_reason policy_keep_why(const struct inventory *inv,
                                const struct inv_item *it,
                                const struct jan_config *cfg, int64_t now);
/* The same as a name, for tests: NULL when it is a candidate. */
const char *policy_keep_reason(const struct inventory *inv,
                               const struct inv_item *it,
                               const struct jan_config *cfg, int64_t now);

#endif
