/*
 * The one engine of bulk S3 work inside one bucket (s3bulk.c).  Emptying a
 * bucket (bucket.c) and pruning renders (prune.c) are its two owners: they
 * decide what to delete and what to report; the mechanics are all here.
 *
 *   listing   every entry of the bucket in parallel ranges (lister.c):
 *             ListObjectVersions first; when its first request is denied,
 *             or answered 405/501 as S3-compatible servers without
 *             versioning do, ListObjectsV2 instead (before any range was
 *             split off, so that nothing is listed twice).  Entries go to
 *             the owner as pages come (ops.entries); the listing pauses
 *             while S3BULK_QUEUE_KEYS keys wait to be deleted.
 *   deleting  keys handed over with s3bulk_delete() (or pulled through
 *             ops.refill) go in DeleteObjects batches of up to 1000 keys,
 *             each sent when full (or when no more keys may come now);
 *             a key that XML 1.0 cannot carry goes alone with DeleteObject
 *             in the URL path.  A key-only delete that added a delete
 *             marker (the bucket is versioned) is told as hidden.  Per-key
 *             errors whose code aws_code_class() calls throttling or
 *             transient go again in a later batch, S3BULK_KEY_RETRIES times
 *             at most.  Each key handed over is told once (ops.key_done).
 *   pacing    one rule for every batch: a batch that needed retries (a
 *             SlowDown or 503 answer, or a request that timed out), whose
 *             request timed out in the end, or whose keys came back with a
 *             throttling code halves the batches sent at once; each batch
 *             without any of that lets one more go, up to `parallel`
 *             (additive increase, multiplicative decrease).  Real S3
 *             admits about 3,500 deletions a second per partitioned
 *             prefix; radosgw answers a batch only when all of it is done.
 *
 * Memory: the keys waiting (at most S3BULK_QUEUE_KEYS plus the batches out)
 * and the listing's pages in flight, whatever the bucket holds.
 *
 * Calls back into the owner: entries, listed, key_done may call
 * s3bulk_delete() and s3bulk_stop(); drained (nothing out, nothing queued,
 * no listing) is the only place, besides the owner's own callbacks, where
 * the owner may start a new listing; s3bulk_free() may come there or from
 * outside the engine's calls at any time (a kill: see there).
 */
#ifndef JANITOR_S3BULK_H
#define JANITOR_S3BULK_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/aws.h"
#include "janitor/wire.h"

#define S3BULK_PARALLEL_MIN    4    /* listing chains / batches at once */
#define S3BULK_BATCH_MAX    1000    /* keys a DeleteObjects */
#define S3BULK_QUEUE_KEYS   8000    /* listing pauses while this many wait */
#define S3BULK_KEY_RETRIES     3    /* attempts of a key with a transient
                                       per-key error */

struct s3bulk;

enum s3bulk_key_result {
  S3BULK_KEY_DELETED = 0,       /* gone (a 404 counts) */
  S3BULK_KEY_FAILED,            /* code and message say why */
  S3BULK_KEY_HIDDEN,            /* a delete marker now hides it: deleted by
                                   key in a versioned bucket */
  S3BULK_KEY_UNSENT             /* never sent: the engine was stopped */
};

struct s3bulk_key {
  uint64_t tag;                 /* the owner's, from s3bulk_delete() */
  const char *key;
  const char *vid;              /* as sent, or NULL */
  enum s3bulk_key_result result;
  const char *code;             /* FAILED: the AWS error code */
  const char *message;          /* FAILED: its message, or "" */
  const char *marker_vid;       /* HIDDEN: the marker's version, or NULL */
  const char *request_id;       /* of the answer that told, or "" */
  int bucket_gone;              /* FAILED: the bucket does not exist */
};

struct s3bulk_list_outcome {
  int err;                      /* 0: every range was listed */
  int gone;                     /* the bucket does not exist (err set) */
  int versions;                 /* listed with ListObjectVersions (else
                                   ListObjectsV2: versions denied or not
                                   supported) */
  unsigned pages;               /* listing requests answered */
  uint64_t entries;             /* entries handed to ops.entries */
  char error[AWS_DESCRIBE_MAX + 128]; /* why, with the permission to ask
                                         for when it was denied */
  char code[128];               /* AWS error code, if any */
  char request_id[128];
};

struct s3bulk_ops {
  /* Listed entries (n >= 1), each exactly once.  Non-zero stops the
   * listing with that error (JAN_ENOMEM, JAN_ETOOBIG). */
  int (*entries)(void *arg, const struct wire_object *v, size_t n);
  /* A listing pass ended (once per s3bulk_list), nothing of it out. */
  void (*listed)(void *arg, const struct s3bulk_list_outcome *o);
  /* Optional: the first page of a pass came back sound. */
  void (*first_page)(void *arg);
  /* Each key handed over, once. */
  void (*key_done)(void *arg, const struct s3bulk_key *k);
  /* Optional: room for up to `room` more keys and no listing running:
   * hand some over with s3bulk_delete(); return how many (0: none now). */
  size_t (*refill)(void *arg, size_t room);
  /* Optional: 1 when key may be deleted; checked once more where each
   * request is built (a refused key fails, "InternalError"). */
  int (*may_delete)(void *arg, const char *key);
  /* Nothing out, nothing queued, no listing. */
  void (*drained)(void *arg);
};

/* parallel: listing chains and batches at once (clamped to
 * S3BULK_PARALLEL_MIN..LISTER_MAX_CHAINS).  JAN_EINVAL: region too long. */
int s3bulk_new(struct aws_client *aws, const char *region,
               const char *bucket, unsigned parallel,
               const struct s3bulk_ops *ops, void *arg,
               struct s3bulk **out);
/* Any time outside the engine's calls into the owner (drained aside,
 * where it is the last call): requests still out are orphaned, their
 * answers dropped; no callback comes after this, nothing leaks.  A new
 * engine over the same bucket may then take the work up again (listing
 * anew: what was deleted meanwhile is no longer listed). */
void s3bulk_free(struct s3bulk *b);

/* Start a listing pass: versions first (falling back to ListObjectsV2) or,
 * versions == 0, ListObjectsV2 alone.  An error: nothing was sent, no
 * callback comes. */
int s3bulk_list(struct s3bulk *b, int versions);
/* The same, starting with the ranges that seed cuts (lister.h); seed must
 * stay valid until ops.listed. */
int s3bulk_list_seeded(struct s3bulk *b, int versions,
                       const char *const *seed, size_t nseed);
/* Hand a key over (copied; vid NULL: a key-only delete).  Sent when the
 * engine pumps next (an answer, or s3bulk_kick). */
int s3bulk_delete(struct s3bulk *b, const char *key, const char *vid,
                  uint64_t tag);
/* Send what may go now (after s3bulk_delete outside a callback). */
void s3bulk_kick(struct s3bulk *b);
/* Send nothing more: keys waiting are told UNSENT, the listing stops
 * after the pages out; the engine drains. */
void s3bulk_stop(struct s3bulk *b);
/* 1 while anything is out, queued or listing. */
int s3bulk_busy(const struct s3bulk *b);
/* Inside ops.entries: the chain (one range of the ranged listing,
 * lister.h) the entries come from.  A chain's entries come in key order,
 * no two chains' ranges overlap; the value names the chain for the
 * pass. */
uintptr_t s3bulk_chain(const struct s3bulk *b);
/* DeleteObjects batches allowed at once now (pacing), for tests/logs. */
unsigned s3bulk_batch_limit(const struct s3bulk *b);
const char *s3bulk_bucket(const struct s3bulk *b);

/* The permission a failed key asks for (code of aws_code_class DENIED):
 * "; needs s3:DeleteObjectVersion (see remotion-janitor --validate)" with
 * a version id, s3:DeleteObject without; "" for other codes. */
const char *s3bulk_key_hint(const char *code, int with_version,
                            char *out, size_t outlen);

/* Exposed for the tests: the pacing rule.  limit: batches at once now;
 * slow: the answer asked to slow down.  Returns the next limit. */
unsigned s3bulk_pace(unsigned limit, unsigned parallel, int slow);
/* 1 when an answer to a batch asks to slow down (see above). */
int s3bulk_answer_slow(const struct aws_response *r,
                       const struct wire_delete_result *dr);

#endif
