/*
 * What every sweep runs on: the loop, the HTTP engine, the credential
 * chain and the AWS client, built from one config.  The CLI builds one for
 * a single sweep; the daemon keeps one across sweeps and rebuilds it on a
 * reload.
 */
#ifndef JANITOR_DAEMON_RUNTIME_H
#define JANITOR_DAEMON_RUNTIME_H

#include <uv.h>

#include "janitor/aws.h"
#include "janitor/config.h"
#include "janitor/creds.h"
#include "janitor/creds_remote.h"
#include "janitor/http.h"

struct runtime {
  uv_loop_t *loop;
  struct http_engine *http;
  struct creds_chain *creds;
  struct aws_client *aws;
  int owns_creds;               /* an account's: creds is its own */
};

int runtime_open(struct runtime *rt, uv_loop_t *loop,
                 const struct jan_config *cfg);
/* Cancels what is in flight; run the loop afterwards to release memory. */
void runtime_close(struct runtime *rt);

/*
 * One [account] section's runtime on base's loop and HTTP engine (the
 * request limits are per host, for every account together): its own
 * credentials (its role assumed with base's, or its profile; neither:
 * base's) and AWS client, with view's options.  Closed with
 * runtime_close_account() before base.
 */
int runtime_open_account(struct runtime *rt, const struct runtime *base,
                         const struct jan_config *view,
                         const struct jan_account *acct);
void runtime_close_account(struct runtime *rt);

#endif
