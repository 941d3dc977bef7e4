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
 * absent.  Strings are escaped as in every JSON document (jsonw.h), so a
 * name with quotes or a message with newlines stays on its line; a string longer than
 * AUDIT_STR_MAX bytes is cut (on a UTF-8 character boundary) so that one
 * record is always written.
 *
 * A record is written with one write(2) on an O_APPEND descriptor, so
 * records from several handles or processes interleave as whole lines, then
 * fdatasync()ed before audit_write() returns.  A line left torn (by a crash
 * during a write, or a write cut short by a full disk) is closed with a
 * '\n' written just before the next records, under the same lock, so one
 * bad line never swallows the next good one.  That check reads the last
 * byte of the file, which is why the descriptor is O_RDWR, not O_WRONLY
 * (with O_APPEND every write still goes to the end), and is made under a
 * short flock() on the log, see lock_for_append().
 *
 * The log is never opened through a symbolic link (O_NOFOLLOW), and never
 * in a world-writable directory.
 *
 * An append that fails (ENOSPC, EIO, EROFS, a short write, a failed
 * fdatasync) loses nothing: the records not known to be on disk stay in
 * the backlog (audit.h) and go first into the next append's one write.  A
 * record cut by a short write is written again whole after the torn line
 * is closed, and records whose fdatasync failed are written again, so a
 * record may appear twice (torn, or whole after a failed flush), never
 * zero times.
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

#include "janitor/audit.h"
#include "janitor/fsafe.h"
#include "janitor/jsonw.h"
#include "janitor/log.h"
#include "janitor/wire.h"

#define AUDIT_STR_MAX 4096
#define AUDIT_LOCK_MS 1000
/* Held records: bounded by the deletions in flight when the log failed
 * (none starts after), this is only a backstop. */
#define AUDIT_BACKLOG_MAX (64u << 20)

void audit_backlog_init(struct audit_backlog *bl)
{
  jbuf_init(&bl->lines, AUDIT_BACKLOG_MAX);
  bl->n = 0;
  bl->err = 0;
}

void audit_backlog_free(struct audit_backlog *bl)
{
  jbuf_free(&bl->lines);
  audit_backlog_init(bl);
}

void audit_init(struct audit *a)
{
  a->fd = -1;
  a->path = NULL;
  audit_backlog_init(&a->own);
  a->bl = &a->own;
}

void audit_use_backlog(struct audit *a, struct audit_backlog *bl)
{
  a->bl = bl ? bl : &a->own;
}

/* The descriptor and path only: held records stay. */
static void close_fd(struct audit *a)
{
  if(a->fd >= 0)
    close(a->fd);
  free(a->path);
  a->fd = -1;
  a->path = NULL;
}

void audit_close(struct audit *a)
{
  close_fd(a);
  if(a->own.n)
    jlog_err("audit", "%zu record%s never reached the audit log; they are "
             "in the journal only (\"held, not yet in the audit log\")",
             a->own.n, a->own.n == 1 ? "" : "s");
  audit_backlog_free(&a->own);
  a->bl = &a->own;
}

/*
 * Why an append failed, and so why no deletion may start: one row per
 * errno that a full, broken or read-only filesystem gives; any other
 * errno is its strerror().  Row 0 is the healthy log.
 */
static const struct {
  int err;
  int may_delete;
  const char *why;
} health_rows[] = {
  { 0, 1, NULL },
  { ENOSPC, 0, "the filesystem is full (ENOSPC)" },
  { EDQUOT, 0, "the disk quota is exceeded (EDQUOT)" },
  { EFBIG, 0, "the file is too large (EFBIG)" },
  { EIO, 0, "an I/O error (EIO)" },
  { EROFS, 0, "the filesystem is read-only (EROFS)" },
  { EBADF, 0, "the log is not open (EBADF)" },
};

int audit_may_delete(int err, const char **why)
{
  for(size_t i = 0; i < sizeof(health_rows) / sizeof(health_rows[0]); i++)
    if(health_rows[i].err == err) {
      if(why)
        *why = health_rows[i].why;
      return health_rows[i].may_delete;
    }
  if(why)
    *why = strerror(err);
  return 0;
}

int audit_failing(const struct audit *a)
{
  return a ? a->bl->err : 0;
}

size_t audit_held(const struct audit *a)
{
  return a ? a->bl->n : 0;
}

int audit_open(struct audit *a, const char *path, struct jbuf *err)
{
  const char *base;
  struct stat sb;
  int dfd, fd;

  JAN_REQUIRE(a && path);
  close_fd(a);
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
  if(rc) {
    audit_close(&fresh);
    return rc;
  }
  close(a->fd);
  a->fd = fresh.fd;
  fresh.fd = -1;
  audit_close(&fresh);
  return JAN_OK;
}

/* key: s (cut to AUDIT_STR_MAX bytes, on a UTF-8 character boundary),
 * or key: null. */
static void put_str(struct jsonw *w, const char *key, const char *s)
{
  size_t n;

  jsonw_key(w, key);
  if(!s) {
    jsonw_null(w);
    return;
  }
  n = strlen(s);
  if(n > AUDIT_STR_MAX) {
    n = AUDIT_STR_MAX;
    while(n && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  jsonw_string_len(w, s, n);
}

/* The writer's sink: the backlog, given the line in one piece (the
 * writer holds the tokens until the object closes). */
static int to_backlog(void *arg, const char *s, size_t n)
{
  return jbuf_add(arg, s, n);
}

/* The record as one JSON text and a newline appended to out, or -1. */
static int build_line(const struct audit_record *r, struct jbuf *out)
{
  struct jsonw w;
  char t[21];

  wire_time_format(r->time, t);
  jsonw_init(&w, to_backlog, out);
  jsonw_object(&w);
  put_str(&w, "time", t);
  put_str(&w, "account", r->account);
  put_str(&w, "region", r->region);
  put_str(&w, "type", r->type);
  put_str(&w, "name", r->name);
  if(r->version > 0)
    jsonw_kint(&w, "version", r->version);
  put_str(&w, "result", r->result);
  put_str(&w, "error", r->error);
  put_str(&w, "error_code", r->error_code);
  put_str(&w, "request_id", r->request_id);
  if(r->objects >= 0)
    jsonw_kint(&w, "objects", r->objects);
  /* Renders and props: their bucket and the bytes they freed. */
  if(r->bucket) {
    put_str(&w, "bucket", r->bucket);
    jsonw_kint(&w, "bytes", r->bytes >= 0 ? r->bytes : 0);
  }
  jsonw_object_end(&w);
  return jsonw_failed(&w) || jbuf_addc(out, '\n') ? -1 : 0;
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

/* Drop the first k lines of the backlog (written and flushed). */
static void backlog_drop(struct audit_backlog *bl, size_t bytes, size_t k)
{
  if(bytes >= bl->lines.len) {
    jbuf_reset(&bl->lines);
    bl->n = 0;
    return;
  }
  memmove(bl->lines.ptr, bl->lines.ptr + bytes, bl->lines.len - bytes + 1);
  bl->lines.len -= bytes;
  bl->n -= k;
}

/* Log the last k records of the backlog (they just entered it). */
static void backlog_log(const struct audit *a, size_t k)
{
  const struct audit_backlog *bl = a->bl;
  const char *p = jbuf_str(&bl->lines), *end = p + bl->lines.len;

  for(size_t skip = bl->n - k; skip && p < end; skip--)
    p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
  while(k-- && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    jlog_err("audit", "held, not yet in the audit log: %.*s",
             (int)(nl - p), p);
    p = nl + 1;
  }
}

/*
 * One write of "\n" (only over a torn line) and every held line, then one
 * fdatasync.  Whole lines written are dropped from the backlog only once
 * flushed; lines after a short write stay.  0 or an errno.
 */
static int write_backlog(struct audit *a)
{
  struct audit_backlog *bl = a->bl;
  const char *p = bl->lines.ptr;
  size_t left = bl->lines.len, done = 0, whole = 0, k = 0;
  int e = 0, locked;

  if(a->fd < 0)
    return EBADF;
  locked = lock_for_append(a->fd);
  if(locked && torn_tail(a->fd)) {
    for(;;) {
      ssize_t w = write(a->fd, "\n", 1);
      if(w == 1)
        break;
      if(w < 0 && errno == EINTR)
        continue;
      e = w < 0 ? errno : EIO;
      break;
    }
  }
  /* One write for all the lines; a short one (a full disk) goes on until
     the system says why. */
  while(!e && left) {
    ssize_t w = write(a->fd, p + done, left);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      e = errno;
      break;
    }
    if(!w) {
      e = EIO;
      break;
    }
    done += (size_t)w;
    left -= (size_t)w;
  }
  if(locked)
    (void)flock(a->fd, LOCK_UN);
  /* One flush to disk for the whole group; what it covers may go. */
  if(done && fdatasync(a->fd)) {
    if(!e)
      e = errno;
    done = 0;
  }
  for(const char *q = p; done && q < p + done;) {
    const char *nl = memchr(q, '\n', (size_t)(p + done - q));
    if(!nl)
      break;
    k++;
    whole = (size_t)(nl + 1 - p);
    q = nl + 1;
  }
  backlog_drop(bl, whole, k);
  return e;
}

/* Note a change of health, once, in the log. */
static void health_changed(struct audit *a, int was, int now, size_t wrote)
{
  const char *why;

  if(!was && now) {
    (void)audit_may_delete(now, &why);
    jlog_err("audit", "cannot append to the audit log %s: %s; no new "
             "deletion starts until it accepts records again (%zu held in "
             "memory)", a->path ? a->path : "", why, a->bl->n);
  }
  else if(was && !now && wrote)
    jlog_notice("audit", "the audit log %s accepts records again: %zu "
                "held record%s written; deletions may start", a->path ?
                a->path : "", wrote, wrote == 1 ? "" : "s");
}

int audit_flush(struct audit *a)
{
  struct audit_backlog *bl;
  size_t before;
  int was, e;

  JAN_REQUIRE(a);
  bl = a->bl;
  if(!bl->n) {
    bl->err = 0;
    return JAN_OK;
  }
  was = bl->err;
  before = bl->n;
  e = write_backlog(a);
  bl->err = e;
  health_changed(a, was, e, before - bl->n);
  if(e) {
    errno = e;
    return JAN_EIO;
  }
  return JAN_OK;
}

int audit_write_many(struct audit *a, const struct audit_record *r, size_t n)
{
  struct audit_backlog *bl;
  size_t added = 0;
  int rc;

  JAN_REQUIRE(a && (r || !n));
  bl = a->bl;
  for(size_t i = 0; i < n; i++) {
    size_t mark = bl->lines.len;
    if(build_line(&r[i], &bl->lines)) {
      /* The record cannot be held: the journal has it alone. */
      bl->lines.len = mark;
      if(bl->lines.ptr)
        bl->lines.ptr[mark] = '\0';
      jlog_err("audit", "out of memory holding a record for the audit log: "
               "%s %s in %s, %s", r[i].type ? r[i].type : "",
               r[i].name ? r[i].name : "", r[i].region ? r[i].region : "",
               r[i].result ? r[i].result : "");
      continue;
    }
    bl->n++;
    added++;
  }
  rc = audit_flush(a);
  if(rc && a->bl->n) {
    size_t k = added < bl->n ? added : bl->n;
    backlog_log(a, k);
  }
  if(added < n && !rc) {
    errno = ENOMEM;
    return JAN_ENOMEM;
  }
  return rc;
}

int audit_write(struct audit *a, const struct audit_record *r)
{
  return audit_write_many(a, r, 1);
}
