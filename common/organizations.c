/*
 * AWS Organizations (organizations.h): the three listing calls, and the
 * walk that lists an organization's accounts -- every ListAccounts page,
 * or the OUs given and their child OUs, recursively -- one request at a
 * time, each account and each OU once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/log.h"
#include "janitor/organizations.h"

#define TAG "organizations"
#define ORG_CONTENT_TYPE "application/x-amz-json-1.1"
#define ORG_TARGET_PREFIX "AWSOrganizationsV20161128."
/*
 * What one page may weigh: an account's Id, Arn (about 90 bytes), Email
 * (64), Name (128 bytes, JSON-escaped at worst 6 bytes a byte: 768),
 * status, joined method and time: under 2 KiB; 20 of them, and NextToken
 * (at most 100,000 characters in the API's model) with the envelope.
 */
#define ORG_MAX_BODY (ORG_PAGE_ITEMS * 2048u + 128u * 1024)

int org_request_body(const char *parent, const char *token, struct jbuf *out)
{
  json_object *o = json_object_new_object();
  const char *s;
  int rc = o ? JAN_OK : JAN_ENOMEM;

  if(!rc && json_object_object_add(o, "MaxResults",
                                   json_object_new_int(ORG_PAGE_ITEMS)))
    rc = JAN_ENOMEM;
  if(!rc && parent &&
     json_object_object_add(o, "ParentId", json_object_new_string(parent)))
    rc = JAN_ENOMEM;
  if(!rc && token && *token &&
     json_object_object_add(o, "NextToken", json_object_new_string(token)))
    rc = JAN_ENOMEM;
  if(!rc) {
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = s ? jbuf_addstr(out, s) : JAN_ENOMEM;
  }
  json_object_put(o);
  return rc;
}

static int parse_accounts(const char *b, size_t n, void *out)
{
  return wire_org_parse_accounts(b, n, out);
}
static void free_accounts(void *p)
{
  wire_org_account_page_free(p);
}
static int parse_units(const char *b, size_t n, void *out)
{
  return wire_org_parse_units(b, n, out);
}
static void free_units(void *p)
{
  wire_org_unit_page_free(p);
}

static int parse_description(const char *b, size_t n, void *out)
{
  struct org_description *d = out;
  return wire_org_parse_organization(b, n, d->management);
}

int org_describe_organization(struct aws_client *c, aws_result_cb cb,
                              void *arg)
{
  static const char body[] = "{}";
  struct aws_request r = {
    .service = AWS_SVC_ORGANIZATIONS, .region = "us-east-1",
    .op = "DescribeOrganization", .method = "POST", .path = "/",
    .content_type = ORG_CONTENT_TYPE,
    .target = ORG_TARGET_PREFIX "DescribeOrganization", .body = body,
    .body_len = sizeof(body) - 1, .max_body = ORG_MAX_BODY
  };
  return aws_send_parsed(c, &r, sizeof(struct org_description),
                         parse_description, NULL, cb, arg);
}

static int call(struct aws_client *c, const char *op, const char *parent,
                const char *token, int units, aws_result_cb cb, void *arg)
{
  char target[80];
  struct jbuf body;
  int rc;

  if(parent && !wire_org_parent_id_valid(parent, 1))
    return JAN_EINVAL;
  jbuf_init(&body, JAN_REQUEST_BODY_MAX);
  rc = org_request_body(parent, token, &body);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_ORGANIZATIONS, .region = "us-east-1", .op = op,
      .method = "POST", .path = "/", .content_type = ORG_CONTENT_TYPE,
      .target = target, .body = body.ptr, .body_len = body.len,
      .max_body = ORG_MAX_BODY
    };
    snprintf(target, sizeof(target), ORG_TARGET_PREFIX "%s", op);
    rc = units ? aws_send_parsed(c, &r, sizeof(struct wire_org_unit_page),
                                 parse_units, free_units, cb, arg)
               : aws_send_parsed(c, &r,
                                 sizeof(struct wire_org_account_page),
                                 parse_accounts, free_accounts, cb, arg);
  }
  jbuf_free(&body);
  return rc;
}

int org_list_accounts(struct aws_client *c, const char *token,
                      aws_result_cb cb, void *arg)
{
  return call(c, "ListAccounts", NULL, token, 0, cb, arg);
}

int org_list_accounts_for_parent(struct aws_client *c, const char *parent,
                                 const char *token, aws_result_cb cb,
                                 void *arg)
{
  if(!parent)
    return JAN_EINVAL;
  return call(c, "ListAccountsForParent", parent, token, 0, cb, arg);
}

int org_list_units_for_parent(struct aws_client *c, const char *parent,
                              const char *token, aws_result_cb cb, void *arg)
{
  if(!parent)
    return JAN_EINVAL;
  return call(c, "ListOrganizationalUnitsForParent", parent, token, 1, cb,
              arg);
}

/* ---- the listing ------------------------------------------------------ */

void org_listing_free(struct org_listing *l)
{
  if(!l)
    return;
  for(size_t i = 0; i < l->n; i++)
    free(l->v[i].name);
  free(l->v);
  memset(l, 0, sizeof(*l));
}

static int member_cmp(const void *a, const void *b)
{
  return strcmp(((const struct org_member *)a)->id,
                ((const struct org_member *)b)->id);
}

const struct org_member *org_listing_find(const struct org_listing *l,
                                          const char *id)
{
  struct org_member key;

  if(!l->n || !wire_org_account_id_valid(id))
    return NULL;
  memcpy(key.id, id, sizeof(key.id));
  return bsearch(&key, l->v, l->n, sizeof(*l->v), member_cmp);
}

/*
 * The walk: a queue of parents (the OUs given, then the child OUs found),
 * and for each parent two listings, its child OUs then its accounts, each
 * paged.  Without OUs, one listing: ListAccounts.
 */
enum walk_step { WALK_DESCRIBE, WALK_ACCOUNTS, WALK_UNITS,
                 WALK_UNIT_ACCOUNTS };

struct org_walk {
  struct aws_client *c;
  org_discover_cb cb;
  org_page_cb page;             /* NULL: none */
  void *arg;
  char (*parents)[69];          /* OU ids, each once */
  size_t nparents, parents_cap, at;
  enum walk_step step;
  enum walk_step first;         /* after WALK_DESCRIBE */
  char *token;                  /* of the page to ask next */
  struct org_listing l;
  size_t cap;
};

static void walk_end(struct org_walk *w, int err, const char *why)
{
  if(!err) {
    /* Sorted, each id once (an account listed under two OUs given). */
    size_t k = 0;
    qsort(w->l.v, w->l.n, sizeof(*w->l.v), member_cmp);
    for(size_t i = 0; i < w->l.n; i++) {
      if(k && !strcmp(w->l.v[k - 1].id, w->l.v[i].id)) {
        free(w->l.v[i].name);
        continue;
      }
      w->l.v[k++] = w->l.v[i];
    }
    w->l.n = k;
  }
  w->cb(w->arg, err, why, err ? NULL : &w->l);
  org_listing_free(&w->l);
  free(w->parents);
  free(w->token);
  free(w);
}

static int add_parent(struct org_walk *w, const char *id)
{
  for(size_t i = 0; i < w->nparents; i++)
    if(!strcmp(w->parents[i], id))
      return JAN_OK;
  if(w->nparents >= ORG_UNITS_MAX)
    return JAN_ETOOBIG;
  if(w->nparents == w->parents_cap) {
    size_t cap = w->parents_cap ? w->parents_cap * 2 : 16;
    void *p = realloc(w->parents, cap * sizeof(*w->parents));
    if(!p)
      return JAN_ENOMEM;
    w->parents = p;
    w->parents_cap = cap;
  }
  snprintf(w->parents[w->nparents++], sizeof(*w->parents), "%s", id);
  return JAN_OK;
}

static int add_member(struct org_walk *w, struct wire_org_account *a)
{
  struct org_member *m;

  if(w->l.n >= ORG_ACCOUNTS_MAX)
    return JAN_ETOOBIG;
  if(w->l.n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 32;
    void *p = realloc(w->l.v, cap * sizeof(*w->l.v));
    if(!p)
      return JAN_ENOMEM;
    w->l.v = p;
    w->cap = cap;
  }
  m = &w->l.v[w->l.n++];
  memcpy(m->id, a->id, sizeof(m->id));
  m->name = a->name;            /* moved */
  a->name = NULL;
  m->status = a->status;
  return JAN_OK;
}

static void walk_next(struct org_walk *w);

static const char *step_op(enum walk_step s)
{
  return s == WALK_DESCRIBE ? "DescribeOrganization"
       : s == WALK_ACCOUNTS ? "ListAccounts"
       : s == WALK_UNITS ? "ListOrganizationalUnitsForParent"
       : "ListAccountsForParent";
}

/* The page's next token, or the next step when it was the last page. */
static int take_token(struct org_walk *w, char **token)
{
  free(w->token);
  w->token = *token;
  *token = NULL;
  if(w->token)
    return 0;
  if(w->step == WALK_UNITS)
    w->step = WALK_UNIT_ACCOUNTS;
  else if(w->step == WALK_UNIT_ACCOUNTS) {
    w->step = WALK_UNITS;
    w->at++;
  }
  else
    return 1;                   /* ListAccounts: done */
  return w->at >= w->nparents;
}

static void page_failed(struct org_walk *w, const struct aws_response *r)
{
  char desc[AWS_DESCRIBE_MAX];
  char why[AWS_DESCRIBE_MAX + 256];
  const char *op = step_op(w->step);

  aws_describe_error(r, op, desc, sizeof(desc));
  snprintf(why, sizeof(why), "%s %s: %s (the listing of the organization "
           "needs organizations:%s)",
           aws_error_is_access_denied(r) ? "denied:" : "failed:", op, desc,
           op);
  walk_end(w, r->err ? r->err : JAN_EAWS, why);
}

/* A page's items are in (added by the caller, rc its result): follow its
 * token, or end the walk. */
static void page_taken(struct org_walk *w, int rc, const char *what,
                       char **token)
{
  char why[128];

  if(rc) {
    snprintf(why, sizeof(why), "the organization has more than the most %s "
             "one listing takes", what);
    walk_end(w, rc, rc == JAN_ETOOBIG ? why : jan_strerror(rc));
    return;
  }
  if(take_token(w, token)) {
    walk_end(w, JAN_OK, NULL);
    return;
  }
  walk_next(w);
}

static void on_accounts(void *arg, const struct aws_response *r,
                        void *result)
{
  struct org_walk *w = arg;
  struct wire_org_account_page *p = result;
  int rc = JAN_OK;

  w->l.requests++;
  if(!p) {
    page_failed(w, r);
    return;
  }
  size_t from = w->l.n;

  for(size_t i = 0; i < p->n && !rc; i++)
    rc = add_member(w, &p->v[i]);
  if(!rc && w->page && w->l.n > from)
    rc = w->page(w->arg, w->l.management, &w->l.v[from], w->l.n - from);
  page_taken(w, rc, "accounts", &p->next_token);
}

static void on_units(void *arg, const struct aws_response *r, void *result)
{
  struct org_walk *w = arg;
  struct wire_org_unit_page *p = result;
  int rc = JAN_OK;

  w->l.requests++;
  if(!p) {
    page_failed(w, r);
    return;
  }
  for(size_t i = 0; i < p->n && !rc; i++)
    rc = add_parent(w, p->v[i].id);
  page_taken(w, rc, "OUs", &p->next_token);
}

static void on_description(void *arg, const struct aws_response *r,
                           void *result)
{
  struct org_walk *w = arg;
  struct org_description *d = result;

  w->l.requests++;
  if(!d) {
    page_failed(w, r);
    return;
  }
  memcpy(w->l.management, d->management, sizeof(w->l.management));
  w->step = w->first;
  walk_next(w);
}

static void walk_next(struct org_walk *w)
{
  int rc;

  switch(w->step) {
  case WALK_DESCRIBE:
    rc = org_describe_organization(w->c, on_description, w);
    break;
  case WALK_ACCOUNTS:
    rc = org_list_accounts(w->c, w->token, on_accounts, w);
    break;
  case WALK_UNITS:
    rc = org_list_units_for_parent(w->c, w->parents[w->at], w->token,
                                   on_units, w);
    break;
  default:
    rc = org_list_accounts_for_parent(w->c, w->parents[w->at], w->token,
                                      on_accounts, w);
    break;
  }
  if(rc) {
    char why[256];
    snprintf(why, sizeof(why), "%s: not sent: %s", step_op(w->step),
             jan_strerror(rc));
    walk_end(w, rc, why);
  }
}

int org_discover(struct aws_client *c, const char *const *ous, size_t nous,
                 org_discover_cb cb, void *arg)
{
  return org_discover_pages(c, ous, nous, NULL, cb, arg);
}

int org_discover_pages(struct aws_client *c, const char *const *ous,
                       size_t nous, org_page_cb page, org_discover_cb cb,
                       void *arg)
{
  struct org_walk *w = calloc(1, sizeof(*w));
  int rc = JAN_OK;

  if(!w)
    return JAN_ENOMEM;
  w->c = c;
  w->cb = cb;
  w->page = page;
  w->arg = arg;
  w->first = nous ? WALK_UNITS : WALK_ACCOUNTS;
  w->step = WALK_DESCRIBE;
  for(size_t i = 0; i < nous && !rc; i++)
    rc = wire_org_parent_id_valid(ous[i], 0) ? add_parent(w, ous[i])
                                             : JAN_EINVAL;
  if(rc) {
    free(w->parents);
    free(w);
    return rc;
  }
  jlog_debug(TAG, "listing the organization's accounts%s",
             nous ? " under the OUs given" : "");
  /* The first request here, not through walk_next(): when it cannot be
   * sent, the caller hears it from the return, never from cb. */
  rc = org_describe_organization(c, on_description, w);
  if(rc) {
    free(w->parents);
    free(w);
  }
  return rc;
}
