/*
 * Pruning inside a live bucket (prune.h): a listing into a render_set with
 * the parallel lister, and DeleteObjects batches across the owners of the
 * objects to delete, with several batches in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/aws_decide.h"
#include "janitor/http.h"
#include "janitor/lister.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/perms.h"
#include "janitor/prune.h"
#include "janitor/services.h"
#include "janitor/untrusted.h"

#define BATCH_MAX 1000

static unsigned clamp_parallel(unsigned parallel)
{
  return parallel < PRUNE_PARALLEL_MIN ? PRUNE_PARALLEL_MIN
       : parallel > LISTER_MAX_CHAINS ? LISTER_MAX_CHAINS : parallel;
}

/* ---- the listing ------------------------------------------------------- */

struct plist {
  struct aws_client *aws;
  char region[32];
  char *bucket;
  struct render_set *set;
  struct lister *lister;
  unsigned out;                 /* requests out */
  int use_v2;                   /* ListObjectVersions could not be used */
  unsigned max_chains;
  prune_listed_cb cb;
  void *arg;
  struct prune_list_outcome o;
};

struct plist_call {
  struct plist *pl;
  struct lister_chain *ch;
};

static int plist_entries(void *arg, const struct wire_object *v, size_t n);

static void plist_free(struct plist *pl)
{
  lister_free(pl->lister);
  free(pl->bucket);
  free(pl);
}

/* The value of a header of an answer (read only), or 0 when absent. */
static int answer_header(const struct aws_response *r, const char *name,
                         char *out, size_t outlen)
{
  struct http_response hr;
  memset(&hr, 0, sizeof(hr));
  hr.headers = r->headers;      /* read only, not owned */
  return http_response_header(&hr, name, out, outlen);
}

/* The probe is over: what it saw decides (render_versioning()). */
static void probe_done(struct plist *pl, enum render_probe probe)
{
  pl->o.probe = probe;
  pl->o.versioning = render_versioning(probe);
  jlog_debug("prune", "%s: versions not listed; versioning %s", pl->bucket,
             render_versioning_name(pl->o.versioning));
  pl->cb(pl->arg, &pl->o);
  plist_free(pl);
}

/* HeadObject's answer: any x-amz-version-id ("null" too) means versioned
 * or suspended. */
static void probed(void *arg, const struct aws_response *r, void *res)
{
  struct plist *pl = arg;
  char vid[16];
  (void)res;
  if(r->err) {
    aws_describe_error(r, "HeadObject", pl->o.probe_error,
                       sizeof(pl->o.probe_error));
    probe_done(pl, RENDER_PROBE_FAILED);
  }
  else
    probe_done(pl, answer_header(r, "x-amz-version-id", vid, sizeof(vid))
                   ? RENDER_PROBE_HEADER : RENDER_PROBE_NO_HEADER);
}

static int prune_key_allowed(const char *key);

/* Without versions, one object that pruning may delete tells whether the
 * bucket was ever versioned; without one, nothing is to be pruned. */
static void probe_start(struct plist *pl)
{
  size_t i = 0;
  int rc;

  while(i < pl->set->n && !prune_key_allowed(pl->set->o[i].key))
    i++;
  if(i == pl->set->n) {
    probe_done(pl, RENDER_PROBE_NONE);
    return;
  }
  rc = s3_head_object(pl->aws, pl->region, pl->bucket, pl->set->o[i].key,
                      probed, pl);
  if(rc) {
    char key[256];
    untrusted_text(key, sizeof(key), pl->set->o[i].key,
                   strlen(pl->set->o[i].key));
    snprintf(pl->o.probe_error, sizeof(pl->o.probe_error), "a request for "
             "key \"%s\" cannot be sent: %s", key, jan_strerror(rc));
    probe_done(pl, RENDER_PROBE_NOT_SENT);
  }
}

static void plist_end(struct plist *pl)
{
  if(pl->out)
    return;
  if(!pl->o.err && !lister_complete(pl->lister)) {
    pl->o.err = JAN_EAWS;
    snprintf(pl->o.error, sizeof(pl->o.error), "%s: the listing stopped "
             "before its end", pl->bucket);
  }
  if(!pl->o.err && pl->use_v2) {
    probe_start(pl);
    return;
  }
  pl->cb(pl->arg, &pl->o);
  plist_free(pl);
}

static int plist_fetch(void *arg, struct lister_chain *ch,
                       const char *key_marker, const char *vid_marker);

/* Versions denied, or not supported: list again with ListObjectsV2. */
static int plist_fallback(struct plist *pl)
{
  struct lister_ops ops = { .fetch = plist_fetch, .entries = plist_entries,
                            .now_ms = lister_mono_ms };
  struct lister_opts lo = { .max_chains = pl->max_chains,
                            .max_ms = lister_max_ms() };
  lister_free(pl->lister);
  pl->lister = NULL;
  pl->use_v2 = 1;
  pl->o.versions = 0;
  return lister_new(&lo, &ops, pl, &pl->lister);
}

static void plist_fail(struct plist *pl, int err, const char *what)
{
  if(pl->o.err)
    return;
  pl->o.err = err;
  snprintf(pl->o.error, sizeof(pl->o.error), "%s", what);
}

static int plist_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct plist *pl = arg;
  return render_set_add(pl->set, v, n);
}

static void plist_listed(void *arg, const struct aws_response *r, void *res);

static void plist_listed(void *arg, const struct aws_response *r, void *res)
{
  struct plist_call *c = arg;
  struct plist *pl = c->pl;
  int rc;

  pl->out--;
  if(!res && !pl->use_v2 && !pl->o.pages && lister_busy(pl->lister) == 1 &&
     (aws_error_is_access_denied(r) || r->status == 405 ||
      r->status == 501)) {
    /* The first request tells, before any range was split off. */
    lister_page_done(pl->lister, c->ch, NULL, 0);
    free(c);
    rc = plist_fallback(pl);
    if(!rc)
      rc = lister_kick(pl->lister);
    if(rc)
      plist_fail(pl, rc, jan_strerror(rc));
    plist_end(pl);
    return;
  }
  if(!res) {
    char msg[AWS_DESCRIBE_MAX];
    aws_describe_error(r, pl->use_v2 ? "ListObjectsV2" : "ListObjectVersions",
                       msg, sizeof(msg));
    if(aws_error_is_access_denied(r))
      snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
               "; needs %s (see remotion-janitor --validate)",
               perm_action(PERM_LIST_BUCKET));
    plist_fail(pl, r->err ? r->err : JAN_EAWS, msg);
  }
  else
    pl->o.pages++;
  rc = lister_page_done(pl->lister, c->ch, res, r->attempts > 1);
  free(c);
  if(rc && rc != JAN_EAWS)
    plist_fail(pl, rc, lister_why(pl->lister) ? lister_why(pl->lister)
               : rc == JAN_ETOOBIG
               ? "the listing holds more than render pruning keeps in "
                 "memory (1 GiB of keys): nothing of it is pruned"
               : jan_strerror(rc));
  if(!pl->o.err && !lister_failed(pl->lister)) {
    rc = lister_kick(pl->lister);
    if(rc)
      plist_fail(pl, rc, jan_strerror(rc));
  }
  plist_end(pl);
}

static int plist_fetch(void *arg, struct lister_chain *ch,
                       const char *key_marker, const char *vid_marker)
{
  struct plist *pl = arg;
  struct plist_call *c = calloc(1, sizeof(*c));
  int rc;
  if(!c)
    return JAN_ENOMEM;
  c->pl = pl;
  c->ch = ch;
  pl->out++;
  if(pl->use_v2)
    rc = s3_list_objects_v2(pl->aws, pl->region, pl->bucket, NULL,
                            key_marker, plist_listed, c);
  else
    rc = s3_list_object_versions(pl->aws, pl->region, pl->bucket, key_marker,
                                 vid_marker, plist_listed, c);
  if(rc) {
    pl->out--;
    free(c);
  }
  return rc;
}

int prune_list_start(struct aws_client *aws, const char *region,
                     const char *bucket, unsigned parallel,
                     struct render_set *set, prune_listed_cb cb, void *arg)
{
  struct lister_ops ops = { .fetch = plist_fetch, .entries = plist_entries,
                            .now_ms = lister_mono_ms };
  struct lister_opts lo = { .max_chains = clamp_parallel(parallel),
                            .versioned = 1, .max_ms = lister_max_ms() };
  struct plist *pl;
  int rc;

  if(!scope_contains(JAN_KIND_BUCKET, bucket))
    return JAN_ESCOPE;
  if(strlen(region) >= sizeof(pl->region))
    return JAN_EINVAL;
  pl = calloc(1, sizeof(*pl));
  if(!pl || !(pl->bucket = strdup(bucket))) {
    free(pl);
    return JAN_ENOMEM;
  }
  strcpy(pl->region, region);
  pl->aws = aws;
  pl->set = set;
  pl->cb = cb;
  pl->arg = arg;
  pl->max_chains = lo.max_chains;
  pl->o.versions = 1;
  rc = lister_new(&lo, &ops, pl, &pl->lister);
  if(!rc) {
    pl->out++;                  /* hold: nothing ends it while it starts */
    rc = lister_kick(pl->lister);
    pl->out--;
    if(rc && !pl->out) {
      lister_free(pl->lister);
      free(pl->bucket);
      free(pl);
      return rc;
    }
    if(rc)
      plist_fail(pl, rc, jan_strerror(rc));
    plist_end(pl);
    return JAN_OK;
  }
  free(pl->bucket);
  free(pl);
  return rc;
}

/* ---- the deletion ------------------------------------------------------ */

struct pown {                   /* one owner's account */
  uint64_t pending, deleted, failed;
  uint64_t hidden;              /* keys a delete marker now hides */
  uint64_t unsent;              /* keys not sent: the pruning stopped */
  uint64_t listed;              /* hidden keys in hidden_keys */
  int64_t bytes;
  char code[64];
  struct jbuf hidden_keys;      /* the first of them, escaped, for the
                                   outcome's message */
  int reported;
};

/* What an owner's message lists of its hidden keys. */
#define PRUNE_HIDDEN_LIST_MAX 2048u

struct pdel {
  struct aws_client *aws;
  char region[32];
  char *bucket;
  const struct render_set *set;
  const uint32_t *owner;
  struct pown *own;
  uint32_t nowners;
  size_t next;                  /* next object to look at */
  size_t *retry;                /* objects to send again */
  unsigned *tries;              /* per object, allocated lazily */
  size_t nretry, capretry;
  unsigned inflight, limit;
  char msg[512];                /* the first per-key message */
  char request_id[128];
  prune_owner_cb owner_cb;
  prune_done_cb done_cb;
  void *arg;
  int sending;
  int stopped;                  /* a delete marker was added: nothing more
                                   is sent in this bucket */
};

struct pbatch {
  struct pdel *d;
  size_t idx[BATCH_MAX];        /* objects of the set */
  size_t n;
};

static void pdel_pump(struct pdel *d);

/* The version id to delete: in a versioned bucket each version goes, so
 * that its bytes are reclaimed; otherwise the key alone. */
static char *vid_of(const struct pdel *d, size_t i)
{
  return d->set->versioned ? d->set->o[i].vid : NULL;
}

static int same_entry(const struct pdel *d, size_t i,
                      const struct wire_delete_error *e)
{
  const char *v = vid_of(d, i);
  return !strcmp(d->set->o[i].key, e->key) &&
         (!v || !e->version_id || !strcmp(v, e->version_id));
}

static void owner_report(struct pdel *d, uint32_t ow)
{
  struct pown *p = &d->own[ow];
  struct prune_owner_outcome o;

  if(p->pending || p->reported)
    return;
  p->reported = 1;
  memset(&o, 0, sizeof(o));
  o.owner = ow;
  o.deleted = p->deleted;
  o.bytes = p->bytes;
  o.failed = p->failed;
  o.hidden = p->hidden;
  if(p->hidden) {
    /* Never "deleted": the keys are only hidden, and nothing is
     * reclaimed. */
    snprintf(o.error, sizeof(o.error), "pruning stopped in bucket %s: "
             "DeleteObjects added a delete marker over %llu key%s of it (the "
             "bucket is versioned: hidden, not deleted, nothing reclaimed): "
             "%s%s%s; needs %s and %s to prune it (see remotion-janitor "
             "--validate)", d->bucket, (unsigned long long)p->hidden,
             p->hidden == 1 ? "" : "s", jbuf_str(&p->hidden_keys),
             p->listed < p->hidden ? ", ..." : "",
             p->unsent ? "; the rest not sent" : "",
             perm_action(PERM_LIST_BUCKET_VERSIONS),
             perm_action(PERM_DELETE_OBJECT_VERSION));
  }
  else if(p->unsent)
    snprintf(o.error, sizeof(o.error), "pruning stopped in bucket %s: "
             "DeleteObjects added delete markers there (the bucket is "
             "versioned); %llu object%s not sent", d->bucket,
             (unsigned long long)p->unsent, p->unsent == 1 ? "" : "s");
  else if(p->failed) {
    snprintf(o.error, sizeof(o.error), "%llu object%s could not be deleted: "
             "%s%s%s%s", (unsigned long long)p->failed,
             p->failed == 1 ? "" : "s", p->code, d->msg[0] ? " (" : "",
             d->msg, d->msg[0] ? ")" : "");
    if(!strcmp(p->code, "AccessDenied"))
      snprintf(o.error + strlen(o.error), sizeof(o.error) - strlen(o.error),
               "; needs %s (see remotion-janitor --validate)",
               perm_action(PERM_DELETE_OBJECT));
    snprintf(o.code, sizeof(o.code), "%s", p->code);
  }
  snprintf(o.request_id, sizeof(o.request_id), "%s", d->request_id);
  jbuf_free(&p->hidden_keys);
  d->owner_cb(d->arg, &o);
}

static void key_done(struct pdel *d, size_t i, int ok, const char *code,
                     const char *msg)
{
  uint32_t ow = d->owner[i];
  struct pown *p = &d->own[ow];

  if(!ok) {
    int transient = (aws_code_class(code) &
                     (AWS_CODE_THROTTLE | AWS_CODE_TRANSIENT)) != 0;
    if(transient && d->tries && d->tries[i] + 1 < PRUNE_KEY_RETRIES &&
       d->nretry < d->capretry) {
      d->tries[i]++;
      d->retry[d->nretry++] = i;
      return;                   /* still pending */
    }
    p->failed++;
    if(!p->code[0])
      snprintf(p->code, sizeof(p->code), "%s", code);
    if(!d->msg[0] && msg)
      snprintf(d->msg, sizeof(d->msg), "%s", msg);
  }
  else {
    p->deleted++;
    p->bytes = render_bytes_add(p->bytes, d->set->o[i].size);
  }
  p->pending--;
  owner_report(d, ow);
}

/* A key-only delete that added a delete marker (marker_vid, if told):
 * the object is hidden, not deleted, and the bucket's pruning stops. */
static void key_hidden(struct pdel *d, size_t i, const char *marker_vid)
{
  uint32_t ow = d->owner[i];
  struct pown *p = &d->own[ow];
  const char *key = d->set->o[i].key;
  char esc[1024], mv[160];

  if(!d->stopped)
    jlog_err("prune", "%s: DeleteObjects added delete markers: the bucket "
             "is versioned; its pruning stops (nothing more is deleted "
             "there)", d->bucket);
  d->stopped = 1;
  untrusted_text(esc, sizeof(esc), key, strlen(key));
  untrusted_text(mv, sizeof(mv), marker_vid ? marker_vid : "",
                 marker_vid ? strlen(marker_vid) : 0);
  jlog_warn("prune", "%s: key \"%s\" is now hidden by a delete marker "
            "(version %s), not deleted", d->bucket, esc,
            mv[0] ? mv : "not told");
  if(!jbuf_printf(&p->hidden_keys, "%s\"%s\"",
                  p->hidden_keys.len ? ", " : "", esc))
    p->listed++;
  p->hidden++;
  p->failed++;
  p->pending--;
  owner_report(d, ow);
}

/* A key not sent, because the bucket's pruning stopped. */
static void key_unsent(struct pdel *d, size_t i)
{
  struct pown *p = &d->own[d->owner[i]];
  p->unsent++;
  p->failed++;
  p->pending--;
  owner_report(d, d->owner[i]);
}

static void pdel_end(struct pdel *d)
{
  if(d->inflight || d->sending || d->nretry || d->next < d->set->n)
    return;
  d->done_cb(d->arg);
  for(uint32_t ow = 0; ow < d->nowners; ow++)
    jbuf_free(&d->own[ow].hidden_keys);
  free(d->own);
  free(d->retry);
  free(d->tries);
  free(d->bucket);
  free(d);
}

static void pbatch_done(void *arg, const struct aws_response *r, void *res)
{
  struct pbatch *b = arg;
  struct pdel *d = b->d;
  struct wire_delete_result *dr = res;

  d->inflight--;
  if(r->attempts > 1 && d->limit > 1)
    d->limit /= 2;              /* SlowDown: fewer at once (AIMD) */
  else if(r->attempts <= 1 && d->limit < PRUNE_PARALLEL_MIN * 4)
    d->limit++;
  if(!d->request_id[0])
    snprintf(d->request_id, sizeof(d->request_id), "%s", r->request_id);
  if(!dr) {
    const char *code = r->err == JAN_EAWS ? r->e.code : "InternalError";
    const char *msg = r->err == JAN_EAWS ? r->e.message : jan_strerror(r->err);
    for(size_t k = 0; k < b->n; k++)
      key_done(d, b->idx[k], 0, code, msg);
  }
  else {
    /* Quiet mode: only the failures come back.  Otherwise (keys without
     * a version id) the delete markers added too: those keys are hidden,
     * not deleted. */
    unsigned char failed[BATCH_MAX] = { 0 };
    for(size_t m = 0; m < dr->nmarkers; m++)
      for(size_t k = 0; k < b->n; k++)
        if(!failed[k] && !vid_of(d, b->idx[k]) &&
           !strcmp(d->set->o[b->idx[k]].key, dr->markers[m].key)) {
          failed[k] = 1;
          key_hidden(d, b->idx[k], dr->markers[m].marker_version_id);
          break;
        }
    for(size_t e = 0; e < dr->nerrors; e++)
      for(size_t k = 0; k < b->n; k++)
        if(!failed[k] && same_entry(d, b->idx[k], &dr->errors[e])) {
          failed[k] = 1;
          key_done(d, b->idx[k], 0, dr->errors[e].code,
                   dr->errors[e].message);
          break;
        }
    for(size_t k = 0; k < b->n; k++)
      if(!failed[k])
        key_done(d, b->idx[k], 1, NULL, NULL);
  }
  free(b);
  pdel_pump(d);
}

static void psingle_done(void *arg, const struct aws_response *r, void *res)
{
  struct pbatch *b = arg;
  struct pdel *d = b->d;
  char marker[16];
  (void)res;
  d->inflight--;
  if(!r->err && !vid_of(d, b->idx[0]) &&
     answer_header(r, "x-amz-delete-marker", marker, sizeof(marker)) &&
     !strcmp(marker, "true")) {
    char vid[1100];
    key_hidden(d, b->idx[0], answer_header(r, "x-amz-version-id", vid,
                                           sizeof(vid)) ? vid : NULL);
  }
  else if(!r->err || aws_error_is_not_found(r))
    key_done(d, b->idx[0], 1, NULL, NULL);
  else
    key_done(d, b->idx[0], 0, r->err == JAN_EAWS ? r->e.code : "InternalError",
             r->err == JAN_EAWS ? r->e.message : jan_strerror(r->err));
  free(b);
  pdel_pump(d);
}

/* The next object to delete: a retry first, then the set in key order;
 * SIZE_MAX when none is left now. */
static size_t next_object(struct pdel *d)
{
  if(d->nretry)
    return d->retry[--d->nretry];
  while(d->next < d->set->n && d->owner[d->next] == PRUNE_NO_OWNER)
    d->next++;
  return d->next < d->set->n ? d->next++ : SIZE_MAX;
}

/* A key render pruning may delete: a render's object or a props object. */
static int prune_key_allowed(const char *key)
{
  size_t idlen;

  switch(render_classify(key, &idlen)) {
  case RENDER_CAT_RENDERS:
  case RENDER_CAT_OUTPUTS:
  case RENDER_CAT_PROPS:
    return 1;
  default:
    return 0;
  }
}

static void send_batch(struct pdel *d, struct pbatch *b)
{
  struct wire_object objs[BATCH_MAX];
  int rc;

  memset(objs, 0, b->n * sizeof(*objs));
  for(size_t k = 0; k < b->n; k++) {
    objs[k].key = d->set->o[b->idx[k]].key;
    objs[k].version_id = vid_of(d, b->idx[k]);   /* only read */
  }
  /* Where the request is built, once more: only render and props keys are
   * ever pruned (sites/ and every other prefix are never touched). */
  for(size_t k = 0; k < b->n; k++) {
    if(!prune_key_allowed(objs[k].key)) {
      jlog_err("prune", "refusing to delete a key outside renders/ and the "
               "props prefixes in %s (a bug)", d->bucket);
      for(size_t i = 0; i < b->n; i++)
        key_done(d, b->idx[i], 0, "InternalError",
                 "refused: a key outside the prune scope");
      free(b);
      return;
    }
  }
  d->inflight++;
  if(b->n == 1 && !wire_s3_key_xml_safe(objs[0].key))
    rc = s3_delete_object(d->aws, d->region, d->bucket, objs[0].key,
                          objs[0].version_id, psingle_done, b);
  else
    rc = s3_delete_objects(d->aws, d->region, d->bucket, objs, b->n,
                           pbatch_done, b);
  if(rc) {
    d->inflight--;
    for(size_t k = 0; k < b->n; k++)
      key_done(d, b->idx[k], 0, "InternalError", jan_strerror(rc));
    free(b);
  }
}

/* Fill and send batches while slots are free.  Keys that XML 1.0 cannot
 * carry go alone (DeleteObject, in the path). */
static void pdel_pump(struct pdel *d)
{
  if(d->sending)
    return;
  d->sending = 1;
  if(d->stopped) {
    size_t i;
    while((i = next_object(d)) != SIZE_MAX)
      key_unsent(d, i);
  }
  while(!d->stopped && d->inflight < d->limit) {
    struct pbatch *b = malloc(sizeof(*b));
    size_t i;
    if(!b)
      break;
    b->d = d;
    b->n = 0;
    while(b->n < BATCH_MAX && (i = next_object(d)) != SIZE_MAX) {
      int safe = wire_s3_key_xml_safe(d->set->o[i].key);
      if(!safe && b->n) {
        d->retry[d->nretry++] = i;  /* room: reserved for every object */
        break;
      }
      b->idx[b->n++] = i;
      if(!safe)
        break;
    }
    if(!b->n) {
      free(b);
      break;
    }
    send_batch(d, b);
  }
  d->sending = 0;
  pdel_end(d);
}

int prune_delete_start(struct aws_client *aws, const char *region,
                       const char *bucket, unsigned parallel,
                       const struct render_set *set, const uint32_t *owner,
                       uint32_t nowners, prune_owner_cb owner_cb,
                       prune_done_cb done_cb, void *arg)
{
  struct pdel *d;
  int rc = names_guard("a render pruning", JAN_KIND_BUCKET, bucket);

  if(rc)
    return rc;
  if(strlen(region) >= sizeof(d->region))
    return JAN_EINVAL;
  for(size_t i = 0; i < set->n; i++)
    if(owner[i] != PRUNE_NO_OWNER && owner[i] >= nowners)
      return JAN_EINVAL;
  d = calloc(1, sizeof(*d));
  if(!d)
    return JAN_ENOMEM;
  d->own = calloc(nowners ? nowners : 1, sizeof(*d->own));
  d->retry = malloc((set->n ? set->n : 1) * sizeof(*d->retry));
  d->tries = calloc(set->n ? set->n : 1, sizeof(*d->tries));
  d->bucket = strdup(bucket);
  if(!d->own || !d->retry || !d->tries || !d->bucket) {
    free(d->own);
    free(d->retry);
    free(d->tries);
    free(d->bucket);
    free(d);
    return JAN_ENOMEM;
  }
  d->capretry = set->n;
  strcpy(d->region, region);
  d->aws = aws;
  d->set = set;
  d->owner = owner;
  d->nowners = nowners;
  d->limit = clamp_parallel(parallel);
  d->owner_cb = owner_cb;
  d->done_cb = done_cb;
  d->arg = arg;
  for(uint32_t ow = 0; ow < nowners; ow++)
    jbuf_init(&d->own[ow].hidden_keys, PRUNE_HIDDEN_LIST_MAX);
  for(size_t i = 0; i < set->n; i++)
    if(owner[i] != PRUNE_NO_OWNER)
      d->own[owner[i]].pending++;
  pdel_pump(d);
  return JAN_OK;
}
