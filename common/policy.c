#include <string.h>

#include "janitor/log.h"
#include "janitor/policy.h"

static int any_glob(char *const *globs, size_t n, const char *name)
{
  for(size_t i = 0; i < n; i++)
    if(scope_glob_match(globs[i], name))
      return 1;
  return 0;
}

static int kind_enabled(const struct jan_config *cfg, enum jan_kind k)
{
  return k == JAN_KIND_BUCKET ? cfg->buckets
       : k == JAN_KIND_FUNCTION ? cfg->functions
       : k == JAN_KIND_LOG_GROUP ? cfg->log_groups && cfg->functions
       : cfg->layers;
}

/* The name keep and include globs are matched against: a log group's is
 * its function's ("/aws/lambda/remotion-x" is kept by keep = remotion-x),
 * so a glob that keeps a function keeps its log group too. */
static const char *glob_subject(const struct inv_item *it)
{
  const char *owner;
  if(it->kind != JAN_KIND_LOG_GROUP)
    return it->name;
  owner = scope_log_group_owner(it->name, NULL);
  return owner ? owner : it->name;
}

enum inv_reason policy_keep_why(const struct inventory *inv,
                                const struct inv_item *it,
                                const struct jan_config *cfg, int64_t now)
{
  /* The scope is checked again here, independent of the listing code. */
  if(!scope_contains(it->kind, it->name))
    return INV_REASON_NOT_INCLUDED;
  if(any_glob(cfg->keep, cfg->nkeep, glob_subject(it)))
    return INV_REASON_EXCLUDED;
  if(cfg->ninclude && !any_glob(cfg->include, cfg->ninclude,
                                glob_subject(it)))
    return INV_REASON_NOT_INCLUDED;
  if(!kind_enabled(cfg, it->kind))
    return INV_REASON_KIND_DISABLED;
  if(inventory_kind_incomplete(inv, it->region, it->kind))
    return INV_REASON_REGION_INCOMPLETE;
  /* Whether a log group's function exists is known only from a complete
   * function listing of its region. */
  if(it->kind == JAN_KIND_LOG_GROUP &&
     inventory_kind_incomplete(inv, it->region, JAN_KIND_FUNCTION))
    return INV_REASON_REGION_INCOMPLETE;
  /* A group whose function exists has no age rule of its own: it follows
   * the function (policy_decide). */
  if(policy_log_group_function(inv, it))
    return INV_REASON_POLICY;
  /* An unknown creation time never makes anything old enough. */
  if(it->created < 0 || now - it->created < (int64_t)cfg->min_age_s)
    return INV_REASON_TOO_YOUNG;
  return INV_REASON_POLICY;
}

const char *policy_keep_reason(const struct inventory *inv,
                               const struct inv_item *it,
                               const struct jan_config *cfg, int64_t now)
{
  enum inv_reason why = policy_keep_why(inv, it, cfg, now);
  return why == INV_REASON_POLICY ? NULL : inv_reason_name(why);
}

void policy_decide_item(struct inv_item *it, enum inv_reason why,
                        const struct jan_config *cfg, int64_t now,
                        policy_first_seen_fn first_seen, void *arg)
{
  /* Grace last, and only for a candidate: its clock starts (or goes on)
   * only while every other rule would delete it. */
  if(why == INV_REASON_POLICY && cfg->grace_s > 0) {
    int64_t since = first_seen ? first_seen(arg, it, now) : now;
    if(now - since < (int64_t)cfg->grace_s)
      why = INV_REASON_IN_GRACE;
  }
  it->decision = why == INV_REASON_POLICY ? INV_DELETE : INV_KEEP;
  it->why = why;
}

enum policy_clock policy_clock_check(int64_t since, int64_t now,
                                     int64_t created, int64_t first_sweep)
{
  if(since < 0)
    return POLICY_CLOCK_NONE;
  if(since > now)
    return POLICY_CLOCK_FUTURE;
  if(created >= 0 && since < created)
    return POLICY_CLOCK_BEFORE_CREATED;
  if(first_sweep <= 0 || since < first_sweep)
    return POLICY_CLOCK_BEFORE_FIRST_SWEEP;
  return POLICY_CLOCK_OK;
}

const char *policy_clock_name(enum policy_clock v)
{
  switch(v) {
  case POLICY_CLOCK_OK: return "accepted";
  case POLICY_CLOCK_NONE: return "none";
  case POLICY_CLOCK_FUTURE: return "in the future";
  case POLICY_CLOCK_BEFORE_CREATED: return "earlier than the resource";
  case POLICY_CLOCK_BEFORE_FIRST_SWEEP:
    return "earlier than the account's first sweep";
  default: return "?";
  }
}

const struct inv_item *policy_log_group_function(const struct inventory *inv,
                                                 const struct inv_item *it)
{
  const char *owner;
  if(it->kind != JAN_KIND_LOG_GROUP ||
     !(owner = scope_log_group_owner(it->name, NULL)))
    return NULL;
  return inventory_find(inv, JAN_KIND_FUNCTION, it->region, owner);
}

/* The log group of a function that exists follows it: deleted after it
 * when it is deleted, else kept for its reason.  Its own age and grace do
 * not count: the function's did. */
static void follow(struct inv_item *it, const struct inv_item *fn)
{
  it->decision = fn->decision;
  it->why = fn->why;
}

void policy_follow_functions(struct inventory *inv)
{
  for(size_t i = 0; i < inv->n; i++) {
    struct inv_item *it = &inv->items[i];
    const struct inv_item *fn;
    /* Tags only ever keep: a group deleted with its function is kept
     * with it. */
    if(it->kind == JAN_KIND_LOG_GROUP && it->decision == INV_DELETE &&
       (fn = policy_log_group_function(inv, it)) != NULL)
      follow(it, fn);
  }
}

int policy_tags_apply(const struct jan_config *cfg, enum jan_kind kind)
{
  return cfg->keep_tag && cfg->keep_tag[0] &&
         (kind == JAN_KIND_FUNCTION || kind == JAN_KIND_BUCKET);
}

int policy_tag_keeps(const struct jan_config *cfg,
                     const struct wire_tag_list *tags)
{
  const char *t = cfg->keep_tag, *eq, *v;
  char key[WIRE_TAG_KEY_MAX + 1];
  size_t klen;

  if(!t || !t[0] || !tags)
    return 0;
  eq = strchr(t, '=');
  klen = eq ? (size_t)(eq - t) : strlen(t);
  if(klen == 0 || klen >= sizeof(key))
    return 0;
  memcpy(key, t, klen);
  key[klen] = '\0';
  v = wire_tag_find(tags, key);
  return v && (!eq || !strcmp(v, eq + 1));
}

void policy_decide_tags(struct inv_item *it, const struct jan_config *cfg,
                        const struct wire_tag_list *tags)
{
  enum inv_reason why;
  if(it->decision != INV_DELETE || !policy_tags_apply(cfg, it->kind))
    return;
  why = !tags ? INV_REASON_TAGS_UNKNOWN
      : policy_tag_keeps(cfg, tags) ? INV_REASON_TAGGED : INV_REASON_POLICY;
  if(why == INV_REASON_POLICY)
    return;
  it->decision = INV_KEEP;
  it->why = why;
}

void policy_decide(struct inventory *inv, const struct jan_config *cfg,
                   int64_t now, policy_first_seen_fn first_seen, void *arg)
{
  inventory_sort(inv);
  /* Functions sort before log groups: a group's function is decided
   * first. */
  for(size_t i = 0; i < inv->n; i++) {
    struct inv_item *it = &inv->items[i];
    enum inv_reason why = policy_keep_why(inv, it, cfg, now);
    const struct inv_item *fn;

    if(why == INV_REASON_POLICY &&
       (fn = policy_log_group_function(inv, it)) != NULL) {
      follow(it, fn);
      continue;
    }
    if(why == INV_REASON_POLICY && it->kind == JAN_KIND_LAYER) {
      /* Versions of one layer are adjacent after sorting, oldest first:
       * count the newer ones that follow. */
      size_t newer = 0;
      for(size_t j = i + 1; j < inv->n; j++) {
        const struct inv_item *o = &inv->items[j];
        if(o->kind != JAN_KIND_LAYER || strcmp(o->region, it->region) ||
           strcmp(o->name, it->name))
          break;
        newer++;
      }
      if(newer < cfg->keep_layer_versions)
        why = INV_REASON_NEWEST_LAYER_VERSION;
    }
    policy_decide_item(it, why, cfg, now, first_seen, arg);
  }
}
