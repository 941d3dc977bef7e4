/*
 * Private to the credential providers that read local state: creds_env.c
 * (the environment, and where the shared files are) and creds_file.c (the
 * shared files and systemd credentials).
 */
#ifndef JANITOR_CREDS_INT_H
#define JANITOR_CREDS_INT_H

#include <stddef.h>

#include "janitor/buf.h"

/* A key, secret or token: printable ASCII without spaces, not empty. */
int creds_value_ok(const char *s, size_t n);
/* Wipe n bytes of p, then free it (NULL is fine). */
void creds_wipe_free(char *p, size_t n);
/* getenv(), with an empty value as unset. */
const char *creds_env_value(const char *name);
/* AWS_SHARED_CREDENTIALS_FILE or AWS_CONFIG_FILE (envname), with "~/"
 * expanded as the CLI does, else ~/.aws/LEAF.  JAN_ENOENT: no home. */
int creds_resolve_path(const char *envname, const char *leaf,
                       struct jbuf *out, int *from_env);
/* $CREDENTIALS_DIRECTORY/aws; JAN_ENOENT when the variable is unset. */
int creds_systemd_path(struct jbuf *out);

#endif
