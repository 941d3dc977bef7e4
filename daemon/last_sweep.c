/*
 * The record of a finished sweep: one object, written to the state file
 * as "last_sweep", shown by `status` as "last_sweep", and read back when
 * the daemon starts (remotion-janitor(8), STATUS and FILES).
 */
#include <stdint.h>

#include "last_sweep.h"
#include "output.h"

#define INT64(v) json_object_new_int64((int64_t)(v))

static struct json_object *names_json(const struct inventory *inv,
                                      enum inv_status st)
{
  struct json_object *a = json_object_new_array();
  for(size_t i = 0; i < inv->nregions; i++)
    if(inv->regions[i].status == st)
      json_object_array_add(a, json_object_new_string(inv->regions[i].name));
  return a;
}

struct json_object *last_sweep_record(const struct sweep *sw,
                                      struct json_object *refusals)
{
  const struct inventory *inv = &sw->inv;
  struct json_object *o = json_object_new_object();
  struct json_object *found = json_object_new_object();
  struct json_object *ign = json_object_new_object();
  struct inv_summary s;
  int64_t dur = inv->finished_ms - inv->started_ms;

  inventory_summary(inv, &s);
  json_object_object_add(o, "started", output_time_json(inv->started_ms / 1000));
  json_object_object_add(o, "finished", output_time_json(inv->finished_ms / 1000));
  json_object_object_add(o, "duration_ms", INT64(dur < 0 ? 0 : dur));
  json_object_object_add(o, "trigger", json_object_new_string(sw->trigger));
  json_object_object_add(o, "mode", json_object_new_string(
                             sw->mode == JAN_MODE_DELETE ? "delete"
                                                         : "report"));
  json_object_object_add(o, "account", inv->account[0]
                         ? json_object_new_string(inv->account) : NULL);
  json_object_object_add(o, "exit_code", json_object_new_int(sw->exit_code));
  json_object_object_add(o, "error", sw->exit_code && sw->message[0]
                         ? json_object_new_string(sw->message) : NULL);
  json_object_object_add(o, "regions_ok", INT64(s.regions_ok));
  json_object_object_add(o, "regions_incomplete",
                         names_json(inv, INV_REGION_INCOMPLETE));
  json_object_object_add(o, "regions_disabled",
                         names_json(inv, INV_REGION_DISABLED));
  json_object_object_add(o, "buckets_incomplete",
                         json_object_new_boolean(inv->buckets_incomplete));
  json_object_object_add(found, "functions", INT64(s.functions));
  json_object_object_add(found, "layer_versions", INT64(s.layer_versions));
  json_object_object_add(found, "buckets", INT64(s.buckets));
  json_object_object_add(found, "log_groups", INT64(s.log_groups));
  json_object_object_add(o, "found", found);
  json_object_object_add(ign, "functions",
                         INT64(inv->ignored[JAN_KIND_FUNCTION]));
  json_object_object_add(ign, "layers", INT64(inv->ignored[JAN_KIND_LAYER]));
  json_object_object_add(ign, "buckets", INT64(inv->ignored[JAN_KIND_BUCKET]));
  json_object_object_add(ign, "log_groups",
                         INT64(inv->ignored[JAN_KIND_LOG_GROUP]));
  json_object_object_add(ign, "invalid", output_counts_json(inv->invalid));
  json_object_object_add(o, "ignored", ign);
  json_object_object_add(o, "candidates", INT64(s.candidates));
  json_object_object_add(o, "deleted", INT64(s.deleted));
  json_object_object_add(o, "failed", INT64(s.failed));
  json_object_object_add(o, "refused", INT64(s.refused));
  json_object_object_add(o, "storage", output_storage_status_json(inv));
  json_object_object_add(o, "code_storage", output_code_storage_json(inv));
  json_object_object_add(o, "log_group_storage",
                         output_log_group_storage_json(inv));
  /* For the next sweep and the next start of the daemon. */
  json_object_object_add(o, "started_ms", INT64(inv->started_ms));
  json_object_object_add(o, "finished_ms", INT64(inv->finished_ms));
  if(sw->last_success_ms > 0)
    json_object_object_add(o, "last_success_ms", INT64(sw->last_success_ms));
  json_object_object_add(o, "refusals", refusals ? refusals
                                                 : json_object_new_object());
  return o;
}

int last_sweep_is_record(struct json_object *o)
{
  struct json_object *v;

  return o && json_object_is_type(o, json_type_object) &&
         json_object_object_get_ex(o, "finished", &v) &&
         json_object_is_type(v, json_type_string) &&
         json_object_object_get_ex(o, "exit_code", &v) &&
         json_object_is_type(v, json_type_int);
}

struct json_object *last_sweep_refusals(struct json_object *o)
{
  struct json_object *v;

  if(!o)
    return NULL;
  if(json_object_object_get_ex(o, "refusals", &v) &&
     json_object_is_type(v, json_type_object))
    return v;
  /* Older state files kept them as "refused". */
  if(json_object_object_get_ex(o, "refused", &v) &&
     json_object_is_type(v, json_type_object))
    return v;
  return NULL;
}

int64_t last_sweep_int(struct json_object *o, const char *key)
{
  struct json_object *v;

  if(o && json_object_object_get_ex(o, key, &v) &&
     json_object_is_type(v, json_type_int))
    return json_object_get_int64(v);
  return 0;
}

static struct json_object *time_of(int64_t ms)
{
  return ms > 0 ? output_time_json(ms / 1000) : NULL;
}

struct json_object *last_sweep_run_record(const struct account_result *r,
                                          size_t n, int code)
{
  static const char *const sums[] = { "candidates", "deleted", "failed",
                                      "refused" };
  static const char *const kinds[] = { "functions", "layer_versions",
                                       "buckets", "log_groups" };
  struct json_object *o = json_object_new_object();
  struct json_object *arr = json_object_new_array();
  struct json_object *found = json_object_new_object();
  struct json_object *sum = json_object_new_object();
  int64_t total[4] = { 0 }, nfound[JAN_ARRAY_SIZE(kinds)] = { 0 }, started = 0, finished = 0;
  const char *trigger = NULL, *mode = NULL;

  for(size_t i = 0; i < n; i++) {
    struct json_object *const rec = r[i].record;
    struct json_object *one = NULL, *f = NULL, *v;
    int64_t t0 = last_sweep_int(rec, "started_ms");
    int64_t t1 = last_sweep_int(rec, "finished_ms");

    /* A copy: the record itself is also the account's in the state. */
    if(!rec || json_object_deep_copy(rec, &one, NULL))
      one = json_object_new_object();
    for(size_t k = 0; k < 4; k++)
      total[k] += last_sweep_int(rec, sums[k]);
    if(rec && json_object_object_get_ex(rec, "found", &f))
      for(size_t k = 0; k < JAN_ARRAY_SIZE(kinds); k++)
        nfound[k] += last_sweep_int(f, kinds[k]);
    if(t0 > 0 && (!started || t0 < started))
      started = t0;
    if(t1 > finished)
      finished = t1;
    if(!trigger && rec && json_object_object_get_ex(rec, "trigger", &v))
      trigger = json_object_get_string(v);
    if(!mode && rec && json_object_object_get_ex(rec, "mode", &v))
      mode = json_object_get_string(v);
    json_object_object_add(one, "name", json_object_new_string(r[i].name));
    json_object_array_add(arr, one);
  }
  json_object_object_add(o, "mode", mode ? json_object_new_string(mode)
                                         : NULL);
  json_object_object_add(o, "started", time_of(started));
  json_object_object_add(o, "finished", time_of(finished));
  json_object_object_add(o, "duration_ms",
                         INT64(finished > started ? finished - started : 0));
  json_object_object_add(o, "trigger", trigger ?
                         json_object_new_string(trigger) : NULL);
  json_object_object_add(o, "exit_code", json_object_new_int(code));
  json_object_object_add(o, "accounts", arr);
  for(size_t k = 0; k < JAN_ARRAY_SIZE(kinds); k++)
    json_object_object_add(found, kinds[k], INT64(nfound[k]));
  json_object_object_add(sum, "found", found);
  for(size_t k = 0; k < 4; k++)
    json_object_object_add(sum, sums[k], INT64(total[k]));
  json_object_object_add(o, "summary", sum);
  return o;
}
