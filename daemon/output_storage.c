/*
 * The render, props and storage parts of the output (output.h): JSON
 * fields of those resources and of listed buckets, the summary's figures,
 * and the human storage report with sizes in binary units.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/jsonw.h"
#include "janitor/s3price.h"
#include "output.h"

void output_bytes(int64_t bytes, char *out, size_t outlen)
{
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
  double v = (double)bytes;
  size_t u = 0;

  if(bytes < 1024) {
    snprintf(out, outlen, "%" PRId64 " B", bytes < 0 ? 0 : bytes);
    return;
  }
  v /= 1024;
  while(v >= 1024 && u + 1 < sizeof(units) / sizeof(*units)) {
    v /= 1024;
    u++;
  }
  snprintf(out, outlen, "%.1f %s", v, units[u]);
}

static struct json_object *storage_json(const struct inv_item *it)
{
  struct json_object *st = json_object_new_object();
  for(int c = 0; c < RENDER_CAT_N; c++)
    json_object_object_add(st, render_cat_name((enum render_cat)c),
                           json_object_new_int64(it->storage[c]));
  return st;
}

void output_storage_members(struct jsonw *w, const struct inv_item *it)
{
  if(it->kind == JAN_KIND_BUCKET) {
    double usd = it->storage
               ? s3_estimate_monthly_usd(it->region, it->bytes) : -1;
    jsonw_key(w, "bytes");
    if(it->storage)
      jsonw_int(w, it->bytes);
    else
      jsonw_null(w);
    jsonw_key(w, "storage");
    jsonw_json(w, it->storage ? storage_json(it) : NULL);
    jsonw_key(w, "estimated_monthly_usd");
    if(usd >= 0)
      jsonw_double(w, usd);
    else
      jsonw_null(w);
    return;
  }
  if(it->kind == JAN_KIND_LOG_GROUP) {
    jsonw_key(w, "bytes");
    if(it->bytes >= 0)
      jsonw_int(w, it->bytes);
    else
      jsonw_null(w);
    return;
  }
  if(it->kind != JAN_KIND_RENDER && it->kind != JAN_KIND_PROPS)
    return;
  jsonw_kstring(w, "bucket", it->bucket);
  jsonw_kint(w, "objects", it->objects);
  jsonw_kint(w, "bytes", it->bytes);
}

static size_t count_in(const struct inventory *inv, enum jan_kind k,
                       const char *region)
{
  size_t n = 0;
  for(size_t i = 0; i < inv->n; i++)
    n += inv->items[i].kind == k && !strcmp(inv->items[i].region, region);
  return n;
}

/* Per region not disabled, {region, bytes (null: no figure), and one
 * member of its own}: Lambda's code storage (k = JAN_KIND_FUNCTION,
 * quota_bytes) or CloudWatch Logs' (k = JAN_KIND_LOG_GROUP, log_groups;
 * none when log groups are not listed). */
static struct json_object *region_storage_json(const struct inventory *inv,
                                               enum jan_kind k)
{
  struct json_object *a = json_object_new_array();
  if(k == JAN_KIND_LOG_GROUP && !(inv->listed & INV_KIND_BIT(k)))
    return a;
  for(size_t i = 0; i < inv->nregions; i++) {
    const struct inv_region *r = &inv->regions[i];
    struct json_object *o;
    int64_t bytes;
    if(r->status == INV_REGION_DISABLED)
      continue;
    bytes = k == JAN_KIND_FUNCTION ? inventory_code_bytes(inv, r->name)
                                   : inventory_log_group_bytes(inv, r->name);
    o = json_object_new_object();
    json_object_object_add(o, "region", json_object_new_string(r->name));
    json_object_object_add(o, "bytes", bytes >= 0
                           ? json_object_new_int64(bytes) : NULL);
    if(k == JAN_KIND_FUNCTION)
      json_object_object_add(o, "quota_bytes",
                             json_object_new_int64(INV_CODE_QUOTA_BYTES));
    else
      json_object_object_add(o, "log_groups", json_object_new_int64(
                                 (int64_t)count_in(inv, k, r->name)));
    json_object_array_add(a, o);
  }
  return a;
}

struct json_object *output_code_storage_json(const struct inventory *inv)
{
  return region_storage_json(inv, JAN_KIND_FUNCTION);
}

struct json_object *output_log_group_storage_json(const struct inventory *inv)
{
  return region_storage_json(inv, JAN_KIND_LOG_GROUP);
}

struct json_object *output_not_permitted_json(const struct inv_region *r)
{
  struct json_object *a = json_object_new_array();
  for(int k = 0; k < JAN_KIND_N; k++)
    if(r->not_permitted & INV_KIND_BIT(k))
      json_object_array_add(a, json_object_new_string(
                                inv_type_name((enum jan_kind)k)));
  return a;
}

struct json_object *output_storage_status_json(const struct inventory *inv)
{
  struct json_object *o = json_object_new_object();
  struct json_object *buckets = json_object_new_array();
  struct inv_summary s;
  size_t pruned = 0;

  inventory_summary(inv, &s);
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    struct json_object *b;
    if(it->kind == JAN_KIND_RENDER && it->result == INV_RES_DELETED)
      pruned++;
    if(it->kind != JAN_KIND_BUCKET || !it->storage)
      continue;
    b = json_object_new_object();
    json_object_object_add(b, "bucket", json_object_new_string(it->name));
    json_object_object_add(b, "region", json_object_new_string(it->region));
    json_object_object_add(b, "bytes", json_object_new_int64(it->bytes));
    json_object_object_add(b, "storage", storage_json(it));
    /* Why nothing in it is pruned (versioning), when something says so. */
    json_object_object_add(b, "error", it->error
                           ? json_object_new_string(it->error) : NULL);
    json_object_array_add(buckets, b);
  }
  json_object_object_add(o, "renders",
                         json_object_new_int64((int64_t)s.renders));
  json_object_object_add(o, "renders_pruned",
                         json_object_new_int64((int64_t)pruned));
  json_object_object_add(o, "stored_bytes",
                         json_object_new_int64(s.stored_bytes));
  json_object_object_add(o, "reclaimed_bytes",
                         json_object_new_int64(s.reclaimed_bytes));
  json_object_object_add(o, "buckets", buckets);
  return o;
}

void output_storage_summary(struct jsonw *w, const struct inv_summary *s)
{
  jsonw_kint(w, "renders", (int64_t)s->renders);
  jsonw_kint(w, "stored_bytes", s->stored_bytes);
  jsonw_kint(w, "reclaimed_bytes", s->reclaimed_bytes);
}

void output_storage_why(const struct inv_item *it, char *why, size_t len)
{
  char size[32];
  size_t n = strlen(why);
  if((it->kind != JAN_KIND_RENDER && it->kind != JAN_KIND_PROPS) ||
     n + 1 >= len)
    return;
  output_bytes(it->bytes, size, sizeof(size));
  snprintf(why + n, len - n, " (%" PRId64 " object%s, %s)", it->objects,
           it->objects == 1 ? "" : "s", size);
}

/* One line, cut to the terminal's width (0: not cut). */
static void put_line(FILE *f, const char *line, size_t columns)
{
  char cut[1024];
  output_fit(line, columns, cut, sizeof(cut));
  fprintf(f, "%s\n", cut);
}

/* One line per region with in-scope functions, or whose function listing
 * is incomplete (no figure then).  Returns the lines written. */
static int code_storage_table(FILE *f, const struct inventory *inv,
                              size_t columns)
{
  char line[1024], used[32], quota[32];
  int n = 0;
  output_bytes(INV_CODE_QUOTA_BYTES, quota, sizeof(quota));
  for(size_t i = 0; i < inv->nregions; i++) {
    const struct inv_region *r = &inv->regions[i];
    int64_t bytes;
    size_t fns = 0;
    if(r->status == INV_REGION_DISABLED)
      continue;
    fns = count_in(inv, JAN_KIND_FUNCTION, r->name);
    bytes = inventory_code_bytes(inv, r->name);
    if(bytes < 0)
      snprintf(line, sizeof(line), "code storage %s: unknown (the "
               "function listing is incomplete)", r->name);
    else if(fns) {
      output_bytes(bytes, used, sizeof(used));
      snprintf(line, sizeof(line), "code storage %s: %s in %zu "
               "function%s (%.1f%% of the default quota of 75 GB, %s)",
               r->name, used, fns, fns == 1 ? "" : "s",
               100.0 * (double)bytes / (double)INV_CODE_QUOTA_BYTES, quota);
    }
    else
      continue;
    put_line(f, line, columns);
    n++;
  }
  return n;
}

/* One line per region with in-scope log groups, or whose log group
 * listing is incomplete or not permitted (no figure then). */
static void log_group_table(FILE *f, const struct inventory *inv,
                            size_t columns)
{
  char line[1024], used[32];
  for(size_t i = 0; i < inv->nregions; i++) {
    const struct inv_region *r = &inv->regions[i];
    int64_t bytes;
    size_t n;
    if(r->status == INV_REGION_DISABLED ||
       !(inv->listed & INV_KIND_BIT(JAN_KIND_LOG_GROUP)))
      continue;
    n = count_in(inv, JAN_KIND_LOG_GROUP, r->name);
    bytes = inventory_log_group_bytes(inv, r->name);
    if(bytes < 0)
      snprintf(line, sizeof(line), "log groups %s: unknown (the listing is "
               "%s)", r->name, inventory_kind_not_permitted(
                   inv, r->name, JAN_KIND_LOG_GROUP) ? "not permitted"
                                                     : "incomplete");
    else if(n) {
      output_bytes(bytes, used, sizeof(used));
      snprintf(line, sizeof(line), "log groups %s: %s stored in %zu log "
               "group%s", r->name, used, n, n == 1 ? "" : "s");
    }
    else
      continue;
    put_line(f, line, columns);
  }
}

void output_storage_table(FILE *f, const struct inventory *inv,
                          size_t columns)
{
  char line[1024];
  struct inv_summary s;
  char stored[32], reclaimed[32];
  int head = 0;
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    char total[32], cat[RENDER_CAT_N][32];
    double usd;
    if(it->kind != JAN_KIND_BUCKET || !it->storage)
      continue;
    if(!head++) {
      snprintf(line, sizeof(line), "storage (S3 Standard list prices of %s; "
               "an estimate):", S3_PRICE_DATE);
      put_line(f, line, columns);
    }
    output_bytes(it->bytes, total, sizeof(total));
    for(int c = 0; c < RENDER_CAT_N; c++)
      output_bytes(it->storage[c], cat[c], sizeof(cat[c]));
    usd = s3_estimate_monthly_usd(it->region, it->bytes);
    snprintf(line, sizeof(line), "  %s %s: %s in %" PRId64 " objects "
             "(renders %s, outputs %s, sites %s, props %s, other %s)",
             it->name, it->region, total, it->objects,
             cat[RENDER_CAT_RENDERS], cat[RENDER_CAT_OUTPUTS],
             cat[RENDER_CAT_SITES], cat[RENDER_CAT_PROPS],
             cat[RENDER_CAT_OTHER]);
    if(usd >= 0)
      snprintf(line + strlen(line), sizeof(line) - strlen(line),
               ", about $%.2f a month", usd);
    put_line(f, line, columns);
  }
  code_storage_table(f, inv, columns);
  log_group_table(f, inv, columns);
  inventory_summary(inv, &s);
  if(!head && !s.renders && !s.reclaimed_bytes)
    return;
  output_bytes(s.stored_bytes, stored, sizeof(stored));
  output_bytes(s.reclaimed_bytes, reclaimed, sizeof(reclaimed));
  snprintf(line, sizeof(line), "renders: %zu found; %s stored in the "
           "buckets listed; %s reclaimed", s.renders, stored, reclaimed);
  put_line(f, line, columns);
}
