/*
 * A run over several accounts (issue 20): its exit code, its metrics
 * model (families with labelled samples, one pass) and its status record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/inventory.h"
#include "last_sweep.h"
#include "metrics.h"
#include "run_code.h"

/* ---- the run's exit code ----------------------------------------------- */

static void run_exit_code(void **state)
{
  static const struct {
    int codes[4];
    size_t n;
    int want;
  } t[] = {
    { { 0 }, 0, 0 },            /* no account: nothing failed */
    { { 0 }, 1, 0 },
    { { 3 }, 1, 3 },            /* one account: its own code */
    { { 2 }, 1, 2 },
    { { 0, 0, 0 }, 3, 0 },
    { { 3, 3 }, 2, 3 },         /* all alike: that code */
    { { 4, 4 }, 2, 4 },
    { { 0, 3 }, 2, 1 },         /* one failed, one fine: incomplete */
    { { 3, 0 }, 2, 1 },
    { { 0, 4 }, 2, 4 },         /* a guard refused somewhere: 4 */
    { { 1, 4, 0 }, 3, 4 },
    { { 1, 3, 0, 0 }, 4, 1 },
    { { 1, 1, 3 }, 3, 1 },
  };
  (void)state;
  for(size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
    assert_int_equal(run_code_combine(t[i].codes, t[i].n), t[i].want);
}

/* ---- the metrics model ------------------------------------------------- */

/* An inventory of one account: a region and n functions in it. */
static void make_inv(struct inventory *inv, const char *region, size_t n,
                     int incomplete)
{
  inventory_init(inv);
  assert_int_equal(inventory_add_region(inv, region), 0);
  inventory_region(inv, region)->status = incomplete ? INV_REGION_INCOMPLETE
                                                     : INV_REGION_OK;
  for(size_t i = 0; i < n; i++) {
    char name[64];
    struct inv_item *it;
    snprintf(name, sizeof(name), "remotion-render-%zu", i);
    it = inventory_add(inv, JAN_KIND_FUNCTION, region, name, NULL, -1, 0);
    assert_non_null(it);
    it->decision = INV_DELETE;
    it->result = INV_RES_DELETED;
  }
  if(incomplete)
    inventory_mark_incomplete(inv, region, JAN_KIND_FUNCTION, "boom");
  inv->started_ms = 1000;
  inv->finished_ms = 3500;
}

static size_t count(const char *hay, const char *needle)
{
  size_t n = 0;
  for(const char *p = hay; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

static void metrics_families(void **state)
{
  struct inventory inv[2];
  struct account_result r[2];
  struct metrics_counters c;
  struct jbuf out;
  const char *s;

  (void)state;
  make_inv(&inv[0], "eu-west-1", 2, 0);
  make_inv(&inv[1], "eu-west-1", 3, 1);
  memset(r, 0, sizeof(r));
  r[0] = (struct account_result){ "alpha", &inv[0], 0, NULL, NULL, NULL };
  r[1] = (struct account_result){ "beta", &inv[1], 1, "listing", NULL, NULL };
  memset(&c, 0, sizeof(c));
  metrics_count(&c, r, 2, 1);
  /* One run is one sweep; the deletions of both accounts. */
  assert_int_equal(c.sweeps, 1);
  assert_int_equal(c.sweeps_failed, 1);
  assert_int_equal(c.deletions[JAN_KIND_FUNCTION][0], 5);
  /* One account's incomplete listing keeps the region's streak going. */
  assert_int_equal(c.nincomplete, 1);
  assert_string_equal(c.incomplete[0].region, "eu-west-1");
  assert_int_equal(c.incomplete[0].sweeps, 1);

  jbuf_init(&out, 1u << 20);
  assert_int_equal(metrics_format(&out, r, 2, &c), JAN_OK);
  s = jbuf_str(&out);
  /* Each family once, every account's samples under it, labelled. */
  assert_int_equal(count(s, "# HELP remotion_janitor_last_sweep_exit_code "),
                   1);
  assert_int_equal(count(s, "# TYPE remotion_janitor_last_sweep_exit_code "
                            "gauge\n"), 1);
  assert_non_null(strstr(s, "# TYPE remotion_janitor_last_sweep_exit_code "
                            "gauge\nremotion_janitor_last_sweep_exit_code"
                            "{account=\"alpha\"} 0\nremotion_janitor_last_"
                            "sweep_exit_code{account=\"beta\"} 1\n"));
  assert_non_null(strstr(s, "remotion_janitor_last_sweep_duration_seconds"
                            "{account=\"alpha\"} 2.500\n"));
  assert_non_null(strstr(s, "remotion_janitor_region_up{account=\"beta\","
                            "region=\"eu-west-1\"} 0\n"));
  /* A failed listing leaves its series absent, not 0. */
  assert_non_null(strstr(s, "remotion_janitor_resources{account=\"alpha\","
                            "type=\"function\",region=\"eu-west-1\"} 2\n"));
  assert_null(strstr(s, "remotion_janitor_resources{account=\"beta\","
                        "type=\"function\""));
  /* The daemon's counters once, without an account. */
  assert_non_null(strstr(s, "\nremotion_janitor_sweeps_total 1\n"));
  assert_non_null(strstr(s, "\nremotion_janitor_deletions_total{type=\""
                            "function\",result=\"deleted\"} 5\n"));
  assert_non_null(strstr(s, "\nremotion_janitor_region_incomplete_sweeps{"
                            "region=\"eu-west-1\"} 1\n"));
  /* Absent until there is one. */
  assert_null(strstr(s, "last_success_timestamp"));

  /* One account: the same families, the same label. */
  jbuf_reset(&out);
  assert_int_equal(metrics_format(&out, r, 1, &c), JAN_OK);
  assert_non_null(strstr(jbuf_str(&out), "remotion_janitor_last_sweep_exit_"
                                         "code{account=\"alpha\"} 0\n"));
  assert_null(strstr(jbuf_str(&out), "account=\"beta\""));
  jbuf_free(&out);
  inventory_free(&inv[0]);
  inventory_free(&inv[1]);
}

/* ---- the status record ------------------------------------------------- */

static struct json_object *account_record(const char *trigger, int64_t t0,
                                          int64_t t1, int code, int deleted)
{
  struct json_object *o = json_object_new_object();
  struct json_object *found = json_object_new_object();
  json_object_object_add(o, "finished", json_object_new_string("x"));
  json_object_object_add(o, "trigger", json_object_new_string(trigger));
  json_object_object_add(o, "mode", json_object_new_string("delete"));
  json_object_object_add(o, "exit_code", json_object_new_int(code));
  json_object_object_add(o, "started_ms", json_object_new_int64(t0));
  json_object_object_add(o, "finished_ms", json_object_new_int64(t1));
  json_object_object_add(o, "candidates", json_object_new_int64(deleted));
  json_object_object_add(o, "deleted", json_object_new_int64(deleted));
  json_object_object_add(found, "functions", json_object_new_int64(deleted));
  json_object_object_add(o, "found", found);
  return o;
}

static int64_t get(struct json_object *o, const char *path)
{
  char buf[128], *save = NULL;
  snprintf(buf, sizeof(buf), "%s", path);
  for(char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
    if(!json_object_object_get_ex(o, k, &o))
      return -1;
  return json_object_get_int64(o);
}

static void status_record(void **state)
{
  const char *names[] = { "alpha", "beta", "gamma" };
  struct json_object *recs[3], *o, *arr, *v;
  struct account_result r[3];

  (void)state;
  recs[0] = account_record("timer", 2000000, 5000000, 0, 2);
  recs[1] = account_record("timer", 1000000, 4000000, 3, 3);
  recs[2] = NULL;                       /* no record yet */
  memset(r, 0, sizeof(r));
  for(size_t i = 0; i < 3; i++) {
    r[i].name = names[i];
    r[i].record = recs[i];
  }
  o = last_sweep_run_record(r, 3, 1);
  /* The run: first start, last end, its code, the totals. */
  assert_int_equal(get(o, "exit_code"), 1);
  assert_int_equal(get(o, "duration_ms"), 4000000);
  assert_true(json_object_object_get_ex(o, "started", &v));
  assert_string_equal(json_object_get_string(v), "1970-01-01T00:16:40Z");
  assert_int_equal(get(o, "summary.deleted"), 5);
  assert_int_equal(get(o, "summary.found.functions"), 5);
  assert_true(json_object_object_get_ex(o, "trigger", &v));
  assert_string_equal(json_object_get_string(v), "timer");
  /* Each account's record, named, in order; a copy. */
  assert_true(json_object_object_get_ex(o, "accounts", &arr));
  assert_int_equal(json_object_array_length(arr), 3);
  for(size_t i = 0; i < 3; i++) {
    struct json_object *a = json_object_array_get_idx(arr, i);
    assert_true(json_object_object_get_ex(a, "name", &v));
    assert_string_equal(json_object_get_string(v), names[i]);
  }
  assert_int_equal(get(json_object_array_get_idx(arr, 1), "exit_code"), 3);
  assert_false(json_object_object_get_ex(recs[0], "name", &v));
  json_object_put(o);

  /* A list of one: the same shape. */
  o = last_sweep_run_record(r, 1, 0);
  assert_int_equal(get(o, "exit_code"), 0);
  assert_int_equal(get(o, "summary.deleted"), 2);
  assert_true(json_object_object_get_ex(o, "accounts", &arr));
  assert_int_equal(json_object_array_length(arr), 1);
  json_object_put(o);
  json_object_put(recs[0]);
  json_object_put(recs[1]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(run_exit_code),
    cmocka_unit_test(metrics_families),
    cmocka_unit_test(status_record),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
