/*
 * AWS Organizations' JSON 1.1 answers (ListAccounts, ListAccountsForParent,
 * ListOrganizationalUnitsForParent), read with the JSON page reader of
 * wire_lambda.c.  Ids are checked here, byte for byte: an account id
 * becomes a role ARN and an account's name in the outputs, an OU id the
 * ParentId of the next request.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "janitor/err.h"
#include "janitor/wire.h"
#include "wire_int.h"

int wire_org_account_id_valid(const char *s)
{
  size_t i;

  if(!s)
    return 0;
  for(i = 0; s[i]; i++)
    if(s[i] < '0' || s[i] > '9')
      return 0;
  return i == 12;
}

/* n characters of [0-9a-z] from s, min..max of them; the count or 0. */
static size_t lower_alnum(const char *s, size_t min, size_t max)
{
  size_t n = 0;

  while((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z'))
    n++;
  return n >= min && n <= max ? n : 0;
}

int wire_org_parent_id_valid(const char *s, int root)
{
  size_t a, b;

  if(!s)
    return 0;
  if(root && !strncmp(s, "r-", 2)) {
    a = lower_alnum(s + 2, 4, 32);
    return a && !s[2 + a];
  }
  if(strncmp(s, "ou-", 3))
    return 0;
  a = lower_alnum(s + 3, 4, 32);
  if(!a || s[3 + a] != '-')
    return 0;
  b = lower_alnum(s + 4 + a, 8, 32);
  return b && !s[4 + a + b];
}

const char *wire_org_status_name(enum wire_org_status s)
{
  static const char *const names[] = {
    "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "OTHER"
  };
  return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "OTHER";
}

/* Id into a fixed buffer: required, checked by valid. */
static int take_id(json_object *o, char *dst, size_t size,
                   int (*valid)(const char *))
{
  char *s = NULL;
  int rc = wire_json_str(o, "Id", 1, &s);

  if(!rc && (!valid(s) || strlen(s) >= size))
    rc = JAN_EPARSE;
  if(!rc)
    memcpy(dst, s, strlen(s) + 1);
  free(s);
  return rc;
}

/* Name: optional, at most WIRE_ORG_NAME_MAX bytes. */
static int take_name(json_object *o, char **name)
{
  int rc = wire_json_str(o, "Name", 0, name);

  if(!rc && *name && strlen(*name) > WIRE_ORG_NAME_MAX) {
    free(*name);
    *name = NULL;
    rc = JAN_EPARSE;
  }
  return rc;
}

static int ou_id_valid(const char *s)
{
  return wire_org_parent_id_valid(s, 0);
}

static int account_item(json_object *o, void *item)
{
  struct wire_org_account *a = item;
  char *status = NULL;
  int rc;

  memset(a, 0, sizeof(*a));
  if(!json_object_is_type(o, json_type_object))
    return JAN_EPARSE;
  if((rc = take_id(o, a->id, sizeof(a->id), wire_org_account_id_valid)) ||
     (rc = wire_json_str(o, "Status", 1, &status)) ||
     (rc = take_name(o, &a->name))) {
    free(status);
    memset(a, 0, sizeof(*a));
    return rc;
  }
  a->status = WIRE_ORG_OTHER;
  for(int s = WIRE_ORG_ACTIVE; s < WIRE_ORG_OTHER; s++)
    if(!strcmp(status, wire_org_status_name((enum wire_org_status)s)))
      a->status = (enum wire_org_status)s;
  free(status);
  return JAN_OK;
}

void wire_org_account_page_free(struct wire_org_account_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++)
    free(p->v[i].name);
  free(p->v);
  free(p->next_token);
  memset(p, 0, sizeof(*p));
}

int wire_org_parse_accounts(const char *body, size_t len,
                            struct wire_org_account_page *out)
{
  void *v = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = wire_json_page(body, len, "Accounts", "NextToken", sizeof(*out->v),
                      account_item, &v, &out->n, &out->next_token);
  out->v = v;
  if(rc)
    wire_org_account_page_free(out);
  return rc;
}

static int unit_item(json_object *o, void *item)
{
  struct wire_org_unit *u = item;
  int rc;

  memset(u, 0, sizeof(*u));
  if(!json_object_is_type(o, json_type_object))
    return JAN_EPARSE;
  if((rc = take_id(o, u->id, sizeof(u->id), ou_id_valid)) ||
     (rc = take_name(o, &u->name))) {
    memset(u, 0, sizeof(*u));
    return rc;
  }
  return JAN_OK;
}

void wire_org_unit_page_free(struct wire_org_unit_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++)
    free(p->v[i].name);
  free(p->v);
  free(p->next_token);
  memset(p, 0, sizeof(*p));
}

int wire_org_parse_units(const char *body, size_t len,
                         struct wire_org_unit_page *out)
{
  void *v = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = wire_json_page(body, len, "OrganizationalUnits", "NextToken",
                      sizeof(*out->v), unit_item, &v, &out->n,
                      &out->next_token);
  out->v = v;
  if(rc)
    wire_org_unit_page_free(out);
  return rc;
}

int wire_org_parse_organization(const char *body, size_t len, char master[13])
{
  json_object *root = NULL, *org = NULL;
  char *id = NULL;
  int rc;

  master[0] = '\0';
  rc = wire_json_root(body, len, &root);
  if(rc)
    return rc;
  if(!json_object_object_get_ex(root, "Organization", &org) ||
     !json_object_is_type(org, json_type_object))
    rc = JAN_EPARSE;
  if(!rc)
    rc = wire_json_str(org, "MasterAccountId", 1, &id);
  if(!rc && !wire_org_account_id_valid(id))
    rc = JAN_EPARSE;
  if(!rc)
    memcpy(master, id, 13);
  free(id);
  json_object_put(root);
  return rc;
}
