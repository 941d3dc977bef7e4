/*
 * AWS credentials and the provider chain (SPEC section 5).
 *
 * A provider answers asynchronously through a callback, so that providers
 * which need the network (container endpoint, EC2 IMDSv2) join the chain
 * exactly like the file-based ones, which answer before returning.
 */
#ifndef JANITOR_CREDS_H
#define JANITOR_CREDS_H

#include <stddef.h>
#include <time.h>

#include "janitor/buf.h"

struct aws_creds {
  char *access_key;
  char *secret_key;             /* never logged */
  char *session_token;          /* never logged; NULL for long-term keys */
  time_t expiration;            /* 0: does not expire */
  /* "environment", "profile:NAME", "systemd:NAME"...: static, or owned by
   * the provider that produced it (valid as long as its chain lives);
   * creds_copy() copies the pointer, creds_free() leaves it alone. */
  const char *source;
};

void creds_init(struct aws_creds *c);
/* Wipes the secrets before freeing. */
void creds_free(struct aws_creds *c);
int creds_copy(struct aws_creds *dst, const struct aws_creds *src);

/*
 * rc: JAN_OK with creds; JAN_ENOENT when the provider has nothing (the chain
 * moves on); any other code stops the chain.  msg explains a failure without
 * any secret, or is NULL.  creds is only valid during the call.
 */
typedef void (*creds_cb)(void *arg, int rc, const struct aws_creds *creds,
                         const char *msg);

/*
 * A provider.  The chain runs at most one fetch at a time per provider.
 * - fetch: call cb exactly once, possibly before returning.  cb may free
 *   the chain and with it this provider: touch nothing after calling it.
 *   With JAN_ENOENT, msg (optional) says what was looked at, e.g.
 *   "profile default (files A, B)"; the chain lists it in its final error.
 * - destroy: free the provider.  If a fetch is still in flight, its cb must
 *   still be called exactly once (JAN_ECANCELED is usual), from destroy or
 *   later: the chain detaches itself and only frees its small context then.
 */
struct creds_provider {
  const char *name;
  void (*fetch)(struct creds_provider *self, creds_cb cb, void *arg);
  void (*destroy)(struct creds_provider *self);
};

/*
 * The synchronous providers.  NULL only when out of memory.  They read the
 * environment and the files at every fetch, not at creation.
 */
/* AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).  Neither
 * set: JAN_ENOENT; only one: JAN_ECONFIG naming the missing variable. */
struct creds_provider *creds_provider_env(void);
/*
 * Shared files: AWS_SHARED_CREDENTIALS_FILE / ~/.aws/credentials ("[name]")
 * then AWS_CONFIG_FILE / ~/.aws/config ("[profile name]", "[default]").
 * profile NULL means AWS_PROFILE, else "default".  The first file whose
 * profile holds keys wins (credentials before config).  As with the AWS
 * CLI, a profile other than "default" that exists in neither file is an
 * error (JAN_ECONFIG "profile x not found in A, B"), not a reason to try
 * the providers after it; the one exception is a profile that exists in
 * $CREDENTIALS_DIRECTORY/aws, left to the systemd provider.  A profile that
 * exists without keys is JAN_ENOENT (the chain moves on, as the CLI does)
 * unless it relies on role_arn, credential_process, SSO or web identity,
 * which are not supported: JAN_ECONFIG rather than other credentials.
 */
struct creds_provider *creds_provider_profile(const char *profile);
/* $CREDENTIALS_DIRECTORY/aws read as a shared credentials file, with the
 * same profile choice and rules.  There is no fallback to [default] when
 * another profile was asked for: a missing explicit profile is an error,
 * never someone else's keys. */
struct creds_provider *creds_provider_systemd(const char *profile);

/* Read one profile's keys from a credentials-format (is_config = 0,
 * "[name]") or config-format (is_config = 1, "[profile name]", "[default]")
 * file.  JAN_ENOENT when the file or profile is absent or holds no keys;
 * JAN_ECONFIG for partial keys; JAN_ETOOBIG over CREDS_FILE_MAX bytes or a
 * line over CREDS_LINE_MAX; JAN_EPARSE for a malformed line; JAN_EIO when
 * unreadable.  err gets "FILE: message" or "FILE:LINE: message", never a
 * value.  out->source is "file"; the providers set their own. */
#define CREDS_FILE_MAX (1024 * 1024)
#define CREDS_LINE_MAX 16384
int creds_read_file(const char *path, int is_config, const char *profile,
                    struct aws_creds *out, struct jbuf *err);

/*
 * The other settings of a profile that the credential providers read,
 * from AWS_CONFIG_FILE / ~/.aws/config, then AWS_SHARED_CREDENTIALS_FILE /
 * ~/.aws/credentials (whose values win).  Values are not secrets, but no
 * message quotes external_id.
 */
enum creds_setting {
  CREDS_SET_ROLE_ARN, CREDS_SET_SOURCE_PROFILE, CREDS_SET_CREDENTIAL_SOURCE,
  CREDS_SET_EXTERNAL_ID, CREDS_SET_ROLE_SESSION_NAME,
  CREDS_SET_DURATION_SECONDS, CREDS_SET_MFA_SERIAL, CREDS_SET_REGION,
  CREDS_SET_CREDENTIAL_PROCESS, CREDS_SET_WEB_IDENTITY_TOKEN_FILE,
  CREDS_SET_SSO_SESSION, CREDS_SET_SSO_START_URL, CREDS_SET_SSO_REGION,
  CREDS_SET_SSO_ACCOUNT_ID, CREDS_SET_SSO_ROLE_NAME, CREDS_SET_COUNT
};
extern const char *const creds_setting_names[CREDS_SET_COUNT];
#define CREDS_KEYS_IN_CONFIG 1
#define CREDS_KEYS_IN_CREDENTIALS 2
struct creds_profile {
  int found;                    /* the profile exists in either file */
  int has_keys;                 /* where it sets aws_access_key_id or the
                                   secret: CREDS_KEYS_IN_* bits */
  char *set[CREDS_SET_COUNT];   /* NULL: not set */
};
/* JAN_OK (found may be 0), or an error in err (a file that cannot be read
 * or parsed); missing files are no error. */
int creds_profile_read(const char *profile, struct creds_profile *out,
                       struct jbuf *err);
/* $HOME, else the password database's home: JAN_ENOENT when neither. */
int creds_home_dir(struct jbuf *out);
/* The same for the config file's [sso-session NAME] section. */
int creds_sso_session_read(const char *name, struct creds_profile *out,
                           struct jbuf *err);
void creds_profile_free(struct creds_profile *p);

/*
 * The chain: tries providers in order, caches the answer, and refreshes
 * temporary credentials before they expire (CREDS_REFRESH_AHEAD seconds).
 * Concurrent callers during a refresh wait for the one refresh in flight.
 * Not thread-safe: use it from one thread (the event loop's).
 *
 * A provider answering JAN_ENOENT moves the chain on; any other error stops
 * it and reaches the callers with the provider's message; when every
 * provider says JAN_ENOENT the answer is JAN_ECREDS, "no credentials: tried
 * environment, profile default (files ...), ...".  Expired credentials are
 * never handed out.
 */
#define CREDS_REFRESH_AHEAD 300
/* Least time between two background refreshes (after a failed one, or when
 * a provider hands out credentials that already sit in the refresh window). */
#define CREDS_REFRESH_RETRY 10
struct creds_chain;
int creds_chain_new(struct creds_chain **out);
/* The chain owns p from now on (also on failure). */
int creds_chain_add(struct creds_chain *ch, struct creds_provider *p);
/*
 * Answer cb exactly once, possibly before returning: at once from the
 * cache while the cached credentials are valid (starting one background
 * refresh when fewer than CREDS_REFRESH_AHEAD seconds remain), otherwise
 * when the one fetch in flight completes.  creds is valid only during the
 * call; cb may call any creds_chain_* function, creds_chain_free included.
 */
void creds_chain_get(struct creds_chain *ch, creds_cb cb, void *arg);
/* Forget the cached credentials (e.g. after ExpiredToken). */
void creds_chain_invalidate(struct creds_chain *ch);
/* Safe with a fetch in flight: the callers still waiting are answered
 * JAN_ECANCELED before it returns (they must not use ch any more). */
void creds_chain_free(struct creds_chain *ch);
/* A chain inside a provider (assumed roles): what it uses and drops is
 * logged at debug level only; the outer chain says what counts. */
void creds_chain_set_quiet(struct creds_chain *ch);
/* The clock, time(NULL) by default; tests set their own. */
void creds_chain_set_clock(struct creds_chain *ch,
                           time_t (*now)(void *arg), void *arg);
/* The standard order of env, profile files, systemd credentials. */
int creds_chain_add_static(struct creds_chain *ch, const char *profile);

#endif
