/*
 * The state's files (state.h): the directory checks, the atomic write
 * (temporary file, fsync, rename, fsync of the directory) and the sweep
 * lock (flock on FILE.lock).
 *
 * All file access goes through a descriptor of the state directory
 * (openat() and friends): the directory is checked once (not world-
 * writable) and cannot be swapped for another between the check and the
 * use.  The file itself is never opened through a symbolic link
 * (O_NOFOLLOW); a symbolic link at PATH is taken for tampering and refused
 * with JAN_EIO, by load, save and lock alike, and nothing is done to it or
 * to its target.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state_int.h"

#define LOCK_POLL_MS 50

void state_msg_line(struct jbuf *b, const char *fmt, ...)
{
  va_list ap;

  if(!b)
    return;
  if(b->len)
    (void)jbuf_addc(b, '\n');
  va_start(ap, fmt);
  (void)jbuf_vprintf(b, fmt, ap);
  va_end(ap);
}

/* The directory part of path ("." or "/" when that is all), or NULL. */
static char *dir_part(const char *path)
{
  const char *slash = strrchr(path, '/');
  if(!slash)
    return strdup(".");
  if(slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

int state_dir_open(const char *path, const char **base, int *dfd,
                    struct jbuf *msg)
{
  const char *slash = strrchr(path, '/');
  char *dir;
  struct stat sb;
  int fd, e;

  *dfd = -1;
  *base = slash ? slash + 1 : path;
  if(!**base || !strcmp(*base, ".") || !strcmp(*base, "..")) {
    state_msg_line(msg, "%s: not a file name", path);
    return JAN_EINVAL;
  }
  dir = dir_part(path);
  if(!dir)
    return JAN_ENOMEM;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd < 0) {
    e = errno;
    state_msg_line(msg, "%s: cannot open the directory: %s", dir, strerror(e));
    free(dir);
    errno = e;
    return e == ENOENT ? JAN_ENOENT : JAN_EIO;
  }
  if(fstat(fd, &sb)) {
    e = errno;
    state_msg_line(msg, "%s: %s", dir, strerror(e));
    goto fail;
  }
  if(sb.st_mode & S_IWOTH) {
    state_msg_line(msg, "%s: the directory is world-writable; refusing to use it",
             dir);
    e = EPERM;
    goto fail;
  }
  free(dir);
  *dfd = fd;
  return JAN_OK;
fail:
  close(fd);
  free(dir);
  errno = e;
  return JAN_EIO;
}

int state_is_symlink_at(int dfd, const char *name)
{
  struct stat sb;
  return !fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) && S_ISLNK(sb.st_mode);
}

static int write_all(int fd, const char *p, size_t n)
{
  while(n) {
    ssize_t w = write(fd, p, n);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The missing directory d could be created: its parent is a directory. */
static int probe_parent(const char *d, struct jbuf *err)
{
  struct stat sb;
  char *parent = dir_part(d);
  int rc = JAN_EIO;

  if(!parent)
    return JAN_ENOMEM;
  if(stat(parent, &sb) || !S_ISDIR(sb.st_mode))
    state_msg_line(err, "%s: does not exist, and %s is not a directory to create "
             "it in", d, parent);
  else
    rc = JAN_OK;
  free(parent);
  return rc;
}

int state_check_dir(const char *dir, int create, struct jbuf *err)
{
  struct stat sb;
  char *d;
  size_t n;
  int rc = JAN_EIO;

  JAN_REQUIRE(dir);
  /* "dir/" would make lstat() follow a symbolic link: drop the slashes. */
  n = strlen(dir);
  while(n > 1 && dir[n - 1] == '/')
    n--;
  d = strndup(dir, n);
  if(!d)
    return JAN_ENOMEM;
  if(!*d) {
    state_msg_line(err, "empty directory name");
    goto out;
  }
  if(lstat(d, &sb)) {
    if(errno != ENOENT || !create) {
      state_msg_line(err, "%s: %s", d, strerror(errno));
      goto out;
    }
    if(create == STATE_DIR_PROBE) {
      rc = probe_parent(d, err);
      goto out;
    }
    /* Only the last level: a missing parent means a wrong path. */
    if(mkdir(d, 0750) && errno != EEXIST) {
      state_msg_line(err, "%s: cannot create the directory: %s", d,
               strerror(errno));
      goto out;
    }
    if(lstat(d, &sb)) {
      state_msg_line(err, "%s: %s", d, strerror(errno));
      goto out;
    }
  }
  if(S_ISLNK(sb.st_mode))
    state_msg_line(err, "%s: is a symbolic link; refusing to use it", d);
  else if(!S_ISDIR(sb.st_mode))
    state_msg_line(err, "%s: not a directory", d);
  else if(sb.st_mode & S_IWOTH)
    state_msg_line(err, "%s: the directory is world-writable; refusing to use it",
             d);
  else
    rc = JAN_OK;
out:
  free(d);
  return rc;
}

int state_check_dir_of(const char *path, int create, struct jbuf *err)
{
  char *dir;
  int rc;

  JAN_REQUIRE(path);
  dir = dir_part(path);
  if(!dir)
    return JAN_ENOMEM;
  rc = state_check_dir(dir, create, err);
  free(dir);
  return rc;
}

int state_write_atomic(const char *path, const void *data, size_t len,
                       unsigned mode, struct jbuf *err)
{
  struct jbuf tmp;
  const char *base;
  int dfd = -1, fd = -1, rc, created = 0;

  JAN_REQUIRE(path && (data || !len));
  jbuf_init(&tmp, 8192);
  rc = state_dir_open(path, &base, &dfd, err);
  if(rc) {
    if(rc != JAN_ENOMEM)
      rc = JAN_EIO;
    goto out;
  }
  /* rename() would replace the link, not write through it; but a link
     where our file should be means someone tampered: stop. */
  if(state_is_symlink_at(dfd, base)) {
    state_msg_line(err, "%s: is a symbolic link; refusing to replace it "
             "(tampering?)", path);
    rc = JAN_EIO;
    goto out;
  }
  if(jbuf_printf(&tmp, "%s.tmp.%ld", base, (long)getpid())) {
    state_msg_line(err, "%s: name too long", path);
    rc = JAN_EIO;
    goto out;
  }

  rc = JAN_EIO;
  fd = openat(dfd, jbuf_str(&tmp),
              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              (mode_t)mode);
  if(fd < 0 && errno == EEXIST) {
    /* Our pid in the name: a leftover of a killed process that had it
       (a daemon is often pid 1 in a container). */
    (void)unlinkat(dfd, jbuf_str(&tmp), 0);
    fd = openat(dfd, jbuf_str(&tmp),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                (mode_t)mode);
  }
  if(fd < 0) {
    state_msg_line(err, "%s.tmp.%ld: cannot create: %s", path, (long)getpid(),
             strerror(errno));
    goto out;
  }
  created = 1;
  /* The mode asked for, whatever the process's umask. */
  if(fchmod(fd, (mode_t)mode) || write_all(fd, data, len)) {
    state_msg_line(err, "%s.tmp.%ld: write: %s", path, (long)getpid(),
             strerror(errno));
    goto out;
  }
  if(fsync(fd)) {
    state_msg_line(err, "%s.tmp.%ld: fsync: %s", path, (long)getpid(),
             strerror(errno));
    goto out;
  }
  rc = close(fd);
  fd = -1;
  if(rc) {
    state_msg_line(err, "%s.tmp.%ld: close: %s", path, (long)getpid(),
             strerror(errno));
    rc = JAN_EIO;
    goto out;
  }
  if(renameat(dfd, jbuf_str(&tmp), dfd, base)) {
    state_msg_line(err, "%s: cannot rename %s.tmp.%ld over it: %s", path, path,
             (long)getpid(), strerror(errno));
    rc = JAN_EIO;
    goto out;
  }
  created = 0;
  /* The rename is durable only once the directory is. */
  if(fsync(dfd)) {
    state_msg_line(err, "%s: fsync of its directory: %s", path, strerror(errno));
    rc = JAN_EIO;
    goto out;
  }
  rc = JAN_OK;
out:
  if(fd >= 0)
    close(fd);
  if(created)
    (void)unlinkat(dfd, jbuf_str(&tmp), 0);
  if(dfd >= 0)
    close(dfd);
  jbuf_free(&tmp);
  return rc;
}

/* ---- The lock ---- */

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
  while(nanosleep(&ts, &ts) && errno == EINTR)
    ;
}

/* The pid written in the lock file, or -1. */
static long read_holder(int fd)
{
  char buf[32];
  ssize_t r;
  char *end;
  long pid;

  r = pread(fd, buf, sizeof(buf) - 1, 0);
  if(r <= 0)
    return -1;
  buf[r] = '\0';
  errno = 0;
  pid = strtol(buf, &end, 10);
  if(errno || end == buf || *end != '\n' || pid <= 0)
    return -1;
  return pid;
}

int state_lock(const char *state_path, unsigned wait_ms, long *holder,
               struct jbuf *err)
{
  struct jbuf name;
  struct stat sb;
  const char *base;
  char pid[32];
  int64_t deadline = now_ms() + wait_ms;
  int dfd = -1, fd = -1, rc;

  JAN_REQUIRE(state_path);
  if(holder)
    *holder = -1;
  jbuf_init(&name, 8192);
  rc = state_dir_open(state_path, &base, &dfd, err);
  if(rc) {
    if(rc != JAN_ENOMEM)
      rc = JAN_EIO;
    goto out;
  }
  rc = JAN_EIO;
  if(jbuf_addstr(&name, base) || jbuf_addstr(&name, ".lock")) {
    state_msg_line(err, "%s.lock: name too long", state_path);
    goto out;
  }
  fd = openat(dfd, jbuf_str(&name),
              O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if(fd < 0) {
    if(errno == ELOOP)
      state_msg_line(err, "%s.lock: is a symbolic link; refusing to follow it "
               "(tampering?)", state_path);
    else
      state_msg_line(err, "%s.lock: %s", state_path, strerror(errno));
    goto out;
  }
  if(fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    state_msg_line(err, "%s.lock: not a regular file", state_path);
    goto out;
  }
  for(;;) {
    int64_t left;
    if(!flock(fd, LOCK_EX | LOCK_NB))
      break;
    if(errno != EWOULDBLOCK && errno != EINTR) {
      state_msg_line(err, "%s.lock: flock: %s", state_path, strerror(errno));
      goto out;
    }
    left = deadline - now_ms();
    if(left <= 0) {
      long h = read_holder(fd);
      if(holder)
        *holder = h;
      if(h > 0)
        state_msg_line(err, "%s.lock: held by process %ld (another sweep is "
                 "running)", state_path, h);
      else
        state_msg_line(err, "%s.lock: held by another process (another sweep is "
                 "running)", state_path);
      rc = JAN_EBUSY;
      goto out;
    }
    sleep_ms(left < LOCK_POLL_MS ? left : LOCK_POLL_MS);
  }
  /* Ours: say who holds it, for the one that waits. */
  snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
  if(ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0) {
    state_msg_line(err, "%s.lock: %s", state_path, strerror(errno));
    goto out;
  }
  rc = fd;
  fd = -1;
out:
  if(fd >= 0)
    close(fd);
  if(dfd >= 0)
    close(dfd);
  jbuf_free(&name);
  return rc;
}

void state_unlock(int fd)
{
  if(fd < 0)
    return;
  /* Still ours until close(): clear the pid so it is never reported
     stale.  A killed holder leaves it; the kernel drops the lock anyway.
     A failure changes nothing of that (and a cast to void does not quiet
     warn_unused_result under _FORTIFY_SOURCE). */
  if(ftruncate(fd, 0)) {
    /* nothing to do */
  }
  close(fd);
}
