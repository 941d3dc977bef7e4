#ifndef JANITOR_ENDPOINT_H
#define JANITOR_ENDPOINT_H
/*
 * What an endpoint URL may be (endpoint.c): one rule for the config's
 * endpoint_url and the environment's AWS_ENDPOINT_URL* variables.
 */
#include <stdbool.h>

/* The environment's overrides besides aws.c's per-service ones
 * (aws_svc_env): the general one, and the SSO portal's (creds_sso.c). */
#define ENDPOINT_ENV_ALL "AWS_ENDPOINT_URL"
#define ENDPOINT_ENV_SSO "AWS_ENDPOINT_URL_SSO"

/*
 * Why v is no endpoint URL, or NULL: it must be "http://" or "https://"
 * (any case) and a host, with no user info, query or fragment: each would
 * send the requests elsewhere than they seem to go, or carry a secret into
 * every message that names the endpoint.  *may_quote says whether a
 * message may quote v back (not when it may hold a password).
 */
const char *endpoint_url_refusal(const char *v, bool *may_quote);

#endif
