/*
 * credential_process (issue 13): a profile's command that prints Version 1
 * credentials JSON, run with uv_spawn on the loop.
 */
#ifndef JANITOR_CREDS_PROCESS_H
#define JANITOR_CREDS_PROCESS_H

#include <stdint.h>

#include <uv.h>

#include "janitor/creds.h"

/* The command is killed (with its process group) after this long;
 * REMOTION_JANITOR_PROCESS_TIMEOUT_MS overrides it (for tests). */
#define CREDS_PROCESS_TIMEOUT_MS 30000u
uint64_t creds_process_timeout_ms(void);

/* A value holding one of these runs under /bin/sh -c; any other is split
 * into argv by whitespace, with '...' and "..." quoting. */
#define CREDS_PROCESS_SHELL_CHARS "|&;<>()$`\\*?[]{}~#!\n"
int creds_process_needs_shell(const char *cmd);
/* argv[max] room; words written to buf (strlen(cmd) + 1 bytes).  The
 * number of words, or -1 (an unterminated quote, too many words). */
int creds_process_split(const char *cmd, char *buf, char **argv, int max);

/*
 * The profile's credential_process (profile NULL: AWS_PROFILE, else
 * "default"); JAN_ENOENT when it has none or has keys in the credentials
 * file (which botocore tries first).  A command that fails, times out,
 * prints anything but Version 1 JSON, or returns expired credentials:
 * JAN_ECREDS.  Its stdout never reaches a log; its stderr does (capped,
 * escaped).
 */
struct creds_provider *creds_provider_process(const char *profile,
                                              uv_loop_t *loop);

#endif
