/*
 * The configuration: defaults, every value type good and bad, every kind of
 * error with its exact FILE:LINE, the example file, and the text-level
 * details (BOM, CRLF, long lines, comments).  Fixtures live in
 * tests/config/ (found through JAN_SOURCE_DIR, which ctest sets).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/buf.h"
#include "janitor/config.h"

#define ERRS_MAX (1u << 20)

/* ---- helpers --------------------------------------------------------- */

static char *source_path(const char *rel)
{
  const char *dir = getenv("JAN_SOURCE_DIR");
  struct jbuf b;

  if(!dir || !*dir)
    fail_msg("JAN_SOURCE_DIR is not set (run the test through ctest)");
  jbuf_init(&b, 4096);
  assert_int_equal(jbuf_printf(&b, "%s/%s", dir, rel), JAN_OK);
  return jbuf_take(&b);
}

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  struct jbuf b;
  char chunk[4096];
  size_t n;

  if(!f)
    fail_msg("cannot open %s: %s", path, strerror(errno));
  jbuf_init(&b, 1 << 22);
  while((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    assert_int_equal(jbuf_add(&b, chunk, n), JAN_OK);
  assert_false(ferror(f));
  fclose(f);
  *len = b.len;
  if(!b.ptr)
    return calloc(1, 1);
  return jbuf_take(&b);
}

/* Defaults, then text as "t.conf"; errs is initialised here. */
static int load(struct jan_config *c, const char *text, struct jbuf *errs)
{
  assert_int_equal(config_defaults(c), JAN_OK);
  jbuf_init(errs, ERRS_MAX);
  return config_load_string(c, "t.conf", text, strlen(text), errs);
}

static void expect_ok(const char *text)
{
  struct jan_config c;
  struct jbuf errs;
  int rc = load(&c, text, &errs);

  if(rc != JAN_OK)
    fail_msg("expected no error for [%s], got %d: %s", text, rc,
             jbuf_str(&errs));
  config_free(&c);
  jbuf_free(&errs);
}

/* The whole error report must be exactly `want`. */
static void expect_errors(const char *text, const char *want)
{
  struct jan_config c;
  struct jbuf errs;
  int rc = load(&c, text, &errs);

  if(rc != JAN_ECONFIG || strcmp(jbuf_str(&errs), want) != 0)
    fail_msg("for [%s]\nexpected (JAN_ECONFIG):\n%sgot (%d):\n%s", text,
             want, rc, jbuf_str(&errs));
  config_free(&c);
  jbuf_free(&errs);
}

static size_t count_lines(const char *s)
{
  size_t n = 0;

  for(; *s; s++)
    if(*s == '\n')
      n++;
  return n;
}

static char *example_text(size_t *len)
{
  char *text = NULL;
  FILE *f = open_memstream(&text, len);

  assert_non_null(f);
  config_write_example(f);
  assert_int_equal(fclose(f), 0);
  return text;
}

static void assert_same_config(const struct jan_config *a,
                               const struct jan_config *b)
{
  size_t i;

#define SAME_STR(f)                                                     \
  do {                                                                  \
    if(a->f == NULL || b->f == NULL)                                    \
      assert_ptr_equal(a->f, b->f);                                     \
    else                                                                \
      assert_string_equal(a->f, b->f);                                  \
  } while(0)
  SAME_STR(profile);
  assert_int_equal(a->nregions, b->nregions);
  for(i = 0; i < a->nregions; i++)
    assert_string_equal(a->regions[i], b->regions[i]);
  assert_string_equal(a->account_id, b->account_id);
  SAME_STR(endpoint_url);
  SAME_STR(ca_bundle);
  assert_int_equal(a->max_attempts, b->max_attempts);
  assert_int_equal(a->connect_timeout_ms, b->connect_timeout_ms);
  assert_int_equal(a->request_timeout_ms, b->request_timeout_ms);
  assert_int_equal(a->concurrency, b->concurrency);
  assert_int_equal(a->host_concurrency, b->host_concurrency);
  assert_int_equal(a->mode, b->mode);
  assert_int_equal(a->functions, b->functions);
  assert_int_equal(a->layers, b->layers);
  assert_int_equal(a->buckets, b->buckets);
  assert_int_equal(a->min_age_s, b->min_age_s);
  assert_int_equal(a->grace_s, b->grace_s);
  assert_int_equal(a->max_deletions, b->max_deletions);
  assert_int_equal(a->keep_layer_versions, b->keep_layer_versions);
  assert_int_equal(a->nkeep, b->nkeep);
  for(i = 0; i < a->nkeep; i++)
    assert_string_equal(a->keep[i], b->keep[i]);
  assert_int_equal(a->ninclude, b->ninclude);
  for(i = 0; i < a->ninclude; i++)
    assert_string_equal(a->include[i], b->include[i]);
  assert_int_equal(a->interval_ms, b->interval_ms);
  assert_int_equal(a->jitter_ms, b->jitter_ms);
  assert_int_equal(a->startup_delay_ms, b->startup_delay_ms);
  SAME_STR(socket);
  assert_int_equal(a->socket_mode, b->socket_mode);
  SAME_STR(state_file);
  SAME_STR(audit_log);
  SAME_STR(metrics_file);
  assert_int_equal(a->stop_timeout_ms, b->stop_timeout_ms);
#undef SAME_STR
}

/* ---- defaults and the example file ----------------------------------- */

static void test_defaults(void **state)
{
  struct jan_config c;
  size_t i;

  (void)state;
  assert_int_equal(config_defaults(&c), JAN_OK);
  assert_null(c.profile);
  assert_int_equal(c.nregions, 23);
  assert_int_equal(jan_all_regions_count, 23);
  for(i = 0; i < 23; i++)
    assert_string_equal(c.regions[i], jan_all_regions[i]);
  assert_string_equal(c.account_id, "");
  assert_null(c.endpoint_url);
  assert_null(c.ca_bundle);
  assert_int_equal(c.max_attempts, 5);
  assert_int_equal(c.connect_timeout_ms, 5000);
  assert_int_equal(c.request_timeout_ms, 60000);
  assert_int_equal(c.concurrency, 32);
  assert_int_equal(c.host_concurrency, 8);
  assert_int_equal(c.mode, JAN_MODE_REPORT);
  assert_true(c.functions);
  assert_true(c.layers);
  assert_false(c.buckets);
  /* Log groups need permissions beyond Remotion's policy: opt-in. */
  assert_false(c.log_groups);
  assert_int_equal(c.min_age_s, 7 * 86400);
  assert_int_equal(c.grace_s, 0);
  assert_int_equal(c.max_deletions, 25);
  assert_int_equal(c.keep_layer_versions, 1);
  assert_int_equal(c.nkeep, 0);
  assert_int_equal(c.ninclude, 0);
  assert_int_equal(c.interval_ms, 6 * 3600 * 1000ull);
  assert_int_equal(c.jitter_ms, 15 * 60 * 1000);
  assert_int_equal(c.startup_delay_ms, 30000);
  assert_string_equal(c.socket, "/run/remotion-janitor/remotion-janitor.sock");
  assert_int_equal(c.socket_mode, 0660);
  assert_string_equal(c.state_file, "/var/lib/remotion-janitor/state.json");
  assert_string_equal(c.audit_log, "/var/lib/remotion-janitor/audit.jsonl");
  assert_null(c.metrics_file);
  assert_int_equal(c.stop_timeout_ms, 20000);
  assert_null(c.path);
  config_free(&c);
  /* config_free leaves a zeroed struct: freeing twice is harmless. */
  config_free(&c);
}

static void test_regions_order(void **state)
{
  static const char *const spec[] = {
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-south-1", "eu-north-1", "us-east-1", "us-east-2", "us-west-1",
    "us-west-2", "af-south-1", "ap-south-1", "ap-east-1", "ap-southeast-1",
    "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-4", "ap-southeast-5", "ca-central-1", "sa-east-1",
  };
  size_t i;

  (void)state;
  assert_int_equal(jan_all_regions_count, sizeof(spec) / sizeof(spec[0]));
  for(i = 0; i < jan_all_regions_count; i++) {
    assert_string_equal(jan_all_regions[i], spec[i]);
    assert_true(config_region_known(spec[i]));
  }
  assert_false(config_region_known("me-south-1"));
  assert_false(config_region_known("EU-WEST-1"));
  assert_false(config_region_known(""));
  assert_false(config_region_known(NULL));
}

/*
 * conf/remotion-janitor.conf is config_write_example()'s output, byte for
 * byte.  After a change to the key table, regenerate it with
 *   JAN_REGENERATE_EXAMPLE=1 JAN_SOURCE_DIR=... ./test_config
 */
static void test_example_file(void **state)
{
  char *path = source_path("conf/remotion-janitor.conf");
  size_t elen, flen;
  char *ex = example_text(&elen);
  char *file;

  (void)state;
  if(getenv("JAN_REGENERATE_EXAMPLE")) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(ex, 1, elen, f), elen);
    assert_int_equal(fclose(f), 0);
  }
  file = read_file(path, &flen);
  if(flen != elen || memcmp(file, ex, elen) != 0)
    fail_msg("%s differs from config_write_example(); regenerate it with "
             "JAN_REGENERATE_EXAMPLE=1", path);
  free(file);
  free(ex);
  free(path);
}

/* Every key of remotion-janitor.conf(5) is in the example, commented
 * out. */
static void test_example_lists_every_key(void **state)
{
  static const char *const spec_keys[] = {
    "profile", "regions", "account_id", "endpoint_url", "ca_bundle",
    "bucket_region", "endpoint_accounts",
    "max_attempts", "connect_timeout", "request_timeout", "concurrency",
    "host_concurrency", "mode", "functions", "layers", "buckets", "min_age",
    "grace", "max_deletions", "keep_layer_versions", "keep", "include",
    "renders", "render_max_age", "log_groups", "keep_tag", "storage",
    "interval", "jitter", "startup_delay", "socket", "socket_mode",
    "state_file", "audit_log", "metrics_file", "stop_timeout",
    "shard",
    /* [organization] */
    "role_name", "external_id", "exclude_accounts", "ous",
    /* [account NAME] */
    "account_id", "role_arn", "external_id", "profile", "regions",
  };
  size_t len, i, n = 0;
  char *ex = example_text(&len);
  const char *p;

  (void)state;
  for(i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++) {
    char needle[64];
    snprintf(needle, sizeof(needle), "\n#%s =", spec_keys[i]);
    if(!strstr(ex, needle))
      fail_msg("key %s is missing from the example", spec_keys[i]);
  }
  /* ... and no other key. */
  for(p = ex; (p = strstr(p, "\n#")) != NULL; p++)
    if(p[2] >= 'a' && p[2] <= 'z')
      n++;
  assert_int_equal(n, sizeof(spec_keys) / sizeof(spec_keys[0]));
  assert_non_null(strstr(ex, "\n[aws]\n"));
  assert_non_null(strstr(ex, "\n[policy]\n"));
  assert_non_null(strstr(ex, "\n[daemon]\n"));
  assert_non_null(strstr(ex, "\n[organization]\n"));
  assert_non_null(strstr(ex, "\n#[account NAME]\n"));
  assert_non_null(strstr(ex, "\n#max_attempts = 5\n"));
  assert_non_null(strstr(ex, "\n#min_age = 7d\n"));
  assert_non_null(strstr(ex, "\n#socket_mode = 0660\n"));
  assert_non_null(strstr(ex, "\n#profile =\n"));
  free(ex);
}

/* With every key uncommented, the example gives exactly the defaults. */
static void test_example_uncommented_is_defaults(void **state)
{
  struct jan_config d, c;
  struct jbuf errs;
  size_t len, i, o = 0;
  char *ex = example_text(&len);
  char *text = malloc(len + 1);

  (void)state;
  assert_non_null(text);
  /* [account NAME] has no defaults (there is none unless one is written):
   * its keys, last, stay out. */
  assert_non_null(strstr(ex, "\n[organization]\n"));
  assert_non_null(strstr(ex, "\n#[account NAME]\n"));
  len = (size_t)(strstr(ex, "\n#[account NAME]\n") - ex);
  for(i = 0; i < len; i++) {
    bool line_start = i == 0 || ex[i - 1] == '\n';
    if(line_start && ex[i] == '#' && ex[i + 1] >= 'a' && ex[i + 1] <= 'z')
      continue;
    text[o++] = ex[i];
  }
  text[o] = '\0';
  assert_int_equal(config_defaults(&d), JAN_OK);
  if(load(&c, text, &errs) != JAN_OK)
    fail_msg("%s", jbuf_str(&errs));
  assert_same_config(&c, &d);
  config_free(&c);
  config_free(&d);
  jbuf_free(&errs);
  free(text);
  free(ex);
}

/* ---- a whole file ----------------------------------------------------- */

static void test_good_file(void **state)
{
  struct jan_config c;
  struct jbuf errs;
  char *path = source_path("tests/config/good.conf");

  (void)state;
  assert_int_equal(config_defaults(&c), JAN_OK);
  jbuf_init(&errs, ERRS_MAX);
  if(config_load(&c, path, &errs) != JAN_OK)
    fail_msg("%s", jbuf_str(&errs));
  assert_string_equal(jbuf_str(&errs), "");
  assert_string_equal(c.path, path);
  assert_string_equal(c.profile, "janitor");
  assert_int_equal(c.nregions, 2);
  assert_string_equal(c.regions[0], "eu-west-1");
  assert_string_equal(c.regions[1], "us-east-1");
  assert_string_equal(c.account_id, "123456789012");
  assert_string_equal(c.endpoint_url, "http://127.0.0.1:4566");
  assert_string_equal(c.ca_bundle, "/etc/ssl/certs/ca.pem");
  assert_int_equal(c.max_attempts, 3);
  assert_int_equal(c.connect_timeout_ms, 2000);
  assert_int_equal(c.request_timeout_ms, 120000);
  assert_int_equal(c.concurrency, 64);
  assert_int_equal(c.host_concurrency, 16);
  assert_int_equal(c.mode, JAN_MODE_DELETE);
  assert_false(c.functions);
  assert_false(c.layers);
  assert_true(c.buckets);
  assert_int_equal(c.min_age_s, 5400);
  assert_int_equal(c.grace_s, 86400);
  assert_int_equal(c.max_deletions, 0);
  assert_int_equal(c.keep_layer_versions, 3);
  assert_int_equal(c.nkeep, 3);
  assert_string_equal(c.keep[0], "remotion-render-keep-*");
  assert_string_equal(c.keep[1], "*important*");
  assert_string_equal(c.keep[2], "Remotion-ignored-anyway");
  assert_int_equal(c.ninclude, 2);
  assert_string_equal(c.include[0], "remotion-render-*");
  assert_string_equal(c.include[1], "remotionlambda-eu*");
  assert_int_equal(c.interval_ms, 3600000);
  assert_int_equal(c.jitter_ms, 0);
  assert_int_equal(c.startup_delay_ms, 0);
  assert_string_equal(c.socket, "/tmp/janitor.sock");
  assert_int_equal(c.socket_mode, 0600);
  assert_string_equal(c.state_file, "/tmp/state.json");
  assert_string_equal(c.audit_log, "/tmp/audit.jsonl");
  assert_string_equal(c.metrics_file, "/tmp/metrics.prom");
  assert_int_equal(c.stop_timeout_ms, 5000);
  config_free(&c);
  jbuf_free(&errs);
  free(path);
}

/*
 * tests/config/broken.conf holds one error of each kind on a known line;
 * the integration test of --check-config uses the same file and lines.
 */
static void test_broken_file(void **state)
{
  static const struct {
    unsigned line;
    const char *msg;
  } want[] = {
    { 3, "key 'stray' before any [section]" },
    { 5, "regions: unknown region 'mars-north-1' (not one of Remotion's "
         "regions)" },
    { 6, "account_id: '12345' is not a 12-digit AWS account ID" },
    { 7, "max_attempts: '50' is out of range (1..20)" },
    { 8, "unknown key 'colour' in [aws]" },
    { 9, "connect_timeout: invalid duration '5 seconds' (a whole number "
         "followed by s, m, h or d, e.g. 90s or 7d)" },
    { 11, "host_concurrency (8) is larger than concurrency (4)" },
    { 14, "account_id is required when mode = delete" },
    { 15, "functions: invalid boolean 'maybe' (yes/no, true/false, on/off or "
          "1/0)" },
    { 16, "include: glob 'remotion*' would widen the scope (it must start "
          "with remotion- or remotionlambda-, before any *, ? or [)" },
    { 17, "duplicate key 'mode' (first set on line 14)" },
    { 18, "syntax error: 'this line is not a key' is not a [section], a "
          "name = value or a comment" },
    { 19, "unknown key 'interval' in [policy] (it belongs in [daemon])" },
    { 21, "unknown section [nowhere] (known: [aws], [policy], [daemon], "
          "[organization], [account NAME])" },
    { 23, "syntax error: section header '[daemon' without ']'" },
    { 26, "socket_mode: invalid mode '0999' (octal digits, e.g. 0660)" },
    { 27, "stop_timeout: duration '99999999999999999999s' is too large (at "
          "most 1h)" },
    { 28, "jitter: invalid duration '-5m' (a whole number followed by s, m, "
          "h or d, e.g. 90s or 7d)" },
  };
  struct jan_config c;
  struct jbuf errs, expect;
  char *path = source_path("tests/config/broken.conf");
  size_t i;

  (void)state;
  assert_int_equal(config_defaults(&c), JAN_OK);
  jbuf_init(&errs, ERRS_MAX);
  jbuf_init(&expect, ERRS_MAX);
  assert_int_equal(config_load(&c, path, &errs), JAN_ECONFIG);
  for(i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    assert_int_equal(jbuf_printf(&expect, "%s:%u: %s\n", path, want[i].line,
                                 want[i].msg), JAN_OK);
  /* Every line, every message, in line order, and nothing else. */
  assert_string_equal(jbuf_str(&errs), jbuf_str(&expect));
  assert_int_equal(count_lines(jbuf_str(&errs)),
                   sizeof(want) / sizeof(want[0]));
  /* What parsed is kept: the first glob of line 16, the first mode. */
  assert_int_equal(c.ninclude, 1);
  assert_string_equal(c.include[0], "remotion-render-*");
  assert_int_equal(c.mode, JAN_MODE_DELETE);
  assert_int_equal(c.concurrency, 4);
  config_free(&c);
  jbuf_free(&errs);
  jbuf_free(&expect);
  free(path);
}

static void test_missing_file(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  assert_int_equal(config_defaults(&c), JAN_OK);
  jbuf_init(&errs, ERRS_MAX);
  assert_int_equal(config_load(&c, "/nonexistent/janitor.conf", &errs),
                   JAN_ENOENT);
  assert_string_equal(jbuf_str(&errs), "/nonexistent/janitor.conf: cannot "
                      "open: No such file or directory\n");
  /* The defaults are untouched. */
  assert_int_equal(c.max_attempts, 5);
  assert_null(c.path);
  jbuf_reset(&errs);
  /* A directory is refused for what it is. */
  assert_int_equal(config_load(&c, "/", &errs), JAN_EIO);
  assert_string_equal(jbuf_str(&errs), "/: is a directory; refusing to read "
                      "it\n");
  /* errs is optional. */
  assert_int_equal(config_load(&c, "/nonexistent/janitor.conf", NULL),
                   JAN_ENOENT);
  config_free(&c);
  jbuf_free(&errs);
}

/* ---- value types ----------------------------------------------------- */

static void test_parse_duration(void **state)
{
  static const struct {
    const char *s;
    uint64_t ms;
  } good[] = {
    { "0", 0 }, { "00", 0 }, { "0s", 0 }, { "90s", 90000 },
    { "15m", 900000 }, { "6h", 21600000 }, { "7d", 604800000 },
    { "007d", 604800000 }, { "1s", 1000 },
    { "213503982334d", 213503982334ull * 86400000ull },
  };
  static const char *const bad[] = {
    "", "5", "-5s", "+5s", "5x", "5 s", " 5s", "5s ", "s", "1.5h", "5S",
    "5sec", "5ms", "0x10s", "18446744073709551616s", "18446744073709552s",
    "213503982335d", "99999999999999999999999d", "5s5",
  };
  size_t i;
  uint64_t ms;

  (void)state;
  for(i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    ms = 42;
    if(config_parse_duration_ms(good[i].s, &ms) != JAN_OK)
      fail_msg("'%s' should parse", good[i].s);
    assert_int_equal(ms, good[i].ms);
  }
  for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if(config_parse_duration_ms(bad[i], &ms) != JAN_EINVAL)
      fail_msg("'%s' should be refused", bad[i]);
  assert_int_equal(config_parse_duration_ms(NULL, &ms), JAN_EINVAL);
}

static void test_parse_bool(void **state)
{
  static const char *const yes[] = { "yes", "YES", "Yes", "true", "True",
                                     "on", "ON", "1" };
  static const char *const no[] = { "no", "No", "false", "FALSE", "off",
                                    "Off", "0" };
  static const char *const bad[] = { "", "y", "n", "2", "maybe", "yes ",
                                     "01", "nope", "truee" };
  size_t i;
  bool b;

  (void)state;
  for(i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    b = false;
    assert_int_equal(config_parse_bool(yes[i], &b), JAN_OK);
    assert_true(b);
  }
  for(i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    b = true;
    assert_int_equal(config_parse_bool(no[i], &b), JAN_OK);
    assert_false(b);
  }
  for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if(config_parse_bool(bad[i], &b) != JAN_EINVAL)
      fail_msg("'%s' should be refused", bad[i]);
  assert_int_equal(config_parse_bool(NULL, &b), JAN_EINVAL);
}

static void test_durations_in_file(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  assert_int_equal(load(&c, "[policy]\nmin_age = 90m\ngrace = 2d\n"
                            "[daemon]\ninterval = 1s\njitter = 2h\n",
                        &errs), JAN_OK);
  /* min_age and grace are kept in seconds, the others in ms. */
  assert_int_equal(c.min_age_s, 5400);
  assert_int_equal(c.grace_s, 172800);
  assert_int_equal(c.interval_ms, 1000);
  /* jitter may exceed interval (the daemon copes). */
  assert_int_equal(c.jitter_ms, 7200000);
  config_free(&c);
  jbuf_free(&errs);

  expect_errors("[daemon]\ninterval = 0\n",
                "t.conf:2: interval: '0' is out of range (1s..365d)\n");
  expect_errors("[daemon]\ninterval = 366d\n",
                "t.conf:2: interval: '366d' is out of range (1s..365d)\n");
  expect_errors("[aws]\nconnect_timeout = 0s\n",
                "t.conf:2: connect_timeout: '0s' is out of range "
                "(1s..1h)\n");
  expect_errors("[policy]\nmin_age = 7\n",
                "t.conf:2: min_age: invalid duration '7' (a whole number "
                "followed by s, m, h or d, e.g. 90s or 7d)\n");
  expect_errors("[policy]\nmin_age = 213503982335d\n",
                "t.conf:2: min_age: duration '213503982335d' is too large "
                "(at most 3650d)\n");
  expect_errors("[daemon]\nstop_timeout =\n",
                "t.conf:2: stop_timeout: invalid duration '' (a whole number "
                "followed by s, m, h or d, e.g. 90s or 7d)\n");
  expect_ok("[daemon]\nstop_timeout = 0\nstartup_delay = 1d\n");
}

/* The switches for S3-compatible servers (issue 21): only with
 * endpoint_url, a region, and no account to verify when there is none. */
static void test_endpoint_switches(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  assert_int_equal(load(&c, "[aws]\nendpoint_url = http://127.0.0.1:7480\n"
                            "bucket_region = us-east-1\n"
                            "endpoint_accounts = no\n[policy]\n"
                            "mode = delete\n", &errs), JAN_OK);
  assert_string_equal(c.bucket_region, "us-east-1");
  assert_false(c.endpoint_accounts);
  config_free(&c);
  jbuf_free(&errs);
  assert_int_equal(load(&c, "", &errs), JAN_OK);
  assert_true(c.endpoint_accounts);
  config_free(&c);
  jbuf_free(&errs);

  expect_errors("[aws]\nbucket_region = us-east-1\n",
                "t.conf:2: bucket_region needs endpoint_url (AWS tells each "
                "bucket's region itself)\n");
  expect_errors("[aws]\nendpoint_url = http://127.0.0.1:7480\n"
                "bucket_region = default\n",
                "t.conf:3: bucket_region: not a region (like us-east-1)\n");
  expect_errors("[aws]\nendpoint_accounts = no\n",
                "t.conf:2: endpoint_accounts = no needs endpoint_url (AWS "
                "always has accounts)\n");
  expect_errors("[aws]\nendpoint_url = http://127.0.0.1:7480\n"
                "account_id = 123456789012\nendpoint_accounts = no\n",
                "t.conf:4: endpoint_accounts = no: no account can be "
                "verified there; remove account_id and the [account] "
                "sections\n");
}

static void test_unsigned(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  assert_int_equal(load(&c, "[aws]\nmax_attempts = 20\nconcurrency = 1024\n"
                            "host_concurrency = 256\n[policy]\n"
                            "max_deletions = 100000000\n"
                            "keep_layer_versions = 0\n", &errs), JAN_OK);
  assert_int_equal(c.max_attempts, 20);
  assert_int_equal(c.concurrency, 1024);
  assert_int_equal(c.host_concurrency, 256);
  assert_int_equal(c.max_deletions, 100000000);
  assert_int_equal(c.keep_layer_versions, 0);
  config_free(&c);
  jbuf_free(&errs);

  expect_errors("[aws]\nmax_attempts = 0\nmax_attempts = 1\n",
                "t.conf:2: max_attempts: '0' is out of range (1..20)\n"
                "t.conf:3: duplicate key 'max_attempts' (first set on line "
                "2)\n");
  expect_errors("[aws]\nmax_attempts = 5x\n",
                "t.conf:2: max_attempts: invalid number '5x'\n");
  expect_errors("[aws]\nmax_attempts = -1\n",
                "t.conf:2: max_attempts: invalid number '-1'\n");
  expect_errors("[aws]\nmax_attempts = +1\n",
                "t.conf:2: max_attempts: invalid number '+1'\n");
  expect_errors("[aws]\nmax_attempts =\n",
                "t.conf:2: max_attempts: invalid number ''\n");
  expect_errors("[aws]\nmax_attempts = 99999999999999999999999\n",
                "t.conf:2: max_attempts: '99999999999999999999999' is out "
                "of range (1..20)\n");
  expect_errors("[aws]\nconcurrency = 1025\n",
                "t.conf:2: concurrency: '1025' is out of range (1..1024)\n");
  expect_errors("[aws]\nhost_concurrency = 257\n",
                "t.conf:2: host_concurrency: '257' is out of range "
                "(1..256)\n");
  expect_errors("[policy]\nkeep_layer_versions = 1001\n"
                "max_deletions = 100000001\n",
                "t.conf:2: keep_layer_versions: '1001' is out of range "
                "(0..1000)\n"
                "t.conf:3: max_deletions: '100000001' is out of range "
                "(0..100000000)\n");
}

static void test_socket_mode(void **state)
{
  static const struct {
    const char *s;
    unsigned mode;
  } good[] = { { "0", 0 }, { "0000", 0 }, { "0777", 0777 }, { "644", 0644 },
               { "0660", 0660 }, { "600", 0600 } };
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    struct jan_config c;
    struct jbuf errs;
    char text[64];

    snprintf(text, sizeof(text), "[daemon]\nsocket_mode = %s\n", good[i].s);
    assert_int_equal(load(&c, text, &errs), JAN_OK);
    assert_int_equal(c.socket_mode, good[i].mode);
    config_free(&c);
    jbuf_free(&errs);
  }
  expect_errors("[daemon]\nsocket_mode = 0999\n",
                "t.conf:2: socket_mode: invalid mode '0999' (octal digits, "
                "e.g. 0660)\n");
  expect_errors("[daemon]\nsocket_mode = 1000\n",
                "t.conf:2: socket_mode: '1000' is out of range "
                "(0000..0777)\n");
  expect_errors("[daemon]\nsocket_mode = 00660\n",
                "t.conf:2: socket_mode: invalid mode '00660' (octal digits, "
                "e.g. 0660)\n");
  expect_errors("[daemon]\nsocket_mode = rw\n",
                "t.conf:2: socket_mode: invalid mode 'rw' (octal digits, "
                "e.g. 0660)\n");
  expect_errors("[daemon]\nsocket_mode =\n",
                "t.conf:2: socket_mode: invalid mode '' (octal digits, "
                "e.g. 0660)\n");
}

static void test_account_id(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  assert_int_equal(load(&c, "[aws]\naccount_id = 000000000000\n", &errs),
                   JAN_OK);
  assert_string_equal(c.account_id, "000000000000");
  config_free(&c);
  jbuf_free(&errs);
  expect_ok("[aws]\naccount_id =\n");
  expect_errors("[aws]\naccount_id = 12345678901\n",
                "t.conf:2: account_id: '12345678901' is not a 12-digit AWS "
                "account ID\n");
  expect_errors("[aws]\naccount_id = 1234567890123\n",
                "t.conf:2: account_id: '1234567890123' is not a 12-digit AWS "
                "account ID\n");
  expect_errors("[aws]\naccount_id = 12345678901a\n",
                "t.conf:2: account_id: '12345678901a' is not a 12-digit AWS "
                "account ID\n");
  expect_errors("[aws]\naccount_id = 1234-5678-9012\n",
                "t.conf:2: account_id: '1234-5678-9012' is not a 12-digit "
                "AWS account ID\n");
}

static void test_mode_and_bools(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  assert_int_equal(load(&c, "[aws]\naccount_id = 123456789012\n[policy]\n"
                            "mode = DELETE\nfunctions = off\nlayers = 0\n"
                            "buckets = On\n", &errs), JAN_OK);
  assert_int_equal(c.mode, JAN_MODE_DELETE);
  assert_false(c.functions);
  assert_false(c.layers);
  assert_true(c.buckets);
  config_free(&c);
  jbuf_free(&errs);
  expect_errors("[policy]\nmode = nuke\n",
                "t.conf:2: mode: invalid mode 'nuke' (report or delete)\n");
  /* renders, render_max_age, storage (issue 12). */
  assert_int_equal(load(&c, "[policy]\nrenders = Artifacts\n"
                            "render_max_age = 2d\nstorage = no\n", &errs),
                   JAN_OK);
  assert_int_equal(c.renders, JAN_RENDERS_ARTIFACTS);
  assert_int_equal(c.render_max_age_s, 2 * 86400);
  assert_false(c.storage);
  config_free(&c);
  jbuf_free(&errs);
  assert_int_equal(load(&c, "", &errs), JAN_OK);
  assert_int_equal(c.renders, JAN_RENDERS_KEEP);
  assert_int_equal(c.render_max_age_s, 30 * 86400);
  assert_true(c.storage);
  config_free(&c);
  jbuf_free(&errs);
  /* log_groups (issue 23). */
  assert_int_equal(load(&c, "[policy]\nlog_groups = yes\n", &errs), JAN_OK);
  assert_true(c.log_groups);
  config_free(&c);
  jbuf_free(&errs);
  /* keep_tag: KEY or KEY=VALUE, the key up to the first '='. */
  assert_int_equal(load(&c, "[policy]\nkeep_tag = team=video=1\n", &errs),
                   JAN_OK);
  assert_string_equal(c.keep_tag, "team=video=1");
  config_free(&c);
  jbuf_free(&errs);
  assert_int_equal(load(&c, "", &errs), JAN_OK);
  assert_true(!c.keep_tag || !c.keep_tag[0]);
  config_free(&c);
  jbuf_free(&errs);
  expect_errors("[policy]\nkeep_tag = =yes\n",
                "t.conf:2: keep_tag: the tag key must be 1 to 128 bytes\n");
  {
    char text[600];
    snprintf(text, sizeof(text), "[policy]\nkeep_tag = %0129d\n", 0);
    expect_errors(text, "t.conf:2: keep_tag: the tag key must be 1 to 128 "
                  "bytes\n");
    snprintf(text, sizeof(text), "[policy]\nkeep_tag = k=%0257d\n", 0);
    expect_errors(text, "t.conf:2: keep_tag: the tag value must be at most "
                  "256 bytes\n");
    snprintf(text, sizeof(text), "[policy]\nkeep_tag = %0128d=%0256d\n", 0,
             0);
    assert_int_equal(load(&c, text, &errs), JAN_OK);
    config_free(&c);
    jbuf_free(&errs);
  }
  expect_errors("[policy]\nlog_groups = maybe\n",
                "t.conf:2: log_groups: invalid boolean 'maybe' (yes/no, "
                "true/false, on/off or 1/0)\n");
  expect_errors("[policy]\nrenders = some\n",
                "t.conf:2: renders: invalid value 'some' (keep, artifacts "
                "or all)\n");
  expect_errors("[policy]\nbuckets = y\nlayers =\n",
                "t.conf:2: buckets: invalid boolean 'y' (yes/no, true/false, "
                "on/off or 1/0)\n"
                "t.conf:3: layers: invalid boolean '' (yes/no, true/false, "
                "on/off or 1/0)\n");
}

static void test_strings(void **state)
{
  struct jan_config c;
  struct jbuf errs;
  char text[600];
  char longv[401];

  (void)state;
  /* A value longer than 200 bytes (a fixed line buffer would cut it). */
  memset(longv, 'p', 400);
  longv[400] = '\0';
  snprintf(text, sizeof(text), "[aws]\nca_bundle = /%s\nprofile = "
           "a#b;c\nendpoint_url = http://h:1/x=y ; comment\n"
           "[daemon]\nmetrics_file =\n", longv);
  assert_int_equal(load(&c, text, &errs), JAN_OK);
  assert_int_equal(strlen(c.ca_bundle), 401);
  assert_memory_equal(c.ca_bundle + 1, longv, 400);
  /* ';' and '#' start a comment only after a blank. */
  assert_string_equal(c.profile, "a#b;c");
  assert_string_equal(c.endpoint_url, "http://h:1/x=y");
  /* Empty means unset. */
  assert_null(c.metrics_file);
  config_free(&c);
  jbuf_free(&errs);

  expect_errors("[daemon]\nsocket =\nstate_file = ; nothing\naudit_log=\n",
                "t.conf:2: socket must not be empty\n"
                "t.conf:3: state_file must not be empty\n"
                "t.conf:4: audit_log must not be empty\n");
}

static void test_regions(void **state)
{
  struct jan_config c;
  struct jbuf errs;
  size_t i;

  (void)state;
  assert_int_equal(load(&c, "[aws]\nregions = us-east-1, eu-west-1 "
                            "us-east-1,,eu-west-1\t ,\n", &errs), JAN_OK);
  assert_int_equal(c.nregions, 2);
  assert_string_equal(c.regions[0], "us-east-1");
  assert_string_equal(c.regions[1], "eu-west-1");
  config_free(&c);
  jbuf_free(&errs);

  /* "all" anywhere in the list: all 23, no duplicates. */
  assert_int_equal(load(&c, "[aws]\nregions = sa-east-1 all\n", &errs),
                   JAN_OK);
  assert_int_equal(c.nregions, 23);
  assert_string_equal(c.regions[0], "sa-east-1");
  assert_string_equal(c.regions[1], "eu-central-1");
  for(i = 0; i < c.nregions; i++)
    assert_true(config_region_known(c.regions[i]));
  config_free(&c);
  jbuf_free(&errs);

  assert_int_equal(load(&c, "[aws]\nregions = all\n", &errs), JAN_OK);
  assert_int_equal(c.nregions, 23);
  for(i = 0; i < 23; i++)
    assert_string_equal(c.regions[i], jan_all_regions[i]);
  config_free(&c);
  jbuf_free(&errs);

  /* Unknown regions: each named; the list is left as it was. */
  assert_int_equal(load(&c, "[aws]\nregions = mars-1, eu-west-1 venus-2\n",
                        &errs), JAN_ECONFIG);
  assert_string_equal(jbuf_str(&errs),
                      "t.conf:2: regions: unknown region 'mars-1' (not one of "
                      "Remotion's regions)\n"
                      "t.conf:2: regions: unknown region 'venus-2' (not one of "
                      "Remotion's regions)\n");
  assert_int_equal(c.nregions, 23);
  config_free(&c);
  jbuf_free(&errs);

  expect_errors("[aws]\nregions = me-south-1\n",
                "t.conf:2: regions: unknown region 'me-south-1' (not one of "
                "Remotion's regions)\n");
  expect_errors("[aws]\nregions = EU-WEST-1\n",
                "t.conf:2: regions: unknown region 'EU-WEST-1' (not one of "
                "Remotion's regions)\n");
  expect_errors("[aws]\nregions = , ,\n",
                "t.conf:2: regions: no region given (use all or a list)\n");
  expect_errors("[aws]\nregions = all\nregions = eu-west-1\n",
                "t.conf:3: duplicate key 'regions' (first set on line 2)\n");
}

static void test_globs(void **state)
{
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  /* keep is unrestricted; keep and include accumulate over lines. */
  assert_int_equal(load(&c, "[policy]\nkeep = *\nkeep = Remotion* x?y\n"
                            "include = remotion-render-*\n"
                            "keep = *\n"
                            "include = remotionlambda-*  remotion-[a-z]*\n"
                            "include =\n", &errs), JAN_OK);
  assert_int_equal(c.nkeep, 3);
  assert_string_equal(c.keep[0], "*");
  assert_string_equal(c.keep[1], "Remotion*");
  assert_string_equal(c.keep[2], "x?y");
  assert_int_equal(c.ninclude, 3);
  assert_string_equal(c.include[0], "remotion-render-*");
  assert_string_equal(c.include[1], "remotionlambda-*");
  assert_string_equal(c.include[2], "remotion-[a-z]*");
  config_free(&c);
  jbuf_free(&errs);

  expect_errors("[policy]\ninclude = *\ninclude = remotion?*\n"
                "include = Remotion-* [r]emotion-*\n",
                "t.conf:2: include: glob '*' would widen the scope (it must "
                "start with remotion- or remotionlambda-, before any *, ? or "
                "[)\n"
                "t.conf:3: include: glob 'remotion?*' would widen the scope "
                "(it must start with remotion- or remotionlambda-, before "
                "any *, ? or [)\n"
                "t.conf:4: include: glob 'Remotion-*' would widen the scope "
                "(it must start with remotion- or remotionlambda-, before "
                "any *, ? or [)\n"
                "t.conf:4: include: glob '[r]emotion-*' would widen the "
                "scope (it must start with remotion- or remotionlambda-, "
                "before any *, ? or [)\n");
}

static void test_too_many_globs(void **state)
{
  struct jan_config c;
  struct jbuf errs, text;
  int i;

  (void)state;
  jbuf_init(&text, 1 << 16);
  assert_int_equal(jbuf_addstr(&text, "[policy]\nkeep ="), JAN_OK);
  for(i = 0; i < 40; i++)
    assert_int_equal(jbuf_printf(&text, " remotion-%d", i), JAN_OK);
  assert_int_equal(jbuf_addstr(&text, "\nkeep ="), JAN_OK);
  for(i = 40; i < 70; i++)
    assert_int_equal(jbuf_printf(&text, " remotion-%d", i), JAN_OK);
  assert_int_equal(jbuf_addstr(&text, "\n"), JAN_OK);
  assert_int_equal(load(&c, jbuf_str(&text), &errs), JAN_ECONFIG);
  assert_string_equal(jbuf_str(&errs),
                      "t.conf:3: keep: too many globs (at most 64)\n");
  assert_int_equal(c.nkeep, JAN_MAX_GLOBS);
  assert_string_equal(c.keep[63], "remotion-63");
  config_free(&c);
  jbuf_free(&errs);
  jbuf_free(&text);
}

/* ---- structure and text ---------------------------------------------- */

/* [account NAME] sections, in file order, each with its own keys. */
static void test_account_sections(void **state)
{
  static const char text[] =
      "[aws]\nregions = eu-west-1\n"
      "[account prod]\naccount_id = 111111111111\n"
      "role_arn = arn:aws:iam::111111111111:role/janitor\n"
      "external_id = x-1\n"
      "[account dev.2]\nprofile = dev\nregions = us-east-1, eu-central-1\n";
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  if(load(&c, text, &errs) != JAN_OK)
    fail_msg("%s", jbuf_str(&errs));
  assert_int_equal(c.naccounts, 2);
  assert_string_equal(c.accounts[0].name, "prod");
  assert_string_equal(c.accounts[0].account_id, "111111111111");
  assert_string_equal(c.accounts[0].role_arn,
                      "arn:aws:iam::111111111111:role/janitor");
  assert_string_equal(c.accounts[0].external_id, "x-1");
  assert_null(c.accounts[0].profile);
  assert_int_equal(c.accounts[0].nregions, 0);
  assert_string_equal(c.accounts[1].name, "dev.2");
  assert_string_equal(c.accounts[1].account_id, "");
  assert_string_equal(c.accounts[1].profile, "dev");
  assert_int_equal(c.accounts[1].nregions, 2);
  assert_string_equal(c.accounts[1].regions[1], "eu-central-1");
  /* [aws] is unchanged by them. */
  assert_int_equal(c.nregions, 1);
  assert_null(c.profile);
  config_free(&c);
  jbuf_free(&errs);
}

/* [organization]: role_name turns it on; ids are checked one by one. */
static void test_organization_section(void **state)
{
  static const char text[] =
      "[organization]\nrole_name = remotion-janitor\nexternal_id = e-1\n"
      "exclude_accounts = 111111111111 222222222222\n"
      "exclude_accounts = 111111111111 333333333333\n"
      "ous = ou-ab12-34cd56ef ou-ab12-11111111\n"
      "[daemon]\nshard = 2/3\n";
  struct jan_config c;
  struct jbuf errs;

  (void)state;
  if(load(&c, text, &errs) != JAN_OK)
    fail_msg("%s", jbuf_str(&errs));
  assert_string_equal(c.org_role_name, "remotion-janitor");
  assert_string_equal(c.org_external_id, "e-1");
  assert_int_equal(c.norg_exclude, 3);      /* the repeat once */
  assert_string_equal(c.org_exclude[2], "333333333333");
  assert_int_equal(c.norg_ous, 2);
  assert_string_equal(c.org_ous[0], "ou-ab12-34cd56ef");
  assert_int_equal(c.shard_index, 2);
  assert_int_equal(c.shard_count, 3);
  config_free(&c);
  jbuf_free(&errs);

  /* Off by default, and a bare header is off too. */
  assert_int_equal(config_defaults(&c), JAN_OK);
  assert_null(c.org_role_name);
  assert_int_equal(c.shard_count, 0);
  config_free(&c);
  expect_ok("[organization]\n");
  expect_ok("[organization]\nrole_name = a+=,.@_-Z9\n");
  /* Delete mode: the members' ids come from the listing, and the [aws]
   * account is not swept without a section of its own. */
  expect_ok("[policy]\nmode = delete\n[organization]\nrole_name = r\n");

  expect_errors("[organization]\nrole_name = bad/name\n",
                "t.conf:2: role_name: 'bad/name' is not a role name (1 to 64 "
                "of A-Z a-z 0-9 + = , . @ _ -)\n");
  expect_errors("[organization]\nrole_name = "
                "r2345678901234567890123456789012345678901234567890123456789"
                "012345\n",
                "t.conf:2: role_name: 'r2345678901234567890123456789012345678"
                "901234567890123456789012345' is not a role name (1 to 64 of "
                "A-Z a-z 0-9 + = , . @ _ -)\n");
  expect_errors("[organization]\nrole_name = r\n"
                "exclude_accounts = 12345678901 1234567890123 12345678901x\n",
                "t.conf:3: exclude_accounts: '12345678901' is not an account "
                "id (12 digits)\n"
                "t.conf:3: exclude_accounts: '1234567890123' is not an account "
                "id (12 digits)\n"
                "t.conf:3: exclude_accounts: '12345678901x' is not an account "
                "id (12 digits)\n");
  expect_errors("[organization]\nrole_name = r\n"
                "ous = r-ab12 ou-ab1-12345678 ou-ab12-1234567 OU-ab12-12345678\n",
                "t.conf:3: ous: 'r-ab12' is not an OU id (ou-, 4 to 32 of "
                "a-z 0-9, -, 8 to 32 more)\n"
                "t.conf:3: ous: 'ou-ab1-12345678' is not an OU id (ou-, 4 to "
                "32 of a-z 0-9, -, 8 to 32 more)\n"
                "t.conf:3: ous: 'ou-ab12-1234567' is not an OU id (ou-, 4 to "
                "32 of a-z 0-9, -, 8 to 32 more)\n"
                "t.conf:3: ous: 'OU-ab12-12345678' is not an OU id (ou-, 4 to "
                "32 of a-z 0-9, -, 8 to 32 more)\n");
  expect_errors("[organization]\nous = ou-ab12-12345678\n",
                "t.conf:2: [organization]: role_name is required to list an "
                "organization\n");
  /* external_id alone: the error names its line (found by fuzz_config:
   * it had none). */
  expect_errors("[organization]\nexternal_id = x\n",
                "t.conf:2: [organization]: role_name is required to list an "
                "organization\n");
  expect_errors("[policy]\n[organization]\n\nexclude_accounts = "
                "111111111111\n",
                "t.conf:4: [organization]: role_name is required to list an "
                "organization\n");
  expect_errors("[aws]\nendpoint_url = http://127.0.0.1:1\n"
                "endpoint_accounts = no\n[organization]\nrole_name = r\n",
                "t.conf:5: [organization]: endpoint_accounts = no: a server "
                "without accounts has no organization\n");
  expect_errors("[organization]\nrole_name = r\nshard = 1/2\n",
                "t.conf:3: unknown key 'shard' in [organization] (it belongs "
                "in [daemon])\n");
}

/* shard = I/N, counted from 1. */
static void test_shard(void **state)
{
  static const char *const bad[] = {
    "0/3", "4/3", "1/0", "0/0", "1/1025", "-1/3", "+1/3", "1 /3", "1/3x",
    "1/", "/3", "1", "a/b", "00001/2", "1/00002", "99999/99999",
  };
  unsigned i, n;

  (void)state;
  assert_int_equal(config_parse_shard("1/1", &i, &n), JAN_OK);
  assert_true(i == 1 && n == 1);
  assert_int_equal(config_parse_shard("7/7", &i, &n), JAN_OK);
  assert_true(i == 7 && n == 7);
  assert_int_equal(config_parse_shard("1024/1024", &i, &n), JAN_OK);
  assert_int_equal(config_parse_shard("01/3", &i, &n), JAN_OK);
  assert_true(i == 1 && n == 3);
  for(size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
    i = n = 77;
    if(config_parse_shard(bad[k], &i, &n) != JAN_EINVAL)
      fail_msg("shard '%s' accepted", bad[k]);
    assert_true(i == 77 && n == 77);
  }
  expect_errors("[daemon]\nshard = 0/3\n",
                "t.conf:2: shard: '0/3' is not I/N with 1 <= I <= N <= 1024 "
                "(shard I of N, counted from 1)\n");
  expect_ok("[daemon]\nshard =\n");
}

static void test_sections_and_keys(void **state)
{
  (void)state;
  expect_errors("profile = x\n[aws]\n",
                "t.conf:1: key 'profile' before any [section]\n");
  /* Keys under an unknown section are not reported once more. */
  expect_errors("[foo]\nbar = 1\nbaz = 2\n[aws]\nbar = 3\n",
                "t.conf:1: unknown section [foo] (known: [aws], [policy], "
                "[daemon], [organization], [account NAME])\n"
                "t.conf:5: unknown key 'bar' in [aws]\n");
  expect_errors("[AWS]\n", "t.conf:1: unknown section [AWS] (known: [aws], "
                "[policy], [daemon], [organization], [account NAME])\n");
  expect_errors("[]\n", "t.conf:1: unknown section [] (known: [aws], "
                "[policy], [daemon], [organization], [account NAME])\n");
  /* [account NAME]: a name, once each; its keys once per section. */
  expect_errors("[account]\n", "t.conf:1: [account] needs a name: "
                "[account NAME]\n");
  expect_errors("[account a b]\n", "t.conf:1: [account a b]: a name is 1 "
                "to 64 of A-Z a-z 0-9 - _ .\n");
  expect_errors("[account a]\n[account a]\n", "t.conf:2: duplicate section "
                "[account a] (first on line 1)\n");
  expect_errors("[account a]\nprofile = p\nprofile = q\n",
                "t.conf:3: duplicate key 'profile' (first set on line 2)\n");
  expect_errors("[account a]\nrole_arn = arn:aws:iam::111111111111:role/r\n"
                "profile = p\nexternal_id = e\n",
                "t.conf:1: [account a]: role_arn and profile exclude each "
                "other\n");
  expect_errors("[account a]\nexternal_id = e\n", "t.conf:1: [account a]: "
                "external_id goes with role_arn\n");
  expect_errors("[account a]\naccount_id = 222222222222\n"
                "role_arn = arn:aws:iam::111111111111:role/r\n",
                "t.conf:1: [account a]: role_arn is in account 111111111111, "
                "account_id is 222222222222\n");
  expect_errors("[policy]\nmode = delete\n[aws]\naccount_id = 111111111111\n"
                "[account a]\n", "t.conf:5: [account a]: account_id is "
                "required when mode = delete\n");
  /* One section per account: two would race for its grace clocks, and
   * which of them deleted would change from run to run. */
  expect_errors("[account a]\naccount_id = 111111111111\n[account b]\n"
                "[account c]\naccount_id = 111111111111\n",
                "t.conf:4: [account c]: account_id 111111111111 is also "
                "that of [account a] (line 1): one section per account\n");
  expect_errors("[aws] x\nprofile = a\n",
                "t.conf:1: syntax error: text after the section header: "
                "' x'\n");
  expect_errors("[aws\nprofile = a\n",
                "t.conf:1: syntax error: section header '[aws' without "
                "']'\n");
  expect_errors("[aws]\n= x\n",
                "t.conf:2: syntax error: no name before '='\n");
  expect_errors("[aws]\njust words\n",
                "t.conf:2: syntax error: 'just words' is not a [section], a "
                "name = value or a comment\n");
  expect_errors("[policy]\nmode = report\nmode = report\nmode = delete\n",
                "t.conf:3: duplicate key 'mode' (first set on line 2)\n"
                "t.conf:4: duplicate key 'mode' (first set on line 2)\n");
  expect_errors("[daemon]\nregions = all\n",
                "t.conf:2: unknown key 'regions' in [daemon] (it belongs in "
                "[aws])\n");
  /* Blanks in headers and around '=', ':', sections again. */
  expect_ok("[ aws ]\n  profile:p\n\t max_attempts\t=\t3 \n[policy]\n"
            "[aws]\nregions = all\n");
  /* Comments of both kinds, on their own lines and after a blank. */
  expect_ok("; one\n# two\n   ; three\n[aws] ; four\nprofile = x # five\n"
            "[policy]\t# six\n");
  /* Indented lines are not continuations (no multi-line values). */
  expect_errors("[aws]\nprofile = a\n   b\n",
                "t.conf:3: syntax error: 'b' is not a [section], a "
                "name = value or a comment\n");
  expect_ok("");
  expect_ok("\n\n\n");
}

static void test_cross_checks(void **state)
{
  (void)state;
  expect_errors("[aws]\n\n[policy]\nmode = delete\n",
                "t.conf:4: account_id is required when mode = delete\n");
  expect_ok("[policy]\nmode = delete\n[aws]\naccount_id = 123456789012\n");
  expect_errors("[aws]\nconcurrency = 4\n",
                "t.conf:2: host_concurrency (8) is larger than concurrency "
                "(4)\n");
  expect_errors("[aws]\nconcurrency = 16\nhost_concurrency = 17\n",
                "t.conf:3: host_concurrency (17) is larger than concurrency "
                "(16)\n");
  expect_ok("[aws]\nconcurrency = 16\nhost_concurrency = 16\n");
  /* Sorted by line: the check on line 2 comes before the error on 3. */
  expect_errors("[policy]\nmode = delete\nbuckets = perhaps\n",
                "t.conf:2: account_id is required when mode = delete\n"
                "t.conf:3: buckets: invalid boolean 'perhaps' (yes/no, "
                "true/false, on/off or 1/0)\n");
}

static void test_bom_and_crlf(void **state)
{
  struct jan_config c;
  struct jbuf errs;
  static const char text[] = "\xEF\xBB\xBF[aws]\r\nprofile = p\r\n"
                             "\r\n; comment\r\nbogus = 1\r\n"
                             "max_attempts = 7 ; c\r\n[policy]\r\n"
                             "keep = remotion-a remotion-b\r\n";

  (void)state;
  assert_int_equal(load(&c, text, &errs), JAN_ECONFIG);
  assert_string_equal(jbuf_str(&errs),
                      "t.conf:5: unknown key 'bogus' in [aws]\n");
  assert_string_equal(c.profile, "p");
  assert_int_equal(c.max_attempts, 7);
  assert_int_equal(c.nkeep, 2);
  assert_string_equal(c.keep[1], "remotion-b");
  config_free(&c);
  jbuf_free(&errs);
  /* A BOM is only skipped at the very start; a last line without '\n'. */
  expect_errors("[aws]\n\xEF\xBB\xBFprofile = p\r\nprofile = q",
                "t.conf:2: unknown key '\xEF\xBB\xBFprofile' in [aws]\n");
  expect_ok("\xEF\xBB\xBF");
  /* A lone '\r' is not a line end. */
  expect_errors("[aws]\rprofile = p\n",
                "t.conf:1: line contains a control character (0x0d)\n");
}

static void test_long_lines(void **state)
{
  struct jan_config c;
  struct jbuf errs, text;
  const char *head = "keep = remotion-";
  size_t fill = JAN_CONFIG_LINE_MAX - strlen(head);

  (void)state;
  /* Exactly JAN_CONFIG_LINE_MAX bytes (the "\r\n" not counted): fine. */
  jbuf_init(&text, 1 << 16);
  assert_int_equal(jbuf_printf(&text, "[policy]\n%s", head), JAN_OK);
  for(size_t i = 0; i < fill; i++)
    assert_int_equal(jbuf_addc(&text, 'x'), JAN_OK);
  assert_int_equal(jbuf_addstr(&text, "\r\n"), JAN_OK);
  assert_int_equal(load(&c, jbuf_str(&text), &errs), JAN_OK);
  assert_int_equal(c.nkeep, 1);
  assert_int_equal(strlen(c.keep[0]), strlen("remotion-") + fill);
  config_free(&c);
  jbuf_free(&errs);

  /* One byte more is an error, and the lines after it keep their numbers. */
  jbuf_reset(&text);
  assert_int_equal(jbuf_printf(&text, "[policy]\n%s", head), JAN_OK);
  for(size_t i = 0; i < fill + 1; i++)
    assert_int_equal(jbuf_addc(&text, 'x'), JAN_OK);
  assert_int_equal(jbuf_addstr(&text, "\nbogus = 1\n"), JAN_OK);
  for(size_t i = 0; i < 10000; i++)
    assert_int_equal(jbuf_addc(&text, ';'), JAN_OK);
  assert_int_equal(jbuf_addstr(&text, "\nmode = x\n"), JAN_OK);
  assert_int_equal(load(&c, jbuf_str(&text), &errs), JAN_ECONFIG);
  assert_string_equal(jbuf_str(&errs),
                      "t.conf:2: line is longer than 4096 bytes\n"
                      "t.conf:3: unknown key 'bogus' in [policy]\n"
                      "t.conf:4: line is longer than 4096 bytes\n"
                      "t.conf:5: mode: invalid mode 'x' (report or delete)\n");
  assert_int_equal(c.nkeep, 0);
  config_free(&c);
  jbuf_free(&errs);
  jbuf_free(&text);
}

/* Quoted values are cut at 80 bytes (on a character boundary). */
static void test_message_caps(void **state)
{
  struct jan_config c;
  struct jbuf errs, text, want;
  size_t i;

  (void)state;
  jbuf_init(&text, 1 << 16);
  jbuf_init(&want, 1 << 16);
  assert_int_equal(jbuf_addstr(&text, "[aws]\nmax_attempts = "), JAN_OK);
  for(i = 0; i < 300; i++)
    assert_int_equal(jbuf_addc(&text, '9'), JAN_OK);
  /* A long unknown name is quoted whole, capped. */
  assert_int_equal(jbuf_addc(&text, '\n'), JAN_OK);
  for(i = 0; i < 39; i++)
    assert_int_equal(jbuf_addc(&text, 'k'), JAN_OK);
  for(i = 0; i < 30; i++)
    assert_int_equal(jbuf_addstr(&text, "\xD0\xBE"), JAN_OK);
  assert_int_equal(jbuf_addstr(&text, " = 1\n"), JAN_OK);

  assert_int_equal(jbuf_addstr(&want, "t.conf:2: max_attempts: '"), JAN_OK);
  for(i = 0; i < 80; i++)
    assert_int_equal(jbuf_addc(&want, '9'), JAN_OK);
  assert_int_equal(jbuf_addstr(&want, "...' is out of range (1..20)\n"
                               "t.conf:3: unknown key '"), JAN_OK);
  for(i = 0; i < 39; i++)
    assert_int_equal(jbuf_addc(&want, 'k'), JAN_OK);
  /* 39 + 20 * 2 = 79 bytes: the next character would pass 80. */
  for(i = 0; i < 20; i++)
    assert_int_equal(jbuf_addstr(&want, "\xD0\xBE"), JAN_OK);
  assert_int_equal(jbuf_addstr(&want, "...' in [aws]\n"), JAN_OK);

  assert_int_equal(load(&c, jbuf_str(&text), &errs), JAN_ECONFIG);
  assert_string_equal(jbuf_str(&errs), jbuf_str(&want));
  config_free(&c);
  jbuf_free(&errs);
  jbuf_free(&text);
  jbuf_free(&want);
}

static void test_control_bytes(void **state)
{
  struct jan_config c;
  struct jbuf errs;
  static const char text[] = "[aws]\nprofile = a\0b\nprofile = c\x01\n"
                             "profile = \x7f\nprofile=\tok\t\n";

  (void)state;
  assert_int_equal(config_defaults(&c), JAN_OK);
  jbuf_init(&errs, ERRS_MAX);
  assert_int_equal(config_load_string(&c, "t.conf", text, sizeof(text) - 1,
                                      &errs), JAN_ECONFIG);
  assert_string_equal(jbuf_str(&errs),
                      "t.conf:2: line contains a NUL byte\n"
                      "t.conf:3: line contains a control character (0x01)\n"
                      "t.conf:4: line contains a control character (0x7f)\n");
  assert_string_equal(c.profile, "ok");
  config_free(&c);
  jbuf_free(&errs);
}

/* Many errors: all reported up to 1000, then one line says how many more. */
static void test_error_limits(void **state)
{
  struct jan_config c;
  struct jbuf errs, text;
  const char *last;
  int i;

  (void)state;
  jbuf_init(&text, 1 << 20);
  for(i = 0; i < 1500; i++)
    assert_int_equal(jbuf_addstr(&text, "x\n"), JAN_OK);
  assert_int_equal(load(&c, jbuf_str(&text), &errs), JAN_ECONFIG);
  assert_int_equal(count_lines(jbuf_str(&errs)), 1001);
  last = strstr(jbuf_str(&errs), "t.conf:1000: ");
  assert_non_null(last);
  assert_non_null(strstr(jbuf_str(&errs),
                         "\nt.conf: 500 more errors not shown\n"));
  config_free(&c);
  jbuf_free(&errs);

  /* A tiny errs or none at all: the return code still says it. */
  assert_int_equal(config_defaults(&c), JAN_OK);
  jbuf_init(&errs, 10);
  assert_int_equal(config_load_string(&c, "t.conf", text.ptr, text.len,
                                      &errs), JAN_ECONFIG);
  assert_true(errs.len <= 10);
  assert_int_equal(config_load_string(&c, "t.conf", text.ptr, text.len,
                                      NULL), JAN_ECONFIG);
  assert_int_equal(config_load_string(&c, "t.conf", NULL, 0, NULL), JAN_OK);
  config_free(&c);
  jbuf_free(&errs);
  jbuf_free(&text);
}

/* A reload parses into a fresh struct; the old one stays as it was. */
static void test_reload_pattern(void **state)
{
  struct jan_config old, fresh;
  struct jbuf errs;
  char *good = source_path("tests/config/good.conf");
  char *broken = source_path("tests/config/broken.conf");

  (void)state;
  jbuf_init(&errs, ERRS_MAX);
  assert_int_equal(config_defaults(&old), JAN_OK);
  assert_int_equal(config_load(&old, good, &errs), JAN_OK);
  assert_int_equal(config_defaults(&fresh), JAN_OK);
  assert_int_equal(config_load(&fresh, broken, &errs), JAN_ECONFIG);
  config_free(&fresh);
  assert_string_equal(old.profile, "janitor");
  assert_int_equal(config_defaults(&fresh), JAN_OK);
  assert_int_equal(config_load(&fresh, good, NULL), JAN_OK);
  assert_same_config(&old, &fresh);
  config_free(&fresh);
  config_free(&old);
  jbuf_free(&errs);
  free(good);
  free(broken);
}

/*
 * Random damage to a valid file never crashes and always ends in OK or
 * ECONFIG (a cheap stand-in for the fuzz target; ASan watches memory).
 */
static void test_mutations(void **state)
{
  char *path = source_path("tests/config/good.conf");
  static const char alphabet[] = "[]=:;# \t\r\n\\*?-0az\xEF\xBB\xBF\xD0\x01";
  size_t len, i;
  char *orig = read_file(path, &len);
  char *buf = malloc(len + 64);
  uint32_t seed = 12345;
  int n;

  (void)state;
  assert_non_null(buf);
  for(n = 0; n < 3000; n++) {
    struct jan_config c;
    size_t blen = len;
    int k, rc;

    memcpy(buf, orig, len);
    for(k = 0; k < 1 + n % 8; k++) {
      seed = seed * 1103515245u + 12345u;
      i = (seed >> 8) % blen;
      seed = seed * 1103515245u + 12345u;
      buf[i] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
    }
    if(n % 5 == 0) {
      seed = seed * 1103515245u + 12345u;
      blen = (seed >> 8) % len;
    }
    assert_int_equal(config_defaults(&c), JAN_OK);
    rc = config_load_string(&c, "m.conf", buf, blen, NULL);
    assert_true(rc == JAN_OK || rc == JAN_ECONFIG);
    config_free(&c);
  }
  free(buf);
  free(orig);
  free(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_regions_order),
    cmocka_unit_test(test_example_file),
    cmocka_unit_test(test_example_lists_every_key),
    cmocka_unit_test(test_example_uncommented_is_defaults),
    cmocka_unit_test(test_good_file),
    cmocka_unit_test(test_broken_file),
    cmocka_unit_test(test_missing_file),
    cmocka_unit_test(test_parse_duration),
    cmocka_unit_test(test_parse_bool),
    cmocka_unit_test(test_durations_in_file),
    cmocka_unit_test(test_unsigned),
    cmocka_unit_test(test_endpoint_switches),
    cmocka_unit_test(test_socket_mode),
    cmocka_unit_test(test_account_id),
    cmocka_unit_test(test_mode_and_bools),
    cmocka_unit_test(test_strings),
    cmocka_unit_test(test_regions),
    cmocka_unit_test(test_globs),
    cmocka_unit_test(test_too_many_globs),
    cmocka_unit_test(test_account_sections),
    cmocka_unit_test(test_organization_section),
    cmocka_unit_test(test_shard),
    cmocka_unit_test(test_sections_and_keys),
    cmocka_unit_test(test_cross_checks),
    cmocka_unit_test(test_bom_and_crlf),
    cmocka_unit_test(test_long_lines),
    cmocka_unit_test(test_message_caps),
    cmocka_unit_test(test_control_bytes),
    cmocka_unit_test(test_error_limits),
    cmocka_unit_test(test_reload_pattern),
    cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
