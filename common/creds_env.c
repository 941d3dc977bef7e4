/*
 * What the environment says: the AWS_ACCESS_KEY_ID family (the
 * environment provider), and where the shared files are (HOME,
 * AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, CREDENTIALS_DIRECTORY).
 * No message quotes a value.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds_int.h"
#include "janitor/creds.h"
#include "janitor/log.h"

#define TAG "creds"

enum { K_ID, K_SECRET, K_TOKEN };

/*
 * Keys, secrets and tokens are printable ASCII without spaces (base64 and
 * friends).  Anything else, a newline above all, would end up in a signed
 * header, so it is refused, without echoing the value.
 */
int creds_value_ok(const char *s, size_t n)
{
  for(size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if(ch <= 0x20 || ch >= 0x7f)
      return 0;
  }
  return n > 0;
}

void creds_wipe_free(char *p, size_t n)
{
  if(p) {
    explicit_bzero(p, n);
    free(p);
  }
}

/* ---- environment ---------------------------------------------------- */

const char *creds_env_value(const char *name)
{
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static void env_fetch(struct creds_provider *self, creds_cb cb, void *arg)
{
  const char *v[3];
  static const char *const names[3] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"
  };
  struct aws_creds c;
  char msg[160];

  (void)self;
  for(size_t i = 0; i < 3; i++)
    v[i] = creds_env_value(names[i]);
  /* A lone session token is ignored, as the AWS SDKs do. */
  if(!v[K_ID] && !v[K_SECRET]) {
    cb(arg, JAN_ENOENT, NULL, "environment");
    return;
  }
  if(!v[K_ID] || !v[K_SECRET]) {
    snprintf(msg, sizeof(msg), "environment: %s is set but %s is not",
             names[v[K_ID] ? K_ID : K_SECRET],
             names[v[K_ID] ? K_SECRET : K_ID]);
    cb(arg, JAN_ECONFIG, NULL, msg);
    return;
  }
  for(size_t i = 0; i < 3; i++) {
    if(v[i] && !creds_value_ok(v[i], strlen(v[i]))) {
      snprintf(msg, sizeof(msg),
               "environment: %s holds spaces or control characters",
               names[i]);
      cb(arg, JAN_ECONFIG, NULL, msg);
      return;
    }
  }
  creds_init(&c);
  c.source = "environment";
  if(!(c.access_key = strdup(v[K_ID])) ||
     !(c.secret_key = strdup(v[K_SECRET])) ||
     (v[K_TOKEN] && !(c.session_token = strdup(v[K_TOKEN])))) {
    creds_free(&c);
    cb(arg, JAN_ENOMEM, NULL, "environment: out of memory");
    return;
  }
  jlog_debug(TAG, "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
             " set%s", v[K_TOKEN] ? ", with AWS_SESSION_TOKEN" : "");
  /* c is on our stack, so it can be freed after the callback even when
   * that freed the chain and this provider. */
  cb(arg, JAN_OK, &c, NULL);
  creds_free(&c);
}

static void env_destroy(struct creds_provider *self)
{
  free(self);
}

struct creds_provider *creds_provider_env(void)
{
  struct creds_provider *p = calloc(1, sizeof(*p));
  if(!p)
    return NULL;
  p->name = "environment";
  p->fetch = env_fetch;
  p->destroy = env_destroy;
  return p;
}

int creds_home_dir(struct jbuf *out)
{
  const char *h = creds_env_value("HOME");
  struct passwd pw, *res = NULL;
  char buf[4096];

  if(!h && getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
     res->pw_dir && *res->pw_dir)
    h = res->pw_dir;
  if(!h)
    return JAN_ENOENT;
  return jbuf_addstr(out, h);
}

/* AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, with "~/" expanded as
 * the CLI does, else ~/.aws/LEAF.  JAN_ENOENT: no home directory. */
int creds_resolve_path(const char *envname, const char *leaf,
                        struct jbuf *out, int *from_env)
{
  const char *v = creds_env_value(envname);
  int rc;

  *from_env = v != NULL;
  if(v && !(v[0] == '~' && (v[1] == '/' || !v[1])))
    return jbuf_addstr(out, v);
  rc = creds_home_dir(out);
  if(!rc)
    rc = v ? jbuf_addstr(out, v + 1) : jbuf_printf(out, "/.aws/%s", leaf);
  return rc;
}

int creds_systemd_path(struct jbuf *out)
{
  const char *dir = creds_env_value("CREDENTIALS_DIRECTORY");
  if(!dir)
    return JAN_ENOENT;
  return jbuf_printf(out, "%s/aws", dir);
}

