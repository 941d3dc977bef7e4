/*
 * What the state's files share (state.c, state_clocks.c, state_json.c);
 * not part of the public interface.
 */
#ifndef JANITOR_STATE_INT_H
#define JANITOR_STATE_INT_H

#include <stdint.h>

#include "janitor/state.h"

#define STATE_ACCOUNT_ID_LEN 12
/* 9999-12-31T23:59:59Z: a larger clock is an overflow, not a date. */
#define STATE_CLOCK_MAX INT64_C(253402300799)

/* Put key[0..klen) (no NUL byte) with since, marked seen or not: as
 * state_clock_set(); *existed 1 when the key was there (its clock is
 * replaced). */
int state_clock_put(struct state *st, const char *key, size_t klen,
                    int64_t since, int seen, int *existed);
/* Clear every clock's seen mark (a sweep's claim starts with none). */
void state_clocks_unmark(struct state *st);
/* Free st's clocks (st is left with none). */
void state_clocks_free(struct state *st);
/* dst's clocks freed, src's moved there (src left with none). */
void state_clocks_move(struct state *dst, struct state *src);

/* Writes a file's content to fd for state_write_atomic_fn(): JAN_OK, or
 * JAN_EIO / JAN_ETOOBIG / JAN_ENOMEM with the reason in err. */
typedef int (*state_write_fn)(int fd, void *arg, struct jbuf *err);
/* state_write_atomic() with the content written by fn: nothing replaces
 * path unless fn returns JAN_OK. */
int state_write_atomic_fn(const char *path, unsigned mode, state_write_fn fn,
                          void *arg, struct jbuf *err);

/* A new empty entry for id in root (NULL: a bad or repeated id, or out of
 * memory). */
struct state_account *state_account_add(struct state *root, const char *id);

#endif
