#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/jsonw.h"
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

/* A resource's members (remotion-janitor(8), OUTPUT), from its kind: the
 * same members for every kind, and those only some kinds have. */
void output_item_members(struct jsonw *w, const struct inv_item *it,
                         int64_t now)
{
  /* A render's and props' age is their newest object's. */
  int64_t t = it->kind == JAN_KIND_RENDER || it->kind == JAN_KIND_PROPS
            ? it->newest : it->created;

  jsonw_kstring(w, "type", inv_type_name(it->kind));
  jsonw_kstring(w, "region", it->region);
  if(it->kind != JAN_KIND_PROPS)
    jsonw_kstring(w, "name", it->name);
  if(it->kind == JAN_KIND_LAYER)
    jsonw_kint(w, "version", it->version);
  {
    struct jbuf arn;
    jbuf_init(&arn, INV_DISPLAY_RAW_MAX);
    jsonw_kstring(w, "arn", inv_item_arn(it, &arn));
    jbuf_free(&arn);
  }
  jsonw_key(w, "created");
  jsonw_time(w, it->created);
  jsonw_key(w, "age_s");
  if(t < 0)
    jsonw_null(w);
  else
    jsonw_int(w, now - t);
  if(it->kind == JAN_KIND_FUNCTION) {
    jsonw_key(w, "remotion");
    if(it->remotion) {
      jsonw_object(w);
      jsonw_kstring(w, "version", it->remotion->version);
      jsonw_kint(w, "memory_mb", it->remotion->memory_mb);
      jsonw_kint(w, "disk_mb", it->remotion->disk_mb);
      jsonw_kint(w, "timeout_s", it->remotion->timeout_s);
      jsonw_object_end(w);
    }
    else
      jsonw_null(w);
  }
  if(it->kind == JAN_KIND_BUCKET) {
    jsonw_key(w, "objects");
    if(it->objects < 0)
      jsonw_null(w);
    else
      jsonw_int(w, it->objects);
  }
  output_storage_members(w, it);
  jsonw_kstring(w, "decision", inv_decision_name(it->decision));
  jsonw_kstring(w, "reason", inv_item_reason(it));
  jsonw_kstring(w, "result", inv_result_name(it->result));
  jsonw_kstring(w, "error", it->error);
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

/* The figures of a summary, of one account or of them all: refused is
 * null when nothing was. */
static void put_summary(struct jsonw *w, const struct inv_summary *s)
{
  jsonw_object(w);
  jsonw_kint(w, "functions", (int64_t)s->functions);
  jsonw_kint(w, "layer_versions", (int64_t)s->layer_versions);
  jsonw_kint(w, "buckets", (int64_t)s->buckets);
  jsonw_kint(w, "log_groups", (int64_t)s->log_groups);
  jsonw_kint(w, "candidates", (int64_t)s->candidates);
  jsonw_kint(w, "deleted", (int64_t)s->deleted);
  jsonw_kint(w, "failed", (int64_t)s->failed);
  jsonw_key(w, "refused");
  if(s->refused)
    jsonw_int(w, (int64_t)s->refused);
  else
    jsonw_null(w);
  jsonw_kint(w, "not_permitted", (int64_t)s->not_permitted);
  output_storage_summary(w, s);
  jsonw_object_end(w);
}

/* One account's entry: {"name","account","regions","code_storage",
 * "ignored","resources","summary","exit_code","error"}, each resource
 * written as it comes. */
static void put_account(struct jsonw *w, const struct account_result *r,
                        int64_t now)
{
  const struct inventory *inv = r->inv;
  struct json_object *ignored = output_counts_json(inv->ignored);
  struct inv_summary s;

  inventory_summary(inv, &s);
  jsonw_object(w);
  jsonw_kstring(w, "name", r->name);
  if(r->title)
    jsonw_kstring(w, "org_name", r->title[0] ? r->title : NULL);
  jsonw_kstring(w, "account", inv->account[0] ? inv->account : NULL);
  jsonw_key(w, "regions");
  jsonw_array(w);
  for(size_t i = 0; i < inv->nregions; i++) {
    jsonw_object(w);
    jsonw_kstring(w, "region", inv->regions[i].name);
    jsonw_kstring(w, "status", inv_status_name(inv->regions[i].status));
    jsonw_kstring(w, "error", inv->regions[i].error);
    jsonw_key(w, "not_permitted");
    jsonw_json(w, output_not_permitted_json(&inv->regions[i]));
    jsonw_object_end(w);
  }
  jsonw_array_end(w);
  jsonw_key(w, "code_storage");
  jsonw_json(w, output_code_storage_json(inv));
  jsonw_key(w, "log_group_storage");
  jsonw_json(w, output_log_group_storage_json(inv));
  json_object_object_add(ignored, "invalid", output_counts_json(inv->invalid));
  jsonw_key(w, "ignored");
  jsonw_json(w, ignored);
  jsonw_key(w, "resources");
  jsonw_array(w);
  for(size_t i = 0; i < inv->n; i++) {
    jsonw_object(w);
    output_item_members(w, &inv->items[i], now);
    jsonw_object_end(w);
  }
  jsonw_array_end(w);
  jsonw_key(w, "summary");
  put_summary(w, &s);
  jsonw_key(w, "exit_code");
  jsonw_int(w, r->exit_code);
  jsonw_kstring(w, "error", r->error && r->error[0] ? r->error : NULL);
  jsonw_object_end(w);
}

void output_run_json(FILE *f, const struct account_result *r, size_t n,
                     enum jan_mode mode, int64_t now,
                     const struct output_run_info *info)
{
  struct inv_summary total = { 0 }, s;
  int64_t started = 0, finished = 0;
  struct jsonw w;

  /* The first start, the last end, the figures of them all. */
  for(size_t i = 0; i < n; i++) {
    const struct inventory *inv = r[i].inv;
    inventory_summary(inv, &s);
    inventory_summary_add(&total, &s);
    if(inv->started_ms > 0 && (!started || inv->started_ms < started))
      started = inv->started_ms;
    if(inv->finished_ms > finished)
      finished = inv->finished_ms;
  }
  jsonw_init_file(&w, f);
  jsonw_object(&w);
  jsonw_kstring(&w, "mode", mode == JAN_MODE_DELETE ? "delete" : "report");
  jsonw_key(&w, "started");
  jsonw_time(&w, started ? started / 1000 : -1);
  jsonw_key(&w, "finished");
  jsonw_time(&w, finished ? finished / 1000 : -1);
  jsonw_key(&w, "accounts");
  jsonw_array(&w);
  for(size_t i = 0; i < n; i++)
    put_account(&w, &r[i], now);
  jsonw_array_end(&w);
  if(info && info->organization) {
    jsonw_key(&w, "skipped_accounts");
    jsonw_array(&w);
    for(size_t i = 0; i < info->nskipped; i++) {
      jsonw_object(&w);
      jsonw_kstring(&w, "account", info->skipped[i].account);
      jsonw_kstring(&w, "name", info->skipped[i].name);
      jsonw_kstring(&w, "reason", info->skipped[i].reason);
      jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
  }
  jsonw_key(&w, "summary");
  if(n)
    put_summary(&w, &total);
  else
    jsonw_json(&w, json_object_new_object());
  if(info && info->error) {
    jsonw_key(&w, "exit_code");
    jsonw_int(&w, info->exit_code);
    jsonw_kstring(&w, "error", info->error);
  }
  jsonw_object_end(&w);
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

void output_run_members(FILE *f, const struct account_result *r, size_t n,
                        const struct output_run_info *info)
{
  char name[4 * WIRE_ORG_NAME_MAX + 8];

  if(!info || !info->organization)
    return;
  for(size_t i = 0; i < n; i++) {
    if(!r[i].title)
      continue;
    untrusted_display_quoted(name, sizeof(name), r[i].title,
                             strlen(r[i].title));
    fprintf(f, "account %s: \"%s\"\n", r[i].name, name);
  }
  for(size_t i = 0; i < info->nskipped; i++) {
    const struct output_skipped *k = &info->skipped[i];
    untrusted_display_quoted(name, sizeof(name), k->name ? k->name : "",
                             k->name ? strlen(k->name) : 0);
    fprintf(f, "skipped %s: \"%s\" (%s)\n", k->account, name, k->reason);
  }
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
    snprintf(why, sizeof(why), "%s%s%s%s%s", inv_item_reason(it) ? inv_item_reason(it) : "-",
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
  char lg[3][48] = { "", "", "" };

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
  /* Log groups, when they are listed (log_groups = yes), after buckets. */
  if(inv->listed & INV_KIND_BIT(JAN_KIND_LOG_GROUP)) {
    snprintf(lg[0], sizeof(lg[0]), ", %zu log groups", s.log_groups);
    snprintf(lg[1], sizeof(lg[1]), ", %lu log groups",
             inv->ignored[JAN_KIND_LOG_GROUP]);
    snprintf(lg[2], sizeof(lg[2]), ", %lu log groups",
             inv->invalid[JAN_KIND_LOG_GROUP]);
  }
  fprintf(f, "%s%s: %zu regions ok, %zu incomplete, %zu disabled; "
          "%zu functions, %zu layer versions, %zu buckets%s; "
          "%zu candidates, %zu deleted, %zu failed, %zu refused; "
          "ignored %lu buckets, %lu functions, %lu layers%s; "
          "invalid %lu buckets, %lu functions, %lu layers%s\n", pre,
          mode == JAN_MODE_DELETE ? "delete" : "report",
          s.regions_ok, s.regions_incomplete, s.regions_disabled,
          s.functions, s.layer_versions, s.buckets, lg[0], s.candidates,
          s.deleted, s.failed, s.refused, inv->ignored[JAN_KIND_BUCKET],
          inv->ignored[JAN_KIND_FUNCTION], inv->ignored[JAN_KIND_LAYER],
          lg[1], inv->invalid[JAN_KIND_BUCKET],
          inv->invalid[JAN_KIND_FUNCTION], inv->invalid[JAN_KIND_LAYER],
          lg[2]);
}

void output_error_json(FILE *f, const char *msg, int code)
{
  struct jsonw w;
  size_t n = strlen(msg);
  while(n && msg[n - 1] == '\n')
    n--;
  jsonw_init_file(&w, f);
  jsonw_object(&w);
  jsonw_key(&w, "error");
  jsonw_string_len(&w, msg, n);
  jsonw_kint(&w, "exit_code", code);
  jsonw_object_end(&w);
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
