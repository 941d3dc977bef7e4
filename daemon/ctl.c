/*
 * The status socket: the server on the daemon's loop (one uv_pipe_t, one
 * deadline uv_timer_t, a fixed line buffer and a bounded output buffer per
 * client), the command dispatch, and the blocking --status client.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "janitor/log.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"
#include "ctl.h"


#define CTL_BACKLOG 128
/* Connections over the limit being told so at once; beyond this many
 * they are closed without a word. */
#define CTL_MAX_REJECTING 256

struct ctl_client {
  struct ctl_server *srv;
  struct ctl_client *next, *prev;
  uv_pipe_t pipe;
  uv_timer_t timer;             /* the deadline in force (see ctl.h) */
  uv_write_t wreq;              /* one write at a time: c->out */
  int handles;                  /* handles not yet closed */
  int closing;
  int reading;
  int writing;                  /* an answer is being written */
  int close_after;              /* close once it is written */
  int eof;
  int may_sweep;                /* uid 0 or the daemon's (SO_PEERCRED) */
  int rejected;                 /* over the limit: one error line, then bye */
  int got_line;                 /* a complete line has arrived */
  struct ctl_stream *stream;    /* the rest of a streamed answer */
  struct jbuf out;              /* the answer's next bytes, being written */
  size_t len;
  char buf[CTL_LINE_MAX + 1];   /* a line and its newline */
};

struct ctl_server {
  uv_loop_t *loop;
  uv_pipe_t listener;
  int listener_open;
  char *path;
  dev_t dev;
  ino_t ino;
  const struct ctl_ops *ops;
  void *arg;
  struct ctl_client *clients;
  size_t nclients, nrejected;
  size_t live;                  /* clients not yet freed */
  int closing;
  uint64_t first_line_ms, idle_ms, drain_ms;
};

static void client_process(struct ctl_client *c);
static void client_pump(struct ctl_client *c);
static void client_close(struct ctl_client *c);

/* ---- answers -------------------------------------------------------------- */

/* Valid UTF-8 whatever the strings hold (untrusted.h). */
static char *to_line(struct json_object *o)
{
  const char *s = json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  struct jbuf b;
  if(!s)
    return NULL;
  jbuf_init(&b, strlen(s) * 6 + 1);
  if(untrusted_json_add(&b, s, strlen(s))) {
    jbuf_free(&b);
    return NULL;
  }
  return jbuf_take(&b);
}

static char *error_answer(const char *msg)
{
  struct json_object *o = json_object_new_object();
  char *line;
  if(!o)
    return NULL;
  json_object_object_add(o, "ok", json_object_new_boolean(0));
  json_object_object_add(o, "error", json_object_new_string(msg));
  line = to_line(o);
  json_object_put(o);
  return line;
}

static char *object_answer(struct json_object *o)
{
  char *line;
  if(!o)
    return error_answer("out of memory");
  line = to_line(o);
  json_object_put(o);
  return line;
}

static const struct {
  const char *name, *help;
} commands[] = {
  { "status", "state, progress of a running sweep, next and last sweep" },
  { "inventory", "every in-scope resource of the last sweep, as "
                 "--sweep --json" },
  { "sweep", "start a sweep now (uid 0 or the daemon's uid only)" },
  { "help", "this list" },
};

static char *help_answer(void)
{
  struct json_object *o = json_object_new_object();
  struct json_object *l = json_object_new_object();
  for(size_t i = 0; i < JAN_ARRAY_SIZE(commands); i++)
    json_object_object_add(l, commands[i].name,
                           json_object_new_string(commands[i].help));
  json_object_object_add(o, "ok", json_object_new_boolean(1));
  json_object_object_add(o, "commands", l);
  return object_answer(o);
}

static int is_blank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The answer to one line: a text (caller frees), or NULL with *st set to
 * the stream that produces it. */
static char *dispatch(const char *line, size_t len, int may_sweep,
                      const struct ctl_ops *ops, void *arg,
                      struct ctl_stream **st)
{
  char shown[80];
  size_t n = 0;

  while(len && is_blank(line[0])) {
    line++;
    len--;
  }
  while(len && is_blank(line[len - 1]))
    len--;
  if(!len)
    return error_answer("empty command");
#define IS(word) (len == sizeof(word) - 1 && !memcmp(line, word, len))
  if(IS("status"))
    return object_answer(ops->status(arg));
  if(IS("inventory")) {
    *st = ops->inventory(arg);
    return *st ? NULL : error_answer("out of memory");
  }
  if(IS("help"))
    return help_answer();
  if(IS("sweep")) {
    char why[256] = "";
    struct json_object *o;
    if(!may_sweep)
      return error_answer("permission denied");
    if(ops->sweep(arg, why, sizeof(why)))
      return error_answer(why[0] ? why : "cannot start a sweep");
    o = json_object_new_object();
    if(o)
      json_object_object_add(o, "ok", json_object_new_boolean(1));
    return object_answer(o);
  }
#undef IS
  /* Echo a printable, bounded form: NULs and bytes that are not UTF-8
   * never reach the answer or the log. */
  n = (size_t)snprintf(shown, sizeof(shown), "unknown command: ");
  for(size_t i = 0; i < len && n < sizeof(shown) - 4; i++)
    shown[n++] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
  if(n == sizeof(shown) - 4)
    memcpy(shown + n, "...", 3), n += 3;
  shown[n] = '\0';
  return error_answer(shown);
}

char *ctl_answer(const char *line, size_t len, int may_sweep,
                 const struct ctl_ops *ops, void *arg)
{
  struct ctl_stream *st = NULL;
  char *text = dispatch(line, len, may_sweep, ops, arg, &st);
  struct jbuf b;
  int rc;

  if(!st)
    return text;
  jbuf_init(&b, CTL_ANSWER_MAX);
  while((rc = st->next(st, &b)) > 0)
    ;
  st->free(st);
  if(rc < 0) {
    jbuf_free(&b);
    return error_answer(jan_strerror(rc));
  }
  return jbuf_take(&b);
}

/* ---- server: clients -------------------------------------------------------- */

static void server_maybe_free(struct ctl_server *s)
{
  if(!s->closing || s->listener_open || s->live)
    return;
  free(s->path);
  free(s);
}

static void client_handle_closed(uv_handle_t *h)
{
  struct ctl_client *c = h->data;
  struct ctl_server *s = c->srv;
  if(--c->handles)
    return;
  if(c->stream)
    c->stream->free(c->stream);
  jbuf_free(&c->out);
  free(c);
  s->live--;
  server_maybe_free(s);
}

static void client_close(struct ctl_client *c)
{
  struct ctl_server *s = c->srv;
  if(c->closing)
    return;
  c->closing = 1;
  if(c->prev)
    c->prev->next = c->next;
  else
    s->clients = c->next;
  if(c->next)
    c->next->prev = c->prev;
  if(c->rejected)
    s->nrejected--;
  else
    s->nclients--;
  uv_close((uv_handle_t *)&c->pipe, client_handle_closed);
  uv_close((uv_handle_t *)&c->timer, client_handle_closed);
}

static void on_timer(uv_timer_t *t)
{
  struct ctl_client *c = t->data;
  struct ctl_server *s = c->srv;
  if(c->writing)
    jlog_info("ctl", "closing a connection that did not read its answer "
              "for %" PRIu64 " ms", s->drain_ms);
  else if(!c->got_line)
    jlog_debug("ctl", "closing a connection that sent no command within "
               "%" PRIu64 " ms", s->first_line_ms);
  else
    jlog_debug("ctl", "closing a connection idle for %" PRIu64 " ms",
               s->idle_ms);
  client_close(c);
}

/* The one deadline in force: first line, idle, or the answer's drain. */
static void client_deadline(struct ctl_client *c, uint64_t ms)
{
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void write_done(uv_write_t *req, int status)
{
  struct ctl_client *c = req->data;
  if(c->closing)
    return;
  if(status < 0) {
    client_close(c);
    return;
  }
  jbuf_reset(&c->out);
  client_pump(c);
}

/*
 * Write the next part of the answer, producing it first from the stream,
 * so that c->out never holds much more than CTL_OUT_MAX bytes; it must be
 * taken within the drain deadline.  Once the whole answer is written, go
 * back to the client's lines.
 */
static void client_pump(struct ctl_client *c)
{
  struct ctl_server *s = c->srv;
  uv_buf_t b;
  int rc;

  while(c->stream && c->out.len < CTL_OUT_MAX) {
    rc = c->stream->next(c->stream, &c->out);
    if(rc < 0) {
      /* Part of the line may be out already: it cannot be mended. */
      jlog_err("ctl", "cannot finish an answer: %s; closing the connection",
               jan_strerror(rc));
      client_close(c);
      return;
    }
    if(rc == 0) {
      c->stream->free(c->stream);
      c->stream = NULL;
      if(jbuf_addc(&c->out, '\n')) {
        client_close(c);
        return;
      }
    }
  }
  if(!c->out.len) {
    jbuf_free(&c->out);
    c->writing = 0;
    if(c->close_after) {
      client_close(c);
      return;
    }
    client_deadline(c, s->idle_ms);
    client_process(c);
    return;
  }
  b = uv_buf_init(c->out.ptr, (unsigned)c->out.len);
  if(uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, write_done)) {
    client_close(c);
    return;
  }
  c->writing = 1;
  client_deadline(c, s->drain_ms);
}

/* Start writing one answer, a text (taken) or a stream (taken); the
 * client's input is not read until it is written. */
static void client_answer(struct ctl_client *c, char *text,
                          struct ctl_stream *st)
{
  static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}";

  if(c->reading) {
    uv_read_stop((uv_stream_t *)&c->pipe);
    c->reading = 0;
  }
  c->stream = st;
  if(!st && (jbuf_addstr(&c->out, text ? text : oom) ||
             jbuf_addc(&c->out, '\n'))) {
    free(text);
    client_close(c);
    return;
  }
  free(text);
  client_pump(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  struct ctl_client *c = h->data;
  (void)suggested;
  /* The free end of the line buffer: never more than one line is kept.
   * It is never empty here: a full buffer without a newline has already
   * been answered with "line too long". */
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
  struct ctl_client *c = st->data;
  (void)buf;
  if(c->closing)
    return;
  if(nread > 0) {
    c->len += (size_t)nread;
    /* Before the first line, only a whole line counts as activity. */
    if(c->got_line)
      client_deadline(c, c->srv->idle_ms);
    client_process(c);
  }
  else if(nread == UV_EOF) {
    c->eof = 1;
    uv_read_stop(st);
    c->reading = 0;
    if(!c->writing)
      client_process(c);
  }
  else if(nread < 0) {
    client_close(c);
  }
}

static void start_reading(struct ctl_client *c)
{
  if(c->reading || c->eof || c->closing)
    return;
  if(uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read)) {
    client_close(c);
    return;
  }
  c->reading = 1;
}

/* Answer the complete lines in the buffer, one at a time. */
static void client_process(struct ctl_client *c)
{
  struct ctl_server *s = c->srv;
  struct ctl_stream *st = NULL;
  char *nl, *answer;
  size_t linelen;

  if(c->writing || c->closing)
    return;
  nl = memchr(c->buf, '\n', c->len);
  if(!nl) {
    if(c->len >= sizeof(c->buf)) {
      jlog_info("ctl", "a client sent a line longer than %d bytes; closing "
                "the connection", CTL_LINE_MAX);
      c->close_after = 1;
      c->len = 0;
      client_answer(c, error_answer("line too long"), NULL);
    }
    else if(c->eof && c->len) {
      /* A last command without its newline still gets its answer. */
      c->close_after = 1;
      answer = dispatch(c->buf, c->len, c->may_sweep, s->ops, s->arg, &st);
      c->len = 0;
      client_answer(c, answer, st);
    }
    else if(c->eof) {
      client_close(c);
    }
    else {
      start_reading(c);
    }
    return;
  }
  c->got_line = 1;
  linelen = (size_t)(nl - c->buf);
  answer = dispatch(c->buf, linelen, c->may_sweep, s->ops, s->arg, &st);
  c->len -= linelen + 1;
  memmove(c->buf, nl + 1, c->len);
  client_answer(c, answer, st);
}

/* SO_PEERCRED: who connected.  Only root and the daemon's own user may
 * start a sweep or take a reserved slot. */
static int peer_may_sweep(uv_pipe_t *p)
{
  struct ucred uc;
  socklen_t len = sizeof(uc);
  uv_os_fd_t fd;

  if(uv_fileno((uv_handle_t *)p, &fd))
    return 0;
  if(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) || len != sizeof(uc))
    return 0;
  return uc.uid == 0 || uc.uid == geteuid();
}

static void on_connection(uv_stream_t *listener, int status)
{
  struct ctl_server *s = listener->data;
  struct ctl_client *c;
  size_t limit;

  if(status < 0) {
    jlog_warn("ctl", "accept on %s: %s", s->path, uv_strerror(status));
    return;
  }
  c = calloc(1, sizeof(*c));
  if(!c) {
    jlog_err("ctl", "out of memory accepting a client");
    return;
  }
  c->srv = s;
  uv_pipe_init(s->loop, &c->pipe, 0);
  uv_timer_init(s->loop, &c->timer);
  c->pipe.data = c;
  c->timer.data = c;
  c->wreq.data = c;
  jbuf_init(&c->out, CTL_OUT_MAX + CTL_PIECE_MAX);
  c->handles = 2;
  s->live++;
  c->next = s->clients;
  if(s->clients)
    s->clients->prev = c;
  s->clients = c;
  /* Counted as rejected until it is known to fit. */
  c->rejected = 1;
  s->nrejected++;
  /* Always accepted, even over the limit: a connection left in the
   * backlog would hold up everybody behind it. */
  if(uv_accept(listener, (uv_stream_t *)&c->pipe)) {
    client_close(c);
    return;
  }
  c->may_sweep = peer_may_sweep(&c->pipe);
  limit = c->may_sweep ? CTL_MAX_CLIENTS
                       : CTL_MAX_CLIENTS - CTL_RESERVED_CLIENTS;
  if(s->nclients < limit) {
    c->rejected = 0;
    s->nrejected--;
    s->nclients++;
  }
  if(c->rejected) {
    /* Tell why, unless even the rejections pile up. */
    if(s->nrejected > CTL_MAX_REJECTING) {
      client_close(c);
      return;
    }
    c->close_after = 1;
    client_answer(c, error_answer("too many clients"), NULL);
    return;
  }
  client_deadline(c, s->first_line_ms);
  start_reading(c);
}

/* ---- server: listening -------------------------------------------------- */

/*
 * A file at path: replace it only when it is a socket nobody listens on.
 * JAN_OK (path free), JAN_EBUSY (a daemon answers), JAN_EIO.
 */
static int clear_stale(const char *path, struct jbuf *err)
{
  struct sockaddr_un sa;
  struct stat sb;
  int fd, rc;

  if(lstat(path, &sb)) {
    if(errno == ENOENT)
      return JAN_OK;
    jbuf_printf(err, "%s: %s", path, strerror(errno));
    return JAN_EIO;
  }
  if(!S_ISSOCK(sb.st_mode)) {
    jbuf_printf(err, "%s exists and is not a socket; refusing to replace it",
                path);
    return JAN_EIO;
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if(fd < 0) {
    jbuf_printf(err, "socket: %s", strerror(errno));
    return JAN_EIO;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
  if(rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
    /* Somebody listens (a full backlog says so too). */
    close(fd);
    jbuf_printf(err, "another daemon is running on %s", path);
    return JAN_EBUSY;
  }
  rc = errno;
  close(fd);
  if(rc != ECONNREFUSED && rc != ENOENT) {
    jbuf_printf(err, "%s: cannot tell whether a daemon listens: %s", path,
                strerror(rc));
    return JAN_EIO;
  }
  if(unlink(path) && errno != ENOENT) {
    jbuf_printf(err, "%s: cannot remove the stale socket: %s", path,
                strerror(errno));
    return JAN_EIO;
  }
  if(rc == ECONNREFUSED)
    jlog_notice("ctl", "removed the stale socket %s", path);
  return JAN_OK;
}

static void listener_closed(uv_handle_t *h)
{
  struct ctl_server *s = h->data;
  s->listener_open = 0;
  server_maybe_free(s);
}

/* Tests shorten the deadlines (REMOTION_JANITOR_CTL_IDLE_MS and the
 * like); nothing else should. */
static uint64_t ms_from_env(const char *name, uint64_t def)
{
  const char *v = getenv(name);
  unsigned long long ms;
  char *end;
  if(!v || !*v)
    return def;
  ms = strtoull(v, &end, 10);
  return *end || !ms ? def : (uint64_t)ms;
}

int ctl_server_open(uv_loop_t *loop, const char *path, unsigned mode,
                    const struct ctl_ops *ops, void *arg,
                    struct ctl_server **out, struct jbuf *err)
{
  struct sockaddr_un sa;
  struct ctl_server *s;
  struct stat sb;
  mode_t old;
  int rc;

  *out = NULL;
  if(!path || !*path) {
    jbuf_printf(err, "no socket path configured");
    return JAN_EINVAL;
  }
  /* libuv would silently truncate a longer path. */
  if(strlen(path) >= sizeof(sa.sun_path)) {
    jbuf_printf(err, "%s: a socket path has at most %zu bytes", path,
                sizeof(sa.sun_path) - 1);
    return JAN_EINVAL;
  }
  rc = clear_stale(path, err);
  if(rc)
    return rc;
  s = calloc(1, sizeof(*s));
  if(!s || !(s->path = strdup(path))) {
    free(s);
    return JAN_ENOMEM;
  }
  s->loop = loop;
  s->ops = ops;
  s->arg = arg;
  s->first_line_ms = ms_from_env("REMOTION_JANITOR_CTL_FIRST_LINE_MS",
                                 CTL_FIRST_LINE_MS);
  s->idle_ms = ms_from_env("REMOTION_JANITOR_CTL_IDLE_MS", CTL_IDLE_MS);
  s->drain_ms = ms_from_env("REMOTION_JANITOR_CTL_DRAIN_MS", CTL_DRAIN_MS);
  uv_pipe_init(loop, &s->listener, 0);
  s->listener.data = s;
  s->listener_open = 1;
  /* Never more open than intended, not even between bind and chmod. */
  old = umask(0177);
  rc = uv_pipe_bind(&s->listener, path);
  umask(old);
  if(rc) {
    jbuf_printf(err, "cannot listen on %s: %s", path, uv_strerror(rc));
    goto fail;
  }
  if(chmod(path, (mode_t)(mode & 0777))) {
    jbuf_printf(err, "%s: chmod %04o: %s", path, mode, strerror(errno));
    unlink(path);
    goto fail;
  }
  if(lstat(path, &sb) == 0) {
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
  }
  rc = uv_listen((uv_stream_t *)&s->listener, CTL_BACKLOG, on_connection);
  if(rc) {
    jbuf_printf(err, "cannot listen on %s: %s", path, uv_strerror(rc));
    unlink(path);
    goto fail;
  }
  *out = s;
  return JAN_OK;
fail:
  s->closing = 1;
  uv_close((uv_handle_t *)&s->listener, listener_closed);
  return JAN_EIO;
}

int ctl_server_chmod(struct ctl_server *s, unsigned mode, struct jbuf *err)
{
  if(chmod(s->path, (mode_t)(mode & 0777))) {
    jbuf_printf(err, "%s: chmod %04o: %s", s->path, mode, strerror(errno));
    return JAN_EIO;
  }
  return JAN_OK;
}

const char *ctl_server_path(const struct ctl_server *s)
{
  return s->path;
}

void ctl_server_close(struct ctl_server *s)
{
  struct stat sb;
  if(!s || s->closing)
    return;
  s->closing = 1;
  /* Remove the file only if it is still the one we bound. */
  if(lstat(s->path, &sb) == 0 && sb.st_dev == s->dev && sb.st_ino == s->ino)
    unlink(s->path);
  while(s->clients)
    client_close(s->clients);
  uv_close((uv_handle_t *)&s->listener, listener_closed);
}
