/*
 * What --check-config reports beyond the syntax (issue 10): an endpoint_url
 * that is not http(s)://, or holds user info, a query or a fragment (issue
 * 19), a socket path too long for sun_path (both on
 * every load), and with CONFIG_CHECK_PATHS what only the file system can
 * tell: an unreadable ca_bundle, a directory for the state, audit log or
 * metrics that is missing, a symbolic link or world-writable.  Every error
 * as FILE:LINE, all of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "janitor/buf.h"
#include "janitor/config.h"

#define ERRS_MAX (1u << 20)

static int load_text(struct jan_config *c, const char *text, struct jbuf *errs)
{
  assert_int_equal(config_defaults(c), JAN_OK);
  jbuf_init(errs, ERRS_MAX);
  return config_load_string(c, "t.conf", text, strlen(text), errs);
}

static void test_endpoint_url(void **state)
{
  static const char *const good[] = {
    "http://127.0.0.1:4566", "https://s3.example.com/x", "HTTPS://h", "Http://h",
    "http://[::1]:8080/base/p@th",
  };
  /* Scheme, host, port and path only (issue 19).  User info is not quoted
   * back: it may hold a password. */
  static const struct {
    const char *url, *error;
  } refused[] = {
    { "http://user:pa55word@127.0.0.1:1", "t.conf:2: endpoint_url: the URL "
      "holds user info (user@ or user:password@); put no credentials in an "
      "endpoint URL\n" },
    { "https://me@h/p", "t.conf:2: endpoint_url: the URL holds user info "
      "(user@ or user:password@); put no credentials in an endpoint URL\n" },
    { "http://h:1/x?y=1", "t.conf:2: endpoint_url: 'http://h:1/x?y=1' holds "
      "a query ('?'); give only scheme, host, port and path\n" },
    { "http://h?", "t.conf:2: endpoint_url: 'http://h?' holds a query ('?'); "
      "give only scheme, host, port and path\n" },
    { "http://h/#frag", "t.conf:2: endpoint_url: 'http://h/#frag' holds a "
      "fragment ('#'); give only scheme, host, port and path\n" },
  };
  static const char *const bad[] = {
    "localhost:4566", "ftp://h", "http://", "https:///path", "s3.amazonaws.com",
    "http:/h", "httpx://h",
  };
  struct jan_config c;
  struct jbuf errs, want;
  char text[256];

  (void)state;
  for(size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    snprintf(text, sizeof(text), "[aws]\nendpoint_url = %s\n", good[i]);
    assert_int_equal(load_text(&c, text, &errs), JAN_OK);
    assert_string_equal(c.endpoint_url, good[i]);
    config_free(&c);
    jbuf_free(&errs);
  }
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(text, sizeof(text), "[aws]\nendpoint_url = %s\n", bad[i]);
    assert_int_equal(load_text(&c, text, &errs), JAN_ECONFIG);
    jbuf_init(&want, 4096);
    assert_int_equal(jbuf_printf(&want, "t.conf:2: endpoint_url: '%s' is not "
                                 "an http:// or https:// URL\n", bad[i]),
                     JAN_OK);
    assert_string_equal(jbuf_str(&errs), jbuf_str(&want));
    /* The value is not taken. */
    assert_null(c.endpoint_url);
    config_free(&c);
    jbuf_free(&errs);
    jbuf_free(&want);
  }
  for(size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    snprintf(text, sizeof(text), "[aws]\nendpoint_url = %s\n", refused[i].url);
    assert_int_equal(load_text(&c, text, &errs), JAN_ECONFIG);
    assert_string_equal(jbuf_str(&errs), refused[i].error);
    assert_null(c.endpoint_url);
    config_free(&c);
    jbuf_free(&errs);
  }
}

static void test_socket_path_length(void **state)
{
  const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
  struct jan_config c;
  struct jbuf errs, want;
  char path[200], text[300];

  (void)state;
  assert_int_equal(max, 107);
  /* 107 bytes fit (with the NUL: 108, sun_path's size). */
  memset(path, 'a', sizeof(path));
  path[0] = '/';
  path[max] = '\0';
  snprintf(text, sizeof(text), "[daemon]\nsocket = %s\n", path);
  assert_int_equal(load_text(&c, text, &errs), JAN_OK);
  assert_int_equal(strlen(c.socket), max);
  config_free(&c);
  jbuf_free(&errs);
  /* 108 do not. */
  path[max] = 'a';
  path[max + 1] = '\0';
  snprintf(text, sizeof(text), "; a comment\n[daemon]\nsocket = %s\n", path);
  assert_int_equal(load_text(&c, text, &errs), JAN_ECONFIG);
  jbuf_init(&want, 4096);
  assert_int_equal(jbuf_printf(&want, "t.conf:3: socket: the path is 108 bytes "
                               "long; a socket path has at most 107\n"),
                   JAN_OK);
  assert_string_equal(jbuf_str(&errs), jbuf_str(&want));
  config_free(&c);
  jbuf_free(&errs);
  jbuf_free(&want);
}

/* ---- the file system ------------------------------------------------------ */

struct tree {
  char base[64];
};

static void join(char *out, size_t len, const struct tree *t, const char *rel)
{
  assert_true((size_t)snprintf(out, len, "%s/%s", t->base, rel) < len);
}

/* base/ok (0750), base/ww (0777), base/link -> ok, base/ca.pem, base/fifo. */
static void make_tree(struct tree *t)
{
  char p[256], q[256];
  FILE *f;

  snprintf(t->base, sizeof(t->base), "/tmp/jan-cfgpaths-XXXXXX");
  assert_non_null(mkdtemp(t->base));
  join(p, sizeof(p), t, "ok");
  assert_int_equal(mkdir(p, 0750), 0);
  join(p, sizeof(p), t, "ww");
  assert_int_equal(mkdir(p, 0700), 0);
  assert_int_equal(chmod(p, 0777), 0);
  join(p, sizeof(p), t, "ok");
  join(q, sizeof(q), t, "link");
  assert_int_equal(symlink(p, q), 0);
  join(p, sizeof(p), t, "ca.pem");
  f = fopen(p, "w");
  assert_non_null(f);
  fputs("-----BEGIN CERTIFICATE-----\n", f);
  fclose(f);
  join(p, sizeof(p), t, "fifo");
  assert_int_equal(mkfifo(p, 0600), 0);
}

static void remove_tree(const struct tree *t)
{
  static const char *const names[] = {
    "ok/m.prom", "link", "fifo", "ca.pem", "j.conf", "ok", "ww", "new",
  };
  char p[256];

  for(size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    join(p, sizeof(p), t, names[i]);
    if(unlink(p))
      (void)rmdir(p);
  }
  assert_int_equal(rmdir(t->base), 0);
}

/* Write text (with every "@" replaced by the tree's base) to base/j.conf and
 * load it with flags into c; errs is initialised here. */
static int load_tree(struct jan_config *c, const struct tree *t,
                     const char *text, unsigned flags, struct jbuf *errs)
{
  char path[256];
  FILE *f;

  join(path, sizeof(path), t, "j.conf");
  f = fopen(path, "w");
  assert_non_null(f);
  for(const char *p = text; *p; p++) {
    if(*p == '@')
      fputs(t->base, f);
    else
      fputc(*p, f);
  }
  fclose(f);
  assert_int_equal(config_defaults(c), JAN_OK);
  jbuf_init(errs, ERRS_MAX);
  return config_load_flags(c, path, flags, errs);
}

/* s with the tree's base written as "@" and its config file as "J". */
static char *untree(const struct tree *t, const char *s)
{
  char conf[256];
  size_t bl = strlen(t->base), cl;
  struct jbuf b;

  join(conf, sizeof(conf), t, "j.conf");
  cl = strlen(conf);
  jbuf_init(&b, ERRS_MAX);
  while(*s) {
    if(!strncmp(s, conf, cl)) {
      assert_int_equal(jbuf_addc(&b, 'J'), JAN_OK);
      s += cl;
    }
    else if(!strncmp(s, t->base, bl)) {
      assert_int_equal(jbuf_addc(&b, '@'), JAN_OK);
      s += bl;
    }
    else {
      assert_int_equal(jbuf_addc(&b, *s++), JAN_OK);
    }
  }
  return jbuf_take(&b);
}

/* Load text (see load_tree) and compare what it reports, with the base
 * written as "@" and the config file as "J". */
static void expect(const struct tree *t, const char *text, unsigned flags,
                   int rc, const char *want)
{
  struct jan_config c;
  struct jbuf errs;
  char *got;

  assert_int_equal(load_tree(&c, t, text, flags, &errs), rc);
  got = untree(t, jbuf_str(&errs));
  assert_string_equal(got, want);
  free(got);
  config_free(&c);
  jbuf_free(&errs);
}

static void test_paths_every_error(void **state)
{
  static const char text[] =
    "[aws]\n"
    "ca_bundle = @/missing.pem\n"                  /* 2 */
    "[daemon]\n"
    "state_file = @/link/state.json\n"             /* 4 */
    "audit_log = @/ww/audit.jsonl\n"               /* 5 */
    "metrics_file = @/no/such/m.prom\n"            /* 6 */
    "socket_mode = 0999\n";                        /* 7: a syntax error too */
  static const char mode_error[] =
    "J:7: socket_mode: invalid mode '0999' (octal digits, e.g. 0660)\n";
  struct tree t;

  (void)state;
  make_tree(&t);
  expect(&t, text, CONFIG_CHECK_PATHS, JAN_ECONFIG,
         "J:2: ca_bundle: @/missing.pem: cannot open: No such file or "
         "directory\n"
         "J:4: state_file: @/link: is a symbolic link; refusing to use it\n"
         "J:5: audit_log: @/ww: the directory is world-writable; refusing to "
         "use it\n"
         "J:6: metrics_file: @/no/such: No such file or directory\n"
         "J:7: socket_mode: invalid mode '0999' (octal digits, e.g. 0660)\n");
  /* A plain load (start, SIGHUP) does not look at the file system. */
  expect(&t, text, 0, JAN_ECONFIG, mode_error);
  remove_tree(&t);
}

static void test_paths_state_dir(void **state)
{
  struct tree t;
  struct stat sb;
  char p[256];

  (void)state;
  make_tree(&t);
  /* A missing state directory is created by the daemon when its parent
   * exists: fine, and so is the audit log beside it.  A FIFO is not a CA
   * bundle (and does not hang the check). */
  expect(&t, "[aws]\nca_bundle = @/fifo\n[daemon]\n"
         "state_file = @/new/state.json\naudit_log = @/new/audit.jsonl\n"
         "metrics_file = @/ok/m.prom\n", CONFIG_CHECK_PATHS, JAN_ECONFIG,
         "J:2: ca_bundle: @/fifo: is a named pipe (FIFO), not a regular "
         "file; refusing to read it\n");
  /* Nothing was created. */
  join(p, sizeof(p), &t, "new");
  assert_int_equal(lstat(p, &sb), -1);
  /* All good. */
  expect(&t, "[aws]\nca_bundle = @/ca.pem\n[daemon]\n"
         "state_file = @/ok/state.json\naudit_log = @/ok/audit.jsonl\n",
         CONFIG_CHECK_PATHS, JAN_OK, "");
  /* A state directory whose parent is missing cannot be created. */
  expect(&t, "[daemon]\nstate_file = @/no/such/s.json\n"
         "audit_log = @/ok/audit.jsonl\n", CONFIG_CHECK_PATHS, JAN_ECONFIG,
         "J:2: state_file: @/no/such: does not exist, and @/no is not a "
         "directory to create it in\n");
  remove_tree(&t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_endpoint_url),
    cmocka_unit_test(test_socket_path_length),
    cmocka_unit_test(test_paths_every_error),
    cmocka_unit_test(test_paths_state_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
