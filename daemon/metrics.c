/*
 * Prometheus text exposition format, version 0.0.4 (metrics.h): for each
 * family its HELP and TYPE lines, then its samples, one a line, every
 * account's together.  Label values are escaped (\\, \", \n) even though
 * account, region and type names never need it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/state.h"
#include "metrics.h"

#define METRICS_MAX (4u * 1024 * 1024)
#define METRICS_PER_ACCOUNT (64u * 1024)

static const enum inv_result counted[3] = {
  INV_RES_DELETED, INV_RES_FAILED, INV_RES_REFUSED
};
static const enum jan_kind kinds[] = {
  JAN_KIND_FUNCTION, JAN_KIND_LAYER, JAN_KIND_BUCKET, JAN_KIND_LOG_GROUP
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- counting ---------------------------------------------------------- */

/* The streak of region r before this run (0 when it was not swept). */
static unsigned streak_of(const struct metrics_counters *c, const char *r)
{
  for(size_t i = 0; i < c->nincomplete; i++)
    if(!strcmp(c->incomplete[i].region, r))
      return c->incomplete[i].sweeps;
  return 0;
}

/* Whether any account's listing in region r was incomplete, and whether
 * any account listed it at all (disabled regions are not listed). */
static void region_outcome(const struct account_result *res, size_t n,
                           const char *r, int *listed, int *incomplete)
{
  *listed = *incomplete = 0;
  for(size_t a = 0; a < n; a++) {
    const struct inventory *inv = res[a].inv;
    for(size_t i = 0; i < inv->nregions; i++) {
      const struct inv_region *g = &inv->regions[i];
      if(strcmp(g->name, r) || g->status == INV_REGION_DISABLED)
        continue;
      *listed = 1;
      *incomplete |= g->status == INV_REGION_INCOMPLETE || g->incomplete;
    }
  }
}

static void count_streaks(struct metrics_counters *c,
                          const struct account_result *res, size_t n)
{
  struct metrics_streak next[JAN_MAX_REGIONS];
  size_t m = 0;
  int buckets = 0;

  for(size_t a = 0; a < n; a++) {
    const struct inventory *inv = res[a].inv;
    buckets |= inv->buckets_incomplete;
    for(size_t i = 0; i < inv->nregions && m < JAN_MAX_REGIONS; i++) {
      const char *r = inv->regions[i].name;
      int listed, incomplete, seen = 0;
      for(size_t j = 0; j < m; j++)
        seen |= !strcmp(next[j].region, r);
      region_outcome(res, n, r, &listed, &incomplete);
      if(seen || !listed)
        continue;
      snprintf(next[m].region, sizeof(next[m].region), "%s", r);
      next[m].sweeps = incomplete ? streak_of(c, r) + 1 : 0;
      m++;
    }
  }
  memcpy(c->incomplete, next, m * sizeof(next[0]));
  c->nincomplete = m;
  c->buckets_incomplete = buckets ? c->buckets_incomplete + 1 : 0;
}

void metrics_count(struct metrics_counters *c, const struct account_result *r,
                   size_t n, int code)
{
  count_streaks(c, r, n);
  c->sweeps++;
  if(code)
    c->sweeps_failed++;
  for(size_t a = 0; a < n; a++) {
    const struct inventory *inv = r[a].inv;
    for(size_t i = 0; i < inv->n; i++) {
      const struct inv_item *it = &inv->items[i];
      if(inv_item_reclaimed(it) > 0)
        c->reclaimed_bytes += (uint64_t)inv_item_reclaimed(it);
      if(it->kind == JAN_KIND_RENDER && it->result == INV_RES_DELETED)
        c->renders_pruned++;
      if(it->kind == JAN_KIND_RENDER || it->kind == JAN_KIND_PROPS)
        continue;
      for(size_t k = 0; k < 3; k++)
        if(it->result == counted[k])
          c->deletions[it->kind][k]++;
    }
  }
}

/* ---- samples ----------------------------------------------------------- */

/* Where a family's samples go: out, each labelled with account (NULL: a
 * family about the daemon, no account label). */
struct sink {
  struct jbuf *out;
  const char *account;
  int rc;
};

static void add_label_value(struct sink *s, const char *v)
{
  for(; *v && !s->rc; v++) {
    if(*v == '\\' || *v == '"')
      s->rc = jbuf_addc(s->out, '\\') || jbuf_addc(s->out, *v);
    else if(*v == '\n')
      s->rc = jbuf_addstr(s->out, "\\n");
    else
      s->rc = jbuf_addc(s->out, *v);
  }
}

/* name{account="A",k1="v1",...} value: kv holds nkv pairs of label
 * names and values. */
static void sample(struct sink *s, const char *name, const char *const *kv,
                   size_t nkv, const char *value)
{
  int first = 1;

  if(s->rc)
    return;
  s->rc = jbuf_addstr(s->out, name);
  if(s->account || nkv)
    s->rc = s->rc ? s->rc : jbuf_addc(s->out, '{');
  if(s->account) {
    s->rc = s->rc ? s->rc : jbuf_addstr(s->out, "account=\"");
    add_label_value(s, s->account);
    s->rc = s->rc ? s->rc : jbuf_addc(s->out, '"');
    first = 0;
  }
  for(size_t i = 0; i < nkv && !s->rc; i++) {
    s->rc = jbuf_printf(s->out, "%s%s=\"", first ? "" : ",", kv[2 * i]);
    add_label_value(s, kv[2 * i + 1]);
    s->rc = s->rc ? s->rc : jbuf_addc(s->out, '"');
    first = 0;
  }
  if(s->account || nkv)
    s->rc = s->rc ? s->rc : jbuf_addc(s->out, '}');
  s->rc = s->rc ? s->rc : jbuf_printf(s->out, " %s\n", value);
}

static void sample_u(struct sink *s, const char *name, const char *const *kv,
                     size_t nkv, uint64_t v)
{
  char b[24];
  snprintf(b, sizeof(b), "%" PRIu64, v);
  sample(s, name, kv, nkv, b);
}

/* Milliseconds as seconds with three decimals. */
static void sample_ms(struct sink *s, const char *name, int64_t ms)
{
  char b[32];
  snprintf(b, sizeof(b), "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
  sample(s, name, NULL, 0, b);
}

/* ---- the families about a sweep (one sample set per account) ------------ */

/* Resources of one kind in one region, as found by the sweep; with
 * `candidates`, only those it decided to delete. */
static size_t count_items(const struct inventory *inv, enum jan_kind k,
                          const char *region, int candidates)
{
  size_t n = 0;
  for(size_t i = 0; i < inv->n; i++)
    if(inv->items[i].kind == k && !strcmp(inv->items[i].region, region) &&
       (!candidates || inv->items[i].decision == INV_DELETE))
      n++;
  return n;
}

/* Whether the sweep listed `kind` in `region` completely: a count is
 * written only then; a failed listing leaves its series absent, not 0.
 * Lambda is listed in the swept regions that are enabled; buckets
 * everywhere through the one bucket listing. */
static int listed(const struct inventory *inv, const char *region,
                  enum jan_kind kind)
{
  if(inventory_kind_incomplete(inv, region, kind))
    return 0;
  if(kind == JAN_KIND_BUCKET)
    return 1;
  if(kind == JAN_KIND_LOG_GROUP &&
     (!(inv->listed & INV_KIND_BIT(kind)) ||
      inventory_kind_not_permitted(inv, region, kind)))
    return 0;
  for(size_t i = 0; i < inv->nregions; i++)
    if(!strcmp(inv->regions[i].name, region))
      return inv->regions[i].status != INV_REGION_DISABLED;
  return 0;
}

/* name{type="...",region="..."} N for each kind listed in region. */
static void count_lines(struct sink *s, const char *name,
                        const struct inventory *inv, const char *region,
                        int candidates)
{
  for(size_t k = 0; k < NKINDS; k++) {
    const char *kv[] = { "type", inv_type_name(kinds[k]), "region", region };
    if(listed(inv, region, kinds[k]))
      sample_u(s, name, kv, 2, count_items(inv, kinds[k], region,
                                           candidates));
  }
}

/* Whether region r already appeared among the first `upto` items or the
 * swept regions. */
static int region_seen(const struct inventory *inv, size_t upto,
                       const char *r)
{
  for(size_t i = 0; i < inv->nregions; i++)
    if(!strcmp(inv->regions[i].name, r))
      return 1;
  for(size_t i = 0; i < upto; i++)
    if(!strcmp(inv->items[i].region, r))
      return 1;
  return 0;
}

/* One gauge by type and region: every swept region that answered, zeros
 * included, so that series do not vanish; then regions only seen through
 * a bucket's location.  Disabled regions are left out. */
static void count_family(struct sink *s, const char *name,
                         const struct inventory *inv, int candidates)
{
  for(size_t i = 0; i < inv->nregions; i++)
    if(inv->regions[i].status != INV_REGION_DISABLED)
      count_lines(s, name, inv, inv->regions[i].name, candidates);
  for(size_t i = 0; i < inv->n; i++)
    if(!region_seen(inv, i, inv->items[i].region))
      count_lines(s, name, inv, inv->items[i].region, candidates);
}

typedef void (*account_fn)(struct sink *s, const char *name,
                           const struct account_result *r);
typedef void (*daemon_fn)(struct sink *s, const char *name,
                          const struct metrics_counters *c);

static void f_resources(struct sink *s, const char *name,
                        const struct account_result *r)
{
  count_family(s, name, r->inv, 0);
}

static void f_candidates(struct sink *s, const char *name,
                         const struct account_result *r)
{
  count_family(s, name, r->inv, 1);
}

static void f_last_sweep(struct sink *s, const char *name,
                         const struct account_result *r)
{
  sample_ms(s, name, r->inv->finished_ms);
}

static void f_duration(struct sink *s, const char *name,
                       const struct account_result *r)
{
  int64_t d = r->inv->finished_ms - r->inv->started_ms;
  sample_ms(s, name, d < 0 ? 0 : d);
}

static void f_exit_code(struct sink *s, const char *name,
                        const struct account_result *r)
{
  sample_u(s, name, NULL, 0, (uint64_t)r->exit_code);
}

static void f_region_up(struct sink *s, const char *name,
                        const struct account_result *r)
{
  for(size_t i = 0; i < r->inv->nregions; i++) {
    const struct inv_region *g = &r->inv->regions[i];
    const char *kv[] = { "region", g->name };
    if(g->status != INV_REGION_DISABLED)
      sample_u(s, name, kv, 1, g->status == INV_REGION_OK && !g->incomplete);
  }
}

static void f_region_disabled(struct sink *s, const char *name,
                              const struct account_result *r)
{
  for(size_t i = 0; i < r->inv->nregions; i++) {
    const char *kv[] = { "region", r->inv->regions[i].name };
    if(r->inv->regions[i].status == INV_REGION_DISABLED)
      sample_u(s, name, kv, 1, 1);
  }
}

static void f_buckets_up(struct sink *s, const char *name,
                         const struct account_result *r)
{
  sample_u(s, name, NULL, 0, !r->inv->buckets_incomplete);
}

static void f_invalid(struct sink *s, const char *name,
                      const struct account_result *r)
{
  for(size_t k = 0; k < NKINDS; k++) {
    const char *kv[] = { "type", scope_kind_name(kinds[k]) };
    sample_u(s, name, kv, 1, r->inv->invalid[kinds[k]]);
  }
}

static void f_skew(struct sink *s, const char *name,
                   const struct account_result *r)
{
  char b[24];
  snprintf(b, sizeof(b), "%" PRId64, r->inv->clock_skew_s);
  sample(s, name, NULL, 0, b);
}

static void f_stored(struct sink *s, const char *name,
                     const struct account_result *r)
{
  for(size_t i = 0; i < r->inv->n; i++) {
    const struct inv_item *it = &r->inv->items[i];
    if(it->kind != JAN_KIND_BUCKET || !it->storage)
      continue;
    for(int k = 0; k < RENDER_CAT_N; k++) {
      const char *kv[] = { "bucket", it->name, "region", it->region,
                           "category", render_cat_name((enum render_cat)k) };
      sample_u(s, name, kv, 3, (uint64_t)it->storage[k]);
    }
  }
}

static void f_code(struct sink *s, const char *name,
                   const struct account_result *r)
{
  for(size_t i = 0; i < r->inv->nregions; i++) {
    const struct inv_region *g = &r->inv->regions[i];
    const char *kv[] = { "region", g->name };
    int64_t bytes = g->status == INV_REGION_DISABLED
                  ? -1 : inventory_code_bytes(r->inv, g->name);
    if(bytes >= 0)
      sample_u(s, name, kv, 1, (uint64_t)bytes);
  }
}

static void f_log_group_bytes(struct sink *s, const char *name,
                              const struct account_result *r)
{
  for(size_t i = 0; i < r->inv->nregions; i++) {
    const char *kv[] = { "region", r->inv->regions[i].name };
    int64_t bytes = inventory_log_group_bytes(r->inv,
                                              r->inv->regions[i].name);
    if(bytes >= 0)
      sample_u(s, name, kv, 1, (uint64_t)bytes);
  }
}

/* ---- the families about the daemon (one sample set) --------------------- */

static void f_deletions(struct sink *s, const char *name,
                        const struct metrics_counters *c)
{
  static const char *const results[3] = { "deleted", "failed", "refused" };
  for(size_t k = 0; k < NKINDS; k++)
    for(size_t r = 0; r < 3; r++) {
      const char *kv[] = { "type", inv_type_name(kinds[k]),
                           "result", results[r] };
      sample_u(s, name, kv, 2, c->deletions[kinds[k]][r]);
    }
}

static void f_sweeps(struct sink *s, const char *name,
                     const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->sweeps);
}

static void f_last_success(struct sink *s, const char *name,
                           const struct metrics_counters *c)
{
  if(c->last_success_ms > 0)
    sample_ms(s, name, c->last_success_ms);
}

static void f_audit_failing(struct sink *s, const char *name,
                            const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->audit_failing ? 1 : 0);
}

static void f_audit_held(struct sink *s, const char *name,
                         const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->audit_held);
}

static void f_state_unsaved(struct sink *s, const char *name,
                            const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->state_unsaved ? 1 : 0);
}

static void f_region_streak(struct sink *s, const char *name,
                            const struct metrics_counters *c)
{
  for(size_t i = 0; i < c->nincomplete; i++) {
    const char *kv[] = { "region", c->incomplete[i].region };
    sample_u(s, name, kv, 1, c->incomplete[i].sweeps);
  }
}

static void f_buckets_streak(struct sink *s, const char *name,
                             const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->buckets_incomplete);
}

static void f_reclaimed(struct sink *s, const char *name,
                        const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->reclaimed_bytes);
}

static void f_pruned(struct sink *s, const char *name,
                     const struct metrics_counters *c)
{
  sample_u(s, name, NULL, 0, c->renders_pruned);
}

/* ---- the families, in the order of the file ---------------------------- */

struct family {
  const char *name, *type, *help;
  account_fn account;           /* a sample set per account, or */
  daemon_fn daemon;             /* one about the daemon */
};

static const struct family families[] = {
  { "remotion_janitor_resources", "gauge", "In-scope resources found by the "
    "last sweep, by type and region; absent where that listing failed.",
    f_resources, NULL },
  { "remotion_janitor_candidates", "gauge", "Resources the last sweep "
    "decided to delete (its candidates), by type and region; absent where "
    "that listing failed.", f_candidates, NULL },
  { "remotion_janitor_deletions_total", "counter", "Deletion outcomes since "
    "the daemon started, by type and result.", NULL, f_deletions },
  { "remotion_janitor_sweeps_total", "counter", "Sweeps finished since the "
    "daemon started (a run over several accounts counts once).", NULL,
    f_sweeps },
  { "remotion_janitor_last_sweep_timestamp_seconds", "gauge", "When the "
    "last sweep finished (Unix time).", f_last_sweep, NULL },
  { "remotion_janitor_last_success_timestamp_seconds", "gauge", "When the "
    "last sweep with exit code 0 finished (Unix time); absent until one "
    "has.", NULL, f_last_success },
  { "remotion_janitor_last_sweep_duration_seconds", "gauge", "How long the "
    "last sweep took.", f_duration, NULL },
  { "remotion_janitor_last_sweep_exit_code", "gauge", "Exit code the last "
    "sweep would have had as --sweep (0 fine, 1 incomplete or failed, 3 "
    "credentials, 4 refused).", f_exit_code, NULL },
  { "remotion_janitor_audit_failing", "gauge", "1 while the audit log does "
    "not accept records (full disk, I/O error, read-only): no deletion "
    "starts; 0 when the last append succeeded.", NULL, f_audit_failing },
  { "remotion_janitor_audit_held_records", "gauge", "Deletion outcomes held "
    "in memory (and logged to the journal) until the audit log accepts "
    "them.", NULL, f_audit_held },
  { "remotion_janitor_state_unsaved", "gauge", "1 when the last save of the "
    "state file failed (its grace clocks are kept in memory until one "
    "succeeds).", NULL, f_state_unsaved },
  { "remotion_janitor_region_up", "gauge", "1 when every listing in the "
    "region succeeded in the last sweep, 0 when one was incomplete; "
    "disabled regions are left out.", f_region_up, NULL },
  { "remotion_janitor_region_disabled", "gauge", "Regions that are not "
    "enabled for the account.", f_region_disabled, NULL },
  { "remotion_janitor_buckets_listing_up", "gauge", "1 when the bucket "
    "listing of the last sweep succeeded everywhere.", f_buckets_up, NULL },
  { "remotion_janitor_region_incomplete_sweeps", "gauge", "Consecutive "
    "sweeps, up to the last, in which a listing in the region was "
    "incomplete (0 after a complete one).", NULL, f_region_streak },
  { "remotion_janitor_buckets_incomplete_sweeps", "gauge", "Consecutive "
    "sweeps, up to the last, in which the bucket listing was incomplete.",
    NULL, f_buckets_streak },
  { "remotion_janitor_invalid_names", "gauge", "In-scope names in the last "
    "sweep's listings that AWS cannot have created, by type (never "
    "resources; the listing is incomplete).", f_invalid, NULL },
  { "remotion_janitor_clock_skew_seconds", "gauge", "A server's Date minus "
    "this machine's clock, as measured after a clock error in the last "
    "sweep: the correction its requests were signed with, or one refused "
    "as beyond a day; 0 when none.  Age and grace use the machine's "
    "clock.", f_skew, NULL },
  { "remotion_janitor_bucket_stored_bytes", "gauge", "Bytes stored in each "
    "bucket the last sweep listed, by category (renders, outputs, sites, "
    "props, other).", f_stored, NULL },
  { "remotion_janitor_function_code_bytes", "gauge", "Lambda code storage "
    "of the in-scope functions the last sweep listed in each region (the "
    "sum of their CodeSize; the default quota is 75 GB); no sample where "
    "the function listing was incomplete.", f_code, NULL },
  { "remotion_janitor_log_group_stored_bytes", "gauge", "CloudWatch Logs "
    "storage of the in-scope log groups the last sweep listed in each "
    "region (the sum of their storedBytes); no sample where log groups "
    "are not listed, or their listing was incomplete or not permitted.",
    f_log_group_bytes, NULL },
  { "remotion_janitor_reclaimed_bytes_total", "counter", "Bytes deleted "
    "from renders and props since the daemon started.", NULL, f_reclaimed },
  { "remotion_janitor_renders_pruned_total", "counter", "Renders pruned "
    "since the daemon started.", NULL, f_pruned },
};

int metrics_format(struct jbuf *out, const struct account_result *r,
                   size_t n, const struct metrics_counters *c)
{
  struct sink s = { .out = out };

  for(size_t f = 0; f < JAN_ARRAY_SIZE(families) && !s.rc; f++) {
    const struct family *fam = &families[f];
    size_t before = out->len;
    s.rc = jbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", fam->name,
                       fam->help, fam->name, fam->type);
    size_t head = out->len;
    if(fam->daemon) {
      s.account = NULL;
      fam->daemon(&s, fam->name, c);
    }
    for(size_t a = 0; fam->account && a < n && !s.rc; a++) {
      s.account = r[a].name;
      fam->account(&s, fam->name, &r[a]);
    }
    /* A family without samples is left out (a gauge absent until it has
     * a value). */
    if(!s.rc && out->len == head && fam->daemon) {
      out->len = before;
      out->ptr[before] = '\0';
    }
  }
  return s.rc ? JAN_ETOOBIG : JAN_OK;
}

int metrics_write(const char *path, const struct account_result *r, size_t n,
                  const struct metrics_counters *c, struct jbuf *err)
{
  struct jbuf text;
  size_t max = METRICS_MAX + n * METRICS_PER_ACCOUNT;
  int rc;

  jbuf_init(&text, max);
  rc = metrics_format(&text, r, n, c);
  if(rc)
    jbuf_printf(err, "%s: the metrics do not fit in %zu bytes", path, max);
  else
    /* The temporary name ends in ".tmp.PID", so the textfile collector,
     * which reads only *.prom, never sees a half-written file; 0644 lets
     * the exporter read it whatever the service's UMask. */
    rc = state_write_atomic(path, text.ptr ? text.ptr : "", text.len, 0644,
                            err);
  jbuf_free(&text);
  return rc;
}
