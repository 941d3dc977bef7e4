/*
 * The inventory and the request layer on a real libuv loop against the
 * stand-in: what is listed, how many attempts a throttled call takes, that
 * a malformed 200 is retried and never taken as an empty page, that
 * shutting down mid-flight cancels cleanly, and that every test leaves no
 * handle behind (uv_loop_close() == 0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "janitor/collect.h"
#include "janitor/creds.h"
#include "janitor/http.h"
#include "janitor/policy.h"
#include "janitor/services.h"
#include "standin_helper.h"

#define TEST_AK "AKIDJANITORTEST"
#define TEST_SK "janitor/test+secret/NOT-A-REAL-KEY/00000"

struct env {
  struct standin si;
  char url[64];
  char fixture[512];
  uv_loop_t loop;
  struct http_engine *http;
  struct creds_chain *creds;
  struct aws_client *aws;
  struct jan_config cfg;
};

static int group_setup(void **state)
{
  struct env *e = calloc(1, sizeof(*e));
  const char *src = getenv("JAN_SOURCE_DIR");
  const char *args[] = { "--fixture", e->fixture, NULL };

  assert_non_null(e);
  snprintf(e->fixture, sizeof(e->fixture), "%s/tests/standin/fixtures/demo.json",
           src ? src : ".");
  assert_true(standin_start(&e->si, args) > 0);
  snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->si.port);
  setenv("AWS_ACCESS_KEY_ID", TEST_AK, 1);
  setenv("AWS_SECRET_ACCESS_KEY", TEST_SK, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  *state = e;
  return 0;
}

static int group_teardown(void **state)
{
  struct env *e = *state;
  standin_stop(&e->si);
  curl_global_cleanup();
  free(e);
  return 0;
}

/* A fresh loop, engine, chain and client per test. */
static int setup(void **state)
{
  struct env *e = *state;
  struct http_opts ho = { .concurrency = 32, .host_concurrency = 32,
                          .connect_timeout_ms = 5000,
                          .request_timeout_ms = 10000,
                          .max_body = 16u << 20 };
  struct aws_client_opts ao;

  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(http_engine_new(&e->loop, &ho, &e->http), 0);
  assert_int_equal(creds_chain_new(&e->creds), 0);
  assert_int_equal(creds_chain_add_static(e->creds, NULL), 0);
  memset(&ao, 0, sizeof(ao));
  ao.loop = &e->loop;
  ao.http = e->http;
  ao.creds = e->creds;
  ao.max_attempts = 4;
  ao.endpoint_url = e->url;
  ao.retry_base_ms = 10;
  assert_int_equal(aws_client_new(&ao, &e->aws), 0);
  assert_int_equal(config_defaults(&e->cfg), 0);
  {
    char out[256];
    assert_int_equal(standin_post(e->si.port, "/__standin/faults",
                                  "{\"faults\":[]}", out, sizeof(out)), 200);
  }
  return 0;
}

static int teardown(void **state)
{
  struct env *e = *state;
  aws_client_free(e->aws);
  creds_chain_free(e->creds);
  http_engine_free(e->http);
  while(uv_run(&e->loop, UV_RUN_DEFAULT))
    ;
  /* Every handle was closed: nothing leaked on the loop. */
  assert_int_equal(uv_loop_close(&e->loop), 0);
  config_free(&e->cfg);
  return 0;
}

struct done { int called; struct collect_result r; };

static void collected(void *arg, const struct collect_result *r)
{
  struct done *d = arg;
  d->called++;
  d->r = *r;
}

static size_t count(const struct inventory *inv, enum jan_kind k,
                    const char *region)
{
  size_t n = 0;
  for(size_t i = 0; i < inv->n; i++)
    if(inv->items[i].kind == k &&
       (!region || !strcmp(inv->items[i].region, region)))
      n++;
  return n;
}

static void run_collect(struct env *e, struct inventory *inv, struct done *d)
{
  inventory_init(inv);
  for(size_t i = 0; i < e->cfg.nregions; i++)
    assert_int_equal(inventory_add_region(inv, e->cfg.regions[i]), 0);
  memset(d, 0, sizeof(*d));
  assert_int_equal(collect_start(e->aws, &e->cfg, inv, collected, d), 0);
  while(!d->called && uv_run(&e->loop, UV_RUN_ONCE))
    ;
  assert_int_equal(d->called, 1);
}

static void test_inventory_of_demo(void **state)
{
  struct env *e = *state;
  struct inventory inv;
  struct done d;
  run_collect(e, &inv, &d);
  assert_int_equal(d.r.identity_err, 0);
  assert_string_equal(inv.account, "123456789012");
  assert_int_equal(inv.nregions, 23);
  for(size_t i = 0; i < inv.nregions; i++) {
    int disabled = !strcmp(inv.regions[i].name, "ap-southeast-4") ||
                   !strcmp(inv.regions[i].name, "ap-southeast-5");
    assert_int_equal(inv.regions[i].status,
                     disabled ? INV_REGION_DISABLED : INV_REGION_OK);
  }
  /* demo.json: 4 in-scope functions and 4 layer versions in each of the 21
   * enabled regions, 5 in-scope buckets; look-alikes are only counted. */
  assert_int_equal(count(&inv, JAN_KIND_FUNCTION, NULL), 84);
  assert_int_equal(count(&inv, JAN_KIND_LAYER, NULL), 84);
  assert_int_equal(count(&inv, JAN_KIND_BUCKET, NULL), 5);
  assert_int_equal(inv.ignored[JAN_KIND_BUCKET], 6);
  assert_true(inv.ignored[JAN_KIND_FUNCTION] > 0);
  for(size_t i = 0; i < inv.n; i++)
    assert_true(scope_contains(inv.items[i].kind, inv.items[i].name));
  inventory_free(&inv);
}

static void test_throttled_then_ok(void **state)
{
  struct env *e = *state;
  struct inventory inv;
  struct done d;
  struct aws_stats st;
  char out[512];
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
      "{\"faults\":[{\"kind\":\"throttle\",\"retry_after\":0,"
      "\"service\":\"lambda\",\"operation\":\"ListFunctions\","
      "\"region\":\"eu-west-1\",\"count\":3}]}", out, sizeof(out)), 200);
  run_collect(e, &inv, &d);
  assert_int_equal(inventory_region(&inv, "eu-west-1")->status,
                   INV_REGION_OK);
  assert_int_equal(count(&inv, JAN_KIND_FUNCTION, "eu-west-1"), 4);
  aws_client_stats(e->aws, &st);
  assert_int_equal(st.throttled, 3);
  assert_int_equal(st.retries, 3);
  /* 5 tokens a retry, one back for each success without a retry. */
  assert_true(st.retry_tokens <= 500);
  inventory_free(&inv);
}

static void test_retries_exhausted_incomplete(void **state)
{
  struct env *e = *state;
  struct inventory inv;
  struct done d;
  struct aws_stats st;
  char out[512];
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
      "{\"faults\":[{\"kind\":\"error\",\"status\":503,"
      "\"service\":\"lambda\",\"operation\":\"ListLayers\","
      "\"region\":\"eu-west-2\",\"count\":-1}]}", out, sizeof(out)), 200);
  run_collect(e, &inv, &d);
  {
    struct inv_region *r = inventory_region(&inv, "eu-west-2");
    assert_int_equal(r->status, INV_REGION_INCOMPLETE);
    assert_true(r->incomplete & INV_KIND_BIT(JAN_KIND_LAYER));
    assert_false(r->incomplete & INV_KIND_BIT(JAN_KIND_FUNCTION));
    assert_non_null(strstr(r->error, "4 attempts"));
  }
  aws_client_stats(e->aws, &st);
  assert_int_equal(st.retries, 3);
  inventory_free(&inv);
}

static void test_malformed_200_is_retried(void **state)
{
  struct env *e = *state;
  struct inventory inv;
  struct done d;
  char out[512];
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
      "{\"faults\":[{\"kind\":\"malformed\",\"service\":\"lambda\","
      "\"operation\":\"ListFunctions\",\"region\":\"us-west-2\","
      "\"count\":1}]}", out, sizeof(out)), 200);
  run_collect(e, &inv, &d);
  assert_int_equal(inventory_region(&inv, "us-west-2")->status,
                   INV_REGION_OK);
  assert_int_equal(count(&inv, JAN_KIND_FUNCTION, "us-west-2"), 4);
  inventory_free(&inv);
}

static void cancelled(void *arg, const struct aws_response *r, void *res)
{
  int *n = arg;
  assert_null(res);
  assert_int_equal(r->err, JAN_ECANCELED);
  (*n)++;
}

/* Requests stalled at the server; the client shuts down: every callback
 * runs once with JAN_ECANCELED and the loop closes cleanly. */
static void test_shutdown_mid_flight(void **state)
{
  struct env *e = *state;
  char out[512];
  int n = 0;
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
      "{\"faults\":[{\"kind\":\"stall\",\"seconds\":3,"
      "\"service\":\"lambda\",\"count\":-1}]}", out, sizeof(out)), 200);
  for(int i = 0; i < 5; i++)
    assert_int_equal(lambda_list_functions(e->aws, "eu-west-1", NULL,
                                           cancelled, &n), 0);
  /* Let the requests leave. */
  for(int i = 0; i < 20; i++)
    uv_run(&e->loop, UV_RUN_NOWAIT);
  aws_client_shutdown(e->aws);
  while(n < 5 && uv_run(&e->loop, UV_RUN_ONCE))
    ;
  assert_int_equal(n, 5);
  assert_int_equal(lambda_list_functions(e->aws, "eu-west-1", NULL, cancelled,
                                         &n), JAN_ECANCELED);
}

/* The second scope check: modifying calls refuse out-of-scope names
 * before anything is sent. */
static void test_modifying_calls_refuse_out_of_scope(void **state)
{
  struct env *e = *state;
  static const char *const bad[] = { "Remotion-x", "remotionfan", "remotion",
                                     "remotion_x", "xremotion-a", "",
                                     "rem\xd0\xbetion-x" };
  char key[] = "k";
  struct wire_object o = { .key = key, .version_id = NULL };
  char out[65536];
  int n = 0;
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(lambda_delete_function(e->aws, "eu-west-1", bad[i],
                                            cancelled, &n), JAN_ESCOPE);
    assert_int_equal(lambda_delete_layer_version(e->aws, "eu-west-1", bad[i],
                                                 1, cancelled, &n),
                     JAN_ESCOPE);
    assert_int_equal(s3_delete_bucket(e->aws, "eu-west-1", bad[i], cancelled,
                                      &n), JAN_ESCOPE);
    assert_int_equal(s3_delete_objects(e->aws, "eu-west-1", bad[i], &o, 1,
                                       cancelled, &n), JAN_ESCOPE);
    assert_int_equal(s3_delete_bucket_website(e->aws, "eu-west-1", bad[i],
                                              cancelled, &n), JAN_ESCOPE);
  }
  assert_int_equal(lambda_delete_function(e->aws, "eu-west-1",
                                          "remotionlambda-x", cancelled, &n),
                   JAN_ESCOPE);
  assert_int_equal(n, 0);
  assert_int_equal(standin_get(e->si.port, "/__standin/log?since=0", out,
                               sizeof(out)), 200);
  assert_null(strstr(out, "\"modifies\": true"));
  assert_null(strstr(out, "\"modifies\":true"));
}

struct listed { int called; int err; size_t n; char region[32]; };

static void versions_listed(void *arg, const struct aws_response *r,
                            void *res)
{
  struct listed *l = arg;
  struct wire_object_page *p = res;
  l->called++;
  l->err = r->err;
  l->n = p ? p->n : 0;
  snprintf(l->region, sizeof(l->region), "%s", r->region);
}

/* A bucket asked for in the wrong region: S3 names the right one (301 with
 * x-amz-bucket-region, or 400 AuthorizationHeaderMalformed with <Region>),
 * and the request is signed again for it, once. */
static void test_s3_wrong_region_followed(void **state)
{
  struct env *e = *state;
  static const char *const faults[] = {
    "{\"faults\":[]}",
    "{\"faults\":[{\"kind\":\"wrong_region_400\",\"service\":\"s3\","
    "\"count\":-1}]}"
  };
  for(size_t i = 0; i < 2; i++) {
    struct listed l = { 0 };
    struct aws_stats before, after;
    char out[512];
    assert_int_equal(standin_post(e->si.port, "/__standin/faults", faults[i],
                                  out, sizeof(out)), 200);
    aws_client_stats(e->aws, &before);
    assert_int_equal(s3_list_object_versions(e->aws, "ap-south-1",
                                             "remotionlambda-euwest1-uzs9im0ylt",
                                             NULL, NULL, versions_listed, &l),
                     0);
    while(!l.called && uv_run(&e->loop, UV_RUN_ONCE))
      ;
    assert_int_equal(l.err, 0);
    assert_string_equal(l.region, "eu-west-1");
    aws_client_stats(e->aws, &after);
    assert_int_equal(after.redirects - before.redirects, 1);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_inventory_of_demo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_throttled_then_ok, setup, teardown),
    cmocka_unit_test_setup_teardown(test_retries_exhausted_incomplete, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_malformed_200_is_retried, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_shutdown_mid_flight, setup, teardown),
    cmocka_unit_test_setup_teardown(test_modifying_calls_refuse_out_of_scope,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_s3_wrong_region_followed, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
