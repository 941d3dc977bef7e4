/*
 * Pruning inside a live bucket (prune.h): an owner of the bulk engine
 * (s3bulk.c).  Both passes stream the listing through a render_stream
 * (render.c); the deletion hands the engine what the plan chose as it is
 * listed and turns the engine's per-key answers into each owner's
 * outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/aws_decide.h"
#include "janitor/lister.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/perms.h"
#include "janitor/prune.h"
#include "janitor/s3bulk.h"
#include "janitor/services.h"
#include "janitor/untrusted.h"

/* ---- the listing ------------------------------------------------------- */

struct plist {
  struct aws_client *aws;
  char region[32];
  char *bucket;
  struct render_stream rs;
  struct s3bulk *bulk;
  int probe;
  unsigned parallel;
  prune_listed_cb cb;
  void *arg;
  struct prune_list_outcome o;
  /* First keys of pages, every stride-th page: the bucket's ranges for
   * the next listing (PRUNE_SAMPLES at most). */
  char **samp;
  size_t nsamp;
  unsigned stride, pages;
  const char *seed[LISTER_MAX_CHAINS];
};

#define PRUNE_SAMPLES 1024

static void samples_free(struct plist *pl)
{
  for(size_t i = 0; i < pl->nsamp; i++)
    free(pl->samp[i]);
  free(pl->samp);
  pl->samp = NULL;
  pl->nsamp = 0;
}

static int samp_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A page's first key, as a range's start (plain ASCII keys only: a
 * start-after S3 reads as written). */
static void sample(struct plist *pl, const char *key)
{
  size_t idlen, len = strlen(key);
  for(const unsigned char *k = (const unsigned char *)key; *k; k++)
    if(*k < 0x20 || *k >= 0x7f)
      return;
  if(pl->pages++ % pl->stride)
    return;
  /* A render's key: the cut is just before the render ("renders/ID" is
   * before every renders/ID/... key, and inside no other render), so that
   * no range starts inside a render. */
  render_classify(key, &idlen);
  if(idlen)
    len = strlen("renders/") + idlen;
  if(pl->nsamp == PRUNE_SAMPLES) {
    /* Full: every other one goes, and half as many come from now on. */
    size_t w = 0;
    qsort(pl->samp, pl->nsamp, sizeof(*pl->samp), samp_cmp);
    for(size_t i = 0; i < pl->nsamp; i++) {
      if(i % 2)
        free(pl->samp[i]);
      else
        pl->samp[w++] = pl->samp[i];
    }
    pl->nsamp = w;
    pl->stride *= 2;
  }
  if(!pl->samp && !(pl->samp = calloc(PRUNE_SAMPLES, sizeof(*pl->samp))))
    return;
  if((pl->samp[pl->nsamp] = strndup(key, len)) != NULL)
    pl->nsamp++;
}

/* The samples as at most parallel - 1 cuts of about equal ranges. */
static void seeds_of(struct plist *pl)
{
  size_t n = 0, k;
  if(!pl->nsamp)
    return;
  qsort(pl->samp, pl->nsamp, sizeof(*pl->samp), samp_cmp);
  for(size_t i = 0; i < pl->nsamp; i++)      /* versions: keys repeat */
    if(!n || strcmp(pl->samp[n - 1], pl->samp[i])) {
      char *t = pl->samp[n];
      pl->samp[n++] = pl->samp[i];
      pl->samp[i] = t;
    }
  for(size_t i = n; i < pl->nsamp; i++)
    free(pl->samp[i]);
  pl->nsamp = n;
  /* The first sample starts the bucket: not a cut. */
  k = n - 1 < pl->parallel - 1 ? n - 1 : pl->parallel - 1;
  for(size_t i = 0; i < k; i++)
    pl->seed[i] = pl->samp[1 + i * (n - 1) / k];
  pl->o.seed = pl->seed;
  pl->o.nseed = k;
}

static void plist_free(struct plist *pl)
{
  s3bulk_free(pl->bulk);
  samples_free(pl);
  render_stream_free(&pl->rs);
  free(pl->bucket);
  free(pl);
}

/* The outcome, told once; pl goes with it. */
static void plist_tell(struct plist *pl)
{
  pl->o.objects = pl->rs.objects;
  pl->o.bytes = pl->rs.bytes;
  memcpy(pl->o.storage, pl->rs.storage, sizeof(pl->o.storage));
  pl->o.versioned = pl->rs.versioned;
  if(!pl->o.err)
    seeds_of(pl);
  pl->cb(pl->arg, &pl->o);
  plist_free(pl);
}

/* The probe is over: what it saw decides (render_versioning()). */
static void probe_done(struct plist *pl, enum render_probe probe)
{
  pl->o.probe = probe;
  pl->o.versioning = render_versioning(probe);
  jlog_debug("prune", "%s: versions not listed; versioning %s", pl->bucket,
             render_versioning_name(pl->o.versioning));
  plist_tell(pl);
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
    probe_done(pl, aws_response_header(r, "x-amz-version-id", vid,
                                       sizeof(vid))
                   ? RENDER_PROBE_HEADER : RENDER_PROBE_NO_HEADER);
}

/* Without versions, the first object that pruning may delete tells
 * whether the bucket was ever versioned; without one, nothing is to be
 * pruned. */
static void probe_start(struct plist *pl)
{
  const char *k = pl->rs.first_pruned;
  int rc;

  if(!k) {
    probe_done(pl, RENDER_PROBE_NONE);
    return;
  }
  rc = s3_head_object(pl->aws, pl->region, pl->bucket, k, probed, pl);
  if(rc) {
    char key[256];
    untrusted_text(key, sizeof(key), k, strlen(k));
    snprintf(pl->o.probe_error, sizeof(pl->o.probe_error), "a request for "
             "key \"%s\" cannot be sent: %s", key, jan_strerror(rc));
    probe_done(pl, RENDER_PROBE_NOT_SENT);
  }
}

static int plist_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct plist *pl = arg;
  sample(pl, v[0].key);
  return render_stream_add(&pl->rs, s3bulk_chain(pl->bulk), v, n);
}

static void plist_listed(void *arg, const struct s3bulk_list_outcome *o)
{
  struct plist *pl = arg;
  int rc = o->err ? o->err : render_stream_end(&pl->rs);
  pl->o.err = rc;
  pl->o.pages = o->pages;
  pl->o.versions = o->versions;
  snprintf(pl->o.error, sizeof(pl->o.error), "%s", o->err ? o->error
           : jan_strerror(rc));
}

/* Nothing of the listing is out: the probe, or the outcome. */
static void plist_drained(void *arg)
{
  struct plist *pl = arg;
  s3bulk_free(pl->bulk);        /* the engine's last call: allowed */
  pl->bulk = NULL;
  if(!pl->o.err && !pl->o.versions && pl->probe) {
    probe_start(pl);
    return;
  }
  plist_tell(pl);
}

int prune_list_start(struct aws_client *aws, const char *region,
                     const char *bucket, unsigned parallel, int versions,
                     int probe, const char *const *seed, size_t nseed,
                     const struct render_stream_ops *rops, void *ops_arg,
                     prune_listed_cb cb, void *arg)
{
  const struct s3bulk_ops ops = { .entries = plist_entries,
                                  .listed = plist_listed,
                                  .drained = plist_drained };
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
  pl->probe = probe;
  pl->stride = 1;
  pl->parallel = parallel < S3BULK_PARALLEL_MIN ? S3BULK_PARALLEL_MIN
               : parallel > LISTER_MAX_CHAINS ? LISTER_MAX_CHAINS : parallel;
  pl->cb = cb;
  pl->arg = arg;
  render_stream_init(&pl->rs, rops, ops_arg);
  rc = s3bulk_new(aws, region, bucket, parallel, &ops, pl, &pl->bulk);
  if(!rc)
    rc = s3bulk_list_seeded(pl->bulk, versions, seed, nseed);
  if(rc)
    plist_free(pl);
  return rc;
}

/* ---- the deletion ------------------------------------------------------ */

/* What an owner's message lists of its hidden keys. */
#define PRUNE_HIDDEN_LIST_MAX 2048u

/* What went wrong for an owner: rare, so made on the first trouble (an
 * owner is a render, and a bucket holds hundreds of thousands). */
struct ptrouble {
  uint64_t hidden;              /* keys a delete marker now hides */
  uint64_t unsent;              /* keys not sent: the pruning stopped */
  uint64_t listed;              /* hidden keys in hidden_keys */
  char *code;                   /* the first per-key failure, or NULL */
  int code_vid;                 /* the failed key had a version id */
  struct jbuf hidden_keys;      /* the first of them, escaped, for the
                                   outcome's message */
};

struct pown {                   /* one owner's account */
  uint64_t handed;              /* keys handed to the engine */
  uint64_t deleted, failed;     /* failed: every key not deleted, hidden
                                   and unsent ones included */
  uint64_t appeared;            /* written since the decision: kept */
  int64_t bytes;
  struct ptrouble *t;           /* NULL until something goes wrong (or
                                   when it could not be made: the owner
                                   still fails, told less precisely) */
};

static struct ptrouble *trouble(struct pown *p)
{
  if(!p->t && (p->t = calloc(1, sizeof(*p->t))) != NULL)
    jbuf_init(&p->t->hidden_keys, PRUNE_HIDDEN_LIST_MAX);
  return p->t;
}

static void trouble_free(struct pown *p)
{
  if(p->t) {
    free(p->t->code);
    jbuf_free(&p->t->hidden_keys);
    free(p->t);
    p->t = NULL;
  }
}


/* A key handed to the engine: its owner, size and category (the tag
 * names it). */
struct pslot {
  uint32_t owner;
  uint32_t next_free;
  int64_t size;
  enum render_cat cat;
};
#define PSLOT_NONE UINT32_MAX

/* A key decided, not yet handed over. */
#define PKEY_NO_VID SIZE_MAX

/* A held key: its key and version id are offsets into the hold's text
 * (one buffer a chain, kept from render to render, not two allocations a
 * key). */
struct pkey {
  size_t key, vid;              /* vid: PKEY_NO_VID when none */
  uint32_t owner;
  int64_t size;
  enum render_cat cat;
};

/* Per listing chain, the keys of the render it is in: handed to the
 * engine together when the chain passes the render (or the listing ends
 * whole), so that a render's keys go out side by side. */
struct phold {
  uintptr_t chain;
  char *id;
  size_t idlen;
  struct pkey *k;
  size_t n, cap;
  struct jbuf text;             /* the keys and version ids, each with
                                   its NUL */
  const struct render_pick *pick;   /* the last render's pick found in
                                       this chain: its next entries are
                                       likely the same render's */
};

struct pdel {
  char *bucket;
  struct phold *hold;
  size_t nhold, caphold;
  struct s3bulk *bulk;
  struct render_stream rs;
  struct prune_delete_opts o;
  struct pown *own;
  struct pslot *slot;
  size_t nslot, capslot;
  uint32_t free_slot;
  char msg[512];                /* the first per-key message */
  char request_id[128];
  char list_error[1024];         /* why the listing broke off */
  int list_failed;              /* the pass did not list the whole bucket */
  prune_owner_cb owner_cb;
  prune_done_cb done_cb;
  void *arg;
  int stopped;                  /* a delete marker was added: nothing more
                                   is sent in this bucket */
  int err;                      /* an entry could not be handed over */
  struct prune_delete_outcome out;  /* what was deleted, by category */
};

static void owner_report(struct pdel *d, uint32_t ow)
{
  static const struct ptrouble none;
  struct pown *p = &d->own[ow];
  uint64_t expected = d->o.expected ? d->o.expected[ow] : 0;
  uint64_t seen = p->handed + p->appeared, unsent = 0;
  const struct ptrouble *t;
  struct prune_owner_outcome o;

  /* Never reached by the pass: stopped, or the listing broke off. */
  if(seen < expected && (d->stopped || d->list_failed || d->err)) {
    unsent = expected - seen;
    p->failed += unsent;
  }
  t = unsent ? trouble(p) : p->t;
  if(t && unsent)
    p->t->unsent += unsent;
  if(!t)
    t = &none;
  unsent = t->unsent ? t->unsent : unsent;
  memset(&o, 0, sizeof(o));
  o.owner = ow;
  o.deleted = p->deleted;
  o.bytes = p->bytes;
  o.failed = p->failed;
  o.hidden = t->hidden;
  o.appeared = p->appeared;
  if(t->hidden) {
    /* Never "deleted": the keys are only hidden, and nothing is
     * reclaimed. */
    snprintf(o.error, sizeof(o.error), "pruning stopped in bucket %s: "
             "DeleteObjects added a delete marker over %llu key%s of it (the "
             "bucket is versioned: hidden, not deleted, nothing reclaimed): "
             "%s%s%s; needs %s and %s to prune it (see remotion-janitor "
             "--validate)", d->bucket, (unsigned long long)t->hidden,
             t->hidden == 1 ? "" : "s", jbuf_str(&t->hidden_keys),
             t->listed < t->hidden ? ", ..." : "",
             unsent ? "; the rest not sent" : "",
             perm_action(PERM_LIST_BUCKET_VERSIONS),
             perm_action(PERM_DELETE_OBJECT_VERSION));
  }
  else if(unsent && d->stopped)
    snprintf(o.error, sizeof(o.error), "pruning stopped in bucket %s: "
             "DeleteObjects added delete markers there (the bucket is "
             "versioned); %llu object%s not sent", d->bucket,
             (unsigned long long)unsent, unsent == 1 ? "" : "s");
  else if(unsent)
    snprintf(o.error, sizeof(o.error), "%llu object%s not deleted: the "
             "listing of bucket %s broke off: %s", (unsigned long long)
             unsent, unsent == 1 ? "" : "s", d->bucket,
             d->list_error[0] ? d->list_error : "out of memory");
  else if(p->failed) {
    char hint[256];
    snprintf(o.error, sizeof(o.error), "%llu object%s could not be deleted: "
             "%s%s%s%s%s", (unsigned long long)p->failed,
             p->failed == 1 ? "" : "s", t->code ? t->code : "InternalError",
             d->msg[0] ? " (" : "", d->msg, d->msg[0] ? ")" : "",
             s3bulk_key_hint(t->code ? t->code : "", t->code_vid, hint,
                             sizeof(hint)));
    snprintf(o.code, sizeof(o.code), "%s", t->code ? t->code : "");
  }
  snprintf(o.request_id, sizeof(o.request_id), "%s", d->request_id);
  d->owner_cb(d->arg, &o);
}

/* A key-only delete that added a delete marker (marker_vid, if told):
 * the object is hidden, not deleted, and the bucket's pruning stops. */
static void key_hidden(struct pdel *d, struct pown *p, const char *key,
                       const char *marker_vid)
{
  char esc[1024], mv[160];

  if(!d->stopped)
    jlog_err("prune", "%s: DeleteObjects added delete markers: the bucket "
             "is versioned; its pruning stops (nothing more is deleted "
             "there)", d->bucket);
  d->stopped = 1;
  s3bulk_stop(d->bulk);
  untrusted_text(esc, sizeof(esc), key, strlen(key));
  untrusted_text(mv, sizeof(mv), marker_vid ? marker_vid : "",
                 marker_vid ? strlen(marker_vid) : 0);
  jlog_warn("prune", "%s: key \"%s\" is now hidden by a delete marker "
            "(version %s), not deleted", d->bucket, esc,
            mv[0] ? mv : "not told");
  if(trouble(p)) {
    if(!jbuf_printf(&p->t->hidden_keys, "%s\"%s\"",
                    p->t->hidden_keys.len ? ", " : "", esc))
      p->t->listed++;
    p->t->hidden++;
  }
  p->failed++;
}

static int slot_take(struct pdel *d, uint32_t owner, int64_t size,
                     enum render_cat cat, uint32_t *out)
{
  uint32_t i = d->free_slot;
  if(i == PSLOT_NONE) {
    if(d->nslot >= PSLOT_NONE ||
       jan_grow(&d->slot, &d->capslot, d->nslot, sizeof(*d->slot), 1024))
      return JAN_ENOMEM;
    i = (uint32_t)d->nslot++;
  }
  else
    d->free_slot = d->slot[i].next_free;
  d->slot[i].owner = owner;
  d->slot[i].size = size;
  d->slot[i].cat = cat;
  *out = i;
  return JAN_OK;
}

/* The engine's answer for slot k->tag. */
static void pdel_key(void *arg, const struct s3bulk_key *k)
{
  struct pdel *d = arg;
  uint32_t i = (uint32_t)k->tag;
  struct pown *p = &d->own[d->slot[i].owner];

  if(!d->request_id[0] && k->request_id[0])
    snprintf(d->request_id, sizeof(d->request_id), "%s", k->request_id);
  switch(k->result) {
  case S3BULK_KEY_DELETED: {
    enum render_cat c = d->slot[i].cat;
    p->deleted++;
    p->bytes = render_bytes_add(p->bytes, d->slot[i].size);
    d->out.deleted++;
    d->out.deleted_bytes = render_bytes_add(d->out.deleted_bytes,
                                            d->slot[i].size);
    d->out.deleted_storage[c] = render_bytes_add(d->out.deleted_storage[c],
                                                 d->slot[i].size);
    break;
  }
  case S3BULK_KEY_HIDDEN:
    key_hidden(d, p, k->key, k->marker_vid);
    break;
  case S3BULK_KEY_UNSENT:
    if(trouble(p))
      p->t->unsent++;
    p->failed++;
    break;
  case S3BULK_KEY_FAILED:
  default:
    p->failed++;
    if(trouble(p) && !p->t->code) {
      p->t->code = strdup(k->code[0] ? k->code : "InternalError");
      p->t->code_vid = k->vid != NULL;
    }
    if(!d->msg[0] && k->message[0])
      snprintf(d->msg, sizeof(d->msg), "%s", k->message);
    break;
  }
  d->slot[i].next_free = d->free_slot;
  d->free_slot = i;
}

static int hand_over(struct pdel *d, const char *key, const char *vid,
                     uint32_t owner, int64_t size, enum render_cat cat)
{
  uint32_t slot;
  int rc = slot_take(d, owner, size, cat, &slot);
  if(!rc)
    rc = s3bulk_delete(d->bulk, key, vid, slot);
  if(rc)
    return d->err = rc;
  d->own[owner].handed++;
  return JAN_OK;
}

static void hold_flush(struct pdel *d, struct phold *h, int send)
{
  for(size_t i = 0; i < h->n && send; i++) {
    struct pkey *k = &h->k[i];
    if(!d->stopped && !d->err)
      hand_over(d, h->text.ptr + k->key, k->vid == PKEY_NO_VID ? NULL :
                h->text.ptr + k->vid, k->owner, k->size, k->cat);
  }
  h->n = 0;
  jbuf_reset(&h->text);
  free(h->id);
  h->id = NULL;
}

static struct phold *hold_of(struct pdel *d, uintptr_t chain)
{
  struct phold *h;
  for(size_t i = 0; i < d->nhold; i++)
    if(d->hold[i].chain == chain)
      return &d->hold[i];
  if(jan_grow(&d->hold, &d->caphold, d->nhold, sizeof(*d->hold), 16))
    return NULL;
  h = &d->hold[d->nhold++];
  memset(h, 0, sizeof(*h));
  jbuf_init(&h->text, SIZE_MAX / 2);
  h->chain = chain;
  return h;
}

static int hold_add(struct phold *h, const struct wire_object *v,
                    const char *vid, uint32_t owner, enum render_cat c,
                    size_t idlen)
{
  struct pkey *k;
  if(!h->id && !(h->id = strndup(v->key + strlen("renders/"), idlen)))
    return JAN_ENOMEM;
  h->idlen = idlen;
  if(jan_grow(&h->k, &h->cap, h->n, sizeof(*h->k), 16))
    return JAN_ENOMEM;
  k = &h->k[h->n];
  k->key = h->text.len;
  k->vid = vid ? k->key + strlen(v->key) + 1 : PKEY_NO_VID;
  k->owner = owner;
  k->size = v->size;
  k->cat = c;
  if(jbuf_add(&h->text, v->key, strlen(v->key) + 1) ||
     (vid && jbuf_add(&h->text, vid, strlen(vid) + 1))) {
    h->text.len = k->key;
    return JAN_ENOMEM;
  }
  h->n++;
  return JAN_OK;
}

/* Each listed entry, decided again by the plan (render_act). */
static int pdel_entry(void *arg, const struct wire_object *v,
                      enum render_cat c, size_t idlen, int dup)
{
  struct pdel *d = arg;
  struct phold *h = hold_of(d, s3bulk_chain(d->bulk));
  const char *vid = d->o.by_version ? v->version_id : NULL;
  const struct render_pick *pick = NULL;
  uint32_t ow;
  int rc;

  if(!h)
    return d->err = JAN_ENOMEM;
  /* The chain passed the render it held: its keys go. */
  if(h->id && (h->idlen != idlen ||
               memcmp(h->id, v->key + strlen("renders/"), idlen)))
    hold_flush(d, h, 1);
  if(d->err)
    return d->err;
  if(dup || d->stopped)
    return JAN_OK;
  if(idlen && c != RENDER_CAT_PROPS) {
    const char *id = v->key + strlen("renders/");
    if(!h->pick || strncmp(h->pick->id, id, idlen) || h->pick->id[idlen])
      h->pick = render_pick_find(d->o.plan, id, idlen);
    pick = h->pick;
  }
  switch(render_act_with(d->o.plan, pick, v, c, idlen, &ow)) {
  case RENDER_ACT_DELETE:
    break;
  case RENDER_ACT_APPEARED:
    d->own[ow].appeared++;
    return JAN_OK;
  default:
    return JAN_OK;
  }
  if(!idlen)
    return hand_over(d, v->key, vid, ow, v->size, c);   /* props */
  rc = hold_add(h, v, vid, ow, c, idlen);
  if(rc)
    d->err = rc;
  return rc;
}

static int pdel_render(void *arg, const struct render *r)
{
  (void)arg;
  (void)r;
  return JAN_OK;
}

static int pdel_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct pdel *d = arg;
  return render_stream_add(&d->rs, s3bulk_chain(d->bulk), v, n);
}

static void pdel_listed(void *arg, const struct s3bulk_list_outcome *o)
{
  struct pdel *d = arg;
  if(o->err) {
    d->list_failed = 1;
    snprintf(d->list_error, sizeof(d->list_error), "%.1000s", o->error);
  }
  /* The renders still held: whole only when the listing was. */
  for(size_t i = 0; i < d->nhold; i++)
    hold_flush(d, &d->hold[i], !o->err);
}

static void pdel_drained(void *arg)
{
  struct pdel *d = arg;
  for(uint32_t ow = 0; ow < d->o.nowners; ow++)
    owner_report(d, ow);
  /* The pass saw every object of the bucket: its figures after the
   * pruning are those less what went. */
  d->out.whole = !d->list_failed && !d->err;
  if(d->out.whole) {
    d->out.objects = d->rs.objects;
    d->out.bytes = d->rs.bytes;
    memcpy(d->out.storage, d->rs.storage, sizeof(d->out.storage));
  }
  d->done_cb(d->arg, &d->out);
  for(uint32_t ow = 0; ow < d->o.nowners; ow++)
    trouble_free(&d->own[ow]);
  s3bulk_free(d->bulk);         /* the engine's last call: allowed */
  render_stream_free(&d->rs);
  for(size_t i = 0; i < d->nhold; i++) {
    hold_flush(d, &d->hold[i], 0);
    free(d->hold[i].k);
    jbuf_free(&d->hold[i].text);
  }
  free(d->hold);
  free(d->slot);
  free(d->own);
  free(d->bucket);
  free(d);
}

static int64_t bytes_less(int64_t a, int64_t b)
{
  return a > b ? a - b : 0;
}

void prune_storage_after(const struct prune_delete_outcome *o,
                         uint64_t *objects, int64_t *bytes,
                         int64_t storage[RENDER_CAT_N])
{
  if(o->whole) {
    *objects = o->objects;
    *bytes = o->bytes;
    memcpy(storage, o->storage, sizeof(o->storage));
  }
  *objects = *objects > o->deleted ? *objects - o->deleted : 0;
  *bytes = bytes_less(*bytes, o->deleted_bytes);
  for(int c = 0; c < RENDER_CAT_N; c++)
    storage[c] = bytes_less(storage[c], o->deleted_storage[c]);
}

/* A key render pruning may delete: checked once more where each request
 * is built. */
static int prune_key_allowed(void *arg, const char *key)
{
  (void)arg;
  return render_key_prunable(key);
}

int prune_delete_start(struct aws_client *aws, const char *region,
                       const char *bucket, const struct prune_delete_opts *o,
                       prune_owner_cb owner_cb, prune_done_cb done_cb,
                       void *arg)
{
  const struct s3bulk_ops ops = { .entries = pdel_entries,
                                  .listed = pdel_listed,
                                  .key_done = pdel_key,
                                  .may_delete = prune_key_allowed,
                                  .drained = pdel_drained };
  const struct render_stream_ops rops = { .render = pdel_render,
                                          .entry = pdel_entry };
  struct pdel *d;
  int rc = names_guard("a render pruning", JAN_KIND_BUCKET, bucket);

  if(rc)
    return rc;
  if(!o->plan || (o->plan->props_owner != PRUNE_NO_OWNER &&
                  o->plan->props_owner >= o->nowners))
    return JAN_EINVAL;
  for(size_t i = 0; i < o->plan->npicks; i++)
    if(o->plan->picks[i].owner >= o->nowners)
      return JAN_EINVAL;
  d = calloc(1, sizeof(*d));
  if(!d)
    return JAN_ENOMEM;
  d->own = calloc(o->nowners ? o->nowners : 1, sizeof(*d->own));
  d->bucket = strdup(bucket);
  rc = !d->own || !d->bucket ? JAN_ENOMEM
     : s3bulk_new(aws, region, bucket, o->parallel, &ops, d, &d->bulk);
  if(rc) {
    free(d->own);
    free(d->bucket);
    free(d);
    return rc;
  }
  d->o = *o;
  d->free_slot = PSLOT_NONE;
  d->owner_cb = owner_cb;
  d->done_cb = done_cb;
  d->arg = arg;
  render_stream_init(&d->rs, &rops, d);
  rc = s3bulk_list_seeded(d->bulk, o->versions, o->seed, o->nseed);
  if(rc) {
    s3bulk_free(d->bulk);
    render_stream_free(&d->rs);
    free(d->own);
    free(d->bucket);
    free(d);
  }
  return rc;
}
