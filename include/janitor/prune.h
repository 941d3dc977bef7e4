/*
 * Pruning inside a live bucket (prune.c): the listing and the deletion
 * behind render pruning and the storage report, an owner of the bulk
 * engine (s3bulk.h: listing fallback, batches, retries, pacing).
 *
 *   prune_list_start   lists every object version of the bucket
 *                      (ListObjectVersions, in parallel ranges: lister.c)
 *                      into a render_set; where versions cannot be listed
 *                      (denied; 405/501 from servers without versioning)
 *                      every object with ListObjectsV2, and then one
 *                      HeadObject tells whether the bucket was ever
 *                      versioned (render_versioning());
 *   prune_delete_start deletes the objects of a render_set that have an
 *                      owner (the caller's resource: a render, the props),
 *                      DeleteObjects batches of up to 1000 keys across
 *                      owners (with their version ids in a versioned
 *                      bucket, so that space is reclaimed), several
 *                      batches in flight, each sent as soon as it is full;
 *                      per-key transient errors retried.  Keys sent
 *                      without a version id go in a non-quiet request, so
 *                      that S3 tells each delete marker it added: one such
 *                      marker stops the pruning of the bucket at once
 *                      (nothing more is sent; those keys are hidden, not
 *                      deleted, and reclaim nothing).
 *                      Each owner's outcome (objects and bytes deleted, the
 *                      first error) comes when its last key is answered.
 *
 * The bucket is checked against the scope before anything is sent (and
 * again by s3.c where each request is built).
 */
#ifndef JANITOR_PRUNE_H
#define JANITOR_PRUNE_H

#include <stdint.h>

#include "janitor/aws.h"
#include "janitor/render.h"

#define PRUNE_NO_OWNER     UINT32_MAX

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
};
typedef void (*prune_listed_cb)(void *arg,
                                const struct prune_list_outcome *o);

/* set must stay valid until cb; the caller groups it afterwards. */
int prune_list_start(struct aws_client *aws, const char *region,
                     const char *bucket, unsigned parallel,
                     struct render_set *set, prune_listed_cb cb, void *arg);

struct prune_owner_outcome {
  uint32_t owner;
  uint64_t deleted;             /* objects */
  int64_t bytes;                /* their sizes, from the listing */
  uint64_t failed;              /* objects that could not be deleted
                                   (hidden ones included) */
  uint64_t hidden;              /* keys a delete marker now hides */
  char error[AWS_DESCRIBE_MAX + 128]; /* the first failure, or "" */
  char code[128];
  char request_id[128];
};
typedef void (*prune_owner_cb)(void *arg,
                               const struct prune_owner_outcome *o);
typedef void (*prune_done_cb)(void *arg);

/*
 * owner[i] is the owner of set->o[i] (PRUNE_NO_OWNER: not deleted), owners
 * below nowners.  owner_cb runs once per owner that had objects, done_cb
 * once at the end (after the last owner_cb).  set and owner must stay
 * valid until done_cb.  JAN_ESCOPE: the bucket is outside the scope.
 */
int prune_delete_start(struct aws_client *aws, const char *region,
                       const char *bucket, unsigned parallel,
                       const struct render_set *set, const uint32_t *owner,
                       uint32_t nowners, prune_owner_cb owner_cb,
                       prune_done_cb done_cb, void *arg);

#endif
