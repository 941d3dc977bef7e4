/*
 * File-system safety for the files the daemon writes (state, lock, audit
 * log, metrics): one place for the checks that keep another local user
 * from replacing them or redirecting them through a symbolic link.  And
 * the one reader of the files it reads (config, AWS shared files, SSO
 * cache, token files, CA bundle): nothing found at a path can block it.
 */
#ifndef JANITOR_FSAFE_H
#define JANITOR_FSAFE_H

#include <stddef.h>
#include <sys/types.h>

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

/* ---- reading -------------------------------------------------------- */

/* fsafe_read_file() flags. */
#define FSAFE_READ_WIPE        0x01u  /* secrets: wipe what is freed */
#define FSAFE_READ_NULL_ABSENT 0x02u  /* /dev/null is no file (JAN_ENOENT),
                                         as in AWS_CONFIG_FILE=/dev/null */

/*
 * What a file of this type cannot be read as (st_mode, st_rdev of an open
 * file): NULL for a regular file and for /dev/null (empty), else why not,
 * "is a directory", "is a named pipe (FIFO), not a regular file"...  A
 * named pipe, a socket or a device could block a reader or never end.
 */
const char *fsafe_kind_refusal(mode_t mode, dev_t rdev);
/* 1 when st_mode, st_rdev are /dev/null's. */
int fsafe_is_null(mode_t mode, dev_t rdev);

/*
 * Open path for reading without ever blocking: O_RDONLY | O_NONBLOCK |
 * O_NOCTTY | O_CLOEXEC (a named pipe would block a plain open), then
 * fstat() on the descriptor: a file fsafe_kind_refusal() refuses, or
 * larger than max bytes, is an error naming the path.  JAN_OK with *fd
 * (caller closes) and *size; JAN_ENOENT (no message) when it does not
 * exist; JAN_EIO (wrong kind, cannot open) or JAN_ETOOBIG with
 * "PATH: why" in err.  *err_no (may be NULL) keeps errno.
 */
int fsafe_open_read(const char *path, size_t max, unsigned flags, int *fd,
                    size_t *size, int *err_no, struct jbuf *err);
/*
 * fsafe_open_read(), then close: the file can be read.  For a path handed
 * to a library that opens it itself (the CA bundle, to curl).  Every
 * failure, JAN_ENOENT included, with "PATH: why" in err.
 */
int fsafe_check_read(const char *path, size_t max, struct jbuf *err);
/*
 * The whole file, through fsafe_open_read(), read up to max bytes even if
 * it grows meanwhile.  JAN_OK with *out (NUL-terminated, malloc'd; caller
 * frees, and wipes it with FSAFE_READ_WIPE) and *outlen; else as
 * fsafe_open_read(), or JAN_EIO when reading fails or the file changed.
 */
int fsafe_read_file(const char *path, size_t max, unsigned flags, char **out,
                    size_t *outlen, int *err_no, struct jbuf *err);

#endif
