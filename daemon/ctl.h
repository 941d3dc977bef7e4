/*
 * The status socket (SPEC section 9): a libuv pipe server, and the
 * --status client.
 *
 * Protocol: a client sends one command word per line (at most
 * CTL_LINE_MAX bytes before the newline); each line gets exactly one line
 * of JSON back.  A longer line gets an error and the connection is
 * closed, as is a connection idle for CTL_IDLE_MS or beyond CTL_MAX_CLIENTS
 * at once.  Answers are serialised by json-c, so they are valid JSON
 * whatever bytes a name or a bad command holds.
 *
 * The server answers one line at a time per client: while an answer is
 * being written, the client's input is not read (backpressure), so a
 * client that never reads cannot make the daemon queue answers.
 */
#ifndef JANITOR_DAEMON_CTL_H
#define JANITOR_DAEMON_CTL_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <uv.h>

#include "janitor/buf.h"

#define CTL_LINE_MAX     4096
#define CTL_MAX_CLIENTS  64
#define CTL_IDLE_MS      30000
#define CTL_CLIENT_TIMEOUT_MS 5000   /* --status: connect, send, answer */

/* What the daemon provides.  status and inventory return a new object
 * (caller owns) holding "ok": true and the answer's fields; sweep returns
 * 0 when a sweep was started, else fills err with why not. */
struct ctl_ops {
  struct json_object *(*status)(void *arg);
  struct json_object *(*inventory)(void *arg);
  int (*sweep)(void *arg, char *err, size_t errlen);
};

struct ctl_server;

/*
 * Listen on path: a file already there is replaced only when it is a
 * socket nobody answers on (JAN_EBUSY with "another daemon is running on
 * PATH" when somebody does).  The socket is created under umask 0177 and
 * then given mode.  JAN_OK, or an error with the reason in err.
 */
int ctl_server_open(uv_loop_t *loop, const char *path, unsigned mode,
                    const struct ctl_ops *ops, void *arg,
                    struct ctl_server **out, struct jbuf *err);
/* chmod the socket (a reload that only changes socket_mode). */
int ctl_server_chmod(struct ctl_server *s, unsigned mode, struct jbuf *err);
const char *ctl_server_path(const struct ctl_server *s);
/* Close the listener and every client, remove the socket file if it is
 * still ours; memory is released from close callbacks: run the loop. */
void ctl_server_close(struct ctl_server *s);

/*
 * One command line (without its newline) to one answer (a JSON text
 * without newline; caller frees).  *close_after is set when the
 * connection must end after the answer.  may_sweep: the peer's uid is 0
 * or the daemon's.  Exposed for tests and fuzzing.
 */
char *ctl_answer(const char *line, size_t len, int may_sweep,
                 const struct ctl_ops *ops, void *arg);

/* `--status [--json]`: ask the daemon on path and print its answer.
 * Returns the exit code (0, or 1 when no daemon answers). */
int ctl_status_client(const char *path, int json);

#endif
