/*
 * Renders inside a live Remotion bucket (render.c): what one listing of
 * the bucket holds, grouped and sized, and which of it a policy prunes.
 * Pure: no I/O, no clock (now is a parameter).
 *
 * Remotion's layout: renders/<id>/... (out.<ext> the output, progress.json,
 * chunks, logs), sites/<name>/... (deployed sites), input-props/,
 * resolved-props/ and default-props/ (one JSON per render), anything else.
 *
 *   - A render is the set of objects under renders/<id>/ (id not empty, and
 *     something after the slash).  Its age is measured from its newest
 *     object: a render still being written is never old.
 *   - A render is a candidate when that age >= render_max_age, unless a
 *     keep glob matches BUCKET/renders/ID.  `artifacts` prunes every object
 *     but the outputs (renders/<id>/out.*, no further '/'), `all` prunes
 *     every object.
 *   - Props objects (the three prefixes) are pruned one by one when older
 *     than render_max_age: one resource per bucket.
 *   - Nothing else is ever pruned.
 */
#ifndef JANITOR_RENDER_H
#define JANITOR_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/config.h"
#include "janitor/reason.h"
#include "janitor/wire.h"

/* Storage categories of a bucket's bytes. */
enum render_cat {
  RENDER_CAT_RENDERS = 0,       /* renders/<id>/ except the outputs */
  RENDER_CAT_OUTPUTS,           /* renders/<id>/out.* */
  RENDER_CAT_SITES,             /* sites/ */
  RENDER_CAT_PROPS,             /* input-props/, resolved-props/,
                                   default-props/ */
  RENDER_CAT_OTHER,             /* everything else */
  RENDER_CAT_N
};
const char *render_cat_name(enum render_cat c);   /* "renders", ... */

/* The category of a key, and for renders/<id>/... the id's length
 * (*idlen, else 0). */
enum render_cat render_classify(const char *key, size_t *idlen);

struct render_obj {
  char *key;
  char *vid;                    /* version id from ListObjectVersions, or
                                   NULL (ListObjectsV2) */
  int marker;                   /* a delete marker (size 0) */
  int64_t size;                 /* bytes, >= 0 */
  int64_t mtime;                /* epoch s; WIRE_TIME_UNKNOWN if absent,
                                   or before RENDER_TIME_MIN */
};

/* One render: objects o[first .. first+n) of its set (sorted by key). */
struct render {
  char *id;
  size_t first, n;
  int64_t oldest, newest;       /* mtimes; both WIRE_TIME_UNKNOWN when an
                                   object had none (never old) */
  int undated;                  /* an object had no LastModified */
  int64_t bytes;
  size_t outputs;               /* objects that are outputs */
  int64_t output_bytes;
};

/* No S3 object is older than S3 (2006-03-14): an earlier LastModified is
 * not a date, and reads as unknown (never old). */
#define RENDER_TIME_MIN INT64_C(1142294400)

/* What a set may hold: its objects, keys and version ids, counted in
 * bytes.  A listing past it (a server that never ends one, or a bucket too
 * large for one sweep) fails instead of exhausting the memory. */
#define RENDER_SET_MEM_MAX ((size_t)1 << 30)

/* A bucket's listing, grouped. */
struct render_set {
  struct render_obj *o;
  size_t n, cap;
  struct render *r;
  size_t nr;
  int64_t storage[RENDER_CAT_N]; /* bytes by category */
  int64_t bytes;                /* all of them */
  int versioned;                /* a version id other than "null", or a
                                   delete marker, was listed */
  size_t mem, max_mem;          /* bytes held, and the most allowed
                                   (RENDER_SET_MEM_MAX by init) */
};

/* Byte sums (a, b >= 0): saturate at INT64_MAX, where a hostile listing
 * (sizes up to WIRE_SIZE_MAX each) would overflow. */
static inline int64_t render_bytes_add(int64_t a, int64_t b)
{
  return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

void render_set_init(struct render_set *s);
void render_set_free(struct render_set *s);
/* Add listed objects and versions; delete markers are kept (size 0: they
 * store nothing, but go with their render); other entries without a size
 * are kept with size 0 and no date, so that neither they nor their render
 * is ever old.  JAN_ENOMEM; JAN_ETOOBIG past max_mem. */
int render_set_add(struct render_set *s, const struct wire_object *v,
                   size_t n);
/* Sort by key (unsigned bytes, as S3 orders keys), drop duplicates (an
 * entry listed twice keeps the younger date: render_younger), group the
 * renders and sum the storage.  Call once, after the last add.
 * JAN_ENOMEM. */
int render_set_group(struct render_set *s);
/* The younger of two dates; WIRE_TIME_UNKNOWN (never old) if either is. */
int64_t render_younger(int64_t a, int64_t b);

/* 1 when object i of render r is one `mode` prunes. */
int render_obj_pruned(const struct render_set *s, const struct render *r,
                      size_t i, enum jan_renders mode);
/* Objects and bytes of render r that `mode` prunes. */
void render_prunable(const struct render_set *s, const struct render *r,
                     enum jan_renders mode, size_t *objects, int64_t *bytes);

/*
 * Why render r of bucket is kept, or INV_REASON_POLICY when it is a
 * candidate (grace aside: policy_decide_item applies it):
 * INV_REASON_EXCLUDED (a keep glob matches BUCKET/renders/ID),
 * INV_REASON_TOO_YOUNG (age from its newest object below render_max_age,
 * or an object of unknown age), INV_REASON_NOTHING_TO_PRUNE (artifacts
 * mode and only outputs).
 */
enum inv_reason render_keep_reason(const struct render_set *s,
                               const struct render *r, const char *bucket,
                               const struct jan_config *cfg, int64_t now);

/* 1 when props object i is old enough to prune (its own age). */
int render_props_pruned(const struct render_set *s, size_t i,
                        const struct jan_config *cfg, int64_t now);

/*
 * Whether a bucket whose versions cannot be listed (ListObjectVersions
 * denied, or not supported) may be pruned by key.  A delete by key removes
 * an object only in a bucket that was never versioned; in a versioned or
 * suspended one it adds a delete marker, hides the object and reclaims
 * nothing.  One HeadObject on an object pruning would delete tells:
 *
 *   what the probe saw                        the bucket
 *   x-amz-version-id, any value ("null" too)  versioned or suspended
 *   no x-amz-version-id                       never versioned
 *   an error answer, or no answer             unknown
 *   could not be built or sent                unknown
 *   nothing to probe (nothing to prune)       unknown
 *
 * ("null" is what an object written before versioning was enabled
 * answers.)  Only RENDER_VERSIONING_NEVER lets anything be deleted by key.
 */
enum render_probe {
  RENDER_PROBE_NONE = 0,        /* no object pruning may delete: not sent */
  RENDER_PROBE_HEADER,          /* answered with x-amz-version-id */
  RENDER_PROBE_NO_HEADER,       /* answered without it */
  RENDER_PROBE_FAILED,          /* an error answer, or no answer */
  RENDER_PROBE_NOT_SENT,        /* the request could not be built or sent */
  RENDER_PROBE_N
};
enum render_versioning {
  RENDER_VERSIONING_UNKNOWN = 0,  /* nothing is deleted by key */
  RENDER_VERSIONING_ON,           /* versioned or suspended */
  RENDER_VERSIONING_NEVER         /* never versioned: keys may be deleted */
};
enum render_versioning render_versioning(enum render_probe p);
const char *render_versioning_name(enum render_versioning v);

/* Glob subject of a render: "BUCKET/renders/ID" into out (JAN_ETOOBIG). */
int render_glob_subject(const char *bucket, const char *id, char *out,
                        size_t outlen);

#endif
