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
  /* A member's strings are owned (a section's fields are the config's). */
  for(size_t i = 0; i < al->n; i++)
    if(al->titles && al->titles[i]) {
      free(al->v[i].role_arn);
      free(al->v[i].name);
      free(al->titles[i]);
    }
  for(size_t i = 0; i < al->nskipped; i++)
    free(al->skipped[i].name);
  free(al->v);
  free(al->titles);
  free(al->skipped);
  free(al->seen);
  memset(al, 0, sizeof(*al));
}

/* Append a (shallow copy) with its title (NULL: one of the config's
 * accounts; else a member's Name); 0 or JAN_ENOMEM. */
static int push(struct account_list *al, const struct jan_account *a,
                char *title)
{
  if(al->n == al->cap) {
    size_t c = al->cap ? al->cap * 2 : 16;
    void *v = realloc(al->v, c * sizeof(*al->v));
    void *t;
    if(!v)
      return JAN_ENOMEM;
    al->v = v;
    t = realloc(al->titles, c * sizeof(*al->titles));
    if(!t)
      return JAN_ENOMEM;
    al->titles = t;
    al->cap = c;
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

/* 1 when id was seen before (it is recorded now if not), -1: no memory. */
static int seen_before(struct account_list *al, const char *id)
{
  size_t mask, h;

  if((al->nseen + 1) * 2 > al->seen_cap) {
    size_t cap = al->seen_cap ? al->seen_cap * 2 : 64;
    char (*v)[13] = calloc(cap, sizeof(*v));
    if(!v)
      return -1;
    for(size_t i = 0; i < al->seen_cap; i++) {
      if(!al->seen[i][0])
        continue;
      h = (size_t)shard_hash(al->seen[i]) & (cap - 1);
      while(v[h][0])
        h = (h + 1) & (cap - 1);
      memcpy(v[h], al->seen[i], sizeof(v[h]));
    }
    free(al->seen);
    al->seen = v;
    al->seen_cap = cap;
  }
  mask = al->seen_cap - 1;
  for(h = (size_t)shard_hash(id) & mask; al->seen[h][0]; h = (h + 1) & mask)
    if(!strcmp(al->seen[h], id))
      return 1;
  snprintf(al->seen[h], sizeof(al->seen[h]), "%s", id);
  al->nseen++;
  return 0;
}

int account_list_begin(struct account_list *al, const struct jan_config *cfg,
                       int organization)
{
  size_t n;
  const struct jan_account *base;
  int rc = JAN_OK;

  memset(al, 0, sizeof(*al));
  /* With an organization and no section, the [aws] credentials are the
   * management account's: not an account of the run by themselves. */
  if(organization && !cfg->naccounts)
    base = NULL, n = 0;
  else
    base = accounts_of_config(cfg, &al->implicit, &n);
  al->configured = n;
  for(size_t i = 0; i < n && !rc; i++) {
    if(!keep_shard(cfg, base[i].account_id)) {
      al->other_shards++;
      continue;
    }
    rc = push(al, &base[i], NULL);
  }
  return rc;
}

static int skip(struct account_list *al, const struct org_member *m,
                enum org_fate f)
{
  struct org_skipped *s;

  if(al->nskipped == al->skipped_cap) {
    size_t c = al->skipped_cap ? al->skipped_cap * 2 : 16;
    void *v = realloc(al->skipped, c * sizeof(*al->skipped));
    if(!v)
      return JAN_ENOMEM;
    al->skipped = v;
    al->skipped_cap = c;
  }
  s = &al->skipped[al->nskipped];
  memcpy(s->id, m->id, sizeof(s->id));
  s->name = m->name ? strdup(m->name) : NULL;
  if(m->name && !s->name)
    return JAN_ENOMEM;
  s->fate = f;
  al->nskipped++;
  return JAN_OK;
}

static int add_member(struct account_list *al, const struct jan_config *cfg,
                      const struct org_member *m)
{
  struct jan_account a;
  char *title;
  size_t len;

  memset(&a, 0, sizeof(a));
  memcpy(a.account_id, m->id, sizeof(a.account_id));
  len = strlen("arn:aws:iam::") + 12 + strlen(":role/") +
        strlen(cfg->org_role_name) + 1;
  a.role_arn = malloc(len);
  a.name = strdup(m->id);       /* a member is named by its id */
  title = strdup(m->name ? m->name : "");
  if(a.role_arn)
    snprintf(a.role_arn, len, "arn:aws:iam::%s:role/%s", m->id,
             cfg->org_role_name);
  a.external_id = cfg->org_external_id;
  if(!a.role_arn || !a.name || !title || push(al, &a, title)) {
    free(a.role_arn);
    free(a.name);
    free(title);
    return JAN_ENOMEM;
  }
  al->discovered++;
  return JAN_OK;
}

int account_list_add(struct account_list *al, const struct jan_config *cfg,
                     const char *management, const struct org_member *v,
                     size_t n)
{
  int rc = JAN_OK;

  for(size_t i = 0; i < n && !rc; i++) {
    const struct org_member *m = &v[i];
    enum org_fate f = org_fate_of(cfg, management, m);
    int seen = seen_before(al, m->id);

    if(seen < 0)
      return JAN_ENOMEM;
    if(seen || f == ORG_SECTION)
      continue;                 /* in the list already (as written) */
    if(f != ORG_SWEEP)
      rc = skip(al, m, f);
    else if(!keep_shard(cfg, m->id))
      al->other_shards++;
    else
      rc = add_member(al, cfg, m);
  }
  return rc;
}

int account_list_build(struct account_list *al, const struct jan_config *cfg,
                       const struct org_listing *l)
{
  int rc = account_list_begin(al, cfg, l != NULL);

  if(!rc && l)
    rc = account_list_add(al, cfg, l->management, l->v, l->n);
  return rc;
}
