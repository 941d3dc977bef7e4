/*
 * Renders inside a live bucket: grouping and the pruning decision
 * (render.h).  Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/buf.h"
#include "janitor/err.h"
#include "janitor/render.h"
#include "janitor/scope.h"

#define RENDERS_PREFIX "renders/"
#define OUTPUT_PREFIX  "out."

static const char *const props_prefixes[] = {
  "input-props/", "resolved-props/", "default-props/"
};

const char *render_cat_name(enum render_cat c)
{
  switch(c) {
  case RENDER_CAT_RENDERS: return "renders";
  case RENDER_CAT_OUTPUTS: return "outputs";
  case RENDER_CAT_SITES: return "sites";
  case RENDER_CAT_PROPS: return "props";
  default: return "other";
  }
}

static int has_prefix(const char *s, const char *p)
{
  return !strncmp(s, p, strlen(p));
}

enum render_cat render_classify(const char *key, size_t *idlen)
{
  *idlen = 0;
  if(has_prefix(key, RENDERS_PREFIX)) {
    const char *id = key + strlen(RENDERS_PREFIX);
    const char *slash = strchr(id, '/');
    if(slash && slash > id && slash[1]) {
      const char *rest = slash + 1;
      *idlen = (size_t)(slash - id);
      return has_prefix(rest, OUTPUT_PREFIX) && !strchr(rest, '/')
             ? RENDER_CAT_OUTPUTS : RENDER_CAT_RENDERS;
    }
    return RENDER_CAT_OTHER;
  }
  if(has_prefix(key, "sites/"))
    return RENDER_CAT_SITES;
  for(size_t i = 0; i < sizeof(props_prefixes) / sizeof(*props_prefixes); i++)
    if(has_prefix(key, props_prefixes[i]))
      return RENDER_CAT_PROPS;
  return RENDER_CAT_OTHER;
}

void render_set_init(struct render_set *s)
{
  memset(s, 0, sizeof(*s));
}

/* An entry as grouped: markers and entries of unknown size weigh 0; an
 * entry of unknown size, or dated before S3, is never old. */
static void obj_norm(const struct wire_object *v, int64_t *size,
                     int64_t *mtime)
{
  *size = v->delete_marker || v->size < 0 ? 0 : v->size;
  *mtime = (!v->delete_marker && v->size < 0) ||
           v->last_modified < RENDER_TIME_MIN ? WIRE_TIME_UNKNOWN
         : v->last_modified;
}

static int entry_versioned(const struct wire_object *v)
{
  return v->delete_marker || (v->version_id && strcmp(v->version_id, "null"));
}

/* The version id of every object of a bucket never versioned: one shared
 * copy (a million objects would hold a million 32-byte copies of it). */
static char vid_null[] = "null";

static char *vid_dup(const char *v)
{
  return !v ? NULL : !strcmp(v, vid_null) ? vid_null : strdup(v);
}

static void vid_free(char *v)
{
  if(v != vid_null)
    free(v);
}

void render_set_free(struct render_set *s)
{
  for(size_t i = 0; i < s->n; i++) {
    free(s->o[i].key);
    vid_free(s->o[i].vid);
  }
  for(size_t i = 0; i < s->nr; i++)
    free(s->r[i].id);
  free(s->o);
  free(s->r);
  render_set_init(s);
}

int render_set_add(struct render_set *s, const struct wire_object *v,
                   size_t n)
{
  for(size_t i = 0; i < n; i++) {
    struct render_obj *o;
    if(s->n == s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 1024;
      struct render_obj *p = realloc(s->o, cap * sizeof(*p));
      if(!p)
        return JAN_ENOMEM;
      s->o = p;
      s->cap = cap;
    }
    o = &s->o[s->n];
    o->key = strdup(v[i].key);
    o->vid = vid_dup(v[i].version_id);
    if(!o->key || (v[i].version_id && !o->vid)) {
      free(o->key);
      vid_free(o->vid);
      return JAN_ENOMEM;
    }
    o->marker = v[i].delete_marker;
    /* Of unknown size: never old (its render neither). */
    obj_norm(&v[i], &o->size, &o->mtime);
    if(entry_versioned(&v[i]))
      s->versioned = 1;
    s->n++;
  }
  return JAN_OK;
}

static int vid_cmp(const char *a, const char *b)
{
  return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b);
}

/* strcmp compares as unsigned char: S3's UTF-8 binary order. */
static int obj_cmp(const void *a, const void *b)
{
  const struct render_obj *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : vid_cmp(x->vid, y->vid);
}

/* The younger of two dates of one entry; an unknown date (never old)
 * counts as the youngest. */
int64_t render_younger(int64_t a, int64_t b)
{
  if(a == WIRE_TIME_UNKNOWN || b == WIRE_TIME_UNKNOWN)
    return WIRE_TIME_UNKNOWN;
  return a > b ? a : b;
}

/* An entry (key, version) listed twice is one object, counted once, with
 * the younger of its dates: whichever copy came first, a listing that
 * contradicts itself never makes anything older. */
static void dedupe(struct render_set *s)
{
  size_t w = 0;
  for(size_t i = 0; i < s->n; i++) {
    if(w && !obj_cmp(&s->o[w - 1], &s->o[i])) {
      struct render_obj *k = &s->o[w - 1];
      k->mtime = render_younger(k->mtime, s->o[i].mtime);
      free(s->o[i].key);
      vid_free(s->o[i].vid);
      continue;
    }
    s->o[w++] = s->o[i];
  }
  s->n = w;
}

/* An entry's date in a render's summary. */
static void render_date(struct render *r, int64_t mtime)
{
  if(mtime == WIRE_TIME_UNKNOWN) {
    r->undated = 1;             /* never old */
    return;
  }
  if(mtime < r->oldest)
    r->oldest = mtime;
  if(mtime > r->newest)
    r->newest = mtime;
}

static void render_account(struct render *r, int64_t size, int64_t mtime,
                           enum render_cat c)
{
  r->n++;
  r->bytes = render_bytes_add(r->bytes, size);
  if(c == RENDER_CAT_OUTPUTS) {
    r->outputs++;
    r->output_bytes = render_bytes_add(r->output_bytes, size);
  }
  render_date(r, mtime);
}

/* A summary's dates as told: unknown when an object had none. */
static void render_seal(struct render *r)
{
  if(r->undated || r->oldest == INT64_MAX)
    r->oldest = r->newest = WIRE_TIME_UNKNOWN;
}

/* The first object of render r in the sorted set: its key is the first
 * above "renders/ID/". */
static size_t set_first(const struct render_set *s, const char *id)
{
  size_t lo = 0, hi = s->n, il = strlen(id), pl = strlen(RENDERS_PREFIX);
  while(lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *k = s->o[mid].key;
    int c = strncmp(k, RENDERS_PREFIX, pl);
    if(!c)
      c = strncmp(k + pl, id, il);
    if(!c)
      c = (unsigned char)k[pl + il] < '/' ? -1 : 0;
    if(c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* "renders/<id>/" itself (any of its versions) is no render's object
   * (render_classify()): the render starts after it. */
  while(lo < s->n && !strncmp(s->o[lo].key, RENDERS_PREFIX, pl) &&
        !strncmp(s->o[lo].key + pl, id, il) &&
        s->o[lo].key[pl + il] == '/' && s->o[lo].key[pl + il + 1] == '\0')
    lo++;
  return lo;
}

static int set_render(void *arg, const struct render *r)
{
  struct render_set *s = arg;
  struct render *p = realloc(s->r, (s->nr + 1) * sizeof(*p));
  if(!p)
    return JAN_ENOMEM;
  s->r = p;
  p = &s->r[s->nr];
  *p = *r;
  if(!(p->id = strdup(r->id)))
    return JAN_ENOMEM;
  p->first = set_first(s, p->id);
  s->nr++;
  return JAN_OK;
}

static int first_cmp(const void *a, const void *b)
{
  const struct render *x = a, *y = b;
  return (x->first > y->first) - (x->first < y->first);
}

/* The set, sorted and without duplicates, grouped by the one mechanism:
 * a stream of one chain. */
int render_set_group(struct render_set *s)
{
  const struct render_stream_ops ops = { .render = set_render };
  struct render_stream st;
  int rc = JAN_OK;

  if(s->n)
    qsort(s->o, s->n, sizeof(*s->o), obj_cmp);
  dedupe(s);
  render_stream_init(&st, &ops, s);
  for(size_t i = 0; i < s->n && !rc; i++) {
    struct wire_object w = {
      .key = s->o[i].key, .version_id = s->o[i].vid,
      .delete_marker = s->o[i].marker, .last_modified = s->o[i].mtime,
      .size = s->o[i].size
    };
    rc = render_stream_add(&st, 0, &w, 1);
  }
  if(!rc)
    rc = render_stream_end(&st);
  if(!rc) {
    memcpy(s->storage, st.storage, sizeof(s->storage));
    s->bytes = st.bytes;
    if(s->nr)
      qsort(s->r, s->nr, sizeof(*s->r), first_cmp);
  }
  render_stream_free(&st);
  return rc ? JAN_ENOMEM : JAN_OK;
}

int render_obj_pruned(const struct render_set *s, const struct render *r,
                      size_t i, enum jan_renders mode)
{
  size_t idlen;
  if(mode == JAN_RENDERS_KEEP || i < r->first || i >= r->first + r->n)
    return 0;
  if(mode == JAN_RENDERS_ALL)
    return 1;
  return render_classify(s->o[i].key, &idlen) != RENDER_CAT_OUTPUTS;
}

void render_prunable(const struct render_set *s, const struct render *r,
                     enum jan_renders mode, size_t *objects, int64_t *bytes)
{
  *objects = 0;
  *bytes = 0;
  for(size_t i = r->first; i < r->first + r->n; i++)
    if(render_obj_pruned(s, r, i, mode)) {
      (*objects)++;
      *bytes = render_bytes_add(*bytes, s->o[i].size);
    }
}

int render_glob_subject(const char *bucket, const char *id, char *out,
                        size_t outlen)
{
  /* Once a render a pass: put together, not printed. */
  static const char mid[] = "/" RENDERS_PREFIX;
  size_t b = strlen(bucket), m = sizeof(mid) - 1, i = strlen(id);
  if(b + m + i >= outlen)
    return JAN_ETOOBIG;
  memcpy(out, bucket, b);
  memcpy(out + b, mid, m);
  memcpy(out + b + m, id, i + 1);
  return JAN_OK;
}

/* Seconds of age for a time, or -1 when it is unknown or in the future. */
static int64_t age_of(int64_t t, int64_t now)
{
  return t == WIRE_TIME_UNKNOWN || t > now ? -1 : now - t;
}

void render_sum_prunable(const struct render *r, enum jan_renders mode,
                         size_t *objects, int64_t *bytes)
{
  *objects = 0;
  *bytes = 0;
  if(mode == JAN_RENDERS_ALL) {
    *objects = r->n;
    *bytes = r->bytes;
  }
  else if(mode == JAN_RENDERS_ARTIFACTS) {
    *objects = r->n - r->outputs;
    /* Saturated sums do not subtract: the figure stays saturated. */
    *bytes = r->bytes == INT64_MAX ? INT64_MAX : r->bytes - r->output_bytes;
  }
}

enum inv_reason render_keep_reason(const struct render_set *s,
                                   const struct render *r,
                                   const char *bucket,
                                   const struct jan_config *cfg, int64_t now)
{
  (void)s;
  return render_decide(r, bucket, cfg, now);
}

enum inv_reason render_decide(const struct render *r, const char *bucket,
                              const struct jan_config *cfg, int64_t now)
{
  char subject[2048];
  int64_t age = age_of(r->newest, now);
  size_t objects;
  int64_t bytes;

  if(render_glob_subject(bucket, r->id, subject, sizeof(subject)))
    return INV_REASON_EXCLUDED;   /* cannot be named: never touched */
  for(size_t i = 0; i < cfg->nkeep; i++)
    if(scope_glob_match(cfg->keep[i], subject))
      return INV_REASON_EXCLUDED;
  if(age < 0 || (uint64_t)age < cfg->render_max_age_s)
    return INV_REASON_TOO_YOUNG;
  render_sum_prunable(r, cfg->renders, &objects, &bytes);
  if(!objects)
    return INV_REASON_NOTHING_TO_PRUNE;
  return INV_REASON_POLICY;
}

int render_props_pruned(const struct render_set *s, size_t i,
                        const struct jan_config *cfg, int64_t now)
{
  size_t idlen;
  int64_t age;
  if(cfg->renders == JAN_RENDERS_KEEP ||
     render_classify(s->o[i].key, &idlen) != RENDER_CAT_PROPS)
    return 0;
  age = age_of(s->o[i].mtime, now);
  return age >= 0 && (uint64_t)age >= cfg->render_max_age_s;
}

enum render_versioning render_versioning(enum render_probe p)
{
  /* The table of render.h; anything else reads as unknown. */
  static const enum render_versioning table[RENDER_PROBE_N] = {
    [RENDER_PROBE_NONE] = RENDER_VERSIONING_UNKNOWN,
    [RENDER_PROBE_HEADER] = RENDER_VERSIONING_ON,
    [RENDER_PROBE_NO_HEADER] = RENDER_VERSIONING_NEVER,
    [RENDER_PROBE_FAILED] = RENDER_VERSIONING_UNKNOWN,
    [RENDER_PROBE_NOT_SENT] = RENDER_VERSIONING_UNKNOWN,
  };
  return (unsigned)p < RENDER_PROBE_N ? table[p] : RENDER_VERSIONING_UNKNOWN;
}

const char *render_versioning_name(enum render_versioning v)
{
  switch(v) {
  case RENDER_VERSIONING_ON: return "versioned";
  case RENDER_VERSIONING_NEVER: return "never-versioned";
  default: return "unknown";
  }
}

/* ---- streaming (render.h) ---------------------------------------------- */

struct render_stream_chain {
  uintptr_t id;
  struct render cur;            /* the open render (cur.id NULL: none) */
  int cur_head;                 /* cur is the chain's first render */
  int seen;                     /* the chain has opened a render */
  char *lkey, *lvid;            /* its previous entry */
  size_t lkcap, lvcap;
  int has_last, lvid_set;
};

/* The categories render pruning may delete from. */
static int cat_prunable(enum render_cat c)
{
  return c == RENDER_CAT_RENDERS || c == RENDER_CAT_OUTPUTS ||
         c == RENDER_CAT_PROPS;
}

int render_key_prunable(const char *key)
{
  size_t idlen;
  return cat_prunable(render_classify(key, &idlen));
}

void render_stream_init(struct render_stream *s,
                        const struct render_stream_ops *ops, void *arg)
{
  memset(s, 0, sizeof(*s));
  s->ops = *ops;
  s->arg = arg;
}

void render_stream_free(struct render_stream *s)
{
  for(size_t i = 0; i < s->nch; i++) {
    free(s->ch[i].cur.id);
    free(s->ch[i].lkey);
    free(s->ch[i].lvid);
  }
  for(size_t i = 0; i < s->npart; i++)
    free(s->part[i].id);
  free(s->ch);
  free(s->part);
  free(s->first_pruned);
  memset(s, 0, sizeof(*s));
}

static struct render_stream_chain *stream_chain(struct render_stream *s,
                                                uintptr_t id)
{
  struct render_stream_chain *c;
  if(s->last < s->nch && s->ch[s->last].id == id)
    return &s->ch[s->last];
  for(size_t i = 0; i < s->nch; i++)
    if(s->ch[i].id == id) {
      s->last = i;
      return &s->ch[i];
    }
  if(jan_grow(&s->ch, &s->capch, s->nch, sizeof(*s->ch), 16))
    return NULL;
  c = &s->ch[s->nch];
  memset(c, 0, sizeof(*c));
  c->id = id;
  s->last = s->nch++;
  return c;
}

static int part_push(struct render_stream *s, struct render *r)
{
  if(jan_grow(&s->part, &s->cappart, s->npart, sizeof(*s->part), 16))
    return JAN_ENOMEM;
  s->part[s->npart++] = *r;
  memset(r, 0, sizeof(*r));
  return JAN_OK;
}

/* The chain passed its open render: told, or kept aside when it may have
 * begun in the range before. */
static int chain_close(struct render_stream *s, struct render_stream_chain *c)
{
  int rc;
  if(!c->cur.id)
    return JAN_OK;
  if(c->cur_head)
    return part_push(s, &c->cur);
  render_seal(&c->cur);
  rc = s->ops.render(s->arg, &c->cur);
  free(c->cur.id);
  memset(&c->cur, 0, sizeof(c->cur));
  return rc;
}

static int chain_open(struct render_stream *s, struct render_stream_chain *c,
                      const char *id, size_t idlen)
{
  int rc = chain_close(s, c);
  if(rc)
    return rc;
  c->cur.id = strndup(id, idlen);
  if(!c->cur.id)
    return JAN_ENOMEM;
  c->cur.oldest = INT64_MAX;
  c->cur.newest = INT64_MIN;
  c->cur_head = !c->seen;
  c->seen = 1;
  return JAN_OK;
}

static int buf_set(char **p, size_t *cap, const char *v)
{
  size_t n = strlen(v) + 1;
  if(n > *cap) {
    char *q = realloc(*p, n);
    if(!q)
      return JAN_ENOMEM;
    *p = q;
    *cap = n;
  }
  memcpy(*p, v, n);
  return JAN_OK;
}

/* The entry repeats the chain's previous one (same key and version):
 * prev, the entry before it in its page, or for a page's first entry the
 * one remembered from the chain's last page. */
static int chain_dup(const struct render_stream_chain *c,
                     const struct wire_object *prev,
                     const struct wire_object *v)
{
  const char *key = prev ? prev->key : c->has_last ? c->lkey : NULL;
  const char *vid = prev ? prev->version_id : c->lvid_set ? c->lvid : NULL;
  if(!key || strcmp(key, v->key))
    return 0;
  if(!vid || !v->version_id)
    return !vid && !v->version_id;
  return !strcmp(vid, v->version_id);
}

/* A page's last entry, for the chain's next page to compare with. */
static int chain_remember(struct render_stream_chain *c,
                          const struct wire_object *v)
{
  c->has_last = 0;
  if(buf_set(&c->lkey, &c->lkcap, v->key) ||
     (v->version_id && buf_set(&c->lvid, &c->lvcap, v->version_id)))
    return JAN_ENOMEM;
  c->lvid_set = v->version_id != NULL;
  c->has_last = 1;
  return JAN_OK;
}

static int stream_entry(struct render_stream *s, struct render_stream_chain *c,
                        const struct wire_object *prev,
                        const struct wire_object *v)
{
  struct wire_object o = *v;
  size_t idlen;
  enum render_cat cat = render_classify(v->key, &idlen);
  int dup = chain_dup(c, prev, v);
  int rc = JAN_OK;

  obj_norm(v, &o.size, &o.last_modified);
  if(!dup) {
    s->objects++;
    s->bytes = render_bytes_add(s->bytes, o.size);
    s->storage[cat] = render_bytes_add(s->storage[cat], o.size);
    if(entry_versioned(v))
      s->versioned = 1;
    if(cat_prunable(cat) &&
       (!s->first_pruned || strcmp(v->key, s->first_pruned) < 0)) {
      free(s->first_pruned);
      if(!(s->first_pruned = strdup(v->key)))
        return JAN_ENOMEM;
    }
  }
  if(idlen) {
    const char *id = v->key + strlen(RENDERS_PREFIX);
    if(!c->cur.id || strlen(c->cur.id) != idlen ||
       memcmp(c->cur.id, id, idlen))
      rc = chain_open(s, c, id, idlen);
    if(rc)
      return rc;
    if(dup)
      render_date(&c->cur, o.last_modified);  /* the younger decides */
    else
      render_account(&c->cur, o.size, o.last_modified, cat);
  }
  else if((rc = chain_close(s, c)) != JAN_OK)
    return rc;
  return s->ops.entry ? s->ops.entry(s->arg, &o, cat, idlen, dup) : JAN_OK;
}

int render_stream_add(struct render_stream *s, uintptr_t chain,
                      const struct wire_object *v, size_t n)
{
  struct render_stream_chain *c = stream_chain(s, chain);
  if(!c)
    return JAN_ENOMEM;
  for(size_t i = 0; i < n; i++) {
    int rc = stream_entry(s, c, i ? &v[i - 1] : NULL, &v[i]);
    if(rc)
      return rc;
  }
  return n ? chain_remember(c, &v[n - 1]) : JAN_OK;
}

static int part_cmp(const void *a, const void *b)
{
  return strcmp(((const struct render *)a)->id,
                ((const struct render *)b)->id);
}

/* Two pieces of one render from adjacent ranges. */
static void render_merge(struct render *into, const struct render *r)
{
  into->n += r->n;
  into->bytes = render_bytes_add(into->bytes, r->bytes);
  into->outputs += r->outputs;
  into->output_bytes = render_bytes_add(into->output_bytes, r->output_bytes);
  into->undated |= r->undated;
  if(r->oldest < into->oldest)
    into->oldest = r->oldest;
  if(r->newest > into->newest)
    into->newest = r->newest;
}

int render_stream_end(struct render_stream *s)
{
  int rc = JAN_OK;
  size_t i = 0;

  for(size_t k = 0; k < s->nch; k++)
    if(s->ch[k].cur.id && (rc = part_push(s, &s->ch[k].cur)) != JAN_OK)
      return rc;
  if(s->npart)
    qsort(s->part, s->npart, sizeof(*s->part), part_cmp);
  while(i < s->npart && !rc) {
    struct render *r = &s->part[i];
    size_t j = i + 1;
    for(; j < s->npart && !strcmp(s->part[j].id, r->id); j++)
      render_merge(r, &s->part[j]);
    render_seal(r);
    rc = s->ops.render(s->arg, r);
    i = j;
  }
  for(size_t k = 0; k < s->npart; k++)
    free(s->part[k].id);
  s->npart = 0;
  return rc;
}

/* ---- the deletion's plan (render.h) ------------------------------------ */

static int pick_cmp(const void *a, const void *b)
{
  return strcmp(((const struct render_pick *)a)->id,
                ((const struct render_pick *)b)->id);
}

void render_picks_sort(struct render_pick *p, size_t n)
{
  if(n)
    qsort(p, n, sizeof(*p), pick_cmp);
}

/* An id of idlen bytes against a string, in strcmp's order. */
static int id_cmp(const char *id, size_t idlen, const char *s)
{
  size_t sl = strlen(s);
  int c = memcmp(id, s, idlen < sl ? idlen : sl);
  return c ? c : (idlen > sl) - (idlen < sl);
}

const struct render_pick *render_pick_find(const struct render_plan *pl,
                                           const char *id, size_t idlen)
{
  size_t lo = 0, hi = pl->npicks;
  while(lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = id_cmp(id, idlen, pl->picks[mid].id);
    if(!c)
      return &pl->picks[mid];
    if(c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

enum render_act render_act(const struct render_plan *pl,
                           const struct wire_object *o, enum render_cat c,
                           size_t idlen, uint32_t *owner)
{
  const struct render_pick *p = idlen && c != RENDER_CAT_PROPS
    ? render_pick_find(pl, o->key + strlen(RENDERS_PREFIX), idlen) : NULL;
  return render_act_with(pl, p, o, c, idlen, owner);
}

enum render_act render_act_with(const struct render_plan *pl,
                                const struct render_pick *p,
                                const struct wire_object *o,
                                enum render_cat c, size_t idlen,
                                uint32_t *owner)
{
  int64_t age;

  if(pl->mode == JAN_RENDERS_KEEP)
    return RENDER_ACT_NONE;
  if(c == RENDER_CAT_PROPS) {
    age = age_of(o->last_modified, pl->decided_at);
    if(pl->props_owner == RENDER_NO_OWNER || age < 0 ||
       (uint64_t)age < pl->max_age_s)
      return RENDER_ACT_NONE;
    *owner = pl->props_owner;
    return RENDER_ACT_DELETE;
  }
  if(!idlen || (c == RENDER_CAT_OUTPUTS && pl->mode != JAN_RENDERS_ALL))
    return RENDER_ACT_NONE;
  if(!p)
    return RENDER_ACT_NONE;
  *owner = p->owner;
  return o->last_modified != WIRE_TIME_UNKNOWN &&
         o->last_modified <= p->newest ? RENDER_ACT_DELETE
                                       : RENDER_ACT_APPEARED;
}
