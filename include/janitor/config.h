/*
 * The configuration (remotion-janitor.conf(5)).  One table of sections, keys, types,
 * defaults and bounds (config.c) drives the parser, --check-config, the
 * example config file and the documentation.
 */
#ifndef JANITOR_CONFIG_H
#define JANITOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "janitor/buf.h"

#define JAN_DEFAULT_CONFIG "/etc/remotion-janitor/remotion-janitor.conf"
#define JAN_MAX_REGIONS 32
#define JAN_MAX_GLOBS 64
#define JAN_CONFIG_LINE_MAX 4096      /* a longer config line is an error */

enum jan_mode { JAN_MODE_REPORT = 0, JAN_MODE_DELETE = 1 };
/* [policy] renders: what is pruned inside kept buckets (render.h). */
enum jan_renders { JAN_RENDERS_KEEP = 0, JAN_RENDERS_ARTIFACTS,
                   JAN_RENDERS_ALL };

#define JAN_ACCOUNT_NAME_MAX 64
/* [organization] exclude_accounts and ous: ids each, at most. */
#define JAN_ORG_IDS_MAX 256
/* [daemon] shard = I/N: N at most. */
#define JAN_SHARDS_MAX 1024

/* One [account NAME] section (remotion-janitor.conf(5), ACCOUNTS). */
struct jan_account {
  char *name;                   /* letters, digits, '-', '_', '.' */
  char account_id[13];          /* "" when unset */
  char *role_arn;               /* NULL: none */
  char *external_id;            /* NULL: none; a secret of sorts */
  char *profile;                /* NULL: none (never with role_arn) */
  char *regions[JAN_MAX_REGIONS];
  size_t nregions;              /* 0: the [aws] regions */
  unsigned line;                /* its header's line in the file */
};

struct jan_config {
  /* [aws] */
  char *profile;                /* NULL: AWS_PROFILE, else "default" */
  char *regions[JAN_MAX_REGIONS];
  size_t nregions;              /* "all" expands to Remotion's 23 */
  char account_id[13];          /* "" when unset */
  char *endpoint_url;           /* NULL: AWS_ENDPOINT_URL[_*] */
  char *ca_bundle;              /* NULL: AWS_CA_BUNDLE, else system store */
  char *bucket_region;          /* NULL, or with endpoint_url: the region
                                   of every bucket there (radosgw answers
                                   its zonegroup's name, not a region) */
  bool endpoint_accounts;       /* no (endpoint_url only): the server has
                                   no accounts and no STS; default yes */
  unsigned max_attempts;        /* 1..20, default 5 */
  uint64_t connect_timeout_ms;  /* default 5s */
  uint64_t request_timeout_ms;  /* default 60s */
  unsigned concurrency;         /* 1..1024, default 32 */
  unsigned host_concurrency;    /* 1..256, default 8 */

  /* [policy] */
  enum jan_mode mode;
  bool functions, layers, buckets;
  uint64_t min_age_s;           /* default 7d */
  uint64_t grace_s;             /* default 0 */
  unsigned max_deletions;       /* default 25 */
  unsigned keep_layer_versions; /* default 1 */
  char *keep[JAN_MAX_GLOBS];
  size_t nkeep;
  char *include[JAN_MAX_GLOBS];
  size_t ninclude;
  enum jan_renders renders;     /* default keep */
  uint64_t render_max_age_s;    /* default 30d */
  bool storage;                 /* list kept buckets for the storage
                                   report; default yes */
  bool log_groups;              /* list and delete CloudWatch log groups
                                   (JAN_KIND_LOG_GROUP); default no */
  char *keep_tag;               /* NULL: none; "KEY" or "KEY=VALUE" */

  /* [daemon] */
  uint64_t interval_ms;         /* default 6h */
  uint64_t jitter_ms;           /* default 15m */
  uint64_t startup_delay_ms;    /* default 30s */
  char *socket;
  unsigned socket_mode;         /* default 0660 */
  char *state_file;
  char *audit_log;
  char *metrics_file;           /* NULL: none */
  uint64_t stop_timeout_ms;     /* default 20s */

  /* [account NAME] sections, in file order, as many as written; none:
   * the [aws] credentials' account alone (a run's implicit account
   * "default"). */
  struct jan_account *accounts;
  size_t naccounts;

  /* [organization] (remotion-janitor.conf(5), ORGANIZATION): on when
   * role_name is set.  Each run lists the organization's accounts with
   * the [aws] credentials and sweeps every ACTIVE member but the
   * management account and those excluded, through
   * arn:aws:iam::ID:role/ROLE_NAME; an [account] section of the same
   * account_id wins. */
  char *org_role_name;          /* NULL: no organization */
  char *org_external_id;        /* NULL: none */
  char *org_exclude[JAN_ORG_IDS_MAX];   /* account ids never swept */
  size_t norg_exclude;
  char *org_ous[JAN_ORG_IDS_MAX];       /* only under these OUs
                                           (recursively); none: all */
  size_t norg_ous;

  /* [daemon] shard = I/N (or --shard): sweep only the accounts whose
   * shard_of_account() is I; 0/0 (unset): every account. */
  unsigned shard_index;         /* 1..shard_count */
  unsigned shard_count;         /* 0: no sharding */

  char *path;                   /* file it was read from, or NULL */
};

/* Fill with the built-in defaults.  Cannot fail except for memory. */
int config_defaults(struct jan_config *c);
void config_free(struct jan_config *c);

/*
 * Parse `path` over the defaults.  Every error is appended to errs as a line
 * "FILE:LINE: message\n" (all of them, not just the first); the return is
 * JAN_OK, JAN_ECONFIG when errs holds at least one error, or JAN_ENOENT /
 * JAN_EIO when the file cannot be opened (also written to errs).  On error
 * *c is left with the defaults plus whatever parsed; callers that keep an
 * old config (SIGHUP) parse into a fresh struct.
 */
int config_load(struct jan_config *c, const char *path, struct jbuf *errs);
/*
 * The same, and with CONFIG_CHECK_PATHS (--check-config) also what only the
 * file system can tell, as errors in the same list: ca_bundle must be a
 * readable regular file; the directories of state_file, audit_log and
 * metrics_file must pass fsafe_check_dir() (no symbolic link, not
 * world-writable), the state directory may be missing if its parent
 * exists (the daemon creates it).  A key left at its default is reported
 * as "FILE: key: ...".
 */
#define CONFIG_CHECK_PATHS 0x1u
int config_load_flags(struct jan_config *c, const char *path, unsigned flags,
                      struct jbuf *errs);
/* The same from memory (tests, fuzzing); name is used in messages. */
int config_load_string(struct jan_config *c, const char *name,
                       const char *text, size_t len, struct jbuf *errs);

/* Value parsers, shared with the command line.  0 or JAN_EINVAL. */
int config_parse_duration_ms(const char *s, uint64_t *ms);
/* "I/N": 1 <= I <= N <= JAN_SHARDS_MAX, decimal, no sign or blank.
 * JAN_OK, or JAN_EINVAL (the outputs untouched). */
int config_parse_shard(const char *s, unsigned *index, unsigned *count);
int config_parse_bool(const char *s, bool *b);

/* Remotion's 23 regions, in the order of remotion-janitor.conf(5). */
extern const char *const jan_all_regions[];
extern const size_t jan_all_regions_count;
bool config_region_known(const char *r);

/* Write the example config (every key, default, one-line help) to f. */
void config_write_example(FILE *f);

#endif
