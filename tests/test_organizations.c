/*
 * AWS Organizations (organizations.c, wire_org.c): the parsers' accepted
 * and refused answers, the request body, and the walk against the
 * stand-in on a real libuv loop -- every ListAccounts page, OUs
 * recursively, an account under two OUs given once, the denied listing
 * naming its permission, and a hostile answer refused.
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
#include "janitor/organizations.h"
#include "standin_helper.h"

#define TEST_AK "AKIDJANITORTEST"
#define TEST_SK "janitor/test+secret/NOT-A-REAL-KEY/00000"
#define ACCOUNT "123456789012"
#define ROOT "r-ab12"
#define OU_A "ou-ab12-11111111"
#define OU_A1 "ou-ab12-22222222"     /* under OU_A */
#define OU_B "ou-ab12-33333333"
#define N_A 23                        /* accounts right under OU_A */

#define S(lit) lit, sizeof(lit) - 1

/* ---- the parsers ------------------------------------------------------ */

static void test_parse_accounts(void **state)
{
  struct wire_org_account_page p;

  (void)state;
  assert_int_equal(wire_org_parse_accounts(S(
      "{\"Accounts\":[{\"Id\":\"111111111111\",\"Name\":\"prod \\u001b[31m\","
      "\"Status\":\"ACTIVE\",\"Email\":\"a@b\",\"JoinedTimestamp\":1.7e9},"
      "{\"Id\":\"222222222222\",\"Status\":\"SUSPENDED\"},"
      "{\"Id\":\"333333333333\",\"Status\":\"PENDING_CLOSURE\",\"Name\":null},"
      "{\"Id\":\"444444444444\",\"Status\":\"SOMETHING_NEW\"}],"
      "\"NextToken\":\"abc+/=\"}"), &p), JAN_OK);
  assert_int_equal(p.n, 4);
  assert_string_equal(p.v[0].id, "111111111111");
  /* Outside text, kept as sent: escaped where it is shown. */
  assert_string_equal(p.v[0].name, "prod \x1b[31m");
  assert_int_equal(p.v[0].status, WIRE_ORG_ACTIVE);
  assert_null(p.v[1].name);
  assert_int_equal(p.v[1].status, WIRE_ORG_SUSPENDED);
  assert_int_equal(p.v[2].status, WIRE_ORG_PENDING_CLOSURE);
  assert_int_equal(p.v[3].status, WIRE_ORG_OTHER);
  assert_string_equal(p.next_token, "abc+/=");
  wire_org_account_page_free(&p);
  assert_null(p.v);

  assert_int_equal(wire_org_parse_accounts(S("{\"Accounts\":[]}"), &p), 0);
  assert_int_equal(p.n, 0);
  assert_null(p.next_token);
  wire_org_account_page_free(&p);
}

static void test_parse_accounts_rejects(void **state)
{
  static const char *const bad[] = {
    "",
    "[]",
    "{}",
    "{\"Accounts\":{}}",
    "{\"Accounts\":[1]}",
    "{\"Accounts\":[{\"Status\":\"ACTIVE\"}]}",
    "{\"Accounts\":[{\"Id\":\"11111111111\",\"Status\":\"ACTIVE\"}]}",
    "{\"Accounts\":[{\"Id\":\"1111111111111\",\"Status\":\"ACTIVE\"}]}",
    "{\"Accounts\":[{\"Id\":\"11111111111a\",\"Status\":\"ACTIVE\"}]}",
    "{\"Accounts\":[{\"Id\":\"../111111111\",\"Status\":\"ACTIVE\"}]}",
    "{\"Accounts\":[{\"Id\":111111111111,\"Status\":\"ACTIVE\"}]}",
    "{\"Accounts\":[{\"Id\":\"111111111111\"}]}",
    "{\"Accounts\":[{\"Id\":\"111111111111\",\"Status\":3}]}",
    "{\"Accounts\":[{\"Id\":\"111111111111\",\"Status\":\"ACTIVE\","
    "\"Name\":\"a\\u0000b\"}]}",
    "{\"Accounts\":[],\"NextToken\":7}",
    "{\"Accounts\":[]} x",
  };
  struct wire_org_account_page p;
  char big[600];

  (void)state;
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if(wire_org_parse_accounts(bad[i], strlen(bad[i]), &p) != JAN_EPARSE)
      fail_msg("accepted: %s", bad[i]);
    assert_null(p.v);
    assert_int_equal(p.n, 0);
  }
  /* A name over 128 bytes. */
  snprintf(big, sizeof(big), "{\"Accounts\":[{\"Id\":\"111111111111\","
           "\"Status\":\"ACTIVE\",\"Name\":\"%0129d\"}]}", 0);
  assert_int_equal(wire_org_parse_accounts(big, strlen(big), &p), JAN_EPARSE);
}

static void test_parse_units(void **state)
{
  static const char *const bad[] = {
    "{\"OrganizationalUnits\":[{\"Id\":\"r-ab12\"}]}",
    "{\"OrganizationalUnits\":[{\"Id\":\"ou-ab12-1234567\"}]}",
    "{\"OrganizationalUnits\":[{\"Id\":\"ou-AB12-12345678\"}]}",
    "{\"OrganizationalUnits\":[{\"Id\":\"ou-ab12-12345678\\\"}\"}]}",
    "{\"OrganizationalUnits\":[{\"Name\":\"x\"}]}",
    "{\"Accounts\":[]}",
  };
  struct wire_org_unit_page p;

  (void)state;
  assert_int_equal(wire_org_parse_units(S(
      "{\"OrganizationalUnits\":[{\"Id\":\"" OU_A "\",\"Name\":\"prod\","
      "\"Arn\":\"arn:aws:organizations::1:ou/o-1/" OU_A "\"}],"
      "\"NextToken\":\"t\"}"), &p), JAN_OK);
  assert_int_equal(p.n, 1);
  assert_string_equal(p.v[0].id, OU_A);
  assert_string_equal(p.v[0].name, "prod");
  assert_string_equal(p.next_token, "t");
  wire_org_unit_page_free(&p);
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if(wire_org_parse_units(bad[i], strlen(bad[i]), &p) != JAN_EPARSE)
      fail_msg("accepted: %s", bad[i]);
}

static void test_parse_organization(void **state)
{
  static const char *const bad[] = {
    "{}", "{\"Organization\":[]}", "{\"Organization\":{}}",
    "{\"Organization\":{\"MasterAccountId\":\"12345678901\"}}",
    "{\"Organization\":{\"MasterAccountId\":123456789012}}",
  };
  char m[13];

  (void)state;
  assert_int_equal(wire_org_parse_organization(S(
      "{\"Organization\":{\"Id\":\"o-x\",\"MasterAccountId\":"
      "\"123456789012\",\"FeatureSet\":\"ALL\"}}"), m), 0);
  assert_string_equal(m, "123456789012");
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if(wire_org_parse_organization(bad[i], strlen(bad[i]), m) != JAN_EPARSE)
      fail_msg("accepted: %s", bad[i]);
    assert_string_equal(m, "");
  }
}

static void test_ids(void **state)
{
  (void)state;
  assert_true(wire_org_account_id_valid("000000000000"));
  assert_false(wire_org_account_id_valid(""));
  assert_false(wire_org_account_id_valid(NULL));
  assert_false(wire_org_account_id_valid(" 00000000000"));
  assert_true(wire_org_parent_id_valid("ou-ab12-12345678", 0));
  assert_true(wire_org_parent_id_valid(
      "ou-abcdefghijabcdefghijabcdefghij12-abcdefghijabcdefghijabcdefghij12",
      0));
  assert_false(wire_org_parent_id_valid(
      "ou-abcdefghijabcdefghijabcdefghij123-12345678", 0));
  assert_false(wire_org_parent_id_valid("r-ab12", 0));
  assert_true(wire_org_parent_id_valid("r-ab12", 1));
  assert_false(wire_org_parent_id_valid("r-ab1", 1));
  assert_false(wire_org_parent_id_valid("ou-ab12-12345678-", 1));
  assert_string_equal(wire_org_status_name(WIRE_ORG_SUSPENDED), "SUSPENDED");
}

static void test_request_body(void **state)
{
  struct jbuf b;

  (void)state;
  jbuf_init(&b, 4096);
  assert_int_equal(org_request_body(NULL, NULL, &b), 0);
  assert_string_equal(jbuf_str(&b), "{\"MaxResults\":20}");
  jbuf_reset(&b);
  assert_int_equal(org_request_body(OU_A, "a+b/\"c", &b), 0);
  assert_string_equal(jbuf_str(&b), "{\"MaxResults\":20,\"ParentId\":\""
                      OU_A "\",\"NextToken\":\"a+b/\\\"c\"}");
  jbuf_free(&b);
}

/* ---- the walk against the stand-in ------------------------------------ */

struct env {
  struct standin si;
  char url[64];
  uv_loop_t loop;
  struct http_engine *http;
  struct creds_chain *creds;
  struct aws_client *aws;
};

/* The organization: N_A accounts under OU_A, 4 under OU_A1 (one of them
 * SUSPENDED), 3 under OU_B, 2 in the root besides the management one;
 * 5 a page. */
static void fixture(char *doc, size_t size)
{
  size_t n = 0;

  n += (size_t)snprintf(doc + n, size - n,
      "{\"regions\":[\"us-east-1\"],\"disabled_regions\":[],"
      "\"organization\":{\"root_id\":\"" ROOT "\",\"page_size\":5,"
      "\"ous\":[{\"id\":\"" OU_A "\",\"parent\":\"" ROOT "\"},"
      "{\"id\":\"" OU_A1 "\",\"parent\":\"" OU_A "\"},"
      "{\"id\":\"" OU_B "\",\"parent\":\"" ROOT "\"}],\"members\":[");
  for(int i = 0; i < N_A; i++)
    n += (size_t)snprintf(doc + n, size - n, "{\"account_id\":\"1%011d\","
                          "\"parent\":\"" OU_A "\"},", i);
  for(int i = 0; i < 4; i++)
    n += (size_t)snprintf(doc + n, size - n, "{\"account_id\":\"2%011d\","
                          "\"parent\":\"" OU_A1 "\"%s},", i,
                          i == 3 ? ",\"status\":\"SUSPENDED\"" : "");
  for(int i = 0; i < 3; i++)
    n += (size_t)snprintf(doc + n, size - n, "{\"account_id\":\"3%011d\","
                          "\"parent\":\"" OU_B "\"},", i);
  n += (size_t)snprintf(doc + n, size - n,
      "{\"account_id\":\"400000000000\",\"name\":\"root one\"},"
      "{\"account_id\":\"400000000001\"}]}}");
  assert_true(n < size);
}

static int group_setup(void **state)
{
  struct env *e = calloc(1, sizeof(*e));
  static char doc[16384];
  char path[] = "/tmp/test-org-XXXXXX";
  const char *args[] = { "--fixture", path, NULL };
  FILE *f;
  int fd;

  assert_non_null(e);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  assert_non_null(f);
  fixture(doc, sizeof(doc));
  fputs(doc, f);
  assert_int_equal(fclose(f), 0);
  assert_true(standin_start(&e->si, args) > 0);
  unlink(path);
  snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->si.port);
  setenv("AWS_ACCESS_KEY_ID", TEST_AK, 1);
  setenv("AWS_SECRET_ACCESS_KEY", TEST_SK, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_ORGANIZATIONS");
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

static int setup(void **state)
{
  struct env *e = *state;
  struct http_opts ho = { .concurrency = 8, .host_concurrency = 8,
                          .connect_timeout_ms = 5000,
                          .request_timeout_ms = 10000,
                          .max_body = 16u << 20 };
  struct aws_client_opts ao;
  char out[256];

  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(http_engine_new(&e->loop, &ho, &e->http), 0);
  assert_int_equal(creds_chain_new(&e->creds), 0);
  assert_int_equal(creds_chain_add_static(e->creds, NULL), 0);
  memset(&ao, 0, sizeof(ao));
  ao.loop = &e->loop;
  ao.http = e->http;
  ao.creds = e->creds;
  ao.max_attempts = 2;
  ao.endpoint_url = e->url;
  ao.retry_base_ms = 10;
  assert_int_equal(aws_client_new(&ao, &e->aws), 0);
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
                                "{\"faults\":[]}", out, sizeof(out)), 200);
  assert_int_equal(standin_post(e->si.port, "/__standin/policy",
      "{\"policy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
      "\"Allow\",\"Action\":[\"organizations:List*\","
      "\"organizations:DescribeOrganization\"],\"Resource\":\"*\"}]}}",
      out, sizeof(out)), 200);
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
  assert_int_equal(uv_loop_close(&e->loop), 0);
  return 0;
}

struct got {
  int called, err;
  char why[AWS_DESCRIBE_MAX + 256];
  struct org_listing l;         /* moved out of the callback */
};

static void got_cb(void *arg, int err, const char *why, struct org_listing *l)
{
  struct got *g = arg;
  g->called++;
  g->err = err;
  snprintf(g->why, sizeof(g->why), "%s", why ? why : "");
  if(l) {
    g->l = *l;
    memset(l, 0, sizeof(*l));
  }
}

static void discover(struct env *e, const char *const *ous, size_t nous,
                     struct got *g)
{
  memset(g, 0, sizeof(*g));
  assert_int_equal(org_discover(e->aws, ous, nous, got_cb, g), 0);
  while(!g->called && uv_run(&e->loop, UV_RUN_ONCE))
    ;
  assert_int_equal(g->called, 1);
}

static void test_walk_all(void **state)
{
  struct env *e = *state;
  struct got g;
  const struct org_member *m;

  discover(e, NULL, 0, &g);
  assert_int_equal(g.err, 0);
  /* Every member and the management account; 5 a page. */
  assert_int_equal(g.l.n, N_A + 4 + 3 + 2 + 1);
  assert_int_equal(g.l.requests, 1 + (g.l.n + 4) / 5);
  assert_string_equal(g.l.management, ACCOUNT);
  for(size_t i = 1; i < g.l.n; i++)
    assert_true(strcmp(g.l.v[i - 1].id, g.l.v[i].id) < 0);
  m = org_listing_find(&g.l, "200000000003");
  assert_non_null(m);
  assert_int_equal(m->status, WIRE_ORG_SUSPENDED);
  m = org_listing_find(&g.l, "400000000000");
  assert_non_null(m);
  assert_string_equal(m->name, "root one");
  assert_non_null(org_listing_find(&g.l, ACCOUNT));
  assert_null(org_listing_find(&g.l, "999999999999"));
  org_listing_free(&g.l);
}

static void test_walk_ous(void **state)
{
  struct env *e = *state;
  const char *const ous[] = { OU_A, OU_A1 };   /* OU_A1 is under OU_A */
  const char *const b[] = { OU_B };
  struct got g;

  discover(e, ous, 2, &g);
  assert_int_equal(g.err, 0);
  /* OU_A's own and OU_A1's (recursively), each once. */
  assert_int_equal(g.l.n, N_A + 4);
  assert_non_null(org_listing_find(&g.l, "200000000000"));
  assert_null(org_listing_find(&g.l, "300000000000"));
  assert_null(org_listing_find(&g.l, ACCOUNT));
  /* OU_A: children (1 page), accounts (5 pages); OU_A1: children (1),
   * accounts (1); OU_A1 once though given twice. */
  assert_int_equal(g.l.requests, 1 + 1 + 5 + 1 + 1);
  org_listing_free(&g.l);

  discover(e, b, 1, &g);
  assert_int_equal(g.err, 0);
  assert_int_equal(g.l.n, 3);
  org_listing_free(&g.l);
}

static void test_walk_denied_names_the_permission(void **state)
{
  struct env *e = *state;
  const char *const ous[] = { OU_A };
  char out[256];
  struct got g;

  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
      "{\"faults\":[{\"kind\":\"deny\",\"operation\":\"ListAccounts\","
      "\"count\":null}]}", out, sizeof(out)), 200);
  discover(e, NULL, 0, &g);
  assert_int_equal(g.err, JAN_EAWS);
  assert_null(g.l.v);
  assert_non_null(strstr(g.why, "organizations:ListAccounts"));
  assert_non_null(strstr(g.why, "denied"));
  assert_non_null(strstr(g.why, "AccessDeniedException"));

  /* Under OUs, the first call that is not allowed is the one named. */
  assert_int_equal(standin_post(e->si.port, "/__standin/policy",
      "{\"policy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
      "\"Allow\",\"Action\":[\"organizations:ListOrganizationalUnitsForParent"
      "\",\"organizations:DescribeOrganization\"],\"Resource\":\"*\"}]}}", out,
      sizeof(out)), 200);
  discover(e, ous, 1, &g);
  assert_int_equal(g.err, JAN_EAWS);
  assert_non_null(strstr(g.why, "organizations:ListAccountsForParent"));
}

static void test_walk_refuses_a_hostile_page(void **state)
{
  struct env *e = *state;
  char out[256];
  struct got g;

  /* A page that does not parse is retried, then the listing fails: it is
   * never taken as an empty (or shorter) organization. */
  assert_int_equal(standin_post(e->si.port, "/__standin/faults",
      "{\"faults\":[{\"kind\":\"malformed\",\"service\":\"organizations\","
      "\"operation\":\"ListAccounts\",\"after\":1,\"count\":null}]}", out,
      sizeof(out)), 200);
  discover(e, NULL, 0, &g);
  assert_int_not_equal(g.err, 0);
  assert_null(g.l.v);
  assert_non_null(strstr(g.why, "ListAccounts"));
}

/* AWS_ENDPOINT_URL_ORGANIZATIONS is the service's own override (no
 * endpoint_url in the config). */
static void test_walk_env_endpoint(void **state)
{
  struct env *e = *state;
  struct aws_client_opts ao;
  struct aws_client *own = e->aws;
  struct got g;

  memset(&ao, 0, sizeof(ao));
  ao.loop = &e->loop;
  ao.http = e->http;
  ao.creds = e->creds;
  ao.max_attempts = 1;
  setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", e->url, 1);
  assert_int_equal(aws_client_new(&ao, &e->aws), 0);
  unsetenv("AWS_ENDPOINT_URL_ORGANIZATIONS");
  discover(e, NULL, 0, &g);
  assert_int_equal(g.err, 0);
  assert_int_equal(g.l.n, N_A + 4 + 3 + 2 + 1);
  org_listing_free(&g.l);
  aws_client_free(e->aws);
  e->aws = own;
}

int main(void)
{
  const struct CMUnitTest pure[] = {
    cmocka_unit_test(test_parse_accounts),
    cmocka_unit_test(test_parse_accounts_rejects),
    cmocka_unit_test(test_parse_units),
    cmocka_unit_test(test_parse_organization),
    cmocka_unit_test(test_ids),
    cmocka_unit_test(test_request_body),
  };
  const struct CMUnitTest walk[] = {
    cmocka_unit_test_setup_teardown(test_walk_all, setup, teardown),
    cmocka_unit_test_setup_teardown(test_walk_ous, setup, teardown),
    cmocka_unit_test_setup_teardown(test_walk_denied_names_the_permission,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_walk_refuses_a_hostile_page, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_walk_env_endpoint, setup, teardown),
  };
  int rc = cmocka_run_group_tests(pure, NULL, NULL);
  return rc | cmocka_run_group_tests(walk, group_setup, group_teardown);
}
