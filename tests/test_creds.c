/*
 * Credentials: the environment, shared files and systemd providers, and the
 * chain with its cache, refresh and queue (driven by a fake asynchronous
 * provider answering on demand or from a libuv timer).
 *
 * Every secret in these tests carries the marker TESTSECRETcreds.  Each
 * test runs with stderr redirected to a file; its teardown fails the test
 * if the marker shows up there, and every message the module returns is
 * checked the same way.  Secrets are never compared with cmocka's string
 * asserts, which would print them on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <uv.h>

#include "janitor/creds.h"
#include "janitor/creds_remote.h"
#include "janitor/creds_process.h"
#include "janitor/creds_sso.h"
#include "janitor/creds_sts.h"
#include "janitor/log.h"

#define MARK "TESTSECRETcreds"

/* ---- environment, temp dir, stderr capture -------------------------- */

static const char *const env_names[] = {
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
  "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
  "CREDENTIALS_DIRECTORY", "HOME"
};
static char *saved_env[JAN_ARRAY_SIZE(env_names)];

static char tmpdir[512];
static char fixtures[1024];
static char capture_path[600];
static int saved_stderr = -1;

static void clear_env(void)
{
  for(size_t i = 0; i < JAN_ARRAY_SIZE(env_names); i++)
    unsetenv(env_names[i]);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Everything the test wrote to stderr so far; caller frees. */
static char *captured(void)
{
  FILE *f;
  char *buf;
  long n;

  fflush(stderr);
  f = fopen(capture_path, "rb");
  if(!f)
    return strdup("");
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = calloc(1, (size_t)n + 1);
  if(buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
    buf[0] = '\0';
  fclose(f);
  return buf;
}

static int setup(void **state)
{
  const char *base = getenv("TMPDIR");
  int fd;

  (void)state;
  snprintf(tmpdir, sizeof(tmpdir), "%s/test_creds.XXXXXX",
           base && *base ? base : "/tmp");
  if(!mkdtemp(tmpdir))
    return -1;
  clear_env();
  setenv("HOME", tmpdir, 1);    /* never the real ~/.aws */

  snprintf(capture_path, sizeof(capture_path), "%s.stderr", tmpdir);
  fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if(fd < 0)
    return -1;
  fflush(stderr);
  saved_stderr = dup(2);
  dup2(fd, 2);
  close(fd);
  return 0;
}

/* Put stderr back, replay what the test wrote (with any leaked secret
 * masked, so that the run's output stays clean), fail on a leak. */
static int teardown(void **state)
{
  char *out = captured(), *p;
  int leaked = 0;

  (void)state;
  if(saved_stderr >= 0) {
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
  }
  for(p = out; p && (p = strstr(p, MARK)) != NULL; p++) {
    memcpy(p, "LEAKEDxSECRETxx", strlen(MARK));
    leaked = 1;
  }
  if(out && *out)
    fputs(out, stderr);
  if(leaked)
    fprintf(stderr, "test_creds: a secret reached stderr\n");
  free(out);
  unlink(capture_path);
  nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  clear_env();
  return leaked ? -1 : 0;
}

static int group_setup(void **state)
{
  const char *src = getenv("JAN_SOURCE_DIR");
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(env_names); i++) {
    const char *v = getenv(env_names[i]);
    saved_env[i] = v ? strdup(v) : NULL;
  }
  if(src && *src) {
    snprintf(fixtures, sizeof(fixtures), "%s/tests/creds", src);
  }
  else {
    const char *slash = strrchr(__FILE__, '/');
    snprintf(fixtures, sizeof(fixtures), "%.*s/creds",
             slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
  }
  /* Debug level: every log line the module can write is exercised. */
  jlog_max_level = JLOG_DEBUG;
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(env_names); i++) {
    if(saved_env[i])
      setenv(env_names[i], saved_env[i], 1);
    else
      unsetenv(env_names[i]);
    free(saved_env[i]);
  }
  return 0;
}

static void no_secret(const char *s)
{
  if(s && strstr(s, MARK)) {
    /* Not printing s: that would leak it into the test output. */
    fail_msg("a message holds a secret");
  }
}

#define assert_secret(got, want) \
  assert_true((got) != NULL && strcmp((got), (want)) == 0)

static void write_file(const char *name, const char *content, size_t len)
{
  char path[1024];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(content, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static void write_str(const char *name, const char *content)
{
  write_file(name, content, strlen(content));
}

static void make_dir(const char *name)
{
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  assert_int_equal(mkdir(path, 0700), 0);
}

/* setenv NAME to TMPDIR/rel (or to the fixture file when rel starts with
 * "fixture:"). */
static void setenv_path(const char *name, const char *rel)
{
  char path[1200];
  if(!strncmp(rel, "fixture:", 8))
    snprintf(path, sizeof(path), "%s/%s", fixtures, rel + 8);
  else
    snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
  setenv(name, path, 1);
}

/* ---- one synchronous fetch ------------------------------------------ */

struct result {
  int calls;
  int rc;
  struct aws_creds c;           /* c.source is NULL: see source */
  char source[128];             /* the source outlives only its provider */
  char msg[2048];
};

static void result_cb(void *arg, int rc, const struct aws_creds *c,
                      const char *msg)
{
  struct result *r = arg;
  r->calls++;
  r->rc = rc;
  creds_free(&r->c);
  r->source[0] = '\0';
  if(c) {
    assert_int_equal(creds_copy(&r->c, c), JAN_OK);
    assert_non_null(c->source);
    snprintf(r->source, sizeof(r->source), "%s", c->source);
    r->c.source = NULL;
  }
  r->msg[0] = '\0';
  if(msg)
    snprintf(r->msg, sizeof(r->msg), "%s", msg);
  no_secret(msg);
  if(rc == JAN_OK)
    assert_null(msg);
  else
    assert_null(c);
}

/* Fetch once from a fresh provider; the provider is freed. */
static void fetch(struct creds_provider *p, struct result *r)
{
  memset(r, 0, sizeof(*r));
  creds_init(&r->c);
  assert_non_null(p);
  p->fetch(p, result_cb, r);
  /* The synchronous providers answer before returning, exactly once. */
  assert_int_equal(r->calls, 1);
  p->destroy(p);
}

static void result_free(struct result *r)
{
  creds_free(&r->c);
}

static void fetch_profile(const char *profile, struct result *r)
{
  fetch(creds_provider_profile(profile), r);
}

static void use_fixtures(void)
{
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "fixture:credentials");
  setenv_path("AWS_CONFIG_FILE", "fixture:config");
}

/* ---- aws_creds helpers ---------------------------------------------- */

static void test_copy_and_free(void **state)
{
  struct aws_creds a, b;
  (void)state;
  creds_init(&a);
  a.access_key = strdup("AKIDcredsCopy");
  a.secret_key = strdup(MARK "Copy");
  a.expiration = 1234;
  a.source = "test";
  assert_int_equal(creds_copy(&b, &a), JAN_OK);
  assert_string_equal(b.access_key, "AKIDcredsCopy");
  assert_secret(b.secret_key, MARK "Copy");
  assert_null(b.session_token);
  assert_int_equal(b.expiration, 1234);
  assert_string_equal(b.source, "test");
  creds_free(&a);
  assert_null(a.secret_key);
  assert_int_equal(a.expiration, 0);
  creds_free(&b);
  creds_free(&b);               /* twice is harmless */
}

/* ---- environment ---------------------------------------------------- */

static void test_env_only(void **state)
{
  struct result r;
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDcredsEnv", 1);
  setenv("AWS_SECRET_ACCESS_KEY", MARK "Env", 1);
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsEnv");
  assert_secret(r.c.secret_key, MARK "Env");
  assert_null(r.c.session_token);
  assert_int_equal(r.c.expiration, 0);
  assert_string_equal(r.source, "environment");
  result_free(&r);

  setenv("AWS_SESSION_TOKEN", MARK "EnvToken", 1);
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_secret(r.c.session_token, MARK "EnvToken");
  result_free(&r);
}

static void test_env_none(void **state)
{
  struct result r;
  (void)state;
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_ENOENT);
  /* A lone token, or empty variables, are not credentials either. */
  setenv("AWS_SESSION_TOKEN", MARK "Lone", 1);
  setenv("AWS_ACCESS_KEY_ID", "", 1);
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_ENOENT);
}

static void test_env_partial(void **state)
{
  struct result r;
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDcredsEnv", 1);
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_string_equal(r.msg, "environment: AWS_ACCESS_KEY_ID is set but "
                      "AWS_SECRET_ACCESS_KEY is not");

  unsetenv("AWS_ACCESS_KEY_ID");
  setenv("AWS_SECRET_ACCESS_KEY", MARK "EnvPartial", 1);
  setenv("AWS_SESSION_TOKEN", MARK "EnvPartialToken", 1);
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "but AWS_ACCESS_KEY_ID is not"));
}

static void test_env_bad_characters(void **state)
{
  struct result r;
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDcredsEnv", 1);
  setenv("AWS_SECRET_ACCESS_KEY", MARK "Bad\nX-Injected: 1", 1);
  fetch(creds_provider_env(), &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "AWS_SECRET_ACCESS_KEY"));
}

/* ---- shared files --------------------------------------------------- */

static void test_files_default(void **state)
{
  struct result r;
  (void)state;
  use_fixtures();
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsFileDefault");
  assert_secret(r.c.secret_key, MARK "FileDefault");
  assert_string_equal(r.source, "profile:default");
  result_free(&r);
}

static void test_files_named(void **state)
{
  struct result r;
  (void)state;
  use_fixtures();
  fetch_profile("work", &r);
  assert_int_equal(r.rc, JAN_OK);
  /* [work], not the "[profile work]" further down the credentials file. */
  assert_string_equal(r.c.access_key, "AKIDcredsFileWork");
  assert_secret(r.c.secret_key, MARK "FileWork");
  assert_secret(r.c.session_token, MARK "FileWorkToken");
  assert_string_equal(r.source, "profile:work");
  result_free(&r);
}

static void test_files_config_profile(void **state)
{
  struct result r;
  (void)state;
  use_fixtures();
  /* [profile cfgonly]: not the nested "s3 =" lines, not [cfgonly]. */
  fetch_profile("cfgonly", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsConfigOnly");
  assert_secret(r.c.secret_key, MARK "ConfigOnly");
  result_free(&r);

  /* [default] of the config file, with no credentials file. */
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "absent");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsConfigDefault");
  result_free(&r);

  /* "[profile default]" counts as [default] too. */
  write_str("config", "[profile default]\naws_access_key_id = AKIDcredsPD\n"
            "aws_secret_access_key = " MARK "PD\n");
  setenv_path("AWS_CONFIG_FILE", "config");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsPD");
  result_free(&r);
}

static void test_files_aws_profile(void **state)
{
  struct result r;
  (void)state;
  use_fixtures();
  setenv("AWS_PROFILE", "work", 1);
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsFileWork");
  result_free(&r);
  /* The argument (the janitor's config) beats AWS_PROFILE. */
  fetch_profile("cfgonly", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsConfigOnly");
  assert_string_equal(r.source, "profile:cfgonly");
  result_free(&r);
}

static void test_files_missing_profile(void **state)
{
  struct result r;
  char want[2400];
  (void)state;
  use_fixtures();
  /* Asked for and found nowhere: an error, as with the AWS CLI. */
  fetch_profile("nope", &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  snprintf(want, sizeof(want), "profile nope not found in %s/credentials, "
           "%s/config", fixtures, fixtures);
  assert_string_equal(r.msg, want);

  setenv("AWS_PROFILE", "nope2", 1);
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "profile nope2 not found in "));

  /* "default" missing is only "nothing here". */
  unsetenv("AWS_PROFILE");
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "absent1");
  setenv_path("AWS_CONFIG_FILE", "absent2");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ENOENT);
  assert_non_null(strstr(r.msg, "profile default ("));
  assert_non_null(strstr(r.msg, "absent1: no such file"));
  fetch_profile("default", &r);
  assert_int_equal(r.rc, JAN_ENOENT);
}

static void test_files_credentials_beat_config(void **state)
{
  struct result r;
  (void)state;
  use_fixtures();
  fetch_profile("both", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsBothFromCredentials");
  assert_secret(r.c.secret_key, MARK "BothFromCredentials");
  result_free(&r);
  /* [default] is in both as well. */
  fetch_profile("default", &r);
  assert_string_equal(r.c.access_key, "AKIDcredsFileDefault");
  result_free(&r);
}

static void test_files_partial(void **state)
{
  struct result r;
  char want[1200];
  (void)state;
  use_fixtures();
  fetch_profile("partial", &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  snprintf(want, sizeof(want), "%s/credentials:18: profile partial sets "
           "aws_secret_access_key but not aws_access_key_id", fixtures);
  assert_string_equal(r.msg, want);

  /* Partial keys in the credentials file are an error even when the
   * config file has the whole set: no mixing. */
  write_str("credentials", "[both]\naws_access_key_id = AKIDcredsHalf\n");
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  fetch_profile("both", &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "credentials:2: profile both sets "
                          "aws_access_key_id but not aws_secret_access_key"));
}

static void test_files_keyless_and_unsupported(void **state)
{
  struct result r;
  (void)state;
  use_fixtures();
  /* A profile with settings but no keys: the chain moves on (the CLI
   * would look at the instance role too). */
  fetch_profile("regiononly", &r);
  assert_int_equal(r.rc, JAN_ENOENT);
  assert_non_null(strstr(r.msg, "config: no keys"));
  /* A role to assume: not supported, and not silently replaced. */
  fetch_profile("assumed", &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "config:23: profile assumed uses role_arn"));
}

static void test_files_format(void **state)
{
  static const char text[] =
    "\xef\xbb\xbf# comment\r\n"
    "; another comment\r\n"
    "\r\n"
    "  [  spaced  ]  \r\n"
    "\tAWS_Access_Key_ID   =   AKIDcredsSpaced   \r\n"
    "  # an indented comment\r\n"
    "\tAws_Secret_Access_Key:" MARK "Spaced\t\r\n"
    "\r\n"
    "[other]\r\n"
    "aws_access_key_id = AKIDcredsOther\r\n"
    "aws_secret_access_key = " MARK "Other";   /* no final newline */
  struct result r;
  (void)state;
  write_str("credentials", text);
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  setenv_path("AWS_CONFIG_FILE", "absent");
  fetch_profile("spaced", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsSpaced");
  assert_secret(r.c.secret_key, MARK "Spaced");
  result_free(&r);
  fetch_profile("other", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsOther");
  assert_secret(r.c.secret_key, MARK "Other");
  result_free(&r);

  /* A section seen twice: the later value wins; "key =" unsets. */
  write_str("credentials",
            "[dup]\naws_access_key_id = AKIDcredsFirst\n"
            "aws_secret_access_key = " MARK "First\n"
            "aws_session_token = " MARK "FirstToken\n"
            "[x]\n[dup]\naws_access_key_id = AKIDcredsSecond\n"
            "aws_session_token =\n");
  fetch_profile("dup", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsSecond");
  assert_secret(r.c.secret_key, MARK "First");
  assert_null(r.c.session_token);
  result_free(&r);
}

static void test_files_malformed(void **state)
{
  struct result r;
  struct aws_creds c;
  struct jbuf err;
  char path[1024];
  (void)state;
  setenv_path("AWS_CONFIG_FILE", "absent");
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  snprintf(path, sizeof(path), "%s/credentials", tmpdir);

  write_str("credentials", "[default]\naws_access_key_id AKIDcredsNoEq\n");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_EPARSE);
  assert_non_null(strstr(r.msg, "credentials:2: syntax error: not a "
                          "[section]"));

  write_str("credentials", "aws_access_key_id = AKIDcredsNoSection\n");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_EPARSE);
  assert_non_null(strstr(r.msg, "credentials:1: setting outside"));

  write_str("credentials", "[default\n");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_EPARSE);
  assert_non_null(strstr(r.msg, "credentials:1: syntax error: section "
                          "header without"));

  /* A value with a space (an inline comment, say) is refused, unquoted. */
  write_str("credentials", "[default]\naws_access_key_id = AKIDcreds\n"
            "aws_secret_access_key = " MARK "X # comment\n");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "credentials:3: aws_secret_access_key in "
                          "profile default holds spaces"));

  write_file("credentials", "[default]\n\0\n", 12);
  jbuf_init(&err, 4096);
  assert_int_equal(creds_read_file(path, 0, "default", &c, &err),
                   JAN_EPARSE);
  assert_non_null(strstr(jbuf_str(&err), "NUL byte"));
  jbuf_free(&err);
}

static void test_files_oversize(void **state)
{
  struct result r;
  size_t n = (size_t)CREDS_FILE_MAX + 1;
  char *big = malloc(n);
  (void)state;
  assert_non_null(big);
  /* Comment lines, each short: only the total is too big. */
  for(size_t i = 0; i < n; i++)
    big[i] = i % 64 == 63 ? '\n' : (i % 64 == 0 ? '#' : 'x');
  write_file("credentials", big, n);
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ETOOBIG);
  assert_non_null(strstr(r.msg, "credentials: larger than 1048576 bytes"));

  /* Exactly the cap is fine. */
  write_file("credentials", big, n - 1);
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ENOENT);

  /* One line over its cap. */
  memset(big, 'x', CREDS_LINE_MAX + 12);
  memcpy(big, "[default]\n#", 11);
  big[CREDS_LINE_MAX + 11] = '\n';
  write_file("credentials", big, CREDS_LINE_MAX + 12);
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ETOOBIG);
  assert_non_null(strstr(r.msg, "credentials:2: line is longer than"));
  free(big);
}

static void test_files_special(void **state)
{
  struct result r;
  (void)state;
  /* A directory where the file should be: an error. */
  make_dir("adir");
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "adir");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_EIO);
  assert_non_null(strstr(r.msg, "adir: is a directory"));
  /* /dev/null: switched off. */
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_ENOENT);
}

static void test_files_home(void **state)
{
  struct result r;
  (void)state;
  /* The default paths under $HOME, and "~/" in the variables. */
  make_dir(".aws");
  write_str(".aws/credentials", "[default]\naws_access_key_id = AKIDcredsHome"
            "\naws_secret_access_key = " MARK "Home\n");
  write_str(".aws/config", "[profile h]\naws_access_key_id = AKIDcredsHomeCfg"
            "\naws_secret_access_key = " MARK "HomeCfg\n");
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsHome");
  result_free(&r);
  fetch_profile("h", &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsHomeCfg");
  result_free(&r);

  write_str("elsewhere", "[default]\naws_access_key_id = AKIDcredsTilde"
            "\naws_secret_access_key = " MARK "Tilde\n");
  setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere", 1);
  fetch_profile(NULL, &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsTilde");
  result_free(&r);
}

static void test_read_file(void **state)
{
  struct aws_creds c;
  struct jbuf err;
  char path[1200];
  (void)state;
  jbuf_init(&err, 4096);
  snprintf(path, sizeof(path), "%s/config", fixtures);
  assert_int_equal(creds_read_file(path, 1, "cfgonly", &c, &err), JAN_OK);
  assert_string_equal(c.access_key, "AKIDcredsConfigOnly");
  creds_free(&c);
  /* The same file read as a credentials file: [cfgonly] is the one. */
  assert_int_equal(creds_read_file(path, 0, "cfgonly", &c, &err), JAN_OK);
  assert_string_equal(c.access_key, "AKIDcredsNotAProfile");
  creds_free(&c);
  assert_int_equal(creds_read_file(path, 1, "regiononly", &c, &err),
                   JAN_ENOENT);
  assert_int_equal(creds_read_file(path, 1, "nope", &c, &err), JAN_ENOENT);
  assert_int_equal(creds_read_file(path, 1, "assumed", &c, &err),
                   JAN_ECONFIG);
  snprintf(path, sizeof(path), "%s/nonexistent", tmpdir);
  assert_int_equal(creds_read_file(path, 0, "default", &c, &err), JAN_ENOENT);
  no_secret(jbuf_str(&err));
  jbuf_free(&err);
}

/* ---- systemd credentials -------------------------------------------- */

static void write_systemd(void)
{
  make_dir("creds.d");
  write_str("creds.d/aws",
            "[default]\naws_access_key_id = AKIDcredsSystemd\n"
            "aws_secret_access_key = " MARK "Systemd\n"
            "[janitor]\naws_access_key_id = AKIDcredsSystemdJanitor\n"
            "aws_secret_access_key = " MARK "SystemdJanitor\n");
  setenv_path("CREDENTIALS_DIRECTORY", "creds.d");
}

static void test_systemd(void **state)
{
  struct result r;
  (void)state;
  fetch(creds_provider_systemd(NULL), &r);
  assert_int_equal(r.rc, JAN_ENOENT);
  assert_non_null(strstr(r.msg, "CREDENTIALS_DIRECTORY not set"));

  make_dir("empty.d");
  setenv_path("CREDENTIALS_DIRECTORY", "empty.d");
  fetch(creds_provider_systemd(NULL), &r);
  assert_int_equal(r.rc, JAN_ENOENT);
  assert_non_null(strstr(r.msg, "empty.d/aws: no such file"));

  write_systemd();
  fetch(creds_provider_systemd(NULL), &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsSystemd");
  assert_secret(r.c.secret_key, MARK "Systemd");
  assert_string_equal(r.source, "systemd:default");
  result_free(&r);

  fetch(creds_provider_systemd("janitor"), &r);
  assert_int_equal(r.rc, JAN_OK);
  assert_string_equal(r.c.access_key, "AKIDcredsSystemdJanitor");
  result_free(&r);

  /* No fallback to [default] for a profile asked for. */
  setenv("AWS_PROFILE", "other", 1);
  fetch(creds_provider_systemd(NULL), &r);
  assert_int_equal(r.rc, JAN_ECONFIG);
  assert_non_null(strstr(r.msg, "profile other not found in "));
  assert_non_null(strstr(r.msg, "creds.d/aws"));
}

/* ---- the static chain ----------------------------------------------- */

struct got {
  int calls;
  int rc;
  char akid[128];
  time_t expiration;
  char msg[2048];
};

static void got_cb(void *arg, int rc, const struct aws_creds *c,
                   const char *msg)
{
  struct got *g = arg;
  g->calls++;
  g->rc = rc;
  g->akid[0] = '\0';
  g->msg[0] = '\0';
  g->expiration = 0;
  no_secret(msg);
  if(c) {
    assert_non_null(c->secret_key);
    snprintf(g->akid, sizeof(g->akid), "%s", c->access_key);
    g->expiration = c->expiration;
  }
  if(msg)
    snprintf(g->msg, sizeof(g->msg), "%s", msg);
}

static void static_get(const char *profile, struct got *g)
{
  struct creds_chain *ch;
  memset(g, 0, sizeof(*g));
  assert_int_equal(creds_chain_new(&ch), JAN_OK);
  assert_int_equal(creds_chain_add_static(ch, profile), JAN_OK);
  creds_chain_get(ch, got_cb, g);
  assert_int_equal(g->calls, 1);
  creds_chain_free(ch);
  assert_int_equal(g->calls, 1);
}

static void test_static_chain_order(void **state)
{
  struct got g;
  char path[2048];
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDcredsEnv", 1);
  setenv("AWS_SECRET_ACCESS_KEY", MARK "Env", 1);
  use_fixtures();
  write_systemd();

  static_get(NULL, &g);
  assert_int_equal(g.rc, JAN_OK);
  assert_string_equal(g.akid, "AKIDcredsEnv");

  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  static_get(NULL, &g);
  assert_int_equal(g.rc, JAN_OK);
  assert_string_equal(g.akid, "AKIDcredsFileDefault");

  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "absent1");
  setenv_path("AWS_CONFIG_FILE", "absent2");
  static_get(NULL, &g);
  assert_int_equal(g.rc, JAN_OK);
  assert_string_equal(g.akid, "AKIDcredsSystemd");

  /* A profile in the systemd file only: the file provider leaves it to
   * the systemd provider instead of failing. */
  static_get("janitor", &g);
  assert_int_equal(g.rc, JAN_OK);
  assert_string_equal(g.akid, "AKIDcredsSystemdJanitor");

  /* Nowhere: the error names the three files. */
  static_get("ghost", &g);
  assert_int_equal(g.rc, JAN_ECONFIG);
  snprintf(path, sizeof(path), "profile ghost not found in %s/absent1, "
           "%s/absent2, %s/creds.d/aws", tmpdir, tmpdir, tmpdir);
  assert_string_equal(g.msg, path);

  unsetenv("CREDENTIALS_DIRECTORY");
  static_get(NULL, &g);
  assert_int_equal(g.rc, JAN_ECREDS);
  assert_non_null(strstr(g.msg, "no credentials: tried environment, "
                          "profile default ("));
  assert_non_null(strstr(g.msg, "absent2: no such file), systemd "
                          "credentials (CREDENTIALS_DIRECTORY not set)"));
}

static void test_static_chain_error_stops(void **state)
{
  struct got g;
  (void)state;
  use_fixtures();
  setenv("AWS_SECRET_ACCESS_KEY", MARK "Env", 1);
  static_get(NULL, &g);
  assert_int_equal(g.rc, JAN_ECONFIG);
  assert_non_null(strstr(g.msg, "AWS_ACCESS_KEY_ID is not"));

  unsetenv("AWS_SECRET_ACCESS_KEY");
  static_get("partial", &g);
  assert_int_equal(g.rc, JAN_ECONFIG);
  assert_non_null(strstr(g.msg, "profile partial sets"));
}

/* ---- the chain with a fake asynchronous provider -------------------- */

struct fake {
  struct creds_provider base;
  int fetches;                  /* fetch() calls so far */
  int pending;                  /* a fetch waits for fake_answer() */
  creds_cb cb;
  void *cbarg;
  int sync;                     /* answer inside fetch() */
  int cancel_on_destroy;        /* answer JAN_ECANCELED from destroy */
  int keep;                     /* destroy leaves the struct to the test */
  int destroyed;
  /* The next answer. */
  int rc;
  const char *msg;
  char akid[64];
  time_t expiration;
  uv_timer_t *timer;
};

static void fake_answer(struct fake *f)
{
  struct aws_creds c;
  char secret[96];
  creds_cb cb = f->cb;
  void *arg = f->cbarg;

  assert_true(f->pending);
  f->pending = 0;
  f->cb = NULL;
  creds_init(&c);
  snprintf(secret, sizeof(secret), MARK "Fake%s", f->akid);
  c.access_key = f->akid;
  c.secret_key = secret;
  c.expiration = f->expiration;
  c.source = "fake";
  cb(arg, f->rc, f->rc == JAN_OK ? &c : NULL, f->rc == JAN_OK ? NULL : f->msg);
}

static void fake_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct fake *f = (struct fake *)self;
  /* The chain never runs two fetches at once. */
  assert_false(f->pending);
  f->fetches++;
  f->pending = 1;
  f->cb = cb;
  f->cbarg = arg;
  if(f->sync)
    fake_answer(f);
}

static void fake_destroy(struct creds_provider *self)
{
  struct fake *f = (struct fake *)self;
  f->destroyed = 1;
  if(f->pending && f->cancel_on_destroy) {
    f->rc = JAN_ECANCELED;
    f->msg = "fake: canceled";
    fake_answer(f);
  }
  if(!f->keep)
    free(f);
}

static struct fake *fake_new(const char *name, const char *akid,
                             time_t expiration)
{
  struct fake *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  f->base.name = name;
  f->base.fetch = fake_fetch;
  f->base.destroy = fake_destroy;
  snprintf(f->akid, sizeof(f->akid), "%s", akid);
  f->expiration = expiration;
  return f;
}

static time_t now_value;

static time_t fake_clock(void *arg)
{
  return *(time_t *)arg;
}

static struct creds_chain *chain_with(struct fake *a, struct fake *b)
{
  struct creds_chain *ch;
  assert_int_equal(creds_chain_new(&ch), JAN_OK);
  creds_chain_set_clock(ch, fake_clock, &now_value);
  if(a)
    assert_int_equal(creds_chain_add(ch, &a->base), JAN_OK);
  if(b)
    assert_int_equal(creds_chain_add(ch, &b->base), JAN_OK);
  return ch;
}

static void test_chain_queue(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct got g[4];
  (void)state;
  memset(g, 0, sizeof(g));
  now_value = 100000;
  f = fake_new("fake", "AKIDcredsA", now_value + 3600);
  ch = chain_with(f, NULL);

  for(int i = 0; i < 3; i++)
    creds_chain_get(ch, got_cb, &g[i]);
  assert_int_equal(f->fetches, 1);      /* one fetch for three callers */
  for(int i = 0; i < 3; i++)
    assert_int_equal(g[i].calls, 0);
  fake_answer(f);
  for(int i = 0; i < 3; i++) {
    assert_int_equal(g[i].calls, 1);
    assert_int_equal(g[i].rc, JAN_OK);
    assert_string_equal(g[i].akid, "AKIDcredsA");
    assert_int_equal(g[i].expiration, now_value + 3600);
  }
  /* Cached: answered at once, no fetch. */
  creds_chain_get(ch, got_cb, &g[3]);
  assert_int_equal(g[3].calls, 1);
  assert_string_equal(g[3].akid, "AKIDcredsA");
  assert_int_equal(f->fetches, 1);
  creds_chain_free(ch);
  for(int i = 0; i < 4; i++)
    assert_int_equal(g[i].calls, 1);
}

static void test_chain_refresh_ahead(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct got g;
  time_t t0 = 200000, exp0 = t0 + 3600;
  (void)state;
  now_value = t0;
  f = fake_new("fake", "AKIDcredsOld", exp0);
  f->sync = 1;
  ch = chain_with(f, NULL);
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 1);
  assert_int_equal(f->fetches, 1);

  /* Just outside the window: no refresh. */
  now_value = exp0 - CREDS_REFRESH_AHEAD;
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 1);

  /* Inside the window: the cached ones at once, one background refresh. */
  f->sync = 0;
  snprintf(f->akid, sizeof(f->akid), "AKIDcredsNew");
  f->expiration = exp0 + 3600;
  now_value = exp0 - CREDS_REFRESH_AHEAD + 1;
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 1);
  assert_string_equal(g.akid, "AKIDcredsOld");
  assert_int_equal(f->fetches, 2);
  /* More callers meanwhile: still the cached ones, no second refresh. */
  now_value = exp0 - 1;
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 1);
  assert_string_equal(g.akid, "AKIDcredsOld");
  assert_int_equal(f->fetches, 2);

  fake_answer(f);
  assert_int_equal(g.calls, 1);         /* nobody waited */
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 1);
  assert_string_equal(g.akid, "AKIDcredsNew");
  assert_int_equal(g.expiration, exp0 + 3600);
  assert_int_equal(f->fetches, 2);
  creds_chain_free(ch);
}

static void test_chain_expired_never_returned(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct got g, g2;
  time_t t0 = 300000, exp0 = t0 + 3600;
  (void)state;
  now_value = t0;
  f = fake_new("fake", "AKIDcredsOld", exp0);
  f->sync = 1;
  ch = chain_with(f, NULL);
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_string_equal(g.akid, "AKIDcredsOld");

  /* Expired: the caller waits for the fetch. */
  f->sync = 0;
  now_value = exp0;
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 0);
  assert_int_equal(f->fetches, 2);
  snprintf(f->akid, sizeof(f->akid), "AKIDcredsNew");
  f->expiration = exp0 + 3600;
  fake_answer(f);
  assert_int_equal(g.calls, 1);
  assert_string_equal(g.akid, "AKIDcredsNew");

  /* A background refresh outlived by the cached creds: callers after the
   * expiry wait for it instead of getting the expired ones. */
  now_value = exp0 + 3600 - 10;
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 1);
  assert_string_equal(g.akid, "AKIDcredsNew");
  assert_int_equal(f->fetches, 3);
  now_value = exp0 + 3600;
  memset(&g2, 0, sizeof(g2));
  creds_chain_get(ch, got_cb, &g2);
  assert_int_equal(g2.calls, 0);
  assert_int_equal(f->fetches, 3);

  /* A provider handing out expired creds: an error, not the creds. */
  f->expiration = now_value - 1;
  fake_answer(f);
  assert_int_equal(g2.calls, 1);
  assert_int_equal(g2.rc, JAN_ECREDS);
  assert_non_null(strstr(g2.msg, "expired"));
  creds_chain_free(ch);
}

static void test_chain_errors_propagate(void **state)
{
  struct fake *a, *b;
  struct creds_chain *ch;
  struct got g[3];
  (void)state;
  now_value = 400000;
  memset(g, 0, sizeof(g));
  a = fake_new("fake a", "AKIDcredsA", 0);
  b = fake_new("fake b", "AKIDcredsB", 0);
  ch = chain_with(a, b);
  a->rc = JAN_EHTTP;
  a->msg = "fake a: connection refused";
  creds_chain_get(ch, got_cb, &g[0]);
  creds_chain_get(ch, got_cb, &g[1]);
  fake_answer(a);
  for(int i = 0; i < 2; i++) {
    assert_int_equal(g[i].calls, 1);
    assert_int_equal(g[i].rc, JAN_EHTTP);
    assert_string_equal(g[i].msg, "fake a: connection refused");
  }
  assert_int_equal(b->fetches, 0);      /* an error stops the chain */

  /* JAN_ENOENT moves on; the answer of the next provider is used. */
  a->rc = JAN_ENOENT;
  a->msg = "fake a (nothing there)";
  creds_chain_get(ch, got_cb, &g[2]);
  fake_answer(a);
  assert_int_equal(b->fetches, 1);
  assert_int_equal(g[2].calls, 0);
  fake_answer(b);
  assert_int_equal(g[2].calls, 1);
  assert_int_equal(g[2].rc, JAN_OK);
  assert_string_equal(g[2].akid, "AKIDcredsB");

  /* All JAN_ENOENT: JAN_ECREDS listing what was tried. */
  creds_chain_invalidate(ch);
  b->rc = JAN_ENOENT;
  b->msg = NULL;                        /* the name stands in */
  a->sync = b->sync = 1;
  memset(&g[0], 0, sizeof(g[0]));
  creds_chain_get(ch, got_cb, &g[0]);
  assert_int_equal(g[0].calls, 1);
  assert_int_equal(g[0].rc, JAN_ECREDS);
  assert_string_equal(g[0].msg, "no credentials: tried fake a (nothing "
                      "there), fake b");
  /* The list starts afresh at each fetch. */
  memset(&g[0], 0, sizeof(g[0]));
  creds_chain_get(ch, got_cb, &g[0]);
  assert_string_equal(g[0].msg, "no credentials: tried fake a (nothing "
                      "there), fake b");
  creds_chain_free(ch);
}

static void test_chain_no_providers(void **state)
{
  struct creds_chain *ch;
  struct got g;
  (void)state;
  memset(&g, 0, sizeof(g));
  assert_int_equal(creds_chain_new(&ch), JAN_OK);
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(g.calls, 1);
  assert_int_equal(g.rc, JAN_ECREDS);
  creds_chain_free(ch);
  creds_chain_free(NULL);
}

static void test_chain_background_failure(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct got g;
  time_t t0 = 500000, exp0 = t0 + 3600;
  (void)state;
  now_value = t0;
  f = fake_new("fake", "AKIDcredsOld", exp0);
  f->sync = 1;
  ch = chain_with(f, NULL);
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);

  /* The refresh fails: the cached ones stay in use until they expire. */
  f->rc = JAN_EHTTP;
  f->msg = "fake: timed out";
  now_value = exp0 - 100;
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 2);
  assert_int_equal(g.rc, JAN_OK);
  assert_string_equal(g.akid, "AKIDcredsOld");
  /* No new attempt before CREDS_REFRESH_RETRY seconds. */
  now_value += CREDS_REFRESH_RETRY - 1;
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 2);
  assert_int_equal(g.rc, JAN_OK);
  now_value += 1;
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 3);
  assert_int_equal(g.rc, JAN_OK);
  /* Once expired, the error reaches the callers. */
  now_value = exp0;
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 4);
  assert_int_equal(g.calls, 1);
  assert_int_equal(g.rc, JAN_EHTTP);
  assert_string_equal(g.msg, "fake: timed out");
  creds_chain_free(ch);
}

static void test_chain_invalidate(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct got g;
  (void)state;
  now_value = 600000;
  f = fake_new("fake", "AKIDcredsA", 0);
  f->sync = 1;
  ch = chain_with(f, NULL);
  memset(&g, 0, sizeof(g));
  creds_chain_get(ch, got_cb, &g);
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 1);      /* long-term keys: cached for good */
  creds_chain_invalidate(ch);
  snprintf(f->akid, sizeof(f->akid), "AKIDcredsB");
  creds_chain_get(ch, got_cb, &g);
  assert_int_equal(f->fetches, 2);
  assert_string_equal(g.akid, "AKIDcredsB");
  creds_chain_free(ch);
}

static void test_chain_free_inflight(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct got g[2];
  (void)state;
  now_value = 700000;

  /* The provider answers from destroy(). */
  memset(g, 0, sizeof(g));
  f = fake_new("fake", "AKIDcredsA", 0);
  f->cancel_on_destroy = 1;
  ch = chain_with(f, NULL);
  creds_chain_get(ch, got_cb, &g[0]);
  creds_chain_get(ch, got_cb, &g[1]);
  creds_chain_free(ch);
  for(int i = 0; i < 2; i++) {
    assert_int_equal(g[i].calls, 1);
    assert_int_equal(g[i].rc, JAN_ECANCELED);
  }

  /* The provider answers after the chain is gone. */
  memset(g, 0, sizeof(g));
  f = fake_new("fake", "AKIDcredsA", 0);
  f->keep = 1;
  ch = chain_with(f, NULL);
  creds_chain_get(ch, got_cb, &g[0]);
  creds_chain_free(ch);
  assert_int_equal(g[0].calls, 1);
  assert_int_equal(g[0].rc, JAN_ECANCELED);
  assert_true(f->destroyed);
  fake_answer(f);                       /* must touch nothing freed */
  assert_int_equal(g[0].calls, 1);
  free(f);
}

/* Callbacks that call back into the chain. */
struct reenter {
  struct creds_chain *ch;
  int free_it;
  struct got inner;
  struct got self;
};

static void reenter_cb(void *arg, int rc, const struct aws_creds *c,
                       const char *msg)
{
  struct reenter *r = arg;
  got_cb(&r->self, rc, c, msg);
  if(r->free_it) {
    creds_chain_free(r->ch);
    return;
  }
  creds_chain_invalidate(r->ch);
  /* c stays usable after the invalidation. */
  assert_string_equal(c->access_key, r->self.akid);
  creds_chain_get(r->ch, got_cb, &r->inner);
}

static void test_chain_reentrant(void **state)
{
  struct fake *f;
  struct creds_chain *ch;
  struct reenter r1, r2;
  struct got g;
  (void)state;
  now_value = 800000;
  f = fake_new("fake", "AKIDcredsA", 0);
  ch = chain_with(f, NULL);

  /* The first waiter invalidates and asks again: a new fetch starts; the
   * second waiter still gets the answer of the first fetch. */
  memset(&r1, 0, sizeof(r1));
  memset(&g, 0, sizeof(g));
  r1.ch = ch;
  creds_chain_get(ch, reenter_cb, &r1);
  creds_chain_get(ch, got_cb, &g);
  fake_answer(f);
  assert_int_equal(r1.self.calls, 1);
  assert_int_equal(g.calls, 1);
  assert_string_equal(g.akid, "AKIDcredsA");
  assert_int_equal(r1.inner.calls, 0);
  assert_int_equal(f->fetches, 2);
  snprintf(f->akid, sizeof(f->akid), "AKIDcredsB");
  fake_answer(f);
  assert_int_equal(r1.inner.calls, 1);
  assert_string_equal(r1.inner.akid, "AKIDcredsB");

  /* The first waiter frees the chain: the others are still answered,
   * once, with the credentials fetched. */
  creds_chain_invalidate(ch);
  memset(&r2, 0, sizeof(r2));
  memset(&g, 0, sizeof(g));
  r2.ch = ch;
  r2.free_it = 1;
  f->sync = 0;
  creds_chain_get(ch, reenter_cb, &r2);
  creds_chain_get(ch, got_cb, &g);
  f->keep = 1;                          /* fake_answer runs after destroy */
  fake_answer(f);
  assert_true(f->destroyed);
  assert_int_equal(r2.self.calls, 1);
  assert_int_equal(g.calls, 1);
  assert_int_equal(g.rc, JAN_OK);
  assert_string_equal(g.akid, "AKIDcredsB");
  free(f);

  /* A synchronous provider whose answer leads a waiter to free the chain
   * (and the provider) from inside fetch(). */
  assert_int_equal(creds_chain_new(&ch), JAN_OK);
  assert_int_equal(creds_chain_add(ch, creds_provider_env()), JAN_OK);
  setenv("AWS_ACCESS_KEY_ID", "AKIDcredsEnv", 1);
  setenv("AWS_SECRET_ACCESS_KEY", MARK "Env", 1);
  memset(&r2, 0, sizeof(r2));
  r2.ch = ch;
  r2.free_it = 1;
  creds_chain_get(ch, reenter_cb, &r2);
  assert_int_equal(r2.self.calls, 1);
  assert_string_equal(r2.self.akid, "AKIDcredsEnv");
}

/* The fake answering from a libuv timer, the way a network provider
 * would. */
static void timer_fired(uv_timer_t *t)
{
  fake_answer(t->data);
}

static void timer_closed(uv_handle_t *h)
{
  free(h);
}

static void timer_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  struct fake *f = (struct fake *)self;
  fake_fetch(self, cb, arg);
  uv_timer_start(f->timer, timer_fired, 5, 0);
}

static void timer_destroy(struct creds_provider *self)
{
  struct fake *f = (struct fake *)self;
  uv_close((uv_handle_t *)f->timer, timer_closed);
  free(f);
}

struct uv_case {
  struct creds_chain *ch;
  struct got g[3];
};

static void test_chain_uv_timer(void **state)
{
  uv_loop_t loop;
  struct fake *f;
  struct uv_case uc;
  (void)state;
  now_value = 900000;
  assert_int_equal(uv_loop_init(&loop), 0);
  f = fake_new("fake", "AKIDcredsTimer", now_value + 900);
  f->base.fetch = timer_fetch;
  f->base.destroy = timer_destroy;
  f->timer = malloc(sizeof(*f->timer));
  assert_non_null(f->timer);
  assert_int_equal(uv_timer_init(&loop, f->timer), 0);
  f->timer->data = f;
  memset(&uc, 0, sizeof(uc));
  uc.ch = chain_with(f, NULL);
  for(int i = 0; i < 3; i++)
    creds_chain_get(uc.ch, got_cb, &uc.g[i]);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for(int i = 0; i < 3; i++) {
    assert_int_equal(uc.g[i].calls, 1);
    assert_string_equal(uc.g[i].akid, "AKIDcredsTimer");
  }
  assert_int_equal(f->fetches, 1);
  creds_chain_free(uc.ch);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- remote JSON (container endpoint, IMDS) ------------------------- */

/* Found by fuzz_creds: values that cannot go into a signed header (or
 * that a NUL would cut short), and an Expiration at or before the epoch
 * (0 reads as "does not expire"), were accepted. */
static void test_remote_json(void **state)
{
  static const char *const bad[] = {
    "{\"AccessKeyId\":\"AKID creds\",\"SecretAccessKey\":\"" MARK "R\"}",
    "{\"AccessKeyId\":\"AKIDcreds\",\"SecretAccessKey\":\"" MARK "\\u0000\"}",
    "{\"AccessKeyId\":\"AKIDcreds\",\"SecretAccessKey\":\"" MARK "\xc3\xa9\"}",
    "{\"AccessKeyId\":\"AKIDcreds\",\"SecretAccessKey\":\"" MARK "R\","
    "\"Token\":\"" MARK "T\\r\\nX-Evil: 1\"}",
    "{\"AccessKeyId\":\"AKIDcreds\",\"SecretAccessKey\":\"" MARK "R\","
    "\"Expiration\":\"1970-01-01T00:00:00Z\"}",
    "{\"AccessKeyId\":\"AKIDcreds\",\"SecretAccessKey\":\"" MARK "R\","
    "\"Expiration\":\"1969-12-31T23:59:59Z\"}",
  };
  static const char good[] =
    "{\"Code\":\"Success\",\"AccessKeyId\":\"AKIDcredsRemote\","
    "\"SecretAccessKey\":\"" MARK "Remote\",\"Token\":\"" MARK "Token\","
    "\"Expiration\":\"2030-01-01T00:00:00Z\"}";
  struct aws_creds c;
  (void)state;

  assert_int_equal(creds_parse_remote_json(good, strlen(good), &c), JAN_OK);
  assert_string_equal(c.access_key, "AKIDcredsRemote");
  assert_true(c.secret_key && !strcmp(c.secret_key, MARK "Remote"));
  assert_true(c.session_token && !strcmp(c.session_token, MARK "Token"));
  assert_true(c.expiration == 1893456000);
  creds_free(&c);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    assert_int_equal(creds_parse_remote_json(bad[i], strlen(bad[i]), &c),
                     JAN_EPARSE);
    assert_null(c.access_key);
    assert_null(c.secret_key);
    assert_null(c.session_token);
  }
}

/* ---- secrets -------------------------------------------------------- */

/* The capture works: the module's log lines are there, the secrets are
 * not (the teardown checks the latter for every test). */
static void test_stderr_capture(void **state)
{
  struct result r;
  struct got g;
  char *out;
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDcredsEnv", 1);
  setenv("AWS_SECRET_ACCESS_KEY", MARK "Env", 1);
  setenv("AWS_SESSION_TOKEN", MARK "EnvToken", 1);
  fetch(creds_provider_env(), &r);
  result_free(&r);
  static_get(NULL, &g);
  out = captured();
  assert_non_null(out);
  assert_non_null(strstr(out, "creds: environment: AWS_ACCESS_KEY_ID"));
  assert_non_null(strstr(out, "creds: using credentials from environment"));
  assert_null(strstr(out, MARK));
  free(out);
}

/* ---- assumed roles (creds_sts.c) ---------------------------------------- */

#define STS_DOC(creds) \
  "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">" \
  "<AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s" \
  "</Arn></AssumedRoleUser><Credentials>" creds "</Credentials>" \
  "</AssumeRoleResult></AssumeRoleResponse>"

static void test_sts_xml(void **state)
{
  static const char good[] = STS_DOC(
    "<AccessKeyId>ASIAcredsSts</AccessKeyId>"
    "<SecretAccessKey>" MARK "Sts</SecretAccessKey>"
    "<SessionToken>" MARK "StsToken</SessionToken>"
    "<Expiration>2030-01-01T00:00:00Z</Expiration>");
  static const char *const bad[] = {
    /* no token, no expiry, a space in the secret, a date that is none */
    STS_DOC("<AccessKeyId>ASIAx</AccessKeyId><SecretAccessKey>" MARK
            "</SecretAccessKey><Expiration>2030-01-01T00:00:00Z</Expiration>"),
    STS_DOC("<AccessKeyId>ASIAx</AccessKeyId><SecretAccessKey>" MARK
            "</SecretAccessKey><SessionToken>" MARK "T</SessionToken>"),
    STS_DOC("<AccessKeyId>ASIAx</AccessKeyId><SecretAccessKey>" MARK
            " x</SecretAccessKey><SessionToken>" MARK "T</SessionToken>"
            "<Expiration>2030-01-01T00:00:00Z</Expiration>"),
    STS_DOC("<AccessKeyId>ASIAx</AccessKeyId><SecretAccessKey>" MARK
            "</SecretAccessKey><SessionToken>" MARK "T</SessionToken>"
            "<Expiration>soon</Expiration>"),
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A"
    "</AccessKeyId>",
  };
  struct aws_creds c;
  (void)state;

  assert_int_equal(creds_parse_sts_xml(good, strlen(good),
                                       "AssumeRoleResponse", &c), JAN_OK);
  assert_string_equal(c.access_key, "ASIAcredsSts");
  assert_secret(c.secret_key, MARK "Sts");
  assert_secret(c.session_token, MARK "StsToken");
  assert_true(c.expiration == 1893456000);
  creds_free(&c);
  /* Another operation's answer is not taken for this one's. */
  assert_int_not_equal(creds_parse_sts_xml(good, strlen(good),
                       "AssumeRoleWithWebIdentityResponse", &c), JAN_OK);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    assert_int_not_equal(creds_parse_sts_xml(bad[i], strlen(bad[i]),
                         "AssumeRoleResponse", &c), JAN_OK);
    assert_null(c.access_key);
    assert_null(c.secret_key);
  }
}

static void test_profile_settings(void **state)
{
  struct creds_profile p;
  struct jbuf err;
  (void)state;

  write_str("rconfig", "[profile r]\nrole_arn = arn:aws:iam::1:role/a\n"
            "source_profile = base\nregion = eu-west-3\n"
            "duration_seconds = 1800\n[profile other]\nrole_arn = x\n");
  write_str("rcreds", "[r]\nregion = eu-north-1\n[base]\n"
            "aws_access_key_id = AKIDcredsBase\naws_secret_access_key = "
            MARK "Base\n");
  setenv_path("AWS_CONFIG_FILE", "rconfig");
  setenv_path("AWS_SHARED_CREDENTIALS_FILE", "rcreds");
  jbuf_init(&err, 4096);
  assert_int_equal(creds_profile_read("r", &p, &err), JAN_OK);
  assert_true(p.found);
  assert_false(p.has_keys);
  assert_string_equal(p.set[CREDS_SET_ROLE_ARN], "arn:aws:iam::1:role/a");
  assert_string_equal(p.set[CREDS_SET_SOURCE_PROFILE], "base");
  assert_string_equal(p.set[CREDS_SET_DURATION_SECONDS], "1800");
  /* The credentials file's value wins, as in botocore. */
  assert_string_equal(p.set[CREDS_SET_REGION], "eu-north-1");
  assert_null(p.set[CREDS_SET_EXTERNAL_ID]);
  creds_profile_free(&p);
  assert_int_equal(creds_profile_read("base", &p, &err), JAN_OK);
  assert_true(p.found && p.has_keys);
  assert_null(p.set[CREDS_SET_ROLE_ARN]);
  creds_profile_free(&p);
  assert_int_equal(creds_profile_read("nope", &p, &err), JAN_OK);
  assert_false(p.found);
  creds_profile_free(&p);
  jbuf_free(&err);
}

static void test_process_split(void **state)
{
  char buf[256], *argv[5];
  (void)state;

  assert_int_equal(creds_process_split("  /bin/x  'a b' \"c d\"e  ", buf,
                                       argv, 5), 3);
  assert_string_equal(argv[0], "/bin/x");
  assert_string_equal(argv[1], "a b");
  assert_string_equal(argv[2], "c de");
  assert_null(argv[3]);
  assert_int_equal(creds_process_split("x ''", buf, argv, 5), 2);
  assert_string_equal(argv[1], "");
  assert_int_equal(creds_process_split("x 'open", buf, argv, 5), -1);
  assert_int_equal(creds_process_split("a b c d e", buf, argv, 5), -1);
  assert_int_equal(creds_process_split("   ", buf, argv, 5), 0);
  assert_false(creds_process_needs_shell("/bin/x --a='b c' -v"));
  assert_true(creds_process_needs_shell("x | y"));
  assert_true(creds_process_needs_shell("x $HOME"));
  assert_true(creds_process_needs_shell("x > f"));
  assert_true(creds_process_needs_shell("~/bin/x"));
}

static void test_sso_json(void **state)
{
  static const char good[] =
    "{\"roleCredentials\":{\"accessKeyId\":\"ASIAcredsSso\","
    "\"secretAccessKey\":\"" MARK "Sso\",\"sessionToken\":\"" MARK "SsoT\","
    "\"expiration\":1893456000000}}";
  static const char *const bad[] = {
    "{\"roleCredentials\":{\"accessKeyId\":\"A\",\"secretAccessKey\":\""
    MARK "\",\"sessionToken\":\"" MARK "\"}}",
    "{\"roleCredentials\":{\"accessKeyId\":\"A\",\"secretAccessKey\":\""
    MARK "\",\"expiration\":1893456000000}}",
    "{\"roleCredentials\":{\"accessKeyId\":\"A B\",\"secretAccessKey\":\""
    MARK "\",\"sessionToken\":\"" MARK "\",\"expiration\":1893456000000}}",
    "{\"roleCredentials\":{\"accessKeyId\":\"A\",\"secretAccessKey\":\""
    MARK "\",\"sessionToken\":\"" MARK "\",\"expiration\":\"soon\"}}",
    "{\"accessKeyId\":\"A\"}",
    "not json",
    /* found by fuzz_creds_sources: 584 ms would be 0 s, "never expires" */
    "{\"roleCredentials\":{\"accessKeyId\":\"A\",\"secretAccessKey\":\""
    MARK "\",\"sessionToken\":\"" MARK "\",\"expiration\":584}}",
  };
  struct aws_creds c;
  (void)state;

  assert_int_equal(creds_parse_sso_json(good, strlen(good), &c), JAN_OK);
  assert_string_equal(c.access_key, "ASIAcredsSso");
  assert_secret(c.secret_key, MARK "Sso");
  assert_secret(c.session_token, MARK "SsoT");
  assert_true(c.expiration == 1893456000);   /* milliseconds to seconds */
  creds_free(&c);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    assert_int_not_equal(creds_parse_sso_json(bad[i], strlen(bad[i]), &c),
                         JAN_OK);
    assert_null(c.access_key);
    assert_null(c.secret_key);
  }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_copy_and_free),
    T(test_env_only),
    T(test_env_none),
    T(test_env_partial),
    T(test_env_bad_characters),
    T(test_files_default),
    T(test_files_named),
    T(test_files_config_profile),
    T(test_files_aws_profile),
    T(test_files_missing_profile),
    T(test_files_credentials_beat_config),
    T(test_files_partial),
    T(test_files_keyless_and_unsupported),
    T(test_files_format),
    T(test_files_malformed),
    T(test_files_oversize),
    T(test_files_special),
    T(test_files_home),
    T(test_read_file),
    T(test_remote_json),
    T(test_sts_xml),
    T(test_profile_settings),
    T(test_process_split),
    T(test_sso_json),
    T(test_systemd),
    T(test_static_chain_order),
    T(test_static_chain_error_stops),
    T(test_chain_queue),
    T(test_chain_refresh_ahead),
    T(test_chain_expired_never_returned),
    T(test_chain_errors_propagate),
    T(test_chain_no_providers),
    T(test_chain_background_failure),
    T(test_chain_invalidate),
    T(test_chain_free_inflight),
    T(test_chain_reentrant),
    T(test_chain_uv_timer),
    T(test_stderr_capture),
  };
#undef T
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
