/*
 * The INI line reader (common/ini.c) in both dialects: the janitor's
 * config and the AWS shared files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "janitor/ini.h"

/* Read text and write one line per result into out:
 * "L:S name", "L:P name=value", "L:E code". */
static void run(const char *text, size_t len, size_t max, unsigned flags,
                char *out, size_t outsz)
{
  struct ini_reader r;
  struct ini_line l;
  size_t o = 0;

  out[0] = '\0';
  ini_init(&r, text, len, max, flags);
  while(ini_next(&r, &l)) {
    int n;
    if(l.kind == INI_SECTION)
      n = snprintf(out + o, outsz - o, "%u:S %.*s\n", l.lineno,
                   (int)l.name_len, l.name);
    else if(l.kind == INI_PAIR)
      n = snprintf(out + o, outsz - o, "%u:P %.*s=%.*s\n", l.lineno,
                   (int)l.name_len, l.name, (int)l.value_len, l.value);
    else
      n = snprintf(out + o, outsz - o, "%u:E %d%s\n", l.lineno,
                   (int)l.error, l.header ? "h" : "");
    assert_true(n > 0 && (size_t)n < outsz - o);
    o += (size_t)n;
  }
}

#define EXPECT(text, max, flags, want) do {                               \
    char got_[1024];                                                      \
    run(text, sizeof(text) - 1, max, flags, got_, sizeof(got_));          \
    if(strcmp(got_, want) != 0)                                           \
      fail_msg("for [%s]\nwant:\n%sgot:\n%s", text, want, got_);          \
  } while(0)

#define CONF (INI_INLINE_COMMENTS | INI_CONTROL_BYTES)
#define AWS INI_CONTINUATION

static void test_common(void **state)
{
  (void)state;
  /* BOM, CRLF, blanks around everything, first '=' or ':' splits. */
  EXPECT("\xEF\xBB\xBF[ a b ]\r\n  k\t= v = w \r\nx: y:z\n", 100, 0,
         "1:S a b\n2:P k=v = w\n3:P x=y:z\n");
  /* Comments and blank lines are skipped, line numbers kept. */
  EXPECT("; c\n\n# d\n   \n[s]\n", 100, 0, "5:S s\n");
  /* An empty value is a pair; no newline at the end is fine. */
  EXPECT("[s]\nk =", 100, 0, "1:S s\n2:P k=\n");
  /* Errors, each on its line, and reading goes on after them. */
  EXPECT("[s\n[s] t\n[ ]\n= v\nwords\n[ok]\n", 100, 0,
         "1:E 3h\n2:E 4h\n3:E 5h\n4:E 6\n5:E 7\n6:S ok\n");
  /* The length limit counts the line without its "\r\n". */
  EXPECT("12345\r\n123456\n", 5, 0, "1:E 7\n2:E 0\n");
  EXPECT("[s]\nk=\0v\n", 100, 0, "1:S s\n2:E 1\n");
}

static void test_config_dialect(void **state)
{
  (void)state;
  /* Inline comments after a blank, of both kinds; not inside a word. */
  EXPECT("[s] ; c\nk = a;b # c\nm = x\t;y\n", 100, CONF,
         "1:S s\n2:P k=a;b\n3:P m=x\n");
  /* Control bytes (tab allowed) are errors. */
  EXPECT("k = a\x01\nm = \x7f\nt\t=\tv\n", 100, CONF,
         "1:E 2\n2:E 2\n3:P t=v\n");
  /* Indentation means nothing: an indented line is a line. */
  EXPECT("[s]\nk = a\n  m = b\n", 100, CONF, "1:S s\n2:P k=a\n3:P m=b\n");
}

static void test_aws_dialect(void **state)
{
  (void)state;
  /* Lines indented deeper than the pair above continue it (skipped); a
   * section ends that; a comment-looking value stays a value. */
  EXPECT("[p]\ns3 =\n  max = 1\n  x\nk = a # b\n[q]\n  j = 1\n", 100, AWS,
         "1:S p\n2:P s3=\n5:P k=a # b\n6:S q\n7:P j=1\n");
  /* An indented pair sets the level: deeper lines continue it. */
  EXPECT("[p]\n  a = 1\n    b\n  c = 2\n", 100, AWS,
         "1:S p\n2:P a=1\n4:P c=2\n");
  /* Control bytes are the caller's business here. */
  EXPECT("[p]\nk = \x01\n", 100, AWS, "1:S p\n2:P k=\x01\n");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_common),
    cmocka_unit_test(test_config_dialect),
    cmocka_unit_test(test_aws_dialect),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
