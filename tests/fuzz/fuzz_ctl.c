/*
 * The status socket's command line (ctl_answer in daemon/ctl.c, built into
 * this target).  The input up to its first newline is the line; it is
 * answered three times: for a peer that may not sweep, for one that may
 * (uid 0 or the daemon's), and for one that may while the sweep refuses
 * to start.
 *
 * Invariants: every answer is one line of JSON, a printable ASCII object
 * with a boolean "ok" (and an "error" string when false); a command runs
 * only when the trimmed line is exactly its name; a sweep never starts for
 * a peer that may not sweep.
 */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "ctl.h"

struct calls {
  int status, inventory, sweep;
  int sweep_fails;
};

static struct json_object *ok_object(const char *key, const char *val)
{
  struct json_object *o = json_object_new_object();

  if(!o)
    abort();
  json_object_object_add(o, "ok", json_object_new_boolean(1));
  json_object_object_add(o, key, json_object_new_string(val));
  return o;
}

static struct json_object *op_status(void *arg)
{
  ((struct calls *)arg)->status++;
  return ok_object("state", "idle");
}

/* A streamed answer in three pieces, as the daemon's is. */
struct piece_stream {
  struct ctl_stream base;
  int i;
};

static int pieces_next(struct ctl_stream *st, struct jbuf *out)
{
  static const char *const pieces[] = {
    "{\"ok\":true,\"resources\":[", "{\"region\":\"eu-west-1\"}", "]}"
  };
  struct piece_stream *s = (struct piece_stream *)st;
  int rc = jbuf_addstr(out, pieces[s->i++]);
  return rc ? rc : s->i < 3;
}

static void pieces_free(struct ctl_stream *st)
{
  free(st);
}

static struct ctl_stream *op_inventory(void *arg)
{
  struct piece_stream *s = calloc(1, sizeof(*s));

  ((struct calls *)arg)->inventory++;
  if(!s)
    abort();
  s->base.next = pieces_next;
  s->base.free = pieces_free;
  return &s->base;
}

static int op_sweep(void *arg, char *err, size_t errlen)
{
  struct calls *c = arg;

  c->sweep++;
  if(c->sweep_fails) {
    snprintf(err, errlen, "a sweep is already running");
    return -1;
  }
  return 0;
}

static const struct ctl_ops ops = { op_status, op_inventory, op_sweep };

static int blank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r';
}

static void one(const char *line, size_t len, int may_sweep,
                int sweep_fails)
{
  struct calls calls = { 0, 0, 0, 0 };
  struct json_tokener *tok;
  struct json_object *o, *ok, *err;
  const char *w;
  size_t wl;
  char *answer;

  calls.sweep_fails = sweep_fails;
  answer = ctl_answer(line, len, may_sweep, &ops, &calls);
  FUZZ_CHECK(answer != NULL);
  for(const char *p = answer; *p; p++)
    FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
  FUZZ_CHECK(strlen(answer) < 4096);

  tok = json_tokener_new();
  if(!tok)
    abort();
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  o = json_tokener_parse_ex(tok, answer, (int)strlen(answer));
  FUZZ_CHECK(o && json_tokener_get_error(tok) == json_tokener_success);
  FUZZ_CHECK(json_tokener_get_parse_end(tok) == strlen(answer));
  FUZZ_CHECK(json_object_is_type(o, json_type_object));
  FUZZ_CHECK(json_object_object_get_ex(o, "ok", &ok) &&
             json_object_is_type(ok, json_type_boolean));
  if(!json_object_get_boolean(ok))
    FUZZ_CHECK(json_object_object_get_ex(o, "error", &err) &&
               json_object_is_type(err, json_type_string));

  /* Which command ran: exactly the one the trimmed line names. */
  w = line;
  wl = len;
  while(wl && blank(w[0])) {
    w++;
    wl--;
  }
  while(wl && blank(w[wl - 1]))
    wl--;
#define IS(word) (wl == sizeof(word) - 1 && !memcmp(w, word, wl))
  FUZZ_CHECK(calls.status == (IS("status") ? 1 : 0));
  FUZZ_CHECK(calls.inventory == (IS("inventory") ? 1 : 0));
  FUZZ_CHECK(calls.sweep == (IS("sweep") && may_sweep ? 1 : 0));
  FUZZ_CHECK(json_object_get_boolean(ok) ==
             (IS("status") || IS("inventory") || IS("help") ||
              (IS("sweep") && may_sweep && !sweep_fails)));
#undef IS

  json_object_put(o);
  json_tokener_free(tok);
  free(answer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *nl = memchr(data, '\n', size);
  size_t len = nl ? (size_t)(nl - (const char *)data) : size;
  /* The line in its own exact-size buffer, as the server's would end. */
  char *line = fuzz_dup(data, len);

  one(line, len, 0, 0);
  one(line, len, 1, 0);
  one(line, len, 1, 1);
  free(line);
  return 0;
}
