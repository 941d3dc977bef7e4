/*
 * Server text and server-named regions: see include/janitor/untrusted.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "janitor/hex.h"
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
 * The length of the valid UTF-8 character at s (shortest form, no
 * surrogate, at most U+10FFFF) and its code point, or 0.
 */
static size_t utf8_at(const unsigned char *s, size_t len, uint32_t *cpp)
{
  uint32_t cp;
  size_t n;
  if(s[0] < 0x80) {
    *cpp = s[0];
    return 1;
  }
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
     (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  *cpp = cp;
  return n;
}

/*
 * Code points a terminal obeys or that change how a line reads: the C0
 * and C1 controls and DEL, the bidirectional controls (U+061C, U+200E,
 * U+200F, U+202A..U+202E, U+2066..U+2069) and the line and paragraph
 * separators (U+2028, U+2029).
 */
static int display_control(uint32_t cp)
{
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C ||
         cp == 0x200E || cp == 0x200F || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
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

/* How display() treats the two ASCII characters the rule may escape. */
enum {
  DISPLAY_KEEP_BACKSLASH = 1,   /* a line: its backslashes begin escapes */
  DISPLAY_QUOTE = 2             /* a value between double quotes */
};

/*
 * The one display rule: the character at u is written as is, or, when it
 * is not valid UTF-8, a display control, a backslash (unless
 * DISPLAY_KEEP_BACKSLASH) or a double quote (with DISPLAY_QUOTE), its
 * first byte is written as \xHH.  Returns the bytes used.
 */
static size_t put_display_char(struct out *o, const unsigned char *u,
                               size_t left, int flags)
{
  uint32_t cp;
  size_t n = utf8_at(u, left, &cp);
  if(!n || display_control(cp) ||
     (cp == '\\' && !(flags & DISPLAY_KEEP_BACKSLASH)) ||
     (cp == '"' && (flags & DISPLAY_QUOTE))) {
    put_escaped(o, *u);
    return 1;
  }
  put(o, (const char *)u, n);
  return n;
}

/* NUL-terminate what fits; a cut text ends with "..." (or is empty when
 * even that does not fit). */
static size_t out_finish(struct out *o)
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

static size_t display(char *out, size_t outlen, const char *in, size_t inlen,
                      int flags)
{
  struct out o = { out, outlen ? outlen - 1 : 0, 0, 0, 0 };
  size_t i = 0;

  if(!outlen)
    return 0;
  while(in && i < inlen && !o.cut)
    i += put_display_char(&o, (const unsigned char *)in + i, inlen - i,
                          flags);
  return out_finish(&o);
}

size_t untrusted_display(char *out, size_t outlen, const char *in,
                         size_t inlen)
{
  return display(out, outlen, in, inlen, 0);
}

size_t untrusted_display_line(char *out, size_t outlen, const char *in,
                              size_t inlen)
{
  return display(out, outlen, in, inlen, DISPLAY_KEEP_BACKSLASH);
}

size_t untrusted_display_quoted(char *out, size_t outlen, const char *in,
                                size_t inlen)
{
  return display(out, outlen, in, inlen, DISPLAY_QUOTE);
}

int untrusted_vfprintf(FILE *f, const char *fmt, va_list ap)
{
  va_list ap2;
  char *text, *esc = NULL;
  size_t n, len = 0;
  int r, nl;

  va_copy(ap2, ap);
  r = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if(r < 0 || !(text = malloc((size_t)r + 1)))
    return -1;
  vsnprintf(text, (size_t)r + 1, fmt, ap);
  n = (size_t)r;
  nl = n && text[n - 1] == '\n';
  n -= (size_t)nl;
  esc = malloc(n * 4 + 2);
  if(esc) {
    len = untrusted_display_line(esc, n * 4 + 2, text, n);
    if(nl)
      esc[len++] = '\n';
    r = fwrite(esc, 1, len, f) == len ? (int)len : -1;
  }
  else {
    r = -1;
  }
  free(esc);
  free(text);
  return r;
}

int untrusted_fprintf(FILE *f, const char *fmt, ...)
{
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = untrusted_vfprintf(f, fmt, ap);
  va_end(ap);
  return rc;
}

size_t untrusted_utf8_span(const char *s, size_t len)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, n;
  uint32_t cp;
  while(i < len) {
    if(u[i] < 0x80)             /* ASCII, the common case, at once */
      i++;
    else if((n = utf8_at(u + i, len - i, &cp)) != 0)
      i += n;
    else
      break;
  }
  return i;
}

/* Each byte of json that is not part of valid UTF-8 as \udcXX. */
static int json_utf8(const char *json, size_t len,
                     int (*emit)(void *, const char *, size_t), void *arg)
{
  static const char hex[] = "0123456789abcdef";
  size_t i = 0;
  while(i < len) {
    size_t n = untrusted_utf8_span(json + i, len - i);
    unsigned char c;
    if(n && emit(arg, json + i, n))
      return -1;
    i += n;
    if(i < len) {
      char e[6] = { '\\', 'u', 'd', 'c', 0, 0 };
      c = (unsigned char)json[i++];
      e[4] = hex[c >> 4];
      e[5] = hex[c & 15];
      if(emit(arg, e, sizeof(e)))
        return -1;
    }
  }
  return 0;
}

static int emit_jbuf(void *arg, const char *s, size_t n)
{
  return jbuf_add(arg, s, n);
}

static int emit_file(void *arg, const char *s, size_t n)
{
  return fwrite(s, 1, n, arg) == n ? 0 : -1;
}

int untrusted_json_add(struct jbuf *out, const char *json, size_t len)
{
  return json_utf8(json, len, emit_jbuf, out) ? JAN_ETOOBIG : JAN_OK;
}

/* Two hex digits at s: their byte in *v, or 0. */
static int hex_at(const char *s, int *v)
{
  int hi = jan_hex_value(s[0]), lo = hi < 0 ? -1 : jan_hex_value(s[1]);
  if(lo < 0)
    return 0;
  *v = hi << 4 | lo;
  return 1;
}

size_t untrusted_json_bytes(char *json)
{
  size_t i = 0, o = 0;
  int instr = 0, high = 0;

  while(json[i]) {
    int v;
    if(!instr || json[i] != '\\') {
      if(json[i] == '"')
        instr = !instr;
      high = 0;
      json[o++] = json[i++];
      continue;
    }
    if(json[i + 1] != 'u') {
      json[o++] = json[i++];
      if(json[i])
        json[o++] = json[i++];
      high = 0;
      continue;
    }
    /* \uXXXX: a lone \udcXX (XX >= 80) is the byte XX; a low surrogate
     * after a high one is half of a pair and stays. */
    if(!high && (json[i + 2] == 'd' || json[i + 2] == 'D') &&
       (json[i + 3] == 'c' || json[i + 3] == 'C') && json[i + 4] &&
       hex_at(json + i + 4, &v) && v >= 0x80) {
      json[o++] = (char)v;
      i += 6;
      continue;
    }
    high = (json[i + 2] == 'd' || json[i + 2] == 'D') && json[i + 3] &&
           strchr("89abAB", json[i + 3]);
    for(int k = 0; k < 6 && json[i]; k++)
      json[o++] = json[i++];
  }
  json[o] = '\0';
  return o;
}

int untrusted_json_emit(const char *json, size_t len,
                        int (*emit)(void *, const char *, size_t), void *arg)
{
  return json_utf8(json, len, emit, arg);
}

int untrusted_json_fputs(const char *json, FILE *f)
{
  return json ? json_utf8(json, strlen(json), emit_file, f) : -1;
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
    else {
      i += put_display_char(&o, u, inlen - i, 0);
    }
  }
  return out_finish(&o);
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
  int v;

  for(; m < klen && j < inlen; m++) {
    if(in[j] == k[m])
      j++;
    else if(in[j] == '%' && inlen - j >= 3 && hex_at(in + j + 1, &v) &&
            v == (unsigned char)k[m])
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
  return out_finish(&o);
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
