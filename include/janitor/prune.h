/*
 * Pruning inside a live bucket (prune.c): the listing and the deletion
 * behind render pruning and the storage report, an owner of the bulk
 * engine (s3bulk.h: listing fallback, batches, retries, pacing).
 *
 *   prune_list_start   lists every object version of the bucket
 *                      (ListObjectVersions, in parallel ranges: lister.c)
 *                      through a render_stream (render.h): each render is
 *                      told when its chain has passed it, every entry as
 *                      it comes; nothing of the listing is held.  Where
 *                      versions cannot be listed (denied; 405/501 from
 *                      servers without versioning) every object with
 *                      ListObjectsV2, and then one HeadObject (on the first
 *                      key pruning may delete) tells whether the bucket
 *                      was ever versioned (render_versioning());
 *   prune_delete_start lists the bucket again the same way and deletes
 *                      what a plan (render.h: render_act) chose, as it is
 *                      listed: DeleteObjects batches of up to 1000 keys
 *                      (with their version ids in a versioned bucket, so
 *                      that space is reclaimed), several batches in
 *                      flight; per-key transient errors retried.  An
 *                      object written under a chosen render since the
 *                      decision is kept and counted (appeared).  Keys sent
 *                      without a version id go in a non-quiet request, so
 *                      that S3 tells each delete marker it added: one such
 *                      marker stops the pruning of the bucket at once
 *                      (nothing more is sent; those keys are hidden, not
 *                      deleted, and reclaim nothing).  Each owner's outcome
 *                      (objects and bytes deleted, the first error) comes
 *                      at the end of the pass, then the bucket's: what the
 *                      pass listed and what it deleted, by category, so
 *                      that the bucket's figures after the pruning need no
 *                      third listing (prune_storage_after).
 *
 * Memory: the pages in flight, the keys waiting to be deleted (s3bulk.h),
 * one open render per chain, and the plan's picks; never the bucket.
 *
 * The bucket is checked against the scope before anything is sent (and
 * again by s3.c where each request is built).
 */
#ifndef JANITOR_PRUNE_H
#define JANITOR_PRUNE_H

#include <stdint.h>

#include "janitor/aws.h"
#include "janitor/render.h"

#define PRUNE_NO_OWNER     RENDER_NO_OWNER

struct prune_list_outcome {
  int err;                      /* 0: every range listed */
  char error[AWS_DESCRIBE_MAX + 128];
  unsigned pages;               /* listing requests answered */
  int versions;                 /* listed with ListObjectVersions (else
                                   ListObjectsV2: versions denied) */
  /* ListObjectsV2 only: what HeadObject on the first object pruning may
   * delete told (render.h: render_versioning()), and why it could not
   * tell.  Keys are deleted only when versioning is NEVER. */
  enum render_probe probe;
  enum render_versioning versioning;
  char probe_error[AWS_DESCRIBE_MAX];
  /* What was listed (as render_stream counts it). */
  uint64_t objects;
  int64_t bytes;
  int64_t storage[RENDER_CAT_N];
  int versioned;                /* a version other than "null", or a
                                   delete marker, was listed */
  /* Keys cutting the bucket as listed into about equal ranges (first keys
   * of pages), for the next listing of it to start with (seed below);
   * valid during the callback only. */
  const char *const *seed;
  size_t nseed;
};
typedef void (*prune_listed_cb)(void *arg,
                                const struct prune_list_outcome *o);

/* ops (with ops_arg) see the renders and entries as they are listed; a
 * non-zero return stops the listing (its error).  versions: list with
 * ListObjectVersions first (else ListObjectsV2 alone); probe: after a
 * ListObjectsV2 listing, tell whether the bucket was ever versioned; seed
 * (may be NULL): the first ranges, as an earlier listing told them (valid
 * until cb).  cb comes once, after the last op call. */
int prune_list_start(struct aws_client *aws, const char *region,
                     const char *bucket, unsigned parallel, int versions,
                     int probe, const char *const *seed, size_t nseed,
                     const struct render_stream_ops *ops, void *ops_arg,
                     prune_listed_cb cb, void *arg);

struct prune_owner_outcome {
  uint32_t owner;
  uint64_t deleted;             /* objects */
  int64_t bytes;                /* their sizes, from the listing */
  uint64_t failed;              /* objects that could not be deleted
                                   (hidden ones included) */
  uint64_t hidden;              /* keys a delete marker now hides */
  uint64_t appeared;            /* objects written since the decision:
                                   kept */
  char error[AWS_DESCRIBE_MAX + 128]; /* the first failure, or "" */
  char code[128];
  char request_id[128];
};
typedef void (*prune_owner_cb)(void *arg,
                               const struct prune_owner_outcome *o);

/* The bucket, as the deleting pass saw it.  Objects written after the
 * pass passed their key are not in it: the same race a later listing
 * would have with writes after it. */
struct prune_delete_outcome {
  int whole;                    /* the pass listed the whole bucket */
  uint64_t objects;             /* listed (whole only) */
  int64_t bytes;
  int64_t storage[RENDER_CAT_N];
  uint64_t deleted;             /* deleted, every owner */
  int64_t deleted_bytes;
  int64_t deleted_storage[RENDER_CAT_N];
};
typedef void (*prune_done_cb)(void *arg,
                              const struct prune_delete_outcome *o);

/* A bucket's figures after its pruning: those the deleting pass listed
 * (when it listed the whole bucket; else the figures given, an earlier
 * listing's) less what it deleted, never below 0. */
void prune_storage_after(const struct prune_delete_outcome *o,
                         uint64_t *objects, int64_t *bytes,
                         int64_t storage[RENDER_CAT_N]);

struct prune_delete_opts {
  unsigned parallel;
  int versions;                 /* list versions (as the decision did) */
  int by_version;               /* delete each version (a versioned
                                   bucket), else by key */
  const struct render_plan *plan;   /* owners below nowners */
  const uint64_t *expected;     /* per owner: the objects decided */
  uint32_t nowners;
  const char *const *seed;      /* the first ranges (the decision's
                                   listing told them), or NULL */
  size_t nseed;
};

/*
 * owner_cb runs once per owner, done_cb once at the end (after the last
 * owner_cb) with the bucket's outcome.  The plan and expected must stay valid until done_cb.
 * JAN_ESCOPE: the bucket is outside the scope.
 */
int prune_delete_start(struct aws_client *aws, const char *region,
                       const char *bucket, const struct prune_delete_opts *o,
                       prune_owner_cb owner_cb, prune_done_cb done_cb,
                       void *arg);

#endif
