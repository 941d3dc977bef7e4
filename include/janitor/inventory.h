/*
 * What a sweep found and decided: the regions with their status, every
 * in-scope resource with one decision and one result, and the counts of
 * out-of-scope names (never their names).
 */
#ifndef JANITOR_INVENTORY_H
#define JANITOR_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/remotion.h"
#include "janitor/reason.h"
#include "janitor/render.h"
#include "janitor/scope.h"

struct inv_strblock;

enum inv_status { INV_REGION_OK = 0, INV_REGION_INCOMPLETE,
                  INV_REGION_DISABLED };
enum inv_decision { INV_UNDECIDED = 0, INV_KEEP, INV_DELETE };
enum inv_result { INV_RES_NONE = 0, INV_RES_DRY_RUN, INV_RES_DELETED,
                  INV_RES_FAILED, INV_RES_REFUSED,
                  /* an optional feature's deletion AWS denied (log
                   * groups): reported, not a failure of the sweep */
                  INV_RES_NOT_PERMITTED };

/* Bits of inv_region.incomplete: which listings could not be trusted. */
#define INV_KIND_BIT(k) (1u << (unsigned)(k))

/*
 * One resource.  A pruned bucket's renders are most of a sweep's items,
 * so an item is small: what only some kinds have is in a union by kind
 * (read a member only for its kinds), or allocated for them alone.
 */
struct inv_item {
  enum jan_kind kind : 8;       /* JAN_KIND_LAYER: one layer version */
  enum inv_decision decision : 8;
  enum inv_reason why : 8;      /* set with decision by policy_decide_item
                                   (inv_item_reason(): its name) */
  enum inv_result result : 8;
  const char *region;           /* the inventory's copy (one per region,
                                   shared by its items) */
  char *name;                   /* in the inventory's string blocks */
  union {
    char *arn;                  /* not renders or props: owned, or NULL
                                   (theirs is their bucket's and key
                                   prefix's: inv_item_arn()) */
    const char *bucket;         /* renders, props: their bucket, not owned:
                                   the bucket item's name (it outlives
                                   them: items are freed with the
                                   inventory) */
  };
  union {
    struct remotion_fn *remotion; /* functions: what the name says, or
                                     NULL (it did not parse) */
    int64_t *storage;           /* buckets listed for the storage report:
                                   RENDER_CAT_N bytes by render_cat, or
                                   NULL */
    int64_t newest;             /* renders, props: the newest object, or
                                   -1 (their age counts from it) */
  };
  char *error;                  /* or NULL */
  union {
    int64_t version;            /* layer versions (inv_item_version()) */
    int64_t reclaimed;          /* renders, props: bytes deleted
                                   (inv_item_reclaimed()) */
  };
  int64_t created;              /* epoch seconds; -1 when unknown */
  int64_t objects;              /* buckets: objects counted/deleted, or -1;
                                   renders, props: objects to prune, then
                                   pruned */
  int64_t bytes;                /* their bytes (buckets: stored;
                                   functions: CodeSize; log groups:
                                   storedBytes), or -1 */
};
/* Renders are most of a pruned bucket's items: this size is per render. */
_Static_assert(sizeof(struct inv_item) <= 80, "inv_item grew");

/* A layer version's number; 0 for every other kind. */
static inline int64_t inv_item_version(const struct inv_item *it)
{
  return it->kind == JAN_KIND_LAYER ? it->version : 0;
}

/* The bytes a render's or props' pruning deleted; 0 for other kinds. */
static inline int64_t inv_item_reclaimed(const struct inv_item *it)
{
  return it->kind == JAN_KIND_RENDER || it->kind == JAN_KIND_PROPS
       ? it->reclaimed : 0;
}

/* The bucket of a render or props item, else NULL. */
static inline const char *inv_item_bucket(const struct inv_item *it)
{
  return it->kind == JAN_KIND_RENDER || it->kind == JAN_KIND_PROPS
       ? it->bucket : NULL;
}

/* The reason's name (see [policy] in remotion-janitor.conf(5)), or NULL
 * before the item is decided. */
static inline const char *inv_item_reason(const struct inv_item *it)
{
  return it->decision == INV_UNDECIDED ? NULL : inv_reason_name(it->why);
}

/* A name a listing gave that fails names_valid(): never a resource. */
struct inv_invalid {
  enum jan_kind kind;
  char region[32];
  char *name;
};
#define INV_MAX_INVALID 1000

struct inv_region {
  char name[32];
  enum inv_status status;
  unsigned incomplete;          /* INV_KIND_BIT()s */
  char *error;                  /* the first error, or NULL */
  unsigned not_permitted;       /* INV_KIND_BIT()s of the optional kinds
                                   (log groups) AWS denied: reported "not
                                   permitted", not incomplete */
  const char *denied;           /* the first action denied ("logs:..."),
                                   static, or NULL */
};

struct inventory {
  char account[13];
  char *caller_arn;
  int64_t started_ms, finished_ms;   /* wall clock, epoch milliseconds */
  int64_t clock_skew_s;         /* a server's Date minus the machine's clock:
                                   the correction signing used, or one refused
                                   during the sweep (aws.h); 0: none */
  struct inv_region regions[JAN_MAX_REGIONS];
  size_t nregions;
  struct inv_item *items;
  size_t n, cap;
  char **rnames;                /* the items' regions, one copy each */
  size_t nrnames;
  struct inv_strblock *names;   /* the items' names, packed (a pruned
                                   bucket's renders are most of them) */
  unsigned long ignored[JAN_KIND_N];  /* by enum jan_kind */
  unsigned long invalid[JAN_KIND_N];  /* distinct in-scope names AWS could
                                   not have created (names.h), by kind */
  unsigned listed;              /* INV_KIND_BIT()s of the optional kinds
                                   this sweep lists (log groups) */
  struct inv_invalid *invalid_names;  /* the first INV_MAX_INVALID */
  size_t ninvalid;
  int buckets_incomplete;       /* the bucket listing failed somewhere */
  char *buckets_error;
};

void inventory_init(struct inventory *inv);
void inventory_free(struct inventory *inv);
int inventory_add_region(struct inventory *inv, const char *region);
struct inv_region *inventory_region(struct inventory *inv, const char *name);
/* Copies name and arn (renders and props have none: NULL).  Returns the
 * item or NULL (out of memory, or an ARN for a render or props). */
struct inv_item *inventory_add(struct inventory *inv, enum jan_kind kind,
                               const char *region, const char *name,
                               const char *arn, int64_t version,
                               int64_t created);
/* Remove the items from index `from` on that drop() names (non-zero),
 * keeping the others in their order; earlier items do not move. */
void inventory_remove_if(struct inventory *inv, size_t from,
                         int (*drop)(void *arg, const struct inv_item *it),
                         void *arg);
/* Sort the items from index `from` on by cmp (stable); earlier items do
 * not move.  It costs 8 bytes an item sorted, never a copy of the items.
 * JAN_ENOMEM (nothing moved). */
int inventory_sort_from(struct inventory *inv, size_t from,
                        int (*cmp)(const struct inv_item *a,
                                   const struct inv_item *b));
/* A bucket's bytes by render_cat (RENDER_CAT_N of them) into it->storage,
 * allocated on first use.  JAN_ENOMEM; JAN_EINVAL: not a bucket. */
int inv_item_set_storage(struct inv_item *it, const int64_t *storage);
/* Record that a listing of `kind` in `region` cannot be trusted. */
void inventory_mark_incomplete(struct inventory *inv, const char *region,
                               enum jan_kind kind, const char *error);
/* Record that AWS denied an optional kind's action in `region` (action:
 * a static string, "logs:DescribeLogGroups"). */
void inventory_mark_not_permitted(struct inventory *inv, const char *region,
                                  enum jan_kind kind, const char *action);
/* Whether `kind` was denied in `region` (inventory_mark_not_permitted). */
int inventory_kind_not_permitted(const struct inventory *inv,
                                 const char *region, enum jan_kind kind);
/* Whether the listing that would show `kind` in `region` failed (for
 * buckets, the one global bucket listing): nothing of it can be trusted. */
int inventory_kind_incomplete(const struct inventory *inv, const char *region,
                              enum jan_kind kind);
/* Functions, log groups, layer versions, buckets; by region, name,
 * version.  Renders and props (added after the sort) go last. */
void inventory_sort(struct inventory *inv);
/* The item of kind in region named name (layer versions: the first
 * version), in a sorted inventory (items appended after the sort are of
 * later kinds, renders and props); NULL when there is none. */
struct inv_item *inventory_find(const struct inventory *inv,
                                enum jan_kind kind, const char *region,
                                const char *name);
/*
 * Count an invalid name once: 1 when it is new (the caller logs it), 0
 * when already counted (buckets by name, others by region and name).
 * Past INV_MAX_INVALID distinct names every further one counts as new.
 */
int inventory_add_invalid(struct inventory *inv, enum jan_kind kind,
                          const char *region, const char *name);
/*
 * One item per resource: a name listed twice (across pages, or in two
 * answers) is kept once (buckets by name, others by region, name and
 * version); a bucket listed in two regions makes the bucket listing
 * incomplete.  Sorts; returns how many duplicates were dropped.
 */
size_t inventory_dedupe(struct inventory *inv);

const char *inv_status_name(enum inv_status s);
const char *inv_decision_name(enum inv_decision d);
const char *inv_result_name(enum inv_result r);   /* NULL for NONE */
const char *inv_type_name(enum jan_kind k);       /* "function", ... */
/*
 * The name that identifies an item within its type and region, in full and
 * as exact bytes (never cut, never escaped; what grace clocks and
 * refusals are keyed by): NAME; BUCKET/renders/ID for a render; for
 * props, BUCKET, a slash and "*-props/".  A layer version's number is
 * apart.  Appends to out; JAN_ETOOBIG past its cap (never a shorter
 * name).
 */
int inv_identity(const struct inv_item *it, struct jbuf *out);
/* The name a person reads: NAME, NAME:VERSION for a layer version,
 * BUCKET/renders/ID for a render, escaped for a terminal (untrusted.h's
 * display rule) and cut with "..." to outlen. */
#define INV_DISPLAY_NAME_MAX 192
#define INV_DISPLAY_RAW_MAX 4096
void inv_display_name(const struct inv_item *it, char *out, size_t outlen);
/* An item's ARN: it->arn, or for a render arn:aws:s3:::BUCKET/renders/ID/
 * and for props arn:aws:s3:::BUCKET/ (computed into out: a bucket of
 * renders holds none of them).  NULL when there is none or out is too
 * small. */
const char *inv_item_arn(const struct inv_item *it, struct jbuf *out);

struct inv_summary {
  size_t functions, layer_versions, buckets, candidates, deleted, failed,
      refused;
  size_t log_groups;            /* listed log groups */
  size_t not_permitted;         /* deletions AWS denied (log groups) */
  size_t regions_ok, regions_incomplete, regions_disabled;
  size_t renders;               /* renders found in listed buckets */
  int64_t stored_bytes;         /* in the buckets listed for storage */
  int64_t reclaimed_bytes;      /* deleted from renders and props */
};
void inventory_summary(const struct inventory *inv, struct inv_summary *s);
/* Every figure of s added to total's (a run over several accounts). */
void inventory_summary_add(struct inv_summary *total,
                           const struct inv_summary *s);

/*
 * Lambda's code storage in a region: the sum of the CodeSize of the
 * in-scope functions its listing gave (as listed, before this sweep's
 * deletions), against Lambda's default quota of 75 GB (decimal, as AWS
 * states it).  -1 when the region's function listing is incomplete or
 * the region is disabled or unknown: no figure, never a partial one.
 */
#define INV_CODE_QUOTA_BYTES INT64_C(75000000000)
int64_t inventory_code_bytes(const struct inventory *inv, const char *region);

/*
 * CloudWatch Logs in a region: the sum of the storedBytes of the in-scope
 * log groups its listing gave.  -1 when log groups are not listed, their
 * listing is incomplete or not permitted, or the region is disabled or
 * unknown.
 */
int64_t inventory_log_group_bytes(const struct inventory *inv,
                                  const char *region);

#endif
