/*
 * The state file's format (state.h): load and save.
 *
 * The file is one JSON object:
 *
 *   {"version":2,
 *    "accounts":{"111111111111":{"clocks":{...},"last_sweep":{...}},...},
 *    "clocks":{...},"last_sweep":{...}}
 *
 *   version     the integer 2, or 1 (written before accounts: no
 *               "accounts"); any other value (or none) makes the file
 *               corrupt: an unknown format is never half-understood.
 *   accounts    (version 2) an object: account id (12 digits) -> that
 *               account's clocks and last_sweep.
 *   clocks      an object: clock key (state_key(), "type|region|name|
 *               version") -> the epoch second at which the resource first
 *               became a candidate, an integer from 0 to 253402300799
 *               (9999-12-31T23:59:59Z).  Written sorted by key.  At the
 *               top level: the clocks of no known account (all of them in
 *               a version 1 file), until a sweep takes them over.
 *   last_sweep  an object, or null, or absent: what the sweep code keeps
 *               about the last sweep; opaque here.
 *   first_sweep (in an account) when that account was first swept, an
 *               integer from 1 to 253402300799, or absent (a file written
 *               before it was kept): no clock earlier than it is accepted
 *               (policy_clock_check()).
 *
 * Other keys are ignored.  Anything else (not JSON, trailing bytes, a NUL
 * byte, nesting deeper than the tokener's default depth, a wrong type, a
 * clock out of range, an empty or repeated key, more than STATE_MAX_BYTES,
 * not a regular file) makes the file corrupt: it is renamed aside (as
 * PATH.corrupt-<epoch>, or .corrupt-<epoch>.N when that is taken) and the
 * state starts empty.  Starting empty restarts every grace clock at the
 * next sweep, so it can only lengthen a grace.  Running out of memory or
 * descriptors says nothing about the file: it is left in place and the
 * load fails.  Version 1 files load as they are and are written back as
 * version 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/fsafe.h"
#include "state_int.h"

#define STATE_VERSION_V1 1
#define STATE_VERSION 2

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
 * The clocks and last_sweep members of obj into st (empty).  NULL, or why
 * the file is corrupt (in reason), or oom.  what names obj in messages
 * ("" for the root).
 */
static const char *parse_clocks(struct json_object *obj, const char *what,
                                struct state *st, char *reason, size_t rsize)
{
  struct json_object *v, *clocks;
  struct json_object_iterator it, end;
  char kbuf[64];
  size_t n;

  if(!json_object_object_get_ex(obj, "clocks", &clocks) ||
     !json_object_is_type(clocks, json_type_object)) {
    snprintf(reason, rsize, "%s\"clocks\" is not an object", what);
    return reason;
  }
  if(json_object_object_get_ex(obj, "last_sweep", &v) && v &&
     !json_object_is_type(v, json_type_object)) {
    snprintf(reason, rsize, "%s\"last_sweep\" is not an object", what);
    return reason;
  }
  if(json_object_object_get_ex(obj, "first_sweep", &v)) {
    if(!v || !json_object_is_type(v, json_type_int) ||
       json_object_get_int64(v) < 1 ||
       json_object_get_int64(v) > STATE_CLOCK_MAX) {
      snprintf(reason, rsize, "%s\"first_sweep\" is not a time", what);
      return reason;
    }
    st->first_sweep = json_object_get_int64(v);
  }
  n = (size_t)json_object_object_length(clocks);
  if(n) {
    st->clocks = calloc(n, sizeof(*st->clocks));
    if(!st->clocks)
      return oom;
    st->cap = n;
  }
  it = json_object_iter_begin(clocks);
  end = json_object_iter_end(clocks);
  for(; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    const char *k = json_object_iter_peek_name(&it);
    struct json_object *c = json_object_iter_peek_value(&it);
    int64_t since;

    if(!c || !json_object_is_type(c, json_type_int)) {
      snprintf(reason, rsize, "%sthe clock of \"%s\" is not an integer", what,
               printable(k, kbuf, sizeof(kbuf)));
      return reason;
    }
    /* json-c saturates integers too large for int64 to INT64_MAX. */
    since = json_object_get_int64(c);
    if(since < 0 || since > STATE_CLOCK_MAX) {
      snprintf(reason, rsize, "%sthe clock of \"%s\" is out of range", what,
               printable(k, kbuf, sizeof(kbuf)));
      return reason;
    }
    if(!*k || st->n == n) {
      snprintf(reason, rsize, "%san empty clock key", what);
      return reason;
    }
    st->clocks[st->n].key = strdup(k);
    if(!st->clocks[st->n].key)
      return oom;
    st->clocks[st->n++].since = since;
  }
  /* Written sorted; sorted again so that a hand-edited file works too. */
  if(st->n > 1)
    qsort(st->clocks, st->n, sizeof(*st->clocks), clock_cmp);
  for(size_t i = 1; i < st->n; i++) {
    if(!strcmp(st->clocks[i - 1].key, st->clocks[i].key)) {
      snprintf(reason, rsize, "%sthe clock \"%s\" appears twice", what,
               printable(st->clocks[i].key, kbuf, sizeof(kbuf)));
      return reason;
    }
  }
  if(json_object_object_get_ex(obj, "last_sweep", &v) && v)
    st->last_sweep = json_object_get(v);
  return NULL;
}

/* Version 2's "accounts": {ID: {"clocks":..., "last_sweep":...}}. */
static const char *parse_accounts(struct json_object *root, struct state *st,
                                  char *reason, size_t rsize)
{
  struct json_object *accts;
  struct json_object_iterator it, end;
  char kbuf[64], what[80];

  if(!json_object_object_get_ex(root, "accounts", &accts) ||
     !json_object_is_type(accts, json_type_object)) {
    snprintf(reason, rsize, "\"accounts\" is not an object");
    return reason;
  }
  it = json_object_iter_begin(accts);
  end = json_object_iter_end(accts);
  for(; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    const char *id = json_object_iter_peek_name(&it);
    struct json_object *a = json_object_iter_peek_value(&it);
    struct state_account *sa;
    const char *why;

    if(!state_account_id_ok(id)) {
      snprintf(reason, rsize, "account \"%s\" is not 12 digits",
               printable(id, kbuf, sizeof(kbuf)));
      return reason;
    }
    if(!a || !json_object_is_type(a, json_type_object)) {
      snprintf(reason, rsize, "account %s is not an object", id);
      return reason;
    }
    /* json-c keeps the last of repeated keys: no repeat reaches here. */
    sa = state_account_add(st, id);
    if(!sa)
      return oom;
    snprintf(what, sizeof(what), "account %s: ", id);
    why = parse_clocks(a, what, &sa->st, reason, rsize);
    if(why)
      return why;
  }
  return NULL;
}

/*
 * Parse the file content into st (empty).  NULL on success, else why the
 * file is corrupt (in reason) or oom, with st left empty.
 */
static const char *parse_state(const char *buf, size_t len, struct state *st,
                               char *reason, size_t rsize)
{
  struct json_tokener *tok = NULL;
  struct json_object *root = NULL, *v;
  const char *why = reason;
  int64_t version;

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
  version = json_object_object_get_ex(root, "version", &v) &&
            json_object_is_type(v, json_type_int)
            ? json_object_get_int64(v) : 0;
  if(version != STATE_VERSION_V1 && version != STATE_VERSION) {
    snprintf(reason, rsize, "\"version\" is not %d or %d", STATE_VERSION_V1,
             STATE_VERSION);
    goto corrupt;
  }
  /* Version 1 had no accounts: its clocks become the root's, of no known
   * account, until a sweep takes them over (state_claim()). */
  why = parse_clocks(root, "", st, reason, rsize);
  if(!why && version == STATE_VERSION)
    why = parse_accounts(root, st, reason, rsize);
  if(why)
    goto corrupt;
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

  jbuf_init(&name, JAN_PATH_MAX);
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
  jbuf_init(&m, JAN_MSG_MAX);
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

/* st's "clocks" and "last_sweep" into obj; JAN_ENOMEM. */
static int add_clocks(struct json_object *obj, const struct state *st)
{
  struct json_object *clocks = json_object_new_object(), *v;

  if(!clocks)
    return JAN_ENOMEM;
  for(size_t i = 0; i < st->n; i++) {
    v = json_object_new_int64(st->clocks[i].since);
    /* The keys are sorted and unique: no look-up needed. */
    if(!v || json_object_object_add_ex(clocks, st->clocks[i].key, v,
                                       JSON_C_OBJECT_ADD_KEY_IS_NEW)) {
      json_object_put(v);
      json_object_put(clocks);
      return JAN_ENOMEM;
    }
  }
  if(json_object_object_add(obj, "clocks", clocks)) {
    json_object_put(clocks);
    return JAN_ENOMEM;
  }
  if(st->first_sweep > 0) {
    v = json_object_new_int64(st->first_sweep);
    if(!v || json_object_object_add(obj, "first_sweep", v)) {
      json_object_put(v);
      return JAN_ENOMEM;
    }
  }
  if(st->last_sweep &&
     json_object_object_add(obj, "last_sweep",
                            json_object_get(st->last_sweep))) {
    json_object_put(st->last_sweep);
    return JAN_ENOMEM;
  }
  return JAN_OK;
}

/* The file content, or NULL (out of memory). Caller owns the object. */
static struct json_object *state_to_json(const struct state *st)
{
  struct json_object *root = json_object_new_object(), *accts = NULL, *v;

  if(!root)
    return NULL;
  v = json_object_new_int(STATE_VERSION);
  if(!v || json_object_object_add(root, "version", v)) {
    json_object_put(v);
    goto fail;
  }
  if(add_clocks(root, st))
    goto fail;
  accts = json_object_new_object();
  if(!accts)
    goto fail;
  for(size_t i = 0; i < st->naccounts; i++) {
    const struct state_account *a = st->accounts[i];
    struct json_object *o = json_object_new_object();
    if(!o || add_clocks(o, &a->st) ||
       json_object_object_add(accts, a->id, o)) {
      json_object_put(o);
      goto fail;
    }
  }
  if(json_object_object_add(root, "accounts", accts))
    goto fail;
  return root;
fail:
  json_object_put(accts);
  json_object_put(root);
  return NULL;
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

