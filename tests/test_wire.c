/*
 * The wire module: AWS answers parsed exactly, hostile or broken answers
 * refused without crashing, request pieces (DeleteObjects body, encoded
 * keys) that S3 reads back as the same keys, timestamps, and Remotion's
 * function names.  Sample bodies are in tests/wire/, written from the
 * documented shapes (botocore's service models and the AWS API reference).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "janitor/buf.h"
#include "janitor/err.h"
#include "janitor/remotion.h"
#include "janitor/wire.h"

/* ---- helpers ---- */

static char *load(const char *name, size_t *len)
{
  char path[1024], dir[900];
  const char *src = getenv("JAN_SOURCE_DIR");
  FILE *f;
  char *buf;
  long n;

  if(src) {
    snprintf(dir, sizeof(dir), "%s/tests", src);
  }
  else {
    /* Run by hand: the samples sit next to this file. */
    const char *slash = strrchr(__FILE__, '/');
    size_t dl = slash ? (size_t)(slash - __FILE__) : 1;
    snprintf(dir, sizeof(dir), "%.*s", (int)dl, slash ? __FILE__ : ".");
  }
  snprintf(path, sizeof(path), "%s/wire/%s", dir, name);
  f = fopen(path, "rb");
  if(!f)
    fail_msg("cannot open %s", path);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  assert_true(n > 0);
  rewind(f);
  buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

#define S(lit) lit, (sizeof(lit) - 1)

/* Every parser, behind one signature, for the robustness tests. */
static int any_buckets(const char *b, size_t n)
{
  struct wire_bucket_list l;
  int rc = wire_s3_parse_list_buckets(b, n, &l);
  wire_bucket_list_free(&l);
  return rc;
}

static int any_location(const char *b, size_t n)
{
  char region[32];
  return wire_s3_parse_location(b, n, region);
}

static int any_versions(const char *b, size_t n)
{
  struct wire_object_page p;
  int rc = wire_s3_parse_list_versions(b, n, &p);
  wire_object_page_free(&p);
  return rc;
}

static int any_v2(const char *b, size_t n)
{
  struct wire_object_page p;
  int rc = wire_s3_parse_list_objects_v2(b, n, &p);
  wire_object_page_free(&p);
  return rc;
}

static int any_delete(const char *b, size_t n)
{
  struct wire_delete_result r;
  int rc = wire_s3_parse_delete_result(b, n, &r);
  wire_delete_result_free(&r);
  return rc;
}

static int any_error_xml(const char *b, size_t n)
{
  struct wire_error e;
  (void)wire_s3_body_is_error(b, n);
  return wire_parse_error_xml(b, n, &e);
}

static int any_error_json(const char *b, size_t n)
{
  struct wire_error e;
  return wire_parse_error_json(NULL, b, n, &e);
}

static int any_identity(const char *b, size_t n)
{
  struct wire_identity id;
  int rc = wire_sts_parse_caller_identity(b, n, &id);
  wire_identity_free(&id);
  return rc;
}

static int any_simulate(const char *b, size_t n)
{
  struct wire_eval *v;
  size_t nv;
  int trunc;
  char *marker;
  int rc = wire_iam_parse_simulate(b, n, &v, &nv, &trunc, &marker);
  wire_eval_list_free(v, nv);
  free(marker);
  return rc;
}

static int any_user(const char *b, size_t n)
{
  struct wire_user u;
  int rc = wire_iam_parse_get_user(b, n, &u);
  wire_user_free(&u);
  return rc;
}

static int any_functions(const char *b, size_t n)
{
  struct wire_function_page p;
  int rc = wire_lambda_parse_list_functions(b, n, &p);
  wire_function_page_free(&p);
  return rc;
}

static int any_layers(const char *b, size_t n)
{
  struct wire_layer_page p;
  int rc = wire_lambda_parse_list_layers(b, n, &p);
  wire_layer_page_free(&p);
  return rc;
}

static int any_layer_versions(const char *b, size_t n)
{
  struct wire_layer_version_page p;
  int rc = wire_lambda_parse_list_layer_versions(b, n, &p);
  wire_layer_version_page_free(&p);
  return rc;
}

static int any_get_layer_version(const char *b, size_t n)
{
  struct wire_layer_version lv;
  int rc = wire_lambda_parse_get_layer_version(b, n, &lv);
  wire_layer_version_free(&lv);
  return rc;
}

typedef int (*any_fn)(const char *, size_t);

static const struct sample {
  const char *file;
  any_fn parse;
} samples[] = {
  {"list_buckets.xml", any_buckets},
  {"list_versions.xml", any_versions},
  {"list_objects_v2.xml", any_v2},
  {"delete_result.xml", any_delete},
  {"error_s3.xml", any_error_xml},
  {"error_query.xml", any_error_xml},
  {"caller_identity.xml", any_identity},
  {"simulate.xml", any_simulate},
  {"get_user.xml", any_user},
  {"list_functions.json", any_functions},
  {"list_layers.json", any_layers},
  {"list_layer_versions.json", any_layer_versions},
  {"get_layer_version.json", any_get_layer_version},
};

static const any_fn all_parsers[] = {
  any_buckets, any_location, any_versions, any_v2, any_delete,
  any_error_xml, any_error_json, any_identity, any_simulate, any_user,
  any_functions, any_layers, any_layer_versions, any_get_layer_version,
};

static void assert_rc_sane(int rc)
{
  assert_true(rc == JAN_OK || rc == JAN_EPARSE || rc == JAN_ETOOBIG);
}

/* ---- time ---- */

static void test_time_accepts(void **state)
{
  static const struct { const char *s; int64_t t; } ok[] = {
    {"2019-09-23T18:32:33.857+0000", 1569263553},   /* Lambda */
    {"2019-09-23T18:32:33+0000", 1569263553},
    {"2019-09-23T18:32:33Z", 1569263553},           /* S3 */
    {"2019-09-23T18:32:33.000Z", 1569263553},
    {"2019-09-23T18:32:33.999999999Z", 1569263553}, /* truncated */
    {"2019-09-23T18:32:33.1Z", 1569263553},
    {"2019-09-23T18:32:33+00:00", 1569263553},
    {"2019-09-23T18:32:33-00:00", 1569263553},
    {"2019-09-23T20:32:33+02:00", 1569263553},      /* offset applied */
    {"2019-09-23T20:32:33.5+0200", 1569263553},
    {"2019-09-23T13:02:33-0530", 1569263553},
    {"2019-09-24T04:17:33+09:45", 1569263553},
    {"2019-09-23T00:00:00+23:59", 1569196800 - 86340},
    {"1970-01-01T00:00:00Z", 0},
    {"1969-12-31T23:59:59Z", -1},
    {"2000-02-29T12:00:00Z", 951825600},            /* 400-year leap */
    {"2024-02-29T23:59:59Z", 1709251199},
    {"2100-03-01T00:00:00Z", 4107542400},
    {"1900-03-01T00:00:00Z", -2203891200},
    {"2018-11-14T23:03:52.894+0000", 1542236632},
    {"2016-12-31T23:59:59Z", 1483228799},
    {"9999-12-31T23:59:59Z", 253402300799},
    {"0001-01-01T00:00:00Z", -62135596800},
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(ok); i++) {
    int64_t t = 42;
    int rc = wire_time_parse(ok[i].s, &t);
    if(rc || t != ok[i].t)
      fail_msg("%s: rc %d t %lld, want %lld", ok[i].s, rc, (long long)t,
               (long long)ok[i].t);
  }
}

static void test_time_rejects(void **state)
{
  static const char *const bad[] = {
    "", "garbage", "2019-09-23", "2019-09-23T18:32:33",
    "2019-09-23 18:32:33Z", "2019-09-23t18:32:33Z", "2019-09-23T18:32:33z",
    "2019-9-23T18:32:33Z", "19-09-23T18:32:33Z", "+2019-09-23T18:32:33Z",
    "20190-09-23T18:32:33Z", "2019-09-23T18:32Z", "2019-09-23T18:32:3Z",
    "2019-13-01T00:00:00Z", "2019-00-01T00:00:00Z", "2019-01-00T00:00:00Z",
    "2019-01-32T00:00:00Z", "2019-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z", "2019-04-31T00:00:00Z", "2019-06-31T00:00:00Z",
    "2019-09-23T24:00:00Z", "2019-09-23T23:60:00Z", "2019-09-23T23:59:60Z",
    "2019-09-23T18:32:33.Z", "2019-09-23T18:32:33.1234567890Z",
    "2019-09-23T18:32:33.x", "2019-09-23T18:32:33Zjunk",
    "2019-09-23T18:32:33Z ", " 2019-09-23T18:32:33Z",
    "2019-09-23T18:32:33+000", "2019-09-23T18:32:33+00:0",
    "2019-09-23T18:32:33+00000", "2019-09-23T18:32:33+2400",
    "2019-09-23T18:32:33+0060", "2019-09-23T18:32:33+00:00Z",
    "2019-09-23T18:32:33+", "2019-09-23T18:32:33 +0000",
    "2019-09-23T18:32:33.857+0000\n", "2019-09-23T18:-2:33Z",
    "2019-09-23T18:32:33GMT", "Mon, 23 Sep 2019 18:32:33 GMT",
    "2019-09-23T18:32:33.857+00 00", ("2019\xef\xbc\x8d" "09-23T18:32:33Z"),
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    int64_t t = 42;
    if(wire_time_parse(bad[i], &t) != JAN_EPARSE)
      fail_msg("accepted: \"%s\"", bad[i]);
    assert_int_equal(t, 42);
  }
  assert_int_equal(wire_time_parse(NULL, &(int64_t){0}), JAN_EPARSE);
}

static void test_time_format(void **state)
{
  static const struct { int64_t t; const char *s; } v[] = {
    {0, "1970-01-01T00:00:00Z"},
    {-1, "1969-12-31T23:59:59Z"},
    {1569263553, "2019-09-23T18:32:33Z"},
    {951825600, "2000-02-29T12:00:00Z"},
    {1709251199, "2024-02-29T23:59:59Z"},
    {4107542400, "2100-03-01T00:00:00Z"},
    {-2203891200, "1900-03-01T00:00:00Z"},
    {253402300799, "9999-12-31T23:59:59Z"},
    {253402300800, "9999-12-31T23:59:59Z"},         /* clamped */
    {INT64_MAX, "9999-12-31T23:59:59Z"},
    {INT64_MIN, "0000-01-01T00:00:00Z"},
  };
  char out[21];
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v); i++) {
    memset(out, 'x', sizeof(out));
    wire_time_format(v[i].t, out);
    assert_string_equal(out, v[i].s);
  }
  /* Round trip across four centuries, every few days and odd seconds. */
  for(int64_t t = -2208988800LL; t < 4102444800LL; t += 86400 * 3 + 3607) {
    int64_t back = 0;
    wire_time_format(t, out);
    assert_int_equal(wire_time_parse(out, &back), JAN_OK);
    assert_int_equal(back, t);
  }
}

/* ---- errors ---- */

static void test_error_xml(void **state)
{
  struct wire_error e;
  size_t n;
  char *b;
  (void)state;

  b = load("error_s3.xml", &n);
  assert_int_equal(wire_parse_error_xml(b, n, &e), JAN_OK);
  assert_string_equal(e.code, "AuthorizationHeaderMalformed");
  assert_string_equal(e.region, "ap-south-1");
  assert_string_equal(e.request_id, "4442587FB7D0A2F9");
  assert_non_null(strstr(e.message, "expecting 'ap-south-1'"));
  assert_string_equal(e.bucket_region, "");
  assert_int_equal(wire_s3_body_is_error(b, n), 1);
  free(b);

  b = load("error_query.xml", &n);
  assert_int_equal(wire_parse_error_xml(b, n, &e), JAN_OK);
  assert_string_equal(e.code, "Throttling");
  assert_string_equal(e.message, "Rate exceeded");
  assert_string_equal(e.request_id, "8b7e4a5c-4a1e-11e9-b2d1-0b2a3c4d5e6f");
  assert_int_equal(wire_s3_body_is_error(b, n), 0);
  free(b);

  assert_int_equal(wire_parse_error_xml(S(
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
    "<Message>slow down</Message></Error></Errors>"
    "<RequestID>abc-1</RequestID></Response>"), &e), JAN_OK);
  assert_string_equal(e.code, "RequestLimitExceeded");
  assert_string_equal(e.message, "slow down");
  assert_string_equal(e.request_id, "abc-1");

  /* A prefixed S3 error, and the region of a bucket. */
  assert_int_equal(wire_parse_error_xml(S(
    "<?xml version=\"1.0\"?><x:Error xmlns:x=\"urn:x\"><x:Code>SlowDown"
    "</x:Code><x:BucketRegion>eu-west-1</x:BucketRegion>"
    "<x:Message>Please reduce your request rate.</x:Message></x:Error>"),
    &e), JAN_OK);
  assert_string_equal(e.code, "SlowDown");
  assert_string_equal(e.bucket_region, "eu-west-1");
  assert_string_equal(e.region, "");

  /* Nested elements named like the fields do not count. */
  assert_int_equal(wire_parse_error_xml(S(
    "<Error><Detail><Code>Inner</Code></Detail><Code>Outer</Code></Error>"),
    &e), JAN_OK);
  assert_string_equal(e.code, "Outer");
}

static void test_error_xml_truncates_safely(void **state)
{
  struct jbuf b;
  struct wire_error e;
  (void)state;

  jbuf_init(&b, 1 << 20);
  assert_int_equal(jbuf_addstr(&b, "<Error><Code>"), 0);
  for(int i = 0; i < 300; i++)
    assert_int_equal(jbuf_addstr(&b, "C"), 0);
  assert_int_equal(jbuf_addstr(&b, "</Code><Message>"), 0);
  for(int i = 0; i < 600; i++)
    assert_int_equal(jbuf_addstr(&b, "\xc3\xa9"), 0);   /* é */
  assert_int_equal(jbuf_addstr(&b, "</Message><Region>"), 0);
  for(int i = 0; i < 100; i++)
    assert_int_equal(jbuf_addstr(&b, "\xe6\x97\xa5"), 0);  /* 日 */
  assert_int_equal(jbuf_addstr(&b, "</Region></Error>"), 0);
  assert_int_equal(wire_parse_error_xml(b.ptr, b.len, &e), JAN_OK);
  /* Cut with "...", never in the middle of a character. */
  assert_int_equal(strlen(e.code), 127);
  assert_int_equal(strlen(e.message), 1023);
  assert_memory_equal(e.message + 1018, "\xc3\xa9...", 5);
  assert_int_equal(strlen(e.region), 30);
  assert_memory_equal(e.region + 24, "\xe6\x97\xa5...", 6);
  jbuf_free(&b);
}

static void test_error_xml_rejects(void **state)
{
  static const char *const bad[] = {
    "", "garbage", "<Error>", "<Error><Code>X</Code>",
    "<Error><Message>no code</Message></Error>",
    "<Error><Code></Code></Error>",
    "<Error><Code>A</Code><Code>B</Code></Error>",
    "<ErrorResponse><Code>NotInError</Code></ErrorResponse>",
    "<Response><Error><Code>X</Code></Error></Response>",
    "<ListAllMyBucketsResult><Code>X</Code></ListAllMyBucketsResult>",
    "<Error><Code>X</Code></Error><Error/>",
    "<Error><Code><b>X</b></Code></Error>",
    "<Error><Code>X<b/></Code></Error>",
    "{\"__type\":\"X\"}",
  };
  struct wire_error e;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    memset(&e, 'x', sizeof(e));
    if(wire_parse_error_xml(bad[i], strlen(bad[i]), &e) != JAN_EPARSE)
      fail_msg("accepted: %s", bad[i]);
    assert_string_equal(e.code, "");
  }
}

static void test_error_xxe(void **state)
{
  struct wire_error e;
  size_t n;
  char *b;
  (void)state;

  b = load("xxe.xml", &n);
  assert_int_equal(wire_parse_error_xml(b, n, &e), JAN_EPARSE);
  assert_null(strstr(e.code, "root"));
  assert_int_equal(wire_s3_body_is_error(b, n), 0);
  free(b);
}

static void test_body_is_error(void **state)
{
  static const struct { const char *b; int want; } v[] = {
    {"<Error><Code>InternalError</Code></Error>", 1},
    {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>X</Code>"
     "</Error>", 1},
    {"<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
     "</s3:Error>", 1},
    /* A 200 cut in the middle of an error is still an error. */
    {"<Error><Code>InternalErr", 1},
    {"<DeleteResult><Error><Key>k</Key></Error></DeleteResult>", 0},
    {"<CopyObjectResult></CopyObjectResult>", 0},
    {"<Errors/>", 0},
    {"garbage", 0},
    {"", 0},
    {"{\"Error\":1}", 0},
    /* Bodies the byte scan leaves to the parser: another encoding
     * declared, a comment first, "Error" elsewhere than the root. */
    {"<?xml version='1.0' encoding='ISO-8859-1'?><Error><Code>X</Code>"
     "</Error>", 1},
    {"<?xml version=\"1.0\" encoding = 'utf-8' ?><Error/>", 1},
    {"<!-- x --><Error/>", 1},
    {"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Key>"
     "Error</Key></ListBucketResult>", 0},
    {"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>"
     "</ListBucketResult>", 0},
  };
  /* UTF-16 (little-endian, with its BOM): the parser reads it. */
  static const char u16[] = "\xff\xfe<\0E\0r\0r\0o\0r\0/\0>\0";
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v); i++)
    if(wire_s3_body_is_error(v[i].b, strlen(v[i].b)) != v[i].want)
      fail_msg("wrong for %s", v[i].b);
  assert_int_equal(wire_s3_body_is_error(u16, sizeof(u16) - 1), 1);
}

static void test_error_json(void **state)
{
  static const struct {
    const char *hdr, *body, *code, *message;
  } ok[] = {
    {"ResourceNotFoundException:http://internal.amazon.com/coral/"
     "com.amazon.coral.validate/", "{\"Message\":\"Function not found\"}",
     "ResourceNotFoundException", "Function not found"},
    {"aws.protocoltests.restjson#FooError:http://internal.amazon.com/x/",
     "", "FooError", ""},
    {"TooManyRequestsException", "{}", "TooManyRequestsException", ""},
    {"TooManyRequestsException", "<html>proxy</html>",
     "TooManyRequestsException", ""},
    {" ServiceException ", "{\"message\":\"m\"}", "ServiceException", "m"},
    {NULL, "{\"__type\":\"com.amazon.coral.service#"
     "UnrecognizedClientException\",\"message\":\"The security token "
     "included in the request is invalid.\"}",
     "UnrecognizedClientException",
     "The security token included in the request is invalid."},
    {NULL, "{\"__type\":\"a#b#ThrottlingException:uri\"}",
     "ThrottlingException", ""},
    {NULL, "{\"code\":\"AccessDeniedException\",\"Message\":\"no\"}",
     "AccessDeniedException", "no"},
    {NULL, "{\"Code\":\"InvalidParameterValueException\"}",
     "InvalidParameterValueException", ""},
    {"", "{\"Type\":\"User\",\"__type\":\"X\",\"message\":null}", "X", ""},
    /* The header wins over the body. */
    {"HeaderCode", "{\"__type\":\"BodyCode\"}", "HeaderCode", ""},
    /* A message of the wrong type is ignored, not a crash. */
    {NULL, "{\"__type\":\"X\",\"message\":{\"a\":1}}", "X", ""},
  };
  static const struct { const char *hdr, *body; } bad[] = {
    {NULL, ""}, {NULL, "{}"}, {NULL, "not json"}, {NULL, "[]"},
    {NULL, "{\"message\":\"no code\"}"}, {NULL, "{\"__type\":5}"},
    {NULL, "{\"__type\":\"\"}"}, {"", "{}"}, {":uri", "{}"},
    {NULL, "{\"__type\":\"X\"} trailing"},
  };
  struct wire_error e;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(ok); i++) {
    int rc = wire_parse_error_json(ok[i].hdr, ok[i].body,
                                   strlen(ok[i].body), &e);
    if(rc || strcmp(e.code, ok[i].code) || strcmp(e.message, ok[i].message))
      fail_msg("case %zu: rc %d code '%s' message '%s'", i, rc, e.code,
               e.message);
  }
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(wire_parse_error_json(bad[i].hdr, bad[i].body, strlen(bad[i].body),
                             &e) != JAN_EPARSE)
      fail_msg("bad case %zu accepted", i);
    assert_string_equal(e.code, "");
  }
}

/* ---- S3 listings ---- */

static void test_list_buckets(void **state)
{
  struct wire_bucket_list l;
  size_t n;
  char *b;
  (void)state;

  b = load("list_buckets.xml", &n);
  assert_int_equal(wire_s3_parse_list_buckets(b, n, &l), JAN_OK);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.v[0].name, "remotionlambda-apsouth1-3ysk0nyazp");
  assert_string_equal(l.v[0].region, "ap-south-1");
  assert_int_equal(l.v[0].created, 1569263553);
  assert_string_equal(l.v[1].name, "remotionlambda-useast1-abcdefghij");
  assert_int_equal(l.v[1].created, 951825600);
  assert_string_equal(l.v[2].name, "my-own-bucket");
  assert_string_equal(l.v[2].region, "eu-west-1");
  assert_int_equal(l.v[2].created, 1709251199);
  assert_string_equal(l.continuation_token,
                      "eyJDb250aW51YXRpb25Ub2tlbiI6Im15LW93bi1idWNrZXQifQ==");
  wire_bucket_list_free(&l);
  assert_null(l.v);
  free(b);

  /* No namespace, no region, no token: the older ListBuckets. */
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets><Bucket>"
    "<Name>a</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate>"
    "</Bucket><Bucket><Name>b c</Name></Bucket></Buckets>"
    "<ContinuationToken></ContinuationToken></ListAllMyBucketsResult>"),
    &l), JAN_OK);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.v[0].name, "a");
  assert_null(l.v[0].region);
  assert_int_equal(l.v[0].created, 0);
  assert_string_equal(l.v[1].name, "b c");
  assert_int_equal(l.v[1].created, WIRE_TIME_UNKNOWN);
  assert_null(l.continuation_token);
  wire_bucket_list_free(&l);

  /* Another prefix for the same namespace. */
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<s3:ListAllMyBucketsResult xmlns:s3=\"http://s3.amazonaws.com/doc/"
    "2006-03-01/\"><s3:Buckets><s3:Bucket><s3:Name>p</s3:Name>"
    "<s3:BucketRegion>us-west-2</s3:BucketRegion></s3:Bucket></s3:Buckets>"
    "</s3:ListAllMyBucketsResult>"), &l), JAN_OK);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.v[0].name, "p");
  assert_string_equal(l.v[0].region, "us-west-2");
  wire_bucket_list_free(&l);

  /* Empty lists. */
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/"
    "\"><Buckets/></ListAllMyBucketsResult>"), &l), JAN_OK);
  assert_int_equal(l.n, 0);
  wire_bucket_list_free(&l);
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<ListAllMyBucketsResult/>"), &l), JAN_OK);
  assert_int_equal(l.n, 0);
  wire_bucket_list_free(&l);
}

static void test_list_buckets_rejects(void **state)
{
  static const char *const bad[] = {
    "<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>"
    "2019-09-23T18:32:33Z</CreationDate></Bucket></Buckets>"
    "</ListAllMyBucketsResult>",                             /* no name */
    "<ListAllMyBucketsResult><Buckets><Bucket><Name></Name></Bucket>"
    "</Buckets></ListAllMyBucketsResult>",
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name><Name>b</Name>"
    "</Bucket></Buckets></ListAllMyBucketsResult>",          /* repeated */
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name><CreationDate>"
    "yesterday</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>",
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name><CreationDate>"
    "2019-09-23T18:32:33Z</CreationDate><CreationDate>2019-09-23T18:32:33Z"
    "</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>",
    "<ListAllMyBucketsResult><ContinuationToken>a</ContinuationToken>"
    "<ContinuationToken>b</ContinuationToken></ListAllMyBucketsResult>",
    "<ListBucketResult><Buckets/></ListBucketResult>",      /* wrong root */
    "<Error><Code>AccessDenied</Code></Error>",
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket>",
    "<ListAllMyBucketsResult></ListAllMyBucketsResult><x/>",
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>a&bogus;</Name>"
    "</Bucket></Buckets></ListAllMyBucketsResult>",
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>a\x01</Name>"
    "</Bucket></Buckets></ListAllMyBucketsResult>",
    "<ListAllMyBucketsResult><Buckets><Bucket><Name>\xff\xfe</Name>"
    "</Bucket></Buckets></ListAllMyBucketsResult>",         /* not UTF-8 */
    /* An undeclared prefix is a namespace error. */
    "<s3:ListAllMyBucketsResult></s3:ListAllMyBucketsResult>",
    "",
    "   ",
    "<?xml version=\"1.0\"?>",
    "garbage",
  };
  struct wire_bucket_list l;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(wire_s3_parse_list_buckets(bad[i], strlen(bad[i]), &l) != JAN_EPARSE)
      fail_msg("accepted case %zu", i);
    assert_null(l.v);
    assert_int_equal(l.n, 0);
    assert_null(l.continuation_token);
  }
  /* A NUL inside the body, or after the root (libxml2 reads a NUL as
   * the end of its input: what follows must not be left unread). */
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<ListAllMyBucketsResult>\0</ListAllMyBucketsResult>"), &l),
    JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<ListAllMyBucketsResult/>\0<x/>"), &l), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_buckets(S(
    "<ListAllMyBucketsResult/>\0"), &l), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_buckets(NULL, 0, &l), JAN_EPARSE);
}

static void test_location(void **state)
{
  static const struct { const char *b, *want; } ok[] = {
    {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint "
     "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>", "us-east-1"},
    {"<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
     "</LocationConstraint>", "us-east-1"},
    {"<LocationConstraint>EU</LocationConstraint>", "eu-west-1"},
    {"<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
     "ap-south-1</LocationConstraint>", "ap-south-1"},
    {"<x:LocationConstraint xmlns:x=\"urn:x\">eu-central-2"
     "</x:LocationConstraint>", "eu-central-2"},
    /* Server text, escaped and cut; the caller refuses it as a region. */
    {"<LocationConstraint>Not A Region</LocationConstraint>", "Not A Region"},
    {"<LocationConstraint>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "</LocationConstraint>", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa..."},
    {"<LocationConstraint>us-east-1&#10;.evil</LocationConstraint>",
     "us-east-1\\x0a.evil"},
  };
  static const char *const bad[] = {
    "<LocationConstraint>eu-west-1<x/></LocationConstraint>",
    "<LocationConstraint><x>eu-west-1</x></LocationConstraint>",
    "<LocationConstraint><x/></LocationConstraint>",
    ("<CreateBucketConfiguration><LocationConstraint>eu-west-1"
     "</LocationConstraint></CreateBucketConfiguration>"),
    "<LocationConstraint>eu-west-1",
    "",
  };
  char region[32];
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(ok); i++) {
    assert_int_equal(wire_s3_parse_location(ok[i].b, strlen(ok[i].b),
                                            region), JAN_OK);
    assert_string_equal(region, ok[i].want);
  }
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(wire_s3_parse_location(bad[i], strlen(bad[i]), region) != JAN_EPARSE)
      fail_msg("accepted: %s", bad[i]);
    assert_string_equal(region, "");
  }
}

static void test_list_versions(void **state)
{
  struct wire_object_page p;
  size_t n;
  char *b;
  (void)state;

  b = load("list_versions.xml", &n);
  assert_int_equal(wire_s3_parse_list_versions(b, n, &p), JAN_OK);
  assert_int_equal(p.n, 4);
  assert_true(p.truncated);
  assert_string_equal(p.next_key_marker, "renders/x y/out+1.mp4");
  assert_string_equal(p.next_version_id_marker,
      "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");
  assert_null(p.next_continuation_token);
  /* Document order, versions and delete markers mixed. */
  assert_string_equal(p.v[0].key, "sites/abc/index.html");
  assert_string_equal(p.v[0].version_id, "null");
  assert_false(p.v[0].delete_marker);
  assert_int_equal(p.v[0].last_modified, 1569263553);
  assert_int_equal(p.v[0].size, 434234);
  assert_int_equal(p.v[1].size, WIRE_SIZE_UNKNOWN);  /* a delete marker */
  assert_string_equal(p.v[1].key, "renders/a b/progress.json");
  assert_string_equal(p.v[1].version_id,
                      "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892");
  assert_true(p.v[1].delete_marker);
  assert_int_equal(p.v[1].last_modified, 951825600);
  assert_string_equal(p.v[2].key, "renders/x y/out+1%20&<2>.mp4");
  assert_false(p.v[2].delete_marker);
  assert_string_equal(p.v[3].key,
      "input-props/\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
      "\xf0\x9f\x8e\xac.json");
  assert_int_equal(p.v[3].last_modified, 1542236632);
  wire_object_page_free(&p);
  assert_null(p.v);
  free(b);

  /* The last page, no namespace, no version ids at all. */
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><IsTruncated>false</IsTruncated><Version><Key>k"
    "</Key></Version></ListVersionsResult>"), &p), JAN_OK);
  assert_int_equal(p.n, 1);
  assert_false(p.truncated);
  assert_null(p.v[0].version_id);
  assert_int_equal(p.v[0].last_modified, WIRE_TIME_UNKNOWN);
  assert_null(p.next_key_marker);
  assert_null(p.next_version_id_marker);
  wire_object_page_free(&p);

  /* An empty bucket. */
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b</Name><IsTruncated>false</IsTruncated><NextKeyMarker/>"
    "</ListVersionsResult>"), &p), JAN_OK);
  assert_int_equal(p.n, 0);
  assert_null(p.next_key_marker);
  wire_object_page_free(&p);
}

static void test_list_versions_url_encoded(void **state)
{
  struct wire_object_page p;
  (void)state;

  /* encoding-type=url: what XML 1.0 cannot carry comes percent-encoded. */
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><EncodingType>url</EncodingType>"
    "<IsTruncated>true</IsTruncated>"
    "<NextKeyMarker>a%01b+c</NextKeyMarker>"
    "<NextVersionIdMarker>v+1</NextVersionIdMarker>"
    "<Version><Key>a+b%2Bc%26d%25e%C3%A9</Key><VersionId>x+y</VersionId>"
    "</Version><DeleteMarker><Key>ctl%01%0D</Key></DeleteMarker>"
    "</ListVersionsResult>"), &p), JAN_OK);
  assert_int_equal(p.n, 2);
  assert_string_equal(p.v[0].key, "a b+c&d%e\xc3\xa9");
  assert_string_equal(p.v[0].version_id, "x+y");     /* not encoded */
  assert_string_equal(p.v[1].key, "ctl\x01\r");
  assert_string_equal(p.next_key_marker, "a\x01" "b c");
  assert_string_equal(p.next_version_id_marker, "v+1");
  wire_object_page_free(&p);

  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><EncodingType>url</EncodingType>"
    "<IsTruncated>false</IsTruncated><Version><Key>a%00"
    "</Key></Version></ListVersionsResult>"), &p), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><EncodingType>url</EncodingType>"
    "<IsTruncated>false</IsTruncated><Version><Key>a%G0"
    "</Key></Version></ListVersionsResult>"), &p), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><EncodingType>url</EncodingType>"
    "<IsTruncated>false</IsTruncated><Version><Key>a%"
    "</Key></Version></ListVersionsResult>"), &p), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><EncodingType>base64</EncodingType>"
    "</ListVersionsResult>"), &p), JAN_EPARSE);
}

/* wire_url_decode: S3's encoding-type=url, as botocore's unquote_plus. */
static void test_url_decode(void **state)
{
  static const struct {
    const char *in;
    int rc;
    const char *out;
    size_t outlen;
  } t[] = {
    { "", JAN_OK, "", 0 },
    { "plain/key.txt", JAN_OK, "plain/key.txt", 13 },
    { "a+b", JAN_OK, "a b", 3 },
    { "a%2Bb", JAN_OK, "a+b", 3 },
    { "%2b%2F%7e", JAN_OK, "+/~", 3 },
    { "esc%1B%0D%0A%01", JAN_OK, "esc\x1b\r\n\x01", 7 },
    { "%C3%A9%FF", JAN_OK, "\xc3\xa9\xff", 3 },     /* bytes, not checked */
    { "%25%32%35", JAN_OK, "%25", 3 },                 /* decoded once */
    { "%00", JAN_EPARSE, NULL, 0 },                    /* NUL: refused */
    { "a%0", JAN_EPARSE, NULL, 0 },
    { "a%", JAN_EPARSE, NULL, 0 },
    { "%G1", JAN_EPARSE, NULL, 0 },
    { "%1G", JAN_EPARSE, NULL, 0 },
    { "% 1", JAN_EPARSE, NULL, 0 },
  };
  char out[64];
  size_t n;
  (void)state;

  for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    n = 12345;
    assert_int_equal(wire_url_decode(t[i].in, strlen(t[i].in), out, &n),
                     t[i].rc);
    if(t[i].rc)
      continue;
    assert_int_equal(n, t[i].outlen);
    assert_memory_equal(out, t[i].out, n + 1);
  }
  /* A NUL byte in the input is refused too (never a shorter key). */
  assert_int_equal(wire_url_decode("a\0b", 3, out, &n), JAN_EPARSE);
  /* In place. */
  {
    char buf[] = "x%41+%42";
    assert_int_equal(wire_url_decode(buf, strlen(buf), buf, &n), JAN_OK);
    assert_string_equal(buf, "xA B");
  }
}

/* What S3 always sends, and what a key cannot survive. */
static void test_list_integrity(void **state)
{
  struct wire_object_page p;
  (void)state;

  /* No <IsTruncated>: malformed, not the last page. */
  assert_int_equal(wire_s3_parse_list_versions(S(
    "<ListVersionsResult><Version><Key>k</Key></Version>"
    "</ListVersionsResult>"), &p), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><Contents><Key>k</Key></Contents>"
    "</ListBucketResult>"), &p), JAN_EPARSE);
  /* A raw CR (XML would read it as LF) in an answer not url-encoded. */
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a\rb"
    "</Key></Contents></ListBucketResult>"), &p), JAN_EPARSE);
  /* The same key url-encoded comes back exact. */
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false"
    "</IsTruncated><Contents><Key>a%0Db%1B</Key></Contents>"
    "</ListBucketResult>"), &p), JAN_OK);
  assert_string_equal(p.v[0].key, "a\rb\x1b");
  wire_object_page_free(&p);
  /* A raw control byte: not XML at all. */
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a\x1b"
    "</Key></Contents></ListBucketResult>"), &p), JAN_EPARSE);
}

static void test_list_versions_rejects(void **state)
{
  static const char *const bad[] = {
    /* Truncated without a marker: the caller could only loop. */
    "<ListVersionsResult><IsTruncated>true</IsTruncated>"
    "<Version><Key>k</Key></Version></ListVersionsResult>",
    "<ListVersionsResult><IsTruncated>true</IsTruncated><NextKeyMarker/>"
    "<NextVersionIdMarker>v</NextVersionIdMarker></ListVersionsResult>",
    "<ListVersionsResult><IsTruncated>yes</IsTruncated></ListVersionsResult>",
    "<ListVersionsResult><IsTruncated>false</IsTruncated><IsTruncated>false"
    "</IsTruncated></ListVersionsResult>",
    "<ListVersionsResult><Version><VersionId>v</VersionId></Version>"
    "</ListVersionsResult>",
    "<ListVersionsResult><DeleteMarker><Key></Key></DeleteMarker>"
    "</ListVersionsResult>",
    "<ListVersionsResult><Version><Key>a</Key><Key>b</Key></Version>"
    "</ListVersionsResult>",
    "<ListVersionsResult><Version><Key>a</Key><VersionId>1</VersionId>"
    "<VersionId>2</VersionId></Version></ListVersionsResult>",
    "<ListVersionsResult><Version><Key>a</Key><LastModified>2019-02-30T00:"
    "00:00Z</LastModified></Version></ListVersionsResult>",
    "<ListVersionsResult><NextKeyMarker>a</NextKeyMarker><NextKeyMarker>b"
    "</NextKeyMarker></ListVersionsResult>",
    "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
    "<ListVersionsResult><Version><Key>k</Key></Version>",
    /* A value is a leaf: no elements inside, no text beside elements. */
    "<ListVersionsResult><Version><Key>a<b/>c</Key></Version>"
    "</ListVersionsResult>",
    "<ListVersionsResult><Version><Key><x>a</x></Key></Version>"
    "</ListVersionsResult>",
    "<ListVersionsResult><Version>junk<Key>a</Key></Version>"
    "</ListVersionsResult>",
    "<ListVersionsResult><Version><Key>a</Key>junk</Version>"
    "</ListVersionsResult>",
    "<ListVersionsResult><IsTruncated><b>true</b></IsTruncated>"
    "</ListVersionsResult>",
    "<ListVersionsResult><Version><Key>k</Key></Versio></ListVersionsResult>",
  };
  struct wire_object_page p;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(wire_s3_parse_list_versions(bad[i], strlen(bad[i]), &p) != JAN_EPARSE)
      fail_msg("accepted case %zu", i);
    assert_null(p.v);
    assert_int_equal(p.n, 0);
    assert_null(p.next_key_marker);
  }
}

static void test_list_objects_v2(void **state)
{
  struct wire_object_page p;
  size_t n;
  char *b;
  (void)state;

  b = load("list_objects_v2.xml", &n);
  assert_int_equal(wire_s3_parse_list_objects_v2(b, n, &p), JAN_OK);
  assert_int_equal(p.n, 2);
  assert_true(p.truncated);
  assert_string_equal(p.next_continuation_token,
                      "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  assert_null(p.next_key_marker);
  assert_string_equal(p.v[0].key, "renders/r1/out.mp4");
  assert_null(p.v[0].version_id);
  assert_false(p.v[0].delete_marker);
  assert_int_equal(p.v[0].last_modified, 1682936430);
  assert_string_equal(p.v[1].key, "renders/r1/a&b c+d%e.json");
  assert_int_equal(p.v[1].last_modified, 1483228799);
  assert_int_equal(p.v[0].size, 857);
  assert_int_equal(p.v[1].size, 10);
  wire_object_page_free(&p);
  free(b);

  /* <Size>: digits only, once, within WIRE_SIZE_MAX. */
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k"
    "</Key><Size>9007199254740992</Size></Contents></ListBucketResult>"),
    &p), JAN_OK);
  assert_int_equal(p.v[0].size, WIRE_SIZE_MAX);
  wire_object_page_free(&p);
  {
    static const char *const bad[] = {
      "-1", "", "1e3", " 5", "9007199254740993", "99999999999999999999"
    };
    for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      char doc[256];
      snprintf(doc, sizeof(doc), "<ListBucketResult><Contents><Key>k</Key>"
               "<Size>%s</Size></Contents></ListBucketResult>", bad[i]);
      assert_int_equal(wire_s3_parse_list_objects_v2(doc, strlen(doc), &p),
                       JAN_EPARSE);
    }
  }
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><Contents><Key>k</Key><Size>1</Size><Size>2</Size>"
    "</Contents></ListBucketResult>"), &p), JAN_EPARSE);

  /* The versions parser refuses this root, and the reverse. */
  b = load("list_objects_v2.xml", &n);
  assert_int_equal(wire_s3_parse_list_versions(b, n, &p), JAN_EPARSE);
  free(b);
  b = load("list_versions.xml", &n);
  assert_int_equal(wire_s3_parse_list_objects_v2(b, n, &p), JAN_EPARSE);
  free(b);

  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false"
    "</IsTruncated></ListBucketResult>"), &p), JAN_OK);
  assert_int_equal(p.n, 0);
  assert_false(p.truncated);
  assert_null(p.next_continuation_token);
  wire_object_page_free(&p);

  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a"
    "</Key></Contents></ListBucketResult>"), &p), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken></NextContinuationToken></ListBucketResult>"),
    &p), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_list_objects_v2(S(
    "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false"
    "</IsTruncated><Contents><Key>a+b%2F</Key></Contents>"
    "</ListBucketResult>"), &p), JAN_OK);
  assert_string_equal(p.v[0].key, "a b/");
  wire_object_page_free(&p);
}

static void test_delete_result(void **state)
{
  struct wire_delete_result r;
  size_t n;
  char *b;
  (void)state;

  b = load("delete_result.xml", &n);
  assert_int_equal(wire_s3_parse_delete_result(b, n, &r), JAN_OK);
  assert_int_equal(r.deleted, 2);
  assert_int_equal(r.nerrors, 2);
  assert_string_equal(r.errors[0].key, "sample2&.txt");
  assert_null(r.errors[0].version_id);
  assert_string_equal(r.errors[0].code, "AccessDenied");
  assert_string_equal(r.errors[0].message, "Access Denied");
  assert_string_equal(r.errors[1].key, "sites/x/index.html");
  assert_string_equal(r.errors[1].version_id, "null");
  assert_string_equal(r.errors[1].code, "InternalError");
  /* The <Deleted> entry that reports a delete marker. */
  assert_int_equal(r.nmarkers, 1);
  assert_string_equal(r.markers[0].key, "renders/a b/progress.json");
  assert_string_equal(r.markers[0].version_id,
                      "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892");
  assert_string_equal(r.markers[0].marker_version_id,
                      "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892");
  wire_delete_result_free(&r);
  assert_null(r.errors);
  assert_null(r.markers);
  assert_int_equal(r.nmarkers, 0);
  /* A 200 with this body is not an S3 <Error> answer. */
  assert_int_equal(wire_s3_body_is_error(b, n), 0);
  free(b);

  /* Quiet mode with nothing failed. */
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"),
    &r), JAN_OK);
  assert_int_equal(r.deleted, 0);
  assert_int_equal(r.nerrors, 0);
  wire_delete_result_free(&r);

  /* A key-only delete in a versioned bucket: a marker now hides the key
   * (S3's non-quiet answer); DeleteMarker false is a plain delete. */
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Deleted><Key>renders/r/out.mp4</Key><DeleteMarker>true"
    "</DeleteMarker><DeleteMarkerVersionId>dm1</DeleteMarkerVersionId>"
    "</Deleted><Deleted><Key>renders/r/log</Key><DeleteMarker>false"
    "</DeleteMarker></Deleted><Deleted><DeleteMarker>true</DeleteMarker>"
    "</Deleted></DeleteResult>"), &r), JAN_OK);
  assert_int_equal(r.deleted, 3);
  assert_int_equal(r.nmarkers, 2);
  assert_string_equal(r.markers[0].key, "renders/r/out.mp4");
  assert_null(r.markers[0].version_id);
  assert_string_equal(r.markers[0].marker_version_id, "dm1");
  assert_string_equal(r.markers[1].key, "");        /* no key: still told */
  assert_null(r.markers[1].marker_version_id);
  wire_delete_result_free(&r);
  /* A DeleteMarker that is neither true nor false, or told twice. */
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Deleted><Key>k</Key><DeleteMarker>yes</DeleteMarker>"
    "</Deleted></DeleteResult>"), &r), JAN_EPARSE);
  assert_null(r.markers);
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Deleted><Key>k</Key><DeleteMarker>true</DeleteMarker>"
    "<DeleteMarker>false</DeleteMarker></Deleted></DeleteResult>"), &r),
    JAN_EPARSE);
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Deleted><Key>k</Key><DeleteMarkerVersionId>a"
    "</DeleteMarkerVersionId><DeleteMarkerVersionId>b"
    "</DeleteMarkerVersionId></Deleted></DeleteResult>"), &r), JAN_EPARSE);
  assert_null(r.markers);

  /* An error without a key still counts, with an empty key. */
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Error><Code>SlowDown</Code></Error></DeleteResult>"),
    &r), JAN_OK);
  assert_int_equal(r.nerrors, 1);
  assert_string_equal(r.errors[0].key, "");
  assert_string_equal(r.errors[0].code, "SlowDown");
  wire_delete_result_free(&r);

  assert_int_equal(wire_s3_parse_delete_result(S(
    "<Error><Code>MalformedXML</Code></Error>"), &r), JAN_EPARSE);
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Error><Key>a</Key><Key>b</Key></Error></DeleteResult>"),
    &r), JAN_EPARSE);
  assert_null(r.errors);
  assert_int_equal(wire_s3_parse_delete_result(S(
    "<DeleteResult><Error><Key>a</Key>"), &r), JAN_EPARSE);
  assert_int_equal(r.nerrors, 0);
}

/* ---- hostile XML ---- */

static void test_xml_billion_laughs(void **state)
{
  size_t n;
  char *b;
  clock_t t0 = clock();
  struct wire_bucket_list l;
  (void)state;

  b = load("billion_laughs.xml", &n);
  assert_int_equal(wire_s3_parse_list_buckets(b, n, &l), JAN_EPARSE);
  assert_int_equal(l.n, 0);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(all_parsers); i++)
    assert_int_equal(all_parsers[i](b, n), JAN_EPARSE);
  assert_int_equal(wire_s3_body_is_error(b, n), 0);
  /* Bounded: far below the seconds an expansion would take. */
  assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
  free(b);
}

static void test_xml_doctype_refused(void **state)
{
  static const char *const bad[] = {
    /* Even a harmless internal DTD: AWS never sends one. */
    "<!DOCTYPE ListAllMyBucketsResult><ListAllMyBucketsResult/>",
    "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"http://example.com/x.dtd\">"
    "<ListAllMyBucketsResult/>",
    "<!DOCTYPE x [<!ENTITY e \"ok\">]><ListAllMyBucketsResult><Buckets>"
    "<Bucket><Name>&e;</Name></Bucket></Buckets></ListAllMyBucketsResult>",
    "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
    "<ListAllMyBucketsResult/>",
  };
  struct wire_bucket_list l;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++)
    assert_int_equal(wire_s3_parse_list_buckets(bad[i], strlen(bad[i]), &l),
                     JAN_EPARSE);
}

static void test_xml_limits(void **state)
{
  struct jbuf b;
  struct wire_bucket_list l;
  (void)state;

  /* Too deep. */
  jbuf_init(&b, 1 << 22);
  assert_int_equal(jbuf_addstr(&b, "<ListAllMyBucketsResult>"), 0);
  for(int i = 0; i < 100; i++)
    assert_int_equal(jbuf_addstr(&b, "<a>"), 0);
  for(int i = 0; i < 100; i++)
    assert_int_equal(jbuf_addstr(&b, "</a>"), 0);
  assert_int_equal(jbuf_addstr(&b, "</ListAllMyBucketsResult>"), 0);
  assert_int_equal(wire_s3_parse_list_buckets(b.ptr, b.len, &l), JAN_EPARSE);

  /* A text over 1 MiB. */
  jbuf_reset(&b);
  assert_int_equal(jbuf_addstr(&b, "<ListAllMyBucketsResult><Buckets>"
                                   "<Bucket><Name>"), 0);
  for(int i = 0; i < (1 << 20) / 16 + 1; i++)
    assert_int_equal(jbuf_addstr(&b, "aaaaaaaaaaaaaaaa"), 0);
  assert_int_equal(jbuf_addstr(&b, "</Name></Bucket></Buckets>"
                                   "</ListAllMyBucketsResult>"), 0);
  assert_int_equal(wire_s3_parse_list_buckets(b.ptr, b.len, &l),
                   JAN_ETOOBIG);
  assert_int_equal(l.n, 0);

  /* Many items are fine. */
  jbuf_reset(&b);
  assert_int_equal(jbuf_addstr(&b, "<ListAllMyBucketsResult><Buckets>"), 0);
  for(int i = 0; i < 5000; i++)
    assert_int_equal(jbuf_printf(&b, "<Bucket><Name>b%d</Name></Bucket>",
                                 i), 0);
  assert_int_equal(jbuf_addstr(&b, "</Buckets></ListAllMyBucketsResult>"),
                   0);
  assert_int_equal(wire_s3_parse_list_buckets(b.ptr, b.len, &l), JAN_OK);
  assert_int_equal(l.n, 5000);
  assert_string_equal(l.v[4999].name, "b4999");
  wire_bucket_list_free(&l);
  jbuf_free(&b);
}

/* Every prefix of every good answer fails cleanly; mutations never crash. */
static void test_truncations_and_mutations(void **state)
{
  (void)state;
  srand(4242);
  for(size_t s = 0; s < JAN_ARRAY_SIZE(samples); s++) {
    size_t n, end;
    char *b = load(samples[s].file, &n), *m;

    assert_int_equal(samples[s].parse(b, n), JAN_OK);
    /* end: just past the closing '>' or '}' of the document. */
    end = n;
    while(end > 0 && (b[end - 1] == '\n' || b[end - 1] == ' '))
      end--;
    for(size_t k = 0; k < end; k++) {
      m = malloc(k ? k : 1);
      assert_non_null(m);
      memcpy(m, b, k);
      if(samples[s].parse(m, k) != JAN_EPARSE)
        fail_msg("%s cut at %zu accepted", samples[s].file, k);
      free(m);
    }
    m = malloc(n);
    assert_non_null(m);
    for(int round = 0; round < 300; round++) {
      memcpy(m, b, n);
      for(int j = 0; j < 1 + round % 4; j++)
        m[(size_t)rand() % n] = (char)(rand() % 256);
      for(size_t p = 0; p < JAN_ARRAY_SIZE(all_parsers); p++)
        assert_rc_sane(all_parsers[p](m, n));
    }
    free(m);
    /* And every parser on this answer: no crash. */
    for(size_t p = 0; p < JAN_ARRAY_SIZE(all_parsers); p++)
      assert_rc_sane(all_parsers[p](b, n));
    free(b);
  }
}

/* ---- DeleteObjects body ---- */

struct rt_obj {
  char *key, *version;
};

/* Read a DeleteObjects body back with libxml2 (a DOM is fine here). */
static size_t read_delete_body(const char *body, size_t len,
                               struct rt_obj *out, size_t max, int *quiet)
{
  xmlDocPtr doc = xmlReadMemory(body, (int)len, NULL, NULL, XML_PARSE_NONET);
  xmlNodePtr root, o, f;
  size_t n = 0;

  assert_non_null(doc);
  root = xmlDocGetRootElement(doc);
  assert_string_equal((const char *)root->name, "Delete");
  assert_non_null(root->ns);
  assert_string_equal((const char *)root->ns->href,
                      "http://s3.amazonaws.com/doc/2006-03-01/");
  *quiet = 0;
  for(o = root->children; o; o = o->next) {
    if(o->type != XML_ELEMENT_NODE)
      continue;
    if(!strcmp((const char *)o->name, "Quiet")) {
      xmlChar *t = xmlNodeGetContent(o);
      *quiet = !strcmp((const char *)t, "true");
      xmlFree(t);
      continue;
    }
    assert_string_equal((const char *)o->name, "Object");
    assert_true(n < max);
    out[n].key = out[n].version = NULL;
    for(f = o->children; f; f = f->next) {
      xmlChar *t;
      if(f->type != XML_ELEMENT_NODE)
        continue;
      t = xmlNodeGetContent(f);
      if(!strcmp((const char *)f->name, "Key"))
        out[n].key = strdup((const char *)t);
      else if(!strcmp((const char *)f->name, "VersionId"))
        out[n].version = strdup((const char *)t);
      else
        fail_msg("unexpected <%s>", f->name);
      xmlFree(t);
    }
    n++;
  }
  xmlFreeDoc(doc);
  return n;
}

static void test_delete_body_exact(void **state)
{
  struct wire_object o[2] = {
    {(char[]){"a&b"}, (char[]){"v1"}, 0, 0, 0},
    {(char[]){"c"}, NULL, 1, 0, 0},
  };
  struct jbuf b;
  (void)state;

  jbuf_init(&b, 1 << 20);
  assert_int_equal(wire_s3_build_delete_body(o, 2, 1, &b), JAN_OK);
  assert_string_equal(jbuf_str(&b),
    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Quiet>true</Quiet><Object><Key>a&amp;b</Key><VersionId>v1</VersionId>"
    "</Object><Object><Key>c</Key></Object></Delete>");
  jbuf_reset(&b);
  assert_int_equal(wire_s3_build_delete_body(o + 1, 1, 0, &b), JAN_OK);
  assert_string_equal(jbuf_str(&b),
    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Object><Key>c</Key></Object></Delete>");
  jbuf_free(&b);
}

static void test_delete_body_round_trip(void **state)
{
  static const char *const keys[] = {
    "plain.txt", "with space/and+plus", "100%/&amp;/<tag>\"quoted\"'apos'",
    "]]>cdata-end", "tab\there", "line\nfeed", "cr\rlf\r\n",
    "\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xf0\x9f\x8e\xac",
    "renders/abc/out.mp4", "&#x41;", "del\x7f", "a//b/", "~!@#$^*()=",
  };
  struct wire_object o[JAN_ARRAY_SIZE(keys)];
  struct rt_obj back[JAN_ARRAY_SIZE(keys)];
  char kb[JAN_ARRAY_SIZE(keys)][64];
  char vnull[] = "null", vodd[] = "v&<1>";
  struct jbuf b;
  int quiet;
  size_t n;
  (void)state;

  for(size_t i = 0; i < JAN_ARRAY_SIZE(keys); i++) {
    snprintf(kb[i], sizeof(kb[i]), "%s", keys[i]);
    o[i].key = kb[i];
    o[i].version_id = i % 3 == 0 ? NULL : i % 3 == 1 ? vnull : vodd;
    o[i].delete_marker = 0;
    o[i].last_modified = 0;
  }
  jbuf_init(&b, 1 << 20);
  assert_int_equal(wire_s3_build_delete_body(o, JAN_ARRAY_SIZE(o), 1, &b),
                   JAN_OK);
  /* No raw CR, which any XML parser would turn into LF. */
  assert_null(strchr(jbuf_str(&b), '\r'));
  n = read_delete_body(b.ptr, b.len, back, JAN_ARRAY_SIZE(back), &quiet);
  assert_int_equal(n, JAN_ARRAY_SIZE(keys));
  assert_true(quiet);
  for(size_t i = 0; i < n; i++) {
    assert_string_equal(back[i].key, keys[i]);
    if(o[i].version_id)
      assert_string_equal(back[i].version, o[i].version_id);
    else
      assert_null(back[i].version);
    free(back[i].key);
    free(back[i].version);
  }
  jbuf_free(&b);
}

static void test_delete_body_limits(void **state)
{
  struct wire_object *o = calloc(1001, sizeof(*o));
  struct wire_object bad[2] = {{(char[]){"ok"}, NULL, 0, 0, 0},
                               {(char[]){"ctl\x01"}, NULL, 0, 0, 0}};
  struct rt_obj *back = calloc(1000, sizeof(*back));
  char keybuf[1001][12];
  struct jbuf b;
  int quiet;
  (void)state;

  assert_non_null(o);
  assert_non_null(back);
  for(int i = 0; i < 1001; i++) {
    snprintf(keybuf[i], sizeof(keybuf[i]), "k%d", i);
    o[i].key = keybuf[i];
  }
  jbuf_init(&b, 1 << 22);
  assert_int_equal(wire_s3_build_delete_body(o, 1001, 1, &b), JAN_EINVAL);
  assert_int_equal(b.len, 0);
  assert_int_equal(wire_s3_build_delete_body(o, 0, 1, &b), JAN_EINVAL);
  assert_int_equal(wire_s3_build_delete_body(o, 1000, 0, &b), JAN_OK);
  assert_int_equal(read_delete_body(b.ptr, b.len, back, 1000, &quiet), 1000);
  assert_false(quiet);
  assert_string_equal(back[999].key, "k999");
  for(int i = 0; i < 1000; i++)
    free(back[i].key);

  /* A key XML 1.0 cannot carry: refused, the buffer as it was. */
  jbuf_reset(&b);
  assert_int_equal(jbuf_addstr(&b, "keep"), 0);
  assert_int_equal(wire_s3_build_delete_body(bad, 2, 1, &b), JAN_EINVAL);
  assert_string_equal(jbuf_str(&b), "keep");
  bad[1].key = (char[]){"\xc3\x28"};                     /* not UTF-8 */
  assert_int_equal(wire_s3_build_delete_body(bad, 2, 1, &b), JAN_EINVAL);
  bad[1].key = (char[]){"ok"};
  bad[1].version_id = (char[]){"v\x02"};
  assert_int_equal(wire_s3_build_delete_body(bad, 2, 1, &b), JAN_EINVAL);
  bad[1].version_id = NULL;
  bad[1].key = NULL;
  assert_int_equal(wire_s3_build_delete_body(bad, 2, 1, &b), JAN_EINVAL);
  assert_string_equal(jbuf_str(&b), "keep");

  /* Over the buffer's cap: JAN_ETOOBIG, the buffer as it was. */
  jbuf_free(&b);
  jbuf_init(&b, 100);
  assert_int_equal(jbuf_addstr(&b, "keep"), 0);
  assert_int_equal(wire_s3_build_delete_body(o, 20, 1, &b), JAN_ETOOBIG);
  assert_string_equal(jbuf_str(&b), "keep");
  jbuf_free(&b);
  free(back);
  free(o);
}

static void test_key_xml_safe(void **state)
{
  static const struct { const char *k; int ok; } v[] = {
    {"", 1}, {"a b", 1}, {"\t\n\r", 1}, {"\x7f", 1},
    {"\xc3\xa9", 1}, {"\xef\xbf\xbd", 1}, {"\xf4\x8f\xbf\xbf", 1},
    {"\x01", 0}, {"a\x1f", 0}, {"\x0b", 0}, {"\x0c", 0},
    {"\xc3", 0}, {"\xc3\x28", 0}, {"\xc0\xaf", 0}, {"\xe0\x80\xaf", 0},
    {"\xed\xa0\x80", 0}, {"\xef\xbf\xbe", 0}, {"\xef\xbf\xbf", 0},
    {"\xf4\x90\x80\x80", 0}, {"\xf8\x88\x80\x80\x80", 0}, {"\xff", 0},
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v); i++)
    if(wire_s3_key_xml_safe(v[i].k) != v[i].ok)
      fail_msg("case %zu", i);
  assert_int_equal(wire_s3_key_xml_safe(NULL), 0);
}

static void test_uri_encoding(void **state)
{
  static const struct { const char *in, *path, *query; } v[] = {
    {"a b/c+d%e&f~g_h.i-j", "a%20b/c%2Bd%25e%26f~g_h.i-j",
     "a%20b%2Fc%2Bd%25e%26f~g_h.i-j"},
    {"renders/x/out.mp4", "renders/x/out.mp4", "renders%2Fx%2Fout.mp4"},
    {"\xc3\xa9=?#", "%C3%A9%3D%3F%23", "%C3%A9%3D%3F%23"},
    {"eyJ+/=", "eyJ%2B/%3D", "eyJ%2B%2F%3D"},
    {"AZaz09", "AZaz09", "AZaz09"},
    {"", "", ""},
    {"\x01\x7f\xff", "%01%7F%FF", "%01%7F%FF"},
  };
  struct jbuf b;
  (void)state;
  jbuf_init(&b, 1 << 16);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v); i++) {
    jbuf_reset(&b);
    assert_int_equal(wire_uri_encode_key(v[i].in, &b), JAN_OK);
    assert_string_equal(jbuf_str(&b), v[i].path);
    jbuf_reset(&b);
    assert_int_equal(wire_query_encode(v[i].in, &b), JAN_OK);
    assert_string_equal(jbuf_str(&b), v[i].query);
  }
  /* Appends, and stops cleanly at the cap. */
  jbuf_free(&b);
  jbuf_init(&b, 8);
  assert_int_equal(jbuf_addstr(&b, "x/"), 0);
  assert_int_equal(wire_uri_encode_key("ab", &b), JAN_OK);
  assert_string_equal(jbuf_str(&b), "x/ab");
  assert_int_equal(wire_query_encode("  ", &b), JAN_ETOOBIG);
  assert_string_equal(jbuf_str(&b), "x/ab");
  jbuf_free(&b);
}

/* ---- Lambda ---- */

static void test_list_functions(void **state)
{
  struct wire_function_page p;
  size_t n;
  char *b;
  (void)state;

  b = load("list_functions.json", &n);
  assert_int_equal(wire_lambda_parse_list_functions(b, n, &p), JAN_OK);
  assert_int_equal(p.n, 2);
  assert_string_equal(p.next_marker,
      "eyJNYXJrZXIiOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAxfQ+/=");
  assert_string_equal(p.v[0].name,
                      "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec");
  assert_string_equal(p.v[0].arn, "arn:aws:lambda:eu-central-1:123456789012:"
      "function:remotion-render-4-0-100-mem2048mb-disk2048mb-120sec");
  assert_string_equal(p.v[0].runtime, "nodejs18.x");
  assert_int_equal(p.v[0].last_modified, 1569263553);
  assert_int_equal(p.v[0].memory_mb, 2048);
  assert_int_equal(p.v[0].timeout_s, 120);
  assert_int_equal(p.v[0].code_size, 59432018);
  assert_string_equal(p.v[1].name, "my-image-fn");
  assert_null(p.v[1].runtime);
  assert_int_equal(p.v[1].last_modified, 1709251199);
  assert_int_equal(p.v[1].memory_mb, 128);
  assert_int_equal(p.v[1].code_size, 0);
  wire_function_page_free(&p);
  assert_null(p.v);
  free(b);
  /* The cap itself is accepted. */
  assert_int_equal(wire_lambda_parse_list_functions(S(
    "{\"Functions\":[{\"FunctionName\":\"a\",\"CodeSize\":10737418240}]}"),
    &p), JAN_OK);
  assert_int_equal(p.v[0].code_size, WIRE_CODE_SIZE_MAX);
  wire_function_page_free(&p);
}

static void test_lambda_paging_fields(void **state)
{
  static const struct { const char *b; const char *marker; } v[] = {
    {"{\"Functions\":[]}", NULL},
    {"{\"Functions\":[],\"NextMarker\":null}", NULL},
    {"{\"Functions\":[],\"NextMarker\":\"\"}", NULL},
    {"{\"NextMarker\":\"m+/=\",\"Functions\":[]}", "m+/="},
    {" \n{\"Functions\" : [ ] }\r\n\t ", NULL},
  };
  struct wire_function_page p;
  struct wire_layer_page lp;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(v); i++) {
    assert_int_equal(wire_lambda_parse_list_functions(v[i].b, strlen(v[i].b),
                                                      &p), JAN_OK);
    assert_int_equal(p.n, 0);
    if(v[i].marker)
      assert_string_equal(p.next_marker, v[i].marker);
    else
      assert_null(p.next_marker);
    wire_function_page_free(&p);
  }
  assert_int_equal(wire_lambda_parse_list_layers(S(
    "{\"Layers\":[],\"NextMarker\":null}"), &lp), JAN_OK);
  assert_int_equal(lp.n, 0);
  assert_null(lp.next_marker);
  wire_layer_page_free(&lp);
}

static void test_list_functions_rejects(void **state)
{
  static const char *const bad[] = {
    "", "   ", "null", "[]", "\"Functions\"", "42", "{", "{}",
    "{\"Functions\":null}", "{\"Functions\":{}}", "{\"Functions\":\"x\"}",
    "{\"Functions\":[]} x", "{\"Functions\":[]}{}", "{\"Functions\":[]",
    "{\"Functions\":[1]}", "{\"Functions\":[null]}",
    "{\"Functions\":[{}]}",
    "{\"Functions\":[{\"FunctionName\":null}]}",
    "{\"Functions\":[{\"FunctionName\":\"\"}]}",
    "{\"Functions\":[{\"FunctionName\":5}]}",
    "{\"Functions\":[{\"FunctionName\":[\"a\"]}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"FunctionArn\":1}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"Runtime\":true}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":\"2048\"}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":2048.5}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":1e3}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":-1}]}",
    /* beyond WIRE_CODE_SIZE_MAX, 10 GiB */
    "{\"Functions\":[{\"FunctionName\":\"a\",\"CodeSize\":10737418241}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":"
    "9223372036854775807}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":"
    "99999999999999999999999999}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"Timeout\":"
    "18446744073709551615}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"LastModified\":1569263553}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"LastModified\":\"2019-09-23"
    "\"}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\",\"LastModified\":\"2019-09-23T"
    "18:32:33.857+0000\\u0000x\"}]}",
    "{\"Functions\":[{\"FunctionName\":\"a\\u0000b\"}]}",
    "{\"Functions\":[{\"FunctionName\":\"\xff\"}]}",     /* not UTF-8 */
    "{\"Functions\":[],\"NextMarker\":5}",
    "{\"Functions\":[],\"NextMarker\":{}}",
    "{\"Functions\":[{\"FunctionName\":\"a\"},]}",
    "<ListFunctionsResponse/>",
  };
  struct wire_function_page p;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    int rc = wire_lambda_parse_list_functions(bad[i], strlen(bad[i]), &p);
    if(rc != JAN_EPARSE)
      fail_msg("case %zu accepted (rc %d): %s", i, rc, bad[i]);
    assert_null(p.v);
    assert_int_equal(p.n, 0);
    assert_null(p.next_marker);
  }
  /* A NUL byte in the body. */
  assert_int_equal(wire_lambda_parse_list_functions(S(
    "{\"Functions\":[]}\0"), &p), JAN_EPARSE);
  assert_int_equal(wire_lambda_parse_list_functions(NULL, 0, &p),
                   JAN_EPARSE);
}

static void test_json_depth_and_duplicates(void **state)
{
  struct jbuf b;
  struct wire_function_page p;
  (void)state;

  jbuf_init(&b, 1 << 20);
  /* Nesting within the limit, in a field the parser ignores, is fine. */
  assert_int_equal(jbuf_addstr(&b, "{\"Functions\":[{\"FunctionName\":\"a\","
                                   "\"Environment\":"), 0);
  for(int i = 0; i < 8; i++)
    assert_int_equal(jbuf_addstr(&b, "{\"x\":"), 0);
  assert_int_equal(jbuf_addstr(&b, "1"), 0);
  for(int i = 0; i < 8; i++)
    assert_int_equal(jbuf_addstr(&b, "}"), 0);
  assert_int_equal(jbuf_addstr(&b, "}]}"), 0);
  assert_int_equal(wire_lambda_parse_list_functions(b.ptr, b.len, &p),
                   JAN_OK);
  wire_function_page_free(&p);

  /* 10000 levels: refused by the depth limit, not a stack overflow. */
  jbuf_reset(&b);
  assert_int_equal(jbuf_addstr(&b, "{\"Functions\":[],\"x\":"), 0);
  for(int i = 0; i < 10000; i++)
    assert_int_equal(jbuf_addstr(&b, "["), 0);
  for(int i = 0; i < 10000; i++)
    assert_int_equal(jbuf_addstr(&b, "]"), 0);
  assert_int_equal(jbuf_addstr(&b, "}"), 0);
  assert_int_equal(wire_lambda_parse_list_functions(b.ptr, b.len, &p),
                   JAN_EPARSE);
  /* 20 levels is over the limit too. */
  jbuf_reset(&b);
  assert_int_equal(jbuf_addstr(&b, "{\"Functions\":[],\"x\":"), 0);
  for(int i = 0; i < 20; i++)
    assert_int_equal(jbuf_addstr(&b, "{\"y\":"), 0);
  assert_int_equal(jbuf_addstr(&b, "0"), 0);
  for(int i = 0; i < 20; i++)
    assert_int_equal(jbuf_addstr(&b, "}"), 0);
  assert_int_equal(jbuf_addstr(&b, "}"), 0);
  assert_int_equal(wire_lambda_parse_list_functions(b.ptr, b.len, &p),
                   JAN_EPARSE);
  jbuf_free(&b);

  /* A repeated key: the last one counts (json-c's rule), never a mix. */
  assert_int_equal(wire_lambda_parse_list_functions(S(
    "{\"Functions\":[{\"FunctionName\":\"a\",\"MemorySize\":128,"
    "\"FunctionName\":\"b\"}],\"Functions\":[{\"FunctionName\":\"c\"}]}"),
    &p), JAN_OK);
  assert_int_equal(p.n, 1);
  assert_string_equal(p.v[0].name, "c");
  assert_int_equal(p.v[0].memory_mb, 0);
  wire_function_page_free(&p);
  assert_int_equal(wire_lambda_parse_list_functions(S(
    "{\"Functions\":[{\"FunctionName\":\"a\",\"FunctionName\":\"b\"}]}"),
    &p), JAN_OK);
  assert_string_equal(p.v[0].name, "b");
  wire_function_page_free(&p);
}

static void test_list_layers(void **state)
{
  struct wire_layer_page p;
  size_t n;
  char *b;
  (void)state;

  b = load("list_layers.json", &n);
  assert_int_equal(wire_lambda_parse_list_layers(b, n, &p), JAN_OK);
  assert_int_equal(p.n, 2);
  assert_null(p.next_marker);
  assert_string_equal(p.v[0].name, "remotion-binaries-chromium-arm64");
  assert_string_equal(p.v[0].arn, "arn:aws:lambda:us-east-1:123456789012:"
                                  "layer:remotion-binaries-chromium-arm64");
  assert_int_equal(p.v[0].latest_version, 3);
  assert_int_equal(p.v[0].latest_created, 1542236632);
  assert_string_equal(p.v[1].name, "other-layer");
  assert_int_equal(p.v[1].latest_version, 0);
  assert_int_equal(p.v[1].latest_created, WIRE_TIME_UNKNOWN);
  wire_layer_page_free(&p);
  free(b);

  assert_int_equal(wire_lambda_parse_list_layers(S(
    "{\"Layers\":[{\"LayerName\":\"x\",\"LatestMatchingVersion\":5}]}"), &p),
    JAN_EPARSE);
  assert_int_equal(wire_lambda_parse_list_layers(S(
    "{\"Layers\":[{\"LayerName\":\"x\",\"LatestMatchingVersion\":"
    "{\"Version\":\"3\"}}]}"), &p), JAN_EPARSE);
  assert_int_equal(wire_lambda_parse_list_layers(S(
    "{\"Layers\":[{\"LayerArn\":\"x\"}]}"), &p), JAN_EPARSE);
  assert_int_equal(wire_lambda_parse_list_layers(S(
    "{\"Functions\":[]}"), &p), JAN_EPARSE);
  assert_null(p.v);
  assert_int_equal(wire_lambda_parse_list_layers(S(
    "{\"Layers\":[{\"LayerName\":\"x\",\"LatestMatchingVersion\":null}]}"),
    &p), JAN_OK);
  assert_int_equal(p.v[0].latest_version, 0);
  wire_layer_page_free(&p);
}

static void test_layer_versions(void **state)
{
  struct wire_layer_version_page p;
  struct wire_layer_version lv;
  size_t n;
  char *b;
  (void)state;

  b = load("list_layer_versions.json", &n);
  assert_int_equal(wire_lambda_parse_list_layer_versions(b, n, &p), JAN_OK);
  assert_int_equal(p.n, 2);
  assert_null(p.next_marker);
  assert_int_equal(p.v[0].version, 2);
  assert_string_equal(p.v[0].arn, "arn:aws:lambda:us-east-1:123456789012:"
                                  "layer:remotion-binaries-fonts-arm64:2");
  assert_int_equal(p.v[0].created, 1682936430);
  assert_int_equal(p.v[1].version, 1);
  assert_int_equal(p.v[1].created, 1483228799);
  wire_layer_version_page_free(&p);
  free(b);

  b = load("get_layer_version.json", &n);
  assert_int_equal(wire_lambda_parse_get_layer_version(b, n, &lv), JAN_OK);
  assert_int_equal(lv.version, 7);
  assert_string_equal(lv.arn, "arn:aws:lambda:us-east-1:123456789012:"
                              "layer:remotion-binaries-fonts-arm64:7");
  assert_int_equal(lv.created, 1542236632);
  wire_layer_version_free(&lv);
  assert_null(lv.arn);
  /* A list answer is not a GetLayerVersion answer. */
  free(b);
  b = load("list_layer_versions.json", &n);
  assert_int_equal(wire_lambda_parse_get_layer_version(b, n, &lv),
                   JAN_EPARSE);
  free(b);

  static const char *const bad[] = {
    "{\"LayerVersions\":[{\"Version\":0}]}",
    "{\"LayerVersions\":[{\"LayerVersionArn\":\"a\"}]}",
    "{\"LayerVersions\":[{\"Version\":null}]}",
    "{\"LayerVersions\":[{\"Version\":\"1\"}]}",
    ("{\"LayerVersions\":[{\"Version\":1,\"CreatedDate\":\"2019-02-29T00:00:"
     "00.000+0000\"}]}"),
    "{\"LayerVersions\":[{\"Version\":1,\"CreatedDate\":null},7]}",
    "{\"LayerVersions\":{}}",
    "{\"Layers\":[]}",
  };
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(wire_lambda_parse_list_layer_versions(bad[i], strlen(bad[i]), &p) !=
       JAN_EPARSE)
      fail_msg("accepted: %s", bad[i]);
    assert_null(p.v);
  }
  assert_int_equal(wire_lambda_parse_get_layer_version(S(
    "{\"Version\":3,\"CreatedDate\":null,\"LayerVersionArn\":null}"), &lv),
    JAN_OK);
  assert_int_equal(lv.version, 3);
  assert_null(lv.arn);
  assert_int_equal(lv.created, WIRE_TIME_UNKNOWN);
  wire_layer_version_free(&lv);
  assert_int_equal(wire_lambda_parse_get_layer_version(S(
    "{\"Version\":3,\"LayerVersionArn\":7}"), &lv), JAN_EPARSE);
  assert_null(lv.arn);
  assert_int_equal(wire_lambda_parse_get_layer_version(S("[{}]"), &lv),
                   JAN_EPARSE);
}

/* ---- STS and IAM ---- */

static void test_caller_identity(void **state)
{
  struct wire_identity id;
  size_t n;
  char *b;
  (void)state;

  b = load("caller_identity.xml", &n);
  assert_int_equal(wire_sts_parse_caller_identity(b, n, &id), JAN_OK);
  assert_string_equal(id.account, "123456789012");
  assert_string_equal(id.arn, "arn:aws:iam::123456789012:user/Alice");
  assert_string_equal(id.user_id, "AIDACKCEVSQ6C2EXAMPLE");
  wire_identity_free(&id);
  free(b);

  assert_int_equal(wire_sts_parse_caller_identity(S(
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "000000000001</Account><Arn>arn:aws:sts::000000000001:assumed-role/r/s"
    "</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>"), &id),
    JAN_OK);
  assert_string_equal(id.account, "000000000001");
  assert_null(id.user_id);
  wire_identity_free(&id);

  static const char *const bad[] = {
    /* An ARN that is not one (it is printed and sent back as is). */
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "123456789012</Account><Arn>arn:aws:iam::123456789012:user/a&#10;b</Arn>"
    "</GetCallerIdentityResult></GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "123456789012</Account><Arn>user/a</Arn>"
    "</GetCallerIdentityResult></GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>12345678901"
    "</Account><Arn>a</Arn></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "1234567890123</Account><Arn>a</Arn></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "12345678901a</Account><Arn>a</Arn></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    " 23456789012</Account><Arn>a</Arn></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "123456789012</Account></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn>"
    "</GetCallerIdentityResult></GetCallerIdentityResponse>",
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
    "123456789012</Account><Account>123456789012</Account><Arn>a</Arn>"
    "</GetCallerIdentityResult></GetCallerIdentityResponse>",
    /* The account outside the result element does not count. */
    "<GetCallerIdentityResponse><Account>123456789012</Account>"
    "<GetCallerIdentityResult><Arn>a</Arn></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>",
    "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error>"
    "</ErrorResponse>",
  };
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    if(wire_sts_parse_caller_identity(bad[i], strlen(bad[i]), &id) !=
       JAN_EPARSE)
      fail_msg("accepted case %zu", i);
    assert_null(id.arn);
    assert_string_equal(id.account, "");
  }
}

static void test_simulate(void **state)
{
  static struct wire_eval dummy;
  struct wire_eval *v;
  size_t n, len;
  int trunc;
  char *marker, *b;
  (void)state;

  b = load("simulate.xml", &len);
  assert_int_equal(wire_iam_parse_simulate(b, len, &v, &n, &trunc, &marker),
                   JAN_OK);
  /* The nested <member>s (statements, resource results) are not entries. */
  assert_int_equal(n, 2);
  assert_true(trunc);
  assert_string_equal(marker, "AAEAAbcdef+/=");
  assert_string_equal(v[0].action, "s3:ListBucket");
  assert_string_equal(v[0].resource, "arn:aws:s3:::remotionlambda-*");
  assert_string_equal(v[0].decision, "allowed");
  assert_string_equal(v[1].action, "lambda:ListLayerVersions");
  assert_string_equal(v[1].decision, "implicitDeny");
  wire_eval_list_free(v, n);
  free(marker);
  free(b);

  assert_int_equal(wire_iam_parse_simulate(S(
    "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
    "<IsTruncated>false</IsTruncated><EvaluationResults><member>"
    "<EvalActionName>s3:DeleteObject</EvalActionName><EvalDecision>"
    "explicitDeny</EvalDecision></member></EvaluationResults>"
    "</SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>"),
    &v, &n, &trunc, &marker), JAN_OK);
  assert_int_equal(n, 1);
  assert_false(trunc);
  assert_null(marker);
  assert_null(v[0].resource);
  assert_string_equal(v[0].decision, "explicitDeny");
  wire_eval_list_free(v, n);

  static const char *const bad[] = {
    "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
    "<IsTruncated>true</IsTruncated></SimulatePrincipalPolicyResult>"
    "</SimulatePrincipalPolicyResponse>",
    "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
    "<EvaluationResults><member><EvalActionName>a</EvalActionName>"
    "<EvalDecision>maybe</EvalDecision></member></EvaluationResults>"
    "</SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>",
    "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
    "<EvaluationResults><member><EvalActionName>a</EvalActionName>"
    "</member></EvaluationResults></SimulatePrincipalPolicyResult>"
    "</SimulatePrincipalPolicyResponse>",
    "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
    "<EvaluationResults><member><EvalDecision>allowed</EvalDecision>"
    "</member></EvaluationResults></SimulatePrincipalPolicyResult>"
    "</SimulatePrincipalPolicyResponse>",
    "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
    "<EvaluationResults><member><EvalActionName>a</EvalActionName>"
    "<EvalDecision>allowed</EvalDecision><EvalDecision>implicitDeny"
    "</EvalDecision></member></EvaluationResults>"
    "</SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>",
    "<SimulateCustomPolicyResponse/>",
    ("<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
     "<EvaluationResults><member><EvalActionName>a</EvalActionName>"),
  };
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    v = &dummy;                   /* must be reset */
    marker = (char[]){"x"};
    if(wire_iam_parse_simulate(bad[i], strlen(bad[i]), &v, &n, &trunc,
                               &marker) != JAN_EPARSE)
      fail_msg("accepted case %zu", i);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_null(marker);
  }
}

static void test_get_user(void **state)
{
  struct wire_user u;
  size_t n;
  char *b;
  (void)state;

  b = load("get_user.xml", &n);
  assert_int_equal(wire_iam_parse_get_user(b, n, &u), JAN_OK);
  assert_string_equal(u.name, "remotion-user");
  assert_string_equal(u.arn, "arn:aws:iam::123456789012:user/remotion-user");
  wire_user_free(&u);
  free(b);

  /* The root user has no UserName. */
  assert_int_equal(wire_iam_parse_get_user(S(
    "<GetUserResponse><GetUserResult><User><UserId>123456789012</UserId>"
    "<Arn>arn:aws:iam::123456789012:root</Arn></User></GetUserResult>"
    "</GetUserResponse>"), &u), JAN_OK);
  assert_null(u.name);
  assert_string_equal(u.arn, "arn:aws:iam::123456789012:root");
  wire_user_free(&u);

  assert_int_equal(wire_iam_parse_get_user(S(
    "<GetUserResponse><GetUserResult><User><UserName>x</UserName></User>"
    "</GetUserResult></GetUserResponse>"), &u), JAN_EPARSE);
  assert_null(u.name);
  assert_int_equal(wire_iam_parse_get_user(S(
    "<GetUserResponse><GetUserResult><Arn>a</Arn></GetUserResult>"
    "</GetUserResponse>"), &u), JAN_EPARSE);
  assert_int_equal(wire_iam_parse_get_user(S(
    "<GetUserResponse><GetUserResult><User><Arn>a</Arn><Arn>b</Arn></User>"
    "</GetUserResult></GetUserResponse>"), &u), JAN_EPARSE);
}

/* ---- Remotion function names ---- */

static const struct fn_case {
  const char *name;
  const char *version;
  unsigned mem, disk, timeout;
} fn_ok[] = {
  {"remotion-render-4-0-100-mem2048mb-disk2048mb-120sec",
   "4.0.100", 2048, 2048, 120},
  {"remotion-render-3-3-0-mem128mb-disk512mb-1sec", "3.3.0", 128, 512, 1},
  {"remotion-render-4-0-340-mem10240mb-disk10240mb-900sec",
   "4.0.340", 10240, 10240, 900},
  {"remotion-render-4-0-100-bet-mem3008mb-disk10240mb-300sec",
   "4.0.100-bet", 3008, 10240, 300},
  {"remotion-render-4-0-0-alph-mem2048mb-disk2048mb-240sec",
   "4.0.0-alph", 2048, 2048, 240},
  {"remotion-render-3-0-0-lambda-12-mem1536mb-disk512mb-60sec",
   "3.0.0-lambda-12", 1536, 512, 60},
  {"remotion-render-4-0-10000--mem2048mb-disk2048mb-120sec",
   "4.0.10000-", 2048, 2048, 120},
  {"remotion-render-10-20-30-mem2048mb-disk2048mb-120sec",
   "10.20.30", 2048, 2048, 120},
  /* The longest version that fits: 31 characters. */
  {"remotion-render-1-2-3-4567890123456789012345678-mem128mb-disk512mb-1sec",
   "1.2.3-4567890123456789012345678", 128, 512, 1},
  /* A "-mem" inside the version: the last one splits. */
  {"remotion-render-4-0-1-memo-mem2048mb-disk2048mb-120sec",
   "4.0.1-memo", 2048, 2048, 120},
};

static const char *const fn_bad[] = {
  "remotion-render-abcdef1234",                         /* <hash> */
  "remotion-render-2021-06-01-2048mb-120sec",           /* <date> */
  "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec ",
  " remotion-render-4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem2048mb-disk2048mb-120secx",
  "remotion-render-4-0-100-mem2048mb-disk2048mb-120s",
  "remotion-render-4-0-100-mem2048mb-disk2048mb-sec",
  "remotion-render-4-0-100-mem2048mb-2048mb-120sec",
  "remotion-render-4-0-100-mem2048-disk2048mb-120sec",
  "remotion-render-4-0-100mem2048mb-disk2048mb-120sec",
  "Remotion-render-4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-renderer-4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-render4-0-100-mem2048mb-disk2048mb-120sec",
  "xremotion-render-4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-stitcher-4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-render--mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-mem2048mb-disk2048mb-120sec",
  "remotion-render-4--0-100-mem2048mb-disk2048mb-120sec",
  "remotion-render--4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100x-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-x100-mem2048mb-disk2048mb-120sec",
  "remotion-render-v4-0-100-mem2048mb-disk2048mb-120sec",
  "remotion-render-4.0.100-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100+1-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-BETA-mem2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-a_b-mem2048mb-disk2048mb-120sec",
  "remotion-render-1-2-3-45678901234567890123456789-mem128mb-disk512mb-1sec",
  "remotion-render-4-0-100-mem127mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem10241mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem2048mb-disk511mb-120sec",
  "remotion-render-4-0-100-mem2048mb-disk10241mb-120sec",
  "remotion-render-4-0-100-mem2048mb-disk2048mb-0sec",
  "remotion-render-4-0-100-mem2048mb-disk2048mb-901sec",
  "remotion-render-4-0-100-mem02048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem2048mb-disk2048mb-0120sec",
  "remotion-render-4-0-100-mem+2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem-2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem 2048mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem4294969344mb-disk2048mb-120sec",
  "remotion-render-4-0-100-mem99999999999999999999mb-disk2048mb-120sec",
  ("remotion-render-4-0-100-mem2048mb-disk2048mb-120sec-mem2048mb-disk2048mb"
   "-120sec"),
  "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec\n",
  "remotion-render-4-0-100-mem2048MB-disk2048mb-120sec",
  "remotion-render-", "remotion-", "", "-mem2048mb-disk2048mb-120sec",
};

static void test_remotion_names(void **state)
{
  struct remotion_fn f;
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(fn_ok); i++) {
    int rc = remotion_parse_function_name(fn_ok[i].name, &f);
    if(rc)
      fail_msg("refused: %s", fn_ok[i].name);
    assert_string_equal(f.version, fn_ok[i].version);
    assert_int_equal(f.memory_mb, fn_ok[i].mem);
    assert_int_equal(f.disk_mb, fn_ok[i].disk);
    assert_int_equal(f.timeout_s, fn_ok[i].timeout);
  }
  for(size_t i = 0; i < JAN_ARRAY_SIZE(fn_bad); i++) {
    memset(&f, 'x', sizeof(f));
    if(remotion_parse_function_name(fn_bad[i], &f) != JAN_EPARSE)
      fail_msg("accepted: %s", fn_bad[i]);
    assert_string_equal(f.version, "");
    assert_int_equal(f.memory_mb, 0);
  }
  assert_int_equal(remotion_parse_function_name(NULL, &f), JAN_EPARSE);
}

/* Whatever parses starts with "remotion-": checked on mutations. */
static void test_remotion_property(void **state)
{
  static const char alphabet[] = "remotion-0123456789abcdeksxyz.+ \x01";
  char name[80];
  struct remotion_fn f;
  int parsed = 0;
  (void)state;

  srand(7);
  for(int round = 0; round < 200000; round++) {
    const char *base = fn_ok[(size_t)round % JAN_ARRAY_SIZE(fn_ok)].name;
    size_t n = strlen(base);
    memcpy(name, base, n + 1);
    for(int j = 0; j < 1 + round % 3; j++) {
      size_t at = (size_t)rand() % n;
      name[at] = alphabet[(size_t)rand() % (sizeof(alphabet) - 1)];
    }
    if(round % 5 == 0)
      name[(size_t)rand() % n] = '\0';
    if(remotion_parse_function_name(name, &f) == JAN_OK) {
      parsed++;
      assert_int_equal(strncmp(name, "remotion-render-", 16), 0);
      assert_true(f.memory_mb >= 128 && f.memory_mb <= 10240);
      assert_true(f.disk_mb >= 512 && f.disk_mb <= 10240);
      assert_true(f.timeout_s >= 1 && f.timeout_s <= 900);
      assert_true(strlen(f.version) >= 5);
    }
  }
  /* The mutations do leave some valid names (so the check ran). */
  assert_true(parsed > 1000);
}

/* ---- issue 23: DescribeLogGroups, ListTags, GetBucketTagging ---- */

static void test_describe_log_groups(void **state)
{
  struct wire_log_group_page p;
  (void)state;

  assert_int_equal(wire_logs_parse_describe_log_groups(S(
    "{\"logGroups\":[{\"logGroupName\":\"/aws/lambda/remotion-a\","
    "\"creationTime\":1704164645999,\"metricFilterCount\":0,"
    "\"arn\":\"arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/remotion-a:*\","
    "\"storedBytes\":1234,\"logGroupClass\":\"STANDARD\","
    "\"dataProtectionStatus\":null},"
    "{\"logGroupName\":\"/aws/lambda-insights\"}],\"nextToken\":\"t+/=\"}"),
    &p), JAN_OK);
  assert_int_equal(p.n, 2);
  assert_string_equal(p.v[0].name, "/aws/lambda/remotion-a");
  assert_int_equal(p.v[0].created, 1704164645);     /* ms, cut to seconds */
  assert_int_equal(p.v[0].stored_bytes, 1234);
  assert_non_null(p.v[0].arn);
  assert_null(p.v[1].arn);
  assert_int_equal(p.v[1].created, WIRE_TIME_UNKNOWN);
  assert_int_equal(p.v[1].stored_bytes, WIRE_SIZE_UNKNOWN);
  assert_string_equal(p.next_token, "t+/=");
  wire_log_group_page_free(&p);
  assert_null(p.v);

  assert_int_equal(wire_logs_parse_describe_log_groups(S(
    "{\"logGroups\":[]}"), &p), JAN_OK);
  assert_int_equal(p.n, 0);
  assert_null(p.next_token);
  wire_log_group_page_free(&p);

  /* Not a listing, or a wrong field: refused, never an empty page. */
  static const char *const bad[] = {
    "{}", "{\"logGroups\":{}}", "{\"logGroups\":null}", "[]",
    "{\"logGroups\":[{}]}",
    "{\"logGroups\":[{\"logGroupName\":\"\"}]}",
    "{\"logGroups\":[{\"logGroupName\":7}]}",
    "{\"logGroups\":[{\"logGroupName\":\"x\",\"storedBytes\":-1}]}",
    "{\"logGroups\":[{\"logGroupName\":\"x\",\"storedBytes\":1.5}]}",
    "{\"logGroups\":[{\"logGroupName\":\"x\",\"storedBytes\":\"1\"}]}",
    "{\"logGroups\":[{\"logGroupName\":\"x\","
    "\"storedBytes\":9007199254740993}]}",
    "{\"logGroups\":[{\"logGroupName\":\"x\",\"creationTime\":\"1\"}]}",
    "{\"logGroups\":[],\"nextToken\":5}",
    "{\"logGroups\":[]} x",
  };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if(wire_logs_parse_describe_log_groups(bad[i], strlen(bad[i]), &p) !=
       JAN_EPARSE)
      fail_msg("accepted %s", bad[i]);
    assert_null(p.v);
    assert_int_equal(p.n, 0);
  }
}

static void test_list_tags(void **state)
{
  struct wire_tag_list t;
  char big[600];
  (void)state;

  assert_int_equal(wire_lambda_parse_list_tags(S(
    "{\"Tags\":{\"keep\":\"yes\",\"empty\":\"\"}}"), &t), JAN_OK);
  assert_int_equal(t.n, 2);
  assert_string_equal(wire_tag_find(&t, "keep"), "yes");
  assert_string_equal(wire_tag_find(&t, "empty"), "");
  assert_null(wire_tag_find(&t, "Keep"));          /* byte for byte */
  assert_null(wire_tag_find(&t, NULL));
  wire_tag_list_free(&t);
  assert_null(t.v);

  assert_int_equal(wire_lambda_parse_list_tags(S("{\"Tags\":{}}"), &t),
                   JAN_OK);
  assert_int_equal(t.n, 0);
  assert_null(wire_tag_find(&t, "keep"));
  wire_tag_list_free(&t);

  static const char *const bad[] = {
    "{}", "{\"Tags\":null}", "{\"Tags\":[]}", "{\"Tags\":{\"k\":1}}",
    "{\"Tags\":{\"k\":null}}", "{\"Tags\":{\"\":\"v\"}}",
    "{\"Tags\":{\"k\":\"a\\u0000b\"}}",
  };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if(wire_lambda_parse_list_tags(bad[i], strlen(bad[i]), &t) != JAN_EPARSE)
      fail_msg("accepted %s", bad[i]);
    assert_null(t.v);
  }
  /* A value over 256 bytes. */
  memset(big, 'v', sizeof(big));
  snprintf(big, sizeof(big), "{\"Tags\":{\"k\":\"%0257d\"}}", 0);
  assert_int_equal(wire_lambda_parse_list_tags(big, strlen(big), &t),
                   JAN_EPARSE);
  snprintf(big, sizeof(big), "{\"Tags\":{\"k\":\"%0256d\"}}", 0);
  assert_int_equal(wire_lambda_parse_list_tags(big, strlen(big), &t), JAN_OK);
  wire_tag_list_free(&t);
  /* More than WIRE_TAGS_MAX tags. */
  {
    struct jbuf b;
    jbuf_init(&b, 1u << 20);
    assert_int_equal(jbuf_addstr(&b, "{\"Tags\":{"), 0);
    for(int i = 0; i <= WIRE_TAGS_MAX; i++)
      assert_int_equal(jbuf_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i),
                       0);
    assert_int_equal(jbuf_addstr(&b, "}}"), 0);
    assert_int_equal(wire_lambda_parse_list_tags(b.ptr, b.len, &t),
                     JAN_EPARSE);
    jbuf_free(&b);
  }
}

static void test_bucket_tagging(void **state)
{
  struct wire_tag_list t;
  (void)state;

  assert_int_equal(wire_s3_parse_tagging(S(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
    "<Tag><Key>keep</Key><Value>1</Value></Tag>"
    "<Tag><Key>e</Key><Value></Value></Tag>"
    "<Tag><Key>f</Key><Value/></Tag></TagSet></Tagging>"), &t), JAN_OK);
  assert_int_equal(t.n, 3);
  assert_string_equal(wire_tag_find(&t, "keep"), "1");
  assert_string_equal(wire_tag_find(&t, "e"), "");
  assert_string_equal(wire_tag_find(&t, "f"), "");
  wire_tag_list_free(&t);

  assert_int_equal(wire_s3_parse_tagging(S(
    "<Tagging><TagSet/></Tagging>"), &t), JAN_OK);
  assert_int_equal(t.n, 0);
  wire_tag_list_free(&t);

  static const char *const bad[] = {
    "<Tagging/>", "<Other><TagSet/></Other>",
    "<Tagging><TagSet/><TagSet/></Tagging>",
    "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
    "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
    "<Tagging><TagSet><Tag><Key>k</Key><Key>j</Key><Value>v</Value></Tag>"
    "</TagSet></Tagging>",
    "<Tagging><TagSet><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k"
    "</Key><Value>2</Value></Tag></TagSet></Tagging>",
    "<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet>"
    "</Tagging>",
    "<Tagging><TagSet><Other/></TagSet></Tagging>",
    "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value><X/></Tag></TagSet>"
    "</Tagging>",
    "<Error><Code>NoSuchTagSet</Code></Error>",
  };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if(wire_s3_parse_tagging(bad[i], strlen(bad[i]), &t) != JAN_EPARSE)
      fail_msg("accepted %s", bad[i]);
    assert_null(t.v);
    assert_int_equal(t.n, 0);
  }
}

/* What a server declares as its encoding never makes libxml2 write to
 * stderr (its global handlers: an encoding's conversion failing, an
 * unknown encoding): nothing but the janitor's log goes there. */
static void test_xml_errors_stay_quiet(void **state)
{
  static const char *const bodies[] = {
    "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><ListBucketResult><Name>"
    "\x81\xff\x80</Name></ListBucketResult>",
    "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><ListBucketResult>"
    "\x1b$B\xff\xff</ListBucketResult>",
    "<?xml version=\"1.0\" encoding=\"bogus-enc\"?><ListBucketResult/>",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Error><Code>x</Code></Error>",
    "<Error><Code>\xc3\x28</Code></Error>",
  };
  FILE *f = tmpfile();
  int saved = dup(2);
  long size;
  (void)state;

  assert_true(f && saved >= 0);
  fflush(stderr);
  assert_true(dup2(fileno(f), 2) == 2);
  for(size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    struct wire_object_page p;
    memset(&p, 0, sizeof(p));
    assert_int_not_equal(wire_s3_parse_list_objects_v2(bodies[i],
                                                       strlen(bodies[i]),
                                                       &p), 0);
    wire_object_page_free(&p);
    (void)wire_s3_body_is_error(bodies[i], strlen(bodies[i]));
  }
  fflush(stderr);
  assert_true(dup2(saved, 2) == 2);
  close(saved);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  size = ftell(f);
  fclose(f);
  assert_int_equal(size, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_time_accepts),
    cmocka_unit_test(test_time_rejects),
    cmocka_unit_test(test_time_format),
    cmocka_unit_test(test_error_xml),
    cmocka_unit_test(test_error_xml_truncates_safely),
    cmocka_unit_test(test_error_xml_rejects),
    cmocka_unit_test(test_error_xxe),
    cmocka_unit_test(test_body_is_error),
    cmocka_unit_test(test_xml_errors_stay_quiet),
    cmocka_unit_test(test_error_json),
    cmocka_unit_test(test_list_buckets),
    cmocka_unit_test(test_list_buckets_rejects),
    cmocka_unit_test(test_location),
    cmocka_unit_test(test_list_versions),
    cmocka_unit_test(test_list_versions_url_encoded),
    cmocka_unit_test(test_list_versions_rejects),
    cmocka_unit_test(test_url_decode),
    cmocka_unit_test(test_list_integrity),
    cmocka_unit_test(test_list_objects_v2),
    cmocka_unit_test(test_delete_result),
    cmocka_unit_test(test_xml_billion_laughs),
    cmocka_unit_test(test_xml_doctype_refused),
    cmocka_unit_test(test_xml_limits),
    cmocka_unit_test(test_truncations_and_mutations),
    cmocka_unit_test(test_delete_body_exact),
    cmocka_unit_test(test_delete_body_round_trip),
    cmocka_unit_test(test_delete_body_limits),
    cmocka_unit_test(test_key_xml_safe),
    cmocka_unit_test(test_uri_encoding),
    cmocka_unit_test(test_list_functions),
    cmocka_unit_test(test_lambda_paging_fields),
    cmocka_unit_test(test_list_functions_rejects),
    cmocka_unit_test(test_json_depth_and_duplicates),
    cmocka_unit_test(test_list_layers),
    cmocka_unit_test(test_describe_log_groups),
    cmocka_unit_test(test_list_tags),
    cmocka_unit_test(test_bucket_tagging),
    cmocka_unit_test(test_layer_versions),
    cmocka_unit_test(test_caller_identity),
    cmocka_unit_test(test_simulate),
    cmocka_unit_test(test_get_user),
    cmocka_unit_test(test_remotion_names),
    cmocka_unit_test(test_remotion_property),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  xmlCleanupParser();
  return rc;
}
