/*
 * S3 XML answers: ListBuckets, ListObjectVersions, ListObjectsV2, the
 * DeleteObjects result, GetBucketLocation and the "is this 200 an
 * <Error>?" check.  The first byte picks the parser (seed files start with
 * '0'..'5'), the rest is the body, passed with its exact length and no NUL
 * after it so that ASan sees any read past the end.
 */
#include <libxml/parser.h>

#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/wire.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_xml_init();
  return 0;
}

static int in_time_range(int64_t t)
{
  /* Years 0000..9999 give or take a day of UTC offset. */
  return t == WIRE_TIME_UNKNOWN ||
         (t >= -62167219200LL - 86400 && t <= 253402300799LL + 86400);
}

static void buckets(const char *body, size_t len)
{
  struct wire_bucket_list l;
  int rc = wire_s3_parse_list_buckets(body, len, &l);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!l.v && !l.n && !l.continuation_token);
    return;
  }
  FUZZ_CHECK(l.n == 0 || l.v);
  for(size_t i = 0; i < l.n; i++) {
    FUZZ_CHECK(l.v[i].name && l.v[i].name[0]);
    FUZZ_CHECK(fuzz_utf8_valid(l.v[i].name, strlen(l.v[i].name)));
    FUZZ_CHECK(FUZZ_OPT_STR(l.v[i].region));
    FUZZ_CHECK(in_time_range(l.v[i].created));
  }
  FUZZ_CHECK(FUZZ_OPT_STR(l.continuation_token));
  /* A body that parses as a listing is not an error body. */
  FUZZ_CHECK(wire_s3_body_is_error(body, len) == 0);
  wire_bucket_list_free(&l);
  FUZZ_CHECK(!l.v && !l.n);
}

static void objects(const char *body, size_t len, int v2)
{
  struct wire_object_page p;
  int rc = v2 ? wire_s3_parse_list_objects_v2(body, len, &p)
              : wire_s3_parse_list_versions(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.truncated && !p.next_key_marker &&
               !p.next_version_id_marker && !p.next_continuation_token);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  for(size_t i = 0; i < p.n; i++) {
    const struct wire_object *o = &p.v[i];
    FUZZ_CHECK(o->key && o->key[0]);
    FUZZ_CHECK(FUZZ_OPT_STR(o->version_id));
    FUZZ_CHECK(o->delete_marker == 0 || o->delete_marker == 1);
    FUZZ_CHECK(in_time_range(o->last_modified));
    if(v2)
      FUZZ_CHECK(!o->version_id && !o->delete_marker);
  }
  FUZZ_CHECK(p.truncated == 0 || p.truncated == 1);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_key_marker));
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_version_id_marker));
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_continuation_token));
  /* A truncated page always says where to go on (no endless loop). */
  if(p.truncated)
    FUZZ_CHECK(v2 ? p.next_continuation_token != NULL
                  : p.next_key_marker != NULL);
  if(v2)
    FUZZ_CHECK(!p.next_key_marker && !p.next_version_id_marker);
  else
    FUZZ_CHECK(!p.next_continuation_token);
  FUZZ_CHECK(wire_s3_body_is_error(body, len) == 0);
  wire_object_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n);
}

static void delete_result(const char *body, size_t len)
{
  struct wire_delete_result r;
  int rc = wire_s3_parse_delete_result(body, len, &r);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!r.errors && !r.nerrors && !r.deleted);
    FUZZ_CHECK(!r.markers && !r.nmarkers);
    return;
  }
  /* Markers are among the <Deleted> entries, each with a key. */
  FUZZ_CHECK(r.nmarkers <= r.deleted);
  FUZZ_CHECK(r.nmarkers == 0 || r.markers);
  for(size_t i = 0; i < r.nmarkers; i++) {
    FUZZ_CHECK(r.markers[i].key != NULL);
    FUZZ_CHECK(FUZZ_OPT_STR(r.markers[i].version_id));
    FUZZ_CHECK(FUZZ_OPT_STR(r.markers[i].marker_version_id));
  }
  FUZZ_CHECK(r.nerrors == 0 || r.errors);
  for(size_t i = 0; i < r.nerrors; i++) {
    const struct wire_delete_error *e = &r.errors[i];
    FUZZ_CHECK(e->key != NULL);
    FUZZ_CHECK(FUZZ_OPT_STR(e->version_id));
    FUZZ_CHECK(FUZZ_FIELD_OK(e->code));
    FUZZ_CHECK(FUZZ_FIELD_OK(e->message));
    /* Cut on a character boundary, never in the middle of one. */
    FUZZ_CHECK(fuzz_utf8_valid(e->code, strlen(e->code)));
    FUZZ_CHECK(fuzz_utf8_valid(e->message, strlen(e->message)));
  }
  FUZZ_CHECK(wire_s3_body_is_error(body, len) == 0);
  wire_delete_result_free(&r);
  FUZZ_CHECK(!r.errors && !r.nerrors && !r.markers && !r.nmarkers);
}

static void location(const char *body, size_t len)
{
  char region[32];
  int rc;

  memset(region, 'X', sizeof(region));
  rc = wire_s3_parse_location(body, len, region);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  FUZZ_CHECK(FUZZ_FIELD_OK(region));
  if(rc) {
    FUZZ_CHECK(region[0] == '\0');
    return;
  }
  FUZZ_CHECK(region[0] != '\0');
  /* Server text: no control character survives untrusted_text(). */
  for(const char *p = region; *p; p++)
    FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
  FUZZ_CHECK(wire_s3_body_is_error(body, len) == 0);
}

/* Server text after untrusted_text(): no control character is left. */
static int text_clean(const char *s)
{
  for(; *s; s++)
    if((unsigned char)*s < 0x20 || *s == 0x7f)
      return 0;
  return 1;
}

static void body_is_error(const char *body, size_t len)
{
  struct wire_error e;
  int is = wire_s3_body_is_error(body, len);
  int rc;

  FUZZ_CHECK(is == 0 || is == 1);
  /* The error parser on the same body: fields always terminated. */
  rc = wire_parse_error_xml(body, len, &e);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  FUZZ_CHECK(FUZZ_FIELD_OK(e.code) && FUZZ_FIELD_OK(e.message) &&
             FUZZ_FIELD_OK(e.request_id) && FUZZ_FIELD_OK(e.region) &&
             FUZZ_FIELD_OK(e.bucket_region));
  FUZZ_CHECK(text_clean(e.code) && text_clean(e.message) &&
             text_clean(e.request_id) && text_clean(e.region));
  if(rc == JAN_OK)
    FUZZ_CHECK(e.code[0] != '\0');
  else
    FUZZ_CHECK(e.code[0] == '\0' && e.message[0] == '\0');
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
    buckets(body, len);
    break;
  case 1:
    objects(body, len, 0);
    break;
  case 2:
    objects(body, len, 1);
    break;
  case 3:
    delete_result(body, len);
    break;
  case 4:
    location(body, len);
    break;
  default:
    body_is_error(body, len);
    break;
  }
  return 0;
}
