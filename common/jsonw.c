/*
 * The streaming JSON writer (jsonw.h).
 */
#include <stdio.h>
#include <string.h>

#include "janitor/err.h"
#include "janitor/jsonw.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"

static int emit_file(void *arg, const char *s, size_t n)
{
  return fwrite(s, 1, n, arg) == n ? JAN_OK : JAN_EIO;
}

static int emit_jbuf(void *arg, const char *s, size_t n)
{
  return jbuf_add(arg, s, n);
}

void jsonw_init(struct jsonw *w, jsonw_emit_fn emit, void *arg)
{
  w->emit = emit;
  w->arg = arg;
  w->failed = JAN_OK;
  w->depth = 0;
  w->want_value = 0;
  w->started = 0;
  w->direct = emit == emit_jbuf;
  w->held = 0;
}

void jsonw_init_file(struct jsonw *w, FILE *f)
{
  jsonw_init(w, emit_file, f);
}

void jsonw_init_jbuf(struct jsonw *w, struct jbuf *b)
{
  jsonw_init(w, emit_jbuf, b);
}

/* s[0..n) to the sink; its failure stops the writing. */
static void give(struct jsonw *w, const char *s, size_t n)
{
  int rc;
  if(!w->failed && n && (rc = w->emit(w->arg, s, n)) != 0)
    w->failed = rc < 0 ? rc : JAN_EIO;
}

/* What is held, to the sink. */
static void drain(struct jsonw *w)
{
  size_t n = w->held;
  w->held = 0;
  give(w, w->buf, n);
}

void jsonw_set_jbuf(struct jsonw *w, struct jbuf *b)
{
  drain(w);
  w->emit = emit_jbuf;
  w->arg = b;
  w->direct = 1;
}

int jsonw_flush(struct jsonw *w)
{
  drain(w);
  return w->failed;
}

int jsonw_failed(const struct jsonw *w)
{
  return w->failed;
}

/* The first failure, said once; what was written before it stays. */
static void fail(struct jsonw *w, int rc)
{
  drain(w);
  if(!w->failed)
    w->failed = rc;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
  if(w->failed || !n)
    return;
  if(w->direct) {
    give(w, s, n);
    return;
  }
  if(n > sizeof(w->buf) - w->held) {
    drain(w);
    if(n >= sizeof(w->buf)) {
      give(w, s, n);
      return;
    }
  }
  memcpy(w->buf + w->held, s, n);
  w->held += n;
}

/* One byte (a quote, a comma, a colon, a bracket): straight into the
 * buffer when there is room. */
static void put1(struct jsonw *w, char c)
{
  if(!w->direct && !w->failed && w->held < sizeof(w->buf))
    w->buf[w->held++] = c;
  else
    put(w, &c, 1);
}

/* After a value: a document that ends goes to the sink whole. */
static void ended(struct jsonw *w)
{
  if(!w->depth)
    drain(w);
}

/* Before a value or a key: the comma that separates it from the one
 * before, unless it is a key's value. */
static void sep(struct jsonw *w)
{
  if(w->want_value) {
    w->want_value = 0;
    return;
  }
  if(!w->depth)
    return;
  if(w->started & (UINT64_C(1) << (w->depth - 1)))
    put1(w, ',');
  w->started |= UINT64_C(1) << (w->depth - 1);
}

static void open_(struct jsonw *w, char c)
{
  sep(w);
  if(w->depth >= JSONW_DEPTH_MAX) {
    fail(w, JAN_EINVAL);
    return;
  }
  put1(w, c);
  w->started &= ~(UINT64_C(1) << w->depth);
  w->depth++;
}

static void close_(struct jsonw *w, char c)
{
  if(!w->depth) {
    fail(w, JAN_EINVAL);
    return;
  }
  w->depth--;
  put1(w, c);
  ended(w);
}

void jsonw_object(struct jsonw *w)
{
  open_(w, '{');
}

void jsonw_object_end(struct jsonw *w)
{
  close_(w, '}');
}

void jsonw_array(struct jsonw *w)
{
  open_(w, '[');
}

void jsonw_array_end(struct jsonw *w)
{
  close_(w, ']');
}

/* What a byte of a string needs: 0 none (printable ASCII), 1 an escape
 * (a control, '"', '\\'), 2 a look at its UTF-8 sequence (0x80 and up). */
static unsigned char byte_class(unsigned char c)
{
  if(c >= 0x80)
    return 2;
  return c < 0x20 || c == '"' || c == '\\';
}

/* s[0..n) between quotes, escaped (jsonw.h), in one pass: runs of bytes
 * that stand as they are go out whole. */
static void put_string(struct jsonw *w, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, run = 0;

  put1(w, '"');
  while(i < n) {
    unsigned char c = u[i];
    char e[6];
    size_t k = 2;

    switch(byte_class(c)) {
    case 0:
      i++;
      continue;
    case 2:
      /* A whole valid character stands as it is; a byte that is not
         part of one is written as \udcXX. */
      k = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if(k <= n - i && untrusted_utf8_span(s + i, k) == k) {
        i += k;
        continue;
      }
      memcpy(e, "\\udc", 4);
      e[4] = hex[c >> 4];
      e[5] = hex[c & 15];
      k = 6;
      break;
    default:
      e[0] = '\\';
      switch(c) {
      case '"': e[1] = '"'; break;
      case '\\': e[1] = '\\'; break;
      case '\b': e[1] = 'b'; break;
      case '\f': e[1] = 'f'; break;
      case '\n': e[1] = 'n'; break;
      case '\r': e[1] = 'r'; break;
      case '\t': e[1] = 't'; break;
      default:
        memcpy(e + 1, "u00", 3);
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        k = 6;
      }
    }
    put(w, s + run, i - run);
    put(w, e, k);
    run = ++i;
  }
  put(w, s + run, i - run);
  put1(w, '"');
}

void jsonw_key(struct jsonw *w, const char *k)
{
  sep(w);
  put_string(w, k, strlen(k));
  put1(w, ':');
  w->want_value = 1;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t n)
{
  sep(w);
  put_string(w, s, n);
  ended(w);
}

void jsonw_string(struct jsonw *w, const char *s)
{
  if(!s)
    jsonw_null(w);
  else
    jsonw_string_len(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
  /* As "%" PRId64 writes it, digit by digit from the end. */
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  char b[24], *p = b + sizeof(b);
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while(u);
  if(v < 0)
    *--p = '-';
  sep(w);
  put(w, p, (size_t)(b + sizeof(b) - p));
  ended(w);
}

void jsonw_bool(struct jsonw *w, int v)
{
  sep(w);
  put(w, v ? "true" : "false", v ? 4 : 5);
  ended(w);
}

void jsonw_null(struct jsonw *w)
{
  sep(w);
  put(w, "null", 4);
  ended(w);
}

/* untrusted_json_emit()'s sink: the writer itself. */
static int put_sink(void *arg, const char *s, size_t n)
{
  struct jsonw *w = arg;
  put(w, s, n);
  return w->failed ? -1 : 0;
}

void jsonw_json(struct jsonw *w, struct json_object *o)
{
  const char *t;

  sep(w);
  if(!o) {
    put(w, "null", 4);
    ended(w);
    return;
  }
  t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                        JSON_C_TO_STRING_NOSLASHESCAPE);
  if(!t)
    fail(w, JAN_ENOMEM);
  else if(!w->failed)
    (void)untrusted_json_emit(t, strlen(t), put_sink, w);
  json_object_put(o);
  ended(w);
}

void jsonw_double(struct jsonw *w, double v)
{
  jsonw_json(w, json_object_new_double(v));
}

void jsonw_time(struct jsonw *w, int64_t t)
{
  char b[21];
  if(t < 0) {
    jsonw_null(w);
    return;
  }
  wire_time_format(t, b);
  jsonw_string(w, b);
}

void jsonw_kstring(struct jsonw *w, const char *k, const char *s)
{
  jsonw_key(w, k);
  jsonw_string(w, s);
}

void jsonw_kint(struct jsonw *w, const char *k, int64_t v)
{
  jsonw_key(w, k);
  jsonw_int(w, v);
}
