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

/* A listing, grouped: small ones (tests, one render's objects).  A
 * bucket is never held like this: it is streamed (render_stream below). */
struct render_set {
  struct render_obj *o;
  size_t n, cap;
  struct render *r;
  size_t nr;
  int64_t storage[RENDER_CAT_N]; /* bytes by category */
  int64_t bytes;                /* all of them */
  int versioned;                /* a version id other than "null", or a
                                   delete marker, was listed */
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
 * is ever old.  JAN_ENOMEM. */
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
/* The same from a render's summary alone (its objects need not be held:
 * r->n, outputs, newest).  render_keep_reason asks it. */
enum inv_reason render_decide(const struct render *r, const char *bucket,
                              const struct jan_config *cfg, int64_t now);
/* Objects and bytes of a summary that `mode` prunes. */
void render_sum_prunable(const struct render *r, enum jan_renders mode,
                         size_t *objects, int64_t *bytes);

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

/*
 * Streaming: a bucket decided as it is listed, never held.
 *
 * The ranged listing (lister.h) walks disjoint ranges of the key space, one
 * chain of pages each, every chain in key order.  A render's keys share
 * the prefix renders/<id>/, so they are contiguous in key order: a chain
 * that passes a render's last key has seen all of the render's keys in its
 * range.  The stream keeps one open render per chain (its summary: id,
 * objects, bytes, dates; never the objects) and hands each render to
 * ops.render when it is complete:
 *
 *   - a render the chain opened and then passed (another key came) is
 *     complete, unless it was the chain's first render: that one may have
 *     begun in the range before;
 *   - a chain's first render, and the render open when its last page came,
 *     may straddle a range boundary: they are kept aside (partial) and, at
 *     render_stream_end, the partial summaries of one id are merged before
 *     the render is told.
 *
 * Memory: per chain its open render and its last key; the partials (two
 * per chain at most); whatever the bucket holds.  Every entry, in its
 * chain's key order, also goes to ops.entry (normalized: size >= 0, dates
 * before RENDER_TIME_MIN or of unknown size read WIRE_TIME_UNKNOWN), with
 * dup set when it repeats the chain's previous entry (same key and
 * version): a listing that lists an entry twice counts it once, and the
 * younger of its dates decides (render_younger).
 */
struct render_stream_ops {
  /* A render, complete (r->first unused).  Non-zero stops the stream. */
  int (*render)(void *arg, const struct render *r);
  /* Each entry (optional).  c its category, idlen as render_classify. */
  int (*entry)(void *arg, const struct wire_object *o, enum render_cat c,
               size_t idlen, int dup);
};

struct render_stream_chain;

struct render_stream {
  struct render_stream_ops ops;
  void *arg;
  struct render_stream_chain *ch;
  size_t nch, capch, last;
  struct render *part;          /* partial renders, merged at the end */
  size_t npart, cappart;
  uint64_t objects;             /* entries (duplicates once) */
  int64_t storage[RENDER_CAT_N]; /* bytes by category */
  int64_t bytes;
  int versioned;                /* as render_set's */
  char *first_pruned;           /* the first key (in key order) of those
                                   render pruning may delete, or NULL */
};

void render_stream_init(struct render_stream *s,
                        const struct render_stream_ops *ops, void *arg);
void render_stream_free(struct render_stream *s);
/* Entries of one chain (chain: any value naming it for the listing's
 * life), in its key order.  JAN_ENOMEM, or what an op returned. */
int render_stream_add(struct render_stream *s, uintptr_t chain,
                      const struct wire_object *v, size_t n);
/* The listing is complete: tell the renders still open, merged. */
int render_stream_end(struct render_stream *s);

/* 1 when key is one render pruning may delete: a render's object or a
 * props object (sites/ and every other prefix never). */
int render_key_prunable(const char *key);

/*
 * The deletion of what a sweep chose, decided again object by object as
 * the bucket is listed a second time (render_act()):
 *
 *   object                                 with a pick     action
 *   renders/<id>/..., mode prunes it       dated, not      DELETE
 *     (artifacts: not an output)           newer than the
 *                                          pick's newest
 *                                          otherwise       APPEARED (kept:
 *                                                          written since)
 *   props, props_owner set                 age at          DELETE
 *                                          decided_at >=
 *                                          render_max_age
 *   anything else                                          NONE
 */
struct render_pick {
  const char *id;               /* the render's id */
  int64_t newest;               /* its newest object when decided */
  uint32_t owner;
};
#define RENDER_NO_OWNER UINT32_MAX
struct render_plan {
  const struct render_pick *picks;  /* sorted by id (render_picks_sort) */
  size_t npicks;
  uint32_t props_owner;         /* RENDER_NO_OWNER: props are kept */
  enum jan_renders mode;
  uint64_t max_age_s;
  int64_t decided_at;
};
enum render_act { RENDER_ACT_NONE = 0, RENDER_ACT_DELETE,
                  RENDER_ACT_APPEARED };
void render_picks_sort(struct render_pick *p, size_t n);
/* The pick of render id (idlen bytes), or NULL. */
const struct render_pick *render_pick_find(const struct render_plan *pl,
                                           const char *id, size_t idlen);
/* What the plan does with a listed entry o (normalized, as ops.entry
 * gives it); *owner set for DELETE and APPEARED. */
enum render_act render_act(const struct render_plan *pl,
                           const struct wire_object *o, enum render_cat c,
                           size_t idlen, uint32_t *owner);
/* The same, with the pick of o's render already found (p: what
 * render_pick_find() gave for its id, NULL when none; any value for props
 * and keys outside renders): a caller walking a render's entries in a row
 * finds its pick once.  render_act() asks it. */
enum render_act render_act_with(const struct render_plan *pl,
                                const struct render_pick *p,
                                const struct wire_object *o,
                                enum render_cat c, size_t idlen,
                                uint32_t *owner);

/* Glob subject of a render: "BUCKET/renders/ID" into out (JAN_ETOOBIG). */
int render_glob_subject(const char *bucket, const char *id, char *out,
                        size_t outlen);

#endif
