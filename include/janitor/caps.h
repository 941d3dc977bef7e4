/*
 * The size caps, named once.  Whatever the network, a file or the command
 * line fills is capped (jbuf refuses to grow past its max, parsers refuse
 * longer input); these are the caps that several modules share.  A cap
 * that belongs to one format lives with its parser (wire.h, creds.h,
 * config.h) and is named there.
 */
#ifndef JANITOR_CAPS_H
#define JANITOR_CAPS_H

/* One error or log message, with the names (and file paths) it quotes. */
#define JAN_MSG_MAX          8192u
/* A whole error report (every error of a config file, say). */
#define JAN_REPORT_MAX       (1024u * 1024)
/* A file path, a request path or a query string we build. */
#define JAN_PATH_MAX         8192u
/* A whole request URL (base, path with every byte escaped, query). */
#define JAN_URL_MAX          16384u
/* One request header line: a session token or an SSO bearer token is a
 * few KiB. */
#define JAN_HEADER_LINE_MAX  32768u
/* A request body we build: DeleteObjects with 1000 keys of up to 1024
 * bytes, each escaped for XML. */
#define JAN_REQUEST_BODY_MAX (4u * 1024 * 1024)
/* A policy document we build for iam:SimulatePrincipalPolicy. */
#define JAN_POLICY_DOC_MAX   (256u * 1024)

/* A grace clock's key: "type|region|name|version" (bucket names and
 * render ids are short; a layer name is at most 140 bytes). */
#define JAN_STATE_KEY_MAX    4096u
/* A profile or sso-session name, with its NUL. */
#define JAN_PROFILE_NAME_MAX 256u
/* A credential source's name in messages: "kind:PROFILE". */
#define JAN_SOURCE_NAME_MAX  (JAN_PROFILE_NAME_MAX + 44u)
/* A host name with its ":port", as connected to and logged. */
#define JAN_HOST_MAX         300u

#endif
