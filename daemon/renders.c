/*
 * Renders and storage (renders.h).  The decisions are render.c's; the
 * requests prune.c's; this file only ties them to the host's inventory,
 * grace clocks and outcomes (struct renders_host: the sweep's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/log.h"
#include "janitor/perms.h"
#include "janitor/policy.h"
#include "janitor/prune.h"
#include "janitor/render.h"
#include "renders.h"

/* One owner's outcome as kept until the bucket's report: the figures, and
 * the text only when there is one (a prune_owner_outcome carries 8 KiB of
 * room for it: per render, that was most of a deleting sweep's memory). */
struct rres {
  uint64_t deleted, failed, hidden;
  int64_t bytes;
  char *error;                  /* NULL: none */
  char code[128];
  char request_id[128];
};

/* One kept bucket, listed. */
struct rbucket {
  struct renders *rd;
  size_t item;                  /* the bucket's inventory item */
  char *name;
  char region[32];
  int prunable;                 /* its renders and props may be pruned */
  struct render_set set;
  int listed;                   /* 1 listed, -1 the listing failed */
  int hidden;                   /* versioned, and versions not listable:
                                   a delete would reclaim nothing */
  int64_t decided_at;           /* the clock its decisions were made at:
                                   the deletion prunes what they chose */
  /* The deletion. */
  int started;
  uint32_t *owner;              /* per object of set */
  size_t *owner_item;           /* per owner: its inventory item */
  struct rres *res;             /* per owner */
  uint32_t nowners;
  struct render_set verify;     /* the listing after the deletion */
};

struct renders {
  struct renders_host h;        /* the caller's */
  struct rbucket *b;
  size_t n;
  size_t pending;               /* listings out */
  size_t failed;                /* listings that failed */
  char message[512];            /* about the first */
};

static void rbucket_free(struct rbucket *b)
{
  render_set_free(&b->set);
  render_set_free(&b->verify);
  free(b->owner);
  free(b->owner_item);
  for(uint32_t ow = 0; b->res && ow < b->nowners; ow++)
    free(b->res[ow].error);
  free(b->res);
  free(b->name);
}

int renders_clock_type(const char *type)
{
  return !strcmp(type, "render") || !strcmp(type, "props");
}

int renders_bucket_listed(const struct renders *rd,
                          const struct jan_config *cfg, const char *name)
{
  size_t n = strcspn(name, "/");
  if(cfg->renders == JAN_RENDERS_KEEP)
    return 1;                   /* no candidates: no clocks to keep */
  for(size_t i = 0; rd && i < rd->n; i++)
    if(strlen(rd->b[i].name) == n && !strncmp(rd->b[i].name, name, n))
      return rd->b[i].listed == 1;
  return 0;
}

const char *renders_failure(const struct renders *rd)
{
  return rd && rd->failed ? rd->message : NULL;
}

void renders_free(struct renders *rd)
{
  if(!rd)
    return;
  for(size_t i = 0; i < rd->n; i++)
    rbucket_free(&rd->b[i]);
  free(rd->b);
  free(rd);
}

/* Whether a bucket's contents are listed, and pruned: kept buckets only,
 * and only those whose listing and scope are sound.  A bucket that a keep
 * glob names is left as it is (listed for its storage only). */
static int bucket_listable(const struct inv_item *it)
{
  return it->kind == JAN_KIND_BUCKET && it->decision != INV_DELETE &&
         it->why != INV_REASON_NOT_INCLUDED &&
         it->why != INV_REASON_REGION_INCOMPLETE;
}

static struct inv_item *add_item(struct renders *rd, struct rbucket *b,
                                 enum jan_kind kind, const char *name,
                                 int64_t created)
{
  char arn[2048];
  struct inv_item *it;
  snprintf(arn, sizeof(arn), "arn:aws:s3:::%s/%s", b->name,
           kind == JAN_KIND_RENDER ? "renders/" : "");
  if(kind == JAN_KIND_RENDER)
    snprintf(arn + strlen(arn), sizeof(arn) - strlen(arn), "%s/", name);
  it = inventory_add(rd->h.inv, kind, b->region, name, arn, 0, created);
  if(it && !(it->bucket = strdup(b->name)))
    return NULL;                /* freed with the inventory */
  return it;
}

/* Decided like every other resource (policy_decide_item): render.c's
 * reason first; versions hidden keep everything; then grace. */
static void decide(struct renders *rd, struct rbucket *b,
                   struct inv_item *it, enum inv_reason why, int64_t now)
{
  if(why == INV_REASON_POLICY && b->hidden)
    why = INV_REASON_VERSIONED;
  policy_decide_item(it, why, rd->h.cfg, now, rd->h.first_seen, rd->h.arg);
}

static int add_renders(struct renders *rd, struct rbucket *b, int64_t now)
{
  const struct jan_config *cfg = rd->h.cfg;
  size_t nprops = 0;
  int64_t pbytes = 0, poldest = INT64_MAX, pnewest = INT64_MIN;

  for(size_t r = 0; r < b->set.nr; r++) {
    const struct render *rr = &b->set.r[r];
    struct inv_item *it = add_item(rd, b, JAN_KIND_RENDER, rr->id,
                                   rr->oldest == WIRE_TIME_UNKNOWN
                                   ? -1 : rr->oldest);
    size_t objects;
    if(!it)
      return JAN_ENOMEM;
    it->render = r;
    it->newest = rr->newest == WIRE_TIME_UNKNOWN ? -1 : rr->newest;
    render_prunable(&b->set, rr, cfg->renders, &objects, &it->bytes);
    it->objects = (int64_t)objects;
    decide(rd, b, it, render_keep_reason(&b->set, rr, b->name, cfg, now),
           now);
  }
  for(size_t i = 0; i < b->set.n; i++)
    if(render_props_pruned(&b->set, i, cfg, now)) {
      const struct render_obj *o = &b->set.o[i];
      nprops++;
      pbytes = render_bytes_add(pbytes, o->size);
      poldest = o->mtime < poldest ? o->mtime : poldest;
      pnewest = o->mtime > pnewest ? o->mtime : pnewest;
    }
  if(nprops) {
    struct inv_item *it = add_item(rd, b, JAN_KIND_PROPS, b->name, poldest);
    if(!it)
      return JAN_ENOMEM;
    it->newest = pnewest;
    it->objects = (int64_t)nprops;
    it->bytes = pbytes;
    decide(rd, b, it, INV_REASON_POLICY, now);
  }
  return JAN_OK;
}

/* The bucket's figures: as listed (after its pruning, where it
 * was pruned). */
static void storage_of(struct renders *rd, size_t item,
                       const struct render_set *set)
{
  struct inv_item *it = &rd->h.inv->items[item];
  it->has_storage = 1;
  it->objects = (int64_t)set->n;
  it->bytes = set->bytes;
  memcpy(it->storage, set->storage, sizeof(it->storage));
}

static void phase_end(struct renders *rd);

static int has_candidates(const struct renders *rd, const char *bucket)
{
  for(size_t i = 0; i < rd->h.inv->n; i++) {
    const struct inv_item *it = &rd->h.inv->items[i];
    if((it->kind == JAN_KIND_RENDER || it->kind == JAN_KIND_PROPS) &&
       it->decision == INV_DELETE && !strcmp(it->bucket, bucket))
      return 1;
  }
  return 0;
}

static void listed(void *arg, const struct prune_list_outcome *o)
{
  struct rbucket *b = arg;
  struct renders *rd = b->rd;
  int rc = o->err;

  if(!rc)
    rc = render_set_group(&b->set);
  if(rc && !b->prunable) {
    /* The storage report only informs: its gaps fail nothing. */
    b->listed = -1;
    jlog_warn("renders", "%s: no storage report: %s", b->name,
              o->err ? o->error : jan_strerror(rc));
  }
  else if(rc) {
    b->listed = -1;
    jlog_warn("renders", "%s: cannot list its renders: %s", b->name,
              o->err ? o->error : jan_strerror(rc));
    if(!rd->failed)
      snprintf(rd->message, sizeof(rd->message), "the listing of bucket %s "
               "failed: none of its renders is pruned", b->name);
    rd->failed++;
  }
  else {
    struct inv_item *it = &rd->h.inv->items[b->item];
    b->listed = 1;
    storage_of(rd, b->item, &b->set);
    /* Versions not listed: keys are deleted only in a bucket known never
     * to have been versioned (render_versioning()); elsewhere a delete
     * might only add markers, and its renders are kept ("versioned"). */
    b->hidden = !o->versions && o->versioning != RENDER_VERSIONING_NEVER;
    if(b->hidden && b->prunable && o->probe != RENDER_PROBE_NONE) {
      /* Said once per bucket, with what would settle it. */
      char msg[AWS_DESCRIBE_MAX + 512];
      if(o->versioning == RENDER_VERSIONING_ON)
        snprintf(msg, sizeof(msg), "reclaimed 0: versioned, needs %s and %s "
                 "to prune renders (see remotion-janitor --validate)",
                 perm_action(PERM_LIST_BUCKET_VERSIONS),
                 perm_action(PERM_DELETE_OBJECT_VERSION));
      else
        snprintf(msg, sizeof(msg), "reclaimed 0: whether it is versioned is "
                 "not known (%s), so nothing in it is pruned; with %s its "
                 "versions are listed instead (see remotion-janitor "
                 "--validate)", o->probe_error,
                 perm_action(PERM_LIST_BUCKET_VERSIONS));
      jlog_warn("renders", "%s: %s", b->name, msg);
      free(it->error);
      it->error = strdup(msg);
    }
  }
  if(--rd->pending == 0)
    phase_end(rd);
}

/* Every listing is back: the renders become resources, in bucket order
 * (items are only appended: indexes stay valid). */
static void phase_end(struct renders *rd)
{
  for(size_t i = 0; i < rd->n; i++) {
    struct rbucket *x = &rd->b[i];
    x->decided_at = (int64_t)time(NULL);
    if(x->listed == 1 && x->prunable && add_renders(rd, x, x->decided_at)) {
      if(!rd->failed++)
        snprintf(rd->message, sizeof(rd->message), "out of memory");
      x->prunable = 0;
    }
  }
  /* A listing is kept only where something may be pruned from it. */
  for(size_t i = 0; i < rd->n; i++)
    if(rd->h.mode != JAN_MODE_DELETE || !has_candidates(rd, rd->b[i].name))
      render_set_free(&rd->b[i].set);
  rd->h.cont(rd->h.arg);
}

int renders_collect(const struct renders_host *h, struct renders **rdp)
{
  const struct jan_config *cfg = h->cfg;
  struct renders *rd;
  size_t nb = 0;

  if(cfg->renders == JAN_RENDERS_KEEP && !cfg->storage)
    return 0;
  for(size_t i = 0; i < h->inv->n; i++)
    if(bucket_listable(&h->inv->items[i]))
      nb++;
  if(!nb)
    return 0;
  rd = calloc(1, sizeof(*rd));
  if(!rd || !(rd->b = calloc(nb, sizeof(*rd->b)))) {
    free(rd);
    jlog_err("renders", "out of memory: no bucket is listed for renders");
    return 0;
  }
  *rdp = rd;
  rd->h = *h;
  for(size_t i = 0; i < h->inv->n; i++) {
    const struct inv_item *it = &h->inv->items[i];
    struct rbucket *b;
    if(!bucket_listable(it))
      continue;
    b = &rd->b[rd->n];
    b->name = strdup(it->name);
    if(!b->name) {
      jlog_err("renders", "out of memory: bucket %s is not listed", it->name);
      continue;
    }
    rd->n++;
    b->rd = rd;
    b->item = i;
    snprintf(b->region, sizeof(b->region), "%s", it->region);
    b->prunable = cfg->renders != JAN_RENDERS_KEEP &&
                  it->why != INV_REASON_EXCLUDED;
    render_set_init(&b->set);
    render_set_init(&b->verify);
  }
  /* One extra hold, so that no listing ends the phase while they start. */
  rd->pending = rd->n + 1;
  for(size_t i = 0; i < rd->n; i++) {
    struct rbucket *b = &rd->b[i];
    int rc = prune_list_start(h->aws, b->region, b->name,
                              cfg->host_concurrency / 2, &b->set, listed, b);
    if(rc) {
      struct prune_list_outcome o = { .err = rc };
      snprintf(o.error, sizeof(o.error), "%s", jan_strerror(rc));
      listed(b, &o);
    }
  }
  if(--rd->pending == 0)
    phase_end(rd);
  return 1;
}

/* ---- the deletion ------------------------------------------------------ */

static struct rbucket *bucket_of(struct renders *rd, const struct inv_item *it)
{
  for(size_t i = 0; i < rd->n; i++)
    if(!strcmp(rd->b[i].name, it->bucket))
      return &rd->b[i];
  return NULL;
}

static void owner_done(void *arg, const struct prune_owner_outcome *o)
{
  struct rbucket *b = arg;
  struct rres *x = &b->res[o->owner];
  x->deleted = o->deleted;
  x->failed = o->failed;
  x->hidden = o->hidden;
  x->bytes = o->bytes;
  free(x->error);
  x->error = o->error[0] ? strdup(o->error) : NULL;
  if(o->error[0] && !x->error)
    x->failed = x->failed ? x->failed : 1;      /* the figures still tell */
  snprintf(x->code, sizeof(x->code), "%s", o->code);
  snprintf(x->request_id, sizeof(x->request_id), "%s", o->request_id);
}

/* Objects still under a pruned render after its deletion that its mode
 * prunes: written while it was being deleted. */
static size_t remaining(const struct rbucket *b, const char *id,
                        enum jan_renders mode)
{
  for(size_t r = 0; r < b->verify.nr; r++)
    if(!strcmp(b->verify.r[r].id, id)) {
      size_t n;
      int64_t bytes;
      render_prunable(&b->verify, &b->verify.r[r], mode, &n, &bytes);
      return n;
    }
  return 0;
}

/* Every owner's outcome, to the host (the audit log and the inventory). */
static void report_all(struct rbucket *b, int verified)
{
  struct renders *rd = b->rd;
  const struct renders_host *h = &rd->h;
  uint64_t hidden = 0;
  for(uint32_t ow = 0; ow < b->nowners; ow++)
    hidden += b->res[ow].hidden;
  if(hidden) {
    /* The bucket says it too, with what would settle it. */
    struct inv_item *bi = &h->inv->items[b->item];
    char msg[512];
    snprintf(msg, sizeof(msg), "pruning stopped: DeleteObjects added delete "
             "markers over %llu key%s (versioned: hidden, not deleted, "
             "reclaimed 0); needs %s and %s to prune renders (see "
             "remotion-janitor --validate)", (unsigned long long)hidden,
             hidden == 1 ? "" : "s", perm_action(PERM_LIST_BUCKET_VERSIONS),
             perm_action(PERM_DELETE_OBJECT_VERSION));
    free(bi->error);
    bi->error = strdup(msg);
  }
  for(uint32_t ow = 0; ow < b->nowners; ow++) {
    const struct rres *o = &b->res[ow];
    const struct inv_item *it = &h->inv->items[b->owner_item[ow]];
    size_t left = verified && it->kind == JAN_KIND_RENDER && !o->failed
                ? remaining(b, it->name, h->cfg->renders) : 0;
    char msg[256];

    if(o->failed)
      h->outcome(h->arg, b->owner_item[ow], INV_RES_FAILED,
                 o->error ? o->error : "out of memory", o->code,
                 o->request_id, (int64_t)o->deleted, o->bytes);
    else if(left) {
      snprintf(msg, sizeof(msg), "partially pruned: %zu object%s appeared "
               "under renders/%s/ during the deletion; kept for a later "
               "sweep", left, left == 1 ? "" : "s", it->name);
      jlog_warn("renders", "%s/renders/%s: %s", b->name, it->name, msg);
      h->outcome(h->arg, b->owner_item[ow], INV_RES_FAILED, msg, NULL,
                 o->request_id, (int64_t)o->deleted, o->bytes);
    }
    else
      h->outcome(h->arg, b->owner_item[ow], INV_RES_DELETED, NULL, NULL,
                 o->request_id, (int64_t)o->deleted, o->bytes);
  }
  for(uint32_t ow = 0; ow < b->nowners; ow++)
    h->deletion_ended(h->arg);
}

static void verified(void *arg, const struct prune_list_outcome *o)
{
  struct rbucket *b = arg;
  int ok = !o->err && !render_set_group(&b->verify);
  if(ok)
    storage_of(b->rd, b->item, &b->verify);
  else
    jlog_warn("renders", "%s: cannot list it again after pruning (%s): "
              "renders that gained objects meanwhile are not told", b->name,
              o->err ? o->error : "out of memory");
  report_all(b, ok);
}

static void pruned(void *arg)
{
  struct rbucket *b = arg;
  const struct renders_host *h = &b->rd->h;
  int rc = prune_list_start(h->aws, b->region, b->name,
                            h->cfg->host_concurrency / 2, &b->verify,
                            verified, b);
  if(rc) {
    struct prune_list_outcome o = { .err = rc };
    snprintf(o.error, sizeof(o.error), "%s", jan_strerror(rc));
    verified(b, &o);
  }
}

/* Owners: the bucket's candidates; each object to the one that prunes it. */
static int assign_owners(struct renders *rd, struct rbucket *b)
{
  const struct jan_config *cfg = rd->h.cfg;
  const struct inventory *inv = rd->h.inv;
  size_t nitems = 0;

  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    if((it->kind == JAN_KIND_RENDER || it->kind == JAN_KIND_PROPS) &&
       it->decision == INV_DELETE && it->result == INV_RES_NONE &&
       !strcmp(it->bucket, b->name))
      nitems++;
  }
  b->owner = malloc((b->set.n ? b->set.n : 1) * sizeof(*b->owner));
  b->owner_item = calloc(nitems ? nitems : 1, sizeof(*b->owner_item));
  b->res = calloc(nitems ? nitems : 1, sizeof(*b->res));
  if(!b->owner || !b->owner_item || !b->res)
    return JAN_ENOMEM;
  for(size_t i = 0; i < b->set.n; i++)
    b->owner[i] = PRUNE_NO_OWNER;
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    uint32_t ow;
    /* One held at the host's gate has its result already. */
    if((it->kind != JAN_KIND_RENDER && it->kind != JAN_KIND_PROPS) ||
       it->decision != INV_DELETE || it->result != INV_RES_NONE ||
       strcmp(it->bucket, b->name))
      continue;
    ow = b->nowners++;
    b->owner_item[ow] = i;
    if(it->kind == JAN_KIND_RENDER) {
      const struct render *r = &b->set.r[it->render];
      for(size_t k = r->first; k < r->first + r->n; k++)
        if(render_obj_pruned(&b->set, r, k, cfg->renders))
          b->owner[k] = ow;
    }
    else {
      for(size_t k = 0; k < b->set.n; k++)
        if(render_props_pruned(&b->set, k, cfg, b->decided_at))
          b->owner[k] = ow;
    }
  }
  return JAN_OK;
}

void renders_delete(struct renders *rd, size_t idx)
{
  struct rbucket *b = rd ? bucket_of(rd, &rd->h.inv->items[idx]) : NULL;
  int rc;

  if(!b || b->started)
    return;                     /* counted with its bucket */
  b->started = 1;
  rc = assign_owners(rd, b);
  rd->h.deletions_started(rd->h.arg, b->nowners);
  if(!rc)
    rc = prune_delete_start(rd->h.aws, b->region, b->name,
                            rd->h.cfg->host_concurrency / 2, &b->set, b->owner,
                            b->nowners, owner_done, pruned, b);
  if(rc) {
    for(uint32_t ow = 0; ow < b->nowners; ow++) {
      struct rres *o = &b->res[ow];
      o->failed = 1;
      free(o->error);
      o->error = strdup(rc == JAN_ESCOPE ? "refused: outside the scope"
                                         : jan_strerror(rc));
    }
    report_all(b, 0);
  }
}
