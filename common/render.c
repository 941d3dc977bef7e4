/*
 * Renders inside a live bucket: grouping and the pruning decision
 * (render.h).  Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  s->max_mem = RENDER_SET_MEM_MAX;
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
    size_t cost = sizeof(*o) + strlen(v[i].key) + 1 +
                  (v[i].version_id && strcmp(v[i].version_id, vid_null)
                   ? strlen(v[i].version_id) + 1 : 0);
    if(s->mem > s->max_mem || cost > s->max_mem - s->mem)
      return JAN_ETOOBIG;
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
    o->size = o->marker || v[i].size < 0 ? 0 : v[i].size;
    if(o->marker || (o->vid && strcmp(o->vid, "null")))
      s->versioned = 1;
    /* Of unknown size: never old (its render neither). */
    o->mtime = (!o->marker && v[i].size < 0) ||
               v[i].last_modified < RENDER_TIME_MIN ? WIRE_TIME_UNKNOWN
             : v[i].last_modified;
    s->mem += cost;
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

/* Start render r at object i (id of idlen bytes after the prefix). */
static int render_open(struct render_set *s, size_t i, size_t idlen)
{
  struct render *r;
  struct render *p = realloc(s->r, (s->nr + 1) * sizeof(*p));
  if(!p)
    return JAN_ENOMEM;
  s->r = p;
  r = &s->r[s->nr];
  memset(r, 0, sizeof(*r));
  r->id = strndup(s->o[i].key + strlen(RENDERS_PREFIX), idlen);
  if(!r->id)
    return JAN_ENOMEM;
  r->first = i;
  r->oldest = INT64_MAX;
  r->newest = INT64_MIN;
  s->nr++;
  return JAN_OK;
}

static void render_account(struct render *r, const struct render_obj *o,
                           enum render_cat c)
{
  r->n++;
  r->bytes = render_bytes_add(r->bytes, o->size);
  if(c == RENDER_CAT_OUTPUTS) {
    r->outputs++;
    r->output_bytes = render_bytes_add(r->output_bytes, o->size);
  }
  if(o->mtime == WIRE_TIME_UNKNOWN) {
    r->undated = 1;             /* never old */
    return;
  }
  if(o->mtime < r->oldest)
    r->oldest = o->mtime;
  if(o->mtime > r->newest)
    r->newest = o->mtime;
}

int render_set_group(struct render_set *s)
{
  struct render *cur = NULL;

  if(s->n)
    qsort(s->o, s->n, sizeof(*s->o), obj_cmp);
  dedupe(s);
  for(size_t i = 0; i < s->n; i++) {
    size_t idlen;
    enum render_cat c = render_classify(s->o[i].key, &idlen);
    s->storage[c] = render_bytes_add(s->storage[c], s->o[i].size);
    s->bytes = render_bytes_add(s->bytes, s->o[i].size);
    if(!idlen)
      continue;
    /* Sorted: the objects of one render are adjacent. */
    if(!cur || strlen(cur->id) != idlen ||
       memcmp(cur->id, s->o[i].key + strlen(RENDERS_PREFIX), idlen)) {
      if(render_open(s, i, idlen))
        return JAN_ENOMEM;
      cur = &s->r[s->nr - 1];
    }
    render_account(cur, &s->o[i], c);
  }
  for(size_t i = 0; i < s->nr; i++)
    if(s->r[i].undated || s->r[i].oldest == INT64_MAX)
      s->r[i].oldest = s->r[i].newest = WIRE_TIME_UNKNOWN;
  return JAN_OK;
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
  int n = snprintf(out, outlen, "%s/" RENDERS_PREFIX "%s", bucket, id);
  return n < 0 || (size_t)n >= outlen ? JAN_ETOOBIG : JAN_OK;
}

/* Seconds of age for a time, or -1 when it is unknown or in the future. */
static int64_t age_of(int64_t t, int64_t now)
{
  return t == WIRE_TIME_UNKNOWN || t > now ? -1 : now - t;
}

enum inv_reason render_keep_reason(const struct render_set *s,
                                   const struct render *r,
                                   const char *bucket,
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
  render_prunable(s, r, cfg->renders, &objects, &bytes);
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
