/*
 * Query-protocol XML answers of STS and IAM (GetCallerIdentity,
 * SimulatePrincipalPolicy, GetUser) and the XML error parser (S3 <Error>,
 * Query <ErrorResponse>, <Response><Errors>).  First byte: the parser
 * ('0'..'3' in the seeds); the rest: the body.
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

/* Text from libxml2 is UTF-8; a string we keep must still be. */
static int str_ok(const char *s)
{
  return s && s[0] && fuzz_utf8_valid(s, strlen(s));
}

static void identity(const char *body, size_t len)
{
  struct wire_identity id;
  int rc;

  memset(&id, 0x55, sizeof(id));
  rc = wire_sts_parse_caller_identity(body, len, &id);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!id.arn && !id.user_id && id.account[0] == '\0');
    return;
  }
  FUZZ_CHECK(strlen(id.account) == 12);
  for(size_t i = 0; i < 12; i++)
    FUZZ_CHECK(id.account[i] >= '0' && id.account[i] <= '9');
  FUZZ_CHECK(str_ok(id.arn));
  FUZZ_CHECK(!id.user_id || str_ok(id.user_id));
  wire_identity_free(&id);
  FUZZ_CHECK(!id.arn && !id.user_id);
}

static void simulate(const char *body, size_t len)
{
  struct wire_eval *v = (struct wire_eval *)1;
  size_t n = 12345;
  int truncated = 7, rc;
  char *marker = (char *)1;

  rc = wire_iam_parse_simulate(body, len, &v, &n, &truncated, &marker);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!v && !n && !truncated && !marker);
    return;
  }
  FUZZ_CHECK(n == 0 || v);
  FUZZ_CHECK(truncated == 0 || truncated == 1);
  FUZZ_CHECK(!marker || str_ok(marker));
  /* A truncated answer says where to go on. */
  if(truncated)
    FUZZ_CHECK(marker != NULL);
  for(size_t i = 0; i < n; i++) {
    FUZZ_CHECK(str_ok(v[i].action));
    FUZZ_CHECK(!v[i].resource || str_ok(v[i].resource));
    FUZZ_CHECK(FUZZ_FIELD_OK(v[i].decision));
    FUZZ_CHECK(!strcmp(v[i].decision, "allowed") ||
               !strcmp(v[i].decision, "explicitDeny") ||
               !strcmp(v[i].decision, "implicitDeny"));
  }
  wire_eval_list_free(v, n);
  free(marker);
}

static void get_user(const char *body, size_t len)
{
  struct wire_user u;
  int rc;

  memset(&u, 0x55, sizeof(u));
  rc = wire_iam_parse_get_user(body, len, &u);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!u.name && !u.arn);
    return;
  }
  FUZZ_CHECK(str_ok(u.arn));
  FUZZ_CHECK(!u.name || str_ok(u.name));
  wire_user_free(&u);
  FUZZ_CHECK(!u.name && !u.arn);
}

static void error_xml(const char *body, size_t len)
{
  struct wire_error e;
  int rc;

  memset(&e, 0x55, sizeof(e));
  rc = wire_parse_error_xml(body, len, &e);
  FUZZ_CHECK(fuzz_rc_ok(rc));
  FUZZ_CHECK(FUZZ_FIELD_OK(e.code) && FUZZ_FIELD_OK(e.message) &&
             FUZZ_FIELD_OK(e.request_id) && FUZZ_FIELD_OK(e.region) &&
             FUZZ_FIELD_OK(e.bucket_region));
  if(rc) {
    FUZZ_CHECK(!e.code[0] && !e.message[0] && !e.request_id[0] &&
               !e.region[0] && !e.bucket_region[0]);
    return;
  }
  FUZZ_CHECK(e.code[0] != '\0');
  /* Long fields are cut on a character boundary. */
  FUZZ_CHECK(fuzz_utf8_valid(e.code, strlen(e.code)));
  FUZZ_CHECK(fuzz_utf8_valid(e.message, strlen(e.message)));
  FUZZ_CHECK(fuzz_utf8_valid(e.request_id, strlen(e.request_id)));
  FUZZ_CHECK(fuzz_utf8_valid(e.region, strlen(e.region)));
  FUZZ_CHECK(fuzz_utf8_valid(e.bucket_region, strlen(e.bucket_region)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *body;
  size_t len;

  if(size < 1)
    return 0;
  body = (const char *)data + 1;
  len = size - 1;
  switch(data[0] % 4) {
  case 0:
    identity(body, len);
    break;
  case 1:
    simulate(body, len);
    break;
  case 2:
    get_user(body, len);
    break;
  default:
    error_xml(body, len);
    break;
  }
  return 0;
}
