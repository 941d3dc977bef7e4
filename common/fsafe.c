/*
 * File-system safety for what the daemon writes (state file, lock, audit
 * log, metrics): directories that are not world-writable and not symbolic
 * links, files opened relative to their directory, never through a link.
 * And the one reader of the files it reads: never blocking, regular files
 * only, capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "janitor/fsafe.h"


/* Append one line to a message buffer (lines separated by '\n'). */
void fsafe_msg(struct jbuf *b, const char *fmt, ...) JAN_PRINTF(2, 3);
void fsafe_msg(struct jbuf *b, const char *fmt, ...)
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
char *fsafe_dir_part(const char *path)
{
  const char *slash = strrchr(path, '/');
  if(!slash)
    return strdup(".");
  if(slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/*
 * Open the directory that holds path and point *base at the last path
 * component.  The directory must not be world-writable: anyone could then
 * replace our files.  JAN_ENOENT (with errno) when it does not exist.
 */
int fsafe_dir_open(const char *path, const char **base, int *dfd,
                    struct jbuf *msg)
{
  const char *slash = strrchr(path, '/');
  char *dir;
  struct stat sb;
  int fd, e;

  *dfd = -1;
  *base = slash ? slash + 1 : path;
  if(!**base || !strcmp(*base, ".") || !strcmp(*base, "..")) {
    fsafe_msg(msg, "%s: not a file name", path);
    return JAN_EINVAL;
  }
  dir = fsafe_dir_part(path);
  if(!dir)
    return JAN_ENOMEM;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd < 0) {
    e = errno;
    fsafe_msg(msg, "%s: cannot open the directory: %s", dir, strerror(e));
    free(dir);
    errno = e;
    return e == ENOENT ? JAN_ENOENT : JAN_EIO;
  }
  if(fstat(fd, &sb)) {
    e = errno;
    fsafe_msg(msg, "%s: %s", dir, strerror(e));
    goto fail;
  }
  if(sb.st_mode & S_IWOTH) {
    fsafe_msg(msg, "%s: the directory is world-writable; refusing to use it",
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

/* 1 when name in dfd is a symbolic link. */
int fsafe_is_symlink_at(int dfd, const char *name)
{
  struct stat sb;
  return !fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) && S_ISLNK(sb.st_mode);
}

int fsafe_write_all(int fd, const char *p, size_t n)
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
  char *parent = fsafe_dir_part(d);
  int rc = JAN_EIO;

  if(!parent)
    return JAN_ENOMEM;
  if(stat(parent, &sb) || !S_ISDIR(sb.st_mode))
    fsafe_msg(err, "%s: does not exist, and %s is not a directory to create "
             "it in", d, parent);
  else
    rc = JAN_OK;
  free(parent);
  return rc;
}

int fsafe_check_dir(const char *dir, int create, struct jbuf *err)
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
    fsafe_msg(err, "empty directory name");
    goto out;
  }
  if(lstat(d, &sb)) {
    if(errno != ENOENT || !create) {
      fsafe_msg(err, "%s: %s", d, strerror(errno));
      goto out;
    }
    if(create == FSAFE_DIR_PROBE) {
      rc = probe_parent(d, err);
      goto out;
    }
    /* Only the last level: a missing parent means a wrong path. */
    if(mkdir(d, 0750) && errno != EEXIST) {
      fsafe_msg(err, "%s: cannot create the directory: %s", d,
               strerror(errno));
      goto out;
    }
    if(lstat(d, &sb)) {
      fsafe_msg(err, "%s: %s", d, strerror(errno));
      goto out;
    }
  }
  if(S_ISLNK(sb.st_mode))
    fsafe_msg(err, "%s: is a symbolic link; refusing to use it", d);
  else if(!S_ISDIR(sb.st_mode))
    fsafe_msg(err, "%s: not a directory", d);
  else if(sb.st_mode & S_IWOTH)
    fsafe_msg(err, "%s: the directory is world-writable; refusing to use it",
             d);
  else
    rc = JAN_OK;
out:
  free(d);
  return rc;
}

int fsafe_check_dir_of(const char *path, int create, struct jbuf *err)
{
  char *dir;
  int rc;

  JAN_REQUIRE(path);
  dir = fsafe_dir_part(path);
  if(!dir)
    return JAN_ENOMEM;
  rc = fsafe_check_dir(dir, create, err);
  free(dir);
  return rc;
}


/* ---- reading -------------------------------------------------------- */

/* What each type of file is to a reader; a type not listed is refused as
 * "not a regular file". */
static const struct {
  mode_t type;
  const char *refusal;          /* NULL: it can be read */
} kinds[] = {
  { S_IFREG, NULL },
  { S_IFDIR, "is a directory" },
  { S_IFIFO, "is a named pipe (FIFO), not a regular file" },
  { S_IFSOCK, "is a socket, not a regular file" },
  { S_IFCHR, "is a device, not a regular file" },
  { S_IFBLK, "is a device, not a regular file" },
};

int fsafe_is_null(mode_t mode, dev_t rdev)
{
  return S_ISCHR(mode) && rdev == makedev(1, 3);
}

const char *fsafe_kind_refusal(mode_t mode, dev_t rdev)
{
  if(fsafe_is_null(mode, rdev))
    return NULL;                /* reads as an empty file, at once */
  for(size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    if((mode & S_IFMT) == kinds[i].type)
      return kinds[i].refusal;
  return "is not a regular file";
}

int fsafe_open_read(const char *path, size_t max, unsigned flags, int *fd,
                    size_t *size, int *err_no, struct jbuf *err)
{
  const char *why;
  struct stat st;
  int f, e;

  JAN_REQUIRE(path && fd && size);
  *fd = -1;
  *size = 0;
  if(err_no)
    *err_no = 0;
  /* O_NONBLOCK: opening a named pipe would wait for a writer. */
  f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if(f < 0) {
    e = errno;
    if(err_no)
      *err_no = e;
    if(e == ENOENT || e == ENOTDIR)
      return JAN_ENOENT;
    fsafe_msg(err, "%s: cannot open: %s", path, strerror(e));
    return JAN_EIO;
  }
  if(fstat(f, &st)) {
    e = errno;
    if(err_no)
      *err_no = e;
    fsafe_msg(err, "%s: cannot stat: %s", path, strerror(e));
    close(f);
    return JAN_EIO;
  }
  if((flags & FSAFE_READ_NULL_ABSENT) && fsafe_is_null(st.st_mode,
                                                       st.st_rdev)) {
    if(err_no)
      *err_no = ENOENT;
    close(f);
    return JAN_ENOENT;
  }
  if((why = fsafe_kind_refusal(st.st_mode, st.st_rdev)) != NULL) {
    if(err_no)
      *err_no = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    fsafe_msg(err, "%s: %s; refusing to read it", path, why);
    close(f);
    return JAN_EIO;
  }
  if(st.st_size < 0 || (uintmax_t)st.st_size > (uintmax_t)max) {
    if(err_no)
      *err_no = EFBIG;
    fsafe_msg(err, "%s: larger than %zu bytes", path, max);
    close(f);
    return JAN_ETOOBIG;
  }
  *fd = f;
  *size = (size_t)st.st_size;
  return JAN_OK;
}

int fsafe_check_read(const char *path, size_t max, struct jbuf *err)
{
  size_t size;
  int fd, rc = fsafe_open_read(path, max, 0, &fd, &size, NULL, err);

  if(rc == JAN_ENOENT)
    fsafe_msg(err, "%s: cannot open: %s", path, strerror(ENOENT));
  if(!rc)
    close(fd);
  return rc;
}

static void free_buf(char *p, size_t n, unsigned flags)
{
  if(p && (flags & FSAFE_READ_WIPE))
    explicit_bzero(p, n);
  free(p);
}

int fsafe_read_file(const char *path, size_t max, unsigned flags, char **out,
                    size_t *outlen, int *err_no, struct jbuf *err)
{
  size_t size, alloc, n = 0;
  char *buf;
  int fd, rc;

  JAN_REQUIRE(out && outlen);
  *out = NULL;
  *outlen = 0;
  rc = fsafe_open_read(path, max, flags, &fd, &size, err_no, err);
  if(rc)
    return rc;
  /* One byte more than the size to notice a file that grows, one for the
   * NUL. */
  alloc = size + 2;
  buf = malloc(alloc);
  if(!buf) {
    fsafe_msg(err, "%s: out of memory", path);
    close(fd);
    return JAN_ENOMEM;
  }
  while(n < size + 1) {
    ssize_t r = read(fd, buf + n, size + 1 - n);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0) {
      if(err_no)
        *err_no = errno;
      fsafe_msg(err, "%s: cannot read: %s", path, strerror(errno));
      rc = JAN_EIO;
      goto fail;
    }
    if(r == 0)
      break;
    n += (size_t)r;
  }
  if(n > size) {
    fsafe_msg(err, "%s: changed while being read", path);
    rc = JAN_EIO;
    goto fail;
  }
  close(fd);
  buf[n] = '\0';
  *out = buf;
  *outlen = n;
  return JAN_OK;
fail:
  free_buf(buf, alloc, flags);
  close(fd);
  return rc;
}
