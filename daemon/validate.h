#ifndef JANITOR_DAEMON_VALIDATE_H
#define JANITOR_DAEMON_VALIDATE_H

#include "janitor/config.h"
#include "runtime.h"

/* Runs the loop until the check is done; returns the exit code (0 all
 * allowed, 3 something missing or no usable identity). */
int validate_run(struct runtime *rt, const struct jan_config *cfg, int json);

#endif
