/*
 * jbuf: a growable byte buffer with a hard cap, in the manner of curl's
 * dynbuf.  The caller owns the struct; jbuf_init() cannot fail; every add
 * returns JAN_ETOOBIG once the content would exceed `max`, so a buffer that
 * the network fills can never grow without bound.  The content is always
 * NUL-terminated (ptr is NULL while empty and never allocated).
 */
#ifndef JANITOR_BUF_H
#define JANITOR_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "janitor/err.h"

struct jbuf {
  char *ptr;
  size_t len;
  size_t alloc;
  size_t max;     /* largest allowed len */
};

void jbuf_init(struct jbuf *b, size_t max);
void jbuf_free(struct jbuf *b);
void jbuf_reset(struct jbuf *b);            /* len = 0, keeps memory */
int jbuf_add(struct jbuf *b, const void *p, size_t n);
int jbuf_addstr(struct jbuf *b, const char *s);
int jbuf_addc(struct jbuf *b, char c);
/* Append the strings given, up to a NULL: all of them, or (an error)
 * none; what jbuf_printf("%s%s...") does without formatting. */
int jbuf_cat(struct jbuf *b, ...) __attribute__((sentinel));
int jbuf_printf(struct jbuf *b, const char *fmt, ...) JAN_PRINTF(2, 3);
int jbuf_vprintf(struct jbuf *b, const char *fmt, va_list ap)
    JAN_PRINTF(2, 0);
/* Content as a C string; "" when empty.  Valid until the next change. */
const char *jbuf_str(const struct jbuf *b);
/* Hand the content over: caller owns (free()) the result; b is reset. */
char *jbuf_take(struct jbuf *b);

/* Room for element n of an array (*arrp, the address of its pointer, of
 * *cap elements of elem bytes): doubled when full, first elements at
 * first.  JAN_OK, or JAN_ENOMEM with the array as it was. */
int jan_grow(void *arrp, size_t *cap, size_t n, size_t elem, size_t first);

#endif
