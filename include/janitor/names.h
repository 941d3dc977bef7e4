/*
 * AWS's own naming rules, applied to every name a server lists before the
 * name becomes a resource and again where a request is built from it: a
 * deletion tool does not trust a server to send only names that AWS could
 * have created.  Pure functions, no I/O (names_guard() only logs).
 *
 * - S3 buckets (general purpose): 3..63 bytes of [a-z0-9.-], first and last
 *   a letter or digit, no "..", not shaped like an IPv4 address, none of
 *   the reserved prefixes (xn--, sthree-, amzn-s3-demo-) or suffixes
 *   (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).
 * - Lambda functions: 1..64 bytes of [A-Za-z0-9_-].
 * - Lambda layers: 1..140 bytes of [A-Za-z0-9_-].
 * - CloudWatch Logs log groups: 1..512 bytes of [.-_/#A-Za-z0-9] (the
 *   logGroupName pattern of the CloudWatch Logs API reference).
 * - Layer versions: integers 1..INT64_MAX-1 (the JSON parser already
 *   refuses a sign, a fraction, a string or what does not fit).
 * - Object keys, version ids, render ids: opaque bytes, always
 *   percent-encoded (names_encode_segment, names_encode_key, and
 *   wire_query_encode in queries).
 *
 * A valid name is therefore also a safe path segment (no '/', never "."
 * or "..") and, for buckets, a sequence of DNS labels.
 */
#ifndef JANITOR_NAMES_H
#define JANITOR_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "janitor/buf.h"
#include "janitor/scope.h"

#define NAMES_BUCKET_MIN 3
#define NAMES_BUCKET_MAX 63
#define NAMES_FUNCTION_MAX 64
#define NAMES_LAYER_MAX 140
#define NAMES_LOG_GROUP_MAX 512

bool names_bucket_valid(const char *name);
bool names_function_valid(const char *name);
bool names_layer_valid(const char *name);
bool names_layer_version_valid(int64_t version);
/* A log group name travels in a JSON body, never in a path: it may hold
 * '/', so it is not a path segment like the names above. */
bool names_log_group_valid(const char *name);
/* The rule of the kind (JAN_KIND_LAYER: the layer's name). */
bool names_valid(enum jan_kind kind, const char *name);

/*
 * The one percent-encoder for a path segment built from server data:
 * A-Za-z0-9-._~ kept, every other byte (including '/') as %XX with
 * upper-case hex, which is SigV4's URI encoding and canonical for S3.
 * "" , "." and ".." are refused (JAN_EINVAL): they would be dot segments
 * or empty segments on the wire.  On failure out is unchanged.
 */
int names_encode_segment(const char *s, struct jbuf *out);

/*
 * An S3 object key for a URL path: '/' kept as the separator (the form S3
 * recomputes and signs, see sigv4.h), every other byte as above.  A key
 * that is empty or has a "." or ".." segment is refused (JAN_EINVAL): it
 * can only be deleted through DeleteObjects, where it travels in XML.
 */
int names_encode_key(const char *key, struct jbuf *out);

/*
 * For logs: s (len bytes) by the display rule of untrusted.h, with '"' as
 * \x22 too (so that a quoted name stays one), cut after NAMES_ESCAPE_MAX
 * input bytes with "..." appended.  out always ends up NUL-terminated
 * (outlen >= 1).
 */
#define NAMES_ESCAPE_MAX 80
#define NAMES_ESCAPE_BUF (NAMES_ESCAPE_MAX * 4 + 4)
void names_escape(const char *s, size_t len, char *out, size_t outlen);

/*
 * The second check where a request is built from a name: in scope
 * (scope_contains) and valid (names_valid).  Logs loudly and returns
 * JAN_ESCOPE (out of scope, name withheld) or JAN_EINVAL (invalid, name
 * escaped); JAN_OK otherwise.
 */
int names_guard(const char *op, enum jan_kind kind, const char *name);
/* The same for a log group: in scope (scope_log_group_owner), valid
 * (names_log_group_valid), and its owner a valid name of its kind (a
 * group Lambda could have made for a function). */
int names_log_group_guard(const char *op, const char *group);

#endif
