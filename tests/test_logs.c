/*
 * The clients of issue 23's optional features against the stand-in, on a
 * real libuv loop: CloudWatch Logs DescribeLogGroups (the scope's prefix,
 * paged) and DeleteLogGroup (scope guard, not found), Lambda ListTags and
 * S3 GetBucketTagging (NoSuchTagSet is an empty tag set), each denied by
 * the stand-in's "deny" fault, and the CloudWatch Logs endpoint override.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "janitor/creds.h"
#include "janitor/http.h"
#include "janitor/logs.h"
#include "janitor/scope.h"
#include "janitor/services.h"
#include "standin_helper.h"

#define TEST_AK "AKIDJANITORTEST"
#define TEST_SK "janitor/test+secret/NOT-A-REAL-KEY/00000"
#define REGION "eu-west-1"
#define ACCOUNT "123456789012"
#define FN_TAGGED "remotion-render-4-0-1-mem3008mb-disk2048mb-120sec"
#define FN_PLAIN "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec"
#define N_GROUPS 120

/* Every action the tests use (the seed user policy has none of the four
 * optional ones). */
static const char policy_body[] =
  "{\"policy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
  "\"Allow\",\"Action\":[\"logs:DescribeLogGroups\",\"logs:DeleteLogGroup\","
  "\"lambda:ListTags\",\"s3:GetBucketTagging\"],\"Resource\":\"*\"}]}}";

struct env {
  struct standin si;
  char url[64];
  char fixture[256];
  uv_loop_t loop;
  struct http_engine *http;
  struct creds_chain *creds;
  struct aws_client *aws;
};

static void write_fixture(const char *path)
{
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "{\"regions\":[\"eu-west-1\",\"us-east-1\"],"
             "\"disabled_regions\":[],\"log_groups\":[");
  for(int i = 0; i < N_GROUPS; i++)
    fprintf(f, "{\"region\":\"%s\",\"name\":\"/aws/lambda/remotion-render-%03d\","
               "\"created\":\"2024-01-02T03:04:05Z\",\"stored_bytes\":%d},",
            REGION, i, 1000 * i);
  fprintf(f, "{\"region\":\"%s\",\"name\":\"/aws/lambda-insights\"},"
             "{\"region\":\"%s\",\"name\":\"/aws/lambda/Remotion-x\"},"
             "{\"region\":\"%s\",\"name\":\"/aws/lambda/remotionfan\"},"
             "{\"region\":\"%s\",\"name\":\"/aws/codebuild/remotion-x\"}],",
          REGION, REGION, REGION, REGION);
  fprintf(f, "\"functions\":[{\"region\":\"%s\",\"name\":\"%s\","
             "\"tags\":{\"keep\":\"yes\",\"team\":\"\"}},"
             "{\"region\":\"%s\",\"name\":\"%s\"}],",
          REGION, FN_TAGGED, REGION, FN_PLAIN);
  fprintf(f, "\"buckets\":[{\"name\":\"remotionlambda-euwest1-tagged0001\","
             "\"region\":\"%s\",\"tags\":{\"keep\":\"1\"}},"
             "{\"name\":\"remotionlambda-euwest1-plain00001\","
             "\"region\":\"%s\"}]}", REGION, REGION);
  assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
  struct env *e = calloc(1, sizeof(*e));
  const char *args[] = { "--fixture", NULL, NULL };
  int fd;

  assert_non_null(e);
  snprintf(e->fixture, sizeof(e->fixture), "/tmp/test-logs-XXXXXX");
  fd = mkstemp(e->fixture);
  assert_true(fd >= 0);
  close(fd);
  write_fixture(e->fixture);
  args[1] = e->fixture;
  assert_true(standin_start(&e->si, args) > 0);
  snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->si.port);
  setenv("AWS_ACCESS_KEY_ID", TEST_AK, 1);
  setenv("AWS_SECRET_ACCESS_KEY", TEST_SK, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  *state = e;
  return 0;
}

static int group_teardown(void **state)
{
  struct env *e = *state;
  standin_stop(&e->si);
  unlink(e->fixture);
  curl_global_cleanup();
  free(e);
  return 0;
}

static void new_client(struct env *e, const char *endpoint_url)
{
  struct aws_client_opts ao;

  memset(&ao, 0, sizeof(ao));
  ao.loop = &e->loop;
  ao.http = e->http;
  ao.creds = e->creds;
  ao.max_attempts = 2;
  ao.endpoint_url = endpoint_url;
  ao.retry_base_ms = 10;
  assert_int_equal(aws_client_new(&ao, &e->aws), 0);
}

/* A fresh loop, engine, chain and client per test; the fixture reloaded
 * (a test deletes), the policy granting the four actions, no faults. */
static int setup(void **state)
{
  struct env *e = *state;
  struct http_opts ho = { .concurrency = 8, .host_concurrency = 8,
                          .connect_timeout_ms = 5000,
                          .request_timeout_ms = 10000,
                          .max_body = 16u << 20 };
  char out[256];

  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(http_engine_new(&e->loop, &ho, &e->http), 0);
  assert_int_equal(creds_chain_new(&e->creds), 0);
  assert_int_equal(creds_chain_add_static(e->creds, NULL), 0);
  new_client(e, e->url);
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
                                "{\"faults\":[]}", out, sizeof(out)), 200);
  assert_int_equal(standin_post(e->si.port, "/__standin/policy", policy_body,
                                out, sizeof(out)), 200);
  /* The fixture again, from its file (tests delete groups). */
  {
    FILE *f = fopen(e->fixture, "r");
    static char doc[65536];
    size_t n;
    assert_non_null(f);
    n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[n] = '\0';
    assert_int_equal(standin_post(e->si.port, "/__standin/fixture", doc, out,
                                  sizeof(out)), 200);
  }
  return 0;
}

static int teardown(void **state)
{
  struct env *e = *state;
  if(e->aws)
    aws_client_free(e->aws);
  e->aws = NULL;
  creds_chain_free(e->creds);
  http_engine_free(e->http);
  while(uv_run(&e->loop, UV_RUN_DEFAULT))
    ;
  assert_int_equal(uv_loop_close(&e->loop), 0);
  return 0;
}

/* What one call answered. */
struct got {
  int called, err;
  long status;
  char code[128];
  /* DescribeLogGroups */
  size_t n, in_scope;
  char token[1024];
  int64_t created, stored;      /* of /aws/lambda/remotion-render-007 */
  /* tags */
  int have_tags;
  size_t ntags;
  char keep[64];
};

static void record(struct got *g, const struct aws_response *r)
{
  g->called++;
  g->err = r->err;
  g->status = r->status;
  snprintf(g->code, sizeof(g->code), "%s", r->e.code);
}

static void groups_cb(void *arg, const struct aws_response *r, void *res)
{
  struct got *g = arg;
  struct wire_log_group_page *p = res;
  record(g, r);
  g->token[0] = '\0';
  if(!p)
    return;
  g->n += p->n;
  for(size_t i = 0; i < p->n; i++) {
    g->in_scope += scope_log_group_contains(p->v[i].name);
    if(!strcmp(p->v[i].name, "/aws/lambda/remotion-render-007")) {
      g->created = p->v[i].created;
      g->stored = p->v[i].stored_bytes;
    }
  }
  if(p->next_token)
    snprintf(g->token, sizeof(g->token), "%s", p->next_token);
}

static void tags_cb(void *arg, const struct aws_response *r, void *res)
{
  struct got *g = arg;
  struct wire_tag_list *t = res;
  const char *k;
  record(g, r);
  g->have_tags = t != NULL;
  if(!t)
    return;
  g->ntags = t->n;
  k = wire_tag_find(t, "keep");
  snprintf(g->keep, sizeof(g->keep), "%s", k ? k : "(none)");
}

static void plain_cb(void *arg, const struct aws_response *r, void *res)
{
  (void)res;
  record(arg, r);
}

static void wait_for(struct env *e, const struct got *g)
{
  while(!g->called && uv_run(&e->loop, UV_RUN_ONCE))
    ;
  assert_int_equal(g->called, 1);
}

/* Every page, following nextToken: the 120 groups in scope, none of the
 * look-alikes, the insights group or the foreign ones. */
static void describe_all(struct env *e, struct got *g)
{
  int pages = 0;
  memset(g, 0, sizeof(*g));
  do {
    char token[1024];
    snprintf(token, sizeof(token), "%s", g->token);
    g->called = 0;
    assert_int_equal(logs_describe_log_groups(e->aws, REGION,
                                              pages ? token : NULL,
                                              groups_cb, g), 0);
    wait_for(e, g);
    assert_int_equal(g->err, 0);
    pages++;
  } while(g->token[0] && pages < 10);
  assert_int_equal(pages, 3);
}

static void test_describe_pages(void **state)
{
  struct env *e = *state;
  struct got g;

  describe_all(e, &g);
  assert_int_equal(g.n, N_GROUPS);
  assert_int_equal(g.in_scope, N_GROUPS);
  assert_int_equal(g.created, 1704164645);   /* creationTime ms / 1000 */
  assert_int_equal(g.stored, 7000);
}

static void test_delete_then_not_found(void **state)
{
  struct env *e = *state;
  struct got g;

  memset(&g, 0, sizeof(g));
  assert_int_equal(logs_delete_log_group(e->aws, REGION,
                                         "/aws/lambda/remotion-render-007",
                                         plain_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, 0);
  memset(&g, 0, sizeof(g));
  assert_int_equal(logs_delete_log_group(e->aws, REGION,
                                         "/aws/lambda/remotion-render-007",
                                         plain_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, JAN_EAWS);
  assert_string_equal(g.code, "ResourceNotFoundException");
  describe_all(e, &g);
  assert_int_equal(g.n, N_GROUPS - 1);
}

static void test_delete_refused_out_of_scope(void **state)
{
  struct env *e = *state;
  static const char *const bad[] = {
    "/aws/lambda-insights", "/aws/lambda/Remotion-x", "/aws/lambda/remotionfan",
    "/aws/codebuild/remotion-x", "/aws/lambda/remotion-", "",
  };
  char out[65536];
  struct got g;

  assert_int_equal(standin_post(e->si.port, "/__standin/reset-log", "{}",
                                out, sizeof(out)), 200);
  memset(&g, 0, sizeof(g));
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(logs_delete_log_group(e->aws, REGION, bad[i], plain_cb,
                                           &g), JAN_ESCOPE);
  assert_int_equal(logs_delete_log_group(e->aws, REGION, NULL, plain_cb, &g),
                   JAN_ESCOPE);
  /* In scope, but no group Lambda makes for a valid function name. */
  assert_int_equal(logs_delete_log_group(e->aws, REGION,
                                         "/aws/lambda/remotion-a/b", plain_cb,
                                         &g), JAN_EINVAL);
  assert_int_equal(g.called, 0);
  assert_int_equal(standin_get(e->si.port, "/__standin/log?since=0", out,
                               sizeof(out)), 200);
  assert_null(strstr(out, "DeleteLogGroup\""));
}

static void test_list_tags(void **state)
{
  struct env *e = *state;
  struct got g;

  memset(&g, 0, sizeof(g));
  assert_int_equal(lambda_list_tags(e->aws, REGION,
                                    "arn:aws:lambda:" REGION ":" ACCOUNT
                                    ":function:" FN_TAGGED, tags_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, 0);
  assert_int_equal(g.ntags, 2);
  assert_string_equal(g.keep, "yes");
  memset(&g, 0, sizeof(g));
  assert_int_equal(lambda_list_tags(e->aws, REGION,
                                    "arn:aws:lambda:" REGION ":" ACCOUNT
                                    ":function:" FN_PLAIN, tags_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, 0);
  assert_true(g.have_tags);
  assert_int_equal(g.ntags, 0);
}

static void test_bucket_tagging(void **state)
{
  struct env *e = *state;
  struct got g;

  memset(&g, 0, sizeof(g));
  assert_int_equal(s3_get_bucket_tagging(e->aws, REGION,
                                         "remotionlambda-euwest1-tagged0001",
                                         tags_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, 0);
  assert_int_equal(g.ntags, 1);
  assert_string_equal(g.keep, "1");
  /* NoSuchTagSet: no tags, not a failure. */
  memset(&g, 0, sizeof(g));
  assert_int_equal(s3_get_bucket_tagging(e->aws, REGION,
                                         "remotionlambda-euwest1-plain00001",
                                         tags_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, 0);
  assert_int_equal(g.status, 404);
  assert_true(g.have_tags);
  assert_int_equal(g.ntags, 0);
  /* A missing bucket is a failure. */
  memset(&g, 0, sizeof(g));
  assert_int_equal(s3_get_bucket_tagging(e->aws, REGION,
                                         "remotionlambda-euwest1-gone000001",
                                         tags_cb, &g), 0);
  wait_for(e, &g);
  assert_int_equal(g.err, JAN_EAWS);
  assert_string_equal(g.code, "NoSuchBucket");
  assert_false(g.have_tags);
}

/* Each action denied (the stand-in's deny fault): an access-denied
 * failure, never an empty answer. */
static void test_each_denied(void **state)
{
  struct env *e = *state;
  static const char *const ops[] = { "DescribeLogGroups", "DeleteLogGroup",
                                     "ListTags", "GetBucketTagging" };
  char out[512], body[256];

  for(size_t i = 0; i < 4; i++) {
    struct got g;
    memset(&g, 0, sizeof(g));
    snprintf(body, sizeof(body), "{\"faults\":[{\"kind\":\"deny\","
             "\"operation\":\"%s\",\"count\":null}]}", ops[i]);
    assert_int_equal(standin_post(e->si.port, "/__standin/faults", body, out,
                                  sizeof(out)), 200);
    switch(i) {
    case 0:
      assert_int_equal(logs_describe_log_groups(e->aws, REGION, NULL,
                                                groups_cb, &g), 0);
      break;
    case 1:
      assert_int_equal(logs_delete_log_group(e->aws, REGION,
                                             "/aws/lambda/remotion-render-001",
                                             plain_cb, &g), 0);
      break;
    case 2:
      assert_int_equal(lambda_list_tags(e->aws, REGION,
                                        "arn:aws:lambda:" REGION ":" ACCOUNT
                                        ":function:" FN_TAGGED, tags_cb, &g),
                       0);
      break;
    default:
      assert_int_equal(s3_get_bucket_tagging(
                           e->aws, REGION, "remotionlambda-euwest1-plain00001",
                           tags_cb, &g), 0);
      break;
    }
    wait_for(e, &g);
    if(g.err != JAN_EAWS || g.n || g.have_tags)
      fail_msg("%s: err %d, code %s", ops[i], g.err, g.code);
    {
      struct aws_response r;
      memset(&r, 0, sizeof(r));
      r.err = g.err;
      r.status = g.status;
      snprintf(r.e.code, sizeof(r.e.code), "%s", g.code);
      if(!aws_error_is_access_denied(&r))
        fail_msg("%s: %s is not access denied", ops[i], g.code);
    }
  }
}

/* The request bodies: the scope's prefix, the page size, the token and the
 * name as JSON strings (escaped). */
static void test_bodies(void **state)
{
  struct jbuf b;
  (void)state;

  jbuf_init(&b, 4096);
  assert_int_equal(logs_describe_body(NULL, &b), 0);
  assert_string_equal(jbuf_str(&b), "{\"logGroupNamePrefix\":"
                      "\"/aws/lambda/remotion-\",\"limit\":50}");
  jbuf_reset(&b);
  assert_int_equal(logs_describe_body("a\"b\\c", &b), 0);
  assert_string_equal(jbuf_str(&b), "{\"logGroupNamePrefix\":"
                      "\"/aws/lambda/remotion-\",\"limit\":50,"
                      "\"nextToken\":\"a\\\"b\\\\c\"}");
  jbuf_reset(&b);
  assert_int_equal(logs_delete_body("/aws/lambda/remotion-x", &b), 0);
  assert_string_equal(jbuf_str(&b),
                      "{\"logGroupName\":\"/aws/lambda/remotion-x\"}");
  jbuf_free(&b);
}

/* The CloudWatch Logs override of its own, like AWS_ENDPOINT_URL_LAMBDA. */
static void test_endpoint_env(void **state)
{
  struct env *e = *state;
  struct got g;

  aws_client_free(e->aws);
  setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", e->url, 1);
  new_client(e, NULL);
  unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
  describe_all(e, &g);
  assert_int_equal(g.n, N_GROUPS);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_describe_pages, setup, teardown),
    cmocka_unit_test_setup_teardown(test_delete_then_not_found, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_delete_refused_out_of_scope, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_list_tags, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bucket_tagging, setup, teardown),
    cmocka_unit_test_setup_teardown(test_each_denied, setup, teardown),
    cmocka_unit_test_setup_teardown(test_endpoint_env, setup, teardown),
    cmocka_unit_test(test_bodies),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
