/*
 * Credentials: the aws_creds helpers and the provider chain with its cache.
 * The providers that read local state (environment, shared files, systemd
 * credentials) are in creds_file.c.
 *
 * The chain knows nothing of libuv: providers that need the network answer
 * later through their callback, the chain only keeps state between calls.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/caps.h"
#include "janitor/creds.h"
#include "janitor/log.h"

#define TAG "creds"

void creds_init(struct aws_creds *c)
{
  memset(c, 0, sizeof(*c));
}

static void wipe_str(char **p)
{
  if(*p) {
    explicit_bzero(*p, strlen(*p));
    free(*p);
    *p = NULL;
  }
}

void creds_free(struct aws_creds *c)
{
  wipe_str(&c->access_key);
  wipe_str(&c->secret_key);
  wipe_str(&c->session_token);
  c->expiration = 0;
  c->source = NULL;
}

int creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
  creds_init(dst);
  if(src->access_key && !(dst->access_key = strdup(src->access_key)))
    goto fail;
  if(src->secret_key && !(dst->secret_key = strdup(src->secret_key)))
    goto fail;
  if(src->session_token &&
     !(dst->session_token = strdup(src->session_token)))
    goto fail;
  dst->expiration = src->expiration;
  dst->source = src->source;
  return JAN_OK;
fail:
  creds_free(dst);
  return JAN_ENOMEM;
}

/* ---- the chain ------------------------------------------------------ */

struct waiter {
  creds_cb cb;
  void *arg;
  struct waiter *next;
};

/*
 * One fetch in flight is represented by a context of its own, handed to
 * the provider as its callback argument.  When the chain is freed first,
 * the context is detached (ch = NULL) and freed by the provider's late
 * answer, so that answer never touches freed memory.
 */
struct fetch_ctx {
  struct creds_chain *ch;
  size_t idx;                   /* the provider asked */
};

struct creds_chain {
  struct creds_provider **prov;
  size_t nprov, aprov;

  struct aws_creds cached;
  int have_cached;

  struct fetch_ctx *inflight;   /* NULL when idle */
  int background;               /* the fetch was started with a valid cache */
  struct waiter *wait_head, **wait_tail;
  struct jbuf tried;            /* "environment, profile default (...)" */
  time_t next_background;       /* no background refresh before this */
  int closing;
  int quiet;                    /* an inner chain: its news is debug only */

  time_t (*now)(void *arg);
  void *now_arg;
};

static time_t default_now(void *arg)
{
  (void)arg;
  return time(NULL);
}

int creds_chain_new(struct creds_chain **out)
{
  struct creds_chain *ch = calloc(1, sizeof(*ch));
  *out = NULL;
  if(!ch)
    return JAN_ENOMEM;
  creds_init(&ch->cached);
  ch->wait_tail = &ch->wait_head;
  jbuf_init(&ch->tried, JAN_MSG_MAX);
  ch->now = default_now;
  *out = ch;
  return JAN_OK;
}

void creds_chain_set_quiet(struct creds_chain *ch)
{
  ch->quiet = 1;
}

void creds_chain_set_clock(struct creds_chain *ch,
                           time_t (*now)(void *arg), void *arg)
{
  ch->now = now ? now : default_now;
  ch->now_arg = arg;
}

int creds_chain_add(struct creds_chain *ch, struct creds_provider *p)
{
  if(!p)
    return JAN_ENOMEM;
  if(ch->nprov == ch->aprov) {
    size_t a = ch->aprov ? ch->aprov * 2 : 8;
    struct creds_provider **np = realloc(ch->prov, a * sizeof(*np));
    if(!np) {
      p->destroy(p);
      return JAN_ENOMEM;
    }
    ch->prov = np;
    ch->aprov = a;
  }
  ch->prov[ch->nprov++] = p;
  return JAN_OK;
}

static int creds_valid(const struct aws_creds *c, time_t now)
{
  return !c->expiration || now < c->expiration;
}

static void drop_cache(struct creds_chain *ch)
{
  creds_free(&ch->cached);
  ch->have_cached = 0;
}

/* Answer one caller with a private copy: the callback may invalidate or
 * free the chain while it still looks at the credentials. */
static void answer_cached(struct creds_chain *ch, creds_cb cb, void *arg)
{
  struct aws_creds c;
  if(creds_copy(&c, &ch->cached)) {
    cb(arg, JAN_ENOMEM, NULL, "credentials: out of memory");
    return;
  }
  cb(arg, JAN_OK, &c, NULL);
  creds_free(&c);
}

static void fetch_from(struct creds_chain *ch, size_t idx);

/*
 * The fetch is over: update the cache and answer every caller that queued
 * for it.  The queue is taken first, and the callers are answered from
 * local copies, so that a callback may call into the chain, even free it.
 */
static void fetch_done(struct creds_chain *ch, int rc,
                       const struct aws_creds *creds, const char *msg)
{
  struct waiter *w = ch->wait_head, *next;
  struct aws_creds c;
  time_t now = ch->now(ch->now_arg);
  int background = ch->background;
  char *msgcopy = NULL;

  creds_init(&c);
  ch->inflight = NULL;
  ch->background = 0;
  ch->wait_head = NULL;
  ch->wait_tail = &ch->wait_head;
  ch->next_background = now + CREDS_REFRESH_RETRY;

  if(rc == JAN_OK && (!creds || !creds->access_key || !creds->secret_key)) {
    rc = JAN_ECREDS;
    msg = "credentials: a provider answered without keys";
  }
  else if(rc == JAN_OK && !creds_valid(creds, now)) {
    rc = JAN_ECREDS;
    msg = "credentials: the provider handed out expired credentials";
  }
  if(rc == JAN_OK && creds_copy(&c, creds) != JAN_OK) {
    rc = JAN_ENOMEM;
    msg = "credentials: out of memory";
  }

  if(rc == JAN_OK) {
    if(!ch->have_cached || ch->cached.source != c.source ||
       strcmp(ch->cached.access_key, c.access_key))
      jlog(ch->quiet ? JLOG_DEBUG : JLOG_INFO, TAG,
           "using credentials from %s%s", c.source ? c.source : "?",
           c.expiration ? " (temporary)" : "");
    else
      jlog_debug(TAG, "credentials from %s refreshed",
                 c.source ? c.source : "?");
    drop_cache(ch);
    if(creds_copy(&ch->cached, &c) == JAN_OK)
      ch->have_cached = 1;
  }
  else {
    /* Keep what we have while it is valid: a failed background refresh
     * must not stop requests that still have minutes to go. */
    if(ch->have_cached && !creds_valid(&ch->cached, now))
      drop_cache(ch);
    if(background && ch->have_cached)
      jlog_warn(TAG, "refreshing credentials failed (%s); keeping the "
                "current ones for %lld s more", msg ? msg : jan_strerror(rc),
                (long long)(ch->cached.expiration - now));
    if(msg && !(msgcopy = strdup(msg)))
      rc = JAN_ENOMEM;
  }

  for(; w; w = next) {
    next = w->next;
    if(rc == JAN_OK)
      w->cb(w->arg, JAN_OK, &c, NULL);
    else
      w->cb(w->arg, rc, NULL, msgcopy ? msgcopy : jan_strerror(rc));
    free(w);
  }
  creds_free(&c);
  free(msgcopy);
}

static void provider_answered(void *arg, int rc, const struct aws_creds *creds,
                              const char *msg)
{
  struct fetch_ctx *ctx = arg;
  struct creds_chain *ch = ctx->ch;
  size_t idx = ctx->idx;
  struct jbuf m;

  free(ctx);
  if(!ch)
    return;                     /* the chain was freed meanwhile */
  ch->inflight = NULL;
  if(rc != JAN_ENOENT) {
    if(rc != JAN_OK && msg)
      jlog_debug(TAG, "%s", msg);
    else if(rc != JAN_OK)
      jlog_debug(TAG, "%s: %s", ch->prov[idx]->name, jan_strerror(rc));
    fetch_done(ch, rc, creds, msg);
    return;
  }

  msg = msg ? msg : ch->prov[idx]->name;
  jlog_debug(TAG, "nothing from %s", msg);
  /* A list too long for its cap is only cut short, which is fine. */
  if(ch->tried.len)
    (void)jbuf_addstr(&ch->tried, ", ");
  (void)jbuf_addstr(&ch->tried, msg);
  if(idx + 1 < ch->nprov) {
    fetch_from(ch, idx + 1);
    return;
  }
  jbuf_init(&m, ch->tried.max + 64);
  (void)jbuf_printf(&m, "no credentials: tried %s", jbuf_str(&ch->tried));
  fetch_done(ch, JAN_ECREDS, NULL, m.len ? jbuf_str(&m) : "no credentials");
  jbuf_free(&m);
}

/* Ask provider idx; its answer comes to provider_answered(), perhaps
 * before fetch() returns.  Nothing here may touch ch after that call. */
static void fetch_from(struct creds_chain *ch, size_t idx)
{
  struct creds_provider *p = ch->prov[idx];
  struct fetch_ctx *ctx = malloc(sizeof(*ctx));

  if(!ctx) {
    fetch_done(ch, JAN_ENOMEM, NULL, "credentials: out of memory");
    return;
  }
  ctx->ch = ch;
  ctx->idx = idx;
  ch->inflight = ctx;
  p->fetch(p, provider_answered, ctx);
}

static void fetch_start(struct creds_chain *ch, int background)
{
  jbuf_reset(&ch->tried);
  ch->background = background;
  if(!ch->nprov) {
    fetch_done(ch, JAN_ECREDS, NULL,
               "no credentials: no credential providers configured");
    return;
  }
  fetch_from(ch, 0);
}

void creds_chain_get(struct creds_chain *ch, creds_cb cb, void *arg)
{
  struct waiter *w;
  time_t now;

  if(ch->closing) {
    cb(arg, JAN_ECANCELED, NULL, "credentials: shutting down");
    return;
  }
  now = ch->now(ch->now_arg);
  if(ch->have_cached && !creds_valid(&ch->cached, now))
    drop_cache(ch);
  if(ch->have_cached) {
    /* Valid but close to its end: refresh in the background, answer now.
     * No caller waits on a background fetch, so no callback can run and
     * ch is still there after fetch_start(). */
    if(ch->cached.expiration &&
       ch->cached.expiration - now < CREDS_REFRESH_AHEAD &&
       !ch->inflight && now >= ch->next_background) {
      jlog_debug(TAG, "credentials from %s expire in %lld s: refreshing",
                 ch->cached.source ? ch->cached.source : "?",
                 (long long)(ch->cached.expiration - now));
      fetch_start(ch, 1);
    }
    if(ch->have_cached) {
      answer_cached(ch, cb, arg);
      return;
    }
  }

  w = malloc(sizeof(*w));
  if(!w) {
    cb(arg, JAN_ENOMEM, NULL, "credentials: out of memory");
    return;
  }
  w->cb = cb;
  w->arg = arg;
  w->next = NULL;
  *ch->wait_tail = w;
  ch->wait_tail = &w->next;
  if(!ch->inflight)
    fetch_start(ch, 0);
}

void creds_chain_invalidate(struct creds_chain *ch)
{
  if(ch->have_cached)
    jlog(ch->quiet ? JLOG_DEBUG : JLOG_INFO, TAG,
         "dropping the cached credentials from %s",
         ch->cached.source ? ch->cached.source : "?");
  drop_cache(ch);
  ch->next_background = 0;
}

void creds_chain_free(struct creds_chain *ch)
{
  struct waiter *w, *next;

  if(!ch)
    return;
  ch->closing = 1;
  if(ch->inflight) {
    ch->inflight->ch = NULL;
    ch->inflight = NULL;
  }
  w = ch->wait_head;
  ch->wait_head = NULL;
  ch->wait_tail = &ch->wait_head;
  for(; w; w = next) {
    next = w->next;
    w->cb(w->arg, JAN_ECANCELED, NULL, "credentials: shutting down");
    free(w);
  }
  for(size_t i = ch->nprov; i > 0; i--)
    ch->prov[i - 1]->destroy(ch->prov[i - 1]);
  free(ch->prov);
  drop_cache(ch);
  jbuf_free(&ch->tried);
  free(ch);
}
