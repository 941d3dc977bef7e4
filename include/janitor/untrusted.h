/*
 * What a server answers is untrusted: AWS, or whatever answers in its
 * place (a hostile endpoint, a proxy).  Two checks, each made once, where
 * the text enters the program:
 *
 * - untrusted_text(): every string copied out of an answer (error code,
 *   message, request id, header values) is capped, its control characters
 *   escaped, and whatever looks like a credential, session token,
 *   signature or an echo of the signed request redacted, so that every
 *   consumer (stderr, log, JSON, audit, status, socket, metrics) gets clean
 *   text.
 * - untrusted_region(): a region named by an answer (BucketRegion,
 *   LocationConstraint, x-amz-bucket-region, an error's <Region>) must
 *   have the shape of an AWS region before anything uses it; a host name
 *   is only ever built from a region that passed it.
 */
#ifndef JANITOR_UNTRUSTED_H
#define JANITOR_UNTRUSTED_H

#include <stddef.h>

/* What replaces a redacted value. */
#define UNTRUSTED_REDACTED "[REDACTED]"
/* Appended when the text was cut to fit. */
#define UNTRUSTED_CUT "..."
/*
 * A run of at least this many characters of the base64 alphabet (and '%'
 * for URL-encoded forms) that mixes letters and digits is redacted whole.
 * Secrets are longer (a secret access key 40, a SigV4 signature 64 hex, a
 * session token hundreds of base64 characters); what AWS says legitimately
 * is shorter: words, codes, S3 request ids (16 hex), the dash-separated
 * parts of UUIDs (at most 12), ARNs (cut by ':' and '/').
 */
#define UNTRUSTED_RUN_MIN 32
/* The longest region name accepted ("us-isob-east-1" is 14). */
#define UNTRUSTED_REGION_MAX 31

/*
 * Copy the server text in[0..inlen) into out[outlen] (always
 * NUL-terminated when outlen > 0): secrets redacted first (on the whole
 * text, so a cut cannot leave half a token), then bytes below 0x20, 0x7f,
 * '\\', invalid UTF-8, the C1 controls and the bidirectional overrides
 * written as \xNN per byte, then cut at a character or escape boundary
 * with "..." when it does not fit.  Returns strlen(out).
 */
size_t untrusted_text(char *out, size_t outlen, const char *in, size_t inlen);

/* The shortest cut-off prefix of a known secret that
 * untrusted_mask_known() redacts at the end of a text. */
#define UNTRUSTED_KNOWN_TAIL 4

/*
 * Copy in[0..inlen) into out[outlen] (always NUL-terminated when outlen >
 * 0) with each of the nknown secrets known[i] the caller holds (NULL or
 * empty ones skipped) replaced by UNTRUSTED_REDACTED wherever the text
 * spells it: as is, or with any of its bytes percent-encoded (%XX, either
 * case: a form body echoed by a server) or backslash-escaped (JSON's
 * "\/"); also a prefix of one, at least UNTRUSTED_KNOWN_TAIL bytes long,
 * that ends the text or stands before UNTRUSTED_CUT (the rest was cut
 * off).  For text that may hold a secret the janitor sent or was given,
 * before untrusted_text() sees it (its redactions could cut a secret into
 * pieces): a credential_process's stderr (the keys and token it returned),
 * an error body that echoes a request (aws_request.secret: the external
 * id).  Cut with "..." when out is too small.  Returns strlen(out).
 */
size_t untrusted_mask_known(char *out, size_t outlen, const char *in,
                            size_t inlen, const char *const *known,
                            size_t nknown);

/*
 * 1 when s[0..len) has the shape of an AWS region,
 * ^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$, and at most
 * UNTRUSTED_REGION_MAX bytes; else 0.  Whether the region is one the
 * configuration sweeps is the caller's second question.
 */
int untrusted_region(const char *s, size_t len);

/* "<what> region '<s escaped, capped>': <why>": the error that names a
 * refused region. */
void untrusted_region_refusal(char *out, size_t outlen, const char *what,
                              const char *s, const char *why);

#endif
