/*
 * Credentials: the shared credentials/config file parser (creds_read_file,
 * fed through a memfd) and the JSON of the container and IMDS endpoints
 * (creds_parse_remote_json).  First byte: bits 0-1 pick the parser
 * (0: credentials file, 1: config file, 2 and 3: remote JSON), bits 2-3 the
 * profile looked up; the rest is the file or the body.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/creds.h"
#include "janitor/creds_remote.h"
#include "janitor/err.h"

static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  memfd = memfd_create("fuzz-creds", MFD_CLOEXEC);
  if(memfd < 0) {
    perror("memfd_create");
    abort();
  }
  snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
  return 0;
}


static int creds_empty(const struct aws_creds *c)
{
  return !c->access_key && !c->secret_key && !c->session_token;
}

/* A message names the file, a line, a profile and key names, never a
 * value: only the characters of those, and a bounded length. */
static void check_message(const struct jbuf *err, const char *profile)
{
  const char *s = jbuf_str(err);
  size_t pl = strlen(memfd_path);

  FUZZ_CHECK(!strncmp(s, memfd_path, pl) && s[pl] == ':');
  FUZZ_CHECK(err->len <= pl + 300 + strlen(profile));
  for(s += pl; *s; s++)
    FUZZ_CHECK((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
               (*s >= '0' && *s <= '9') || strchr(" _:;,.\"'=[]-", *s));
}

static void file_case(const uint8_t *data, size_t size, int is_config,
                      const char *profile)
{
  struct aws_creds c;
  struct jbuf err;
  int rc;

  FUZZ_CHECK(ftruncate(memfd, 0) == 0);
  FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
  jbuf_init(&err, 65536);
  rc = creds_read_file(memfd_path, is_config, profile, &c, &err);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_ENOENT || rc == JAN_ECONFIG ||
             rc == JAN_ETOOBIG || rc == JAN_EPARSE);
  if(rc == JAN_OK) {
    FUZZ_CHECK(err.len == 0);
    FUZZ_CHECK(fuzz_creds_value_ok(c.access_key) && fuzz_creds_value_ok(c.secret_key));
    FUZZ_CHECK(!c.session_token || fuzz_creds_value_ok(c.session_token));
    FUZZ_CHECK(c.source && !strcmp(c.source, "file"));
  }
  else {
    FUZZ_CHECK(creds_empty(&c));
    if(rc == JAN_ENOENT)
      FUZZ_CHECK(err.len == 0);
    else
      check_message(&err, profile);
  }
  creds_free(&c);
  jbuf_free(&err);
}

/* The member as a string with its length, or NULL. */
static const char *jstr(struct json_object *o, const char *key, size_t *len)
{
  struct json_object *v;

  if(!json_object_object_get_ex(o, key, &v) ||
     !json_object_is_type(v, json_type_string))
    return NULL;
  *len = (size_t)json_object_get_string_len(v);
  return json_object_get_string(v);
}

/* The value handed out is the whole member, not a part of it. */
static int whole(const char *got, const char *want, size_t wlen)
{
  return got && want && strlen(got) == wlen && !memcmp(got, want, wlen);
}

static void remote_case(const char *body, size_t len)
{
  struct aws_creds c;
  struct json_tokener *tok;
  struct json_object *o;
  const char *ak, *sk, *tk;
  size_t akl = 0, skl = 0, tkl = 0, el = 0;
  int rc = creds_parse_remote_json(body, len, &c);

  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EPARSE || rc == JAN_ETOOBIG ||
             rc == JAN_ENOMEM);
  if(rc) {
    FUZZ_CHECK(creds_empty(&c) && c.expiration == 0);
    return;
  }
  FUZZ_CHECK(fuzz_creds_value_ok(c.access_key) && fuzz_creds_value_ok(c.secret_key));
  FUZZ_CHECK(!c.session_token || fuzz_creds_value_ok(c.session_token));

  /* Read the body the way the parser reads it, and compare. */
  tok = json_tokener_new_ex(8);
  if(!tok)
    abort();
  o = json_tokener_parse_ex(tok, body, (int)len);
  FUZZ_CHECK(o && json_object_is_type(o, json_type_object));
  ak = jstr(o, "AccessKeyId", &akl);
  sk = jstr(o, "SecretAccessKey", &skl);
  tk = jstr(o, "Token", &tkl);
  FUZZ_CHECK(whole(c.access_key, ak, akl));
  FUZZ_CHECK(whole(c.secret_key, sk, skl));
  if(tk && tkl)
    FUZZ_CHECK(whole(c.session_token, tk, tkl));
  else
    FUZZ_CHECK(!c.session_token);
  /* Temporary credentials that say when they expire never come out as
   * "does not expire" (0), nor as expired before the epoch. */
  if(jstr(o, "Expiration", &el))
    FUZZ_CHECK(c.expiration > 0);
  else
    FUZZ_CHECK(c.expiration == 0);
  json_object_put(o);
  json_tokener_free(tok);
  creds_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const profiles[4] = { "default", "dev",
                                           "remotion janitor", "p" };
  const char *profile;

  if(size < 1)
    return 0;
  profile = profiles[(data[0] >> 2) & 3];
  switch(data[0] & 3) {
  case 0:
  case 1:
    file_case(data + 1, size - 1, data[0] & 1, profile);
    break;
  default:
    remote_case((const char *)data + 1, size - 1);
    break;
  }
  return 0;
}
