/*
 * [organization] (remotion-janitor.conf(5), ORGANIZATION): the checks
 * across the section's keys.  The keys are in config.c's table, their
 * value types (lists of ids, [daemon] shard's I/N) in config_set.c.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define ROLE_NAME_MAX 64

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
                           ? "exclude_accounts" : "external_id"),
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
