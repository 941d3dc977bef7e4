/*
 * --validate (remotion-janitor(8), MODES): who am I (sts:GetCallerIdentity), then
 * iam:SimulatePrincipalPolicy for every action the enabled features need,
 * on resources of the shapes they touch.  Prints the decisions and, for
 * what is missing, the policy statement to add.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "janitor/log.h"
#include "janitor/organizations.h"
#include "janitor/perms.h"
#include "janitor/services.h"
#include "janitor/untrusted.h"
#include "janitor/caps.h"
#include "janitor/wire.h"
#include "account_list.h"
#include "accounts.h"
#include "sweep.h"
#include "validate.h"

/* One check: an action on a resource, and the decision that came back. */
struct check {
  const char *action;
  char resource[256];
  char decision[16];           /* "" until answered */
  int optional;                /* has a fallback; reported, fails only when
                                   the fallback is missing too */
  const struct jan_perm *feature;  /* an optional feature's row (perms.h:
                                   log groups, keep tags), else NULL */
  int needed;                   /* that feature is on in the config */
};

#define MAX_CHECKS 56

struct validation {
  struct runtime *rt;
  const struct jan_config *cfg;
  struct check checks[MAX_CHECKS];
  size_t n;
  char principal[512];
  char account[13];
  int pending;
  int err;
  char errmsg[AWS_DESCRIBE_MAX + 128];
};

static void add(struct validation *v, const char *action, int optional,
                const char *fmt, ...) JAN_PRINTF(4, 5);
static void add(struct validation *v, const char *action, int optional,
                const char *fmt, ...)
{
  struct check *c;
  va_list ap;
  if(v->n == MAX_CHECKS)
    return;
  c = &v->checks[v->n++];
  c->action = action;
  va_start(ap, fmt);
  vsnprintf(c->resource, sizeof(c->resource), fmt, ap);
  va_end(ap);
  c->decision[0] = '\0';
  c->optional = optional;
}

/* Example resources of each shape, inside the scope: IAM is asked about
 * the names the janitor touches, not about the patterns. */
static size_t examples(enum perm_res res, const char *account, int one,
                       char out[2][160])
{
  switch(res) {
  case PERM_RES_BUCKET:
  case PERM_RES_OBJECT: {
    static const char *const bk[] = { "remotionlambda-example",
                                      "remotion-example" };
    size_t n = one ? 1 : 2;
    for(size_t i = 0; i < n; i++)
      snprintf(out[i], 160, "arn:aws:s3:::%s%s", bk[i],
               res == PERM_RES_OBJECT ? "/renders/example/out.mp4" : "");
    return n;
  }
  case PERM_RES_FUNCTION:
    snprintf(out[0], 160, "arn:aws:lambda:us-east-1:%s:function:"
             "remotion-render-example", account);
    return 1;
  case PERM_RES_LAYER:
  case PERM_RES_LAYER_VERSION:
    snprintf(out[0], 160, "arn:aws:lambda:us-east-1:%s:layer:"
             "remotion-binaries%s", account,
             res == PERM_RES_LAYER_VERSION ? ":1" : "");
    return 1;
  case PERM_RES_LOG_GROUP:
    snprintf(out[0], 160, "arn:aws:logs:us-east-1:%s:log-group:"
             "/aws/lambda/remotion-render-example", account);
    return 1;
  case PERM_RES_ANY:
  default:
    snprintf(out[0], 160, "*");
    return 1;
  }
}

/* An optional feature's name, as its config key says it. */
static const char *feature_name(enum perm_feature f)
{
  return f == PERM_FOR_LOG_GROUPS ? "log_groups" : "keep_tag";
}

/* Whether the config uses an optional feature's action: log groups with
 * log_groups (and functions), keep tags with keep_tag for the kinds swept
 * (ListTags for functions, GetBucketTagging for buckets). */
static int feature_needed(const struct jan_config *cfg, enum perm_id id)
{
  const struct jan_perm *p = perm_get(id);
  if(p->feature == PERM_FOR_LOG_GROUPS)
    return cfg->log_groups && cfg->functions;
  if(!cfg->keep_tag || !cfg->keep_tag[0])
    return 0;
  return id == PERM_LIST_TAGS ? cfg->functions : cfg->buckets;
}

/*
 * What the janitor does, by feature (the table in common/perms.c), on
 * resources shaped like the ones it touches.
 */
static void plan(struct validation *v)
{
  const struct jan_config *cfg = v->cfg;
  for(int id = 0; id < PERM_COUNT; id++) {
    const struct jan_perm *p = perm_get((enum perm_id)id);
    char ex[2][160];
    size_t n;
    if(p->feature == PERM_FOR_VALIDATE ||
       (p->feature == PERM_FOR_FUNCTIONS && !cfg->functions) ||
       (p->feature == PERM_FOR_LAYERS && !cfg->layers) ||
       (p->feature == PERM_FOR_BUCKETS && !cfg->buckets &&
        !(cfg->renders != JAN_RENDERS_KEEP &&
          perm_for_renders((enum perm_id)id))))
      continue;
    /* Listing needs the bucket's region once, not per bucket shape. */
    n = examples(p->res, v->account, p->feature == PERM_FOR_LISTING, ex);
    for(size_t i = 0; i < n; i++)
      add(v, p->action, p->optional, "%s", ex[i]);
  }
  /* The optional features: asked whether or not the config uses them, so
   * that turning one on is known to work beforehand. */
  for(int id = PERM_COUNT; id < PERM_ALL_COUNT; id++) {
    const struct jan_perm *p = perm_get((enum perm_id)id);
    char ex[2][160];
    size_t n = examples(p->res, v->account, 1, ex);
    for(size_t i = 0; i < n && v->n < MAX_CHECKS; i++) {
      add(v, p->action, 1, "%s", ex[i]);
      v->checks[v->n - 1].feature = p;
      v->checks[v->n - 1].needed = feature_needed(cfg, (enum perm_id)id);
    }
  }
}

/* assumed-role ARNs are rewritten to the role's ARN, which IAM knows. */
void validate_principal_arn(const char *arn, char *out, size_t outlen)
{
  const char *p = strstr(arn, ":assumed-role/");
  if(p && !strncmp(arn, "arn:aws:sts::", 13)) {
    const char *role = p + strlen(":assumed-role/");
    size_t rl = strcspn(role, "/");
    snprintf(out, outlen, "arn:aws:iam::%.*s:role/%.*s",
             (int)(p - (arn + 13)), arn + 13, (int)rl, role);
  }
  else {
    snprintf(out, outlen, "%s", arn);
  }
}

struct sim {
  struct validation *v;
  size_t idx;                   /* the check being asked */
};

static void simulated(void *arg, const struct aws_response *r, void *res);

static void ask(struct validation *v, size_t idx, const char *marker)
{
  const char *act[1] = { v->checks[idx].action };
  const char *rsc[1] = { v->checks[idx].resource };
  struct sim *s = malloc(sizeof(*s));
  if(!s) {
    v->err = JAN_ENOMEM;
    return;
  }
  s->v = v;
  s->idx = idx;
  v->pending++;
  if(iam_simulate_principal_policy(v->rt->aws, v->principal, act, 1, rsc, 1,
                                   marker, simulated, s)) {
    v->pending--;
    v->err = JAN_ENOMEM;
    free(s);
  }
}

static void simulated(void *arg, const struct aws_response *r, void *res)
{
  struct sim *s = arg;
  struct validation *v = s->v;
  struct iam_simulate_page *p = res;
  struct check *c = &v->checks[s->idx];

  v->pending--;
  if(!p) {
    if(!v->err) {
      v->err = r->err;
      aws_describe_error(r, "SimulatePrincipalPolicy", v->errmsg,
                         sizeof(v->errmsg));
      if(aws_error_is_access_denied(r))
        snprintf(v->errmsg + strlen(v->errmsg),
                 sizeof(v->errmsg) - strlen(v->errmsg),
                 "; --validate needs %s", perm_action(PERM_SIMULATE));
    }
  }
  else {
    for(size_t i = 0; i < p->n; i++)
      if(!strcasecmp(p->v[i].action, c->action))
        snprintf(c->decision, sizeof(c->decision), "%s", p->v[i].decision);
    if(p->truncated && p->marker && !c->decision[0])
      ask(v, s->idx, p->marker);
  }
  free(s);
}

static void identified(void *arg, const struct aws_response *r, void *res)
{
  struct validation *v = arg;
  struct wire_identity *id = res;
  v->pending--;
  if(!id) {
    v->err = r->err;
    aws_describe_error(r, "GetCallerIdentity", v->errmsg, sizeof(v->errmsg));
    return;
  }
  memcpy(v->account, id->account, sizeof(v->account));
  validate_principal_arn(id->arn, v->principal, sizeof(v->principal));
  if(strstr(v->principal, ":root")) {
    v->err = JAN_EINVAL;
    snprintf(v->errmsg, sizeof(v->errmsg), "the credentials are the "
             "account's root user: it may do anything, and IAM cannot "
             "simulate it; use an IAM user or role");
    return;
  }
  plan(v);
  for(size_t i = 0; i < v->n; i++)
    ask(v, i, NULL);
}

/* The statement that would allow every missing action, as JSON. */
static struct json_object *missing_statement(const struct validation *v)
{
  struct json_object *st = NULL, *acts = NULL, *res = NULL;
  for(size_t i = 0; i < v->n; i++) {
    const struct check *c = &v->checks[i];
    int dup = 0;
    if(!strcmp(c->decision, "allowed") || c->feature)
      continue;
    if(!st) {
      st = json_object_new_object();
      acts = json_object_new_array();
      res = json_object_new_array();
      json_object_object_add(st, "Sid",
                             json_object_new_string("RemotionJanitor"));
      json_object_object_add(st, "Effect", json_object_new_string("Allow"));
    }
    for(size_t j = 0; j < i; j++)
      if(strcmp(v->checks[j].decision, "allowed") && !v->checks[j].feature &&
         !strcmp(v->checks[j].action, c->action))
        dup = 1;
    if(!dup)
      json_object_array_add(acts, json_object_new_string(c->action));
  }
  if(!st)
    return NULL;
  /* The resources, as scoped patterns rather than the example names: those
   * of the shapes the missing actions are used on. */
  {
    int shape[PERM_RES_LAYER_VERSION + 1] = { 0 };
    for(size_t i = 0; i < v->n; i++)
      if(strcmp(v->checks[i].decision, "allowed") && !v->checks[i].feature)
        for(int id = 0; id < PERM_COUNT; id++)
          if(!strcmp(perm_action((enum perm_id)id), v->checks[i].action))
            shape[perm_get((enum perm_id)id)->res] = 1;
    for(int r = PERM_RES_ANY; r <= PERM_RES_LAYER_VERSION; r++) {
      const char *const *pats;
      size_t n = perm_patterns((enum perm_res)r, &pats);
      for(size_t i = 0; shape[r] && i < n; i++)
        json_object_array_add(res, json_object_new_string(pats[i]));
    }
  }
  json_object_object_add(st, "Action", acts);
  json_object_object_add(st, "Resource", res);
  return st;
}

/* One account, on its own credentials: its text under "account NAME";
 * with json, its document (with "name") added to the array into. */
static int validate_account(struct runtime *rt, const struct jan_config *cfg,
                            int json, const char *name,
                            struct json_object *into)
{
  struct validation v;
  size_t missing = 0, optional_missing = 0, features_denied = 0, base;
  struct json_object *stmt;

  memset(&v, 0, sizeof(v));
  v.rt = rt;
  v.cfg = cfg;
  v.pending = 1;
  if(sts_get_caller_identity(rt->aws, cfg->nregions ? cfg->regions[0]
                                                    : "us-east-1",
                             identified, &v)) {
    fprintf(stderr, "remotion-janitor: cannot send GetCallerIdentity\n");
    return EXIT_INCOMPLETE;
  }
  while(v.pending && uv_run(rt->loop, UV_RUN_ONCE))
    ;
  if(v.err) {
    const char *msg = v.errmsg[0] ? v.errmsg : jan_strerror(v.err);
    untrusted_fprintf(stderr, "remotion-janitor: account %s: %s\n", name,
                      msg);
    if(into) {
      struct json_object *o = json_object_new_object();
      json_object_object_add(o, "name", json_object_new_string(name));
      json_object_object_add(o, "ok", json_object_new_boolean(0));
      json_object_object_add(o, "error", json_object_new_string(msg));
      json_object_array_add(into, o);
    }
    return v.err == JAN_ECREDS || v.err == JAN_EAWS || v.err == JAN_EINVAL
               ? EXIT_CREDENTIALS : EXIT_INCOMPLETE;
  }
  /* Layer versions are listed with ListLayerVersions or, without it, probed
   * with GetLayerVersion: one of the two is needed. */
  {
    const char *list = perm_action(PERM_LIST_LAYER_VERSIONS);
    const char *get = perm_action(PERM_GET_LAYER_VERSION);
    int list_ok = 0, get_ok = 0;
    for(size_t i = 0; i < v.n; i++) {
      if(!strcmp(v.checks[i].action, list))
        list_ok = !strcmp(v.checks[i].decision, "allowed");
      if(!strcmp(v.checks[i].action, get))
        get_ok = !strcmp(v.checks[i].decision, "allowed");
    }
    if(!list_ok && !get_ok)
      for(size_t i = 0; i < v.n; i++)
        if(!strcmp(v.checks[i].action, get))
          v.checks[i].optional = 0;
  }
  for(size_t i = 0; i < v.n; i++) {
    if(v.checks[i].feature) {
      /* Without them the sweep goes on ("not permitted"): never a
       * failure of --validate. */
      features_denied += v.checks[i].needed &&
                         strcmp(v.checks[i].decision, "allowed");
      continue;
    }
    if(strcmp(v.checks[i].decision, "allowed")) {
      if(v.checks[i].optional)
        optional_missing++;
      else
        missing++;
    }
  }
  stmt = missing_statement(&v);
  if(json) {
    struct json_object *doc = json_object_new_object();
    struct json_object *arr = json_object_new_array();
    json_object_object_add(doc, "name", json_object_new_string(name));
    json_object_object_add(doc, "principal",
                           json_object_new_string(v.principal));
    struct json_object *feat = json_object_new_array();
    for(size_t i = 0; i < v.n; i++) {
      struct json_object *o = json_object_new_object();
      if(v.checks[i].feature) {
        json_object_object_add(o, "feature", json_object_new_string(
                                   feature_name(v.checks[i].feature->feature)));
        json_object_object_add(o, "action", json_object_new_string(
                                   v.checks[i].action));
        json_object_object_add(o, "resource", json_object_new_string(
                                   v.checks[i].resource));
        json_object_object_add(o, "decision", json_object_new_string(
                                   v.checks[i].decision[0]
                                   ? v.checks[i].decision : "unknown"));
        json_object_object_add(o, "needed",
                               json_object_new_boolean(v.checks[i].needed));
        json_object_object_add(o, "statement", json_object_new_string(
                                   v.checks[i].feature->sid));
        json_object_array_add(feat, o);
        continue;
      }
      json_object_object_add(o, "action",
                             json_object_new_string(v.checks[i].action));
      json_object_object_add(o, "resource",
                             json_object_new_string(v.checks[i].resource));
      json_object_object_add(o, "decision", json_object_new_string(
                                 v.checks[i].decision[0] ? v.checks[i].decision
                                                         : "unknown"));
      json_object_object_add(o, "optional",
                             json_object_new_boolean(v.checks[i].optional));
      json_object_array_add(arr, o);
    }
    json_object_object_add(doc, "results", arr);
    json_object_object_add(doc, "optional_features", feat);
    json_object_object_add(doc, "ok", json_object_new_boolean(!missing));
    json_object_object_add(doc, "missing_statement",
                           stmt ? json_object_get(stmt) : NULL);
    json_object_array_add(into, doc);
  }
  else {
    printf("account %s\n", name);
    /* The principal and the decisions come from answers. */
    untrusted_fprintf(stdout, "principal: %s\n", v.principal);
    printf("%-26s %-64s %s\n", "ACTION", "RESOURCE", "DECISION");
    for(size_t i = 0; i < v.n; i++)
      if(!v.checks[i].feature)
        untrusted_fprintf(stdout, "%-26s %-64s %s%s\n", v.checks[i].action,
                        v.checks[i].resource, v.checks[i].decision[0]
                        ? v.checks[i].decision : "unknown",
                        v.checks[i].optional &&
                        strcmp(v.checks[i].decision, "allowed")
                        ? " (optional: a slower fallback is used)" : "");
    printf("\noptional features (statements of the shipped policy that may "
           "be left out):\n%-11s %-26s %-10s %-11s %s\n", "FEATURE",
           "ACTION", "NEEDED", "DECISION", "STATEMENT");
    for(size_t i = 0; i < v.n; i++)
      if(v.checks[i].feature)
        untrusted_fprintf(stdout, "%-11s %-26s %-10s %-11s %s\n",
                          feature_name(v.checks[i].feature->feature),
                          v.checks[i].action,
                          v.checks[i].needed ? "needed" : "not-needed",
                          v.checks[i].decision[0] ? v.checks[i].decision
                                                  : "unknown",
                          v.checks[i].feature->sid);
    if(stmt) {
      putchar('\n');
      untrusted_fprintf(stdout, "Add this statement to the policy of %s:\n",
                        v.principal);
      untrusted_json_fputs(json_object_to_json_string_ext(
                               stmt, JSON_C_TO_STRING_PRETTY |
                               JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
      putchar('\n');
    }
    base = 0;
    for(size_t i = 0; i < v.n; i++)
      base += !v.checks[i].feature;
    printf("%s: %zu allowed, %zu missing, %zu optional missing\n",
           missing ? "missing permissions" : "ok",
           base - missing - optional_missing, missing, optional_missing);
    if(features_denied)
      printf("%zu action%s of the features in use not allowed: the sweep "
             "reports them \"not permitted\" and goes on\n",
             features_denied, features_denied == 1 ? "" : "s");
  }
  if(stmt)
    json_object_put(stmt);
  return missing ? EXIT_CREDENTIALS : EXIT_OK;
}

struct whoami {
  int pending;
  char principal[512];
};

static void whoami_identified(void *arg, const struct aws_response *r, void *res)
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
                             whoami_identified, &w) == JAN_OK)
    while(w.pending && uv_run(rt->loop, UV_RUN_ONCE))
      ;
  snprintf(out, outlen, "%s", w.principal);
}

static struct json_object *trust_policy_of(int external, const char *where,
                                           const char *principal);

/* The trust policy of a's role: principal may assume it (with the
 * external id when one is configured). */
static struct json_object *trust_policy(const struct jan_account *a,
                                        const char *principal)
{
  char where[JAN_ACCOUNT_NAME_MAX + 16];
  snprintf(where, sizeof(where), "[account %s]", a->name);
  return trust_policy_of(a->external_id != NULL, where, principal);
}

/* The same for whoever's role: external says whether the trust asks for
 * the external id of where (a section, "[organization]"). */
static struct json_object *trust_policy_of(int external, const char *where,
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
  if(external) {
    struct json_object *cond = json_object_new_object();
    struct json_object *eq = json_object_new_object();
    char ph[JAN_ACCOUNT_NAME_MAX + 64];
    snprintf(ph, sizeof(ph), "the external_id of %s", where);
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

/* ---- [organization] (issue 22) ---------------------------------------- */

struct org_check {
  int done, err;
  char why[AWS_DESCRIBE_MAX + 256];
  struct org_listing l;
};

static void org_listed(void *arg, int err, const char *why,
                       struct org_listing *l)
{
  struct org_check *o = arg;
  o->done = 1;
  o->err = err;
  snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
  if(l) {
    o->l = *l;
    memset(l, 0, sizeof(*l));
  }
}

/* The trust policy every member role needs: the [aws] principal may
 * assume it, with the external id when one is set. */
static struct json_object *member_trust(const struct jan_config *cfg,
                                        const char *principal)
{
  return trust_policy_of(cfg->org_external_id != NULL, "[organization]",
                         principal);
}

/*
 * The listing itself is the check of its permissions (it makes the calls
 * a run makes, with the same credentials); then the list of the run's
 * accounts, whose roles validate_account() checks like sections', and
 * the trust policy the members' role needs, printed once.  On failure
 * *code is EXIT_CREDENTIALS and nothing else is checked.
 */
static int validate_organization(struct runtime *base,
                                 const struct jan_config *cfg,
                                 struct org_check *o, struct account_list *al,
                                 const char *principal,
                                 struct json_object **doc)
{
  struct json_object *trust;
  int rc;

  memset(o, 0, sizeof(*o));
  rc = org_discover(base->aws, (const char *const *)cfg->org_ous,
                    cfg->norg_ous, org_listed, o);
  if(rc) {
    o->err = rc;
    snprintf(o->why, sizeof(o->why), "cannot list the organization: %s",
             jan_strerror(rc));
  }
  else
    while(!o->done && uv_run(base->loop, UV_RUN_ONCE))
      ;
  if(doc)
    *doc = json_object_new_object();
  if(o->err) {
    untrusted_fprintf(stderr, "remotion-janitor: organization: %s\n",
                      o->why);
    if(doc) {
      json_object_object_add(*doc, "ok", json_object_new_boolean(0));
      json_object_object_add(*doc, "error", json_object_new_string(o->why));
    }
    return EXIT_CREDENTIALS;
  }
  if(account_list_build(al, cfg, &o->l))
    return EXIT_INCOMPLETE;
  trust = member_trust(cfg, principal);
  if(doc) {
    struct json_object *sk = json_object_new_array();
    json_object_object_add(*doc, "ok", json_object_new_boolean(1));
    json_object_object_add(*doc, "management",
                           json_object_new_string(o->l.management));
    json_object_object_add(*doc, "listed", json_object_new_int64(
                               (int64_t)o->l.n));
    json_object_object_add(*doc, "swept", json_object_new_int64(
                               (int64_t)al->discovered));
    for(size_t i = 0; i < al->nskipped; i++) {
      struct json_object *k = json_object_new_object();
      json_object_object_add(k, "id", json_object_new_string(
                                 al->skipped[i].id));
      json_object_object_add(k, "name", al->skipped[i].name
                             ? json_object_new_string(al->skipped[i].name)
                             : NULL);
      json_object_object_add(k, "reason", json_object_new_string(
                                 org_fate_name(al->skipped[i].fate)));
      json_object_array_add(sk, k);
    }
    json_object_object_add(*doc, "skipped", sk);
    json_object_object_add(*doc, "role_name",
                           json_object_new_string(cfg->org_role_name));
    json_object_object_add(*doc, "trust_policy", json_object_get(trust));
  }
  else {
    printf("organization: management account %s, %zu accounts listed in %u "
           "requests (organizations:DescribeOrganization, %s: allowed); %zu "
           "to check, %zu skipped\n", o->l.management, o->l.n,
           o->l.requests, cfg->norg_ous
           ? "ListOrganizationalUnitsForParent, ListAccountsForParent"
           : "ListAccounts", al->discovered, al->nskipped);
    for(size_t i = 0; i < al->nskipped; i++)
      untrusted_fprintf(stdout, "organization: account %s \"%s\" skipped: "
                        "%s\n", al->skipped[i].id, al->skipped[i].name
                        ? al->skipped[i].name : "",
                        org_fate_name(al->skipped[i].fate));
    untrusted_fprintf(stdout, "Each member's role arn:aws:iam::ID:role/%s "
                      "must trust the [aws] credentials:\n",
                      cfg->org_role_name);
    untrusted_json_fputs(json_object_to_json_string_ext(
                             trust, JSON_C_TO_STRING_PRETTY |
                             JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
    printf("\n\n");
  }
  json_object_put(trust);
  return EXIT_OK;
}

int validate_run(struct runtime *base, const struct jan_config *cfg,
                 const char *const *only, size_t nonly, int json)
{
  struct accounts as;
  struct json_object *arr = json ? json_object_new_array() : NULL;
  struct json_object *org_doc = NULL;
  struct org_check org;
  struct account_list al;
  char principal[512];
  struct jbuf err;
  int code = EXIT_OK, rc;

  memset(&al, 0, sizeof(al));
  memset(&org, 0, sizeof(org));
  principal[0] = '\0';
  if(cfg->org_role_name) {
    principal_of(base, cfg, principal, sizeof(principal));
    code = validate_organization(base, cfg, &org, &al, principal,
                                 json ? &org_doc : NULL);
  }
  jbuf_init(&err, JAN_MSG_MAX);
  rc = code ? JAN_OK
     : cfg->org_role_name ? accounts_open_list(&as, base, cfg, al.v, al.n,
                                               only, nonly, &err)
     : accounts_open(&as, base, cfg, only, nonly, &err);
  if(code)
    memset(&as, 0, sizeof(as));
  if(rc) {
    untrusted_fprintf(stderr, "remotion-janitor: %s\n", jbuf_str(&err));
    jbuf_free(&err);
    accounts_close(&as);
    account_list_free(&al);
    org_listing_free(&org.l);
    json_object_put(arr);
    json_object_put(org_doc);
    return EXIT_USAGE;
  }
  jbuf_free(&err);
  /* The principal a role must trust: asked only when there is a role. */
  for(size_t i = 0; i < as.n && !principal[0]; i++)
    if(as.a[i]->acct->role_arn) {
      principal_of(base, cfg, principal, sizeof(principal));
      break;
    }
  for(size_t i = 0; i < as.n; i++) {
    struct account_sweep *a = as.a[i];
    /* A member's trust policy is the organization's, printed once. */
    int member = cfg->org_role_name && al.titles &&
                 a->index < al.n && al.titles[a->index];
    struct json_object *trust = a->acct->role_arn && !member
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
    if(org_doc)
      json_object_object_add(doc, "organization", org_doc);
    json_object_object_add(doc, "accounts", arr);
    untrusted_json_fputs(json_object_to_json_string_ext(
                             doc, JSON_C_TO_STRING_PLAIN |
                             JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
    putchar('\n');
    json_object_put(doc);
  }
  accounts_close(&as);
  account_list_free(&al);
  org_listing_free(&org.l);
  return code;
}
