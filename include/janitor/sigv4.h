/*
 * AWS Signature Version 4, header mode.
 *
 * The caller describes the request exactly as it goes on the wire (method,
 * percent-encoded path, raw query, headers, body) and gets back the headers
 * to add.  Default mode encodes the wire path once more and may normalise it
 * (every service but S3); S3 mode signs the wire path as it is and adds
 * x-amz-content-sha256.
 *
 * The signer owns X-Amz-Date and Authorization, X-Amz-Content-SHA256 in
 * S3 or SIGN_BODY mode, and X-Amz-Security-Token when the creds carry a
 * token: passing one of those in the request is refused (JAN_EINVAL), so a
 * request never carries two.
 * Every other header the caller passes is signed; Host must be there once.
 * In S3 mode the wire path must be in canonical form (only A-Za-z0-9-_.~
 * and '/' literal, everything else as %XX with upper-case hex), which is
 * what sigv4_uri_encode(key, len, 1, out) produces; anything else is
 * refused, because S3 would compute a different canonical URI.
 * Absurd inputs are refused rather than worked on: see the SIGV4_MAX_*
 * limits.
 */
#ifndef JANITOR_SIGV4_H
#define JANITOR_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "janitor/buf.h"

#define SIGV4_S3             0x01u /* wire path as is, x-amz-content-sha256 */
#define SIGV4_NORMALIZE      0x02u /* remove dot segments, collapse '//' */
#define SIGV4_SIGN_BODY      0x04u /* add x-amz-content-sha256 (non-S3) */
#define SIGV4_UNSIGNED_BODY  0x08u /* payload hash UNSIGNED-PAYLOAD (S3) */
#define SIGV4_TOKEN_AFTER    0x10u /* session token added, but not signed */
#define SIGV4_ALL_FLAGS      0x1fu

/* Limits: JAN_ETOOBIG past them.  An access key id or secret over 128
 * characters, or a region or service over 32, is JAN_EINVAL. */
#define SIGV4_MAX_CANONICAL  (1024u * 1024u) /* canonical request bytes */
#define SIGV4_MAX_HEADERS    128u    /* headers passed by the caller */
#define SIGV4_MAX_QUERY_PARAMS 1024u /* parameters in the query */
#define SIGV4_MAX_TOKEN      16384u  /* session token bytes */

struct sigv4_header {
  const char *name;
  const char *value;
};

struct sigv4_request {
  const char *method;
  const char *path;           /* wire path, percent-encoded, no query */
  const char *query;          /* wire query without '?', or NULL */
  const struct sigv4_header *headers;  /* must contain Host */
  size_t nheaders;
  const void *body;
  size_t body_len;
};

struct sigv4_creds {
  const char *access_key;
  const char *secret_key;
  const char *session_token;  /* NULL for long-term keys */
};

struct sigv4_params {
  const char *region;
  const char *service;        /* "s3", "lambda", "iam", "sts", ... */
  time_t when;                /* signing time (UTC seconds) */
  unsigned flags;             /* SIGV4_* */
};

/*
 * A small cache of derived signing keys, per (access key, day, region,
 * service).  The caller owns it; zero-initialise or sigv4_cache_init().
 * It holds secrets-derived material: sigv4_cache_clear() wipes it.
 */
#define SIGV4_CACHE_SLOTS 128
struct sigv4_cache_slot {
  char akid[129];
  char date[9];
  char region[33];
  char service[33];
  unsigned char secret_fp[32]; /* SHA-256 of the secret: a key rotated
                                  under the same access key id misses */
  unsigned char key[32];
  unsigned long long used;    /* LRU stamp, 0 = empty */
};
struct sigv4_cache {
  struct sigv4_cache_slot slot[SIGV4_CACHE_SLOTS];
  unsigned long long tick;
};
void sigv4_cache_init(struct sigv4_cache *c);
void sigv4_cache_clear(struct sigv4_cache *c);

/*
 * What signing produces.  The headers to add to the request are:
 *   X-Amz-Date: amz_date
 *   X-Amz-Content-SHA256: payload_hash      (only if add_content_sha256)
 *   X-Amz-Security-Token: <token>           (if the creds carry one)
 *   Authorization: authorization
 * canonical_request and string_to_sign are kept for tests and debugging;
 * they hold no secret.
 */
struct sigv4_result {
  char amz_date[17];          /* YYYYMMDDTHHMMSSZ */
  char payload_hash[65];      /* hex, or "UNSIGNED-PAYLOAD" */
  int add_content_sha256;
  char signature[65];
  struct jbuf canonical_request;
  struct jbuf string_to_sign;
  struct jbuf authorization;
};
void sigv4_result_init(struct sigv4_result *r);
void sigv4_result_free(struct sigv4_result *r);

/* out must have been through sigv4_result_init(); it is reset first, and
 * left empty on failure.  cache may be NULL.  Returns 0 or a JAN_E* code.
 * The secret key is never copied into out. */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *cr,
               const struct sigv4_params *p, struct sigv4_cache *cache,
               struct sigv4_result *out);

/* Pieces exposed for tests and fuzzing.  Each appends to out; on failure
 * out is left as it was. */
int sigv4_canonical_uri(const char *wire_path, unsigned flags,
                        struct jbuf *out);
int sigv4_canonical_query(const char *wire_query, struct jbuf *out);
/* Percent-encode s (len bytes) with only A-Za-z0-9-_.~ unreserved;
 * keep '/' when keep_slash. */
int sigv4_uri_encode(const char *s, size_t len, int keep_slash,
                     struct jbuf *out);

/* Hash helpers (OpenSSL).  hex must hold 65 bytes (lower-case hex). */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);
/* base64 of the MD5 of data, for Content-MD5; b64 must hold 25 bytes.
 * Returns 0, or JAN_EINVAL with b64 set to "" when MD5 is unavailable
 * (an OpenSSL in FIPS mode refuses it). */
int sigv4_md5_base64(const void *data, size_t len, char b64[25]);

#endif
