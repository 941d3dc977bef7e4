/* Start, query and stop the local AWS stand-in (tests/standin/standin.py)
 * from C tests.
 *
 *   struct standin s;
 *   const char *args[] = {"--fixture", path, NULL};
 *   if (standin_start(&s, args) < 0) fail;
 *   ... endpoint http://127.0.0.1:<s.port> ...
 *   char buf[4096]; int status;
 *   standin_request(s.port, "GET", "/__standin/log", NULL, buf, sizeof buf, &status);
 *   standin_stop(&s);
 *
 * The interpreter is $JAN_PYTHON (else /usr/bin/python3); the script is
 * $JAN_STANDIN_SCRIPT, else $JAN_SOURCE_DIR/tests/standin/standin.py, else
 * the path compiled in as STANDIN_DEFAULT_SCRIPT.  All traffic is on
 * 127.0.0.1.
 */
#ifndef STANDIN_HELPER_H
#define STANDIN_HELPER_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct standin {
    pid_t pid;          /* child process, 0 when not running */
    int port;           /* loopback port it listens on */
    char dir[256];      /* private temp dir (port file), removed by stop */
};

/* Start the stand-in with extra arguments (NULL-terminated list, may be
 * NULL) on a free port; wait until it answers /__standin/health (at most
 * 10 s).  Returns the port, or -1 (with a message on stderr). */
int standin_start(struct standin *s, const char *const *args);

/* SIGTERM, then wait up to 5 s; SIGKILL if it is still there.  Returns the
 * child's exit status (0 on a clean exit), -1 if it was not running. */
int standin_stop(struct standin *s);

/* One HTTP/1.0 request to 127.0.0.1:port (no TLS, no signing: for the
 * /__standin/ control API).  body may be NULL.  The response body (NUL-
 * terminated, cut to cap-1 bytes) goes to out, the status to *status.
 * Returns the body length stored, or -1 on a connection/timeout error. */
long standin_request(int port, const char *method, const char *path, const char *body, char *out, size_t cap,
                     int *status);

/* GET a control path; returns the HTTP status or -1. */
int standin_get(int port, const char *path, char *out, size_t cap);

/* POST JSON to a control path (e.g. "/__standin/faults"); returns the
 * HTTP status or -1. */
int standin_post(int port, const char *path, const char *json, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
