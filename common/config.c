/*
 * The configuration (remotion-janitor.conf(5)).
 *
 * One table, `keys` below, holds every key with its section, type, default
 * (as text, in config syntax), bounds, one-line help and the field it fills.
 * The parser, config_defaults() (which parses the default texts through the
 * same code), the error messages and config_write_example() all read it,
 * so the parser, the defaults and the example file cannot disagree.
 *
 * The text is read by the project's INI reader (janitor/ini.h) in the
 * config dialect: ';' and '#' comments also after a blank, control bytes
 * refused, lines up to JAN_CONFIG_LINE_MAX bytes, no continuation lines
 * (indentation is allowed and means nothing).  Every line that is not a
 * comment is a known [section], a known key of the section above it, or
 * an error reported with its line.  The keys under an unknown or malformed
 * header are not reported once more.
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


#include "config_int.h"
#include "janitor/fsafe.h"
#include "janitor/config.h"
#include "janitor/http.h"
#include "janitor/ini.h"
#include "janitor/scope.h"
#include "janitor/state.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"

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
#define F(field) offsetof(struct jan_config, field)
#define FA(field) offsetof(struct jan_account, field)
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
  { "aws", "bucket_region", K_STRING, "", 0, 0,
    "with endpoint_url: every bucket's region (radosgw: not its zonegroup)",
    F(bucket_region), NOCOUNT, 0 },
  { "aws", "endpoint_accounts", K_BOOL, "yes", 0, 0,
    "with endpoint_url: no = a server without accounts or STS (radosgw)",
    F(endpoint_accounts), NOCOUNT, 0 },
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
  { "policy", "max_deletions", K_UNSIGNED, "25", 0, 100000000,
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
  { "policy", "log_groups", K_BOOL, "no", 0, 0,
    "delete the log groups of deleted and vanished functions; needs logs: "
    "permissions (the policy's Optional statements)",
    F(log_groups), NOCOUNT, 0 },
  { "policy", "keep_tag", K_STRING, "", 0, 0,
    "KEY or KEY=VALUE: functions and buckets carrying it are kept (reads "
    "their tags)",
    F(keep_tag), NOCOUNT, 0 },
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
  { "daemon", "shard", K_SHARD, "", 1, JAN_SHARDS_MAX,
    "I/N: sweep only the accounts of shard I of N (1..N); empty: all",
    F(shard_index), F(shard_count), 0 },

  /* [organization]: the accounts of an AWS Organization (config_org.c). */
  { ORG_SECTION, "role_name", K_STRING, "", 0, 0,
    "role assumed in each member account; set: list the organization",
    F(org_role_name), NOCOUNT, 0 },
  { ORG_SECTION, "external_id", K_STRING, "", 0, 0,
    "ExternalId the member roles' trust policy asks for",
    F(org_external_id), NOCOUNT, 0 },
  { ORG_SECTION, "exclude_accounts", K_IDS, "", 0, JAN_ORG_IDS_MAX,
    "account ids never swept, separated by spaces; the key may repeat",
    F(org_exclude), F(norg_exclude), KF_REPEAT | KF_ACCOUNT_IDS },
  { ORG_SECTION, "ous", K_IDS, "", 0, JAN_ORG_IDS_MAX,
    "only the accounts under these OUs (ou-...), recursively; empty: all",
    F(org_ous), F(norg_ous), KF_REPEAT | KF_OU_IDS },

  /* [account NAME], repeatable: fields of struct jan_account. */
  { ACCOUNT_SECTION, "account_id", K_ACCOUNT, "", 0, 0,
    "12 digits, compared with the credentials' account; required when "
    "mode = delete", FA(account_id), NOCOUNT, KF_ACCOUNT },
  { ACCOUNT_SECTION, "role_arn", K_STRING, "", 0, 0,
    "role to assume with the [aws] credentials (sts:AssumeRole)",
    FA(role_arn), NOCOUNT, KF_ACCOUNT },
  { ACCOUNT_SECTION, "external_id", K_STRING, "", 0, 0,
    "ExternalId the role's trust policy asks for; only with role_arn",
    FA(external_id), NOCOUNT, KF_ACCOUNT },
  { ACCOUNT_SECTION, "profile", K_STRING, "", 0, 0,
    "instead of role_arn: a profile of the shared AWS files",
    FA(profile), NOCOUNT, KF_ACCOUNT },
  { ACCOUNT_SECTION, "regions", K_REGIONS, "", 0, 0,
    "this account's regions; empty: the [aws] regions",
    FA(regions), FA(nregions), KF_ACCOUNT },
};

#define NKEYS JAN_ARRAY_SIZE(keys)
_Static_assert(JAN_ARRAY_SIZE(keys) <= CONFIG_KEYS_MAX, "CONFIG_KEYS_MAX");

static const char *const sections[] = { "aws", "policy", "daemon",
                                        ORG_SECTION };

/* ---- reading the text ----------------------------------------------- */

/* The section's name in sections[], or NULL. */
static const char *section_known(const char *s)
{
  size_t i;

  for(i = 0; i < JAN_ARRAY_SIZE(sections); i++)
    if(strcmp(s, sections[i]) == 0)
      return sections[i];
  return NULL;
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

/* A span of the line as a string (the line fits: see JAN_CONFIG_LINE_MAX). */
static char *span(char *dst, const char *s, size_t n)
{
  memcpy(dst, s, n);
  dst[n] = '\0';
  return dst;
}

/* One line the reader could not take: report it, and after a bad header
 * ignore the keys under it (they were not meant for the section before). */
static void line_error(struct pctx *x, const struct ini_line *l)
{
  struct quoted q;
  char *t = l->name ? span(x->name_buf, l->name, l->name_len) : NULL;

  switch(l->error) {
  case INI_E_LONG:
    add_error(x, l->lineno, "line is longer than %d bytes",
              JAN_CONFIG_LINE_MAX);
    break;
  case INI_E_CONTROL:
    add_error(x, l->lineno, "line contains a control character (0x%02x)",
              l->ch);
    break;
  case INI_E_HEADER_OPEN:
    add_error(x, l->lineno, "syntax error: section header '%s' without ']'",
              quote(&q, t));
    break;
  case INI_E_HEADER_TAIL:
    add_error(x, l->lineno, "syntax error: text after the section header: "
              "'%s'", quote(&q, t));
    break;
  case INI_E_HEADER_EMPTY:
    add_error(x, l->lineno, "unknown section [] (known: [aws], [policy], "
              "[daemon], [organization], [account NAME])");
    break;
  case INI_E_NO_NAME:
    add_error(x, l->lineno, "syntax error: no name before '%c'", l->ch);
    break;
  case INI_E_NOT_PAIR:
    add_error(x, l->lineno, "syntax error: '%s' is not a [section], a "
              "name = value or a comment", quote(&q, t));
    break;
  default:
    add_error(x, l->lineno, "%s", ini_error_phrase(l->error));
    break;
  }
  if(l->header) {
    x->in_section = true;
    x->section = NULL;
  }
}

static void section_line(struct pctx *x, const struct ini_line *l)
{
  struct quoted q;
  char *name = span(x->name_buf, l->name, l->name_len);

  x->in_section = true;
  if(account_header(x, name, l->lineno, keys, NKEYS))
    return;
  x->account = NULL;
  x->section = section_known(name);
  if(x->section)
    return;
  add_error(x, l->lineno, "unknown section [%s] (known: [aws], [policy], "
            "[daemon], [organization], [account NAME])", quote(&q, name));
}

static void pair_line(struct pctx *x, const struct ini_line *l)
{
  unsigned line = l->lineno;
  const struct ckey *k;
  struct quoted q;
  char *name = span(x->name_buf, l->name, l->name_len);
  char *value = span(x->value_buf, l->value, l->value_len);
  size_t i;

  if(!x->in_section) {
    add_error(x, line, "key '%s' before any [section]", quote(&q, name));
    return;
  }
  /* Unknown and malformed headers were reported on their own line. */
  if(!x->section)
    return;
  k = find_key(x->section, name);
  if(!k) {
    for(i = 0; i < NKEYS; i++)
      if(strcmp(keys[i].key, name) == 0)
        break;
    if(i < NKEYS)
      add_error(x, line, "unknown key '%s' in [%s] (it belongs in [%s])",
                name, x->section, keys[i].section);
    else
      add_error(x, line, "unknown key '%s' in [%s]", quote(&q, name),
                x->section);
    return;
  }
  i = (size_t)(k - keys);
  if(x->line_of[i] && !(k->flags & KF_REPEAT)) {
    add_error(x, line, "duplicate key '%s' (first set on line %u)", k->key,
              x->line_of[i]);
    return;
  }
  if(!x->line_of[i])
    x->line_of[i] = line;
  set_value(x, k, value, line);
}

static void read_text(struct pctx *x, const char *text, size_t len)
{
  struct ini_reader r;
  struct ini_line l;

  ini_init(&r, text, len, JAN_CONFIG_LINE_MAX,
           INI_INLINE_COMMENTS | INI_CONTROL_BYTES);
  while(ini_next(&r, &l)) {
    if(l.kind == INI_ERROR)
      line_error(x, &l);
    else if(l.kind == INI_SECTION)
      section_line(x, &l);
    else
      pair_line(x, &l);
  }
}

static unsigned line_of(const struct pctx *x, const char *key)
{
  size_t i;

  for(i = 0; i < NKEYS; i++)
    if(strcmp(keys[i].key, key) == 0)
      return x->line_of[i];
  return 0;
}

/* The switches for S3-compatible servers apply to endpoint_url alone: they
 * can never change what a sweep against AWS does. */
static void endpoint_checks(struct pctx *x)
{
  struct jan_config *c = x->c;
  int url = c->endpoint_url && c->endpoint_url[0];

  if(c->bucket_region && c->bucket_region[0]) {
    if(!url)
      add_error(x, line_of(x, "bucket_region"), "bucket_region needs "
                "endpoint_url (AWS tells each bucket's region itself)");
    else if(!untrusted_region(c->bucket_region, strlen(c->bucket_region)))
      add_error(x, line_of(x, "bucket_region"), "bucket_region: not a "
                "region (like us-east-1)");
  }
  if(!c->endpoint_accounts) {
    if(!url)
      add_error(x, line_of(x, "endpoint_accounts"), "endpoint_accounts = no "
                "needs endpoint_url (AWS always has accounts)");
    if(c->account_id[0] || c->naccounts)
      add_error(x, line_of(x, "endpoint_accounts"), "endpoint_accounts = no: "
                "no account can be verified there; remove account_id and "
                "the [account] sections");
  }
}

/* keep_tag: a tag key of 1..128 bytes (up to the first '='), and a value
 * of up to 256 bytes, as AWS allows them. */
static void keep_tag_check(struct pctx *x)
{
  const char *t = x->c->keep_tag;
  size_t key, value;
  if(!t || !t[0])
    return;
  key = strcspn(t, "=");
  value = t[key] ? strlen(t + key + 1) : 0;
  if(key == 0 || key > WIRE_TAG_KEY_MAX)
    add_error(x, line_of(x, "keep_tag"), "keep_tag: the tag key must be 1 "
              "to %u bytes", WIRE_TAG_KEY_MAX);
  else if(value > WIRE_TAG_VALUE_MAX)
    add_error(x, line_of(x, "keep_tag"), "keep_tag: the tag value must be "
              "at most %u bytes", WIRE_TAG_VALUE_MAX);
}

/* Checks across keys, once the whole file is read. */
static void cross_checks(struct pctx *x)
{
  struct jan_config *c = x->c;
  unsigned line;

  keep_tag_check(x);
  /* With [account] sections, each has its own account_id.  An endpoint
   * without accounts has none to give.  With [organization] and no
   * section, the [aws] account is not swept (config_org.c). */
  if(c->mode == JAN_MODE_DELETE && c->account_id[0] == '\0' &&
     !c->naccounts && c->endpoint_accounts && !c->org_role_name)
    add_error(x, line_of(x, "mode"),
              "account_id is required when mode = delete");
  endpoint_checks(x);
  account_checks(x);
  org_checks(x, line_of);
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
  int create = state && same_dir(path, state) ? FSAFE_DIR_PROBE : 0;

  jbuf_init(&msg, JAN_CONFIG_LINE_MAX);
  if(fsafe_check_dir_of(path, create, &msg))
    path_error(x, key, msg.len ? jbuf_str(&msg) : "out of memory");
  jbuf_free(&msg);
}

static void path_checks(struct pctx *x)
{
  const struct jan_config *c = x->c;

  if(c->ca_bundle) {
    struct jbuf msg;
    jbuf_init(&msg, JAN_CONFIG_LINE_MAX);
    if(fsafe_check_read(c->ca_bundle, HTTP_CA_BUNDLE_MAX, &msg))
      path_error(x, "ca_bundle", msg.len ? jbuf_str(&msg) : "out of memory");
    jbuf_free(&msg);
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
  account_free(c);
  for(i = 0; i < NKEYS; i++) {
    const struct ckey *k = &keys[i];
    if(k->flags & KF_ACCOUNT)
      continue;
    if(k->type == K_STRING) {
      char **f = field(c, k->off);
      free(*f);
      *f = NULL;
    }
    else if(k->type == K_REGIONS || k->type == K_GLOBS || k->type == K_IDS)
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
    if(!(keys[i].flags & KF_ACCOUNT))   /* no section, no default */
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
  read_text(x, text, len);
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
  struct jbuf why;
  char *text = NULL;
  size_t len = 0;
  int e, rc;

  jbuf_init(&why, JAN_CONFIG_LINE_MAX);
  rc = fsafe_read_file(path, CONFIG_FILE_MAX, 0, &text, &len, &e, &why);
  if(rc == JAN_ENOENT && errs)
    (void)jbuf_printf(errs, "%s: cannot open: %s\n", path, strerror(e));
  else if(rc && errs)
    (void)jbuf_printf(errs, "%s\n", jbuf_str(&why));
  jbuf_free(&why);
  if(rc)
    return rc == JAN_ETOOBIG ? JAN_ECONFIG : rc;
  free(c->path);
  c->path = strdup(path);
  if(!c->path) {
    rc = JAN_ENOMEM;
    goto out;
  }
  rc = load_string(c, path, text, len, flags, errs);
out:
  free(text);
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
  for(s = 0; s <= JAN_ARRAY_SIZE(sections); s++) {
    /* Last, [account NAME]: there is none unless one is written. */
    const char *sec = s < JAN_ARRAY_SIZE(sections) ? sections[s]
                                                   : ACCOUNT_SECTION;
    if(s < JAN_ARRAY_SIZE(sections))
      fprintf(f, "\n[%s]\n", sec);
    else
      fputs("\n# Several accounts: one section each (repeatable); without "
            "any, the\n# [aws] credentials' account alone is swept.\n"
            "#[account NAME]\n", f);
    for(i = 0; i < NKEYS; i++) {
      const struct ckey *k = &keys[i];
      char lo[32], hi[32];

      if(strcmp(k->section, sec) != 0)
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
