/*
 * The configuration as the command line asks for it, for the CLI and the
 * daemon alike (config_load.c): the file (or the built-in defaults) with
 * the command line's overrides, and what a reload would change.
 */
#ifndef JANITOR_DAEMON_CONFIG_LOAD_H
#define JANITOR_DAEMON_CONFIG_LOAD_H

#include <stddef.h>

#include "janitor/buf.h"
#include "janitor/config.h"

/* What the command line may override; applied again at every reload. */
struct service_opts {
  const char *config;           /* -c FILE, or NULL: the default path if it
                                   exists, else the built-in defaults */
  const char *const *regions;   /* --region, nregions of them */
  size_t nregions;
  const char *profile;          /* --profile, or NULL */
  const char *socket;           /* --socket, or NULL */
  const char *shard;            /* --shard I/N, or NULL ([daemon] shard) */
  int check_paths;              /* --check-config: CONFIG_CHECK_PATHS too */
};

/*
 * The config with the command line's overrides, into cfg (which the caller
 * frees with config_free() whatever the result).  Every error is appended
 * to errs, one "FILE:LINE: message" line each.  JAN_OK or an error code.
 */
int service_load_config(const struct service_opts *o, struct jan_config *cfg,
                        struct jbuf *errs);

/* Each line of errs as one log entry at level. */
void service_log_lines(int level, const struct jbuf *errs);
/* "the new configuration has N errors, the first: FILE:LINE: message"
 * from the loader's lines. */
void config_errors_summary(const struct jbuf *errs, char *out, size_t len);
/* 1 when a setting the runtime is built from differs (a new runtime is
 * needed). */
int config_aws_differ(const struct jan_config *a, const struct jan_config *b);

#endif
