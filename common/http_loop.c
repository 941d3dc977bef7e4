/*
 * The HTTP engine's side of the event loop: curl asks for sockets to be
 * watched (one uv_poll_t each) and for a timer; every event goes back to
 * curl through curl_multi_socket_action(), then finished transfers are read
 * and called back.  The engine's memory is released from the close
 * callbacks of its handles (see http.c).
 */
#include <stdlib.h>

#include "http_int.h"
#include "janitor/log.h"

/* ---- engine lifetime ---------------------------------------------------- */

void http_engine_release(struct http_engine *e)
{
  if(!e->closing || e->handles)
    return;
  free(e->pool);
  free(e);
  curl_global_cleanup();
}

void http_on_handle_closed(uv_handle_t *h)
{
  struct http_engine *e = h->data;
  e->handles--;
  http_engine_release(e);
}

static void on_sock_closed(uv_handle_t *h)
{
  struct sock *s = h->data;
  struct http_engine *e = s->e;
  free(s);
  e->handles--;
  http_engine_release(e);
}

void http_sock_close(struct http_engine *e, struct sock *s)
{
  if(s->closing)
    return;
  s->closing = 1;
  if(s->prev)
    s->prev->next = s->next;
  else
    e->socks = s->next;
  if(s->next)
    s->next->prev = s->prev;
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* ---- curl's callbacks and the loop's ------------------------------------ */

static void on_timer(uv_timer_t *t)
{
  struct http_engine *e = t->data;
  int running;

  curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  http_check_multi_info(e);
  http_deliver(e);
}

/* curl's timer: -1 stops it; any other value, 0 included, is a one-shot
 * timer, so curl is never called back from inside this callback. */
int http_on_curl_timer(CURLM *m, long timeout_ms, void *arg)
{
  struct http_engine *e = arg;
  (void)m;
  if(timeout_ms < 0 || e->closing)
    uv_timer_stop(&e->timer);
  else
    uv_timer_start(&e->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  struct sock *s = p->data;
  struct http_engine *e = s->e;
  int flags = 0, running;

  if(status < 0) {
    /* libuv has stopped the handle.  curl learns of the error and does the
     * I/O itself to find out what happened (refused, reset...). */
    flags = CURL_CSELECT_ERR;
    if(s->events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if(s->events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  else {
    if(events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if(events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(e->multi, s->fd, flags, &running);
  /* If curl keeps the socket after an error, watch it again as curl thinks
   * we do; otherwise the transfer would wait for its timeout. */
  if(status < 0 && !s->closing && s->events)
    uv_poll_start(&s->poll, s->events, on_poll);
  http_check_multi_info(e);
  http_deliver(e);
}

/* A socket that cannot be watched fails its transfer once socket_action
 * has returned.  (Returning -1 to curl would mark the whole multi handle
 * dead.) */
static int watch_failed(struct http_engine *e, CURL *easy, curl_socket_t fd,
                        int rc)
{
  char *priv = NULL;

  jlog_err("http", "cannot watch socket %d: %s", (int)fd,
           rc ? uv_strerror(rc) : "out of memory");
  if(easy && curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) == CURLE_OK &&
     priv) {
    ((struct http_xfer *)(void *)priv)->broken = 1;
    e->broken = 1;
  }
  return 0;
}

int http_on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
                          void *sockp)
{
  struct http_engine *e = arg;
  struct sock *s = sockp;
  int events = 0, rc;

  if(what == CURL_POLL_REMOVE) {
    if(s) {
      curl_multi_assign(e->multi, fd, NULL);
      http_sock_close(e, s);
    }
    return 0;
  }
  if(e->closing)
    return 0;
  if(!s) {
    s = calloc(1, sizeof(*s));
    if(!s)
      return watch_failed(e, easy, fd, 0);
    rc = uv_poll_init_socket(e->loop, &s->poll, fd);
    if(rc) {
      free(s);
      return watch_failed(e, easy, fd, rc);
    }
    s->e = e;
    s->fd = fd;
    s->poll.data = s;
    e->handles++;
    s->next = e->socks;
    if(e->socks)
      e->socks->prev = s;
    e->socks = s;
    curl_multi_assign(e->multi, fd, s);
  }
  if(what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if(what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  s->events = events;
  rc = uv_poll_start(&s->poll, events, on_poll);
  if(rc)
    return watch_failed(e, easy, fd, rc);
  return 0;
}

