/*
 * The exit code of a run from its accounts' (remotion-janitor(8), EXIT
 * STATUS): a pure function, for the CLI, the daemon's record and the
 * metrics alike.
 */
#ifndef JANITOR_DAEMON_RUN_CODE_H
#define JANITOR_DAEMON_RUN_CODE_H

#include <stddef.h>

/* Exit codes (remotion-janitor(8), EXIT STATUS). */
#define EXIT_OK          0
#define EXIT_INCOMPLETE  1
#define EXIT_USAGE       2
#define EXIT_CREDENTIALS 3
#define EXIT_GUARD       4

/*
 * 0 when every account's is (and for none); the common code when every
 * account failed alike; else 4 when a guard refused somewhere; else 1
 * (one account's trouble never hides another's success, and never stops
 * it).
 */
int run_code_combine(const int *codes, size_t n);

#endif
