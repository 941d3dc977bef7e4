/*
 * The state file's format (state.h): load and save.
 *
 * The file is one JSON object:
 *
 *   {"version":2,
 *    "accounts":{"111111111111":{"clocks":{...},"last_sweep":{...}},...},
 *    "clocks":{...},"last_sweep":{...}}
 *
 *   version     the integer 2, or 1 (written before accounts: no
 *               "accounts"); any other value (or none) makes the file
 *               corrupt: an unknown format is never half-understood.
 *   accounts    (version 2) an object: account id (12 digits) -> that
 *               account's clocks and last_sweep.
 *   clocks      an object: clock key (state_key(), "type|region|name|
 *               version") -> the epoch second at which the resource first
 *               became a candidate, an integer from 0 to 253402300799
 *               (9999-12-31T23:59:59Z).  Written sorted by key (bytes
 *               compared unsigned); read in any order.  At the
 *               top level: the clocks of no known account (all of them in
 *               a version 1 file), until a sweep takes them over.
 *   last_sweep  an object, or null, or absent: what the sweep code keeps
 *               about the last sweep; opaque here.
 *   first_sweep (in an account) when that account was first swept, an
 *               integer from 1 to 253402300799, or absent (a file written
 *               before it was kept): no clock earlier than it is accepted
 *               (policy_clock_check()).
 *
 * The file is read and written as a stream, a block at a time: memory
 * holds the clocks (their table, state_clocks.c: each key as what it adds
 * to the one before), never the file's text nor a tree of it; only each last_sweep, a small record, is
 * parsed by json-c from its own text.
 *
 * Other keys are ignored.  Anything else (not JSON, trailing bytes, a NUL
 * byte, nesting deeper than 32, a wrong type, a clock out of range, an
 * empty or repeated clock key, a clock key longer than JAN_STATE_KEY_MAX,
 * a member or account that appears twice, \u0000 or a lone surrogate in a
 * string, more than STATE_MAX_BYTES, not a regular file) makes the file
 * corrupt: it is renamed aside (as
 * PATH.corrupt-<epoch>, or .corrupt-<epoch>.N when that is taken) and the
 * state starts empty.  Starting empty restarts every grace clock at the
 * next sweep, so it can only lengthen a grace.  Running out of memory or
 * descriptors says nothing about the file: it is left in place and the
 * load fails.  Version 1 files load as they are and are written back as
 * version 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/fsafe.h"
#include "janitor/hex.h"
#include "janitor/jsonw.h"
#include "janitor/untrusted.h"
#include "state_int.h"

#define STATE_VERSION_V1 1
#define STATE_VERSION 2

/* Not the file's fault: no reason to move it aside. */
static const char oom[] = "out of memory";

/* Containers nested deeper than this make the file corrupt (json-c's
 * default depth, which an earlier reader used). */
#define STATE_DEPTH_MAX 32
/* The longest member name worth keeping: longer ones are no key of ours. */
#define NAME_MAX_KEPT 32

/* A key for a message: printable ASCII only, at most 60 bytes. */
static const char *printable(const char *k, char *buf, size_t size)
{
  size_t i;

  for(i = 0; k[i] && i + 1 < size && i < 60; i++)
    buf[i] = k[i] >= 0x20 && k[i] < 0x7f && k[i] != '"' ? k[i] : '?';
  buf[i] = '\0';
  return buf;
}

/* ---- Reading: a pull parser over the open file, a block at a time ---- */

/*
 * The file is read in blocks and parsed as it comes: memory holds one
 * block, the clocks (their table, state_clocks.c) and the last_sweep
 * objects, never the file's text nor a tree of it.
 */
struct rd {
  int fd;
  size_t pos, len;
  uint64_t total;               /* bytes read so far */
  int eof;
  struct jbuf *capture;         /* when set, every byte consumed goes in */
  unsigned depth_max;           /* STATE_DEPTH_MAX */
  const char *why;              /* the first failure: reason, or oom */
  char *reason;
  size_t rsize;
  char buf[65536];
};

static int rd_fail(struct rd *r, const char *fmt, ...) JAN_PRINTF(2, 3);
static int rd_fail(struct rd *r, const char *fmt, ...)
{
  va_list ap;
  if(r->why)
    return -1;
  va_start(ap, fmt);
  vsnprintf(r->reason, r->rsize, fmt, ap);
  va_end(ap);
  r->why = r->reason;
  return -1;
}

/* The next byte, not consumed, or -1 (end of file, or a failure). */
static int rd_peek(struct rd *r)
{
  while(r->pos == r->len && !r->eof && !r->why) {
    ssize_t n = read(r->fd, r->buf, sizeof(r->buf));
    if(n < 0) {
      if(errno != EINTR)
        rd_fail(r, "%s", strerror(errno));
      continue;
    }
    if(n == 0) {
      r->eof = 1;
      break;
    }
    r->pos = 0;
    r->len = (size_t)n;
    r->total += (uint64_t)n;
    /* The cap holds even if the file grows while it is read. */
    if(r->total > STATE_MAX_BYTES)
      rd_fail(r, "larger than %u bytes", STATE_MAX_BYTES);
    else if(memchr(r->buf, '\0', r->len))
      rd_fail(r, "a NUL byte in the file");
  }
  return r->why || r->pos == r->len ? -1 : (unsigned char)r->buf[r->pos];
}

/* Consume the byte rd_peek() gave. */
static void rd_take(struct rd *r)
{
  if(r->capture && jbuf_addc(r->capture, r->buf[r->pos])) {
    if(!r->why)
      r->why = oom;
  }
  r->pos++;
}

/* Not valid JSON: truncated at the end of the file, else c is wrong. */
static int rd_syntax(struct rd *r, int c)
{
  return c < 0 ? rd_fail(r, "not valid JSON (truncated)")
               : rd_fail(r, "not valid JSON (unexpected '%c')",
                         c >= 0x20 && c < 0x7f ? c : '?');
}

/* Skip white space; the next byte, not consumed. */
static int rd_ws(struct rd *r)
{
  int c;
  while((c = rd_peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r')
    rd_take(r);
  return c;
}

/* Consume c after white space, or fail. */
static int rd_expect(struct rd *r, int c)
{
  int got = rd_ws(r);
  if(got != c)
    return rd_syntax(r, got);
  rd_take(r);
  return 0;
}

/* Four hex digits of a \u escape. */
static long rd_hex4(struct rd *r)
{
  long v = 0;
  for(int i = 0; i < 4; i++) {
    int c = rd_peek(r), h = c < 0 ? -1 : jan_hex_value(c);
    if(h < 0)
      return rd_syntax(r, c);
    rd_take(r);
    v = v * 16 + h;
  }
  return v;
}

/*
 * A string (the opening quote next), its bytes decoded into out (NULL:
 * skipped).  Escapes as JSON has them; a \u escape is written in UTF-8
 * (a surrogate pair as one character); \u0000 and a lone surrogate are
 * refused, as is a raw control character.  Other bytes are kept as they
 * are (keys are exact bytes, not necessarily UTF-8).  *over is set when
 * out's cap was reached (the rest is then skipped).
 */
static int rd_string(struct rd *r, struct jbuf *out, int *over)
{
  static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
  int c;

  if(over)
    *over = 0;
  if(rd_expect(r, '"'))
    return -1;
  for(;;) {
    char u[4];
    size_t n = 1;

    c = rd_peek(r);
    if(c < 0)
      return rd_syntax(r, c);
    rd_take(r);
    if(c == '"')
      return 0;
    if(c < 0x20)
      return rd_fail(r, "not valid JSON (a control character in a string)");
    u[0] = (char)c;
    if(c == '\\') {
      const char *e;
      long v;
      c = rd_peek(r);
      if(c < 0)
        return rd_syntax(r, c);
      rd_take(r);
      if(c != 'u') {
        if(!(e = strchr(esc_in, c)) || !c)
          return rd_syntax(r, c);
        u[0] = esc_out[e - esc_in];
      }
      else {
        if((v = rd_hex4(r)) < 0)
          return -1;
        if(v >= 0xd800 && v < 0xdc00) {
          long lo;
          if(rd_peek(r) != '\\')
            return rd_fail(r, "not valid JSON (a lone surrogate)");
          rd_take(r);
          if(rd_peek(r) != 'u')
            return rd_fail(r, "not valid JSON (a lone surrogate)");
          rd_take(r);
          if((lo = rd_hex4(r)) < 0)
            return -1;
          if(lo < 0xdc00 || lo > 0xdfff)
            return rd_fail(r, "not valid JSON (a lone surrogate)");
          v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
        }
        else if(v >= 0xdc80 && v <= 0xdcff) {
          /* A byte that is not part of valid UTF-8, as jsonw.h writes
           * it: the byte itself. */
          u[0] = (char)(v & 0xff);
          v = -1;
        }
        else if(v >= 0xdc00 && v < 0xe000)
          return rd_fail(r, "not valid JSON (a lone surrogate)");
        if(!v)
          return rd_fail(r, "a NUL byte in a string");
        if(v < 0)
          ;                     /* the byte, above */
        else if(v < 0x80)
          u[0] = (char)v;
        else if(v < 0x800) {
          u[0] = (char)(0xc0 | (v >> 6));
          u[1] = (char)(0x80 | (v & 0x3f));
          n = 2;
        }
        else if(v < 0x10000) {
          u[0] = (char)(0xe0 | (v >> 12));
          u[1] = (char)(0x80 | ((v >> 6) & 0x3f));
          u[2] = (char)(0x80 | (v & 0x3f));
          n = 3;
        }
        else {
          u[0] = (char)(0xf0 | (v >> 18));
          u[1] = (char)(0x80 | ((v >> 12) & 0x3f));
          u[2] = (char)(0x80 | ((v >> 6) & 0x3f));
          u[3] = (char)(0x80 | (v & 0x3f));
          n = 4;
        }
      }
    }
    if(out && !(over && *over)) {
      int rc = jbuf_add(out, u, n);
      if(rc == JAN_ETOOBIG && over)
        *over = 1;
      else if(rc) {
        r->why = r->why ? r->why : oom;
        return -1;
      }
    }
  }
}

/* Digits: how many were consumed; *c the byte after them. */
static int rd_digits(struct rd *r, int *c)
{
  int n = 0;
  while((*c = rd_peek(r)) >= '0' && *c <= '9') {
    rd_take(r);
    n++;
  }
  return n;
}

/* A number (its first byte next): *v and *is_int 1 for an integer
 * (saturated past int64, as json-c did), *is_int 0 for any other. */
static int rd_number(struct rd *r, int64_t *v, int *is_int)
{
  int c = rd_peek(r), neg = 0, digits = 0;
  uint64_t m = 0, lim;

  *is_int = 1;
  if(c == '-') {
    neg = 1;
    rd_take(r);
    c = rd_peek(r);
  }
  lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if(c == '0') {
    rd_take(r);
    digits = 1;
    c = rd_peek(r);
  }
  else {
    while(c >= '0' && c <= '9') {
      rd_take(r);
      m = m > (lim - (uint64_t)(c - '0')) / 10 ? lim
                                               : m * 10 + (uint64_t)(c - '0');
      digits++;
      c = rd_peek(r);
    }
  }
  if(!digits)
    return rd_syntax(r, c);
  if(c == '.') {
    *is_int = 0;
    rd_take(r);
    if(!rd_digits(r, &c))
      return rd_syntax(r, c);
  }
  if(c == 'e' || c == 'E') {
    *is_int = 0;
    rd_take(r);
    c = rd_peek(r);
    if(c == '+' || c == '-')
      rd_take(r);
    if(!rd_digits(r, &c))
      return rd_syntax(r, c);
  }
  *v = neg ? (m > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)m)
           : (int64_t)m;
  return 0;
}

/* One of true, false, null (its first byte next). */
static int rd_literal(struct rd *r)
{
  static const char *const words[] = { "true", "false", "null" };
  int c = rd_peek(r);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(words); i++) {
    if(c != words[i][0])
      continue;
    for(const char *w = words[i]; *w; w++) {
      if((c = rd_peek(r)) != *w)
        return rd_syntax(r, c);
      rd_take(r);
    }
    return 0;
  }
  return rd_syntax(r, c);
}

static int rd_skip(struct rd *r, unsigned depth);

/* The members of an object or the elements of an array, the opening
 * bracket consumed: each member's name (what name_cap holds of it, and
 * long_name when it is longer) and its value to fn, or both skipped when
 * fn is NULL. */
typedef int (*member_fn)(struct rd *r, const char *name, int long_name,
                         void *arg, unsigned depth);

static int rd_members(struct rd *r, int close, member_fn fn, void *arg,
                      unsigned depth, size_t name_cap)
{
  struct jbuf name;
  int c, rc = 0, first = 1;

  if(depth > r->depth_max)
    return rd_fail(r, "nested deeper than %u", r->depth_max);
  jbuf_init(&name, name_cap);
  for(;;) {
    int over = 0;
    c = rd_ws(r);
    if(c == close && first) {
      rd_take(r);
      break;
    }
    if(close == '}') {
      jbuf_reset(&name);
      if(rd_string(r, fn ? &name : NULL, &over) || rd_expect(r, ':')) {
        rc = -1;
        break;
      }
    }
    rd_ws(r);
    if(fn && close == '}')
      rc = fn(r, jbuf_str(&name), over, arg, depth);
    else
      rc = rd_skip(r, depth);
    if(rc)
      break;
    first = 0;
    c = rd_ws(r);
    if(c == ',') {
      rd_take(r);
      c = rd_ws(r);
      if(c == close) {
        rc = rd_syntax(r, c);   /* a trailing comma */
        break;
      }
      continue;
    }
    if(c == close) {
      rd_take(r);
      break;
    }
    rc = rd_syntax(r, c);
    break;
  }
  jbuf_free(&name);
  return rc || r->why ? -1 : 0;
}

/* Any value, skipped (it must still be valid JSON). */
static int rd_skip(struct rd *r, unsigned depth)
{
  int c = rd_ws(r), is_int;
  int64_t v;

  if(c == '{' || c == '[') {
    rd_take(r);
    return rd_members(r, c == '{' ? '}' : ']', NULL, NULL, depth + 1,
                      NAME_MAX_KEPT);
  }
  if(c == '"')
    return rd_string(r, NULL, NULL);
  if(c == '-' || (c >= '0' && c <= '9'))
    return rd_number(r, &v, &is_int);
  return rd_literal(r);
}

/* What parsing the root and an account's entry gathers. */
struct entry {
  struct state *st;
  const char *what;             /* names it in messages ("" for the root) */
  int has_clocks, version, is_root;
  uint32_t seen;                /* bit per known member: a repeat is an error */
};

/* An integer value (its first byte next): 0 with *v, 1 when it is another
 * value (skipped), -1 on a failure. */
static int rd_int(struct rd *r, int64_t *v, unsigned depth)
{
  int c = rd_ws(r), is_int;
  if(c == '-' || (c >= '0' && c <= '9'))
    return rd_number(r, v, &is_int) ? -1 : !is_int;
  return rd_skip(r, depth) ? -1 : 1;
}

/* One clock of a clocks object: its key and value into e->st. */
static int clock_member(struct rd *r, const char *key, int long_key,
                        void *arg, unsigned depth)
{
  struct entry *e = arg;
  struct state *st = e->st;
  char kbuf[64];
  int64_t since = 0;
  int got, rc, existed;

  if(long_key)
    return rd_fail(r, "%sa clock key longer than %u bytes", e->what,
                   JAN_STATE_KEY_MAX);
  got = rd_int(r, &since, depth);
  if(got < 0)
    return -1;
  if(got)
    return rd_fail(r, "%sthe clock of \"%s\" is not an integer", e->what,
                   printable(key, kbuf, sizeof(kbuf)));
  if(since < 0 || since > STATE_CLOCK_MAX)
    return rd_fail(r, "%sthe clock of \"%s\" is out of range", e->what,
                   printable(key, kbuf, sizeof(kbuf)));
  if(!*key)
    return rd_fail(r, "%san empty clock key", e->what);
  rc = state_clock_put(st, key, strlen(key), since, 0, &existed);
  if(rc == JAN_ENOMEM) {
    r->why = oom;
    return -1;
  }
  if(rc)
    return rd_fail(r, "%sthe clock key \"%s\" is not one", e->what,
                   printable(key, kbuf, sizeof(kbuf)));
  if(existed)
    return rd_fail(r, "%sthe clock \"%s\" appears twice", e->what,
                   printable(key, kbuf, sizeof(kbuf)));
  return 0;
}

/* The clocks object (its '{' next). */
static int rd_clocks(struct rd *r, struct entry *e, unsigned depth)
{
  if(rd_ws(r) != '{') {
    if(!r->why)
      rd_skip(r, depth);
    return rd_fail(r, "%s\"clocks\" is not an object", e->what);
  }
  rd_take(r);
  return rd_members(r, '}', clock_member, e, depth + 1, JAN_STATE_KEY_MAX);
}

/* A last_sweep value (its first byte next): an object kept as json-c's,
 * null, or an error. */
static int rd_last_sweep(struct rd *r, struct entry *e, unsigned depth)
{
  struct json_tokener *tok;
  struct json_object *o;
  struct jbuf text;
  int c = rd_ws(r);

  if(c == 'n')
    return rd_literal(r);
  if(c != '{') {
    if(!r->why)
      rd_skip(r, depth);
    return rd_fail(r, "%s\"last_sweep\" is not an object", e->what);
  }
  /* Its text alone, parsed by json-c: a record is small and its members
   * are the sweep code's. */
  jbuf_init(&text, STATE_MAX_BYTES);
  r->capture = &text;
  c = rd_skip(r, depth);
  r->capture = NULL;
  if(c || r->why) {
    jbuf_free(&text);
    return -1;
  }
  tok = json_tokener_new_ex(STATE_DEPTH_MAX);
  if(!tok) {
    jbuf_free(&text);
    r->why = oom;
    return -1;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  /* Its \udcXX escapes (jsonw.h) back to their bytes for json-c. */
  text.len = untrusted_json_bytes(text.ptr);
  o = json_tokener_parse_ex(tok, text.ptr, (int)text.len);
  c = !o || json_tokener_get_error(tok) != json_tokener_success;
  json_tokener_free(tok);
  jbuf_free(&text);
  if(c) {
    json_object_put(o);
    return rd_fail(r, "%s\"last_sweep\" is not an object", e->what);
  }
  json_object_put(e->st->last_sweep);
  e->st->last_sweep = o;
  return 0;
}

static int entry_member(struct rd *r, const char *name, int long_name,
                        void *arg, unsigned depth);

/* Version 2's "accounts": {ID: {"clocks":..., "last_sweep":...}}. */
static int account_member(struct rd *r, const char *id, int long_name,
                          void *arg, unsigned depth)
{
  struct entry *root = arg, e = { 0 };
  struct state_account *sa;
  char kbuf[64], what[80];

  if(long_name || !state_account_id_ok(id))
    return rd_fail(r, "account \"%s\" is not 12 digits",
                   printable(id, kbuf, sizeof(kbuf)));
  if(rd_ws(r) != '{') {
    if(!r->why)
      rd_skip(r, depth);
    return rd_fail(r, "account %s is not an object", id);
  }
  if(state_account_get(root->st, id))
    return rd_fail(r, "account %s appears twice", id);
  sa = state_account_add(root->st, id);
  if(!sa) {
    r->why = r->why ? r->why : oom;
    return -1;
  }
  rd_take(r);
  snprintf(what, sizeof(what), "account %s: ", id);
  e.st = &sa->st;
  e.what = what;
  if(rd_members(r, '}', entry_member, &e, depth + 1, NAME_MAX_KEPT))
    return -1;
  if(!e.has_clocks)
    return rd_fail(r, "%s\"clocks\" is not an object", what);
  return 0;
}

/* The members of the root and of an account that mean something. */
enum { M_VERSION, M_CLOCKS, M_LAST_SWEEP, M_FIRST_SWEEP, M_ACCOUNTS };
static const char *const members[] = {
  [M_VERSION] = "version", [M_CLOCKS] = "clocks",
  [M_LAST_SWEEP] = "last_sweep", [M_FIRST_SWEEP] = "first_sweep",
  [M_ACCOUNTS] = "accounts",
};

static int entry_member(struct rd *r, const char *name, int long_name,
                        void *arg, unsigned depth)
{
  struct entry *e = arg;
  size_t m;
  int64_t v = 0;
  int got;

  for(m = 0; m < JAN_ARRAY_SIZE(members); m++)
    if(!long_name && !strcmp(name, members[m]))
      break;
  /* The root's version and accounts mean nothing in an account. */
  if(m == JAN_ARRAY_SIZE(members) ||
     (!e->is_root && (m == M_VERSION || m == M_ACCOUNTS)))
    return rd_skip(r, depth);
  if(e->seen & (1u << m))
    return rd_fail(r, "%s\"%s\" appears twice", e->what, members[m]);
  e->seen |= 1u << m;
  switch(m) {
  case M_VERSION:
    got = rd_int(r, &v, depth);
    if(got < 0)
      return -1;
    e->version = got || v < 0 || v > 1000 ? 0 : (int)v;
    return 0;
  case M_CLOCKS:
    e->has_clocks = 1;
    return rd_clocks(r, e, depth);
  case M_LAST_SWEEP:
    return rd_last_sweep(r, e, depth);
  case M_FIRST_SWEEP:
    got = rd_int(r, &v, depth);
    if(got < 0)
      return -1;
    if(got || v < 1 || v > STATE_CLOCK_MAX)
      return rd_fail(r, "%s\"first_sweep\" is not a time", e->what);
    e->st->first_sweep = v;
    return 0;
  default:                      /* M_ACCOUNTS */
    if(rd_ws(r) != '{') {
      if(!r->why)
        rd_skip(r, depth);
      return rd_fail(r, "\"accounts\" is not an object");
    }
    rd_take(r);
    return rd_members(r, '}', account_member, e, depth + 1, NAME_MAX_KEPT);
  }
}

/*
 * Parse the open file into st (empty).  NULL on success, else why the
 * file is corrupt (in reason) or oom, with st left empty.
 */
static const char *parse_state(int fd, struct state *st, char *reason,
                               size_t rsize)
{
  struct rd *r = malloc(sizeof(*r));
  struct entry root = { 0 };
  const char *why;
  int c;

  if(!r)
    return oom;
  memset(r, 0, offsetof(struct rd, buf));
  r->fd = fd;
  r->depth_max = STATE_DEPTH_MAX;
  r->reason = reason;
  r->rsize = rsize;
  root.st = st;
  root.what = "";
  root.is_root = 1;
  c = rd_ws(r);
  if(c < 0 && !r->why && !r->total)
    rd_fail(r, "empty file");
  else if(c != '{') {
    if(!r->why && (c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9')
                   || c == 't' || c == 'f' || c == 'n') && !rd_skip(r, 0) &&
       rd_ws(r) < 0 && !r->why)
      rd_fail(r, "not a JSON object");
    else
      rd_syntax(r, c);
  }
  else {
    rd_take(r);
    if(!rd_members(r, '}', entry_member, &root, 1, NAME_MAX_KEPT)) {
      c = rd_ws(r);
      if(c >= 0)
        rd_fail(r, "not valid JSON (trailing data)");
    }
  }
  if(!r->why && root.version != STATE_VERSION_V1 &&
     root.version != STATE_VERSION)
    rd_fail(r, "\"version\" is not %d or %d", STATE_VERSION_V1,
            STATE_VERSION);
  if(!r->why && !root.has_clocks)
    rd_fail(r, "\"clocks\" is not an object");
  if(!r->why && root.version == STATE_VERSION &&
     !(root.seen & (1u << M_ACCOUNTS)))
    rd_fail(r, "\"accounts\" is not an object");
  /* Version 1 had no accounts: its clocks are the root's, of no known
   * account, until a sweep takes them over (state_claim()). */
  if(!r->why && root.version == STATE_VERSION_V1)
    while(st->naccounts) {
      struct state_account *a = st->accounts[--st->naccounts];
      state_free(&a->st);
      free(a);
    }
  why = r->why;
  free(r);
  if(why)
    state_free(st);
  return why;
}

/*
 * Read an open state file.  NULL and st filled, or why it is unusable (in
 * reason), or oom.
 */
static const char *read_state(int fd, struct state *st, char *reason,
                              size_t rsize)
{
  struct stat sb;

  if(fstat(fd, &sb)) {
    snprintf(reason, rsize, "%s", strerror(errno));
    return reason;
  }
  if(!S_ISREG(sb.st_mode)) {
    snprintf(reason, rsize, "not a regular file");
    return reason;
  }
  if(sb.st_size > (off_t)STATE_MAX_BYTES) {
    snprintf(reason, rsize, "larger than %u bytes", STATE_MAX_BYTES);
    return reason;
  }
  return parse_state(fd, st, reason, rsize);
}

/*
 * Rename a corrupt file aside as NAME.corrupt-<epoch> (with ".N" added
 * when that name is taken, so an earlier one is never overwritten) and
 * append the warning.
 */
static void keep_aside(int dfd, const char *path, const char *base,
                       const char *why, struct jbuf *warn)
{
  char aside[64];
  struct jbuf name;
  long long now = (long long)time(NULL);
  int e = 0, done = 0;

  jbuf_init(&name, JAN_PATH_MAX);
  for(unsigned i = 0; i < 100 && !done; i++) {
    if(i)
      snprintf(aside, sizeof(aside), ".corrupt-%lld.%u", now, i);
    else
      snprintf(aside, sizeof(aside), ".corrupt-%lld", now);
    jbuf_reset(&name);
    if(jbuf_addstr(&name, base) || jbuf_addstr(&name, aside)) {
      e = ENAMETOOLONG;
      break;
    }
    if(!fstatat(dfd, jbuf_str(&name), &(struct stat){0},
                AT_SYMLINK_NOFOLLOW)) {
      e = EEXIST;
      continue;
    }
    if(renameat(dfd, base, dfd, jbuf_str(&name))) {
      e = errno;
      break;
    }
    done = 1;
  }
  if(done)
    fsafe_msg(warn, "%s: %s; kept as %s%s; starting empty", path, why, path,
             aside);
  else
    fsafe_msg(warn, "%s: %s; could not keep it aside (%s); starting empty",
             path, why, strerror(e));
  jbuf_free(&name);
}

int state_load(struct state *st, const char *path, struct jbuf *warn)
{
  const char *base, *why;
  char reason[256];
  struct jbuf m;
  int dfd, fd, rc;

  JAN_REQUIRE(st && path && st->n == 0 && !st->last_sweep);
  jbuf_init(&m, JAN_MSG_MAX);
  rc = fsafe_dir_open(path, &base, &dfd, &m);
  if(rc && rc != JAN_ENOENT)       /* no directory is no file: no warning */
    fsafe_msg(warn, "%s", jbuf_str(&m));
  jbuf_free(&m);
  if(rc == JAN_ENOENT)
    return JAN_OK;
  if(rc)
    return rc == JAN_ENOMEM ? JAN_ENOMEM : JAN_EIO;
  /* O_NONBLOCK: a FIFO planted at path must not hang the daemon. */
  fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if(fd < 0) {
    int e = errno;
    if(e == ENOENT) {
      close(dfd);
      return JAN_OK;
    }
    if(e == ELOOP || fsafe_is_symlink_at(dfd, base)) {
      fsafe_msg(warn, "%s: is a symbolic link; refusing to follow it "
               "(tampering?): not read, not moved", path);
      close(dfd);
      return JAN_EIO;
    }
    /* Out of descriptors or memory says nothing about the file. */
    if(e == EMFILE || e == ENFILE || e == ENOMEM) {
      fsafe_msg(warn, "%s: %s", path, strerror(e));
      close(dfd);
      return JAN_EIO;
    }
    snprintf(reason, sizeof(reason), "cannot open: %s", strerror(e));
    why = reason;
  }
  else {
    why = read_state(fd, st, reason, sizeof(reason));
    close(fd);
  }
  if(why == oom) {
    fsafe_msg(warn, "%s: out of memory while reading it", path);
    close(dfd);
    return JAN_ENOMEM;
  }
  if(why)
    keep_aside(dfd, path, base, why, warn);
  close(dfd);
  return JAN_OK;
}

/* ---- Writing: straight to the temporary file, a block at a time ---- */

struct wr {
  int fd;
  const struct state *st;
  size_t len;
  uint64_t total;
  int rc;                       /* the first failure */
  char buf[65536];
};

static void wr_put(struct wr *w, const char *p, size_t n)
{
  if(w->rc)
    return;
  w->total += n;
  /* What could not be loaded back is not written. */
  if(w->total > STATE_MAX_BYTES) {
    w->rc = JAN_ETOOBIG;
    return;
  }
  while(n) {
    size_t k = sizeof(w->buf) - w->len < n ? sizeof(w->buf) - w->len : n;
    memcpy(w->buf + w->len, p, k);
    w->len += k;
    p += k;
    n -= k;
    if(w->len == sizeof(w->buf)) {
      if(fsafe_write_all(w->fd, w->buf, w->len)) {
        w->rc = JAN_EIO;
        return;
      }
      w->len = 0;
    }
  }
}

/* jsonw's sink: the buffered temporary file. */
static int wr_emit(void *arg, const char *p, size_t n)
{
  struct wr *w = arg;
  wr_put(w, p, n);
  return w->rc;
}

/* "clocks":{...}[,"first_sweep":N][,"last_sweep":{...}] of st. */
static void wr_entry(struct wr *w, struct jsonw *j, const struct state *st)
{
  jsonw_key(j, "clocks");
  jsonw_object(j);
  {
    struct state_clock_iter *it = state_clock_iter_new(st);
    struct state_clock c;
    if(!it)
      w->rc = JAN_ENOMEM;
    while(it && state_clock_next(it, &c))
      jsonw_kint(j, c.key, c.since);
    state_clock_iter_free(it);
  }
  jsonw_object_end(j);
  if(st->first_sweep > 0)
    jsonw_kint(j, "first_sweep", st->first_sweep);
  if(st->last_sweep) {
    jsonw_key(j, "last_sweep");
    jsonw_json(j, json_object_get(st->last_sweep));
  }
}

/* The file: {"version":2,"clocks":...,"accounts":{ID:{...}}} and a
 * newline. */
static int write_state(int fd, void *arg, struct jbuf *err)
{
  struct wr *w = arg;
  struct jsonw j;

  (void)err;
  w->fd = fd;
  jsonw_init(&j, wr_emit, w);
  jsonw_object(&j);
  jsonw_kint(&j, "version", STATE_VERSION);
  wr_entry(w, &j, w->st);
  jsonw_key(&j, "accounts");
  jsonw_object(&j);
  for(size_t i = 0; i < w->st->naccounts; i++) {
    const struct state_account *a = w->st->accounts[i];
    jsonw_key(&j, a->id);
    jsonw_object(&j);
    wr_entry(w, &j, &a->st);
    jsonw_object_end(&j);
  }
  jsonw_object_end(&j);
  jsonw_object_end(&j);
  wr_put(w, "\n", 1);
  if(!w->rc && jsonw_failed(&j))
    w->rc = jsonw_failed(&j);
  if(!w->rc && w->len && fsafe_write_all(fd, w->buf, w->len))
    w->rc = JAN_EIO;
  return w->rc;
}

int state_save(const struct state *st, const char *path, struct jbuf *err)
{
  struct wr *w;
  int rc;

  JAN_REQUIRE(st && path);
  w = calloc(1, sizeof(*w));
  if(!w) {
    fsafe_msg(err, "%s: out of memory", path);
    return JAN_ENOMEM;
  }
  w->st = st;
  rc = state_write_atomic_fn(path, 0640, write_state, w, err);
  if(rc == JAN_ETOOBIG)
    fsafe_msg(err, "%s: the state would exceed %u bytes; not written", path,
             STATE_MAX_BYTES);
  else if(rc == JAN_ENOMEM)
    fsafe_msg(err, "%s: out of memory", path);
  free(w);
  return rc;
}
