/*
 * The Prometheus textfile of a run over several accounts: each family of
 * metrics.c about the last sweep once per account, with an account label
 * (the section's name); the daemon-wide counters once, without.
 */
#ifndef JANITOR_DAEMON_METRICS_ACCOUNTS_H
#define JANITOR_DAEMON_METRICS_ACCOUNTS_H

#include "janitor/buf.h"
#include "accounts.h"
#include "metrics.h"

int metrics_accounts_format(struct jbuf *out, const struct accounts *as,
                            const struct metrics_counters *c);
/* Format and write atomically to path (as metrics_write()). */
int metrics_accounts_write(const char *path, const struct accounts *as,
                           const struct metrics_counters *c, struct jbuf *err);

#endif
