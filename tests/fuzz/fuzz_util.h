/*
 * Helpers shared by the libFuzzer targets.
 *
 * A target checks invariants, not only "no crash": FUZZ_CHECK aborts with
 * the failed condition, which libFuzzer reports as a crash and saves the
 * input for.
 */
#ifndef JANITOR_FUZZ_UTIL_H
#define JANITOR_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "janitor/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                    \
  do {                                                                      \
    if(!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,  \
              #cond);                                                       \
      abort();                                                              \
    }                                                                       \
  } while(0)

/* A NUL-terminated heap copy of the input (embedded NULs kept): the
 * parsers that take a C string read up to the first one. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);

  if(!s)
    abort();
  if(size)
    memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* Keys, secrets and tokens end up in signed headers: printable ASCII, no
 * space, never empty (the rule of creds_file.c). */
static inline int fuzz_creds_value_ok(const char *s)
{
  if(!s || !*s)
    return 0;
  for(; *s; s++)
    if((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
      return 0;
  return 1;
}

/* An exact-size heap copy (no NUL after it), so that ASan catches any
 * read past the end. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
  char *s = malloc(size ? size : 1);

  if(!s)
    abort();
  if(size)
    memcpy(s, data, size);
  return s;
}

/* Strictly valid UTF-8: no overlong form, no surrogate, nothing past
 * U+10FFFF. */
static inline int fuzz_utf8_valid(const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;

  while(i < n) {
    unsigned c = s[i];
    uint32_t cp;
    size_t k;

    if(c < 0x80) {
      i++;
      continue;
    }
    if(c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1Fu;
      k = 1;
    }
    else if(c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0Fu;
      k = 2;
    }
    else if(c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07u;
      k = 3;
    }
    else {
      return 0;
    }
    if(n - i <= k)
      return 0;
    for(size_t j = 1; j <= k; j++) {
      if((s[i + j] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i + j] & 0x3Fu);
    }
    if((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
       (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return 0;
    i += k + 1;
  }
  return 1;
}

/* A fixed-size string field is NUL-terminated within its size. */
#define FUZZ_FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

/* An optional string: NULL, or a non-empty C string. */
#define FUZZ_OPT_STR(s) ((s) == NULL || (s)[0] != '\0')

/* Every code a wire parser may return (wire.h). */
static inline int fuzz_rc_ok(int rc)
{
  return rc == JAN_OK || rc == JAN_EPARSE || rc == JAN_ENOMEM ||
         rc == JAN_ETOOBIG;
}

static inline void fuzz_xml_silent(void *ctx, const char *msg, ...)
{
  (void)ctx;
  (void)msg;
}

/* libxml2 set up once, its error messages kept off stderr. */
static inline void fuzz_xml_init(void)
{
  xmlInitParser();
  xmlSetGenericErrorFunc(NULL, fuzz_xml_silent);
}

#endif
