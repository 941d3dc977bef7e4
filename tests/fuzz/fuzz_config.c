/*
 * The config file parser (config_load_string).  It never crashes; every
 * error is one "NAME:LINE: message" line with LINE within the file (or
 * the one closing "NAME: N more errors not shown"); whatever it keeps is
 * within the bounds of the key table, errors or not; and a clean parse
 * means a config the daemon can run with.
 */
#include <stdbool.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/err.h"
#include "janitor/scope.h"

#define NAME "fuzz.conf"

static void check_errors(const char *errs, size_t len, size_t lines)
{
  const char *p = errs, *end = errs + len;
  size_t nl = strlen(NAME);

  while(p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *q;
    unsigned long line = 0;

    /* Every message ends with a newline and holds no other. */
    FUZZ_CHECK(eol != NULL);
    FUZZ_CHECK(!memchr(p, '\0', (size_t)(eol - p)));
    FUZZ_CHECK((size_t)(eol - p) > nl + 1 && !memcmp(p, NAME, nl) &&
               p[nl] == ':');
    q = p + nl + 1;
    if(*q == ' ') {
      /* Only the closing count is not tied to a line. */
      FUZZ_CHECK(strstr(q, " more errors not shown\n") != NULL);
    }
    else {
      FUZZ_CHECK(*q >= '1' && *q <= '9');
      while(*q >= '0' && *q <= '9' && line <= lines + 1)
        line = line * 10 + (unsigned long)(*q++ - '0');
      FUZZ_CHECK(line >= 1 && line <= lines + 1);
      FUZZ_CHECK(q[0] == ':' && q[1] == ' ' && q + 2 < eol);
    }
    p = eol + 1;
  }
}

static bool region_list_ok(const struct jan_config *c)
{
  if(c->nregions < 1 || c->nregions > JAN_MAX_REGIONS)
    return false;
  for(size_t i = 0; i < c->nregions; i++) {
    if(!c->regions[i] || !config_region_known(c->regions[i]))
      return false;
    for(size_t j = 0; j < i; j++)
      if(!strcmp(c->regions[i], c->regions[j]))
        return false;
  }
  return true;
}

static bool globs_ok(char *const *v, size_t n, bool narrow)
{
  if(n > JAN_MAX_GLOBS)
    return false;
  for(size_t i = 0; i < n; i++) {
    if(!v[i] || !v[i][0] || strpbrk(v[i], " \t"))
      return false;
    if(narrow && !scope_glob_narrows(v[i]))
      return false;
  }
  return true;
}

/* What holds of any config the parser hands back, errors or not: each key
 * keeps its default or a value that passed its checks. */
static void check_bounds(const struct jan_config *c)
{
  const char *acc = c->account_id;

  FUZZ_CHECK(FUZZ_FIELD_OK(c->account_id));
  FUZZ_CHECK(acc[0] == '\0' || strlen(acc) == 12);
  for(const char *p = acc; *p; p++)
    FUZZ_CHECK(*p >= '0' && *p <= '9');
  FUZZ_CHECK(region_list_ok(c));
  FUZZ_CHECK(c->max_attempts >= 1 && c->max_attempts <= 20);
  FUZZ_CHECK(c->connect_timeout_ms >= 1000 &&
             c->connect_timeout_ms <= 3600000);
  FUZZ_CHECK(c->request_timeout_ms >= 1000 &&
             c->request_timeout_ms <= 3600000);
  FUZZ_CHECK(c->concurrency >= 1 && c->concurrency <= 1024);
  FUZZ_CHECK(c->host_concurrency >= 1 && c->host_concurrency <= 256);
  FUZZ_CHECK(c->mode == JAN_MODE_REPORT || c->mode == JAN_MODE_DELETE);
  FUZZ_CHECK(c->min_age_s <= 3650ull * 86400);
  FUZZ_CHECK(c->grace_s <= 3650ull * 86400);
  FUZZ_CHECK(c->max_deletions <= 100000000);
  FUZZ_CHECK(c->keep_layer_versions <= 1000);
  FUZZ_CHECK(globs_ok(c->keep, c->nkeep, false));
  FUZZ_CHECK(globs_ok(c->include, c->ninclude, true));
  FUZZ_CHECK(c->interval_ms >= 1000 && c->interval_ms <= 365ull * 86400000);
  FUZZ_CHECK(c->jitter_ms <= 365ull * 86400000);
  FUZZ_CHECK(c->startup_delay_ms <= 86400000);
  FUZZ_CHECK(c->socket && c->socket[0]);
  FUZZ_CHECK(c->socket_mode <= 0777);
  FUZZ_CHECK(c->state_file && c->state_file[0]);
  FUZZ_CHECK(c->audit_log && c->audit_log[0]);
  FUZZ_CHECK(c->stop_timeout_ms <= 3600000);
  FUZZ_CHECK(FUZZ_OPT_STR(c->profile));
  FUZZ_CHECK(FUZZ_OPT_STR(c->endpoint_url));
  FUZZ_CHECK(FUZZ_OPT_STR(c->ca_bundle));
  FUZZ_CHECK(FUZZ_OPT_STR(c->metrics_file));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct jan_config c;
  struct jbuf errs, errs2;
  size_t lines = 1;
  char *text = fuzz_dup(data, size);
  int rc, rc2;

  for(size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  FUZZ_CHECK(config_defaults(&c) == JAN_OK);
  jbuf_init(&errs, 16u << 20);
  rc = config_load_string(&c, NAME, text, size, &errs);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_ECONFIG);
  FUZZ_CHECK((rc == JAN_OK) == (errs.len == 0));
  check_errors(jbuf_str(&errs), errs.len, lines);
  check_bounds(&c);
  if(rc == JAN_OK) {
    /* The checks across keys passed. */
    FUZZ_CHECK(c.host_concurrency <= c.concurrency);
    /* Deleting needs the account: [aws]'s, or every section's (and no
     * two sections share one). */
    FUZZ_CHECK(c.mode != JAN_MODE_DELETE || c.account_id[0] != '\0' ||
               c.naccounts);
    for(size_t i = 0; i < c.naccounts; i++) {
      FUZZ_CHECK(c.mode != JAN_MODE_DELETE ||
                 c.accounts[i].account_id[0] != '\0');
      for(size_t j = 0; j < i && c.accounts[i].account_id[0]; j++)
        FUZZ_CHECK(strcmp(c.accounts[i].account_id,
                          c.accounts[j].account_id) != 0);
    }
  }
  config_free(&c);

  /* The same text, the same answer. */
  FUZZ_CHECK(config_defaults(&c) == JAN_OK);
  jbuf_init(&errs2, 16u << 20);
  rc2 = config_load_string(&c, NAME, text, size, &errs2);
  FUZZ_CHECK(rc2 == rc);
  FUZZ_CHECK(errs2.len == errs.len &&
             !memcmp(jbuf_str(&errs2), jbuf_str(&errs), errs.len));
  config_free(&c);
  jbuf_free(&errs2);
  jbuf_free(&errs);
  free(text);
  return 0;
}
