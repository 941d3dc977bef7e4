/*
 * What the state's files share (state.c, state_files.c, state_json.c);
 * not part of the public interface.
 */
#ifndef JANITOR_STATE_INT_H
#define JANITOR_STATE_INT_H

#include <stdint.h>

#include "janitor/state.h"

#define STATE_ACCOUNT_ID_LEN 12
/* 9999-12-31T23:59:59Z: a larger clock is an overflow, not a date. */
#define STATE_CLOCK_MAX INT64_C(253402300799)

/* A copy of key[0..len) (and a NUL) in st's keys, or NULL (out of
 * memory). */
char *state_key_store(struct state *st, const char *key, size_t len);

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
