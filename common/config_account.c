/*
 * [account NAME] sections (remotion-janitor.conf(5), ACCOUNTS): the
 * header, and the checks across an account's keys.  The keys themselves
 * are in config.c's table (flag KF_ACCOUNT) and set by config_set.c.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* A name: 1 to JAN_ACCOUNT_NAME_MAX of A-Z a-z 0-9 - _ . */
static bool name_ok(const char *s)
{
  size_t n = strlen(s);
  if(!n || n > JAN_ACCOUNT_NAME_MAX)
    return false;
  for(; *s; s++)
    if(!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
         ('0' <= *s && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
      return false;
  return true;
}

bool account_header(struct pctx *x, const char *name, unsigned line,
                    const struct ckey *keys, size_t nkeys)
{
  struct jan_config *c = x->c;
  const size_t kw = strlen(ACCOUNT_SECTION);
  struct quoted q;
  struct jan_account *a;
  const char *n;

  if(strncmp(name, ACCOUNT_SECTION, kw) != 0 ||
     (name[kw] && name[kw] != ' ' && name[kw] != '\t'))
    return false;
  x->section = NULL;
  x->account = NULL;
  for(n = name + kw; *n == ' ' || *n == '\t'; n++)
    ;
  if(!*n) {
    add_error(x, line, "[account] needs a name: [account NAME]");
    return true;
  }
  if(!name_ok(n)) {
    add_error(x, line, "[account %s]: a name is 1 to %d of A-Z a-z 0-9 - _ .",
              quote(&q, n), JAN_ACCOUNT_NAME_MAX);
    return true;
  }
  for(size_t i = 0; i < c->naccounts; i++) {
    if(!strcmp(c->accounts[i].name, n)) {
      add_error(x, line, "duplicate section [account %s] (first on line %u)",
                n, c->accounts[i].line);
      return true;
    }
  }
  a = realloc(c->accounts, (c->naccounts + 1) * sizeof(*a));
  if(!a) {
    x->enomem = true;
    return true;
  }
  c->accounts = a;
  a = &c->accounts[c->naccounts];
  memset(a, 0, sizeof(*a));
  a->name = strdup(n);
  if(!a->name) {
    x->enomem = true;
    return true;
  }
  a->line = line;
  c->naccounts++;
  x->account = a;
  x->section = ACCOUNT_SECTION;
  /* Each section sets its keys once. */
  for(size_t i = 0; i < nkeys; i++)
    if(keys[i].flags & KF_ACCOUNT)
      x->line_of[i] = 0;
  return true;
}

#define ACCOUNT_ID_LEN 12

/* The account of a role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME) into
 * out[ACCOUNT_ID_LEN + 1]; false when it is not one. */
static bool role_arn_account(const char *arn, char *out)
{
  static const char iam[] = ":iam::", role[] = ":role/";
  const char *p = arn;
  size_t n;

  if(strncmp(p, "arn:", 4) != 0)
    return false;
  p = strchr(p + 4, ':');
  if(!p || strncmp(p, iam, strlen(iam)) != 0)
    return false;
  p += strlen(iam);
  for(n = 0; p[n] >= '0' && p[n] <= '9'; n++)
    ;
  if(n != ACCOUNT_ID_LEN || strncmp(p + n, role, strlen(role)) != 0 ||
     !p[n + strlen(role)])
    return false;
  memcpy(out, p, n);
  out[n] = '\0';
  return true;
}

void account_checks(struct pctx *x)
{
  struct jan_config *c = x->c;
  struct quoted q;

  for(size_t i = 0; i < c->naccounts; i++) {
    const struct jan_account *a = &c->accounts[i];
    unsigned line = a->line;
    char id[ACCOUNT_ID_LEN + 1];

    if(a->role_arn && a->profile)
      add_error(x, line, "[account %s]: role_arn and profile exclude each "
                "other", a->name);
    if(a->external_id && !a->role_arn)
      add_error(x, line, "[account %s]: external_id goes with role_arn",
                a->name);
    if(a->role_arn && !role_arn_account(a->role_arn, id))
      add_error(x, line, "[account %s]: role_arn '%s' is not a role ARN "
                "(arn:aws:iam::ACCOUNT:role/NAME)", a->name,
                quote(&q, a->role_arn));
    else if(a->role_arn && a->account_id[0] && strcmp(id, a->account_id))
      add_error(x, line, "[account %s]: role_arn is in account %s, "
                "account_id is %s", a->name, id, a->account_id);
    if(c->mode == JAN_MODE_DELETE && !a->account_id[0])
      add_error(x, line, "[account %s]: account_id is required when mode = "
                "delete", a->name);
    /* Two sections of one account would race for its grace clocks. */
    for(size_t j = 0; a->account_id[0] && j < i; j++)
      if(!strcmp(c->accounts[j].account_id, a->account_id)) {
        add_error(x, line, "[account %s]: account_id %s is also that of "
                  "[account %s] (line %u): one section per account",
                  a->name, a->account_id, c->accounts[j].name,
                  c->accounts[j].line);
        break;
      }
  }
}

void account_free(struct jan_config *c)
{
  for(size_t i = 0; i < c->naccounts; i++) {
    struct jan_account *a = &c->accounts[i];
    free(a->name);
    free(a->role_arn);
    if(a->external_id)
      explicit_bzero(a->external_id, strlen(a->external_id));
    free(a->external_id);
    free(a->profile);
    free_list(a->regions, &a->nregions);
  }
  free(c->accounts);
  c->accounts = NULL;
  c->naccounts = 0;
}
