#ifndef JANITOR_DAEMON_VALIDATE_H
#define JANITOR_DAEMON_VALIDATE_H

#include <json-c/json.h>

#include "janitor/config.h"
#include "runtime.h"

/*
 * --validate: every account of the run (its [account] sections, only
 * those named in only if nonly; without sections the one "default"),
 * each checked on its own credentials, with the trust policy its role
 * needs beside.  Runs the loop until done; the worst exit code (0 all
 * allowed, 3 something missing or no usable identity).  With json one
 * document {"ok","accounts":[...]}.
 */
int validate_run(struct runtime *base, const struct jan_config *cfg,
                 const char *const *only, size_t nonly, int json);
/* An sts:GetCallerIdentity ARN as IAM names the principal (an assumed
 * role's session: the role). */
void validate_principal_arn(const char *arn, char *out, size_t outlen);

#endif
