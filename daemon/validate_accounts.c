/*
 * --validate with [account] sections (validate.h): each account checked
 * on its own credentials (SimulatePrincipalPolicy on the role it assumes),
 * and for each role_arn the trust policy the role needs, naming the
 * [aws] credentials' principal, printed beside the permissions.  The
 * external id is shown as a placeholder, never as its value.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/services.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"
#include "accounts.h"
#include "validate.h"

struct whoami {
  int pending;
  char principal[512];
};

static void identified(void *arg, const struct aws_response *r, void *res)
{
  struct whoami *w = arg;
  const struct wire_identity *id = res;
  (void)r;
  w->pending = 0;
  if(id)
    validate_principal_arn(id->arn, w->principal, sizeof(w->principal));
}

/* The principal of rt's credentials, or "" when they have none. */
static void principal_of(struct runtime *rt, const struct jan_config *cfg,
                         char *out, size_t outlen)
{
  struct whoami w = { .pending = 1 };
  if(sts_get_caller_identity(rt->aws, cfg->nregions ? cfg->regions[0]
                                                    : "us-east-1",
                             identified, &w) == JAN_OK)
    while(w.pending && uv_run(rt->loop, UV_RUN_ONCE))
      ;
  snprintf(out, outlen, "%s", w.principal);
}

/* The trust policy of a's role: principal may assume it (with the
 * external id when one is configured). */
static struct json_object *trust_policy(const struct jan_account *a,
                                        const char *principal)
{
  struct json_object *doc = json_object_new_object();
  struct json_object *stmts = json_object_new_array();
  struct json_object *st = json_object_new_object();
  struct json_object *who = json_object_new_object();

  json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
  json_object_object_add(st, "Effect", json_object_new_string("Allow"));
  json_object_object_add(who, "AWS", json_object_new_string(
                             principal[0] ? principal
                                          : "ARN of the [aws] credentials"));
  json_object_object_add(st, "Principal", who);
  json_object_object_add(st, "Action", json_object_new_string(
                             "sts:AssumeRole"));
  if(a->external_id) {
    struct json_object *cond = json_object_new_object();
    struct json_object *eq = json_object_new_object();
    char ph[JAN_ACCOUNT_NAME_MAX + 64];
    snprintf(ph, sizeof(ph), "the external_id of [account %s]", a->name);
    json_object_object_add(eq, "sts:ExternalId", json_object_new_string(ph));
    json_object_object_add(cond, "StringEquals", eq);
    json_object_object_add(st, "Condition", cond);
  }
  json_object_array_add(stmts, st);
  json_object_object_add(doc, "Statement", stmts);
  return doc;
}

static int worse(int a, int b)
{
  return b > a ? b : a;
}

int validate_accounts(struct runtime *base, const struct jan_config *cfg,
                      const char *const *only, size_t nonly, int json)
{
  struct accounts as;
  struct json_object *arr = json ? json_object_new_array() : NULL;
  char principal[512];
  struct jbuf err;
  int code = EXIT_OK;

  jbuf_init(&err, JAN_MSG_MAX);
  if(accounts_open(&as, base, cfg, only, nonly, &err)) {
    untrusted_fprintf(stderr, "remotion-janitor: %s\n", jbuf_str(&err));
    jbuf_free(&err);
    accounts_close(&as);
    json_object_put(arr);
    return EXIT_USAGE;
  }
  jbuf_free(&err);
  principal_of(base, cfg, principal, sizeof(principal));
  for(size_t i = 0; i < as.n; i++) {
    struct account_sweep *a = &as.a[i];
    struct json_object *trust = a->acct->role_arn
                              ? trust_policy(a->acct, principal) : NULL;
    code = worse(code, validate_account(&a->rt, &a->view, json,
                                        a->acct->name, arr));
    if(trust && arr) {
      struct json_object *last = json_object_array_get_idx(
          arr, json_object_array_length(arr) - 1);
      json_object_object_add(last, "role_arn",
                             json_object_new_string(a->acct->role_arn));
      json_object_object_add(last, "trust_policy", json_object_get(trust));
    }
    else if(trust)
      printf("The role %s must trust the [aws] credentials:\n%s\n\n",
             a->acct->role_arn, json_object_to_json_string_ext(
                 trust, JSON_C_TO_STRING_PRETTY |
                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(trust);
  }
  if(arr) {
    struct json_object *doc = json_object_new_object();
    json_object_object_add(doc, "ok", json_object_new_boolean(!code));
    json_object_object_add(doc, "accounts", arr);
    untrusted_json_fputs(json_object_to_json_string_ext(
                             doc, JSON_C_TO_STRING_PLAIN |
                             JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
    putchar('\n');
    json_object_put(doc);
  }
  accounts_close(&as);
  return code;
}
