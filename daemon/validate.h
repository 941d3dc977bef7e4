#ifndef JANITOR_DAEMON_VALIDATE_H
#define JANITOR_DAEMON_VALIDATE_H

#include <json-c/json.h>

#include "janitor/config.h"
#include "runtime.h"

/* Runs the loop until the check is done; returns the exit code (0 all
 * allowed, 3 something missing or no usable identity). */
int validate_run(struct runtime *rt, const struct jan_config *cfg, int json);
/* The same for one of several accounts: its text under "account NAME";
 * with json, its document (with "name") added to the array into. */
int validate_account(struct runtime *rt, const struct jan_config *cfg,
                     int json, const char *name, struct json_object *into);
/* Every [account] section (only those named in only, if nonly): each
 * checked on its own credentials, with the trust policy its role needs
 * beside.  The worst exit code. */
int validate_accounts(struct runtime *base, const struct jan_config *cfg,
                      const char *const *only, size_t nonly, int json);
/* An sts:GetCallerIdentity ARN as IAM names the principal (an assumed
 * role's session: the role). */
void validate_principal_arn(const char *arn, char *out, size_t outlen);

#endif
