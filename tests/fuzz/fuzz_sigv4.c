/*
 * SigV4 canonicalisation of paths and queries, and the percent-encoders
 * that build what gets signed (sigv4_uri_encode, wire_uri_encode_key,
 * wire_query_encode).  The input is used as a C string (path, query) and
 * as raw bytes (an object key to encode).
 */
#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/err.h"
#include "janitor/sigv4.h"
#include "janitor/wire.h"

#define OUT_MAX (4u * SIGV4_MAX_CANONICAL)

static int unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

static int uphex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int hexv(char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Only unreserved bytes, '/' when slash, and %XX with upper-case hex. */
static int encoded_form(const char *s, size_t n, int slash)
{
  for(size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if(unreserved(c) || (slash && c == '/'))
      continue;
    if(c != '%' || i + 2 >= n || !uphex(s[i + 1]) || !uphex(s[i + 2]))
      return 0;
    i += 2;
  }
  return 1;
}

/* Decode %XX (any case) into out; 0 when an escape is broken. */
static int pct_decode(const char *s, struct jbuf *out)
{
  for(; *s; s++) {
    char c = *s;
    if(c == '%') {
      int hi = hexv(s[1]), lo = hi < 0 ? -1 : hexv(s[2]);
      if(hi < 0 || lo < 0)
        return 0;
      c = (char)(hi << 4 | lo);
      s += 2;
    }
    if(jbuf_add(out, &c, 1))
      return 0;
  }
  return 1;
}

static void uri_checks(const char *path)
{
  struct jbuf out, ref, dec;
  int rc, canonical;

  jbuf_init(&out, OUT_MAX);
  jbuf_init(&ref, OUT_MAX);
  jbuf_init(&dec, OUT_MAX);

  /* S3 mode signs the wire path as it is, and only a canonical one. */
  FUZZ_CHECK(jbuf_addstr(&out, "PRE") == JAN_OK);
  rc = sigv4_canonical_uri(path, SIGV4_S3, &out);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EINVAL || rc == JAN_ETOOBIG);
  canonical = path[0] == '/' && pct_decode(path, &dec) &&
              sigv4_uri_encode(dec.ptr, dec.len, 1, &ref) == JAN_OK &&
              strcmp(jbuf_str(&ref), path) == 0;
  if(rc == JAN_OK) {
    FUZZ_CHECK(strncmp(jbuf_str(&out), "PRE", 3) == 0);
    FUZZ_CHECK(strcmp(jbuf_str(&out) + 3, path) == 0);
    /* What S3 accepts is exactly what the encoder produces. */
    FUZZ_CHECK(canonical);
  }
  else {
    FUZZ_CHECK(strcmp(jbuf_str(&out), "PRE") == 0);
    if(rc == JAN_EINVAL)
      FUZZ_CHECK(!canonical);
  }
  FUZZ_CHECK(sigv4_canonical_uri(path, SIGV4_S3 | SIGV4_NORMALIZE, &out) ==
             JAN_EINVAL);

  /* Default mode: the wire path encoded once more, '/' kept. */
  jbuf_reset(&out);
  jbuf_reset(&ref);
  rc = sigv4_canonical_uri(path, 0, &out);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EINVAL || rc == JAN_ETOOBIG);
  if(rc == JAN_OK) {
    FUZZ_CHECK(sigv4_uri_encode(path, strlen(path), 1, &ref) == JAN_OK);
    FUZZ_CHECK(strcmp(jbuf_str(&out), jbuf_str(&ref)) == 0);
  }
  else if(rc == JAN_EINVAL) {
    FUZZ_CHECK(path[0] != '/');
  }

  /* Normalised: no empty, "." or ".." segment is left. */
  jbuf_reset(&out);
  rc = sigv4_canonical_uri(path, SIGV4_NORMALIZE, &out);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EINVAL || rc == JAN_ETOOBIG);
  if(rc == JAN_OK) {
    const char *s = jbuf_str(&out);
    FUZZ_CHECK(s[0] == '/');
    FUZZ_CHECK(encoded_form(s, out.len, 1));
    FUZZ_CHECK(!strstr(s, "//"));
    for(const char *seg = s + 1; *seg; ) {
      const char *end = strchr(seg, '/');
      size_t n = end ? (size_t)(end - seg) : strlen(seg);
      FUZZ_CHECK(!(n == 1 && seg[0] == '.'));
      FUZZ_CHECK(!(n == 2 && seg[0] == '.' && seg[1] == '.'));
      FUZZ_CHECK(n > 0 || !end);
      seg = end ? end + 1 : seg + n;
    }
  }
  else if(rc == JAN_EINVAL) {
    FUZZ_CHECK(path[0] != '/');
  }
  jbuf_free(&dec);
  jbuf_free(&ref);
  jbuf_free(&out);
}

/* The parameters of a canonical query are name=value, sorted. */
static void query_shape(const char *s, size_t n)
{
  const char *prev = NULL;
  size_t prevlen = 0;

  for(const char *p = s; p < s + n; ) {
    const char *amp = memchr(p, '&', (size_t)(s + n - p));
    const char *end = amp ? amp : s + n;
    const char *eq = memchr(p, '=', (size_t)(end - p));
    size_t len = (size_t)(end - p);

    FUZZ_CHECK(eq != NULL);
    FUZZ_CHECK(!memchr(eq + 1, '=', (size_t)(end - eq - 1)));
    FUZZ_CHECK(encoded_form(p, (size_t)(eq - p), 0));
    FUZZ_CHECK(encoded_form(eq + 1, (size_t)(end - eq - 1), 0));
    if(prev) {
      /* Sorted by name, then value: with '=' below every encoded byte
       * but '%', compare name and value apart. */
      const char *peq = memchr(prev, '=', prevlen);
      size_t pn = (size_t)(peq - prev), cn = (size_t)(eq - p);
      int c = memcmp(prev, p, pn < cn ? pn : cn);
      if(c == 0 && pn == cn) {
        size_t pv = prevlen - pn - 1, cv = len - cn - 1;
        c = memcmp(peq + 1, eq + 1, pv < cv ? pv : cv);
        if(c == 0)
          c = pv < cv ? -1 : pv > cv;
      }
      else if(c == 0) {
        c = pn < cn ? -1 : 1;
      }
      FUZZ_CHECK(c <= 0);
    }
    prev = p;
    prevlen = len;
    p = amp ? amp + 1 : end;
    FUZZ_CHECK(amp == NULL || p < s + n);
  }
}

static void query_checks(const char *q)
{
  struct jbuf out, again;
  int rc;

  jbuf_init(&out, OUT_MAX);
  jbuf_init(&again, OUT_MAX);
  FUZZ_CHECK(jbuf_addstr(&out, "PRE") == JAN_OK);
  rc = sigv4_canonical_query(q, &out);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EINVAL || rc == JAN_ETOOBIG);
  FUZZ_CHECK(strncmp(jbuf_str(&out), "PRE", 3) == 0);
  if(rc == JAN_OK) {
    const char *c = jbuf_str(&out) + 3;
    query_shape(c, out.len - 3);
    /* Canonicalising a canonical query gives it back. */
    FUZZ_CHECK(sigv4_canonical_query(c, &again) == JAN_OK);
    FUZZ_CHECK(strcmp(jbuf_str(&again), c) == 0);
  }
  else {
    FUZZ_CHECK(out.len == 3);
  }
  jbuf_free(&again);
  jbuf_free(&out);
}

static void encoder_checks(const uint8_t *data, size_t size, const char *cstr)
{
  struct jbuf a, b, path;
  int rc;

  jbuf_init(&a, OUT_MAX);
  jbuf_init(&b, OUT_MAX);
  jbuf_init(&path, OUT_MAX);

  /* Any bytes, encoded with '/' kept, make a path S3 mode accepts. */
  FUZZ_CHECK(sigv4_uri_encode((const char *)data, size, 1, &a) == JAN_OK);
  FUZZ_CHECK(encoded_form(jbuf_str(&a), a.len, 1));
  FUZZ_CHECK(jbuf_addc(&path, '/') == JAN_OK);
  FUZZ_CHECK(jbuf_add(&path, a.ptr, a.len) == JAN_OK);
  FUZZ_CHECK(sigv4_canonical_uri(jbuf_str(&path), SIGV4_S3, &b) == JAN_OK);
  FUZZ_CHECK(strcmp(jbuf_str(&b), jbuf_str(&path)) == 0);

  /* The wire encoders agree with the signer's (up to the first NUL). */
  jbuf_reset(&a);
  jbuf_reset(&b);
  FUZZ_CHECK(wire_uri_encode_key(cstr, &a) == JAN_OK);
  FUZZ_CHECK(sigv4_uri_encode(cstr, strlen(cstr), 1, &b) == JAN_OK);
  FUZZ_CHECK(strcmp(jbuf_str(&a), jbuf_str(&b)) == 0);

  jbuf_reset(&a);
  jbuf_reset(&b);
  FUZZ_CHECK(wire_query_encode(cstr, &a) == JAN_OK);
  FUZZ_CHECK(sigv4_uri_encode(cstr, strlen(cstr), 0, &b) == JAN_OK);
  FUZZ_CHECK(strcmp(jbuf_str(&a), jbuf_str(&b)) == 0);
  FUZZ_CHECK(encoded_form(jbuf_str(&a), a.len, 0));

  /* A value encoded for the query is already canonical there. */
  jbuf_reset(&b);
  jbuf_reset(&path);
  FUZZ_CHECK(jbuf_printf(&path, "marker=%s", jbuf_str(&a)) == JAN_OK);
  rc = sigv4_canonical_query(jbuf_str(&path), &b);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_ETOOBIG);
  if(rc == JAN_OK)
    FUZZ_CHECK(strcmp(jbuf_str(&b), jbuf_str(&path)) == 0);

  jbuf_free(&path);
  jbuf_free(&b);
  jbuf_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = fuzz_cstr(data, size);
  char *slashed = malloc(size + 2);

  if(!slashed)
    abort();
  slashed[0] = '/';
  memcpy(slashed + 1, s, size + 1);

  uri_checks(s);
  uri_checks(slashed);
  query_checks(s);
  encoder_checks(data, size, s);
  free(slashed);
  free(s);
  return 0;
}
