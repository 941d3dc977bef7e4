/*
 * What a person reads (daemon/output.c, daemon/progress.c): ages in whole
 * units, long names cut in the middle to fit the terminal, and the progress
 * line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"
#include "progress.h"

static void test_age(void **state)
{
  char b[32];
  (void)state;
  output_age(-1, b, sizeof(b));
  assert_string_equal(b, "-");
  output_age(59, b, sizeof(b));
  assert_string_equal(b, "0m");
  output_age(3599, b, sizeof(b));
  assert_string_equal(b, "59m");
  output_age(3600 * 5 + 59, b, sizeof(b));
  assert_string_equal(b, "5h");
  output_age(86400 * 90 + 86399, b, sizeof(b));
  assert_string_equal(b, "90d");
}

static void test_fit(void **state)
{
  char b[256];
  const char *name = "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec";
  (void)state;
  output_fit(name, 0, b, sizeof(b));           /* no width: never cut */
  assert_string_equal(b, name);
  output_fit(name, 100, b, sizeof(b));
  assert_string_equal(b, name);
  output_fit(name, 21, b, sizeof(b));
  /* 10 bytes of the start, the ellipsis (3 bytes, one column), 10 of the
   * end: 21 columns. */
  assert_string_equal(b, "remotion-r\xe2\x80\xa6""8mb-120sec");
  output_fit(name, 2, b, sizeof(b));            /* too narrow to cut */
  assert_string_equal(b, name);
  /* Never half a UTF-8 character on either side of the cut. */
  output_fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 6, b, sizeof(b));
  assert_string_equal(b, "\xc3\xa9\xe2\x80\xa6\xc3\xa9");
}

static void test_progress_line(void **state)
{
  char b[256];
  struct progress_view v = { .done = 3, .total = 12, .objects = 45000,
                             .bucket = "remotionlambda-euwest1-abcdefghij" };
  (void)state;
  progress_format(&v, 9000.4, 0, b, sizeof(b));
  assert_string_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(9000/s), emptying remotionlambda-euwest1-"
                         "abcdefghij");
  /* 80 columns (79 usable): the counts whole, the name shortened. */
  v.bucket = "remotionlambda-euwest1-abcdefghijklmnopqrstuvwxyz0123456789";
  progress_format(&v, 9000.4, 79, b, sizeof(b));
  assert_int_equal(strlen(b), 79 + 2);          /* 79 columns */
  assert_memory_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(9000/s), emptying remot", 70);
  assert_non_null(strstr(b, "\xe2\x80\xa6"));
  assert_string_equal(b + strlen(b) - 4, "6789");
  /* Too narrow for a useful part of the name: the counts alone, whole. */
  progress_format(&v, 9000.4, 40, b, sizeof(b));
  assert_string_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(9000/s)");
  v.bucket = NULL;
  progress_format(&v, 0, 0, b, sizeof(b));
  assert_string_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(0/s)");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_age),
    cmocka_unit_test(test_fit),
    cmocka_unit_test(test_progress_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
