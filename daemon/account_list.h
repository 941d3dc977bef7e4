/*
 * The accounts a run sweeps (remotion-janitor.conf(5), ORGANIZATION and
 * SHARDS): the config's own (accounts_of_config: its [account] sections,
 * or the implicit "default"), then, with [organization], each member the
 * listing found that no decision below leaves out, then only those of the
 * run's shard.  Pure: no I/O, the listing is given.
 */
#ifndef JANITOR_DAEMON_ACCOUNT_LIST_H
#define JANITOR_DAEMON_ACCOUNT_LIST_H

#include <stdint.h>

#include "janitor/config.h"
#include "janitor/organizations.h"

/* The name of the implicit account of a config without sections. */
#define ACCOUNTS_DEFAULT_NAME "default"

/*
 * The accounts of cfg, the one place the list is built: its sections, else
 * the one implicit account of the [aws] credentials, filled in *implicit
 * (its account_id is [aws]'s) and named "default".  *n of them, >= 1.
 */
const struct jan_account *accounts_of_config(const struct jan_config *cfg,
                                             struct jan_account *implicit,
                                             size_t *n);
/* What becomes of one member of the organization: the one decision,
 * org_fate_of(), from the table in account_list.c. */
enum org_fate {
  ORG_SWEEP = 0,        /* swept as if it had an [account] section */
  ORG_SECTION,          /* an [account] section of its id: that one wins */
  ORG_MANAGEMENT,       /* the management account, without a section */
  ORG_EXCLUDED,         /* in exclude_accounts */
  ORG_SUSPENDED,        /* Status SUSPENDED: skipped, not an error */
  ORG_NOT_ACTIVE        /* PENDING_CLOSURE or a status unknown here */
};
/* "swept", "own section", "management account", "excluded", "suspended",
 * "not active". */
const char *org_fate_name(enum org_fate f);
enum org_fate org_fate_of(const struct jan_config *cfg,
                          const char *management,
                          const struct org_member *m);

/*
 * The shard of an account: FNV-1a 64 (offset basis 14695981039346656037,
 * prime 1099511628211) over the 12 ASCII digits of its id, modulo n, plus
 * one: 1..n.  Fixed for ever (a change would move accounts between
 * daemons).  n 0: 0.
 */
uint64_t shard_hash(const char *account_id);
unsigned shard_of_account(const char *account_id, unsigned n);

/* A member left out, for the outputs (listed as skipped). */
struct org_skipped {
  char id[13];
  char *name;                   /* the listing's Name (owned), or NULL */
  enum org_fate fate;
};

struct account_list {
  struct jan_account *v;        /* the run's accounts: sections in file
                                   order (or "default"), then members in
                                   the order listed; those of another
                                   shard left out */
  size_t n;
  size_t configured;            /* the config's accounts (sections, or 1
                                   without) before the shard */
  size_t discovered;            /* members of the listing swept */
  size_t other_shards;          /* left out by the shard */
  struct org_skipped *skipped;  /* members left out by org_fate_of */
  size_t nskipped;
  char **titles;                /* per v[i]: the member's Name ("" without
                                   one; owned), or NULL: a config's
                                   account */
  struct jan_account implicit;  /* "default" */
  size_t cap, skipped_cap;
  char (*seen)[13];             /* members added, by hash (open
                                   addressing): each id once */
  size_t seen_cap, nseen;
};

/*
 * A list that grows while the organization is listed: account_list_begin()
 * puts the config's accounts in (without sections and with an
 * organization, none: the [aws] credentials are the management
 * account's), account_list_add() each page's members as they come
 * (management: the management account's id, or NULL), each id once.  A
 * member's strings (name = its id, role_arn, title) are owned and never
 * move: a copy of v[i] stays valid while the list lives.  JAN_OK or
 * JAN_ENOMEM; account_list_free() in every case.
 */
int account_list_begin(struct account_list *al, const struct jan_config *cfg,
                       int organization);
int account_list_add(struct account_list *al, const struct jan_config *cfg,
                     const char *management, const struct org_member *m,
                     size_t n);
/*
 * The same at once from cfg and a whole listing (NULL: no organization).
 * Role ARNs are arn:aws:iam::ID:role/ROLE_NAME (the aws partition, as
 * every endpoint here).
 */
int account_list_build(struct account_list *al, const struct jan_config *cfg,
                       const struct org_listing *l);
void account_list_free(struct account_list *al);

#endif
