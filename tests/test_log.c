/*
 * Logging: the level threshold, subsystem tags, "<N>" priority prefixes
 * when stderr is the journal stream, and one line per message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "janitor/log.h"

/* Run f with stderr redirected to a temp file; return what it wrote. */
static char *capture(void (*f)(void), int journal)
{
  static char buf[8192];
  char path[] = "/tmp/jan-log-XXXXXX";
  int fd = mkstemp(path), saved;
  struct stat st;
  FILE *in;
  size_t n;

  assert_true(fd >= 0);
  fflush(stderr);
  saved = dup(STDERR_FILENO);
  assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
  if(journal) {
    char v[64];
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
  }
  else {
    /* A JOURNAL_STREAM that names another stream does not count. */
    setenv("JOURNAL_STREAM", "1:2", 1);
  }
  f();
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  unsetenv("JOURNAL_STREAM");
  in = fopen(path, "r");
  n = fread(buf, 1, sizeof(buf) - 1, in);
  buf[n] = '\0';
  fclose(in);
  unlink(path);
  return buf;
}

static void emit(void)
{
  jlog_init(JLOG_INFO);
  jlog_err("sweep", "region %s failed", "eu-west-1");
  jlog_warn("aws", "retrying");
  jlog_info("bucket", "two\nlines");
  /* A render id from a key: escape sequences, a bidi override and bytes
   * that are not UTF-8 never reach the reader's terminal raw; an escape
   * already made (a backslash) is kept, valid UTF-8 too. */
  jlog_info("delete", "deleted render %s",
            "r\x1b]0;x\x07\xe2\x80\xae" "a\xff\\x1b\xc3\xa9");
  jlog_debug("http", "not shown at info");
}

static void test_journal_prefixes(void **state)
{
  const char *out;
  (void)state;
  out = capture(emit, 1);
  assert_string_equal(out, "<3>sweep: region eu-west-1 failed\n"
                           "<4>aws: retrying\n"
                           "<6>bucket: two\\x0alines\n"
                           "<6>delete: deleted render r\\x1b]0;x\\x07"
                           "\\xe2\\x80\\xae" "a\\xff\\x1b\xc3\xa9\n");
}

static void test_plain_lines(void **state)
{
  const char *out;
  (void)state;
  out = capture(emit, 0);
  assert_null(strstr(out, "<3>"));
  assert_non_null(strstr(out, "Z error sweep: region eu-west-1 failed\n"));
  assert_non_null(strstr(out, "Z warning aws: retrying\n"));
  assert_non_null(strstr(out, "Z info bucket: two\\x0alines\n"));
  assert_null(strstr(out, "not shown"));
}

static int formatted;
static const char *counted(void)
{
  formatted++;
  return "x";
}

static void emit_debug_only(void)
{
  jlog_init(JLOG_NOTICE);
  /* The level is checked before the arguments are even evaluated. */
  jlog_debug("t", "%s", counted());
  jlog_info("t", "%s", counted());
}

static void test_level_checked_first(void **state)
{
  const char *out;
  (void)state;
  formatted = 0;
  out = capture(emit_debug_only, 0);
  assert_string_equal(out, "");
  assert_int_equal(formatted, 0);
}

static void emit_long(void)
{
  char big[5000];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  jlog_init(JLOG_INFO);
  jlog_info("t", "%s", big);
}

static void test_long_line_cut_whole(void **state)
{
  const char *out;
  (void)state;
  out = capture(emit_long, 1);
  assert_true(strlen(out) < 2100);
  assert_int_equal(out[strlen(out) - 1], '\n');
  assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_journal_prefixes),
    cmocka_unit_test(test_plain_lines),
    cmocka_unit_test(test_level_checked_first),
    cmocka_unit_test(test_long_line_cut_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
