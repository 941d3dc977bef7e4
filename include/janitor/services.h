/*
 * The AWS operations the janitor uses, one function each, on top of the
 * request layer (aws.h) and the wire parsers (wire.h).  Every call is
 * asynchronous; cb gets the typed result named beside each function, or
 * NULL when the call failed (r->err says why); the result is freed after
 * cb returns.
 *
 * Every function that builds a modifying request checks the scope itself
 * (scope_contains) and refuses with JAN_ESCOPE, logging loudly, before
 * anything is sent: the second of the two independent checks of the scope
 * (the policy is the first; remotion-janitor(8), DESCRIPTION).
 */
#ifndef JANITOR_SERVICES_H
#define JANITOR_SERVICES_H

#include <stdint.h>

#include "janitor/aws.h"
#include "janitor/wire.h"

/* ---- S3 (s3.c) ---- */

/* struct wire_bucket_list; token NULL for the first page. */
int s3_list_buckets(struct aws_client *c, const char *token, aws_result_cb cb,
                    void *arg);
/* struct s3_location */
struct s3_location { char region[32]; };
int s3_get_bucket_location(struct aws_client *c, const char *bucket,
                           aws_result_cb cb, void *arg);
/* struct wire_object_page; markers NULL for the first page. */
int s3_list_object_versions(struct aws_client *c, const char *region,
                            const char *bucket, const char *key_marker,
                            const char *version_marker, aws_result_cb cb,
                            void *arg);
/* token (NextContinuationToken) or start_after (any string: the keys
 * after it), or neither for the first page. */
int s3_list_objects_v2(struct aws_client *c, const char *region,
                       const char *bucket, const char *token,
                       const char *start_after, aws_result_cb cb, void *arg);
/* struct wire_delete_result; 1..1000 objects.  Quiet when every object
 * has a version id; otherwise every key is answered, with the delete
 * markers its delete added (wire_delete_result.markers). */
int s3_delete_objects(struct aws_client *c, const char *region,
                      const char *bucket, const struct wire_object *objs,
                      size_t n, aws_result_cb cb, void *arg);
/* HeadObject (no result; r->headers holds the answer's headers).  Reads
 * only: used to tell a versioned bucket (x-amz-version-id). */
int s3_head_object(struct aws_client *c, const char *region,
                   const char *bucket, const char *key, aws_result_cb cb,
                   void *arg);
/* no result */
int s3_delete_object(struct aws_client *c, const char *region,
                     const char *bucket, const char *key,
                     const char *version_id, aws_result_cb cb, void *arg);
int s3_delete_bucket_website(struct aws_client *c, const char *region,
                             const char *bucket, aws_result_cb cb, void *arg);
int s3_delete_bucket(struct aws_client *c, const char *region,
                     const char *bucket, aws_result_cb cb, void *arg);
/* struct wire_tag_list.  A bucket without tags answers 404 NoSuchTagSet:
 * that is an empty list (cb gets it with r->err 0, r->status 404), not a
 * failure. */
int s3_get_bucket_tagging(struct aws_client *c, const char *region,
                          const char *bucket, aws_result_cb cb, void *arg);

/* ---- Lambda (lambda.c) ---- */

/* struct wire_function_page */
int lambda_list_functions(struct aws_client *c, const char *region,
                          const char *marker, aws_result_cb cb, void *arg);
/* struct wire_layer_page */
int lambda_list_layers(struct aws_client *c, const char *region,
                       const char *marker, aws_result_cb cb, void *arg);
/* struct wire_layer_version_page */
int lambda_list_layer_versions(struct aws_client *c, const char *region,
                               const char *layer, const char *marker,
                               aws_result_cb cb, void *arg);
/* struct wire_layer_version */
int lambda_get_layer_version(struct aws_client *c, const char *region,
                             const char *layer, int64_t version,
                             aws_result_cb cb, void *arg);
/* struct wire_tag_list: the tags of the function whose ARN is given
 * (ListTags takes an ARN, not a name). */
int lambda_list_tags(struct aws_client *c, const char *region,
                     const char *function_arn, aws_result_cb cb, void *arg);
/* no result */
int lambda_delete_function(struct aws_client *c, const char *region,
                           const char *name, aws_result_cb cb, void *arg);
int lambda_delete_layer_version(struct aws_client *c, const char *region,
                                const char *layer, int64_t version,
                                aws_result_cb cb, void *arg);

/* ---- STS and IAM (iam.c) ---- */

/* struct wire_identity */
int sts_get_caller_identity(struct aws_client *c, const char *region,
                            aws_result_cb cb, void *arg);
/* struct iam_simulate_page */
struct iam_simulate_page {
  struct wire_eval *v;
  size_t n;
  int truncated;
  char *marker;
};
int iam_simulate_principal_policy(struct aws_client *c, const char *arn,
                                  const char *const *actions, size_t nact,
                                  const char *const *resources, size_t nres,
                                  const char *marker, aws_result_cb cb,
                                  void *arg);

#endif
