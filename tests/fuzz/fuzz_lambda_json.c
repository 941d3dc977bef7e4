/*
 * Lambda rest-json answers (ListFunctions, ListLayers, ListLayerVersions,
 * GetLayerVersion) and the rest-json error parser.  First byte: the parser
 * ('0'..'5' in the seeds).  For the error parser with a header ('5'), the
 * bytes up to the first '\n' are the x-amzn-ErrorType value and the rest
 * is the body.
 */
#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/wire.h"

/* Integers: 0..INT64_MAX-1 (wire.h). */
static int int_ok(int64_t v)
{
  return v >= 0 && v < INT64_MAX;
}

static int time_ok(int64_t t)
{
  return t == WIRE_TIME_UNKNOWN ||
         (t >= -62167219200LL - 86400 && t <= 253402300799LL + 86400);
}

static void functions(const char *body, size_t len)
{
  struct wire_function_page p;
  int rc = wire_lambda_parse_list_functions(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.next_marker);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_marker));
  for(size_t i = 0; i < p.n; i++) {
    const struct wire_function *f = &p.v[i];
    FUZZ_CHECK(f->name && f->name[0]);
    FUZZ_CHECK(FUZZ_OPT_STR(f->arn));
    FUZZ_CHECK(FUZZ_OPT_STR(f->runtime));
    FUZZ_CHECK(time_ok(f->last_modified));
    FUZZ_CHECK(int_ok(f->memory_mb) && int_ok(f->timeout_s) &&
               int_ok(f->code_size));
  }
  wire_function_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n && !p.next_marker);
}

static void layers(const char *body, size_t len)
{
  struct wire_layer_page p;
  int rc = wire_lambda_parse_list_layers(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.next_marker);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_marker));
  for(size_t i = 0; i < p.n; i++) {
    const struct wire_layer *l = &p.v[i];
    FUZZ_CHECK(l->name && l->name[0]);
    FUZZ_CHECK(FUZZ_OPT_STR(l->arn));
    FUZZ_CHECK(int_ok(l->latest_version));
    FUZZ_CHECK(time_ok(l->latest_created));
  }
  wire_layer_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n && !p.next_marker);
}

static void layer_version_ok(const struct wire_layer_version *lv)
{
  FUZZ_CHECK(lv->version >= 1 && int_ok(lv->version));
  FUZZ_CHECK(FUZZ_OPT_STR(lv->arn));
  FUZZ_CHECK(time_ok(lv->created));
}

static void layer_versions(const char *body, size_t len)
{
  struct wire_layer_version_page p;
  int rc = wire_lambda_parse_list_layer_versions(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.next_marker);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_marker));
  for(size_t i = 0; i < p.n; i++)
    layer_version_ok(&p.v[i]);
  wire_layer_version_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n && !p.next_marker);
}

static void get_layer_version(const char *body, size_t len)
{
  struct wire_layer_version lv;
  int rc = wire_lambda_parse_get_layer_version(body, len, &lv);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!lv.arn && !lv.version);
    return;
  }
  layer_version_ok(&lv);
  wire_layer_version_free(&lv);
  FUZZ_CHECK(!lv.arn);
}

static void error_json(const char *header, const char *body, size_t len)
{
  struct wire_error e;
  int rc;

  memset(&e, 0x55, sizeof(e));
  rc = wire_parse_error_json(header, body, len, &e);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  FUZZ_CHECK(FUZZ_FIELD_OK(e.code) && FUZZ_FIELD_OK(e.message) &&
             FUZZ_FIELD_OK(e.request_id) && FUZZ_FIELD_OK(e.region) &&
             FUZZ_FIELD_OK(e.bucket_region));
  if(rc) {
    FUZZ_CHECK(!e.code[0] && !e.message[0]);
    /* With a usable header code the body is only a bonus. */
    return;
  }
  FUZZ_CHECK(e.code[0] != '\0');
  /* "ns#Code:uri" → "Code": nothing of the namespace or the URI stays. */
  FUZZ_CHECK(!strchr(e.code, ':') && !strchr(e.code, '#'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *body;
  size_t len;

  if(size < 1)
    return 0;
  body = (const char *)data + 1;
  len = size - 1;
  switch(data[0] % 6) {
  case 0:
    functions(body, len);
    break;
  case 1:
    layers(body, len);
    break;
  case 2:
    layer_versions(body, len);
    break;
  case 3:
    get_layer_version(body, len);
    break;
  case 4:
    error_json(NULL, body, len);
    break;
  default: {
    const char *nl = memchr(body, '\n', len);
    size_t hlen = nl ? (size_t)(nl - body) : len;
    char *header = fuzz_cstr((const uint8_t *)body, hlen);
    size_t rest = nl ? len - hlen - 1 : 0;
    /* The body in its own exact-size allocation, for ASan. */
    char *b = fuzz_dup((const uint8_t *)body + len - rest, rest);

    error_json(header, b, rest);
    free(b);
    free(header);
    break;
  }
  }
  return 0;
}
