/*
 * Issue 23's answers and requests.  First byte: '0' CloudWatch Logs
 * DescribeLogGroups (JSON 1.1), '1' Lambda ListTags (JSON), '2' S3
 * GetBucketTagging (XML), '3' the DescribeLogGroups and DeleteLogGroup
 * request bodies built from the rest (up to its first NUL).
 *
 * Invariants:
 * - only the codes of wire.h; a failure leaves the result empty, and the
 *   free functions leave it empty;
 * - a log group has a non-empty name, optional strings are NULL or
 *   non-empty, a time is WIRE_TIME_UNKNOWN or 0..WIRE_SIZE_MAX/1000, a
 *   size WIRE_SIZE_UNKNOWN or 0..WIRE_SIZE_MAX;
 * - a tag list holds at most WIRE_TAGS_MAX tags, keys 1..128 bytes and
 *   unique, values 0..256 bytes, never NULL; wire_tag_find finds each
 *   key's own value;
 * - a request body is one JSON object that gives back exactly the token
 *   or the group name it was built from, and the scope's prefix.
 */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/logs.h"
#include "janitor/scope.h"
#include "janitor/wire.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_xml_init();
  return 0;
}

static void groups(const char *body, size_t len)
{
  struct wire_log_group_page p;
  int rc = wire_logs_parse_describe_log_groups(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.next_token);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_token));
  for(size_t i = 0; i < p.n; i++) {
    const struct wire_log_group *g = &p.v[i];
    FUZZ_CHECK(g->name && g->name[0]);
    FUZZ_CHECK(FUZZ_OPT_STR(g->arn));
    FUZZ_CHECK(g->created == WIRE_TIME_UNKNOWN ||
               (g->created >= 0 && g->created <= WIRE_SIZE_MAX / 1000));
    FUZZ_CHECK(g->stored_bytes == WIRE_SIZE_UNKNOWN ||
               (g->stored_bytes >= 0 && g->stored_bytes <= WIRE_SIZE_MAX));
  }
  wire_log_group_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n && !p.next_token);
}

static void tags(int xml, const char *body, size_t len)
{
  struct wire_tag_list t;
  int rc = xml ? wire_s3_parse_tagging(body, len, &t)
               : wire_lambda_parse_list_tags(body, len, &t);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!t.v && !t.n);
    return;
  }
  FUZZ_CHECK(t.n <= WIRE_TAGS_MAX && (t.n == 0 || t.v));
  for(size_t i = 0; i < t.n; i++) {
    size_t kl = strlen(t.v[i].key);
    FUZZ_CHECK(kl >= 1 && kl <= WIRE_TAG_KEY_MAX);
    FUZZ_CHECK(t.v[i].value && strlen(t.v[i].value) <= WIRE_TAG_VALUE_MAX);
    for(size_t j = 0; j < i; j++)
      FUZZ_CHECK(strcmp(t.v[i].key, t.v[j].key) != 0);
    FUZZ_CHECK(wire_tag_find(&t, t.v[i].key) == t.v[i].value);
  }
  wire_tag_list_free(&t);
  FUZZ_CHECK(!t.v && !t.n);
}

/* The member key of a body as a string, or NULL. */
static const char *member(json_object *o, const char *key)
{
  json_object *v;
  if(!json_object_object_get_ex(o, key, &v) ||
     !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static void bodies(const char *s)
{
  struct jbuf b;
  json_object *o;
  int rc;

  jbuf_init(&b, 1u << 20);
  rc = logs_describe_body(s, &b);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_ENOMEM || rc == JAN_ETOOBIG);
  if(!rc) {
    o = json_tokener_parse(jbuf_str(&b));
    FUZZ_CHECK(o && json_object_is_type(o, json_type_object));
    FUZZ_CHECK(member(o, "logGroupNamePrefix") &&
               !strcmp(member(o, "logGroupNamePrefix"),
                       SCOPE_LOG_GROUP_PREFIX));
    if(*s)
      FUZZ_CHECK(member(o, "nextToken") && !strcmp(member(o, "nextToken"), s));
    else
      FUZZ_CHECK(!member(o, "nextToken"));
    json_object_put(o);
  }
  jbuf_reset(&b);
  rc = logs_delete_body(s, &b);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_ENOMEM || rc == JAN_ETOOBIG);
  if(!rc) {
    o = json_tokener_parse(jbuf_str(&b));
    FUZZ_CHECK(o && member(o, "logGroupName") &&
               !strcmp(member(o, "logGroupName"), s));
    json_object_put(o);
  }
  jbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *body = (const char *)data + 1;
  size_t len = size ? size - 1 : 0;
  char *s;

  if(size < 1)
    return 0;
  switch(data[0] % 4) {
  case 0:
    groups(body, len);
    break;
  case 1:
    tags(0, body, len);
    break;
  case 2:
    tags(1, body, len);
    break;
  default:
    s = fuzz_cstr(data + 1, len);
    bodies(s);
    free(s);
    break;
  }
  return 0;
}
