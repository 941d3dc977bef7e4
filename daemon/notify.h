/*
 * The systemd notification protocol (sd_notify(3)) for Type=notify.
 *
 * Built with libsystemd (HAVE_LIBSYSTEMD), its sd_notify() and
 * sd_watchdog_enabled() are used.  Without it, a small fallback of our own
 * speaks the same protocol: one datagram to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace), and
 * WATCHDOG_USEC / WATCHDOG_PID read from the environment.  Either way
 * nothing happens when NOTIFY_SOCKET is unset, and a failure to notify is
 * never fatal.
 */
#ifndef JANITOR_DAEMON_NOTIFY_H
#define JANITOR_DAEMON_NOTIFY_H

#include <stdint.h>

#include "janitor/err.h"

/* Send one message, e.g. "READY=1\nSTATUS=idle".  0, or a negative errno. */
int notify_send(const char *msg);
/* "STATUS=<text>" (newlines in text become blanks), with an optional
 * prefix message before it, e.g. notify_status("READY=1", "idle"). */
int notify_status(const char *prefix, const char *fmt, ...) JAN_PRINTF(2, 3);
/* 1 with the interval in *usec when systemd expects WATCHDOG=1 pings from
 * this process, else 0. */
int notify_watchdog_usec(uint64_t *usec);

#endif
