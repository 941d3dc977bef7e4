/*
 * credential_process (issue 13): a profile's command prints Version 1
 * credentials JSON on its stdout, as botocore's ProcessProvider reads it.
 *
 * The command runs with uv_spawn, off the loop's back: its stdout is read
 * through a pipe (capped, never logged), its stderr through another
 * (capped, escaped, logged), and it is killed with its process group after
 * CREDS_PROCESS_TIMEOUT_MS.  The value is split into argv like botocore's
 * shlex.split; a value with a shell metacharacter (CREDS_PROCESS_SHELL_CHARS)
 * runs under /bin/sh -c instead.  The chain caches the answer until its
 * Expiration (none: until the daemon restarts).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/creds_process.h"
#include "janitor/creds_remote.h"
#include "janitor/log.h"
#include "janitor/untrusted.h"

#define TAG "creds"
#define PROC_OUT_MAX (64u * 1024)
#define PROC_ERR_MAX 2048u
#define PROC_ARGS_MAX 256

struct proc_run {
  struct procp *pp;             /* NULL once answered or abandoned */
  uv_process_t proc;
  uv_pipe_t out, err;
  uv_timer_t timer;
  int open;                     /* handles not yet closed */
  int exited, out_eof, err_eof, answered;
  int64_t status;
  int term_signal;
  char *obuf;                   /* stdout: wiped when freed */
  size_t olen;
  int otoo_big;
  char ebuf[PROC_ERR_MAX];
  size_t elen;
  char rbuf[4096];              /* the read buffer (wiped after each read) */
};

struct procp {
  struct creds_provider base;
  uv_loop_t *loop;
  char *profile;                /* NULL: AWS_PROFILE, else "default" */
  struct proc_run *run;         /* the fetch in flight */
  creds_cb cb;
  void *arg;
  char name[JAN_PROFILE_NAME_MAX];               /* the profile of the fetch */
  char source[JAN_SOURCE_NAME_MAX];             /* "process:PROFILE" */
};

/* ---- splitting -------------------------------------------------------- */

int creds_process_needs_shell(const char *cmd)
{
  return strpbrk(cmd, CREDS_PROCESS_SHELL_CHARS) != NULL;
}

/* Split like shlex.split(posix=True) for values without a metacharacter:
 * whitespace separates, '...' and "..." quote.  Returns the count, or -1
 * for an unterminated quote or too many words.  buf receives the words. */
int creds_process_split(const char *cmd, char *buf, char **argv, int max)
{
  int n = 0;
  const char *p = cmd;
  char *o = buf;

  for(;;) {
    char q = 0;
    int word = 0;
    while(*p == ' ' || *p == '\t')
      p++;
    if(!*p)
      break;
    if(n == max - 1)
      return -1;
    argv[n] = o;
    while(*p && (q || (*p != ' ' && *p != '\t'))) {
      if(!q && (*p == '\'' || *p == '"')) {
        q = *p++;
        word = 1;
        continue;
      }
      if(q && *p == q) {
        q = 0;
        p++;
        continue;
      }
      *o++ = *p++;
      word = 1;
    }
    if(q)
      return -1;
    (void)word;
    *o++ = '\0';
    n++;
  }
  argv[n] = NULL;
  return n;
}

/* ---- running ------------------------------------------------------------ */

static void proc_closed(uv_handle_t *h)
{
  struct proc_run *r = h->data;
  if(--r->open)
    return;
  if(r->obuf) {
    explicit_bzero(r->obuf, PROC_OUT_MAX);
    free(r->obuf);
  }
  explicit_bzero(r->rbuf, sizeof(r->rbuf));
  free(r);
}

/* Kill what is left of the command and close every handle. */
static void proc_close(struct proc_run *r)
{
  if(!r->exited && r->proc.pid > 0)
    kill(-r->proc.pid, SIGKILL);  /* its own process group: UV_PROCESS_DETACHED */
  uv_close((uv_handle_t *)&r->proc, proc_closed);
  uv_close((uv_handle_t *)&r->out, proc_closed);
  uv_close((uv_handle_t *)&r->err, proc_closed);
  uv_close((uv_handle_t *)&r->timer, proc_closed);
}

/*
 * stderr for the log.  A helper may print its own output there (a wrapper
 * under set -x, a debug line): the key id, secret and token it returned
 * (c, when its stdout parsed) are masked first, however spelled; then
 * untrusted_text() masks whatever else looks like a secret and escapes
 * control bytes and invalid UTF-8 as \xHH.
 */
static void log_stderr(struct procp *pp, struct proc_run *r,
                       const struct aws_creds *c)
{
  const char *known[3] = { NULL, NULL, NULL };
  char masked[PROC_ERR_MAX * 2 + 1], esc[PROC_ERR_MAX * 8 + 1];
  size_t n;

  if(!r->elen)
    return;
  if(c) {
    known[0] = c->access_key;
    known[1] = c->secret_key;
    known[2] = c->session_token;
  }
  n = untrusted_mask_known(masked, sizeof(masked), r->ebuf, r->elen, known,
                           3);
  untrusted_text(esc, sizeof(esc), masked, n);
  explicit_bzero(masked, sizeof(masked));
  explicit_bzero(r->ebuf, sizeof(r->ebuf));
  jlog_warn(TAG, "credential_process (profile %s) said on stderr: %s%s",
            pp->name, esc, r->elen == PROC_ERR_MAX ? " [cut]" : "");
  r->elen = 0;
}

/* What the command printed on stdout, if it parses: JAN_OK with *c. */
static int parse_out(const struct proc_run *r, struct aws_creds *c)
{
  if(r->otoo_big)
    return JAN_ETOOBIG;
  return creds_parse_json(r->obuf ? r->obuf : "", r->olen, "SessionToken", 1,
                          c);
}

static void answer(struct procp *pp, int rc, const struct aws_creds *c,
                   const char *msg)
{
  creds_cb cb = pp->cb;
  void *arg = pp->arg;
  struct proc_run *r = pp->run;

  pp->cb = NULL;
  pp->arg = NULL;
  pp->run = NULL;
  if(r) {
    r->pp = NULL;
    r->answered = 1;
    proc_close(r);
  }
  if(cb)
    cb(arg, rc, c, msg);
}

static void finish(struct proc_run *r)
{
  struct procp *pp = r->pp;
  struct aws_creds c;
  char msg[JAN_MSG_MAX];
  time_t now = time(NULL);
  int parsed;

  /* Parsed first, whatever the exit status: its keys are masked in the
   * stderr logged. */
  parsed = parse_out(r, &c) == JAN_OK;
  log_stderr(pp, r, parsed ? &c : NULL);
  if(r->term_signal || r->status != 0) {
    if(parsed)
      creds_free(&c);
    snprintf(msg, sizeof(msg), "credential_process (profile %s) failed: %s "
             "%lld", pp->name, r->term_signal ? "killed by signal" :
             "exit status", r->term_signal ? (long long)r->term_signal
                                           : (long long)r->status);
    answer(pp, JAN_ECREDS, NULL, msg);
    return;
  }
  if(!parsed) {
    snprintf(msg, sizeof(msg), "credential_process (profile %s): its "
             "output is not Version 1 credentials JSON (AccessKeyId, "
             "SecretAccessKey, optional SessionToken and Expiration)%s",
             pp->name, r->otoo_big ? ": longer than 64 KiB" : "");
    answer(pp, JAN_ECREDS, NULL, msg);
    return;
  }
  if(c.expiration && c.expiration <= now) {
    creds_free(&c);
    snprintf(msg, sizeof(msg), "credential_process (profile %s) returned "
             "credentials that have already expired", pp->name);
    answer(pp, JAN_ECREDS, NULL, msg);
    return;
  }
  c.source = pp->source;
  answer(pp, JAN_OK, &c, NULL);
  creds_free(&c);
}

static void maybe_finish(struct proc_run *r)
{
  if(r->pp && r->exited && r->out_eof && r->err_eof)
    finish(r);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
  struct proc_run *r = p->data;
  r->exited = 1;
  r->status = status;
  r->term_signal = sig;
  maybe_finish(r);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
  struct proc_run *r = h->data;
  (void)hint;
  *b = uv_buf_init(r->rbuf, sizeof(r->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  struct proc_run *r = s->data;
  int is_out = s == (uv_stream_t *)&r->out;

  if(n < 0) {
    uv_read_stop(s);
    if(is_out)
      r->out_eof = 1;
    else
      r->err_eof = 1;
    maybe_finish(r);
    return;
  }
  if(is_out) {
    size_t room = PROC_OUT_MAX - 1 - r->olen;
    if((size_t)n > room) {
      r->otoo_big = 1;
      n = (ssize_t)room;
    }
    memcpy(r->obuf + r->olen, b->base, (size_t)n);
    r->olen += (size_t)n;
    r->obuf[r->olen] = '\0';
  }
  else {
    size_t room = PROC_ERR_MAX - r->elen;
    size_t k = (size_t)n < room ? (size_t)n : room;
    memcpy(r->ebuf + r->elen, b->base, k);
    r->elen += k;
  }
  explicit_bzero(b->base, (size_t)n);
}

static void on_timeout(uv_timer_t *t)
{
  struct proc_run *r = t->data;
  char msg[JAN_MSG_MAX];
  struct aws_creds c;
  int parsed;

  if(!r->pp)
    return;
  parsed = parse_out(r, &c) == JAN_OK;
  log_stderr(r->pp, r, parsed ? &c : NULL);
  if(parsed)
    creds_free(&c);
  snprintf(msg, sizeof(msg), "credential_process (profile %s) did not "
           "finish within %llu ms: killed", r->pp->name,
           (unsigned long long)creds_process_timeout_ms());
  answer(r->pp, JAN_ECREDS, NULL, msg);
}

uint64_t creds_process_timeout_ms(void)
{
  const char *e = getenv("REMOTION_JANITOR_PROCESS_TIMEOUT_MS");
  unsigned long long v = e && *e ? strtoull(e, NULL, 10) : 0;
  return v ? v : CREDS_PROCESS_TIMEOUT_MS;
}

static void process_fetch(struct creds_provider *self, creds_cb cb,
                          void *arg)
{
  struct procp *pp = (struct procp *)self;
  const char *name = pp->profile ? pp->profile : getenv("AWS_PROFILE");
  struct creds_profile prof;
  struct jbuf err;
  struct proc_run *r = NULL;
  uv_process_options_t po;
  uv_stdio_container_t io[3];
  char *argv[PROC_ARGS_MAX + 1], *words = NULL, msg[JAN_MSG_MAX];
  const char *cmd;
  int rc;

  if(!name || !*name)
    name = "default";
  snprintf(pp->name, sizeof(pp->name), "%s", name);
  snprintf(pp->source, sizeof(pp->source), "process:%s", name);
  pp->cb = cb;
  pp->arg = arg;
  jbuf_init(&err, JAN_MSG_MAX);
  rc = creds_profile_read(name, &prof, &err);
  if(rc) {
    snprintf(msg, sizeof(msg), "%s", jbuf_str(&err));
    jbuf_free(&err);
    answer(pp, rc, NULL, msg);
    return;
  }
  jbuf_free(&err);
  cmd = prof.set[CREDS_SET_CREDENTIAL_PROCESS];
  /* Keys in the credentials file come first (botocore's order). */
  if(!cmd || (prof.has_keys & CREDS_KEYS_IN_CREDENTIALS)) {
    creds_profile_free(&prof);
    snprintf(msg, sizeof(msg), "credential_process (profile %s: not set)",
             name);
    answer(pp, JAN_ENOENT, NULL, msg);
    return;
  }
  words = malloc(strlen(cmd) + 1);
  r = calloc(1, sizeof(*r));
  if(r)
    r->obuf = malloc(PROC_OUT_MAX);
  if(!words || !r || !r->obuf) {
    rc = JAN_ENOMEM;
    snprintf(msg, sizeof(msg), "credential_process: out of memory");
    goto fail;
  }
  if(creds_process_needs_shell(cmd)) {
    static char sh[] = "/bin/sh", dash_c[] = "-c";
    argv[0] = sh;
    argv[1] = dash_c;
    argv[2] = strcpy(words, cmd);
    argv[3] = NULL;
  }
  else if(creds_process_split(cmd, words, argv, PROC_ARGS_MAX + 1) < 1) {
    rc = JAN_ECONFIG;
    snprintf(msg, sizeof(msg), "profile %s: credential_process is empty, "
             "has an unterminated quote or more than %d words", name,
             PROC_ARGS_MAX);
    goto fail;
  }
  r->pp = pp;
  r->proc.data = r->out.data = r->err.data = r->timer.data = r;
  uv_pipe_init(pp->loop, &r->out, 0);
  uv_pipe_init(pp->loop, &r->err, 0);
  uv_timer_init(pp->loop, &r->timer);
  memset(&po, 0, sizeof(po));
  memset(io, 0, sizeof(io));
  io[0].flags = UV_IGNORE;
  io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  io[1].data.stream = (uv_stream_t *)&r->out;
  io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  io[2].data.stream = (uv_stream_t *)&r->err;
  po.file = argv[0];
  po.args = argv;
  po.stdio = io;
  po.stdio_count = 3;
  po.exit_cb = on_exit_cb;
  po.flags = UV_PROCESS_DETACHED;   /* a process group to kill on timeout */
  rc = uv_spawn(pp->loop, &r->proc, &po);
  pp->run = r;
  r->open = 4;
  if(rc) {
    /* The process handle still needs closing; nothing runs. */
    r->exited = 1;
    snprintf(msg, sizeof(msg), "credential_process (profile %s): cannot "
             "run %s: %s", name, argv[0], uv_strerror(rc));
    creds_profile_free(&prof);
    free(words);
    answer(pp, JAN_ECREDS, NULL, msg);
    return;
  }
  jlog_debug(TAG, "credential_process (profile %s): started pid %d%s", name,
             r->proc.pid, creds_process_needs_shell(cmd) ? " (/bin/sh -c)"
                                                         : "");
  creds_profile_free(&prof);
  free(words);
  uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
  uv_read_start((uv_stream_t *)&r->err, on_alloc, on_read);
  uv_timer_start(&r->timer, on_timeout, creds_process_timeout_ms(), 0);
  return;
fail:
  creds_profile_free(&prof);
  free(words);
  if(r)
    free(r->obuf);
  free(r);
  answer(pp, rc, NULL, msg);
}

static void process_destroy(struct creds_provider *self)
{
  struct procp *pp = (struct procp *)self;
  answer(pp, JAN_ECANCELED, NULL, "credentials: shutting down");
  free(pp->profile);
  free(pp);
}

struct creds_provider *creds_provider_process(const char *profile,
                                              uv_loop_t *loop)
{
  struct procp *pp = calloc(1, sizeof(*pp));
  if(!pp)
    return NULL;
  if(profile && *profile && !(pp->profile = strdup(profile))) {
    free(pp);
    return NULL;
  }
  pp->base.name = "credential_process";
  pp->base.fetch = process_fetch;
  pp->base.destroy = process_destroy;
  pp->loop = loop;
  return &pp->base;
}
