/*
 * One reader for the two INI dialects the janitor reads: its own
 * configuration (remotion-janitor.conf(5)) and the AWS shared credentials
 * and config files.  It splits a buffer into lines and classifies each;
 * what a section or a key means is the caller's business.
 *
 * Common rules: a UTF-8 BOM at the start and the '\r' of "\r\n" go; blanks
 * are space and tab; a line longer than the caller's maximum or holding a
 * NUL byte is an error; a line whose first non-blank byte is ';' or '#' is
 * a comment; "[name]" is a section header (name trimmed, not empty, nothing
 * after the ']'); "name = value" or "name: value" is a pair, split at the
 * first '=' or ':', both sides trimmed, the name not empty.  Anything else
 * is an error.  The reader goes on after an error: the caller decides
 * whether to stop.  It allocates nothing and never copies a value, so the
 * AWS files' secrets stay where the caller can wipe them.
 *
 * Dialect flags:
 *   INI_INLINE_COMMENTS  a ';' or '#' after a blank starts a comment (the
 *                        janitor's config);
 *   INI_CONTROL_BYTES    a control byte other than tab is an error (the
 *                        janitor's config);
 *   INI_CONTINUATION     a line indented deeper than the pair before it
 *                        continues that pair's value, as Python's
 *                        configparser reads the AWS files ("s3 =" and its
 *                        nested settings); such lines are skipped.
 * Without INI_CONTINUATION indentation means nothing.
 */
#ifndef JANITOR_INI_H
#define JANITOR_INI_H

#include <stdbool.h>
#include <stddef.h>

#define INI_INLINE_COMMENTS 0x1u
#define INI_CONTROL_BYTES   0x2u
#define INI_CONTINUATION    0x4u

enum ini_kind { INI_SECTION, INI_PAIR, INI_ERROR };

enum ini_error {
  INI_E_LONG,           /* longer than the maximum */
  INI_E_NUL,            /* a NUL byte */
  INI_E_CONTROL,        /* a control byte (in ch) */
  INI_E_HEADER_OPEN,    /* "[name" without ']' (text: the line) */
  INI_E_HEADER_TAIL,    /* text after "]" (text: that text) */
  INI_E_HEADER_EMPTY,   /* "[]" */
  INI_E_NO_NAME,        /* "= value" (ch: the separator) */
  INI_E_NOT_PAIR        /* none of the above (text: the line) */
};

struct ini_line {
  enum ini_kind kind;
  unsigned lineno;            /* 1-based */
  /* INI_SECTION: the name; INI_PAIR: the name; INI_ERROR: the text the
   * error is about, if any (never quote it from a file holding secrets). */
  const char *name;
  size_t name_len;
  const char *value;          /* INI_PAIR: the value, maybe empty */
  size_t value_len;
  enum ini_error error;       /* INI_ERROR */
  unsigned char ch;           /* INI_E_CONTROL, INI_E_NO_NAME */
  bool header;                /* INI_ERROR: the line was meant as a header */
};

struct ini_reader {
  const char *p, *end;
  size_t line_max;
  unsigned flags;
  unsigned lineno;
  bool after_pair;            /* INI_CONTINUATION */
  size_t pair_indent;
};

void ini_init(struct ini_reader *r, const char *text, size_t len,
              size_t line_max, unsigned flags);
/* The next section, pair or error (blank and comment lines are skipped):
 * true with *l filled, false at the end of the text. */
bool ini_next(struct ini_reader *r, struct ini_line *l);
/* The error as a phrase without its text ("line contains a NUL byte"),
 * for callers that must not quote the line. */
const char *ini_error_phrase(enum ini_error e);

#endif
