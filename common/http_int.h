/*
 * Private to the HTTP engine (http.c: transfers, hosts, the public calls,
 * the engine's libuv handles and curl's socket and timer callbacks).
 */
#ifndef JANITOR_HTTP_INT_H
#define JANITOR_HTTP_INT_H

#include <stdint.h>

#include <curl/curl.h>
#include <uv.h>

#include "janitor/http.h"

enum xstate {
  XS_QUEUED,    /* waiting in its host's queue for a slot */
  XS_RUNNING,   /* handed to curl */
  XS_DONE,      /* result known, in the done list, callback pending */
  XS_CALLING    /* its callback is running; freed right after */
};

struct xlist {
  struct http_xfer *head, *tail;
};

struct host {
  struct host *next, *prev;
  struct xlist queue;           /* QUEUED transfers, oldest first */
  unsigned inflight;            /* RUNNING transfers */
  char key[];                   /* "host:port", lower case */
};

/* One watched socket: its poll handle lives until its close callback. */
struct sock {
  struct sock *next, *prev;     /* the engine's open sockets */
  struct http_engine *e;
  uv_poll_t poll;
  curl_socket_t fd;
  int events;                   /* UV_READABLE | UV_WRITABLE asked by curl */
  int closing;
};

struct http_xfer {
  struct http_xfer *next, *prev;
  struct http_engine *e;
  struct host *host;
  enum xstate state;
  uint64_t seq;                 /* submit order, for the FIFO across hosts */
  int first;                    /* http_request's: ahead of the others */
  uint64_t t0;                  /* uv_hrtime() at submit */
  CURL *easy;
  char *url;
  char method[16];
  void *body;
  size_t body_len;
  int has_body;                 /* send body (POST, PUT, or a given body) */
  size_t max_body;
  struct curl_slist *hdrs;
  int toobig;                   /* 1: body cap hit, 2: header cap hit */
  int broken;                   /* a socket of it could not be watched */
  http_done_cb cb;
  void *arg;
  struct http_response resp;
};

struct http_engine {
  uv_loop_t *loop;
  CURLM *multi;
  CURLSH *share;                /* TLS sessions shared by all transfers */
  uv_timer_t timer;             /* curl's timeout */
  uv_idle_t idle;               /* delivers the done list on the next turn */
  struct http_opts opts;        /* ca_pem: NULL, or ca.data */
  struct curl_blob ca;          /* our copy of opts.ca_pem */
  struct host *hosts;
  struct sock *socks;
  struct xlist running;
  struct xlist done;
  CURL **pool;                  /* idle easy handles kept for reuse */
  unsigned npool;
  unsigned inflight;
  uint64_t queued;
  uint64_t seq;
  struct http_stats st;
  unsigned handles;             /* open libuv handles (timer, idle, polls) */
  int broken;                   /* some transfer is marked broken */
  int closing;
};

/* http.c */
/* Read curl's finished transfers into the done list. */
void http_check_multi_info(struct http_engine *e);
/* Call back what is in the done list. */
void http_deliver(struct http_engine *e);

/* http.c: the event loop */
/* Free the engine once it is closing and its last handle is closed. */
void http_engine_release(struct http_engine *e);
void http_on_handle_closed(uv_handle_t *h);
void http_sock_close(struct http_engine *e, struct sock *s);
int http_on_curl_timer(CURLM *m, long timeout_ms, void *arg);
int http_on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
                        void *sockp);

#endif
