/*
 * The credential providers that ask STS (issue 13, issue 22): one
 * AssumeRole provider parameterised by its source credentials, as
 * aws-c-auth's STS provider (creds_sts.c), used by a profile's role_arn
 * (signed by its source_profile, a chain of them, or its
 * credential_source: creds_sts_profile.c), by an [account] section's
 * role_arn and by an organization's member roles (signed by the [aws]
 * credentials); and web identity.  The calls go through their own AWS
 * client (retries, clock skew, endpoint overrides as for every other
 * call) to the regional STS endpoint.
 */
#ifndef JANITOR_CREDS_STS_H
#define JANITOR_CREDS_STS_H

#include <stdint.h>

#include <uv.h>

#include "janitor/aws.h"
#include "janitor/creds.h"
#include "janitor/http.h"

struct creds_sts_opts {
  uv_loop_t *loop;
  struct http_engine *http;     /* not owned */
  const char *endpoint_url;     /* as aws_client_opts; copied */
  unsigned max_attempts;
  uint64_t retry_base_ms;
};

/* Longest chain of role profiles (source_profile after source_profile). */
#define CREDS_ROLE_CHAIN_MAX 8
/* STS's endpoint when nothing names a region. */
#define CREDS_STS_DEFAULT_REGION "us-east-1"
/* A role session name: [\w+=,.@-]{2,64}. */
#define CREDS_STS_SESSION_MAX 64
/* DurationSeconds bounds of sts:AssumeRole. */
#define CREDS_ROLE_DURATION_MIN 900
#define CREDS_ROLE_DURATION_MAX 43200

/* One role for creds_provider_sts(); every string is copied. */
struct creds_sts_role {
  const char *arn;              /* required */
  const char *external_id;      /* NULL: none; never in a message */
  const char *session;          /* NULL: "remotion-janitor-<epoch>" */
  long duration;                /* 0: STS's default */
  const char *region;           /* the STS endpoint's; NULL or "": see
                                   creds_sts_region() */
  const char *what;             /* a failure reads "WHAT: <the error>";
                                   NULL: the ARN */
  const char *source;           /* the credentials' source, for the logs;
                                   NULL: the ARN */
};

/*
 * The AssumeRole provider: role's temporary credentials, the call signed
 * by what source hands out (not owned; it must outlive the provider).
 * JAN_ECREDS (with "WHAT: why") when STS refuses or the source has none.
 */
struct creds_provider *creds_provider_sts(const struct creds_sts_role *role,
                                          struct creds_chain *source,
                                          const struct creds_sts_opts *o);
/* The STS region: profile_region when set, else AWS_REGION, else
 * AWS_DEFAULT_REGION, else CREDS_STS_DEFAULT_REGION.  It only chooses the
 * endpoint, never the regions swept. */
void creds_sts_region(const char *profile_region, char *out, size_t n);

/*
 * A profile (NULL: AWS_PROFILE, else "default") with role_arn: JAN_OK with
 * the role's temporary credentials; JAN_ENOENT when it has no role_arn;
 * JAN_ECONFIG for a profile that cannot work (no or two sources, a loop,
 * mfa_serial, a bad duration_seconds); JAN_ECREDS when STS refuses.
 */
struct creds_provider *creds_provider_assume_role(const char *profile,
                                                  const struct creds_sts_opts *o);

/*
 * Web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+
 * AWS_ROLE_SESSION_NAME), else the profile's web_identity_token_file +
 * role_arn (+ role_session_name): the token file read at every fetch and
 * sent in an unsigned sts:AssumeRoleWithWebIdentity.  JAN_ENOENT when no
 * token file is configured.
 */
struct creds_provider *creds_provider_web_identity(const char *profile,
                                                   const struct creds_sts_opts *o);

/* A profile's own chain, without the environment: its assumed role, web
 * identity, SSO, credential_process, then its keys (creds_chain.c). */
int creds_chain_add_profile(struct creds_chain *ch, const char *profile,
                            const struct creds_sts_opts *o);
/* The whole chain (creds_chain.c), in the AWS SDKs' order: environment, assume role
 * (profile), web identity, SSO, credential_process (after the credentials file's keys),
 * shared files, systemd credentials, container, IMDS. */
int creds_chain_add_standard(struct creds_chain *ch, const char *profile,
                             const struct creds_sts_opts *o);

/*
 * Send sts:AssumeRole for arn through c (signed with c's credentials) to
 * region's STS; session NULL: "remotion-janitor-<epoch>"; external_id
 * NULL: none; duration 0: STS's default.  cb gets a struct aws_creds (or
 * NULL on error).  The request body, which holds the external id, is
 * wiped.  JAN_OK or the error of aws_send_parsed().
 */
int creds_sts_assume_role(struct aws_client *c, const char *region,
                          const char *arn, const char *session,
                          const char *external_id, long duration,
                          aws_result_cb cb, void *arg);

/* The same for sts:AssumeRoleWithWebIdentity, unsigned, with token (the
 * request body that holds it is wiped, and no answer may show it). */
int creds_sts_assume_role_with_web_identity(struct aws_client *c,
                                            const char *region,
                                            const char *arn,
                                            const char *session,
                                            const char *token,
                                            aws_result_cb cb, void *arg);
/* An AWS client for STS calls with o's options, signed by signer's
 * credentials (not owned).  JAN_OK or aws_client_new()'s error. */
int creds_sts_client(const struct creds_sts_opts *o,
                     struct creds_chain *signer, struct aws_client **out);

/* STS's AssumeRole* answer (root: "AssumeRoleResponse", ...). */
int creds_parse_sts_xml(const char *body, size_t len, const char *root,
                        struct aws_creds *out);

#endif
