/*
 * AWS Signature Version 4, header mode (see include/janitor/sigv4.h).
 *
 * The steps are the documented ones: canonical request, string to sign,
 * signing key, signature, Authorization.  Everything the signer builds goes
 * into capped jbufs, and every input is bounded before work starts, so a
 * hostile or broken caller gets an error instead of unbounded work.
 */

/* Only the OpenSSL 3 API, nothing deprecated. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "janitor/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

#define MAX_METHOD 16
#define MAX_AKID 128
#define MAX_SECRET 128
#define MAX_SCOPE_NAME 32      /* region, service */
#define MAX_HEADER_NAME 256
#define MAX_STS 1024           /* string to sign */
#define MAX_AUTHORIZATION (64u * 1024u)

#define ALL_FLAGS (SIGV4_S3 | SIGV4_NORMALIZE | SIGV4_SIGN_BODY | \
                   SIGV4_UNSIGNED_BODY | SIGV4_TOKEN_AFTER)

static const char hexdig[] = "0123456789abcdef";
static const char hexup[] = "0123456789ABCDEF";

/* ---------------------------------------------------------------------- */
/* Hashes */

static int sha256_raw(const void *data, size_t len, unsigned char md[32])
{
  unsigned int n = 0;
  if(!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
    return JAN_EINVAL;
  return JAN_OK;
}

static void to_hex(const unsigned char *p, size_t n, char *hex)
{
  for(size_t i = 0; i < n; i++) {
    hex[2 * i] = hexdig[p[i] >> 4];
    hex[2 * i + 1] = hexdig[p[i] & 0x0f];
  }
  hex[2 * n] = '\0';
}

static int hmac256(const void *key, size_t klen, const void *data,
                   size_t dlen, unsigned char out[32])
{
  unsigned int n = 0;
  if(klen > 1024 ||
     !HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &n) || n != 32)
    return JAN_EINVAL;
  return JAN_OK;
}

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
  unsigned char md[32];
  /* SHA-256 is always there; failing here means a broken OpenSSL. */
  JAN_REQUIRE(sha256_raw(data ? data : "", data ? len : 0, md) == JAN_OK);
  to_hex(md, sizeof(md), hex);
}

int sigv4_md5_base64(const void *data, size_t len, char b64[25])
{
  unsigned char md[16];
  unsigned int n = 0;

  b64[0] = '\0';
  if(!data) {
    if(len)
      return JAN_EINVAL;
    data = "";
  }
  if(!EVP_Digest(data, len, md, &n, EVP_md5(), NULL) || n != 16)
    return JAN_EINVAL;
  /* 16 bytes give exactly 24 base64 characters plus the NUL. */
  if(EVP_EncodeBlock((unsigned char *)b64, md, 16) != 24) {
    b64[0] = '\0';
    return JAN_EINVAL;
  }
  return JAN_OK;
}

/* ---------------------------------------------------------------------- */
/* Small character helpers (ASCII only, no locale) */

static int is_unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '~';
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

static unsigned char lower(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* RFC 9110 token characters, the only ones allowed in a header name. */
static int is_tchar(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int name_eq(const char *name, const char *lc)
{
  for(; *name && *lc; name++, lc++)
    if(lower((unsigned char)*name) != (unsigned char)*lc)
      return 0;
  return !*name && !*lc;
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
      int hi = hexval((unsigned char)p[1]), lo;
      if(hi < 0 || (p[1] >= 'a' && p[1] <= 'f'))
        return 0;
      lo = hexval((unsigned char)p[2]);
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

  if(!wire_path || wire_path[0] != '/' || (flags & ~ALL_FLAGS))
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
      hi = hexval((unsigned char)s[i + 1]);
      lo = hexval((unsigned char)s[i + 2]);
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

/* ---------------------------------------------------------------------- */
/* Headers */

struct chdr {
  const char *name;     /* as given; compared and written lower-case */
  const char *value;
  size_t idx;           /* original position: repeats keep their order */
};

static int lc_cmp(const char *a, const char *b)
{
  for(;; a++, b++) {
    unsigned char ca = lower((unsigned char)*a), cb = lower((unsigned char)*b);
    if(ca != cb || !ca)
      return (int)ca - (int)cb;
  }
}

static int chdr_cmp(const void *pa, const void *pb)
{
  const struct chdr *a = pa, *b = pb;
  int c = lc_cmp(a->name, b->name);
  if(c)
    return c;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int valid_header_name(const char *s)
{
  size_t n = 0;
  for(; *s; s++, n++)
    if(!is_tchar((unsigned char)*s) || n >= MAX_HEADER_NAME)
      return 0;
  return n > 0;
}

/* Field values: visible characters, SP, HTAB and obs-text; no CR, LF. */
static int valid_header_value(const char *s)
{
  for(; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if((c < 0x20 && c != '\t') || c == 0x7f)
      return 0;
  }
  return 1;
}

static int add_lower(struct jbuf *out, const char *s)
{
  int rc = JAN_OK;
  for(; *s && !rc; s++)
    rc = jbuf_addc(out, (char)lower((unsigned char)*s));
  return rc;
}

/* Trim, and collapse each run of SP/HTAB inside to one space. */
static int add_trimmed(struct jbuf *out, const char *v)
{
  int rc = JAN_OK, pending = 0;

  while(*v == ' ' || *v == '\t')
    v++;
  while(*v && !rc) {
    const char *run = v;
    if(*v == ' ' || *v == '\t') {
      while(*v == ' ' || *v == '\t')
        v++;
      pending = 1;
      continue;
    }
    if(pending) {
      rc = jbuf_addc(out, ' ');
      pending = 0;
    }
    while(*v && *v != ' ' && *v != '\t')
      v++;
    if(!rc)
      rc = jbuf_add(out, run, (size_t)(v - run));
  }
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Signing key and its cache */

static int scope_name_ok(const char *s, size_t max)
{
  size_t n = 0;
  if(!s)
    return 0;
  for(; *s; s++, n++) {
    unsigned char c = (unsigned char)*s;
    if(n >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                     c == '.'))
      return 0;
  }
  return n > 0;
}

static int derive_key(const char *secret, const char *date,
                      const char *region, const char *service,
                      unsigned char key[32])
{
  unsigned char ksecret[4 + MAX_SECRET];
  unsigned char k1[32], k2[32];
  size_t slen = strlen(secret);
  int rc;

  memcpy(ksecret, "AWS4", 4);
  memcpy(ksecret + 4, secret, slen);
  rc = hmac256(ksecret, 4 + slen, date, strlen(date), k1);
  if(!rc)
    rc = hmac256(k1, 32, region, strlen(region), k2);
  if(!rc)
    rc = hmac256(k2, 32, service, strlen(service), k1);
  if(!rc)
    rc = hmac256(k1, 32, "aws4_request", 12, key);
  OPENSSL_cleanse(ksecret, sizeof(ksecret));
  OPENSSL_cleanse(k1, sizeof(k1));
  OPENSSL_cleanse(k2, sizeof(k2));
  return rc;
}

void sigv4_cache_init(struct sigv4_cache *c)
{
  memset(c, 0, sizeof(*c));
}

void sigv4_cache_clear(struct sigv4_cache *c)
{
  OPENSSL_cleanse(c, sizeof(*c));
  memset(c, 0, sizeof(*c));
}

static int signing_key(struct sigv4_cache *c, const struct sigv4_creds *cr,
                       const char *date, const struct sigv4_params *p,
                       unsigned char key[32])
{
  struct sigv4_cache_slot *s, *victim;
  unsigned char fp[32];
  int rc;

  if(!c)
    return derive_key(cr->secret_key, date, p->region, p->service, key);

  rc = sha256_raw(cr->secret_key, strlen(cr->secret_key), fp);
  if(rc)
    return rc;
  victim = &c->slot[0];
  for(size_t i = 0; i < SIGV4_CACHE_SLOTS; i++) {
    s = &c->slot[i];
    if(s->used && !strcmp(s->akid, cr->access_key) &&
       !strcmp(s->date, date) && !strcmp(s->region, p->region) &&
       !strcmp(s->service, p->service) &&
       CRYPTO_memcmp(s->secret_fp, fp, sizeof(fp)) == 0) {
      s->used = ++c->tick;
      memcpy(key, s->key, 32);
      OPENSSL_cleanse(fp, sizeof(fp));
      return JAN_OK;
    }
    /* An empty slot first, else the least recently used one. */
    if(victim->used && (!s->used || s->used < victim->used))
      victim = s;
  }

  rc = derive_key(cr->secret_key, date, p->region, p->service, key);
  if(!rc) {
    OPENSSL_cleanse(victim, sizeof(*victim));
    /* Lengths were checked by the caller: each fits its field. */
    strcpy(victim->akid, cr->access_key);
    strcpy(victim->date, date);
    strcpy(victim->region, p->region);
    strcpy(victim->service, p->service);
    memcpy(victim->secret_fp, fp, sizeof(fp));
    memcpy(victim->key, key, 32);
    victim->used = ++c->tick;
  }
  OPENSSL_cleanse(fp, sizeof(fp));
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Signing */

void sigv4_result_init(struct sigv4_result *r)
{
  memset(r, 0, sizeof(*r));
  jbuf_init(&r->canonical_request, SIGV4_MAX_CANONICAL);
  jbuf_init(&r->string_to_sign, MAX_STS);
  jbuf_init(&r->authorization, MAX_AUTHORIZATION);
}

void sigv4_result_free(struct sigv4_result *r)
{
  jbuf_free(&r->canonical_request);
  jbuf_free(&r->string_to_sign);
  jbuf_free(&r->authorization);
  memset(r->amz_date, 0, sizeof(r->amz_date));
  memset(r->payload_hash, 0, sizeof(r->payload_hash));
  memset(r->signature, 0, sizeof(r->signature));
  r->add_content_sha256 = 0;
}

static void result_reset(struct sigv4_result *r)
{
  jbuf_reset(&r->canonical_request);
  jbuf_reset(&r->string_to_sign);
  jbuf_reset(&r->authorization);
  memset(r->amz_date, 0, sizeof(r->amz_date));
  memset(r->payload_hash, 0, sizeof(r->payload_hash));
  memset(r->signature, 0, sizeof(r->signature));
  r->add_content_sha256 = 0;
}

static int check_inputs(const struct sigv4_request *req,
                        const struct sigv4_creds *cr,
                        const struct sigv4_params *p)
{
  size_t n;
  const char *m;

  if(!req || !cr || !p || !req->method || !req->path ||
     (req->nheaders && !req->headers) || (req->body_len && !req->body))
    return JAN_EINVAL;
  if(p->flags & ~ALL_FLAGS)
    return JAN_EINVAL;
  if((p->flags & SIGV4_S3) && (p->flags & SIGV4_NORMALIZE))
    return JAN_EINVAL;
  /* UNSIGNED-PAYLOAD only means something in x-amz-content-sha256. */
  if((p->flags & SIGV4_UNSIGNED_BODY) &&
     !(p->flags & (SIGV4_S3 | SIGV4_SIGN_BODY)))
    return JAN_EINVAL;
  if(req->nheaders > SIGV4_MAX_HEADERS)
    return JAN_ETOOBIG;

  for(m = req->method, n = 0; *m; m++, n++)
    if(n >= MAX_METHOD || *m < 'A' || *m > 'Z')
      return JAN_EINVAL;
  if(!n)
    return JAN_EINVAL;

  /* The access key id sits in the credential scope: no '/', ',', space. */
  if(!cr->access_key || !cr->secret_key)
    return JAN_EINVAL;
  if(!scope_name_ok(cr->access_key, MAX_AKID))
    return JAN_EINVAL;
  n = strlen(cr->secret_key);
  if(!n || n > MAX_SECRET)
    return JAN_EINVAL;
  if(cr->session_token) {
    const char *t = cr->session_token;
    for(n = 0; t[n]; n++) {
      if(n >= SIGV4_MAX_TOKEN)
        return JAN_ETOOBIG;
      if((unsigned char)t[n] <= 0x20 || (unsigned char)t[n] >= 0x7f)
        return JAN_EINVAL;
    }
    if(!n)
      return JAN_EINVAL;
  }
  if(!scope_name_ok(p->region, MAX_SCOPE_NAME) ||
     !scope_name_ok(p->service, MAX_SCOPE_NAME))
    return JAN_EINVAL;
  return JAN_OK;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *cr,
               const struct sigv4_params *p, struct sigv4_cache *cache,
               struct sigv4_result *out)
{
  struct chdr *h = NULL;
  struct jbuf *cr_buf, signed_hdrs;
  unsigned char md[32], key[32], sig[32];
  char crhash[65], date[9];
  struct tm tm;
  size_t nh = 0, nhost = 0;
  int add_sha, add_token, rc;

  if(!out)
    return JAN_EINVAL;
  result_reset(out);
  jbuf_init(&signed_hdrs, MAX_AUTHORIZATION);
  rc = check_inputs(req, cr, p);
  if(rc)
    goto fail;

  add_sha = (p->flags & (SIGV4_S3 | SIGV4_SIGN_BODY)) != 0;
  add_token = cr->session_token && !(p->flags & SIGV4_TOKEN_AFTER);

  /* Time: YYYYMMDDTHHMMSSZ, four-digit years only. */
  if(p->when < 0 || !gmtime_r(&p->when, &tm) || tm.tm_year + 1900 > 9999) {
    rc = JAN_EINVAL;
    goto fail;
  }
  if(strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm)
     != 16) {
    rc = JAN_EINVAL;
    goto fail;
  }
  memcpy(date, out->amz_date, 8);
  date[8] = '\0';

  /* Payload hash. */
  if(p->flags & SIGV4_UNSIGNED_BODY) {
    strcpy(out->payload_hash, UNSIGNED_PAYLOAD);
  }
  else {
    rc = sha256_raw(req->body_len ? req->body : "", req->body_len, md);
    if(rc)
      goto fail;
    to_hex(md, sizeof(md), out->payload_hash);
  }
  out->add_content_sha256 = add_sha;

  /* The headers: the caller's, checked, plus the ones the signer adds. */
  h = calloc(req->nheaders + 3, sizeof(*h));
  if(!h) {
    rc = JAN_ENOMEM;
    goto fail;
  }
  for(size_t i = 0; i < req->nheaders; i++) {
    const struct sigv4_header *in = &req->headers[i];
    if(!in->name || !in->value || !valid_header_name(in->name) ||
       !valid_header_value(in->value) ||
       name_eq(in->name, "authorization") ||
       name_eq(in->name, "x-amz-date") ||
       (add_sha && name_eq(in->name, "x-amz-content-sha256")) ||
       (cr->session_token && name_eq(in->name, "x-amz-security-token"))) {
      rc = JAN_EINVAL;
      goto fail;
    }
    if(name_eq(in->name, "host"))
      nhost++;
    h[nh].name = in->name;
    h[nh].value = in->value;
    h[nh].idx = nh;
    nh++;
  }
  if(nhost != 1) {
    rc = JAN_EINVAL;
    goto fail;
  }
  h[nh].name = "x-amz-date";
  h[nh].value = out->amz_date;
  h[nh].idx = nh;
  nh++;
  if(add_sha) {
    h[nh].name = "x-amz-content-sha256";
    h[nh].value = out->payload_hash;
    h[nh].idx = nh;
    nh++;
  }
  if(add_token) {
    h[nh].name = "x-amz-security-token";
    h[nh].value = cr->session_token;
    h[nh].idx = nh;
    nh++;
  }
  qsort(h, nh, sizeof(*h), chdr_cmp);

  /* Canonical request. */
  cr_buf = &out->canonical_request;
  rc = jbuf_addstr(cr_buf, req->method);
  if(!rc)
    rc = jbuf_addc(cr_buf, '\n');
  if(!rc)
    rc = sigv4_canonical_uri(req->path, p->flags & (SIGV4_S3 |
                                                    SIGV4_NORMALIZE), cr_buf);
  if(!rc)
    rc = jbuf_addc(cr_buf, '\n');
  if(!rc)
    rc = sigv4_canonical_query(req->query, cr_buf);
  if(!rc)
    rc = jbuf_addc(cr_buf, '\n');
  for(size_t i = 0; i < nh && !rc; i++) {
    int repeat = i > 0 && !lc_cmp(h[i - 1].name, h[i].name);
    if(repeat) {
      /* Repeated names: one line, values joined with ',' in order. */
      rc = jbuf_addc(cr_buf, ',');
    }
    else {
      if(i)
        rc = jbuf_addc(cr_buf, '\n');
      if(!rc)
        rc = add_lower(cr_buf, h[i].name);
      if(!rc)
        rc = jbuf_addc(cr_buf, ':');
      if(!rc && signed_hdrs.len)
        rc = jbuf_addc(&signed_hdrs, ';');
      if(!rc)
        rc = add_lower(&signed_hdrs, h[i].name);
    }
    if(!rc)
      rc = add_trimmed(cr_buf, h[i].value);
  }
  if(!rc)
    rc = jbuf_printf(cr_buf, "\n\n%s\n%s", jbuf_str(&signed_hdrs),
                     out->payload_hash);
  if(rc)
    goto fail;

  /* String to sign. */
  rc = sha256_raw(cr_buf->ptr, cr_buf->len, md);
  if(rc)
    goto fail;
  to_hex(md, sizeof(md), crhash);
  rc = jbuf_printf(&out->string_to_sign, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
                   out->amz_date, date, p->region, p->service, crhash);
  if(rc)
    goto fail;

  /* Signature and Authorization. */
  rc = signing_key(cache, cr, date, p, key);
  if(!rc)
    rc = hmac256(key, sizeof(key), out->string_to_sign.ptr,
                 out->string_to_sign.len, sig);
  OPENSSL_cleanse(key, sizeof(key));
  if(rc)
    goto fail;
  to_hex(sig, sizeof(sig), out->signature);
  rc = jbuf_printf(&out->authorization,
                   ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
                   "SignedHeaders=%s, Signature=%s",
                   cr->access_key, date, p->region, p->service,
                   jbuf_str(&signed_hdrs), out->signature);
  if(rc)
    goto fail;

  free(h);
  jbuf_free(&signed_hdrs);
  return JAN_OK;

fail:
  free(h);
  jbuf_free(&signed_hdrs);
  result_reset(out);
  return rc;
}
