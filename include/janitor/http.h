/*
 * The HTTP engine: libcurl's multi interface driven by a libuv loop (one
 * uv_poll_t per socket, one uv_timer_t for curl's timeouts), one multi
 * handle with connection reuse, and bounds on transfers in flight in total
 * and per host.  Requests over a bound wait in a FIFO queue.  Nothing here
 * blocks the loop.
 */
#ifndef JANITOR_HTTP_H
#define JANITOR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "janitor/buf.h"

struct http_engine;
struct http_xfer;

struct http_opts {
  unsigned concurrency;         /* transfers in flight in all */
  unsigned host_concurrency;    /* per host:port */
  uint64_t connect_timeout_ms;
  uint64_t request_timeout_ms;  /* whole transfer */
  const char *ca_bundle;        /* NULL: system store; verification always on */
  size_t max_body;              /* default cap on a response body */
};

struct http_request {
  const char *method;           /* "GET", "POST", "DELETE", "PUT", "HEAD" */
  const char *url;
  const char *const *headers;   /* "Name: value" lines, NULL-terminated */
  const void *body;             /* copied at submit */
  size_t body_len;
  size_t max_body;              /* 0: the engine's default */
};

struct http_response {
  int err;                      /* 0, JAN_EHTTP, JAN_ETIMEDOUT, JAN_ETOOBIG,
                                   JAN_ECANCELED */
  char errmsg[256];             /* curl's explanation when err != 0 */
  long status;                  /* HTTP status, 0 when none arrived */
  struct jbuf body;
  struct jbuf headers;          /* raw header lines of the final answer */
  uint64_t elapsed_ms;
};

/* Value of a response header (case-insensitive name), trimmed, copied into
 * out (size outlen); returns 1 when found. */
int http_response_header(const struct http_response *r, const char *name,
                         char *out, size_t outlen);

/* Called exactly once per submitted request; resp is freed after the call
 * (move resp->body out with jbuf_take() to keep it). */
typedef void (*http_done_cb)(void *arg, struct http_response *resp);

int http_engine_new(uv_loop_t *loop, const struct http_opts *opts,
                    struct http_engine **out);
/*
 * Stop: every queued or in-flight transfer completes with JAN_ECANCELED,
 * handles are closed; the memory is released from the close callbacks, so
 * the caller must run the loop afterwards (uv_run until it returns 0).
 */
void http_engine_free(struct http_engine *e);

/* Everything in req is copied.  *xfer (optional) lets the caller cancel. */
int http_submit(struct http_engine *e, const struct http_request *req,
                http_done_cb cb, void *arg, struct http_xfer **xfer);
/* The callback still runs, with JAN_ECANCELED. */
void http_cancel(struct http_xfer *x);

/* Counters for tests and status. */
struct http_stats {
  uint64_t started, finished, queued_now, inflight_now, max_inflight;
  uint64_t connects;            /* new connections (reuse shows as few) */
};
void http_engine_stats(const struct http_engine *e, struct http_stats *s);

#endif
