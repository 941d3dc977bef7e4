/*
 * SigV4's canonical URI and canonical query string (janitor/sigv4.h): the
 * percent-encoding, path normalisation and parameter sorting that the
 * signer and the stand-in must agree on byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "janitor/hex.h"
#include "janitor/sigv4.h"

static const char hexup[] = "0123456789ABCDEF";

static int is_unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

/* Undo a failed append: out goes back to len0. */
static int rollback(struct jbuf *out, size_t len0, int rc)
{
  if(rc && out->ptr) {
    out->len = len0;
    out->ptr[len0] = '\0';
  }
  return rc;
}

/* ---------------------------------------------------------------------- */
/* URI and query */

int sigv4_uri_encode(const char *s, size_t len, int keep_slash,
                     struct jbuf *out)
{
  size_t len0 = out->len, i = 0;
  int rc = JAN_OK;

  if(!s && len)
    return JAN_EINVAL;
  while(i < len && !rc) {
    size_t run = i;
    /* Copy runs of characters that stay as they are in one go. */
    while(run < len && (is_unreserved((unsigned char)s[run]) ||
                        (keep_slash && s[run] == '/')))
      run++;
    if(run > i) {
      rc = jbuf_add(out, s + i, run - i);
      i = run;
      continue;
    }
    {
      unsigned char c = (unsigned char)s[i++];
      char e[3] = { '%', hexup[c >> 4], hexup[c & 0x0f] };
      rc = jbuf_add(out, e, 3);
    }
  }
  return rollback(out, len0, rc);
}

/*
 * Dot segments and empty segments out, as aws-c-auth (which generated the
 * official vectors) does: '..' pops, a trailing '/' is kept, and a path
 * that normalises to nothing is "/".
 */
static int normalize_path(const char *path, struct jbuf *out)
{
  const char *p = path;
  size_t plen = strlen(path);
  int ends_with_slash = plen > 0 && path[plen - 1] == '/';
  int rc = JAN_OK;

  while(*p && !rc) {
    const char *seg, *end;
    size_t n;

    while(*p == '/')
      p++;
    seg = p;
    end = strchr(seg, '/');
    if(!end)
      end = seg + strlen(seg);
    n = (size_t)(end - seg);
    p = end;
    if(n == 0 || (n == 1 && seg[0] == '.'))
      continue;
    if(n == 2 && seg[0] == '.' && seg[1] == '.') {
      /* out is "" or "/a/b"; drop the last "/segment". */
      if(out->len) {
        char *slash = strrchr(out->ptr, '/');
        out->len = (size_t)(slash - out->ptr);
        out->ptr[out->len] = '\0';
      }
      continue;
    }
    rc = jbuf_addc(out, '/');
    if(!rc)
      rc = jbuf_add(out, seg, n);
  }
  if(!rc && (out->len == 0 || ends_with_slash))
    rc = jbuf_addc(out, '/');
  return rc;
}

/*
 * The form S3 recomputes on its side: unreserved and '/' literal, every
 * other byte as %XX with upper-case hex.  An escape of an unreserved
 * character or of '/' is not canonical either.
 */
static int s3_path_is_canonical(const char *p)
{
  for(; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if(is_unreserved(c) || c == '/')
      continue;
    if(c != '%')
      return 0;
    {
      int hi = jan_hex_value((unsigned char)p[1]), lo;
      if(hi < 0 || (p[1] >= 'a' && p[1] <= 'f'))
        return 0;
      lo = jan_hex_value((unsigned char)p[2]);
      if(lo < 0 || (p[2] >= 'a' && p[2] <= 'f'))
        return 0;
      c = (unsigned char)(hi << 4 | lo);
      if(is_unreserved(c) || c == '/')
        return 0;
      p += 2;
    }
  }
  return 1;
}

int sigv4_canonical_uri(const char *wire_path, unsigned flags,
                        struct jbuf *out)
{
  struct jbuf norm;
  int rc;

  if(!wire_path || wire_path[0] != '/' || (flags & ~SIGV4_ALL_FLAGS))
    return JAN_EINVAL;
  if(strlen(wire_path) > out->max)
    return JAN_ETOOBIG;
  if(flags & SIGV4_S3) {
    /* S3 signs the path exactly as it goes on the wire. */
    if(flags & SIGV4_NORMALIZE)
      return JAN_EINVAL;
    if(!s3_path_is_canonical(wire_path))
      return JAN_EINVAL;
    return jbuf_addstr(out, wire_path);
  }
  if(!(flags & SIGV4_NORMALIZE))
    return sigv4_uri_encode(wire_path, strlen(wire_path), 1, out);

  jbuf_init(&norm, SIGV4_MAX_CANONICAL);
  rc = normalize_path(wire_path, &norm);
  if(!rc)
    rc = sigv4_uri_encode(jbuf_str(&norm), norm.len, 1, out);
  jbuf_free(&norm);
  return rc;
}

/*
 * Decode one query name or value and append it encoded the canonical way.
 * Only %XX is decoded: '+' is the character '+' (so it becomes %2B), as
 * AWS reads it; a broken escape is refused.
 */
static int pct_decode_encode(const char *s, size_t len, struct jbuf *out)
{
  unsigned char chunk[256];
  size_t n = 0;
  int rc = JAN_OK;

  for(size_t i = 0; i < len && !rc; i++) {
    unsigned char c = (unsigned char)s[i];
    if(c == '%') {
      int hi, lo;
      if(len - i < 3)
        return JAN_EINVAL;
      hi = jan_hex_value((unsigned char)s[i + 1]);
      lo = jan_hex_value((unsigned char)s[i + 2]);
      if(hi < 0 || lo < 0)
        return JAN_EINVAL;
      c = (unsigned char)(hi << 4 | lo);
      i += 2;
    }
    chunk[n++] = c;
    if(n == sizeof(chunk)) {
      rc = sigv4_uri_encode((const char *)chunk, n, 0, out);
      n = 0;
    }
  }
  if(!rc && n)
    rc = sigv4_uri_encode((const char *)chunk, n, 0, out);
  return rc;
}

struct qparam {
  size_t noff, nlen, voff, vlen;   /* offsets into the encoded buffer */
  const char *name, *value;        /* set once the buffer stops moving */
};

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if(c)
    return c;
  return alen < blen ? -1 : alen > blen;
}

static int qparam_cmp(const void *pa, const void *pb)
{
  const struct qparam *a = pa, *b = pb;
  int c = bytes_cmp(a->name, a->nlen, b->name, b->nlen);
  return c ? c : bytes_cmp(a->value, a->vlen, b->value, b->vlen);
}

int sigv4_canonical_query(const char *wire_query, struct jbuf *out)
{
  struct qparam *qp = NULL;
  struct jbuf enc;
  size_t n = 0, cap = 1, len0 = out->len;
  const char *p;
  int rc = JAN_OK;

  if(!wire_query || !*wire_query)
    return JAN_OK;
  if(strlen(wire_query) > SIGV4_MAX_CANONICAL)
    return JAN_ETOOBIG;
  for(p = wire_query; *p; p++)
    if(*p == '&')
      cap++;
  if(cap > SIGV4_MAX_QUERY_PARAMS)
    return JAN_ETOOBIG;
  qp = calloc(cap, sizeof(*qp));
  if(!qp)
    return JAN_ENOMEM;
  jbuf_init(&enc, SIGV4_MAX_CANONICAL);

  p = wire_query;
  while(*p && !rc) {
    const char *amp = strchr(p, '&');
    const char *end = amp ? amp : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    const char *nend = eq ? eq : end;

    /* "a&&b" carries no parameter between the two '&'. */
    if(end > p) {
      struct qparam *q = &qp[n++];
      q->noff = enc.len;
      rc = pct_decode_encode(p, (size_t)(nend - p), &enc);
      q->nlen = enc.len - q->noff;
      q->voff = enc.len;
      if(!rc && eq)
        rc = pct_decode_encode(eq + 1, (size_t)(end - eq - 1), &enc);
      q->vlen = enc.len - q->voff;
    }
    p = amp ? amp + 1 : end;
  }
  if(rc)
    goto done;

  for(size_t i = 0; i < n; i++) {
    qp[i].name = jbuf_str(&enc) + qp[i].noff;
    qp[i].value = jbuf_str(&enc) + qp[i].voff;
  }
  qsort(qp, n, sizeof(*qp), qparam_cmp);
  for(size_t i = 0; i < n && !rc; i++) {
    if(i)
      rc = jbuf_addc(out, '&');
    if(!rc)
      rc = jbuf_add(out, qp[i].name, qp[i].nlen);
    if(!rc)
      rc = jbuf_addc(out, '=');
    if(!rc)
      rc = jbuf_add(out, qp[i].value, qp[i].vlen);
  }

done:
  jbuf_free(&enc);
  free(qp);
  return rollback(out, len0, rc);
}

