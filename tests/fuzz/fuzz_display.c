/*
 * The two rules for text from outside (untrusted.h): the display escape
 * and the JSON escape.  The input is any bytes: a render id, a key, a
 * string of the state file.
 *
 * Invariants, each checked with a decoder written here, not the one under
 * test:
 * - untrusted_display() and untrusted_display_line() (and so the log line,
 *   the table, the prompt and --status) never write a byte below 0x20 or
 *   0x7f, a C1 control, a bidirectional control or U+2028/U+2029, and
 *   write valid UTF-8 only;
 * - untrusted_display() maps back: every \xHH to its byte, the rest as is,
 *   gives the exact input;
 * - with room for less, it writes a prefix of the whole escape, cut at a
 *   character or escape boundary, and "..." (or nothing);
 * - the JSON text of a json-c string holding the input, through
 *   untrusted_json_add(), is valid UTF-8 with no raw control byte, and
 *   decoding it as JSON with surrogateescape (\udcXX -> the byte XX) gives
 *   the exact input, and untrusted_json_bytes() turns it back into
 *   json-c's text;
 * - the streaming writer (jsonw.h) writes the same bytes for the string,
 *   into a jbuf and, through its own buffer, into a function sink.
 */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/jsonw.h"
#include "janitor/untrusted.h"

/* A code point a terminal must never get raw. */
static int forbidden(uint32_t cp)
{
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
         cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Decode s as strict UTF-8 (RFC 3629); abort on anything else.  With
 * display, also on a forbidden code point. */
static void check_utf8(const unsigned char *s, size_t n, int display)
{
  size_t i = 0;
  while(i < n) {
    uint32_t cp, min;
    size_t k;
    unsigned char c = s[i];
    if(c < 0x80) {
      cp = c;
      k = 1;
      min = 0;
    }
    else if((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      k = 2;
      min = 0x80;
    }
    else if((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      k = 3;
      min = 0x800;
    }
    else {
      FUZZ_CHECK((c & 0xf8) == 0xf0);
      cp = c & 0x07;
      k = 4;
      min = 0x10000;
    }
    FUZZ_CHECK(i + k <= n);
    for(size_t j = 1; j < k; j++) {
      FUZZ_CHECK((s[i + j] & 0xc0) == 0x80);
      cp = (cp << 6) | (s[i + j] & 0x3f);
    }
    FUZZ_CHECK(cp >= min && cp <= 0x10ffff);
    FUZZ_CHECK(cp < 0xd800 || cp > 0xdfff);
    if(display)
      FUZZ_CHECK(!forbidden(cp));
    else
      FUZZ_CHECK(cp >= 0x20);     /* JSON: controls only as escapes */
    i += k;
  }
}

static int hexval(unsigned char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* \xHH back to the byte; everything else as is.  Returns the length. */
static size_t unescape_display(const char *s, size_t n, char *out)
{
  size_t o = 0;
  for(size_t i = 0; i < n; i++) {
    if(s[i] == '\\') {
      int hi, lo;
      FUZZ_CHECK(i + 3 < n && s[i + 1] == 'x');
      hi = hexval((unsigned char)s[i + 2]);
      lo = hexval((unsigned char)s[i + 3]);
      FUZZ_CHECK(hi >= 0 && lo >= 0);
      out[o++] = (char)(hi * 16 + lo);
      i += 3;
    }
    else {
      out[o++] = s[i];
    }
  }
  return o;
}

/* One JSON string literal at s (after the opening quote) decoded, lone
 * \udcXX as the byte XX; returns the length of the bytes. */
static size_t decode_json_string(const char *s, size_t n, char *out)
{
  size_t o = 0, i = 0;
  for(;; i++) {
    FUZZ_CHECK(i < n);
    if(s[i] == '"')
      break;
    if(s[i] != '\\') {
      out[o++] = s[i];
      continue;
    }
    FUZZ_CHECK(i + 1 < n);
    switch(s[++i]) {
    case '"': out[o++] = '"'; break;
    case '\\': out[o++] = '\\'; break;
    case '/': out[o++] = '/'; break;
    case 'b': out[o++] = '\b'; break;
    case 'f': out[o++] = '\f'; break;
    case 'n': out[o++] = '\n'; break;
    case 'r': out[o++] = '\r'; break;
    case 't': out[o++] = '\t'; break;
    case 'u': {
      unsigned v = 0;
      FUZZ_CHECK(i + 4 < n);
      for(int k = 1; k <= 4; k++) {
        int h = hexval((unsigned char)s[i + (size_t)k]);
        FUZZ_CHECK(h >= 0);
        v = v * 16 + (unsigned)h;
      }
      i += 4;
      if(v >= 0xdc80 && v <= 0xdcff)
        out[o++] = (char)(v & 0xff);
      else {
        FUZZ_CHECK(v < 0x80);     /* json-c escapes only controls */
        out[o++] = (char)v;
      }
      break;
    }
    default:
      FUZZ_CHECK(0);
    }
  }
  FUZZ_CHECK(i + 1 == n);         /* the closing quote ends the text */
  return o;
}

static void display_checks(const char *in, size_t n)
{
  size_t cap = 4 * n + 1, len, full;
  char *out = malloc(cap), *back = malloc(n + 1), *cut;

  if(!out || !back)
    abort();
  full = untrusted_display(out, cap, in, n);
  FUZZ_CHECK(full == strlen(out));
  check_utf8((const unsigned char *)out, full, 1);
  FUZZ_CHECK(unescape_display(out, full, back) == n);
  FUZZ_CHECK(!n || !memcmp(back, in, n));

  /* Cut: a prefix of the whole, at a boundary, then "...". */
  cut = malloc(cap);
  if(!cut)
    abort();
  len = untrusted_display(cut, full / 2 + 1, in, n);
  if(len < full) {
    FUZZ_CHECK(len == 0 || (len >= 3 && !strcmp(cut + len - 3, "...")));
    if(len) {
      FUZZ_CHECK(!memcmp(cut, out, len - 3));
      check_utf8((const unsigned char *)cut, len, 1);
      FUZZ_CHECK(unescape_display(cut, len - 3, back) <= n);
    }
  }
  len = untrusted_display_line(cut, cap, in, n);
  check_utf8((const unsigned char *)cut, len, 1);
  free(cut);
  free(back);
  free(out);
}

static int to_jbuf(void *arg, const char *s, size_t n)
{
  return jbuf_add(arg, s, n);
}

/* The string through the streaming writer, to a jbuf (each token as it
 * is written) and to a function (held, given when the value ends): the
 * bytes of want[0..wlen). */
static void jsonw_checks(const char *in, size_t n, const char *want,
                         size_t wlen)
{
  struct jbuf direct, held;
  struct jsonw w;

  jbuf_init(&direct, wlen + 1);
  jbuf_init(&held, wlen + 1);
  jsonw_init_jbuf(&w, &direct);
  jsonw_string_len(&w, in, n);
  FUZZ_CHECK(jsonw_failed(&w) == JAN_OK);
  jsonw_init(&w, to_jbuf, &held);
  jsonw_string_len(&w, in, n);
  FUZZ_CHECK(jsonw_failed(&w) == JAN_OK);
  FUZZ_CHECK(direct.len == wlen && !memcmp(direct.ptr, want, wlen));
  FUZZ_CHECK(held.len == wlen && !memcmp(held.ptr, want, wlen));
  jbuf_free(&direct);
  jbuf_free(&held);
}

static void json_checks(const char *in, size_t n)
{
  struct json_object *o;
  const char *text;
  struct jbuf b;
  char *back;

  if(n > INT32_MAX)
    return;
  o = json_object_new_string_len(in, (int)n);
  back = malloc(n + 1);
  if(!o || !back)
    abort();
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                        JSON_C_TO_STRING_NOSLASHESCAPE);
  jbuf_init(&b, 6 * strlen(text) + 1);
  FUZZ_CHECK(untrusted_json_add(&b, text, strlen(text)) == JAN_OK);
  check_utf8((const unsigned char *)b.ptr, b.len, 0);
  FUZZ_CHECK(untrusted_utf8_span(b.ptr, b.len) == b.len);
  FUZZ_CHECK(b.len >= 2 && b.ptr[0] == '"');
  FUZZ_CHECK(decode_json_string(b.ptr + 1, b.len - 1, back) == n);
  FUZZ_CHECK(!n || !memcmp(back, in, n));
  jsonw_checks(in, n, b.ptr, b.len);
  /* The reader's inverse gives json-c's text back. */
  FUZZ_CHECK(untrusted_json_bytes(b.ptr) == strlen(text));
  FUZZ_CHECK(!strcmp(b.ptr, text));
  jbuf_free(&b);
  json_object_put(o);
  free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = fuzz_cstr(data, size);
  display_checks(in, size);
  json_checks(in, size);
  free(in);
  return 0;
}
