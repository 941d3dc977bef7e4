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

/* Sorts the inventory and decides every item. */
void policy_decide(struct inventory *inv, const struct jan_config *cfg,
                   int64_t now, policy_first_seen_fn first_seen, void *arg);

/* The same rule set as one function, for tests: the reason an item is
 * kept, or NULL when it is a candidate (newest-layer-version excluded). */
const char *policy_keep_reason(const struct inventory *inv,
                               const struct inv_item *it,
                               const struct jan_config *cfg, int64_t now);

#endif
