/*
 * The credentials of one [account] section (remotion-janitor.conf(5),
 * ACCOUNTS): its role_arn assumed with sts:AssumeRole, signed by the
 * [aws] credentials (a chain the caller keeps), or the chain of a named
 * profile of the shared files.
 */
#ifndef JANITOR_CREDS_ROLE_H
#define JANITOR_CREDS_ROLE_H

#include "janitor/creds.h"
#include "janitor/creds_sts.h"

/*
 * role_arn assumed with source's credentials (source is not owned and must
 * outlive the provider), ExternalId external_id when not NULL, session
 * name "remotion-janitor-<epoch>", at the regional STS endpoint
 * (AWS_REGION, AWS_DEFAULT_REGION, then us-east-1).  The credentials
 * expire and are refreshed by the chain that holds the provider.  label
 * names it in messages ("account NAME").  NULL only when out of memory.
 */
struct creds_provider *creds_provider_role(const char *role_arn,
                                           const char *external_id,
                                           const char *label,
                                           struct creds_chain *source,
                                           const struct creds_sts_opts *o);

/* A profile's own chain, without the environment: its assumed role, web
 * identity, SSO, credential_process, then its keys. */
int creds_chain_add_profile(struct creds_chain *ch, const char *profile,
                            const struct creds_sts_opts *o);

#endif
