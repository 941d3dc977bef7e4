/*
 * [organization] (remotion-janitor.conf(5), ORGANIZATION) and [daemon]
 * shard: their value types (lists of ids, I/N) and the checks across the
 * section's keys.  The keys themselves are in config.c's table.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "janitor/wire.h"

#define ROLE_NAME_MAX 64

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

/* An IAM role name: 1..64 of A-Z a-z 0-9 and + = , . @ _ - (IAM's
 * [\w+=,.@-]+). */
static bool role_name_ok(const char *s)
{
  size_t n = strlen(s);

  if(!n || n > ROLE_NAME_MAX)
    return false;
  for(; *s; s++)
    if(!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
         ('0' <= *s && *s <= '9') || strchr("+=,.@_-", *s)))
      return false;
  return true;
}

void org_checks(struct pctx *x, unsigned (*line_of)(const struct pctx *x,
                                                     const char *key))
{
  struct jan_config *c = x->c;
  struct quoted q;
  unsigned line = line_of(x, "role_name");

  if(!c->org_role_name) {
    if(c->org_external_id || c->norg_exclude || c->norg_ous)
      add_error(x, line_of(x, c->norg_ous ? "ous" : c->norg_exclude
                           ? "exclude_accounts" : "role_name"),
                "[organization]: role_name is required to list an "
                "organization");
    return;
  }
  if(!role_name_ok(c->org_role_name))
    add_error(x, line, "role_name: '%s' is not a role name (1 to %d of "
              "A-Z a-z 0-9 + = , . @ _ -)", quote(&q, c->org_role_name),
              ROLE_NAME_MAX);
  if(!c->endpoint_accounts)
    add_error(x, line, "[organization]: endpoint_accounts = no: a server "
              "without accounts has no organization");
}
