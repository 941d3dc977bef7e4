/*
 * AWS's naming rules (names.h), the path-segment encoder, the log escaper,
 * and the inventory's handling of invalid and duplicate names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <uv.h>

#include "janitor/aws.h"
#include "janitor/bucket.h"
#include "janitor/creds.h"
#include "janitor/http.h"
#include "janitor/inventory.h"
#include "janitor/names.h"
#include "janitor/services.h"

static void test_bucket_valid(void **state)
{
  static const char *const ok[] = {
    "remotionlambda-euwest1-abcdefghij", "remotion-x1", "abc",
    "remotion-a.b-c", "1.2.3", "1.2.3.4.5", "a-b", "xn-a",
  };
  char max[NAMES_BUCKET_MAX + 2];
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(ok); i++)
    if(!names_bucket_valid(ok[i]))
      fail_msg("refused bucket \"%s\"", ok[i]);
  memset(max, 'a', sizeof(max));
  max[NAMES_BUCKET_MAX] = '\0';
  assert_true(names_bucket_valid(max));
  max[NAMES_BUCKET_MAX] = 'a';
  max[NAMES_BUCKET_MAX + 1] = '\0';
  assert_false(names_bucket_valid(max));
}

static void test_bucket_invalid(void **state)
{
  static const char *const bad[] = {
    "", "ab", "remotion-a/../remotionlambda-b", "remotion-..", "remotion-a..b",
    "remotion-a/b", "remotion-%2e%2e", "remotion-a?b", "remotion-a#b",
    "remotion-a@evil.example", "remotion-UPPER", "remotion-a_b",
    "remotion-a b", "remotion-a\r\nx", "remotion-a\x01", "remotion-\xc3\xa9",
    "remotion-", "remotion.", "-remotion-a", ".remotion-a", "remotion-a-",
    "192.168.5.4", "1.2.3.4", "xn--remotion-a", "sthree-remotion",
    "sthree-configurator-a", "amzn-s3-demo-bucket", "remotion-a-s3alias",
    "remotion-a--ol-s3", "remotion-a.mrap", "remotion-a--x-s3",
    "remotion-a--table-s3",
  };
  (void)state;
  assert_false(names_bucket_valid(NULL));
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(names_bucket_valid(bad[i]))
      fail_msg("accepted bucket \"%s\"", bad[i]);
  }
}

static void test_lambda_names(void **state)
{
  char max_fn[NAMES_FUNCTION_MAX + 2], max_layer[NAMES_LAYER_MAX + 2];
  static const char *const bad[] = {
    "", "remotion-a/b", "remotion-..", "remotion-a.b", "remotion-%2e",
    "remotion-a?b", "remotion-a#b", "remotion-a@b", "remotion-a b",
    "remotion-a\r\n", "remotion-\xc3\xa9", "remotion-a:1",
  };
  (void)state;
  assert_true(names_function_valid(
      "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec"));
  assert_true(names_function_valid("Remotion_X-1"));
  assert_true(names_layer_valid("remotion-binaries-arm64"));
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    assert_false(names_function_valid(bad[i]));
    assert_false(names_layer_valid(bad[i]));
  }
  memset(max_fn, 'a', sizeof(max_fn));
  max_fn[NAMES_FUNCTION_MAX] = '\0';
  assert_true(names_function_valid(max_fn));
  max_fn[NAMES_FUNCTION_MAX] = 'a';
  max_fn[NAMES_FUNCTION_MAX + 1] = '\0';
  assert_false(names_function_valid(max_fn));
  assert_true(names_layer_valid(max_fn));    /* 65 is fine for a layer */
  memset(max_layer, 'a', sizeof(max_layer));
  max_layer[NAMES_LAYER_MAX] = '\0';
  assert_true(names_layer_valid(max_layer));
  max_layer[NAMES_LAYER_MAX] = 'a';
  max_layer[NAMES_LAYER_MAX + 1] = '\0';
  assert_false(names_layer_valid(max_layer));
  assert_false(names_function_valid(NULL));
  assert_true(names_valid(JAN_KIND_LAYER, "remotion-x"));
  /* A log group: valid bytes, and its function's name valid. */
  assert_true(names_valid(JAN_KIND_LOG_GROUP, "/aws/lambda/remotion-x"));
  assert_false(names_valid(JAN_KIND_LOG_GROUP, "/aws/lambda/remotion-x.y"));
  assert_false(names_valid(JAN_KIND_LOG_GROUP, "/aws/lambda-insights"));
  assert_false(names_valid(JAN_KIND_BUCKET, "remotion-X"));
  assert_true(names_valid(JAN_KIND_FUNCTION, "remotion-X"));
}

static void test_log_group_names(void **state)
{
  char max[NAMES_LOG_GROUP_MAX + 2];
  static const char *const good[] = {
    "/aws/lambda/remotion-render-4-0-1", "/aws/lambda-insights", "a",
    "x.y-z_w/#1", "/", "#",
  };
  static const char *const bad[] = {
    "", "/aws/lambda/remotion a", "/aws/lambda/remotion-\xc3\xa9",
    "/aws/lambda/remotion:x", "/aws/lambda/remotion-a\n", "a*b", "a%2F",
    "a\\b", "a?b", "a\"b",
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(good); i++)
    if(!names_log_group_valid(good[i]))
      fail_msg("refused log group \"%s\"", good[i]);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++)
    if(names_log_group_valid(bad[i]))
      fail_msg("accepted log group \"%s\"", bad[i]);
  assert_false(names_log_group_valid(NULL));
  memset(max, 'a', sizeof(max));
  max[NAMES_LOG_GROUP_MAX] = '\0';
  assert_true(names_log_group_valid(max));
  max[NAMES_LOG_GROUP_MAX] = 'a';
  max[NAMES_LOG_GROUP_MAX + 1] = '\0';
  assert_false(names_log_group_valid(max));

  assert_int_equal(names_log_group_guard("op", "/aws/lambda/remotion-a"),
                   JAN_OK);
  assert_int_equal(names_log_group_guard("op", "/aws/lambda-insights"),
                   JAN_ESCOPE);
  assert_int_equal(names_log_group_guard("op", "/aws/lambda/remotionfan"),
                   JAN_ESCOPE);
  /* In scope but not a group Lambda makes for a valid function name. */
  assert_int_equal(names_log_group_guard("op", "/aws/lambda/remotion-a.b"),
                   JAN_EINVAL);
  assert_int_equal(names_log_group_guard("op", "/aws/lambda/remotion-a/b"),
                   JAN_EINVAL);
  assert_int_equal(names_log_group_guard("op", "/aws/lambda/remotion-a b"),
                   JAN_EINVAL);
}

static void test_layer_versions(void **state)
{
  (void)state;
  assert_true(names_layer_version_valid(1));
  assert_true(names_layer_version_valid(INT64_MAX - 1));
  assert_false(names_layer_version_valid(0));
  assert_false(names_layer_version_valid(-1));
  assert_false(names_layer_version_valid(INT64_MIN));
  assert_false(names_layer_version_valid(INT64_MAX));
}

/* enc appends to what is already there (and nothing when it fails). */
static void expect_enc(int (*enc)(const char *, struct jbuf *),
                       const char *in, int rc, const char *want)
{
  struct jbuf b;
  jbuf_init(&b, 4096);
  assert_int_equal(jbuf_addstr(&b, "/p/"), JAN_OK);
  assert_int_equal(enc(in, &b), rc);
  assert_string_equal(jbuf_str(&b) + 3, want);
  jbuf_free(&b);
}

static void expect_encoded(const char *in, const char *want)
{
  expect_enc(names_encode_segment, in, JAN_OK, want);
}

static void test_encode_segment(void **state)
{
  struct jbuf b;
  (void)state;
  expect_encoded("remotion-a_b.c~d", "remotion-a_b.c~d");
  expect_encoded("a/../b", "a%2F..%2Fb");
  expect_encoded("../x", "..%2Fx");
  expect_encoded("%2e%2e", "%252e%252e");
  expect_encoded("a?b#c@d e+f", "a%3Fb%23c%40d%20e%2Bf");
  expect_encoded("\r\n\x01\xff", "%0D%0A%01%FF");
  expect_encoded("...", "...");
  expect_encoded("\xc3\xa9", "%C3%A9");

  jbuf_init(&b, 4096);
  assert_int_equal(jbuf_addstr(&b, "/x"), JAN_OK);
  assert_int_equal(names_encode_segment(".", &b), JAN_EINVAL);
  assert_int_equal(names_encode_segment("..", &b), JAN_EINVAL);
  assert_int_equal(names_encode_segment("", &b), JAN_EINVAL);
  assert_int_equal(names_encode_segment(NULL, &b), JAN_EINVAL);
  assert_string_equal(jbuf_str(&b), "/x");       /* unchanged */
  jbuf_free(&b);

  /* Over the cap: an error and nothing half-written. */
  jbuf_init(&b, 6);
  assert_int_equal(jbuf_addstr(&b, "/x"), JAN_OK);
  assert_int_equal(names_encode_segment("a/b", &b), JAN_ETOOBIG);
  assert_string_equal(jbuf_str(&b), "/x");
  jbuf_free(&b);
}

static void expect_key(const char *in, int rc, const char *want)
{
  expect_enc(names_encode_key, in, rc, want);
}

static void test_encode_key(void **state)
{
  (void)state;
  expect_key("renders/a b+c/out.mp4", JAN_OK, "renders/a%20b%2Bc/out.mp4");
  expect_key("a//b", JAN_OK, "a//b");
  expect_key(".../x/..a/a..", JAN_OK, ".../x/..a/a..");
  expect_key("%2e%2e/x", JAN_OK, "%252e%252e/x");
  expect_key("x\x01/y", JAN_OK, "x%01/y");
  expect_key("a/../b", JAN_EINVAL, "");
  expect_key("../b", JAN_EINVAL, "");
  expect_key("./b", JAN_EINVAL, "");
  expect_key("a/.", JAN_EINVAL, "");
  expect_key("a/..", JAN_EINVAL, "");
  expect_key("..", JAN_EINVAL, "");
  expect_key("", JAN_EINVAL, "");
}

static void test_escape(void **state)
{
  char out[NAMES_ESCAPE_BUF], small[8];
  char lng[200];
  (void)state;
  names_escape("remotion-a\r\n\x00/\\\xff", 16, out, sizeof(out));
  assert_string_equal(out, "remotion-a\\x0d\\x0a\\x00/\\x5c\\xff");
  memset(lng, 'a', sizeof(lng));
  names_escape(lng, sizeof(lng), out, sizeof(out));
  assert_int_equal(strlen(out), NAMES_ESCAPE_MAX + 3);
  assert_string_equal(out + NAMES_ESCAPE_MAX, "...");
  /* Every byte escaped at the cap still fits the documented buffer. */
  memset(lng, 1, sizeof(lng));
  names_escape(lng, sizeof(lng), out, sizeof(out));
  assert_int_equal(strlen(out), NAMES_ESCAPE_MAX * 4 + 3);
  names_escape("a\"b", 3, out, sizeof(out));
  assert_string_equal(out, "a\\x22b");
  /* The display rule: valid UTF-8 kept, a bidi control escaped. */
  names_escape("caf\xc3\xa9\xe2\x80\xae", 8, out, sizeof(out));
  assert_string_equal(out, "caf\xc3\xa9\\xe2\\x80\\xae");
  /* A small buffer is cut at a whole escape, always terminated. */
  names_escape("\x01\x02", 2, small, sizeof(small));
  assert_string_equal(small, "\\x01...");
}

static void test_guard(void **state)
{
  (void)state;
  assert_int_equal(names_guard("op", JAN_KIND_BUCKET, "remotion-a"), JAN_OK);
  assert_int_equal(names_guard("op", JAN_KIND_BUCKET, "other-a"), JAN_ESCOPE);
  assert_int_equal(names_guard("op", JAN_KIND_BUCKET, "remotion-a/../b"),
                   JAN_EINVAL);
  assert_int_equal(names_guard("op", JAN_KIND_FUNCTION, "remotion-a.b"),
                   JAN_EINVAL);
  /* Out of scope wins over invalid: the name is withheld. */
  assert_int_equal(names_guard("op", JAN_KIND_LAYER, "x/../y"), JAN_ESCOPE);
}

/* Code storage: the in-scope functions' CodeSize per region, none where
 * the function listing is incomplete or the region disabled. */
static void test_inventory_code_bytes(void **state)
{
  static const struct {
    enum jan_kind kind;
    const char *region, *name;
    int64_t bytes;
  } listed[] = {
    { JAN_KIND_FUNCTION, "eu-west-1", "remotion-a", 41000000 },
    { JAN_KIND_FUNCTION, "eu-west-1", "remotion-b", 7 },
    { JAN_KIND_FUNCTION, "eu-west-1", "remotion-c", 0 },   /* an image */
    { JAN_KIND_FUNCTION, "us-east-1", "remotion-a", 10 },
    { JAN_KIND_LAYER, "eu-west-1", "remotion-l", 5000 },   /* not counted */
    { JAN_KIND_BUCKET, "eu-west-1", "remotion-k", 9000 },  /* not counted */
    { JAN_KIND_FUNCTION, "eu-west-2", "remotion-a", 3 },
    { JAN_KIND_FUNCTION, "eu-north-1", "remotion-a", INT64_MAX - 1 },
    { JAN_KIND_FUNCTION, "eu-north-1", "remotion-b", INT64_MAX - 1 },
  };
  static const struct { const char *region; int64_t want; } v[] = {
    { "eu-west-1", 41000007 },
    { "us-east-1", 10 },
    { "eu-west-2", -1 },         /* its function listing is incomplete */
    { "eu-central-1", 0 },       /* listed, no function */
    { "ap-southeast-4", -1 },    /* disabled */
    { "eu-north-1", INT64_MAX }, /* saturates */
    { "sa-east-1", -1 },         /* not swept */
  };
  struct inventory inv;
  (void)state;
  inventory_init(&inv);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v) - 1; i++)
    assert_int_equal(inventory_add_region(&inv, v[i].region), JAN_OK);
  inventory_region(&inv, "ap-southeast-4")->status = INV_REGION_DISABLED;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(listed); i++) {
    struct inv_item *it = inventory_add(&inv, listed[i].kind,
                                        listed[i].region, listed[i].name,
                                        NULL, 0, 1);
    assert_non_null(it);
    it->bytes = listed[i].bytes;
  }
  inventory_mark_incomplete(&inv, "eu-west-2", JAN_KIND_FUNCTION, "x");
  inventory_mark_incomplete(&inv, "us-east-1", JAN_KIND_LAYER, "x");
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v); i++)
    assert_int_equal(inventory_code_bytes(&inv, v[i].region), v[i].want);
  inventory_free(&inv);
}

static void test_inventory_dedupe(void **state)
{
  static const struct {
    enum jan_kind kind;
    const char *region, *name;
    int64_t version;
  } listed[] = {
    { JAN_KIND_FUNCTION, "eu-west-1", "remotion-f", 0 },
    { JAN_KIND_FUNCTION, "us-east-1", "remotion-f", 0 },  /* another one */
    { JAN_KIND_FUNCTION, "eu-west-1", "remotion-f", 0 },  /* a duplicate */
    { JAN_KIND_LAYER, "eu-west-1", "remotion-l", 1 },
    { JAN_KIND_LAYER, "eu-west-1", "remotion-l", 2 },
    { JAN_KIND_LAYER, "eu-west-1", "remotion-l", 1 },     /* a duplicate */
    { JAN_KIND_BUCKET, "eu-west-1", "remotion-b", 0 },
    { JAN_KIND_BUCKET, "eu-west-1", "remotion-b", 0 },    /* a duplicate */
  };
  struct inventory inv;
  (void)state;
  inventory_init(&inv);
  assert_int_equal(inventory_add_region(&inv, "eu-west-1"), JAN_OK);
  assert_int_equal(inventory_add_region(&inv, "us-east-1"), JAN_OK);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(listed); i++)
    assert_non_null(inventory_add(&inv, listed[i].kind, listed[i].region,
                                  listed[i].name, NULL, listed[i].version,
                                  1));
  assert_int_equal(inventory_dedupe(&inv), 3);
  assert_int_equal(inv.n, 5);
  assert_false(inv.buckets_incomplete);
  /* The same bucket in two regions: the listing is not trusted. */
  assert_non_null(inventory_add(&inv, JAN_KIND_BUCKET, "us-east-1",
                                "remotion-b", NULL, 0, 1));
  assert_int_equal(inventory_dedupe(&inv), 1);
  assert_int_equal(inv.n, 5);
  assert_true(inv.buckets_incomplete);
  assert_true(inventory_region(&inv, "eu-west-1")->incomplete &
              INV_KIND_BIT(JAN_KIND_BUCKET));
  /* Sorted as before (functions, layer versions, buckets). */
  assert_int_equal(inv.items[0].kind, JAN_KIND_FUNCTION);
  assert_int_equal(inv.items[4].kind, JAN_KIND_BUCKET);
  inventory_free(&inv);
}

/* Renders are appended as their listings tell them (inventory_add), then
 * the ones of a failed listing removed (inventory_remove_if) and the rest
 * sorted in place (inventory_sort_from): earlier items never move, the
 * order is the comparison's and stable, nothing is lost or doubled. */
static int by_bucket_name(const struct inv_item *a, const struct inv_item *b)
{
  int c = strcmp(a->bucket, b->bucket);
  return c ? c : strcmp(a->name, b->name);
}

static int odd_objects(void *arg, const struct inv_item *it)
{
  (void)arg;
  return it->objects % 2 == 1;
}

static void test_inventory_renders(void **state)
{
  enum { N = 5000 };
  static const char *const buckets[] = { "remotionlambda-b", "remotionlambda-a",
                                         "remotionlambda-c" };
  struct inventory inv;
  struct inv_item *f;
  char name[40], *longname;
  uint32_t seed = 12345;
  int64_t seen[N];
  size_t first;
  (void)state;

  inventory_init(&inv);
  f = inventory_add(&inv, JAN_KIND_FUNCTION, "eu-west-1", "remotion-z",
                    "arn:aws:lambda:eu-west-1:111111111111:function:z", 0, 1);
  assert_non_null(f);
  assert_null(inv_item_bucket(f));
  assert_int_equal(inv_item_set_storage(f, (int64_t[RENDER_CAT_N]){ 1 }),
                   JAN_EINVAL);
  assert_non_null(inventory_add(&inv, JAN_KIND_BUCKET, "eu-west-1",
                                "remotion-y", NULL, 0, 1));
  /* A render's ARN is computed, never given. */
  assert_null(inventory_add(&inv, JAN_KIND_RENDER, "eu-west-1", "r",
                            "arn:aws:s3:::b/renders/r/", 0, 1));
  first = inv.n;
  for(int i = 0; i < N; i++) {
    struct inv_item *it;
    seed = seed * 1103515245u + 12345u;
    /* Ids repeat (i % 1000) so that stability shows. */
    snprintf(name, sizeof(name), "id%04u", (seed >> 8) % 1000);
    it = inventory_add(&inv, JAN_KIND_RENDER, "eu-west-1", name, NULL, 0, 1);
    assert_non_null(it);
    it->bucket = buckets[i % 3];
    it->objects = i;
  }
  /* One name longer than a block's share: kept whole. */
  longname = malloc(70000);
  assert_non_null(longname);
  memset(longname, 'x', 69999);
  longname[69999] = '\0';
  assert_non_null(inventory_add(&inv, JAN_KIND_RENDER, "eu-west-1", longname,
                                NULL, 0, 1));
  inv.items[inv.n - 1].bucket = buckets[0];
  inv.items[inv.n - 1].objects = 2 * N;
  /* Every item shares its region's one copy. */
  assert_ptr_equal(inv.items[0].region, inv.items[inv.n - 1].region);
  inventory_remove_if(&inv, first, odd_objects, NULL);
  assert_int_equal(inv.n, first + N / 2 + 1);
  assert_int_equal(inventory_sort_from(&inv, first, by_bucket_name), JAN_OK);
  assert_string_equal(inv.items[0].name, "remotion-z");
  assert_string_equal(inv.items[1].name, "remotion-y");
  memset(seen, 0, sizeof(seen));
  for(size_t i = first; i < inv.n; i++) {
    const struct inv_item *it = &inv.items[i];
    assert_int_equal(it->objects % 2, 0);
    if(it->objects == 2 * N)
      assert_int_equal(strlen(it->name), 69999);
    else {
      assert_int_equal(seen[it->objects], 0);
      seen[it->objects] = 1;
    }
    if(i > first) {
      const struct inv_item *p = &inv.items[i - 1];
      int c = by_bucket_name(p, it);
      assert_true(c < 0 || (c == 0 && p->objects < it->objects));
    }
  }
  free(longname);
  inventory_free(&inv);
}

static void test_inventory_invalid(void **state)
{
  struct inventory inv;
  (void)state;
  inventory_init(&inv);
  assert_int_equal(inventory_add_invalid(&inv, JAN_KIND_FUNCTION, "eu-west-1",
                                         "remotion-a/b"), 1);
  assert_int_equal(inventory_add_invalid(&inv, JAN_KIND_FUNCTION, "eu-west-1",
                                         "remotion-a/b"), 0);
  assert_int_equal(inventory_add_invalid(&inv, JAN_KIND_FUNCTION, "us-east-1",
                                         "remotion-a/b"), 1);
  assert_int_equal(inventory_add_invalid(&inv, JAN_KIND_BUCKET, "us-east-1",
                                         "remotion-A"), 1);
  assert_int_equal(inventory_add_invalid(&inv, JAN_KIND_BUCKET, "eu-west-1",
                                         "remotion-A"), 0);
  assert_int_equal(inv.invalid[JAN_KIND_FUNCTION], 2);
  assert_int_equal(inv.invalid[JAN_KIND_BUCKET], 1);
  assert_int_equal(inv.invalid[JAN_KIND_LAYER], 0);
  assert_int_equal(inv.n, 0);
  inventory_free(&inv);
}

static void never(void *arg, const struct aws_response *r, void *res)
{
  (void)arg;
  (void)r;
  (void)res;
  fail_msg("a refused request called back");
}

static void bucket_never(void *arg, const struct bucket_outcome *o)
{
  (void)arg;
  (void)o;
  fail_msg("a refused bucket deletion called back");
}

/*
 * The second check, where requests are built: a hostile name is refused
 * before anything is sent (no call is even counted), with and without an
 * endpoint override (without one, a bucket name would become a host
 * name).
 */
static void test_requests_refused(void **state)
{
  static const char *const endpoints[] = { "http://127.0.0.1:9", NULL };
  static const char *const bad_buckets[] = {
    "remotion-a/../remotionlambda-b", "remotion-a@evil.example",
    "remotion-A", "remotion-a\r\nb", "remotion-a..b",
  };
  static const char *const bad_lambda[] = {
    "remotion-a/../b", "remotion-..", "remotion-a?b", "remotion-a.b",
  };
  char key[] = "k";
  struct wire_object obj = { .key = key };
  (void)state;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  setenv("AWS_ACCESS_KEY_ID", "AKIDJANITORTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "janitor/test+secret/NOT-A-REAL-KEY/00000",
         1);
  for(size_t e = 0; e < JAN_ARRAY_SIZE(endpoints); e++) {
    uv_loop_t loop;
    struct http_engine *http;
    struct creds_chain *creds;
    struct aws_client *c;
    struct aws_client_opts ao;
    struct http_opts ho = { .concurrency = 4, .host_concurrency = 4,
                            .connect_timeout_ms = 1000,
                            .request_timeout_ms = 1000,
                            .max_body = 1u << 20 };
    struct bucket_job *job = NULL;
    struct aws_stats st;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(http_engine_new(&loop, &ho, &http), 0);
    assert_int_equal(creds_chain_new(&creds), 0);
    assert_int_equal(creds_chain_add_static(creds, NULL), 0);
    memset(&ao, 0, sizeof(ao));
    ao.loop = &loop;
    ao.http = http;
    ao.creds = creds;
    ao.max_attempts = 1;
    ao.endpoint_url = endpoints[e];
    assert_int_equal(aws_client_new(&ao, &c), 0);

    for(size_t i = 0; i < JAN_ARRAY_SIZE(bad_buckets); i++) {
      const char *b = bad_buckets[i];
      assert_int_equal(s3_get_bucket_location(c, b, never, NULL), JAN_EINVAL);
      assert_int_equal(s3_list_object_versions(c, "us-east-1", b, NULL, NULL,
                                               never, NULL), JAN_EINVAL);
      assert_int_equal(s3_delete_bucket(c, "us-east-1", b, never, NULL),
                       JAN_EINVAL);
      assert_int_equal(s3_delete_bucket_website(c, "us-east-1", b, never,
                                                NULL), JAN_EINVAL);
      assert_int_equal(s3_delete_objects(c, "us-east-1", b, &obj, 1, never,
                                         NULL), JAN_EINVAL);
      assert_int_equal(bucket_delete_start(c, "us-east-1", b, 4, bucket_never,
                                           NULL, &job), JAN_EINVAL);
      assert_null(job);
    }
    /* A key with a dot segment never goes into a path. */
    assert_int_equal(s3_delete_object(c, "us-east-1", "remotion-a", "x/../y",
                                      NULL, never, NULL), JAN_EINVAL);
    for(size_t i = 0; i < JAN_ARRAY_SIZE(bad_lambda); i++) {
      const char *n = bad_lambda[i];
      assert_int_equal(lambda_delete_function(c, "eu-west-1", n, never, NULL),
                       JAN_EINVAL);
      assert_int_equal(lambda_delete_layer_version(c, "eu-west-1", n, 1,
                                                   never, NULL), JAN_EINVAL);
    }
    assert_int_equal(lambda_delete_layer_version(c, "eu-west-1", "remotion-l",
                                                 0, never, NULL), JAN_EINVAL);
    assert_int_equal(lambda_delete_function(c, "eu-west-1", "other/../x",
                                            never, NULL), JAN_ESCOPE);
    aws_client_stats(c, &st);
    assert_int_equal(st.calls, 0);

    aws_client_free(c);
    creds_chain_free(creds);
    http_engine_free(http);
    while(uv_run(&loop, UV_RUN_DEFAULT))
      ;
    assert_int_equal(uv_loop_close(&loop), 0);
  }
  curl_global_cleanup();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bucket_valid),
    cmocka_unit_test(test_bucket_invalid),
    cmocka_unit_test(test_lambda_names),
    cmocka_unit_test(test_log_group_names),
    cmocka_unit_test(test_layer_versions),
    cmocka_unit_test(test_encode_segment),
    cmocka_unit_test(test_encode_key),
    cmocka_unit_test(test_escape),
    cmocka_unit_test(test_guard),
    cmocka_unit_test(test_inventory_dedupe),
    cmocka_unit_test(test_inventory_code_bytes),
    cmocka_unit_test(test_inventory_renders),
    cmocka_unit_test(test_inventory_invalid),
    cmocka_unit_test(test_requests_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
