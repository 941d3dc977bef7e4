/*
 * The status socket (remotion-janitor(8), STATUS SOCKET): a libuv pipe server, and the
 * --status client.
 *
 * Protocol: a client sends one command word per line (at most
 * CTL_LINE_MAX bytes before the newline); each line gets exactly one line
 * of JSON back.  A longer line gets an error and the connection is
 * closed.  Answers are serialised by json-c, so they are valid JSON
 * whatever bytes a name or a bad command holds.
 *
 * Fairness: a connection must send its first complete line within
 * CTL_FIRST_LINE_MS (bytes without a newline do not extend it); after
 * that it may be idle CTL_IDLE_MS after its last input or answer;
 * otherwise it is closed.  At
 * most CTL_MAX_CLIENTS are served at once, and the last
 * CTL_RESERVED_CLIENTS of those slots only for uid 0 and the daemon's own
 * uid (SO_PEERCRED), so other users' idle connections cannot keep the
 * operator out.  A connection over the limit is accepted, told "too many
 * clients" and closed: the listening socket's backlog never fills.
 *
 * The server answers one line at a time per client: while an answer is
 * being written, the client's input is not read (backpressure).  A long
 * answer (`inventory`) is produced piece by piece as the client takes it:
 * at most about CTL_OUT_MAX bytes of it are held per client, and a client
 * that has not taken them within CTL_DRAIN_MS is closed.  So a client
 * that never reads costs the daemon one bounded buffer, for a bounded time.
 */
#ifndef JANITOR_DAEMON_CTL_H
#define JANITOR_DAEMON_CTL_H

#define CTL_ANSWER_MAX (64u * 1024 * 1024)   /* an answer's size, at most */

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <uv.h>

#include "janitor/buf.h"

#define CTL_LINE_MAX     4096
#define CTL_MAX_CLIENTS  64
#define CTL_RESERVED_CLIENTS 8       /* of CTL_MAX_CLIENTS: privileged only */
#define CTL_FIRST_LINE_MS 5000       /* connect to the first complete line */
#define CTL_IDLE_MS      30000
#define CTL_OUT_MAX      (64 * 1024) /* answer bytes held per client */
#define CTL_DRAIN_MS     10000       /* for a client to take them */
#define CTL_CLIENT_TIMEOUT_MS 5000   /* --status: connect, send, answer */

/*
 * An answer produced piece by piece.  next() appends the next piece (one
 * JSON fragment, 1 to CTL_PIECE_MAX bytes) to out and returns 1 while
 * more follow, 0 after the last one (the line complete, without its
 * newline), or a JAN_E* code (the answer cannot be finished).  free()
 * releases the stream, finished or not.
 */
#define CTL_PIECE_MAX    (1024 * 1024)
struct ctl_stream {
  int (*next)(struct ctl_stream *st, struct jbuf *out);
  void (*free)(struct ctl_stream *st);
};

/* What the daemon provides.  status returns a new object (caller owns)
 * holding "ok": true and the answer's fields; inventory returns a stream
 * of such an object (NULL: out of memory); sweep returns 0 when a sweep
 * was started, else fills err with why not. */
struct ctl_ops {
  struct json_object *(*status)(void *arg);
  struct ctl_stream *(*inventory)(void *arg);
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
 * without newline; caller frees; a streamed answer is collected whole).
 * may_sweep: the peer's uid is 0 or the daemon's.  Exposed for tests and
 * fuzzing.
 */
char *ctl_answer(const char *line, size_t len, int may_sweep,
                 const struct ctl_ops *ops, void *arg);

/* `--status [--json]`: ask the daemon on path and print its answer.
 * Returns the exit code (0, or 1 when no daemon answers). */
int ctl_status_client(const char *path, int json);

#endif
