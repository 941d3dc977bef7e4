/*
 * The accounts of a run (daemon/account_list.c): the fate table of an
 * organization's members (a section wins, then the management account,
 * then the status, then the exclusions), the shard hash pinned to
 * published FNV-1a 64 vectors and to fixed account ids (a change would
 * move accounts between daemons), and the list built from a config and a
 * listing: sections first, then members by id, named by id, with the role
 * ARN of role_name, and the shards disjoint and complete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "account_list.h"

static void load(struct jan_config *c, const char *text)
{
  struct jbuf errs;
  assert_int_equal(config_defaults(c), JAN_OK);
  jbuf_init(&errs, 65536);
  if(config_load_string(c, "t.conf", text, strlen(text), &errs) != JAN_OK)
    fail_msg("%s", jbuf_str(&errs));
  jbuf_free(&errs);
}

static void test_shard_hash_is_fixed(void **state)
{
  (void)state;
  /* FNV-1a 64's published vectors. */
  assert_true(shard_hash("") == 0xcbf29ce484222325ull);
  assert_true(shard_hash("a") == 0xaf63dc4c8601ec8cull);
  /* And account ids: these shards must never change. */
  assert_true(shard_hash("123456789012") == 0x9684504508e47147ull);
  assert_int_equal(shard_of_account("123456789012", 3), 3);
  assert_int_equal(shard_of_account("123456789012", 7), 7);
  assert_int_equal(shard_of_account("111111111111", 3), 1);
  assert_int_equal(shard_of_account("111111111111", 7), 4);
  assert_int_equal(shard_of_account("000000000000", 3), 2);
  assert_int_equal(shard_of_account("000000000000", 1), 1);
  assert_int_equal(shard_of_account("000000000000", 0), 0);
}

static struct org_member member(const char *id, enum wire_org_status s)
{
  struct org_member m;
  memset(&m, 0, sizeof(m));
  snprintf(m.id, sizeof(m.id), "%s", id);
  m.status = s;
  return m;
}

static void test_fate_table(void **state)
{
  struct jan_config c;
  struct org_member m;

  (void)state;
  load(&c, "[organization]\nrole_name = r\n"
           "exclude_accounts = 333333333333 444444444444\n"
           "[account own]\naccount_id = 444444444444\n"
           "[account mgmt]\naccount_id = 999999999999\n");
  m = member("222222222222", WIRE_ORG_ACTIVE);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_SWEEP);
  m = member("222222222222", WIRE_ORG_SUSPENDED);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_SUSPENDED);
  m = member("222222222222", WIRE_ORG_PENDING_CLOSURE);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_NOT_ACTIVE);
  m = member("222222222222", WIRE_ORG_OTHER);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_NOT_ACTIVE);
  /* Excluded and suspended: suspended (it could not be swept anyway). */
  m = member("333333333333", WIRE_ORG_SUSPENDED);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_SUSPENDED);
  m = member("333333333333", WIRE_ORG_ACTIVE);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_EXCLUDED);
  /* A section wins over an exclusion, and over the management account. */
  m = member("444444444444", WIRE_ORG_ACTIVE);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_SECTION);
  m = member("999999999999", WIRE_ORG_ACTIVE);
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_SECTION);
  m = member("555555555555", WIRE_ORG_ACTIVE);
  assert_int_equal(org_fate_of(&c, "555555555555", &m), ORG_MANAGEMENT);
  assert_int_equal(org_fate_of(&c, "888888888888", &m), ORG_SWEEP);
  config_free(&c);
  m = member("999999999999", WIRE_ORG_ACTIVE);
  load(&c, "[organization]\nrole_name = r\n");
  assert_int_equal(org_fate_of(&c, "999999999999", &m), ORG_MANAGEMENT);
  assert_string_equal(org_fate_name(ORG_MANAGEMENT), "management account");
  config_free(&c);
}

/* A listing of n members 1000000000NN (every 5th suspended) and the
 * management account 999999999999. */
static void listing(struct org_listing *l, size_t n)
{
  memset(l, 0, sizeof(*l));
  snprintf(l->management, sizeof(l->management), "999999999999");
  l->v = calloc(n + 1, sizeof(*l->v));
  assert_non_null(l->v);
  for(size_t i = 0; i < n; i++) {
    l->v[i] = member("", i % 5 == 4 ? WIRE_ORG_SUSPENDED : WIRE_ORG_ACTIVE);
    snprintf(l->v[i].id, sizeof(l->v[i].id), "1%011zu", i);
    l->v[i].name = strdup("member");
  }
  l->v[n] = member("999999999999", WIRE_ORG_ACTIVE);
  l->n = n + 1;
}

static void test_list(void **state)
{
  struct jan_config c;
  struct org_listing l;
  struct account_list al;

  (void)state;
  load(&c, "[organization]\nrole_name = janitor\nexternal_id = x\n"
           "exclude_accounts = 100000000001\n"
           "[account own]\naccount_id = 100000000002\nprofile = p\n");
  listing(&l, 10);
  assert_int_equal(account_list_build(&al, &c, &l), JAN_OK);
  /* The section, then the 10 members less 2 suspended, 1 excluded and
   * the one with a section. */
  assert_int_equal(al.n, 1 + 6);
  assert_string_equal(al.v[0].name, "own");
  assert_null(al.titles[0]);
  assert_string_equal(al.v[1].name, "100000000000");
  assert_string_equal(al.v[1].account_id, "100000000000");
  assert_string_equal(al.v[1].role_arn,
                      "arn:aws:iam::100000000000:role/janitor");
  assert_string_equal(al.v[1].external_id, "x");
  assert_string_equal(al.titles[1], "member");
  assert_int_equal(al.discovered, 6);
  assert_int_equal(al.nskipped, 2 + 1 + 1);
  assert_int_equal(al.skipped[0].fate, ORG_EXCLUDED);
  assert_string_equal(al.skipped[al.nskipped - 1].id, "999999999999");
  assert_int_equal(al.skipped[al.nskipped - 1].fate, ORG_MANAGEMENT);
  account_list_free(&al);
  config_free(&c);

  /* No section: the [aws] account is not one of the run. */
  load(&c, "[organization]\nrole_name = janitor\n");
  assert_int_equal(account_list_build(&al, &c, &l), JAN_OK);
  assert_int_equal(al.n, 8);
  for(size_t i = 0; i < al.n; i++)
    assert_string_not_equal(al.v[i].name, ACCOUNTS_DEFAULT_NAME);
  account_list_free(&al);
  config_free(&c);
  org_listing_free(&l);
}

/* The list grows page by page to the same list as at once: each id once
 * (a page repeating an earlier one's member adds nothing), members' strings
 * kept valid in a copy taken before the list grew. */
static void test_list_grows_by_page(void **state)
{
  struct jan_config c;
  struct org_listing l;
  struct account_list once, paged;
  struct jan_account first;

  (void)state;
  load(&c, "[organization]\nrole_name = janitor\n"
           "[account own]\naccount_id = 100000000002\nprofile = p\n");
  listing(&l, 200);
  assert_int_equal(account_list_build(&once, &c, &l), JAN_OK);
  assert_int_equal(account_list_begin(&paged, &c, 1), JAN_OK);
  assert_int_equal(paged.n, 1);
  for(size_t i = 0; i < l.n; i += 20) {
    size_t n = l.n - i < 20 ? l.n - i : 20;
    assert_int_equal(account_list_add(&paged, &c, l.management, &l.v[i], n),
                     JAN_OK);
    /* The same page again, and the first one: nothing more. */
    assert_int_equal(account_list_add(&paged, &c, l.management, &l.v[i], n),
                     JAN_OK);
    assert_int_equal(account_list_add(&paged, &c, l.management, l.v, 1),
                     JAN_OK);
    if(i == 0)
      first = paged.v[1];
  }
  assert_int_equal(paged.n, once.n);
  assert_int_equal(paged.discovered, once.discovered);
  assert_int_equal(paged.nskipped, once.nskipped);
  for(size_t i = 0; i < once.n; i++) {
    assert_string_equal(paged.v[i].name, once.v[i].name);
    assert_true((paged.titles[i] == NULL) == (once.titles[i] == NULL));
  }
  /* A copy from before the list grew still reads right. */
  assert_string_equal(first.name, "100000000000");
  assert_string_equal(first.role_arn,
                      "arn:aws:iam::100000000000:role/janitor");
  account_list_free(&once);
  account_list_free(&paged);
  config_free(&c);
  org_listing_free(&l);
}

static void test_shards_disjoint_and_complete(void **state)
{
  static const unsigned ns[] = { 1, 2, 3, 7, 64 };
  struct jan_config c;
  struct org_listing l;
  struct account_list al;
  size_t all;

  (void)state;
  listing(&l, 500);
  load(&c, "[organization]\nrole_name = janitor\n");
  assert_int_equal(account_list_build(&al, &c, &l), JAN_OK);
  all = al.n;
  account_list_free(&al);
  for(size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
    unsigned char *seen = calloc(l.n, 1);
    size_t total = 0;
    assert_non_null(seen);
    c.shard_count = ns[k];
    for(unsigned i = 1; i <= ns[k]; i++) {
      c.shard_index = i;
      assert_int_equal(account_list_build(&al, &c, &l), JAN_OK);
      assert_int_equal(al.n + al.other_shards, all);
      for(size_t j = 0; j < al.n; j++) {
        const struct org_member *m = org_listing_find(&l, al.v[j].account_id);
        assert_non_null(m);
        assert_int_equal(seen[m - l.v], 0);
        seen[m - l.v] = 1;
        assert_int_equal(shard_of_account(m->id, ns[k]), i);
      }
      total += al.n;
      account_list_free(&al);
    }
    assert_int_equal(total, all);
    free(seen);
  }
  /* Sections are sharded too, by their account_id. */
  config_free(&c);
  load(&c, "[account a]\naccount_id = 123456789012\n"
           "[account b]\naccount_id = 111111111111\n[daemon]\nshard = 3/3\n");
  assert_int_equal(account_list_build(&al, &c, NULL), JAN_OK);
  assert_int_equal(al.n, 1);
  assert_string_equal(al.v[0].name, "a");
  assert_int_equal(al.other_shards, 1);
  account_list_free(&al);
  config_free(&c);
  org_listing_free(&l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shard_hash_is_fixed),
    cmocka_unit_test(test_fate_table),
    cmocka_unit_test(test_list),
    cmocka_unit_test(test_list_grows_by_page),
    cmocka_unit_test(test_shards_disjoint_and_complete),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
