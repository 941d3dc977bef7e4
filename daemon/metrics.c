/*
 * Prometheus text exposition format, version 0.0.4: HELP and TYPE lines,
 * then one sample per line.  Label values are escaped (\\, \", \n) even
 * though region and type names never need it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/state.h"
#include "metrics.h"

#define METRICS_MAX (4u * 1024 * 1024)

static const enum inv_result counted[3] = {
  INV_RES_DELETED, INV_RES_FAILED, INV_RES_REFUSED
};

/* The streak of region r before this sweep (0 when it was not swept). */
static unsigned streak_of(const struct metrics_counters *c, const char *r)
{
  for(size_t i = 0; i < c->nincomplete; i++)
    if(!strcmp(c->incomplete[i].region, r))
      return c->incomplete[i].sweeps;
  return 0;
}

/* The streaks of the regions this sweep listed (disabled ones left out). */
static void count_streaks(struct metrics_counters *c,
                          const struct inventory *inv)
{
  struct metrics_streak next[JAN_MAX_REGIONS];
  size_t n = 0;
  for(size_t i = 0; i < inv->nregions && n < JAN_MAX_REGIONS; i++) {
    const struct inv_region *r = &inv->regions[i];
    if(r->status == INV_REGION_DISABLED)
      continue;
    snprintf(next[n].region, sizeof(next[n].region), "%s", r->name);
    next[n].sweeps = r->status == INV_REGION_INCOMPLETE || r->incomplete
                     ? streak_of(c, r->name) + 1 : 0;
    n++;
  }
  memcpy(c->incomplete, next, n * sizeof(next[0]));
  c->nincomplete = n;
  c->buckets_incomplete = inv->buckets_incomplete
                          ? c->buckets_incomplete + 1 : 0;
}

void metrics_count(struct metrics_counters *c, const struct inventory *inv,
                   int exit_code)
{
  count_streaks(c, inv);
  metrics_count_storage(c, inv);
  c->sweeps++;
  if(exit_code)
    c->sweeps_failed++;
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    if((unsigned)it->kind >= 3)
      continue;
    for(size_t r = 0; r < 3; r++)
      if(it->result == counted[r])
        c->deletions[it->kind][r]++;
  }
}

static int add_label_value(struct jbuf *out, const char *v)
{
  int rc = 0;
  for(; *v && !rc; v++) {
    if(*v == '\\' || *v == '"')
      rc = jbuf_addc(out, '\\') || jbuf_addc(out, *v);
    else if(*v == '\n')
      rc = jbuf_addstr(out, "\\n");
    else
      rc = jbuf_addc(out, *v);
  }
  return rc ? JAN_ETOOBIG : JAN_OK;
}

static int header(struct jbuf *out, const char *name, const char *type,
                  const char *help)
{
  return jbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                     type);
}

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
  for(size_t i = 0; i < inv->nregions; i++)
    if(!strcmp(inv->regions[i].name, region))
      return inv->regions[i].status != INV_REGION_DISABLED;
  return 0;
}

/* name{type="...",region="..."} N for each kind listed in region. */
static int count_lines(struct jbuf *out, const char *name,
                       const struct inventory *inv, const char *region,
                       int candidates)
{
  static const enum jan_kind kinds[3] = {
    JAN_KIND_FUNCTION, JAN_KIND_LAYER, JAN_KIND_BUCKET
  };
  int rc = 0;
  for(size_t k = 0; k < 3 && !rc; k++) {
    if(!listed(inv, region, kinds[k]))
      continue;
    rc = jbuf_printf(out, "%s{type=\"%s\",region=\"", name,
                     inv_type_name(kinds[k]));
    rc = rc ? rc : add_label_value(out, region);
    rc = rc ? rc : jbuf_printf(out, "\"} %zu\n",
                               count_items(inv, kinds[k], region,
                                           candidates));
  }
  return rc;
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
static int count_family(struct jbuf *out, const struct inventory *inv,
                        const char *name, const char *help, int candidates)
{
  int rc = header(out, name, "gauge", help);
  for(size_t i = 0; i < inv->nregions && !rc; i++)
    if(inv->regions[i].status != INV_REGION_DISABLED)
      rc = count_lines(out, name, inv, inv->regions[i].name, candidates);
  for(size_t i = 0; i < inv->n && !rc; i++)
    if(!region_seen(inv, i, inv->items[i].region))
      rc = count_lines(out, name, inv, inv->items[i].region, candidates);
  return rc;
}

int metrics_format(struct jbuf *out, const struct inventory *inv,
                   const struct metrics_counters *c, int exit_code)
{
  static const char *const results[3] = { "deleted", "failed", "refused" };
  static const enum jan_kind kinds[3] = {
    JAN_KIND_FUNCTION, JAN_KIND_LAYER, JAN_KIND_BUCKET
  };
  int rc;

  rc = count_family(out, inv, "remotion_janitor_resources",
                    "In-scope resources found by the last sweep, by type "
                    "and region; absent where that listing failed.", 0);
  rc = rc ? rc : count_family(out, inv, "remotion_janitor_candidates",
                              "Resources the last sweep decided to delete "
                              "(its candidates), by type and region; absent "
                              "where that listing failed.", 1);

  rc = rc ? rc : header(out, "remotion_janitor_deletions_total", "counter",
                        "Deletion outcomes since the daemon started, by "
                        "type and result.");
  for(size_t k = 0; k < 3 && !rc; k++)
    for(size_t r = 0; r < 3 && !rc; r++)
      rc = jbuf_printf(out, "remotion_janitor_deletions_total{type=\"%s\","
                       "result=\"%s\"} %" PRIu64 "\n",
                       inv_type_name(kinds[k]), results[r],
                       c->deletions[kinds[k]][r]);

  rc = rc ? rc : header(out, "remotion_janitor_sweeps_total", "counter",
                        "Sweeps finished since the daemon started.");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_sweeps_total %" PRIu64
                             "\n", c->sweeps);
  rc = rc ? rc : header(out, "remotion_janitor_last_sweep_timestamp_seconds",
                        "gauge", "When the last sweep finished (Unix time).");
  rc = rc ? rc : jbuf_printf(out,
                             "remotion_janitor_last_sweep_timestamp_seconds "
                             "%" PRId64 ".%03" PRId64 "\n",
                             inv->finished_ms / 1000, inv->finished_ms % 1000);
  if(c->last_success_ms > 0) {
    rc = rc ? rc : header(out,
                          "remotion_janitor_last_success_timestamp_seconds",
                          "gauge", "When the last sweep with exit code 0 "
                          "finished (Unix time); absent until one has.");
    rc = rc ? rc : jbuf_printf(out,
                               "remotion_janitor_last_success_timestamp_"
                               "seconds %" PRId64 ".%03" PRId64 "\n",
                               c->last_success_ms / 1000,
                               c->last_success_ms % 1000);
  }
  rc = rc ? rc : header(out, "remotion_janitor_last_sweep_duration_seconds",
                        "gauge", "How long the last sweep took.");
  {
    int64_t d = inv->finished_ms - inv->started_ms;
    if(d < 0)
      d = 0;
    rc = rc ? rc : jbuf_printf(out,
                               "remotion_janitor_last_sweep_duration_seconds "
                               "%" PRId64 ".%03" PRId64 "\n", d / 1000,
                               d % 1000);
  }
  rc = rc ? rc : header(out, "remotion_janitor_last_sweep_exit_code", "gauge",
                        "Exit code the last sweep would have had as "
                        "--sweep (0 fine, 1 incomplete or failed, 3 "
                        "credentials, 4 refused).");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_last_sweep_exit_code %d\n",
                             exit_code);
  rc = rc ? rc : header(out, "remotion_janitor_audit_failing", "gauge",
                        "1 while the audit log does not accept records "
                        "(full disk, I/O error, read-only): no deletion "
                        "starts; 0 when the last append succeeded.");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_audit_failing %d\n",
                             c->audit_failing ? 1 : 0);
  rc = rc ? rc : header(out, "remotion_janitor_audit_held_records", "gauge",
                        "Deletion outcomes held in memory (and logged to "
                        "the journal) until the audit log accepts them.");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_audit_held_records %"
                             PRIu64 "\n", c->audit_held);
  rc = rc ? rc : header(out, "remotion_janitor_state_unsaved", "gauge",
                        "1 when the last save of the state file failed (its "
                        "grace clocks are kept in memory until one "
                        "succeeds).");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_state_unsaved %d\n",
                             c->state_unsaved ? 1 : 0);
  rc = rc ? rc : header(out, "remotion_janitor_region_up", "gauge",
                        "1 when every listing in the region succeeded in "
                        "the last sweep, 0 when one was incomplete; "
                        "disabled regions are left out.");
  for(size_t i = 0; i < inv->nregions && !rc; i++) {
    const struct inv_region *r = &inv->regions[i];
    if(r->status == INV_REGION_DISABLED)
      continue;
    rc = jbuf_addstr(out, "remotion_janitor_region_up{region=\"");
    rc = rc ? rc : add_label_value(out, r->name);
    rc = rc ? rc : jbuf_printf(out, "\"} %d\n",
                               r->status == INV_REGION_OK &&
                               !r->incomplete ? 1 : 0);
  }
  rc = rc ? rc : header(out, "remotion_janitor_region_disabled", "gauge",
                        "Regions that are not enabled for the account.");
  for(size_t i = 0; i < inv->nregions && !rc; i++) {
    const struct inv_region *r = &inv->regions[i];
    if(r->status != INV_REGION_DISABLED)
      continue;
    rc = jbuf_addstr(out, "remotion_janitor_region_disabled{region=\"");
    rc = rc ? rc : add_label_value(out, r->name);
    rc = rc ? rc : jbuf_addstr(out, "\"} 1\n");
  }
  rc = rc ? rc : header(out, "remotion_janitor_buckets_listing_up", "gauge",
                        "1 when the bucket listing of the last sweep "
                        "succeeded everywhere.");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_buckets_listing_up %d\n",
                             inv->buckets_incomplete ? 0 : 1);
  rc = rc ? rc : header(out, "remotion_janitor_region_incomplete_sweeps",
                        "gauge", "Consecutive sweeps, up to the last, in "
                        "which a listing in the region was incomplete (0 "
                        "after a complete one).");
  for(size_t i = 0; i < c->nincomplete && !rc; i++) {
    rc = jbuf_addstr(out, "remotion_janitor_region_incomplete_sweeps"
                     "{region=\"");
    rc = rc ? rc : add_label_value(out, c->incomplete[i].region);
    rc = rc ? rc : jbuf_printf(out, "\"} %u\n", c->incomplete[i].sweeps);
  }
  rc = rc ? rc : header(out, "remotion_janitor_buckets_incomplete_sweeps",
                        "gauge", "Consecutive sweeps, up to the last, in "
                        "which the bucket listing was incomplete.");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_buckets_incomplete_sweeps "
                             "%u\n", c->buckets_incomplete);
  rc = rc ? rc : header(out, "remotion_janitor_invalid_names", "gauge",
                        "In-scope names in the last sweep's listings that "
                        "AWS cannot have created, by type (never "
                        "resources; the listing is incomplete).");
  for(size_t k = 0; k < 3 && !rc; k++)
    rc = jbuf_printf(out, "remotion_janitor_invalid_names{type=\"%s\"} %lu\n",
                     scope_kind_name(kinds[k]),
                     inv->invalid[kinds[k]]);
  rc = rc ? rc : header(out, "remotion_janitor_clock_skew_seconds", "gauge",
                        "A server's Date minus this machine's clock, as "
                        "measured after a clock error in the last sweep: "
                        "the correction its requests were signed with, or "
                        "one refused as beyond a day; 0 when none.  Age "
                        "and grace use the machine's clock.");
  rc = rc ? rc : jbuf_printf(out, "remotion_janitor_clock_skew_seconds %"
                             PRId64 "\n", inv->clock_skew_s);
  rc = rc ? rc : metrics_format_storage(out, inv, c);
  return rc ? JAN_ETOOBIG : JAN_OK;
}

int metrics_write(const char *path, const struct inventory *inv,
                  const struct metrics_counters *c, int exit_code,
                  struct jbuf *err)
{
  struct jbuf text;
  int rc;

  jbuf_init(&text, METRICS_MAX);
  rc = metrics_format(&text, inv, c, exit_code);
  if(rc)
    jbuf_printf(err, "%s: the metrics do not fit in %u bytes", path,
                METRICS_MAX);
  else
    /* The temporary name ends in ".tmp.PID", so the textfile collector,
     * which reads only *.prom, never sees a half-written file; 0644 lets
     * the exporter read it whatever the service's UMask. */
    rc = state_write_atomic(path, text.ptr ? text.ptr : "", text.len, 0644,
                            err);
  jbuf_free(&text);
  return rc;
}
