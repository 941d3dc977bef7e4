/*
 * The state in memory (state.h): each account's grace clocks, sorted for
 * look-up, and the accounts of the file.  The file format is in
 * state_json.c; files, directories and the lock in state_files.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "state_int.h"

void state_init(struct state *st)
{
  memset(st, 0, sizeof(*st));
}

void state_free(struct state *st)
{
  for(size_t i = 0; i < st->n; i++)
    free(st->clocks[i].key);
  free(st->clocks);
  json_object_put(st->last_sweep);
  for(size_t i = 0; i < st->naccounts; i++) {
    state_free(&st->accounts[i]->st);
    free(st->accounts[i]);
  }
  free(st->accounts);
  state_init(st);
}

/* ---- Clocks ---- */

/* Index of key, or of the place where it would be inserted (*found 0). */
static size_t clock_find(const struct state *st, const char *key, int *found)
{
  size_t lo = 0, hi = st->n;

  while(lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(st->clocks[mid].key, key);
    if(c == 0) {
      *found = 1;
      return mid;
    }
    if(c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = 0;
  return lo;
}

int64_t state_clock_get(const struct state *st, const char *key)
{
  int found;
  size_t i;

  JAN_REQUIRE(st && key);
  i = clock_find(st, key, &found);
  return found ? st->clocks[i].since : -1;
}

int state_clock_set(struct state *st, const char *key, int64_t since)
{
  int found;
  size_t i;
  char *k;

  JAN_REQUIRE(st && key);
  /* What could not be loaded back must not be saved. */
  if(!*key || since < 0 || since > STATE_CLOCK_MAX)
    return JAN_EINVAL;
  i = clock_find(st, key, &found);
  if(found) {
    st->clocks[i].since = since;
    return JAN_OK;
  }
  if(st->n == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    struct state_clock *c;
    if(cap > SIZE_MAX / sizeof(*c))
      return JAN_ENOMEM;
    c = realloc(st->clocks, cap * sizeof(*c));
    if(!c)
      return JAN_ENOMEM;
    st->clocks = c;
    st->cap = cap;
  }
  k = strdup(key);
  if(!k)
    return JAN_ENOMEM;
  memmove(st->clocks + i + 1, st->clocks + i,
          (st->n - i) * sizeof(*st->clocks));
  st->clocks[i].key = k;
  st->clocks[i].since = since;
  st->n++;
  return JAN_OK;
}

void state_set_last_sweep(struct state *st, struct json_object *obj)
{
  JAN_REQUIRE(st);
  json_object_put(st->last_sweep);
  st->last_sweep = obj;
}

int state_key(struct jbuf *out, const char *type, const char *region,
              const char *name, int64_t version)
{
  JAN_REQUIRE(out && type && region && name);
  return jbuf_printf(out, "%s|%s|%s|%" PRId64, type, region, name, version);
}

/* ---- Accounts ---- */

int state_account_id_ok(const char *id)
{
  size_t n = 0;
  for(; id[n]; n++)
    if(id[n] < '0' || id[n] > '9')
      return 0;
  return n == STATE_ACCOUNT_ID_LEN;
}

/* The entry of id in root, or NULL. */
static struct state_account *account_find(const struct state *root,
                                          const char *id)
{
  for(size_t i = 0; i < root->naccounts; i++)
    if(!strcmp(root->accounts[i]->id, id))
      return root->accounts[i];
  return NULL;
}

const struct state *state_account_get(const struct state *root,
                                      const char *id)
{
  const struct state_account *a;
  JAN_REQUIRE(root && id);
  a = account_find(root, id);
  return a ? &a->st : NULL;
}

struct state_account *state_account_add(struct state *root, const char *id)
{
  struct state_account **v, *a;

  if(!state_account_id_ok(id) || account_find(root, id))
    return NULL;
  /* Entries are pointers: a sweep keeps its own while others are added. */
  v = realloc(root->accounts, (root->naccounts + 1) * sizeof(*v));
  if(!v)
    return NULL;
  root->accounts = v;
  a = calloc(1, sizeof(*a));
  if(!a)
    return NULL;
  memcpy(a->id, id, STATE_ACCOUNT_ID_LEN + 1);
  state_init(&a->st);
  root->accounts[root->naccounts++] = a;
  return a;
}

int state_claim(struct state *root, const char *id, int adopt,
                struct state **out)
{
  struct state_account *a;

  JAN_REQUIRE(root && id && out);
  *out = NULL;
  if(!state_account_id_ok(id))
    return JAN_EINVAL;
  a = account_find(root, id);
  if(a && a->claimed)
    return JAN_EBUSY;
  if(!a && !(a = state_account_add(root, id)))
    return JAN_ENOMEM;
  /* A file from before accounts: its clocks were this account's if it is
   * the only one swept.  With several, nobody can tell whose they were;
   * they stay unattributed (kept in the file), and those graces start
   * again, which can only lengthen them. */
  if(adopt && !a->st.n && !a->st.last_sweep && (root->n || root->last_sweep)) {
    a->st.clocks = root->clocks;
    a->st.n = root->n;
    a->st.cap = root->cap;
    a->st.last_sweep = root->last_sweep;
    root->clocks = NULL;
    root->n = root->cap = 0;
    root->last_sweep = NULL;
  }
  a->claimed = 1;
  *out = &a->st;
  return JAN_OK;
}
