/*
 * The scope rule (remotion-janitor(8), DESCRIPTION) and the glob matcher: what is in scope,
 * the look-alikes that are not, and which include globs may narrow it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/scope.h"

static void test_kind_names(void **state)
{
  (void)state;
  assert_string_equal(scope_kind_name(JAN_KIND_BUCKET), "bucket");
  assert_string_equal(scope_kind_name(JAN_KIND_FUNCTION), "function");
  assert_string_equal(scope_kind_name(JAN_KIND_LAYER), "layer");
}

static void test_in_scope(void **state)
{
  (void)state;
  assert_true(scope_contains(JAN_KIND_BUCKET, "remotion-x"));
  assert_true(scope_contains(JAN_KIND_BUCKET,
                             "remotionlambda-apsouth1-3ysk0nyazp"));
  assert_true(scope_contains(JAN_KIND_FUNCTION,
                             "remotion-render-4-0-100-mem2048mb-disk2048mb-"
                             "120sec"));
  assert_true(scope_contains(JAN_KIND_LAYER, "remotion-binaries-arm64"));
}

/* remotionlambda- is a bucket prefix only. */
static void test_remotionlambda_only_buckets(void **state)
{
  (void)state;
  assert_true(scope_contains(JAN_KIND_BUCKET, "remotionlambda-abc"));
  assert_false(scope_contains(JAN_KIND_FUNCTION, "remotionlambda-abc"));
  assert_false(scope_contains(JAN_KIND_LAYER, "remotionlambda-abc"));
}

static void test_look_alikes(void **state)
{
  /* "remоtion-x" with a Cyrillic о (U+043E, D0 BE) for the first o. */
  static const char cyrillic[] = "rem\xD0\xBEtion-x";
  static const char *const names[] = {
    "Remotion-x", "REMOTION-x", "remotionfan", "remotion_x", "xremotion-a",
    " remotion-a", "remotion", "remotion-", "remotionlambda", "remotion\t-x",
    cyrillic, "", "Remotionlambda-x", "remotionlambda_x",
  };
  enum jan_kind kinds[] = { JAN_KIND_BUCKET, JAN_KIND_FUNCTION,
                            JAN_KIND_LAYER };
  size_t i, k;

  (void)state;
  for(k = 0; k < 3; k++) {
    for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
      if(scope_contains(kinds[k], names[i]))
        fail_msg("'%s' is in scope as a %s", names[i],
                 scope_kind_name(kinds[k]));
    }
    assert_false(scope_contains(kinds[k], NULL));
  }
  /* A bare prefix is not a name Remotion makes: out of scope. */
  assert_false(scope_contains(JAN_KIND_BUCKET, "remotionlambda-"));
  assert_true(scope_contains(JAN_KIND_BUCKET, "remotion-a"));
  assert_false(scope_contains((enum jan_kind)42, "remotion-a"));
}

/* Log groups: "/aws/lambda/" and a function name in scope, byte for byte. */
static void test_log_groups(void **state)
{
  static const char *const out[] = {
    "/aws/lambda-insights", "/aws/lambda/Remotion-x", "/aws/lambda/remotionfan",
    "/aws/lambda/remotion-", "/aws/lambda/", "/aws/lambda", "aws/lambda/remotion-x",
    "/aws/Lambda/remotion-x", "/aws/lambda//remotion-x", "remotion-x",
    "/aws/lambda/remotionlambda-x", "/aws/lambda/xremotion-a",
    "/aws/lambda/rem\xD0\xBEtion-x", " /aws/lambda/remotion-x",
    "/aws/lambda-insights/remotion-x", "/aws/codebuild/remotion-x", "",
  };
  enum jan_kind k = JAN_KIND_BUCKET;
  const char *g = "/aws/lambda/remotion-render-4-0-1-mem2048mb";

  (void)state;
  assert_true(scope_log_group_contains(g));
  assert_ptr_equal(scope_log_group_owner(g, &k), g + strlen("/aws/lambda/"));
  assert_int_equal(k, JAN_KIND_FUNCTION);
  assert_true(scope_log_group_contains("/aws/lambda/remotion-x"));
  /* The kind's scope is the same rule: one mechanism. */
  assert_true(scope_contains(JAN_KIND_LOG_GROUP, g));
  assert_string_equal(scope_kind_name(JAN_KIND_LOG_GROUP), "log_group");
  assert_string_equal(scope_log_group_prefix(JAN_KIND_FUNCTION),
                      "/aws/lambda/");
  assert_null(scope_log_group_prefix(JAN_KIND_BUCKET));
  for(size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
    if(scope_log_group_contains(out[i]))
      fail_msg("log group '%s' is in scope", out[i]);
    assert_false(scope_contains(JAN_KIND_LOG_GROUP, out[i]));
    assert_null(scope_log_group_owner(out[i], NULL));
  }
  assert_false(scope_log_group_contains(NULL));
  assert_int_equal(strncmp(g, SCOPE_LOG_GROUP_PREFIX,
                           strlen(SCOPE_LOG_GROUP_PREFIX)), 0);
}

struct gcase {
  const char *glob, *name;
  bool match;
};

static void test_glob_match(void **state)
{
  static const struct gcase cases[] = {
    { "remotion-*", "remotion-render-1", true },
    { "remotion-*", "remotion-", true },
    { "remotion-*", "remotionlambda-x", false },
    { "*", "", true },
    { "*", "anything/with/slashes", true },
    { "", "", true },
    { "", "a", false },
    { "a", "", false },
    { "?", "a", true },
    { "?", "", false },
    { "??", "a", false },
    { "a*b", "ab", true },
    { "a*b", "axxxb", true },
    { "a*b", "axxxbc", false },
    { "a*b*c", "abxbxc", true },
    { "*.json", "x.json", true },
    { "remotion-render-4-0-*-mem2048mb-*", "remotion-render-4-0-1-mem2048mb-"
      "disk2048mb-120sec", true },
    /* Classes: ranges, negation with ! and ^, ']' first, '-' last. */
    { "[abc]", "b", true },
    { "[abc]", "d", false },
    { "[a-c]x", "bx", true },
    { "[a-c]x", "dx", false },
    { "[!a-c]", "d", true },
    { "[!a-c]", "a", false },
    { "[^a-c]", "a", false },
    { "[^a-c]", "z", true },
    { "[]]", "]", true },
    { "[!]]", "]", false },
    { "[!]]", "a", true },
    { "[a-]", "-", true },
    { "[0-9][0-9]", "42", true },
    { "[0-9][0-9]", "4x", false },
    /* An unterminated class is a literal '['. */
    { "[abc", "[abc", true },
    { "[abc", "a", false },
    /* Escapes. */
    { "\\*", "*", true },
    { "\\*", "a", false },
    { "a\\?c", "a?c", true },
    { "a\\?c", "abc", false },
    { "[\\]]", "]", true },
    { "x\\", "x\\", true },
    /* Case-sensitive, bytes. */
    { "remotion-*", "Remotion-x", false },
    { "re?motion", "re\xD0\xBEmotion", false },
    { "re??motion", "re\xD0\xBEmotion", true },
    { "*\xD0\xBE*", "rem\xD0\xBEtion", true },
    { "[\xD0]*", "\xD0\xBE", true },
  };
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if(scope_glob_match(cases[i].glob, cases[i].name) != cases[i].match)
      fail_msg("glob '%s' on '%s': expected %s", cases[i].glob,
               cases[i].name, cases[i].match ? "match" : "no match");
  }
  assert_false(scope_glob_match(NULL, "a"));
  assert_false(scope_glob_match("a", NULL));
}

/*
 * Patterns that make a backtracking matcher take exponential time; the
 * two-pointer matcher does this in well under a second.  (The assertion is
 * that it completes, not a time limit.)
 */
static void test_glob_pathological(void **state)
{
  enum { N = 10000 };
  char *name = malloc(N + 2);

  (void)state;
  assert_non_null(name);
  memset(name, 'a', N);
  name[N] = '\0';
  assert_false(scope_glob_match("*a*a*a*a*b", name));
  assert_false(scope_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
  assert_true(scope_glob_match("*a*a*a*a*a", name));
  assert_false(scope_glob_match("*?*?*?*?*[b]", name));
  name[N] = 'b';
  name[N + 1] = '\0';
  assert_true(scope_glob_match("*a*a*a*a*b", name));
  assert_true(scope_glob_match("a*a*?*[ab]*b", name));
  free(name);
}

static void test_glob_narrows(void **state)
{
  static const char *const good[] = {
    "remotion-*", "remotion-render-*", "remotionlambda-*",
    "remotionlambda-eu*", "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec",
    "remotion-[a-z]*", "remotion-?", "remotion\\-*", "\\remotion-*",
    "remotion-",
  };
  static const char *const bad[] = {
    "*", "", "remotion*", "remotion?*", "remotion[-]*", "Remotion-*",
    "[r]emotion-*", "remotionlambda*", "?emotion-*", "remotio*", "remotion",
    "*remotion-*", "rem\xD0\xBEtion-*", "REMOTION-*", "remotion_*",
    "remotion\\*-x", "remotionfan-*",
  };
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    if(!scope_glob_narrows(good[i]))
      fail_msg("'%s' should narrow the scope", good[i]);
  for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if(scope_glob_narrows(bad[i]))
      fail_msg("'%s' should be refused: it widens the scope", bad[i]);
  assert_false(scope_glob_narrows(NULL));
}

/*
 * What narrows really stays inside: every name a narrowing glob matches in
 * a sample starts with a scope prefix.
 */
static void test_narrowing_globs_stay_inside(void **state)
{
  static const char *const globs[] = { "remotion-*", "remotionlambda-*",
                                       "remotion-?*", "remotion-[!x]*" };
  static const char *const names[] = {
    "remotion-a", "remotionlambda-a", "remotionfan", "Remotion-a", "x",
    "remotion", "remotion_x", "xremotion-a",
  };
  size_t g, n;

  (void)state;
  for(g = 0; g < sizeof(globs) / sizeof(globs[0]); g++) {
    assert_true(scope_glob_narrows(globs[g]));
    for(n = 0; n < sizeof(names) / sizeof(names[0]); n++)
      if(scope_glob_match(globs[g], names[n]))
        assert_true(scope_contains(JAN_KIND_BUCKET, names[n]));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kind_names),
    cmocka_unit_test(test_in_scope),
    cmocka_unit_test(test_remotionlambda_only_buckets),
    cmocka_unit_test(test_look_alikes),
    cmocka_unit_test(test_log_groups),
    cmocka_unit_test(test_glob_match),
    cmocka_unit_test(test_glob_pathological),
    cmocka_unit_test(test_glob_narrows),
    cmocka_unit_test(test_narrowing_globs_stay_inside),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
