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

/* A new empty entry for id in root (NULL: a bad or repeated id, or out of
 * memory). */
struct state_account *state_account_add(struct state *root, const char *id);

#endif
