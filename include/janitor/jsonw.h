/*
 * A streaming JSON writer: every JSON document the janitor writes that can
 * be large (the --sweep --json document, the status socket's inventory,
 * the state file) is written token by token as it is produced, never
 * built as a tree first, so it costs no memory beyond what it describes.
 *
 * Strings are written the project's one way (untrusted.h): '"', '\\' and
 * control characters escaped as json-c escapes them ("\n", "\u001b"; '/'
 * and DEL as they are), each byte that is not part of valid UTF-8 as
 * \udcXX, every other byte as it is: the document is valid UTF-8 and the
 * exact bytes come back (untrusted_json_bytes(), Python's json with
 * "surrogateescape").  Keys are written the same way.
 *
 * Commas and colons are the writer's: the caller says what comes, in
 * order.  The sink is a FILE, a jbuf or a function; a sink that fails
 * stops the writing (jsonw_failed(): a jbuf's cap gives JAN_ETOOBIG).
 *
 * A jbuf gets every token as it is written (it is a buffer already: a
 * stream written in parts finds each part whole in its jbuf).  A FILE or
 * a function gets the text in pieces of up to JSONW_BUF bytes, not one
 * call a token: what is held is passed on when the document ends (the
 * top-level value is closed), when the writing stops on a failure, and
 * at jsonw_flush(); a caller writing to the same sink between tokens
 * calls jsonw_flush() first.
 */
#ifndef JANITOR_JSONW_H
#define JANITOR_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "janitor/buf.h"

#define JSONW_DEPTH_MAX 64
/* What a FILE or function sink is given at once, at most. */
#define JSONW_BUF 4096

/* A sink: JAN_OK, or a JAN_E* code that stops the writing. */
typedef int (*jsonw_emit_fn)(void *arg, const char *s, size_t n);

struct jsonw {
  jsonw_emit_fn emit;
  void *arg;
  int failed;                   /* JAN_OK, or the first failure: the
                                   sink's code, JAN_EINVAL for misuse */
  unsigned depth;
  int want_value;               /* a key was written: its value comes */
  uint64_t started;             /* bit d: the container at depth d has a
                                   member already */
  int direct;                   /* a jbuf: every token goes to it */
  size_t held;                  /* bytes in buf, not yet given */
  char buf[JSONW_BUF];
};

void jsonw_init(struct jsonw *w, jsonw_emit_fn emit, void *arg);
void jsonw_init_file(struct jsonw *w, FILE *f);
void jsonw_init_jbuf(struct jsonw *w, struct jbuf *b);
/* Write on into another jbuf (a stream written in parts). */
void jsonw_set_jbuf(struct jsonw *w, struct jbuf *b);

void jsonw_object(struct jsonw *w);     /* { */
void jsonw_object_end(struct jsonw *w); /* } */
void jsonw_array(struct jsonw *w);      /* [ */
void jsonw_array_end(struct jsonw *w);  /* ] */
/* A member's name; its value comes next. */
void jsonw_key(struct jsonw *w, const char *k);

/* Values.  jsonw_string(NULL) and jsonw_time(negative) write null. */
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* As json-c writes a double (the same digits). */
void jsonw_double(struct jsonw *w, double v);
/* An epoch time in seconds as "2025-01-01T12:00:00Z"; null when
 * negative. */
void jsonw_time(struct jsonw *w, int64_t epoch_s);
/* A small json-c value as json-c prints it (NULL: null), strings escaped
 * as above; o is released. */
void jsonw_json(struct jsonw *w, struct json_object *o);

/* Shorthands: the key, then the value. */
void jsonw_kstring(struct jsonw *w, const char *k, const char *s);
void jsonw_kint(struct jsonw *w, const char *k, int64_t v);

/* Give the sink what is held (jsonw_failed()'s code, or JAN_OK). */
int jsonw_flush(struct jsonw *w);

/* JAN_OK, or why the writing stopped (what was written before stays):
 * the sink's code, JAN_ENOMEM, JAN_EINVAL (unbalanced or too deep). */
int jsonw_failed(const struct jsonw *w);

#endif
