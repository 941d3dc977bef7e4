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

/* Append one line to a message buffer (lines separated by '\n'). */
void state_msg_line(struct jbuf *b, const char *fmt, ...) JAN_PRINTF(2, 3);
/*
 * Open the directory that holds path and point *base at the last path
 * component.  The directory must not be world-writable: anyone could then
 * replace our files.  JAN_ENOENT (with errno) when it does not exist.
 */
int state_dir_open(const char *path, const char **base, int *dfd,
                   struct jbuf *msg);
/* 1 when name in dfd is a symbolic link. */
int state_is_symlink_at(int dfd, const char *name);
/* A new empty entry for id in root (NULL: a bad or repeated id, or out of
 * memory). */
struct state_account *state_account_add(struct state *root, const char *id);

#endif
