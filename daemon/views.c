/*
 * What the daemon says of itself: the STATUS= line for systemd and the
 * `status` answer of the socket (also what --status prints).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "janitor/caps.h"
#include "janitor/wire.h"
#include "last_sweep.h"
#include "notify.h"
#include "output.h"
#include "service_int.h"

/* What one account's sweep is doing: "listing", "deleting" or "done". */
static const char *phase_of(const struct sweep *sw)
{
  return sw->state == SWEEP_DELETING ? "deleting"
       : sw->state == SWEEP_DONE ? "done" : "listing";
}

/* The run's totals: deletions done and started, objects removed, a
 * bucket being emptied (the first account's that has one), and whether
 * any account is deleting. */
static int run_progress(struct run *run, struct sweep_progress *t)
{
  int deleting = 0;
  memset(t, 0, sizeof(*t));
  for(size_t i = 0; i < run->r.as.n; i++) {
    struct sweep *sw = &run->r.as.a[i]->sw;
    sweep_update_progress(sw);
    t->done += sw->progress.done;
    t->total += sw->progress.total;
    t->objects_deleted += sw->progress.objects_deleted;
    if(!t->bucket)
      t->bucket = sw->progress.bucket;
    deleting |= sw->state == SWEEP_DELETING;
  }
  return deleting;
}

/* Appends to out (of len, n used) what printf would, cut at its end. */
static size_t append(char *out, size_t len, size_t n, const char *fmt, ...)
    JAN_PRINTF(4, 5);
static size_t append(char *out, size_t len, size_t n, const char *fmt, ...)
{
  va_list ap;
  int k;
  if(n >= len)
    return n;
  va_start(ap, fmt);
  k = vsnprintf(out + n, len - n, fmt, ap);
  va_end(ap);
  return k < 0 ? n : n + (size_t)k >= len ? len - 1 : n + (size_t)k;
}

static void status_body(struct service *svc, char *out, size_t len)
{
  struct run *run = svc->run;
  char when[21];

  if(svc->stopping) {
    snprintf(out, len, "stopping%s", run ? ": waiting for the sweep in "
             "progress" : "");
    return;
  }
  if(run) {
    struct sweep_progress t;
    size_t n = 0;
    /* The run's totals, then each account's phase and progress. */
    if(run_progress(run, &t))
      n = append(out, len, n, "deleting: %zu of %zu done, %" PRIu64
                 " objects removed", t.done, t.total, t.objects_deleted);
    else
      n = append(out, len, n, "sweeping: listing %zu region%s",
                 run->cfg->c.nregions, run->cfg->c.nregions == 1 ? "" : "s");
    for(size_t i = 0; i < run->r.as.n; i++) {
      const struct sweep *sw = &run->r.as.a[i]->sw;
      const struct sweep_progress *p = &sw->progress;
      n = append(out, len, n, "; %s %s", run->r.as.a[i]->acct->name,
                 phase_of(sw));
      if(sw->state == SWEEP_DELETING)
        n = append(out, len, n, " %zu of %zu done, %" PRIu64 " objects "
                   "removed%s%s", p->done, p->total, p->objects_deleted,
                   p->bucket ? ", emptying " : "", p->bucket ? p->bucket : "");
    }
    return;
  }
  if(svc->next_wall_ms)
    wire_time_format(svc->next_wall_ms / 1000, when);
  else
    snprintf(when, sizeof(when), "-");
  if(svc->last_json) {
    /* The record of the last run, also one from before a restart. */
    struct json_object *o = NULL, *found = NULL;
    json_object_object_get_ex(svc->last_json, "summary", &o);
    json_object_object_get_ex(o, "found", &found);
    snprintf(out, len, "idle; next sweep %s; last: %" PRId64 " found, %"
             PRId64 " candidates, %" PRId64 " deleted, %" PRId64 " failed, %"
             PRId64 " refused", when, last_sweep_int(found, "functions") +
             last_sweep_int(found, "layer_versions") + last_sweep_int(found, "buckets") +
             last_sweep_int(found, "log_groups"),
             last_sweep_int(o, "candidates"), last_sweep_int(o, "deleted"),
             last_sweep_int(o, "failed"), last_sweep_int(o, "refused"));
  }
  else {
    snprintf(out, len, "idle; first sweep %s", when);
  }
}

/* The summary, then a failing file, then the failed reload, if the last
 * one failed. */
static void status_text(struct service *svc, char *out, size_t len)
{
  const struct run_carry *k = &svc->carry;
  const char *why = NULL;
  size_t n;
  status_body(svc, out, len);
  n = strlen(out);
  if(!audit_may_delete(k->audit.err, &why) && n < len)
    snprintf(out + n, len - n, "; AUDIT LOG FAILING (%s): %zu record%s held, "
             "no deletion starts", why, k->audit.n,
             k->audit.n == 1 ? "" : "s");
  n = strlen(out);
  if(k->state_error[0] && n < len)
    snprintf(out + n, len - n, "; STATE NOT SAVED: %s", k->state_error);
  n = strlen(out);
  if(svc->reload_error[0] && n < len)
    snprintf(out + n, len - n, "; reload failed, old configuration kept: %s",
             svc->reload_error);
}

/* "audit_log" and "state_file" of the status answer: whether the last
 * write succeeded, and if not why. */
static void files_json(const struct service *svc, struct json_object *o)
{
  const struct run_carry *k = &svc->carry;
  struct json_object *a = json_object_new_object();
  struct json_object *st = json_object_new_object();
  const char *why = NULL;
  int ok = audit_may_delete(k->audit.err, &why);

  json_object_object_add(a, "failing", json_object_new_boolean(!ok));
  json_object_object_add(a, "error", ok ? NULL : json_object_new_string(why));
  json_object_object_add(a, "held", INT64(k->audit.n));
  json_object_object_add(o, "audit_log", a);
  json_object_object_add(st, "failing",
                         json_object_new_boolean(k->state_error[0] != 0));
  json_object_object_add(st, "error", k->state_error[0]
                         ? json_object_new_string(k->state_error) : NULL);
  json_object_object_add(o, "state_file", st);
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


/* null before the first reload; else when, and whether it was applied. */
static struct json_object *last_reload_json(const struct service *svc)
{
  struct json_object *o;
  if(!svc->reload_wall_ms)
    return NULL;
  o = json_object_new_object();
  json_object_object_add(o, "at", output_time_json(svc->reload_wall_ms / 1000));
  json_object_object_add(o, "ok", json_object_new_boolean(
                             !svc->reload_error[0]));
  json_object_object_add(o, "error", svc->reload_error[0]
                         ? json_object_new_string(svc->reload_error) : NULL);
  return o;
}

/* A sweep's progress, or the run's totals (name NULL). */
static struct json_object *progress_json(const char *name, const char *phase,
                                         const struct sweep_progress *p)
{
  struct json_object *o = json_object_new_object();
  if(name) {
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "state", json_object_new_string(phase));
  }
  json_object_object_add(o, "deletions_done", INT64(p->done));
  json_object_object_add(o, "deletions_total", INT64(p->total));
  json_object_object_add(o, "objects_deleted", INT64(p->objects_deleted));
  json_object_object_add(o, "bucket", p->bucket
                         ? json_object_new_string(p->bucket) : NULL);
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
    struct json_object *arr = json_object_new_array();
    struct sweep_progress t;
    int64_t started = 0;
    state = run_progress(run, &t) ? "deleting" : "sweeping";
    prog = progress_json(NULL, NULL, &t);
    for(size_t i = 0; i < run->r.as.n; i++) {
      const struct sweep *sw = &run->r.as.a[i]->sw;
      if(sw->inv.started_ms > 0 && (!started || sw->inv.started_ms < started))
        started = sw->inv.started_ms;
      json_object_array_add(arr, progress_json(run->r.as.a[i]->acct->name,
                                               phase_of(sw), &sw->progress));
    }
    json_object_object_add(prog, "started", output_time_json(started / 1000));
    json_object_object_add(prog, "trigger",
                           json_object_new_string(run->trigger));
    json_object_object_add(prog, "accounts", arr);
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
                         ? output_time_json(svc->next_wall_ms / 1000) : NULL);
  json_object_object_add(o, "progress", prog);
  json_object_object_add(o, "last_sweep", svc->last_json
                         ? json_object_get(svc->last_json) : NULL);
  json_object_object_add(o, "last_reload", last_reload_json(svc));
  files_json(svc, o);
  return o;
}
