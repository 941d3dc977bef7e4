/*
 * The configuration (remotion-janitor.conf(5)).
 *
 * One table, `keys` below, holds every key with its section, type, default
 * (as text, in config syntax), bounds, one-line help and the field it fills.
 * The parser, config_defaults() (which parses the default texts through the
 * same code), the error messages and config_write_example() all read it,
 * so the parser, the defaults and the example file cannot disagree.
 *
 * How the INI text is read, and why:
 *
 * libinih splits lines into section, name and value and calls a handler,
 * but as built by Debian (r55) it cannot tell the handler the line number
 * (INI_HANDLER_LINENO is a build option of the library and is off), it
 * reports only the first malformed line, it cuts lines at its compile-time
 * INI_MAX_LINE (200 bytes), truncates names at 50 bytes, and treats an
 * indented line as the continuation of the previous value.  So inih reads
 * through our own reader (ini_parse_stream()), which hands it exactly one
 * physical line per call.  inih calls the handler for a line before it asks
 * for the next one, so the reader's line counter is the number of the line
 * the handler is called for: exact, whatever inih's build options.
 *
 * Before a line reaches inih the reader checks and normalises it, with the
 * same rules inih applies:
 *   - a UTF-8 BOM at the start of the file and the '\r' of "\r\n" go;
 *   - a line longer than JAN_CONFIG_LINE_MAX bytes, or with a NUL or other
 *     control byte (tab excepted), is an error;
 *   - leading and trailing blanks go (so there are no continuation lines:
 *     indentation is allowed and means nothing);
 *   - a line starting with ';' or '#' is a comment, and so is the rest of a
 *     line from a ';' or '#' that follows a blank (inih itself knows only
 *     ';' inline; the reader removes both kinds before inih sees the line,
 *     so a value never holds " ;" or " #");
 *   - what is left must be "[section]" or "name = value" (inih also takes
 *     "name: value": the first '=' or ':' separates); anything else is a
 *     syntax error, reported with its line, and inih gets a blank line.
 * An unknown or malformed section header is reported by the reader and
 * passed to inih as "[?]", a section no key is looked up in, so the keys
 * under it are not reported once more.  A line that would not fit inih's
 * buffer reaches it as "name=" with the value (and the full name) kept in
 * the context.  Every line is therefore either dropped with an error or
 * valid for inih, and inih's own return value is only a safety net.
 *
 * Errors are collected with their line numbers and written to errs sorted by
 * line at the end, so checks across keys (done after the whole file is
 * read) appear where their key is.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ini.h>

#include "janitor/config.h"
#include "janitor/scope.h"
#include "janitor/state.h"

const char *const jan_all_regions[] = {
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-south-1", "eu-north-1", "us-east-1", "us-east-2", "us-west-1",
  "us-west-2", "af-south-1", "ap-south-1", "ap-east-1", "ap-southeast-1",
  "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-4", "ap-southeast-5", "ca-central-1", "sa-east-1",
};
const size_t jan_all_regions_count = JAN_ARRAY_SIZE(jan_all_regions);

/* A config file larger than this is refused (STYLE habit 2). */
#define CONFIG_FILE_MAX ((size_t)1 << 20)
/* Errors kept for the report; more are counted in one closing line. */
#define ERRORS_MAX 1000
/* Longest value quoted in an error message. */
#define QUOTE_MAX 80

#define SEC_MS 1000ull
#define MIN_MS (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

enum ktype {
  K_STRING,       /* char *: empty means unset (NULL) */
  K_DURATION_MS,  /* uint64_t, milliseconds; bounds in ms */
  K_DURATION_S,   /* uint64_t, seconds; bounds in ms */
  K_BOOL,         /* bool */
  K_UNSIGNED,     /* unsigned */
  K_OCTAL,        /* unsigned, a file mode in octal */
  K_ACCOUNT,      /* char[13]: 12 digits or "" */
  K_REGIONS,      /* char *[JAN_MAX_REGIONS] + count */
  K_MODE,         /* enum jan_mode */
  K_RENDERS,      /* enum jan_renders */
  K_GLOBS         /* char *[JAN_MAX_GLOBS] + count */
};

#define KF_REPEAT   0x1u  /* the key may appear more than once */
#define KF_NONEMPTY 0x2u  /* a string that must not be empty */
#define KF_NARROW   0x4u  /* globs that may only narrow the scope */
#define KF_URL      0x8u  /* a string that must be an http(s):// URL */
#define KF_SOCKET   0x10u /* a path that must fit a socket address */

/* sun_path less its terminating NUL: 107 bytes on Linux. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct ckey {
  const char *section;
  const char *key;
  enum ktype type;
  const char *def;       /* default, in config syntax */
  uint64_t min, max;     /* numbers and modes: value; durations: ms */
  const char *help;      /* one line for the example config */
  size_t off;            /* the field in struct jan_config */
  size_t count_off;      /* K_REGIONS, K_GLOBS: the count field */
  unsigned flags;
};

#define F(field) offsetof(struct jan_config, field)
#define NOCOUNT 0

static const struct ckey keys[] = {
  { "aws", "profile", K_STRING, "", 0, 0,
    "shared-config profile (else AWS_PROFILE, else default)",
    F(profile), NOCOUNT, 0 },
  { "aws", "regions", K_REGIONS, "all", 0, 0,
    "\"all\" = Remotion's 23 regions, or a list separated by commas or spaces",
    F(regions), F(nregions), 0 },
  { "aws", "account_id", K_ACCOUNT, "", 0, 0,
    "12 digits; required when mode = delete",
    F(account_id), NOCOUNT, 0 },
  { "aws", "endpoint_url", K_STRING, "", 0, 0,
    "else AWS_ENDPOINT_URL[_S3|_LAMBDA|_IAM|_STS]",
    F(endpoint_url), NOCOUNT, KF_URL },
  { "aws", "ca_bundle", K_STRING, "", 0, 0,
    "CA certificates file; else AWS_CA_BUNDLE, else the system store",
    F(ca_bundle), NOCOUNT, 0 },
  { "aws", "max_attempts", K_UNSIGNED, "5", 1, 20,
    "per request, first try included",
    F(max_attempts), NOCOUNT, 0 },
  { "aws", "connect_timeout", K_DURATION_MS, "5s", SEC_MS, HOUR_MS,
    "to set up a connection",
    F(connect_timeout_ms), NOCOUNT, 0 },
  { "aws", "request_timeout", K_DURATION_MS, "60s", SEC_MS, HOUR_MS,
    "for a whole request",
    F(request_timeout_ms), NOCOUNT, 0 },
  { "aws", "concurrency", K_UNSIGNED, "32", 1, 1024,
    "requests in flight in all",
    F(concurrency), NOCOUNT, 0 },
  { "aws", "host_concurrency", K_UNSIGNED, "8", 1, 256,
    "requests in flight per host; at most concurrency",
    F(host_concurrency), NOCOUNT, 0 },

  { "policy", "mode", K_MODE, "report", 0, 0,
    "report | delete",
    F(mode), NOCOUNT, 0 },
  { "policy", "functions", K_BOOL, "yes", 0, 0,
    "delete Lambda functions",
    F(functions), NOCOUNT, 0 },
  { "policy", "layers", K_BOOL, "yes", 0, 0,
    "delete Lambda layer versions",
    F(layers), NOCOUNT, 0 },
  { "policy", "buckets", K_BOOL, "no", 0, 0,
    "delete S3 buckets with everything in them; bucket deletion is opt-in",
    F(buckets), NOCOUNT, 0 },
  { "policy", "min_age", K_DURATION_S, "7d", 0, 3650 * DAY_MS,
    "younger resources are kept",
    F(min_age_s), NOCOUNT, 0 },
  { "policy", "grace", K_DURATION_S, "0", 0, 3650 * DAY_MS,
    "a candidate must stay one this long before deletion",
    F(grace_s), NOCOUNT, 0 },
  { "policy", "max_deletions", K_UNSIGNED, "25", 0, 1000000,
    "more candidates than this: delete nothing, exit 4",
    F(max_deletions), NOCOUNT, 0 },
  { "policy", "keep_layer_versions", K_UNSIGNED, "1", 0, 1000,
    "newest versions of each layer kept",
    F(keep_layer_versions), NOCOUNT, 0 },
  { "policy", "keep", K_GLOBS, "", 0, JAN_MAX_GLOBS,
    "names never deleted: globs separated by spaces; the key may repeat",
    F(keep), F(nkeep), KF_REPEAT },
  { "policy", "include", K_GLOBS, "", 0, JAN_MAX_GLOBS,
    "narrows the scope: globs, each starting with remotion- or remotionlambda-",
    F(include), F(ninclude), KF_REPEAT | KF_NARROW },
  { "policy", "renders", K_RENDERS, "keep", 0, 0,
    "in kept buckets: keep | artifacts (all but outputs) | all, of old renders",
    F(renders), NOCOUNT, 0 },
  { "policy", "render_max_age", K_DURATION_S, "30d", 0, 3650 * DAY_MS,
    "renders (from their newest object) and props older than this are pruned",
    F(render_max_age_s), NOCOUNT, 0 },
  { "policy", "storage", K_BOOL, "yes", 0, 0,
    "list kept buckets to report their storage (no: skip when renders = keep)",
    F(storage), NOCOUNT, 0 },

  { "daemon", "interval", K_DURATION_MS, "6h", SEC_MS, 365 * DAY_MS,
    "time between sweeps",
    F(interval_ms), NOCOUNT, 0 },
  { "daemon", "jitter", K_DURATION_MS, "15m", 0, 365 * DAY_MS,
    "interval varies by up to +/- this, at random; may exceed interval",
    F(jitter_ms), NOCOUNT, 0 },
  { "daemon", "startup_delay", K_DURATION_MS, "30s", 0, DAY_MS,
    "first sweep this long after start",
    F(startup_delay_ms), NOCOUNT, 0 },
  { "daemon", "socket", K_STRING, "/run/remotion-janitor/remotion-janitor.sock",
    0, 0, "status socket",
    F(socket), NOCOUNT, KF_NONEMPTY | KF_SOCKET },
  { "daemon", "socket_mode", K_OCTAL, "0660", 0, 0777,
    "permissions of the status socket, in octal",
    F(socket_mode), NOCOUNT, 0 },
  { "daemon", "state_file", K_STRING, "/var/lib/remotion-janitor/state.json",
    0, 0, "grace clocks and the last sweep",
    F(state_file), NOCOUNT, KF_NONEMPTY },
  { "daemon", "audit_log", K_STRING, "/var/lib/remotion-janitor/audit.jsonl",
    0, 0, "one JSON line per deletion outcome",
    F(audit_log), NOCOUNT, KF_NONEMPTY },
  { "daemon", "metrics_file", K_STRING, "", 0, 0,
    "Prometheus textfile, written after each sweep; empty: none",
    F(metrics_file), NOCOUNT, 0 },
  { "daemon", "stop_timeout", K_DURATION_MS, "20s", 0, HOUR_MS,
    "on SIGTERM, in-flight requests get this long to finish",
    F(stop_timeout_ms), NOCOUNT, 0 },
};

#define NKEYS JAN_ARRAY_SIZE(keys)

static const char *const sections[] = { "aws", "policy", "daemon" };

/* The section that stands for an unknown or malformed header. */
#define NO_SECTION "?"

struct perror {
  unsigned line;   /* 0: not tied to a line */
  unsigned seq;    /* order of discovery, for a stable sort */
  char *text;      /* the message, without "FILE:LINE: " */
};

/* The state of one parse. */
struct pctx {
  struct jan_config *c;
  const char *name;          /* file name for messages */

  struct perror *errors;
  size_t nerrors, errors_alloc;
  size_t nlost;              /* errors beyond ERRORS_MAX */
  bool enomem;

  /* The reader. */
  const char *p, *end;       /* text not read yet */
  unsigned lineno;           /* the line last handed to inih */
  bool long_line;            /* inih got "name=": use cur_name, cur_value */
  char *cur_name;            /* name and value of the line (in scratch) */
  char *cur_value;
  char scratch[JAN_CONFIG_LINE_MAX + 2];

  unsigned line_of[NKEYS];   /* first line that set each key, 0: none */
  unsigned flags;            /* CONFIG_CHECK_PATHS */
};

/* ---- errors ---------------------------------------------------------- */

static void add_error(struct pctx *x, unsigned line, const char *fmt, ...)
    JAN_PRINTF(3, 4);

static void add_error(struct pctx *x, unsigned line, const char *fmt, ...)
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
static void flush_errors(struct pctx *x, struct jbuf *errs)
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

/*
 * A value for a message: at most QUOTE_MAX bytes (cut on a UTF-8 character
 * boundary, then "..."), control bytes written as \xNN.
 */
struct quoted {
  char s[QUOTE_MAX * 4 + 8];
};

static const char *quote(struct quoted *q, const char *v)
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

static bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

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

/* s starts with prefix, ASCII case ignored. */
static bool ascii_prefix(const char *s, const char *prefix)
{
  for(; *prefix; s++, prefix++)
    if(ascii_lower(*s) != ascii_lower(*prefix))
      return false;
  return true;
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
static const char *fmt_duration(char *buf, size_t size, uint64_t ms)
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

static void *field(struct jan_config *c, size_t off)
{
  return (char *)c + off;
}

static void free_list(char **v, size_t *n)
{
  size_t i;

  for(i = 0; i < *n; i++) {
    free(v[i]);
    v[i] = NULL;
  }
  *n = 0;
}

/* "http://" or "https://" (any case) and a host. */
static bool is_http_url(const char *v)
{
  size_t n = ascii_prefix(v, "http://") ? 7 : ascii_prefix(v, "https://")
             ? 8 : 0;
  return n && v[n] && v[n] != '/';
}

static void set_string(struct pctx *x, const struct ckey *k, const char *v,
                       unsigned line)
{
  char **f = field(x->c, k->off);
  char *s = NULL;
  struct quoted q;

  if(*v == '\0' && (k->flags & KF_NONEMPTY)) {
    add_error(x, line, "%s must not be empty", k->key);
    return;
  }
  if(*v && (k->flags & KF_URL) && !is_http_url(v)) {
    add_error(x, line, "%s: '%s' is not an http:// or https:// URL", k->key,
              quote(&q, v));
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
  *(uint64_t *)field(x->c, k->off) = k->type == K_DURATION_S ? ms / SEC_MS
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
  *(unsigned *)field(x->c, k->off) = (unsigned)n;
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
  *(unsigned *)field(x->c, k->off) = n;
}

static void set_account(struct pctx *x, const struct ckey *k, const char *v,
                        unsigned line)
{
  struct quoted q;
  char *f = field(x->c, k->off);
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
  enum jan_mode *f = field(x->c, k->off);

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

  if(config_parse_bool(v, field(x->c, k->off)))
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
  char **f = field(x->c, k->off);
  size_t *nf = field(x->c, k->count_off);
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
  char **f = field(x->c, k->off);
  size_t *nf = field(x->c, k->count_off);
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

static void set_value(struct pctx *x, const struct ckey *k, const char *v,
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
  }
}

/* ---- the reader and the handler ------------------------------------- */

static bool section_known(const char *s)
{
  size_t i;

  for(i = 0; i < JAN_ARRAY_SIZE(sections); i++)
    if(strcmp(s, sections[i]) == 0)
      return true;
  return false;
}

/* Write "text\n" to buf (num bytes) when it fits; false when not. */
static bool serve(char *buf, int num, const char *text)
{
  size_t n = strlen(text);

  if(n + 2 > (size_t)num)
    return false;
  memcpy(buf, text, n);
  buf[n] = '\n';
  buf[n + 1] = '\0';
  return true;
}

/*
 * Check and normalise one line (see the comment at the top) into
 * x->scratch; what inih gets is written to buf.  Name and value of a
 * "name = value" line are left in x->cur_name and x->cur_value.
 */
static void process_line(struct pctx *x, const char *s, const char *e,
                         char *buf, int num)
{
  unsigned line = x->lineno;
  const char *q, *sep;
  char sepc;
  char *sc = x->scratch;
  size_t n;
  struct quoted qt;

  buf[0] = '\n';
  buf[1] = '\0';
  x->long_line = false;
  x->cur_name = x->cur_value = NULL;

  if(line == 1 && e - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    s += 3;
  if(e > s && e[-1] == '\r')
    e--;
  if((size_t)(e - s) > JAN_CONFIG_LINE_MAX) {
    add_error(x, line, "line is longer than %d bytes", JAN_CONFIG_LINE_MAX);
    return;
  }
  for(q = s; q < e; q++) {
    unsigned char ch = (unsigned char)*q;
    if(ch == '\0') {
      add_error(x, line, "line contains a NUL byte");
      return;
    }
    if((ch < 0x20 && ch != '\t') || ch == 0x7f) {
      add_error(x, line, "line contains a control character (0x%02x)", ch);
      return;
    }
  }

  /* Blanks, comments: nothing for inih. */
  while(s < e && is_blank(*s))
    s++;
  if(s == e || *s == ';' || *s == '#')
    return;
  for(q = s + 1; q < e; q++)
    if((*q == ';' || *q == '#') && is_blank(q[-1])) {
      e = q;
      break;
    }
  while(e > s && is_blank(e[-1]))
    e--;
  n = (size_t)(e - s);
  memcpy(sc, s, n);
  sc[n] = '\0';

  if(sc[0] == '[') {
    char *close = strchr(sc, ']');
    char *name = sc + 1;

    if(!close) {
      add_error(x, line, "syntax error: section header '%s' without ']'",
                quote(&qt, sc));
    }
    else if(close[1] != '\0') {
      add_error(x, line, "syntax error: text after the section header: '%s'",
                quote(&qt, close + 1));
    }
    else {
      *close = '\0';
      while(is_blank(*name))
        name++;
      for(q = close; q > name && is_blank(q[-1]); q--)
        ;
      name[q - name] = '\0';
      if(section_known(name)) {
        buf[0] = '[';
        memcpy(buf + 1, name, strlen(name));
        memcpy(buf + 1 + strlen(name), "]\n", 3);
        return;
      }
      add_error(x, line, "unknown section [%s] (known: [aws], [policy], "
                "[daemon])", quote(&qt, name));
    }
    (void)serve(buf, num, "[" NO_SECTION "]");
    return;
  }

  /* inih splits at the first '=' or ':'. */
  sep = strpbrk(sc, "=:");
  if(!sep) {
    add_error(x, line, "syntax error: '%s' is not a [section], a "
              "name = value or a comment", quote(&qt, sc));
    return;
  }
  sepc = *sep;
  x->cur_name = sc;
  x->cur_value = sc + (sep - sc) + 1;
  x->cur_value[-1] = '\0';
  for(n = strlen(x->cur_name); n > 0 && is_blank(x->cur_name[n - 1]); n--)
    x->cur_name[n - 1] = '\0';
  while(is_blank(*x->cur_value))
    x->cur_value++;
  if(x->cur_name[0] == '\0') {
    add_error(x, line, "syntax error: no name before '%c'", sepc);
    x->cur_name = x->cur_value = NULL;
    return;
  }

  /* "name=value\n" if inih's buffer takes it, else "name=" (or "?="). */
  n = strlen(x->cur_name);
  if(n + 1 + strlen(x->cur_value) + 2 <= (size_t)num) {
    memcpy(buf, x->cur_name, n);
    buf[n] = '=';
    memcpy(buf + n + 1, x->cur_value, strlen(x->cur_value));
    memcpy(buf + n + 1 + strlen(x->cur_value), "\n", 2);
    return;
  }
  x->long_line = true;
  if(n + 3 <= (size_t)num) {
    memcpy(buf, x->cur_name, n);
    memcpy(buf + n, "=\n", 3);
  }
  else
    (void)serve(buf, num, "?=");
}

/* ini_reader: one physical line per call, checked and normalised. */
static char *reader(char *buf, int num, void *stream)
{
  struct pctx *x = stream;
  const char *s, *e;

  /* inih's buffer is a few hundred bytes; "[?]\n" must always fit. */
  JAN_REQUIRE(num >= 16);
  if(x->p >= x->end)
    return NULL;
  s = x->p;
  e = memchr(s, '\n', (size_t)(x->end - s));
  if(e)
    x->p = e + 1;
  else {
    e = x->end;
    x->p = x->end;
  }
  x->lineno++;
  process_line(x, s, e, buf, num);
  return buf;
}

static const struct ckey *find_key(const char *section, const char *name)
{
  size_t i;

  for(i = 0; i < NKEYS; i++)
    if(strcmp(keys[i].section, section) == 0 &&
       strcmp(keys[i].key, name) == 0)
      return &keys[i];
  return NULL;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
  struct pctx *x = user;
  unsigned line = x->lineno;
  const struct ckey *k;
  struct quoted q;
  size_t i;

  /* A library built to call the handler on each new section does so with
   * no name: nothing to do then. */
  if(!name || !value)
    return 1;
  /* The reader's copies are whole; inih's name is cut at 50 bytes. */
  if(x->cur_name)
    name = x->cur_name;
  if(x->long_line)
    value = x->cur_value;

  if(section[0] == '\0') {
    add_error(x, line, "key '%s' before any [section]", quote(&q, name));
    return 1;
  }
  /* Unknown and malformed headers were reported on their own line. */
  if(!section_known(section))
    return 1;
  k = find_key(section, name);
  if(!k) {
    for(i = 0; i < NKEYS; i++)
      if(strcmp(keys[i].key, name) == 0)
        break;
    if(i < NKEYS)
      add_error(x, line, "unknown key '%s' in [%s] (it belongs in [%s])",
                name, section, keys[i].section);
    else
      add_error(x, line, "unknown key '%s' in [%s]", quote(&q, name),
                section);
    return 1;
  }
  i = (size_t)(k - keys);
  if(x->line_of[i] && !(k->flags & KF_REPEAT)) {
    add_error(x, line, "duplicate key '%s' (first set on line %u)", k->key,
              x->line_of[i]);
    return 1;
  }
  if(!x->line_of[i])
    x->line_of[i] = line;
  set_value(x, k, value, line);
  return 1;
}

static unsigned line_of(const struct pctx *x, const char *key)
{
  size_t i;

  for(i = 0; i < NKEYS; i++)
    if(strcmp(keys[i].key, key) == 0)
      return x->line_of[i];
  return 0;
}

/* Checks across keys, once the whole file is read. */
static void cross_checks(struct pctx *x)
{
  struct jan_config *c = x->c;
  unsigned line;

  if(c->mode == JAN_MODE_DELETE && c->account_id[0] == '\0')
    add_error(x, line_of(x, "mode"),
              "account_id is required when mode = delete");
  if(c->host_concurrency > c->concurrency) {
    line = line_of(x, "host_concurrency");
    if(!line)
      line = line_of(x, "concurrency");
    add_error(x, line, "host_concurrency (%u) is larger than concurrency "
              "(%u)", c->host_concurrency, c->concurrency);
  }
}

/* ---- what only the file system can tell (CONFIG_CHECK_PATHS) ---------- */

static void path_error(struct pctx *x, const char *key, const char *msg)
{
  add_error(x, line_of(x, key), "%s: %s", key, msg);
}

/* a and b are files in the same directory. */
static bool same_dir(const char *a, const char *b)
{
  const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
  size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;
  return !sa == !sb && la == lb && memcmp(a, b, la) == 0;
}

/* The directory of key's file, as the daemon will use it: state.c's
 * checks, without creating anything.  Only the state directory is created
 * when missing, so only there is a missing one with a parent fine. */
static void check_dir_of(struct pctx *x, const char *key, const char *path)
{
  const char *state = x->c->state_file;
  struct jbuf msg;
  int create = state && same_dir(path, state) ? STATE_DIR_PROBE : 0;

  jbuf_init(&msg, JAN_CONFIG_LINE_MAX);
  if(state_check_dir_of(path, create, &msg))
    path_error(x, key, msg.len ? jbuf_str(&msg) : "out of memory");
  jbuf_free(&msg);
}

static void path_checks(struct pctx *x)
{
  const struct jan_config *c = x->c;
  char msg[JAN_CONFIG_LINE_MAX];
  struct stat sb;
  int fd;

  if(c->ca_bundle) {
    /* O_NONBLOCK: a FIFO must not hang the check. */
    fd = open(c->ca_bundle, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if(fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
      snprintf(msg, sizeof(msg), "%s: %s", c->ca_bundle, fd < 0
               ? strerror(errno) : "not a regular file");
      path_error(x, "ca_bundle", msg);
    }
    if(fd >= 0)
      close(fd);
  }
  if(c->state_file)
    check_dir_of(x, "state_file", c->state_file);
  if(c->audit_log)
    check_dir_of(x, "audit_log", c->audit_log);
  if(c->metrics_file)
    check_dir_of(x, "metrics_file", c->metrics_file);
}

/* ---- public ---------------------------------------------------------- */

void config_free(struct jan_config *c)
{
  size_t i;

  if(!c)
    return;
  for(i = 0; i < NKEYS; i++) {
    const struct ckey *k = &keys[i];
    if(k->type == K_STRING) {
      char **f = field(c, k->off);
      free(*f);
      *f = NULL;
    }
    else if(k->type == K_REGIONS || k->type == K_GLOBS)
      free_list(field(c, k->off), field(c, k->count_off));
  }
  free(c->path);
  memset(c, 0, sizeof(*c));
}

int config_defaults(struct jan_config *c)
{
  struct pctx *x;
  size_t i;
  bool enomem;

  memset(c, 0, sizeof(*c));
  x = calloc(1, sizeof(*x));
  if(!x)
    return JAN_ENOMEM;
  x->c = c;
  x->name = "(defaults)";
  for(i = 0; i < NKEYS; i++)
    set_value(x, &keys[i], keys[i].def, 0);
  /* A default that does not parse is a bug in the table. */
  JAN_REQUIRE(x->nerrors == 0 || x->enomem);
  enomem = x->enomem;
  flush_errors(x, NULL);
  free(x);
  if(enomem) {
    config_free(c);
    return JAN_ENOMEM;
  }
  return JAN_OK;
}

static int load_string(struct jan_config *c, const char *name,
                       const char *text, size_t len, unsigned flags,
                       struct jbuf *errs)
{
  struct pctx *x;
  int rc;

  /* The context holds a line buffer: too big for the stack. */
  x = calloc(1, sizeof(*x));
  if(!x)
    return JAN_ENOMEM;
  x->c = c;
  x->flags = flags;
  x->name = name ? name : "(config)";
  x->p = text;
  x->end = text ? text + len : text;
  rc = ini_parse_stream(reader, x, handler, x);
  if(rc == -2)
    x->enomem = true;
  else if(rc != 0 && x->nerrors == 0)
    /* Cannot happen (see the top), but never let an error pass. */
    add_error(x, rc > 0 ? (unsigned)rc : 0, "syntax error");
  cross_checks(x);
  if(x->flags & CONFIG_CHECK_PATHS)
    path_checks(x);
  rc = x->enomem ? JAN_ENOMEM : x->nerrors || x->nlost ? JAN_ECONFIG : JAN_OK;
  flush_errors(x, errs);
  free(x);
  return rc;
}

int config_load_string(struct jan_config *c, const char *name,
                       const char *text, size_t len, struct jbuf *errs)
{
  return load_string(c, name, text, len, 0, errs);
}

int config_load(struct jan_config *c, const char *path, struct jbuf *errs)
{
  return config_load_flags(c, path, 0, errs);
}

int config_load_flags(struct jan_config *c, const char *path, unsigned flags,
                      struct jbuf *errs)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f;
  int rc;

  f = fopen(path, "rb");
  if(!f) {
    int e = errno;
    if(errs)
      (void)jbuf_printf(errs, "%s: cannot open: %s\n", path, strerror(e));
    return e == ENOENT ? JAN_ENOENT : JAN_EIO;
  }
  /* One byte more than allowed, to see that the file is too big. */
  text = malloc(CONFIG_FILE_MAX + 1);
  if(!text) {
    fclose(f);
    return JAN_ENOMEM;
  }
  len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
  if(ferror(f)) {
    int e = errno;
    if(errs)
      (void)jbuf_printf(errs, "%s: cannot read: %s\n", path, strerror(e));
    rc = JAN_EIO;
    goto out;
  }
  if(len > CONFIG_FILE_MAX) {
    if(errs)
      (void)jbuf_printf(errs, "%s: file is larger than %zu bytes\n", path,
                        CONFIG_FILE_MAX);
    rc = JAN_ECONFIG;
    goto out;
  }
  free(c->path);
  c->path = strdup(path);
  if(!c->path) {
    rc = JAN_ENOMEM;
    goto out;
  }
  rc = load_string(c, path, text, len, flags, errs);
out:
  free(text);
  fclose(f);
  return rc;
}

/* ---- the example config ---------------------------------------------- */

void config_write_example(FILE *f)
{
  size_t s, i;

  fputs("# remotion-janitor configuration.\n"
        "#\n"
        "# Every key is listed with its built-in default; remove the '#' in\n"
        "# front of a key to change it.  Durations are a whole number and a\n"
        "# unit: s, m, h or d (90s, 7d; a bare 0 is allowed).  Booleans:\n"
        "# yes/no, true/false, on/off, 1/0.  A comment starts with ';' or '#'\n"
        "# at the start of a line or after a blank.  Errors are reported as\n"
        "# FILE:LINE: message; check a file with\n"
        "#   remotion-janitor --check-config -c FILE\n", f);
  for(s = 0; s < JAN_ARRAY_SIZE(sections); s++) {
    fprintf(f, "\n[%s]\n", sections[s]);
    for(i = 0; i < NKEYS; i++) {
      const struct ckey *k = &keys[i];
      char lo[32], hi[32];

      if(strcmp(k->section, sections[s]) != 0)
        continue;
      fprintf(f, "\n# %s", k->help);
      switch(k->type) {
      case K_UNSIGNED:
        fprintf(f, " (%llu..%llu)", (unsigned long long)k->min,
                (unsigned long long)k->max);
        break;
      case K_DURATION_MS:
      case K_DURATION_S:
        fprintf(f, " (%s..%s)", fmt_duration(lo, sizeof(lo), k->min),
                fmt_duration(hi, sizeof(hi), k->max));
        break;
      case K_OCTAL:
        fprintf(f, " (%04llo..%04llo)", (unsigned long long)k->min,
                (unsigned long long)k->max);
        break;
      default:
        break;
      }
      fprintf(f, "\n#%s =%s%s\n", k->key, k->def[0] ? " " : "", k->def);
    }
  }
}
