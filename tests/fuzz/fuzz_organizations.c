/*
 * AWS Organizations' answers and requests (issue 22).  First byte: '0'
 * ListAccounts / ListAccountsForParent, '1' ListOrganizationalUnitsForParent
 * (JSON 1.1), '2' DescribeOrganization, '3' the request body built from
 * the rest (up to its first NUL) as ParentId and NextToken.
 *
 * Invariants:
 * - only the codes of wire.h; a failure leaves the result empty, and the
 *   free functions leave it empty;
 * - an account id is 12 ASCII digits, a status one of the enum, a name
 *   NULL or 1..WIRE_ORG_NAME_MAX bytes; an OU id passes
 *   wire_org_parent_id_valid; a token is NULL or non-empty; the
 *   management account's id is 12 digits, or "" on failure;
 * - a request body is one JSON object that gives back exactly the parent
 *   and token it was built from, and MaxResults 20.
 */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/organizations.h"
#include "janitor/wire.h"

static void accounts(const char *body, size_t len)
{
  struct wire_org_account_page p;
  int rc = wire_org_parse_accounts(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.next_token);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_token));
  for(size_t i = 0; i < p.n; i++) {
    const struct wire_org_account *a = &p.v[i];
    FUZZ_CHECK(FUZZ_FIELD_OK(a->id) && wire_org_account_id_valid(a->id));
    FUZZ_CHECK(a->status <= WIRE_ORG_OTHER);
    FUZZ_CHECK(FUZZ_OPT_STR(a->name));
    FUZZ_CHECK(!a->name || strlen(a->name) <= WIRE_ORG_NAME_MAX);
  }
  wire_org_account_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n && !p.next_token);
}

static void units(const char *body, size_t len)
{
  struct wire_org_unit_page p;
  int rc = wire_org_parse_units(body, len, &p);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  if(rc) {
    FUZZ_CHECK(!p.v && !p.n && !p.next_token);
    return;
  }
  FUZZ_CHECK(p.n == 0 || p.v);
  FUZZ_CHECK(FUZZ_OPT_STR(p.next_token));
  for(size_t i = 0; i < p.n; i++) {
    FUZZ_CHECK(FUZZ_FIELD_OK(p.v[i].id));
    FUZZ_CHECK(wire_org_parent_id_valid(p.v[i].id, 0));
    FUZZ_CHECK(FUZZ_OPT_STR(p.v[i].name));
  }
  wire_org_unit_page_free(&p);
  FUZZ_CHECK(!p.v && !p.n && !p.next_token);
}

static void organization(const char *body, size_t len)
{
  char m[13];
  int rc = wire_org_parse_organization(body, len, m);

  FUZZ_CHECK(fuzz_rc_ok(rc));
  FUZZ_CHECK(rc ? m[0] == '\0' : wire_org_account_id_valid(m));
}

static const char *member(json_object *o, const char *key)
{
  json_object *v;
  if(!json_object_object_get_ex(o, key, &v) ||
     !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static void body(const char *s)
{
  struct jbuf b;
  json_object *o, *v;
  int rc;

  jbuf_init(&b, 1u << 20);
  rc = org_request_body(s, s, &b);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_ENOMEM || rc == JAN_ETOOBIG);
  if(!rc) {
    o = json_tokener_parse(jbuf_str(&b));
    FUZZ_CHECK(o && json_object_is_type(o, json_type_object));
    FUZZ_CHECK(json_object_object_get_ex(o, "MaxResults", &v) &&
               json_object_get_int(v) == ORG_PAGE_ITEMS);
    FUZZ_CHECK(member(o, "ParentId") && !strcmp(member(o, "ParentId"), s));
    if(*s)
      FUZZ_CHECK(member(o, "NextToken") && !strcmp(member(o, "NextToken"), s));
    else
      FUZZ_CHECK(!member(o, "NextToken"));
    json_object_put(o);
  }
  jbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *b = (const char *)data + 1;
  size_t len = size ? size - 1 : 0;
  char *s;

  if(size < 1)
    return 0;
  switch(data[0] % 4) {
  case 0:
    accounts(b, len);
    break;
  case 1:
    units(b, len);
    break;
  case 2:
    organization(b, len);
    break;
  default:
    s = fuzz_cstr(data + 1, len);
    body(s);
    free(s);
    break;
  }
  return 0;
}
