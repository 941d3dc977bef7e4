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

_Static_assert(SIGV4_ALL_FLAGS == (SIGV4_S3 | SIGV4_NORMALIZE |
                                  SIGV4_SIGN_BODY | SIGV4_UNSIGNED_BODY |
                                  SIGV4_TOKEN_AFTER), "SIGV4_ALL_FLAGS");

static const char hexdig[] = "0123456789abcdef";

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
  if(p->flags & ~SIGV4_ALL_FLAGS)
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

/* X-Amz-Date (YYYYMMDDTHHMMSSZ, four-digit years only) and its date. */
static int stamp(const struct sigv4_params *p, struct sigv4_result *out,
                 char date[9])
{
  struct tm tm;

  if(p->when < 0 || !gmtime_r(&p->when, &tm) || tm.tm_year + 1900 > 9999)
    return JAN_EINVAL;
  if(strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm)
     != 16)
    return JAN_EINVAL;
  memcpy(date, out->amz_date, 8);
  date[8] = '\0';
  return JAN_OK;
}

static int hash_payload(const struct sigv4_request *req,
                        const struct sigv4_params *p, struct sigv4_result *out)
{
  unsigned char md[32];
  int rc;

  if(p->flags & SIGV4_UNSIGNED_BODY) {
    strcpy(out->payload_hash, UNSIGNED_PAYLOAD);
    return JAN_OK;
  }
  rc = sha256_raw(req->body_len ? req->body : "", req->body_len, md);
  if(!rc)
    to_hex(md, sizeof(md), out->payload_hash);
  return rc;
}

static void put_header(struct chdr *h, size_t *nh, const char *name,
                       const char *value)
{
  h[*nh].name = name;
  h[*nh].value = value;
  h[*nh].idx = *nh;
  (*nh)++;
}

/* The signed headers, sorted: the caller's, checked (exactly one host,
 * none of those the signer adds), plus the signer's.  h holds
 * req->nheaders + 3. */
static int collect_headers(const struct sigv4_request *req,
                           const struct sigv4_creds *cr,
                           const struct sigv4_result *out, int add_token,
                           struct chdr *h, size_t *nh)
{
  int add_sha = out->add_content_sha256;
  size_t nhost = 0;

  for(size_t i = 0; i < req->nheaders; i++) {
    const struct sigv4_header *in = &req->headers[i];
    if(!in->name || !in->value || !valid_header_name(in->name) ||
       !valid_header_value(in->value) ||
       name_eq(in->name, "authorization") ||
       name_eq(in->name, "x-amz-date") ||
       (add_sha && name_eq(in->name, "x-amz-content-sha256")) ||
       (cr->session_token && name_eq(in->name, "x-amz-security-token")))
      return JAN_EINVAL;
    if(name_eq(in->name, "host"))
      nhost++;
    put_header(h, nh, in->name, in->value);
  }
  if(nhost != 1)
    return JAN_EINVAL;
  put_header(h, nh, "x-amz-date", out->amz_date);
  if(add_sha)
    put_header(h, nh, "x-amz-content-sha256", out->payload_hash);
  if(add_token)
    put_header(h, nh, "x-amz-security-token", cr->session_token);
  qsort(h, *nh, sizeof(*h), chdr_cmp);
  return JAN_OK;
}

/* The canonical request into out, the signed header list into signed_hdrs. */
static int canonical_request(const struct sigv4_request *req,
                             const struct sigv4_params *p,
                             const struct chdr *h, size_t nh,
                             struct sigv4_result *out,
                             struct jbuf *signed_hdrs)
{
  struct jbuf *cr_buf = &out->canonical_request;
  int rc = jbuf_addstr(cr_buf, req->method);

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
      if(!rc && signed_hdrs->len)
        rc = jbuf_addc(signed_hdrs, ';');
      if(!rc)
        rc = add_lower(signed_hdrs, h[i].name);
    }
    if(!rc)
      rc = add_trimmed(cr_buf, h[i].value);
  }
  if(!rc)
    rc = jbuf_printf(cr_buf, "\n\n%s\n%s", jbuf_str(signed_hdrs),
                     out->payload_hash);
  return rc;
}

/* String to sign, signature and Authorization. */
static int finish(const struct sigv4_creds *cr, const struct sigv4_params *p,
                  struct sigv4_cache *cache, const char *date,
                  const struct jbuf *signed_hdrs, struct sigv4_result *out)
{
  const struct jbuf *cr_buf = &out->canonical_request;
  unsigned char md[32], key[32], sig[32];
  char crhash[65];
  int rc;

  rc = sha256_raw(cr_buf->ptr, cr_buf->len, md);
  if(rc)
    return rc;
  to_hex(md, sizeof(md), crhash);
  rc = jbuf_printf(&out->string_to_sign,
                   ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
                   out->amz_date, date, p->region, p->service, crhash);
  if(rc)
    return rc;
  rc = signing_key(cache, cr, date, p, key);
  if(!rc)
    rc = hmac256(key, sizeof(key), out->string_to_sign.ptr,
                 out->string_to_sign.len, sig);
  OPENSSL_cleanse(key, sizeof(key));
  if(rc)
    return rc;
  to_hex(sig, sizeof(sig), out->signature);
  return jbuf_printf(&out->authorization,
                     ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
                     "SignedHeaders=%s, Signature=%s",
                     cr->access_key, date, p->region, p->service,
                     jbuf_str(signed_hdrs), out->signature);
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *cr,
               const struct sigv4_params *p, struct sigv4_cache *cache,
               struct sigv4_result *out)
{
  struct chdr *h = NULL;
  struct jbuf signed_hdrs;
  char date[9];
  size_t nh = 0;
  int rc;

  if(!out)
    return JAN_EINVAL;
  result_reset(out);
  jbuf_init(&signed_hdrs, MAX_AUTHORIZATION);
  rc = check_inputs(req, cr, p);
  if(!rc)
    rc = stamp(p, out, date);
  if(!rc)
    rc = hash_payload(req, p, out);
  if(!rc) {
    out->add_content_sha256 = (p->flags & (SIGV4_S3 | SIGV4_SIGN_BODY)) != 0;
    h = calloc(req->nheaders + 3, sizeof(*h));
    rc = h ? JAN_OK : JAN_ENOMEM;
  }
  if(!rc)
    rc = collect_headers(req, cr, out, cr->session_token &&
                         !(p->flags & SIGV4_TOKEN_AFTER), h, &nh);
  if(!rc)
    rc = canonical_request(req, p, h, nh, out, &signed_hdrs);
  if(!rc)
    rc = finish(cr, p, cache, date, &signed_hdrs, out);
  free(h);
  jbuf_free(&signed_hdrs);
  if(rc)
    result_reset(out);
  return rc;
}
