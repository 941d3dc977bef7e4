/*
 * The audit log (audit.h): JSON Lines, one object per deletion outcome,
 * with its keys always in this order:
 *
 *   {"time":"2024-05-01T12:00:00Z","account":"123456789012",
 *    "region":"eu-west-1","type":"layer_version","name":"remotion-...",
 *    "version":3,"result":"failed","error":"...","error_code":"...",
 *    "request_id":"...","objects":2500}
 *
 * "version" only for a layer version (version > 0), "objects" only when
 * objects >= 0; renders and props end with "bucket" and "bytes" (freed); "error", "error_code" and "request_id" are null when
 * absent.  Strings go through json-c's escaping, so a name with quotes or
 * a message with newlines stays on its line; a string longer than
 * AUDIT_STR_MAX bytes is cut (on a UTF-8 character boundary) so that one
 * record is always written.
 *
 * A record is written with one write(2) on an O_APPEND descriptor, so
 * records from several handles or processes interleave as whole lines, then
 * fdatasync()ed before audit_write() returns.  A line left torn (by a crash
 * during a write, or a write cut short by a full disk) is closed with a
 * '\n' prepended to the next record in the same write, so one bad line
 * never swallows the next good one.  That check reads the last byte of the
 * file, which is why the descriptor is O_RDWR, not O_WRONLY (with O_APPEND
 * every write still goes to the end), and is made under a short flock()
 * on the log, see lock_for_append().
 *
 * The log is never opened through a symbolic link (O_NOFOLLOW), and never
 * in a world-writable directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "janitor/audit.h"
#include "janitor/fsafe.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"

#define AUDIT_STR_MAX 4096
/* Every string escaped at worst 6 bytes a byte, with room to spare. */
#define AUDIT_LINE_MAX (1u << 20)
#define AUDIT_LOCK_MS 1000

void audit_init(struct audit *a)
{
  a->fd = -1;
  a->path = NULL;
}

void audit_close(struct audit *a)
{
  if(a->fd >= 0)
    close(a->fd);
  free(a->path);
  audit_init(a);
}

int audit_open(struct audit *a, const char *path, struct jbuf *err)
{
  const char *base;
  struct stat sb;
  int dfd, fd;

  JAN_REQUIRE(a && path);
  audit_close(a);
  if(fsafe_dir_open(path, &base, &dfd, err))
    return JAN_EIO;
  /* O_NONBLOCK: a FIFO planted at path must not hang the daemon. */
  fd = openat(dfd, base, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
              O_NONBLOCK | O_CLOEXEC, 0640);
  if(fd < 0) {
    if(err && errno == ELOOP)
      (void)jbuf_printf(err, "%s: is a symbolic link; refusing to follow "
                        "it (tampering?)", path);
    else if(err)
      (void)jbuf_printf(err, "%s: %s", path, strerror(errno));
    close(dfd);
    return JAN_EIO;
  }
  if(fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    if(err)
      (void)jbuf_printf(err, "%s: not a regular file", path);
    close(fd);
    close(dfd);
    return JAN_EIO;
  }
  close(dfd);
  a->path = strdup(path);
  if(!a->path) {
    close(fd);
    return JAN_ENOMEM;
  }
  a->fd = fd;
  return JAN_OK;
}

int audit_reopen(struct audit *a, struct jbuf *err)
{
  struct audit fresh;
  int rc;

  JAN_REQUIRE(a);
  if(a->fd < 0 || !a->path)
    return JAN_OK;
  audit_init(&fresh);
  rc = audit_open(&fresh, a->path, err);
  if(rc)
    return rc;
  close(a->fd);
  a->fd = fresh.fd;
  free(fresh.path);
  return JAN_OK;
}

/* Add key: s (cut to AUDIT_STR_MAX bytes), or key: null. */
static int add_str(struct json_object *o, const char *key, const char *s)
{
  struct json_object *v = NULL;

  if(s) {
    size_t n = strlen(s);
    if(n > AUDIT_STR_MAX) {
      n = AUDIT_STR_MAX;
      while(n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    }
    v = json_object_new_string_len(s, (int)n);
    if(!v)
      return -1;
  }
  if(json_object_object_add(o, key, v)) {
    json_object_put(v);
    return -1;
  }
  return 0;
}

static int add_int(struct json_object *o, const char *key, int64_t i)
{
  struct json_object *v = json_object_new_int64(i);
  if(!v || json_object_object_add(o, key, v)) {
    json_object_put(v);
    return -1;
  }
  return 0;
}

/* The record as one JSON text (no newline) in out, or -1. */
static int build_line(const struct audit_record *r, struct jbuf *out)
{
  struct json_object *o = json_object_new_object();
  const char *text;
  char t[21];
  int rc = -1;

  if(!o)
    return -1;
  wire_time_format(r->time, t);
  if(add_str(o, "time", t) || add_str(o, "account", r->account) ||
     add_str(o, "region", r->region) || add_str(o, "type", r->type) ||
     add_str(o, "name", r->name))
    goto out;
  if(r->version > 0 && add_int(o, "version", r->version))
    goto out;
  if(add_str(o, "result", r->result) || add_str(o, "error", r->error) ||
     add_str(o, "error_code", r->error_code) ||
     add_str(o, "request_id", r->request_id))
    goto out;
  if(r->objects >= 0 && add_int(o, "objects", r->objects))
    goto out;
  /* Renders and props: their bucket and the bytes they freed. */
  if(r->bucket && (add_str(o, "bucket", r->bucket) ||
                   add_int(o, "bytes", r->bytes >= 0 ? r->bytes : 0)))
    goto out;
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                        JSON_C_TO_STRING_NOSLASHESCAPE);
  if(text && !untrusted_json_add(out, text, strlen(text)) &&
     !jbuf_addc(out, '\n'))
    rc = 0;
out:
  json_object_put(o);
  return rc;
}

/*
 * Take the advisory lock that makes "look at the last byte, then append"
 * one step among audit writers: without it, a write of another process that
 * spans two pages can be seen half done (the size grows page by page) and
 * taken for a torn line.  Polled, and bounded, so that a reader holding a
 * lock on the file cannot stop the janitor: past AUDIT_LOCK_MS the record
 * is written without the check.
 */
static int lock_for_append(int fd)
{
  struct timespec pause = { 0, 2 * 1000000 };

  for(int waited = 0; waited < AUDIT_LOCK_MS; waited += 2) {
    if(!flock(fd, LOCK_EX | LOCK_NB))
      return 1;
    if(errno != EWOULDBLOCK && errno != EINTR)
      return 0;
    nanosleep(&pause, NULL);
  }
  return 0;
}

/* 1 when the file is not empty and does not end with a newline. */
static int torn_tail(int fd)
{
  struct stat sb;
  char c;

  if(fstat(fd, &sb) || sb.st_size <= 0)
    return 0;
  return pread(fd, &c, 1, sb.st_size - 1) == 1 && c != '\n';
}

int audit_write_many(struct audit *a, const struct audit_record *r, size_t n)
{
  struct jbuf lines;
  const char *p;
  size_t left;
  int rc = JAN_EIO, e = 0, locked;

  JAN_REQUIRE(a && (r || !n));
  if(a->fd < 0) {
    errno = EBADF;
    return JAN_EIO;
  }
  if(!n)
    return JAN_OK;
  /* A leading '\n' is built in, and written only to close a torn line. */
  jbuf_init(&lines, n > SIZE_MAX / AUDIT_LINE_MAX ? SIZE_MAX
                                                   : n * AUDIT_LINE_MAX);
  if(jbuf_addc(&lines, '\n')) {
    errno = ENOMEM;
    return JAN_ENOMEM;
  }
  for(size_t i = 0; i < n; i++) {
    if(build_line(&r[i], &lines)) {
      jbuf_free(&lines);
      errno = ENOMEM;
      return JAN_ENOMEM;
    }
  }
  locked = lock_for_append(a->fd);
  p = jbuf_str(&lines);
  left = lines.len;
  if(!locked || !torn_tail(a->fd)) {
    p++;
    left--;
  }
  /* One write for all the lines.  A short one (a full disk) is carried
     on; what it leaves torn, the next record closes. */
  while(left) {
    ssize_t w = write(a->fd, p, left);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      e = errno;
      break;
    }
    p += w;
    left -= (size_t)w;
  }
  if(locked)
    (void)flock(a->fd, LOCK_UN);
  if(left)
    goto out;
  /* One flush to disk for the whole group. */
  if(fdatasync(a->fd)) {
    e = errno;
    goto out;
  }
  rc = JAN_OK;
out:
  jbuf_free(&lines);
  if(rc)
    errno = e;
  return rc;
}

int audit_write(struct audit *a, const struct audit_record *r)
{
  return audit_write_many(a, r, 1);
}
