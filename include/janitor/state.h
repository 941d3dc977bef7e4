/*
 * The state file (remotion-janitor(8), FILES): grace clocks and the last
 * sweep of each account, kept as JSON, written atomically (temporary file, fsync, rename, fsync of the
 * directory), never through a symbolic link.  An unreadable or corrupt
 * file is reported, kept aside as FILE.corrupt-<epoch>, and treated as
 * empty, which can only lengthen a grace, never shorten it.
 *
 * Also the sweep lock: one sweep at a time per state file, across
 * processes (flock on FILE.lock).
 */
#ifndef JANITOR_STATE_H
#define JANITOR_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "janitor/buf.h"

#define STATE_MAX_BYTES (64u * 1024 * 1024)

struct state_clock {
  char *key;                    /* "type|region|name|version", in the
                                   state's keys (not to be freed alone) */
  int64_t since;                /* first seen as a candidate (epoch s) */
};

struct state_account;
struct state_keys;              /* the clock keys' storage (state.c) */

/*
 * The clocks and the last sweep of one account, and, in the state file's
 * root, its accounts.  Grace clocks are kept per account (Remotion's names
 * are the same in every account): the root's own clocks and last_sweep
 * are those of no known account, from a file written before accounts
 * existed (version 1), until a sweep takes them over (state_claim()).
 */
struct state {
  struct state_clock *clocks;   /* sorted by key */
  size_t n, cap;
  struct state_keys *keys;      /* the keys' bytes, in blocks (owned) */
  const struct state *lender;   /* or NULL: a key set here that it holds
                                   shares its bytes (state_take_over()) */
  struct json_object *last_sweep;  /* owned, or NULL */
  int64_t first_sweep;          /* when this account was first swept (epoch
                                   s; policy_clock_check()); 0: no record */
  struct state_account **accounts; /* the root's only; by id, owned */
  size_t naccounts;
};

/* One account's entry in the file. */
struct state_account {
  char id[13];                  /* 12 digits */
  int claimed;                  /* a sweep of this run uses it (not saved) */
  struct state st;
};

void state_init(struct state *st);
void state_free(struct state *st);

/*
 * Load path into st (which must be empty).  A missing file is JAN_OK and
 * empty.  A corrupt or unreadable one: renamed aside when possible, a
 * warning appended to warn ("FILE: ... kept as FILE.corrupt-N; starting
 * empty"), st empty, and JAN_OK: the caller goes on.  JAN_EIO only when the
 * directory itself is unusable (e.g. world-writable: refused, see below)
 * or when path is a symbolic link (tampering: neither followed nor moved);
 * JAN_ENOMEM when memory ran out (the file is left in place).  Warnings
 * are appended as lines separated by '\n'.
 */
int state_load(struct state *st, const char *path, struct jbuf *warn);
/*
 * Atomic write; refuses a world-writable directory or a symlinked file.
 * JAN_EIO (reason in err), JAN_ETOOBIG (over STATE_MAX_BYTES: it could not
 * be loaded back) or JAN_ENOMEM; PATH is then as it was.
 */
int state_save(const struct state *st, const char *path, struct jbuf *err);

/*
 * Write data to path atomically, as state_save() does (temporary file in
 * the same directory, fsync, rename, fsync of the directory; never through
 * a symbolic link, never into a world-writable directory); the file gets
 * mode whatever the umask.  Also used for the metrics textfile.
 */
int state_write_atomic(const char *path, const void *data, size_t len,
                       unsigned mode, struct jbuf *err);

/* The clock for key, or -1. */
int64_t state_clock_get(const struct state *st, const char *key);
/* Set (insert or replace) the clock for key; JAN_EINVAL for an empty key
   or since outside 0..253402300799 (what a load would refuse). */
int state_clock_set(struct state *st, const char *key, int64_t since);
/*
 * Replace dst by src, whose lender is dst (src's clocks share the bytes of
 * the keys they have in common with dst's: a sweep's new clocks cost no
 * second copy of the old ones); src is left empty.  The key bytes of dst
 * that no clock uses any more are given back once they outweigh the used
 * ones.
 */
void state_take_over(struct state *dst, struct state *src);
/* Replace st->last_sweep (takes ownership of obj). */
void state_set_last_sweep(struct state *st, struct json_object *obj);

/*
 * The state of account id (12 digits) in root, for one sweep of this run:
 * created empty when the file has none.  adopt: the sweep is the run's
 * only one, so clocks of no known account (a version 1 file) become this
 * account's when it has none yet, unless their last sweep names another
 * account.  JAN_OK with *out; JAN_EBUSY when a
 * sweep of this run claimed it already (two sections, one account);
 * JAN_EINVAL for a malformed id; JAN_ENOMEM.
 */
int state_claim(struct state *root, const char *id, int adopt,
                struct state **out);
/* The account's entry, or NULL. */
const struct state *state_account_get(const struct state *root,
                                      const char *id);
/* 1 when id is an account id: 12 ASCII digits. */
int state_account_id_ok(const char *id);

/* The clock key of a resource. */
int state_key(struct jbuf *out, const char *type, const char *region,
              const char *name, int64_t version);

/*
 * The lock: open (creating, mode 0600, O_NOFOLLOW) path + ".lock" and take
 * an exclusive flock.  wait_ms 0: do not wait; else poll up to wait_ms.
 * Returns the fd (>= 0), JAN_EBUSY when another process holds it (its pid,
 * written in the file, in *holder if not NULL), or another JAN_E* code.
 */
int state_lock(const char *state_path, unsigned wait_ms, long *holder,
               struct jbuf *err);
void state_unlock(int fd);

#endif
