/*
 * AWS Organizations (organizations.c): the accounts of an organization,
 * listed with the credentials of its management account (or of a
 * delegated administrator), over JSON 1.1 (POST / with X-Amz-Target:
 * AWSOrganizationsV20161128.<operation>), signed for the service
 * "organizations" and us-east-1 at organizations.us-east-1.amazonaws.com
 * or the endpoint override (endpoint_url, AWS_ENDPOINT_URL_ORGANIZATIONS,
 * AWS_ENDPOINT_URL).  Reads only: nothing here changes an organization.
 */
#ifndef JANITOR_ORGANIZATIONS_H
#define JANITOR_ORGANIZATIONS_H

#include <stddef.h>

#include "janitor/aws.h"
#include "janitor/buf.h"
#include "janitor/wire.h"

/* Items a page may hold (the API's maximum, asked). */
#define ORG_PAGE_ITEMS 20
/* The most accounts and OUs one listing takes (AWS's default quota is
 * 10 accounts and 1,000 OUs; raised ones stay far below these).  More:
 * the listing fails with JAN_ETOOBIG, and the run deletes nothing. */
#define ORG_ACCOUNTS_MAX 100000u
#define ORG_UNITS_MAX    10000u

/* One page each; cb gets struct wire_org_account_page (the first two) or
 * struct wire_org_unit_page, or NULL when the call failed.  token NULL
 * for the first page; parent a root or OU id (wire_org_parent_id_valid,
 * else JAN_EINVAL and nothing is sent). */
int org_list_accounts(struct aws_client *c, const char *token,
                      aws_result_cb cb, void *arg);
int org_list_accounts_for_parent(struct aws_client *c, const char *parent,
                                 const char *token, aws_result_cb cb,
                                 void *arg);
int org_list_units_for_parent(struct aws_client *c, const char *parent,
                              const char *token, aws_result_cb cb,
                              void *arg);

/* DescribeOrganization; cb gets struct org_description. */
struct org_description { char management[13]; };
int org_describe_organization(struct aws_client *c, aws_result_cb cb,
                              void *arg);

/* The request body ({"MaxResults": 20, "ParentId": .., "NextToken": ..},
 * parent and token optional), appended to out: pure, for tests. */
int org_request_body(const char *parent, const char *token, struct jbuf *out);

/* A member account as listed (its Name is outside text: escape it before
 * it is shown). */
struct org_member {
  char id[13];
  char *name;                   /* or NULL */
  enum wire_org_status status;
};

struct org_listing {
  char management[13];          /* the management account's id */
  struct org_member *v;         /* sorted by id, each id once */
  size_t n;
  unsigned requests;            /* the Organizations calls it took */
};

void org_listing_free(struct org_listing *l);
/* The member of id, or NULL. */
const struct org_member *org_listing_find(const struct org_listing *l,
                                          const char *id);

/*
 * The whole listing: DescribeOrganization (the management account), then
 * without ous every ListAccounts page; with ous (OU
 * ids, checked by the caller), the accounts under each OU and, recursively,
 * under its child OUs (ListOrganizationalUnitsForParent,
 * ListAccountsForParent), each OU and each account once.  One request at
 * a time.  Unless org_discover returns an error (then nothing is
 * listed and cb never runs), cb runs once, on a later loop turn: with
 * err 0 and the listing (the callee owns it; the callback may move it out
 * by copying *l and zeroing it), or with an
 * error and why (a line naming the operation and the permission it needs,
 * organizations:<operation>, and the answer) and l NULL.  Never deletes.
 */
typedef void (*org_discover_cb)(void *arg, int err, const char *why,
                                struct org_listing *l);
int org_discover(struct aws_client *c, const char *const *ous, size_t nous,
                 org_discover_cb cb, void *arg);
/*
 * The same, with page (NULL: none) told of each page's accounts as the page
 * arrives, before the next is asked (management: the management account's
 * id; m borrowed for the call; an account may come twice, once per OU
 * given that holds it).  A page returns JAN_OK, or an error that ends the
 * listing as failed.  A listing that fails later still fails: whatever
 * the pages said is not a listing (cb says so).
 */
typedef int (*org_page_cb)(void *arg, const char *management,
                           const struct org_member *m, size_t n);
int org_discover_pages(struct aws_client *c, const char *const *ous,
                       size_t nous, org_page_cb page, org_discover_cb cb,
                       void *arg);

#endif
