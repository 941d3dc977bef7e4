/*
 * The audit log (remotion-janitor(8), FILES): one JSON line per deletion outcome,
 * appended with O_APPEND and flushed to disk (fdatasync) before the
 * outcome is reported anywhere else.  Never follows a symbolic link.
 */
#ifndef JANITOR_AUDIT_H
#define JANITOR_AUDIT_H

#include <stdint.h>

#include "janitor/buf.h"

/*
 * Records not yet known to be on disk (remotion-janitor(8), AUDIT LOG):
 * after an append failed (a full disk, an I/O error, a read-only
 * remount, a short write), every record of that append and of the later
 * ones is held here, oldest first, and written before anything new at the
 * next append or audit_flush().  Each record entering it is logged at
 * error level (its JSON line, which carries no secret).  It may outlive
 * the descriptor: the daemon keeps one across sweeps (audit_use_backlog).
 */
struct audit_backlog {
  struct jbuf lines;            /* whole JSON lines, each ending in '\n' */
  size_t n;                     /* records in lines */
  int err;                      /* errno of the last failed append, 0 when
                                   the last one succeeded */
};

struct audit {
  int fd;                       /* -1 when closed */
  char *path;
  struct audit_backlog own;
  struct audit_backlog *bl;     /* &own, or the caller's (not freed) */
};

struct audit_record {
  int64_t time;                 /* epoch seconds */
  const char *account;
  const char *region;
  const char *type;             /* "function", "layer_version", "bucket" */
  const char *name;
  int64_t version;              /* layer versions; 0 otherwise (omitted) */
  const char *result;           /* "deleted", "failed", "refused" */
  const char *error;            /* or NULL */
  const char *error_code;       /* AWS code or NULL */
  const char *request_id;       /* or NULL */
  int64_t objects;              /* buckets: objects removed; -1 omitted */
  const char *bucket;           /* renders, props: their bucket, or NULL */
  int64_t bytes;                /* with bucket: bytes removed */
};

void audit_init(struct audit *a);
void audit_backlog_init(struct audit_backlog *bl);
void audit_backlog_free(struct audit_backlog *bl);
/* Hold records in bl (the caller's, kept across audit_close) instead of
   the audit's own backlog. */
void audit_use_backlog(struct audit *a, struct audit_backlog *bl);
/*
 * The deletion gate's input (remotion-janitor(8), AUDIT LOG), pure: from
 * the errno of the last failed append (0: none), 1 when a new deletion may
 * start, else 0 with why (the failure in words) set.  One table in
 * audit.c.
 */
int audit_may_delete(int err, const char **why);
/* errno of the last failed append of a (0: healthy or no log). */
int audit_failing(const struct audit *a);
/* Records held (not yet written). */
size_t audit_held(const struct audit *a);
/* Write the held records now.  JAN_OK when none is left, else JAN_EIO
   (errno set; they stay held). */
int audit_flush(struct audit *a);
/* Open for appending (O_RDWR|O_APPEND, create 0640, O_NOFOLLOW|O_CLOEXEC;
   refused in a world-writable directory).  JAN_EIO, reason in err. */
int audit_open(struct audit *a, const char *path, struct jbuf *err);
/* One line, written with a single write(2) and made durable (fdatasync).
   JAN_EIO (errno set) or JAN_ENOMEM.  On JAN_EIO the record is held (see
   struct audit_backlog), never dropped. */
int audit_write(struct audit *a, const struct audit_record *r);
/*
 * n records with one write(2) and one fdatasync: a group commit, so that
 * many outcomes arriving together cost one flush to disk, not n.  Records
 * held from earlier appends go first, in the same write.  JAN_EIO (errno
 * set): the records not on disk are held and each new one logged.
 */
int audit_write_many(struct audit *a, const struct audit_record *r, size_t n);
/*
 * Open the path again, after the log was rotated (renamed): the new file
 * takes the place of the old descriptor, with the same checks as
 * audit_open; when it cannot be opened the old descriptor stays and the
 * reason is in err.  Nothing to do on a closed log.
 */
int audit_reopen(struct audit *a, struct jbuf *err);
/* Close the log; the audit's own backlog is freed (held records are
   then only in the journal), a caller's is kept. */
void audit_close(struct audit *a);

#endif
