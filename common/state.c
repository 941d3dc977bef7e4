/*
 * The state file, the sweep lock and the directory checks (state.h).
 *
 * The file is one JSON object:
 *
 *   {"version":1,
 *    "clocks":{"function|eu-west-1|remotion-render-...|0":1717000000,...},
 *    "last_sweep":{...}}
 *
 *   version     the integer 1; any other value (or none) makes the file
 *               corrupt: an unknown format is never half-understood.
 *   clocks      an object: clock key (state_key(), "type|region|name|
 *               version") -> the epoch second at which the resource first
 *               became a candidate, an integer from 0 to 253402300799
 *               (9999-12-31T23:59:59Z).  Written sorted by key.
 *   last_sweep  an object, or null, or absent: what the sweep code keeps
 *               about the last sweep; opaque here.
 *
 * Other top-level keys are ignored.  Anything else (not JSON, trailing
 * bytes, a NUL byte, nesting deeper than the tokener's default depth, a
 * wrong type, a clock out of range, an empty or repeated key, more than
 * STATE_MAX_BYTES, not a regular file) makes the file corrupt: it is
 * renamed aside (as PATH.corrupt-<epoch>, or .corrupt-<epoch>.N when that
 * is taken) and the state starts empty.  Starting empty restarts every
 * grace clock at the next sweep, so it can only lengthen a grace.  Running
 * out of memory or descriptors says nothing about the file: it is left in
 * place and the load fails.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "janitor/fsafe.h"
#include "janitor/state.h"

#define STATE_VERSION 1
/* 9999-12-31T23:59:59Z: a larger clock is an overflow, not a date. */
#define STATE_CLOCK_MAX INT64_C(253402300799)
#define LOCK_POLL_MS 50

void state_init(struct state *st)
{
  st->clocks = NULL;
  st->n = st->cap = 0;
  st->last_sweep = NULL;
}

void state_free(struct state *st)
{
  for(size_t i = 0; i < st->n; i++)
    free(st->clocks[i].key);
  free(st->clocks);
  json_object_put(st->last_sweep);
  state_init(st);
}

/* ---- Clocks ---- */

/* Index of key, or of the place where it would be inserted (*found 0). */
static size_t clock_find(const struct state *st, const char *key, int *found)
{
  size_t lo = 0, hi = st->n;

  while(lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(st->clocks[mid].key, key);
    if(c == 0) {
      *found = 1;
      return mid;
    }
    if(c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = 0;
  return lo;
}

int64_t state_clock_get(const struct state *st, const char *key)
{
  int found;
  size_t i;

  JAN_REQUIRE(st && key);
  i = clock_find(st, key, &found);
  return found ? st->clocks[i].since : -1;
}

int state_clock_set(struct state *st, const char *key, int64_t since)
{
  int found;
  size_t i;
  char *k;

  JAN_REQUIRE(st && key);
  /* What could not be loaded back must not be saved. */
  if(!*key || since < 0 || since > STATE_CLOCK_MAX)
    return JAN_EINVAL;
  i = clock_find(st, key, &found);
  if(found) {
    st->clocks[i].since = since;
    return JAN_OK;
  }
  if(st->n == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    struct state_clock *c;
    if(cap > SIZE_MAX / sizeof(*c))
      return JAN_ENOMEM;
    c = realloc(st->clocks, cap * sizeof(*c));
    if(!c)
      return JAN_ENOMEM;
    st->clocks = c;
    st->cap = cap;
  }
  k = strdup(key);
  if(!k)
    return JAN_ENOMEM;
  memmove(st->clocks + i + 1, st->clocks + i,
          (st->n - i) * sizeof(*st->clocks));
  st->clocks[i].key = k;
  st->clocks[i].since = since;
  st->n++;
  return JAN_OK;
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

/* ---- Load ---- */

/* Not the file's fault: no reason to move it aside. */
static const char oom[] = "out of memory";

/* A key for a message: printable ASCII only, at most 60 bytes. */
static const char *printable(const char *k, char *buf, size_t size)
{
  size_t i;

  for(i = 0; k[i] && i + 1 < size && i < 60; i++)
    buf[i] = k[i] >= 0x20 && k[i] < 0x7f && k[i] != '"' ? k[i] : '?';
  buf[i] = '\0';
  return buf;
}

static int clock_cmp(const void *a, const void *b)
{
  const struct state_clock *x = a, *y = b;
  return strcmp(x->key, y->key);
}

/*
 * Parse the file content into st (empty).  NULL on success, else why the
 * file is corrupt (in reason) or oom, with st left empty.
 */
static const char *parse_state(const char *buf, size_t len, struct state *st,
                               char *reason, size_t rsize)
{
  struct json_tokener *tok = NULL;
  struct json_object *root = NULL, *v, *clocks;
  struct json_object_iterator it, end;
  const char *why = reason;
  char kbuf[64];
  size_t n;

  if(memchr(buf, '\0', len)) {
    snprintf(reason, rsize, "a NUL byte in the file");
    goto corrupt;
  }
  tok = json_tokener_new();
  if(!tok)
    return oom;
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  root = json_tokener_parse_ex(tok, buf, (int)len);
  if(!root || json_tokener_get_error(tok) != json_tokener_success ||
     json_tokener_get_parse_end(tok) != len) {
    enum json_tokener_error je = json_tokener_get_error(tok);
    snprintf(reason, rsize, "not valid JSON (%s)",
             je == json_tokener_continue ? "truncated" :
             je == json_tokener_success ? "trailing data" :
             json_tokener_error_desc(je));
    goto corrupt;
  }
  if(!json_object_is_type(root, json_type_object)) {
    snprintf(reason, rsize, "not a JSON object");
    goto corrupt;
  }
  if(!json_object_object_get_ex(root, "version", &v) ||
     !json_object_is_type(v, json_type_int) ||
     json_object_get_int64(v) != STATE_VERSION) {
    snprintf(reason, rsize, "\"version\" is not %d", STATE_VERSION);
    goto corrupt;
  }
  if(!json_object_object_get_ex(root, "clocks", &clocks) ||
     !json_object_is_type(clocks, json_type_object)) {
    snprintf(reason, rsize, "\"clocks\" is not an object");
    goto corrupt;
  }
  if(json_object_object_get_ex(root, "last_sweep", &v) && v &&
     !json_object_is_type(v, json_type_object)) {
    snprintf(reason, rsize, "\"last_sweep\" is not an object");
    goto corrupt;
  }

  n = (size_t)json_object_object_length(clocks);
  if(n) {
    st->clocks = calloc(n, sizeof(*st->clocks));
    if(!st->clocks) {
      why = oom;
      goto corrupt;
    }
    st->cap = n;
  }
  it = json_object_iter_begin(clocks);
  end = json_object_iter_end(clocks);
  for(; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    const char *k = json_object_iter_peek_name(&it);
    struct json_object *c = json_object_iter_peek_value(&it);
    int64_t since;

    if(!c || !json_object_is_type(c, json_type_int)) {
      snprintf(reason, rsize, "the clock of \"%s\" is not an integer",
               printable(k, kbuf, sizeof(kbuf)));
      goto corrupt;
    }
    /* json-c saturates integers too large for int64 to INT64_MAX. */
    since = json_object_get_int64(c);
    if(since < 0 || since > STATE_CLOCK_MAX) {
      snprintf(reason, rsize, "the clock of \"%s\" is out of range",
               printable(k, kbuf, sizeof(kbuf)));
      goto corrupt;
    }
    if(!*k || st->n == n) {
      snprintf(reason, rsize, "an empty clock key");
      goto corrupt;
    }
    st->clocks[st->n].key = strdup(k);
    if(!st->clocks[st->n].key) {
      why = oom;
      goto corrupt;
    }
    st->clocks[st->n++].since = since;
  }
  /* Written sorted; sorted again so that a hand-edited file works too. */
  if(st->n > 1)
    qsort(st->clocks, st->n, sizeof(*st->clocks), clock_cmp);
  for(size_t i = 1; i < st->n; i++) {
    if(!strcmp(st->clocks[i - 1].key, st->clocks[i].key)) {
      snprintf(reason, rsize, "the clock \"%s\" appears twice",
               printable(st->clocks[i].key, kbuf, sizeof(kbuf)));
      goto corrupt;
    }
  }
  if(json_object_object_get_ex(root, "last_sweep", &v) && v)
    st->last_sweep = json_object_get(v);
  json_object_put(root);
  json_tokener_free(tok);
  return NULL;

corrupt:
  state_free(st);
  json_object_put(root);
  if(tok)
    json_tokener_free(tok);
  return why;
}

/*
 * Read an open state file.  NULL and st filled, or why it is unusable (in
 * reason), or oom.
 */
static const char *read_state(int fd, struct state *st, char *reason,
                              size_t rsize)
{
  struct stat sb;
  struct jbuf b;
  char chunk[65536];
  const char *why = NULL;

  if(fstat(fd, &sb)) {
    snprintf(reason, rsize, "%s", strerror(errno));
    return reason;
  }
  if(!S_ISREG(sb.st_mode)) {
    snprintf(reason, rsize, "not a regular file");
    return reason;
  }
  if(sb.st_size > (off_t)STATE_MAX_BYTES) {
    snprintf(reason, rsize, "larger than %u bytes", STATE_MAX_BYTES);
    return reason;
  }
  /* The cap holds even if the file grows while it is read. */
  jbuf_init(&b, STATE_MAX_BYTES);
  for(;;) {
    ssize_t r = read(fd, chunk, sizeof(chunk));
    int rc;
    if(r < 0) {
      if(errno == EINTR)
        continue;
      snprintf(reason, rsize, "%s", strerror(errno));
      why = reason;
      break;
    }
    if(r == 0)
      break;
    rc = jbuf_add(&b, chunk, (size_t)r);
    if(rc == JAN_ETOOBIG) {
      snprintf(reason, rsize, "larger than %u bytes", STATE_MAX_BYTES);
      why = reason;
      break;
    }
    if(rc) {
      why = oom;
      break;
    }
  }
  if(!why) {
    if(!b.len) {
      snprintf(reason, rsize, "empty file");
      why = reason;
    }
    else
      why = parse_state(b.ptr, b.len, st, reason, rsize);
  }
  jbuf_free(&b);
  return why;
}

/*
 * Rename a corrupt file aside as NAME.corrupt-<epoch> (with ".N" added
 * when that name is taken, so an earlier one is never overwritten) and
 * append the warning.
 */
static void keep_aside(int dfd, const char *path, const char *base,
                       const char *why, struct jbuf *warn)
{
  char aside[64];
  struct jbuf name;
  long long now = (long long)time(NULL);
  int e = 0, done = 0;

  jbuf_init(&name, 8192);
  for(unsigned i = 0; i < 100 && !done; i++) {
    if(i)
      snprintf(aside, sizeof(aside), ".corrupt-%lld.%u", now, i);
    else
      snprintf(aside, sizeof(aside), ".corrupt-%lld", now);
    jbuf_reset(&name);
    if(jbuf_addstr(&name, base) || jbuf_addstr(&name, aside)) {
      e = ENAMETOOLONG;
      break;
    }
    if(!fstatat(dfd, jbuf_str(&name), &(struct stat){0},
                AT_SYMLINK_NOFOLLOW)) {
      e = EEXIST;
      continue;
    }
    if(renameat(dfd, base, dfd, jbuf_str(&name))) {
      e = errno;
      break;
    }
    done = 1;
  }
  if(done)
    fsafe_msg(warn, "%s: %s; kept as %s%s; starting empty", path, why, path,
             aside);
  else
    fsafe_msg(warn, "%s: %s; could not keep it aside (%s); starting empty",
             path, why, strerror(e));
  jbuf_free(&name);
}

int state_load(struct state *st, const char *path, struct jbuf *warn)
{
  const char *base, *why;
  char reason[256];
  struct jbuf m;
  int dfd, fd, rc;

  JAN_REQUIRE(st && path && st->n == 0 && !st->last_sweep);
  jbuf_init(&m, 8192);
  rc = fsafe_dir_open(path, &base, &dfd, &m);
  if(rc && rc != JAN_ENOENT)       /* no directory is no file: no warning */
    fsafe_msg(warn, "%s", jbuf_str(&m));
  jbuf_free(&m);
  if(rc == JAN_ENOENT)
    return JAN_OK;
  if(rc)
    return rc == JAN_ENOMEM ? JAN_ENOMEM : JAN_EIO;
  /* O_NONBLOCK: a FIFO planted at path must not hang the daemon. */
  fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if(fd < 0) {
    int e = errno;
    if(e == ENOENT) {
      close(dfd);
      return JAN_OK;
    }
    if(e == ELOOP || fsafe_is_symlink_at(dfd, base)) {
      fsafe_msg(warn, "%s: is a symbolic link; refusing to follow it "
               "(tampering?): not read, not moved", path);
      close(dfd);
      return JAN_EIO;
    }
    /* Out of descriptors or memory says nothing about the file. */
    if(e == EMFILE || e == ENFILE || e == ENOMEM) {
      fsafe_msg(warn, "%s: %s", path, strerror(e));
      close(dfd);
      return JAN_EIO;
    }
    snprintf(reason, sizeof(reason), "cannot open: %s", strerror(e));
    why = reason;
  }
  else {
    why = read_state(fd, st, reason, sizeof(reason));
    close(fd);
  }
  if(why == oom) {
    fsafe_msg(warn, "%s: out of memory while reading it", path);
    close(dfd);
    return JAN_ENOMEM;
  }
  if(why)
    keep_aside(dfd, path, base, why, warn);
  close(dfd);
  return JAN_OK;
}

/* ---- Save ---- */

/* The file content, or NULL (out of memory). Caller owns the object. */
static struct json_object *state_to_json(const struct state *st)
{
  struct json_object *root = json_object_new_object(), *clocks = NULL, *v;

  if(!root)
    return NULL;
  v = json_object_new_int(STATE_VERSION);
  if(!v || json_object_object_add(root, "version", v)) {
    json_object_put(v);
    goto fail;
  }
  clocks = json_object_new_object();
  if(!clocks)
    goto fail;
  for(size_t i = 0; i < st->n; i++) {
    v = json_object_new_int64(st->clocks[i].since);
    /* The keys are sorted and unique: no look-up needed. */
    if(!v || json_object_object_add_ex(clocks, st->clocks[i].key, v,
                                       JSON_C_OBJECT_ADD_KEY_IS_NEW)) {
      json_object_put(v);
      goto fail;
    }
  }
  if(json_object_object_add(root, "clocks", clocks))
    goto fail;
  clocks = NULL;
  if(st->last_sweep &&
     json_object_object_add(root, "last_sweep",
                            json_object_get(st->last_sweep))) {
    json_object_put(st->last_sweep);
    goto fail;
  }
  return root;
fail:
  json_object_put(clocks);
  json_object_put(root);
  return NULL;
}

int state_write_atomic(const char *path, const void *data, size_t len,
                       unsigned mode, struct jbuf *err)
{
  struct jbuf tmp;
  const char *base;
  int dfd = -1, fd = -1, rc, created = 0;

  JAN_REQUIRE(path && (data || !len));
  jbuf_init(&tmp, 8192);
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
  if(fchmod(fd, (mode_t)mode) || fsafe_write_all(fd, data, len)) {
    fsafe_msg(err, "%s.tmp.%ld: write: %s", path, (long)getpid(),
             strerror(errno));
    goto out;
  }
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

int state_save(const struct state *st, const char *path, struct jbuf *err)
{
  struct json_object *root;
  const char *text;
  struct jbuf doc;
  int rc;

  JAN_REQUIRE(st && path);
  root = state_to_json(st);
  text = root ? json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE)
              : NULL;
  if(!text) {
    fsafe_msg(err, "%s: out of memory", path);
    json_object_put(root);
    return JAN_ENOMEM;
  }
  jbuf_init(&doc, STATE_MAX_BYTES - 1);
  if(jbuf_addstr(&doc, text) || jbuf_addc(&doc, '\n')) {
    fsafe_msg(err, "%s: the state would exceed %u bytes; not written", path,
             STATE_MAX_BYTES);
    rc = JAN_ETOOBIG;
  }
  else {
    rc = state_write_atomic(path, doc.ptr, doc.len, 0640, err);
  }
  jbuf_free(&doc);
  json_object_put(root);
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
