/*
 * Why a resource is kept (inventory.c holds the one table of names): apart
 * from inventory.h so that render.h, which inventory.h needs, can say it.
 */
#ifndef JANITOR_REASON_H
#define JANITOR_REASON_H

/* Why an item is kept, or INV_REASON_POLICY: deleted for the policy.  One
 * name each (inv_reason_name), as reports and remotion-janitor.conf(5)
 * spell them; decisions compare the enum, never the names. */
enum inv_reason {
  INV_REASON_POLICY = 0,        /* no rule keeps it: "policy" */
  INV_REASON_EXCLUDED,          /* a keep glob names it */
  INV_REASON_NOT_INCLUDED,      /* outside the scope or the include globs */
  INV_REASON_KIND_DISABLED,     /* functions/layers/buckets = no */
  INV_REASON_REGION_INCOMPLETE, /* its region's listing was incomplete */
  INV_REASON_TOO_YOUNG,
  INV_REASON_NEWEST_LAYER_VERSION,
  INV_REASON_IN_GRACE,
  INV_REASON_NOTHING_TO_PRUNE,  /* renders: only outputs (artifacts) */
  INV_REASON_VERSIONED,         /* renders, props: a delete would only
                                   hide them */
  INV_REASON_TAGGED,            /* functions, buckets: [policy] keep_tag */
  INV_REASON_TAGS_UNKNOWN,      /* keep_tag set, its tags could not be
                                   read */
  INV_REASON_N
};
const char *inv_reason_name(enum inv_reason r);

#endif
