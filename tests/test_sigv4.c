/*
 * SigV4 signer tests.
 *
 * 1. The official AWS test suite (38 cases in $JAN_SHARED_DIR/testdata/
 *    sigv4/v4, read at run time, one cmocka test per case) and the two
 *    smithy-rs double-encode cases: canonical request, string to sign and
 *    signature byte for byte, plus the Authorization header.
 * 2. The project's own cases, which run everywhere: the worked examples of
 *    the AWS documentation, and S3-mode cases whose expected values came
 *    from botocore's S3SigV4Auth (tests/sigv4/botocore_s3_cases.py, run
 *    once by hand; this program does not need python).
 * 3. The pieces: canonical URI and query, the key cache, limits, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <dirent.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <json.h>

#include "janitor/sigv4.h"

#define NUM_V4_CASES 38

/* Path sizes are nested so that no snprintf below can truncate. */
static char g_shared[2048];
static char g_v4dir[2100];
static char g_extradir[2100];

/* ---------------------------------------------------------------------- */
/* Helpers */

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0, cap = 0;

  if(!f)
    return NULL;
  for(;;) {
    size_t got;
    if(cap - n < 4096) {
      char *nb;
      cap = cap ? cap * 2 : 8192;
      nb = realloc(buf, cap + 1);
      if(!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
    if(got == 0)
      break;
  }
  fclose(f);
  buf[n] = '\0';
  if(len)
    *len = n;
  return buf;
}

static char *slurp2(const char *dir, const char *file)
{
  char path[2800];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  return slurp(path, NULL);
}

/* "YYYYMMDDTHHMMSSZ" to time_t. */
static time_t amz_time(const char *s)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  assert_int_equal(sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year,
                          &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                          &tm.tm_sec), 6);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (context.json) to time_t. */
static time_t iso_time(const char *s)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
                          &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                   6);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

/*
 * request.txt: "METHOD SP target SP HTTP/1.1", then "Name:value" lines up
 * to a blank line, then the body.  A line that starts with whitespace
 * continues the previous value: its line break becomes a space (what an
 * HTTP parser does with obs-fold), and the signer collapses the run.
 * X-Amz-Date is dropped: the signer owns that header.
 */
#define MAX_PARSED_HEADERS 32
struct parsed_req {
  char *text;
  const char *method, *path, *query;
  struct sigv4_header h[MAX_PARSED_HEADERS];
  size_t nh;
  const char *body;
  size_t body_len;
};

static void parse_request(const char *dir, struct parsed_req *r)
{
  char *p, *nl, *sp1, *sp2, *q, *prev_end = NULL;
  size_t len;
  char path[2800];

  memset(r, 0, sizeof(*r));
  snprintf(path, sizeof(path), "%s/request.txt", dir);
  r->text = slurp(path, &len);
  assert_non_null(r->text);

  nl = strchr(r->text, '\n');
  assert_non_null(nl);
  *nl = '\0';
  sp1 = strchr(r->text, ' ');
  sp2 = strrchr(r->text, ' ');
  assert_true(sp1 && sp2 && sp1 < sp2);
  assert_string_equal(sp2 + 1, "HTTP/1.1");
  *sp1 = '\0';
  *sp2 = '\0';
  r->method = r->text;
  r->path = sp1 + 1;
  q = strchr(sp1 + 1, '?');
  if(q) {
    *q = '\0';
    r->query = q + 1;
  }

  p = nl + 1;
  for(;;) {
    char *end;
    nl = strchr(p, '\n');
    end = nl ? nl : p + strlen(p);
    if(end == p) {
      /* Blank line (or end of file): the body follows. */
      if(prev_end)
        *prev_end = '\0';
      r->body = nl ? nl + 1 : end;
      break;
    }
    if(*p == ' ' || *p == '\t') {
      assert_non_null(prev_end);
      *prev_end = ' ';
    }
    else {
      char *colon = memchr(p, ':', (size_t)(end - p));
      if(prev_end)
        *prev_end = '\0';
      assert_non_null(colon);
      *colon = '\0';
      assert_true(r->nh < MAX_PARSED_HEADERS);
      r->h[r->nh].name = p;
      r->h[r->nh].value = colon + 1;
      r->nh++;
    }
    prev_end = end;
    if(!nl) {
      r->body = end;
      break;
    }
    p = nl + 1;
  }
  r->body_len = len - (size_t)(r->body - r->text);

  /* Drop X-Amz-Date; the rest keep their order. */
  {
    size_t k = 0;
    for(size_t i = 0; i < r->nh; i++)
      if(strcasecmp(r->h[i].name, "x-amz-date"))
        r->h[k++] = r->h[i];
    r->nh = k;
  }
}

/* The Authorization value in a header-signed-request.txt. */
static char *signed_authorization(const char *dir)
{
  char *text = slurp2(dir, "header-signed-request.txt");
  char *line, *save = NULL, *res = NULL;

  assert_non_null(text);
  for(line = strtok_r(text, "\n", &save); line;
      line = strtok_r(NULL, "\n", &save)) {
    if(!strncasecmp(line, "Authorization:", 14)) {
      const char *v = line + 14;
      while(*v == ' ')
        v++;
      res = strdup(v);
      break;
    }
  }
  free(text);
  assert_non_null(res);
  return res;
}

static void assert_file_equal(const char *dir, const char *file,
                              const char *actual)
{
  char *want = slurp2(dir, file);
  if(!want)
    fail_msg("cannot read %s/%s", dir, file);
  assert_string_equal(actual, want);
  free(want);
}

/* smithy-rs ends some of its files with a newline; the v4 files do not. */
static void assert_file_equal_nl(const char *dir, const char *file,
                                 const char *actual)
{
  char *want = slurp2(dir, file);
  size_t n;
  if(!want)
    fail_msg("cannot read %s/%s", dir, file);
  n = strlen(want);
  if(n && want[n - 1] == '\n')
    want[n - 1] = '\0';
  assert_string_equal(actual, want);
  free(want);
}

static int sign_parsed(const struct parsed_req *r, const char *akid,
                       const char *secret, const char *token,
                       const char *region, const char *service, time_t when,
                       unsigned flags, struct sigv4_cache *cache,
                       struct sigv4_result *out)
{
  struct sigv4_request req = {
    .method = r->method, .path = r->path, .query = r->query,
    .headers = r->h, .nheaders = r->nh, .body = r->body,
    .body_len = r->body_len
  };
  struct sigv4_creds cr = {
    .access_key = akid, .secret_key = secret, .session_token = token
  };
  struct sigv4_params p = {
    .region = region, .service = service, .when = when, .flags = flags
  };
  return sigv4_sign(&req, &cr, &p, cache, out);
}

/* ---------------------------------------------------------------------- */
/* 1. The official vectors */

static char **g_cases;
static size_t g_ncases;

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_case_names(void)
{
  DIR *d = opendir(g_v4dir);
  struct dirent *e;
  size_t cap = 0;

  if(!d)
    return -1;
  while((e = readdir(d))) {
    char p[2400];
    struct stat st;
    if(e->d_name[0] == '.')
      continue;
    snprintf(p, sizeof(p), "%s/%s", g_v4dir, e->d_name);
    if(stat(p, &st) || !S_ISDIR(st.st_mode))
      continue;
    if(g_ncases == cap) {
      char **n;
      cap = cap ? cap * 2 : 64;
      n = realloc(g_cases, cap * sizeof(*n));
      if(!n)
        abort();
      g_cases = n;
    }
    g_cases[g_ncases++] = strdup(e->d_name);
  }
  closedir(d);
  if(g_ncases)
    qsort(g_cases, g_ncases, sizeof(*g_cases), name_cmp);
  return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
  struct json_object *v;
  if(!json_object_object_get_ex(o, key, &v))
    return NULL;
  return json_object_get_string(v);
}

static int jbool(struct json_object *o, const char *key)
{
  struct json_object *v;
  if(!json_object_object_get_ex(o, key, &v))
    return 0;
  return json_object_get_boolean(v) ? 1 : 0;
}

static void test_vector(void **state)
{
  const char *name = *state;
  char dir[2400], ctxpath[2600];
  struct json_object *ctx, *creds;
  struct parsed_req r;
  struct sigv4_result out;
  struct sigv4_cache *cache;
  unsigned flags = 0;
  char *auth;
  const char *token;

  snprintf(dir, sizeof(dir), "%s/%s", g_v4dir, name);
  snprintf(ctxpath, sizeof(ctxpath), "%s/context.json", dir);
  ctx = json_object_from_file(ctxpath);
  assert_non_null(ctx);
  assert_true(json_object_object_get_ex(ctx, "credentials", &creds));
  token = jstr(creds, "token");
  if(jbool(ctx, "normalize"))
    flags |= SIGV4_NORMALIZE;
  if(jbool(ctx, "sign_body"))
    flags |= SIGV4_SIGN_BODY;
  if(jbool(ctx, "omit_session_token"))
    flags |= SIGV4_TOKEN_AFTER;

  parse_request(dir, &r);
  sigv4_result_init(&out);
  cache = calloc(1, sizeof(*cache));
  assert_non_null(cache);
  assert_int_equal(sign_parsed(&r, jstr(creds, "access_key_id"),
                               jstr(creds, "secret_access_key"), token,
                               jstr(ctx, "region"), jstr(ctx, "service"),
                               iso_time(jstr(ctx, "timestamp")), flags,
                               cache, &out), JAN_OK);

  assert_file_equal(dir, "header-canonical-request.txt",
                    jbuf_str(&out.canonical_request));
  assert_file_equal(dir, "header-string-to-sign.txt",
                    jbuf_str(&out.string_to_sign));
  assert_file_equal(dir, "header-signature.txt", out.signature);
  auth = signed_authorization(dir);
  assert_string_equal(jbuf_str(&out.authorization), auth);
  free(auth);
  /* x-amz-content-sha256 goes on the wire exactly when sign_body says. */
  assert_int_equal(out.add_content_sha256, jbool(ctx, "sign_body"));

  sigv4_result_free(&out);
  sigv4_cache_clear(cache);
  free(cache);
  free(r.text);
  json_object_put(ctx);
}

static void test_vector_count(void **state)
{
  static const char *const files[] = {
    "context.json", "request.txt", "header-canonical-request.txt",
    "header-string-to-sign.txt", "header-signature.txt",
    "header-signed-request.txt"
  };
  (void)state;
  /* A case that silently disappears must not shrink the suite. */
  if(g_ncases != NUM_V4_CASES)
    fail_msg("%zu cases in %s, want %d", g_ncases, g_v4dir, NUM_V4_CASES);
  for(size_t i = 0; i < g_ncases; i++) {
    for(size_t j = 0; j < JAN_ARRAY_SIZE(files); j++) {
      char p[2800];
      struct stat st;
      snprintf(p, sizeof(p), "%s/%s/%s", g_v4dir, g_cases[i], files[j]);
      if(stat(p, &st))
        fail_msg("missing %s", p);
    }
  }
}

/* Lambda Invoke with an encoded ARN: "%3A" on the wire, "%253A" signed. */
static void test_extra_double_url_encode(void **state)
{
  char dir[2400];
  struct parsed_req r;
  struct sigv4_result out;
  char *auth;
  (void)state;

  snprintf(dir, sizeof(dir), "%s/double-url-encode", g_extradir);
  parse_request(dir, &r);
  sigv4_result_init(&out);
  assert_int_equal(sign_parsed(&r, "AKIDEXAMPLE",
                               "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               NULL, "us-east-2", "lambda",
                               amz_time("20210511T154045Z"), SIGV4_NORMALIZE,
                               NULL, &out), JAN_OK);
  assert_file_equal(dir, "header-canonical-request.txt",
                    jbuf_str(&out.canonical_request));
  assert_file_equal_nl(dir, "header-string-to-sign.txt",
                       jbuf_str(&out.string_to_sign));
  auth = signed_authorization(dir);
  assert_string_equal(jbuf_str(&out.authorization), auth);
  assert_non_null(strstr(auth, "4b93abbcc68be32bd64c18e2c71150660ab4c29bbd6c3"
                               "2a383a7517a88fc1804"));
  free(auth);
  sigv4_result_free(&out);
  free(r.text);
}

/*
 * API Gateway path with '@' and "%3D".  Upstream's canonical request was
 * made at 20210511T154045Z and its signed request at 20150830T123600Z, so
 * each is compared with a signature made at its own time.
 */
static void test_extra_double_encode_path(void **state)
{
  char dir[2400];
  struct parsed_req r;
  struct sigv4_result out;
  char *auth;
  (void)state;

  snprintf(dir, sizeof(dir), "%s/double-encode-path", g_extradir);
  parse_request(dir, &r);
  sigv4_result_init(&out);
  assert_int_equal(sign_parsed(&r, "ANOTREAL",
                               "notrealrnrELgWzOk3IfjzDKtFBhDby", NULL,
                               "us-east-1", "service",
                               amz_time("20210511T154045Z"), SIGV4_NORMALIZE,
                               NULL, &out), JAN_OK);
  assert_file_equal(dir, "header-canonical-request.txt",
                    jbuf_str(&out.canonical_request));

  assert_int_equal(sign_parsed(&r, "ANOTREAL",
                               "notrealrnrELgWzOk3IfjzDKtFBhDby", NULL,
                               "us-east-1", "service",
                               amz_time("20150830T123600Z"), SIGV4_NORMALIZE,
                               NULL, &out), JAN_OK);
  auth = signed_authorization(dir);
  assert_string_equal(jbuf_str(&out.authorization), auth);
  assert_non_null(strstr(auth, "57d157672191bac40bae387e48bbe14b15303c001fd"
                               "bb01f4abf295dccb09705"));
  free(auth);
  sigv4_result_free(&out);
  free(r.text);
}

static void test_vectors_required(void **state)
{
  (void)state;
  fail_msg("SigV4 vectors not found at %s (JAN_REQUIRE_SHARED=1)", g_v4dir);
}

static void test_vectors_skipped(void **state)
{
  (void)state;
  skip();
}

/* ---------------------------------------------------------------------- */
/* 2. The project's own end-to-end cases */

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DOC_S3_AKID "AKIAIOSFODNN7EXAMPLE"
#define DOC_S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define BOTO_SECRET "janitorTestSecret/with+chars=0123456789ab"
#define BOTO_TOKEN \
  "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtestTOKEN+/=="

struct own_case {
  const char *name;
  const char *method, *path, *query;
  struct sigv4_header h[4];
  size_t nh;
  const char *body;
  const char *akid, *secret, *token;
  const char *region, *service, *amz_date;
  unsigned flags;
  const char *canonical_request;   /* NULL where none was published */
  const char *string_to_sign;      /* NULL where none was published */
  const char *signature;
};

static const struct own_case own_cases[] = {
  /* AWS General Reference, "Examples of the complete Signature Version 4
   * signing process": IAM ListUsers. */
  { "doc-iam-listusers", "GET", "/", "Action=ListUsers&Version=2010-05-08",
    { { "Host", "iam.amazonaws.com" },
      { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" } },
    2, "", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
    "us-east-1", "iam", "20150830T123600Z", SIGV4_NORMALIZE,
    "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
    "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "content-type;host;x-amz-date\n" EMPTY_SHA,
    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7" },
  /* Amazon S3 API Reference, "Signature Calculations for the Authorization
   * Header: Transferring Payload in a Single Chunk": the four examples. */
  { "doc-s3-get-object", "GET", "/test.txt", NULL,
    { { "Host", "examplebucket.s3.amazonaws.com" },
      { "Range", "bytes=0-9" } },
    2, "", DOC_S3_AKID, DOC_S3_SECRET, NULL, "us-east-1", "s3",
    "20130524T000000Z", SIGV4_S3,
    "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
    "range:bytes=0-9\nx-amz-content-sha256:" EMPTY_SHA "\n"
    "x-amz-date:20130524T000000Z\n\n"
    "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
  { "doc-s3-put-object", "PUT", "/test%24file.text", NULL,
    { { "Host", "examplebucket.s3.amazonaws.com" },
      { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
      { "x-amz-storage-class", "REDUCED_REDUNDANCY" } },
    3, "Welcome to Amazon S3.", DOC_S3_AKID, DOC_S3_SECRET, NULL,
    "us-east-1", "s3", "20130524T000000Z", SIGV4_S3,
    "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
    "host:examplebucket.s3.amazonaws.com\n"
    "x-amz-content-sha256:"
    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
    "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
  { "doc-s3-get-bucket-lifecycle", "GET", "/", "lifecycle",
    { { "Host", "examplebucket.s3.amazonaws.com" } },
    1, "", DOC_S3_AKID, DOC_S3_SECRET, NULL, "us-east-1", "s3",
    "20130524T000000Z", SIGV4_S3,
    "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
    "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
    "host;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
    NULL,
    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
  { "doc-s3-list-objects", "GET", "/", "prefix=J&max-keys=2",
    { { "Host", "examplebucket.s3.amazonaws.com" } },
    1, "", DOC_S3_AKID, DOC_S3_SECRET, NULL, "us-east-1", "s3",
    "20130524T000000Z", SIGV4_S3,
    "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
    "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
    "host;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
    NULL,
    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },

  /* S3 mode, expected values from botocore 1.29 S3SigV4Auth (see
   * tests/sigv4/botocore_s3_cases.py).  Key "renders/a b+c%d". */
  { "boto-s3-space-plus-percent-unsigned-token", "GET",
    "/renders/a%20b%2Bc%25d", NULL,
    { { "Host",
        "remotionlambda-useast1-abcdef1234.s3.us-east-1.amazonaws.com" } },
    1, "", "ASIAEXAMPLEJANITOR01", BOTO_SECRET, BOTO_TOKEN, "us-east-1",
    "s3", "20240301T120000Z", SIGV4_S3 | SIGV4_UNSIGNED_BODY,
    "GET\n/renders/a%20b%2Bc%25d\n\n"
    "host:remotionlambda-useast1-abcdef1234.s3.us-east-1.amazonaws.com\n"
    "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20240301T120000Z\n"
    "x-amz-security-token:" BOTO_TOKEN "\n\n"
    "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
    "UNSIGNED-PAYLOAD",
    "AWS4-HMAC-SHA256\n20240301T120000Z\n20240301/us-east-1/s3/aws4_request\n"
    "46a71e2d270669ba48599bb992735160375104a8dbfd8a961476b858882a61b3",
    "218857df3d3fa3fffbfadbdfa4dd8d6ec1797fece438cf0d31533d4b3c1dbf4b" },
  /* Key "renders/x&y<z>=?#/ü ф 🎬.mp4". */
  { "boto-s3-reserved-and-unicode", "GET",
    "/renders/x%26y%3Cz%3E%3D%3F%23/%C3%BC%20%D1%84%20%F0%9F%8E%AC.mp4", NULL,
    { { "Host", "remotionlambda-euwest1-xyz.s3.eu-west-1.amazonaws.com" },
      { "Range", "bytes=0-99" } },
    2, "", "AKIAEXAMPLEJANITOR02", DOC_S3_SECRET, NULL, "eu-west-1", "s3",
    "20251231T235959Z", SIGV4_S3,
    "GET\n/renders/x%26y%3Cz%3E%3D%3F%23/%C3%BC%20%D1%84%20%F0%9F%8E%AC.mp4"
    "\n\nhost:remotionlambda-euwest1-xyz.s3.eu-west-1.amazonaws.com\n"
    "range:bytes=0-99\nx-amz-content-sha256:" EMPTY_SHA "\n"
    "x-amz-date:20251231T235959Z\n\n"
    "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
    "AWS4-HMAC-SHA256\n20251231T235959Z\n20251231/eu-west-1/s3/aws4_request\n"
    "5d0522b615ed863e994e6dcd99b793969f3f63fece89a6a765a70af35405d49c",
    "4255abaf0871fa469f7fad14837e0a6c913bf649baf8f681081831488bfdc6aa" },
  /* Path-style, key "a/../b/./c//d": dot segments and "//" are signed as
   * they are. */
  { "boto-s3-dot-segments-not-normalized", "DELETE",
    "/remotionlambda-eucentral1-q1w2e3/a/../b/./c//d",
    "versionId=3%2FL4kqtJlcpXroDTDmJ%2Brmsy",
    { { "Host", "s3.eu-central-1.amazonaws.com" } },
    1, "", "AKIAEXAMPLEJANITOR03", DOC_S3_SECRET, NULL, "eu-central-1", "s3",
    "20230615T083000Z", SIGV4_S3 | SIGV4_UNSIGNED_BODY,
    "DELETE\n/remotionlambda-eucentral1-q1w2e3/a/../b/./c//d\n"
    "versionId=3%2FL4kqtJlcpXroDTDmJ%2Brmsy\n"
    "host:s3.eu-central-1.amazonaws.com\n"
    "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20230615T083000Z\n\n"
    "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD",
    "AWS4-HMAC-SHA256\n20230615T083000Z\n"
    "20230615/eu-central-1/s3/aws4_request\n"
    "58118ff573a89bf99d9ef96e1e5d14395694000af10bc4187779ae2b6c864b89",
    "e0d1e46ba3f91e12ba859c87ac8e096857033811fc5053c61d7e760492be5f91" },
  /* DeleteObjects: signed XML body, Content-MD5, session token. */
  { "boto-s3-delete-objects-signed-body-token", "POST", "/", "delete",
    { { "Host",
        "remotionlambda-apsoutheast2-zz9.s3.ap-southeast-2.amazonaws.com" },
      { "Content-Type", "application/xml" },
      { "Content-MD5", "xiNIHwofWIW/rnV1KGDs9Q==" } },
    3,
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
    "<Object><Key>renders/a b+c%d&lt;e</Key></Object></Delete>",
    "ASIAEXAMPLEJANITOR04", BOTO_SECRET, BOTO_TOKEN, "ap-southeast-2", "s3",
    "20240229T000001Z", SIGV4_S3,
    "POST\n/\ndelete=\ncontent-md5:xiNIHwofWIW/rnV1KGDs9Q==\n"
    "content-type:application/xml\n"
    "host:remotionlambda-apsoutheast2-zz9.s3.ap-southeast-2.amazonaws.com\n"
    "x-amz-content-sha256:"
    "6a26169caa8e785f64b1c8fccd168f23de5306a0b31d0774bfd0fed1f23d7607\n"
    "x-amz-date:20240229T000001Z\nx-amz-security-token:" BOTO_TOKEN "\n\n"
    "content-md5;content-type;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-security-token\n"
    "6a26169caa8e785f64b1c8fccd168f23de5306a0b31d0774bfd0fed1f23d7607",
    "AWS4-HMAC-SHA256\n20240229T000001Z\n"
    "20240229/ap-southeast-2/s3/aws4_request\n"
    "5a04e1613e5ce5ec3ee5fb9471db34ce7611fe51b778a4469805907d76c87c2b",
    "76fe80e09dc1ba3b5bcb14a04ed28daeed80def01be3f58efad11c885c5e0567" },
  /* ListObjectsV2 with an encoded prefix and continuation token. */
  { "boto-s3-list-objects-v2-query", "GET", "/",
    "list-type=2&prefix=renders%2Fa%20b&continuation-token=1%2Bab%2Fcd%3D%3D"
    "&max-keys=1000&encoding-type=url",
    { { "Host", "remotionlambda-useast2-abc.s3.us-east-2.amazonaws.com" } },
    1, "", "AKIAEXAMPLEJANITOR05", DOC_S3_SECRET, NULL, "us-east-2", "s3",
    "20240704T174530Z", SIGV4_S3 | SIGV4_UNSIGNED_BODY,
    "GET\n/\ncontinuation-token=1%2Bab%2Fcd%3D%3D&encoding-type=url"
    "&list-type=2&max-keys=1000&prefix=renders%2Fa%20b\n"
    "host:remotionlambda-useast2-abc.s3.us-east-2.amazonaws.com\n"
    "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20240704T174530Z\n\n"
    "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD",
    "AWS4-HMAC-SHA256\n20240704T174530Z\n20240704/us-east-2/s3/aws4_request\n"
    "d9c57219cbc48c54346c1ca81059d2f3c5cd25329bec49efa0aa77bb0877d36f",
    "23b79959ed3e3b1e33667453ce8f526b400a40e843cc964c262187958c981a00" },
};

static int sign_own(const struct own_case *c, struct sigv4_cache *cache,
                    struct sigv4_result *out)
{
  struct sigv4_request req = {
    .method = c->method, .path = c->path, .query = c->query,
    .headers = c->h, .nheaders = c->nh, .body = c->body,
    .body_len = strlen(c->body)
  };
  struct sigv4_creds cr = {
    .access_key = c->akid, .secret_key = c->secret,
    .session_token = c->token
  };
  struct sigv4_params p = {
    .region = c->region, .service = c->service,
    .when = amz_time(c->amz_date), .flags = c->flags
  };
  return sigv4_sign(&req, &cr, &p, cache, out);
}

static void test_own_cases(void **state)
{
  struct sigv4_cache *cache = calloc(1, sizeof(*cache));
  (void)state;
  assert_non_null(cache);

  for(size_t i = 0; i < JAN_ARRAY_SIZE(own_cases); i++) {
    const struct own_case *c = &own_cases[i];
    struct sigv4_result out;
    char want_auth[1024];
    const char *nl;
    size_t datelen = 8;

    print_message("  %s\n", c->name);
    sigv4_result_init(&out);
    /* Twice through the cache: a miss, then a hit. */
    for(int round = 0; round < 3; round++) {
      assert_int_equal(sign_own(c, round ? cache : NULL, &out), JAN_OK);
      if(c->canonical_request)
        assert_string_equal(jbuf_str(&out.canonical_request),
                            c->canonical_request);
      if(c->string_to_sign)
        assert_string_equal(jbuf_str(&out.string_to_sign),
                            c->string_to_sign);
      assert_string_equal(out.signature, c->signature);
    }
    assert_string_equal(out.amz_date, c->amz_date);
    /* Authorization: credential scope, the signed-headers line of the
     * canonical request, the signature. */
    nl = strrchr(c->canonical_request, '\n');
    {
      const char *sh = nl - 1;
      while(sh > c->canonical_request && sh[-1] != '\n')
        sh--;
      snprintf(want_auth, sizeof(want_auth),
               "AWS4-HMAC-SHA256 Credential=%s/%.*s/%s/%s/aws4_request, "
               "SignedHeaders=%.*s, Signature=%s", c->akid, (int)datelen,
               c->amz_date, c->region, c->service, (int)(nl - sh), sh,
               c->signature);
    }
    assert_string_equal(jbuf_str(&out.authorization), want_auth);
    /* S3 mode: the canonical URI is the wire path, byte for byte. */
    if(c->flags & SIGV4_S3) {
      const char *uri = strchr(jbuf_str(&out.canonical_request), '\n') + 1;
      assert_int_equal(strcspn(uri, "\n"), strlen(c->path));
      assert_memory_equal(uri, c->path, strlen(c->path));
      assert_int_equal(out.add_content_sha256, 1);
    }
    sigv4_result_free(&out);
  }
  sigv4_cache_clear(cache);
  free(cache);
}

/* ---------------------------------------------------------------------- */
/* 3. S3 mode details */

static void test_s3_uri_is_wire_path(void **state)
{
  static const char *const paths[] = {
    "/", "/bucket/a%20b%2Bc%25d", "/bucket/a%26b%3Cc%3E",
    "/%E1%88%B4/%F0%9F%8E%AC", "/b/a/../c/./d", "//x//", "/b/.", "/b/..",
    "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(paths); i++) {
    struct jbuf b;
    jbuf_init(&b, 4096);
    assert_int_equal(sigv4_canonical_uri(paths[i], SIGV4_S3, &b), JAN_OK);
    assert_string_equal(jbuf_str(&b), paths[i]);
    jbuf_free(&b);
  }
}

/* A wire path S3 would canonicalise differently is refused. */
static void test_s3_uri_refuses_non_canonical(void **state)
{
  static const char *const bad[] = {
    "", "bucket/key", "/a b", "/a+b", "/a%2bc", "/a%41", "/a%2F",
    "/a%7E", "/a%", "/a%4", "/a%zz", "/\xc3\xbc", "/a?b", "/a#b",
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(bad); i++) {
    struct jbuf b;
    jbuf_init(&b, 4096);
    jbuf_addstr(&b, "keep");
    if(sigv4_canonical_uri(bad[i], SIGV4_S3, &b) != JAN_EINVAL)
      fail_msg("accepted S3 wire path \"%s\"", bad[i]);
    assert_string_equal(jbuf_str(&b), "keep");
    jbuf_free(&b);
  }
  {
    struct jbuf b;
    jbuf_init(&b, 4096);
    assert_int_equal(sigv4_canonical_uri("/a", SIGV4_S3 | SIGV4_NORMALIZE,
                                         &b), JAN_EINVAL);
    jbuf_free(&b);
  }
}

static void sign_simple(const char *path, const char *query,
                        const char *token, unsigned flags,
                        struct sigv4_result *out)
{
  struct sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
  struct sigv4_request req = {
    .method = "GET", .path = path, .query = query, .headers = h,
    .nheaders = 1
  };
  struct sigv4_creds cr = {
    .access_key = "AKIDEXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    .session_token = token
  };
  struct sigv4_params p = {
    .region = "us-east-1", .service = "s3",
    .when = amz_time("20150830T123600Z"), .flags = flags
  };
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, out), JAN_OK);
}

static void test_token_signed_or_after(void **state)
{
  struct sigv4_result with, after, none;
  (void)state;
  sigv4_result_init(&with);
  sigv4_result_init(&after);
  sigv4_result_init(&none);

  sign_simple("/k", NULL, "TOKEN123", SIGV4_S3, &with);
  assert_non_null(strstr(jbuf_str(&with.authorization),
                         "SignedHeaders=host;x-amz-content-sha256;"
                         "x-amz-date;x-amz-security-token,"));
  assert_non_null(strstr(jbuf_str(&with.canonical_request),
                         "\nx-amz-security-token:TOKEN123\n"));

  /* Added after signing: the signature is the one made without a token. */
  sign_simple("/k", NULL, "TOKEN123", SIGV4_S3 | SIGV4_TOKEN_AFTER, &after);
  sign_simple("/k", NULL, NULL, SIGV4_S3, &none);
  assert_null(strstr(jbuf_str(&after.canonical_request), "TOKEN123"));
  assert_string_equal(after.signature, none.signature);
  assert_string_not_equal(with.signature, none.signature);

  sigv4_result_free(&with);
  sigv4_result_free(&after);
  sigv4_result_free(&none);
}

static void test_payload_modes(void **state)
{
  struct sigv4_result r;
  (void)state;
  sigv4_result_init(&r);

  sign_simple("/k", NULL, NULL, SIGV4_S3, &r);
  assert_string_equal(r.payload_hash, EMPTY_SHA);
  assert_int_equal(r.add_content_sha256, 1);

  sign_simple("/k", NULL, NULL, SIGV4_S3 | SIGV4_UNSIGNED_BODY, &r);
  assert_string_equal(r.payload_hash, "UNSIGNED-PAYLOAD");
  assert_int_equal(r.add_content_sha256, 1);
  assert_non_null(strstr(jbuf_str(&r.canonical_request),
                         "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));

  /* Default mode: the hash line is there, the header is not. */
  sign_simple("/k", NULL, NULL, 0, &r);
  assert_string_equal(r.payload_hash, EMPTY_SHA);
  assert_int_equal(r.add_content_sha256, 0);
  assert_null(strstr(jbuf_str(&r.canonical_request), "x-amz-content"));

  sign_simple("/k", NULL, NULL, SIGV4_SIGN_BODY | SIGV4_UNSIGNED_BODY, &r);
  assert_string_equal(r.payload_hash, "UNSIGNED-PAYLOAD");
  assert_int_equal(r.add_content_sha256, 1);
  sigv4_result_free(&r);
}

/* ---------------------------------------------------------------------- */
/* 4. Canonical URI (default mode) and query */

struct str_case {
  const char *in;
  unsigned flags;
  const char *want;   /* NULL: JAN_EINVAL expected */
};

static void test_canonical_uri_default(void **state)
{
  static const struct str_case cases[] = {
    { "/", 0, "/" },
    { "/a%3Db", 0, "/a%253Db" },                 /* encoded once more */
    { "/test/@connections/x%3D", SIGV4_NORMALIZE,
      "/test/%40connections/x%253D" },
    { "/example space/", 0, "/example%20space/" },
    { "/\xe1\x88\xb4", 0, "/%E1%88%B4" },
    { "/a+b~c", 0, "/a%2Bb~c" },
    { "/a/b/../c", SIGV4_NORMALIZE, "/a/c" },
    { "/a/b/../c", 0, "/a/b/../c" },
    { "/a/b/..", SIGV4_NORMALIZE, "/a" },
    { "/a/./b/", SIGV4_NORMALIZE, "/a/b/" },
    { "//a///b//", SIGV4_NORMALIZE, "/a/b/" },
    { "/../..", SIGV4_NORMALIZE, "/" },
    { "/..a/.b/...", SIGV4_NORMALIZE, "/..a/.b/..." },
    { "/a%2E%2E/b", SIGV4_NORMALIZE, "/a%252E%252E/b" },
    { "", 0, NULL },
    { "relative", 0, NULL },
    { "/a", 0x100, NULL },
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(cases); i++) {
    struct jbuf b;
    int rc;
    jbuf_init(&b, 4096);
    rc = sigv4_canonical_uri(cases[i].in, cases[i].flags, &b);
    if(!cases[i].want) {
      assert_int_equal(rc, JAN_EINVAL);
      assert_int_equal(b.len, 0);
    }
    else {
      assert_int_equal(rc, JAN_OK);
      assert_string_equal(jbuf_str(&b), cases[i].want);
    }
    jbuf_free(&b);
  }
}

static void test_canonical_query(void **state)
{
  static const struct str_case cases[] = {
    { "", 0, "" },
    /* Encoded markers stay encoded; '+' is a plus, never a space. */
    { "Marker=ab%2Bc%2Fd%3D", 0, "Marker=ab%2Bc%2Fd%3D" },
    { "Marker=ab+c/d=", 0, "Marker=ab%2Bc%2Fd%3D" },
    { "q=a%20b&r=a+b", 0, "q=a%20b&r=a%2Bb" },
    /* Empty values and bare names. */
    { "b=2&a=&c", 0, "a=&b=2&c=" },
    { "lifecycle", 0, "lifecycle=" },
    { "a&&b", 0, "a=&b=" },
    { "=", 0, "=" },
    /* Repeated names sorted by value, after decoding. */
    { "x=b&x=a&x=%41", 0, "x=A&x=a&x=b" },
    /* By name first, then value: not by the joined "name=value". */
    { "a-b=1&a=2", 0, "a=2&a-b=1" },
    { "Param2=value2&Param1=value1", 0, "Param1=value1&Param2=value2" },
    { "b=1&B=1", 0, "B=1&b=1" },
    { "%E1%88%B4=1&Z=2", 0, "%E1%88%B4=1&Z=2" },
    { "\xe1\x88\xb4=bar", 0, "%E1%88%B4=bar" },
    /* Lower-case escapes and escaped unreserved characters normalise. */
    { "k=%7e%2d%2f", 0, "k=~-%2F" },
    { "a=b=c", 0, "a=b%3Dc" },
    { "k=%00", 0, "k=%00" },
    { "list-type=2&prefix=renders%2F&continuation-token=1%2Bab%3D%3D", 0,
      "continuation-token=1%2Bab%3D%3D&list-type=2&prefix=renders%2F" },
    /* Broken escapes are refused. */
    { "a=%zz", 0, NULL },
    { "a=%4", 0, NULL },
    { "a=%", 0, NULL },
    { "%g1=1", 0, NULL },
  };
  (void)state;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(cases); i++) {
    struct jbuf b;
    int rc;
    jbuf_init(&b, 4096);
    jbuf_addstr(&b, ">");
    rc = sigv4_canonical_query(cases[i].in, &b);
    if(!cases[i].want) {
      if(rc != JAN_EINVAL)
        fail_msg("query \"%s\" accepted", cases[i].in);
      assert_string_equal(jbuf_str(&b), ">");
    }
    else {
      if(rc != JAN_OK)
        fail_msg("query \"%s\": %d", cases[i].in, rc);
      assert_string_equal(jbuf_str(&b) + 1, cases[i].want);
    }
    jbuf_free(&b);
  }
  {
    struct jbuf b;
    jbuf_init(&b, 16);
    assert_int_equal(sigv4_canonical_query(NULL, &b), JAN_OK);
    assert_int_equal(b.len, 0);
    jbuf_free(&b);
  }
}

static void test_uri_encode(void **state)
{
  struct jbuf b;
  (void)state;
  jbuf_init(&b, 4096);
  assert_int_equal(sigv4_uri_encode("a b+c/\xc3\xa9~", 9, 0, &b), JAN_OK);
  assert_string_equal(jbuf_str(&b), "a%20b%2Bc%2F%C3%A9~");
  jbuf_reset(&b);
  assert_int_equal(sigv4_uri_encode("a b+c/\xc3\xa9~", 9, 1, &b), JAN_OK);
  assert_string_equal(jbuf_str(&b), "a%20b%2Bc/%C3%A9~");
  jbuf_reset(&b);
  assert_int_equal(sigv4_uri_encode("x\0y", 3, 1, &b), JAN_OK);
  assert_string_equal(jbuf_str(&b), "x%00y");
  jbuf_free(&b);

  /* A cap reached in the middle leaves the buffer as it was. */
  jbuf_init(&b, 8);
  jbuf_addstr(&b, "ab");
  assert_int_equal(sigv4_uri_encode("      ", 6, 0, &b), JAN_ETOOBIG);
  assert_string_equal(jbuf_str(&b), "ab");
  jbuf_free(&b);
}

/* Header names, values and repeats, through the whole signer. */
static void test_canonical_headers(void **state)
{
  struct sigv4_header h[] = {
    { "X-Amz-Meta-B", "  two   spaces\tand tab  " },
    { "host", "example.amazonaws.com" },
    { "X-AMZ-META-A", "1" },
    { "x-amz-meta-b", "second" },
    { "x-amz-meta-empty", "   " },
  };
  struct sigv4_request req = {
    .method = "PUT", .path = "/", .headers = h,
    .nheaders = JAN_ARRAY_SIZE(h)
  };
  struct sigv4_creds cr = { .access_key = "AKID", .secret_key = "SECRET" };
  struct sigv4_params p = {
    .region = "us-east-1", .service = "lambda", .when = 0
  };
  struct sigv4_result r;
  (void)state;
  sigv4_result_init(&r);
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_OK);
  assert_string_equal(jbuf_str(&r.canonical_request),
                      "PUT\n/\n\n"
                      "host:example.amazonaws.com\n"
                      "x-amz-date:19700101T000000Z\n"
                      "x-amz-meta-a:1\n"
                      "x-amz-meta-b:two spaces and tab,second\n"
                      "x-amz-meta-empty:\n\n"
                      "host;x-amz-date;x-amz-meta-a;x-amz-meta-b;"
                      "x-amz-meta-empty\n" EMPTY_SHA);
  assert_string_equal(r.amz_date, "19700101T000000Z");
  sigv4_result_free(&r);
}

/* ---------------------------------------------------------------------- */
/* 5. The key cache */

static void sign_rs(const char *akid, const char *secret, const char *region,
                    const char *service, time_t when,
                    struct sigv4_cache *cache, char sig[65])
{
  struct sigv4_header h[] = { { "Host", "h.example" } };
  struct sigv4_request req = {
    .method = "GET", .path = "/", .headers = h, .nheaders = 1
  };
  struct sigv4_creds cr = { .access_key = akid, .secret_key = secret };
  struct sigv4_params p = {
    .region = region, .service = service, .when = when, .flags = 0
  };
  struct sigv4_result r;
  sigv4_result_init(&r);
  assert_int_equal(sigv4_sign(&req, &cr, &p, cache, &r), JAN_OK);
  memcpy(sig, r.signature, 65);
  sigv4_result_free(&r);
}

static const char *const regions[] = {
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1",
  "ap-south-1", "ap-east-1", "ap-southeast-1", "ap-southeast-2",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1",
  "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
  "eu-north-1", "me-south-1", "sa-east-1",
};
static const char *const services[] = { "s3", "lambda", "iam", "sts",
                                        "logs" };

static void test_cache_same_signatures(void **state)
{
  struct sigv4_cache *cache = calloc(1, sizeof(*cache));
  time_t day1 = amz_time("20240101T235959Z"), day2 = day1 + 1;
  (void)state;
  assert_non_null(cache);
  sigv4_cache_init(cache);

  /* Interleaved: every lookup has neighbours that differ in one field. */
  for(int pass = 0; pass < 2; pass++) {
    for(size_t i = 0; i < JAN_ARRAY_SIZE(regions); i++) {
      for(size_t j = 0; j < JAN_ARRAY_SIZE(services); j++) {
        for(int d = 0; d < 2; d++) {
          char a[65], b[65];
          time_t when = d ? day2 : day1;
          sign_rs("AKIDEXAMPLE", "secret-one", regions[i], services[j],
                  when, NULL, a);
          sign_rs("AKIDEXAMPLE", "secret-one", regions[i], services[j],
                  when, cache, b);
          assert_string_equal(a, b);
          /* Another access key on the same scope. */
          sign_rs("AKIDOTHER", "secret-two", regions[i], services[j],
                  when, NULL, a);
          sign_rs("AKIDOTHER", "secret-two", regions[i], services[j],
                  when, cache, b);
          assert_string_equal(a, b);
        }
      }
    }
  }

  /* A secret rotated under the same access key id is not served stale. */
  {
    char a[65], b[65], c[65];
    sign_rs("AKIDROTATE", "old-secret", "us-east-1", "s3", day1, cache, a);
    sign_rs("AKIDROTATE", "new-secret", "us-east-1", "s3", day1, cache, b);
    sign_rs("AKIDROTATE", "new-secret", "us-east-1", "s3", day1, NULL, c);
    assert_string_not_equal(a, b);
    assert_string_equal(b, c);
  }
  sigv4_cache_clear(cache);
  free(cache);
}

static struct sigv4_cache_slot *find_slot(struct sigv4_cache *c,
                                          const char *region)
{
  for(size_t i = 0; i < SIGV4_CACHE_SLOTS; i++)
    if(c->slot[i].used && !strcmp(c->slot[i].region, region))
      return &c->slot[i];
  return NULL;
}

static void test_cache_lru(void **state)
{
  struct sigv4_cache *cache = calloc(1, sizeof(*cache));
  char region[32], sig[65], want[65];
  time_t when = amz_time("20240101T000000Z");
  size_t used = 0;
  (void)state;
  assert_non_null(cache);
  sigv4_cache_init(cache);

  /* Fill every slot. */
  for(int i = 0; i < SIGV4_CACHE_SLOTS; i++) {
    snprintf(region, sizeof(region), "r%d", i);
    sign_rs("AKID", "s", region, "s3", when, cache, sig);
  }
  for(size_t i = 0; i < SIGV4_CACHE_SLOTS; i++)
    used += cache->slot[i].used != 0;
  assert_int_equal(used, SIGV4_CACHE_SLOTS);

  /* Touch r0: r1 becomes the least recently used. */
  sign_rs("AKID", "s", "r0", "s3", when, cache, sig);
  sign_rs("AKID", "s", "rnew", "s3", when, cache, sig);
  assert_non_null(find_slot(cache, "rnew"));
  assert_non_null(find_slot(cache, "r0"));
  assert_null(find_slot(cache, "r1"));
  assert_non_null(find_slot(cache, "r2"));

  /* The next miss takes r2, and r1 comes back correct. */
  sign_rs("AKID", "s", "r1", "s3", when, cache, sig);
  sign_rs("AKID", "s", "r1", "s3", when, NULL, want);
  assert_string_equal(sig, want);
  assert_null(find_slot(cache, "r2"));
  assert_non_null(find_slot(cache, "r1"));

  /* A hit serves the stored key: corrupt it and the signature changes. */
  {
    struct sigv4_cache_slot *s = find_slot(cache, "r3");
    assert_non_null(s);
    if(s)
      s->key[0] ^= 1;
    sign_rs("AKID", "s", "r3", "s3", when, cache, sig);
    sign_rs("AKID", "s", "r3", "s3", when, NULL, want);
    assert_string_not_equal(sig, want);
  }

  /* Clear wipes every byte. */
  sigv4_cache_clear(cache);
  {
    const unsigned char *p = (const unsigned char *)cache;
    for(size_t i = 0; i < sizeof(*cache); i++)
      if(p[i])
        fail_msg("cache byte %zu not wiped", i);
  }
  free(cache);
}

/* ---------------------------------------------------------------------- */
/* 6. Errors, limits, secrets */

struct bad_case {
  const char *what;
  struct sigv4_header h[3];
  size_t nh;
  const char *method, *path, *query;
  const char *akid, *secret, *token, *region, *service;
  unsigned flags;
  int want;
};

static void test_refused_inputs(void **state)
{
#define HOST { "Host", "h.example" }
  static const struct bad_case cases[] = {
    { "no host", { { "x-amz-meta-a", "1" } }, 1, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "two hosts", { HOST, { "HOST", "h2" } }, 2, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "caller x-amz-date", { HOST, { "X-Amz-Date", "20150830T123600Z" } }, 2,
      "GET", "/", NULL, "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "caller authorization", { HOST, { "Authorization", "x" } }, 2,
      "GET", "/", NULL, "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "caller x-amz-content-sha256 in S3 mode",
      { HOST, { "x-amz-content-sha256", EMPTY_SHA } }, 2, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", SIGV4_S3, JAN_EINVAL },
    { "caller token header with a token",
      { HOST, { "X-Amz-Security-Token", "T" } }, 2, "GET", "/", NULL,
      "AKID", "S", "T", "us-east-1", "s3", 0, JAN_EINVAL },
    { "LF in a value", { HOST, { "x-a", "a\nInjected: 1" } }, 2, "GET", "/",
      NULL, "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "CR in a value", { HOST, { "x-a", "a\rb" } }, 2, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "space in a name", { HOST, { "x a", "1" } }, 2, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "colon in a name", { HOST, { "x:a", "1" } }, 2, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "empty name", { HOST, { "", "1" } }, 2, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "lower-case method", { HOST }, 1, "get", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "empty method", { HOST }, 1, "", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "relative path", { HOST }, 1, "GET", "a", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "broken query escape", { HOST }, 1, "GET", "/", "a=%x1",
      "AKID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "S3 raw space", { HOST }, 1, "GET", "/a b", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", SIGV4_S3, JAN_EINVAL },
    { "slash in region", { HOST }, 1, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1/x", "s3", 0, JAN_EINVAL },
    { "empty service", { HOST }, 1, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "", 0, JAN_EINVAL },
    { "comma in access key", { HOST }, 1, "GET", "/", NULL,
      "AK,ID", "S", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "empty secret", { HOST }, 1, "GET", "/", NULL,
      "AKID", "", NULL, "us-east-1", "s3", 0, JAN_EINVAL },
    { "token with a newline", { HOST }, 1, "GET", "/", NULL,
      "AKID", "S", "T\nX", "us-east-1", "s3", 0, JAN_EINVAL },
    { "unknown flag", { HOST }, 1, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", 0x400, JAN_EINVAL },
    { "S3 and normalize", { HOST }, 1, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", SIGV4_S3 | SIGV4_NORMALIZE,
      JAN_EINVAL },
    { "unsigned body without the header", { HOST }, 1, "GET", "/", NULL,
      "AKID", "S", NULL, "us-east-1", "s3", SIGV4_UNSIGNED_BODY,
      JAN_EINVAL },
  };
#undef HOST
  struct sigv4_result r;
  (void)state;

  sigv4_result_init(&r);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(cases); i++) {
    const struct bad_case *c = &cases[i];
    struct sigv4_request req = {
      .method = c->method, .path = c->path, .query = c->query,
      .headers = c->h, .nheaders = c->nh
    };
    struct sigv4_creds cr = {
      .access_key = c->akid, .secret_key = c->secret,
      .session_token = c->token
    };
    struct sigv4_params p = {
      .region = c->region, .service = c->service, .when = 1000000000,
      .flags = c->flags
    };
    int rc;
    /* A good signature first, so a failure must also clear it. */
    sign_simple("/k", NULL, NULL, 0, &r);
    rc = sigv4_sign(&req, &cr, &p, NULL, &r);
    if(rc != c->want)
      fail_msg("%s: got %d, want %d", c->what, rc, c->want);
    assert_string_equal(r.signature, "");
    assert_int_equal(r.authorization.len, 0);
    assert_int_equal(r.canonical_request.len, 0);
  }

  /* NULL pieces and bad times. */
  {
    struct sigv4_header h[] = { { "Host", "h" } };
    struct sigv4_request req = {
      .method = "GET", .path = "/", .headers = h, .nheaders = 1,
      .body = NULL, .body_len = 5
    };
    struct sigv4_creds cr = { .access_key = "A", .secret_key = "S" };
    struct sigv4_params p = { .region = "r", .service = "s", .when = 0 };
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_EINVAL);
    req.body_len = 0;
    assert_int_equal(sigv4_sign(NULL, &cr, &p, NULL, &r), JAN_EINVAL);
    assert_int_equal(sigv4_sign(&req, NULL, &p, NULL, &r), JAN_EINVAL);
    assert_int_equal(sigv4_sign(&req, &cr, NULL, NULL, &r), JAN_EINVAL);
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, NULL), JAN_EINVAL);
    p.when = -1;
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_EINVAL);
    p.when = (time_t)253402300800LL;   /* 10000-01-01 */
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_EINVAL);
    p.when = (time_t)253402300799LL;   /* 9999-12-31T23:59:59Z */
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_OK);
    assert_string_equal(r.amz_date, "99991231T235959Z");
    p.when = amz_time("20240229T235959Z");
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_OK);
    assert_string_equal(r.amz_date, "20240229T235959Z");
  }
  sigv4_result_free(&r);
}

static void test_limits(void **state)
{
  struct sigv4_result r;
  struct sigv4_header *h;
  struct sigv4_creds cr = { .access_key = "AKID", .secret_key = "S" };
  struct sigv4_params p = { .region = "us-east-1", .service = "lambda" };
  struct sigv4_request req = { .method = "GET", .path = "/" };
  char *big;
  (void)state;
  sigv4_result_init(&r);

  /* Too many headers. */
  h = calloc(SIGV4_MAX_HEADERS + 1, sizeof(*h));
  assert_non_null(h);
  h[0].name = "Host";
  h[0].value = "h";
  for(size_t i = 1; i <= SIGV4_MAX_HEADERS; i++) {
    h[i].name = "x-amz-meta-a";
    h[i].value = "v";
  }
  req.headers = h;
  req.nheaders = SIGV4_MAX_HEADERS + 1;
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_ETOOBIG);
  req.nheaders = SIGV4_MAX_HEADERS;
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_OK);
  req.nheaders = 1;

  /* A path that would encode past the canonical request cap. */
  big = malloc(SIGV4_MAX_CANONICAL + 2);
  assert_non_null(big);
  big[0] = '/';
  memset(big + 1, ' ', SIGV4_MAX_CANONICAL / 2);
  big[1 + SIGV4_MAX_CANONICAL / 2] = '\0';
  req.path = big;
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_ETOOBIG);
  assert_int_equal(r.canonical_request.len, 0);
  req.path = "/";

  /* Too many query parameters. */
  {
    size_t n = 0;
    for(size_t i = 0; i <= SIGV4_MAX_QUERY_PARAMS; i++) {
      memcpy(big + n, "a=1&", 4);
      n += 4;
    }
    big[n - 1] = '\0';
    req.query = big;
    assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_ETOOBIG);
    req.query = NULL;
  }

  /* An oversized session token. */
  memset(big, 'T', SIGV4_MAX_TOKEN + 1);
  big[SIGV4_MAX_TOKEN + 1] = '\0';
  cr.session_token = big;
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_ETOOBIG);
  big[SIGV4_MAX_TOKEN] = '\0';
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_OK);
  cr.session_token = NULL;

  /* A long access key id is refused, a 128-character one fits. */
  memset(big, 'A', 129);
  big[129] = '\0';
  cr.access_key = big;
  assert_int_equal(sigv4_sign(&req, &cr, &p, NULL, &r), JAN_EINVAL);
  big[128] = '\0';
  {
    struct sigv4_cache *cache = calloc(1, sizeof(*cache));
    assert_non_null(cache);
    assert_int_equal(sigv4_sign(&req, &cr, &p, cache, &r), JAN_OK);
    assert_string_equal(cache->slot[0].akid, big);
    sigv4_cache_clear(cache);
    free(cache);
  }

  free(big);
  free(h);
  sigv4_result_free(&r);
}

static void test_secret_never_in_output(void **state)
{
  static const char secret[] = "SeCrEtKeY/never+printed=0123456789abcdefgh";
  struct sigv4_header h[] = { { "Host", "h.example" } };
  struct sigv4_request req = {
    .method = "POST", .path = "/", .query = "a=b", .headers = h,
    .nheaders = 1, .body = "body", .body_len = 4
  };
  struct sigv4_creds cr = {
    .access_key = "AKID", .secret_key = secret, .session_token = "TOK"
  };
  struct sigv4_params p = {
    .region = "us-east-1", .service = "s3", .when = 1700000000,
    .flags = SIGV4_S3
  };
  struct sigv4_result r;
  struct sigv4_cache *cache = calloc(1, sizeof(*cache));
  (void)state;
  assert_non_null(cache);
  sigv4_result_init(&r);
  assert_int_equal(sigv4_sign(&req, &cr, &p, cache, &r), JAN_OK);
  assert_null(strstr(jbuf_str(&r.canonical_request), secret));
  assert_null(strstr(jbuf_str(&r.string_to_sign), secret));
  assert_null(strstr(jbuf_str(&r.authorization), secret));
  assert_null(memmem(&r, sizeof(r), secret, 8));
  assert_null(memmem(cache, sizeof(*cache), secret, 8));
  sigv4_result_free(&r);
  sigv4_cache_clear(cache);
  free(cache);
}

/* The same result struct signs again cleanly. */
static void test_result_reuse(void **state)
{
  struct sigv4_result a, b;
  (void)state;
  sigv4_result_init(&a);
  sigv4_result_init(&b);
  sign_simple("/first/path", "x=1", "TOKEN", SIGV4_S3, &a);
  sign_simple("/k", NULL, NULL, 0, &a);
  sign_simple("/k", NULL, NULL, 0, &b);
  assert_string_equal(jbuf_str(&a.canonical_request),
                      jbuf_str(&b.canonical_request));
  assert_string_equal(jbuf_str(&a.authorization), jbuf_str(&b.authorization));
  assert_string_equal(a.signature, b.signature);
  assert_int_equal(a.add_content_sha256, 0);
  sigv4_result_free(&a);
  sigv4_result_free(&b);
}

static void test_hash_helpers(void **state)
{
  char hex[65], b64[25];
  static const char xml[] =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
      "<Object><Key>renders/a b+c%d&lt;e</Key></Object></Delete>";
  (void)state;
  sigv4_sha256_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                           "b00361a396177a9cb410ff61f20015ad");
  sigv4_sha256_hex(NULL, 0, hex);
  assert_string_equal(hex, EMPTY_SHA);
  assert_int_equal(sigv4_md5_base64("", 0, b64), JAN_OK);
  assert_string_equal(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
  assert_int_equal(sigv4_md5_base64(NULL, 0, b64), JAN_OK);
  assert_string_equal(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
  assert_int_equal(sigv4_md5_base64(NULL, 3, b64), JAN_EINVAL);
  assert_string_equal(b64, "");
  assert_int_equal(sigv4_md5_base64("", 0, b64), JAN_OK);
  assert_string_equal(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
  assert_int_equal(sigv4_md5_base64("abc", 3, b64), JAN_OK);
  assert_string_equal(b64, "kAFQmDzST7DWlj99KOF/cg==");
  /* The Content-MD5 botocore computed for the DeleteObjects case. */
  assert_int_equal(sigv4_md5_base64(xml, strlen(xml), b64), JAN_OK);
  assert_string_equal(b64, "xiNIHwofWIW/rnV1KGDs9Q==");
}

/* ---------------------------------------------------------------------- */

static void find_shared(void)
{
  const char *s = getenv("JAN_SHARED_DIR");
  const char *src = getenv("JAN_SOURCE_DIR");

  if(s && *s)
    snprintf(g_shared, sizeof(g_shared), "%s", s);
  else if(src && *src)
    snprintf(g_shared, sizeof(g_shared), "%s/../shared", src);
  else
    snprintf(g_shared, sizeof(g_shared), "../shared");
  snprintf(g_v4dir, sizeof(g_v4dir), "%s/testdata/sigv4/v4", g_shared);
  snprintf(g_extradir, sizeof(g_extradir),
           "%s/testdata/sigv4/extra-double-encode", g_shared);
}

int main(void)
{
  const struct CMUnitTest own[] = {
    cmocka_unit_test(test_own_cases),
    cmocka_unit_test(test_s3_uri_is_wire_path),
    cmocka_unit_test(test_s3_uri_refuses_non_canonical),
    cmocka_unit_test(test_token_signed_or_after),
    cmocka_unit_test(test_payload_modes),
    cmocka_unit_test(test_canonical_uri_default),
    cmocka_unit_test(test_canonical_query),
    cmocka_unit_test(test_uri_encode),
    cmocka_unit_test(test_canonical_headers),
    cmocka_unit_test(test_cache_same_signatures),
    cmocka_unit_test(test_cache_lru),
    cmocka_unit_test(test_refused_inputs),
    cmocka_unit_test(test_limits),
    cmocka_unit_test(test_secret_never_in_output),
    cmocka_unit_test(test_result_reuse),
    cmocka_unit_test(test_hash_helpers),
  };
  struct CMUnitTest *vec;
  size_t nvec = 0;
  const char *req = getenv("JAN_REQUIRE_SHARED");
  int failed;

  find_shared();
  if(load_case_names() != 0) {
    vec = calloc(1, sizeof(*vec));
    if(!vec)
      return 1;
    if(req && !strcmp(req, "1")) {
      fprintf(stderr, "SigV4 vectors not found at %s: required "
              "(JAN_REQUIRE_SHARED=1)\n", g_v4dir);
      vec[nvec++] = (struct CMUnitTest)cmocka_unit_test(
          test_vectors_required);
    }
    else {
      printf("SigV4 vectors not found at %s: skipped\n", g_v4dir);
      fflush(stdout);
      vec[nvec++] = (struct CMUnitTest)cmocka_unit_test(test_vectors_skipped);
    }
  }
  else {
    vec = calloc(g_ncases + 3, sizeof(*vec));
    if(!vec)
      return 1;
    vec[nvec++] = (struct CMUnitTest)cmocka_unit_test(test_vector_count);
    for(size_t i = 0; i < g_ncases; i++) {
      vec[nvec].name = g_cases[i];
      vec[nvec].test_func = test_vector;
      vec[nvec].initial_state = g_cases[i];
      nvec++;
    }
    vec[nvec++] = (struct CMUnitTest)cmocka_unit_test(
        test_extra_double_url_encode);
    vec[nvec++] = (struct CMUnitTest)cmocka_unit_test(
        test_extra_double_encode_path);
  }

  failed = _cmocka_run_group_tests("sigv4_vectors", vec, nvec, NULL, NULL);
  failed += _cmocka_run_group_tests("sigv4", own, JAN_ARRAY_SIZE(own), NULL,
                                    NULL);
  for(size_t i = 0; i < g_ncases; i++)
    free(g_cases[i]);
  free(g_cases);
  free(vec);
  return failed ? 1 : 0;
}
