/*
 * AWS's naming rules, the path-segment encoder and the log escaper.  The
 * input is "K NAME": the first byte picks the kind (mod 3), the rest is
 * the name (up to its first NUL; the escaper gets every byte).
 *
 * Invariants:
 * - what the request guard accepts is in scope for its kind (scope.c) and
 *   valid, and nothing else is accepted;
 * - a valid name is a safe path segment: encoding leaves it unchanged, so
 *   it has no '/', and it is never "." or "..";
 * - a valid bucket is a DNS host label sequence: only [a-z0-9.-], no
 *   empty label, 3..63 bytes, first and last byte a letter or digit;
 * - a valid function name is a valid layer name;
 * - any name but "", "." and ".." encodes to a single canonical segment
 *   (only A-Za-z0-9-._~ and %XX with upper-case hex, never "/", "." or
 *   "..") that decodes back to the name and, without a '/', that S3's
 *   signer takes as is;
 * - an object key is refused exactly when empty or with a "." or ".."
 *   segment; otherwise it keeps '/' as the separator, has no dot segment
 *   on the wire and S3's signer takes it as is;
 * - a valid log group is 1..512 bytes of [.-_/#A-Za-z0-9]; its guard
 *   accepts exactly what is in scope, valid, and owned by a valid function
 *   name; every valid function name makes a valid log group;
 * - the escaper (the display rule, fuzz_display's) writes no control
 *   byte and no double quote, within NAMES_ESCAPE_BUF.
 */
#include <stdbool.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/scope.h"
#include "janitor/sigv4.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  jlog_max_level = 0;     /* the guard's refusals are expected here */
  return 0;
}

static int hexval(char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

static void bucket_checks(const char *name)
{
  size_t len = strlen(name);
  const char *label = name;

  FUZZ_CHECK(len >= NAMES_BUCKET_MIN && len <= NAMES_BUCKET_MAX);
  for(const char *p = name;; p++) {
    unsigned char c = (unsigned char)*p;
    if(c == '.' || c == '\0') {
      FUZZ_CHECK(p > label);              /* no empty label */
      if(c == '\0')
        break;
      label = p + 1;
      continue;
    }
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-');
  }
  FUZZ_CHECK(name[0] != '-' && name[len - 1] != '-');
}

static void s3_signs_as_is(const char *encoded)
{
  struct jbuf path, canon;

  jbuf_init(&path, strlen(encoded) + 2);
  jbuf_init(&canon, SIGV4_MAX_CANONICAL);
  FUZZ_CHECK(jbuf_addc(&path, '/') == JAN_OK);
  FUZZ_CHECK(jbuf_addstr(&path, encoded) == JAN_OK);
  if(path.len <= SIGV4_MAX_CANONICAL) {
    FUZZ_CHECK(sigv4_canonical_uri(jbuf_str(&path), SIGV4_S3, &canon) ==
               JAN_OK);
    FUZZ_CHECK(!strcmp(jbuf_str(&canon), jbuf_str(&path)));
  }
  jbuf_free(&canon);
  jbuf_free(&path);
}

/* The encoding of name: canonical, one segment, decodes back. */
static void encode_checks(const char *name)
{
  struct jbuf b;
  size_t n = strlen(name), o = 0;
  int rc;

  jbuf_init(&b, 3 * n + 16);
  rc = names_encode_segment(name, &b);
  if(!n || !strcmp(name, ".") || !strcmp(name, "..")) {
    FUZZ_CHECK(rc == JAN_EINVAL && b.len == 0);
    jbuf_free(&b);
    return;
  }
  FUZZ_CHECK(rc == JAN_OK);
  FUZZ_CHECK(!strchr(jbuf_str(&b), '/'));
  FUZZ_CHECK(strcmp(jbuf_str(&b), ".") && strcmp(jbuf_str(&b), ".."));
  for(size_t i = 0; i < b.len; i++) {
    char c = b.ptr[i];
    if(c == '%') {
      int hi, lo;
      FUZZ_CHECK(i + 2 < b.len);
      hi = hexval(b.ptr[i + 1]);
      lo = hexval(b.ptr[i + 2]);
      FUZZ_CHECK(hi >= 0 && lo >= 0);
      FUZZ_CHECK(!unreserved((unsigned char)(hi * 16 + lo)));
      FUZZ_CHECK(o < n && (unsigned char)name[o] == hi * 16 + lo);
      o++;
      i += 2;
    }
    else {
      FUZZ_CHECK(unreserved((unsigned char)c));
      FUZZ_CHECK(o < n && name[o] == c);
      o++;
    }
  }
  FUZZ_CHECK(o == n);

  /* Without a '/', S3's signer signs "/<segment>" exactly as it goes on
   * the wire (S3 recomputes '/' literal, so %2F is not canonical there). */
  if(!strchr(name, '/'))
    s3_signs_as_is(jbuf_str(&b));
  jbuf_free(&b);
}

/* An object key: refused exactly when empty or with a dot segment; else
 * '/' kept, no dot segment on the wire, signed as is by S3's signer. */
static void key_checks(const char *name)
{
  struct jbuf b;
  bool dots = !*name;
  int rc;

  for(const char *seg = name; *name;) {
    size_t n = strcspn(seg, "/");
    if((n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)))
      dots = true;
    if(!seg[n])
      break;
    seg += n + 1;
  }
  jbuf_init(&b, 3 * strlen(name) + 16);
  rc = names_encode_key(name, &b);
  FUZZ_CHECK(dots ? rc == JAN_EINVAL && b.len == 0 : rc == JAN_OK);
  if(!rc) {
    for(const char *seg = jbuf_str(&b);;) {
      size_t n = strcspn(seg, "/");
      FUZZ_CHECK(!((n == 1 && seg[0] == '.') ||
                   (n == 2 && !strncmp(seg, "..", 2))));
      if(!seg[n])
        break;
      seg += n + 1;
    }
    s3_signs_as_is(jbuf_str(&b));
  }
  jbuf_free(&b);
}

static void log_group_checks(const char *name)
{
  size_t len = strlen(name);
  bool valid = names_log_group_valid(name);
  const char *owner = scope_log_group_owner(name, NULL);

  if(valid) {
    FUZZ_CHECK(len >= 1 && len <= NAMES_LOG_GROUP_MAX);
    FUZZ_CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789.-_/#") == len);
  }
  FUZZ_CHECK((names_log_group_guard("fuzz", name) == JAN_OK) ==
             (owner && valid && names_function_valid(owner)));
  /* The kind's general checks are the same rule. */
  FUZZ_CHECK(scope_contains(JAN_KIND_LOG_GROUP, name) == (owner != NULL));
  FUZZ_CHECK(names_valid(JAN_KIND_LOG_GROUP, name) ==
             (owner && valid && names_function_valid(owner)));
  FUZZ_CHECK((names_guard("fuzz", JAN_KIND_LOG_GROUP, name) == JAN_OK) ==
             (names_log_group_guard("fuzz", name) == JAN_OK));
  if(names_function_valid(name)) {
    char g[NAMES_FUNCTION_MAX + 16];
    snprintf(g, sizeof(g), "/aws/lambda/%s", name);
    FUZZ_CHECK(names_log_group_valid(g));
    FUZZ_CHECK((names_log_group_guard("fuzz", g) == JAN_OK) ==
               scope_contains(JAN_KIND_FUNCTION, name));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  enum jan_kind kind;
  char *name, esc[NAMES_ESCAPE_BUF];
  bool valid;

  if(size < 1)
    return 0;
  kind = (enum jan_kind)(data[0] % 3);
  name = fuzz_cstr(data + 1, size - 1);

  valid = names_valid(kind, name);
  FUZZ_CHECK((names_guard("fuzz", kind, name) == JAN_OK) ==
             (scope_contains(kind, name) && valid));
  if(valid) {
    struct jbuf b;
    jbuf_init(&b, strlen(name) + 1);
    FUZZ_CHECK(names_encode_segment(name, &b) == JAN_OK);
    FUZZ_CHECK(!strcmp(jbuf_str(&b), name));
    jbuf_free(&b);
    FUZZ_CHECK(strcmp(name, ".") && strcmp(name, ".."));
  }
  if(names_bucket_valid(name))
    bucket_checks(name);
  if(names_function_valid(name))
    FUZZ_CHECK(names_layer_valid(name));
  encode_checks(name);
  key_checks(name);
  log_group_checks(name);

  memset(esc, 'x', sizeof(esc));
  names_escape((const char *)data + 1, size - 1, esc, sizeof(esc));
  FUZZ_CHECK(memchr(esc, '\0', sizeof(esc)) != NULL);
  for(const unsigned char *p = (const unsigned char *)esc; *p; p++)
    FUZZ_CHECK(*p >= 0x20 && *p != 0x7f && *p != '"');

  free(name);
  return 0;
}
