/*
 * The policy: each decision reason, the order the rules apply in, the
 * newest layer versions kept, and grace clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/policy.h"

#define NOW 1800000000
#define DAY 86400

struct fx {
  struct jan_config cfg;
  struct inventory inv;
};

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  assert_int_equal(config_defaults(&f->cfg), 0);
  f->cfg.buckets = true;
  inventory_init(&f->inv);
  assert_int_equal(inventory_add_region(&f->inv, "eu-west-1"), 0);
  assert_int_equal(inventory_add_region(&f->inv, "us-east-1"), 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  inventory_free(&f->inv);
  config_free(&f->cfg);
  free(f);
  return 0;
}

static struct inv_item *add(struct fx *f, enum jan_kind k, const char *region,
                            const char *name, int64_t version, int64_t age)
{
  struct inv_item *it = inventory_add(&f->inv, k, region, name, NULL, version,
                                      age < 0 ? -1 : NOW - age);
  assert_non_null(it);
  return it;
}

static const struct inv_item *find(const struct fx *f, enum jan_kind k,
                                   const char *name, int64_t version)
{
  for(size_t i = 0; i < f->inv.n; i++)
    if(f->inv.items[i].kind == k && !strcmp(f->inv.items[i].name, name) &&
       f->inv.items[i].version == version)
      return &f->inv.items[i];
  fail_msg("no item %s", name);
  abort();
}

static void expect(const struct fx *f, enum jan_kind k, const char *name,
                   int64_t version, enum inv_decision d, const char *reason)
{
  const struct inv_item *it = find(f, k, name, version);
  assert_int_equal(it->decision, d);
  assert_string_equal(inv_item_reason(it), reason);
}

static void glob_add(char **list, size_t *n, const char *g)
{
  list[(*n)++] = strdup(g);
}

static void test_each_reason(void **state)
{
  struct fx *f = *state;
  glob_add(f->cfg.keep, &f->cfg.nkeep, "remotion-render-keepme*");
  glob_add(f->cfg.include, &f->cfg.ninclude, "remotion-render-*");
  glob_add(f->cfg.include, &f->cfg.ninclude, "remotion-binaries*");
  glob_add(f->cfg.include, &f->cfg.ninclude, "remotionlambda-*");
  f->cfg.functions = true;
  f->cfg.layers = true;
  f->cfg.buckets = false;

  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-old", 0, 30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-keepme-1", 0,
      30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-other", 0, 30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-young", 0, DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-unknown-age", 0,
      -1);
  add(f, JAN_KIND_BUCKET, "eu-west-1", "remotionlambda-euwest1-abc", 0,
      30 * DAY);
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-binaries", 1, 30 * DAY);
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-binaries", 2, 20 * DAY);
  add(f, JAN_KIND_FUNCTION, "us-east-1", "remotion-render-incomplete", 0,
      30 * DAY);
  inventory_mark_incomplete(&f->inv, "us-east-1", JAN_KIND_FUNCTION, "boom");

  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);

  expect(f, JAN_KIND_FUNCTION, "remotion-render-old", 0, INV_DELETE, "policy");
  expect(f, JAN_KIND_FUNCTION, "remotion-render-keepme-1", 0, INV_KEEP,
         "excluded");
  expect(f, JAN_KIND_FUNCTION, "remotion-other", 0, INV_KEEP,
         "not-included");
  expect(f, JAN_KIND_FUNCTION, "remotion-render-young", 0, INV_KEEP,
         "too-young");
  /* An unknown creation time never counts as old. */
  expect(f, JAN_KIND_FUNCTION, "remotion-render-unknown-age", 0, INV_KEEP,
         "too-young");
  expect(f, JAN_KIND_BUCKET, "remotionlambda-euwest1-abc", 0, INV_KEEP,
         "kind-disabled");
  expect(f, JAN_KIND_LAYER, "remotion-binaries", 1, INV_DELETE, "policy");
  expect(f, JAN_KIND_LAYER, "remotion-binaries", 2, INV_KEEP,
         "newest-layer-version");
  expect(f, JAN_KIND_FUNCTION, "remotion-render-incomplete", 0, INV_KEEP,
         "region-incomplete");
}

/* keep beats include, include beats kind, kind beats age. */
static void test_rule_order(void **state)
{
  struct fx *f = *state;
  glob_add(f->cfg.keep, &f->cfg.nkeep, "remotion-x*");
  glob_add(f->cfg.include, &f->cfg.ninclude, "remotion-y*");
  f->cfg.functions = false;
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-x", 0, DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-z", 0, DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-y", 0, DAY);
  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);
  expect(f, JAN_KIND_FUNCTION, "remotion-x", 0, INV_KEEP, "excluded");
  expect(f, JAN_KIND_FUNCTION, "remotion-z", 0, INV_KEEP, "not-included");
  expect(f, JAN_KIND_FUNCTION, "remotion-y", 0, INV_KEEP, "kind-disabled");
}

static void test_layer_versions_kept(void **state)
{
  struct fx *f = *state;
  f->cfg.keep_layer_versions = 2;
  /* Added out of order, in two regions: the decision sorts. */
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-l", 3, 30 * DAY);
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-l", 1, 30 * DAY);
  add(f, JAN_KIND_LAYER, "us-east-1", "remotion-l", 1, 30 * DAY);
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-l", 2, 30 * DAY);
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-l", 10, 30 * DAY);
  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);
  expect(f, JAN_KIND_LAYER, "remotion-l", 1, INV_DELETE, "policy");
  expect(f, JAN_KIND_LAYER, "remotion-l", 2, INV_DELETE, "policy");
  expect(f, JAN_KIND_LAYER, "remotion-l", 3, INV_KEEP,
         "newest-layer-version");
  expect(f, JAN_KIND_LAYER, "remotion-l", 10, INV_KEEP,
         "newest-layer-version");
  /* us-east-1's only version is its newest. */
  for(size_t i = 0; i < f->inv.n; i++)
    if(!strcmp(f->inv.items[i].region, "us-east-1"))
      assert_string_equal(inv_item_reason(&f->inv.items[i]), "newest-layer-version");
}

#define LG "/aws/lambda/"

/* Every clock 30 days old except the "-new" ones. */
static int64_t clock_30d_any(void *arg, const struct inv_item *it,
                             int64_t now)
{
  (void)arg;
  return strstr(it->name, "-new") ? now : now - 30 * DAY;
}

/*
 * Log groups: an orphan is decided on its own age (kept too-young while
 * young, deleted when old); the group of a function that exists follows
 * the function whatever its own age (deleted with it, kept with its
 * reason); an incomplete function listing keeps every group of its region;
 * keep globs match the function's name; a group outside the scope is never
 * a candidate; log_groups = no keeps them all.
 */
static void test_log_groups(void **state)
{
  struct fx *f = *state;
  f->cfg.log_groups = true;
  f->cfg.grace_s = 7 * DAY;      /* the orphans' own clocks */
  glob_add(f->cfg.keep, &f->cfg.nkeep, "remotion-kept*");
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-long", 0, 60 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-young", 0, DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-render-long", 0, DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-render-young", 0,
      60 * DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-gone-old", 0,
      60 * DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-gone-young", 0, DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-gone-new", 0,
      60 * DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-kept-1", 0, 60 * DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", "/aws/lambda-insights", 0,
      60 * DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "Remotion-x", 0, 60 * DAY);
  /* The same name in another region: the function is not there. */
  add(f, JAN_KIND_LOG_GROUP, "us-east-1", LG "remotion-render-long", 0,
      60 * DAY);
  policy_decide(&f->inv, &f->cfg, NOW, clock_30d_any, NULL);

  expect(f, JAN_KIND_FUNCTION, "remotion-render-long", 0, INV_DELETE,
         "policy");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-render-long", 0, INV_DELETE,
         "policy");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-render-young", 0, INV_KEEP,
         "too-young");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-gone-old", 0, INV_DELETE,
         "policy");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-gone-young", 0, INV_KEEP,
         "too-young");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-gone-new", 0, INV_KEEP,
         "in-grace");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-kept-1", 0, INV_KEEP,
         "excluded");
  expect(f, JAN_KIND_LOG_GROUP, "/aws/lambda-insights", 0, INV_KEEP,
         "not-included");
  expect(f, JAN_KIND_LOG_GROUP, LG "Remotion-x", 0, INV_KEEP,
         "not-included");
  assert_ptr_equal(policy_log_group_function(
                       &f->inv, find(f, JAN_KIND_LOG_GROUP,
                                     LG "remotion-render-long", 0)),
                   find(f, JAN_KIND_FUNCTION, "remotion-render-long", 0));
  for(size_t i = 0; i < f->inv.n; i++)
    if(!strcmp(f->inv.items[i].region, "us-east-1"))
      assert_int_equal(f->inv.items[i].decision, INV_DELETE);

  /* Whether a function exists is unknown: every group there is kept. */
  inventory_mark_incomplete(&f->inv, "eu-west-1", JAN_KIND_FUNCTION, "boom");
  policy_decide(&f->inv, &f->cfg, NOW, clock_30d_any, NULL);
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-gone-old", 0, INV_KEEP,
         "region-incomplete");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-render-long", 0, INV_KEEP,
         "region-incomplete");

  f->cfg.log_groups = false;
  policy_decide(&f->inv, &f->cfg, NOW, clock_30d_any, NULL);
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-render-long", 0, INV_KEEP,
         "kind-disabled");
}

/* keep_tag: KEY matches any value, KEY=VALUE that value only, byte for
 * byte; a candidate whose tags could not be read is kept "tags-unknown";
 * only functions and buckets; a log group follows its function. */
static void test_keep_tag(void **state)
{
  struct fx *f = *state;
  static char k0[] = "keep", v0[] = "yes", k1[] = "Team", v1[] = "",
              k2[] = "a", v2[] = "b=c";
  struct wire_tag t[] = { { k0, v0 }, { k1, v1 }, { k2, v2 } };
  struct wire_tag_list tags = { t, 3 }, none = { NULL, 0 };
  static const struct {
    const char *keep_tag;
    int keeps;
  } rows[] = {
    { "keep", 1 }, { "keep=yes", 1 }, { "keep=no", 0 }, { "keep=Yes", 0 },
    { "keep=", 0 }, { "KEEP", 0 }, { "Team", 1 }, { "Team=", 1 },
    { "team", 0 }, { "a=b=c", 1 }, { "a=b", 0 }, { "other", 0 },
  };

  for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    free(f->cfg.keep_tag);
    f->cfg.keep_tag = strdup(rows[i].keep_tag);
    if(policy_tag_keeps(&f->cfg, &tags) != rows[i].keeps)
      fail_msg("keep_tag %s: %d", rows[i].keep_tag, !rows[i].keeps);
    assert_false(policy_tag_keeps(&f->cfg, &none));
  }
  assert_true(policy_tags_apply(&f->cfg, JAN_KIND_FUNCTION));
  assert_true(policy_tags_apply(&f->cfg, JAN_KIND_BUCKET));
  assert_false(policy_tags_apply(&f->cfg, JAN_KIND_LAYER));
  assert_false(policy_tags_apply(&f->cfg, JAN_KIND_LOG_GROUP));

  free(f->cfg.keep_tag);
  f->cfg.keep_tag = strdup("keep=yes");
  f->cfg.log_groups = true;
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-tagged", 0, 30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-plain", 0, 30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-unread", 0, 30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-young", 0, DAY);
  add(f, JAN_KIND_LAYER, "eu-west-1", "remotion-l", 1, 30 * DAY);
  add(f, JAN_KIND_LOG_GROUP, "eu-west-1", LG "remotion-tagged", 0, DAY);
  f->cfg.keep_layer_versions = 0;
  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);
  for(size_t i = 0; i < f->inv.n; i++) {
    struct inv_item *it = &f->inv.items[i];
    policy_decide_tags(it, &f->cfg, !strcmp(it->name, "remotion-tagged")
                       ? &tags : !strcmp(it->name, "remotion-unread")
                       ? NULL : &none);
  }
  policy_follow_functions(&f->inv);
  expect(f, JAN_KIND_FUNCTION, "remotion-tagged", 0, INV_KEEP, "tagged");
  expect(f, JAN_KIND_FUNCTION, "remotion-plain", 0, INV_DELETE, "policy");
  expect(f, JAN_KIND_FUNCTION, "remotion-unread", 0, INV_KEEP,
         "tags-unknown");
  /* Only candidates: an earlier reason stays. */
  expect(f, JAN_KIND_FUNCTION, "remotion-young", 0, INV_KEEP, "too-young");
  expect(f, JAN_KIND_LAYER, "remotion-l", 1, INV_DELETE, "policy");
  expect(f, JAN_KIND_LOG_GROUP, LG "remotion-tagged", 0, INV_KEEP, "tagged");
}

static int64_t clock_30d(void *arg, const struct inv_item *it, int64_t now)
{
  (*(int *)arg)++;
  return !strcmp(it->name, "remotion-render-long") ? now - 30 * DAY : now;
}

static void test_grace(void **state)
{
  struct fx *f = *state;
  int calls = 0;
  f->cfg.grace_s = 7 * DAY;
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-long", 0, 60 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-new", 0, 60 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotion-render-young", 0, DAY);
  policy_decide(&f->inv, &f->cfg, NOW, clock_30d, &calls);
  expect(f, JAN_KIND_FUNCTION, "remotion-render-long", 0, INV_DELETE,
         "policy");
  expect(f, JAN_KIND_FUNCTION, "remotion-render-new", 0, INV_KEEP,
         "in-grace");
  expect(f, JAN_KIND_FUNCTION, "remotion-render-young", 0, INV_KEEP,
         "too-young");
  /* Clocks only run for would-be candidates. */
  assert_int_equal(calls, 2);

  /* Without clocks, a grace keeps everything. */
  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);
  expect(f, JAN_KIND_FUNCTION, "remotion-render-long", 0, INV_KEEP,
         "in-grace");
}

/* The policy checks the scope itself too: a name that slipped into the
 * inventory outside the scope is never a candidate. */
static void test_scope_rechecked(void **state)
{
  struct fx *f = *state;
  f->cfg.min_age_s = 0;
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "Remotion-render-x", 0, 30 * DAY);
  add(f, JAN_KIND_FUNCTION, "eu-west-1", "remotionlambda-x", 0, 30 * DAY);
  add(f, JAN_KIND_BUCKET, "eu-west-1", "remotionfan", 0, 30 * DAY);
  add(f, JAN_KIND_BUCKET, "eu-west-1", "remotionlambda-x", 0, 30 * DAY);
  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);
  expect(f, JAN_KIND_FUNCTION, "Remotion-render-x", 0, INV_KEEP,
         "not-included");
  expect(f, JAN_KIND_FUNCTION, "remotionlambda-x", 0, INV_KEEP,
         "not-included");
  expect(f, JAN_KIND_BUCKET, "remotionfan", 0, INV_KEEP, "not-included");
  expect(f, JAN_KIND_BUCKET, "remotionlambda-x", 0, INV_DELETE, "policy");
}

/* An incomplete bucket listing keeps every bucket, in every region. */
static void test_buckets_incomplete(void **state)
{
  struct fx *f = *state;
  add(f, JAN_KIND_BUCKET, "eu-west-1", "remotionlambda-a", 0, 30 * DAY);
  f->inv.buckets_incomplete = 1;
  policy_decide(&f->inv, &f->cfg, NOW, NULL, NULL);
  expect(f, JAN_KIND_BUCKET, "remotionlambda-a", 0, INV_KEEP,
         "region-incomplete");
}

/* The rule for a grace clock read from the state file, as a table. */
static void test_stored_clock(void **state)
{
  static const struct {
    const char *what;
    int64_t since, created, first_sweep;
    enum policy_clock want;
  } rows[] = {
    { "none stored", -1, NOW - 9 * DAY, NOW - 30 * DAY, POLICY_CLOCK_NONE },
    { "a day old", NOW - DAY, NOW - 9 * DAY, NOW - 30 * DAY,
      POLICY_CLOCK_OK },
    { "started at the first sweep", NOW - 30 * DAY, NOW - 90 * DAY,
      NOW - 30 * DAY, POLICY_CLOCK_OK },
    { "started as the resource was made", NOW - 9 * DAY, NOW - 9 * DAY,
      NOW - 30 * DAY, POLICY_CLOCK_OK },
    { "now", NOW, NOW - 9 * DAY, NOW, POLICY_CLOCK_OK },
    { "creation unknown", NOW - DAY, -1, NOW - 30 * DAY, POLICY_CLOCK_OK },
    { "one second ahead", NOW + 1, NOW - 9 * DAY, NOW - 30 * DAY,
      POLICY_CLOCK_FUTURE },
    { "400 days ahead", NOW + 400 * DAY, NOW - 9 * DAY, NOW - 30 * DAY,
      POLICY_CLOCK_FUTURE },
    { "0 (1970)", 0, NOW - 9 * DAY, NOW - 30 * DAY,
      POLICY_CLOCK_BEFORE_CREATED },
    { "before the resource", NOW - 10 * DAY, NOW - 9 * DAY, NOW - 30 * DAY,
      POLICY_CLOCK_BEFORE_CREATED },
    { "another account's (before its first sweep)", NOW - 20 * DAY,
      NOW - 90 * DAY, NOW - 5 * DAY, POLICY_CLOCK_BEFORE_FIRST_SWEEP },
    { "0, creation unknown", 0, -1, NOW - 30 * DAY,
      POLICY_CLOCK_BEFORE_FIRST_SWEEP },
    { "no record of the first sweep", NOW - DAY, NOW - 9 * DAY, 0,
      POLICY_CLOCK_BEFORE_FIRST_SWEEP },
  };
  (void)state;
  for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    enum policy_clock got = policy_clock_check(rows[i].since, NOW,
                                               rows[i].created,
                                               rows[i].first_sweep);
    if(got != rows[i].want)
      fail_msg("%s: %s, want %s", rows[i].what, policy_clock_name(got),
               policy_clock_name(rows[i].want));
  }
}

/* One name per reason, each distinct, as the reports spell them. */
static void test_reason_names(void **state)
{
  (void)state;
  for(int i = 0; i < INV_REASON_N; i++) {
    assert_non_null(inv_reason_name((enum inv_reason)i));
    assert_string_not_equal(inv_reason_name((enum inv_reason)i), "?");
    for(int j = 0; j < i; j++)
      assert_string_not_equal(inv_reason_name((enum inv_reason)i),
                              inv_reason_name((enum inv_reason)j));
  }
  assert_string_equal(inv_reason_name(INV_REASON_POLICY), "policy");
  assert_string_equal(inv_reason_name(INV_REASON_IN_GRACE), "in-grace");
  assert_string_equal(inv_reason_name(INV_REASON_VERSIONED), "versioned");
  assert_string_equal(inv_reason_name(INV_REASON_N), "?");
}

static int64_t seen_at;
static int64_t clock_at(void *arg, const struct inv_item *it, int64_t now)
{
  (void)arg; (void)it; (void)now;
  return seen_at;
}

/* Renders and props go through the same decision: their own reason wins;
 * a candidate waits out its grace like any other resource. */
static void test_decide_item_renders(void **state)
{
  struct jan_config cfg;
  struct inv_item it;
  (void)state;
  assert_int_equal(config_defaults(&cfg), 0);
  cfg.grace_s = 86400;
  memset(&it, 0, sizeof(it));
  it.kind = JAN_KIND_RENDER;
  seen_at = NOW - 10;
  policy_decide_item(&it, INV_REASON_POLICY, &cfg, NOW, clock_at, NULL);
  assert_int_equal(it.decision, INV_KEEP);
  assert_int_equal(it.why, INV_REASON_IN_GRACE);
  assert_string_equal(inv_item_reason(&it), "in-grace");
  seen_at = NOW - 86400;
  policy_decide_item(&it, INV_REASON_POLICY, &cfg, NOW, clock_at, NULL);
  assert_int_equal(it.decision, INV_DELETE);
  assert_string_equal(inv_item_reason(&it), "policy");
  policy_decide_item(&it, INV_REASON_NOTHING_TO_PRUNE, &cfg, NOW, clock_at,
                     NULL);
  assert_int_equal(it.decision, INV_KEEP);
  assert_string_equal(inv_item_reason(&it), "nothing-to-prune");
  cfg.grace_s = 0;
  policy_decide_item(&it, INV_REASON_POLICY, &cfg, NOW, NULL, NULL);
  assert_int_equal(it.decision, INV_DELETE);
  config_free(&cfg);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_each_reason, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rule_order, setup, teardown),
    cmocka_unit_test_setup_teardown(test_layer_versions_kept, setup, teardown),
    cmocka_unit_test_setup_teardown(test_grace, setup, teardown),
    cmocka_unit_test_setup_teardown(test_log_groups, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keep_tag, setup, teardown),
    cmocka_unit_test_setup_teardown(test_scope_rechecked, setup, teardown),
    cmocka_unit_test_setup_teardown(test_buckets_incomplete, setup, teardown),
    cmocka_unit_test(test_stored_clock),
    cmocka_unit_test(test_reason_names),
    cmocka_unit_test(test_decide_item_renders),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
