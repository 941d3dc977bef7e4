/*
 * IAM Identity Center (SSO) profiles (issue 13): the token cached by
 * `aws sso login`, traded at the portal's GetRoleCredentials.
 */
#ifndef JANITOR_CREDS_SSO_H
#define JANITOR_CREDS_SSO_H

#include "janitor/creds.h"
#include "janitor/http.h"

/*
 * A profile (NULL: AWS_PROFILE, else "default") with sso_session or
 * sso_start_url: JAN_ENOENT when it has neither; JAN_ECONFIG when settings
 * are missing; JAN_ECREDS for a missing, expired or refused token (the
 * message names "aws sso login --profile NAME" or "--sso-session NAME").
 * endpoint_url (the config's, may be NULL), AWS_ENDPOINT_URL_SSO and
 * AWS_ENDPOINT_URL override https://portal.sso.REGION.amazonaws.com.
 */
struct creds_provider *creds_provider_sso(const char *profile,
                                          struct http_engine *http,
                                          const char *endpoint_url);

/* The portal's answer: roleCredentials {accessKeyId, secretAccessKey,
 * sessionToken, expiration (ms since the epoch)}. */
int creds_parse_sso_json(const char *body, size_t len, struct aws_creds *out);

#endif
