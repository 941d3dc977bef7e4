/*
 * The bulk S3 engine (s3bulk.h): one bucket's listing in parallel ranges,
 * DeleteObjects batches, single-key deletes, per-key retries and pacing.
 * The owners (bucket.c, prune.c) decide what to delete and what to report.
 *
 * Re-entry: every answer and every public call runs the engine's one step
 * (pump) at depth 0 only; a callback that calls back in only asks for
 * another round.  drained is told last, when the outermost pump is over,
 * so that the owner may free the engine there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/aws_decide.h"
#include "janitor/lister.h"
#include "janitor/log.h"
#include "janitor/perms.h"
#include "janitor/s3bulk.h"
#include "janitor/services.h"

struct qkey {
  char *key;
  char *vid;                    /* NULL: a key-only delete */
  uint64_t tag;
  unsigned tries;
};

/* A request out, linked in its engine until answered; b NULL: the engine
 * was freed meanwhile, and the answer is dropped. */
struct out {
  struct s3bulk *b;
  struct out *prev, *next;
};

struct sbatch {
  struct out out;
  struct qkey *k;
  size_t n;
};

struct list_call {
  struct out out;
  struct lister_chain *ch;
};

struct s3bulk {
  struct aws_client *aws;
  char region[32];
  char *bucket;
  struct s3bulk_ops ops;
  void *arg;
  unsigned parallel;            /* chains and batches at most */
  unsigned limit;               /* batches at once now: 1..parallel */

  /* The listing pass. */
  struct lister *lister;
  int listing;                  /* a pass is running (not yet told) */
  int use_v2;
  unsigned list_out;            /* page requests out */
  int first_told;
  uintptr_t chain;              /* the chain whose page is being read */
  const char *const *seed;      /* the pass's first ranges (lister.h) */
  size_t nseed;
  struct s3bulk_list_outcome lo;

  /* The deletion. */
  struct qkey *q;               /* q[head .. n) wait */
  size_t head, n, cap;
  unsigned inflight;            /* DeleteObjects/DeleteObject out */
  int stopped;

  struct out *outs;             /* requests out */
  unsigned depth;               /* inside pump or a callback */
  int again;
  int drained_told;
};

static void pump(struct s3bulk *b);

const char *s3bulk_bucket(const struct s3bulk *b)
{
  return b->bucket;
}

uintptr_t s3bulk_chain(const struct s3bulk *b)
{
  return b->chain;
}

unsigned s3bulk_batch_limit(const struct s3bulk *b)
{
  return b->limit;
}

int s3bulk_busy(const struct s3bulk *b)
{
  return b->depth || b->listing || b->list_out || b->inflight ||
         b->n > b->head;
}

unsigned s3bulk_pace(unsigned limit, unsigned parallel, int slow)
{
  if(slow)
    return limit > 1 ? limit / 2 : 1;
  return limit < parallel ? limit + 1 : parallel;
}

int s3bulk_answer_slow(const struct aws_response *r,
                       const struct wire_delete_result *dr)
{
  if(r->attempts > 1 || r->err == JAN_ETIMEDOUT)
    return 1;
  if(r->err == JAN_EAWS && (aws_code_class(r->e.code) & AWS_CODE_THROTTLE))
    return 1;
  for(size_t e = 0; dr && e < dr->nerrors; e++)
    if(aws_code_class(dr->errors[e].code) & AWS_CODE_THROTTLE)
      return 1;
  return 0;
}

const char *s3bulk_key_hint(const char *code, int with_version, char *out,
                            size_t outlen)
{
  if(!(aws_code_class(code) & AWS_CODE_DENIED)) {
    if(outlen)
      out[0] = '\0';
    return out;
  }
  snprintf(out, outlen, "; needs %s (see remotion-janitor --validate)",
           perm_action(with_version ? PERM_DELETE_OBJECT_VERSION
                                    : PERM_DELETE_OBJECT));
  return out;
}

static void qkey_free(struct qkey *k)
{
  free(k->key);
  free(k->vid);
}

static void out_link(struct s3bulk *b, struct out *o)
{
  o->b = b;
  o->prev = NULL;
  o->next = b->outs;
  if(b->outs)
    b->outs->prev = o;
  b->outs = o;
}

/* The request is answered: its engine, or NULL when that was freed. */
static struct s3bulk *out_unlink(struct out *o)
{
  struct s3bulk *b = o->b;
  if(!b)
    return NULL;
  if(o->prev)
    o->prev->next = o->next;
  else
    b->outs = o->next;
  if(o->next)
    o->next->prev = o->prev;
  o->b = NULL;
  return b;
}

void s3bulk_free(struct s3bulk *b)
{
  if(!b)
    return;
  /* Requests still out are orphaned: their answers free their own
   * context and call nobody. */
  for(struct out *o = b->outs, *next; o; o = next) {
    next = o->next;
    o->b = NULL;
  }
  for(size_t i = b->head; i < b->n; i++)
    qkey_free(&b->q[i]);
  free(b->q);
  lister_free(b->lister);
  free(b->bucket);
  free(b);
}

/* ---- keys -------------------------------------------------------------- */

static int push(struct s3bulk *b, const char *key, const char *vid,
                uint64_t tag, unsigned tries)
{
  struct qkey *k;
  if(b->head && b->head >= b->n / 2) {
    memmove(b->q, b->q + b->head, (b->n - b->head) * sizeof(*b->q));
    b->n -= b->head;
    b->head = 0;
  }
  if(b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    struct qkey *p = realloc(b->q, cap * sizeof(*p));
    if(!p)
      return JAN_ENOMEM;
    b->q = p;
    b->cap = cap;
  }
  k = &b->q[b->n];
  k->key = strdup(key);
  k->vid = vid ? strdup(vid) : NULL;
  k->tag = tag;
  k->tries = tries;
  if(!k->key || (vid && !k->vid)) {
    qkey_free(k);
    return JAN_ENOMEM;
  }
  b->n++;
  b->drained_told = 0;
  return JAN_OK;
}

int s3bulk_delete(struct s3bulk *b, const char *key, const char *vid,
                  uint64_t tag)
{
  return push(b, key, vid, tag, 0);
}

static void tell(struct s3bulk *b, const struct qkey *k,
                 enum s3bulk_key_result res, const char *code,
                 const char *msg, const char *marker_vid,
                 const struct aws_response *r)
{
  struct s3bulk_key o = {
    .tag = k->tag, .key = k->key, .vid = k->vid, .result = res,
    .code = code ? code : "", .message = msg ? msg : "",
    .marker_vid = marker_vid, .request_id = r ? r->request_id : "",
    .bucket_gone = res == S3BULK_KEY_FAILED &&
                   (aws_code_class(code) & AWS_CODE_NO_BUCKET) != 0
  };
  b->ops.key_done(b->arg, &o);
}

/* A key that failed: again in a later batch (a transient code, tries
 * left, not stopped), or told as failed. */
static void key_failed(struct s3bulk *b, struct qkey *k, const char *code,
                       const char *msg, const struct aws_response *r)
{
  if(!b->stopped &&
     (aws_code_class(code) & (AWS_CODE_THROTTLE | AWS_CODE_TRANSIENT)) &&
     k->tries + 1 < S3BULK_KEY_RETRIES &&
     push(b, k->key, k->vid, k->tag, k->tries + 1) == JAN_OK)
    return;
  tell(b, k, S3BULK_KEY_FAILED, code, msg, NULL, r);
}

/* The code and message of a failed request, for each of its keys. */
static const char *req_code(const struct aws_response *r)
{
  return r->err == JAN_EAWS && r->e.code[0] ? r->e.code : "InternalError";
}

static const char *req_msg(const struct aws_response *r)
{
  return r->err == JAN_EAWS ? r->e.message : jan_strerror(r->err);
}

static void sbatch_free(struct sbatch *s)
{
  for(size_t i = 0; i < s->n; i++)
    qkey_free(&s->k[i]);
  free(s->k);
  free(s);
}

/* The rule after each delete answer; a slow-down is said (info). */
static void pace(struct s3bulk *b, int slow)
{
  unsigned was = b->limit;
  b->limit = s3bulk_pace(b->limit, b->parallel, slow);
  if(b->limit < was)
    jlog_info("s3bulk", "%s: throttled: at most %u DeleteObjects at once",
              b->bucket, b->limit);
}

static int same_entry(const struct qkey *k, const char *key, const char *vid)
{
  return !strcmp(k->key, key) &&
         (!k->vid || !vid || !strcmp(k->vid, vid));
}

static void batch_done(void *arg, const struct aws_response *r, void *res)
{
  struct sbatch *s = arg;
  struct s3bulk *b = out_unlink(&s->out);
  struct wire_delete_result *dr = res;
  unsigned char told[S3BULK_BATCH_MAX] = { 0 };

  if(!b) {
    sbatch_free(s);
    return;
  }
  b->depth++;
  b->inflight--;
  pace(b, s3bulk_answer_slow(r, dr));
  if(!dr) {
    /* The whole request failed after its retries: every key of it. */
    for(size_t i = 0; i < s->n; i++)
      key_failed(b, &s->k[i], req_code(r), req_msg(r), r);
  }
  else {
    /* Quiet mode: only the failures come back.  Otherwise (keys without
     * a version id) the delete markers added too: those keys are hidden,
     * not deleted. */
    for(size_t m = 0; m < dr->nmarkers; m++)
      for(size_t i = 0; i < s->n; i++)
        if(!told[i] && !s->k[i].vid &&
           !strcmp(s->k[i].key, dr->markers[m].key)) {
          told[i] = 1;
          tell(b, &s->k[i], S3BULK_KEY_HIDDEN, NULL, NULL,
               dr->markers[m].marker_version_id, r);
          break;
        }
    for(size_t e = 0; e < dr->nerrors; e++)
      for(size_t i = 0; i < s->n; i++)
        if(!told[i] && same_entry(&s->k[i], dr->errors[e].key,
                                  dr->errors[e].version_id)) {
          told[i] = 1;
          key_failed(b, &s->k[i], dr->errors[e].code, dr->errors[e].message,
                     r);
          break;
        }
    for(size_t i = 0; i < s->n; i++)
      if(!told[i])
        tell(b, &s->k[i], S3BULK_KEY_DELETED, NULL, NULL, NULL, r);
  }
  sbatch_free(s);
  b->depth--;
  pump(b);
}

static void single_done(void *arg, const struct aws_response *r, void *res)
{
  struct sbatch *s = arg;
  struct s3bulk *b = out_unlink(&s->out);
  char marker[16];
  (void)res;

  if(!b) {
    sbatch_free(s);
    return;
  }
  b->depth++;
  b->inflight--;
  pace(b, s3bulk_answer_slow(r, NULL));
  if(!r->err && !s->k[0].vid &&
     aws_response_header(r, "x-amz-delete-marker", marker, sizeof(marker)) &&
     !strcmp(marker, "true")) {
    char vid[1100];
    tell(b, &s->k[0], S3BULK_KEY_HIDDEN, NULL, NULL,
         aws_response_header(r, "x-amz-version-id", vid, sizeof(vid)) ? vid : NULL,
         r);
  }
  else if(!r->err || aws_error_is_not_found(r))
    tell(b, &s->k[0], S3BULK_KEY_DELETED, NULL, NULL, NULL, r);
  else
    key_failed(b, &s->k[0], req_code(r), req_msg(r), r);
  sbatch_free(s);
  b->depth--;
  pump(b);
}

/* Take keys off the front of the queue: one alone when XML cannot carry
 * it, else up to a batch of keys XML can.  Keys the owner refuses fail
 * here, where the request is built. */
static struct sbatch *take(struct s3bulk *b)
{
  struct sbatch *s = calloc(1, sizeof(*s));
  size_t n = 0, avail = b->n - b->head;

  if(!s)
    return NULL;
  if(!wire_s3_key_xml_safe(b->q[b->head].key))
    n = 1;
  else
    while(n < avail && n < S3BULK_BATCH_MAX &&
          wire_s3_key_xml_safe(b->q[b->head + n].key))
      n++;
  s->k = malloc(n * sizeof(*s->k));
  if(!s->k) {
    free(s);
    return NULL;
  }
  for(size_t i = 0; i < n; i++) {
    struct qkey *k = &b->q[b->head + i];
    if(b->ops.may_delete && !b->ops.may_delete(b->arg, k->key)) {
      jlog_err("s3bulk", "%s: refusing to delete a key its owner does not "
               "allow (a bug)", b->bucket);
      tell(b, k, S3BULK_KEY_FAILED, "InternalError",
           "refused: a key outside the owner's scope", NULL, NULL);
      qkey_free(k);
      continue;
    }
    s->k[s->n++] = *k;
  }
  b->head += n;
  return s;
}

static void send_batch(struct s3bulk *b, struct sbatch *s)
{
  struct wire_object objs[S3BULK_BATCH_MAX];
  int rc;

  if(!s->n) {
    sbatch_free(s);
    return;
  }
  b->inflight++;
  out_link(b, &s->out);
  if(s->n == 1 && !wire_s3_key_xml_safe(s->k[0].key))
    rc = s3_delete_object(b->aws, b->region, b->bucket, s->k[0].key,
                          s->k[0].vid, single_done, s);
  else {
    memset(objs, 0, s->n * sizeof(*objs));
    for(size_t i = 0; i < s->n; i++) {
      objs[i].key = s->k[i].key;
      objs[i].version_id = s->k[i].vid;       /* only read */
    }
    rc = s3_delete_objects(b->aws, b->region, b->bucket, objs, s->n,
                           batch_done, s);
  }
  if(rc) {
    out_unlink(&s->out);
    b->inflight--;
    for(size_t i = 0; i < s->n; i++)
      tell(b, &s->k[i], S3BULK_KEY_FAILED, "InternalError",
           jan_strerror(rc), NULL, NULL);
    sbatch_free(s);
  }
}

/* ---- the listing ------------------------------------------------------- */

static void list_fail(struct s3bulk *b, int err, const struct aws_response *r,
                      const char *fmt, ...) JAN_PRINTF(4, 5);
static void list_fail(struct s3bulk *b, int err, const struct aws_response *r,
                      const char *fmt, ...)
{
  va_list ap;
  if(b->lo.err)
    return;
  b->lo.err = err ? err : JAN_EAWS;
  va_start(ap, fmt);
  vsnprintf(b->lo.error, sizeof(b->lo.error), fmt, ap);
  va_end(ap);
  if(r) {
    snprintf(b->lo.code, sizeof(b->lo.code), "%s", r->e.code);
    snprintf(b->lo.request_id, sizeof(b->lo.request_id), "%s",
             r->request_id);
  }
}

static int list_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct s3bulk *b = arg;
  b->lo.entries += n;
  return b->ops.entries(b->arg, v, n);
}

/* Back-pressure: enough keys wait for a batch slot. */
static int list_may_fetch(void *arg)
{
  struct s3bulk *b = arg;
  return !b->stopped && !b->lo.err && b->n - b->head < S3BULK_QUEUE_KEYS;
}

static int list_fetch(void *arg, struct lister_chain *ch,
                      const char *key_marker, const char *vid_marker);

static int lister_start(struct s3bulk *b)
{
  struct lister_ops ops = {
    .fetch = list_fetch, .entries = list_entries,
    .may_fetch = list_may_fetch, .now_ms = lister_mono_ms
  };
  struct lister_opts o = {
    .max_chains = b->parallel, .versioned = !b->use_v2,
    .max_ms = lister_max_ms(), .seed = b->seed, .nseed = b->nseed
  };
  lister_free(b->lister);
  b->lister = NULL;
  b->lo.versions = !b->use_v2;
  return lister_new(&o, &ops, b, &b->lister);
}

static void listed(void *arg, const struct aws_response *r, void *res)
{
  struct list_call *lc = arg;
  struct s3bulk *b = out_unlink(&lc->out);
  struct wire_object_page *p = res;
  int rc;

  if(!b) {
    free(lc);
    return;
  }
  b->depth++;
  b->list_out--;
  if(!p && !b->use_v2 && !b->lo.pages && lister_busy(b->lister) == 1 &&
     (aws_error_is_access_denied(r) || r->status == 405 ||
      r->status == 501)) {
    /* Remotion's own policy has no s3:ListBucketVersions, and servers
     * without versioning answer 405 or 501: the first request tells,
     * before any range was split off. */
    jlog_info("s3bulk", "%s: ListObjectVersions %s; listing with "
              "ListObjectsV2", b->bucket, aws_error_is_access_denied(r)
              ? "denied" : "not supported by this server");
    lister_page_done(b->lister, lc->ch, NULL, 0);
    free(lc);
    b->use_v2 = 1;
    rc = lister_start(b);
    if(rc)
      list_fail(b, rc, NULL, "%s: %s", b->bucket, jan_strerror(rc));
    goto out;
  }
  if(!p) {
    char msg[AWS_DESCRIBE_MAX];
    const char *op = b->use_v2 ? "ListObjectsV2" : "ListObjectVersions";
    lister_page_done(b->lister, lc->ch, NULL, 0);
    free(lc);
    aws_describe_error(r, op, msg, sizeof(msg));
    if(r->err == JAN_EAWS && (aws_code_class(r->e.code) & AWS_CODE_NO_BUCKET))
      b->lo.gone = 1;
    if(aws_error_is_access_denied(r))
      list_fail(b, r->err, r, "%s; needs %s (see remotion-janitor "
                "--validate)", msg, perm_action(b->use_v2 ? PERM_LIST_BUCKET
                                                : PERM_LIST_BUCKET_VERSIONS));
    else
      list_fail(b, r->err, r, "%s", msg);
    goto out;
  }
  b->lo.pages++;
  if(!b->first_told && b->ops.first_page) {
    b->first_told = 1;
    b->ops.first_page(b->arg);
  }
  /* A page that needed retries means the server is busy: fewer chains. */
  b->chain = (uintptr_t)lc->ch;
  rc = lister_page_done(b->lister, lc->ch, p, r->attempts > 1);
  free(lc);
  if(rc) {
    const char *why = lister_why(b->lister);
    list_fail(b, rc, r, "%s: the listing failed: %s", b->bucket,
              why ? why : jan_strerror(rc));
  }
out:
  b->depth--;
  pump(b);
}

static int list_fetch(void *arg, struct lister_chain *ch,
                      const char *key_marker, const char *vid_marker)
{
  struct s3bulk *b = arg;
  struct list_call *lc = calloc(1, sizeof(*lc));
  int rc;

  if(!lc)
    return JAN_ENOMEM;
  out_link(b, &lc->out);
  lc->ch = ch;
  b->list_out++;
  if(b->use_v2)
    rc = s3_list_objects_v2(b->aws, b->region, b->bucket, NULL, key_marker,
                            listed, lc);
  else
    rc = s3_list_object_versions(b->aws, b->region, b->bucket, key_marker,
                                 vid_marker, listed, lc);
  if(rc) {
    out_unlink(&lc->out);
    b->list_out--;
    free(lc);
  }
  return rc;
}

int s3bulk_list(struct s3bulk *b, int versions)
{
  return s3bulk_list_seeded(b, versions, NULL, 0);
}

int s3bulk_list_seeded(struct s3bulk *b, int versions,
                       const char *const *seed, size_t nseed)
{
  int rc;

  if(b->listing || b->list_out)
    return JAN_EINVAL;
  b->seed = seed;
  b->nseed = nseed;
  memset(&b->lo, 0, sizeof(b->lo));
  b->use_v2 = !versions;
  b->first_told = 0;
  b->stopped = 0;
  rc = lister_start(b);
  if(!rc)
    rc = lister_kick(b->lister);
  if(rc) {
    lister_free(b->lister);
    b->lister = NULL;
    return rc;
  }
  b->listing = 1;
  b->drained_told = 0;
  pump(b);
  return JAN_OK;
}

/* ---- the one step ------------------------------------------------------ */

static void step(struct s3bulk *b)
{
  int more_keys = 0;

  if(b->stopped)
    while(b->head < b->n) {
      struct qkey k = b->q[b->head++];
      tell(b, &k, S3BULK_KEY_UNSENT, NULL, NULL, NULL, NULL);
      qkey_free(&k);
    }
  /* Keys pulled from the owner when no listing feeds the queue. */
  if(!b->stopped && !b->listing && b->ops.refill &&
     b->n - b->head < S3BULK_QUEUE_KEYS) {
    size_t room = S3BULK_QUEUE_KEYS - (b->n - b->head);
    /* Less than asked for: no more keys now, a partial batch may go. */
    more_keys = b->ops.refill(b->arg, room) >= room;
  }
  /* Unsafe keys alone; full batches; a partial one only when no more keys
   * may come now. */
  while(!b->stopped && b->inflight < b->limit && b->n > b->head &&
        (b->n - b->head >= S3BULK_BATCH_MAX ||
         (!b->listing && !more_keys) ||
         !wire_s3_key_xml_safe(b->q[b->head].key))) {
    struct sbatch *s = take(b);
    if(!s) {
      jlog_err("s3bulk", "%s: out of memory", b->bucket);
      b->stopped = 1;
      b->again = 1;
      break;
    }
    send_batch(b, s);
  }
  if(b->listing && !b->lo.err && !b->stopped &&
     !lister_complete(b->lister) && !lister_failed(b->lister)) {
    int rc = lister_kick(b->lister);
    if(rc)
      list_fail(b, rc, NULL, "%s: cannot send the listing: %s", b->bucket,
                jan_strerror(rc));
  }
  if(b->listing && !b->list_out &&
     (b->lo.err || b->stopped || lister_complete(b->lister) ||
      lister_failed(b->lister))) {
    if(!b->lo.err && !lister_complete(b->lister))
      list_fail(b, JAN_EAWS, NULL, "%s: the listing stopped before its end",
                b->bucket);
    b->listing = 0;
    b->ops.listed(b->arg, &b->lo);
    b->again = 1;
  }
}

static void pump(struct s3bulk *b)
{
  if(b->depth) {
    b->again = 1;
    return;
  }
  b->depth++;
  do {
    b->again = 0;
    step(b);
  } while(b->again);
  b->depth--;
  if(!s3bulk_busy(b) && !b->drained_told && b->ops.drained) {
    b->drained_told = 1;
    b->ops.drained(b->arg);     /* b may be freed: the last access */
  }
}

void s3bulk_kick(struct s3bulk *b)
{
  b->drained_told = 0;
  pump(b);
}

void s3bulk_stop(struct s3bulk *b)
{
  b->stopped = 1;
  pump(b);
}

int s3bulk_new(struct aws_client *aws, const char *region,
               const char *bucket, unsigned parallel,
               const struct s3bulk_ops *ops, void *arg, struct s3bulk **out)
{
  struct s3bulk *b;

  if(strlen(region) >= sizeof(b->region))
    return JAN_EINVAL;
  b = calloc(1, sizeof(*b));
  if(!b || !(b->bucket = strdup(bucket))) {
    free(b);
    return JAN_ENOMEM;
  }
  b->aws = aws;
  strcpy(b->region, region);
  b->ops = *ops;
  b->arg = arg;
  b->parallel = parallel < S3BULK_PARALLEL_MIN ? S3BULK_PARALLEL_MIN
              : parallel > LISTER_MAX_CHAINS ? LISTER_MAX_CHAINS : parallel;
  b->limit = b->parallel;
  b->drained_told = 1;          /* nothing to drain before any work */
  *out = b;
  return JAN_OK;
}
