/*
 * Values of the configuration: each key type's parser, the checks on a
 * single value, and the error list of a parse (config_int.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "janitor/endpoint.h"
#include "janitor/scope.h"
#include "janitor/wire.h"

/* ---- errors ---------------------------------------------------------- */

void add_error(struct pctx *x, unsigned line, const char *fmt, ...)
{
  struct jbuf b;
  va_list ap;
  int rc;

  if(x->nerrors >= ERRORS_MAX) {
    x->nlost++;
    return;
  }
  if(x->nerrors == x->errors_alloc) {
    size_t n = x->errors_alloc ? x->errors_alloc * 2 : 16;
    struct perror *e = realloc(x->errors, n * sizeof(*e));
    if(!e) {
      x->enomem = true;
      return;
    }
    x->errors = e;
    x->errors_alloc = n;
  }
  jbuf_init(&b, 4 * JAN_CONFIG_LINE_MAX);
  va_start(ap, fmt);
  rc = jbuf_vprintf(&b, fmt, ap);
  va_end(ap);
  if(rc == JAN_OK && b.len == 0)
    rc = jbuf_addstr(&b, "error");
  if(rc != JAN_OK) {
    jbuf_free(&b);
    x->enomem = true;
    return;
  }
  x->errors[x->nerrors].line = line;
  x->errors[x->nerrors].seq = (unsigned)x->nerrors;
  x->errors[x->nerrors].text = jbuf_take(&b);
  x->nerrors++;
}

static int error_cmp(const void *a, const void *b)
{
  const struct perror *x = a, *y = b;

  if(x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Write the errors, sorted by line, to errs (when given) and free them. */
void flush_errors(struct pctx *x, struct jbuf *errs)
{
  size_t i;

  if(x->nerrors > 1)
    qsort(x->errors, x->nerrors, sizeof(*x->errors), error_cmp);
  for(i = 0; i < x->nerrors; i++) {
    /* A full errs only loses the tail; the return code still tells. */
    if(errs && x->errors[i].line)
      (void)jbuf_printf(errs, "%s:%u: %s\n", x->name, x->errors[i].line,
                        x->errors[i].text);
    else if(errs)
      (void)jbuf_printf(errs, "%s: %s\n", x->name, x->errors[i].text);
    free(x->errors[i].text);
  }
  if(errs && x->nlost)
    (void)jbuf_printf(errs, "%s: %zu more errors not shown\n", x->name,
                      x->nlost);
  free(x->errors);
  x->errors = NULL;
}

const char *quote(struct quoted *q, const char *v)
{
  size_t n = strlen(v), i, o = 0;
  bool cut = false;

  if(n > QUOTE_MAX) {
    n = QUOTE_MAX;
    while(n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
      n--;
    cut = true;
  }
  for(i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)v[i];
    if(ch < 0x20 || ch == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      q->s[o++] = '\\';
      q->s[o++] = 'x';
      q->s[o++] = hex[ch >> 4];
      q->s[o++] = hex[ch & 0xf];
    }
    else
      q->s[o++] = (char)ch;
  }
  if(cut) {
    memcpy(q->s + o, "...", 3);
    o += 3;
  }
  q->s[o] = '\0';
  return q->s;
}

/* ---- value parsers --------------------------------------------------- */

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static char ascii_lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ascii_caseeq(const char *a, const char *b)
{
  while(*a && *b && ascii_lower(*a) == ascii_lower(*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

/* Decimal digits only, no sign.  JAN_ETOOBIG on overflow. */
static int parse_u64(const char **sp, uint64_t *out)
{
  const char *s = *sp;
  uint64_t v = 0;

  if(!is_digit(*s))
    return JAN_EINVAL;
  for(; is_digit(*s); s++) {
    unsigned d = (unsigned)(*s - '0');
    if(v > (UINT64_MAX - d) / 10)
      return JAN_ETOOBIG;
    v = v * 10 + d;
  }
  *sp = s;
  *out = v;
  return JAN_OK;
}

/* As config_parse_duration_ms, telling an overflow (JAN_ETOOBIG) apart. */
static int parse_duration(const char *s, uint64_t *ms)
{
  uint64_t v, unit;
  int rc;

  if(!s)
    return JAN_EINVAL;
  rc = parse_u64(&s, &v);
  if(rc)
    return rc;
  switch(*s) {
  case '\0':
    /* A bare number is ambiguous, except 0. */
    if(v != 0)
      return JAN_EINVAL;
    *ms = 0;
    return JAN_OK;
  case 's':
    unit = SEC_MS;
    break;
  case 'm':
    unit = MIN_MS;
    break;
  case 'h':
    unit = HOUR_MS;
    break;
  case 'd':
    unit = DAY_MS;
    break;
  default:
    return JAN_EINVAL;
  }
  if(s[1] != '\0')
    return JAN_EINVAL;
  if(v > UINT64_MAX / unit)
    return JAN_ETOOBIG;
  *ms = v * unit;
  return JAN_OK;
}

int config_parse_duration_ms(const char *s, uint64_t *ms)
{
  return parse_duration(s, ms) ? JAN_EINVAL : JAN_OK;
}

int config_parse_bool(const char *s, bool *b)
{
  static const char *const yes[] = { "yes", "true", "on", "1" };
  static const char *const no[] = { "no", "false", "off", "0" };
  size_t i;

  if(!s)
    return JAN_EINVAL;
  for(i = 0; i < JAN_ARRAY_SIZE(yes); i++) {
    if(ascii_caseeq(s, yes[i])) {
      *b = true;
      return JAN_OK;
    }
    if(ascii_caseeq(s, no[i])) {
      *b = false;
      return JAN_OK;
    }
  }
  return JAN_EINVAL;
}

bool config_region_known(const char *r)
{
  size_t i;

  if(!r)
    return false;
  for(i = 0; i < jan_all_regions_count; i++)
    if(strcmp(r, jan_all_regions[i]) == 0)
      return true;
  return false;
}

/* A duration as the largest whole unit that expresses it: "90s", "7d". */
const char *fmt_duration(char *buf, size_t size, uint64_t ms)
{
  static const struct {
    uint64_t ms;
    const char *unit;
  } units[] = { { DAY_MS, "d" }, { HOUR_MS, "h" }, { MIN_MS, "m" },
                { SEC_MS, "s" } };
  size_t i;

  if(ms == 0) {
    snprintf(buf, size, "0");
    return buf;
  }
  for(i = 0; i < JAN_ARRAY_SIZE(units); i++) {
    if(ms % units[i].ms == 0) {
      snprintf(buf, size, "%llu%s", (unsigned long long)(ms / units[i].ms),
               units[i].unit);
      return buf;
    }
  }
  snprintf(buf, size, "%llums", (unsigned long long)ms);
  return buf;
}

/* ---- setting values -------------------------------------------------- */

void *field(struct jan_config *c, size_t off)
{
  return (char *)c + off;
}

void *key_field(struct pctx *x, const struct ckey *k, size_t off)
{
  /* An [account] key's field is in the section being read. */
  if(k->flags & KF_ACCOUNT)
    return (char *)x->account + off;
  return field(x->c, off);
}

void free_list(char **v, size_t *n)
{
  size_t i;

  for(i = 0; i < *n; i++) {
    free(v[i]);
    v[i] = NULL;
  }
  *n = 0;
}

static void set_string(struct pctx *x, const struct ckey *k, const char *v,
                       unsigned line)
{
  char **f = key_field(x, k, k->off);
  char *s = NULL;
  const char *why;
  bool may_quote;
  struct quoted q;

  if(*v == '\0' && (k->flags & KF_NONEMPTY)) {
    add_error(x, line, "%s must not be empty", k->key);
    return;
  }
  if(*v && (k->flags & KF_URL) &&
     (why = endpoint_url_refusal(v, &may_quote)) != NULL) {
    if(may_quote)
      add_error(x, line, "%s: '%s' %s", k->key, quote(&q, v), why);
    else                        /* it may hold a password */
      add_error(x, line, "%s: the URL %s", k->key, why);
    return;
  }
  if((k->flags & KF_SOCKET) && strlen(v) > SOCKET_PATH_MAX) {
    add_error(x, line, "%s: the path is %zu bytes long; a socket path has "
              "at most %zu", k->key, strlen(v), SOCKET_PATH_MAX);
    return;
  }
  if(*v) {
    s = strdup(v);
    if(!s) {
      x->enomem = true;
      return;
    }
  }
  free(*f);
  *f = s;
}

static void set_duration(struct pctx *x, const struct ckey *k, const char *v,
                         unsigned line)
{
  struct quoted q;
  char lo[32], hi[32];
  uint64_t ms;
  int rc = parse_duration(v, &ms);

  if(rc == JAN_ETOOBIG) {
    add_error(x, line, "%s: duration '%s' is too large (at most %s)", k->key,
              quote(&q, v), fmt_duration(hi, sizeof(hi), k->max));
    return;
  }
  if(rc) {
    add_error(x, line, "%s: invalid duration '%s' (a whole number followed "
              "by s, m, h or d, e.g. 90s or 7d)", k->key, quote(&q, v));
    return;
  }
  if(ms < k->min || ms > k->max) {
    add_error(x, line, "%s: '%s' is out of range (%s..%s)", k->key,
              quote(&q, v), fmt_duration(lo, sizeof(lo), k->min),
              fmt_duration(hi, sizeof(hi), k->max));
    return;
  }
  *(uint64_t *)key_field(x, k, k->off) = k->type == K_DURATION_S ? ms / SEC_MS
                                                             : ms;
}

static void set_unsigned(struct pctx *x, const struct ckey *k, const char *v,
                         unsigned line)
{
  struct quoted q;
  const char *s = v;
  uint64_t n;
  int rc = parse_u64(&s, &n);

  if(rc == JAN_EINVAL || (rc == JAN_OK && *s != '\0')) {
    add_error(x, line, "%s: invalid number '%s'", k->key, quote(&q, v));
    return;
  }
  if(rc == JAN_ETOOBIG || n < k->min || n > k->max) {
    add_error(x, line, "%s: '%s' is out of range (%llu..%llu)", k->key,
              quote(&q, v), (unsigned long long)k->min,
              (unsigned long long)k->max);
    return;
  }
  *(unsigned *)key_field(x, k, k->off) = (unsigned)n;
}

static void set_octal(struct pctx *x, const struct ckey *k, const char *v,
                      unsigned line)
{
  struct quoted q;
  unsigned n = 0;
  size_t i;

  for(i = 0; v[i]; i++) {
    if(v[i] < '0' || v[i] > '7' || i >= 4) {
      add_error(x, line, "%s: invalid mode '%s' (octal digits, e.g. 0660)",
                k->key, quote(&q, v));
      return;
    }
    n = n * 8 + (unsigned)(v[i] - '0');
  }
  if(i == 0) {
    add_error(x, line, "%s: invalid mode '' (octal digits, e.g. 0660)",
              k->key);
    return;
  }
  if(n < k->min || n > k->max) {
    add_error(x, line, "%s: '%s' is out of range (%04llo..%04llo)", k->key,
              quote(&q, v), (unsigned long long)k->min,
              (unsigned long long)k->max);
    return;
  }
  *(unsigned *)key_field(x, k, k->off) = n;
}

static void set_account(struct pctx *x, const struct ckey *k, const char *v,
                        unsigned line)
{
  struct quoted q;
  char *f = key_field(x, k, k->off);
  size_t i;

  for(i = 0; v[i]; i++)
    if(!is_digit(v[i]))
      break;
  if(v[i] != '\0' || (i != 0 && i != 12)) {
    add_error(x, line, "%s: '%s' is not a 12-digit AWS account ID", k->key,
              quote(&q, v));
    return;
  }
  memcpy(f, v, i);
  f[i] = '\0';
}

static void set_mode(struct pctx *x, const struct ckey *k, const char *v,
                     unsigned line)
{
  struct quoted q;
  enum jan_mode *f = key_field(x, k, k->off);

  if(ascii_caseeq(v, "report"))
    *f = JAN_MODE_REPORT;
  else if(ascii_caseeq(v, "delete"))
    *f = JAN_MODE_DELETE;
  else
    add_error(x, line, "%s: invalid mode '%s' (report or delete)", k->key,
              quote(&q, v));
}

static void set_renders(struct pctx *x, const struct ckey *k,
                        const char *v, unsigned line)
{
  static const char *const names[] = { "keep", "artifacts", "all" };
  struct quoted q;
  enum jan_renders *f = field(x->c, k->off);

  for(size_t i = 0; i < JAN_ARRAY_SIZE(names); i++)
    if(ascii_caseeq(v, names[i])) {
      *f = (enum jan_renders)i;
      return;
    }
  add_error(x, line, "%s: invalid value '%s' (keep, artifacts or all)",
            k->key, quote(&q, v));
}

static void set_bool(struct pctx *x, const struct ckey *k, const char *v,
                     unsigned line)
{
  struct quoted q;

  if(config_parse_bool(v, key_field(x, k, k->off)))
    add_error(x, line, "%s: invalid boolean '%s' (yes/no, true/false, "
              "on/off or 1/0)", k->key, quote(&q, v));
}

/*
 * The next token of a list: runs of separators are skipped; the token is
 * copied, NUL-terminated, into tok (which is as large as the value).
 */
static bool next_token(const char **sp, const char *seps, char *tok)
{
  const char *s = *sp;
  size_t n = 0;

  while(*s && strchr(seps, *s))
    s++;
  if(*s == '\0')
    return false;
  while(*s && !strchr(seps, *s))
    tok[n++] = *s++;
  tok[n] = '\0';
  *sp = s;
  return true;
}

static bool list_has(char *const *v, size_t n, const char *s)
{
  size_t i;

  for(i = 0; i < n; i++)
    if(strcmp(v[i], s) == 0)
      return true;
  return false;
}

/*
 * "all" (anywhere in the list) stands for Remotion's 23 regions; others
 * must be among them.  Duplicates are dropped, the order is kept.  The list
 * replaces the previous one only when all of it is valid.
 */
static void set_regions(struct pctx *x, const struct ckey *k, const char *v,
                        unsigned line)
{
  const char *names[JAN_MAX_REGIONS];
  char **f = key_field(x, k, k->off);
  size_t *nf = key_field(x, k, k->count_off);
  size_t n = 0, i;
  const char *s = v;
  char *tok;
  bool bad = false;

  tok = malloc(strlen(v) + 1);
  if(!tok) {
    x->enomem = true;
    return;
  }
  while(next_token(&s, ", \t", tok)) {
    size_t lo = 0, hi = 0;
    struct quoted q;

    if(strcmp(tok, "all") == 0) {
      hi = jan_all_regions_count;
    }
    else {
      for(lo = 0; lo < jan_all_regions_count; lo++)
        if(strcmp(tok, jan_all_regions[lo]) == 0)
          break;
      if(lo == jan_all_regions_count) {
        add_error(x, line, "%s: unknown region '%s' (not one of Remotion's "
                  "regions)", k->key, quote(&q, tok));
        bad = true;
        continue;
      }
      hi = lo + 1;
    }
    for(; lo < hi; lo++) {
      bool dup = false;
      for(i = 0; i < n; i++)
        if(names[i] == jan_all_regions[lo])
          dup = true;
      if(dup)
        continue;
      if(n == JAN_MAX_REGIONS) {
        add_error(x, line, "%s: too many regions (at most %d)", k->key,
                  JAN_MAX_REGIONS);
        bad = true;
        break;
      }
      names[n++] = jan_all_regions[lo];
    }
  }
  free(tok);
  if(bad)
    return;
  if(n == 0) {
    add_error(x, line, "%s: no region given (use all or a list)", k->key);
    return;
  }
  free_list(f, nf);
  for(i = 0; i < n; i++) {
    f[i] = strdup(names[i]);
    if(!f[i]) {
      x->enomem = true;
      break;
    }
    *nf = i + 1;
  }
}

/*
 * Globs separated by blanks, added to what earlier lines gave (the key may
 * repeat); an exact repeat of a glob is dropped.  An empty value adds
 * nothing.
 */
static void set_globs(struct pctx *x, const struct ckey *k, const char *v,
                      unsigned line)
{
  char **f = key_field(x, k, k->off);
  size_t *nf = key_field(x, k, k->count_off);
  const char *s = v;
  char *tok;

  tok = malloc(strlen(v) + 1);
  if(!tok) {
    x->enomem = true;
    return;
  }
  while(next_token(&s, " \t", tok)) {
    struct quoted q;

    if((k->flags & KF_NARROW) && !scope_glob_narrows(tok)) {
      add_error(x, line, "%s: glob '%s' would widen the scope (it must start "
                "with remotion- or remotionlambda-, before any *, ? or [)",
                k->key, quote(&q, tok));
      continue;
    }
    if(list_has(f, *nf, tok))
      continue;
    if(*nf >= k->max) {
      add_error(x, line, "%s: too many globs (at most %llu)", k->key,
                (unsigned long long)k->max);
      break;
    }
    f[*nf] = strdup(tok);
    if(!f[*nf]) {
      x->enomem = true;
      break;
    }
    (*nf)++;
  }
  free(tok);
}

/* ---- [organization]'s lists of ids, [daemon] shard ---------------- */

int config_parse_shard(const char *s, unsigned *index, unsigned *count)
{
  unsigned long v[2] = { 0, 0 };
  const char *p = s;

  for(int i = 0; i < 2; i++) {
    size_t n = 0;
    while(p[n] >= '0' && p[n] <= '9') {
      if(n >= 4)
        return JAN_EINVAL;      /* JAN_SHARDS_MAX has 4 digits */
      v[i] = v[i] * 10 + (unsigned long)(p[n] - '0');
      n++;
    }
    if(!n)
      return JAN_EINVAL;
    p += n;
    if(i == 0 && *p++ != '/')
      return JAN_EINVAL;
  }
  if(*p || v[0] < 1 || v[0] > v[1] || v[1] > JAN_SHARDS_MAX)
    return JAN_EINVAL;
  *index = (unsigned)v[0];
  *count = (unsigned)v[1];
  return JAN_OK;
}

void set_shard(struct pctx *x, const struct ckey *k, const char *v,
               unsigned line)
{
  unsigned *index = field(x->c, k->off), *count = field(x->c, k->count_off);
  struct quoted q;

  if(!*v) {
    *index = *count = 0;
    return;
  }
  if(config_parse_shard(v, index, count))
    add_error(x, line, "%s: '%s' is not I/N with 1 <= I <= N <= %d (shard "
              "I of N, counted from 1)", k->key, quote(&q, v),
              JAN_SHARDS_MAX);
}

void set_ids(struct pctx *x, const struct ckey *k, const char *v,
             unsigned line)
{
  char **f = key_field(x, k, k->off);
  size_t *nf = key_field(x, k, k->count_off);
  const char *s = v;
  struct quoted q;

  while(*s) {
    size_t n = strcspn(s, " \t");
    char *tok;
    int ok, dup = 0;

    if(!n) {
      s++;
      continue;
    }
    tok = strndup(s, n);
    s += n;
    if(!tok) {
      x->enomem = true;
      return;
    }
    ok = (k->flags & KF_OU_IDS) ? wire_org_parent_id_valid(tok, 0)
                                : wire_org_account_id_valid(tok);
    if(!ok) {
      add_error(x, line, "%s: '%s' is not %s", k->key, quote(&q, tok),
                (k->flags & KF_OU_IDS)
                    ? "an OU id (ou-, 4 to 32 of a-z 0-9, -, 8 to 32 more)"
                    : "an account id (12 digits)");
      free(tok);
      continue;
    }
    for(size_t i = 0; i < *nf && !dup; i++)
      dup = !strcmp(f[i], tok);
    if(dup) {
      free(tok);
      continue;
    }
    if(*nf >= k->max) {
      add_error(x, line, "%s: too many ids (at most %llu)", k->key,
                (unsigned long long)k->max);
      free(tok);
      return;
    }
    f[(*nf)++] = tok;
  }
}

void set_value(struct pctx *x, const struct ckey *k, const char *v,
                      unsigned line)
{
  switch(k->type) {
  case K_STRING:
    set_string(x, k, v, line);
    break;
  case K_DURATION_MS:
  case K_DURATION_S:
    set_duration(x, k, v, line);
    break;
  case K_BOOL:
    set_bool(x, k, v, line);
    break;
  case K_UNSIGNED:
    set_unsigned(x, k, v, line);
    break;
  case K_OCTAL:
    set_octal(x, k, v, line);
    break;
  case K_ACCOUNT:
    set_account(x, k, v, line);
    break;
  case K_REGIONS:
    set_regions(x, k, v, line);
    break;
  case K_MODE:
    set_mode(x, k, v, line);
    break;
  case K_RENDERS:
    set_renders(x, k, v, line);
    break;
  case K_GLOBS:
    set_globs(x, k, v, line);
    break;
  case K_IDS:
    set_ids(x, k, v, line);
    break;
  case K_SHARD:
    set_shard(x, k, v, line);
    break;
  }
}
