#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/services.h"

/*
 * What one listing answer may weigh (max-keys and max-buckets are 1000,
 * which we ask for).  An object entry: a key of at most 1024 bytes, each
 * byte XML-escaped at worst as &quot; (6 KiB); a version id of at most
 * 1024 bytes (URL-ready, not escaped); ETag, size, dates, storage class,
 * owner, checksum fields and the element names: under 1 KiB.  8 KiB an
 * entry, 1000 entries, and S3_PAGE_SLACK for the markers (two keys and two
 * version ids) and the envelope: 7.9 MiB.  A DeleteObjects result carries
 * at most one <Error> per key sent (key, version id, code, message): the
 * same bound.  A bucket entry (name 63, region, date, ARN, element names)
 * is under 512 bytes: 1000 of them 500 KiB.  An answer over its cap fails
 * with JAN_ETOOBIG and the listing is incomplete.
 */
#define S3_PAGE_ITEMS         1000u
#define S3_PAGE_SLACK         (64u * 1024)
#define S3_OBJECT_ENTRY_MAX   (8u * 1024)
#define S3_BUCKET_ENTRY_MAX   512u
#define S3_LIST_MAX_BODY (S3_PAGE_ITEMS * S3_OBJECT_ENTRY_MAX + S3_PAGE_SLACK)
#define S3_BUCKETS_MAX_BODY \
  (S3_PAGE_ITEMS * S3_BUCKET_ENTRY_MAX + S3_PAGE_SLACK)

/* The second check: nothing that modifies is built for a bucket outside
 * the scope or with a name S3 could not have created. */
static int guard(const char *op, const char *bucket)
{
  return names_guard(op, JAN_KIND_BUCKET, bucket);
}

static int parse_bucket_list(const char *b, size_t n, void *out)
{
  return wire_s3_parse_list_buckets(b, n, out);
}
static void free_bucket_list(void *p)
{
  wire_bucket_list_free(p);
}
static int parse_location(const char *b, size_t n, void *out)
{
  return wire_s3_parse_location(b, n, ((struct s3_location *)out)->region);
}
static int parse_versions(const char *b, size_t n, void *out)
{
  return wire_s3_parse_list_versions(b, n, out);
}
static int parse_v2(const char *b, size_t n, void *out)
{
  return wire_s3_parse_list_objects_v2(b, n, out);
}
static void free_page(void *p)
{
  wire_object_page_free(p);
}
static int parse_delete(const char *b, size_t n, void *out)
{
  return wire_s3_parse_delete_result(b, n, out);
}
static void free_delete(void *p)
{
  wire_delete_result_free(p);
}

static int parse_tagging(const char *b, size_t n, void *out)
{
  return wire_s3_parse_tagging(b, n, out);
}
static void free_tagging(void *p)
{
  wire_tag_list_free(p);
}

int s3_list_buckets(struct aws_client *c, const char *token, aws_result_cb cb,
                    void *arg)
{
  struct jbuf q;
  int rc;
  /* max-buckets makes S3 answer each bucket's region and page. */
  jbuf_init(&q, JAN_PATH_MAX);
  rc = jbuf_addstr(&q, "max-buckets=1000");
  if(!rc && token) {
    rc = jbuf_addstr(&q, "&continuation-token=");
    if(!rc)
      rc = wire_query_encode(token, &q);
  }
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_S3, .region = "us-east-1", .op = "ListBuckets",
      .method = "GET", .path = "/", .query = jbuf_str(&q),
      .max_body = S3_BUCKETS_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_bucket_list),
                         parse_bucket_list, free_bucket_list, cb, arg);
  }
  jbuf_free(&q);
  return rc;
}

int s3_get_bucket_location(struct aws_client *c, const char *bucket,
                           aws_result_cb cb, void *arg)
{
  struct aws_request r = {
    .service = AWS_SVC_S3, .region = "us-east-1", .op = "GetBucketLocation",
    .method = "GET", .bucket = bucket, .query = "location",
    .flags = AWS_REQ_NO_REDIRECT
  };
  return aws_send_parsed(c, &r, sizeof(struct s3_location), parse_location,
                         NULL, cb, arg);
}

int s3_list_object_versions(struct aws_client *c, const char *region,
                            const char *bucket, const char *key_marker,
                            const char *version_marker, aws_result_cb cb,
                            void *arg)
{
  struct jbuf q;
  int rc;
  jbuf_init(&q, JAN_PATH_MAX);
  /* Keys url-encoded, as every AWS SDK asks: XML 1.0 cannot carry a
   * control byte, and reads a CR as LF (wire_s3_parse_list_versions). */
  rc = jbuf_addstr(&q, "versions=&encoding-type=url");
  if(!rc && key_marker) {
    rc = jbuf_addstr(&q, "&key-marker=");
    if(!rc)
      rc = wire_query_encode(key_marker, &q);
  }
  if(!rc)
    rc = jbuf_addstr(&q, "&max-keys=1000");
  if(!rc && version_marker) {
    rc = jbuf_addstr(&q, "&version-id-marker=");
    if(!rc)
      rc = wire_query_encode(version_marker, &q);
  }
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_S3, .region = region, .op = "ListObjectVersions",
      .method = "GET", .bucket = bucket, .query = jbuf_str(&q),
      .max_body = S3_LIST_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_object_page),
                         parse_versions, free_page, cb, arg);
  }
  jbuf_free(&q);
  return rc;
}

int s3_list_objects_v2(struct aws_client *c, const char *region,
                       const char *bucket, const char *token,
                       const char *start_after, aws_result_cb cb, void *arg)
{
  struct jbuf q;
  int rc;
  jbuf_init(&q, JAN_PATH_MAX);
  rc = 0;
  if(token) {
    rc = jbuf_addstr(&q, "continuation-token=");
    if(!rc)
      rc = wire_query_encode(token, &q);
    if(!rc)
      rc = jbuf_addc(&q, '&');
  }
  if(!rc)
    rc = jbuf_addstr(&q, "encoding-type=url&list-type=2&max-keys=1000");
  if(!rc && start_after) {
    rc = jbuf_addstr(&q, "&start-after=");
    if(!rc)
      rc = wire_query_encode(start_after, &q);
  }
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_S3, .region = region, .op = "ListObjectsV2",
      .method = "GET", .bucket = bucket, .query = jbuf_str(&q),
      .max_body = S3_LIST_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_object_page), parse_v2,
                         free_page, cb, arg);
  }
  jbuf_free(&q);
  return rc;
}

int s3_delete_objects(struct aws_client *c, const char *region,
                      const char *bucket, const struct wire_object *objs,
                      size_t n, aws_result_cb cb, void *arg)
{
  struct jbuf body;
  int quiet = 1;
  int rc = guard("DeleteObjects", bucket);
  if(rc)
    return rc;
  jbuf_init(&body, JAN_REQUEST_BODY_MAX);
  /* Quiet (only the failures answered) when every object names its
   * version: a key-only delete may add a delete marker, and only a
   * non-quiet answer tells which did. */
  for(size_t i = 0; i < n && quiet; i++)
    quiet = objs[i].version_id != NULL;
  rc = wire_s3_build_delete_body(objs, n, quiet, &body);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_S3, .region = region, .op = "DeleteObjects",
      .method = "POST", .bucket = bucket, .query = "delete",
      .content_type = "application/xml", .body = body.ptr,
      .body_len = body.len, .flags = AWS_REQ_CONTENT_MD5,
      .max_body = S3_LIST_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_delete_result),
                         parse_delete, free_delete, cb, arg);
  }
  jbuf_free(&body);
  return rc;
}

int s3_head_object(struct aws_client *c, const char *region,
                   const char *bucket, const char *key, aws_result_cb cb,
                   void *arg)
{
  struct jbuf path;
  int rc;
  jbuf_init(&path, JAN_PATH_MAX);
  rc = jbuf_addc(&path, '/');
  if(!rc)
    rc = names_encode_key(key, &path);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_S3, .region = region, .op = "HeadObject",
      .method = "HEAD", .bucket = bucket, .path = jbuf_str(&path)
    };
    rc = aws_send_parsed(c, &r, 0, NULL, NULL, cb, arg);
  }
  jbuf_free(&path);
  return rc;
}

int s3_delete_object(struct aws_client *c, const char *region,
                     const char *bucket, const char *key,
                     const char *version_id, aws_result_cb cb, void *arg)
{
  struct jbuf path, q;
  int rc = guard("DeleteObject", bucket);
  if(rc)
    return rc;
  jbuf_init(&path, JAN_PATH_MAX);
  jbuf_init(&q, JAN_PATH_MAX);
  /* '/' stays the separator (S3's canonical form); a key with a "." or
   * ".." segment is refused, so no key can read as another path. */
  rc = jbuf_addc(&path, '/');
  if(!rc)
    rc = names_encode_key(key, &path);
  if(!rc && version_id) {
    rc = jbuf_addstr(&q, "versionId=");
    if(!rc)
      rc = wire_query_encode(version_id, &q);
  }
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_S3, .region = region, .op = "DeleteObject",
      .method = "DELETE", .bucket = bucket, .path = jbuf_str(&path),
      .query = version_id ? jbuf_str(&q) : NULL
    };
    rc = aws_send_parsed(c, &r, 0, NULL, NULL, cb, arg);
  }
  jbuf_free(&path);
  jbuf_free(&q);
  return rc;
}

int s3_delete_bucket_website(struct aws_client *c, const char *region,
                             const char *bucket, aws_result_cb cb, void *arg)
{
  struct aws_request r = {
    .service = AWS_SVC_S3, .region = region, .op = "DeleteBucketWebsite",
    .method = "DELETE", .bucket = bucket, .query = "website"
  };
  int rc = guard(r.op, bucket);
  return rc ? rc : aws_send_parsed(c, &r, 0, NULL, NULL, cb, arg);
}

int s3_delete_bucket(struct aws_client *c, const char *region,
                     const char *bucket, aws_result_cb cb, void *arg)
{
  struct aws_request r = {
    .service = AWS_SVC_S3, .region = region, .op = "DeleteBucket",
    .method = "DELETE", .bucket = bucket
  };
  int rc = guard(r.op, bucket);
  return rc ? rc : aws_send_parsed(c, &r, 0, NULL, NULL, cb, arg);
}

/*
 * GetBucketTagging: an untagged bucket answers 404 NoSuchTagSet, which is
 * an answer (no tags), not a failure.  The tag set is at most 50 user tags
 * (and the aws: ones): S3_TAGGING_MAX_BODY is far above it.
 */
#define S3_TAGGING_MAX_BODY (256u * 1024)

struct tagging_call {
  aws_result_cb cb;
  void *arg;
};

static void tagging_done(void *arg, const struct aws_response *r,
                         void *result)
{
  struct tagging_call *t = arg;

  if(!result && r->err == JAN_EAWS && r->status == 404 &&
     !strcmp(r->e.code, "NoSuchTagSet")) {
    struct aws_response ok = *r;
    struct wire_tag_list none = { NULL, 0 };
    ok.err = JAN_OK;
    t->cb(t->arg, &ok, &none);
  }
  else {
    t->cb(t->arg, r, result);
  }
  free(t);
}

int s3_get_bucket_tagging(struct aws_client *c, const char *region,
                          const char *bucket, aws_result_cb cb, void *arg)
{
  struct tagging_call *t = malloc(sizeof(*t));
  struct aws_request r = {
    .service = AWS_SVC_S3, .region = region, .op = "GetBucketTagging",
    .method = "GET", .bucket = bucket, .query = "tagging",
    .max_body = S3_TAGGING_MAX_BODY
  };
  int rc;

  if(!t)
    return JAN_ENOMEM;
  t->cb = cb;
  t->arg = arg;
  rc = aws_send_parsed(c, &r, sizeof(struct wire_tag_list), parse_tagging,
                       free_tagging, tagging_done, t);
  if(rc)
    free(t);
  return rc;
}
