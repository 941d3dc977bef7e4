/*
 * Renders and storage (renders.h).  The decisions are render.c's; the
 * requests prune.c's; this file only ties them to the host's inventory,
 * grace clocks and outcomes (struct renders_host: the sweep's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/buf.h"
#include "janitor/log.h"
#include "janitor/perms.h"
#include "janitor/policy.h"
#include "janitor/prune.h"
#include "janitor/render.h"
#include "renders.h"

/* One kept bucket, listed. */
struct rbucket {
  struct renders *rd;
  size_t item;                  /* the bucket's inventory item */
  char *name;
  char region[32];
  int prunable;                 /* its renders and props may be pruned */
  int listed;                   /* 1 listed, -1 the listing failed */
  int hidden;                   /* versioned, and versions not listable:
                                   a delete would reclaim nothing */
  int versions;                 /* listed with ListObjectVersions */
  int versioned;                /* a version other than "null" listed */
  int relist_versions;          /* the deleting pass lists versions: only
                                   where there are some
                                   (ListObjectsV2 answers the same keys in
                                   a third less XML) */
  int64_t decided_at;           /* the clock its decisions were made at:
                                   the deletion prunes what they chose */
  /* Props candidates, until they become an item. */
  int64_t pobjects, pbytes, poldest, pnewest;
  /* The deletion. */
  int started;
  struct render_plan plan;
  struct render_pick *picks;
  uint64_t *expected;           /* per owner: objects decided */
  size_t *owner_item;           /* per owner: its inventory item */
  uint32_t nowners;
  char **seed;                  /* the first listing's ranges, for the
                                   next ones (prune.h) */
  size_t nseed;
  uint64_t hidden_keys;         /* keys a delete marker now hides, all
                                   owners */
};

struct renders {
  struct renders_host h;        /* the caller's */
  struct rbucket *b;
  size_t n;
  size_t first;                 /* the inventory's first render or props
                                   item: those after it are this phase's */
  size_t pending;               /* listings out */
  size_t failed;                /* listings that failed */
  char message[512];            /* about the first */
};

static void rbucket_free(struct rbucket *b)
{
  free(b->picks);
  free(b->expected);
  free(b->owner_item);
  for(size_t i = 0; i < b->nseed; i++)
    free(b->seed[i]);
  free(b->seed);
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
  struct inv_item *it = inventory_add(rd->h.inv, kind, b->region, name,
                                      NULL, 0, created);
  if(it)                        /* its ARN is computed: inv_item_arn() */
    it->bucket = rd->h.inv->items[b->item].name;
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

/* This phase's items in the order of their buckets (as the inventory
 * sorts buckets: region, name), each bucket's renders by id, then its
 * props. */
static int phase_cmp(const struct inv_item *x, const struct inv_item *y)
{
  int c = strcmp(x->region, y->region);
  if(!c)
    c = strcmp(x->bucket, y->bucket);
  if(!c)
    c = (x->kind == JAN_KIND_PROPS) - (y->kind == JAN_KIND_PROPS);
  return c ? c : strcmp(x->name, y->name);
}

/* The bucket's props become an item. */
static int add_props(struct renders *rd, struct rbucket *b)
{
  struct inv_item *it;
  if(!b->pobjects)
    return JAN_OK;
  if(!(it = add_item(rd, b, JAN_KIND_PROPS, b->name, b->poldest)))
    return JAN_ENOMEM;
  it->newest = b->pnewest;
  it->objects = b->pobjects;
  it->bytes = b->pbytes;
  it->why = INV_REASON_POLICY;  /* decided at the phase's end */
  return JAN_OK;
}

/* A render of a listed bucket: an item at once (never its objects), with
 * render.c's reason; decided like every item once every listing is back
 * (phase_end). */
static int on_render(void *arg, const struct render *r)
{
  struct rbucket *b = arg;
  const struct jan_config *cfg = b->rd->h.cfg;
  struct inv_item *it;
  size_t objects;

  if(!b->prunable)
    return JAN_OK;              /* its storage only */
  it = add_item(b->rd, b, JAN_KIND_RENDER, r->id,
                r->oldest == WIRE_TIME_UNKNOWN ? -1 : r->oldest);
  if(!it)
    return JAN_ENOMEM;
  render_sum_prunable(r, cfg->renders, &objects, &it->bytes);
  it->objects = (int64_t)objects;
  it->newest = r->newest == WIRE_TIME_UNKNOWN ? -1 : r->newest;
  it->why = render_decide(r, b->name, cfg, b->decided_at);
  return JAN_OK;
}

/* The plan that decides props alone, by their own age. */
static void props_plan(const struct rbucket *b, struct render_plan *pl)
{
  memset(pl, 0, sizeof(*pl));
  pl->props_owner = 0;
  pl->mode = b->rd->h.cfg->renders;
  pl->max_age_s = b->rd->h.cfg->render_max_age_s;
  pl->decided_at = b->decided_at;
}

/* Each listed entry: props candidates are counted. */
static int on_entry(void *arg, const struct wire_object *o,
                    enum render_cat c, size_t idlen, int dup)
{
  struct rbucket *b = arg;
  struct render_plan pl;
  uint32_t ow;

  if(!b->prunable || dup || c != RENDER_CAT_PROPS)
    return JAN_OK;
  props_plan(b, &pl);
  if(render_act(&pl, o, c, idlen, &ow) != RENDER_ACT_DELETE)
    return JAN_OK;
  if(!b->pobjects)
    b->poldest = b->pnewest = o->last_modified;
  b->pobjects++;
  b->pbytes = render_bytes_add(b->pbytes, o->size);
  b->poldest = o->last_modified < b->poldest ? o->last_modified : b->poldest;
  b->pnewest = o->last_modified > b->pnewest ? o->last_modified : b->pnewest;
  return JAN_OK;
}

/* The bucket's figures: as listed (after its pruning, where it
 * was pruned). */
static void storage_of(struct renders *rd, size_t item,
                       const struct prune_list_outcome *o)
{
  struct inv_item *it = &rd->h.inv->items[item];
  it->objects = (int64_t)o->objects;
  it->bytes = o->bytes;
  if(inv_item_set_storage(it, o->storage))
    jlog_err("renders", "%s: out of memory: no storage report", it->name);
}

static void phase_end(struct renders *rd);

static void listed(void *arg, const struct prune_list_outcome *o)
{
  struct rbucket *b = arg;
  struct renders *rd = b->rd;
  int rc = o->err;

  if(rc && !b->prunable) {
    /* The storage report only informs: its gaps fail nothing. */
    b->listed = -1;
    jlog_warn("renders", "%s: no storage report: %s", b->name, o->error);
  }
  else if(rc) {
    b->listed = -1;
    jlog_warn("renders", "%s: cannot list its renders: %s", b->name,
              o->error);
    if(!rd->failed)
      snprintf(rd->message, sizeof(rd->message), "the listing of bucket %s "
               "failed: none of its renders is pruned", b->name);
    rd->failed++;
  }
  else {
    struct inv_item *it = &rd->h.inv->items[b->item];
    b->listed = 1;
    b->versions = o->versions;
    b->versioned = o->versioned;
    b->relist_versions = o->versions && o->versioned;
    if(b->prunable && o->nseed &&
       (b->seed = calloc(o->nseed, sizeof(*b->seed))) != NULL)
      /* A copy that fails only starts the next listings unseeded. */
      for(; b->nseed < o->nseed &&
            (b->seed[b->nseed] = strdup(o->seed[b->nseed])) != NULL;
          b->nseed++)
        ;
    storage_of(rd, b->item, o);
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

/* The listed bucket of one of this phase's items (it->bucket is the
 * bucket item's own name: compared as a pointer), or NULL. */
static struct rbucket *bucket_of_item(struct renders *rd,
                                      const struct inv_item *it)
{
  for(size_t i = 0; i < rd->n; i++)
    if(rd->h.inv->items[rd->b[i].item].name == inv_item_bucket(it))
      return &rd->b[i];
  return NULL;
}

/* An item of a bucket whose renders are not decided (its listing
 * failed, or it ran out of memory): dropped. */
static int undecided(void *arg, const struct inv_item *it)
{
  const struct rbucket *x = bucket_of_item(arg, it);
  return !x || x->listed != 1 || !x->prunable;
}

/* Every listing is back: the renders of a listing that failed are
 * dropped (nothing of it is decided), the rest sorted and decided.
 * Items before rd->first are not moved: their indexes stay valid. */
static void phase_end(struct renders *rd)
{
  struct inventory *inv = rd->h.inv;

  for(size_t i = 0; i < rd->n; i++) {
    struct rbucket *x = &rd->b[i];
    if(x->listed == 1 && x->prunable && add_props(rd, x)) {
      if(!rd->failed++)
        snprintf(rd->message, sizeof(rd->message), "out of memory");
      x->prunable = 0;
    }
  }
  inventory_remove_if(inv, rd->first, undecided, rd);
  if(inventory_sort_from(inv, rd->first, phase_cmp))
    /* Unsorted they are as sound, only reported out of order. */
    jlog_warn("renders", "out of memory: renders reported unsorted");
  for(size_t i = rd->first; i < inv->n; i++) {
    struct inv_item *it = &inv->items[i];
    struct rbucket *x = bucket_of_item(rd, it);
    if(x)                       /* always: the others were dropped */
      decide(rd, x, it, it->why, x->decided_at);
  }
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
  rd->first = h->inv->n;
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
  }
  /* One extra hold, so that no listing ends the phase while they start. */
  rd->pending = rd->n + 1;
  for(size_t i = 0; i < rd->n; i++) {
    static const struct render_stream_ops ops = { .render = on_render,
                                                  .entry = on_entry };
    struct rbucket *b = &rd->b[i];
    int rc;
    b->decided_at = (int64_t)time(NULL);
    rc = prune_list_start(h->aws, b->region, b->name,
                          cfg->host_concurrency / 2, 1, 1, NULL, 0, &ops, b,
                          listed, b);
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

/* An owner's outcome, to the host (the audit log and the inventory) as
 * soon as prune.c tells it: nothing of it is kept here.  A render that
 * gained objects during its deletion (appeared: kept) is partially
 * pruned. */
static void owner_done(void *arg, const struct prune_owner_outcome *o)
{
  struct rbucket *b = arg;
  const struct renders_host *h = &b->rd->h;
  size_t idx = b->owner_item[o->owner];
  const struct inv_item *it = &h->inv->items[idx];
  uint64_t left = it->kind == JAN_KIND_RENDER && !o->failed && !o->error[0]
                ? o->appeared : 0;
  char msg[256];

  b->hidden_keys += o->hidden;
  if(o->failed || o->error[0])
    h->outcome(h->arg, idx, INV_RES_FAILED,
               o->error[0] ? o->error : "failed", o->code, o->request_id,
               (int64_t)o->deleted, o->bytes);
  else if(left) {
    snprintf(msg, sizeof(msg), "partially pruned: %llu object%s appeared "
             "under renders/%s/ during the deletion; kept for a later "
             "sweep", (unsigned long long)left, left == 1 ? "" : "s",
             it->name);
    jlog_warn("renders", "%s/renders/%s: %s", b->name, it->name, msg);
    h->outcome(h->arg, idx, INV_RES_FAILED, msg, NULL, o->request_id,
               (int64_t)o->deleted, o->bytes);
  }
  else
    h->outcome(h->arg, idx, INV_RES_DELETED, NULL, NULL, o->request_id,
               (int64_t)o->deleted, o->bytes);
}

/* Every owner is told: the bucket says what was hidden, with what would
 * settle it; then the deletions end (the sweep may end with the last). */
static void all_told(struct rbucket *b)
{
  const struct renders_host *h = &b->rd->h;
  if(b->hidden_keys) {
    struct inv_item *bi = &h->inv->items[b->item];
    char msg[512];
    snprintf(msg, sizeof(msg), "pruning stopped: DeleteObjects added delete "
             "markers over %llu key%s (versioned: hidden, not deleted, "
             "reclaimed 0); needs %s and %s to prune renders (see "
             "remotion-janitor --validate)",
             (unsigned long long)b->hidden_keys,
             b->hidden_keys == 1 ? "" : "s",
             perm_action(PERM_LIST_BUCKET_VERSIONS),
             perm_action(PERM_DELETE_OBJECT_VERSION));
    free(bi->error);
    bi->error = strdup(msg);
  }
  for(uint32_t ow = 0; ow < b->nowners; ow++)
    h->deletion_ended(h->arg);
}

/* The deletion saw the whole bucket (or as much as it listed): the
 * bucket's figures after it, with no further listing. */
static void pruned(void *arg, const struct prune_delete_outcome *o)
{
  struct rbucket *b = arg;
  struct inv_item *it = &b->rd->h.inv->items[b->item];
  uint64_t objects = it->objects > 0 ? (uint64_t)it->objects : 0;

  if(!o->whole)
    jlog_warn("renders", "%s: its listing while pruning broke off: its "
              "figures are the first listing's less what was deleted, and "
              "renders that gained objects meanwhile are told only as far "
              "as the deletion saw them", b->name);
  if(it->storage) {
    prune_storage_after(o, &objects, &it->bytes, it->storage);
    it->objects = objects > INT64_MAX ? INT64_MAX : (int64_t)objects;
  }
  all_told(b);
}

static int chosen(const struct inv_item *it, const struct rbucket *b)
{
  /* One held at the host's gate has its result already. */
  return inv_item_bucket(it) == b->rd->h.inv->items[b->item].name &&
         it->decision == INV_DELETE && it->result == INV_RES_NONE;
}

/* Owners: the bucket's candidates, and the plan that deletes for them. */
static int assign_owners(struct renders *rd, struct rbucket *b)
{
  const struct jan_config *cfg = rd->h.cfg;
  const struct inventory *inv = rd->h.inv;
  size_t nitems = 0, np = 0;

  for(size_t i = 0; i < inv->n; i++)
    if(chosen(&inv->items[i], b))
      nitems++;
  b->owner_item = calloc(nitems ? nitems : 1, sizeof(*b->owner_item));
  b->expected = calloc(nitems ? nitems : 1, sizeof(*b->expected));
  b->picks = calloc(nitems ? nitems : 1, sizeof(*b->picks));
  if(!b->owner_item || !b->expected || !b->picks)
    return JAN_ENOMEM;
  memset(&b->plan, 0, sizeof(b->plan));
  b->plan.props_owner = RENDER_NO_OWNER;
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    uint32_t ow;
    if(!chosen(it, b))
      continue;
    ow = b->nowners++;
    b->owner_item[ow] = i;
    b->expected[ow] = it->objects > 0 ? (uint64_t)it->objects : 0;
    if(it->kind == JAN_KIND_RENDER) {
      b->picks[np].id = it->name;
      b->picks[np].newest = it->newest;
      b->picks[np].owner = ow;
      np++;
    }
    else
      b->plan.props_owner = ow;
  }
  render_picks_sort(b->picks, np);
  b->plan.picks = b->picks;
  b->plan.npicks = np;
  b->plan.mode = cfg->renders;
  b->plan.max_age_s = cfg->render_max_age_s;
  b->plan.decided_at = b->decided_at;
  return JAN_OK;
}

void renders_delete(struct renders *rd, size_t idx)
{
  struct rbucket *b = rd ? bucket_of_item(rd, &rd->h.inv->items[idx]) : NULL;
  int rc;

  if(!b || b->started)
    return;                     /* counted with its bucket */
  b->started = 1;
  rc = assign_owners(rd, b);
  rd->h.deletions_started(rd->h.arg, b->nowners);
  if(!rc) {
    struct prune_delete_opts o = {
      .parallel = rd->h.cfg->host_concurrency / 2,
      .versions = b->relist_versions,
      .by_version = b->versioned, .plan = &b->plan,
      .expected = b->expected, .nowners = b->nowners,
      .seed = (const char *const *)b->seed, .nseed = b->nseed
    };
    rc = prune_delete_start(rd->h.aws, b->region, b->name, &o, owner_done,
                            pruned, b);
  }
  if(rc) {
    struct prune_owner_outcome o;
    memset(&o, 0, sizeof(o));
    o.failed = 1;
    snprintf(o.error, sizeof(o.error), "%s", rc == JAN_ESCOPE
             ? "refused: outside the scope" : jan_strerror(rc));
    for(o.owner = 0; o.owner < b->nowners; o.owner++)
      owner_done(b, &o);
    all_told(b);
  }
}
