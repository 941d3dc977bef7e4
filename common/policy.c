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
       : k == JAN_KIND_FUNCTION ? cfg->functions : cfg->layers;
}

enum inv_reason policy_keep_why(const struct inventory *inv,
                                const struct inv_item *it,
                                const struct jan_config *cfg, int64_t now)
{
  /* The scope is checked again here, independent of the listing code. */
  if(!scope_contains(it->kind, it->name))
    return INV_REASON_NOT_INCLUDED;
  if(any_glob(cfg->keep, cfg->nkeep, it->name))
    return INV_REASON_EXCLUDED;
  if(cfg->ninclude && !any_glob(cfg->include, cfg->ninclude, it->name))
    return INV_REASON_NOT_INCLUDED;
  if(!kind_enabled(cfg, it->kind))
    return INV_REASON_KIND_DISABLED;
  if(inventory_kind_incomplete(inv, it->region, it->kind))
    return INV_REASON_REGION_INCOMPLETE;
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
  it->reason = inv_reason_name(why);
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

void policy_decide(struct inventory *inv, const struct jan_config *cfg,
                   int64_t now, policy_first_seen_fn first_seen, void *arg)
{
  inventory_sort(inv);
  for(size_t i = 0; i < inv->n; i++) {
    struct inv_item *it = &inv->items[i];
    enum inv_reason why = policy_keep_why(inv, it, cfg, now);

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
