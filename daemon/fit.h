/*
 * Text cut to a terminal's width, for the table, the storage report and
 * the progress line alike.
 */
#ifndef JANITOR_DAEMON_FIT_H
#define JANITOR_DAEMON_FIT_H

#include <stddef.h>

/* s cut in the middle with an ellipsis to width columns (ASCII s); width
 * 0: not cut. */
void output_fit(const char *s, size_t width, char *out, size_t outlen);

#endif
