/*
 * What the daemon says of itself: the STATUS= line for systemd and the
 * `status` answer of the socket (also what --status prints).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "janitor/wire.h"
#include "notify.h"
#include "output.h"
#include "service_int.h"

static void status_body(struct service *svc, char *out, size_t len)
{
  struct run *run = svc->run;
  char when[21];

  if(svc->stopping) {
    snprintf(out, len, "stopping%s", run ? ": waiting for the sweep in "
             "progress" : "");
    return;
  }
  if(run && run->r.sw.state == SWEEP_DELETING) {
    const struct sweep_progress *p = &run->r.sw.progress;
    snprintf(out, len, "deleting: %zu of %zu done, %" PRIu64 " objects "
             "removed%s%s", p->done, p->total, p->objects_deleted,
             p->bucket ? "; emptying " : "", p->bucket ? p->bucket : "");
    return;
  }
  if(run) {
    snprintf(out, len, "sweeping: listing %zu region%s", run->cfg->c.nregions,
             run->cfg->c.nregions == 1 ? "" : "s");
    return;
  }
  if(svc->next_wall_ms)
    wire_time_format(svc->next_wall_ms / 1000, when);
  else
    snprintf(when, sizeof(when), "-");
  if(svc->last) {
    struct inv_summary s;
    inventory_summary(inv_ref_inv(svc->last), &s);
    snprintf(out, len, "idle; next sweep %s; last: %zu found, %zu "
             "candidates, %zu deleted, %zu failed, %zu refused",
             when, s.functions + s.layer_versions + s.buckets, s.candidates,
             s.deleted, s.failed, s.refused);
  }
  else {
    snprintf(out, len, "idle; first sweep %s", when);
  }
}

/* The summary, then the failed reload, if the last one failed. */
static void status_text(struct service *svc, char *out, size_t len)
{
  size_t n;
  status_body(svc, out, len);
  n = strlen(out);
  if(svc->reload_error[0] && n < len)
    snprintf(out + n, len - n, "; reload failed, old configuration kept: %s",
             svc->reload_error);
}

/* Send STATUS= when it changed, or always with a prefix (READY=1...). */
void service_update_status(struct service *svc, const char *prefix)
{
  char text[sizeof(svc->status_text)];
  status_text(svc, text, sizeof(text));
  if(!prefix && !strcmp(text, svc->status_text))
    return;
  memcpy(svc->status_text, text, sizeof(text));
  notify_status(prefix, "%s", text);
}

static struct json_object *names_json(const struct inventory *inv,
                                      enum inv_status st)
{
  struct json_object *a = json_object_new_array();
  for(size_t i = 0; i < inv->nregions; i++)
    if(inv->regions[i].status == st)
      json_object_array_add(a, json_object_new_string(inv->regions[i].name));
  return a;
}

struct json_object *service_last_sweep_json(const struct run *run)
{
  const struct sweep *sw = &run->r.sw;
  const struct inventory *inv = &sw->inv;
  struct json_object *o = json_object_new_object();
  struct json_object *found = json_object_new_object();
  struct json_object *ign = json_object_new_object();
  struct inv_summary s;
  int64_t dur = inv->finished_ms - inv->started_ms;

  inventory_summary(inv, &s);
  json_object_object_add(o, "started", service_time_json(inv->started_ms / 1000));
  json_object_object_add(o, "finished", service_time_json(inv->finished_ms / 1000));
  json_object_object_add(o, "duration_ms", INT64(dur < 0 ? 0 : dur));
  json_object_object_add(o, "trigger", json_object_new_string(run->trigger));
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
  json_object_object_add(o, "found", found);
  json_object_object_add(ign, "functions",
                         INT64(inv->ignored[JAN_KIND_FUNCTION]));
  json_object_object_add(ign, "layers", INT64(inv->ignored[JAN_KIND_LAYER]));
  json_object_object_add(ign, "buckets", INT64(inv->ignored[JAN_KIND_BUCKET]));
  json_object_object_add(ign, "invalid", output_counts_json(inv->invalid));
  json_object_object_add(o, "ignored", ign);
  json_object_object_add(o, "candidates", INT64(s.candidates));
  json_object_object_add(o, "deleted", INT64(s.deleted));
  json_object_object_add(o, "failed", INT64(s.failed));
  json_object_object_add(o, "refused", INT64(s.refused));
  json_object_object_add(o, "storage", output_storage_status_json(inv));
  return o;
}

/* null before the first reload; else when, and whether it was applied. */
static struct json_object *last_reload_json(const struct service *svc)
{
  struct json_object *o;
  if(!svc->reload_wall_ms)
    return NULL;
  o = json_object_new_object();
  json_object_object_add(o, "at", service_time_json(svc->reload_wall_ms / 1000));
  json_object_object_add(o, "ok", json_object_new_boolean(
                             !svc->reload_error[0]));
  json_object_object_add(o, "error", svc->reload_error[0]
                         ? json_object_new_string(svc->reload_error) : NULL);
  return o;
}

struct json_object *service_status_json(void *arg)
{
  struct service *svc = arg;
  struct json_object *o = json_object_new_object();
  struct json_object *prog = NULL;
  struct run *run = svc->run;
  const char *state = "idle";

  if(!o)
    return NULL;
  if(run) {
    const struct sweep_progress *p = &run->r.sw.progress;
    sweep_update_progress(&run->r.sw);
    state = run->r.sw.state == SWEEP_DELETING ? "deleting" : "sweeping";
    prog = json_object_new_object();
    json_object_object_add(prog, "started",
                           service_time_json(run->r.sw.inv.started_ms / 1000));
    json_object_object_add(prog, "trigger",
                           json_object_new_string(run->trigger));
    json_object_object_add(prog, "deletions_done", INT64(p->done));
    json_object_object_add(prog, "deletions_total", INT64(p->total));
    json_object_object_add(prog, "objects_deleted", INT64(p->objects_deleted));
    json_object_object_add(prog, "bucket", p->bucket
                           ? json_object_new_string(p->bucket) : NULL);
  }
  json_object_object_add(o, "ok", json_object_new_boolean(1));
  json_object_object_add(o, "version", json_object_new_string(JAN_VERSION));
  json_object_object_add(o, "pid", INT64(getpid()));
  json_object_object_add(o, "uptime_s",
                         INT64((uv_now(&svc->loop) - svc->started_mono_ms) /
                               1000));
  json_object_object_add(o, "mode", json_object_new_string(
                             svc->cfg->c.mode == JAN_MODE_DELETE ? "delete"
                                                                 : "report"));
  json_object_object_add(o, "state", json_object_new_string(state));
  json_object_object_add(o, "stopping",
                         json_object_new_boolean(svc->stopping));
  json_object_object_add(o, "next_sweep_at", svc->next_wall_ms
                         ? service_time_json(svc->next_wall_ms / 1000) : NULL);
  json_object_object_add(o, "progress", prog);
  json_object_object_add(o, "last_sweep", svc->last_json
                         ? json_object_get(svc->last_json) : NULL);
  json_object_object_add(o, "last_reload", last_reload_json(svc));
  return o;
}
