#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/buf.h"

static void test_cap_enforced(void **state)
{
  struct jbuf b;
  (void)state;
  jbuf_init(&b, 8);
  assert_int_equal(jbuf_addstr(&b, "12345678"), JAN_OK);
  assert_int_equal(jbuf_addc(&b, 'x'), JAN_ETOOBIG);
  /* A refused add leaves the content as it was. */
  assert_string_equal(jbuf_str(&b), "12345678");
  assert_int_equal(jbuf_printf(&b, "%d", 1), JAN_ETOOBIG);
  assert_int_equal(b.len, 8);
  jbuf_free(&b);
}

static void test_printf_and_take(void **state)
{
  struct jbuf b;
  char *s;
  (void)state;
  jbuf_init(&b, 1 << 20);
  assert_string_equal(jbuf_str(&b), "");
  for(int i = 0; i < 1000; i++)
    assert_int_equal(jbuf_printf(&b, "%04d", i), JAN_OK);
  assert_int_equal(b.len, 4000);
  assert_memory_equal(b.ptr + 3996, "0999", 4);
  s = jbuf_take(&b);
  assert_int_equal(strlen(s), 4000);
  assert_null(b.ptr);
  free(s);
  jbuf_reset(&b);
  jbuf_free(&b);
}

static void test_binary_content(void **state)
{
  struct jbuf b;
  (void)state;
  jbuf_init(&b, 16);
  assert_int_equal(jbuf_add(&b, "a\0b", 3), JAN_OK);
  assert_int_equal(b.len, 3);
  assert_int_equal(b.ptr[3], '\0');
  jbuf_free(&b);
}

/* jbuf_cat: the strings in order, all or none under the cap. */
static void test_cat(void **state)
{
  struct jbuf b;
  (void)state;
  jbuf_init(&b, 16);
  assert_int_equal(jbuf_cat(&b, "ab", "", "cd", (char *)NULL), JAN_OK);
  assert_string_equal(jbuf_str(&b), "abcd");
  assert_int_equal(jbuf_cat(&b, (char *)NULL), JAN_OK);
  assert_int_equal(b.len, 4);
  /* 4 + 13 > 16: nothing of it is added. */
  assert_int_equal(jbuf_cat(&b, "0123456", "789012", (char *)NULL),
                   JAN_ETOOBIG);
  assert_string_equal(jbuf_str(&b), "abcd");
  assert_int_equal(jbuf_cat(&b, "0123456", "78901", (char *)NULL), JAN_OK);
  assert_string_equal(jbuf_str(&b), "abcd012345678901");
  jbuf_free(&b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_cap_enforced),
    cmocka_unit_test(test_printf_and_take),
    cmocka_unit_test(test_binary_content),
    cmocka_unit_test(test_cat),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
