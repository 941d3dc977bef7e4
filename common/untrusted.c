/*
 * Server text and server-named regions: see include/janitor/untrusted.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "janitor/untrusted.h"

/* Names whose value is a secret: "NAME: value", "NAME=value",
 * "\"NAME\":\"value\"" (case-insensitive, '-' and '_' spelled out). */
static const char *const secret_names[] = {
  "security-token", "securitytoken", "security_token",
  "session-token", "sessiontoken", "session_token",
  "secret-access-key", "secretaccesskey", "secret_access_key",
  "signature", "credential", "authorization"
};
/* A line that starts here is a signature (Authorization header, or the
 * first line of a StringToSign): the rest of the line goes. */
static const char sigv4_alg[] = "AWS4-HMAC-SHA256";

static int is_run_char(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
         c == '%';
}

static int is_upper_digit(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Where a value that follows a secret's name ends. */
static int ends_value(unsigned char c)
{
  return c <= ' ' || c == '&' || c == ',' || c == ';' || c == '"' ||
         c == '\'' || c == '<' || c == '>' || c == 0x7f;
}

/*
 * A secret name at in[i]: returns the number of bytes to keep verbatim
 * (name and separator) and sets *vlen to the value's length, or returns 0.
 */
static size_t secret_at(const char *in, size_t inlen, size_t i, size_t *vlen)
{
  for(size_t k = 0; k < sizeof(secret_names) / sizeof(secret_names[0]); k++) {
    size_t n = strlen(secret_names[k]), j;
    if(inlen - i < n || strncasecmp(in + i, secret_names[k], n) != 0)
      continue;
    j = i + n;
    if(j < inlen && in[j] == '"')
      j++;
    while(j < inlen && in[j] == ' ')
      j++;
    if(j >= inlen || (in[j] != ':' && in[j] != '='))
      continue;
    j++;
    while(j < inlen && (in[j] == ' ' || in[j] == '"'))
      j++;
    *vlen = 0;
    while(j + *vlen < inlen && !ends_value((unsigned char)in[j + *vlen]))
      (*vlen)++;
    return j - i;
  }
  return 0;
}

/* An access key id: AKIA or ASIA and 16 upper-case letters or digits. */
static int access_key_at(const char *in, size_t inlen, size_t i)
{
  if(inlen - i < 20 || (strncmp(in + i, "AKIA", 4) != 0 &&
                        strncmp(in + i, "ASIA", 4) != 0))
    return 0;
  if(i > 0 && is_upper_digit((unsigned char)in[i - 1]))
    return 0;
  for(size_t j = 4; j < 20; j++)
    if(!is_upper_digit((unsigned char)in[i + j]))
      return 0;
  return 1;
}

/* A long run starting at in[i] that mixes letters and digits: its length. */
static size_t token_run_at(const char *in, size_t inlen, size_t i)
{
  size_t n = 0;
  int alpha = 0, digit = 0;
  if(i > 0 && is_run_char((unsigned char)in[i - 1]))
    return 0;
  while(i + n < inlen && is_run_char((unsigned char)in[i + n])) {
    unsigned char c = (unsigned char)in[i + n];
    if(c >= '0' && c <= '9')
      digit = 1;
    else if((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
      alpha = 1;
    n++;
  }
  return n >= UNTRUSTED_RUN_MIN && alpha && digit ? n : 0;
}

/*
 * The length of the UTF-8 character at in[i] that may be written as is,
 * or 0 when its bytes must be escaped: invalid or overlong sequences,
 * surrogates, the C1 controls (U+0080..U+009F, which terminals obey) and
 * the bidirectional controls (U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069), which can make a line read differently.
 */
static size_t utf8_ok_at(const unsigned char *s, size_t len)
{
  uint32_t cp;
  size_t n;
  if(s[0] < 0xC2 || s[0] > 0xF4)
    return 0;
  n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
  if(len < n)
    return 0;
  cp = s[0] & (0x7F >> n);
  for(size_t j = 1; j < n; j++) {
    if((s[j] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[j] & 0x3F);
  }
  if((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
     (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F || cp == 0x200E ||
     cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
     (cp >= 0x2066 && cp <= 0x2069))
    return 0;
  return n;
}

struct out {
  char *p;
  size_t cap;        /* bytes usable for text (outlen - 1) */
  size_t len;
  size_t safe;       /* last piece boundary that leaves room for "..." */
  int cut;
};

static void put(struct out *o, const char *s, size_t n)
{
  if(o->cut)
    return;
  if(o->len + n > o->cap) {
    o->cut = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
  if(o->len + sizeof(UNTRUSTED_CUT) - 1 <= o->cap)
    o->safe = o->len;
}

static void put_escaped(struct out *o, unsigned char c)
{
  static const char hex[] = "0123456789abcdef";
  char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
  put(o, e, sizeof(e));
}

/* NUL-terminate, with the cut mark when the text was cut: strlen(out). */
static size_t out_end(struct out *o)
{
  if(o->cut && o->cap < sizeof(UNTRUSTED_CUT) - 1) {
    o->len = 0;                 /* no room even for the mark */
  }
  else if(o->cut) {
    o->len = o->safe;
    memcpy(o->p + o->len, UNTRUSTED_CUT, sizeof(UNTRUSTED_CUT) - 1);
    o->len += sizeof(UNTRUSTED_CUT) - 1;
  }
  o->p[o->len] = '\0';
  return o->len;
}

size_t untrusted_text(char *out, size_t outlen, const char *in, size_t inlen)
{
  struct out o = { out, outlen ? outlen - 1 : 0, 0, 0, 0 };
  size_t i = 0;

  if(!outlen)
    return 0;
  if(!in)
    inlen = 0;
  while(i < inlen && !o.cut) {
    const unsigned char *u = (const unsigned char *)in + i;
    size_t keep, vlen, n;

    if((keep = secret_at(in, inlen, i, &vlen)) != 0) {
      for(size_t j = 0; j < keep; j++)
        put(&o, in + i + j, 1);
      if(vlen)
        put(&o, UNTRUSTED_REDACTED, sizeof(UNTRUSTED_REDACTED) - 1);
      i += keep + vlen;
    }
    else if(inlen - i >= sizeof(sigv4_alg) - 1 &&
            !memcmp(in + i, sigv4_alg, sizeof(sigv4_alg) - 1)) {
      put(&o, sigv4_alg, sizeof(sigv4_alg) - 1);
      i += sizeof(sigv4_alg) - 1;
      n = 0;
      while(i + n < inlen && in[i + n] != '\n' && in[i + n] != '\r')
        n++;
      if(n)
        put(&o, " " UNTRUSTED_REDACTED, sizeof(UNTRUSTED_REDACTED));
      i += n;
    }
    else if(access_key_at(in, inlen, i)) {
      put(&o, UNTRUSTED_REDACTED, sizeof(UNTRUSTED_REDACTED) - 1);
      i += 20;
    }
    else if((n = token_run_at(in, inlen, i)) != 0) {
      put(&o, UNTRUSTED_REDACTED, sizeof(UNTRUSTED_REDACTED) - 1);
      i += n;
    }
    else if(*u >= 0x80 && (n = utf8_ok_at(u, inlen - i)) != 0) {
      put(&o, in + i, n);
      i += n;
    }
    else if(*u < 0x20 || *u >= 0x7f || *u == '\\') {
      put_escaped(&o, *u);
      i++;
    }
    else {
      put(&o, in + i, 1);
      i++;
    }
  }
  return out_end(&o);
}

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
    return (c | 0x20) - 'a' + 10;
  return -1;
}

/*
 * How many bytes of in, from i, spell k[0..klen): each byte as is, as %XX
 * or as '\\' and itself.  Returns the bytes of in read; *got the bytes of
 * k spelled (up to the first that is not).
 */
static size_t spelled_at(const char *in, size_t inlen, size_t i,
                         const char *k, size_t klen, size_t *got)
{
  size_t j = i, m = 0;

  for(; m < klen && j < inlen; m++) {
    if(in[j] == k[m])
      j++;
    else if(in[j] == '%' && inlen - j >= 3 && hex_value(in[j + 1]) >= 0 &&
            hex_value(in[j + 2]) >= 0 &&
            (hex_value(in[j + 1]) << 4 | hex_value(in[j + 2])) ==
            (unsigned char)k[m])
      j += 3;
    else if(in[j] == '\\' && inlen - j >= 2 && in[j + 1] == k[m])
      j += 2;
    else
      break;
  }
  *got = m;
  return j - i;
}

/* The bytes of in, from i, that spell one of the known secrets (the
 * longest), or its cut-off prefix; 0 when none does. */
static size_t known_at(const char *in, size_t inlen, size_t i,
                       const char *const *known, size_t nknown)
{
  static const char cut[] = UNTRUSTED_CUT;
  size_t best = 0;

  for(size_t k = 0; k < nknown; k++) {
    size_t klen = known[k] ? strlen(known[k]) : 0, got, n;
    if(!klen)
      continue;
    n = spelled_at(in, inlen, i, known[k], klen, &got);
    if(got < klen && (got < UNTRUSTED_KNOWN_TAIL ||
                      (i + n != inlen &&
                       (inlen - i - n < sizeof(cut) - 1 ||
                        memcmp(in + i + n, cut, sizeof(cut) - 1)))))
      continue;
    if(n > best)
      best = n;
  }
  return best;
}

size_t untrusted_mask_known(char *out, size_t outlen, const char *in,
                            size_t inlen, const char *const *known,
                            size_t nknown)
{
  struct out o = { out, outlen ? outlen - 1 : 0, 0, 0, 0 };
  size_t i = 0, n;

  if(!outlen)
    return 0;
  if(!in)
    inlen = 0;
  while(i < inlen && !o.cut) {
    if((n = known_at(in, inlen, i, known, nknown)) != 0) {
      put(&o, UNTRUSTED_REDACTED, sizeof(UNTRUSTED_REDACTED) - 1);
      i += n;
    }
    else
      put(&o, in + i++, 1);
  }
  return out_end(&o);
}

int untrusted_region(const char *s, size_t len)
{
  size_t i = 2, nseg = 0, seglen[4];
  size_t segat[4];

  if(!s || len < 6 || len > UNTRUSTED_REGION_MAX)
    return 0;
  for(size_t j = 0; j < 2; j++)
    if(s[j] < 'a' || s[j] > 'z')
      return 0;
  /* The rest: "-seg" two to four times. */
  while(i < len) {
    size_t n = 0;
    if(s[i] != '-' || nseg == 4)
      return 0;
    i++;
    while(i + n < len && s[i + n] != '-')
      n++;
    if(!n)
      return 0;
    segat[nseg] = i;
    seglen[nseg++] = n;
    i += n;
  }
  if(nseg < 2 || nseg > 3)
    return 0;
  /* The last part: one or two digits; the others: letters. */
  if(seglen[nseg - 1] > 2)
    return 0;
  for(size_t j = 0; j < seglen[nseg - 1]; j++)
    if(s[segat[nseg - 1] + j] < '0' || s[segat[nseg - 1] + j] > '9')
      return 0;
  for(size_t g = 0; g + 1 < nseg; g++)
    for(size_t j = 0; j < seglen[g]; j++)
      if(s[segat[g] + j] < 'a' || s[segat[g] + j] > 'z')
        return 0;
  /* Three parts: the first is the partition, -gov or -iso[a-z]*. */
  if(nseg == 3 && !(seglen[0] == 3 && !memcmp(s + segat[0], "gov", 3)) &&
     !(seglen[0] >= 3 && !memcmp(s + segat[0], "iso", 3)))
    return 0;
  return 1;
}

void untrusted_region_refusal(char *out, size_t outlen, const char *what,
                              const char *s, const char *why)
{
  /* Room for a region and some: enough to recognise what was sent. */
  char shown[UNTRUSTED_REGION_MAX * 2 + 1];
  untrusted_text(shown, sizeof(shown), s, strlen(s));
  snprintf(out, outlen, "%s region '%s': %s", what, shown, why);
}
