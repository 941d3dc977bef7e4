/*
 * The AWS request layer: endpoints, signing each attempt afresh, the SDKs'
 * "standard" retry mode, clock-skew correction, S3 region redirects, and
 * one error type for S3 XML, rest-json and Query answers.
 *
 * A call is asynchronous: aws_send() copies the request, and the callback
 * runs exactly once on the loop with the final outcome.
 */
#ifndef JANITOR_AWS_H
#define JANITOR_AWS_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "janitor/buf.h"
#include "janitor/creds.h"
#include "janitor/http.h"
#include "janitor/wire.h"

/* AWS_SVC_ORGANIZATIONS is global like IAM: one endpoint,
 * organizations.us-east-1.amazonaws.com, signed for us-east-1 (botocore's
 * endpoint rules for the aws partition). */
enum aws_service { AWS_SVC_S3 = 0, AWS_SVC_LAMBDA, AWS_SVC_IAM, AWS_SVC_STS,
                   AWS_SVC_LOGS, AWS_SVC_ORGANIZATIONS, AWS_SVC_COUNT };

struct aws_client_opts {
  uv_loop_t *loop;
  struct http_engine *http;     /* not owned */
  struct creds_chain *creds;    /* not owned */
  unsigned max_attempts;        /* first try included; >= 1 */
  const char *endpoint_url;     /* config override for every service */
  uint64_t retry_base_ms;       /* backoff base; 0: 1000 (SDK default) */
  /* The regions a request may go to (the config's list; us-east-1, where
   * the global calls go, is always allowed).  NULL: any region of the
   * right shape (untrusted_region()). */
  const char *const *regions;
  size_t nregions;
};

/* Room for aws_response.errmsg: a transport error, a credential chain's
 * account of every source it tried, or a refused region. */
#define AWS_ERRMSG_MAX 4096
/* Room for all that aws_describe_error() can write: the operation and
 * region, the error's code, message and request id, errmsg, the counts. */
#define AWS_DESCRIBE_MAX 8192

struct aws_client;
struct aws_response;

/*
 * Endpoint overrides: endpoint_url (config) wins, then AWS_ENDPOINT_URL_S3
 * (_LAMBDA, _IAM, _STS, _CLOUDWATCH_LOGS, _ORGANIZATIONS), then
 * AWS_ENDPOINT_URL.  The environment is read once here; aws_svc_env names
 * each service's variable (endpoint.h the others).
 */
extern const char *const aws_svc_env[AWS_SVC_COUNT];
int aws_client_new(const struct aws_client_opts *o, struct aws_client **out);
/* Pending retry timers are closed; calls in flight complete with
 * JAN_ECANCELED.  Memory is released from close callbacks: run the loop. */
void aws_client_free(struct aws_client *c);
/*
 * Stop sending anything new (SIGTERM's first step): aws_send() refuses
 * with JAN_ECANCELED, calls waiting for a retry or for a slot of their host
 * (not sent yet) end with JAN_ECANCELED, and
 * an answer that would need another attempt ends its call; transfers
 * already in flight run to their end.
 */
void aws_client_drain(struct aws_client *c);
/* Drain, and cancel the transfers in flight too (their calls end with
 * JAN_ECANCELED on a later loop turn). */
void aws_client_shutdown(struct aws_client *c);

/*
 * Called on a 2xx answer, on the loop, before the call completes.  Return
 * 0 when the body was understood; JAN_EPARSE makes the answer count as a
 * server error (retried like a 500): a 200 that does not parse is never
 * taken as an empty result.  The parser must reset what it filled when it
 * is called again for a retry.
 */
typedef int (*aws_parse_fn)(void *parse_arg, const struct aws_response *r);

#define AWS_REQ_CONTENT_MD5  0x01u  /* add Content-MD5 of the body */
#define AWS_REQ_NO_REDIRECT  0x02u  /* S3: do not follow a region answer */
#define AWS_REQ_UNSIGNED     0x04u  /* no credentials, no signature (STS
                                       AssumeRoleWithWebIdentity) */

struct aws_request {
  enum aws_service service;
  const char *region;           /* signing region (IAM: ignored) */
  const char *op;               /* operation name, for errors and logs */
  const char *method;
  const char *bucket;           /* S3 only, or NULL */
  const char *path;             /* encoded wire path after the bucket */
  const char *query;            /* encoded query without '?', or NULL */
  const char *content_type;     /* or NULL */
  const char *target;           /* X-Amz-Target (JSON 1.1: CloudWatch
                                   Logs, Organizations), signed; or NULL */
  const void *body;
  size_t body_len;
  size_t max_body;              /* 0: default cap */
  unsigned flags;
  aws_parse_fn parse;           /* or NULL */
  void *parse_arg;
  const char *secret;           /* or NULL: a value the request carries
                                   that no answer's text may show (the
                                   external id): masked in an error body
                                   before it is read (an echo of the
                                   request), see untrusted_mask_known() */
};


struct aws_response {
  int err;                      /* 0: 2xx; JAN_EAWS: service error (see e);
                                   JAN_EHTTP, JAN_ETIMEDOUT, JAN_ETOOBIG,
                                   JAN_ECREDS, JAN_ECANCELED, JAN_EPARSE */
  long status;
  struct wire_error e;          /* code, message, request id */
  char request_id[128];         /* of the last attempt */
  char region[32];              /* region the answer came from */
  /* transport/credential explanation (room for the credential chain's
   * full list of the sources it tried), or why an answer was refused */
  char errmsg[AWS_ERRMSG_MAX];
  unsigned attempts;
  struct jbuf body;             /* freed after the callback: jbuf_take */
  struct jbuf headers;          /* raw response headers */
};

typedef void (*aws_cb)(void *arg, struct aws_response *r);

int aws_send(struct aws_client *c, const struct aws_request *req, aws_cb cb,
             void *arg);

/* c's requests start ahead of every waiting request of the other clients
 * on its engine (http_request.first): for a chain of requests that the
 * others wait on, as the organization's listing.  Default 0: in order. */
void aws_client_set_first(struct aws_client *c, int first);

/*
 * The deletion gate: every request whose operation deletes (its name
 * begins with "Delete": DeleteObjects, DeleteObject, DeleteBucket,
 * DeleteFunction, DeleteLayerVersion) asks gate(arg) before it is built;
 * while it answers 0, aws_send() refuses it with JAN_EGUARD and sends
 * nothing.  One sweep sets it (the audit log's health: no deletion
 * send it) and clears it when it ends (gate NULL with the same arg: a
 * clear by another arg leaves the gate as it is).
 */
typedef int (*aws_delete_gate_fn)(void *arg);
void aws_client_set_delete_gate(struct aws_client *c, aws_delete_gate_fn gate,
                                void *arg);
int aws_op_deletes(const char *op);

/*
 * The typed form used by the service modules: parse(body, len, result)
 * fills a zeroed result of result_size bytes on every 2xx answer (a parse
 * failure is retried as a server error); cb gets the result, or NULL when
 * the call failed; free_result releases it after cb returns.
 */
typedef int (*aws_result_parse_fn)(const char *body, size_t len, void *result);
typedef void (*aws_result_free_fn)(void *result);
typedef void (*aws_result_cb)(void *arg, const struct aws_response *r,
                              void *result);
int aws_send_parsed(struct aws_client *c, const struct aws_request *req,
                    size_t result_size, aws_result_parse_fn parse,
                    aws_result_free_fn free_result, aws_result_cb cb,
                    void *arg);

/* Human-readable one-line description of a failed response (no secrets):
 * "ListFunctions eu-west-1: TooManyRequestsException: Rate exceeded
 * (request id ...; 5 attempts)".  out[AWS_DESCRIBE_MAX] holds it all. */
void aws_describe_error(const struct aws_response *r, const char *op,
                        char *out, size_t outlen);

/* A throttling code (the table in aws_decide.c). */
int aws_code_is_throttle(const char *code);

struct aws_stats {
  uint64_t calls, attempts, retries, throttled, redirects, skew_fixes;
  uint64_t skew_refused;        /* corrections beyond AWS_SKEW_MAX_S */
  int64_t clock_offset_s;       /* the correction signing uses */
  int64_t clock_skew_s;         /* the last skew measured from a Date
                                   (applied or refused); 0: none */
  unsigned retry_tokens;
};
void aws_client_stats(const struct aws_client *c, struct aws_stats *s);

/*
 * The time requests are signed with: the machine's clock plus the
 * correction measured from a server's Date (at most AWS_SKEW_MAX_S).  For
 * signing only: what is old, and every grace clock, is judged by the
 * machine's clock (time()), never by this.
 */
int64_t aws_client_signing_time(const struct aws_client *c);

/* Lambda: region not enabled for the account. */
int aws_error_is_region_disabled(const struct aws_response *r);
int aws_error_is_access_denied(const struct aws_response *r);
int aws_error_is_not_found(const struct aws_response *r);
/* The value of header name of an answer into out; 0 when absent. */
int aws_response_header(const struct aws_response *r, const char *name,
                        char *out, size_t outlen);

#endif
