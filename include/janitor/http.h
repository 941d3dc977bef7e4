/*
 * The HTTP engine: libcurl's multi interface driven by a libuv loop (one
 * uv_poll_t per socket, one uv_timer_t for curl's timeouts), one multi
 * handle with connection reuse, and bounds on transfers in flight in total
 * and per host.  Requests over a bound wait in a FIFO queue.  Nothing here
 * blocks the loop.
 *
 * HTTP/1.1 only, keep-alive, no redirects followed, no content encoding,
 * TLS verification always on.  Proxies come from the environment by curl's
 * rules (http_proxy, https_proxy, no_proxy...).  Each engine takes a
 * reference on curl's global state (curl_global_init) and drops it when its
 * memory is released; create engines from one thread.
 */
#ifndef JANITOR_HTTP_H
#define JANITOR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "janitor/buf.h"

struct http_engine;
struct http_xfer;

/* The largest CA bundle the janitor reads (fsafe_read_file(): curl is
 * handed its bytes, never its path, so that what was checked is what is
 * used and curl never opens a file that could block the loop). */
#define HTTP_CA_BUNDLE_MAX ((size_t)64 << 20)

struct http_opts {
  unsigned concurrency;         /* transfers in flight in all, >= 1 */
  unsigned host_concurrency;    /* per host:port; 0 or more: concurrency */
  uint64_t connect_timeout_ms;  /* 0: curl's default (300 s) */
  uint64_t request_timeout_ms;  /* whole transfer; 0: none */
  const char *ca_pem;           /* CA certificates (PEM) that replace the
                                   system store, copied; NULL: the system
                                   store.  Verification is always on.
                                   (ca_bundle and AWS_CA_BUNDLE are the
                                   caller's business.) */
  size_t ca_pem_len;
  size_t max_body;              /* default cap on a response body, >= 1 */
};

struct http_request {
  const char *method;           /* "GET", "POST", "DELETE", "PUT", "HEAD" */
  const char *url;
  const char *const *headers;   /* "Name: value" lines, NULL-terminated */
  const void *body;             /* copied at submit; POST and PUT always send
                                   a Content-Length, other methods only with
                                   a body; never with HEAD */
  size_t body_len;
  size_t max_body;              /* 0: the engine's default */
  int first;                    /* ahead of every waiting transfer that is
                                   not (a chain the others wait on: the
                                   organization's listing); 0: FIFO */
};

struct http_response {
  int err;                      /* 0, JAN_EHTTP, JAN_ETIMEDOUT, JAN_ETOOBIG,
                                   JAN_ECANCELED */
  char errmsg[256];             /* curl's explanation when err != 0 */
  long status;                  /* HTTP status, 0 when none arrived */
  struct jbuf body;
  struct jbuf headers;          /* header lines of the final answer as
                                   received ("Name: value\r\n"), without the
                                   status line; at most 64 KiB (beyond:
                                   JAN_ETOOBIG) */
  uint64_t elapsed_ms;          /* from submit (queue wait included) */
};

/* Value of a response header (case-insensitive name), trimmed, copied into
 * out (size outlen, truncated to fit); returns 1 when found (the first
 * one), else 0. */
int http_response_header(const struct http_response *r, const char *name,
                         char *out, size_t outlen);

/* Called exactly once per submitted request, never from inside
 * http_submit() or http_cancel(); resp is freed after the call (move
 * resp->body out with jbuf_take() to keep it).  A callback may submit,
 * cancel other transfers, and free the engine. */
typedef void (*http_done_cb)(void *arg, struct http_response *resp);

int http_engine_new(uv_loop_t *loop, const struct http_opts *opts,
                    struct http_engine **out);
/*
 * Stop: every queued or in-flight transfer completes with JAN_ECANCELED,
 * its callback run before this returns (so no callback comes later);
 * handles are closed; the memory is released from the close callbacks, so
 * the caller must run the loop afterwards (uv_run until it returns 0).
 * Safe from inside a callback; a second call does nothing.
 */
void http_engine_free(struct http_engine *e);

/* Everything in req is copied.  *xfer (optional) lets the caller cancel;
 * it is valid until the callback starts.  Returns JAN_EINVAL (not an http
 * or https URL, a method that is not upper-case letters, HEAD with a body),
 * JAN_ENOMEM, or JAN_ECANCELED (engine being freed): then no callback. */
int http_submit(struct http_engine *e, const struct http_request *req,
                http_done_cb cb, void *arg, struct http_xfer **xfer);
/* Until its callback starts, a transfer can be canceled: it stops, and its
 * callback runs once with JAN_ECANCELED, on a later loop turn.  A second
 * cancel does nothing. */
void http_cancel(struct http_xfer *x);
/* 1 while x waits in its host's queue: nothing of it has been sent. */
int http_xfer_queued(const struct http_xfer *x);

/* Counters for tests and status. */
struct http_stats {
  uint64_t started, finished, queued_now, inflight_now, max_inflight;
  uint64_t connects;            /* new connections (reuse shows as few) */
  /* started: handed to curl; finished: callbacks run (canceled included) */
};
void http_engine_stats(const struct http_engine *e, struct http_stats *s);

#endif
