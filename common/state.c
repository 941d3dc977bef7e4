/*
 * The state in memory, its atomic write and the sweep lock (state.h):
 * each account's grace clocks (their table: state_clocks.c) and the
 * accounts of the file.  The file's format, its load and save are in
 * state_json.c.
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/fsafe.h"
#include "state_int.h"

#define LOCK_POLL_MS 50

void state_init(struct state *st)
{
  memset(st, 0, sizeof(*st));
}

void state_free(struct state *st)
{
  state_clocks_free(st);
  json_object_put(st->last_sweep);
  for(size_t i = 0; i < st->naccounts; i++) {
    state_free(&st->accounts[i]->st);
    free(st->accounts[i]);
  }
  free(st->accounts);
  state_init(st);
}

void state_set_last_sweep(struct state *st, struct json_object *obj)
{
  JAN_REQUIRE(st);
  json_object_put(st->last_sweep);
  st->last_sweep = obj;
}

int state_key(struct jbuf *out, const char *type, const char *region,
              const char *name, int64_t version)
{
  JAN_REQUIRE(out && type && region && name);
  return jbuf_printf(out, "%s|%s|%s|%" PRId64, type, region, name, version);
}


/* ---- Accounts ---- */

int state_account_id_ok(const char *id)
{
  size_t n = 0;
  for(; id[n]; n++)
    if(id[n] < '0' || id[n] > '9')
      return 0;
  return n == STATE_ACCOUNT_ID_LEN;
}

/* The entry of id in root, or NULL. */
static struct state_account *account_find(const struct state *root,
                                          const char *id)
{
  for(size_t i = 0; i < root->naccounts; i++)
    if(!strcmp(root->accounts[i]->id, id))
      return root->accounts[i];
  return NULL;
}

const struct state *state_account_get(const struct state *root,
                                      const char *id)
{
  const struct state_account *a;
  JAN_REQUIRE(root && id);
  a = account_find(root, id);
  return a ? &a->st : NULL;
}

struct state_account *state_account_add(struct state *root, const char *id)
{
  struct state_account **v, *a;

  if(!state_account_id_ok(id) || account_find(root, id))
    return NULL;
  /* Entries are pointers: a sweep keeps its own while others are added. */
  v = realloc(root->accounts, (root->naccounts + 1) * sizeof(*v));
  if(!v)
    return NULL;
  root->accounts = v;
  a = calloc(1, sizeof(*a));
  if(!a)
    return NULL;
  memcpy(a->id, id, STATE_ACCOUNT_ID_LEN + 1);
  state_init(&a->st);
  root->accounts[root->naccounts++] = a;
  return a;
}

/* 1 when the root's last sweep (a version 1 file's) names an account
 * other than id: its clocks were that account's. */
static int root_of_another(const struct state *root, const char *id)
{
  struct json_object *v;
  return root->last_sweep &&
         json_object_object_get_ex(root->last_sweep, "account", &v) &&
         json_object_is_type(v, json_type_string) &&
         strcmp(json_object_get_string(v), id) != 0;
}

int state_claim(struct state *root, const char *id, int adopt,
                struct state **out)
{
  struct state_account *a;

  JAN_REQUIRE(root && id && out);
  *out = NULL;
  if(!state_account_id_ok(id))
    return JAN_EINVAL;
  a = account_find(root, id);
  if(a && a->claimed)
    return JAN_EBUSY;
  if(!a && !(a = state_account_add(root, id)))
    return JAN_ENOMEM;
  /* A file from before accounts: its clocks were this account's if it is
   * the only one swept.  With several, nobody can tell whose they were;
   * they stay unattributed (kept in the file), and those graces start
   * again, which can only lengthen them.  Nor are they taken by an
   * account other than the one their last sweep names. */
  if(adopt && !a->st.n && !a->st.last_sweep && (root->n || root->last_sweep) &&
     !root_of_another(root, id)) {
    state_clocks_move(&a->st, root);
    a->st.last_sweep = root->last_sweep;
    root->last_sweep = NULL;
  }
  /* Marks left by a sweep that did not end (a run stopped) are not
   * this sweep's. */
  state_clocks_unmark(&a->st);
  a->claimed = 1;
  *out = &a->st;
  return JAN_OK;
}

/* ---- Writing ---- */

struct bytes {
  const void *data;
  size_t len;
};

static int write_bytes(int fd, void *arg, struct jbuf *err)
{
  const struct bytes *b = arg;
  (void)err;
  return fsafe_write_all(fd, b->data, b->len) ? JAN_EIO : JAN_OK;
}

int state_write_atomic(const char *path, const void *data, size_t len,
                       unsigned mode, struct jbuf *err)
{
  struct bytes b = { data, len };
  JAN_REQUIRE(path && (data || !len));
  return state_write_atomic_fn(path, mode, write_bytes, &b, err);
}

int state_write_atomic_fn(const char *path, unsigned mode, state_write_fn fn,
                          void *arg, struct jbuf *err)
{
  struct jbuf tmp;
  const char *base;
  int dfd = -1, fd = -1, rc, created = 0;

  JAN_REQUIRE(path && fn);
  jbuf_init(&tmp, JAN_PATH_MAX);
  rc = fsafe_dir_open(path, &base, &dfd, err);
  if(rc) {
    if(rc != JAN_ENOMEM)
      rc = JAN_EIO;
    goto out;
  }
  /* rename() would replace the link, not write through it; but a link
     where our file should be means someone tampered: stop. */
  if(fsafe_is_symlink_at(dfd, base)) {
    fsafe_msg(err, "%s: is a symbolic link; refusing to replace it "
             "(tampering?)", path);
    rc = JAN_EIO;
    goto out;
  }
  if(jbuf_printf(&tmp, "%s.tmp.%ld", base, (long)getpid())) {
    fsafe_msg(err, "%s: name too long", path);
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
    fsafe_msg(err, "%s.tmp.%ld: cannot create: %s", path, (long)getpid(),
             strerror(errno));
    goto out;
  }
  created = 1;
  /* The mode asked for, whatever the process's umask. */
  if(fchmod(fd, (mode_t)mode) || (errno = 0, rc = fn(fd, arg, err)) ==
                                 JAN_EIO) {
    fsafe_msg(err, "%s.tmp.%ld: write: %s", path, (long)getpid(),
             strerror(errno ? errno : EIO));
    rc = JAN_EIO;
    goto out;
  }
  if(rc)
    goto out;                   /* fn said why */
  rc = JAN_EIO;
  if(fsync(fd)) {
    fsafe_msg(err, "%s.tmp.%ld: fsync: %s", path, (long)getpid(),
             strerror(errno));
    goto out;
  }
  rc = close(fd);
  fd = -1;
  if(rc) {
    fsafe_msg(err, "%s.tmp.%ld: close: %s", path, (long)getpid(),
             strerror(errno));
    rc = JAN_EIO;
    goto out;
  }
  if(renameat(dfd, jbuf_str(&tmp), dfd, base)) {
    fsafe_msg(err, "%s: cannot rename %s.tmp.%ld over it: %s", path, path,
             (long)getpid(), strerror(errno));
    rc = JAN_EIO;
    goto out;
  }
  created = 0;
  /* The rename is durable only once the directory is. */
  if(fsync(dfd)) {
    fsafe_msg(err, "%s: fsync of its directory: %s", path, strerror(errno));
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
  jbuf_init(&name, JAN_PATH_MAX);
  rc = fsafe_dir_open(state_path, &base, &dfd, err);
  if(rc) {
    if(rc != JAN_ENOMEM)
      rc = JAN_EIO;
    goto out;
  }
  rc = JAN_EIO;
  if(jbuf_addstr(&name, base) || jbuf_addstr(&name, ".lock")) {
    fsafe_msg(err, "%s.lock: name too long", state_path);
    goto out;
  }
  fd = openat(dfd, jbuf_str(&name),
              O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if(fd < 0) {
    if(errno == ELOOP)
      fsafe_msg(err, "%s.lock: is a symbolic link; refusing to follow it "
               "(tampering?)", state_path);
    else
      fsafe_msg(err, "%s.lock: %s", state_path, strerror(errno));
    goto out;
  }
  if(fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    fsafe_msg(err, "%s.lock: not a regular file", state_path);
    goto out;
  }
  for(;;) {
    int64_t left;
    if(!flock(fd, LOCK_EX | LOCK_NB))
      break;
    if(errno != EWOULDBLOCK && errno != EINTR) {
      fsafe_msg(err, "%s.lock: flock: %s", state_path, strerror(errno));
      goto out;
    }
    left = deadline - now_ms();
    if(left <= 0) {
      long h = read_holder(fd);
      if(holder)
        *holder = h;
      if(h > 0)
        fsafe_msg(err, "%s.lock: held by process %ld (another sweep is "
                 "running)", state_path, h);
      else
        fsafe_msg(err, "%s.lock: held by another process (another sweep is "
                 "running)", state_path);
      rc = JAN_EBUSY;
      goto out;
    }
    sleep_ms(left < LOCK_POLL_MS ? left : LOCK_POLL_MS);
  }
  /* Ours: say who holds it, for the one that waits. */
  snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
  if(ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0) {
    fsafe_msg(err, "%s.lock: %s", state_path, strerror(errno));
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
