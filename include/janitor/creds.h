/*
 * AWS credentials and the provider chain (SPEC section 5).
 *
 * A provider answers asynchronously through a callback, so that providers
 * which need the network (container endpoint, EC2 IMDSv2) join the chain
 * exactly like the file-based ones, which answer before returning.
 */
#ifndef JANITOR_CREDS_H
#define JANITOR_CREDS_H

#include <stddef.h>
#include <time.h>

#include "janitor/buf.h"

struct aws_creds {
  char *access_key;
  char *secret_key;             /* never logged */
  char *session_token;          /* never logged; NULL for long-term keys */
  time_t expiration;            /* 0: does not expire */
  const char *source;           /* static: "environment", "profile:NAME"... */
};

void creds_init(struct aws_creds *c);
/* Wipes the secrets before freeing. */
void creds_free(struct aws_creds *c);
int creds_copy(struct aws_creds *dst, const struct aws_creds *src);

/*
 * rc: JAN_OK with creds; JAN_ENOENT when the provider has nothing (the chain
 * moves on); any other code stops the chain.  msg explains a failure without
 * any secret, or is NULL.  creds is only valid during the call.
 */
typedef void (*creds_cb)(void *arg, int rc, const struct aws_creds *creds,
                         const char *msg);

struct creds_provider {
  const char *name;
  /* Call cb exactly once, possibly before returning. */
  void (*fetch)(struct creds_provider *self, creds_cb cb, void *arg);
  void (*destroy)(struct creds_provider *self);
};

/* The synchronous providers.  NULL only when out of memory. */
struct creds_provider *creds_provider_env(void);
/* Shared files: AWS_SHARED_CREDENTIALS_FILE / ~/.aws/credentials and
 * AWS_CONFIG_FILE / ~/.aws/config; profile NULL means AWS_PROFILE, else
 * "default". */
struct creds_provider *creds_provider_profile(const char *profile);
/* $CREDENTIALS_DIRECTORY/aws read as a shared credentials file. */
struct creds_provider *creds_provider_systemd(const char *profile);

/* Read one profile's keys from a credentials-format (is_config = 0,
 * "[name]") or config-format (is_config = 1, "[profile name]", "[default]")
 * file.  JAN_ENOENT when the file or profile is absent or holds no keys. */
int creds_read_file(const char *path, int is_config, const char *profile,
                    struct aws_creds *out, struct jbuf *err);

/*
 * The chain: tries providers in order, caches the answer, and refreshes
 * temporary credentials before they expire (CREDS_REFRESH_AHEAD seconds).
 * Concurrent callers during a refresh wait for the one refresh in flight.
 */
#define CREDS_REFRESH_AHEAD 300
struct creds_chain;
int creds_chain_new(struct creds_chain **out);
/* The chain owns p from now on (also on failure). */
int creds_chain_add(struct creds_chain *ch, struct creds_provider *p);
void creds_chain_get(struct creds_chain *ch, creds_cb cb, void *arg);
/* Forget the cached credentials (e.g. after ExpiredToken). */
void creds_chain_invalidate(struct creds_chain *ch);
void creds_chain_free(struct creds_chain *ch);
/* The standard order of env, profile files, systemd credentials. */
int creds_chain_add_static(struct creds_chain *ch, const char *profile);

#endif
