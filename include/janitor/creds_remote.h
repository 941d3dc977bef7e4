/*
 * The credential providers that need the network (SPEC section 5): the
 * container endpoint (ECS/EKS) and EC2 IMDSv2.  Both answer through the
 * HTTP engine, asynchronously, and hand out temporary credentials with an
 * Expiration that the chain refreshes ahead of time.
 */
#ifndef JANITOR_CREDS_REMOTE_H
#define JANITOR_CREDS_REMOTE_H

#include "janitor/creds.h"
#include "janitor/http.h"

/* AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or _FULL_URI,
 * with AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE.  Neither URI set:
 * JAN_ENOENT. */
struct creds_provider *creds_provider_container(struct http_engine *http);
/* IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT or 169.254.169.254; skipped
 * (JAN_ENOENT) when AWS_EC2_METADATA_DISABLED=true. */
struct creds_provider *creds_provider_imds(struct http_engine *http);
/* Adds both, in that order. */
int creds_chain_add_remote(struct creds_chain *ch, struct http_engine *http);

/* Parse the JSON both endpoints answer (AccessKeyId, SecretAccessKey,
 * Token, Expiration; IMDS also Code = "Success"). */
int creds_parse_remote_json(const char *body, size_t len,
                            struct aws_creds *out);
/* The same with the session token under token_key, and, when version is
 * not 0, a "Version" member that must equal it (credential_process's
 * "Version": 1, "SessionToken"). */
int creds_parse_json(const char *body, size_t len, const char *token_key,
                     int version, struct aws_creds *out);

#endif
