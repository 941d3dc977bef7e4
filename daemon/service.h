/*
 * The long-running service (remotion-janitor(8), THE DAEMON): periodic sweeps on one libuv
 * loop, the status socket, systemd notification and watchdog, metrics,
 * reload on SIGHUP and an orderly stop on SIGTERM/SIGINT.
 */
#ifndef JANITOR_DAEMON_SERVICE_H
#define JANITOR_DAEMON_SERVICE_H

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
  int check_paths;              /* --check-config: CONFIG_CHECK_PATHS too */
};

/*
 * The config with the command line's overrides, into cfg (which the caller
 * frees with config_free() whatever the result).  Every error is appended
 * to errs, one "FILE:LINE: message" line each.  JAN_OK or an error code.
 */
int service_load_config(const struct service_opts *o, struct jan_config *cfg,
                        struct jbuf *errs);

/* Run the daemon in the foreground until SIGTERM/SIGINT; the exit code. */
int service_run(const struct service_opts *o);

/* `--status [--json]`: the socket from the config (or --socket); the exit
 * code. */
int service_status(const struct service_opts *o, int json);

#endif
