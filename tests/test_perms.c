/*
 * The permission table (common/perms.c) and the policy the package ships
 * (conf/remotion-janitor-policy.json) say the same: every statement of the
 * policy grants exactly the actions whose rows name it, on exactly the
 * resource patterns of their shapes, and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "janitor/perms.h"

#ifndef POLICY_JSON
#error "POLICY_JSON: the path of conf/remotion-janitor-policy.json"
#endif

static int array_has(struct json_object *arr, const char *s)
{
  for(size_t i = 0; i < json_object_array_length(arr); i++)
    if(!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s))
      return 1;
  return 0;
}

static void test_shipped_policy_is_the_table(void **state)
{
  struct json_object *doc = json_object_from_file(POLICY_JSON), *sts;
  size_t granted = 0;
  (void)state;
  assert_non_null(doc);
  assert_true(json_object_object_get_ex(doc, "Statement", &sts));
  for(size_t i = 0; i < json_object_array_length(sts); i++) {
    struct json_object *st = json_object_array_get_idx(sts, i), *sid, *act,
                       *res;
    size_t nact = 0, nres = 0;
    int shape[PERM_RES_COUNT] = { 0 };
    assert_true(json_object_object_get_ex(st, "Sid", &sid));
    assert_true(json_object_object_get_ex(st, "Action", &act));
    assert_true(json_object_object_get_ex(st, "Resource", &res));
    assert_string_equal(json_object_get_string(
                            json_object_object_get(st, "Effect")), "Allow");
    /* Every row of this statement is granted by it... */
    for(int id = 0; id < PERM_ALL_COUNT; id++) {
      const struct jan_perm *p = perm_get((enum perm_id)id);
      if(strcmp(p->sid, json_object_get_string(sid)))
        continue;
      if(!array_has(act, p->action))
        fail_msg("%s: %s is not granted", p->sid, p->action);
      shape[p->res] = 1;
      nact++;
    }
    /* ...and nothing else. */
    assert_int_equal(json_object_array_length(act), nact);
    for(int r = PERM_RES_ANY; r < PERM_RES_COUNT; r++) {
      const char *const *pats;
      size_t n = perm_patterns((enum perm_res)r, &pats);
      for(size_t k = 0; shape[r] && k < n; k++) {
        if(!array_has(res, pats[k]))
          fail_msg("%s: %s missing", json_object_get_string(sid), pats[k]);
        nres++;
      }
    }
    assert_int_equal(json_object_array_length(res), nres);
    granted += nact;
  }
  /* Every row is in some statement. */
  assert_int_equal(granted, PERM_ALL_COUNT);
  json_object_put(doc);
}

static void test_patterns_stay_in_scope(void **state)
{
  (void)state;
  for(int r = PERM_RES_BUCKET; r < PERM_RES_COUNT; r++) {
    const char *const *pats;
    size_t n = perm_patterns((enum perm_res)r, &pats);
    assert_true(n >= 1);
    for(size_t k = 0; k < n; k++)
      assert_true(strstr(pats[k], ":remotion-") ||
                  strstr(pats[k], ":remotionlambda-") ||
                  strstr(pats[k], ":log-group:/aws/lambda/remotion-"));
  }
  assert_string_equal(perm_action(PERM_DELETE_BUCKET), "s3:DeleteBucket");
  assert_non_null(perm_get(PERM_COUNT));
  assert_null(perm_get(PERM_ALL_COUNT));
}

/* The optional features' rows: their actions, and only the listing on
 * "*" (a statement of its own, so that deletion stays scoped). */
static void test_optional_rows(void **state)
{
  (void)state;
  assert_string_equal(perm_action(PERM_DESCRIBE_LOG_GROUPS),
                      "logs:DescribeLogGroups");
  assert_string_equal(perm_action(PERM_DELETE_LOG_GROUP),
                      "logs:DeleteLogGroup");
  assert_string_equal(perm_action(PERM_LIST_TAGS), "lambda:ListTags");
  assert_string_equal(perm_action(PERM_GET_BUCKET_TAGGING),
                      "s3:GetBucketTagging");
  for(int id = PERM_COUNT; id < PERM_ALL_COUNT; id++) {
    const struct jan_perm *p = perm_get((enum perm_id)id);
    assert_true(p->feature == PERM_FOR_LOG_GROUPS ||
                p->feature == PERM_FOR_KEEP_TAGS);
    assert_int_equal(strncmp(p->sid, "Optional", 8), 0);
    if(id != PERM_DESCRIBE_LOG_GROUPS)
      assert_int_not_equal(p->res, PERM_RES_ANY);
  }
  assert_string_equal(perm_action(PERM_ALL_COUNT), "?");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shipped_policy_is_the_table),
    cmocka_unit_test(test_patterns_stay_in_scope),
    cmocka_unit_test(test_optional_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
