/*
 * The policy: one decision (keep or delete) and one reason per in-scope
 * resource.  The first rule that keeps a resource gives its reason, in this
 * order: excluded (a keep glob), not-included (outside the include globs),
 * kind-disabled, region-incomplete, too-young, newest-layer-version,
 * in-grace; a resource no rule keeps is deleted for "policy".
 */
#ifndef JANITOR_POLICY_H
#define JANITOR_POLICY_H

#include <stdint.h>

#include "janitor/config.h"
#include "janitor/inventory.h"

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

/* Sorts the inventory and decides every item. */
void policy_decide(struct inventory *inv, const struct jan_config *cfg,
                   int64_t now, policy_first_seen_fn first_seen, void *arg);

/* The same rule set as one function, for tests: the reason an item is
 * kept, or NULL when it is a candidate (newest-layer-version excluded). */
const char *policy_keep_reason(const struct inventory *inv,
                               const struct inv_item *it,
                               const struct jan_config *cfg, int64_t now);

#endif
