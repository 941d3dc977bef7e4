#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/buf.h"

void jbuf_init(struct jbuf *b, size_t max)
{
  b->ptr = NULL;
  b->len = 0;
  b->alloc = 0;
  b->max = max;
}

void jbuf_free(struct jbuf *b)
{
  free(b->ptr);
  b->ptr = NULL;
  b->len = b->alloc = 0;
}

void jbuf_reset(struct jbuf *b)
{
  b->len = 0;
  if(b->ptr)
    b->ptr[0] = '\0';
}

/* Make room for n more bytes plus the terminating NUL. */
static int jbuf_grow(struct jbuf *b, size_t n)
{
  size_t need, a;
  char *p;

  if(n > b->max || b->len > b->max - n)
    return JAN_ETOOBIG;
  need = b->len + n + 1;
  if(need <= b->alloc)
    return JAN_OK;
  a = b->alloc ? b->alloc : 64;
  while(a < need)
    a = a > ((size_t)-1) / 2 ? need : a * 2;
  p = realloc(b->ptr, a);
  if(!p)
    return JAN_ENOMEM;
  b->ptr = p;
  b->alloc = a;
  return JAN_OK;
}

int jbuf_add(struct jbuf *b, const void *p, size_t n)
{
  int rc = jbuf_grow(b, n);
  if(rc)
    return rc;
  if(n)
    memcpy(b->ptr + b->len, p, n);
  b->len += n;
  b->ptr[b->len] = '\0';
  return JAN_OK;
}

int jbuf_addstr(struct jbuf *b, const char *s)
{
  return jbuf_add(b, s, strlen(s));
}

int jbuf_addc(struct jbuf *b, char c)
{
  return jbuf_add(b, &c, 1);
}

int jbuf_cat(struct jbuf *b, ...)
{
  va_list ap;
  const char *s;
  size_t n = 0;
  int rc;

  va_start(ap, b);
  while((s = va_arg(ap, const char *)) != NULL) {
    size_t k = strlen(s);
    if(k > SIZE_MAX - n) {
      va_end(ap);
      return JAN_ETOOBIG;
    }
    n += k;
  }
  va_end(ap);
  rc = jbuf_grow(b, n);
  if(rc)
    return rc;
  va_start(ap, b);
  while((s = va_arg(ap, const char *)) != NULL) {
    size_t k = strlen(s);
    memcpy(b->ptr + b->len, s, k);
    b->len += k;
  }
  va_end(ap);
  b->ptr[b->len] = '\0';
  return JAN_OK;
}

int jbuf_vprintf(struct jbuf *b, const char *fmt, va_list ap)
{
  va_list ap2;
  int n, rc;

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if(n < 0)
    return JAN_EINVAL;
  rc = jbuf_grow(b, (size_t)n);
  if(rc)
    return rc;
  vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return JAN_OK;
}

int jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
  va_list ap;
  int rc;

  va_start(ap, fmt);
  rc = jbuf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

const char *jbuf_str(const struct jbuf *b)
{
  return b->ptr ? b->ptr : "";
}

char *jbuf_take(struct jbuf *b)
{
  char *p = b->ptr;
  if(!p)
    p = strdup("");
  b->ptr = NULL;
  b->len = b->alloc = 0;
  return p;
}

int jan_grow(void *arrp, size_t *cap, size_t n, size_t elem, size_t first)
{
  void *old, *p;
  size_t c;
  if(n < *cap)
    return JAN_OK;
  c = *cap ? *cap * 2 : first;
  if(c <= n || c > SIZE_MAX / elem)
    return JAN_ENOMEM;
  memcpy(&old, arrp, sizeof(old));
  p = realloc(old, c * elem);
  if(!p)
    return JAN_ENOMEM;
  memcpy(arrp, &p, sizeof(p));
  *cap = c;
  return JAN_OK;
}
