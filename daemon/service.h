/*
 * The long-running service (remotion-janitor(8), THE DAEMON): periodic sweeps on one libuv
 * loop, the status socket, systemd notification and watchdog, metrics,
 * reload on SIGHUP and an orderly stop on SIGTERM/SIGINT.
 */
#ifndef JANITOR_DAEMON_SERVICE_H
#define JANITOR_DAEMON_SERVICE_H

#include "config_load.h"

/* Run the daemon in the foreground until SIGTERM/SIGINT; the exit code. */
int service_run(const struct service_opts *o);

/* `--status [--json]`: the socket from the config (or --socket); the exit
 * code. */
int service_status(const struct service_opts *o, int json);

#endif
