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
 *
 * And two rules, each in one place, for text from outside (server text,
 * object keys, render ids, the state file) on its way out:
 *
 * - for a person (terminal, log, prompt, --status): untrusted_display()
 *   writes every byte that is not part of valid UTF-8, every byte of a
 *   control (C0, DEL, C1 U+0080..U+009F), of a bidirectional control
 *   (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) or of a line
 *   or paragraph separator (U+2028, U+2029), and the backslash, as \xHH
 *   (lower-case hex); everything else as is.  The escape maps back to
 *   the exact bytes.  untrusted_fprintf() is the last guard of a whole
 *   line: the same rule, except that a backslash is kept (in a line it
 *   begins an escape already made) and one final newline stays.
 * - for a program (every JSON document, audit line and socket answer):
 *   untrusted_json_add() / untrusted_json_fputs() write json-c's text,
 *   and the streaming writer (jsonw.h) its strings, with each byte that
 *   is not part of valid UTF-8 as the JSON escape
 *   \udcXX (PEP 383 "surrogateescape"): the document is valid UTF-8 and
 *   the exact bytes come back with Python's json and
 *   .encode("utf-8", "surrogateescape").
 */
#ifndef JANITOR_UNTRUSTED_H
#define JANITOR_UNTRUSTED_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "janitor/buf.h"
#include "janitor/err.h"

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
 * text, so a cut cannot leave half a token), then escaped by the
 * display rule (untrusted_display()), then cut at a character or escape
 * boundary with "..." when it does not fit.  Returns strlen(out).
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
 * A value for a person, in[0..inlen) into out[outlen] (NUL-terminated when
 * outlen > 0) by the display rule above, cut with "..." at a character or
 * escape boundary when it does not fit (4 * inlen + 1 always fits).
 * Returns strlen(out).  untrusted_display_line(): the same but a
 * backslash is kept.  untrusted_display_quoted(): the same but a double
 * quote is escaped too (\x22), for a value logged between quotes.
 */
size_t untrusted_display(char *out, size_t outlen, const char *in,
                         size_t inlen);
size_t untrusted_display_line(char *out, size_t outlen, const char *in,
                              size_t inlen);
size_t untrusted_display_quoted(char *out, size_t outlen, const char *in,
                                size_t inlen);
/* fprintf() of a line (or part of one) for a person, written through
 * untrusted_display_line() but for one final newline.  Returns the bytes
 * written or -1. */
int untrusted_fprintf(FILE *f, const char *fmt, ...) JAN_PRINTF(2, 3);
int untrusted_vfprintf(FILE *f, const char *fmt, va_list ap)
    JAN_PRINTF(2, 0);

/* How many bytes at the start of s[0..len) are valid UTF-8 (shortest
 * forms, no surrogates, at most U+10FFFF). */
size_t untrusted_utf8_span(const char *s, size_t len);
/* JSON text (as json-c writes it: controls already escaped) appended to
 * out / written to f, each byte that is not part of valid UTF-8 as
 * \udcXX.  0 or JAN_ETOOBIG; 0 or -1. */
int untrusted_json_add(struct jbuf *out, const char *json, size_t len);
int untrusted_json_fputs(const char *json, FILE *f);
/* The same, to a sink (jsonw.h): 0, or -1 when the sink failed. */
int untrusted_json_emit(const char *json, size_t len,
                        int (*emit)(void *, const char *, size_t), void *arg);
/* The inverse, in place, for a reader of such JSON (the --status client):
 * each lone \udcXX (XX >= 80) inside a string back to the byte XX, so
 * that json-c reads the exact bytes.  Returns the new length. */
size_t untrusted_json_bytes(char *json);

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
