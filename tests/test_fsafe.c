/*
 * The one reader of the files the janitor reads (issue 19): what a file's
 * type makes of it (fsafe_kind_refusal(), a table), and fsafe_read_file()
 * on each kind: a regular file read whole, /dev/null empty or absent, a
 * named pipe, directory or oversized file refused at once, naming the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "janitor/buf.h"
#include "janitor/fsafe.h"

static void test_kind_refusal(void **state)
{
  static const struct {
    mode_t mode;
    dev_t rdev;
    const char *want;           /* NULL: readable */
  } cases[] = {
    { S_IFREG | 0600, 0, NULL },
    { S_IFCHR | 0666, 0, "is a device, not a regular file" },
    { S_IFDIR | 0755, 0, "is a directory" },
    { S_IFIFO | 0600, 0, "is a named pipe (FIFO), not a regular file" },
    { S_IFSOCK | 0600, 0, "is a socket, not a regular file" },
    { S_IFBLK | 0600, 0, "is a device, not a regular file" },
    { S_IFLNK | 0777, 0, "is not a regular file" },
  };
  (void)state;
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *got = fsafe_kind_refusal(cases[i].mode, cases[i].rdev);
    if(!cases[i].want)
      assert_null(got);
    else
      assert_string_equal(got, cases[i].want);
  }
  /* /dev/null (1, 3) reads as empty; another character device does not. */
  assert_null(fsafe_kind_refusal(S_IFCHR | 0666, makedev(1, 3)));
  assert_true(fsafe_is_null(S_IFCHR | 0666, makedev(1, 3)));
  assert_false(fsafe_is_null(S_IFCHR | 0666, makedev(1, 5)));
  assert_false(fsafe_is_null(S_IFREG | 0666, makedev(1, 3)));
}

struct dir {
  char base[64], p[128];
};

static const char *at(struct dir *d, const char *name)
{
  snprintf(d->p, sizeof(d->p), "%s/%s", d->base, name);
  return d->p;
}

static void expect_refused(const char *path, size_t max, int rc,
                           const char *why)
{
  struct jbuf err;
  char *out = (char *)1, want[256];
  size_t len = 7;

  jbuf_init(&err, 1024);
  assert_int_equal(fsafe_read_file(path, max, FSAFE_READ_WIPE, &out, &len,
                                   NULL, &err), rc);
  assert_null(out);
  assert_int_equal(len, 0);
  snprintf(want, sizeof(want), "%s: %s", path, why);
  assert_string_equal(jbuf_str(&err), want);
  jbuf_free(&err);
}

static void test_read_file(void **state)
{
  struct dir d;
  struct jbuf err;
  char *out;
  size_t len;
  int fd, fd0, e;
  FILE *f;

  (void)state;
  fd0 = open("/dev/null", O_RDONLY);
  assert_true(fd0 >= 0);
  close(fd0);
  snprintf(d.base, sizeof(d.base), "/tmp/jan-fsafe-XXXXXX");
  assert_non_null(mkdtemp(d.base));
  jbuf_init(&err, 1024);

  f = fopen(at(&d, "ok"), "w");
  assert_non_null(f);
  fputs("[default]\nx = 1\n", f);
  fclose(f);
  assert_int_equal(fsafe_read_file(at(&d, "ok"), 16, 0, &out, &len, NULL,
                                   &err), JAN_OK);
  assert_int_equal(len, 16);
  assert_string_equal(out, "[default]\nx = 1\n");
  free(out);
  /* One byte over the cap: refused, not cut. */
  expect_refused(at(&d, "ok"), 15, JAN_ETOOBIG, "larger than 15 bytes");

  /* A named pipe with no writer: refused at once, never waited on. */
  assert_int_equal(mkfifo(at(&d, "fifo"), 0600), 0);
  expect_refused(at(&d, "fifo"), 1024, JAN_EIO,
                 "is a named pipe (FIFO), not a regular file; refusing to "
                 "read it");
  assert_int_equal(mkdir(at(&d, "dir"), 0700), 0);
  expect_refused(at(&d, "dir"), 1024, JAN_EIO,
                 "is a directory; refusing to read it");
  /* fsafe_check_read() (the CA bundle) says the same, and names a
   * missing file too. */
  assert_int_equal(fsafe_check_read(at(&d, "fifo"), 1024, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "is a named pipe (FIFO)"));
  jbuf_reset(&err);
  assert_int_equal(fsafe_check_read(at(&d, "none"), 1024, &err), JAN_ENOENT);
  assert_non_null(strstr(jbuf_str(&err), "none: cannot open: No such file"));
  jbuf_reset(&err);
  assert_int_equal(fsafe_check_read(at(&d, "ok"), 1024, &err), JAN_OK);

  /* Missing: JAN_ENOENT without a message, errno kept. */
  assert_int_equal(fsafe_read_file(at(&d, "none"), 16, 0, &out, &len, &e,
                                   &err), JAN_ENOENT);
  assert_int_equal(e, ENOENT);
  assert_int_equal(err.len, 0);
  /* /dev/null: empty, or no file with FSAFE_READ_NULL_ABSENT. */
  assert_int_equal(fsafe_read_file("/dev/null", 16, 0, &out, &len, NULL,
                                   &err), JAN_OK);
  assert_int_equal(len, 0);
  assert_string_equal(out, "");
  free(out);
  assert_int_equal(fsafe_read_file("/dev/null", 16, FSAFE_READ_NULL_ABSENT,
                                   &out, &len, NULL, &err), JAN_ENOENT);
  /* Another device is refused: /dev/zero would never end. */
  expect_refused("/dev/zero", 16, JAN_EIO,
                 "is a device, not a regular file; refusing to read it");
  /* No descriptor is left open on any path: the lowest free one is the
   * same as before. */
  fd = open("/dev/null", O_RDONLY);
  assert_int_equal(fd, fd0);
  close(fd);

  jbuf_free(&err);
  unlink(at(&d, "ok"));
  unlink(at(&d, "fifo"));
  rmdir(at(&d, "dir"));
  rmdir(d.base);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kind_refusal),
    cmocka_unit_test(test_read_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
