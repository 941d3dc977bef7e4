#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"
#include "output.h"

struct json_object *output_time_json(int64_t t)
{
  char buf[21];
  if(t < 0)
    return NULL;
  wire_time_format(t, buf);
  return json_object_new_string(buf);
}

static struct json_object *str_or_null(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

struct json_object *output_item_json(const struct inv_item *it, int64_t now)
{
  struct json_object *o = json_object_new_object();
  if(!o)
    return NULL;
  json_object_object_add(o, "type",
                         json_object_new_string(inv_type_name(it->kind)));
  json_object_object_add(o, "region", json_object_new_string(it->region));
  if(it->kind != JAN_KIND_PROPS)
    json_object_object_add(o, "name", json_object_new_string(it->name));
  if(it->kind == JAN_KIND_LAYER)
    json_object_object_add(o, "version", json_object_new_int64(it->version));
  json_object_object_add(o, "arn", str_or_null(it->arn));
  json_object_object_add(o, "created", output_time_json(it->created));
  json_object_object_add(o, "age_s", it->created < 0 ? NULL
                         : json_object_new_int64(now - it->created));
  if(it->kind == JAN_KIND_FUNCTION) {
    struct json_object *r = NULL;
    if(it->has_remotion) {
      r = json_object_new_object();
      json_object_object_add(r, "version",
                             json_object_new_string(it->remotion.version));
      json_object_object_add(r, "memory_mb",
                             json_object_new_int64(it->remotion.memory_mb));
      json_object_object_add(r, "disk_mb",
                             json_object_new_int64(it->remotion.disk_mb));
      json_object_object_add(r, "timeout_s",
                             json_object_new_int64(it->remotion.timeout_s));
    }
    json_object_object_add(o, "remotion", r);
  }
  if(it->kind == JAN_KIND_BUCKET)
    json_object_object_add(o, "objects", it->objects < 0 ? NULL
                           : json_object_new_int64(it->objects));
  output_storage_item(o, it, now);
  json_object_object_add(o, "decision", json_object_new_string(
                             inv_decision_name(it->decision)));
  json_object_object_add(o, "reason", str_or_null(it->reason));
  json_object_object_add(o, "result", str_or_null(inv_result_name(it->result)));
  json_object_object_add(o, "error", str_or_null(it->error));
  return o;
}

/* {"buckets":N,"functions":N,"layers":N} from counts by enum jan_kind
 * (the ignored and the invalid names; also the socket's status). */
struct json_object *output_counts_json(const unsigned long counts[JAN_KIND_N])
{
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "buckets", json_object_new_int64(
                             (int64_t)counts[JAN_KIND_BUCKET]));
  json_object_object_add(o, "functions", json_object_new_int64(
                             (int64_t)counts[JAN_KIND_FUNCTION]));
  json_object_object_add(o, "layers", json_object_new_int64(
                             (int64_t)counts[JAN_KIND_LAYER]));
  json_object_object_add(o, "log_groups", json_object_new_int64(
                             (int64_t)counts[JAN_KIND_LOG_GROUP]));
  return o;
}

/* Everything but the resources, which stay an empty array. */
static struct json_object *output_sweep_json_head(
    const struct inventory *inv, enum jan_mode mode)
{
  struct json_object *doc = json_object_new_object();
  struct json_object *regions = json_object_new_array();
  struct json_object *ignored = output_counts_json(inv->ignored);
  struct json_object *res = json_object_new_array();
  struct json_object *sum = json_object_new_object();
  struct inv_summary s;

  inventory_summary(inv, &s);
  json_object_object_add(doc, "account", inv->account[0]
                         ? json_object_new_string(inv->account) : NULL);
  json_object_object_add(doc, "mode", json_object_new_string(
                             mode == JAN_MODE_DELETE ? "delete" : "report"));
  json_object_object_add(doc, "started", output_time_json(inv->started_ms / 1000));
  json_object_object_add(doc, "finished",
                         output_time_json(inv->finished_ms / 1000));
  for(size_t i = 0; i < inv->nregions; i++) {
    const struct inv_region *r = &inv->regions[i];
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "region", json_object_new_string(r->name));
    json_object_object_add(o, "status",
                           json_object_new_string(inv_status_name(r->status)));
    json_object_object_add(o, "error", str_or_null(r->error));
    json_object_object_add(o, "not_permitted", output_not_permitted_json(r));
    json_object_array_add(regions, o);
  }
  json_object_object_add(doc, "regions", regions);
  json_object_object_add(doc, "code_storage", output_code_storage_json(inv));
  json_object_object_add(doc, "log_group_storage",
                         output_log_group_storage_json(inv));
  json_object_object_add(ignored, "invalid",
                         output_counts_json(inv->invalid));
  json_object_object_add(doc, "ignored", ignored);
  json_object_object_add(doc, "resources", res);
  json_object_object_add(sum, "functions",
                         json_object_new_int64((int64_t)s.functions));
  json_object_object_add(sum, "layer_versions",
                         json_object_new_int64((int64_t)s.layer_versions));
  json_object_object_add(sum, "buckets",
                         json_object_new_int64((int64_t)s.buckets));
  json_object_object_add(sum, "log_groups",
                         json_object_new_int64((int64_t)s.log_groups));
  json_object_object_add(sum, "candidates",
                         json_object_new_int64((int64_t)s.candidates));
  json_object_object_add(sum, "deleted",
                         json_object_new_int64((int64_t)s.deleted));
  json_object_object_add(sum, "failed",
                         json_object_new_int64((int64_t)s.failed));
  json_object_object_add(sum, "refused", s.refused
                         ? json_object_new_int64((int64_t)s.refused) : NULL);
  json_object_object_add(sum, "not_permitted",
                         json_object_new_int64((int64_t)s.not_permitted));
  output_storage_summary(sum, &s);
  json_object_object_add(doc, "summary", sum);
  return doc;
}

static void put_json(FILE *f, struct json_object *o)
{
  untrusted_json_fputs(json_object_to_json_string_ext(
                           o, JSON_C_TO_STRING_PLAIN |
                           JSON_C_TO_STRING_NOSLASHESCAPE), f);
  json_object_put(o);
}

/* Writes the members of an array, one at a time. */
typedef void (*stream_fn)(FILE *f, const void *arg, int64_t now);

/* doc written member by member, the array named key by fill: memory
 * does not grow with the inventory.  doc is released. */
static void put_streamed(FILE *f, struct json_object *doc, const char *key,
                         stream_fn fill, const void *arg, int64_t now)
{
  struct json_object_iter it;
  int first = 1;

  fputc('{', f);
  json_object_object_foreachC(doc, it) {
    if(!first)
      fputc(',', f);
    first = 0;
    put_json(f, json_object_new_string(it.key));
    fputc(':', f);
    if(!strcmp(it.key, key)) {
      fputc('[', f);
      fill(f, arg, now);
      fputc(']', f);
    }
    else {
      untrusted_json_fputs(it.val ? json_object_to_json_string_ext(it.val,
                               JSON_C_TO_STRING_PLAIN |
                               JSON_C_TO_STRING_NOSLASHESCAPE) : "null", f);
    }
  }
  fputc('}', f);
  json_object_put(doc);
}

/* The members of an account's entry, from its sweep's head. */
static const char *const account_keys[] = {
  "account", "regions", "code_storage", "log_group_storage", "ignored",
  "resources", "summary"
};

/* {"name","account","regions","code_storage","log_group_storage",
 * "ignored","resources":[],
 * "summary","exit_code","error"}; *head keeps the sweep's head (started, finished)
 * for the caller to release. */
static struct json_object *account_entry(const struct account_result *r,
                                         enum jan_mode mode,
                                         struct json_object **head)
{
  struct json_object *o = json_object_new_object(), *v;

  *head = output_sweep_json_head(r->inv, mode);
  json_object_object_add(o, "name", json_object_new_string(r->name));
  for(size_t k = 0; k < JAN_ARRAY_SIZE(account_keys); k++)
    if(json_object_object_get_ex(*head, account_keys[k], &v))
      json_object_object_add(o, account_keys[k], json_object_get(v));
  json_object_object_add(o, "exit_code", json_object_new_int(r->exit_code));
  json_object_object_add(o, "error", r->error && r->error[0]
                         ? json_object_new_string(r->error) : NULL);
  return o;
}

/* Add every integer of an account's summary to the total's. */
static void add_summary(struct json_object *total, struct json_object *sum)
{
  struct json_object_iter it;
  json_object_object_foreachC(sum, it) {
    struct json_object *t = NULL;
    int64_t v = it.val ? json_object_get_int64(it.val) : 0;
    if(json_object_object_get_ex(total, it.key, &t) && t)
      v += json_object_get_int64(t);
    json_object_object_add(total, it.key, json_object_new_int64(v));
  }
}

/* The run's document without its accounts' entries (an empty array):
 * mode, the first start, the last end, the summary of them all. */
static struct json_object *run_head(const struct account_result *r, size_t n,
                                    enum jan_mode mode)
{
  struct json_object *doc = json_object_new_object();
  struct json_object *total = json_object_new_object();
  int64_t started = 0, finished = 0;
  struct json_object *v;

  for(size_t i = 0; i < n; i++) {
    struct json_object *head = output_sweep_json_head(r[i].inv, mode);
    if(json_object_object_get_ex(head, "summary", &v))
      add_summary(total, v);
    json_object_put(head);
    if(r[i].inv->started_ms > 0 &&
       (!started || r[i].inv->started_ms < started))
      started = r[i].inv->started_ms;
    if(r[i].inv->finished_ms > finished)
      finished = r[i].inv->finished_ms;
  }
  /* As in one account's summary: refused is null when nothing was. */
  if(json_object_object_get_ex(total, "refused", &v) &&
     !json_object_get_int64(v))
    json_object_object_add(total, "refused", NULL);
  json_object_object_add(doc, "mode", json_object_new_string(
                             mode == JAN_MODE_DELETE ? "delete" : "report"));
  json_object_object_add(doc, "started", started ?
                         output_time_json(started / 1000) : NULL);
  json_object_object_add(doc, "finished", finished ?
                         output_time_json(finished / 1000) : NULL);
  json_object_object_add(doc, "accounts", json_object_new_array());
  json_object_object_add(doc, "summary", total);
  return doc;
}

static void stream_items(FILE *f, const void *arg, int64_t now)
{
  const struct inventory *inv = arg;
  for(size_t i = 0; i < inv->n; i++) {
    if(i)
      fputc(',', f);
    put_json(f, output_item_json(&inv->items[i], now));
  }
}

struct run_arg {
  const struct account_result *r;
  size_t n;
  enum jan_mode mode;
};

static void stream_accounts(FILE *f, const void *arg, int64_t now)
{
  const struct run_arg *a = arg;
  for(size_t i = 0; i < a->n; i++) {
    struct json_object *head, *e = account_entry(&a->r[i], a->mode, &head);
    if(i)
      fputc(',', f);
    put_streamed(f, e, "resources", stream_items, a->r[i].inv, now);
    json_object_put(head);
  }
}

void output_run_json(FILE *f, const struct account_result *r, size_t n,
                     enum jan_mode mode, int64_t now)
{
  const struct run_arg a = { r, n, mode };
  put_streamed(f, run_head(r, n, mode), "accounts", stream_accounts, &a, now);
  fputc('\n', f);
}

void output_run_table(FILE *f, const struct account_result *r, size_t n,
                      enum jan_mode mode, int64_t now,
                      const struct output_opts *base)
{
  static const enum output_part parts[] = { OUTPUT_ROWS, OUTPUT_TAIL };
  struct output_opts o = *base;
  size_t wacc = strlen("ACCOUNT"), wname = 0;
  size_t cand = 0, deleted = 0, failed = 0, refused = 0;
  int header = 0;

  /* One account: the plain table. */
  if(n == 1) {
    output_table(f, r[0].inv, mode, now, base);
    return;
  }
  /* One table: the columns as wide for every account. */
  for(size_t i = 0; i < n; i++) {
    const struct inventory *inv = r[i].inv;
    if(strlen(r[i].name) > wacc)
      wacc = strlen(r[i].name);
    for(size_t j = 0; j < inv->n; j++) {
      char name[INV_DISPLAY_NAME_MAX];
      inv_display_name(&inv->items[j], name, sizeof(name));
      if(strlen(name) > wname)
        wname = strlen(name);
    }
  }
  o.account_width = wacc;
  o.name_min = wname;
  o.header = &header;
  for(size_t p = 0; p < JAN_ARRAY_SIZE(parts); p++) {
    o.part = parts[p];
    for(size_t i = 0; i < n; i++) {
      o.account = r[i].name;
      output_table(f, r[i].inv, mode, now, &o);
    }
  }
  for(size_t i = 0; i < n; i++) {
    struct inv_summary s;
    inventory_summary(r[i].inv, &s);
    cand += s.candidates;
    deleted += s.deleted;
    failed += s.failed;
    refused += s.refused;
  }
  fprintf(f, "%zu accounts: %zu candidates, %zu deleted, %zu failed, "
          "%zu refused\n", n, cand, deleted, failed, refused);
}

void output_age(int64_t secs, char *out, size_t outlen)
{
  if(secs < 0)
    snprintf(out, outlen, "-");
  else if(secs >= 86400)
    snprintf(out, outlen, "%" PRId64 "d", secs / 86400);
  else if(secs >= 3600)
    snprintf(out, outlen, "%" PRId64 "h", secs / 3600);
  else
    snprintf(out, outlen, "%" PRId64 "m", secs / 60);
}

/* Columns: TYPE REGION NAME AGE DECISION REASON/RESULT. */
#define COL_TYPE 13
#define COL_REGION 14
#define COL_AGE 5
#define COL_DECISION 8
#define COL_FIXED (COL_TYPE + COL_REGION + COL_AGE + COL_DECISION + 5)
#define COL_NAME_MIN 16
#define COL_REASON_MIN 16

static void output_tail(FILE *f, const struct inventory *inv,
                        enum jan_mode mode, const struct inv_summary *sp,
                        size_t cols, const struct output_opts *o);

void output_table(FILE *f, const struct inventory *inv, enum jan_mode mode,
                  int64_t now, const struct output_opts *o)
{
  struct inv_summary s;
  size_t wname = 4, wreason = 0, rows = 0, cols = o ? o->columns : 0;
  int acol = o && o->account ? (int)o->account_width : 0;

  inventory_summary(inv, &s);
  if(o && o->name_min > wname)
    wname = o->name_min;
  for(size_t i = 0; i < inv->n; i++) {
    char name[INV_DISPLAY_NAME_MAX];
    inv_display_name(&inv->items[i], name, sizeof(name));
    if(strlen(name) > wname)
      wname = strlen(name);
  }
  if(acol && cols)
    cols = cols > (size_t)acol + 1 ? cols - (size_t)acol - 1 : 1;
  /* On a terminal the name column gives way first (its middle is cut),
   * then the reason; without a width nothing is cut. */
  if(cols && COL_FIXED + wname + COL_REASON_MIN > cols)
    wname = cols > COL_FIXED + COL_NAME_MIN + COL_REASON_MIN
          ? cols - COL_FIXED - COL_REASON_MIN : COL_NAME_MIN;
  if(cols)
    wreason = cols > COL_FIXED + wname + 3 ? cols - COL_FIXED - wname : 3;
  for(size_t i = 0; (!o || o->part != OUTPUT_TAIL) && i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    char full[INV_DISPLAY_NAME_MAX], name[INV_DISPLAY_NAME_MAX + 4];
    char age[32], why[1200], whyfit[1200];
    const char *res = inv_result_name(it->result);

    if(o && o->candidates_only && it->decision != INV_DELETE)
      continue;
    if(!rows++ && (!o || !o->header || !(*o->header)++)) {
      if(acol)
        fprintf(f, "%-*s ", acol, "ACCOUNT");
      output_fit("REASON/RESULT", wreason, whyfit, sizeof(whyfit));
      fprintf(f, "%-*s %-*s %-*s %*s %-*s %s\n", COL_TYPE, "TYPE",
              COL_REGION, "REGION", (int)wname, "NAME", COL_AGE, "AGE",
              COL_DECISION, "DECISION", whyfit);
    }
    inv_display_name(it, full, sizeof(full));
    output_fit(full, wname, name, sizeof(name));
    output_age(it->created < 0 ? -1 : now - it->created, age, sizeof(age));
    snprintf(why, sizeof(why), "%s%s%s%s%s", it->reason ? it->reason : "-",
             res ? "/" : "", res ? res : "", it->error ? ": " : "",
             it->error ? it->error : "");
    output_storage_why(it, why, sizeof(why));
    output_fit(why, wreason, whyfit, sizeof(whyfit));
    if(acol)
      fprintf(f, "%-*s ", acol, o->account);
    /* The ellipsis is 3 bytes wide for 1 column: pad by bytes + 2.  The
     * name is escaped already; the reason may hold server text. */
    untrusted_fprintf(f, "%-*s %-*s %-*s %*s %-*s %s\n", COL_TYPE,
                      inv_type_name(it->kind), COL_REGION, it->region,
                      (int)(wname + (strlen(name) > wname ? 2 : 0)), name,
                      COL_AGE, age, COL_DECISION,
                      inv_decision_name(it->decision), whyfit);
  }
  if(o && o->part == OUTPUT_ROWS)
    return;
  output_tail(f, inv, mode, &s, cols, o);
}

/* Below the rows: errors in full, storage, incomplete listings, the
 * summary line; each prefixed with "account NAME: " with o->account. */
static void output_tail(FILE *f, const struct inventory *inv,
                        enum jan_mode mode, const struct inv_summary *sp,
                        size_t cols, const struct output_opts *o)
{
  const struct inv_summary s = *sp;
  char pre[JAN_ACCOUNT_NAME_MAX + sizeof("account : ")] = "";

  if(o && o->account)
    snprintf(pre, sizeof(pre), "account %s: ", o->account);
  /* What a cut line hid is never lost: failures in full below. */
  for(size_t i = 0; cols && i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    char full[INV_DISPLAY_NAME_MAX];
    if(!it->error)
      continue;
    inv_display_name(it, full, sizeof(full));
    untrusted_fprintf(f, "%serror: %s %s in %s: %s\n", pre,
                      inv_type_name(it->kind), full, it->region, it->error);
  }
  if(!o || !o->candidates_only)
    output_storage_table(f, inv, cols);
  for(size_t i = 0; i < inv->nregions; i++)
    if(inv->regions[i].status == INV_REGION_INCOMPLETE)
      untrusted_fprintf(f, "%sincomplete: %s: %s\n", pre,
                        inv->regions[i].name, inv->regions[i].error
                        ? inv->regions[i].error : "listing failed");
  for(size_t i = 0; i < inv->nregions; i++)
    for(int k = 0; k < JAN_KIND_N; k++)
      if(inv->regions[i].not_permitted & INV_KIND_BIT(k))
        fprintf(f, "%snot permitted: %s: %s (needs %s)\n", pre,
                inv->regions[i].name, inv_type_name((enum jan_kind)k),
                inv->regions[i].denied ? inv->regions[i].denied : "?");
  if(inv->buckets_incomplete && inv->buckets_error) {
    int shown = 0;
    for(size_t i = 0; i < inv->nregions; i++)
      shown |= !strcmp(inv->regions[i].name, "us-east-1");
    if(!shown)
      untrusted_fprintf(f, "%sincomplete: buckets: %s\n", pre,
                        inv->buckets_error);
  }
  fprintf(f, "%s%s: %zu regions ok, %zu incomplete, %zu disabled; "
          "%zu functions, %zu layer versions, %zu buckets; "
          "%zu candidates, %zu deleted, %zu failed, %zu refused; "
          "ignored %lu buckets, %lu functions, %lu layers; "
          "invalid %lu buckets, %lu functions, %lu layers\n", pre,
          mode == JAN_MODE_DELETE ? "delete" : "report",
          s.regions_ok, s.regions_incomplete, s.regions_disabled,
          s.functions, s.layer_versions, s.buckets, s.candidates, s.deleted,
          s.failed, s.refused, inv->ignored[JAN_KIND_BUCKET],
          inv->ignored[JAN_KIND_FUNCTION], inv->ignored[JAN_KIND_LAYER],
          inv->invalid[JAN_KIND_BUCKET], inv->invalid[JAN_KIND_FUNCTION],
          inv->invalid[JAN_KIND_LAYER]);
}

void output_error_json(FILE *f, const char *msg, int code)
{
  struct json_object *o = json_object_new_object();
  size_t n = strlen(msg);
  while(n && msg[n - 1] == '\n')
    n--;
  json_object_object_add(o, "error", json_object_new_string_len(msg, (int)n));
  json_object_object_add(o, "exit_code", json_object_new_int(code));
  put_json(f, o);
  fputc('\n', f);
  fflush(f);
}

void output_span(int64_t s, char *out, size_t len)
{
  if(s < 0)
    s = 0;
  if(s < 60)
    snprintf(out, len, "%llds", (long long)s);
  else if(s < 3600)
    snprintf(out, len, "%lldm%02llds", (long long)(s / 60),
             (long long)(s % 60));
  else if(s < 86400)
    snprintf(out, len, "%lldh%02lldm", (long long)(s / 3600),
             (long long)(s % 3600 / 60));
  else
    snprintf(out, len, "%lldd%lldh", (long long)(s / 86400),
             (long long)(s % 86400 / 3600));
}
