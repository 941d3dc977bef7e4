/*
 * File-system safety for the files the daemon writes (state, lock, audit
 * log, metrics): one place for the checks that keep another local user
 * from replacing them or redirecting them through a symbolic link.
 */
#ifndef JANITOR_FSAFE_H
#define JANITOR_FSAFE_H

#include <stddef.h>

#include "janitor/buf.h"

/* Append one line to a message buffer (lines separated by '\n'); b may be
 * NULL. */
void fsafe_msg(struct jbuf *b, const char *fmt, ...) JAN_PRINTF(2, 3);
/* The directory part of path ("." or "/" when that is all), or NULL. */
char *fsafe_dir_part(const char *path);
/*
 * Open the directory that holds path and point *base at the last path
 * component.  The directory must not be world-writable: anyone could then
 * replace our files.  JAN_ENOENT (with errno) when it does not exist,
 * JAN_EINVAL when path names no file, else JAN_EIO with a reason in msg.
 */
int fsafe_dir_open(const char *path, const char **base, int *dfd,
                   struct jbuf *msg);
/* 1 when name in dfd is a symbolic link. */
int fsafe_is_symlink_at(int dfd, const char *name);
/* write() all of p, across short writes and EINTR; -1 with errno. */
int fsafe_write_all(int fd, const char *p, size_t n);

/*
 * Check a directory the daemon writes to: it must exist (created 0750 if
 * create is set and its parent exists), be a directory, not be a symlink,
 * and not be world-writable.  JAN_OK or JAN_EIO with a reason in err.
 */
int fsafe_check_dir(const char *dir, int create, struct jbuf *err);
/* create = FSAFE_DIR_PROBE: nothing is created; a missing directory is
 * JAN_OK when its parent is a directory (it could be created). */
#define FSAFE_DIR_PROBE 2
/* The same for the directory that holds the file path. */
int fsafe_check_dir_of(const char *path, int create, struct jbuf *err);

#endif
