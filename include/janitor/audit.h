/*
 * The audit log (remotion-janitor(8), FILES): one JSON line per deletion outcome,
 * appended with O_APPEND and flushed to disk (fdatasync) before the
 * outcome is reported anywhere else.  Never follows a symbolic link.
 */
#ifndef JANITOR_AUDIT_H
#define JANITOR_AUDIT_H

#include <stdint.h>

#include "janitor/buf.h"

struct audit {
  int fd;                       /* -1 when closed */
  char *path;
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
/* Open for appending (O_RDWR|O_APPEND, create 0640, O_NOFOLLOW|O_CLOEXEC;
   refused in a world-writable directory).  JAN_EIO, reason in err. */
int audit_open(struct audit *a, const char *path, struct jbuf *err);
/* One line, written with a single write(2) and made durable (fdatasync).
   JAN_EIO (errno set) or JAN_ENOMEM. */
int audit_write(struct audit *a, const struct audit_record *r);
/*
 * n records with one write(2) and one fdatasync: a group commit, so that
 * many outcomes arriving together cost one flush to disk, not n.
 */
int audit_write_many(struct audit *a, const struct audit_record *r, size_t n);
/*
 * Open the path again, after the log was rotated (renamed): the new file
 * takes the place of the old descriptor, with the same checks as
 * audit_open; when it cannot be opened the old descriptor stays and the
 * reason is in err.  Nothing to do on a closed log.
 */
int audit_reopen(struct audit *a, struct jbuf *err);
void audit_close(struct audit *a);

#endif
