#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/inventory.h"
#include "janitor/render.h"
#include "janitor/untrusted.h"

/* Names are packed in blocks, freed with the inventory: no allocation
 * (and no allocator's overhead) per name. */
struct inv_strblock {
  struct inv_strblock *next;
  size_t used, cap;
  char s[];
};
#define STRBLOCK_SIZE 65536u

static char *names_copy(struct inventory *inv, const char *s)
{
  size_t len = strlen(s) + 1;
  struct inv_strblock *b = inv->names;
  char *p;
  if(!b || b->cap - b->used < len) {
    size_t cap = len > STRBLOCK_SIZE / 4 ? len : STRBLOCK_SIZE;
    struct inv_strblock *nb = malloc(sizeof(*nb) + cap);
    if(!nb)
      return NULL;
    nb->used = 0;
    nb->cap = cap;
    if(b && cap == len) {       /* a long one alone: the open block stays */
      nb->next = b->next;
      b->next = nb;
    }
    else {
      nb->next = b;
      inv->names = nb;
    }
    b = nb;
  }
  p = b->s + b->used;
  memcpy(p, s, len);
  b->used += len;
  return p;
}

static void item_clear(struct inv_item *it)
{
  if(!inv_item_bucket(it))
    free(it->arn);
  if(it->kind == JAN_KIND_FUNCTION)
    free(it->remotion);
  else if(it->kind == JAN_KIND_BUCKET)
    free(it->storage);
  free(it->error);
}

void inventory_init(struct inventory *inv)
{
  memset(inv, 0, sizeof(*inv));
}

void inventory_free(struct inventory *inv)
{
  for(size_t i = 0; i < inv->n; i++)
    item_clear(&inv->items[i]);
  for(size_t i = 0; i < inv->nregions; i++)
    free(inv->regions[i].error);
  for(size_t i = 0; i < inv->ninvalid; i++)
    free(inv->invalid_names[i].name);
  free(inv->invalid_names);
  while(inv->names) {
    struct inv_strblock *b = inv->names;
    inv->names = b->next;
    free(b);
  }
  for(size_t i = 0; i < inv->nrnames; i++)
    free(inv->rnames[i]);
  free(inv->rnames);
  free(inv->items);
  free(inv->caller_arn);
  free(inv->buckets_error);
  memset(inv, 0, sizeof(*inv));
}

int inventory_add_region(struct inventory *inv, const char *region)
{
  struct inv_region *r;
  if(inventory_region(inv, region))
    return JAN_OK;
  if(inv->nregions >= JAN_MAX_REGIONS || strlen(region) >= sizeof(r->name))
    return JAN_EINVAL;
  r = &inv->regions[inv->nregions++];
  memset(r, 0, sizeof(*r));
  strcpy(r->name, region);
  return JAN_OK;
}

struct inv_region *inventory_region(struct inventory *inv, const char *name)
{
  for(size_t i = 0; i < inv->nregions; i++)
    if(!strcmp(inv->regions[i].name, name))
      return &inv->regions[i];
  return NULL;
}

/* The inventory's copy of a region's name: made once, shared by its
 * items (the last one found first: items come region by region). */
static const char *region_copy(struct inventory *inv, const char *region)
{
  char **p;
  for(size_t i = inv->nrnames; i-- > 0;)
    if(!strcmp(inv->rnames[i], region))
      return inv->rnames[i];
  p = realloc(inv->rnames, (inv->nrnames + 1) * sizeof(*p));
  if(!p)
    return NULL;
  inv->rnames = p;
  if(!(p[inv->nrnames] = strdup(region)))
    return NULL;
  return p[inv->nrnames++];
}

void inventory_remove_if(struct inventory *inv, size_t from,
                         int (*drop)(void *arg, const struct inv_item *it),
                         void *arg)
{
  size_t w = from;
  for(size_t i = from; i < inv->n; i++) {
    if(drop(arg, &inv->items[i])) {
      item_clear(&inv->items[i]);
      continue;
    }
    if(w != i)
      inv->items[w] = inv->items[i];
    w++;
  }
  inv->n = w;
}

/* Stable merge sort of the indexes x[0..n) of items (tmp: n more). */
static void index_sort(const struct inv_item *items, uint32_t *x,
                       uint32_t *tmp, size_t n,
                       int (*cmp)(const struct inv_item *a,
                                  const struct inv_item *b))
{
  for(size_t w = 1; w < n; w *= 2) {
    for(size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n;
      size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      while(i < mid && j < hi)
        tmp[k++] = cmp(&items[x[j]], &items[x[i]]) < 0 ? x[j++] : x[i++];
      while(i < mid)
        tmp[k++] = x[i++];
      while(j < hi)
        tmp[k++] = x[j++];
    }
    memcpy(x, tmp, n * sizeof(*x));
  }
}

int inventory_sort_from(struct inventory *inv, size_t from,
                        int (*cmp)(const struct inv_item *a,
                                   const struct inv_item *b))
{
  struct inv_item *a = inv->items + from;
  size_t n = inv->n > from ? inv->n - from : 0;
  uint32_t *x, *tmp;

  if(n < 2)
    return JAN_OK;
  if(n > UINT32_MAX)
    return JAN_ENOMEM;
  x = malloc(n * sizeof(*x));
  tmp = malloc(n * sizeof(*tmp));
  if(!x || !tmp) {
    free(x);
    free(tmp);
    return JAN_ENOMEM;
  }
  for(size_t i = 0; i < n; i++)
    x[i] = (uint32_t)i;
  index_sort(a, x, tmp, n, cmp);
  free(tmp);
  /* Position k takes item x[k]: each cycle of the permutation is walked
   * once, with one item aside; a placed position is marked x[k] = k. */
  for(size_t k = 0; k < n; k++) {
    struct inv_item aside;
    size_t j = k;
    if(x[k] == k)
      continue;
    aside = a[k];
    for(;;) {
      size_t src = x[j];
      x[j] = (uint32_t)j;
      if(src == k) {
        a[j] = aside;
        break;
      }
      a[j] = a[src];
      j = src;
    }
  }
  free(x);
  return JAN_OK;
}

int inv_item_set_storage(struct inv_item *it, const int64_t *storage)
{
  if(it->kind != JAN_KIND_BUCKET)
    return JAN_EINVAL;
  if(!it->storage &&
     !(it->storage = malloc(RENDER_CAT_N * sizeof(*it->storage))))
    return JAN_ENOMEM;
  memcpy(it->storage, storage, RENDER_CAT_N * sizeof(*it->storage));
  return JAN_OK;
}

struct inv_item *inventory_add(struct inventory *inv, enum jan_kind kind,
                               const char *region, const char *name,
                               const char *arn, int64_t version,
                               int64_t created)
{
  struct inv_item *it;
  const char *reg;
  if(arn && (kind == JAN_KIND_RENDER || kind == JAN_KIND_PROPS))
    return NULL;                /* theirs is computed: inv_item_arn() */
  if(strlen(region) >= sizeof(inv->regions[0].name) ||
     !(reg = region_copy(inv, region)))
    return NULL;
  if(inv->n == inv->cap) {
    size_t cap = inv->cap ? inv->cap * 2 : 256;
    struct inv_item *p = realloc(inv->items, cap * sizeof(*p));
    if(!p)
      return NULL;
    inv->items = p;
    inv->cap = cap;
  }
  it = &inv->items[inv->n];
  memset(it, 0, sizeof(*it));
  it->kind = kind;
  it->region = reg;
  it->name = names_copy(inv, name);
  if(!arn && kind == JAN_KIND_BUCKET) {
    /* S3 answers no ARN; a bucket's is its name in the global partition. */
    struct jbuf a;
    jbuf_init(&a, JAN_MSG_MAX);
    if(!jbuf_addstr(&a, "arn:aws:s3:::") && !jbuf_addstr(&a, name))
      it->arn = jbuf_take(&a);
    jbuf_free(&a);
    arn = it->arn ? it->arn : "";
  }
  else
    it->arn = arn ? strdup(arn) : NULL;
  if(!it->name || (arn && !it->arn)) {
    free(it->arn);              /* a name copied stays in its block */
    return NULL;
  }
  /* Another kind's is 0: for renders and props, nothing reclaimed yet. */
  it->version = kind == JAN_KIND_LAYER ? version : 0;
  if(kind == JAN_KIND_RENDER || kind == JAN_KIND_PROPS)
    it->newest = -1;
  it->created = created;
  it->objects = -1;
  it->bytes = -1;
  inv->n++;
  return it;
}

void inventory_mark_incomplete(struct inventory *inv, const char *region,
                               enum jan_kind kind, const char *error)
{
  struct inv_region *r = inventory_region(inv, region);
  if(kind == JAN_KIND_BUCKET) {
    inv->buckets_incomplete = 1;
    if(!inv->buckets_error && error)
      inv->buckets_error = strdup(error);
  }
  if(!r)
    return;
  r->status = INV_REGION_INCOMPLETE;
  r->incomplete |= INV_KIND_BIT(kind);
  if(!r->error && error)
    r->error = strdup(error);
}

void inventory_mark_not_permitted(struct inventory *inv, const char *region,
                                  enum jan_kind kind, const char *action)
{
  struct inv_region *r = inventory_region(inv, region);
  if(!r)
    return;
  r->not_permitted |= INV_KIND_BIT(kind);
  if(!r->denied)
    r->denied = action;
}

int inventory_kind_not_permitted(const struct inventory *inv,
                                 const char *region, enum jan_kind kind)
{
  for(size_t i = 0; i < inv->nregions; i++)
    if(!strcmp(inv->regions[i].name, region))
      return (inv->regions[i].not_permitted & INV_KIND_BIT(kind)) != 0;
  return 0;
}

int inventory_kind_incomplete(const struct inventory *inv, const char *region,
                              enum jan_kind kind)
{
  if(kind == JAN_KIND_BUCKET && inv->buckets_incomplete)
    return 1;
  for(size_t i = 0; i < inv->nregions; i++)
    if(!strcmp(inv->regions[i].name, region))
      return (inv->regions[i].incomplete & INV_KIND_BIT(kind)) != 0;
  return 0;
}

static int item_cmp(const void *a, const void *b)
{
  const struct inv_item *x = a, *y = b;
  int c;
  /* Functions, their log groups, layer versions, buckets; by region,
   * name. */
  static const int order[JAN_KIND_N] = {
    [JAN_KIND_FUNCTION] = 0, [JAN_KIND_LOG_GROUP] = 1, [JAN_KIND_LAYER] = 2,
    [JAN_KIND_BUCKET] = 3, [JAN_KIND_RENDER] = 4, [JAN_KIND_PROPS] = 5
  };
  if(x->kind != y->kind)
    return order[x->kind] - order[y->kind];
  c = strcmp(x->region, y->region);
  if(c)
    return c;
  c = strcmp(x->name, y->name);
  if(c)
    return c;
  return inv_item_version(x) < inv_item_version(y) ? -1
       : inv_item_version(x) > inv_item_version(y);
}

void inventory_sort(struct inventory *inv)
{
  if(inv->n)
    qsort(inv->items, inv->n, sizeof(*inv->items), item_cmp);
}

struct inv_item *inventory_find(const struct inventory *inv,
                                enum jan_kind kind, const char *region,
                                const char *name)
{
  struct inv_item key;
  size_t lo = 0, hi = inv->n;

  memset(&key, 0, sizeof(key));
  key.kind = kind;
  key.region = region;
  key.name = (char *)(uintptr_t)name;
  key.version = INT64_MIN;
  /* The first item not before the key. */
  while(lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if(item_cmp(&inv->items[mid], &key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if(lo < inv->n && inv->items[lo].kind == kind &&
     !strcmp(inv->items[lo].region, region) &&
     !strcmp(inv->items[lo].name, name))
    return &inv->items[lo];
  return NULL;
}

/* Kind, name, version, then region: the duplicates of one are adjacent. */
static int dup_cmp(const void *a, const void *b)
{
  const struct inv_item *x = a, *y = b;
  int c;
  if(x->kind != y->kind)
    return (int)x->kind - (int)y->kind;
  c = strcmp(x->name, y->name);
  if(c)
    return c;
  if(inv_item_version(x) != inv_item_version(y))
    return inv_item_version(x) < inv_item_version(y) ? -1 : 1;
  return strcmp(x->region, y->region);
}

static int same_resource(const struct inv_item *x, const struct inv_item *y)
{
  return x->kind == y->kind && !strcmp(x->name, y->name) &&
         inv_item_version(x) == inv_item_version(y) &&
         (x->kind == JAN_KIND_BUCKET || !strcmp(x->region, y->region));
}

size_t inventory_dedupe(struct inventory *inv)
{
  size_t w = 0, dropped = 0;

  if(inv->n)
    qsort(inv->items, inv->n, sizeof(*inv->items), dup_cmp);
  for(size_t i = 0; i < inv->n; i++) {
    struct inv_item *it = &inv->items[i];
    if(w && same_resource(&inv->items[w - 1], it)) {
      if(strcmp(inv->items[w - 1].region, it->region)) {
        const char *msg = "ListBuckets: the service listed one bucket in "
                          "two regions";
        inventory_mark_incomplete(inv, inv->items[w - 1].region,
                                  JAN_KIND_BUCKET, msg);
        inventory_mark_incomplete(inv, it->region, JAN_KIND_BUCKET, msg);
      }
      item_clear(it);
      dropped++;
      continue;
    }
    inv->items[w++] = *it;
  }
  inv->n = w;
  inventory_sort(inv);
  return dropped;
}

int inventory_add_invalid(struct inventory *inv, enum jan_kind kind,
                          const char *region, const char *name)
{
  struct inv_invalid *v;

  for(size_t i = 0; i < inv->ninvalid; i++) {
    v = &inv->invalid_names[i];
    if(v->kind == kind && !strcmp(v->name, name) &&
       (kind == JAN_KIND_BUCKET || !strcmp(v->region, region)))
      return 0;
  }
  inv->invalid[kind]++;
  if(inv->ninvalid >= INV_MAX_INVALID || strlen(region) >= sizeof(v->region))
    return 1;
  v = realloc(inv->invalid_names,
              (inv->ninvalid + 1) * sizeof(*inv->invalid_names));
  if(!v)
    return 1;
  inv->invalid_names = v;
  v = &v[inv->ninvalid];
  v->kind = kind;
  strcpy(v->region, region);
  if(!(v->name = strdup(name)))
    return 1;
  inv->ninvalid++;
  return 1;
}

const char *inv_status_name(enum inv_status s)
{
  return s == INV_REGION_OK ? "ok"
       : s == INV_REGION_DISABLED ? "disabled" : "incomplete";
}

const char *inv_decision_name(enum inv_decision d)
{
  return d == INV_DELETE ? "delete" : "keep";
}

const char *inv_reason_name(enum inv_reason r)
{
  static const char *const names[INV_REASON_N] = {
    [INV_REASON_POLICY] = "policy",
    [INV_REASON_EXCLUDED] = "excluded",
    [INV_REASON_NOT_INCLUDED] = "not-included",
    [INV_REASON_KIND_DISABLED] = "kind-disabled",
    [INV_REASON_REGION_INCOMPLETE] = "region-incomplete",
    [INV_REASON_TOO_YOUNG] = "too-young",
    [INV_REASON_NEWEST_LAYER_VERSION] = "newest-layer-version",
    [INV_REASON_IN_GRACE] = "in-grace",
    [INV_REASON_NOTHING_TO_PRUNE] = "nothing-to-prune",
    [INV_REASON_VERSIONED] = "versioned",
    [INV_REASON_TAGGED] = "tagged",
    [INV_REASON_TAGS_UNKNOWN] = "tags-unknown",
  };
  return (unsigned)r < INV_REASON_N ? names[r] : "?";
}

const char *inv_result_name(enum inv_result r)
{
  switch(r) {
  case INV_RES_DRY_RUN: return "dry-run";
  case INV_RES_DELETED: return "deleted";
  case INV_RES_FAILED: return "failed";
  case INV_RES_REFUSED: return "refused";
  case INV_RES_NOT_PERMITTED: return "not-permitted";
  default: return NULL;
  }
}

const char *inv_type_name(enum jan_kind k)
{
  switch(k) {
  case JAN_KIND_BUCKET: return "bucket";
  case JAN_KIND_FUNCTION: return "function";
  case JAN_KIND_RENDER: return "render";
  case JAN_KIND_PROPS: return "props";
  case JAN_KIND_LOG_GROUP: return "log_group";
  default: return "layer_version";
  }
}

/* The sum of the bytes of the items of kind in region, as listed; -1 when
 * that listing is incomplete or not permitted, or the region is disabled
 * or unknown: no figure, never a partial one. */
static int64_t kind_bytes(const struct inventory *inv, const char *region,
                          enum jan_kind kind)
{
  const struct inv_region *r = NULL;
  int64_t sum = 0;
  for(size_t i = 0; i < inv->nregions && !r; i++)
    if(!strcmp(inv->regions[i].name, region))
      r = &inv->regions[i];
  if(!r || r->status == INV_REGION_DISABLED ||
     inventory_kind_incomplete(inv, region, kind) ||
     inventory_kind_not_permitted(inv, region, kind))
    return -1;
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    if(it->kind == kind && it->bytes > 0 && !strcmp(it->region, region))
      sum = render_bytes_add(sum, it->bytes);
  }
  return sum;
}

int64_t inventory_code_bytes(const struct inventory *inv, const char *region)
{
  return kind_bytes(inv, region, JAN_KIND_FUNCTION);
}

int64_t inventory_log_group_bytes(const struct inventory *inv,
                                  const char *region)
{
  return inv->listed & INV_KIND_BIT(JAN_KIND_LOG_GROUP)
       ? kind_bytes(inv, region, JAN_KIND_LOG_GROUP) : -1;
}

void inventory_summary(const struct inventory *inv, struct inv_summary *s)
{
  memset(s, 0, sizeof(*s));
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    if(it->kind == JAN_KIND_BUCKET) {
      s->buckets++;
      if(it->storage)
        s->stored_bytes = render_bytes_add(s->stored_bytes, it->bytes);
    }
    else if(it->kind == JAN_KIND_FUNCTION)
      s->functions++;
    else if(it->kind == JAN_KIND_LAYER)
      s->layer_versions++;
    else if(it->kind == JAN_KIND_LOG_GROUP)
      s->log_groups++;
    else if(it->kind == JAN_KIND_RENDER)
      s->renders++;
    s->reclaimed_bytes = render_bytes_add(s->reclaimed_bytes,
                                          inv_item_reclaimed(it));
    if(it->decision == INV_DELETE)
      s->candidates++;
    if(it->result == INV_RES_DELETED)
      s->deleted++;
    else if(it->result == INV_RES_FAILED)
      s->failed++;
    else if(it->result == INV_RES_REFUSED)
      s->refused++;
    else if(it->result == INV_RES_NOT_PERMITTED)
      s->not_permitted++;
  }
  for(size_t i = 0; i < inv->nregions; i++) {
    if(inv->regions[i].status == INV_REGION_OK)
      s->regions_ok++;
    else if(inv->regions[i].status == INV_REGION_DISABLED)
      s->regions_disabled++;
    else
      s->regions_incomplete++;
  }
}

void inventory_summary_add(struct inv_summary *t, const struct inv_summary *s)
{
  t->functions += s->functions;
  t->layer_versions += s->layer_versions;
  t->buckets += s->buckets;
  t->candidates += s->candidates;
  t->deleted += s->deleted;
  t->failed += s->failed;
  t->refused += s->refused;
  t->log_groups += s->log_groups;
  t->not_permitted += s->not_permitted;
  t->regions_ok += s->regions_ok;
  t->regions_incomplete += s->regions_incomplete;
  t->regions_disabled += s->regions_disabled;
  t->renders += s->renders;
  t->stored_bytes = render_bytes_add(t->stored_bytes, s->stored_bytes);
  t->reclaimed_bytes = render_bytes_add(t->reclaimed_bytes,
                                        s->reclaimed_bytes);
}

int inv_identity(const struct inv_item *it, struct jbuf *out)
{
  if(it->kind == JAN_KIND_RENDER)
    return jbuf_cat(out, it->bucket, "/renders/", it->name, (char *)NULL);
  if(it->kind == JAN_KIND_PROPS)
    return jbuf_cat(out, it->bucket, "/*-props/", (char *)NULL);
  return jbuf_addstr(out, it->name);
}

const char *inv_item_arn(const struct inv_item *it, struct jbuf *out)
{
  if(it->kind != JAN_KIND_RENDER && it->kind != JAN_KIND_PROPS)
    return it->arn;
  if(!it->bucket ||
     (it->kind == JAN_KIND_RENDER
      ? jbuf_cat(out, "arn:aws:s3:::", it->bucket, "/renders/", it->name, "/",
                 (char *)NULL)
      : jbuf_cat(out, "arn:aws:s3:::", it->bucket, "/", (char *)NULL)))
    return NULL;
  return jbuf_str(out);
}

void inv_display_name(const struct inv_item *it, char *out, size_t outlen)
{
  struct jbuf raw;

  /* Render ids come from object keys: any bytes.  The name is escaped by
   * the display rule (untrusted.h), so it maps back to the exact bytes. */
  jbuf_init(&raw, INV_DISPLAY_RAW_MAX);
  if(it->kind == JAN_KIND_LAYER)
    (void)jbuf_printf(&raw, "%s:%" PRId64, it->name, inv_item_version(it));
  else
    (void)inv_identity(it, &raw);
  untrusted_display(out, outlen, jbuf_str(&raw), raw.len);
  jbuf_free(&raw);
}
