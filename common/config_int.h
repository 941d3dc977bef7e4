/*
 * Private to the config parser (config.c reads the text and owns the key
 * table; config_set.c turns values into fields and keeps the errors).
 */
#ifndef JANITOR_CONFIG_INT_H
#define JANITOR_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "janitor/buf.h"
#include "janitor/config.h"
#include "janitor/err.h"

/* The key table's size is checked against this in config.c. */
#define CONFIG_KEYS_MAX 64

/* Errors kept for the report; more are counted in one closing line. */
#define ERRORS_MAX 1000
/* Longest value quoted in an error message. */
#define QUOTE_MAX 80

#define SEC_MS 1000ull
#define MIN_MS (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

enum ktype {
  K_STRING,       /* char *: empty means unset (NULL) */
  K_DURATION_MS,  /* uint64_t, milliseconds; bounds in ms */
  K_DURATION_S,   /* uint64_t, seconds; bounds in ms */
  K_BOOL,         /* bool */
  K_UNSIGNED,     /* unsigned */
  K_OCTAL,        /* unsigned, a file mode in octal */
  K_ACCOUNT,      /* char[13]: 12 digits or "" */
  K_REGIONS,      /* char *[JAN_MAX_REGIONS] + count */
  K_MODE,         /* enum jan_mode */
  K_RENDERS,      /* enum jan_renders */
  K_GLOBS,        /* char *[JAN_MAX_GLOBS] + count */
  K_IDS,          /* char *[max] + count: account ids (KF_ACCOUNT_IDS) or
                     OU ids (KF_OU_IDS), separated by blanks */
  K_SHARD         /* unsigned index, count (count_off): "I/N" */
};

#define KF_REPEAT   0x1u  /* the key may appear more than once */
#define KF_NONEMPTY 0x2u  /* a string that must not be empty */
#define KF_NARROW   0x4u  /* globs that may only narrow the scope */
#define KF_URL      0x8u  /* a string that must be an http(s):// URL */
#define KF_SOCKET   0x10u /* a path that must fit a socket address */
#define KF_ACCOUNT  0x20u /* an [account NAME] key: a struct jan_account
                             field, set in every section of its own */
#define KF_ACCOUNT_IDS 0x40u /* K_IDS of 12-digit account ids */
#define KF_OU_IDS   0x80u /* K_IDS of OU ids (ou-xxxx-xxxxxxxx) */

/* sun_path less its terminating NUL: 107 bytes on Linux. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct ckey {
  const char *section;
  const char *key;
  enum ktype type;
  const char *def;       /* default, in config syntax */
  uint64_t min, max;     /* numbers and modes: value; durations: ms */
  const char *help;      /* one line for the example config */
  size_t off;            /* the field in struct jan_config */
  size_t count_off;      /* K_REGIONS, K_GLOBS: the count field */
  unsigned flags;
};

struct perror {
  unsigned line;   /* 0: not tied to a line */
  unsigned seq;    /* order of discovery, for a stable sort */
  char *text;      /* the message, without "FILE:LINE: " */
};

/* The state of one parse. */
struct pctx {
  struct jan_config *c;
  const char *name;          /* file name for messages */

  struct perror *errors;
  size_t nerrors, errors_alloc;
  size_t nlost;              /* errors beyond ERRORS_MAX */
  bool enomem;

  /* The line being read. */
  bool in_section;           /* a header was seen */
  const char *section;       /* from sections[]; NULL: unknown or bad */
  char name_buf[JAN_CONFIG_LINE_MAX + 1];
  char value_buf[JAN_CONFIG_LINE_MAX + 1];

  unsigned line_of[CONFIG_KEYS_MAX];   /* first line that set each key, 0: none */
  struct jan_account *account; /* the [account NAME] being read, or NULL */
  unsigned flags;            /* CONFIG_CHECK_PATHS */
};

/*
 * A value for a message: at most QUOTE_MAX bytes (cut on a UTF-8 character
 * boundary, then "..."), control bytes written as \xNN.
 */
struct quoted {
  char s[QUOTE_MAX * 4 + 8];
};

/* ---- config_set.c ---------------------------------------------------- */

void add_error(struct pctx *x, unsigned line, const char *fmt, ...)
    JAN_PRINTF(3, 4);
/* Write the errors, sorted by line, to errs (when given) and free them. */
void flush_errors(struct pctx *x, struct jbuf *errs);
const char *quote(struct quoted *q, const char *v);
const char *fmt_duration(char *buf, size_t size, uint64_t ms);
void *field(struct jan_config *c, size_t off);
/* k's field at off: in x->c, or for an [account] key in x->account. */
void *key_field(struct pctx *x, const struct ckey *k, size_t off);
void free_list(char **v, size_t *n);
/* Parse v as k's type into its field; errors go to x at line. */
void set_value(struct pctx *x, const struct ckey *k, const char *v,
               unsigned line);

/* ---- config_org.c: [organization] ------------------------------------ */

#define ORG_SECTION "organization"
/* Checks across [organization]'s keys, once the whole file is read;
 * line_of gives the line of a key. */
void org_checks(struct pctx *x, unsigned (*line_of)(const struct pctx *x,
                                                     const char *key));
/* The K_IDS and K_SHARD setters (config_set.c calls them). */
void set_ids(struct pctx *x, const struct ckey *k, const char *v,
             unsigned line);
void set_shard(struct pctx *x, const struct ckey *k, const char *v,
               unsigned line);

/* ---- config_account.c: [account NAME] sections ---------------------- */

/* The section keyword. */
#define ACCOUNT_SECTION "account"
/*
 * A header naming an [account NAME] section: true when it is one (errors
 * reported; x->section is then "account" or NULL), false for any other.
 * line_of is the parse's first-line table, whose [account] keys restart.
 */
bool account_header(struct pctx *x, const char *name, unsigned line,
                    const struct ckey *keys, size_t nkeys);
/* Checks across an [account]'s keys, once the whole file is read. */
void account_checks(struct pctx *x);
void account_free(struct jan_config *c);


#endif
