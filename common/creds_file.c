/*
 * The providers that read local state and answer before returning: the
 * environment, the shared credentials and config files, and systemd
 * credentials ($CREDENTIALS_DIRECTORY/aws, in the credentials format).
 *
 * The files are read with the project's INI reader (janitor/ini.h) in the
 * AWS dialect: whole-line comments only, "=" or ":", indented continuation
 * lines for nested settings such as "s3 =".
 *
 * Secrets: the file content and the values are wiped before being freed,
 * and no message ever quotes a value, only file names, line numbers,
 * profile and key names.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "janitor/caps.h"
#include "creds_int.h"
#include "janitor/creds.h"
#include "janitor/fsafe.h"
#include "janitor/ini.h"
#include "janitor/log.h"

#define TAG "creds"

const char *const creds_setting_names[CREDS_SET_COUNT] = {
  "role_arn", "source_profile", "credential_source", "external_id",
  "role_session_name", "duration_seconds", "mfa_serial", "region",
  "credential_process", "web_identity_token_file", "sso_session",
  "sso_start_url", "sso_region", "sso_account_id", "sso_role_name"
};

/* file_lookup()'s is_config value for [sso-session NAME] sections. */
#define SECTION_SSO_SESSION 2

/* Keys that would make the AWS CLI use other credentials than the static
 * ones; this provider supports none of them, and says so instead of moving
 * on (the chain asks the assume-role provider about role_arn first). */
static const char *const unsupported_keys[] = {
  "role_arn", "credential_process", "web_identity_token_file",
  "sso_session", "sso_start_url", "sso_account_id"
};

enum { K_ID, K_SECRET, K_TOKEN, K_COUNT };
static const char *const key_names[K_COUNT] = {
  "aws_access_key_id", "aws_secret_access_key", "aws_session_token"
};

/* ---- parsing -------------------------------------------------------- */

/* What one file says about one profile. */
struct prof_scan {
  int found;                    /* the profile's section exists */
  char *v[K_COUNT];             /* the values set (wiped when freed) */
  unsigned line[K_COUNT];
  const char *unsupported;      /* first unsupported key set, or NULL */
  unsigned unsupported_line;
  char *set[CREDS_SET_COUNT];   /* the other settings creds.h names */
};

static void scan_init(struct prof_scan *s)
{
  memset(s, 0, sizeof(*s));
}

static void scan_free(struct prof_scan *s)
{
  for(size_t i = 0; i < K_COUNT; i++)
    creds_wipe_free(s->v[i], s->v[i] ? strlen(s->v[i]) : 0);
  for(size_t i = 0; i < CREDS_SET_COUNT; i++)
    creds_wipe_free(s->set[i], s->set[i] ? strlen(s->set[i]) : 0);
  scan_init(s);
}

static int span_is(const char *a, size_t n, const char *word)
{
  return n == strlen(word) && !strncasecmp(a, word, n);
}

static int span_eq(const char *a, size_t n, const char *word)
{
  return n == strlen(word) && !memcmp(a, word, n);
}

/*
 * Does the section named [a, a+n) name the profile?  Credentials files
 * name it as is; config files say "default" or "profile NAME" (other
 * sections, "sso-session x", "services y", are not profiles).
 */
static int section_matches(const char *a, size_t n, int is_config,
                           const char *profile)
{
  const char *word = is_config == SECTION_SSO_SESSION ? "sso-session" :
                     "profile";
  size_t w = strlen(word);

  if(is_config == 1 && span_eq(a, n, "default"))
    return !strcmp(profile, "default");
  if(is_config) {
    if(n <= w || memcmp(a, word, w) || (a[w] != ' ' && a[w] != '\t'))
      return 0;
    a += w;
    n -= w;
    while(n && (*a == ' ' || *a == '\t')) {
      a++;
      n--;
    }
  }
  return span_eq(a, n, profile);
}

/* Keep one value of the profile (wiped when replaced or freed). */
static int keep_value(char **slot, const char *v, size_t n)
{
  creds_wipe_free(*slot, *slot ? strlen(*slot) : 0);
  *slot = NULL;
  if(n && !(*slot = strndup(v, n)))
    return JAN_ENOMEM;
  return JAN_OK;
}

/* One "key = value" of the profile's section. */
static int scan_pair(const struct ini_line *l, const char *path,
                     const char *profile, struct prof_scan *s,
                     struct jbuf *err)
{
  for(size_t k = 0; k < K_COUNT; k++) {
    if(!span_is(l->name, l->name_len, key_names[k]))
      continue;
    s->line[k] = l->lineno;
    if(l->value_len && !creds_value_ok(l->value, l->value_len)) {
      keep_value(&s->v[k], NULL, 0);
      jbuf_printf(err, "%s:%u: %s in profile %s holds spaces or control "
                  "characters", path, l->lineno, key_names[k], profile);
      return JAN_ECONFIG;
    }
    if(keep_value(&s->v[k], l->value, l->value_len))
      goto nomem;
  }
  for(size_t k = 0; k < CREDS_SET_COUNT; k++)
    if(span_is(l->name, l->name_len, creds_setting_names[k]) &&
       keep_value(&s->set[k], l->value, l->value_len))
      goto nomem;
  for(size_t k = 0; k < JAN_ARRAY_SIZE(unsupported_keys); k++) {
    if(l->value_len && !s->unsupported &&
       span_is(l->name, l->name_len, unsupported_keys[k])) {
      s->unsupported = unsupported_keys[k];
      s->unsupported_line = l->lineno;
    }
  }
  return JAN_OK;
nomem:
  jbuf_printf(err, "%s: out of memory", path);
  return JAN_ENOMEM;
}

/*
 * The AWS dialect of INI, as Python's configparser reads it for the CLI
 * (janitor/ini.h with INI_CONTINUATION): whole-line comments, "key = value"
 * or "key: value" with case-insensitive keys, nested settings under "s3 ="
 * skipped.  A profile's section may appear more than once: later values
 * win.  An error stops the scan; its message never quotes the line.
 */
static int scan_buf(const char *buf, size_t len, const char *path,
                    int is_config, const char *profile, struct prof_scan *s,
                    struct jbuf *err)
{
  struct ini_reader r;
  struct ini_line l;
  int in_section = 0, matching = 0, rc;

  ini_init(&r, buf, len, CREDS_LINE_MAX, INI_CONTINUATION);
  while(ini_next(&r, &l)) {
    switch(l.kind) {
    case INI_ERROR:
      if(l.error == INI_E_LONG)
        jbuf_printf(err, "%s:%u: line is longer than %d bytes", path,
                    l.lineno, CREDS_LINE_MAX);
      else
        jbuf_printf(err, "%s:%u: %s", path, l.lineno,
                    ini_error_phrase(l.error));
      return l.error == INI_E_LONG ? JAN_ETOOBIG : JAN_EPARSE;
    case INI_SECTION:
      in_section = 1;
      matching = section_matches(l.name, l.name_len, is_config, profile);
      if(matching)
        s->found = 1;
      break;
    case INI_PAIR:
      if(!in_section) {
        jbuf_printf(err, "%s:%u: setting outside of any [section]", path,
                    l.lineno);
        return JAN_EPARSE;
      }
      if(matching && (rc = scan_pair(&l, path, profile, s, err)) != JAN_OK)
        return rc;
      break;
    }
  }
  return JAN_OK;
}

/* Read and scan one file: JAN_OK (see s), JAN_ENOENT (no such file, or
 * /dev/null: AWS_CONFIG_FILE=/dev/null turns the file off), or an error
 * with err set; *err_no keeps errno. */
static int file_lookup(const char *path, int is_config, const char *profile,
                       struct prof_scan *s, int *err_no, struct jbuf *err)
{
  char *buf;
  size_t len;
  int rc;

  scan_init(s);
  rc = fsafe_read_file(path, CREDS_FILE_MAX, FSAFE_READ_WIPE |
                       FSAFE_READ_NULL_ABSENT, &buf, &len, err_no, err);
  if(rc)
    return rc;
  rc = scan_buf(buf, len, path, is_config, profile, s, err);
  creds_wipe_free(buf, len);
  if(rc)
    scan_free(s);
  return rc;
}

/* The keys of one scanned file: JAN_OK with out filled, JAN_ENOENT, or
 * JAN_ECONFIG when only one of the key and the secret is there. */
static int scan_keys(const struct prof_scan *s, const char *path,
                     const char *profile, struct aws_creds *out,
                     struct jbuf *err)
{
  int have = s->v[K_ID] ? K_ID : K_SECRET;

  creds_init(out);
  if(!s->v[K_ID] && !s->v[K_SECRET])
    return JAN_ENOENT;
  if(!s->v[K_ID] || !s->v[K_SECRET]) {
    jbuf_printf(err, "%s:%u: profile %s sets %s but not %s", path,
                s->line[have], profile, key_names[have],
                key_names[have == K_ID ? K_SECRET : K_ID]);
    return JAN_ECONFIG;
  }
  if(!(out->access_key = strdup(s->v[K_ID])) ||
     !(out->secret_key = strdup(s->v[K_SECRET])) ||
     (s->v[K_TOKEN] && !(out->session_token = strdup(s->v[K_TOKEN])))) {
    creds_free(out);
    jbuf_printf(err, "%s: out of memory", path);
    return JAN_ENOMEM;
  }
  out->source = "file";
  return JAN_OK;
}

static int unsupported_error(const struct prof_scan *s, const char *path,
                             const char *profile, struct jbuf *err)
{
  jbuf_printf(err, "%s:%u: profile %s uses %s, which remotion-janitor does "
              "not support; give it aws_access_key_id and "
              "aws_secret_access_key", path, s->unsupported_line, profile,
              s->unsupported);
  return JAN_ECONFIG;
}

int creds_read_file(const char *path, int is_config, const char *profile,
                    struct aws_creds *out, struct jbuf *err)
{
  struct prof_scan s;
  int err_no, rc;

  creds_init(out);
  rc = file_lookup(path, is_config, profile, &s, &err_no, err);
  if(rc)
    return rc;
  rc = scan_keys(&s, path, profile, out, err);
  if(rc == JAN_ENOENT && s.unsupported)
    rc = unsupported_error(&s, path, profile, err);
  scan_free(&s);
  return rc;
}

/* ---- the profile and systemd providers ------------------------------ */

void creds_profile_free(struct creds_profile *p)
{
  for(size_t i = 0; i < CREDS_SET_COUNT; i++)
    creds_wipe_free(p->set[i], p->set[i] ? strlen(p->set[i]) : 0);
  memset(p, 0, sizeof(*p));
}

static int section_read(const char *profile, int sso_session,
                        struct creds_profile *out, struct jbuf *err)
{
  static const char *const envnames[2] = {
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"
  };
  static const char *const leaves[2] = { "config", "credentials" };
  int rc = JAN_OK;

  memset(out, 0, sizeof(*out));
  /* The config file first: the credentials file's values win, as in
   * botocore, which merges it over the config file's profiles.  SSO
   * sessions live in the config file only. */
  for(int i = 0; i < (sso_session ? 1 : 2) && !rc; i++) {
    struct prof_scan sc;
    struct jbuf path;
    int from_env, err_no, r;

    jbuf_init(&path, JAN_MSG_MAX);
    r = creds_resolve_path(envnames[i], leaves[i], &path, &from_env);
    if(r) {
      jbuf_free(&path);
      continue;                 /* no home directory: nothing to read */
    }
    r = file_lookup(jbuf_str(&path), sso_session ? SECTION_SSO_SESSION
                                                 : i == 0, profile, &sc,
                    &err_no, err);
    if(r == JAN_EIO && !from_env && (err_no == EACCES || err_no == EPERM)) {
      jbuf_reset(err);
      r = JAN_ENOENT;
    }
    if(r && r != JAN_ENOENT)
      rc = r;
    if(!r && sc.found) {
      out->found = 1;
      if(sc.v[K_ID] || sc.v[K_SECRET])
        out->has_keys |= i ? CREDS_KEYS_IN_CREDENTIALS : CREDS_KEYS_IN_CONFIG;
      for(size_t k = 0; k < CREDS_SET_COUNT; k++) {
        if(!sc.set[k])
          continue;
        creds_wipe_free(out->set[k], out->set[k] ? strlen(out->set[k]) : 0);
        out->set[k] = sc.set[k];
        sc.set[k] = NULL;
      }
    }
    if(!r)
      scan_free(&sc);
    jbuf_free(&path);
  }
  if(rc)
    creds_profile_free(out);
  return rc;
}

int creds_profile_read(const char *profile, struct creds_profile *out,
                       struct jbuf *err)
{
  return section_read(profile, 0, out, err);
}

int creds_sso_session_read(const char *name, struct creds_profile *out,
                           struct jbuf *err)
{
  return section_read(name, 1, out, err);
}

struct srcname {
  struct srcname *next;
  char s[];
};

struct file_provider {
  struct creds_provider base;   /* first: the chain sees only this */
  char *profile;                /* NULL: AWS_PROFILE, else "default" */
  /* Every source string handed out, "profile:NAME": the cached creds of
   * the chain point here, so they live as long as the provider. */
  struct srcname *sources;
};

static const char *intern_source(struct file_provider *fp, const char *kind,
                                 const char *profile)
{
  size_t n = strlen(kind) + 1 + strlen(profile) + 1;
  struct srcname *sn;

  for(sn = fp->sources; sn; sn = sn->next)
    if(!strncmp(sn->s, kind, strlen(kind)) && sn->s[strlen(kind)] == ':' &&
       !strcmp(sn->s + strlen(kind) + 1, profile))
      return sn->s;
  sn = malloc(sizeof(*sn) + n);
  if(!sn)
    return kind;
  snprintf(sn->s, n, "%s:%s", kind, profile);
  sn->next = fp->sources;
  fp->sources = sn;
  return sn->s;
}

/* The profile to use, and whether someone asked for it: only then is its
 * absence an error.  "default" never is (nor is it for the AWS CLI). */
static const char *pick_profile(const struct file_provider *fp,
                                int *explicit)
{
  const char *name = fp->profile && *fp->profile ? fp->profile
                                                 : creds_env_value("AWS_PROFILE");
  if(!name)
    name = "default";
  *explicit = strcmp(name, "default") != 0;
  return name;
}

/* Does $CREDENTIALS_DIRECTORY/aws have the profile?  When that file cannot
 * be read, say yes: the systemd provider will report why. */
static int systemd_has_profile(const char *profile, struct jbuf *path)
{
  struct prof_scan s;
  struct jbuf err;
  int err_no, rc;

  if(creds_systemd_path(path))
    return 0;
  jbuf_init(&err, JAN_MSG_MAX);
  rc = file_lookup(jbuf_str(path), 0, profile, &s, &err_no, &err);
  jbuf_free(&err);
  if(rc == JAN_ENOENT)
    return 0;
  if(rc)
    return 1;
  rc = s.found;
  scan_free(&s);
  return rc;
}

static void profile_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  static const char *const envnames[2] = {
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"
  };
  static const char *const leaves[2] = { "credentials", "config" };
  struct file_provider *fp = (struct file_provider *)self;
  struct prof_scan sc[2];
  struct jbuf path[2], sdpath, msg;
  const char *status[2], *name;
  struct aws_creds c;
  int explicit, rc = JAN_ENOENT, err_no;
  size_t i;

  name = pick_profile(fp, &explicit);
  creds_init(&c);
  jbuf_init(&msg, JAN_MSG_MAX);
  jbuf_init(&sdpath, JAN_MSG_MAX);
  for(i = 0; i < 2; i++) {
    scan_init(&sc[i]);
    jbuf_init(&path[i], JAN_MSG_MAX);
  }

  for(i = 0; i < 2; i++) {
    int from_env, r = creds_resolve_path(envnames[i], leaves[i], &path[i],
                                   &from_env);
    if(r == JAN_ENOENT) {
      status[i] = "no home directory";
      jbuf_addstr(&path[i], leaves[i]);
      continue;
    }
    if(r) {
      rc = r;
      jbuf_printf(&msg, "profile %s: %s path: %s", name, leaves[i],
                  jan_strerror(r));
      goto done;
    }
    jlog_debug(TAG, "profile %s: reading %s", name, jbuf_str(&path[i]));
    r = file_lookup(jbuf_str(&path[i]), (int)i, name, &sc[i], &err_no, &msg);
    if(r == JAN_ENOENT) {
      status[i] = "no such file";
    }
    else if(r == JAN_EIO && !from_env &&
            (err_no == EACCES || err_no == EPERM)) {
      /* The default path of a service whose home is out of reach
       * (ProtectHome=): not a reason to stop before the systemd
       * credentials.  A path set on purpose is. */
      jlog_debug(TAG, "%s", jbuf_str(&msg));
      jbuf_reset(&msg);
      status[i] = "permission denied";
    }
    else if(r) {
      rc = r;
      goto done;
    }
    else {
      status[i] = sc[i].found ? "no keys" : "no such profile";
    }
  }

  /* The credentials file first, as a whole: no mixing of the two.  The
   * providers before this one (assume role, credential_process) have
   * already had their say: keys here are what the CLI would use now. */
  for(i = 0; i < 2; i++) {
    rc = scan_keys(&sc[i], jbuf_str(&path[i]), name, &c, &msg);
    if(rc == JAN_OK) {
      c.source = intern_source(fp, "profile", name);
      jlog_debug(TAG, "profile %s: keys in %s", name, jbuf_str(&path[i]));
      goto done;
    }
    if(rc != JAN_ENOENT)
      goto done;
  }
  for(i = 0; i < 2; i++) {
    if(sc[i].unsupported) {
      rc = unsupported_error(&sc[i], jbuf_str(&path[i]), name, &msg);
      goto done;
    }
  }

  rc = JAN_ENOENT;
  if(explicit && !sc[0].found && !sc[1].found) {
    if(systemd_has_profile(name, &sdpath)) {
      jbuf_printf(&msg, "profile %s (in %s only)", name, jbuf_str(&sdpath));
      goto done;
    }
    rc = JAN_ECONFIG;
    jbuf_printf(&msg, "profile %s not found in %s, %s%s%s", name,
                jbuf_str(&path[0]), jbuf_str(&path[1]),
                sdpath.len ? ", " : "", jbuf_str(&sdpath));
    goto done;
  }
  jbuf_printf(&msg, "profile %s (%s: %s; %s: %s)", name, jbuf_str(&path[0]),
              status[0], jbuf_str(&path[1]), status[1]);

done:
  for(i = 0; i < 2; i++) {
    scan_free(&sc[i]);
    jbuf_free(&path[i]);
  }
  jbuf_free(&sdpath);
  /* Everything that fp owns is settled: cb may free it. */
  if(rc == JAN_OK)
    cb(arg, JAN_OK, &c, NULL);
  else
    cb(arg, rc, NULL, msg.len ? jbuf_str(&msg) : jan_strerror(rc));
  creds_free(&c);
  jbuf_free(&msg);
}

static void systemd_fetch(struct creds_provider *self, creds_cb cb,
                          void *arg)
{
  struct file_provider *fp = (struct file_provider *)self;
  struct prof_scan sc;
  struct jbuf path, msg;
  struct aws_creds c;
  const char *name;
  int explicit, rc, err_no;

  name = pick_profile(fp, &explicit);
  creds_init(&c);
  scan_init(&sc);
  jbuf_init(&msg, JAN_MSG_MAX);
  jbuf_init(&path, JAN_MSG_MAX);

  rc = creds_systemd_path(&path);
  if(rc == JAN_ENOENT) {
    jbuf_addstr(&msg, "systemd credentials (CREDENTIALS_DIRECTORY not set)");
    goto done;
  }
  if(rc) {
    jbuf_printf(&msg, "systemd credentials: %s", jan_strerror(rc));
    goto done;
  }
  jlog_debug(TAG, "systemd credentials: reading %s", jbuf_str(&path));
  rc = file_lookup(jbuf_str(&path), 0, name, &sc, &err_no, &msg);
  if(rc == JAN_ENOENT) {
    jbuf_printf(&msg, "systemd credentials (%s: no such file)",
                jbuf_str(&path));
    goto done;
  }
  if(rc)
    goto done;
  if(sc.unsupported) {
    rc = unsupported_error(&sc, jbuf_str(&path), name, &msg);
    goto done;
  }
  rc = scan_keys(&sc, jbuf_str(&path), name, &c, &msg);
  if(rc == JAN_OK)
    c.source = intern_source(fp, "systemd", name);
  else if(rc == JAN_ENOENT && explicit && !sc.found) {
    /* No fallback to [default]: someone else's keys are worse than none. */
    rc = JAN_ECONFIG;
    jbuf_printf(&msg, "profile %s not found in %s", name, jbuf_str(&path));
  }
  else if(rc == JAN_ENOENT) {
    jbuf_printf(&msg, "systemd credentials (%s: %s profile %s)",
                jbuf_str(&path), sc.found ? "no keys in" : "no", name);
  }

done:
  scan_free(&sc);
  jbuf_free(&path);
  if(rc == JAN_OK)
    cb(arg, JAN_OK, &c, NULL);
  else
    cb(arg, rc, NULL, msg.len ? jbuf_str(&msg) : jan_strerror(rc));
  creds_free(&c);
  jbuf_free(&msg);
}

static void file_destroy(struct creds_provider *self)
{
  struct file_provider *fp = (struct file_provider *)self;
  struct srcname *sn, *next;

  for(sn = fp->sources; sn; sn = next) {
    next = sn->next;
    free(sn);
  }
  free(fp->profile);
  free(fp);
}

static struct creds_provider *file_provider_new(const char *name,
                                                const char *profile,
    void (*fetch)(struct creds_provider *, creds_cb, void *))
{
  struct file_provider *fp = calloc(1, sizeof(*fp));

  if(!fp)
    return NULL;
  if(profile && *profile && !(fp->profile = strdup(profile))) {
    free(fp);
    return NULL;
  }
  fp->base.name = name;
  fp->base.fetch = fetch;
  fp->base.destroy = file_destroy;
  return &fp->base;
}

struct creds_provider *creds_provider_profile(const char *profile)
{
  return file_provider_new("shared credentials files", profile,
                           profile_fetch);
}

struct creds_provider *creds_provider_systemd(const char *profile)
{
  return file_provider_new("systemd credentials", profile, systemd_fetch);
}
