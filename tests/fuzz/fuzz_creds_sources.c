/*
 * The answers of the newer credential sources (issue 13): STS's
 * AssumeRole* XML (creds_parse_sts_xml), the SSO portal's JSON
 * (creds_parse_sso_json), credential_process's Version 1 JSON
 * (creds_parse_json) and the splitting of a credential_process value
 * (creds_process_split).  First byte: bits 0-1 pick the parser; the rest is
 * the body or the value.
 */
#include "fuzz_util.h"
#include "janitor/creds.h"
#include "janitor/creds_process.h"
#include "janitor/creds_remote.h"
#include "janitor/creds_sso.h"
#include "janitor/creds_sts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  return 0;
}

static void check(int rc, struct aws_creds *c, int need_token_and_expiry)
{
  if(rc == JAN_OK) {
    FUZZ_CHECK(fuzz_creds_value_ok(c->access_key) && fuzz_creds_value_ok(c->secret_key));
    FUZZ_CHECK(!c->session_token || fuzz_creds_value_ok(c->session_token));
    if(need_token_and_expiry)
      FUZZ_CHECK(c->session_token && c->expiration > 0);
    FUZZ_CHECK(c->expiration >= 0);
  }
  else {
    FUZZ_CHECK(!c->access_key && !c->secret_key && !c->session_token);
  }
  creds_free(c);
}

static void split(const char *s)
{
  size_t n = strlen(s);
  char *buf = malloc(n + 1), *argv[9];
  int k;

  if(!buf)
    abort();
  k = creds_process_split(s, buf, argv, 9);
  FUZZ_CHECK(k >= -1 && k <= 8);
  if(k >= 0) {
    FUZZ_CHECK(argv[k] == NULL);
    for(int i = 0; i < k; i++)
      FUZZ_CHECK(argv[i] >= buf && argv[i] + strlen(argv[i]) <= buf + n);
  }
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct aws_creds c;
  char *body;
  int rc;

  if(size < 1)
    return 0;
  body = fuzz_dup(data + 1, size - 1);
  switch(data[0] & 3) {
  case 0:
    rc = creds_parse_sts_xml(body, size - 1, "AssumeRoleResponse", &c);
    check(rc, &c, 1);
    break;
  case 1:
    rc = creds_parse_sso_json(body, size - 1, &c);
    check(rc, &c, 1);
    break;
  case 2:
    rc = creds_parse_json(body, size - 1, "SessionToken", 1, &c);
    check(rc, &c, 0);
    break;
  default: {
    char *s = fuzz_cstr(data + 1, size - 1);
    split(s);
    (void)creds_process_needs_shell(s);
    free(s);
    break;
  }
  }
  free(body);
  return 0;
}
