/*
 * The accounts a run sweeps (account_list.h): one table decides what
 * becomes of a member of the organization, one hash which shard an
 * account is in; the list is built from both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account_list.h"

#define FNV64_OFFSET 14695981039346656037ull
#define FNV64_PRIME  1099511628211ull

const struct jan_account *accounts_of_config(const struct jan_config *cfg,
                                             struct jan_account *implicit,
                                             size_t *n)
{
  static char name[] = ACCOUNTS_DEFAULT_NAME;

  if(cfg->naccounts) {
    *n = cfg->naccounts;
    return cfg->accounts;
  }
  memset(implicit, 0, sizeof(*implicit));
  implicit->name = name;
  memcpy(implicit->account_id, cfg->account_id,
         sizeof(implicit->account_id));
  *n = 1;
  return implicit;
}

uint64_t shard_hash(const char *account_id)
{
  uint64_t h = FNV64_OFFSET;

  for(const unsigned char *p = (const unsigned char *)account_id; *p; p++) {
    h ^= *p;
    h *= FNV64_PRIME;
  }
  return h;
}

unsigned shard_of_account(const char *account_id, unsigned n)
{
  return n ? (unsigned)(shard_hash(account_id) % n) + 1 : 0;
}

/*
 * The decision, first match wins: a section of its own, then the
 * management account, then the status, then the exclusions.  A section
 * wins over everything (it is swept as written, even when excluded or the
 * management account); a member that is not ACTIVE is skipped before an
 * exclusion is even looked at (it could not be swept anyway).
 */
enum org_test { T_SECTION, T_MANAGEMENT, T_SUSPENDED, T_NOT_ACTIVE,
                T_EXCLUDED };

static const struct {
  enum org_test test;
  enum org_fate fate;
} fate_table[] = {
  { T_SECTION, ORG_SECTION },
  { T_MANAGEMENT, ORG_MANAGEMENT },
  { T_SUSPENDED, ORG_SUSPENDED },
  { T_NOT_ACTIVE, ORG_NOT_ACTIVE },
  { T_EXCLUDED, ORG_EXCLUDED },
};

static int has_section(const struct jan_config *cfg, const char *id)
{
  for(size_t i = 0; i < cfg->naccounts; i++)
    if(!strcmp(cfg->accounts[i].account_id, id))
      return 1;
  return 0;
}

static int excluded(const struct jan_config *cfg, const char *id)
{
  for(size_t i = 0; i < cfg->norg_exclude; i++)
    if(!strcmp(cfg->org_exclude[i], id))
      return 1;
  return 0;
}

static int test_holds(enum org_test t, const struct jan_config *cfg,
                      const char *management, const struct org_member *m)
{
  switch(t) {
  case T_SECTION:
    return has_section(cfg, m->id);
  case T_MANAGEMENT:
    return management && !strcmp(management, m->id);
  case T_SUSPENDED:
    return m->status == WIRE_ORG_SUSPENDED;
  case T_NOT_ACTIVE:
    return m->status != WIRE_ORG_ACTIVE;
  case T_EXCLUDED:
    return excluded(cfg, m->id);
  }
  return 0;
}

enum org_fate org_fate_of(const struct jan_config *cfg,
                          const char *management,
                          const struct org_member *m)
{
  for(size_t i = 0; i < sizeof(fate_table) / sizeof(fate_table[0]); i++)
    if(test_holds(fate_table[i].test, cfg, management, m))
      return fate_table[i].fate;
  return ORG_SWEEP;
}

const char *org_fate_name(enum org_fate f)
{
  static const char *const names[] = {
    "swept", "own section", "management account", "excluded", "suspended",
    "not active"
  };
  return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

/* ---- the list --------------------------------------------------------- */

void account_list_free(struct account_list *al)
{
  /* Only the members' names and role ARNs are owned (a section's fields
   * are the config's). */
  for(size_t i = 0; i < al->n; i++)
    if(al->titles && al->titles[i])
      free(al->v[i].role_arn);
  free(al->v);
  free(al->titles);
  free(al->skipped);
  memset(al, 0, sizeof(*al));
}

/* Append a (shallow copy) with its title (NULL: one of the config's
 * accounts; else a member's Name, "" without one); 0 or JAN_ENOMEM. */
static int push(struct account_list *al, size_t *cap,
                const struct jan_account *a, const char *title)
{
  if(al->n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    void *v = realloc(al->v, c * sizeof(*al->v));
    void *t;
    if(!v)
      return JAN_ENOMEM;
    al->v = v;
    t = realloc(al->titles, c * sizeof(*al->titles));
    if(!t)
      return JAN_ENOMEM;
    al->titles = t;
    *cap = c;
  }
  al->v[al->n] = *a;
  al->titles[al->n] = title;
  al->n++;
  return JAN_OK;
}

static int keep_shard(const struct jan_config *cfg, const char *id)
{
  return !cfg->shard_count ||
         shard_of_account(id, cfg->shard_count) == cfg->shard_index;
}

int account_list_build(struct account_list *al, const struct jan_config *cfg,
                       const struct org_listing *l)
{
  size_t cap = 0, n;
  const struct jan_account *base;
  int rc = JAN_OK;

  memset(al, 0, sizeof(*al));
  /* With an organization and no section, the [aws] credentials are the
   * management account's: not an account of the run by themselves. */
  if(l && !cfg->naccounts)
    base = NULL, n = 0;
  else
    base = accounts_of_config(cfg, &al->implicit, &n);
  al->configured = n;
  for(size_t i = 0; i < n && !rc; i++) {
    if(!keep_shard(cfg, base[i].account_id)) {
      al->other_shards++;
      continue;
    }
    /* The implicit account is al's own copy: point at it. */
    rc = push(al, &cap, base == &al->implicit ? &al->implicit : &base[i],
              NULL);
  }
  if(!l || rc)
    return rc;

  if(l->n) {
    al->skipped = calloc(l->n, sizeof(*al->skipped));
    if(!al->skipped)
      return JAN_ENOMEM;
  }
  for(size_t i = 0; i < l->n && !rc; i++) {
    const struct org_member *m = &l->v[i];
    enum org_fate f = org_fate_of(cfg, l->management, m);
    struct jan_account a;
    size_t len;

    if(f == ORG_SECTION)
      continue;                 /* it is in the list already, as written */
    if(f != ORG_SWEEP) {
      struct org_skipped *s = &al->skipped[al->nskipped++];
      memcpy(s->id, m->id, sizeof(s->id));
      s->name = m->name;
      s->fate = f;
      continue;
    }
    if(!keep_shard(cfg, m->id)) {
      al->other_shards++;
      continue;
    }
    memset(&a, 0, sizeof(a));
    memcpy(a.account_id, m->id, sizeof(a.account_id));
    len = strlen("arn:aws:iam::") + 12 + strlen(":role/") +
          strlen(cfg->org_role_name) + 1;
    a.role_arn = malloc(len);
    if(!a.role_arn)
      return JAN_ENOMEM;
    snprintf(a.role_arn, len, "arn:aws:iam::%s:role/%s", m->id,
             cfg->org_role_name);
    a.external_id = cfg->org_external_id;
    rc = push(al, &cap, &a, m->name ? m->name : "");
    if(rc) {
      free(a.role_arn);
      return rc;
    }
    al->discovered++;
  }
  /* A member is named by its id: once the list has stopped moving, each
   * name points at its own entry's. */
  for(size_t i = 0; i < al->n; i++)
    if(al->titles[i])
      al->v[i].name = al->v[i].account_id;
  return rc;
}
