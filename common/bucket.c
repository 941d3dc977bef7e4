/*
 * The state machine of a bucket deletion (see bucket.h for the states): an
 * owner of the bulk engine (s3bulk.c).  Every listed entry is handed to the
 * engine for deletion at once; the engine batches, retries and paces, and
 * pauses the listing while enough keys wait, so memory stays bounded by
 * some thousands of keys whatever the bucket holds.  This file decides what
 * the answers mean for the bucket: gone, denied, not empty yet, done.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/aws_decide.h"
#include "janitor/bucket.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/perms.h"
#include "janitor/s3bulk.h"
#include "janitor/services.h"

struct bucket_job {
  struct aws_client *aws;
  char region[32];
  char *name;
  bucket_done_cb cb;
  void *arg;
  enum bucket_state state;

  struct s3bulk *bulk;
  unsigned own;                 /* our own calls out: website, bucket */
  int use_v2;                   /* ListObjectVersions was not usable */
  int website_sent;             /* DeleteBucketWebsite is out or back */
  int listed_ok;                /* this pass listed every range */
  uint64_t pass_listed;         /* entries listed in this pass */
  unsigned relists;
  int finishing;

  uint64_t deleted;
  uint64_t failed_keys;
  int key_vid;                  /* the first failed key had a version id */
  char key_code[128];           /* first permanent per-key error */
  char key_msg[sizeof(((struct wire_delete_error *)0)->message)];
  struct bucket_outcome out;
};

const char *bucket_state_name(enum bucket_state s)
{
  switch(s) {
  case BUCKET_EMPTYING: return "emptying";
  case BUCKET_REMOVING: return "removing";
  default: return "done";
  }
}

/* The one setter, so that every transition is logged. */
static void set_state(struct bucket_job *j, enum bucket_state s)
{
  jlog_debug("bucket", "%s: %s -> %s", j->name, bucket_state_name(j->state),
             bucket_state_name(s));
  j->state = s;
}

uint64_t bucket_job_deleted(const struct bucket_job *j)
{
  return j->deleted;
}

const char *bucket_job_name(const struct bucket_job *j)
{
  return j->name;
}

/* Remember why the job fails (the first reason wins); nothing new is sent
 * from now on, and the job ends when the last call is back. */
static void record(struct bucket_job *j, int err, const char *code,
                   const char *request_id, const char *fmt, ...)
  JAN_PRINTF(5, 6);
static void record(struct bucket_job *j, int err, const char *code,
                   const char *request_id, const char *fmt, ...)
{
  if(j->finishing)
    return;
  j->finishing = 1;
  j->out.err = err;
  if(fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->out.error, sizeof(j->out.error), fmt, ap);
    va_end(ap);
  }
  snprintf(j->out.request_id, sizeof(j->out.request_id), "%s",
           request_id ? request_id : "");
  snprintf(j->out.code, sizeof(j->out.code), "%s", code ? code : "");
  /* Held, so that the engine's drained (pump) cannot end the job inside
   * its caller, which pumps afterwards. */
  j->own++;
  s3bulk_stop(j->bulk);
  j->own--;
}

static void record_r(struct bucket_job *j, int err,
                     const struct aws_response *r, const char *msg)
{
  record(j, err, r->e.code, r->request_id, "%s", msg);
}

/* The one test for "the bucket is not there any more": done. */
static int bucket_gone(const struct aws_response *r)
{
  return r->err && aws_error_is_not_found(r) &&
         (aws_code_class(r->e.code) & AWS_CODE_NO_BUCKET);
}

static void gone(struct bucket_job *j, const char *request_id)
{
  j->out.already_gone = 1;
  record(j, 0, NULL, request_id, NULL);
}

static void bucket_removed(void *arg, const struct aws_response *r, void *res);

/* The job's one step, after every event: end it when nothing is out, or
 * send DeleteBucket when the pass emptied the bucket.  j may be freed. */
static void pump(struct bucket_job *j)
{
  if(j->own || s3bulk_busy(j->bulk))
    return;
  if(!j->finishing && j->state == BUCKET_EMPTYING) {
    if(j->failed_keys) {
      char hint[256];
      record(j, aws_code_class(j->key_code) & AWS_CODE_DENIED ? JAN_EDENIED
             : JAN_EAWS, j->key_code, NULL, "%s: %llu object%s could not "
             "be deleted: %s%s%s%s%s", j->name,
             (unsigned long long)j->failed_keys,
             j->failed_keys == 1 ? "" : "s", j->key_code,
             j->key_msg[0] ? " (" : "", j->key_msg, j->key_msg[0] ? ")" : "",
             s3bulk_key_hint(j->key_code, j->key_vid, hint, sizeof(hint)));
    }
    else if(j->listed_ok) {
      set_state(j, BUCKET_REMOVING);
      j->own++;
      if(s3_delete_bucket(j->aws, j->region, j->name, bucket_removed, j)) {
        j->own--;
        record(j, JAN_ENOMEM, NULL, NULL, "%s: cannot send DeleteBucket",
               j->name);
      }
      else
        return;
    }
    else
      record(j, JAN_EAWS, NULL, NULL, "%s: the listing stopped", j->name);
  }
  if(!j->finishing)
    return;
  set_state(j, BUCKET_DONE);
  j->out.deleted = j->deleted;
  j->cb(j->arg, &j->out);
  s3bulk_free(j->bulk);
  free(j->name);
  free(j);
}

static int on_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct bucket_job *j = arg;
  for(size_t i = 0; i < n; i++)
    if(s3bulk_delete(j->bulk, v[i].key, v[i].version_id, 0))
      return JAN_ENOMEM;
  j->pass_listed += n;
  return JAN_OK;
}

static void on_listed(void *arg, const struct s3bulk_list_outcome *o)
{
  struct bucket_job *j = arg;
  j->use_v2 = !o->versions;
  if(o->gone)
    gone(j, o->request_id);
  else if(o->err) {
    /* A listing we stopped ourselves, after a denied key (on_key): that
     * key's error is the reason, recorded when the batches end (pump). */
    if(!(j->failed_keys && (aws_code_class(j->key_code) & AWS_CODE_DENIED)))
      record(j, o->err, o->code, o->request_id, "%s", o->error);
  }
  else
    j->listed_ok = 1;
}

static void on_key(void *arg, const struct s3bulk_key *k)
{
  struct bucket_job *j = arg;

  switch(k->result) {
  case S3BULK_KEY_DELETED:
  case S3BULK_KEY_HIDDEN:       /* a marker: DeleteBucket will tell */
    j->deleted++;
    return;
  case S3BULK_KEY_UNSENT:
    return;
  case S3BULK_KEY_FAILED:
  default:
    break;
  }
  if(k->bucket_gone) {
    gone(j, k->request_id);
    return;
  }
  j->failed_keys++;
  if(!j->key_code[0]) {
    snprintf(j->key_code, sizeof(j->key_code), "%s", k->code);
    snprintf(j->key_msg, sizeof(j->key_msg), "%s", k->message);
    j->key_vid = k->vid != NULL;
  }
  /* Denied: the other keys would be too; stop sending. */
  if(aws_code_class(k->code) & AWS_CODE_DENIED)
    s3bulk_stop(j->bulk);
}

static void website_removed(void *arg, const struct aws_response *r,
                            void *res)
{
  struct bucket_job *j = arg;
  (void)res;
  j->own--;
  if(bucket_gone(r))
    gone(j, r->request_id);
  else if(r->err && !(aws_code_class(r->e.code) & AWS_CODE_NO_CONFIG))
    jlog_warn("bucket", "%s: DeleteBucketWebsite failed (%s); going on",
              j->name, r->err == JAN_EAWS ? r->e.code : jan_strerror(r->err));
  pump(j);
}

/* The website configuration only has to be gone before DeleteBucket: it
 * goes once the bucket has been listed, alongside the emptying. */
static void on_first_page(void *arg)
{
  struct bucket_job *j = arg;
  int rc;
  if(j->website_sent || j->finishing)
    return;
  j->website_sent = 1;
  j->own++;
  rc = s3_delete_bucket_website(j->aws, j->region, j->name, website_removed,
                                j);
  if(rc) {
    j->own--;
    record(j, rc, NULL, NULL, "%s: cannot send DeleteBucketWebsite: %s",
           j->name, jan_strerror(rc));
  }
}

static void on_drained(void *arg)
{
  pump(arg);
}

/* A listing pass: the first, or another after BucketNotEmpty. */
static void start_pass(struct bucket_job *j)
{
  int rc;
  set_state(j, BUCKET_EMPTYING);
  j->listed_ok = 0;
  j->pass_listed = 0;
  rc = s3bulk_list(j->bulk, !j->use_v2);
  if(rc)
    record(j, rc, NULL, NULL, "%s: cannot send the listing: %s", j->name,
           jan_strerror(rc));
}

static void bucket_removed(void *arg, const struct aws_response *r, void *res)
{
  struct bucket_job *j = arg;
  (void)res;
  j->own--;
  if(!r->err || bucket_gone(r)) {
    j->out.already_gone = r->err != 0;
    record(j, 0, r->e.code, r->request_id, NULL);
  }
  else if(aws_code_class(r->e.code) & AWS_CODE_NOT_EMPTY) {
    if(j->use_v2 && j->pass_listed == 0)
      record(j, JAN_EDENIED, r->e.code, r->request_id, "%s is versioned: "
             "its object versions and delete markers are invisible without "
             "%s, and deleting them needs %s (see remotion-janitor "
             "--validate)", j->name, perm_action(PERM_LIST_BUCKET_VERSIONS),
             perm_action(PERM_DELETE_OBJECT_VERSION));
    else if(++j->relists > BUCKET_MAX_RELISTS)
      record(j, JAN_EAWS, r->e.code, r->request_id, "%s: still not empty "
             "after %u passes (objects keep appearing)", j->name,
             BUCKET_MAX_RELISTS);
    else {
      jlog_info("bucket", "%s: not empty yet (objects appeared); listing "
                "again", j->name);
      start_pass(j);
    }
  }
  else {
    char msg[AWS_DESCRIBE_MAX + 128];
    aws_describe_error(r, "DeleteBucket", msg, sizeof(msg));
    if(aws_error_is_access_denied(r))
      snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "; needs %s "
               "(see remotion-janitor --validate)",
               perm_action(PERM_DELETE_BUCKET));
    record_r(j, r->err, r, msg);
  }
  pump(j);
}

int bucket_delete_start(struct aws_client *aws, const char *region,
                        const char *bucket, unsigned parallel,
                        bucket_done_cb cb, void *arg,
                        struct bucket_job **out)
{
  const struct s3bulk_ops ops = {
    .entries = on_entries, .listed = on_listed, .key_done = on_key,
    .first_page = on_first_page, .drained = on_drained
  };
  struct bucket_job *j;
  int rc;

  rc = names_guard("a bucket deletion", JAN_KIND_BUCKET, bucket);
  if(rc)
    return rc;
  if(strlen(region) >= sizeof(j->region))
    return JAN_EINVAL;
  j = calloc(1, sizeof(*j));
  if(!j)
    return JAN_ENOMEM;
  j->aws = aws;
  strcpy(j->region, region);
  j->name = strdup(bucket);
  j->cb = cb;
  j->arg = arg;
  if(!j->name ||
     (rc = s3bulk_new(aws, region, bucket, parallel, &ops, j, &j->bulk))) {
    free(j->name);
    free(j);
    return rc ? rc : JAN_ENOMEM;
  }
  if(out)
    *out = j;
  /* A reference of the job's own while it starts: a call that fails before
   * returning must not end the job under our feet. */
  j->own++;
  start_pass(j);
  j->own--;
  pump(j);
  return JAN_OK;
}
