/*
 * The state machine of a bucket deletion (see bucket.h for the states).
 * Listing and deleting are pipelined: the bucket is listed in parallel
 * ranges (lister.c), each listed page becomes DeleteObjects batches right
 * away while other pages are being listed; a bounded number of batches is
 * out per bucket, and the listing pauses while BUCKET_QUEUE_KEYS keys wait,
 * so memory stays bounded by some thousands of keys whatever the bucket
 * holds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/aws_decide.h"
#include "janitor/bucket.h"
#include "janitor/lister.h"
#include "janitor/log.h"
#include "janitor/perms.h"
#include "janitor/names.h"
#include "janitor/services.h"

#define BATCH_MAX 1000

struct qkey {
  char *key;
  char *vid;                    /* NULL: no version (ListObjectsV2) */
  unsigned tries;
};

struct batch {
  struct bucket_job *j;
  struct qkey *k;
  size_t n;
};

struct bucket_job {
  struct aws_client *aws;
  char region[32];
  char *name;
  bucket_done_cb cb;
  void *arg;
  enum bucket_state state;

  int use_v2;                   /* ListObjectVersions was denied */
  int website_sent;             /* DeleteBucketWebsite is out or back */
  unsigned parallel;            /* listing chains and batches at once */
  unsigned batch_limit;         /* batches at once now: 1..parallel */
  struct lister *lister;        /* this pass's listing */
  unsigned listing;             /* list calls out (all passes) */
  int list_done;                /* this pass has listed every range */
  size_t pass_listed;           /* entries listed in this pass */

  struct qkey *q;               /* keys waiting for a batch */
  size_t nq, capq;
  unsigned inflight;            /* DeleteObjects/DeleteObject calls out */
  unsigned relists;
  int finishing;

  uint64_t deleted;
  uint64_t failed_keys;
  char key_code[128];           /* first permanent per-key error */
  char key_msg[sizeof(((struct wire_delete_error *)0)->message)];
  struct bucket_outcome out;
};

static void pump(struct bucket_job *j);
static void list_more(struct bucket_job *j);

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

static void qkey_free(struct qkey *k)
{
  free(k->key);
  free(k->vid);
}

static void job_free(struct bucket_job *j)
{
  for(size_t i = 0; i < j->nq; i++)
    qkey_free(&j->q[i]);
  free(j->q);
  lister_free(j->lister);
  free(j->name);
  free(j);
}

/* Remember why the job fails (the first reason wins); nothing new is sent
 * from now on, and the job ends when the last call is back. */
static void record(struct bucket_job *j, int err, const struct aws_response *r,
                   const char *fmt, ...) JAN_PRINTF(4, 5);
static void record(struct bucket_job *j, int err, const struct aws_response *r,
                   const char *fmt, ...)
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
  if(r) {
    snprintf(j->out.request_id, sizeof(j->out.request_id), "%s",
             r->request_id);
    snprintf(j->out.code, sizeof(j->out.code), "%s", r->e.code);
  }
}

/* End the job if nothing is out any more.  j may be freed on return. */
static void complete(struct bucket_job *j)
{
  if(j->inflight || j->listing)
    return;
  set_state(j, BUCKET_DONE);
  j->out.deleted = j->deleted;
  j->cb(j->arg, &j->out);
  job_free(j);
}

#define finish(j, err, r, ...) \
  do { record((j), (err), (r), __VA_ARGS__); complete(j); } while(0)

static int push_key(struct bucket_job *j, const char *key, const char *vid,
                    unsigned tries)
{
  struct qkey *k;
  if(j->nq == j->capq) {
    size_t cap = j->capq ? j->capq * 2 : 1024;
    struct qkey *p = realloc(j->q, cap * sizeof(*p));
    if(!p)
      return JAN_ENOMEM;
    j->q = p;
    j->capq = cap;
  }
  k = &j->q[j->nq];
  k->key = strdup(key);
  k->vid = vid ? strdup(vid) : NULL;
  k->tries = tries;
  if(!k->key || (vid && !k->vid)) {
    qkey_free(k);
    return JAN_ENOMEM;
  }
  j->nq++;
  return JAN_OK;
}

/* The one test for "the bucket is not there any more": done. */
static int bucket_gone(const struct aws_response *r)
{
  return r->err && aws_error_is_not_found(r) &&
         !strcmp(r->e.code, "NoSuchBucket");
}

/* A per-key error worth another batch: the shared table of AWS codes. */
static int code_is_transient(const char *code)
{
  return (aws_code_class(code) & (AWS_CODE_THROTTLE | AWS_CODE_TRANSIENT))
         != 0;
}

static void key_failed(struct bucket_job *j, const char *code, const char *msg)
{
  j->failed_keys++;
  if(!j->key_code[0]) {
    snprintf(j->key_code, sizeof(j->key_code), "%s", code);
    snprintf(j->key_msg, sizeof(j->key_msg), "%s", msg ? msg : "");
  }
}

/* A key that failed: again in a later batch, or a permanent failure. */
static void key_retry(struct bucket_job *j, struct qkey *k, const char *code,
                      const char *msg)
{
  if(code_is_transient(code) && k->tries + 1 < BUCKET_KEY_RETRIES &&
     push_key(j, k->key, k->vid, k->tries + 1) == JAN_OK)
    return;
  key_failed(j, code, msg);
}

static void batch_free(struct batch *b)
{
  for(size_t i = 0; i < b->n; i++)
    qkey_free(&b->k[i]);
  free(b->k);
  free(b);
}

/*
 * S3 admits some thousands of deletions a second per partitioned prefix
 * and answers SlowDown past that: a batch that needed retries, or whose
 * keys came back with SlowDown, halves the batches sent at once; each batch
 * that went through without either lets one more go (AIMD).
 */
static void batch_pace(struct bucket_job *j, const struct aws_response *r,
                       const struct wire_delete_result *dr)
{
  int slow = r->attempts > 1;
  for(size_t e = 0; dr && e < dr->nerrors && !slow; e++)
    slow = !strcmp(dr->errors[e].code, "SlowDown");
  if(slow && j->batch_limit > 1) {
    j->batch_limit /= 2;
    jlog_info("bucket", "%s: throttled: at most %u DeleteObjects at once",
              j->name, j->batch_limit);
  }
  else if(!slow && j->batch_limit < j->parallel) {
    j->batch_limit++;
  }
}

static void batch_done(void *arg, const struct aws_response *r, void *res)
{
  struct batch *b = arg;
  struct bucket_job *j = b->j;
  struct wire_delete_result *dr = res;

  j->inflight--;
  batch_pace(j, r, dr);
  if(!dr) {
    if(bucket_gone(r)) {
      j->out.already_gone = 1;
      batch_free(b);
      finish(j, 0, r, NULL);
      return;
    }
    /* The whole request failed after its retries: every key of it. */
    for(size_t i = 0; i < b->n; i++)
      key_retry(j, &b->k[i], r->err == JAN_EAWS ? r->e.code : "InternalError",
                r->err == JAN_EAWS ? r->e.message : jan_strerror(r->err));
    if(aws_error_is_access_denied(r))
      record(j, JAN_EDENIED, r, "DeleteObjects on %s: %s: %s; needs "
             "%s%s%s (see remotion-janitor --validate)", j->name,
             r->e.code, r->e.message, perm_action(PERM_DELETE_OBJECT),
             j->use_v2 ? "" : " and ",
             j->use_v2 ? "" : perm_action(PERM_DELETE_OBJECT_VERSION));
  }
  else {
    size_t ok = b->n;
    for(size_t e = 0; e < dr->nerrors; e++) {
      const struct wire_delete_error *de = &dr->errors[e];
      struct qkey *k = NULL;
      for(size_t i = 0; i < b->n && !k; i++)
        if(!strcmp(b->k[i].key, de->key) &&
           ((!b->k[i].vid && !de->version_id) ||
            (b->k[i].vid && de->version_id &&
             !strcmp(b->k[i].vid, de->version_id))))
          k = &b->k[i];
      if(ok)
        ok--;
      if(k)
        key_retry(j, k, de->code, de->message);
      else
        key_failed(j, de->code, de->message);
    }
    j->deleted += ok;
  }
  batch_free(b);
  pump(j);
}

static void single_done(void *arg, const struct aws_response *r, void *res)
{
  struct batch *b = arg;
  struct bucket_job *j = b->j;
  (void)res;
  j->inflight--;
  if(!r->err || aws_error_is_not_found(r))
    j->deleted++;
  else
    key_retry(j, &b->k[0], r->err == JAN_EAWS ? r->e.code : "InternalError",
              r->err == JAN_EAWS ? r->e.message : jan_strerror(r->err));
  batch_free(b);
  pump(j);
}

/* Take up to max keys off the front of the queue into a new batch. */
static struct batch *take_batch(struct bucket_job *j, size_t max)
{
  struct batch *b = calloc(1, sizeof(*b));
  size_t n = j->nq < max ? j->nq : max;
  if(!b)
    return NULL;
  b->k = malloc(n * sizeof(*b->k));
  if(!b->k) {
    free(b);
    return NULL;
  }
  memcpy(b->k, j->q, n * sizeof(*b->k));
  memmove(j->q, j->q + n, (j->nq - n) * sizeof(*j->q));
  j->nq -= n;
  b->n = n;
  b->j = j;
  return b;
}

static void send_batch(struct bucket_job *j, struct batch *b)
{
  struct wire_object objs[BATCH_MAX];
  int rc;

  /* Keys that XML 1.0 cannot carry go one by one, in the URL path. */
  if(b->n == 1 && !wire_s3_key_xml_safe(b->k[0].key)) {
    j->inflight++;
    rc = s3_delete_object(j->aws, j->region, j->name, b->k[0].key,
                          b->k[0].vid, single_done, b);
    if(rc) {
      j->inflight--;
      key_failed(j, "InternalError", jan_strerror(rc));
      batch_free(b);
    }
    return;
  }
  for(size_t i = 0; i < b->n; i++) {
    objs[i].key = b->k[i].key;
    objs[i].version_id = b->k[i].vid;
    objs[i].delete_marker = 0;
    objs[i].last_modified = 0;
    objs[i].size = 0;
  }
  j->inflight++;
  rc = s3_delete_objects(j->aws, j->region, j->name, objs, b->n, batch_done,
                         b);
  if(rc) {
    j->inflight--;
    for(size_t i = 0; i < b->n; i++)
      key_failed(j, "InternalError", jan_strerror(rc));
    batch_free(b);
  }
}

static void bucket_removed(void *arg, const struct aws_response *r, void *res);

/* Unsafe keys first, alone; then full batches; a partial one only when
 * the listing pass is over. */
static int send_ready(struct bucket_job *j)
{
  while(j->inflight < j->batch_limit && j->nq &&
        (j->nq >= BATCH_MAX || j->list_done ||
         !wire_s3_key_xml_safe(j->q[0].key))) {
    size_t n = 0;
    struct batch *b;
    if(!wire_s3_key_xml_safe(j->q[0].key))
      n = 1;
    else
      while(n < j->nq && n < BATCH_MAX && wire_s3_key_xml_safe(j->q[n].key))
        n++;
    b = take_batch(j, n);
    if(!b) {
      finish(j, JAN_ENOMEM, NULL, "%s: out of memory", j->name);
      return JAN_ENOMEM;
    }
    send_batch(j, b);
  }
  return JAN_OK;
}

/* The pass is over and every key went: DeleteBucket, or the failure. */
static void pass_over(struct bucket_job *j)
{
  if(j->failed_keys) {
    record(j, JAN_EAWS, NULL, "%s: %llu object%s could not be deleted: "
           "%s%s%s%s", j->name, (unsigned long long)j->failed_keys,
           j->failed_keys == 1 ? "" : "s", j->key_code,
           j->key_msg[0] ? " (" : "", j->key_msg, j->key_msg[0] ? ")" : "");
    snprintf(j->out.code, sizeof(j->out.code), "%s", j->key_code);
    if(!strcmp(j->key_code, "AccessDenied"))
      snprintf(j->out.error + strlen(j->out.error),
               sizeof(j->out.error) - strlen(j->out.error),
               "; deleting object versions needs %s (see "
               "remotion-janitor --validate)",
               perm_action(PERM_DELETE_OBJECT_VERSION));
    complete(j);
    return;
  }
  set_state(j, BUCKET_REMOVING);
  j->inflight++;
  if(s3_delete_bucket(j->aws, j->region, j->name, bucket_removed, j)) {
    j->inflight--;
    finish(j, JAN_ENOMEM, NULL, "%s: cannot send DeleteBucket", j->name);
  }
}

/*
 * The machine's one step, called after every answer: what the state calls
 * for now.  A job that is finishing only waits for what is still out.
 */
static void pump(struct bucket_job *j)
{
  if(j->finishing) {
    complete(j);
    return;
  }
  switch(j->state) {
  case BUCKET_EMPTYING:
    if(send_ready(j))
      return;
    if(!j->list_done)
      list_more(j);
    else if(!j->inflight && !j->nq && !j->listing)
      pass_over(j);
    return;
  case BUCKET_REMOVING:         /* bucket_removed() decides */
  case BUCKET_DONE:
  default:
    return;
  }
}

static void remove_website(struct bucket_job *j);
static void start_pass(struct bucket_job *j);

/* One page request of the lister, and where its answer goes. */
struct list_call {
  struct bucket_job *j;
  struct lister_chain *ch;
};

static int lister_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct bucket_job *j = arg;
  for(size_t i = 0; i < n; i++)
    if(push_key(j, v[i].key, v[i].version_id, 0))
      return JAN_ENOMEM;
  j->pass_listed += n;
  return JAN_OK;
}

/* Back-pressure: enough keys wait for a batch slot. */
static int lister_may_fetch(void *arg)
{
  struct bucket_job *j = arg;
  return !j->finishing && j->nq < BUCKET_QUEUE_KEYS;
}

static void listed(void *arg, const struct aws_response *r, void *res)
{
  struct list_call *lc = arg;
  struct bucket_job *j = lc->j;
  struct wire_object_page *p = res;
  struct lister_stats st;
  int rc;

  j->listing--;
  lister_stats(j->lister, &st);
  if(!p && !j->use_v2 && !st.pages && lister_busy(j->lister) == 1 &&
     (aws_error_is_access_denied(r) || r->status == 405 ||
      r->status == 501)) {
    /* Remotion's own policy has no s3:ListBucketVersions, and servers
     * without versioning (s3rver) answer 405 or 501: the first request
     * tells, before any range was split off. */
    jlog_info("bucket", "%s: ListObjectVersions %s; listing with "
              "ListObjectsV2 (a versioned bucket cannot be emptied so)",
              j->name, aws_error_is_access_denied(r) ? "denied"
              : "not supported by this server");
    lister_page_done(j->lister, lc->ch, NULL, 0);
    free(lc);
    j->use_v2 = 1;
    start_pass(j);
    return;
  }
  if(!p) {
    lister_page_done(j->lister, lc->ch, NULL, 0);
    free(lc);
    if(bucket_gone(r)) {
      j->out.already_gone = 1;
      finish(j, 0, r, NULL);
      return;
    }
    {
      char msg[AWS_DESCRIBE_MAX];
      aws_describe_error(r, j->use_v2 ? "ListObjectsV2" : "ListObjectVersions",
                         msg, sizeof(msg));
      finish(j, r->err, r, "%s%s", msg, aws_error_is_access_denied(r)
             ? "; see remotion-janitor --validate" : "");
    }
    return;
  }
  if(!j->website_sent)
    remove_website(j);
  /* A page that needed retries means the server is busy: fewer chains. */
  rc = lister_page_done(j->lister, lc->ch, p, r->attempts > 1);
  free(lc);
  if(rc) {
    const char *why = lister_why(j->lister);
    finish(j, rc, r, "%s: the listing failed: %s", j->name,
           why ? why : jan_strerror(rc));
    return;
  }
  if(lister_complete(j->lister))
    j->list_done = 1;
  pump(j);
}

static int lister_fetch(void *arg, struct lister_chain *ch,
                        const char *key_marker, const char *vid_marker)
{
  struct bucket_job *j = arg;
  struct list_call *lc = calloc(1, sizeof(*lc));
  int rc;

  if(!lc)
    return JAN_ENOMEM;
  lc->j = j;
  lc->ch = ch;
  j->listing++;
  if(j->use_v2)
    rc = s3_list_objects_v2(j->aws, j->region, j->name, NULL, key_marker,
                            listed, lc);
  else
    rc = s3_list_object_versions(j->aws, j->region, j->name, key_marker,
                                 vid_marker, listed, lc);
  if(rc) {
    j->listing--;
    free(lc);
  }
  return rc;
}

static void list_more(struct bucket_job *j)
{
  int rc;
  if(j->list_done || j->finishing || !j->lister)
    return;
  rc = lister_kick(j->lister);
  if(rc)
    finish(j, rc, NULL, "%s: cannot send the listing: %s", j->name,
           jan_strerror(rc));
}

static void start_pass(struct bucket_job *j)
{
  struct lister_ops ops = {
    .fetch = lister_fetch, .entries = lister_entries,
    .may_fetch = lister_may_fetch, .now_ms = lister_mono_ms
  };
  struct lister_opts o = {
    .max_chains = j->parallel, .versioned = !j->use_v2,
    .max_ms = lister_max_ms()
  };
  struct lister *l;

  /* A new pass starts when nothing of the last one is out: after
   * BucketNotEmpty, or when the first request asked for the fallback. */
  lister_free(j->lister);
  j->lister = NULL;
  j->list_done = 0;
  j->pass_listed = 0;
  set_state(j, BUCKET_EMPTYING);
  if(lister_new(&o, &ops, j, &l)) {
    finish(j, JAN_ENOMEM, NULL, "%s: out of memory", j->name);
    return;
  }
  j->lister = l;
  pump(j);
}

static void bucket_removed(void *arg, const struct aws_response *r, void *res)
{
  struct bucket_job *j = arg;
  (void)res;
  j->inflight--;
  if(!r->err || bucket_gone(r)) {
    j->out.already_gone = r->err != 0;
    finish(j, 0, r, NULL);
    return;
  }
  if(!strcmp(r->e.code, "BucketNotEmpty")) {
    if(j->use_v2 && j->pass_listed == 0) {
      finish(j, JAN_EDENIED, r, "%s is versioned: its object versions and "
             "delete markers are invisible without %s, and deleting them "
             "needs %s (see remotion-janitor --validate)", j->name,
             perm_action(PERM_LIST_BUCKET_VERSIONS),
             perm_action(PERM_DELETE_OBJECT_VERSION));
      return;
    }
    if(++j->relists > BUCKET_MAX_RELISTS) {
      finish(j, JAN_EAWS, r, "%s: still not empty after %u passes (objects "
             "keep appearing)", j->name, BUCKET_MAX_RELISTS);
      return;
    }
    jlog_info("bucket", "%s: not empty yet (objects appeared); listing again",
              j->name);
    start_pass(j);
    return;
  }
  {
    char msg[AWS_DESCRIBE_MAX];
    aws_describe_error(r, "DeleteBucket", msg, sizeof(msg));
    if(aws_error_is_access_denied(r))
      finish(j, r->err, r, "%s; needs %s (see remotion-janitor --validate)",
             msg, perm_action(PERM_DELETE_BUCKET));
    else
      finish(j, r->err, r, "%s", msg);
  }
}

static void website_removed(void *arg, const struct aws_response *r,
                            void *res)
{
  struct bucket_job *j = arg;
  (void)res;
  j->inflight--;
  if(bucket_gone(r)) {
    j->out.already_gone = 1;
    record(j, 0, r, NULL);
  }
  else if(r->err && strcmp(r->e.code, "NoSuchWebsiteConfiguration") != 0) {
    jlog_warn("bucket", "%s: DeleteBucketWebsite failed (%s); going on",
              j->name, r->err == JAN_EAWS ? r->e.code : jan_strerror(r->err));
  }
  pump(j);
}

/* The website configuration only has to be gone before DeleteBucket: it
 * goes once the bucket has been listed, alongside the emptying. */
static void remove_website(struct bucket_job *j)
{
  int rc;
  j->website_sent = 1;
  j->inflight++;
  rc = s3_delete_bucket_website(j->aws, j->region, j->name, website_removed,
                                j);
  if(rc) {
    j->inflight--;
    record(j, rc, NULL, "%s: cannot send DeleteBucketWebsite: %s", j->name,
           jan_strerror(rc));
  }
}

int bucket_delete_start(struct aws_client *aws, const char *region,
                        const char *bucket, unsigned parallel,
                        bucket_done_cb cb, void *arg,
                        struct bucket_job **out)
{
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
  j->parallel = parallel < BUCKET_PARALLEL_MIN ? BUCKET_PARALLEL_MIN
              : parallel > LISTER_MAX_CHAINS ? LISTER_MAX_CHAINS : parallel;
  j->batch_limit = j->parallel;
  strcpy(j->region, region);
  j->name = strdup(bucket);
  j->cb = cb;
  j->arg = arg;
  if(!j->name) {
    free(j);
    return JAN_ENOMEM;
  }
  if(out)
    *out = j;
  /* A reference of the job's own while it starts: a call that fails before
   * returning must not end the job under our feet. */
  j->inflight++;
  start_pass(j);
  j->inflight--;
  pump(j);
  return JAN_OK;
}
