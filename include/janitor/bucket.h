/*
 * Deleting one bucket: an explicit state machine (bucket.c), one owner of
 * the bulk engine (s3bulk.h), which does the listing and the deleting.
 *
 *   EMPTYING  list every version and delete marker (ListObjectVersions; if
 *             that is denied, or answered 405/501 as S3-compatible servers
 *             without versioning do, ListObjectsV2) page by page, each entry
 *             handed to the engine for deletion at once, while the listing
 *             goes on (the engine's batches, retries and pacing).  A batch
 *             denied as a whole stops the emptying.  DeleteBucketWebsite
 *             goes out once the first listing page has succeeded (a bucket that cannot even be listed is
 *             left as it was); a missing or denied website config does not
 *             block the deletion, it only has to be gone before DeleteBucket
 *   REMOVING  DeleteBucket; on BucketNotEmpty (objects appeared meanwhile)
 *             back to EMPTYING, a bounded number of times
 *   DONE      deleted (404 at any step counts as deleted) or failed
 */
#ifndef JANITOR_BUCKET_H
#define JANITOR_BUCKET_H

#include <stdint.h>

#include "janitor/aws.h"

#define BUCKET_MAX_RELISTS       5   /* BucketNotEmpty answers tolerated */

enum bucket_state {
  BUCKET_EMPTYING = 0,
  BUCKET_REMOVING,
  BUCKET_DONE
};

struct bucket_job;

struct bucket_outcome {
  int err;                      /* 0: deleted (or already gone) */
  int already_gone;
  uint64_t deleted;             /* objects, versions and markers removed */
  char error[AWS_DESCRIBE_MAX + 128]; /* why it failed, with the action */
  char request_id[128];         /* of the request that decided it */
  char code[128];               /* AWS error code of the failure, if any */
};

typedef void (*bucket_done_cb)(void *arg, const struct bucket_outcome *o);

/* The job frees itself after cb returns.  Refuses (JAN_ESCOPE) a bucket
 * outside the scope before sending anything.  parallel: listing requests
 * at once, and DeleteObjects batches at once, each (at least
 * S3BULK_PARALLEL_MIN); half the per-host request limit leaves the other
 * half to the other. */
int bucket_delete_start(struct aws_client *aws, const char *region,
                        const char *bucket, unsigned parallel,
                        bucket_done_cb cb, void *arg,
                        struct bucket_job **out);
/* Objects deleted so far, for progress reports. */
uint64_t bucket_job_deleted(const struct bucket_job *j);
const char *bucket_job_name(const struct bucket_job *j);
const char *bucket_state_name(enum bucket_state s);

#endif
