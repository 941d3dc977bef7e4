/*
 * Several accounts' metrics (metrics_accounts.h), from metrics.c's text:
 * each account's is formatted, then the families are merged in one text
 * (Prometheus wants a family's samples together, under one HELP and TYPE),
 * each account's samples labelled account="NAME".
 */
#include <stdio.h>
#include <string.h>

#include "janitor/state.h"
#include "metrics_accounts.h"

#define METRICS_ACCOUNT_MAX (1024u * 1024)

/* Families about the daemon, not about one sweep: once, unlabelled. */
static const char *const daemon_wide[] = {
  "remotion_janitor_deletions_total",
  "remotion_janitor_sweeps_total",
  "remotion_janitor_last_success_timestamp_seconds",
  "remotion_janitor_region_incomplete_sweeps",
  "remotion_janitor_buckets_incomplete_sweeps",
  "remotion_janitor_audit_failing",
  "remotion_janitor_audit_held_records",
  "remotion_janitor_state_unsaved",
};

static int is_daemon_wide(const char *name, size_t n)
{
  for(size_t i = 0; i < sizeof(daemon_wide) / sizeof(*daemon_wide); i++)
    if(strlen(daemon_wide[i]) == n && !memcmp(daemon_wide[i], name, n))
      return 1;
  return 0;
}

/* The metric name a line is about ("# HELP name ..." or a sample). */
static size_t line_name(const char *l, const char **name)
{
  size_t n = 0;
  if(!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7))
    l += 7;
  *name = l;
  while(l[n] && l[n] != ' ' && l[n] != '{' && l[n] != '\n')
    n++;
  return n;
}

/* Copy the lines of text about family (name, n): the comments when
 * comments is set, else the samples, labelled with account if not NULL. */
static int copy_family(struct jbuf *out, const char *text, const char *name,
                       size_t n, int comments, const char *account)
{
  int rc = JAN_OK;
  for(const char *l = text; *l && !rc;) {
    const char *end = strchr(l, '\n'), *ln;
    size_t len = end ? (size_t)(end - l) + 1 : strlen(l);
    size_t nn = line_name(l, &ln);
    int comment = l[0] == '#';

    if(nn == n && !memcmp(ln, name, n) && comment == comments) {
      if(!account)
        rc = jbuf_add(out, l, len);
      else if(l[n] == '{')
        rc = jbuf_printf(out, "%.*s{account=\"%s\",%.*s", (int)n, l, account,
                         (int)(len - n - 1), l + n + 1);
      else
        rc = jbuf_printf(out, "%.*s{account=\"%s\"}%.*s", (int)n, l, account,
                         (int)(len - n), l + n);
    }
    l += len;
  }
  return rc;
}

int metrics_accounts_format(struct jbuf *out, const struct accounts *as,
                            const struct metrics_counters *c)
{
  struct jbuf text[JAN_MAX_ACCOUNTS];
  int rc = JAN_OK;

  for(size_t i = 0; i < as->n; i++)
    jbuf_init(&text[i], METRICS_ACCOUNT_MAX);
  for(size_t i = 0; i < as->n && !rc; i++)
    rc = metrics_format(&text[i], &as->a[i].sw.inv, c, as->a[i].sw.exit_code);
  /* The families in the first account's order, from its HELP lines.  The
   * names of accounts are [A-Za-z0-9_.-]: no escaping needed. */
  for(const char *l = as->n ? jbuf_str(&text[0]) : ""; *l && !rc;) {
    const char *end = strchr(l, '\n'), *name;
    size_t n = line_name(l, &name);

    if(!strncmp(l, "# HELP ", 7)) {
      rc = copy_family(out, l, name, n, 1, NULL);
      if(is_daemon_wide(name, n))
        rc = rc ? rc : copy_family(out, jbuf_str(&text[0]), name, n, 0, NULL);
      for(size_t i = 0; !is_daemon_wide(name, n) && i < as->n && !rc; i++)
        rc = copy_family(out, jbuf_str(&text[i]), name, n, 0,
                         as->a[i].acct->name);
    }
    l = end ? end + 1 : l + strlen(l);
  }
  for(size_t i = 0; i < as->n; i++)
    jbuf_free(&text[i]);
  return rc ? JAN_ETOOBIG : JAN_OK;
}

int metrics_accounts_write(const char *path, const struct accounts *as,
                           const struct metrics_counters *c, struct jbuf *err)
{
  struct jbuf text;
  int rc;

  jbuf_init(&text, METRICS_ACCOUNT_MAX * 4);
  rc = metrics_accounts_format(&text, as, c);
  if(rc)
    jbuf_printf(err, "%s: the metrics do not fit in %u bytes", path,
                METRICS_ACCOUNT_MAX * 4);
  else
    rc = state_write_atomic(path, text.ptr ? text.ptr : "", text.len, 0644,
                            err);
  jbuf_free(&text);
  return rc;
}
