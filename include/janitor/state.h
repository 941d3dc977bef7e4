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

/* One clock, as an iteration gives it (valid until the next step). */
struct state_clock {
  const char *key;              /* "type|region|name|version" (state_key()),
                                   NUL-terminated */
  size_t len;
  int64_t since;                /* first seen as a candidate (epoch s) */
  int seen;                     /* set since the last state_clocks_settle() */
};

struct state_account;
struct state_ck;                /* a chunk of clocks (state_clocks.c) */
struct state_seek;              /* the last look-up (state_clocks.c) */

/*
 * The clocks and the last sweep of one account, and, in the state file's
 * root, its accounts.  Grace clocks are kept per account (Remotion's names
 * are the same in every account): the root's own clocks and last_sweep
 * are those of no known account, from a file written before accounts
 * existed (version 1), until a sweep takes them over (state_claim()).
 *
 * The clocks are a table sorted by key whose keys are stored as what each
 * adds to the one before (state_clocks.c): about 13 bytes a render clock.
 * A sweep sets the clocks of what it saw (state_clock_set()), in place,
 * then drops the others (state_clocks_settle()): the old clocks and the
 * new ones are one table, never two.
 */
struct state {
  struct state_ck **ck;         /* the chunks, in key order */
  size_t nck, capck;
  size_t n;                     /* clocks */
  struct state_seek *seek;      /* owned, or NULL */
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
/*
 * Set (insert or replace) the clock for key and mark it seen (this
 * sweep's); JAN_EINVAL for an empty key, one longer than
 * JAN_STATE_KEY_MAX, or since outside 0..253402300799 (what a load would
 * refuse); JAN_ENOMEM.  Not during an iteration (state_clock_iter_mark()
 * marks the clock it is on).
 */
int state_clock_set(struct state *st, const char *key, int64_t since);
/* Drop every clock not set since the last settle (or the load): what a
 * sweep did not see again; the others are unmarked.  Out of memory, a
 * chunk keeps its unseen clocks (a grace is never shortened). */
void state_clocks_settle(struct state *st);
/* The bytes the clocks take (measured by the tests). */
size_t state_clocks_bytes(const struct state *st);

/* The clocks in key order: new (NULL: out of memory), next (1 with *c,
 * 0 at the end), free. */
struct state_clock_iter;
struct state_clock_iter *state_clock_iter_new(const struct state *st);
int state_clock_next(struct state_clock_iter *it, struct state_clock *c);
/* Mark the clock next gave as seen, as state_clock_set() with its own
 * value would (the state is changed: it must be one the caller may). */
void state_clock_iter_mark(struct state_clock_iter *it);
void state_clock_iter_free(struct state_clock_iter *it);

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
