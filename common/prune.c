/*
 * Pruning inside a live bucket (prune.h): an owner of the bulk engine
 * (s3bulk.c).  The listing goes into a render_set; the deletion hands the
 * engine the objects that have an owner (a render, the props) and turns
 * the engine's per-key answers into each owner's outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/aws_decide.h"
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
  struct render_set *set;
  struct s3bulk *bulk;
  prune_listed_cb cb;
  void *arg;
  struct prune_list_outcome o;
};

static void plist_free(struct plist *pl)
{
  s3bulk_free(pl->bulk);
  free(pl->bucket);
  free(pl);
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
    probe_done(pl, aws_response_header(r, "x-amz-version-id", vid,
                                       sizeof(vid))
                   ? RENDER_PROBE_HEADER : RENDER_PROBE_NO_HEADER);
}

static int prune_key_allowed(void *arg, const char *key);

/* Without versions, one object that pruning may delete tells whether the
 * bucket was ever versioned; without one, nothing is to be pruned. */
static void probe_start(struct plist *pl)
{
  size_t i = 0;
  int rc;

  while(i < pl->set->n && !prune_key_allowed(NULL, pl->set->o[i].key))
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

static int plist_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct plist *pl = arg;
  return render_set_add(pl->set, v, n);
}

static void plist_listed(void *arg, const struct s3bulk_list_outcome *o)
{
  struct plist *pl = arg;
  pl->o.err = o->err;
  pl->o.pages = o->pages;
  pl->o.versions = o->versions;
  snprintf(pl->o.error, sizeof(pl->o.error), "%s", o->err == JAN_ETOOBIG
           ? "the listing holds more than render pruning keeps in memory "
             "(1 GiB of keys): nothing of it is pruned" : o->error);
}

/* Nothing of the listing is out: the probe, or the outcome. */
static void plist_drained(void *arg)
{
  struct plist *pl = arg;
  s3bulk_free(pl->bulk);        /* the engine's last call: allowed */
  pl->bulk = NULL;
  if(!pl->o.err && !pl->o.versions) {
    probe_start(pl);
    return;
  }
  pl->cb(pl->arg, &pl->o);
  plist_free(pl);
}

int prune_list_start(struct aws_client *aws, const char *region,
                     const char *bucket, unsigned parallel,
                     struct render_set *set, prune_listed_cb cb, void *arg)
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
  pl->set = set;
  pl->cb = cb;
  pl->arg = arg;
  rc = s3bulk_new(aws, region, bucket, parallel, &ops, pl, &pl->bulk);
  if(!rc)
    rc = s3bulk_list(pl->bulk, 1);
  if(rc)
    plist_free(pl);
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
  int code_vid;                 /* the failed key had a version id */
  struct jbuf hidden_keys;      /* the first of them, escaped, for the
                                   outcome's message */
  int reported;
};

/* What an owner's message lists of its hidden keys. */
#define PRUNE_HIDDEN_LIST_MAX 2048u

struct pdel {
  char *bucket;
  struct s3bulk *bulk;
  const struct render_set *set;
  const uint32_t *owner;
  struct pown *own;
  uint32_t nowners;
  size_t next;                  /* next object to hand to the engine */
  char msg[512];                /* the first per-key message */
  char request_id[128];
  prune_owner_cb owner_cb;
  prune_done_cb done_cb;
  void *arg;
  int stopped;                  /* a delete marker was added: nothing more
                                   is sent in this bucket */
};

/* The version id to delete: in a versioned bucket each version goes, so
 * that its bytes are reclaimed; otherwise the key alone. */
static char *vid_of(const struct pdel *d, size_t i)
{
  return d->set->versioned ? d->set->o[i].vid : NULL;
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
    char hint[256];
    snprintf(o.error, sizeof(o.error), "%llu object%s could not be deleted: "
             "%s%s%s%s%s", (unsigned long long)p->failed,
             p->failed == 1 ? "" : "s", p->code, d->msg[0] ? " (" : "",
             d->msg, d->msg[0] ? ")" : "",
             s3bulk_key_hint(p->code, p->code_vid, hint, sizeof(hint)));
    snprintf(o.code, sizeof(o.code), "%s", p->code);
  }
  snprintf(o.request_id, sizeof(o.request_id), "%s", d->request_id);
  jbuf_free(&p->hidden_keys);
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
  if(!jbuf_printf(&p->hidden_keys, "%s\"%s\"",
                  p->hidden_keys.len ? ", " : "", esc))
    p->listed++;
  p->hidden++;
  p->failed++;
}

/* The engine's answer for object k->tag of the set. */
static void pdel_key(void *arg, const struct s3bulk_key *k)
{
  struct pdel *d = arg;
  size_t i = (size_t)k->tag;
  uint32_t ow = d->owner[i];
  struct pown *p = &d->own[ow];

  if(!d->request_id[0] && k->request_id[0])
    snprintf(d->request_id, sizeof(d->request_id), "%s", k->request_id);
  switch(k->result) {
  case S3BULK_KEY_DELETED:
    p->deleted++;
    p->bytes = render_bytes_add(p->bytes, d->set->o[i].size);
    break;
  case S3BULK_KEY_HIDDEN:
    key_hidden(d, p, k->key, k->marker_vid);
    break;
  case S3BULK_KEY_UNSENT:
    p->unsent++;
    p->failed++;
    break;
  case S3BULK_KEY_FAILED:
  default:
    p->failed++;
    if(!p->code[0]) {
      snprintf(p->code, sizeof(p->code), "%s", k->code);
      p->code_vid = k->vid != NULL;
    }
    if(!d->msg[0] && k->message[0])
      snprintf(d->msg, sizeof(d->msg), "%s", k->message);
    break;
  }
  p->pending--;
  owner_report(d, ow);
}

/* A key render pruning may delete: a render's object or a props object.
 * Checked once more where each request is built: sites/ and every other
 * prefix are never touched. */
static int prune_key_allowed(void *arg, const char *key)
{
  size_t idlen;
  (void)arg;
  switch(render_classify(key, &idlen)) {
  case RENDER_CAT_RENDERS:
  case RENDER_CAT_OUTPUTS:
  case RENDER_CAT_PROPS:
    return 1;
  default:
    return 0;
  }
}

/* Room in the engine: the next objects that have an owner, in key
 * order. */
static size_t pdel_refill(void *arg, size_t room)
{
  struct pdel *d = arg;
  size_t n = 0;
  while(n < room && d->next < d->set->n) {
    size_t i = d->next++;
    if(d->owner[i] == PRUNE_NO_OWNER)
      continue;
    if(s3bulk_delete(d->bulk, d->set->o[i].key, vid_of(d, i), i)) {
      d->next--;                /* again later; the engine drains first */
      break;
    }
    n++;
  }
  return n;
}

static void pdel_drained(void *arg)
{
  struct pdel *d = arg;
  /* What the engine never got (stopped, or out of memory): not sent. */
  for(; d->next < d->set->n; d->next++) {
    uint32_t ow = d->owner[d->next];
    if(ow == PRUNE_NO_OWNER)
      continue;
    d->own[ow].unsent++;
    d->own[ow].failed++;
    d->own[ow].pending--;
    owner_report(d, ow);
  }
  d->done_cb(d->arg);
  for(uint32_t ow = 0; ow < d->nowners; ow++)
    jbuf_free(&d->own[ow].hidden_keys);
  s3bulk_free(d->bulk);         /* the engine's last call: allowed */
  free(d->own);
  free(d->bucket);
  free(d);
}

int prune_delete_start(struct aws_client *aws, const char *region,
                       const char *bucket, unsigned parallel,
                       const struct render_set *set, const uint32_t *owner,
                       uint32_t nowners, prune_owner_cb owner_cb,
                       prune_done_cb done_cb, void *arg)
{
  const struct s3bulk_ops ops = { .key_done = pdel_key,
                                  .refill = pdel_refill,
                                  .may_delete = prune_key_allowed,
                                  .drained = pdel_drained };
  struct pdel *d;
  int rc = names_guard("a render pruning", JAN_KIND_BUCKET, bucket);

  if(rc)
    return rc;
  for(size_t i = 0; i < set->n; i++)
    if(owner[i] != PRUNE_NO_OWNER && owner[i] >= nowners)
      return JAN_EINVAL;
  d = calloc(1, sizeof(*d));
  if(!d)
    return JAN_ENOMEM;
  d->own = calloc(nowners ? nowners : 1, sizeof(*d->own));
  d->bucket = strdup(bucket);
  rc = !d->own || !d->bucket ? JAN_ENOMEM
     : s3bulk_new(aws, region, bucket, parallel, &ops, d, &d->bulk);
  if(rc) {
    free(d->own);
    free(d->bucket);
    free(d);
    return rc;
  }
  d->set = set;
  d->owner = owner;
  d->nowners = nowners;
  d->owner_cb = owner_cb;
  d->done_cb = done_cb;
  d->arg = arg;
  for(uint32_t ow = 0; ow < nowners; ow++)
    jbuf_init(&d->own[ow].hidden_keys, PRUNE_HIDDEN_LIST_MAX);
  for(size_t i = 0; i < set->n; i++)
    if(owner[i] != PRUNE_NO_OWNER)
      d->own[owner[i]].pending++;
  s3bulk_kick(d->bulk);
  return JAN_OK;
}
