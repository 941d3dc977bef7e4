/*
 * The --status client: asks the daemon's socket (blocking, with a
 * deadline) and prints the answer as JSON or for a person.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "janitor/untrusted.h"
#include "janitor/wire.h"
#include "ctl.h"
#include "output.h"

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until deadline; 1 ready, 0 not. */
static int wait_fd(int fd, short events, int64_t deadline)
{
  for(;;) {
    struct pollfd p = { .fd = fd, .events = events };
    int64_t left = deadline - mono_ms();
    int r;
    if(left <= 0)
      return 0;
    r = poll(&p, 1, (int)left);
    if(r > 0)
      return 1;
    if(r < 0 && errno != EINTR)
      return 0;
  }
}

/* Connect, send "status", read one line; NULL with why in err. */
static char *ask_status(const char *path, char *err, size_t errlen)
{
  int64_t deadline = mono_ms() + CTL_CLIENT_TIMEOUT_MS;
  static const char cmd[] = "status\n";
  struct sockaddr_un sa;
  struct jbuf in;
  size_t sent = 0;
  int fd;

  if(strlen(path) >= sizeof(sa.sun_path)) {
    snprintf(err, errlen, "the path is too long for a socket");
    return NULL;
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if(fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return NULL;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  while(connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
    /* A full backlog: a non-blocking AF_UNIX connect says EAGAIN; try
     * again until the deadline. */
    if(errno == EAGAIN && mono_ms() < deadline) {
      struct timespec ts = { 0, 50 * 1000 * 1000 };
      nanosleep(&ts, NULL);
      continue;
    }
    if(errno == EACCES || errno == EPERM)
      snprintf(err, errlen, "%s (socket_mode decides who may connect; "
               "with the shipped unit, root and the group "
               "remotion-janitor)", strerror(errno));
    else
      snprintf(err, errlen, "%s", errno == EAGAIN ? "connection timed out"
               : strerror(errno));
    close(fd);
    return NULL;
  }
  while(sent < sizeof(cmd) - 1) {
    ssize_t n = send(fd, cmd + sent, sizeof(cmd) - 1 - sent, MSG_NOSIGNAL);
    if(n < 0) {
      if((errno == EAGAIN || errno == EINTR) && wait_fd(fd, POLLOUT, deadline))
        continue;
      snprintf(err, errlen, "send: %s", errno == EAGAIN ? "timed out"
               : strerror(errno));
      close(fd);
      return NULL;
    }
    sent += (size_t)n;
  }
  jbuf_init(&in, CTL_ANSWER_MAX);
  for(;;) {
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if(n > 0) {
      char *nl = memchr(buf, '\n', (size_t)n);
      if(jbuf_add(&in, buf, nl ? (size_t)(nl - buf) : (size_t)n)) {
        snprintf(err, errlen, "the answer is too long");
        break;
      }
      if(nl) {
        close(fd);
        return jbuf_take(&in);
      }
      continue;
    }
    if(n < 0 && (errno == EAGAIN || errno == EINTR) &&
       wait_fd(fd, POLLIN, deadline))
      continue;
    snprintf(err, errlen, "%s", n == 0 ? "the daemon closed the connection "
             "without answering" : errno == EAGAIN ? "no answer within "
             "5 seconds" : strerror(errno));
    break;
  }
  jbuf_free(&in);
  close(fd);
  return NULL;
}

static int64_t get_int(struct json_object *o, const char *key)
{
  struct json_object *v;
  if(!o || !json_object_object_get_ex(o, key, &v) || !v)
    return 0;
  return json_object_get_int64(v);
}

static const char *get_str(struct json_object *o, const char *key)
{
  struct json_object *v;
  if(!o || !json_object_object_get_ex(o, key, &v) || !v ||
     !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static struct json_object *get_obj(struct json_object *o, const char *key)
{
  struct json_object *v;
  if(!o || !json_object_object_get_ex(o, key, &v) || !v ||
     !json_object_is_type(v, json_type_object))
    return NULL;
  return v;
}

/* "3d4h" style, with seconds for short spans. */

static void print_names(FILE *f, struct json_object *ls, const char *key,
                        const char *what)
{
  struct json_object *a;
  size_t n;
  if(!json_object_object_get_ex(ls, key, &a) ||
     !json_object_is_type(a, json_type_array))
    return;
  n = json_object_array_length(a);
  if(!n)
    return;
  fprintf(f, "            %s:", what);
  for(size_t i = 0; i < n; i++) {
    const char *s = json_object_get_string(json_object_array_get_idx(a, i));
    fprintf(f, " %s", s ? s : "?");
  }
  fputc('\n', f);
}

/* The last reload, when there was one. */
static void print_reload(FILE *f, struct json_object *r)
{
  const char *at = get_str(r, "at"), *err = get_str(r, "error");
  if(!r)
    return;
  if(err)
    fprintf(f, "reload:     FAILED at %s, the old configuration stays in "
            "force: %s\n", at ? at : "?", err);
  else
    fprintf(f, "reload:     applied at %s\n", at ? at : "?");
}

/* The audit log and the state file, only when one is failing. */
static void print_files(FILE *f, struct json_object *o)
{
  struct json_object *a = get_obj(o, "audit_log"), *st = get_obj(o,
                                                                 "state_file");
  struct json_object *v;

  if(a && json_object_object_get_ex(a, "failing", &v) &&
     json_object_get_boolean(v))
    fprintf(f, "audit log:  FAILING (%s): %lld record%s held in memory; no "
            "deletion starts until it accepts them\n",
            get_str(a, "error") ? get_str(a, "error") : "?",
            (long long)get_int(a, "held"), get_int(a, "held") == 1 ? "" : "s");
  if(st && json_object_object_get_ex(st, "failing", &v) &&
     json_object_get_boolean(v))
    fprintf(f, "state file: NOT SAVED (%s); its grace clocks are kept in "
            "memory\n", get_str(st, "error") ? get_str(st, "error") : "?");
}

/* On the line of the last run: each account's error, after its name. */
static void print_errors(FILE *f, struct json_object *ls)
{
  struct json_object *a;
  const char *sep = ": ";
  if(!json_object_object_get_ex(ls, "accounts", &a) ||
     !json_object_is_type(a, json_type_array))
    return;
  for(size_t i = 0; i < json_object_array_length(a); i++) {
    struct json_object *one = json_object_array_get_idx(a, i);
    const char *err = get_str(one, "error"), *name = get_str(one, "name");
    if(!err)
      continue;
    fprintf(f, "%saccount %s: %s", sep, name ? name : "?", err);
    sep = "; ";
  }
}

/* Each account of the last run: a line, its invalid names and its
 * regions. */
static void print_accounts(FILE *f, struct json_object *ls)
{
  struct json_object *a;
  if(!json_object_object_get_ex(ls, "accounts", &a) ||
     !json_object_is_type(a, json_type_array))
    return;
  for(size_t i = 0; i < json_object_array_length(a); i++) {
    struct json_object *one = json_object_array_get_idx(a, i), *v;
    struct json_object *inv = get_obj(get_obj(one, "ignored"), "invalid");
    int64_t b = get_int(inv, "buckets"), fn = get_int(inv, "functions"),
            l = get_int(inv, "layers");
    size_t ninc = 0, ndis = 0;

    fprintf(f, "  account %s (%s): exit code %lld, %lld candidates, %lld "
            "deleted, %lld failed, %lld refused\n",
            get_str(one, "name") ? get_str(one, "name") : "?",
            get_str(one, "account") ? get_str(one, "account") : "unknown",
            (long long)get_int(one, "exit_code"),
            (long long)get_int(one, "candidates"),
            (long long)get_int(one, "deleted"),
            (long long)get_int(one, "failed"),
            (long long)get_int(one, "refused"));
    if(b || fn || l)
      fprintf(f, "            invalid names (listing not trusted): %lld "
              "buckets, %lld functions, %lld layers\n", (long long)b,
              (long long)fn, (long long)l);
    if(json_object_object_get_ex(one, "regions_incomplete", &v) &&
       json_object_is_type(v, json_type_array))
      ninc = json_object_array_length(v);
    if(json_object_object_get_ex(one, "regions_disabled", &v) &&
       json_object_is_type(v, json_type_array))
      ndis = json_object_array_length(v);
    fprintf(f, "            regions: %lld ok, %zu incomplete, %zu disabled\n",
            (long long)get_int(one, "regions_ok"), ninc, ndis);
    print_names(f, one, "regions_incomplete", "incomplete");
    print_names(f, one, "regions_disabled", "disabled");
  }
}

/*
 * Every string of the answer escaped for a terminal, once, before any is
 * printed: the status holds text from the state file and from servers
 * (untrusted.h's display rule; a backslash is kept, it begins an escape
 * the daemon already made).
 */
static void escape_strings(struct json_object *o)
{
  if(json_object_is_type(o, json_type_string)) {
    const char *s = json_object_get_string(o);
    size_t n = (size_t)json_object_get_string_len(o), cap = n * 4 + 1;
    char *esc = malloc(cap);
    if(esc)
      untrusted_display_line(esc, cap, s, n);
    json_object_set_string(o, esc ? esc : "?");
    free(esc);
  }
  else if(json_object_is_type(o, json_type_array)) {
    for(size_t i = 0; i < json_object_array_length(o); i++)
      escape_strings(json_object_array_get_idx(o, i));
  }
  else if(json_object_is_type(o, json_type_object)) {
    json_object_object_foreach(o, key, v) {
      (void)key;
      escape_strings(v);
    }
  }
}

/* While a run goes on: each account's phase and progress. */
static void print_progress_accounts(FILE *f, struct json_object *prog)
{
  struct json_object *a;
  if(!json_object_object_get_ex(prog, "accounts", &a) ||
     !json_object_is_type(a, json_type_array))
    return;
  for(size_t i = 0; i < json_object_array_length(a); i++) {
    struct json_object *one = json_object_array_get_idx(a, i);
    const char *state = get_str(one, "state"), *bucket = get_str(one,
                                                                 "bucket");
    fprintf(f, "  account %s: %s", get_str(one, "name") ? get_str(one, "name")
            : "?", state ? state : "?");
    if(state && !strcmp(state, "deleting"))
      fprintf(f, ": %lld of %lld deletions done, %lld objects removed",
              (long long)get_int(one, "deletions_done"),
              (long long)get_int(one, "deletions_total"),
              (long long)get_int(one, "objects_deleted"));
    if(bucket)
      fprintf(f, "; emptying %s", bucket);
    fputc('\n', f);
  }
}

static void print_human(FILE *f, struct json_object *o)
{
  struct json_object *prog = get_obj(o, "progress");
  struct json_object *ls = get_obj(o, "last_sweep");
  const char *state = get_str(o, "state");
  const char *next = get_str(o, "next_sweep_at");
  int64_t now = time(NULL), t;
  char up[32];

  output_span(get_int(o, "uptime_s"), up, sizeof(up));
  fprintf(f, "remotion-janitor %s, pid %lld, up %s, mode %s\n",
          get_str(o, "version") ? get_str(o, "version") : "?",
          (long long)get_int(o, "pid"), up,
          get_str(o, "mode") ? get_str(o, "mode") : "?");
  fprintf(f, "state:      %s", state ? state : "?");
  if(prog) {
    const char *bucket = get_str(prog, "bucket");
    if(state && !strcmp(state, "deleting"))
      fprintf(f, ": %lld of %lld deletions done, %lld objects removed",
              (long long)get_int(prog, "deletions_done"),
              (long long)get_int(prog, "deletions_total"),
              (long long)get_int(prog, "objects_deleted"));
    else
      fprintf(f, ": listing");
    if(bucket)
      fprintf(f, "; emptying %s", bucket);
    if(get_str(prog, "started"))
      fprintf(f, " (started %s)", get_str(prog, "started"));
  }
  fputc('\n', f);
  print_progress_accounts(f, prog);
  if(next && wire_time_parse(next, &t) == 0) {
    char in[32];
    output_span(t - now, in, sizeof(in));
    fprintf(f, "next sweep: %s (in %s)\n", next, in);
  }
  else {
    fprintf(f, "next sweep: %s\n", state && strcmp(state, "idle")
            ? "scheduled when this one ends" : "none scheduled");
  }
  print_reload(f, get_obj(o, "last_reload"));
  print_files(f, o);
  if(!ls) {
    fprintf(f, "last sweep: none yet\n");
    return;
  }
  fprintf(f, "last sweep: %s, took %.1fs, exit code %lld",
          get_str(ls, "finished") ? get_str(ls, "finished") : "?",
          (double)get_int(ls, "duration_ms") / 1000.0,
          (long long)get_int(ls, "exit_code"));
  print_errors(f, ls);
  fputc('\n', f);
  {
    struct json_object *sum = get_obj(ls, "summary");
    struct json_object *found = get_obj(sum, "found");
    int64_t lg = get_int(found, "log_groups");
    char lgs[48] = "";
    if(lg > 0)                  /* listed only with log_groups = yes */
      snprintf(lgs, sizeof(lgs), ", %lld log groups", (long long)lg);
    fprintf(f, "            found %lld functions, %lld layer versions, %lld "
            "buckets%s; %lld candidates, %lld deleted, %lld failed, %lld "
            "refused\n", (long long)get_int(found, "functions"),
            (long long)get_int(found, "layer_versions"),
            (long long)get_int(found, "buckets"), lgs,
            (long long)get_int(sum, "candidates"),
            (long long)get_int(sum, "deleted"),
            (long long)get_int(sum, "failed"),
            (long long)get_int(sum, "refused"));
  }
  print_accounts(f, ls);
}

int ctl_status_client(const char *path, int json)
{
  struct json_object *o;
  char err[256];
  char *line = ask_status(path, err, sizeof(err));

  if(!line) {
    char msg[sizeof(((struct sockaddr_un *)0)->sun_path) + 320];
    snprintf(msg, sizeof(msg), "no daemon answers on %s: %s", path, err);
    untrusted_fprintf(stderr, "remotion-janitor: %s\n", msg);
    if(json)
      output_error_json(stdout, msg, 1);
    return 1;
  }
  if(json) {
    /* The daemon's answer is valid UTF-8; kept so whatever answers. */
    untrusted_json_fputs(line, stdout);
    putchar('\n');
    free(line);
    return fflush(stdout) ? 1 : 0;
  }
  /* The exact bytes of every string: escaped below, for a person. */
  untrusted_json_bytes(line);
  o = json_tokener_parse(line);
  free(line);
  if(!o || !json_object_is_type(o, json_type_object)) {
    fprintf(stderr, "remotion-janitor: the daemon on %s answered something "
            "that is not a JSON object\n", path);
    json_object_put(o);
    return 1;
  }
  escape_strings(o);
  if(!json_object_get_boolean(json_object_object_get(o, "ok"))) {
    untrusted_fprintf(stderr, "remotion-janitor: the daemon on %s answered: "
                      "%s\n", path, get_str(o, "error") ? get_str(o, "error")
                      : "an error");
    json_object_put(o);
    return 1;
  }
  print_human(stdout, o);
  json_object_put(o);
  return fflush(stdout) ? 1 : 0;
}
