/*
 * The credential chains, assembled here above every provider (the core,
 * creds.c, names none of them): the standard chain of the AWS SDKs, a
 * profile's own, and the static one of the tools that never ask STS.
 */
#include "janitor/creds.h"
#include "janitor/creds_process.h"
#include "janitor/creds_remote.h"
#include "janitor/creds_sso.h"
#include "janitor/creds_sts.h"

int creds_chain_add_profile(struct creds_chain *ch, const char *profile,
                            const struct creds_sts_opts *o)
{
  int rc = creds_chain_add(ch, creds_provider_assume_role(profile, o));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_web_identity(profile, o));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_sso(profile, o->http,
                                                o->endpoint_url));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_process(profile, o->loop));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_profile(profile));
  return rc;
}

int creds_chain_add_static(struct creds_chain *ch, const char *profile)
{
  int rc = creds_chain_add(ch, creds_provider_env());
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_profile(profile));
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_systemd(profile));
  return rc;
}

int creds_chain_add_standard(struct creds_chain *ch, const char *profile,
                             const struct creds_sts_opts *o)
{
  int rc = creds_chain_add(ch, creds_provider_env());
  if(!rc)
    rc = creds_chain_add_profile(ch, profile, o);
  if(!rc)
    rc = creds_chain_add(ch, creds_provider_systemd(profile));
  if(!rc)
    rc = creds_chain_add_remote(ch, o->http);
  return rc;
}
