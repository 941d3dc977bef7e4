/*
 * Private to the AWS request layer, aws.c: client, calls, answers,
 * retries, and each attempt (where it goes, its headers, its signature,
 * its transfer).
 */
#ifndef JANITOR_AWS_INT_H
#define JANITOR_AWS_INT_H

#include <stdint.h>
#include <string.h>

#include <uv.h>

#include "janitor/caps.h"
#include "janitor/aws.h"
#include "janitor/http.h"
#include "janitor/rng.h"
#include "janitor/sigv4.h"

/* Answers without a cap of their own (s3.c and lambda.c size the
 * listings): errors, identities, deletions, bucket locations, a
 * simulation of one action on one resource.  All are a few KiB. */
#define AWS_DEFAULT_MAX_BODY   (1024u * 1024)
#define AWS_MAX_BACKOFF_MS     20000u
#define AWS_MAX_RETRY_AFTER_MS 60000u
/* Where the global calls (ListBuckets, GetBucketLocation, IAM) are signed. */
#define AWS_GLOBAL_REGION      "us-east-1"
/* The SDKs' retry quota: 500 tokens, 5 per retry, 10 per timeout retry. */
#define RETRY_TOKENS_MAX       500u
#define RETRY_COST             5u
#define RETRY_COST_TIMEOUT     10u
#define RETRY_REFUND_NO_RETRY  1u

extern const char *const aws_svc_name[AWS_SVC_COUNT];

struct aws_call;

struct aws_client {
  uv_loop_t *loop;
  struct http_engine *http;
  struct creds_chain *creds;
  unsigned max_attempts;
  uint64_t retry_base_ms;
  char *endpoint[AWS_SVC_COUNT];  /* override base URL or NULL */
  char (*regions)[32];           /* where requests may go; NULL: any */
  size_t nregions;
  struct sigv4_cache *keys;
  int64_t clock_offset;          /* for signing only; |.| <= AWS_SKEW_MAX_S */
  int64_t clock_skew;            /* the last measured (aws_stats) */
  unsigned tokens;
  struct jan_rng rng;            /* backoff jitter */
  int shutting_down;             /* cancel everything */
  int draining;                  /* send nothing new */
  int first;                    /* its requests go ahead of waiting ones */
  aws_delete_gate_fn delete_gate;  /* asked before any deletion */
  void *delete_gate_arg;
  int freed;
  size_t ncalls;
  struct aws_call *calls;         /* all live calls, for shutdown */
  struct aws_stats st;
};

struct aws_call {
  struct aws_client *c;
  struct aws_call *next, *prev;
  enum aws_service svc;
  char region[32];
  char *op, *method, *bucket, *path, *query, *content_type, *target;
  char *body;
  size_t body_len, max_body;
  char *secret;                   /* aws_request's: wiped when freed */
  unsigned flags;
  aws_parse_fn parse;
  void *parse_arg;
  aws_cb cb;
  void *arg;

  unsigned attempts;
  int64_t signed_at;              /* signing time of the last attempt */
  unsigned last_cost;             /* tokens taken for the pending retry */
  int redirected, skew_fixed, creds_renewed;
  uv_timer_t *timer;              /* allocated on the first retry */
  struct http_xfer *xfer;
  char host[JAN_HOST_MAX];                 /* of the attempt in flight, for -vv */
  uint64_t sent_ms;               /* uv_now() when it was sent */
  struct aws_response resp;
};

/* dst gets src, cut to fit. */
static inline void copy_str(char *dst, size_t dstlen, const char *src)
{
  size_t n = strlen(src);
  if(n >= dstlen)
    n = dstlen - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* aws.c */
/* NULL when a request may go to region s, else why not. */
const char *aws_region_refusal(const struct aws_client *c, const char *s);
void aws_call_finish(struct aws_call *k, int err);
/* The transfer's callback (arg: the call). */
void aws_http_done(void *arg, struct http_response *hr);

/* Get credentials, then sign and send one attempt. */
void aws_attempt_start(struct aws_call *k);

#endif
