#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/collect.h"
#include "janitor/log.h"
#include "janitor/logs.h"
#include "janitor/perms.h"
#include "janitor/names.h"
#include "janitor/remotion.h"
#include "janitor/scope.h"
#include "janitor/services.h"
#include "janitor/untrusted.h"

struct collector {
  struct aws_client *aws;
  const struct jan_config *cfg;
  struct inventory *inv;
  collect_done_cb done;
  void *arg;
  size_t pending;               /* calls in flight */
  struct collect_result res;
  /* Listings that failed for want of credentials: said once at the end,
   * not once per region (and not at all when GetCallerIdentity failed the
   * same way: the sweep's error says it then). */
  size_t creds_failures;
  char creds_msg[AWS_ERRMSG_MAX + 256];
  int denied_said;              /* the missing logs: action was logged */
};

/*
 * A listing is cut off after this many pages (100,000 functions in one
 * region at 50 a page): a server that keeps paging never runs us out of
 * memory.
 */
#define COLLECT_MAX_PAGES 2000

/*
 * Without lambda:ListLayerVersions, versions are probed one request each up
 * to the latest number ListLayers gave; a larger number (a hostile or
 * broken answer could say 2^62) is not probed: that listing is incomplete.
 */
#define COLLECT_MAX_PROBED_VERSION 10000

/* A server listing invalid names by the thousand does not flood the log. */
#define COLLECT_MAX_LOGGED_INVALID 100

/* One paging chain or one probe: what its callback needs to go on. */
struct step {
  struct collector *co;
  char region[32];
  char *layer;                  /* layer name for version listings */
  int64_t version;              /* GetLayerVersion probe */
  char **markers;               /* every marker this chain has followed */
  size_t nmarkers;
};

static void step_free(struct step *s)
{
  for(size_t i = 0; i < s->nmarkers; i++)
    free(s->markers[i]);
  free(s->markers);
  free(s->layer);
  free(s);
}

/*
 * Before following next: a marker seen before in this chain means the
 * service is going round in circles (or the chain is absurdly long); the
 * listing is then not trusted.  Returns NULL to go on, or why not.
 */
static const char *marker_check(struct step *s, const char *next)
{
  char **m;
  for(size_t i = 0; i < s->nmarkers; i++)
    if(!strcmp(s->markers[i], next))
      return "the service repeated a paging marker";
  if(s->nmarkers + 1 >= COLLECT_MAX_PAGES)
    return "more pages than a listing may have";
  m = realloc(s->markers, (s->nmarkers + 1) * sizeof(*m));
  if(!m)
    return "out of memory";
  s->markers = m;
  if(!(m[s->nmarkers] = strdup(next)))
    return "out of memory";
  s->nmarkers++;
  return NULL;
}

/* A listing cut off by marker_check(). */
static void chain_refused(struct collector *co, const char *region,
                          enum jan_kind kind, const char *op, const char *why)
{
  char msg[256];
  snprintf(msg, sizeof(msg), "%s %s: %s", op, region, why);
  jlog_warn("inventory", "%s; %s listing marked incomplete", msg,
            scope_kind_name(kind));
  inventory_mark_incomplete(co->inv, region, kind, msg);
}

static struct step *step_new(struct collector *co, const char *region,
                             const char *layer)
{
  struct step *s = calloc(1, sizeof(*s));
  if(!s)
    return NULL;
  s->co = co;
  snprintf(s->region, sizeof(s->region), "%s", region);
  if(layer) {
    s->layer = strdup(layer);
    if(!s->layer) {
      free(s);
      return NULL;
    }
  }
  return s;
}

/*
 * A name with a scope prefix that AWS could not have created (names.h):
 * never a resource, counted once as invalid, logged once with its bytes
 * escaped, and the listing that gave it is not trusted: a server that
 * sends such names is not behaving like AWS.
 */
static void invalid_name(struct collector *co, const char *region,
                         enum jan_kind kind, const char *op, const char *name)
{
  const unsigned long *n = co->inv->invalid;
  char esc[NAMES_ESCAPE_BUF], msg[512];
  unsigned long total;

  if(!inventory_add_invalid(co->inv, kind, region, name))
    return;
  names_escape(name, strlen(name), esc, sizeof(esc));
  snprintf(msg, sizeof(msg), "%s %s: the service listed a %s name AWS "
           "cannot have created: \"%s\"", op, region, scope_kind_name(kind),
           esc);
  total = 0;
  for(size_t k = 0; k < JAN_KIND_N; k++)
    total += n[k];
  if(total <= COLLECT_MAX_LOGGED_INVALID)
    jlog_warn("inventory", "%s; %s listing marked incomplete", msg,
              scope_kind_name(kind));
  else if(total == COLLECT_MAX_LOGGED_INVALID + 1)
    jlog_warn("inventory", "more invalid names: counted, not logged");
  inventory_mark_incomplete(co->inv, region, kind, msg);
}

/* In scope and valid: may become a resource.  Out of scope wins: such a
 * name is only counted as ignored, never named, whatever its bytes. */
static int name_usable(struct collector *co, const char *region,
                       enum jan_kind kind, const char *op, const char *name)
{
  if(!scope_contains(kind, name)) {
    co->inv->ignored[kind]++;
    return 0;
  }
  if(!names_valid(kind, name)) {
    invalid_name(co, region, kind, op, name);
    return 0;
  }
  return 1;
}

static void collector_unref(struct collector *co)
{
  size_t dups;

  if(--co->pending)
    return;
  dups = inventory_dedupe(co->inv);
  if(dups)
    jlog_warn("inventory", "%zu listed name%s appeared more than once; each "
              "resource is counted and handled once", dups,
              dups == 1 ? "" : "s");
  if(co->creds_failures && co->res.identity_err != JAN_ECREDS)
    jlog_warn("inventory", "%zu listing%s marked incomplete for want of "
              "credentials: %s", co->creds_failures,
              co->creds_failures == 1 ? "" : "s", co->creds_msg);
  co->done(co->arg, &co->res);
  free(co);
}

/* Record a failed listing.  A Lambda "not enabled" answer disables the
 * region instead, unless something in it already failed otherwise. */
static void listing_failed(struct collector *co, const char *region,
                           enum jan_kind kind, const struct aws_response *r,
                           const char *op)
{
  char msg[AWS_DESCRIBE_MAX + 64];
  struct inv_region *reg = inventory_region(co->inv, region);

  if(kind != JAN_KIND_BUCKET && aws_error_is_region_disabled(r)) {
    if(reg && reg->status == INV_REGION_OK) {
      reg->status = INV_REGION_DISABLED;
      jlog_info("inventory", "%s: region not enabled for this account", region);
    }
    return;
  }
  if(r)
    aws_describe_error(r, op, msg, sizeof(msg));
  else
    snprintf(msg, sizeof(msg), "%s %s: cannot send the request", op, region);
  if(r && aws_error_is_access_denied(r))
    snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
             "; run remotion-janitor --validate");
  if(r && r->err == JAN_ECREDS) {
    if(!co->creds_failures++)
      snprintf(co->creds_msg, sizeof(co->creds_msg), "%s", msg);
    jlog_debug("inventory", "%s; %s listing marked incomplete", msg,
               scope_kind_name(kind));
  }
  else
    jlog_warn("inventory", "%s; %s listing marked incomplete", msg,
              scope_kind_name(kind));
  if(reg && reg->status == INV_REGION_DISABLED)
    reg->status = INV_REGION_OK;  /* a real failure outranks "disabled" */
  inventory_mark_incomplete(co->inv, region, kind, msg);
}

static int region_wanted(struct collector *co, const char *region)
{
  return inventory_region(co->inv, region) != NULL;
}

/* ---- identity ---------------------------------------------------------- */

static void identity_done(void *arg, const struct aws_response *r, void *res)
{
  struct collector *co = arg;
  struct wire_identity *id = res;
  if(id) {
    memcpy(co->inv->account, id->account, sizeof(co->inv->account));
    free(co->inv->caller_arn);
    co->inv->caller_arn = id->arn ? strdup(id->arn) : NULL;
  }
  else {
    aws_describe_error(r, "GetCallerIdentity", co->res.identity_msg,
                       sizeof(co->res.identity_msg));
    /* An endpoint without STS (radosgw answers 405): the identity is
     * unknown, which only a report may live with (sweep.c). */
    if(r->err == JAN_EAWS && (r->status == 405 || r->status == 501))
      co->res.identity_unknown = 1;
    else
      co->res.identity_err = r->err;
  }
  collector_unref(co);
}

/* ---- buckets ------------------------------------------------------------- */

struct bucket_step {
  struct collector *co;
  char *name;
  int64_t created;
};

/*
 * A bucket with the region an answer named (BucketRegion of op, or its
 * LocationConstraint).  A value without the shape of an AWS region makes
 * the bucket listing untrusted (no bucket is deleted); a region that is
 * not swept is left out, as a bucket there would be.
 */
static void add_bucket(struct collector *co, const char *op, const char *name,
                       const char *region, int64_t created)
{
  if(!untrusted_region(region, strlen(region))) {
    char msg[AWS_DESCRIBE_MAX], what[320];
    snprintf(what, sizeof(what), "%s: bucket %s: refusing", op, name);
    untrusted_region_refusal(msg, sizeof(msg), what, region,
                             "not an AWS region");
    jlog_warn("inventory", "%s; bucket listing marked incomplete", msg);
    inventory_mark_incomplete(co->inv, "us-east-1", JAN_KIND_BUCKET, msg);
    return;
  }
  if(!region_wanted(co, region)) {
    jlog_debug("inventory", "a bucket in %s, outside the regions swept, "
               "is left out", region);
    return;
  }
  if(!inventory_add(co->inv, JAN_KIND_BUCKET, region, name, NULL, 0,
                    created == WIRE_TIME_UNKNOWN ? -1 : created))
    inventory_mark_incomplete(co->inv, region, JAN_KIND_BUCKET,
                              "out of memory");
}

static void location_done(void *arg, const struct aws_response *r, void *res)
{
  struct bucket_step *b = arg;
  struct s3_location *loc = res;
  if(loc)
    add_bucket(b->co, "GetBucketLocation", b->name, loc->region, b->created);
  else
    listing_failed(b->co, "us-east-1", JAN_KIND_BUCKET, r,
                   "GetBucketLocation");
  collector_unref(b->co);
  free(b->name);
  free(b);
}

static void buckets_page(void *arg, const struct aws_response *r, void *res)
{
  struct step *s = arg;
  struct collector *co = s->co;
  struct wire_bucket_list *l = res;

  if(!l) {
    listing_failed(co, "us-east-1", JAN_KIND_BUCKET, r, "ListBuckets");
    goto out;
  }
  for(size_t i = 0; i < l->n; i++) {
    const struct wire_bucket *wb = &l->v[i];
    if(!name_usable(co, "us-east-1", JAN_KIND_BUCKET, "ListBuckets",
                    wb->name))
      continue;
    /* [aws] bucket_region (endpoint_url only): every bucket of the
     * endpoint is there, whatever the server would answer (radosgw: its
     * zonegroup's name, which is not a region). */
    if(co->cfg->bucket_region && co->cfg->bucket_region[0]) {
      add_bucket(co, "bucket_region", wb->name, co->cfg->bucket_region,
                 wb->created);
      continue;
    }
    if(wb->region && *wb->region) {
      add_bucket(co, "ListBuckets", wb->name, wb->region, wb->created);
      continue;
    }
    /* No <BucketRegion>: ask where it lives. */
    struct bucket_step *b = calloc(1, sizeof(*b));
    if(b && (b->name = strdup(wb->name)) != NULL) {
      b->co = co;
      b->created = wb->created;
      co->pending++;
      if(s3_get_bucket_location(co->aws, b->name, location_done, b) == 0)
        continue;
      co->pending--;
    }
    if(b)
      free(b->name);
    free(b);
    listing_failed(co, "us-east-1", JAN_KIND_BUCKET, NULL,
                   "GetBucketLocation");
  }
  if(l->continuation_token) {
    const char *why = marker_check(s, l->continuation_token);
    if(why) {
      chain_refused(co, "us-east-1", JAN_KIND_BUCKET, "ListBuckets", why);
      goto out;
    }
    co->pending++;
    if(s3_list_buckets(co->aws, l->continuation_token, buckets_page, s) == 0) {
      collector_unref(co);
      return;
    }
    co->pending--;
    listing_failed(co, "us-east-1", JAN_KIND_BUCKET, NULL, "ListBuckets");
  }
out:
  step_free(s);
  collector_unref(co);
}

/* ---- functions ----------------------------------------------------------- */

static void functions_page(void *arg, const struct aws_response *r, void *res)
{
  struct step *s = arg;
  struct collector *co = s->co;
  struct wire_function_page *p = res;

  if(!p) {
    listing_failed(co, s->region, JAN_KIND_FUNCTION, r, "ListFunctions");
    goto out;
  }
  for(size_t i = 0; i < p->n; i++) {
    const struct wire_function *f = &p->v[i];
    struct inv_item *it;
    if(!name_usable(co, s->region, JAN_KIND_FUNCTION, "ListFunctions",
                    f->name))
      continue;
    /* ListFunctions gives no creation time: LastModified is the closest
     * (a function Remotion deploys is never modified afterwards). */
    it = inventory_add(co->inv, JAN_KIND_FUNCTION, s->region, f->name,
                       f->arn, 0,
                       f->last_modified == WIRE_TIME_UNKNOWN
                           ? -1 : f->last_modified);
    if(!it) {
      inventory_mark_incomplete(co->inv, s->region, JAN_KIND_FUNCTION,
                                "out of memory");
      goto out;
    }
    {
      /* What the name says of its deployment (informational: a copy
       * that fails only leaves it out of the output). */
      struct remotion_fn fn;
      if(remotion_parse_function_name(f->name, &fn) == 0 &&
         (it->remotion = malloc(sizeof(fn))) != NULL)
        *it->remotion = fn;
    }
    it->bytes = f->code_size;     /* its code, for the code storage */
  }
  if(p->next_marker) {
    const char *why = marker_check(s, p->next_marker);
    if(why) {
      chain_refused(co, s->region, JAN_KIND_FUNCTION, "ListFunctions", why);
      goto out;
    }
    co->pending++;
    if(lambda_list_functions(co->aws, s->region, p->next_marker,
                             functions_page, s) == 0) {
      collector_unref(co);
      return;
    }
    co->pending--;
    listing_failed(co, s->region, JAN_KIND_FUNCTION, NULL, "ListFunctions");
  }
out:
  step_free(s);
  collector_unref(co);
}

/* ---- log groups ---------------------------------------------------------- */

/*
 * An optional kind AWS denied: not permitted, never incomplete (the rest
 * of the sweep and its exit code are unchanged).  One line a sweep names
 * the missing action.
 */
static void not_permitted(struct collector *co, const char *region,
                          enum perm_id perm)
{
  if(!co->denied_said++)
    jlog_warn("inventory", "%s: not permitted (needs %s, see "
              "remotion-janitor --validate): log groups are not listed",
              region, perm_action(perm));
  inventory_mark_not_permitted(co->inv, region, JAN_KIND_LOG_GROUP,
                               perm_action(perm));
}

static void log_groups_page(void *arg, const struct aws_response *r,
                            void *res)
{
  struct step *s = arg;
  struct collector *co = s->co;
  struct wire_log_group_page *p = res;

  if(!p) {
    if(aws_error_is_access_denied(r))
      not_permitted(co, s->region, PERM_DESCRIBE_LOG_GROUPS);
    else
      listing_failed(co, s->region, JAN_KIND_LOG_GROUP, r,
                     "DescribeLogGroups");
    goto out;
  }
  for(size_t i = 0; i < p->n; i++) {
    const struct wire_log_group *g = &p->v[i];
    struct inv_item *it;
    /* "/aws/lambda-insights" and look-alikes: counted as ignored. */
    if(!name_usable(co, s->region, JAN_KIND_LOG_GROUP, "DescribeLogGroups",
                    g->name))
      continue;
    it = inventory_add(co->inv, JAN_KIND_LOG_GROUP, s->region, g->name,
                       g->arn, 0,
                       g->created == WIRE_TIME_UNKNOWN ? -1 : g->created);
    if(!it) {
      inventory_mark_incomplete(co->inv, s->region, JAN_KIND_LOG_GROUP,
                                "out of memory");
      goto out;
    }
    it->bytes = g->stored_bytes == WIRE_SIZE_UNKNOWN ? -1 : g->stored_bytes;
  }
  if(p->next_token) {
    const char *why = marker_check(s, p->next_token);
    if(why) {
      chain_refused(co, s->region, JAN_KIND_LOG_GROUP, "DescribeLogGroups",
                    why);
      goto out;
    }
    co->pending++;
    if(logs_describe_log_groups(co->aws, s->region, p->next_token,
                                log_groups_page, s) == 0) {
      collector_unref(co);
      return;
    }
    co->pending--;
    listing_failed(co, s->region, JAN_KIND_LOG_GROUP, NULL,
                   "DescribeLogGroups");
  }
out:
  step_free(s);
  collector_unref(co);
}

/* ---- layers -------------------------------------------------------------- */

static void add_version(struct collector *co, const char *region,
                        const char *layer, const struct wire_layer_version *v)
{
  if(!inventory_add(co->inv, JAN_KIND_LAYER, region, layer, v->arn,
                    v->version,
                    v->created == WIRE_TIME_UNKNOWN ? -1 : v->created))
    inventory_mark_incomplete(co->inv, region, JAN_KIND_LAYER,
                              "out of memory");
}

static void probe_done(void *arg, const struct aws_response *r, void *res)
{
  struct step *s = arg;
  struct wire_layer_version *v = res;
  if(v)
    add_version(s->co, s->region, s->layer, v);
  else if(!aws_error_is_not_found(r))   /* a deleted version is a gap */
    listing_failed(s->co, s->region, JAN_KIND_LAYER, r, "GetLayerVersion");
  collector_unref(s->co);
  step_free(s);
}

/*
 * Without lambda:ListLayerVersions (Remotion's own policy lacks it), probe
 * every version number up to the latest with GetLayerVersion.
 */
static void probe_versions(struct collector *co, const char *region,
                           const char *layer, int64_t latest)
{
  for(int64_t v = 1; v <= latest; v++) {
    struct step *p = step_new(co, region, layer);
    if(p) {
      p->version = v;
      co->pending++;
      if(lambda_get_layer_version(co->aws, region, layer, v, probe_done,
                                  p) == 0)
        continue;
      co->pending--;
      step_free(p);
    }
    listing_failed(co, region, JAN_KIND_LAYER, NULL, "GetLayerVersion");
    return;
  }
}

static void versions_page(void *arg, const struct aws_response *r, void *res)
{
  struct step *s = arg;
  struct collector *co = s->co;
  struct wire_layer_version_page *p = res;

  if(!p) {
    if(aws_error_is_access_denied(r) &&
       s->version > COLLECT_MAX_PROBED_VERSION) {
      chain_refused(co, s->region, JAN_KIND_LAYER, "GetLayerVersion",
                    "the latest version number is too large to probe "
                    "every version");
    }
    else if(aws_error_is_access_denied(r) && s->version > 0) {
      jlog_info("inventory", "%s: no %s; probing versions 1..%" PRId64
                " with GetLayerVersion", s->region,
                perm_action(PERM_LIST_LAYER_VERSIONS), s->version);
      probe_versions(co, s->region, s->layer, s->version);
    }
    else {
      listing_failed(co, s->region, JAN_KIND_LAYER, r, "ListLayerVersions");
    }
    goto out;
  }
  for(size_t i = 0; i < p->n; i++)
    add_version(co, s->region, s->layer, &p->v[i]);
  if(p->next_marker) {
    const char *why = marker_check(s, p->next_marker);
    if(why) {
      chain_refused(co, s->region, JAN_KIND_LAYER, "ListLayerVersions", why);
      goto out;
    }
    co->pending++;
    if(lambda_list_layer_versions(co->aws, s->region, s->layer,
                                  p->next_marker, versions_page, s) == 0) {
      collector_unref(co);
      return;
    }
    co->pending--;
    listing_failed(co, s->region, JAN_KIND_LAYER, NULL, "ListLayerVersions");
  }
out:
  step_free(s);
  collector_unref(co);
}

static void layers_page(void *arg, const struct aws_response *r, void *res)
{
  struct step *s = arg;
  struct collector *co = s->co;
  struct wire_layer_page *p = res;

  if(!p) {
    listing_failed(co, s->region, JAN_KIND_LAYER, r, "ListLayers");
    goto out;
  }
  for(size_t i = 0; i < p->n; i++) {
    const struct wire_layer *l = &p->v[i];
    struct step *v;
    if(!name_usable(co, s->region, JAN_KIND_LAYER, "ListLayers", l->name))
      continue;
    v = step_new(co, s->region, l->name);
    if(v) {
      v->version = l->latest_version;   /* for the probing fallback */
      co->pending++;
      if(lambda_list_layer_versions(co->aws, s->region, l->name, NULL,
                                    versions_page, v) == 0)
        continue;
      co->pending--;
      step_free(v);
    }
    listing_failed(co, s->region, JAN_KIND_LAYER, NULL, "ListLayerVersions");
  }
  if(p->next_marker) {
    const char *why = marker_check(s, p->next_marker);
    if(why) {
      chain_refused(co, s->region, JAN_KIND_LAYER, "ListLayers", why);
      goto out;
    }
    co->pending++;
    if(lambda_list_layers(co->aws, s->region, p->next_marker, layers_page,
                          s) == 0) {
      collector_unref(co);
      return;
    }
    co->pending--;
    listing_failed(co, s->region, JAN_KIND_LAYER, NULL, "ListLayers");
  }
out:
  step_free(s);
  collector_unref(co);
}

/* ---- start ----------------------------------------------------------------- */

int collect_start(struct aws_client *aws, const struct jan_config *cfg,
                  struct inventory *inv, collect_done_cb done, void *arg)
{
  struct collector *co = calloc(1, sizeof(*co));
  struct step *s;

  if(!co)
    return JAN_ENOMEM;
  co->aws = aws;
  co->cfg = cfg;
  co->inv = inv;
  co->done = done;
  co->arg = arg;
  /* The collector holds one reference of its own while it starts. */
  co->pending = 1;

  /* The longest chains first: the function listings have the most pages,
   * so they set the sweep's critical path; the one-shot calls go last.  A
   * kind switched off ([policy] functions/layers = no) is not listed at
   * all: an endpoint without Lambda (radosgw) is never asked. */
  for(size_t i = 0; cfg->functions && i < inv->nregions; i++) {
    const char *region = inv->regions[i].name;
    s = step_new(co, region, NULL);
    co->pending++;
    if(!s || lambda_list_functions(aws, region, NULL, functions_page, s)) {
      co->pending--;
      free(s);
      listing_failed(co, region, JAN_KIND_FUNCTION, NULL, "ListFunctions");
    }
  }
  /* Log groups only with functions: whether a group's function exists is
   * read from the function listing. */
  if(cfg->log_groups && cfg->functions)
    inv->listed |= INV_KIND_BIT(JAN_KIND_LOG_GROUP);
  for(size_t i = 0; cfg->log_groups && cfg->functions && i < inv->nregions;
      i++) {
    const char *region = inv->regions[i].name;
    s = step_new(co, region, NULL);
    co->pending++;
    if(!s || logs_describe_log_groups(aws, region, NULL, log_groups_page,
                                      s)) {
      co->pending--;
      free(s);
      listing_failed(co, region, JAN_KIND_LOG_GROUP, NULL,
                     "DescribeLogGroups");
    }
  }
  for(size_t i = 0; cfg->layers && i < inv->nregions; i++) {
    const char *region = inv->regions[i].name;
    s = step_new(co, region, NULL);
    co->pending++;
    if(!s || lambda_list_layers(aws, region, NULL, layers_page, s)) {
      co->pending--;
      free(s);
      listing_failed(co, region, JAN_KIND_LAYER, NULL, "ListLayers");
    }
  }
  s = step_new(co, "us-east-1", NULL);
  co->pending++;
  if(!s || s3_list_buckets(aws, NULL, buckets_page, s)) {
    co->pending--;
    free(s);
    listing_failed(co, "us-east-1", JAN_KIND_BUCKET, NULL, "ListBuckets");
  }

  if(!cfg->endpoint_accounts) {
    /* A server without accounts: nothing to ask, nothing to verify. */
    co->res.identity_unknown = 1;
    snprintf(co->res.identity_msg, sizeof(co->res.identity_msg),
             "endpoint_accounts = no: the endpoint has no accounts");
    collector_unref(co);
    return JAN_OK;
  }
  co->pending++;
  if(sts_get_caller_identity(aws, inv->nregions ? inv->regions[0].name
                                                : "us-east-1",
                             identity_done, co)) {
    co->pending--;
    co->res.identity_err = JAN_ENOMEM;
    snprintf(co->res.identity_msg, sizeof(co->res.identity_msg),
             "GetCallerIdentity: cannot send the request");
  }

  collector_unref(co);
  return JAN_OK;
}
